package workers

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/channels/providers"
	"github.com/rebond/rebond/store"
)

// AlertSubject is the NATS subject every alert state change is published
// on (stream REBOND_NOTICES), as the JSON of a channels.AlertChange.
const AlertSubject = "rebond.alerts"

// Metrics an alert can watch: the rates of store.RateRow.
var alertMetrics = []string{"soft_rate", "hard_rate", "complaint_rate"}

// Threshold is a metric's warning and critical levels, as fractions (0.05
// is 5%). A zero level is not checked.
type Threshold struct {
	Warning  float64 `koanf:"warning" json:"warning"`
	Critical float64 `koanf:"critical" json:"critical"`
}

// AlertConfig sets when rate alerts fire. The zero value is usable:
// WithDefaults fills every field.
type AlertConfig struct {
	// Every is how often the scheduler evaluates the alerts (default 5m).
	Every time.Duration `koanf:"every"`
	// Window is how far back messages count, by send time (default 24h),
	// widened to the start of its first hourly rate bucket.
	Window time.Duration `koanf:"window"`
	// MinSent is the fewest messages sent in the window for a group to
	// alert at all (default 500).
	MinSent int64 `koanf:"min_sent"`
	// Channels maps a channel to its thresholds per metric (soft_rate,
	// hard_rate, complaint_rate). Nil: DefaultThresholds.
	Channels map[channels.Channel]map[string]Threshold `koanf:"channels"`
	// Destinations receive the notices of their tenant's alerts (none:
	// alerts reach the API, the dashboard and NATS only).
	Destinations []Destination `koanf:"destinations"`
	// Notify sets when resolutions are announced and how deliveries
	// are retried.
	Notify NotifyConfig `koanf:"notify"`
}

// DefaultThresholds follow the mailbox providers' published guidance.
// Complaints: Google's and Yahoo's 2024 bulk-sender requirements ask for a
// spam rate below 0.1% and never reaching 0.3% (Google Workspace Admin
// Help, "Email sender guidelines", answer 81126; Yahoo Sender Hub, "Best
// Practices"). Hard bounces: Amazon SES reviews an account at a 5% bounce
// rate and may pause it at 10% (SES Developer Guide, "Sending review
// process FAQs"). SMS has no complaint feedback loop: hard rate only.
func DefaultThresholds() map[channels.Channel]map[string]Threshold {
	return map[channels.Channel]map[string]Threshold{
		channels.Email: {"hard_rate": {0.05, 0.10}, "complaint_rate": {0.001, 0.003}},
		channels.SMS:   {"hard_rate": {0.05, 0.10}},
	}
}

// WithDefaults returns c with every zero field set to its default.
func (c AlertConfig) WithDefaults() AlertConfig {
	if c.Every == 0 {
		c.Every = 5 * time.Minute
	}
	if c.Window == 0 {
		c.Window = 24 * time.Hour
	}
	if c.MinSent == 0 {
		c.MinSent = 500
	}
	if c.Channels == nil {
		c.Channels = DefaultThresholds()
	}
	c.Notify = c.Notify.withDefaults()
	return c
}

// Validate names the offending field.
func (c AlertConfig) Validate() error {
	if c.Every < time.Second || c.Window < time.Hour {
		return fmt.Errorf("alerts.every and alerts.window: %s and %s; want at least 1s and 1h", c.Every, c.Window)
	}
	if c.MinSent < 1 {
		return fmt.Errorf("alerts.min_sent: %d; want at least 1", c.MinSent)
	}
	if err := c.Notify.validate(); err != nil {
		return err
	}
	if err := validateDestinations(c.Destinations); err != nil {
		return err
	}
	for ch, metrics := range c.Channels {
		if !ch.Valid() {
			return fmt.Errorf("alerts.channels.%s: not one of email, sms", ch)
		}
		for m, t := range metrics {
			if !slices.Contains(alertMetrics, m) {
				return fmt.Errorf("alerts.channels.%s.%s: not one of soft_rate, hard_rate, complaint_rate", ch, m)
			}
			if t.Warning < 0 || t.Critical < 0 || t.Warning > 1 || t.Critical > 1 ||
				(t.Warning > 0 && t.Critical > 0 && t.Warning > t.Critical) {
				return fmt.Errorf("alerts.channels.%s.%s: warning %g and critical %g must be fractions in 0..1 with warning <= critical",
					ch, m, t.Warning, t.Critical)
			}
		}
	}
	return nil
}

