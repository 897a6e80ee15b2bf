package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/humanlayer/kubechain/hooks"
)

// durationBuckets span a cheap customize hook (milliseconds) up to a TaskRun
// sync waiting on an LLM (the hook timeout is 150s).
var durationBuckets = []float64{0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 150}

// Metrics is a Prometheus registry with the hook metrics. It implements
// hooks.Observer and is safe for concurrent use.
type Metrics struct {
	registry *prometheus.Registry
	duration *prometheus.HistogramVec
	requests *prometheus.CounterVec
}

var _ hooks.Observer = (*Metrics)(nil)

// New returns a registry holding the hook metrics and the Go and process collectors.
func New() *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "kubechain",
			Subsystem: "hook",
			Name:      "duration_seconds",
			Help:      "Time spent serving a Metacontroller hook call, by route and HTTP status code.",
			Buckets:   durationBuckets,
		}, []string{"route", "code"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "kubechain",
			Subsystem: "hook",
			Name:      "requests_total",
			Help:      "Metacontroller hook calls served, by route and HTTP status code.",
		}, []string{"route", "code"}),
	}
	m.registry.MustRegister(
		m.duration,
		m.requests,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return m
}

// ObserveHook records one hook call (hooks.Observer).
func (m *Metrics) ObserveHook(route string, code int, d time.Duration) {
	c := strconv.Itoa(code)
	m.duration.WithLabelValues(route, c).Observe(d.Seconds())
	m.requests.WithLabelValues(route, c).Inc()
}

// Handler serves the registry in the Prometheus exposition format (for GET /metrics).
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{Registry: m.registry})
}
