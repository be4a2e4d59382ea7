package smpp

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

// Receipt results, the values of the result label of
// rebond_smpp_receipts_total.
const (
	resultPublished  = "published"  // published, answered ESME_ROK
	resultFailed     = "failed"     // not published (bus, or no number yet), answered ESME_RX_T_APPN
	resultUnreadable = "unreadable" // not a receipt rebond can read, answered ESME_RX_P_APPN
	resultMO         = "mo"         // a mobile-originated message published, answered ESME_ROK
)

// metrics are the ESME's Prometheus series, labelled by gateway and bind
// (the bind's index within its gateway, 0 to binds-1).
type metrics struct {
	up         *prometheus.GaugeVec
	pdus       *prometheus.CounterVec
	receipts   *prometheus.CounterVec
	reconnects *prometheus.CounterVec
	rtt        *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	gb := []string{"gateway", "bind"}
	m := &metrics{
		up: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "rebond_smpp_binds_up", Help: "1 while the bind is bound, else 0."}, gb),
		pdus: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rebond_smpp_pdus_received_total", Help: "PDUs read from the SMSC, by command."},
			append(gb, "command")),
		receipts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rebond_smpp_receipts_total",
			Help: "deliver_sm and data_sm handled, by result (published, failed, unreadable, mo)."},
			append(gb, "result")),
		reconnects: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rebond_smpp_reconnects_total", Help: "Connections lost or refused and dialled again."}, gb),
		rtt: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "rebond_smpp_enquire_link_seconds", Help: "Round trip of rebond's enquire_link.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 14)}, gb),
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.up, m.pdus, m.receipts, m.reconnects, m.rtt} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// bindMetrics are the series of one bind, resolved once.
type bindMetrics struct {
	m          *metrics
	gw, bind   string
	up         prometheus.Gauge
	reconnects prometheus.Counter
	rtt        prometheus.Observer
}

func (m *metrics) forBind(gateway string, i int) *bindMetrics {
	b := strconv.Itoa(i)
	return &bindMetrics{
		m: m, gw: gateway, bind: b,
		up:         m.up.WithLabelValues(gateway, b),
		reconnects: m.reconnects.WithLabelValues(gateway, b),
		rtt:        m.rtt.WithLabelValues(gateway, b),
	}
}

func (b *bindMetrics) pdu(command string) { b.m.pdus.WithLabelValues(b.gw, b.bind, command).Inc() }

func (b *bindMetrics) receipt(result string) {
	b.m.receipts.WithLabelValues(b.gw, b.bind, result).Inc()
}
