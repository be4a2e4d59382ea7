package rulebook_test

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/channels/rules"
	"github.com/rebond/rebond/rulebook"
	"github.com/rebond/rebond/store"
)

// recordingStore keeps the shadow verdicts it is given.
type recordingStore struct {
	fakeStore
	mu       sync.Mutex
	recorded []store.ShadowVerdict
}

func (r *recordingStore) RecordShadowVerdicts(_ context.Context, vs []store.ShadowVerdict) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.recorded = append(r.recorded, vs...)
	return nil
}

// TestClassifierShadow: concurrent classifications always get the live
// verdict; each event the shadow set decides otherwise is flushed once,
// even when it is classified twice before a flush.
func TestClassifierShadow(t *testing.T) {
	t.Parallel()
	rule := func(v int, reason channels.Reason) rules.Rule {
		return rules.Rule{ID: "email.text.acme", Version: v, Channel: channels.Email, Priority: 1, Match: rules.Match{Text: "acme"},
			Verdict: rules.Verdict{Outcome: channels.OutcomeSoft, Reason: reason}}
	}
	live, err := rules.NewSet([]rules.Rule{rule(1, "blocked")})
	if err != nil {
		t.Fatal(err)
	}
	shadow, err := rules.NewSet([]rules.Rule{rule(1, "blocked"), rule(2, "spam_detected")})
	if err != nil {
		t.Fatal(err)
	}
	st := &recordingStore{}
	c := rulebook.NewClassifier(live)
	r := rulebook.NewReloader(rulebook.New(st, live, rulebook.Config{}), c, slog.New(slog.DiscardHandler))
	c.Swap(live, shadow)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 250 {
				e := failed("m", "a@example.com", "ACME refused", t0)
				e.ID = fmt.Sprintf("e%d-%d", g, i)
				if v := c.Classify(e); v.Rule != "email.text.acme@1" {
					t.Errorf("a shadow rule decided: %+v", v)
				}
				if i%50 == 0 {
					_ = r.Flush(context.Background())
				}
				other := failed("m", "a@example.com", "nothing known", t0)
				c.Classify(other) // both sets fall back: nothing to record
			}
		}()
	}
	wg.Wait()
	if err := r.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(st.recorded) != 1000 {
		t.Fatalf("%d shadow verdicts recorded, want 1000", len(st.recorded))
	}
	v := st.recorded[0]
	if v.Shadow.Rule != "email.text.acme@2" || v.Shadow.Reason != "spam_detected" || v.Live.Rule != "email.text.acme@1" || v.Channel != channels.Email {
		t.Errorf("recorded %+v", v)
	}
	// An event classified twice before a flush (store.Apply decides a
	// retried attempt's batch again) is recorded once.
	twice := failed("m", "a@example.com", "acme again", t0)
	twice.ID = "twice"
	c.Classify(twice)
	c.Classify(twice)
	if err := r.Flush(context.Background()); err != nil || len(st.recorded) != 1001 {
		t.Fatalf("an event classified twice: %d recorded in all, %v; want 1001", len(st.recorded), err)
	}
	c.Swap(live, nil)
	c.Classify(failed("m", "a@example.com", "acme", t0))
	if err := r.Flush(context.Background()); err != nil || len(st.recorded) != 1001 {
		t.Errorf("without a shadow set nothing is recorded: %d, %v", len(st.recorded), err)
	}
}
