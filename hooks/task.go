package hooks

import (
	"context"
	"fmt"

	v1 "github.com/humanlayer/kubechain/api/v1alpha1"
)

// TaskChildren are the observed children of a Task.
type TaskChildren struct {
	// TaskRuns are the Task's runs, by name.
	TaskRuns map[string]v1.TaskRun `json:"TaskRun.kubechain.humanlayer.dev/v1alpha1"`
}

// TaskRelated are the objects CustomizeTask asks for.
type TaskRelated struct {
	Agents map[string]v1.Agent `json:"Agent.kubechain.humanlayer.dev/v1alpha1"`
	LLMs   map[string]v1.LLM   `json:"LLM.kubechain.humanlayer.dev/v1alpha1"`
}

// TaskSyncRequest is the sync request of a Task.
type TaskSyncRequest = SyncRequest[v1.Task, TaskChildren, TaskRelated]

// TaskSyncResponse is the sync response of a Task.
type TaskSyncResponse = SyncResponse[v1.TaskStatus]

// taskRunChild is a desired TaskRun, emitted without status.
type taskRunChild struct {
	APIVersion string         `json:"apiVersion"`
	Kind       string         `json:"kind"`
	Metadata   ChildMeta      `json:"metadata"`
	Spec       v1.TaskRunSpec `json:"spec"`
}

// CustomizeTask asks for the Task's agent and the namespace's LLMs: the Task
// resolves agent → LLM → API-key Secret to annotate the TaskRun it creates.
func (h *Hooks) CustomizeTask(_ context.Context, req *CustomizeRequest[v1.Task]) (*CustomizeResponse, error) {
	return &CustomizeResponse{RelatedResources: []RelatedResourceRule{
		{APIVersion: v1.APIVersion, Resource: "agents", Names: []string{req.Parent.Spec.AgentRef.Name}},
		{APIVersion: v1.APIVersion, Resource: "llms", LabelSelector: everything},
	}}, nil
}

// SyncTask starts the Task's TaskRun (once the Task is launched and its agent
// is Ready) and mirrors the run's phase, output and error.
func (h *Hooks) SyncTask(_ context.Context, req *TaskSyncRequest) (*TaskSyncResponse, error) {
	task := &req.Parent
	now := h.deps.Now()
	children := make([]any, 0, len(req.Children.TaskRuns)+1)
	for _, name := range sortedKeys(req.Children.TaskRuns) {
		children = append(children, observedTaskRunChild(name, req.Children.TaskRuns[name]))
	}
	st := v1.TaskStatus{}
	finish := func(s v1.StatusType, reason, detail string) (*TaskSyncResponse, error) {
		st.CommonStatus = commonStatus(task.Status.CommonStatus, s, reason, detail, task.Generation, now)
		return &TaskSyncResponse{Status: st, Children: children}, nil
	}

	name := taskRunName(task.Name)
	run, exists := req.Children.TaskRuns[name]
	if !exists {
		if !task.Spec.LaunchImmediately {
			return finish(v1.StatusPending, ReasonWaiting, "not launched: set spec.launchImmediately to true to start a run")
		}
		agent, llm, p := resolveAgentLLM(task.Spec.AgentRef.Name, req.Related.Agents, req.Related.LLMs)
		if p != nil {
			return finish(p.status, p.reason, p.detail)
		}
		children = append(children, newTaskRunChild(name, agent, llm, taskRunSpecFor(task), task.Name))
		st.Phase = v1.TaskRunPhasePending
		st.TaskRunRef = &v1.LocalObjectReference{Name: name}
		// The same detail the mirror reports for a run without status yet, so
		// the next sync does not rewrite the Task's status.
		return finish(v1.StatusPending, ReasonRunning, fmt.Sprintf("TaskRun %s is %s", name, v1.TaskRunPhasePending))
	}

	st.TaskRunRef = &v1.LocalObjectReference{Name: name}
	st.Phase = run.Status.Phase
	if st.Phase == "" {
		st.Phase = v1.TaskRunPhasePending
	}
	st.Output = run.Status.Output
	st.Error = run.Status.Error
	switch run.Status.Phase {
	case v1.TaskRunPhaseFinalAnswer:
		return finish(v1.StatusReady, ReasonReady, "final answer")
	case v1.TaskRunPhaseFailed:
		return finish(v1.StatusError, ReasonFailed, run.Status.Error)
	}
	detail := run.Status.StatusDetail
	if detail == "" {
		detail = fmt.Sprintf("TaskRun %s is %s", name, st.Phase)
	}
	reason := ReasonRunning
	if run.Status.Status == v1.StatusError {
		reason = ReasonDependencyMissing
	}
	return finish(v1.StatusPending, reason, detail)
}

func taskRunSpecFor(task *v1.Task) v1.TaskRunSpec {
	return v1.TaskRunSpec{
		TaskRef:  &v1.LocalObjectReference{Name: task.Name},
		AgentRef: task.Spec.AgentRef,
		Input:    task.Spec.Input,
	}
}

// newTaskRunChild builds a TaskRun for agent, annotated with the Secret its
// customize hook must ask for.
func newTaskRunChild(name string, agent *v1.Agent, llm *v1.LLM, spec v1.TaskRunSpec, task string) taskRunChild {
	labels := map[string]string{}
	setLabel(labels, LabelAgent, agent.Name)
	if task != "" {
		setLabel(labels, LabelTask, task)
	}
	return taskRunChild{
		APIVersion: v1.APIVersion,
		Kind:       "TaskRun",
		Metadata: ChildMeta{
			Name:        name,
			Labels:      labels,
			Annotations: map[string]string{AnnotationLLMSecret: llm.Spec.APIKeyFrom.SecretKeyRef.Name},
		},
		Spec: spec,
	}
}

// observedTaskRunChild re-emits an existing TaskRun so it is kept.
func observedTaskRunChild(name string, tr v1.TaskRun) taskRunChild {
	var ann map[string]string
	if s, ok := tr.Annotations[AnnotationLLMSecret]; ok {
		ann = map[string]string{AnnotationLLMSecret: s}
	}
	return taskRunChild{APIVersion: v1.APIVersion, Kind: "TaskRun", Metadata: ChildMeta{Name: name, Labels: ourLabels(tr.Labels), Annotations: ann}, Spec: tr.Spec}
}