// AlertLevel is the state one rate deserves: critical when the LOWER
// bound of its 95% Wilson interval is at or above the critical level,
// warning when at or above the warning level, ok otherwise, and ok when
// fewer than minSent messages were sent. Comparing the lower bound rather
// than the rate means "we are 97.5% sure the true rate is at least the
// threshold": 3 hard bounces out of 20 (15%) do not page anyone (the
// interval starts at 5.2%), 150 out of 1000 do. The state depends on the
// current numbers only (no hysteresis), so a given window always gives
// the same state.
func AlertLevel(hits, sent, minSent int64, t Threshold) (string, channels.Interval) {
	ci := channels.Wilson(hits, sent)
	switch {
	case sent < minSent || sent <= 0:
		return channels.AlertOK, ci
	case t.Critical > 0 && ci.Low >= t.Critical:
		return channels.AlertCritical, ci
	case t.Warning > 0 && ci.Low >= t.Warning:
		return channels.AlertWarning, ci
	}
	return channels.AlertOK, ci
}

// metricHits is the numerator of a metric in a row.
func metricHits(r store.RateRow, metric string) int64 {
	switch metric {
	case "soft_rate":
		return r.Soft
	case "hard_rate":
		return r.Hard
	}
	return r.Complaints
}

// EvaluateAlerts is the pure core of the alert job: given the rate rows of
// the window (one per channel x campaign, Provider ""; and for email one
// per channel x campaign x provider) and the alerts currently not ok, it
// returns the state changes, in a stable order. An active alert whose
// group has no row any more (nothing sent in the window) or whose metric
// is no longer configured goes back to ok.
func EvaluateAlerts(cfg AlertConfig, rows []store.RateRow, active []channels.AlertChange, now time.Time) []channels.AlertChange {
	prev := make(map[channels.AlertKey]string, len(active))
	for _, a := range active {
		prev[a.AlertKey] = a.To
	}
	seen := map[channels.AlertKey]bool{}
	var out []channels.AlertChange
	for _, r := range rows {
		thresholds := cfg.Channels[r.Channel]
		for _, m := range slices.Sorted(maps.Keys(thresholds)) {
			k := channels.AlertKey{Channel: r.Channel, Campaign: r.Campaign, Provider: r.Provider, Metric: m}
			seen[k] = true
			hits := metricHits(r, m)
			state, ci := AlertLevel(hits, r.Sent, cfg.MinSent, thresholds[m])
			from := cmp.Or(prev[k], channels.AlertOK)
			if state == from {
				continue
			}
			t := thresholds[m]
			level := t.Warning // the level crossed: entering warning, or back under it
			if state == channels.AlertCritical || level == 0 {
				level = t.Critical
			}
			rate := 0.0
			if r.Sent > 0 {
				rate = float64(hits) / float64(r.Sent)
			}
			out = append(out, channels.AlertChange{AlertKey: k, From: from, To: state, At: now, Sent: r.Sent, Hits: hits,
				Rate: rate, CI: ci, Threshold: level})
		}
	}
	for _, a := range active {
		if !seen[a.AlertKey] && a.To != channels.AlertOK {
			out = append(out, channels.AlertChange{AlertKey: a.AlertKey, From: a.To, To: channels.AlertOK, At: now,
				CI: channels.Wilson(0, 0), Threshold: a.Threshold})
		}
	}
	return out
}

// AlertRows turns rate rows grouped by domain into the groups alerts
// watch: every channel x campaign, and for email every channel x campaign
// x mailbox provider (one operator, one filtering policy: a campaign can
// be fine overall and blocked at one provider).
func AlertRows(byDomain []store.RateRow, t *providers.Table, minVolume int64) []store.RateRow {
	out := store.Regroup(byDomain, func(r *store.RateRow) { r.Domain, r.Bucket = "", nil }, minVolume)
	var email []store.RateRow
	for _, r := range byDomain {
		if r.Channel == channels.Email {
			email = append(email, r)
		}
	}
	return append(out, store.Regroup(email, func(r *store.RateRow) {
		r.Provider, r.Domain, r.Bucket = t.Of(r.Domain), "", nil
	}, minVolume)...)
}

