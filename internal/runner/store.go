package runner

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/labels"
)

// Object is one Kubernetes object as decoded JSON (unstructured). Nested
// values are map[string]any, []any, string, float64, bool or nil, so that an
// Object survives a JSON round trip unchanged.
type Object map[string]any

// APIVersion returns the object's apiVersion.
func (o Object) APIVersion() string { s, _ := o["apiVersion"].(string); return s }

// Kind returns the object's kind.
func (o Object) Kind() string { s, _ := o["kind"].(string); return s }

// Name returns metadata.name.
func (o Object) Name() string { return o.metaString("name") }

// Namespace returns metadata.namespace.
func (o Object) Namespace() string { return o.metaString("namespace") }

// UID returns metadata.uid.
func (o Object) UID() string { return o.metaString("uid") }

// Generation returns metadata.generation (0 when absent).
func (o Object) Generation() int64 { f, _ := o.meta()["generation"].(float64); return int64(f) }

// Labels returns metadata.labels.
func (o Object) Labels() map[string]string { return o.stringMap("labels") }

// Annotations returns metadata.annotations.
func (o Object) Annotations() map[string]string { return o.stringMap("annotations") }

// Status returns .status, nil when absent.
func (o Object) Status() map[string]any { m, _ := o["status"].(map[string]any); return m }

func (o Object) meta() map[string]any { m, _ := o["metadata"].(map[string]any); return m }

func (o Object) metaString(key string) string { s, _ := o.meta()[key].(string); return s }

func (o Object) stringMap(key string) map[string]string {
	m, _ := o.meta()[key].(map[string]any)
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k], _ = v.(string)
	}
	return out
}

// ensureMeta returns metadata, creating it when absent.
func (o Object) ensureMeta() map[string]any {
	m := o.meta()
	if m == nil {
		m = map[string]any{}
		o["metadata"] = m
	}
	return m
}

// setMetaMap sets metadata.labels or metadata.annotations, removing it when empty.
func (o Object) setMetaMap(key string, m map[string]string) {
	if len(m) == 0 {
		delete(o.ensureMeta(), key)
		return
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	o.ensureMeta()[key] = out
}

// ownerRef is the part of an ownerReference the runner reads.
type ownerRef struct {
	APIVersion string
	Kind       string
	Name       string
	UID        string
	Controller bool
}

// ownerRefs returns metadata.ownerReferences.
func (o Object) ownerRefs() []ownerRef {
	list, _ := o.meta()["ownerReferences"].([]any)
	var out []ownerRef
	for _, item := range list {
		m, _ := item.(map[string]any)
		ref := ownerRef{}
		ref.APIVersion, _ = m["apiVersion"].(string)
		ref.Kind, _ = m["kind"].(string)
		ref.Name, _ = m["name"].(string)
		ref.UID, _ = m["uid"].(string)
		ref.Controller, _ = m["controller"].(bool)
		out = append(out, ref)
	}
	return out
}

// controllerRef returns the ownerReference with controller: true, if any.
func (o Object) controllerRef() (ownerRef, bool) {
	for _, ref := range o.ownerRefs() {
		if ref.Controller {
			return ref, true
		}
	}
	return ownerRef{}, false
}

// group returns the API group of an apiVersion ("" for the core group).
func group(apiVersion string) string {
	if g, _, ok := strings.Cut(apiVersion, "/"); ok {
		return g
	}
	return ""
}

// deepCopy copies a decoded JSON value.
func deepCopy(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = deepCopy(e)
		}
		return out
	case Object:
		return Object(deepCopy(map[string]any(v)).(map[string]any))
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = deepCopy(e)
		}
		return out
	default:
		return v
	}
}

func (o Object) clone() Object {
	if o == nil {
		return nil
	}
	return deepCopy(o).(Object)
}

// normalize round-trips v through JSON into out, so that numbers are float64
// and structs become maps: values compare with reflect.DeepEqual the way
// Metacontroller compares decoded JSON.
func normalize(v any, out any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return json.Unmarshal(data, out)
}

// errAlreadyExists, errNotFound and errConflict are the API server errors
// Metacontroller handles.
var (
	errAlreadyExists = errors.New("already exists")
	errNotFound      = errors.New("not found")
	errConflict      = errors.New("conflict: the object has been modified")
)

