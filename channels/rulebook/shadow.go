package rulebook

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/channels/rules"
	"github.com/rebond/rebond/store"
)

// maxPendingShadow bounds the shadow verdicts a Classifier buffers between
// two flushes; beyond it they are counted and dropped (shadow verdicts are
// a sample, never acted on).
const maxPendingShadow = 10000

// Classifier is a worker's classifier: the live rules decide, and the
// shadow rules, when there are any, are evaluated beside them; where they
// would decide otherwise, the event id and both verdicts are buffered for
// Flush. Safe for concurrent use; it implements lifecycle.Classifier.
type Classifier struct {
	live    *rules.Live
	shadow  atomic.Pointer[rules.Set]
	mu      sync.Mutex
	pending []store.ShadowVerdict
	dropped int64
}

// NewClassifier classifies with live until Swap replaces its sets.
func NewClassifier(live *rules.Set) *Classifier {
	return &Classifier{live: rules.NewLive(live)}
}

// Classify returns the live verdict of e.
func (c *Classifier) Classify(e channels.Event) channels.Verdict {
	v := c.live.Classify(e)
	if sh := c.shadow.Load(); sh != nil {
		if sv := sh.Classify(e); key(sv) != key(v) {
			c.buffer(store.ShadowVerdict{EventID: e.ID, Channel: e.Channel, Shadow: sv, Live: v})
		}
	}
	return v
}

func (c *Classifier) buffer(v store.ShadowVerdict) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.pending) >= maxPendingShadow {
		c.dropped++
		return
	}
	c.pending = append(c.pending, v)
}

// Swap replaces the live set and the shadow set (nil: no shadow rules).
func (c *Classifier) Swap(live, shadow *rules.Set) {
	c.live.Swap(live)
	c.shadow.Store(shadow)
}

// Live returns the live set.
func (c *Classifier) Live() *rules.Set { return c.live.Set() }

// take empties the buffer and returns it with the count of dropped
// verdicts since the last take.
func (c *Classifier) take() ([]store.ShadowVerdict, int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p, d := c.pending, c.dropped
	c.pending, c.dropped = nil, 0
	return p, d
}

// Reloader keeps a Classifier's rules current: every Interval it rebuilds
// the sets when the operator rules changed, and writes the buffered shadow
// verdicts.
type Reloader struct {
	book *Book
	c    *Classifier
	log  *slog.Logger
	// Interval is the time between reloads (default 10s).
	Interval time.Duration
	last     string // fingerprint of the overrides the sets were built from
}

// NewReloader returns a Reloader of c's sets from book.
func NewReloader(book *Book, c *Classifier, log *slog.Logger) *Reloader {
	return &Reloader{book: book, c: c, log: log, Interval: 10 * time.Second}
}

// Run reloads at once and then every Interval until ctx ends. A failed
// reload keeps the rules in force and is retried at the next tick.
func (r *Reloader) Run(ctx context.Context) error {
	t := time.NewTicker(r.Interval)
	defer t.Stop()
	for {
		if _, err := r.Reload(ctx); err != nil && ctx.Err() == nil {
			r.log.WarnContext(ctx, "rules reload failed; the rules in force stay", "error", err)
		}
		if err := r.Flush(ctx); err != nil && ctx.Err() == nil {
			r.log.WarnContext(ctx, "shadow verdicts not recorded", "error", err)
		}
		select {
		case <-ctx.Done():
			_ = r.Flush(context.WithoutCancel(ctx))
			return nil
		case <-t.C:
		}
	}
}

// Reload rebuilds the Classifier's sets when the operator rules changed
// since the last reload, and reports whether it did.
func (r *Reloader) Reload(ctx context.Context) (bool, error) {
	fp, err := r.book.st.RulesFingerprint(ctx)
	if err != nil {
		return false, err
	}
	if fp == r.last {
		return false, nil
	}
	live, shadow, warnings, err := r.book.Sets(ctx)
	if err != nil {
		return false, err
	}
	for _, w := range warnings {
		r.log.WarnContext(ctx, "operator rule left out", "error", w)
	}
	r.c.Swap(live, shadow)
	r.last = fp
	r.log.InfoContext(ctx, "rules reloaded", "shadow", shadow != nil)
	return true, nil
}

// Flush writes the shadow verdicts buffered since the last flush.
func (r *Reloader) Flush(ctx context.Context) error {
	vs, dropped := r.c.take()
	if dropped > 0 {
		r.log.WarnContext(ctx, "shadow verdicts dropped: buffer full", "dropped", dropped)
	}
	if len(vs) == 0 {
		return nil
	}
	return r.book.st.RecordShadowVerdicts(ctx, vs)
}
