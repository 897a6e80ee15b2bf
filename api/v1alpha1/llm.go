package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Provider names an LLM API flavour.
// +kubebuilder:validation:Enum=openai
type Provider string

// ProviderOpenAI is the OpenAI chat-completions API, also spoken by vLLM,
// Ollama, LiteLLM, Azure OpenAI and the OpenAI-compatibility endpoints of
// Anthropic and Gemini (set config.baseURL).
const ProviderOpenAI Provider = "openai"

// LLMSpec describes a model endpoint and its credentials.
type LLMSpec struct {
	// Provider is the API flavour spoken by the endpoint.
	// +kubebuilder:default=openai
	Provider Provider `json:"provider"`
	// APIKeyFrom names the Secret key holding the API key.
	APIKeyFrom SecretKeySource `json:"apiKeyFrom"`
	// Config holds the model and sampling parameters applied to every call.
	Config LLMConfig `json:"config"`
}

// LLMConfig holds the parameters sent with every chat completion.
type LLMConfig struct {
	// Model is the provider's model name, e.g. gpt-4o.
	// +kubebuilder:validation:MinLength=1
	Model string `json:"model"`
	// BaseURL overrides the provider's API root (e.g. http://vllm:8000/v1) for any OpenAI-compatible server.
	// +optional
	// +kubebuilder:validation:Pattern=`^https?://`
	BaseURL string `json:"baseURL,omitempty"`
	// Temperature is the sampling temperature (0 to 2).
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=2
	Temperature *float64 `json:"temperature,omitempty"`
	// MaxTokens caps the tokens generated per call.
	// +optional
	// +kubebuilder:validation:Minimum=1
	MaxTokens *int32 `json:"maxTokens,omitempty"`
	// TopP is nucleus sampling (0 to 1).
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=1
	TopP *float64 `json:"topP,omitempty"`
	// FrequencyPenalty (-2 to 2).
	// +optional
	// +kubebuilder:validation:Minimum=-2
	// +kubebuilder:validation:Maximum=2
	FrequencyPenalty *float64 `json:"frequencyPenalty,omitempty"`
	// PresencePenalty (-2 to 2).
	// +optional
	// +kubebuilder:validation:Minimum=-2
	// +kubebuilder:validation:Maximum=2
	PresencePenalty *float64 `json:"presencePenalty,omitempty"`
	// Seed asks the provider for deterministic sampling where supported.
	// +optional
	Seed *int64 `json:"seed,omitempty"`
	// Stop lists sequences at which the model stops generating.
	// +optional
	// +kubebuilder:validation:MaxItems=4
	Stop []string `json:"stop,omitempty"`
}

// LLMStatus is the observed state of an LLM.
type LLMStatus struct {
	CommonStatus `json:",inline"`
	// ValidatedFingerprint identifies the spec and Secret version the last provider check ran against;
	// the check is repeated only when it changes.
	// +optional
	ValidatedFingerprint string `json:"validatedFingerprint,omitempty"`
}

// LLM is a model endpoint that agents use.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:categories=kubechain
// +kubebuilder:printcolumn:name="Provider",type=string,JSONPath=`.spec.provider`
// +kubebuilder:printcolumn:name="Model",type=string,JSONPath=`.spec.config.model`
// +kubebuilder:printcolumn:name="Ready",type=boolean,JSONPath=`.status.ready`
// +kubebuilder:printcolumn:name="Status",type=string,JSONPath=`.status.status`
// +kubebuilder:printcolumn:name="Detail",type=string,JSONPath=`.status.statusDetail`,priority=0
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type LLM struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	// Spec is the desired endpoint.
	Spec LLMSpec `json:"spec"`
	// Status is written by the LLM hook.
	// +optional
	Status LLMStatus `json:"status,omitempty"`
}

// LLMList is a list of LLMs.
// +kubebuilder:object:root=true
type LLMList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	// Items are the LLMs.
	Items []LLM `json:"items"`
}
