// Package demollm is a deterministic, scripted stand-in for an LLM that
// drives kubechain's calculator example without credentials or network: it
// delegates arithmetic when it is offered a delegate tool, calls the matching
// calculator tool when it is offered one, and turns tool results into a final
// answer. `hookserver fake-llm` serves it over the OpenAI wire protocol, and
// the offline demo (`make run`) and the scenario tests use it.
package demollm
