package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rebond/rebond/channels"
)

// The dashboard's read queries (package ui). Both are bounded: a time
// range and a row limit for the reasons, a row limit for a recipient.
const (
	// MaxReasonRows bounds ReasonsQuery.Limit.
	MaxReasonRows = 500
	// MaxRecipientEvents bounds the limit of RecipientEvents.
	MaxRecipientEvents = 500
)

// ReasonsQuery selects the classified failures and complaints counted by
// Reasons. From and To are required ([From, To), by occurrence time); an
// empty Channel or Campaign does not filter. Limit 0 means 50.
type ReasonsQuery struct {
	Channel  channels.Channel
	Campaign string
	From, To time.Time
	Limit    int
}

// ReasonCount is how often one verdict reason was given in a range.
type ReasonCount struct {
	Channel channels.Channel `json:"channel" db:"channel"`
	Outcome string           `json:"outcome" db:"outcome"`
	Reason  string           `json:"reason" db:"reason"`
	// Events counts classified events; Messages and Recipients the
	// distinct messages and recipients they concern (a soft failure
	// retried five times is five events of one message).
	Events     int64 `json:"events" db:"events"`
	Messages   int64 `json:"messages" db:"messages"`
	Recipients int64 `json:"recipients" db:"recipients"`
}

// Reasons counts the soft, hard and complaint verdicts of a range by
// channel, outcome and reason, most frequent first.
func (s *Store) Reasons(ctx context.Context, q ReasonsQuery) ([]ReasonCount, error) {
	if q.Channel != "" {
		if err := validChannel(q.Channel); err != nil {
			return nil, err
		}
	}
	if q.From.IsZero() || q.To.IsZero() || !q.From.Before(q.To) {
		return nil, errors.New("reasons: from and to are required, from before to")
	}
	if q.Limit <= 0 {
		q.Limit = 50
	}
	q.Limit = min(q.Limit, MaxReasonRows)
	stmt, err := s.query(qDashboardReasons)
	if err != nil {
		return nil, err
	}
	out := []ReasonCount{}
	if err := s.db.SelectContext(ctx, &out, stmt, string(q.Channel), q.Campaign, q.From, q.To, q.Limit, channels.Tenant(ctx)); err != nil {
		return nil, fmt.Errorf("reasons: %w", err)
	}
	return out, nil
}

// EventVerdict is one stored event of a recipient with the verdict the
// rules gave it (empty until the event is applied).
type EventVerdict struct {
	ID         string    `json:"id" db:"id"`
	Type       string    `json:"type" db:"type"`
	MessageID  string    `json:"message_id,omitempty" db:"message_id"`
	Campaign   string    `json:"campaign,omitempty" db:"campaign"`
	OccurredAt time.Time `json:"occurred_at" db:"occurred_at"`
	Provider   string    `json:"provider,omitempty" db:"provider"`
	Outcome    string    `json:"outcome,omitempty" db:"outcome"`
	Reason     string    `json:"reason,omitempty" db:"reason"`
	Rule       string    `json:"rule,omitempty" db:"rule"`
	Evidence   string    `json:"evidence,omitempty" db:"evidence"`
	// Applied is false while the event waits in the inbox.
	Applied bool `json:"applied" db:"applied"`
}

// RecipientEvents returns a recipient's latest events with their verdicts,
// newest first, at most limit (0 means 20, capped at MaxRecipientEvents).
// The address must be normalized (channels.NormalizeRecipient).
func (s *Store) RecipientEvents(ctx context.Context, ch channels.Channel, address string, limit int) ([]EventVerdict, error) {
	if err := validChannel(ch); err != nil {
		return nil, err
	}
	if limit <= 0 {
		limit = 20
	}
	limit = min(limit, MaxRecipientEvents)
	stmt, err := s.query(qDashboardRecipientEvents)
	if err != nil {
		return nil, err
	}
	out := []EventVerdict{}
	if err := s.db.SelectContext(ctx, &out, stmt, string(ch), address, limit, channels.Tenant(ctx)); err != nil {
		return nil, fmt.Errorf("recipient events: %w", err)
	}
	for i := range out {
		out[i].OccurredAt = out[i].OccurredAt.UTC()
		out[i].ID = shownID(out[i].ID)
	}
	return out, nil
}
