package api

import (
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// NewOps builds the operations listener of a process that serves no API
// (bridge, worker, scheduler roles): /healthz, /readyz and /metrics only,
// so orchestrators can probe it and Prometheus can scrape it.
func NewOps(addr string, ready map[string]Pinger, reg *prometheus.Registry, log *slog.Logger) *Server {
	s := &Server{cfg: Config{Addr: addr}.withDefaults(), ready: ready, log: log, metrics: newMetrics(reg), now: time.Now}
	mux := http.NewServeMux()
	s.route(mux, "GET /healthz", s.healthz, false)
	s.route(mux, "GET /readyz", s.readyz, false)
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	s.patterns = append(s.patterns, "GET /metrics")
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no route %s %s: this process serves no API (roles without api)", r.Method, r.URL.Path))
	})
	s.handler = mux
	return s
}
