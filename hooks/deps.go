package hooks

import (
	"context"
	"time"

	openai "github.com/sashabaranov/go-openai"
)

// Deps are the side effects hooks may use, injected so tests can fake them.
type Deps struct {
	// Now is the clock.
	Now func() time.Time
	// LLMs builds a chat client for an LLM endpoint.
	LLMs LLMClientFactory
	// Slack builds a Slack client for a bot token.
	Slack SlackClientFactory
	// LLMCallTimeout bounds one LLM call; it must stay below the sync hook's Metacontroller timeout.
	LLMCallTimeout time.Duration
	// ValidationTimeout bounds one credential check (LLM or Slack).
	ValidationTimeout time.Duration
	// MaxRounds caps the LLM rounds of one TaskRun (default 20).
	MaxRounds int
	// MaxDelegationDepth caps how deep delegated TaskRuns may nest (default 5).
	MaxDelegationDepth int
	// MaxStatusBytes is the estimated status size past which a TaskRun fails rather than have its
	// status write rejected by the API server (default 1 MiB; the server stores about 1.5 MiB per object).
	MaxStatusBytes int
}

// LLMEndpoint is what a client needs to reach a model: never logged, never put in status.
type LLMEndpoint struct {
	// Provider is the API flavour (openai).
	Provider string
	// BaseURL is the API root; empty means the provider's default.
	BaseURL string
	// APIKey is the credential.
	APIKey string
}

// LLMClient is the narrow interface hooks use to talk to a model.
type LLMClient interface {
	// CreateChatCompletion sends one chat request.
	CreateChatCompletion(ctx context.Context, req openai.ChatCompletionRequest) (openai.ChatCompletionResponse, error)
	// ListModels is an inexpensive authenticated call used to validate credentials.
	ListModels(ctx context.Context) (openai.ModelsList, error)
}

// LLMClientFactory returns a client for an endpoint.
type LLMClientFactory func(ep LLMEndpoint) (LLMClient, error)

// SlackClient is the narrow interface hooks use to talk to Slack.
type SlackClient interface {
	// AuthTest validates the token and returns the bot's identity.
	AuthTest(ctx context.Context) (team, user string, err error)
}

// SlackClientFactory returns a client for a bot token.
type SlackClientFactory func(token string) SlackClient
