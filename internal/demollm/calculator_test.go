package demollm

import (
	"testing"

	openai "github.com/sashabaranov/go-openai"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func tools(names ...string) []openai.Tool {
	var out []openai.Tool
	for _, n := range names {
		out = append(out, openai.Tool{Type: openai.ToolTypeFunction, Function: &openai.FunctionDefinition{Name: n}})
	}
	return out
}

func TestCalculator(t *testing.T) {
	user := openai.ChatCompletionMessage{Role: "user", Content: "What is the result of 2 + 2?"}
	tests := []struct {
		name     string
		req      openai.ChatCompletionRequest
		wantCall string
		wantArgs string
		wantText string
	}{
		{"delegates when offered a delegate tool", openai.ChatCompletionRequest{Messages: []openai.ChatCompletionMessage{user}, Tools: tools("delegate_to_calculator-operator")},
			"delegate_to_calculator-operator", `{"message":"What is the result of 2 + 2?"}`, ""},
		{"calls the operator's tool", openai.ChatCompletionRequest{Messages: []openai.ChatCompletionMessage{user}, Tools: tools("add", "subtract")},
			"add", `{"a":2,"b":2}`, ""},
		{"division", openai.ChatCompletionRequest{Messages: []openai.ChatCompletionMessage{{Role: "user", Content: "7 / 2"}}, Tools: tools("divide")},
			"divide", `{"a":7,"b":2}`, ""},
		{"answers from a tool result", openai.ChatCompletionRequest{Messages: []openai.ChatCompletionMessage{user, {Role: "assistant"}, {Role: "tool", Content: "4"}}},
			"", "", "2 + 2 = 4"},
		{"passes a delegate's answer through", openai.ChatCompletionRequest{Messages: []openai.ChatCompletionMessage{user, {Role: "assistant"}, {Role: "tool", Content: "2 + 2 = 4"}}},
			"", "", "2 + 2 = 4"},
		{"reports a tool error", openai.ChatCompletionRequest{Messages: []openai.ChatCompletionMessage{user, {Role: "assistant"}, {Role: "tool", Content: "error: division by zero"}}},
			"", "", "I could not work that out: division by zero"},
		{"no tool for it", openai.ChatCompletionRequest{Messages: []openai.ChatCompletionMessage{user}},
			"", "", `I can only work out arithmetic like "2 + 2" with my tools.`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, apiErr := Calculator()(tt.req)
			require.Nil(t, apiErr)
			require.Len(t, resp.Choices, 1)
			msg := resp.Choices[0].Message
			if tt.wantCall != "" {
				require.Len(t, msg.ToolCalls, 1)
				assert.Equal(t, tt.wantCall, msg.ToolCalls[0].Function.Name)
				assert.JSONEq(t, tt.wantArgs, msg.ToolCalls[0].Function.Arguments)
				assert.NotEmpty(t, msg.ToolCalls[0].ID)
				return
			}
			assert.Empty(t, msg.ToolCalls)
			assert.Equal(t, tt.wantText, msg.Content)
		})
	}
}

func TestCalculatorRejectsEmptyConversation(t *testing.T) {
	_, apiErr := Calculator()(openai.ChatCompletionRequest{})
	require.NotNil(t, apiErr)
	assert.Equal(t, 400, apiErr.Status)
}
