package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ContactChannelSpec says how to reach a human. Exactly one channel type is set; today that is
// slack (email is planned as a further optional field).
// +kubebuilder:validation:XValidation:rule="has(self.slack)",message="spec.slack is required (the only channel type today)"
type ContactChannelSpec struct {
	// Slack reaches a user or channel through a Slack bot.
	// +optional
	Slack *SlackChannel `json:"slack,omitempty"`
}

// SlackChannel is a Slack user or channel reached through a bot token.
type SlackChannel struct {
	// ChannelOrUserID is the Slack channel (C…) or user (U…) to write to.
	// +kubebuilder:validation:MinLength=1
	ChannelOrUserID string `json:"channel_or_user_id"`
	// ContextAboutChannelOrUser tells the LLM who it is talking to.
	// +optional
	ContextAboutChannelOrUser string `json:"context_about_channel_or_user,omitempty"`
	// SlackBotTokenFrom names the Secret key holding the bot token (xoxb-…).
	SlackBotTokenFrom SecretKeySource `json:"slackBotTokenFrom"`
}

// ContactChannelStatus is the observed state of a ContactChannel.
type ContactChannelStatus struct {
	CommonStatus `json:",inline"`
	// ValidatedFingerprint identifies the spec and Secret version the last Slack check ran against;
	// the check is repeated only when it changes.
	// +optional
	ValidatedFingerprint string `json:"validatedFingerprint,omitempty"`
}

// ContactChannel is a way to reach a human for input or approval.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:categories=kubechain,shortName=cc
// +kubebuilder:printcolumn:name="Slack",type=string,JSONPath=`.spec.slack.channel_or_user_id`
// +kubebuilder:printcolumn:name="Ready",type=boolean,JSONPath=`.status.ready`
// +kubebuilder:printcolumn:name="Status",type=string,JSONPath=`.status.status`
// +kubebuilder:printcolumn:name="Detail",type=string,JSONPath=`.status.statusDetail`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type ContactChannel struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	// Spec says how to reach the human.
	Spec ContactChannelSpec `json:"spec"`
	// Status is written by the ContactChannel hook.
	// +optional
	Status ContactChannelStatus `json:"status,omitempty"`
}

// ContactChannelList is a list of ContactChannels.
// +kubebuilder:object:root=true
type ContactChannelList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	// Items are the ContactChannels.
	Items []ContactChannel `json:"items"`
}
