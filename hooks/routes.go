package hooks

import (
	"log/slog"
	"net/http"
	"time"
)

// Route is one hook endpoint: POST Path.
type Route struct {
	// Path is the URL path, e.g. /sync/taskrun.
	Path string
	// Handler serves the hook.
	Handler http.Handler
}

// Routes lists every hook endpoint, each adapted by Serve. The paths match the
// CompositeControllers in metacontroller/.
func (h *Hooks) Routes(obs Observer, logger *slog.Logger) []Route {
	if logger == nil {
		logger = h.log
	}
	r := routeBuilder{obs: obs, log: logger, now: h.deps.Now}
	return []Route{
		route(r, "/sync/llm", h.SyncLLM),
		route(r, "/customize/llm", h.CustomizeLLM),
		route(r, "/sync/agent", h.SyncAgent),
		route(r, "/customize/agent", h.CustomizeAgent),
		route(r, "/sync/tool", h.SyncTool),
		route(r, "/customize/tool", h.CustomizeTool),
		route(r, "/sync/toolset", h.SyncToolSet),
		route(r, "/sync/contactchannel", h.SyncContactChannel),
		route(r, "/customize/contactchannel", h.CustomizeContactChannel),
		route(r, "/sync/task", h.SyncTask),
		route(r, "/customize/task", h.CustomizeTask),
		route(r, "/sync/taskrun", h.SyncTaskRun),
		route(r, "/customize/taskrun", h.CustomizeTaskRun),
		route(r, "/sync/taskruntoolcall", h.SyncTaskRunToolCall),
		route(r, "/customize/taskruntoolcall", h.CustomizeTaskRunToolCall),
	}
}

type routeBuilder struct {
	obs Observer
	log *slog.Logger
	now func() time.Time
}

func route[Req, Resp any](b routeBuilder, path string, h HookFunc[Req, Resp]) Route {
	return Route{Path: path, Handler: Serve(h, ServeOptions{Route: path[1:], Logger: b.log, Observer: b.obs, Now: b.now})}
}
