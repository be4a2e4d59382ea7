package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/channels/lifecycle"
)

// ReplayRange selects one page of the applied events a replay
// re-classifies.
type ReplayRange struct {
	// Channel is email, sms, or "" for both.
	Channel  channels.Channel
	From, To time.Time // occurred_at in [From, To)
	// After is where the previous page ended (zero: the start).
	After ReplayCursor
	// Limit bounds the page (default 1000, at most 10000).
	Limit int
}

// ReplayCursor is a position in a replay range: events are read in
// (occurred_at, seq) order, which a verdict rewrite never changes.
type ReplayCursor struct {
	OccurredAt time.Time
	Seq        int64
}

// ReplayPage is one page of a replay range: its events (all InWindow)
// and the allowlisted recipients among them.
type ReplayPage struct {
	Replay
	// Next is the cursor of the page after this one; Done is true when
	// this page is the last.
	Next ReplayCursor
	Done bool
}

// Reverdict is a new verdict for a stored, applied event.
type Reverdict struct {
	EventID   string
	Channel   channels.Channel
	MessageID string // "" for an event that names no message
	// OccurredAt is the event's, which names its monthly partition; when
	// one Reverdict of a call leaves it zero, the rewrite looks for the
	// ids in every partition.
	OccurredAt time.Time
	Verdict    channels.Verdict
}

// MessageChange is a delivery whose status (or complaint flag) a
// reconciliation changed.
type MessageChange struct {
	Key      lifecycle.MessageKey
	Campaign string
	From, To lifecycle.Status
	// Complained is the flag after the change.
	Complained bool
}

// Reconciliation says what Reconcile changed (or, dry, would change).
type Reconciliation struct {
	// Verdicts counts the event verdicts rewritten.
	Verdicts int
	// Messages lists the messages whose status or complaint flag changed.
	Messages []MessageChange
	// Buckets are the deltas added to rate_buckets, rate_days and
	// rate_campaign_days (non-zero ones only).
	Buckets map[lifecycle.BucketKey]lifecycle.Counts
}

// errDryRun rolls back a dry reconciliation.
var errDryRun = errors.New("dry run")

const (
	defaultReplayPage = 1000
	maxReplayPage     = 10000
)

// AppliedEvents reads one page of the applied events of r, with their
// stored verdicts, in one read-only transaction.
func (s *Store) AppliedEvents(ctx context.Context, r ReplayRange) (ReplayPage, error) {
	if r.Channel != "" {
		if err := validChannel(r.Channel); err != nil {
			return ReplayPage{}, err
		}
	}
	if r.Limit <= 0 {
		r.Limit = defaultReplayPage
	}
	r.Limit = min(r.Limit, maxReplayPage)
	var page ReplayPage
	err := s.readTx(ctx, func(tx *sqlx.Tx) error {
		var rows []struct {
			Seq        int64     `db:"seq"`
			OccurredAt time.Time `db:"occurred_at"`
			replayRow
		}
		after := r.After.OccurredAt
		if after.IsZero() {
			after = time.Unix(0, 0)
		}
		if err := s.selectNamed(ctx, tx, &rows, qReplayPage, string(r.Channel), r.From, r.To, after, r.After.Seq, r.Limit, channels.Tenant(ctx)); err != nil {
			return err
		}
		plain := make([]replayRow, len(rows))
		for i, row := range rows {
			plain[i] = row.replayRow
		}
		var err error
		if page.Events, err = decodeReplay(plain); err != nil {
			return err
		}
		page.Done = len(rows) < r.Limit
		if n := len(rows); n > 0 {
			page.Next = ReplayCursor{OccurredAt: rows[n-1].OccurredAt, Seq: rows[n-1].Seq}
		}
		page.Allowed, err = s.allowedIn(ctx, tx, page.Events)
		return err
	})
	if err != nil {
		return ReplayPage{}, fmt.Errorf("read replay page: %w", err)
	}
	return page, nil
}

