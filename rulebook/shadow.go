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

// Classifier is a worker's classifier: the live rules of the event's
// tenant decide, and that tenant's shadow rules, when there are any, are
// evaluated beside them; where they would decide otherwise, the event key
// and both verdicts are buffered for Flush. Safe for concurrent use; it
// implements lifecycle.Classifier.
type Classifier struct {
	sets    atomic.Pointer[TenantSets]
	mu      sync.Mutex
	pending []store.ShadowVerdict
	at      map[string]int // pending's index of each event key
	dropped int64
}

// NewClassifier classifies every tenant's events with live until Swap or
// SwapTenants replaces its sets.
func NewClassifier(live *rules.Set) *Classifier {
	c := &Classifier{}
	c.Swap(live, nil)
	return c
}

// Classify returns the live verdict of e.
func (c *Classifier) Classify(e channels.Event) channels.Verdict {
	p := c.pair(e.TenantName())
	v := p.Live.Classify(e)
	if p.Shadow != nil {
		if sv := p.Shadow.Classify(e); key(sv) != key(v) {
			c.buffer(store.ShadowVerdict{Tenant: e.TenantName(), EventID: e.Key(), Channel: e.Channel, Shadow: sv, Live: v})
		}
	}
	return v
}

// pair is the sets of tenant: its own if it has operator rules, else the
// base ones.
func (c *Classifier) pair(tenant string) SetPair {
	s := c.sets.Load()
	if p, ok := s.ByTenant[tenant]; ok {
		return p
	}
	return SetPair{Live: s.Base, Shadow: s.baseShadow}
}

// buffer keeps v for the next flush. An event classified again (store.Apply
// decides its batch again on a retried attempt, or once another apply has
// created one of its new messages) replaces its earlier pair rather than
// taking a second place in the bounded buffer: the latest pair is the one
// applied.
func (c *Classifier) buffer(v store.ShadowVerdict) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if i, ok := c.at[v.EventID]; ok {
		c.pending[i] = v
		return
	}
	if len(c.pending) >= maxPendingShadow {
		c.dropped++
		return
	}
	if c.at == nil {
		c.at = make(map[string]int)
	}
	c.at[v.EventID] = len(c.pending)
	c.pending = append(c.pending, v)
}

// Swap makes live and shadow (nil: no shadow rules) the sets of every
// tenant.
func (c *Classifier) Swap(live, shadow *rules.Set) {
	c.sets.Store(&TenantSets{Base: live, baseShadow: shadow})
}

// SwapTenants replaces the sets with per-tenant ones (Book.AllSets).
func (c *Classifier) SwapTenants(s TenantSets) { c.sets.Store(&s) }

// Live returns the live set of the default tenant.
func (c *Classifier) Live() *rules.Set { return c.pair(channels.DefaultTenant).Live }

// take empties the buffer and returns it with the count of dropped
// verdicts since the last take.
func (c *Classifier) take() ([]store.ShadowVerdict, int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p, d := c.pending, c.dropped
	c.pending, c.dropped, c.at = nil, 0, nil
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
	sets, warnings, err := r.book.AllSets(ctx)
	if err != nil {
		return false, err
	}
	for _, w := range warnings {
		r.log.WarnContext(ctx, "operator rule left out", "error", w)
	}
	r.c.SwapTenants(sets)
	r.last = fp
	r.log.InfoContext(ctx, "rules reloaded", "tenants_with_rules", len(sets.ByTenant))
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
