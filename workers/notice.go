package workers

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/store"
)

// Notices: what an alert change is announced as.
const (
	NoticeOpen     = "open"
	NoticeEscalate = "escalate"
	NoticeResolve  = "resolve"
)

// NoticeFor decides what, if anything, to announce about an alert whose
// latest change is c when its people were last told the state told (""
// never). It is level-triggered: it compares what is with what was said,
// never counts transitions, so a flapping alert cannot cause a storm.
//   - open: the alert is warning or critical and nobody was told it is
//     open (never told, or told it resolved);
//   - escalate: it is critical and they were told warning: severity rose,
//     once per episode (back to warning and up again says nothing more);
//   - resolve: it has been ok for resolveAfter and they were told it is
//     open. An alert that reopens within resolveAfter sends nothing: for
//     its people it never closed.
//
// A fall from critical to warning is not announced (still open). Each
// episode thus sends one open, at most one escalate and one resolve,
// episodes at least resolveAfter apart.
func NoticeFor(c channels.AlertChange, told string, now time.Time, resolveAfter time.Duration) string {
	open := told == channels.AlertWarning || told == channels.AlertCritical
	switch {
	case c.To != channels.AlertOK && !open:
		return NoticeOpen
	case c.To == channels.AlertCritical && told == channels.AlertWarning:
		return NoticeEscalate
	case c.To == channels.AlertOK && open && !now.Before(c.At.Add(resolveAfter)):
		return NoticeResolve
	}
	return ""
}

// NoticeStore is what announcing alerts reads and writes.
type NoticeStore interface {
	AlertNoticeCandidates(ctx context.Context) ([]store.AlertNoticeCandidate, error)
	RecordAlertNotice(ctx context.Context, c channels.AlertChange, notice string, dests []store.AlertDestination, now time.Time) ([]int64, error)
	PendingAlertDeliveries(ctx context.Context, limit int) ([]int64, error)
}

// DeliveryQueue queues the delivery task of a logged delivery; queueing
// one already queued is a no-op.
type DeliveryQueue interface {
	EnqueueAlertDelivery(ctx context.Context, id int64) error
}

// SetNotices makes the alerter announce alert changes to cfg's
// destinations: s logs the deliveries, q queues their tasks. Without it
// the alerter only records and publishes.
func (a *Alerter) SetNotices(s NoticeStore, q DeliveryQueue) {
	a.notices, a.deliveries = s, q
}

// announce logs a delivery per destination for every notice due, in each
// tenant that has destinations, then queues every pending delivery (this
// pass's and any whose queueing a crash interrupted).
func (a *Alerter) announce(ctx context.Context, now time.Time) error {
	if a.notices == nil {
		return nil
	}
	byTenant := map[string][]store.AlertDestination{}
	for _, d := range a.cfg.Destinations {
		byTenant[d.tenant()] = append(byTenant[d.tenant()], store.AlertDestination{Name: d.Name, Kind: d.Kind})
	}
	for _, t := range slices.Sorted(maps.Keys(byTenant)) {
		if err := a.announceTenant(channels.WithTenant(ctx, t), byTenant[t], now); err != nil {
			return fmt.Errorf("tenant %s: %w", t, err)
		}
	}
	ids, err := a.notices.PendingAlertDeliveries(ctx, scanLimit)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := a.deliveries.EnqueueAlertDelivery(ctx, id); err != nil {
			return err
		}
	}
	return nil
}

func (a *Alerter) announceTenant(ctx context.Context, dests []store.AlertDestination, now time.Time) error {
	cands, err := a.notices.AlertNoticeCandidates(ctx)
	if err != nil {
		return err
	}
	for _, c := range cands {
		notice := NoticeFor(c.Change, c.Told, now, a.cfg.Notify.ResolveAfter)
		if notice == "" {
			continue
		}
		ids, err := a.notices.RecordAlertNotice(ctx, c.Change, notice, dests, now)
		if err != nil {
			return err
		}
		a.log.InfoContext(ctx, "alert notice queued", "tenant", c.Change.Tenant, "alert_id", c.Change.ID, "notice", notice,
			"channel", c.Change.Channel, "campaign", c.Change.Campaign, "metric", c.Change.Metric, "deliveries", len(ids))
	}
	return nil
}