// Reconcile rewrites the verdicts of vs and reconciles what depends on
// them, in ONE transaction: it locks the messages they name in key order
// (as Apply does, so it serializes with the workers), recomputes each
// message's status from ALL its applied events under lifecycle semantics
// (the stored verdicts, with vs in place of theirs), and applies the
// difference between the old and the new status to the message's rate
// bucket (its campaign, domain, route and sent hour) in rate_buckets, rate_days
// and rate_campaign_days. Recipient states are left alone: they are
// history an operator may have acted on. With dry set, it computes the
// same and rolls back: nothing is written.
func (s *Store) Reconcile(ctx context.Context, vs []Reverdict, dry bool) (Reconciliation, error) {
	var out Reconciliation
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		if out, err = s.reconcile(ctx, tx, vs); err != nil {
			return err
		}
		if dry {
			return errDryRun
		}
		return nil
	})
	if err != nil && !errors.Is(err, errDryRun) {
		return Reconciliation{}, fmt.Errorf("reconcile %d verdicts: %w", len(vs), err)
	}
	return out, nil
}

func (s *Store) reconcile(ctx context.Context, tx *sqlx.Tx, vs []Reverdict) (Reconciliation, error) {
	out := Reconciliation{Buckets: map[lifecycle.BucketKey]lifecycle.Counts{}}
	if len(vs) == 0 {
		return out, nil
	}
	ids := replayKeys(channels.Tenant(ctx), vs)
	old, keys, err := s.lockReplayMessages(ctx, tx, ids)
	if err != nil {
		return out, err
	}
	next, err := s.recompute(ctx, tx, ids, keys, vs)
	if err != nil {
		return out, err
	}
	var changed []lifecycle.Message
	for _, k := range keys {
		was, ok := old[k]
		now, ok2 := next[k]
		// A replay re-reads verdicts, not consent: a delivery's
		// unsubscribe stays as the apply left it.
		now.Unsubscribed = was.Unsubscribed
		if !ok || !ok2 || (was.Status == now.Status && was.Complained == now.Complained && was.Reason == now.Reason) {
			continue
		}
		changed = append(changed, now)
		if was.Status != now.Status || was.Complained != now.Complained {
			out.Messages = append(out.Messages, MessageChange{Key: k, Campaign: was.Campaign, From: was.Status, To: now.Status, Complained: now.Complained})
		}
		lifecycle.Recount(out.Buckets, was, now)
	}
	if err := s.writeReverdicts(ctx, tx, vs); err != nil {
		return out, err
	}
	out.Verdicts = len(vs)
	if err := s.writeReplayMessages(ctx, tx, changed); err != nil {
		return out, err
	}
	return out, s.writeBuckets(ctx, tx, lifecycle.Plan{Buckets: out.Buckets})
}

// replayKeys returns the messages vs name (every recipient's delivery:
// Recipient is empty), in key order; a replay is one tenant's (vs are the
// events of tenant).
func replayKeys(tenant string, vs []Reverdict) []lifecycle.MessageKey {
	var keys []lifecycle.MessageKey
	for _, v := range vs {
		if v.MessageID != "" {
			keys = append(keys, lifecycle.MessageKey{Tenant: tenant, Channel: v.Channel, MessageID: v.MessageID})
		}
	}
	slices.SortFunc(keys, compareDeliveries)
	return slices.Compact(keys)
}

func keyArrays(keys []lifecycle.MessageKey) []any {
	cols := make([][]string, 3)
	for _, k := range keys {
		cols[0] = append(cols[0], k.Tenant)
		cols[1] = append(cols[1], string(k.Channel))
		cols[2] = append(cols[2], k.MessageID)
	}
	return arrays(cols)
}

