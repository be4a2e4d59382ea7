package workers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/hibiken/asynq"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/channels/lifecycle"
	"github.com/rebond/rebond/store"
)

// SchedulerStore is what the periodic jobs read and write.
type SchedulerStore interface {
	UnappliedBefore(ctx context.Context, t time.Time, limit int) ([]string, error)
	DueRetries(ctx context.Context, now time.Time, limit int) ([]store.RetryDue, error)
	ReleaseExpired(ctx context.Context, now time.Time, limit int) (int64, error)
	SilentMessages(ctx context.Context, ch channels.Channel, cutoff time.Time, limit int) ([]store.SilentMessage, error)
	ResolveIncidents(ctx context.Context, now time.Time, quiet time.Duration, limit int) (int64, error)
	DeleteOlderThan(ctx context.Context, cutoff time.Time, limit int) (int64, error)
	DeleteRejected(ctx context.Context, cutoff time.Time, keep, limit int) (int64, error)
	EnsurePartitions(ctx context.Context, now time.Time, ahead int) ([]string, error)
	DropExpiredPartitions(ctx context.Context, cutoff time.Time) (dropped, kept []string, err error)
}

// scanLimit bounds one pass of a periodic job; the next tick continues.
const scanLimit = 5000

// partitionsAhead is how many months after the current one have their
// events partition ready (store.EnsurePartitions), as migration 0011 does:
// an event of a month without one lands in the DEFAULT partition, and
// creating the month later has to move it. Three months leave a quarter
// for a scheduler that is down to be noticed.
const partitionsAhead = 3

// backlogTasks is the apply queue depth above which the reconciler looks
// only at rows ten times older than ReconcileAfter.
const backlogTasks = 20

// SetQueueDepth gives the reconciler the apply queue's depth (pending,
// active and retrying tasks), so it can tell a backlog from lost tasks.
func (s *Scheduler) SetQueueDepth(fn func(context.Context) (int, error)) { s.queueDepth = fn }

// ApplyQueueDepth reads the depth of the apply queue from Asynq.
func ApplyQueueDepth(in *asynq.Inspector) func(context.Context) (int, error) {
	return func(context.Context) (int, error) {
		q, err := in.GetQueueInfo(QueueEvents)
		if err != nil {
			return 0, err
		}
		return q.Pending + q.Active + q.Retry, nil
	}
}

// Scheduler runs rebond's periodic jobs. Running several (one per replica)
// is safe: every job is idempotent.
type Scheduler struct {
	cfg     Config
	policy  lifecycle.Policy
	pub     channels.Publisher
	store   SchedulerStore
	enq     *Enqueuer
	log     *slog.Logger
	metrics *Metrics
	now     func() time.Time
	// queueDepth, when set, reports the apply queue's depth (SetQueueDepth).
	queueDepth func(context.Context) (int, error)
}

// NewScheduler builds the periodic jobs; cfg must have its defaults filled.
// pub receives the events the expiry job emits.
func NewScheduler(cfg Config, p lifecycle.Policy, pub channels.Publisher, s SchedulerStore, enq *Enqueuer, m *Metrics, log *slog.Logger) *Scheduler {
	return &Scheduler{cfg: cfg, policy: p, pub: pub, store: s, enq: enq, log: log, metrics: m, now: time.Now}
}

// SetClock replaces the clock the jobs read (time.Now), so a test can run
// them on a simulated clock: a quarantine released at its term, not a
// minute before.
func (s *Scheduler) SetClock(now func() time.Time) { s.now = now }

// Run runs the jobs on their tickers until ctx ends.
func (s *Scheduler) Run(ctx context.Context) error {
	reconcile := time.NewTicker(s.cfg.ReconcileEvery)
	release := time.NewTicker(s.cfg.ReleaseEvery)
	defer reconcile.Stop()
	defer release.Stop()
	s.logErr(ctx, "partitions", s.Partition(ctx))
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-reconcile.C:
			s.logErr(ctx, "reconcile", s.Reconcile(ctx))
		case <-release.C:
			s.logErr(ctx, "retry scan", s.RequeueRetries(ctx))
			s.logErr(ctx, "release", s.Release(ctx))
			s.logErr(ctx, "expire", s.Expire(ctx))
			s.logErr(ctx, "partitions", s.Partition(ctx))
			s.logErr(ctx, "retention", s.Retain(ctx))
			s.logErr(ctx, "resolve incidents", s.ResolveIncidents(ctx))
		}
	}
}

