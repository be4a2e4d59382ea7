package store

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/channels/lifecycle"
)

// Decider turns the locked state of a batch into the plan that applies it;
// lifecycle.Decide with a classifier and a policy is the real one. Apply
// may call it more than once per batch: ahead, on the events of the
// batch's new messages alone (lockMessages; the batch's decision then
// reuses those verdicts, Snapshot.Verdicts), and again on every retried
// attempt, so it must have no effect but its result (a classifier's
// shadow verdicts are buffered per call, and stored once per event).
type Decider func(lifecycle.Snapshot) lifecycle.Plan

// Apply applies the inbox events named by ids that are not applied yet, in
// ONE transaction: it locks them and every message and recipient they name,
// asks decide for the plan, and writes verdicts, message states, recipient
// states, audit rows and rate-bucket deltas. Events already applied, or
// being applied by another transaction, are skipped, so calling Apply twice
// with the same ids applies each event exactly once. The returned plan says
// what was done (its Retries are to be scheduled by the caller).
func (s *Store) Apply(ctx context.Context, ids []string, decide Decider) (lifecycle.Plan, error) {
	var plan lifecycle.Plan
	var locked []eventRow
	// Recipients the plan of an earlier attempt changed without having
	// locked them (lockRecipients): this attempt stores and locks them
	// first, in key order with the others.
	force := make(map[lifecycle.RecipientKey]bool)
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := s.exec(ctx, tx, "apply-async-commit"); err != nil {
			return err
		}
		snap, rows, created, err := s.lockSnapshot(ctx, tx, ids, force, decide)
		if err != nil || len(snap.Events) == 0 {
			plan, locked = lifecycle.Plan{}, nil
			return err
		}
		locked = rows
		plan = decide(snap)
		if n := unlockedRecipients(plan, snap.Recipients, force); n > 0 {
			// Only new messages are written yet, and roll back with the
			// rest: start over with the recipients locked.
			return fmt.Errorf("%d changed recipients were not locked: %w", n, errStaleSnapshot)
		}
		return s.writePlan(ctx, tx, plan, rows, created)
	})
	if err != nil {
		return lifecycle.Plan{}, fmt.Errorf("apply %d events: %w", len(ids), err)
	}
	if s.onApplied != nil && len(locked) > 0 {
		received := make([]time.Time, len(locked))
		for i, r := range locked {
			received[i] = r.Received
		}
		s.onApplied(received, time.Now())
	}
	return plan, nil
}

// appliedEvent decodes a stored payload for the apply without its Raw:
// lifecycle.Decide never reads the source payload, which is up to half of
// the stored JSON, and unescaping it into a string would cost the apply
// CPU for nothing. The outer
// Raw field shadows the embedded one (encoding/json: the shallower field
// wins), so the event's Raw stays empty.
type appliedEvent struct {
	channels.Event
	Raw skipJSON `json:"raw,omitempty"`
}

// skipJSON accepts any JSON value and keeps nothing: the decoder hands it
// the value's bytes without copying or unescaping them.
type skipJSON struct{}

// UnmarshalJSON discards the value (encoding/json has already checked
// that it is well-formed).
func (*skipJSON) UnmarshalJSON([]byte) error { return nil }

// eventRow is a locked inbox event: its key (id and month, the
// partition), its stored payload and when it entered the inbox.
type eventRow struct {
	ID       string    `db:"id"`
	Month    time.Time `db:"month"`
	Payload  []byte    `db:"payload"`
	Received time.Time `db:"received_at"`
}

// unlockedRecipients adds to force the recipients the plan changes that
// the snapshot did not lock, and says how many there were: a recipient a
// "sent" event changes (a rule may read one as a failure, as for SMS
// receipts carried on the submission), one of a delivery an operator rule
// reads as a failure, or one another transaction stored since the lock.
func unlockedRecipients(p lifecycle.Plan, locked map[lifecycle.RecipientKey]lifecycle.Recipient, force map[lifecycle.RecipientKey]bool) int {
	n := 0
	for _, r := range p.Recipients {
		k := lifecycle.RecipientKey{Tenant: r.Tenant, Channel: r.Channel, Address: r.Address}
		if _, ok := locked[k]; !ok {
			force[k] = true
			n++
		}
	}
	return n
}

