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
// calls it once per attempt of its transaction (twice when another apply
// created one of the batch's new deliveries meanwhile), and an attempt
// may start over (a serialization failure, or a recipient the plan changes
// that the attempt did not lock), so it must have no effect but its result
// (a classifier's shadow verdicts are buffered per call, and stored once
// per event).
type Decider func(lifecycle.Snapshot) lifecycle.Plan

// Apply applies the inbox events named by ids that are not applied yet, in
// ONE transaction of three steps: lock the events and every stored
// delivery and recipient they name (lockBatch), decide the plan on that
// snapshot (decide, once), and write it: the new deliveries first
// (createMessages), then verdicts, changed deliveries, recipient states,
// audit rows and rate-bucket deltas (writePlan). Events already applied,
// or being applied by another transaction, are skipped, so calling Apply
// twice with the same ids applies each event exactly once. The returned
// plan says what was done (its Retries are to be scheduled by the caller).
//
// Two races make an attempt decide on a state that is not the stored one.
// A new delivery another apply created meanwhile is locked once that apply
// has committed, and the batch is decided again on it (createMessages). A
// recipient the plan changes that the attempt did not lock (lockRecipients
// leaves most recipients of deliveries alone) makes it roll back and start
// over (errStaleSnapshot), and every later attempt locks it.
func (s *Store) Apply(ctx context.Context, ids []string, decide Decider) (lifecycle.Plan, error) {
	var plan lifecycle.Plan
	var applied []eventRow
	// The recipients an earlier attempt's plan changed without having
	// locked them.
	alsoLock := make(map[lifecycle.RecipientKey]bool)
	// The consents an earlier attempt's plan changed without having
	// loaded them (a gateway's opted_out refusal: lifecycle.Decide).
	alsoLoad := make(map[lifecycle.ConsentKey]bool)
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		plan, applied = lifecycle.Plan{}, nil
		if err := s.exec(ctx, tx, qApplyAsyncCommit); err != nil {
			return err
		}
		b, err := s.lockBatch(ctx, tx, ids, alsoLock, alsoLoad)
		if err != nil || len(b.rows) == 0 {
			return err
		}
		plan = decide(b.snap)
		again, err := s.createMessages(ctx, tx, &b, plan)
		if err != nil {
			return err
		}
		if again {
			plan = decide(b.snap) // with the deliveries created meanwhile, now locked
		}
		if missed := unlockedRecipients(plan, b.snap.Recipients); len(missed) > 0 {
			for _, k := range missed {
				alsoLock[k] = true
			}
			return fmt.Errorf("%d changed recipients were not locked: %w", len(missed), errStaleSnapshot)
		}
		if missed := unloadedConsents(plan, b.snap.Consents, b.loaded); len(missed) > 0 {
			for _, k := range missed {
				alsoLoad[k] = true
			}
			return fmt.Errorf("%d changed consents were not loaded: %w", len(missed), errStaleSnapshot)
		}
		applied = b.rows
		return s.writePlan(ctx, tx, plan, b)
	})
	if err != nil {
		return lifecycle.Plan{}, fmt.Errorf("apply %d events: %w", len(ids), err)
	}
	if s.onApplied != nil && len(applied) > 0 {
		received := make([]time.Time, len(applied))
		for i, r := range applied {
			received[i] = r.Received
		}
		s.onApplied(received, time.Now())
	}
	return plan, nil
}

// batch is what one attempt of Apply locked: the inbox rows of its events
// and the snapshot to decide on, whose Messages are the stored deliveries
// (a delivery not among them is new), and the deliveries it then created,
// with the state it created them with.
type batch struct {
	rows    []eventRow
	snap    lifecycle.Snapshot
	created map[lifecycle.MessageKey]lifecycle.Message
	// loaded are the consent keys read (snap.Consents holds those stored).
	loaded map[lifecycle.ConsentKey]bool
}

// lockBatch locks, in this order and each in key order, the inbox events
// of ids not applied yet, the stored deliveries they name and the
// recipients they may change, with those of alsoLock, and returns them
// with the allowlisted recipients among them, and the consents the
// events name with those of alsoLoad (read under their recipients'
// locks). It gives each event its delivery's recipient first
// (resolveDeliveries rewrites the events).
func (s *Store) lockBatch(ctx context.Context, tx *sqlx.Tx, ids []string, alsoLock map[lifecycle.RecipientKey]bool, alsoLoad map[lifecycle.ConsentKey]bool) (batch, error) {
	rows, events, err := s.lockEvents(ctx, tx, ids)
	if err != nil || len(rows) == 0 {
		return batch{}, err
	}
	stored, err := s.storedDeliveries(ctx, tx, events)
	if err != nil {
		return batch{}, err
	}
	resolveDeliveries(events, stored)
	b := batch{rows: rows, snap: lifecycle.Snapshot{Events: events}, created: make(map[lifecycle.MessageKey]lifecycle.Message)}
	if b.snap.Messages, err = s.lockMessages(ctx, tx, events, stored); err != nil {
		return batch{}, err
	}
	sent := sentDeliveries(events, b.snap.Messages)
	if b.snap.Recipients, b.snap.Allowed, err = s.lockRecipients(ctx, tx, events, sent, alsoLock); err != nil {
		return batch{}, err
	}
	if b.snap.Consents, b.loaded, err = s.readConsents(ctx, tx, events, alsoLoad); err != nil {
		return batch{}, err
	}
	return b, nil
}

