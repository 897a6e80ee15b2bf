package runner

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// Metacontroller's child bookkeeping.
const (
	// labelControllerUID selects a parent's children (generateSelector: true).
	labelControllerUID = "controller-uid"
	// annotationLastApplied holds the child as the hook last returned it.
	annotationLastApplied = "metacontroller.k8s.io/last-applied-configuration"
)

// maxReasonBytes caps the hook response body kept as an event's reason.
const maxReasonBytes = 300

// syncRequest is the body of a sync call (hook version v1).
type syncRequest struct {
	Controller map[string]any               `json:"controller"`
	Parent     Object                       `json:"parent"`
	Children   map[string]map[string]Object `json:"children"`
	Related    map[string]map[string]Object `json:"related"`
	Finalizing bool                         `json:"finalizing"`
}

// syncResponse is a sync hook's answer, decoded loosely like v1.
type syncResponse struct {
	Status             map[string]any `json:"status"`
	Children           []Object       `json:"children"`
	ResyncAfterSeconds float64        `json:"resyncAfterSeconds"`
	Finalized          bool           `json:"finalized"`
}

// customizeRequest is the body of a customize call.
type customizeRequest struct {
	Controller map[string]any `json:"controller"`
	Parent     Object         `json:"parent"`
}

// customizeResponse is a customize hook's answer.
type customizeResponse struct {
	RelatedResources []struct {
		APIVersion    string                `json:"apiVersion"`
		Resource      string                `json:"resource"`
		Names         []string              `json:"names"`
		Namespace     string                `json:"namespace"`
		LabelSelector *metav1.LabelSelector `json:"labelSelector"`
	} `json:"relatedResources"`
}

// relatedRule is one resolved related-resource rule.
type relatedRule struct {
	res      Resource
	byNames  bool
	names    []string
	selector labels.Selector
}

func (rr relatedRule) matches(o Object) bool {
	if o.Kind() != rr.res.Kind {
		return false
	}
	if rr.byNames {
		return len(rr.names) == 0 || slices.Contains(rr.names, o.Name())
	}
	return rr.selector.Matches(labels.Set(o.Labels()))
}

type customizeKey struct {
	ctl int
	uid string
}

// customizeEntry is a cached customize response: Metacontroller asks again
// only when the parent's generation moves.
type customizeEntry struct {
	generation      int64
	namespace, name string
	rules           []relatedRule
}

// syncError is a failed sync: a hook call that failed (path set) or a
// response that could not be applied.
type syncError struct {
	path        string
	code        int
	reason      string
	rateLimited bool          // HTTP 429
	retryAfter  time.Duration // with rateLimited
}

func (e *syncError) Error() string {
	switch {
	case e.path == "":
		return e.reason
	case e.code != 0:
		return fmt.Sprintf("hook %s: HTTP %d: %s", e.path, e.code, e.reason)
	default:
		return fmt.Sprintf("hook %s: %s", e.path, e.reason)
	}
}

// process syncs one queued parent and schedules what follows: nothing after
// a success, a retry after Retry-After for a 429, a backoff otherwise.
func (r *Runner) process(ctx context.Context, k queueKey, byChild bool) {
	c := r.ctls[k.ctl]
	parent, ok := r.store.get(c.parent.Kind, k.namespace, k.name)
	if !ok {
		r.queue.forget(k)
		return
	}
	r.count(func(s *Stats) { s.Syncs++ })
	view, stale := parent, false
	if byChild && r.opts.Stale {
		view, stale = r.store.staleView(parent)
	}
	err := r.sync(ctx, k, c, view)
	if stale {
		// The informer catches up: the status write is delivered after the child event.
		r.queue.add(k, false)
	}
	if err == nil {
		r.queue.forget(k)
		return
	}
	if ctx.Err() != nil { // Run is ending: retry in the next Run, without counting a failure.
		r.queue.add(k, false)
		return
	}
	e := &syncError{reason: err.Error()}
	errors.As(err, &e)
	r.emit(Event{Type: EventSyncError, Controller: c.Name, Kind: c.parent.Kind, Namespace: k.namespace, Name: k.name, Path: e.path, Code: e.code, Reason: e.reason})
	if e.rateLimited {
		r.log.Info("hook rate limited, retrying", "controller", c.Name, "parent", k.name, "namespace", k.namespace, "retryAfter", e.retryAfter)
		r.queue.forget(k)
		if e.retryAfter <= 0 {
			r.queue.add(k, false)
		} else {
			r.queue.addAt(k, r.clock.Now().Add(e.retryAfter))
		}
		return
	}
	delay := r.queue.backoff(k)
	r.log.Warn("sync failed, backing off", "controller", c.Name, "parent", k.name, "namespace", k.namespace, "delay", delay, "err", err)
	r.queue.addAt(k, r.clock.Now().Add(delay))
}

