package hooks

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	openai "github.com/sashabaranov/go-openai"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/humanlayer/kubechain/api/v1alpha1"
)

// LLMRelated are the related objects of an LLM's sync.
type LLMRelated struct {
	// Secrets holds the Secret named in spec.apiKeyFrom, when it exists.
	Secrets map[string]Secret `json:"Secret.v1"`
}

// LLMCustomizeRequest is the body of /customize/llm.
type LLMCustomizeRequest = CustomizeRequest[v1.LLM]

// LLMSyncRequest is the body of /sync/llm.
type LLMSyncRequest = SyncRequest[v1.LLM, NoObjects, LLMRelated]

// LLMSyncResponse is the answer of /sync/llm.
type LLMSyncResponse = SyncResponse[v1.LLMStatus]

// transientRetrySeconds is how long a credential check that failed for a
// transient reason (rate limit, provider outage, network) waits before it runs again.
const transientRetrySeconds = 30

// CustomizeLLM asks for the Secret holding the LLM's API key.
func (h *Hooks) CustomizeLLM(_ context.Context, req *LLMCustomizeRequest) (*CustomizeResponse, error) {
	return &CustomizeResponse{RelatedResources: secretRules(req.Parent.Spec.APIKeyFrom.SecretKeyRef.Name)}, nil
}

// SyncLLM checks the LLM's API key against its provider with an inexpensive
// authenticated call (list models). The check runs again only when the spec
// or the Secret changes: its fingerprint is kept in status.validatedFingerprint.
func (h *Hooks) SyncLLM(ctx context.Context, req *LLMSyncRequest) (*LLMSyncResponse, error) {
	llm := &req.Parent
	res := h.checkCredential(ctx, credentialCheck{
		kind:            "LLM",
		object:          llm.ObjectMeta,
		spec:            llm.Spec,
		secretRef:       llm.Spec.APIKeyFrom.SecretKeyRef,
		secrets:         req.Related.Secrets,
		prev:            llm.Status.CommonStatus,
		prevFingerprint: llm.Status.ValidatedFingerprint,
		probe: func(ctx context.Context, apiKey string) (string, *problem) {
			return h.probeLLM(ctx, llm, apiKey)
		},
	})
	return &LLMSyncResponse{
		Status: v1.LLMStatus{
			CommonStatus:         commonStatus(llm.Status.CommonStatus, res.status, res.reason, res.detail, llm.Generation, h.deps.Now()),
			ValidatedFingerprint: res.fingerprint,
		},
		Children:           []any{},
		ResyncAfterSeconds: res.resyncAfterSeconds,
	}, nil
}

// probeLLM lists the provider's models with apiKey. Whether the configured
// model is listed is not checked: many compatible servers list nothing useful.
func (h *Hooks) probeLLM(ctx context.Context, llm *v1.LLM, apiKey string) (string, *problem) {
	provider := llm.Spec.Provider
	if provider == "" {
		provider = v1.ProviderOpenAI
	}
	endpoint := llm.Spec.Config.BaseURL
	if endpoint == "" {
		endpoint = openai.DefaultConfig("").BaseURL
	}
	client, err := h.deps.LLMs(LLMEndpoint{Provider: string(provider), BaseURL: llm.Spec.Config.BaseURL, APIKey: apiKey})
	if err != nil {
		return "", errorf(ReasonInvalidSpec, "cannot use provider %q: %v", provider, err)
	}
	if _, err := client.ListModels(ctx); err != nil {
		return "", llmProbeProblem(err, endpoint, llm.Spec.APIKeyFrom.SecretKeyRef)
	}
	return fmt.Sprintf("model %s reachable at %s", llm.Spec.Config.Model, endpoint), nil
}

// llmProbeProblem turns a failed provider call into a status: Error when the
// provider refused the request (a user must fix the key or the URL), Pending
// for anything that may pass by itself (rate limits, outages, timeouts).
func llmProbeProblem(err error, endpoint string, ref v1.SecretKeySelector) *problem {
	code, msg := 0, err.Error()
	var apiErr *openai.APIError
	var reqErr *openai.RequestError
	switch {
	case errors.As(err, &apiErr):
		code, msg = apiErr.HTTPStatusCode, apiErr.Message
	case errors.As(err, &reqErr):
		// The body was not an OpenAI error: say what the server sent instead.
		code, msg = reqErr.HTTPStatusCode, reqErr.HTTPStatus
		if body := strings.Join(strings.Fields(string(reqErr.Body)), " "); body != "" {
			msg = truncate(body, maxProviderMessage)
		}
	}
	switch code {
	case http.StatusUnauthorized, http.StatusForbidden:
		return errorf(ReasonProviderError, "%s rejected the API key from secret %q, key %q (HTTP %d): %s", endpoint, ref.Name, ref.Key, code, msg)
	case http.StatusNotFound, http.StatusBadRequest:
		return errorf(ReasonProviderError, "%s refused to list models (HTTP %d): %s; check spec.config.baseURL", endpoint, code, msg)
	case 0:
		return pendingf(ReasonProviderError, "cannot reach %s, retrying in %ds: %s", endpoint, transientRetrySeconds, msg)
	default:
		return pendingf(ReasonProviderError, "%s is unavailable (HTTP %d), retrying in %ds: %s", endpoint, code, transientRetrySeconds, msg)
	}
}