func (s *Scheduler) logErr(ctx context.Context, job string, err error) {
	if err != nil && ctx.Err() == nil {
		s.log.WarnContext(ctx, "periodic job failed; next tick retries", "job", job, "error", err)
	}
}

// Reconcile re-enqueues inbox rows older than ReconcileAfter that were never
// applied. The tag makes the task ids new each period, so a task stuck in
// Asynq's archive under an old id cannot block the re-enqueue.
func (s *Scheduler) Reconcile(ctx context.Context) error {
	after := s.cfg.ReconcileAfter
	if s.queueDepth != nil {
		// During a backlog, rows wait in queued tasks, not lost ones:
		// re-enqueueing them every tick only grows Redis and the workers'
		// load when they are already behind. Look only at much older rows.
		if d, err := s.queueDepth(ctx); err == nil && d > backlogTasks {
			after *= 10
		}
	}
	ids, err := s.store.UnappliedBefore(ctx, s.now().Add(-after), scanLimit)
	if err != nil || len(ids) == 0 {
		return err
	}
	tag := "reconcile:" + strconv.FormatInt(s.now().UnixNano()/int64(s.cfg.ReconcileEvery), 10)
	if err := s.enq.EnqueueApply(ctx, ids, tag); err != nil {
		return err
	}
	s.metrics.reconciled.Add(float64(len(ids)))
	s.log.InfoContext(ctx, "re-enqueued unapplied events", "events", len(ids))
	return nil
}

// RequeueRetries re-enqueues retries that are due but whose task was lost.
// Only retries overdue by more than a ReleaseEvery period are taken, so a
// task merely waiting for Asynq's next check is not touched.
func (s *Scheduler) RequeueRetries(ctx context.Context) error {
	due, err := s.store.DueRetries(ctx, s.now().Add(-s.cfg.ReleaseEvery), scanLimit)
	if err != nil {
		return err
	}
	for _, d := range due {
		p := RetryPayload{Tenant: tenantField(d.Tenant), Channel: d.Channel, MessageID: d.MessageID, Attempt: d.Attempt}
		if err := s.enq.EnqueueRetry(ctx, p, d.DueAt); err != nil {
			return fmt.Errorf("requeue retry of %s: %w", d.MessageID, err)
		}
	}
	return nil
}

// Release returns recipients whose timed quarantine or suspension ended to
// active.
func (s *Scheduler) Release(ctx context.Context) error {
	n, err := s.store.ReleaseExpired(ctx, s.now(), scanLimit)
	if err != nil || n == 0 {
		return err
	}
	s.metrics.released.Add(float64(n))
	s.log.InfoContext(ctx, "released recipients whose quarantine or suspension ended", "recipients", n)
	return nil
}

// ResolveIncidents resolves the sender incidents that had no new
// sender-side verdict for the policy's quiet period (24 h by default).
func (s *Scheduler) ResolveIncidents(ctx context.Context) error {
	quiet := s.policy.Incidents.Quiet()
	n, err := s.store.ResolveIncidents(ctx, s.now(), quiet, scanLimit)
	if err != nil || n == 0 {
		return err
	}
	s.log.InfoContext(ctx, "resolved quiet sender incidents", "incidents", n, "quiet_for", quiet)
	return nil
}

// SilenceProvider is the provider of the events rebond emits itself when a
// message's validity period ran out with no final outcome.
const SilenceProvider = "rebond"

// Expire turns silence into a verdict: for every channel with a validity
// period, a sent message still pending after it gets a failed event with
// stat EXPIRED (classified by the sms.silence.expired rule). The event id
// derives from the message, so a tick that runs again before the first
// event was applied publishes the same fact, counted once.
func (s *Scheduler) Expire(ctx context.Context) error {
	var errs []error
	for ch, cp := range s.policy.Channels {
		if cp.Validity <= 0 {
			continue
		}
		msgs, err := s.store.SilentMessages(ctx, ch, s.now().Add(-cp.Validity), scanLimit)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if len(msgs) == 0 {
			continue
		}
		events := make([]channels.Event, len(msgs))
		for i, m := range msgs {
			events[i] = silenceEvent(m, cp.Validity)
		}
		if err := s.pub.Publish(ctx, events); err != nil {
			errs = append(errs, fmt.Errorf("publish %d %s expiries: %w", len(events), ch, err))
			continue
		}
		s.log.InfoContext(ctx, "messages expired without a final outcome", "channel", ch, "messages", len(events), "validity", cp.Validity)
	}
	return errors.Join(errs...)
}

