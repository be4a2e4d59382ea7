package rulebook_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/rulebook"
	"github.com/rebond/rebond/store"
)

// TestBacktestBounded: a backtest, open to read tokens, cannot hold the
// database or the process: its window is bounded, one runs per tenant at
// a time, and its reads end at the statement timeout.
func TestBacktestBounded(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	book := rulebook.New(f.st, f.builtin, rulebook.Config{Policy: testPolicy, BacktestTimeout: 300 * time.Millisecond})
	req := rulebook.BacktestRequest{Channel: channels.Email, From: t0, To: t0.Add(time.Hour)}

	long := req
	long.To = t0.Add(32 * 24 * time.Hour)
	if _, err := book.Backtest(ctx, long); !errors.Is(err, rulebook.ErrInvalid) {
		t.Errorf("a 32-day window: %v, want ErrInvalid", err)
	}

	// Hold the events table so the backtest's read waits; the statement
	// timeout ends it, and meanwhile the tenant has its one backtest.
	lock, err := f.db.BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lock.ExecContext(ctx, "LOCK TABLE events IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 2)
	for range 2 {
		go func() {
			_, err := book.Backtest(ctx, req)
			errs <- err
		}()
	}
	var busy, timedOut int
	for range 2 {
		switch err := <-errs; {
		case errors.Is(err, rulebook.ErrBusy):
			busy++
		case errors.Is(err, store.ErrTimeout) && errors.Is(err, rulebook.ErrInvalid):
			timedOut++
		default:
			t.Errorf("backtest while the table is held: %v", err)
		}
	}
	if busy != 1 || timedOut != 1 {
		t.Errorf("two backtests of one tenant at once: %d busy, %d timed out; want one each", busy, timedOut)
	}
	if err := lock.Rollback(); err != nil {
		t.Fatal(err)
	}
	if _, err := book.Backtest(ctx, req); err != nil {
		t.Errorf("after the first ended: %v", err)
	}
	if _, err := book.Backtest(channels.WithTenant(ctx, "acme"), req); err != nil {
		t.Errorf("another tenant: %v", err)
	}
}
