package workers

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"

	"github.com/rebond/rebond/channels/lifecycle"
	"github.com/rebond/rebond/store"
)

// Applier is the store the apply handler writes through.
type Applier interface {
	Apply(ctx context.Context, ids []string, decide store.Decider) (lifecycle.Plan, error)
}

// ApplyHandler handles "event:apply" tasks.
type ApplyHandler struct {
	store   Applier
	decide  store.Decider
	enq     *Enqueuer
	log     *slog.Logger
	metrics *Metrics
}

// NewApplyHandler classifies with c and acts per policy p.
func NewApplyHandler(s Applier, c lifecycle.Classifier, p lifecycle.Policy, enq *Enqueuer, m *Metrics, log *slog.Logger) *ApplyHandler {
	decide := func(snap lifecycle.Snapshot) lifecycle.Plan { return lifecycle.Decide(p, c, snap) }
	return &ApplyHandler{store: s, decide: decide, enq: enq, log: log, metrics: m}
}

// ProcessTask applies one batch. A store error returns the error, so Asynq
// retries the task; the retries of a committed batch are then enqueued, and
// a failure to enqueue them is left to the scheduler's scan of due retries.
func (h *ApplyHandler) ProcessTask(ctx context.Context, t *asynq.Task) error {
	var p ApplyPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil {
		return fmt.Errorf("%w: %v: %w", errBadPayload, err, asynq.SkipRetry)
	}
	start := time.Now()
	plan, err := h.store.Apply(ctx, p.IDs, h.decide)
	if err != nil {
		return err
	}
	h.metrics.applyBatch.Observe(time.Since(start).Seconds())
	h.record(ctx, plan)
	for _, r := range plan.Retries {
		rp := RetryPayload{Tenant: tenantField(r.Tenant), Channel: r.Channel, MessageID: r.MessageID, Recipient: r.Recipient, Attempt: r.Attempt}
		if err := h.enq.EnqueueRetry(ctx, rp, r.DueAt); err != nil {
			h.log.WarnContext(ctx, "schedule retry failed; the scheduler will pick it up", "error", err, "message_id", r.MessageID)
		}
	}
	return nil
}

// record logs the decisions of a batch: every verdict at Debug, every
// recipient state change at Info.
func (h *ApplyHandler) record(ctx context.Context, plan lifecycle.Plan) {
	for _, a := range plan.Applied {
		h.log.DebugContext(ctx, "event classified", "event_id", a.EventID, "outcome", a.Verdict.Outcome,
			"reason", a.Verdict.Reason, "rule", a.Verdict.Rule)
	}
	for _, a := range plan.Audit {
		h.log.InfoContext(ctx, "recipient state changed", "channel", a.Channel, "recipient", a.Address,
			"from", a.From, "to", a.To, "reason", a.Reason, "rule", a.Rule, "event_id", a.EventID)
	}
	counts := make(map[[2]string]int)
	for _, a := range plan.Applied {
		counts[[2]string{string(a.Channel), string(a.Verdict.Outcome)}]++
	}
	for k, n := range counts {
		h.metrics.applied.WithLabelValues(k[0], k[1]).Add(float64(n))
	}
}