// lockSnapshot locks the batch's events, messages and recipients and
// returns the snapshot to decide on, the locked event rows, and the
// messages it created whole (lockMessages), which the snapshot shows as
// new.
func (s *Store) lockSnapshot(ctx context.Context, tx *sqlx.Tx, ids []string, force map[lifecycle.RecipientKey]bool, decide Decider) (lifecycle.Snapshot, []eventRow, map[lifecycle.MessageKey]lifecycle.Message, error) {
	var rows []eventRow
	if err := s.selectNamed(ctx, tx, &rows, "lock-events", pq.Array(ids)); err != nil {
		return lifecycle.Snapshot{}, nil, nil, err
	}
	snap := lifecycle.Snapshot{Events: make([]channels.Event, 0, len(rows))}
	for _, r := range rows {
		var e appliedEvent
		if err := channels.UnmarshalEvent(r.Payload, &e); err != nil {
			return snap, nil, nil, fmt.Errorf("decode stored event %s: %w", r.ID, err)
		}
		snap.Events = append(snap.Events, e.Event)
	}
	if len(snap.Events) == 0 {
		return snap, nil, nil, nil
	}
	var err error
	var ahead aheadDecision
	if snap.Messages, ahead, err = s.lockMessages(ctx, tx, snap.Events, decide); err != nil {
		return snap, nil, nil, err
	}
	snap.Verdicts = ahead.verdicts // classified once
	if snap.Recipients, snap.Allowed, err = s.lockRecipients(ctx, tx, trusted(snap.Events, snap.Messages, ahead.created, force), force); err != nil {
		return snap, nil, nil, err
	}
	return snap, rows, ahead.created, nil
}

// trusted returns the events that may change a recipient: all but the
// unverified ones that join no send to their recipient
// (lifecycle.JoinsSend), among the locked messages and those the batch
// created, which get no placeholder row and no lock: a forged bounce
// stores nothing per address it names. A join this misses (a stored
// message whose send is in the batch) is in force on the retry.
func trusted(events []channels.Event, locked, created map[lifecycle.MessageKey]lifecycle.Message, force map[lifecycle.RecipientKey]bool) []channels.Event {
	out := events[:0:0]
	for _, e := range events {
		if !e.Unverified || lifecycle.JoinsSend(locked, e) || lifecycle.JoinsSend(created, e) ||
			force[lifecycle.RecipientKey{Tenant: e.TenantName(), Channel: e.Channel, Address: e.Recipient}] {
			out = append(out, e)
		}
	}
	return out
}

type messageRow struct {
	Tenant       string         `db:"tenant"`
	Channel      string         `db:"channel"`
	MessageID    string         `db:"message_id"`
	Recipient    string         `db:"recipient"`
	Campaign     string         `db:"campaign"`
	Domain       string         `db:"domain"`
	SentAt       sql.NullTime   `db:"sent_at"`
	Status       string         `db:"status"`
	Complained   bool           `db:"complained"`
	Reason       string         `db:"reason"`
	EventID      string         `db:"event_id"`
	RetryAttempt int            `db:"retry_attempt"`
	RetryDueAt   sql.NullTime   `db:"retry_due_at"`
	RetryReason  sql.NullString `db:"retry_reason"`
	Route        string         `db:"route"`
}

// lockMessages resolves each event's delivery (resolveDeliveries, which
// rewrites the events' recipients in place), locks the batch's deliveries
// that exist, and creates the ones that do not with the state the batch
// gives them, so that a new delivery is written once instead of as a
// placeholder row, locked, then updated (never HOT: its status and send
// time are in partial indexes). It returns the locked deliveries, and the
// created ones with the verdicts their events got.
//
// The state of a new delivery depends only on its own events (Decide), so
// it is decided ahead, on a snapshot of those events alone, and decided
// again, identically, with the rest of the batch. The creation is one
// insert in key order before any other lock of the apply: a key another
// apply creates meanwhile waits for that apply to end, then conflicts, and
// is locked with the existing ones (in key order), on its committed state.
func (s *Store) lockMessages(ctx context.Context, tx *sqlx.Tx, events []channels.Event, decide Decider) (map[lifecycle.MessageKey]lifecycle.Message, aheadDecision, error) {
	stored, err := s.storedDeliveries(ctx, tx, events)
	if err != nil {
		return nil, aheadDecision{}, err
	}
	resolveDeliveries(events, stored)
	exist := make(map[lifecycle.MessageKey]bool, len(stored))
	for _, k := range stored {
		exist[k] = true
	}
	lock := make(map[lifecycle.MessageKey]bool)
	for _, e := range events {
		if k := deliveryKey(e); e.MessageID != "" && exist[k] {
			lock[k] = true
		}
	}
	ahead, conflicts, err := s.createMessages(ctx, tx, events, exist, decide)
	if err != nil {
		return nil, aheadDecision{}, err
	}
	for _, k := range conflicts {
		lock[k] = true
	}
	out := make(map[lifecycle.MessageKey]lifecycle.Message, len(lock))
	if len(lock) == 0 {
		return out, ahead, nil
	}
	var rows []messageRow
	if err := s.selectNamed(ctx, tx, &rows, "lock-messages", deliveryArrays(slices.Collect(maps.Keys(lock)))...); err != nil {
		return nil, aheadDecision{}, err
	}
	for _, r := range rows {
		m := r.message()
		out[m.Key()] = m
	}
	if len(out) != len(lock) {
		// A delivery seen, then gone before the lock (nothing in rebond
		// deletes messages; an operator's DELETE could): decide again
		// from the start, where it is a new one.
		return nil, aheadDecision{}, fmt.Errorf("%d of %d messages vanished before their lock: %w", len(lock)-len(out), len(lock), errStaleSnapshot)
	}
	return out, ahead, nil
}

