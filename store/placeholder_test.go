package store_test

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/channels/lifecycle"
	"github.com/rebond/rebond/store"
)

// operatorClassifier reads the "delivered" events of messages "m-odd..." as
// soft failures, as an operator rule may, and the "sent" events of
// messages "m-sent-hard..." as hard failures, as SMS rules do for a
// submission that carries its receipt: the cases where a recipient that
// lockRecipients did not lock still changes.
type operatorClassifier struct{}

func (operatorClassifier) Classify(e channels.Event) channels.Verdict {
	if e.Type == channels.Delivered && strings.HasPrefix(e.MessageID, "m-odd") {
		return channels.Verdict{Outcome: channels.OutcomeSoft, Reason: "undefined", Rule: "t.operator@1"}
	}
	if e.Type == channels.Sent && strings.HasPrefix(e.MessageID, "m-sent-hard") {
		return channels.Verdict{Outcome: channels.OutcomeHard, Reason: "user_unknown", Rule: "t.sent_hard@1"}
	}
	return statusClassifier{}.Classify(e)
}

// TestRecipientPlaceholders covers lockRecipients' placeholders: a
// delivery to a recipient never seen stores no recipient row; a recipient
// the plan changes without having locked it (a "delivered" event an
// operator rule reads as a failure, a "sent" event read as one, a row
// another apply stored meanwhile) makes the apply start over with it
// locked, so it is stored, and on its newest state.
func TestRecipientPlaceholders(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	ctx := context.Background()
	decideOp := func(snap lifecycle.Snapshot) lifecycle.Plan {
		return lifecycle.Decide(testPolicy, operatorClassifier{}, snap)
	}

	insertApply(t, s, event(channels.Sent, "m1", "fresh@example.com", "", t0),
		event(channels.Delivered, "m1", "fresh@example.com", "", t0.Add(time.Minute)))
	if v, err := s.Recipient(ctx, channels.Email, "fresh@example.com"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a delivery stored a recipient row: %+v, %v", v, err)
	}

	applyWith(t, s, decideOp, event(channels.Sent, "m-odd", "odd@example.com", "", t0),
		event(channels.Delivered, "m-odd", "odd@example.com", "", t0.Add(time.Minute)))
	if v, err := s.Recipient(ctx, channels.Email, "odd@example.com"); err != nil || v.SoftCount != 1 || v.State != "active" {
		t.Errorf("a delivered event read as soft: recipient = %+v, %v; want soft_count 1", v, err)
	}

	// The race: while the apply of a delivery-only key decides, another
	// apply stores a soft error of the same recipient and commits. The
	// first apply's insert then meets that row: it must start over and
	// count both errors (threshold 2: quarantined), not keep one.
	const rcpt = "raced@example.com"
	other, err := s.InsertEvents(ctx, []channels.Event{event(channels.Failed, "m-other", rcpt, "4.9.9", t0)})
	if err != nil {
		t.Fatal(err)
	}
	ids, err := s.InsertEvents(ctx, []channels.Event{event(channels.Sent, "m-odd2", rcpt, "", t0),
		event(channels.Delivered, "m-odd2", rcpt, "", t0.Add(time.Minute))})
	if err != nil {
		t.Fatal(err)
	}
	attempts := 0
	racing := func(snap lifecycle.Snapshot) lifecycle.Plan {
		attempts++
		if attempts == 1 {
			if _, err := s.Apply(ctx, other, decide); err != nil {
				t.Errorf("concurrent apply: %v", err)
			}
		}
		return decideOp(snap)
	}
	if _, err := s.Apply(ctx, ids, racing); err != nil {
		t.Fatal(err)
	}
	if attempts != 2 {
		t.Errorf("apply decided %d times, want 2 (once on the stale state, once again)", attempts)
	}
	v, err := s.Recipient(ctx, channels.Email, rcpt)
	// History: the quarantine, and the first soft failure (active to active).
	if err != nil || v.State != "quarantined" || len(v.History) != 2 || v.History[0].To != "quarantined" || v.History[1].To != "active" {
		t.Errorf("raced recipient = %+v, %v; want quarantined after two soft errors", v, err)
	}

	// A "sent" event read as a hard failure, for a recipient stored before
	// (soft_count 1) and for one never seen: both are locked on the second
	// attempt and quarantined, the stored one keeping its count.
	const known, unknown = "known@example.com", "unknown@example.com"
	applyWith(t, s, decide, event(channels.Failed, "m-known", known, "4.9.9", t0))
	applyWith(t, s, decideOp, event(channels.Sent, "m-sent-hard1", known, "", t0.Add(time.Minute)),
		event(channels.Sent, "m-sent-hard2", unknown, "", t0.Add(time.Minute)))
	for _, a := range []string{known, unknown} {
		v, err := s.Recipient(ctx, channels.Email, a)
		if err != nil || v.State != "quarantined" || v.Reason != "user_unknown" {
			t.Errorf("%s after a sent event read as hard = %+v, %v; want quarantined user_unknown", a, v, err)
		}
		if a == known && v.SoftCount != 1 {
			t.Errorf("%s: soft_count %d, want the stored 1 kept", a, v.SoftCount)
		}
	}

	// A "sent" event that carries a reply is locked at once: one decision.
	decisions := 0
	counting := func(snap lifecycle.Snapshot) lifecycle.Plan {
		decisions++
		return decideOp(snap)
	}
	refused := event(channels.Sent, "m-sent-hard3", "refused@example.com", "", t0)
	refused.SMTP = &channels.SMTPReply{Code: 550, Text: "550 no such user"}
	applyWith(t, s, counting, refused)
	if v, err := s.Recipient(ctx, channels.Email, "refused@example.com"); err != nil || v.State != "quarantined" || decisions != 1 {
		t.Errorf("sent with a reply: recipient %+v, %v after %d decisions; want quarantined after 1", v, err, decisions)
	}
}

