package workers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/hibiken/asynq"

	"github.com/rebond/rebond/store"
)

// TypeAlertDeliver is the task that sends one logged alert delivery, on
// QueueAlerts.
const (
	TypeAlertDeliver = "alert:deliver"
	QueueAlerts      = "alerts"
)

// AlertDeliverPayload names the delivery log row to send.
type AlertDeliverPayload struct {
	ID int64 `json:"id"`
}

// NewAlertDeliverTask builds the task of delivery id. Its TaskID is the
// delivery's, so queueing it again while it waits, retries or is kept as
// archived does nothing; maxRetry bounds its retries.
func NewAlertDeliverTask(id int64, maxRetry int) (*asynq.Task, error) {
	b, err := json.Marshal(AlertDeliverPayload{ID: id})
	if err != nil {
		return nil, fmt.Errorf("encode alert delivery payload: %w", err)
	}
	return asynq.NewTask(TypeAlertDeliver, b, asynq.TaskID("alert-delivery:"+strconv.FormatInt(id, 10)),
		asynq.Queue(QueueAlerts), asynq.MaxRetry(maxRetry), asynq.Timeout(2*time.Minute)), nil
}

// AlertQueue queues alert deliveries on Asynq (a DeliveryQueue).
type AlertQueue struct {
	enq      *Enqueuer
	maxRetry int
}

// NewAlertQueue queues through enq with cfg's retry count (defaults filled).
func NewAlertQueue(enq *Enqueuer, cfg NotifyConfig) *AlertQueue {
	return &AlertQueue{enq: enq, maxRetry: cfg.MaxRetry}
}

// EnqueueAlertDelivery queues the task of delivery id.
func (q *AlertQueue) EnqueueAlertDelivery(ctx context.Context, id int64) error {
	t, err := NewAlertDeliverTask(id, q.maxRetry)
	if err != nil {
		return err
	}
	return q.enq.enqueue(ctx, t)
}

// DeliveryStore is what the delivery handler reads and writes.
type DeliveryStore interface {
	AlertDelivery(ctx context.Context, id int64) (store.AlertDelivery, error)
	RecordAlertAttempt(ctx context.Context, id int64, t time.Time, status, errText string) (bool, error)
}

// AlertDeliveryHandler sends alert deliveries: each attempt is logged,
// a sent delivery is never sent again, and a failed one is retried with
// NotifyConfig's backoff until its retries are spent.
type AlertDeliveryHandler struct {
	store  DeliveryStore
	dests  map[string]Destination
	cfg    NotifyConfig
	sender *sender
	log    *slog.Logger
}

// NewAlertDeliveryHandler builds the handler for cfg's destinations; cfg
// must have its defaults filled.
func NewAlertDeliveryHandler(cfg AlertConfig, s DeliveryStore, log *slog.Logger) *AlertDeliveryHandler {
	dests := make(map[string]Destination, len(cfg.Destinations))
	for _, d := range cfg.Destinations {
		dests[d.Name] = d
	}
	return &AlertDeliveryHandler{store: s, dests: dests, cfg: cfg.Notify, sender: newSender(cfg.Notify.Timeout), log: log}
}

// RetryDelay is the Asynq backoff of the delivery tasks.
func (h *AlertDeliveryHandler) RetryDelay(n int) time.Duration { return h.cfg.RetryDelay(n) }

// ProcessTask sends the delivery once. It returns nil when sent or when
// there is nothing to send, an error to retry, and an error wrapping
// SkipRetry when retrying cannot help.
func (h *AlertDeliveryHandler) ProcessTask(ctx context.Context, t *asynq.Task) error {
	var p AlertDeliverPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil {
		return fmt.Errorf("%w: %s: %w", errBadPayload, t.Payload(), asynq.SkipRetry)
	}
	d, err := h.store.AlertDelivery(ctx, p.ID)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("alert delivery %d: gone (tenant purged?): %w", p.ID, asynq.SkipRetry)
	}
	if err != nil {
		return err
	}
	if d.Status != store.DeliveryPending {
		return nil // sent (or given up) by an earlier run of this task
	}
	dest, ok := h.dests[d.Destination]
	if !ok || dest.tenant() != d.Tenant {
		return h.giveUp(ctx, d, errors.New("destination no longer configured for this tenant"))
	}
	sendErr := h.sender.send(ctx, dest, d)
	if sendErr == nil {
		if _, err := h.store.RecordAlertAttempt(ctx, d.ID, time.Now().UTC(), store.DeliverySent, ""); err != nil {
			// Sent but not logged: a retry would send twice; the
			// receiver's dedup by delivery id is the backstop.
			return fmt.Errorf("alert delivery %d sent, log failed: %w", d.ID, err)
		}
		h.log.InfoContext(ctx, "alert notice sent", "delivery_id", d.ID, "destination", d.Destination, "notice", d.Notice,
			"tenant", d.Tenant, "attempt", d.Attempts+1)
		return nil
	}
	retried, _ := asynq.GetRetryCount(ctx)
	maxRetry, _ := asynq.GetMaxRetry(ctx)
	if retried >= maxRetry {
		return h.giveUp(ctx, d, sendErr)
	}
	if _, err := h.store.RecordAlertAttempt(ctx, d.ID, time.Now().UTC(), store.DeliveryPending, sendErr.Error()); err != nil {
		return errors.Join(sendErr, err)
	}
	return fmt.Errorf("alert delivery %d to %s: %w", d.ID, d.Destination, sendErr)
}

// giveUp logs the last attempt as failed and stops the retries.
func (h *AlertDeliveryHandler) giveUp(ctx context.Context, d store.AlertDelivery, cause error) error {
	if _, err := h.store.RecordAlertAttempt(ctx, d.ID, time.Now().UTC(), store.DeliveryFailed, cause.Error()); err != nil {
		return errors.Join(cause, err)
	}
	h.log.ErrorContext(ctx, "alert notice not delivered; giving up", "delivery_id", d.ID, "destination", d.Destination,
		"notice", d.Notice, "tenant", d.Tenant, "attempts", d.Attempts+1, "error", cause)
	return fmt.Errorf("alert delivery %d to %s: %w: %w", d.ID, d.Destination, cause, asynq.SkipRetry)
}
