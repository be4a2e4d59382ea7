package workers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hibiken/asynq"

	"github.com/rebond/rebond/channels"
)

// Task types and the queues they run on.
const (
	TypeApply = "event:apply"
	TypeRetry = "retry:due"

	QueueEvents  = "events"
	QueueRetries = "retries"
)

// ApplyPayload is the payload of an "event:apply" task: inbox event ids.
type ApplyPayload struct {
	IDs []string `json:"ids"`
}

// RetryPayload is the payload of a "retry:due" task.
type RetryPayload struct {
	// Tenant owns the message; empty is channels.DefaultTenant.
	Tenant    string           `json:"tenant,omitempty"`
	Channel   channels.Channel `json:"channel"`
	MessageID string           `json:"message_id"`
	// Recipient names the message's delivery the retry is for (empty in
	// tasks queued before deliveries: the message's only one).
	Recipient string `json:"recipient,omitempty"`
	Attempt   int    `json:"attempt"`
}

// NewApplyTask builds the apply task of a batch. Its TaskID is derived from
// the ids (plus tag), so the same batch enqueued twice runs once.
func NewApplyTask(ids []string, tag string) (*asynq.Task, error) {
	b, err := json.Marshal(ApplyPayload{IDs: ids})
	if err != nil {
		return nil, fmt.Errorf("encode apply payload: %w", err)
	}
	h := sha256.Sum256([]byte(tag + "\x00" + strings.Join(ids, "\x00")))
	return asynq.NewTask(TypeApply, b,
		asynq.TaskID("apply:"+hex.EncodeToString(h[:12])),
		asynq.Queue(QueueEvents), asynq.MaxRetry(1000), asynq.Timeout(2*time.Minute)), nil
}

// NewRetryTask builds the retry notice task for one attempt, due at due.
func NewRetryTask(p RetryPayload, due time.Time) (*asynq.Task, error) {
	b, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("encode retry payload: %w", err)
	}
	// Asynq keeps scheduled tasks by whole Unix seconds (the score of its
	// scheduled set) and forwards a task once that second has begun: a
	// retry due at 10:00:03.4 would run at 10:00:03.0, early. Rounding up
	// keeps a notice from ever going out before it is due.
	if r := due.Truncate(time.Second); !r.Equal(due) {
		due = r.Add(time.Second)
	}
	return asynq.NewTask(TypeRetry, b, asynq.TaskID(p.noticeID()), asynq.ProcessAt(due),
		asynq.Queue(QueueRetries), asynq.MaxRetry(100), asynq.Timeout(time.Minute)), nil
}

// noticeID identifies a retry attempt of a delivery across tenants: the
// Asynq task id and the notice's Nats-Msg-Id. The default tenant's ids
// are the ones from before tenants existed, and a payload without a
// recipient keeps the id from before deliveries.
func (p RetryPayload) noticeID() string {
	msg := p.MessageID
	if p.Recipient != "" {
		msg += ":" + p.Recipient
	}
	if p.Tenant == "" || p.Tenant == channels.DefaultTenant {
		return fmt.Sprintf("retry:%s:%s:%d", p.Channel, msg, p.Attempt)
	}
	return fmt.Sprintf("retry:%s:%s:%s:%d", p.Tenant, p.Channel, msg, p.Attempt)
}

// Enqueuer puts tasks on Asynq; a task whose id is already queued counts as
// enqueued.
type Enqueuer struct {
	client    *asynq.Client
	batchSize int
}

// NewEnqueuer wraps an Asynq client.
func NewEnqueuer(client *asynq.Client, batchSize int) *Enqueuer {
	return &Enqueuer{client: client, batchSize: batchSize}
}

// EnqueueApply splits ids into batches and enqueues an apply task for each.
func (q *Enqueuer) EnqueueApply(ctx context.Context, ids []string, tag string) error {
	for start := 0; start < len(ids); start += q.batchSize {
		end := min(start+q.batchSize, len(ids))
		t, err := NewApplyTask(ids[start:end], tag)
		if err != nil {
			return err
		}
		if err := q.enqueue(ctx, t); err != nil {
			return err
		}
	}
	return nil
}

// EnqueueRetry schedules one retry notice.
func (q *Enqueuer) EnqueueRetry(ctx context.Context, p RetryPayload, due time.Time) error {
	t, err := NewRetryTask(p, due)
	if err != nil {
		return err
	}
	return q.enqueue(ctx, t)
}

func (q *Enqueuer) enqueue(ctx context.Context, t *asynq.Task) error {
	_, err := q.client.EnqueueContext(ctx, t)
	if err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) {
		return fmt.Errorf("enqueue %s: %w", t.Type(), err)
	}
	return nil
}