type objectKey struct{ kind, namespace, name string }

func keyOf(o Object) objectKey { return objectKey{o.Kind(), o.Namespace(), o.Name()} }

// change is one write to the store, as an informer would report it: old is
// nil for a create, new is nil for a delete.
type change struct{ old, new Object }

// priorStatus is a parent's status before its most recent status write.
type priorStatus struct {
	status map[string]any
	set    bool // status was present
}

// store is the in-memory API server: objects by kind/namespace/name with
// uids, resourceVersions, generations and ownerReference garbage collection.
// Every method returns copies; nothing outside holds a stored map.
type store struct {
	mu      sync.Mutex
	clock   *Clock
	objects map[objectKey]Object
	prior   map[string]priorStatus // by uid
	rv      int64
	uids    int64
}

func newStore(clock *Clock) *store {
	return &store{clock: clock, objects: map[objectKey]Object{}, prior: map[string]priorStatus{}}
}

// newUID returns a deterministic, UUID-shaped uid.
func (s *store) newUID() string {
	s.uids++
	return fmt.Sprintf("00000000-0000-4000-8000-%012d", s.uids)
}

func (s *store) nextRV() string {
	s.rv++
	return strconv.FormatInt(s.rv, 10)
}

// hasGeneration tells whether the API server keeps metadata.generation for
// a kind: custom resources do, core-group objects such as Secrets do not.
func hasGeneration(apiVersion string) bool { return strings.Contains(apiVersion, "/") }

func (s *store) get(kind, namespace, name string) (Object, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.objects[objectKey{kind, namespace, name}]
	return o.clone(), ok
}

// list returns the objects of a kind in a namespace ("" for all namespaces)
// whose labels match sel, sorted by namespace and name.
func (s *store) list(kind, namespace string, sel labels.Selector) []Object {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Object
	for k, o := range s.objects {
		if k.kind != kind || (namespace != "" && k.namespace != namespace) {
			continue
		}
		if sel != nil && !sel.Matches(labels.Set(o.Labels())) {
			continue
		}
		out = append(out, o.clone())
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Namespace() != out[j].Namespace() {
			return out[i].Namespace() < out[j].Namespace()
		}
		return out[i].Name() < out[j].Name()
	})
	return out
}

// create stores a new object: the API server assigns uid, resourceVersion,
// creationTimestamp and (for custom resources) generation 1, and drops
// .status (status subresource).
func (s *store) create(obj Object) (change, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := keyOf(obj)
	if _, ok := s.objects[k]; ok {
		return change{}, errAlreadyExists
	}
	o := obj.clone()
	delete(o, "status")
	applyDefaults(o)
	m := o.ensureMeta()
	for _, f := range []string{"uid", "resourceVersion", "generation", "creationTimestamp", "deletionTimestamp"} {
		delete(m, f)
	}
	m["uid"] = s.newUID()
	m["resourceVersion"] = s.nextRV()
	m["creationTimestamp"] = s.clock.Now().UTC().Format(time.RFC3339)
	if hasGeneration(o.APIVersion()) {
		m["generation"] = float64(1)
	}
	s.objects[k] = o
	return change{new: o.clone()}, nil
}

// update replaces an object's spec and metadata (never its status or system
// fields), as a PUT to the main resource does. A non-empty
// metadata.resourceVersion in obj is a precondition. The resourceVersion
// moves only when something changed; generation moves when anything outside
// metadata and status changed.
func (s *store) update(obj Object) (change, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := keyOf(obj)
	old, ok := s.objects[k]
	if !ok {
		return change{}, false, errNotFound
	}
	if rv := obj.metaString("resourceVersion"); rv != "" && rv != old.metaString("resourceVersion") {
		return change{}, false, errConflict
	}
	o := obj.clone()
	delete(o, "status")
	applyDefaults(o)
	if st, ok := old["status"]; ok {
		o["status"] = deepCopy(st)
	}
	m, oldMeta := o.ensureMeta(), old.meta()
	for _, f := range []string{"uid", "resourceVersion", "generation", "creationTimestamp"} {
		if v, ok := oldMeta[f]; ok {
			m[f] = v
		} else {
			delete(m, f)
		}
	}
	if reflect.DeepEqual(map[string]any(o), map[string]any(old)) {
		return change{}, false, nil
	}
	if hasGeneration(o.APIVersion()) && !reflect.DeepEqual(withoutMetaStatus(o), withoutMetaStatus(old)) {
		m["generation"] = float64(old.Generation() + 1)
	}
	m["resourceVersion"] = s.nextRV()
	s.objects[k] = o
	return change{old: old.clone(), new: o.clone()}, true, nil
}

