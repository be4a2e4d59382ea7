package api

import "github.com/prometheus/client_golang/prometheus"

type metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	ingested *prometheus.CounterVec
	webhooks *prometheus.CounterVec
	// authThrottled counts requests refused for their client's failed
	// authentications (failureThrottle).
	authThrottled prometheus.Counter
	// consent counts the public consent pages' outcomes: events published
	// by type and source, links refused or expired by kind.
	consent *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rebond_http_requests_total", Help: "HTTP requests by route and status code."}, []string{"route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "rebond_http_request_duration_seconds", Help: "HTTP request duration by route.",
			Buckets: prometheus.DefBuckets}, []string{"route"}),
		ingested: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rebond_events_ingested_total", Help: "Events received over HTTP by channel and result."}, []string{"channel", "result"}),
		webhooks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rebond_webhook_calls_total", Help: "Provider webhook calls by webhook and result."}, []string{"webhook", "result"}),
		authThrottled: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "rebond_http_auth_throttled_total", Help: "Requests refused (429) because their client failed to authenticate too often."}),
		consent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rebond_consent_total", Help: "Public consent pages: events published (opt_out, opt_in by source), links refused or expired (by kind)."},
			[]string{"what", "result"}),
	}
	reg.MustRegister(m.requests, m.duration, m.ingested, m.webhooks, m.authThrottled, m.consent)
	return m
}