// sync is one Metacontroller sync of parent: customize (cached), sync hook,
// children, then status. With Options.Stale the sync hook is called twice
// with the same bytes and each response is applied.
func (r *Runner) sync(ctx context.Context, k queueKey, c *controller, parent Object) error {
	related, err := r.relatedObjects(ctx, c, parent)
	if err != nil {
		return err
	}
	observed := r.observedChildren(c, parent)
	body, err := json.Marshal(syncRequest{Controller: c.object, Parent: parent, Children: observed, Related: related})
	if err != nil {
		return err
	}
	rounds := 1
	if r.opts.Stale {
		rounds = 2
	}
	var errs []error
	for range rounds {
		var resp syncResponse
		if err := r.callHook(ctx, c.Sync, body, &resp); err != nil {
			return errors.Join(append(errs, err)...)
		}
		if resp.ResyncAfterSeconds > 0 {
			d := time.Duration(resp.ResyncAfterSeconds * float64(time.Second))
			r.queue.addAt(k, r.clock.Now().Add(d))
		}
		desired, err := r.desiredChildren(c, parent, resp.Children)
		if err != nil {
			return errors.Join(append(errs, err)...)
		}
		if err := r.manageChildren(c, parent, observed, desired); err != nil {
			errs = append(errs, err)
		}
		r.writeStatus(c, parent, resp.Status)
	}
	return errors.Join(errs...)
}

// callHook POSTs body to a hook and decodes its 200 answer into out.
func (r *Runner) callHook(ctx context.Context, hook Webhook, body []byte, out any) error {
	r.count(func(s *Stats) { s.HookCalls[hook.Path]++ })
	resp, err := r.roundTrip(ctx, hook, body)
	if err == nil {
		err = decodeHookResponse(hook.Path, resp, out, r.clock.Now())
	}
	if err != nil {
		r.count(func(s *Stats) { s.HookErrors++ })
	}
	return err
}

// roundTrip calls the hook handler in-process with the request
// Metacontroller's HTTP client would send, within the hook's timeout.
func (r *Runner) roundTrip(ctx context.Context, hook Webhook, body []byte) (*http.Response, error) {
	ctx, cancel := context.WithTimeout(ctx, hook.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://hookserver"+hook.Path, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.RequestURI = hook.Path
	req.RemoteAddr = "127.0.0.1:40000"
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept-Encoding", "gzip")
	req.Header.Set("User-Agent", "Go-http-client/1.1")
	req.Header.Set("Content-Length", strconv.Itoa(len(body)))

	rec := httptest.NewRecorder()
	done := make(chan any, 1)
	go func() {
		defer func() { done <- recover() }()
		r.opts.Hooks.ServeHTTP(rec, req)
	}()
	select {
	case p := <-done:
		if p != nil {
			return nil, &syncError{path: hook.Path, reason: fmt.Sprintf("http error: connection reset (handler panicked: %v)", p)}
		}
		return rec.Result(), nil
	case <-ctx.Done():
		if ctx.Err() == context.DeadlineExceeded {
			return nil, &syncError{path: hook.Path, reason: fmt.Sprintf("http error: timeout after %s", hook.Timeout)}
		}
		return nil, ctx.Err()
	}
}

// decodeHookResponse turns a hook's HTTP answer into out or a syncError the
// way Metacontroller's webhook client does.
func decodeHookResponse(path string, resp *http.Response, out any, now time.Time) error {
	var rd io.Reader = resp.Body
	if resp.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(resp.Body)
		if err != nil {
			return &syncError{path: path, code: resp.StatusCode, reason: "can't read response body: " + err.Error()}
		}
		rd = zr
	}
	data, err := io.ReadAll(rd)
	if err != nil {
		return &syncError{path: path, code: resp.StatusCode, reason: "can't read response body: " + err.Error()}
	}
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusTooManyRequests:
		return &syncError{path: path, code: resp.StatusCode, reason: reason(data), rateLimited: true, retryAfter: retryAfter(resp.Header.Get("Retry-After"), now)}
	default:
		return &syncError{path: path, code: resp.StatusCode, reason: reason(data)}
	}
	if err := json.Unmarshal(data, out); err != nil {
		return &syncError{path: path, code: resp.StatusCode, reason: "can't unmarshal hook response: " + err.Error()}
	}
	return nil
}

