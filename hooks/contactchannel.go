package hooks

import (
	"context"
	"errors"
	"fmt"

	"github.com/slack-go/slack"

	v1 "github.com/humanlayer/kubechain/api/v1alpha1"
)

// ContactChannelRelated are the related objects of a ContactChannel's sync.
type ContactChannelRelated struct {
	// Secrets holds the Secret named in spec.slack.slackBotTokenFrom, when it exists.
	Secrets map[string]Secret `json:"Secret.v1"`
}

// ContactChannelCustomizeRequest is the body of /customize/contactchannel.
type ContactChannelCustomizeRequest = CustomizeRequest[v1.ContactChannel]

// ContactChannelSyncRequest is the body of /sync/contactchannel.
type ContactChannelSyncRequest = SyncRequest[v1.ContactChannel, NoObjects, ContactChannelRelated]

// ContactChannelSyncResponse is the answer of /sync/contactchannel.
type ContactChannelSyncResponse = SyncResponse[v1.ContactChannelStatus]

// slackAuthErrors are the Slack error codes that mean the token itself is
// bad: a user must replace it. Any other failure is treated as transient.
var slackAuthErrors = map[string]bool{
	"not_authed":             true,
	"invalid_auth":           true,
	"account_inactive":       true,
	"token_revoked":          true,
	"token_expired":          true,
	"no_permission":          true,
	"missing_scope":          true,
	"not_allowed_token_type": true,
	"org_login_required":     true,
	"ekm_access_denied":      true,
}

// CustomizeContactChannel asks for the Secret holding the Slack bot token.
func (h *Hooks) CustomizeContactChannel(_ context.Context, req *ContactChannelCustomizeRequest) (*CustomizeResponse, error) {
	if req.Parent.Spec.Slack == nil {
		return &CustomizeResponse{RelatedResources: []RelatedResourceRule{}}, nil
	}
	return &CustomizeResponse{RelatedResources: secretRules(req.Parent.Spec.Slack.SlackBotTokenFrom.SecretKeyRef.Name)}, nil
}

// SyncContactChannel checks the Slack bot token with auth.test. As for an
// LLM, the check runs again only when the spec or the Secret changes.
func (h *Hooks) SyncContactChannel(ctx context.Context, req *ContactChannelSyncRequest) (*ContactChannelSyncResponse, error) {
	cc := &req.Parent
	var res credentialResult
	if cc.Spec.Slack == nil {
		res = credentialResult{status: v1.StatusError, reason: ReasonInvalidSpec, detail: "spec.slack is required"}
	} else {
		ref := cc.Spec.Slack.SlackBotTokenFrom.SecretKeyRef
		res = h.checkCredential(ctx, credentialCheck{
			kind:            "ContactChannel",
			object:          cc.ObjectMeta,
			spec:            cc.Spec,
			secretRef:       ref,
			secrets:         req.Related.Secrets,
			prev:            cc.Status.CommonStatus,
			prevFingerprint: cc.Status.ValidatedFingerprint,
			probe: func(ctx context.Context, token string) (string, *problem) {
				team, user, err := h.deps.Slack(token).AuthTest(ctx)
				if err != nil {
					return "", slackProbeProblem(err, ref)
				}
				return fmt.Sprintf("Slack token valid (bot %s in workspace %s); messages go to %s", user, team, cc.Spec.Slack.ChannelOrUserID), nil
			},
		})
	}
	return &ContactChannelSyncResponse{
		Status: v1.ContactChannelStatus{
			CommonStatus:         commonStatus(cc.Status.CommonStatus, res.status, res.reason, res.detail, cc.Generation, h.deps.Now()),
			ValidatedFingerprint: res.fingerprint,
		},
		Children:           []any{},
		ResyncAfterSeconds: res.resyncAfterSeconds,
	}, nil
}

// slackProbeProblem turns a failed auth.test into a status: Error when Slack
// refused the token, Pending for anything that may pass by itself.
func slackProbeProblem(err error, ref v1.SecretKeySelector) *problem {
	var slackErr slack.SlackErrorResponse
	if errors.As(err, &slackErr) && slackAuthErrors[slackErr.Err] {
		return errorf(ReasonProviderError, "Slack rejected the bot token from secret %q, key %q: %s", ref.Name, ref.Key, slackErr.Err)
	}
	return pendingf(ReasonProviderError, "cannot check the Slack bot token yet, retrying in %ds: %v", transientRetrySeconds, err)
}
