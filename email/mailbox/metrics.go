package mailbox

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the pollers' series, shared by every mailbox (label
// mailbox). A nil *Metrics records nothing.
type Metrics struct {
	upG    *prometheus.GaugeVec
	mailsC *prometheus.CounterVec
	errC   *prometheus.CounterVec
}

// NewMetrics registers the series on reg (nil: not registered).
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		upG: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "rebond_mailbox_up",
			Help: "1 while the mailbox's last round succeeded, else 0."}, []string{"mailbox"}),
		mailsC: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "rebond_mailbox_mails_total",
			Help: "Mails handled, by outcome (spooled, processed, unparsed)."}, []string{"mailbox", "outcome"}),
		errC: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "rebond_mailbox_errors_total",
			Help: "Sessions ended by an error (connection, login, spool, move)."}, []string{"mailbox"}),
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.upG, m.mailsC, m.errC} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (m *Metrics) up(name string, ok bool) {
	if m == nil {
		return
	}
	v := 0.0
	if ok {
		v = 1
	}
	m.upG.WithLabelValues(name).Set(v)
}

func (m *Metrics) errors(name string) {
	if m != nil {
		m.errC.WithLabelValues(name).Inc()
	}
}

func (m *Metrics) mails(name string, spooled, processed, unparsed int) {
	if m == nil {
		return
	}
	m.mailsC.WithLabelValues(name, "spooled").Add(float64(spooled))
	m.mailsC.WithLabelValues(name, "processed").Add(float64(processed))
	m.mailsC.WithLabelValues(name, "unparsed").Add(float64(unparsed))
}