// retryAfter reads a Retry-After header as Metacontroller does: an HTTP
// date (measured against now) or else a number of seconds.
func retryAfter(h string, now time.Time) time.Duration {
	if at, err := http.ParseTime(h); err == nil {
		return time.Duration(math.Ceil(at.Sub(now).Seconds())) * time.Second
	}
	secs, _ := strconv.Atoi(strings.TrimSpace(h))
	return time.Duration(secs) * time.Second
}

func reason(body []byte) string {
	s := strings.TrimSpace(string(body))
	if len(s) > maxReasonBytes {
		s = strings.ToValidUTF8(s[:maxReasonBytes], "") + "..."
	}
	return s
}

// relatedObjects returns what the controller's customize hook asks for,
// grouped by type and keyed by name; {} without a customize hook.
func (r *Runner) relatedObjects(ctx context.Context, c *controller, parent Object) (map[string]map[string]Object, error) {
	related := map[string]map[string]Object{}
	if c.Customize == nil {
		return related, nil
	}
	rules, err := r.customizeRules(ctx, c, parent)
	if err != nil {
		return nil, err
	}
	for _, rule := range rules {
		group := related[rule.res.groupKey()]
		if group == nil {
			group = map[string]Object{}
			related[rule.res.groupKey()] = group
		}
		for _, o := range r.store.list(rule.res.Kind, parent.Namespace(), nil) {
			if rule.matches(o) {
				group[o.Name()] = o
			}
		}
	}
	return related, nil
}

// customizeRules returns the parent's related-resource rules, calling the
// customize hook once per parent uid and generation.
func (r *Runner) customizeRules(ctx context.Context, c *controller, parent Object) ([]relatedRule, error) {
	key := customizeKey{c.index, parent.UID()}
	r.customMu.Lock()
	entry, ok := r.customized[key]
	r.customMu.Unlock()
	if ok && entry.generation == parent.Generation() {
		return entry.rules, nil
	}
	body, err := json.Marshal(customizeRequest{Controller: c.object, Parent: parent})
	if err != nil {
		return nil, err
	}
	var resp customizeResponse
	if err := r.callHook(ctx, *c.Customize, body, &resp); err != nil {
		return nil, err
	}
	entry = customizeEntry{generation: parent.Generation(), namespace: parent.Namespace(), name: parent.Name()}
	for _, rr := range resp.RelatedResources {
		bad := func(msg string) error {
			return &syncError{path: c.Customize.Path, reason: fmt.Sprintf("related resource %s %s: %s", rr.APIVersion, rr.Resource, msg)}
		}
		res, ok := r.resources[rr.APIVersion+"/"+rr.Resource]
		if !ok {
			return nil, bad("unknown resource")
		}
		rule := relatedRule{res: res, names: rr.Names}
		switch {
		case rr.LabelSelector != nil && (len(rr.Names) > 0 || rr.Namespace != ""):
			return nil, bad("labelSelector and namespace/names are exclusive")
		case rr.Namespace != "" && rr.Namespace != parent.Namespace():
			return nil, bad("namespace differs from the parent's")
		case len(rr.Names) > 0 || rr.Namespace != "":
			rule.byNames = true
		case rr.LabelSelector == nil:
			rule.selector = labels.Everything()
		default:
			if rule.selector, err = metav1.LabelSelectorAsSelector(rr.LabelSelector); err != nil {
				return nil, bad(err.Error())
			}
		}
		entry.rules = append(entry.rules, rule)
	}
	r.customMu.Lock()
	r.customized[key] = entry
	r.customMu.Unlock()
	return entry.rules, nil
}

