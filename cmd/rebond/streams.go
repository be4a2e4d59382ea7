package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rebond/rebond/natsbus"
)

// streamWatchEvery is how often the scheduler role looks at the streams.
const streamWatchEvery = 30 * time.Second

// streamWatcher publishes how full rebond's JetStream streams are and
// warns, once per crossing, when one passes alert (a fraction of its
// max_bytes): a full stream refuses new events, so the warning must come
// before.
type streamWatcher struct {
	bus   *natsbus.Bus
	alert float64
	log   *slog.Logger
	bytes *prometheus.GaugeVec
	limit *prometheus.GaugeVec
	ratio *prometheus.GaugeVec
	over  map[string]bool
}

func newStreamWatcher(bus *natsbus.Bus, alert float64, reg prometheus.Registerer, log *slog.Logger) *streamWatcher {
	w := &streamWatcher{bus: bus, alert: alert, log: log, over: map[string]bool{},
		bytes: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "rebond_nats_stream_bytes",
			Help: "Bytes stored in each of rebond's JetStream streams."}, []string{"stream"}),
		limit: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "rebond_nats_stream_max_bytes",
			Help: "Byte limit of each stream (nats.max_bytes); 0: none."}, []string{"stream"}),
		ratio: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "rebond_nats_stream_usage_ratio",
			Help: "Bytes stored over the byte limit, per stream; a full stream refuses new events."}, []string{"stream"}),
	}
	reg.MustRegister(w.bytes, w.limit, w.ratio)
	return w
}

// Run checks the streams every streamWatchEvery until ctx ends. A failed
// check is logged and tried again at the next tick.
func (w *streamWatcher) Run(ctx context.Context) error {
	t := time.NewTicker(streamWatchEvery)
	defer t.Stop()
	for {
		w.check(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

func (w *streamWatcher) check(ctx context.Context) {
	usage, err := w.bus.Usage(ctx)
	if err != nil {
		if ctx.Err() == nil {
			w.log.WarnContext(ctx, "cannot read the streams' usage", "error", err)
		}
		return
	}
	for _, u := range usage {
		w.bytes.WithLabelValues(u.Stream).Set(float64(u.Bytes))
		if u.MaxBytes <= 0 {
			w.limit.WithLabelValues(u.Stream).Set(0)
			continue
		}
		w.limit.WithLabelValues(u.Stream).Set(float64(u.MaxBytes))
		ratio := float64(u.Bytes) / float64(u.MaxBytes)
		w.ratio.WithLabelValues(u.Stream).Set(ratio)
		switch over := ratio >= w.alert; {
		case over && !w.over[u.Stream]:
			w.log.WarnContext(ctx, "stream nearly full: new events will be refused when it is (raise nats.max_bytes or check the bridge)",
				"stream", u.Stream, "bytes", u.Bytes, "max_bytes", u.MaxBytes, "ratio", ratio)
		case !over && w.over[u.Stream]:
			w.log.InfoContext(ctx, "stream usage back under the alert", "stream", u.Stream, "bytes", u.Bytes, "max_bytes", u.MaxBytes)
		}
		w.over[u.Stream] = ratio >= w.alert
	}
}