// message is the delivery's stored state.
func (r messageRow) message() lifecycle.Message {
	return lifecycle.Message{
		Tenant: r.Tenant, Channel: channels.Channel(r.Channel), MessageID: r.MessageID, Recipient: r.Recipient,
		Campaign: r.Campaign, Domain: r.Domain, SentAt: r.SentAt.Time, Status: lifecycle.Status(r.Status),
		Complained: r.Complained, Reason: r.Reason, EventID: r.EventID,
		RetryAttempt: r.RetryAttempt, RetryDueAt: r.RetryDueAt.Time, RetryReason: r.RetryReason.String, Route: r.Route,
	}
}

// aheadDecision is what createMessages decided ahead: the messages it
// created, and the verdicts of their events, which the batch's decision
// reuses (lifecycle.Snapshot.Verdicts) rather than classify them twice.
type aheadDecision struct {
	created  map[lifecycle.MessageKey]lifecycle.Message
	verdicts map[string]channels.Verdict
}

// createMessages inserts the batch's messages that do not exist (not in
// exist) with the state their events give them, and returns what it
// decided and created, and the keys another transaction created first.
func (s *Store) createMessages(ctx context.Context, tx *sqlx.Tx, events []channels.Event, exist map[lifecycle.MessageKey]bool, decide Decider) (aheadDecision, []lifecycle.MessageKey, error) {
	var fresh []channels.Event
	for _, e := range events {
		if e.MessageID != "" && e.Recipient != "" && !exist[deliveryKey(e)] {
			fresh = append(fresh, e)
		}
	}
	if len(fresh) == 0 {
		return aheadDecision{}, nil, nil
	}
	plan := decide(lifecycle.Snapshot{Events: fresh})
	var inserted []messageKeyRow
	if err := s.selectNamed(ctx, tx, &inserted, "insert-messages", messageArgs(plan.Messages)...); err != nil {
		return aheadDecision{}, nil, err
	}
	ok := make(map[lifecycle.MessageKey]bool, len(inserted))
	for _, r := range inserted {
		ok[r.key()] = true
	}
	a := aheadDecision{created: make(map[lifecycle.MessageKey]lifecycle.Message, len(inserted)),
		verdicts: make(map[string]channels.Verdict, len(plan.Applied))}
	for _, ap := range plan.Applied {
		a.verdicts[ap.EventID] = ap.Verdict
	}
	var conflicts []lifecycle.MessageKey
	for _, m := range plan.Messages {
		k := m.Key()
		if ok[k] {
			a.created[k] = m
		} else {
			conflicts = append(conflicts, k)
		}
	}
	return a, conflicts, nil
}

// messageKeyRow is a delivery's key as read-messages and insert-messages
// return it.
type messageKeyRow struct {
	Tenant    string `db:"tenant"`
	Channel   string `db:"channel"`
	MessageID string `db:"message_id"`
	Recipient string `db:"recipient"`
}

func (r messageKeyRow) key() lifecycle.MessageKey {
	return lifecycle.MessageKey{Tenant: r.Tenant, Channel: channels.Channel(r.Channel), MessageID: r.MessageID, Recipient: r.Recipient}
}