// observedChildren returns the parent's children of every declared type (an
// empty group for a type without any), keyed by name: objects in the
// parent's namespace labelled with its uid and controlled by it.
func (r *Runner) observedChildren(c *controller, parent Object) map[string]map[string]Object {
	sel := labels.SelectorFromSet(labels.Set{labelControllerUID: parent.UID()})
	out := map[string]map[string]Object{}
	for _, ch := range c.children {
		group := map[string]Object{}
		for _, o := range r.store.list(ch.res.Kind, parent.Namespace(), sel) {
			if ref, ok := o.controllerRef(); ok && ref.UID == parent.UID() {
				group[o.Name()] = o
			}
		}
		out[ch.res.groupKey()] = group
	}
	return out
}

// desiredChildren validates the hook's children and completes them as
// Metacontroller does (namespace, controller-uid label, no status). Unlike
// Metacontroller, a child of an undeclared type is an error: it would be
// created but never observed.
func (r *Runner) desiredChildren(c *controller, parent Object, children []Object) (map[string]map[string]Object, error) {
	declared := map[string]bool{}
	for _, ch := range c.children {
		declared[ch.res.groupKey()] = true
	}
	out := map[string]map[string]Object{}
	for i, child := range children {
		bad := func(msg string) error {
			return &syncError{reason: fmt.Sprintf("desired child %d (%s %s): %s", i, child.Kind(), child.Name(), msg)}
		}
		switch {
		case child == nil:
			return nil, bad("null")
		case child.APIVersion() == "" || child.Kind() == "" || child.Name() == "":
			return nil, bad("needs apiVersion, kind and metadata.name")
		case child.Namespace() != "" && child.Namespace() != parent.Namespace():
			return nil, bad("not in the parent's namespace")
		}
		gk := child.Kind() + "." + child.APIVersion()
		if !declared[gk] {
			return nil, bad("not a declared child type of controller " + c.Name)
		}
		obj := child.clone()
		delete(obj, "status")
		obj.ensureMeta()["namespace"] = parent.Namespace()
		lbls := obj.Labels()
		if v, ok := lbls[labelControllerUID]; ok && v != parent.UID() {
			return nil, bad("labels don't match the parent's selector")
		}
		if lbls == nil {
			lbls = map[string]string{}
		}
		lbls[labelControllerUID] = parent.UID()
		obj.setMetaMap("labels", lbls)
		if out[gk] == nil {
			out[gk] = map[string]Object{}
		}
		out[gk][obj.Name()] = obj // a later duplicate replaces an earlier one, as in Metacontroller's map
	}
	return out, nil
}

// manageChildren deletes observed children that are not desired, then
// creates missing ones and handles differing ones by update strategy.
// Failures are collected; NotFound, AlreadyExists and Conflict are ignored
// as Metacontroller does.
func (r *Runner) manageChildren(c *controller, parent Object, observed, desired map[string]map[string]Object) error {
	var errs []error
	for _, gk := range sortedKeys(observed) {
		for _, name := range sortedKeys(observed[gk]) {
			if _, ok := desired[gk][name]; ok {
				continue
			}
			r.deleteChild(c, observed[gk][name])
		}
	}
	for _, ch := range c.children {
		gk := ch.res.groupKey()
		for _, name := range sortedKeys(desired[gk]) {
			want := desired[gk][name]
			have, ok := observed[gk][name]
			if !ok {
				r.createChild(c, parent, want)
				continue
			}
			merged, err := applyUpdate(have, want)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if reflect.DeepEqual(merged, have) {
				continue
			}
			switch ch.method {
			case UpdateOnDelete:
			case UpdateRecreate:
				r.deleteChild(c, have)
			case UpdateInPlace:
				r.count(func(s *Stats) { s.ChildUpdates++ })
				change, changed, err := r.store.update(merged)
				switch {
				case errors.Is(err, errNotFound), errors.Is(err, errConflict):
					r.log.Debug("child update ignored", "controller", c.Name, "child", name, "err", err)
				case err != nil:
					errs = append(errs, err)
				case changed:
					r.emit(Event{Type: EventChildUpdated, Controller: c.Name, Kind: want.Kind(), Namespace: want.Namespace(), Name: name})
					r.notify(change)
				}
			}
		}
	}
	if len(errs) > 0 {
		return &syncError{reason: fmt.Sprintf("can't reconcile children of %s %s/%s: %v", parent.Kind(), parent.Namespace(), parent.Name(), errors.Join(errs...))}
	}
	return nil
}

