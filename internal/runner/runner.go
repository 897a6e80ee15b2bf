package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultWorkers is Metacontroller's --workers default: parents of one
// controller synced in parallel.
const DefaultWorkers = 5

// DefaultMaxSyncs bounds one Run when Options.MaxSyncs is zero.
const DefaultMaxSyncs = 10000

// ErrMaxSyncs is returned by Run when it stopped after Options.MaxSyncs syncs.
var ErrMaxSyncs = errors.New("runner: too many syncs")

// Options configures a Runner.
type Options struct {
	// Controllers are the CompositeControllers to emulate (see LoadControllers).
	Controllers []Controller
	// Hooks serves every hook path the controllers name; it is called
	// in-process with the request Metacontroller would send.
	Hooks http.Handler
	// Resources maps kinds to resources and apiVersions, for every kind that
	// is applied, a parent, a child or related.
	Resources []Resource
	// Clock is the virtual clock; nil means one starting now.
	Clock *Clock
	// Stale emulates Metacontroller's informer lag and repeated calls: a sync
	// caused by a child event sees the parent's status as it was before its
	// most recent status write (and is followed by a sync that sees it
	// current), and every sync calls the sync hook twice with the same
	// request bytes, applying each response against the same observed children.
	Stale bool
	// Workers is how many parents of one controller sync in parallel;
	// DefaultWorkers when zero. One parent never syncs twice at the same time.
	Workers int
	// MaxSyncs bounds the syncs of one Run; DefaultMaxSyncs when zero.
	MaxSyncs int
	// Horizon bounds how far one Run moves the clock forward: a resync or
	// retry due later stays queued and Run returns as if quiet. Zero means no
	// bound (a parent that always fails or always asks for a resync then
	// keeps Run going until MaxSyncs).
	Horizon time.Duration
	// OnEvent, if set, observes status writes, child creates, updates and
	// deletes, deletions and sync errors, in causal order: an event is
	// reported before the syncs it causes start. Calls are serialized, so
	// OnEvent must not call Delete.
	OnEvent func(Event)
	// Logger receives debug and warning lines; nil means slog.Default().
	Logger *slog.Logger
}

// EventType says what an Event reports.
type EventType string

// The events a Runner reports.
const (
	// EventStatusWritten: a parent's status was written (Status holds it).
	EventStatusWritten EventType = "StatusWritten"
	// EventChildCreated: a controller created a child.
	EventChildCreated EventType = "ChildCreated"
	// EventChildUpdated: a controller updated a child in place.
	EventChildUpdated EventType = "ChildUpdated"
	// EventChildDeleted: a controller deleted a child (no longer desired, or Recreate).
	EventChildDeleted EventType = "ChildDeleted"
	// EventDeleted: an object was deleted by Delete or by garbage collection.
	EventDeleted EventType = "Deleted"
	// EventSyncError: a hook call failed (Path, Code, Reason) or applying its
	// response failed (Reason); the parent is retried.
	EventSyncError EventType = "SyncError"
)

// Event is one thing that happened during a Run.
type Event struct {
	// Type says what happened.
	Type EventType
	// Time is the virtual clock's time.
	Time time.Time
	// Controller is the CompositeController that acted; empty for EventDeleted.
	Controller string
	// Kind, Namespace and Name identify the object: the parent for status
	// writes and sync errors, the child for child events.
	Kind, Namespace, Name string
	// Status is the new status of an EventStatusWritten.
	Status json.RawMessage
	// Path is the hook that failed, for an EventSyncError of a hook call.
	Path string
	// Code is the HTTP status of a failed hook call; 0 for a timeout or a panic.
	Code int
	// Reason is the failure's short reason (the hook's response body).
	Reason string
}