// unlockedRecipients returns the recipients the plan changes that the
// snapshot did not lock: one of a delivery an operator rule reads as a
// failure, one a "sent" event changes (a rule may read one as a failure,
// as for SMS receipts carried on the submission), or one another
// transaction stored since the lock.
func unlockedRecipients(p lifecycle.Plan, locked map[lifecycle.RecipientKey]lifecycle.Recipient) []lifecycle.RecipientKey {
	var out []lifecycle.RecipientKey
	for _, r := range p.Recipients {
		k := lifecycle.RecipientKey{Tenant: r.Tenant, Channel: r.Channel, Address: r.Address}
		if _, ok := locked[k]; !ok {
			out = append(out, k)
		}
	}
	return out
}

// lockEvents locks the inbox events of ids not applied yet (lock-events
// skips those another apply holds) and decodes them.
func (s *Store) lockEvents(ctx context.Context, tx *sqlx.Tx, ids []string) ([]eventRow, []channels.Event, error) {
	var rows []eventRow
	if err := s.selectNamed(ctx, tx, &rows, qLockEvents, pq.Array(ids)); err != nil {
		return nil, nil, err
	}
	events := make([]channels.Event, 0, len(rows))
	for _, r := range rows {
		var e appliedEvent
		if err := channels.UnmarshalEvent(r.Payload, &e); err != nil {
			return nil, nil, fmt.Errorf("decode stored event %s: %w", r.ID, err)
		}
		events = append(events, e.Event)
	}
	return rows, events, nil
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

// lockMessages locks the stored deliveries the events name, once
// resolveDeliveries has given each event its delivery's recipient. A
// delivery not stored is not in the result: the plan decides it as new,
// and createMessages creates it whole.
func (s *Store) lockMessages(ctx context.Context, tx *sqlx.Tx, events []channels.Event, stored []lifecycle.MessageKey) (map[lifecycle.MessageKey]lifecycle.Message, error) {
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
	out := make(map[lifecycle.MessageKey]lifecycle.Message, len(lock))
	if len(lock) == 0 {
		return out, nil
	}
	var rows []messageRow
	if err := s.selectNamed(ctx, tx, &rows, qLockMessages, deliveryArrays(slices.Collect(maps.Keys(lock)))...); err != nil {
		return nil, err
	}
	for _, r := range rows {
		m := r.message()
		out[m.Key()] = m
	}
	if len(out) != len(lock) {
		// A delivery seen, then gone before the lock (nothing in rebond
		// deletes messages; an operator's DELETE could): decide again
		// from the start, where it is a new one.
		return nil, fmt.Errorf("%d of %d messages vanished before their lock: %w", len(lock)-len(out), len(lock), errStaleSnapshot)
	}
	return out, nil
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
	Unsubscribed bool           `db:"unsubscribed"`
}

// message is the delivery's stored state.
func (r messageRow) message() lifecycle.Message {
	return lifecycle.Message{
		Tenant: r.Tenant, Channel: channels.Channel(r.Channel), MessageID: r.MessageID, Recipient: r.Recipient,
		Campaign: r.Campaign, Domain: r.Domain, SentAt: r.SentAt.Time, Status: lifecycle.Status(r.Status),
		Complained: r.Complained, Reason: r.Reason, EventID: r.EventID,
		RetryAttempt: r.RetryAttempt, RetryDueAt: r.RetryDueAt.Time, RetryReason: r.RetryReason.String, Route: r.Route,
		Unsubscribed: r.Unsubscribed,
	}
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

// sentDeliveries returns the deliveries with a send: the locked ones
// whose "sent" event is stored, and those the batch sends (a "sent"
// event that nothing needs to vouch for). An unverified event joins
// only these (lifecycle.JoinsSend).
func sentDeliveries(events []channels.Event, locked map[lifecycle.MessageKey]lifecycle.Message) map[lifecycle.MessageKey]bool {
	out := make(map[lifecycle.MessageKey]bool)
	for k, m := range locked {
		if !m.SentAt.IsZero() {
			out[k] = true
		}
	}
	for _, e := range events {
		if e.Type == channels.Sent && !e.Unverified && e.MessageID != "" && e.Recipient != "" {
			out[deliveryKey(e)] = true
		}
	}
	return out
}

// lockRecipients locks the recipients the events may change, with those
// of alsoLock, in key order (recipientKeys), and reports which of them are
// allowlisted. A recipient with no row is active with no soft errors; a
// placeholder row (ensure-recipients) exists only so that a key nobody has
// stored yet can be locked.
func (s *Store) lockRecipients(ctx context.Context, tx *sqlx.Tx, events []channels.Event, sent map[lifecycle.MessageKey]bool, alsoLock map[lifecycle.RecipientKey]bool) (map[lifecycle.RecipientKey]lifecycle.Recipient, map[lifecycle.RecipientKey]bool, error) {
	lock, ensure := recipientKeys(events, sent, alsoLock)
	out := make(map[lifecycle.RecipientKey]lifecycle.Recipient, len(lock[0]))
	if len(lock[0]) == 0 {
		return out, make(map[lifecycle.RecipientKey]bool), nil
	}
	if len(ensure[0]) > 0 {
		if err := s.exec(ctx, tx, qEnsureRecipients, arrays(ensure)...); err != nil {
			return nil, nil, err
		}
	}
	var rows []recipientRow
	if err := s.selectNamed(ctx, tx, &rows, qLockRecipients, arrays(lock)...); err != nil {
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
	allowed, err := s.allowedRecipients(ctx, tx, lock)
	if err != nil {
		return nil, nil, err
	}
	return out, allowed, nil
}

// recipientKeys returns the key columns of the recipients to lock, and of
// those among them that need a placeholder row first. A recipient is
// locked when one of its events may change it, or when it is in alsoLock:
// not by an event with no recipient (resolveDeliveries: it acts on
// nobody), a bare "sent" (one that carries a reply or a receipt, an SMS
// submission refused at once, may fail like a failure), an inbound
// message (a consent event that changes nothing), nor an unverified
// event that joins no send (lifecycle.JoinsSend): a forged bounce stores
// nothing per address it names.
//
// Only keys with an event other than "delivered", or in alsoLock, get a
// placeholder: a delivery leaves a fresh recipient as it is, and most
// events are deliveries, whose placeholder rows were an insert and a row
// lock each for nothing (docs/SCALING.md, section 12). Should the plan
// still change a key that was not locked, Apply starts over with it in
// alsoLock (unlockedRecipients).
func recipientKeys(events []channels.Event, sent map[lifecycle.MessageKey]bool, alsoLock map[lifecycle.RecipientKey]bool) (lock, ensure [][]string) {
	lock, ensure = make([][]string, 3), make([][]string, 3)
	seen := make(map[lifecycle.RecipientKey]bool) // true: ensured
	for _, e := range events {
		k := lifecycle.RecipientKey{Tenant: e.TenantName(), Channel: e.Channel, Address: e.Recipient}
		bareSent := e.Type == channels.Sent && e.SMTP == nil && e.SMS == nil
		vouched := !e.Unverified || e.MessageID != "" && sent[deliveryKey(e)]
		if e.Recipient == "" || !alsoLock[k] && (bareSent || !vouched || e.Type == channels.Inbound) {
			continue
		}
		ensured, ok := seen[k]
		if !ok {
			lock[0], lock[1], lock[2] = append(lock[0], k.Tenant), append(lock[1], string(k.Channel)), append(lock[2], k.Address)
		}
		if !ensured && (alsoLock[k] || e.Type != channels.Delivered) {
			ensure[0], ensure[1], ensure[2] = append(ensure[0], k.Tenant), append(ensure[1], string(k.Channel)), append(ensure[2], k.Address)
			ensured = true
		}
		seen[k] = ensured
	}
	return lock, ensure
}

// allowedRecipients returns which of the recipients keys names (tenant,
// channel and address columns) are allowlisted.
func (s *Store) allowedRecipients(ctx context.Context, tx *sqlx.Tx, keys [][]string) (map[lifecycle.RecipientKey]bool, error) {
	var allow []struct {
		Tenant  string `db:"tenant"`
		Channel string `db:"channel"`
		Address string `db:"address"`
	}
	if err := s.selectNamed(ctx, tx, &allow, qAllowedRecipients, arrays(keys)...); err != nil {
		return nil, err
	}
	out := make(map[lifecycle.RecipientKey]bool, len(allow))
	for _, a := range allow {
		out[lifecycle.RecipientKey{Tenant: a.Tenant, Channel: channels.Channel(a.Channel), Address: a.Address}] = true
	}
	return out, nil
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