func silenceEvent(m store.SilentMessage, validity time.Duration) channels.Event {
	e := channels.Event{
		Schema: channels.SchemaVersion, Tenant: tenantField(m.Tenant), Channel: m.Channel, Type: channels.Failed, MessageID: m.MessageID,
		Recipient: m.Recipient, Campaign: m.Campaign, OccurredAt: m.SentAt.Add(validity).UTC(), Provider: SilenceProvider,
		Raw: fmt.Sprintf("no final outcome %s after the send", validity),
	}
	switch m.Channel {
	case channels.SMS:
		e.SMS = &channels.SMSReceipt{Stat: "EXPIRED"}
	default:
		e.SMTP = &channels.SMTPReply{Status: "4.4.7", Text: e.Raw} // RFC 3463: delivery time expired
	}
	e.ID = channels.DeriveID(e)
	return e
}

// tenantField is a stored tenant as events and task payloads spell it:
// empty for the default tenant, so ids derived from them stay the ones
// from before tenants existed.
func tenantField(t string) string {
	if t == channels.DefaultTenant {
		return ""
	}
	return t
}

// Partition creates the events partitions of the current month and the
// partitionsAhead months after it that have none. It is idempotent, cheap
// when there is nothing to do (a catalog read), and safe with several
// schedulers.
func (s *Scheduler) Partition(ctx context.Context) error {
	created, err := s.store.EnsurePartitions(ctx, s.now(), partitionsAhead)
	if err != nil || len(created) == 0 {
		return err
	}
	s.log.InfoContext(ctx, "events partitions created", "partitions", created)
	return nil
}

// Retain applies the retentions: one bounded batch of the rejected
// payloads RejectedRetention and RejectedMaxRows let go, then (nothing
// when Retention is 0) the monthly events partitions whose month ended
// longer than Retention ago, except those still holding unapplied events
// (tried again on the next tick), and one bounded batch of such old
// applied events of the DEFAULT partition.
func (s *Scheduler) Retain(ctx context.Context) error {
	rejErr := s.retainRejected(ctx)
	if s.cfg.Retention <= 0 {
		return rejErr
	}
	cutoff := s.now().Add(-s.cfg.Retention)
	dropped, kept, dropErr := s.store.DropExpiredPartitions(ctx, cutoff)
	if len(dropped) > 0 {
		s.log.InfoContext(ctx, "old events partitions dropped (retention)", "partitions", dropped, "retention", s.cfg.Retention)
	}
	if len(kept) > 0 {
		s.log.WarnContext(ctx, "old events partitions kept: they hold events not applied yet", "partitions", kept, "retention", s.cfg.Retention)
	}
	n, err := s.store.DeleteOlderThan(ctx, cutoff, scanLimit)
	if n > 0 {
		s.log.InfoContext(ctx, "old events deleted from the default partition (retention)", "events", n, "retention", s.cfg.Retention)
	}
	return errors.Join(rejErr, dropErr, err)
}

// retainRejected deletes one batch of the rejected payloads past their
// age or count limit.
func (s *Scheduler) retainRejected(ctx context.Context) error {
	var cutoff time.Time
	if s.cfg.RejectedRetention > 0 {
		cutoff = s.now().Add(-s.cfg.RejectedRetention)
	}
	if cutoff.IsZero() && s.cfg.RejectedMaxRows <= 0 {
		return nil
	}
	n, err := s.store.DeleteRejected(ctx, cutoff, max(s.cfg.RejectedMaxRows, 0), scanLimit)
	if n > 0 {
		s.log.InfoContext(ctx, "rejected payloads deleted (retention)", "payloads", n,
			"retention", s.cfg.RejectedRetention, "max_rows", s.cfg.RejectedMaxRows)
	}
	return err
}