// createChild creates a desired child with Metacontroller's last-applied
// annotation and a controller ownerReference to the parent. A child that
// already exists is left alone: the first object wins.
func (r *Runner) createChild(c *controller, parent Object, want Object) {
	obj := want.clone()
	applied, _ := json.Marshal(want)
	ann := obj.Annotations()
	if ann == nil {
		ann = map[string]string{}
	}
	ann[annotationLastApplied] = string(applied)
	obj.setMetaMap("annotations", ann)
	refs, _ := obj.meta()["ownerReferences"].([]any)
	obj.meta()["ownerReferences"] = append(refs, map[string]any{
		"apiVersion":         parent.APIVersion(),
		"kind":               parent.Kind(),
		"name":               parent.Name(),
		"uid":                parent.UID(),
		"controller":         true,
		"blockOwnerDeletion": true,
	})
	r.count(func(s *Stats) { s.ChildCreates++ })
	change, err := r.store.create(obj)
	if err != nil {
		r.log.Debug("child create ignored", "controller", c.Name, "kind", obj.Kind(), "child", obj.Name(), "err", err)
		return
	}
	r.emit(Event{Type: EventChildCreated, Controller: c.Name, Kind: obj.Kind(), Namespace: obj.Namespace(), Name: obj.Name()})
	r.notify(change)
	if p, ok := r.store.get(parent.Kind(), parent.Namespace(), parent.Name()); !ok || p.UID() != parent.UID() {
		// The parent was deleted during the sync: the garbage collector removes the orphan.
		if changes, err := r.store.delete(obj.Kind(), obj.Namespace(), obj.Name(), change.new.UID()); err == nil {
			r.deleted("", changes)
		}
	}
}

// deleteChild deletes a child (uid precondition, background propagation).
func (r *Runner) deleteChild(c *controller, child Object) {
	r.count(func(s *Stats) { s.ChildDeletes++ })
	changes, err := r.store.delete(child.Kind(), child.Namespace(), child.Name(), child.UID())
	if err != nil {
		r.log.Debug("child delete ignored", "controller", c.Name, "kind", child.Kind(), "child", child.Name(), "err", err)
		return
	}
	r.deleted(c.Name, changes, EventChildDeleted)
}

// applyUpdate is Metacontroller's ApplyUpdate: a 3-way merge of the desired
// child into the observed one, using the last-applied annotation to remove
// fields the hook stopped returning; system metadata and status are kept.
func applyUpdate(observed, desired Object) (Object, error) {
	var last map[string]any
	if s, ok := observed.Annotations()[annotationLastApplied]; ok {
		if err := json.Unmarshal([]byte(s), &last); err != nil {
			return nil, fmt.Errorf("child %s: bad %s annotation: %w", observed.Name(), annotationLastApplied, err)
		}
	}
	want := desired.clone()
	if ann := want.Annotations(); ann != nil {
		delete(ann, annotationLastApplied)
		want.setMetaMap("annotations", ann)
	}
	merged := Object(merge3(observed.clone(), last, want))
	m, om := merged.ensureMeta(), observed.meta()
	for _, f := range []string{"uid", "resourceVersion", "generation", "creationTimestamp", "deletionTimestamp"} {
		if v, ok := om[f]; ok {
			m[f] = v
		} else {
			delete(m, f)
		}
	}
	delete(merged, "status")
	if st, ok := observed["status"]; ok {
		merged["status"] = st
	}
	applied, err := json.Marshal(want)
	if err != nil {
		return nil, err
	}
	ann := merged.Annotations()
	if ann == nil {
		ann = map[string]string{}
	}
	ann[annotationLastApplied] = string(applied)
	merged.setMetaMap("annotations", ann)
	return merged, nil
}