// applyDefaults does the API server's defaulting that hooks can see: a
// Secret's stringData is merged into data (base64) and its type defaults to Opaque.
func applyDefaults(o Object) {
	if o.APIVersion() != "v1" || o.Kind() != "Secret" {
		return
	}
	if sd, ok := o["stringData"].(map[string]any); ok {
		data, _ := o["data"].(map[string]any)
		if data == nil {
			data = map[string]any{}
		}
		for k, v := range sd {
			s, _ := v.(string)
			data[k] = base64.StdEncoding.EncodeToString([]byte(s))
		}
		o["data"] = data
		delete(o, "stringData")
	}
	if _, ok := o["type"]; !ok {
		o["type"] = "Opaque"
	}
}

func withoutMetaStatus(o Object) map[string]any {
	out := make(map[string]any, len(o))
	for k, v := range o {
		if k != "metadata" && k != "status" {
			out[k] = v
		}
	}
	return out
}

// updateStatus is a GET followed by UpdateStatus when the status differs:
// it replaces the status of the object with this uid. It reports whether it
// wrote; errNotFound when the object is gone or has another uid.
func (s *store) updateStatus(kind, namespace, name, uid string, status map[string]any) (change, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := objectKey{kind, namespace, name}
	old, ok := s.objects[k]
	if !ok || old.UID() != uid {
		return change{}, false, errNotFound
	}
	oldStatus, had := old["status"]
	if had && reflect.DeepEqual(oldStatus, any(status)) {
		return change{}, false, nil
	}
	prior := priorStatus{set: had}
	prior.status, _ = deepCopy(oldStatus).(map[string]any)
	s.prior[uid] = prior
	o := old.clone()
	o["status"] = deepCopy(status)
	o.meta()["resourceVersion"] = s.nextRV()
	s.objects[k] = o
	return change{old: old.clone(), new: o.clone()}, true, nil
}

// staleView returns parent as a lagging informer could still show it: with
// the status it had before its most recent status write. ok is false when
// there was no write or the view would not differ.
func (s *store) staleView(parent Object) (Object, bool) {
	s.mu.Lock()
	prior, ok := s.prior[parent.UID()]
	s.mu.Unlock()
	if !ok {
		return parent, false
	}
	view := parent.clone()
	delete(view, "status")
	if prior.set {
		view["status"] = deepCopy(prior.status)
	}
	if reflect.DeepEqual(view["status"], parent["status"]) {
		return parent, false
	}
	return view, true
}

// delete removes an object (with a uid precondition unless uid is empty) and
// then, like the garbage collector with background propagation, every object
// all of whose owners are gone. Changes are returned in deletion order.
func (s *store) delete(kind, namespace, name, uid string) ([]change, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := objectKey{kind, namespace, name}
	o, ok := s.objects[k]
	if !ok || (uid != "" && o.UID() != uid) {
		return nil, errNotFound
	}
	var changes []change
	queue := []objectKey{k}
	for len(queue) > 0 {
		k, queue = queue[0], queue[1:]
		o, ok := s.objects[k]
		if !ok {
			continue
		}
		delete(s.objects, k)
		delete(s.prior, o.UID())
		changes = append(changes, change{old: o.clone()})
		queue = append(queue, s.orphanedBy(o.UID())...)
	}
	return changes, nil
}

// orphanedBy returns the objects owned by uid none of whose owners remain.
func (s *store) orphanedBy(uid string) []objectKey {
	live := map[string]bool{}
	for _, o := range s.objects {
		live[o.UID()] = true
	}
	var out []objectKey
	for k, o := range s.objects {
		refs := o.ownerRefs()
		owned, alive := false, false
		for _, ref := range refs {
			owned = owned || ref.UID == uid
			alive = alive || live[ref.UID]
		}
		if owned && !alive {
			out = append(out, k)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}