type recipientRow struct {
	Tenant    string       `db:"tenant"`
	Channel   string       `db:"channel"`
	Address   string       `db:"address"`
	State     string       `db:"state"`
	Reason    string       `db:"reason"`
	SoftCount int          `db:"soft_count"`
	Since     sql.NullTime `db:"since"`
	Until     sql.NullTime `db:"until"`
	EventID   string       `db:"event_id"`
	Rule      string       `db:"rule"`
	// Escalation on repeat (migration 0005).
	QuarantineCount int          `db:"quarantine_count"`
	QuarantinedAt   sql.NullTime `db:"quarantined_at"`
}

// lockRecipients locks the recipients of every event that can change a
// recipient (all but a bare "sent", and those in force) and reports which
// of them are allowlisted.
//
// A recipient with no row is active with no soft errors; a placeholder row
// (ensure-recipients) exists only so that a key nobody has stored yet can
// be locked. Only keys with an event other than "delivered" in the batch,
// or in force, get one: a delivery leaves a fresh recipient as it is, and
// most events are deliveries, whose placeholder rows were an insert and a
// row lock each for nothing. Should the plan
// still change a key that was not locked, Apply starts over with the key
// in force (unlockedRecipients), before writing anything but the new
// messages, which roll back with the attempt: the locks are then all
// taken here, in key order, as before.
func (s *Store) lockRecipients(ctx context.Context, tx *sqlx.Tx, events []channels.Event, force map[lifecycle.RecipientKey]bool) (map[lifecycle.RecipientKey]lifecycle.Recipient, map[lifecycle.RecipientKey]bool, error) {
	keys := make([][]string, 3)
	ensure := make([][]string, 3)
	seen := make(map[lifecycle.RecipientKey]bool) // true: ensured
	for _, e := range events {
		k := lifecycle.RecipientKey{Tenant: e.TenantName(), Channel: e.Channel, Address: e.Recipient}
		// A bare "sent" changes no recipient; one that carries a reply or a
		// receipt (an SMS submission refused at once) may, like a failure.
		if e.Type == channels.Sent && e.SMTP == nil && e.SMS == nil && !force[k] || e.Recipient == "" {
			continue // an event with no recipient (resolveDeliveries) acts on nobody
		}
		ensured, ok := seen[k]
		if !ok {
			keys[0] = append(keys[0], k.Tenant)
			keys[1] = append(keys[1], string(e.Channel))
			keys[2] = append(keys[2], e.Recipient)
		}
		if !ensured && (force[k] || e.Type != channels.Delivered) {
			ensure[0] = append(ensure[0], k.Tenant)
			ensure[1] = append(ensure[1], string(e.Channel))
			ensure[2] = append(ensure[2], e.Recipient)
			ensured = true
		}
		seen[k] = ensured
	}
	out := make(map[lifecycle.RecipientKey]lifecycle.Recipient, len(seen))
	allowed := make(map[lifecycle.RecipientKey]bool)
	if len(seen) == 0 {
		return out, allowed, nil
	}
	if len(ensure[0]) > 0 {
		if err := s.exec(ctx, tx, "ensure-recipients", arrays(ensure)...); err != nil {
			return nil, nil, err
		}
	}
	var rows []recipientRow
	if err := s.selectNamed(ctx, tx, &rows, "lock-recipients", arrays(keys)...); err != nil {
		return nil, nil, err
	}
	for _, r := range rows {
		k := lifecycle.RecipientKey{Tenant: r.Tenant, Channel: channels.Channel(r.Channel), Address: r.Address}
		out[k] = lifecycle.Recipient{
			Tenant: k.Tenant, Channel: k.Channel, Address: r.Address, State: channels.State(r.State), Reason: r.Reason, SoftCount: r.SoftCount,
			Since: r.Since.Time, Until: r.Until.Time, EventID: r.EventID, Rule: r.Rule,
			QuarantineCount: r.QuarantineCount, QuarantinedAt: r.QuarantinedAt.Time,
		}
	}
	var allow []struct {
		Tenant  string `db:"tenant"`
		Channel string `db:"channel"`
		Address string `db:"address"`
	}
	if err := s.selectNamed(ctx, tx, &allow, "allowed-recipients", arrays(keys)...); err != nil {
		return nil, nil, err
	}
	for _, a := range allow {
		allowed[lifecycle.RecipientKey{Tenant: a.Tenant, Channel: channels.Channel(a.Channel), Address: a.Address}] = true
	}
	return out, allowed, nil
}
