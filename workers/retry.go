package workers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/channels/lifecycle"
	"github.com/rebond/rebond/store"
)

// Notifier publishes notices for senders (JetStream, de-duplicated by id).
type Notifier interface {
	PublishNotice(ctx context.Context, subject, msgID string, data []byte) error
}

// RetryStore is the store the retry handler works through.
type RetryStore interface {
	ClaimRetry(ctx context.Context, ch channels.Channel, messageID, recipient string, attempt int, fn func(store.RetryState) (time.Time, error)) error
}

// RetryNotice is what senders receive on rebond.retry.<channel>: re-send
// this message now.
type RetryNotice struct {
	// Tenant owns the message (omitted for the default tenant).
	Tenant    string           `json:"tenant,omitempty"`
	Channel   channels.Channel `json:"channel"`
	MessageID string           `json:"message_id"`
	Recipient string           `json:"recipient"`
	Campaign  string           `json:"campaign,omitempty"`
	Attempt   int              `json:"attempt"`
	Reason    string           `json:"reason"`
	DueAt     time.Time        `json:"due_at"`
}

// RetryHandler handles "retry:due" tasks.
type RetryHandler struct {
	store   RetryStore
	notify  Notifier
	policy  lifecycle.Policy
	enq     *Enqueuer
	log     *slog.Logger
	metrics *Metrics
}

// NewRetryHandler builds the handler of retry notices.
func NewRetryHandler(s RetryStore, n Notifier, p lifecycle.Policy, enq *Enqueuer, m *Metrics, log *slog.Logger) *RetryHandler {
	return &RetryHandler{store: s, notify: n, policy: p, enq: enq, log: log, metrics: m}
}

// ProcessTask publishes one retry notice if the message still needs it and
// schedules the next. The notice is published inside the claim, before the
// attempt is recorded: a crash in between republishes it under the same
// Nats-Msg-Id, which JetStream de-duplicates. Each notice and each
// cancellation is logged at Debug: a task is one notice, and a soft
// failure in ten makes one an hour; rebond_retry_notices_total counts them,
// and the apply's Info line per batch the retries it schedules.
func (h *RetryHandler) ProcessTask(ctx context.Context, t *asynq.Task) error {
	var p RetryPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil || p.Attempt < 1 {
		return fmt.Errorf("%w: %s: %w", errBadPayload, t.Payload(), asynq.SkipRetry)
	}
	var next time.Time
	recipient := p.Recipient
	ctx = channels.WithTenant(ctx, p.Tenant)
	err := h.store.ClaimRetry(ctx, p.Channel, p.MessageID, p.Recipient, p.Attempt, func(st store.RetryState) (time.Time, error) {
		var err error
		recipient = st.Recipient
		next, err = h.notice(ctx, p, st)
		return next, err
	})
	if errors.Is(err, store.ErrStaleRetry) {
		return nil
	}
	if err != nil {
		return err
	}
	if !next.IsZero() {
		np := RetryPayload{Tenant: p.Tenant, Channel: p.Channel, MessageID: p.MessageID, Recipient: recipient, Attempt: p.Attempt + 1}
		if err := h.enq.EnqueueRetry(ctx, np, next); err != nil {
			h.log.WarnContext(ctx, "schedule next retry failed; the scheduler will pick it up", "error", err, "message_id", p.MessageID)
		}
	}
	return nil
}

// notice decides and publishes; it returns when the next retry is due
// (zero when the schedule ends or the message no longer needs retries).
func (h *RetryHandler) notice(ctx context.Context, p RetryPayload, st store.RetryState) (time.Time, error) {
	if st.Status != lifecycle.StatusSoft || st.RecipientState != channels.StateActive {
		h.log.DebugContext(ctx, "retry cancelled", "channel", p.Channel, "message_id", p.MessageID,
			"attempt", p.Attempt, "status", st.Status, "recipient_state", st.RecipientState)
		return time.Time{}, nil
	}
	n := RetryNotice{Tenant: p.Tenant, Channel: p.Channel, MessageID: p.MessageID, Recipient: st.Recipient, Campaign: st.Campaign,
		Attempt: p.Attempt, Reason: st.Reason, DueAt: st.DueAt.Time.UTC()}
	b, err := json.Marshal(n)
	if err != nil {
		return time.Time{}, err
	}
	if err := h.notify.PublishNotice(ctx, "rebond.retry."+string(p.Channel), p.noticeID(), b); err != nil {
		return time.Time{}, fmt.Errorf("publish retry notice: %w", err)
	}
	h.metrics.notices.WithLabelValues(string(p.Channel)).Inc()
	h.log.DebugContext(ctx, "retry notice published", "channel", p.Channel, "message_id", p.MessageID,
		"attempt", p.Attempt, "reason", st.Reason)
	next, _ := h.policy.NextRetry(p.Channel, channels.Reason(st.Reason), p.Attempt+1, st.DueAt.Time)
	return next, nil
}