// lockReplayMessages locks every stored delivery of the messages ids
// names (lock-messages, the apply path's statement and order) and returns
// them, and their keys in key order.
func (s *Store) lockReplayMessages(ctx context.Context, tx *sqlx.Tx, ids []lifecycle.MessageKey) (map[lifecycle.MessageKey]lifecycle.Message, []lifecycle.MessageKey, error) {
	out := make(map[lifecycle.MessageKey]lifecycle.Message, len(ids))
	if len(ids) == 0 {
		return out, nil, nil
	}
	var found []messageKeyRow
	if err := s.selectNamed(ctx, tx, &found, qReadMessages, keyArrays(ids)...); err != nil {
		return nil, nil, err
	}
	if len(found) == 0 {
		return out, nil, nil
	}
	keys := make([]lifecycle.MessageKey, len(found))
	for i, r := range found {
		keys[i] = r.key()
	}
	slices.SortFunc(keys, compareDeliveries)
	var rows []messageRow
	if err := s.selectNamed(ctx, tx, &rows, qLockMessages, deliveryArrays(keys)...); err != nil {
		return nil, nil, err
	}
	for _, r := range rows {
		m := r.message()
		out[m.Key()] = m
	}
	return out, keys, nil
}

// recompute replays every applied event of the messages ids names from a
// blank state, each joined to its delivery among keys as the apply joins
// it (resolveDeliveries), under the stored verdicts overridden by vs, and
// returns each delivery as lifecycle.Decide leaves it. Message status
// depends on no policy, so the zero Policy serves; the plan's retries and
// recipient states are dropped.
func (s *Store) recompute(ctx context.Context, tx *sqlx.Tx, ids, keys []lifecycle.MessageKey, vs []Reverdict) (map[lifecycle.MessageKey]lifecycle.Message, error) {
	out := make(map[lifecycle.MessageKey]lifecycle.Message, len(keys))
	if len(ids) == 0 {
		return out, nil
	}
	var rows []replayRow
	if err := s.selectNamed(ctx, tx, &rows, qReplayMessageEvents, keyArrays(ids)...); err != nil {
		return nil, err
	}
	stored, err := decodeReplay(rows)
	if err != nil {
		return nil, err
	}
	verdicts := make(lifecycle.Verdicts, len(stored)+len(vs))
	events := make([]channels.Event, len(stored))
	for i, se := range stored {
		events[i] = se.Event
		verdicts[se.Event.Key()] = se.Verdict
	}
	for _, v := range vs {
		verdicts[v.EventID] = v.Verdict
	}
	resolveDeliveries(events, keys)
	plan := lifecycle.Decide(lifecycle.Policy{}, verdicts, lifecycle.Snapshot{Events: events,
		Messages: map[lifecycle.MessageKey]lifecycle.Message{}, Recipients: map[lifecycle.RecipientKey]lifecycle.Recipient{}})
	for _, m := range plan.Messages {
		out[m.Key()] = m
	}
	return out, nil
}

func (s *Store) writeReverdicts(ctx context.Context, tx *sqlx.Tx, vs []Reverdict) error {
	cols := make([][]string, 5)
	var notable []bool
	var months monthSet
	every := false
	for _, v := range vs {
		for i, x := range []string{v.EventID, string(v.Verdict.Outcome), string(v.Verdict.Reason), v.Verdict.Rule, v.Verdict.Evidence} {
			cols[i] = append(cols[i], x)
		}
		notable = append(notable, !routineVerdict(v.Verdict.Outcome, v.Verdict.Reason))
		every = every || v.OccurredAt.IsZero()
		months.add(monthOf(v.OccurredAt.UTC().Round(time.Microsecond)))
	}
	if every {
		months = nil
	}
	return s.exec(ctx, tx, qReplayRewriteVerdicts, append(arrays(cols), months.array(), pq.Array(notable))...)
}

func (s *Store) writeReplayMessages(ctx context.Context, tx *sqlx.Tx, ms []lifecycle.Message) error {
	if len(ms) == 0 {
		return nil
	}
	text := make([][]string, 7)
	complained := make([]bool, 0, len(ms))
	for _, m := range ms {
		for i, x := range []string{m.Tenant, string(m.Channel), m.MessageID, m.Recipient, string(m.Status), m.Reason, m.EventID} {
			text[i] = append(text[i], x)
		}
		complained = append(complained, m.Complained)
	}
	return s.exec(ctx, tx, qReplayUpdateMessages, append(arrays(text), arrays([][]bool{complained})...)...)
}