// Stats counts what a Runner did, including what the equivalent real
// Metacontroller would have asked of the API server.
type Stats struct {
	// Syncs is the number of parent syncs (with Stale, each calls the sync hook twice).
	Syncs int
	// HookCalls counts hook calls by path, failed calls included.
	HookCalls map[string]int
	// HookErrors counts failed hook calls (non-200, timeout, panic, bad JSON).
	HookErrors int
	// ChildCreates, ChildUpdates and ChildDeletes count the requests sent,
	// including those answered AlreadyExists, NotFound or Conflict.
	ChildCreates, ChildUpdates, ChildDeletes int
	// StatusGets counts the fresh GETs that precede every status write attempt.
	StatusGets int
	// StatusWrites counts UpdateStatus calls (only when the status differs).
	StatusWrites int
	// APIRequests is ChildCreates + ChildUpdates + ChildDeletes + StatusGets + StatusWrites.
	APIRequests int
}

// controller is a Controller resolved against the resource table.
type controller struct {
	Controller
	index      int
	parent     Resource
	children   []childType
	childKinds map[string]bool
	object     map[string]any // the request's `controller`
}

type childType struct {
	res    Resource
	method UpdateMethod
}

// Runner is an in-memory API server plus an emulation of Metacontroller
// v4.17.2 driving CompositeController hooks. Apply and Delete change objects
// (and queue the parents that care); Run syncs until quiet.
type Runner struct {
	opts      Options
	log       *slog.Logger
	clock     *Clock
	store     *store
	queue     *queue
	ctls      []*controller
	kinds     map[string]Resource // by kind
	resources map[string]Resource // by apiVersion/resource

	runMu sync.Mutex // one Run at a time

	customMu   sync.Mutex
	customized map[customizeKey]customizeEntry

	statsMu sync.Mutex
	stats   Stats

	eventMu sync.Mutex
}

