package workers

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"time"

	"github.com/hibiken/asynq"

	"github.com/rebond/rebond/channels"
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
	took := time.Since(start)
	h.metrics.applyBatch.Observe(took.Seconds())
	h.record(ctx, plan, took)
	for _, r := range plan.Retries {
		rp := RetryPayload{Tenant: tenantField(r.Tenant), Channel: r.Channel, MessageID: r.MessageID, Recipient: r.Recipient, Attempt: r.Attempt}
		if err := h.enq.EnqueueRetry(ctx, rp, r.DueAt); err != nil {
			h.log.WarnContext(ctx, "schedule retry failed; the scheduler will pick it up", "error", err, "message_id", r.MessageID)
		}
	}
	return nil
}

// record logs the decisions of a batch: one Info line with its counts
// (events, verdicts by outcome, recipient state changes, retries
// scheduled), and every verdict, state change and retry at Debug. A line
// per state change at Info was gigabytes a day at the bench's mix (a
// quarantine for every twentieth message); the audit rows keep each one.
func (h *ApplyHandler) record(ctx context.Context, plan lifecycle.Plan, took time.Duration) {
	debug := h.log.Enabled(ctx, slog.LevelDebug)
	outcomes := make(map[channels.Outcome]int)
	counts := make(map[[2]string]int)
	for _, a := range plan.Applied {
		outcomes[a.Verdict.Outcome]++
		counts[[2]string{string(a.Channel), string(a.Verdict.Outcome)}]++
		if debug {
			h.log.DebugContext(ctx, "event classified", "event_id", a.EventID, "outcome", a.Verdict.Outcome,
				"reason", a.Verdict.Reason, "rule", a.Verdict.Rule)
		}
	}
	for k, n := range counts {
		h.metrics.applied.WithLabelValues(k[0], k[1]).Add(float64(n))
	}
	if debug {
		for _, a := range plan.Audit {
			h.log.DebugContext(ctx, "recipient state changed", "tenant", a.Tenant, "channel", a.Channel, "recipient", a.Address,
				"from", a.From, "to", a.To, "reason", a.Reason, "rule", a.Rule, "event_id", a.EventID)
		}
		for _, r := range plan.Retries {
			h.log.DebugContext(ctx, "retry scheduled", "tenant", r.Tenant, "channel", r.Channel, "message_id", r.MessageID,
				"recipient", r.Recipient, "attempt", r.Attempt, "due_at", r.DueAt)
		}
	}
	if len(plan.Applied) == 0 {
		return // a batch applied before (a task run twice): nothing to report
	}
	verdicts := make([]any, 0, len(outcomes))
	for _, o := range slices.Sorted(maps.Keys(outcomes)) { // one order for every line
		verdicts = append(verdicts, slog.Int(string(o), outcomes[o]))
	}
	h.log.InfoContext(ctx, "batch applied", "events", len(plan.Applied), slog.Group("verdicts", verdicts...),
		"state_changes", len(plan.Audit), "retries", len(plan.Retries), "took", took.Round(time.Microsecond))
}