// TestNewMessageCreatedMeanwhile: while an apply decides on a message it
// found new, another apply creates it and commits. The first apply's
// insert then meets that row: it must lock it, decide again on the stored
// message, and count the send once and its failure once.
func TestNewMessageCreatedMeanwhile(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	ctx := context.Background()
	const rcpt = "created@example.com"
	sent, err := s.InsertEvents(ctx, []channels.Event{event(channels.Sent, "m-new", rcpt, "", t0)})
	if err != nil {
		t.Fatal(err)
	}
	ids, err := s.InsertEvents(ctx, []channels.Event{event(channels.Failed, "m-new", rcpt, "5.1.1", t0.Add(time.Minute))})
	if err != nil {
		t.Fatal(err)
	}
	var stored []bool // per decision: whether the snapshot holds the message
	racing := func(snap lifecycle.Snapshot) lifecycle.Plan {
		stored = append(stored, len(snap.Messages) == 1)
		if len(stored) == 1 {
			if _, err := s.Apply(ctx, sent, decide); err != nil {
				t.Errorf("concurrent apply: %v", err)
			}
		}
		return decide(snap)
	}
	plan, err := s.Apply(ctx, ids, racing)
	if err != nil {
		t.Fatal(err)
	}
	if want := []bool{false, true}; !slices.Equal(stored, want) {
		t.Errorf("decisions on a stored message: %v, want %v (new, then stored)", stored, want)
	}
	if len(plan.Messages) != 1 || plan.Messages[0].Status != lifecycle.StatusHard || plan.Messages[0].SentAt.IsZero() {
		t.Errorf("plan messages = %+v, want the sent message, hard", plan.Messages)
	}
	rows, err := s.Rates(ctx, store.RatesQuery{Channel: channels.Email})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].Sent != 1 || rows[0].Hard != 1 {
		t.Errorf("rates = %+v, want sent=1 hard=1", rows)
	}
	if v, err := s.Recipient(ctx, channels.Email, rcpt); err != nil || v.State != "quarantined" {
		t.Errorf("recipient = %+v, %v; want quarantined", v, err)
	}
}

// TestCreatedMeanwhileAndHeld: the message another apply created meanwhile
// is locked by a third transaction when the apply comes to lock it. That
// lock would come after the apply's recipient locks, out of its lock
// order, so the apply must not wait for it: it starts over, and waits for
// the message in order, with the stored ones.
func TestCreatedMeanwhileAndHeld(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, db := openStoreDB(t)
	const rcpt = "held@example.com"
	sent, err := s.InsertEvents(ctx, []channels.Event{event(channels.Sent, "m-held", rcpt, "", t0)})
	if err != nil {
		t.Fatal(err)
	}
	ids, err := s.InsertEvents(ctx, []channels.Event{event(channels.Failed, "m-held", rcpt, "5.1.1", t0.Add(time.Minute))})
	if err != nil {
		t.Fatal(err)
	}
	// released: the holder let go once the apply waited for the message
	// with an ordinary lock, that of a later attempt (false: after 20 s).
	released := make(chan bool, 1)
	var stored []bool
	racing := func(snap lifecycle.Snapshot) lifecycle.Plan {
		stored = append(stored, len(snap.Messages) == 1)
		if len(stored) == 1 {
			if _, err := s.Apply(ctx, sent, decide); err != nil {
				t.Errorf("concurrent apply: %v", err)
			}
			holder, err := db.BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := holder.ExecContext(ctx, `SELECT 1 FROM messages WHERE message_id = 'm-held' FOR UPDATE`); err != nil {
				t.Fatal(err)
			}
			go func() { released <- waitForLockWaiter(ctx, db); _ = holder.Rollback() }()
		}
		return decide(snap)
	}
	if _, err := s.Apply(ctx, ids, racing); err != nil {
		t.Fatal(err)
	}
	if !<-released {
		t.Error("the apply never waited for the held message in order; want a second attempt that does")
	}
	if want := []bool{false, true}; !slices.Equal(stored, want) {
		t.Errorf("decisions on a stored message: %v, want %v (new, then stored on the second attempt)", stored, want)
	}
	rows, err := s.Rates(ctx, store.RatesQuery{Channel: channels.Email})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].Sent != 1 || rows[0].Hard != 1 {
		t.Errorf("rates = %+v, want sent=1 hard=1", rows)
	}
}

// waitForLockWaiter reports whether a backend of the database came to wait
// on a lock in lock-messages (FOR UPDATE without NOWAIT) within 20 s.
func waitForLockWaiter(ctx context.Context, db *sql.DB) bool {
	for range 200 {
		var n int
		err := db.QueryRowContext(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock'
			  AND query LIKE '%FOR UPDATE OF m%' AND query NOT LIKE '%NOWAIT%'`).Scan(&n)
		if err == nil && n > 0 {
			return true
		}
		time.Sleep(100 * time.Millisecond)
	}
	return false
}
