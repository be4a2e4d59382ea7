package smpp

import (
	"context"
	"math/rand/v2"
	"time"
)

// backoff is a capped exponential delay with jitter between two binds: the
// delay doubles after each failure up to max, and each wait lasts a random
// time between half the delay and the delay ("equal jitter"), so the binds
// of many rebond processes cut off by one SMSC restart do not come back in
// lockstep.
type backoff struct {
	min, max, cur time.Duration
}

func newBackoff(minD, maxD time.Duration) *backoff {
	return &backoff{min: minD, max: maxD, cur: minD}
}

// next returns the delay to wait now and doubles the following one.
func (b *backoff) next() time.Duration {
	d := b.cur
	b.cur = min(b.cur*2, b.max)
	if d <= 1 {
		return d
	}
	return d/2 + rand.N(d/2+1) //nolint:gosec // jitter, not a secret
}

// reset starts again from min, after a bind that held.
func (b *backoff) reset() { b.cur = b.min }

// wait sleeps for the next delay or until ctx ends.
func (b *backoff) wait(ctx context.Context) {
	t := time.NewTimer(b.next())
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
