package workers

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the workers' Prometheus series.
type Metrics struct {
	bridged    prometheus.Counter
	rejected   prometheus.Counter
	applied    *prometheus.CounterVec
	applyBatch prometheus.Histogram
	notices    *prometheus.CounterVec
	reconciled prometheus.Counter
	released   prometheus.Counter
	inbound    *prometheus.CounterVec
	latency    prometheus.Histogram
}

// NewMetrics registers the workers' series on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		bridged: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "rebond_bridge_events_total", Help: "Events stored in the inbox by the NATS bridge."}),
		rejected: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "rebond_bridge_rejected_total", Help: "Undecodable payloads kept in rejected_events."}),
		applied: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rebond_events_applied_total", Help: "Events applied, by channel and outcome."}, []string{"channel", "outcome"}),
		applyBatch: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "rebond_apply_batch_seconds", Help: "Duration of one apply transaction.",
			Buckets: prometheus.ExponentialBuckets(0.002, 2, 12)}),
		notices: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rebond_retry_notices_total", Help: "Retry notices published, by channel."}, []string{"channel"}),
		reconciled: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "rebond_reconciled_events_total", Help: "Inbox events re-enqueued by the reconciler."}),
		released: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "rebond_recipients_released_total", Help: "Recipients released when their quarantine or suspension ended."}),
		inbound: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rebond_inbound_mail_total", Help: "Mail received by the SMTP listener and parsed, by result (events, no_event)."}, []string{"result"}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "rebond_event_latency_seconds", Help: "From an event's arrival in the inbox to its committed verdict.",
			Buckets: prometheus.ExponentialBuckets(0.005, 1.5, 26)}),
	}
	reg.MustRegister(m.bridged, m.rejected, m.applied, m.applyBatch, m.notices, m.reconciled, m.released, m.inbound, m.latency)
	return m
}

// ObserveApplied records the inbox-to-verdict latency of applied events;
// give it to store.Store.OnApplied.
func (m *Metrics) ObserveApplied(received []time.Time, committed time.Time) {
	for _, r := range received {
		m.latency.Observe(committed.Sub(r).Seconds())
	}
}
