// Package builtin holds the functions compiled into the hook server that a
// Tool of type function may run (spec.execute.builtin.name).
//
// A builtin takes the call's decoded JSON arguments and returns the text
// handed back to the LLM as the tool's answer. Builtins are pure and fast:
// the TaskRunToolCall hook runs them inline during a sync.
package builtin
