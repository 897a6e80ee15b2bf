package runner

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLoadControllersParsesTheRepositoryConfigs(t *testing.T) {
	ctls, err := LoadControllers("../../metacontroller")
	require.NoError(t, err)
	require.Len(t, ctls, 8)

	byName := map[string]Controller{}
	for _, c := range ctls {
		byName[c.Name] = c
	}
	const api = "kubechain.humanlayer.dev/v1alpha1"
	tests := []struct {
		name      string
		parent    string
		sync      string
		timeout   time.Duration
		customize string // empty: no customize hook
		children  []ChildResource
	}{
		{name: "kubechain-llm", parent: "llms", sync: "/sync/llm", timeout: 30 * time.Second, customize: "/customize/llm"},
		{name: "kubechain-agent", parent: "agents", sync: "/sync/agent", timeout: 10 * time.Second, customize: "/customize/agent"},
		{name: "kubechain-tool", parent: "tools", sync: "/sync/tool", timeout: 10 * time.Second, customize: "/customize/tool"},
		{name: "kubechain-toolset", parent: "toolsets", sync: "/sync/toolset", timeout: 10 * time.Second},
		{name: "kubechain-contactchannel", parent: "contactchannels", sync: "/sync/contactchannel", timeout: 30 * time.Second, customize: "/customize/contactchannel"},
		{name: "kubechain-task", parent: "tasks", sync: "/sync/task", timeout: 10 * time.Second, customize: "/customize/task",
			children: []ChildResource{{ResourceRef: ResourceRef{APIVersion: api, Resource: "taskruns"}, UpdateMethod: UpdateOnDelete}}},
		{name: "kubechain-taskrun", parent: "taskruns", sync: "/sync/taskrun", timeout: 150 * time.Second, customize: "/customize/taskrun",
			children: []ChildResource{{ResourceRef: ResourceRef{APIVersion: api, Resource: "taskruntoolcalls"}, UpdateMethod: UpdateOnDelete}}},
		{name: "kubechain-taskruntoolcall", parent: "taskruntoolcalls", sync: "/sync/taskruntoolcall", timeout: 30 * time.Second, customize: "/customize/taskruntoolcall",
			children: []ChildResource{{ResourceRef: ResourceRef{APIVersion: api, Resource: "taskruns"}, UpdateMethod: UpdateOnDelete}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, found := byName[tt.name]
			require.True(t, found)
			assert.Equal(t, ResourceRef{APIVersion: api, Resource: tt.parent}, c.Parent)
			assert.Equal(t, Webhook{Path: tt.sync, Timeout: tt.timeout}, c.Sync)
			if tt.customize == "" {
				assert.Nil(t, c.Customize)
			} else {
				require.NotNil(t, c.Customize)
				assert.Equal(t, Webhook{Path: tt.customize, Timeout: 10 * time.Second}, *c.Customize)
			}
			assert.Equal(t, tt.children, c.Children)
		})
	}
}

func TestLoadControllersReadsToyConfigs(t *testing.T) {
	ctls, err := LoadControllers("testdata/controllers")
	require.NoError(t, err)
	var names []string
	for _, c := range ctls {
		names = append(names, c.Name)
	}
	// File order (nest, parent, simple, slow), kustomization.yaml skipped.
	assert.Equal(t, []string{"toy-task", "toy-run", "toy-call", "toy-parent", "toy-simple", "toy-slow"}, names)

	parent := ctls[3]
	assert.Equal(t, Webhook{Path: "/sync/parent", Timeout: 5 * time.Second}, parent.Sync, "url reduced to its path")
	assert.Equal(t, &Webhook{Path: "/customize/parent", Timeout: DefaultHookTimeout}, parent.Customize, "service+path, default timeout")
	assert.Equal(t, []UpdateMethod{UpdateOnDelete, UpdateInPlace, UpdateRecreate},
		[]UpdateMethod{parent.Children[0].UpdateMethod, parent.Children[1].UpdateMethod, parent.Children[2].UpdateMethod})
	assert.Equal(t, 50*time.Millisecond, ctls[5].Sync.Timeout)
}

func TestParseControllersRejectsWhatIsNotEmulated(t *testing.T) {
	const head = "apiVersion: metacontroller.k8s.io/v1alpha1\nkind: CompositeController\nmetadata: {name: x}\n"
	const parent = "  parentResource: {apiVersion: toy.example.com/v1, resource: parents}\n"
	const sync = "  hooks:\n    sync: {webhook: {url: 'http://h/sync/x'}}\n"
	tests := []struct {
		name string
		yaml string
		want string
	}{
		{name: "another kind", yaml: "apiVersion: metacontroller.k8s.io/v1alpha1\nkind: DecoratorController\nmetadata: {name: x}\n", want: "only metacontroller.k8s.io/v1alpha1 CompositeController"},
		{name: "no generateSelector", yaml: head + "spec:\n" + parent + sync, want: "generateSelector"},
		{name: "resync period", yaml: head + "spec:\n  generateSelector: true\n  resyncPeriodSeconds: 5\n" + parent + sync, want: "resyncPeriodSeconds"},
		{name: "no sync hook", yaml: head + "spec:\n  generateSelector: true\n" + parent, want: "no sync hook"},
		{name: "finalize hook", yaml: head + "spec:\n  generateSelector: true\n" + parent + sync + "    finalize: {webhook: {url: 'http://h/f'}}\n", want: "finalize"},
		{name: "hook version v2", yaml: head + "spec:\n  generateSelector: true\n" + parent + "  hooks:\n    sync: {version: v2, webhook: {url: 'http://h/s'}}\n", want: "v2"},
		{name: "no path", yaml: head + "spec:\n  generateSelector: true\n" + parent + "  hooks:\n    sync: {webhook: {timeout: 5s}}\n", want: "url or an absolute path"},
		{name: "bad timeout", yaml: head + "spec:\n  generateSelector: true\n" + parent + "  hooks:\n    sync: {webhook: {path: /s, timeout: soon}}\n", want: "timeout"},
		{name: "unknown update method", yaml: head + "spec:\n  generateSelector: true\n" + parent + "  childResources:\n  - {apiVersion: v1, resource: configmaps, updateStrategy: {method: Sometimes}}\n" + sync, want: "Sometimes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseControllers([]byte(tt.yaml))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestLoadObjectsReadsFilesAndDirectories(t *testing.T) {
	objs, err := LoadObjects("testdata/objects")
	require.NoError(t, err)
	var got []string
	for _, o := range objs {
		got = append(got, o.Kind()+"/"+o.Namespace()+"/"+o.Name())
	}
	// a.yaml (two documents, an empty one skipped), more/b.json; kustomization.yaml and notes.txt skipped.
	assert.Equal(t, []string{"Simple//one", "Secret/other/creds", "Simple//two"}, got)

	one, err := LoadObjects("testdata/objects/more/b.json")
	require.NoError(t, err)
	require.Len(t, one, 1)
	assert.Equal(t, map[string]any{"count": float64(2)}, one[0]["spec"])

	_, err = LoadObjects("testdata/objects/more/notes.txt")
	assert.Error(t, err, "a file named explicitly must hold objects")
}
