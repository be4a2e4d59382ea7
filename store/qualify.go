package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/rebond/rebond/channels"
)

// Qualification decisions (qualification_decisions.state).
const (
	// QualifyKept groups became an operator rule.
	QualifyKept = "kept"
	// QualifyIgnored groups were closed without a rule.
	QualifyIgnored = "ignored"
)

// ErrDecided is returned when a qualification group has a decision
// already: a group is decided once.
var ErrDecided = errors.New("group decided already")

// FallbackEvent is a failure no rule recognized (its verdict came from a
// fallback rule), with what a rule could match on.
type FallbackEvent struct {
	ID         string           `db:"id"`
	Channel    channels.Channel `db:"channel"`
	Type       channels.Type    `db:"type"`
	OccurredAt time.Time        `db:"occurred_at"`
	Text       string           `db:"text"`
	Status     string           `db:"status"`
	Code       int              `db:"code"`
	Stat       string           `db:"stat"`
	Err        string           `db:"err"`
	Dialect    string           `db:"dialect"`
	// Unverified is channels.Event.Unverified: a bounce no VERP token or
	// signed header vouched for.
	Unverified bool `db:"unverified"`
}

// FallbackEvents returns up to limit failed and deferred events that got a
// fallback verdict, of channel ch (all channels when empty) since since,
// newest first.
func (s *Store) FallbackEvents(ctx context.Context, ch channels.Channel, since time.Time, limit int) ([]FallbackEvent, error) {
	q, err := s.query(qFallbackEvents)
	if err != nil {
		return nil, err
	}
	var rows []FallbackEvent
	if err := s.db.SelectContext(ctx, &rows, q, string(ch), since, limit, channels.Tenant(ctx)); err != nil {
		return nil, fmt.Errorf("fallback events: %w", err)
	}
	for i := range rows {
		rows[i].ID = shownID(rows[i].ID)
	}
	return rows, nil
}

// QualificationDecision is an operator's decision on a group of the
// qualification queue.
type QualificationDecision struct {
	GroupID   string           `db:"group_id"`
	Channel   channels.Channel `db:"channel"`
	Text      string           `db:"text"`
	State     string           `db:"state"`
	Rule      string           `db:"rule"`
	Author    string           `db:"author"`
	DecidedAt time.Time        `db:"decided_at"`
}

// QualificationDecisions returns the decisions of channel ch (all when
// empty), oldest first.
func (s *Store) QualificationDecisions(ctx context.Context, ch channels.Channel) ([]QualificationDecision, error) {
	q, err := s.query(qQualificationDecisions)
	if err != nil {
		return nil, err
	}
	var rows []QualificationDecision
	if err := s.db.SelectContext(ctx, &rows, q, string(ch), channels.Tenant(ctx)); err != nil {
		return nil, fmt.Errorf("qualification decisions: %w", err)
	}
	return rows, nil
}

// DecideQualification records d and, for a kept group, publishes its rule,
// in one transaction: ErrDecided when the group has a decision already,
// ErrRuleExists when the rule's id@version is taken (nothing is written
// then). It returns the decision as stored.
func (s *Store) DecideQualification(ctx context.Context, d QualificationDecision, rule *RuleOverride) (QualificationDecision, error) {
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		q, err := s.query(qInsertQualificationDecision)
		if err != nil {
			return err
		}
		err = tx.GetContext(ctx, &d.DecidedAt, q, d.GroupID, string(d.Channel), d.Text, d.State, d.Rule, d.Author, channels.Tenant(ctx))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("qualification group %s: %w", d.GroupID, ErrDecided)
		}
		if err != nil {
			return fmt.Errorf("insert qualification decision: %w", err)
		}
		if rule == nil {
			return nil
		}
		rule.Tenant = channels.Tenant(ctx)
		rule.CreatedAt, err = s.insertRule(ctx, tx, *rule)
		return err
	})
	return d, err
}
