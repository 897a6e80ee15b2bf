package hooks

import (
	"slices"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/humanlayer/kubechain/api/v1alpha1"
)

// Condition reasons, one per situation a user may need to tell apart.
const (
	ReasonReady              = "Ready"
	ReasonSecretMissing      = "SecretMissing"
	ReasonDependencyMissing  = "DependencyMissing"
	ReasonDependencyNotReady = "DependencyNotReady"
	ReasonInvalidSpec        = "InvalidSpec"
	ReasonValidationFailed   = "ValidationFailed"
	ReasonProviderError      = "ProviderError"
	ReasonRunning            = "Running"
	ReasonFailed             = "Failed"
	ReasonWaiting            = "Waiting"
)

// commonStatus builds the status block every kind carries, with a Ready
// condition that keeps its lastTransitionTime while its status is unchanged,
// so that repeating a sync yields the same bytes.
func commonStatus(prev v1.CommonStatus, st v1.StatusType, reason, detail string, generation int64, now time.Time) v1.CommonStatus {
	cond := metav1.Condition{
		Type:               v1.ConditionReady,
		Status:             conditionStatus(st),
		ObservedGeneration: generation,
		Reason:             reason,
		Message:            detail,
		LastTransitionTime: metav1.NewTime(now.UTC().Truncate(time.Second)),
	}
	for _, c := range prev.Conditions {
		if c.Type == v1.ConditionReady && c.Status == cond.Status && !c.LastTransitionTime.IsZero() {
			cond.LastTransitionTime = c.LastTransitionTime
		}
	}
	return v1.CommonStatus{
		Ready:        st == v1.StatusReady,
		Status:       st,
		StatusDetail: detail,
		Conditions:   []metav1.Condition{cond},
	}
}

// enterPhase records a transition to p at time at; re-entering the current
// phase records nothing. The history's backing array is never shared with
// the request's.
func enterPhase(phase *v1.Phase, history *[]v1.PhaseTransition, p v1.Phase, at time.Time) {
	if *phase == p && len(*history) > 0 {
		return
	}
	*phase = p
	*history = append(slices.Clip(*history), v1.PhaseTransition{Phase: p, TransitionTime: metav1.NewMicroTime(at.UTC())})
}

// startPhases records the first phase of a run at its creation time (now for
// an object without one), so the first transition is deterministic.
func startPhases(phase *v1.Phase, history *[]v1.PhaseTransition, first v1.Phase, created metav1.Time, now time.Time) {
	if len(*history) > 0 {
		return
	}
	at := created.Time
	if at.IsZero() {
		at = now
	}
	enterPhase(phase, history, first, at)
}

func conditionStatus(st v1.StatusType) metav1.ConditionStatus {
	switch st {
	case v1.StatusReady:
		return metav1.ConditionTrue
	case v1.StatusError:
		return metav1.ConditionFalse
	default:
		return metav1.ConditionUnknown
	}
}
