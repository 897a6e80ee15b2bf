package metrics

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestObserveHook(t *testing.T) {
	m := New()
	m.ObserveHook("sync/taskrun", http.StatusOK, 20*time.Millisecond)
	m.ObserveHook("sync/taskrun", http.StatusOK, 30*time.Millisecond)
	m.ObserveHook("sync/taskrun", http.StatusTooManyRequests, time.Millisecond)

	tests := []struct {
		name  string
		route string
		code  string
		want  float64
	}{
		{name: "two successes", route: "sync/taskrun", code: "200", want: 2},
		{name: "one rate limited", route: "sync/taskrun", code: "429", want: 1},
		{name: "no call", route: "sync/llm", code: "200", want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, testutil.ToFloat64(m.requests.WithLabelValues(tt.route, tt.code)))
		})
	}
}

func TestHandlerExposesHookAndRuntimeMetrics(t *testing.T) {
	m := New()
	m.ObserveHook("customize/llm", http.StatusBadRequest, 5*time.Millisecond)

	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	require.Equal(t, http.StatusOK, rec.Code)
	body, err := io.ReadAll(rec.Body)
	require.NoError(t, err)

	for _, want := range []string{
		`kubechain_hook_requests_total{code="400",route="customize/llm"} 1`,
		`kubechain_hook_duration_seconds_bucket{code="400",route="customize/llm",le="0.005"} 1`,
		`kubechain_hook_duration_seconds_count{code="400",route="customize/llm"} 1`,
		"go_goroutines",
		"process_start_time_seconds",
	} {
		assert.Contains(t, string(body), want)
	}
}