// New checks the controllers against the resource table and returns a
// Runner with an empty store.
func New(opts Options) (*Runner, error) {
	if opts.Hooks == nil {
		return nil, errors.New("runner: Options.Hooks is nil")
	}
	if opts.Workers <= 0 {
		opts.Workers = DefaultWorkers
	}
	if opts.MaxSyncs <= 0 {
		opts.MaxSyncs = DefaultMaxSyncs
	}
	if opts.Clock == nil {
		opts.Clock = NewClock(time.Now().UTC().Truncate(time.Second))
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	r := &Runner{
		opts:       opts,
		log:        opts.Logger,
		clock:      opts.Clock,
		store:      newStore(opts.Clock),
		kinds:      map[string]Resource{},
		resources:  map[string]Resource{},
		customized: map[customizeKey]customizeEntry{},
		stats:      Stats{HookCalls: map[string]int{}},
	}
	for _, res := range opts.Resources {
		if res.Kind == "" || res.Resource == "" || res.APIVersion == "" {
			return nil, fmt.Errorf("runner: resource %+v needs kind, resource and apiVersion", res)
		}
		if _, dup := r.kinds[res.Kind]; dup {
			return nil, fmt.Errorf("runner: kind %s listed twice", res.Kind)
		}
		r.kinds[res.Kind] = res
		r.resources[res.APIVersion+"/"+res.Resource] = res
	}
	names := map[string]bool{}
	for i, c := range opts.Controllers {
		if names[c.Name] {
			return nil, fmt.Errorf("runner: controller %s listed twice", c.Name)
		}
		names[c.Name] = true
		parent, ok := r.resources[c.Parent.APIVersion+"/"+c.Parent.Resource]
		if !ok {
			return nil, fmt.Errorf("runner: controller %s: unknown parent resource %s %s", c.Name, c.Parent.APIVersion, c.Parent.Resource)
		}
		ctl := &controller{Controller: c, index: i, parent: parent, childKinds: map[string]bool{}}
		for _, ch := range c.Children {
			res, ok := r.resources[ch.APIVersion+"/"+ch.Resource]
			if !ok {
				return nil, fmt.Errorf("runner: controller %s: unknown child resource %s %s", c.Name, ch.APIVersion, ch.Resource)
			}
			ctl.children = append(ctl.children, childType{res: res, method: ch.UpdateMethod})
			ctl.childKinds[res.Kind] = true
		}
		ctl.object = controllerObject(c, i, r.clock.Now())
		r.ctls = append(r.ctls, ctl)
	}
	r.queue = newQueue(len(r.ctls))
	return r, nil
}

// controllerObject is the CompositeController as Metacontroller sends it:
// with the API server's metadata, the CRD's defaults and an empty status.
func controllerObject(c Controller, i int, now time.Time) map[string]any {
	obj, _ := deepCopy(c.object).(map[string]any)
	if obj == nil {
		obj = map[string]any{"apiVersion": "metacontroller.k8s.io/v1alpha1", "kind": "CompositeController", "spec": map[string]any{}}
	}
	o := Object(obj)
	m := o.ensureMeta()
	m["name"] = c.Name
	m["uid"] = fmt.Sprintf("00000000-0000-4000-9000-%012d", i+1)
	m["resourceVersion"] = "1"
	m["generation"] = float64(1)
	m["creationTimestamp"] = now.UTC().Format(time.RFC3339)
	if spec, ok := obj["spec"].(map[string]any); ok {
		children, _ := spec["childResources"].([]any)
		for _, ch := range children {
			if us, ok := ch.(map[string]any)["updateStrategy"].(map[string]any); ok && us["statusChecks"] == nil {
				us["statusChecks"] = map[string]any{}
			}
		}
		if hooks, ok := spec["hooks"].(map[string]any); ok {
			for _, h := range hooks {
				if hook, ok := h.(map[string]any); ok && hook["version"] == nil {
					hook["version"] = "v1"
				}
			}
		}
	}
	obj["status"] = map[string]any{}
	return obj
}

// Clock returns the runner's virtual clock.
func (r *Runner) Clock() *Clock { return r.clock }

// Apply creates or updates objects like kubectl apply: a new object gets a
// uid, resourceVersion, creationTimestamp, generation 1 and the namespace
// "default" when it names none; an update replaces everything but status and
// system metadata, bumping generation when anything outside metadata
// changed. Status is never applied (status subresource). Each change queues
// the parents that watch the object.
func (r *Runner) Apply(objs ...Object) error {
	for _, in := range objs {
		var obj Object
		if err := normalize(in, &obj); err != nil {
			return fmt.Errorf("apply: %w", err)
		}
		if res, ok := r.kinds[obj.Kind()]; !ok || res.APIVersion != obj.APIVersion() {
			return fmt.Errorf("apply %s %s: kind not in Options.Resources", obj.APIVersion(), obj.Kind())
		}
		if obj.Name() == "" {
			return fmt.Errorf("apply %s: metadata.name is empty", obj.Kind())
		}
		m := obj.ensureMeta()
		if obj.Namespace() == "" {
			m["namespace"] = "default"
		}
		delete(m, "resourceVersion")
		old, exists := r.store.get(obj.Kind(), obj.Namespace(), obj.Name())
		var (
			ch      change
			changed bool
			err     error
		)
		if exists {
			if _, ok := m["ownerReferences"]; !ok {
				if refs, ok := old.meta()["ownerReferences"]; ok {
					m["ownerReferences"] = refs
				}
			}
			ch, changed, err = r.store.update(obj)
		} else {
			ch, err = r.store.create(obj)
			changed = err == nil
		}
		if err != nil {
			return fmt.Errorf("apply %s %s/%s: %w", obj.Kind(), obj.Namespace(), obj.Name(), err)
		}
		if changed {
			r.notify(ch)
		}
	}
	return nil
}

// Delete deletes an object and, like the garbage collector, everything it
// owns (recursively, through ownerReferences).
func (r *Runner) Delete(kind, namespace, name string) error {
	changes, err := r.store.delete(kind, namespace, name, "")
	if err != nil {
		return fmt.Errorf("delete %s %s/%s: %w", kind, namespace, name, err)
	}
	r.deleted("", changes)
	return nil
}

// deleted reports deletions: the first as typ (unless empty), the cascade as EventDeleted.
func (r *Runner) deleted(ctl string, changes []change, typ ...EventType) {
	for i, ch := range changes {
		e := Event{Type: EventDeleted, Kind: ch.old.Kind(), Namespace: ch.old.Namespace(), Name: ch.old.Name()}
		if i == 0 && len(typ) > 0 {
			e.Type, e.Controller = typ[0], ctl
		}
		r.emit(e)
		r.notify(ch)
	}
}

// Get returns a copy of an object.
func (r *Runner) Get(kind, namespace, name string) (Object, bool) {
	return r.store.get(kind, namespace, name)
}

// List returns copies of every object of a kind, sorted by namespace and name.
func (r *Runner) List(kind string) []Object { return r.store.list(kind, "", nil) }

// Stats returns the counters so far.
func (r *Runner) Stats() Stats {
	r.statsMu.Lock()
	defer r.statsMu.Unlock()
	s := r.stats
	s.HookCalls = maps.Clone(r.stats.HookCalls)
	return s
}

func (r *Runner) count(f func(*Stats)) {
	r.statsMu.Lock()
	defer r.statsMu.Unlock()
	f(&r.stats)
	s := &r.stats
	s.APIRequests = s.ChildCreates + s.ChildUpdates + s.ChildDeletes + s.StatusGets + s.StatusWrites
}

func (r *Runner) emit(e Event) {
	if r.opts.OnEvent == nil {
		return
	}
	e.Time = r.clock.Now()
	r.eventMu.Lock()
	defer r.eventMu.Unlock()
	r.opts.OnEvent(e)
}

// Run syncs queued parents, Workers per controller in parallel, until until
// (checked after every sync, before the next starts; nil means never)
// returns true, nothing is left to do, ctx ends (its error is returned) or
// MaxSyncs syncs were done (ErrMaxSyncs). When nothing is ready but a resync
// or retry is waiting, the clock jumps to it (within Options.Horizon).
// Parents still queued when Run returns stay queued for the next Run.
func (r *Runner) Run(ctx context.Context, until func(*Runner) bool) error {
	r.runMu.Lock()
	defer r.runMu.Unlock()
	start := r.Stats().Syncs
	horizon := time.Time{}
	if r.opts.Horizon > 0 {
		horizon = r.clock.Now().Add(r.opts.Horizon)
	}
	q := r.queue
	q.setStopped(false)
	var wg sync.WaitGroup
	var (
		untilMu  sync.Mutex
		untilMet atomic.Bool
	)
	// holds evaluates until, one call at a time; once it holds, no new sync starts.
	holds := func() bool {
		if until == nil {
			return false
		}
		untilMu.Lock()
		defer untilMu.Unlock()
		if untilMet.Load() || until(r) {
			untilMet.Store(true)
			q.setStopped(true)
		}
		return untilMet.Load()
	}
	for _, c := range r.ctls {
		for range r.opts.Workers {
			wg.Go(func() { r.work(ctx, c.index, holds) })
		}
	}
	defer func() {
		q.setStopped(true)
		wg.Wait()
	}()
	stopWake := context.AfterFunc(ctx, q.wake)
	defer stopWake()

	seen := -1
	for {
		if holds() {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if r.Stats().Syncs-start >= r.opts.MaxSyncs {
			return fmt.Errorf("%w: %d", ErrMaxSyncs, r.opts.MaxSyncs)
		}
		quiet := false
		q.mu.Lock()
		for {
			q.promoteLocked(r.clock.Now())
			if q.done != seen || ctx.Err() != nil {
				seen = q.done
				break
			}
			if q.idleLocked() {
				next, ok := q.nextWaitingLocked()
				if !ok || (!horizon.IsZero() && next.After(horizon)) {
					quiet = true
					break
				}
				r.clock.advanceTo(next)
				continue
			}
			q.cond.Wait()
		}
		q.mu.Unlock()
		if quiet {
			return nil
		}
	}
}

// work processes controller ctl's parents until the queue stops, checking
// Run's condition after each sync so that none starts once it holds.
func (r *Runner) work(ctx context.Context, ctl int, holds func() bool) {
	for {
		k, byChild, ok := r.queue.get(ctl)
		if !ok {
			return
		}
		r.process(ctx, k, byChild)
		holds()
		r.queue.finish(k)
	}
}