// AlertStore is what the alert job reads and writes.
type AlertStore interface {
	Rates(ctx context.Context, q store.RatesQuery) ([]store.RateRow, error)
	ActiveAlerts(ctx context.Context) ([]channels.AlertChange, error)
	AlertTenants(ctx context.Context, from time.Time) ([]string, error)
	RecordAlerts(ctx context.Context, changes []channels.AlertChange) ([]channels.AlertChange, error)
	UnpublishedAlerts(ctx context.Context, limit int) ([]channels.AlertChange, error)
	MarkAlertsPublished(ctx context.Context, ids []int64, t time.Time) error
}

// Alerter is the periodic alert job of the scheduler role. Several
// replicas may run it: the store records each change once, and a change is
// published under a Nats-Msg-Id derived from its id.
type Alerter struct {
	cfg       AlertConfig
	providers *providers.Table
	store     AlertStore
	notify    Notifier
	// notices and deliveries announce changes to destinations (SetNotices).
	notices    NoticeStore
	deliveries DeliveryQueue
	log        *slog.Logger
	now        func() time.Time
}

// NewAlerter builds the alert job; cfg must have its defaults filled. A
// nil table groups every email domain as provider "other".
func NewAlerter(cfg AlertConfig, t *providers.Table, s AlertStore, n Notifier, log *slog.Logger) *Alerter {
	return &Alerter{cfg: cfg, providers: t, store: s, notify: n, log: log, now: time.Now}
}

// Run evaluates the alerts at once and then every cfg.Every until ctx ends.
func (a *Alerter) Run(ctx context.Context) error {
	tick := time.NewTicker(a.cfg.Every)
	defer tick.Stop()
	for {
		if err := a.Check(ctx); err != nil && ctx.Err() == nil {
			a.log.WarnContext(ctx, "periodic job failed; next tick retries", "job", "alerts", "error", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// Check runs one pass: evaluate the window's rates, record the state
// changes, publish every change not yet published (this pass's and any an
// earlier pass failed to publish), then announce what is due to the
// destinations (SetNotices). A failed publish does not hold notices back.
func (a *Alerter) Check(ctx context.Context) error {
	now := a.now().UTC()
	from := now.Add(-a.cfg.Window).Truncate(time.Hour)
	tenants, err := a.store.AlertTenants(ctx, from)
	if err != nil {
		return err
	}
	for _, t := range tenants {
		if err := a.check(channels.WithTenant(ctx, t), now, from); err != nil {
			return fmt.Errorf("tenant %s: %w", t, err)
		}
	}
	pubErr := a.publish(ctx)
	return errors.Join(pubErr, a.announce(ctx, now))
}

// check evaluates and records the alerts of the tenant of ctx.
func (a *Alerter) check(ctx context.Context, now, from time.Time) error {
	// Alerts are per campaign and mailbox provider (AlertRows maps domains).
	rows, err := a.store.Rates(ctx, store.RatesQuery{From: from, GroupBy: []string{"campaign", "domain"}})
	if err != nil {
		return err
	}
	active, err := a.store.ActiveAlerts(ctx)
	if err != nil {
		return err
	}
	changes := EvaluateAlerts(a.cfg, AlertRows(rows, a.providers, a.cfg.MinSent), active, now)
	recorded, err := a.store.RecordAlerts(ctx, changes)
	if err != nil {
		return err
	}
	for _, c := range recorded {
		level := slog.LevelWarn
		if c.To == channels.AlertOK {
			level = slog.LevelInfo
		}
		a.log.Log(ctx, level, "rate alert changed state", "tenant", c.Tenant, "channel", c.Channel, "campaign", c.Campaign, "provider", c.Provider,
			"metric", c.Metric, "from", c.From, "to", c.To, "sent", c.Sent, "rate", c.Rate, "rate_low", c.CI.Low, "threshold", c.Threshold)
	}
	return nil
}

func (a *Alerter) publish(ctx context.Context) error {
	pending, err := a.store.UnpublishedAlerts(ctx, scanLimit)
	if err != nil || len(pending) == 0 {
		return err
	}
	ids := make([]int64, 0, len(pending))
	var pubErr error
	for _, c := range pending {
		b, err := json.Marshal(c)
		if err != nil {
			return fmt.Errorf("encode alert %d: %w", c.ID, err)
		}
		if pubErr = a.notify.PublishNotice(ctx, AlertSubject, "alert:"+strconv.FormatInt(c.ID, 10), b); pubErr != nil {
			break // keep the order: later changes wait for the next tick
		}
		ids = append(ids, c.ID)
	}
	if err := a.store.MarkAlertsPublished(ctx, ids, a.now().UTC()); err != nil {
		return err
	}
	return pubErr
}