// maxProviderMessage caps the part of a provider's answer quoted in statusDetail.
const maxProviderMessage = 200

// truncate shortens s to at most n bytes, on a rune boundary, marking the cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// secretRules relates the Secret called name, if any.
func secretRules(name string) []RelatedResourceRule {
	if name == "" {
		return []RelatedResourceRule{}
	}
	return []RelatedResourceRule{{APIVersion: "v1", Resource: "secrets", Names: []string{name}}}
}

// credentialCheck is a check of a credential held in a Secret, shared by the
// LLM and ContactChannel hooks.
type credentialCheck struct {
	// kind and object name the checked resource in logs.
	kind   string
	object metav1.ObjectMeta
	// spec is the resource's spec; a change to it means a new check.
	spec any
	// secretRef selects the credential among secrets.
	secretRef v1.SecretKeySelector
	secrets   map[string]Secret
	// prev and prevFingerprint are the resource's current status.
	prev            v1.CommonStatus
	prevFingerprint string
	// probe makes one inexpensive authenticated call with the credential and
	// returns the Ready detail, or the problem.
	probe func(ctx context.Context, credential string) (string, *problem)
}

// credentialResult is the outcome of a credentialCheck.
type credentialResult struct {
	status v1.StatusType
	reason string
	detail string
	// fingerprint is set when the check reached a verdict (Ready or Error).
	fingerprint string
	// resyncAfterSeconds is set when the check failed transiently.
	resyncAfterSeconds float64
}

// checkCredential reads the credential, and probes it unless the last
// verdict was reached with the same spec and Secret version. Pending while
// the Secret or its key is missing; Pending with a resync when the probe
// failed transiently. The credential never appears in the result or the log.
func (h *Hooks) checkCredential(ctx context.Context, c credentialCheck) credentialResult {
	ref := c.secretRef
	secret, credential, found := secretValue(c.secrets, ref)
	if !found {
		return credentialResult{status: v1.StatusPending, reason: ReasonSecretMissing,
			detail: fmt.Sprintf("waiting for secret %q (key %q) in namespace %s", ref.Name, ref.Key, c.object.Namespace)}
	}
	if credential == "" {
		return credentialResult{status: v1.StatusPending, reason: ReasonSecretMissing,
			detail: fmt.Sprintf("secret %q has no key %q, or it is empty", ref.Name, ref.Key)}
	}

	fp := credentialFingerprint(c.spec, secret, ref.Key)
	if fp == c.prevFingerprint && (c.prev.Status == v1.StatusReady || c.prev.Status == v1.StatusError) {
		return credentialResult{status: c.prev.Status, reason: readyReason(c.prev), detail: c.prev.StatusDetail, fingerprint: fp}
	}

	ctx, cancel := context.WithTimeout(ctx, h.deps.ValidationTimeout)
	defer cancel()
	detail, p := c.probe(ctx, credential)
	log := h.log.With("kind", c.kind, "namespace", c.object.Namespace, "name", c.object.Name, "fingerprint", fp)
	if p == nil {
		log.InfoContext(ctx, "credential check passed")
		return credentialResult{status: v1.StatusReady, reason: ReasonReady, detail: redact(detail, credential), fingerprint: fp}
	}
	res := credentialResult{status: p.status, reason: p.reason, detail: redact(p.detail, credential)}
	if p.status == v1.StatusPending {
		res.resyncAfterSeconds = transientRetrySeconds
		log.WarnContext(ctx, "credential check failed transiently", "detail", res.detail)
		return res
	}
	res.fingerprint = fp
	log.WarnContext(ctx, "credential check failed", "detail", res.detail)
	return res
}

// credentialFingerprint identifies a spec and the Secret version holding its
// credential, without hashing the credential itself.
func credentialFingerprint(spec any, secret Secret, key string) string {
	b, err := json.Marshal(struct {
		Spec          any    `json:"spec"`
		SecretUID     string `json:"secretUID"`
		SecretVersion string `json:"secretResourceVersion"`
		Key           string `json:"key"`
	}{spec, string(secret.UID), secret.ResourceVersion, key})
	if err != nil {
		panic(fmt.Sprintf("credentialFingerprint: %v", err)) // specs are plain structs
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

// readyReason is the reason of a status's Ready condition.
func readyReason(st v1.CommonStatus) string {
	for _, c := range st.Conditions {
		if c.Type == v1.ConditionReady {
			return c.Reason
		}
	}
	if st.Status == v1.StatusReady {
		return ReasonReady
	}
	return ReasonValidationFailed
}

// redact removes a credential a provider may have echoed in a message.
func redact(s, credential string) string {
	return strings.ReplaceAll(s, credential, "[redacted]")
}
