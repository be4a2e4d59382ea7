package smpp

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"
)

// After a reset, the first earlyTries waits are at most earlyCap (or max,
// when that is lower): an SMSC restart takes seconds, and a bind that waits
// a minute after it came back loses every receipt the SMSC could not
// deliver meanwhile. Later waits double up to max, so an SMSC that stays
// down is not hammered.
const (
	earlyTries = 5
	earlyCap   = 5 * time.Second
)

// backoff is a capped exponential delay with jitter between two binds: the
// delay doubles after each failure up to a cap (earlyCap for the first
// earlyTries, then max), and each wait lasts a random time between half
// the delay and the delay ("equal jitter"), so the binds of many rebond
// processes cut off by one SMSC restart do not come back in lockstep. It
// is reset by every successful bind. Its methods may be called from any
// goroutine.
type backoff struct {
	mu       sync.Mutex
	min, max time.Duration
	cur      time.Duration
	tries    int // waits since the last reset
}

func newBackoff(minD, maxD time.Duration) *backoff {
	return &backoff{min: minD, max: maxD, cur: minD}
}

// ceiling is the cap of the next wait.
func (b *backoff) ceiling() time.Duration {
	if b.tries < earlyTries {
		return min(b.max, max(earlyCap, b.min))
	}
	return b.max
}

// step returns the delay before jitter and advances to the following one.
func (b *backoff) step() time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	d := min(b.cur, b.ceiling())
	b.tries++
	b.cur = min(d*2, b.ceiling())
	return d
}

// next returns the delay to wait now, jittered, and doubles the following one.
func (b *backoff) next() time.Duration {
	d := b.step()
	if d <= 1 {
		return d
	}
	return d/2 + rand.N(d/2+1) //nolint:gosec // jitter, not a secret
}

// reset starts again from min, after a successful bind.
func (b *backoff) reset() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.cur, b.tries = b.min, 0
}

// state returns the next delay before jitter and the waits since the last
// reset, for tests and logs.
func (b *backoff) state() (time.Duration, int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return min(b.cur, b.ceiling()), b.tries
}

// wait sleeps for the next delay or until ctx ends.
func (b *backoff) wait(ctx context.Context) {
	t := time.NewTimer(b.next())
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