// merge3 sets desired's fields in observed (maps merged recursively, other
// values replaced) and removes the fields last had that desired dropped.
func merge3(observed, last, desired map[string]any) map[string]any {
	for k, dv := range desired {
		dm, dIsMap := dv.(map[string]any)
		om, oIsMap := observed[k].(map[string]any)
		if dIsMap && oIsMap {
			lm, _ := last[k].(map[string]any)
			observed[k] = merge3(om, lm, dm)
			continue
		}
		observed[k] = deepCopy(dv)
	}
	for k := range last {
		if _, ok := desired[k]; !ok {
			delete(observed, k)
		}
	}
	return observed
}

// writeStatus is Metacontroller's updateParentStatus: inject
// observedGeneration, GET the parent, UpdateStatus only if the status differs.
func (r *Runner) writeStatus(c *controller, parent Object, status map[string]any) {
	if status == nil {
		status = map[string]any{}
	}
	status["observedGeneration"] = float64(parent.Generation())
	r.count(func(s *Stats) { s.StatusGets++ })
	change, wrote, err := r.store.updateStatus(parent.Kind(), parent.Namespace(), parent.Name(), parent.UID(), status)
	if err != nil || !wrote {
		return
	}
	r.count(func(s *Stats) { s.StatusWrites++ })
	raw, _ := json.Marshal(status)
	r.emit(Event{Type: EventStatusWritten, Controller: c.Name, Kind: parent.Kind(), Namespace: parent.Namespace(), Name: parent.Name(), Status: raw})
	r.notify(change)
}

// notify is the informers' event handlers: a change queues the parent it
// is (its own create or update), the parent that controls it (a child
// event), and the parents whose related rules match it.
func (r *Runner) notify(ch change) {
	obj := ch.new
	if obj == nil {
		obj = ch.old
	}
	kind, ns := obj.Kind(), obj.Namespace()
	for _, c := range r.ctls {
		if c.parent.Kind == kind {
			if ch.new == nil {
				r.customMu.Lock()
				delete(r.customized, customizeKey{c.index, obj.UID()})
				r.customMu.Unlock()
			} else {
				r.queue.add(queueKey{c.index, ns, obj.Name()}, false)
			}
		}
		if c.childKinds[kind] {
			if ref, ok := obj.controllerRef(); ok && ref.Kind == c.parent.Kind && group(ref.APIVersion) == group(c.parent.APIVersion) {
				if p, ok := r.store.get(c.parent.Kind, ns, ref.Name); ok && p.UID() == ref.UID {
					r.queue.add(queueKey{c.index, ns, ref.Name}, true)
				}
			}
		}
		if c.Customize != nil {
			for _, name := range r.relatedParents(c.index, ns, ch) {
				r.queue.add(queueKey{c.index, ns, name}, false)
			}
		}
	}
}

// relatedParents returns the parents of controller ctl in namespace ns whose
// cached related rules match the changed object, before or after the change.
func (r *Runner) relatedParents(ctl int, ns string, ch change) []string {
	r.customMu.Lock()
	defer r.customMu.Unlock()
	var names []string
	for key, entry := range r.customized {
		if key.ctl != ctl || entry.namespace != ns {
			continue
		}
		if slices.ContainsFunc(entry.rules, func(rule relatedRule) bool {
			return (ch.old != nil && rule.matches(ch.old)) || (ch.new != nil && rule.matches(ch.new))
		}) {
			names = append(names, entry.name)
		}
	}
	slices.Sort(names)
	return names
}
