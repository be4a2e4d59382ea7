package lifecycle

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rebond/rebond/channels"
)

// verdictOf is a test classifier: a failed event's SMTP text holds
// "outcome/reason"; other types get the fallback's outcomes, consent
// events their consent verdict.
type verdictOf struct{}

func (verdictOf) Classify(e channels.Event) channels.Verdict {
	if e.Type.IsConsent() {
		return channels.ConsentVerdict(e)
	}
	switch e.Type {
	case channels.Sent:
		return channels.Verdict{Outcome: channels.OutcomePending, Reason: "sent", Rule: "t.sent@1"}
	case channels.Delivered:
		return channels.Verdict{Outcome: channels.OutcomeDelivered, Reason: "delivered", Rule: "t.delivered@1"}
	case channels.Complaint:
		return channels.Verdict{Outcome: channels.OutcomeComplaint, Reason: "complaint", Rule: "t.complaint@1"}
	}
	o, r, _ := strings.Cut(e.SMTP.Text, "/")
	return channels.Verdict{Outcome: channels.Outcome(o), Reason: channels.Reason(r), Rule: "t." + r + "@1"}
}

// seedPolicy is the policy of configs/rebond.yaml's defaults, which
// ARCHITECTURE.md takes from the seed documents.
func seedPolicy() Policy {
	h, d := time.Hour, 24*time.Hour
	return Policy{
		SoftThreshold: 5, SuspendFor: d, QuarantineComplaints: true,
		Channels: map[channels.Channel]ChannelPolicy{
			channels.Email: {
				Retry: []time.Duration{h, h, h, h, h, d, d, d, d},
				Reasons: map[string]ReasonPolicy{
					"mailbox_full":   {QuarantineFor: 30 * d},
					"filtered":       {Action: ActionSuspend},
					"bad_reputation": {Action: ActionSender},
					"suppressed":     {Action: ActionNone},
				},
			},
			channels.SMS: {Retry: []time.Duration{15 * time.Minute, h, 6 * h}},
		},
	}
}

var t0 = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

// ev builds an email event at t0+min minutes; verdict is "outcome/reason"
// for failed events.
func ev(typ channels.Type, msg, rcpt string, min int, verdict string) channels.Event {
	e := channels.Event{
		ID: fmt.Sprintf("ev-%s-%s-%d-%s", typ, msg, min, verdict), Channel: channels.Email, Type: typ,
		MessageID: msg, Recipient: rcpt, Campaign: "c1", OccurredAt: t0.Add(time.Duration(min) * time.Minute),
	}
	if verdict != "" {
		e.SMTP = &channels.SMTPReply{Text: verdict}
	}
	return e
}

func rkey(addr string) RecipientKey {
	return RecipientKey{channels.DefaultTenant, channels.Email, addr}
}

func decide(events ...channels.Event) Plan {
	return Decide(seedPolicy(), verdictOf{}, Snapshot{Events: events})
}

// recipientOf returns the plan's row for addr, or the active default.
func recipientOf(p Plan, addr string) Recipient {
	for _, r := range p.Recipients {
		if r.Address == addr {
			return r
		}
	}
	return Recipient{Channel: channels.Email, Address: addr, State: channels.StateActive}
}

func TestRecipientStateMachine(t *testing.T) {
	const a = "a@example.org"
	softs := func(n int, verdict string) []channels.Event {
		var es []channels.Event
		for i := range n {
			es = append(es, ev(channels.Failed, fmt.Sprintf("m%d", i), a, i*60, verdict))
		}
		return es
	}
	tests := []struct {
		name      string
		events    []channels.Event
		state     channels.State
		reason    string
		softCount int
		until     time.Time
	}{
		{"hard quarantines at once, no release", []channels.Event{ev(channels.Failed, "m1", a, 0, "hard/user_unknown")},
			channels.StateQuarantined, "user_unknown", 0, time.Time{}},
		{"4 soft messages: still active", softs(4, "soft/system_error"), channels.StateActive, "", 4, time.Time{}},
		{"5 soft messages quarantine", softs(5, "soft/system_error"), channels.StateQuarantined, "system_error", 5, time.Time{}},
		{"mailbox_full quarantine ends after 30 days", softs(5, "soft/mailbox_full"),
			channels.StateQuarantined, "mailbox_full", 5, t0.Add(4 * time.Hour).Add(30 * 24 * time.Hour)},
		{"retries of one message count once", []channels.Event{
			ev(channels.Failed, "m1", a, 0, "soft/system_error"), ev(channels.Failed, "m1", a, 60, "soft/system_error"),
			ev(channels.Failed, "m1", a, 120, "soft/system_error"), ev(channels.Failed, "m1", a, 180, "soft/system_error"),
			ev(channels.Failed, "m1", a, 240, "soft/system_error")},
			channels.StateActive, "", 1, time.Time{}},
		{"delivery resets the soft count", append(softs(4, "soft/system_error"), ev(channels.Delivered, "m9", a, 600, "")),
			channels.StateActive, "", 0, time.Time{}},
		{"suspend action: 24 h, counted", []channels.Event{ev(channels.Failed, "m1", a, 0, "soft/filtered")},
			channels.StateSuspended, "filtered", 1, t0.Add(24 * time.Hour)},
		{"5 suspending messages quarantine", softs(5, "soft/filtered"), channels.StateQuarantined, "filtered", 5, time.Time{}},
		{"retries of one suspending message count once, extend the suspension", []channels.Event{
			ev(channels.Failed, "m1", a, 0, "soft/filtered"), ev(channels.Failed, "m1", a, 60, "soft/filtered")},
			channels.StateSuspended, "filtered", 1, t0.Add(time.Hour).Add(24 * time.Hour)},
		{"a late soft failure keeps a running quarantine's reason and term", append(softs(5, "soft/mailbox_full"),
			ev(channels.Failed, "m9", a, 600, "soft/filtered")),
			channels.StateQuarantined, "mailbox_full", 6, t0.Add(4 * time.Hour).Add(30 * 24 * time.Hour)},
		{"sender-side reason never touches the recipient", softs(6, "soft/bad_reputation"), channels.StateActive, "", 0, time.Time{}},
		{"action none on a hard verdict", []channels.Event{ev(channels.Failed, "m1", a, 0, "hard/suppressed")},
			channels.StateActive, "", 0, time.Time{}},
		{"complaint quarantines, never released", []channels.Event{ev(channels.Complaint, "m1", a, 0, "")},
			channels.StateQuarantined, "complaint", 0, time.Time{}},
		{"suspension does not weaken a quarantine", []channels.Event{
			ev(channels.Failed, "m1", a, 0, "hard/user_unknown"), ev(channels.Failed, "m2", a, 5, "soft/filtered")},
			channels.StateQuarantined, "user_unknown", 1, time.Time{}},
		{"events are applied in time order", []channels.Event{
			ev(channels.Failed, "m2", a, 5, "soft/filtered"), ev(channels.Failed, "m1", a, 0, "hard/user_unknown")},
			channels.StateQuarantined, "user_unknown", 1, time.Time{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := recipientOf(decide(tc.events...), a)
			got := fmt.Sprintf("%s %s soft=%d until=%v", r.State, r.Reason, r.SoftCount, r.Until)
			want := fmt.Sprintf("%s %s soft=%d until=%v", tc.state, tc.reason, tc.softCount, tc.until)
			if got != want {
				t.Errorf("recipient = %s, want %s", got, want)
			}
		})
	}
}

func TestAllowlistedRecipientIsNeverActedOn(t *testing.T) {
	const a = "vip@example.org"
	p := Decide(seedPolicy(), verdictOf{}, Snapshot{
		Events:  []channels.Event{ev(channels.Failed, "m1", a, 0, "hard/user_unknown")},
		Allowed: map[RecipientKey]bool{rkey(a): true},
	})
	if r := recipientOf(p, a); r.State != channels.StateActive {
		t.Errorf("allowlisted recipient went %s", r.State)
	}
	if len(p.Applied) != 1 || p.Applied[0].Verdict.Outcome != channels.OutcomeHard {
		t.Errorf("the verdict must still be recorded: %+v", p.Applied)
	}
	if len(p.Audit) != 0 {
		t.Errorf("no transition expected, got %+v", p.Audit)
	}
}

func TestQuarantineIsAudited(t *testing.T) {
	p := decide(ev(channels.Failed, "m1", "a@example.org", 0, "hard/user_unknown"))
	want := []Audit{{Tenant: channels.DefaultTenant, Channel: channels.Email, Address: "a@example.org", At: t0, From: channels.StateActive, To: channels.StateQuarantined,
		Reason: "user_unknown", Actor: ActorApply, EventID: "ev-failed-m1-0-hard/user_unknown", Rule: "t.user_unknown@1"}}
	if diff := cmp.Diff(want, p.Audit); diff != "" {
		t.Errorf("audit (-want +got):\n%s", diff)
	}
}

// TestSoftFailureIsAudited: a counted soft failure that changes no state
// is still a row of the recipient's history (From = To), so the page that
// shows the soft count shows the failures it counts; the one that reaches
// the threshold is the quarantine's row alone.
func TestSoftFailureIsAudited(t *testing.T) {
	const a = "a@example.org"
	var evs []channels.Event
	for i := range 5 {
		evs = append(evs, ev(channels.Failed, fmt.Sprintf("m%d", i), a, i, "soft/mailbox_full"))
	}
	p := decide(evs...)
	var got []string
	for _, x := range p.Audit {
		got = append(got, string(x.From)+">"+string(x.To)+" "+x.Reason+" "+x.EventID)
	}
	want := []string{
		"active>active mailbox_full ev-failed-m0-0-soft/mailbox_full",
		"active>active mailbox_full ev-failed-m1-1-soft/mailbox_full",
		"active>active mailbox_full ev-failed-m2-2-soft/mailbox_full",
		"active>active mailbox_full ev-failed-m3-3-soft/mailbox_full",
		"active>quarantined mailbox_full ev-failed-m4-4-soft/mailbox_full",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("audit (-want +got):\n%s", diff)
	}
}

func TestMessageStatusAndBuckets(t *testing.T) {
	const a = "a@example.org"
	hour := BucketKey{channels.DefaultTenant, channels.Email, "c1", "example.org", "", t0}
	tests := []struct {
		name    string
		snap    map[MessageKey]Message
		events  []channels.Event
		status  Status
		buckets map[BucketKey]Counts
	}{
		{"sent only", nil, []channels.Event{ev(channels.Sent, "m", a, 0, "")},
			StatusPending, map[BucketKey]Counts{hour: {Sent: 1}}},
		{"sent then soft", nil, []channels.Event{ev(channels.Sent, "m", a, 0, ""), ev(channels.Failed, "m", a, 5, "soft/system_error")},
			StatusSoft, map[BucketKey]Counts{hour: {Sent: 1, Soft: 1}}},
		{"soft then delivered moves to delivered", nil, []channels.Event{
			ev(channels.Sent, "m", a, 0, ""), ev(channels.Failed, "m", a, 5, "soft/system_error"), ev(channels.Delivered, "m", a, 70, "")},
			StatusDelivered, map[BucketKey]Counts{hour: {Sent: 1, Delivered: 1}}},
		{"a late soft never overwrites delivered", nil, []channels.Event{
			ev(channels.Sent, "m", a, 0, ""), ev(channels.Delivered, "m", a, 5, ""), ev(channels.Failed, "m", a, 9, "soft/system_error")},
			StatusDelivered, map[BucketKey]Counts{hour: {Sent: 1, Delivered: 1}}},
		{"hard is final", nil, []channels.Event{
			ev(channels.Sent, "m", a, 0, ""), ev(channels.Failed, "m", a, 5, "hard/user_unknown"), ev(channels.Delivered, "m", a, 9, "")},
			StatusHard, map[BucketKey]Counts{hour: {Sent: 1, Hard: 1}}},
		{"a failure before its sent counts when sent comes", nil, []channels.Event{
			ev(channels.Failed, "m", a, 0, "hard/user_unknown"), ev(channels.Sent, "m", a, 1, "")},
			StatusHard, map[BucketKey]Counts{hour: {Sent: 1, Hard: 1}}},
		{"a second sent counts once", nil, []channels.Event{ev(channels.Sent, "m", a, 0, ""), ev(channels.Sent, "m", a, 1, "")},
			StatusPending, map[BucketKey]Counts{hour: {Sent: 1}}},
		{"stored soft message then hard: deltas only",
			map[MessageKey]Message{{channels.DefaultTenant, channels.Email, "m", a}: {Channel: channels.Email, MessageID: "m", Recipient: a, Campaign: "c1",
				Domain: "example.org", SentAt: t0, Status: StatusSoft, RetryAttempt: 1}},
			[]channels.Event{ev(channels.Failed, "m", a, 90, "hard/user_unknown")},
			StatusHard, map[BucketKey]Counts{hour: {Soft: -1, Hard: 1}}},
		{"complaint is a flag counted once", nil, []channels.Event{
			ev(channels.Sent, "m", a, 0, ""), ev(channels.Complaint, "m", a, 5, ""), ev(channels.Complaint, "m", a, 6, "")},
			StatusPending, map[BucketKey]Counts{hour: {Sent: 1, Complaints: 1}}},
		{"ignored verdicts change nothing", nil, []channels.Event{ev(channels.Sent, "m", a, 0, ""), ev(channels.Failed, "m", a, 5, "ignored/auto_reply")},
			StatusPending, map[BucketKey]Counts{hour: {Sent: 1}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := Decide(seedPolicy(), verdictOf{}, Snapshot{Events: tc.events, Messages: tc.snap})
			if len(p.Messages) != 1 {
				t.Fatalf("messages = %+v, want one", p.Messages)
			}
			if p.Messages[0].Status != tc.status {
				t.Errorf("status = %s, want %s", p.Messages[0].Status, tc.status)
			}
			if diff := cmp.Diff(tc.buckets, p.Buckets); diff != "" {
				t.Errorf("buckets (-want +got):\n%s", diff)
			}
			if len(p.Applied) != len(tc.events) {
				t.Errorf("%d verdicts for %d events", len(p.Applied), len(tc.events))
			}
		})
	}
}

func TestRetrySchedule(t *testing.T) {
	p := seedPolicy()
	// Seed default: 5 retries an hour apart, then one a day for 4 days.
	want := []time.Duration{1, 2, 3, 4, 5, 29, 53, 77, 101}
	prev := t0
	for i, hours := range want {
		due, ok := p.NextRetry(channels.Email, "system_error", i+1, prev)
		if !ok || !due.Equal(t0.Add(hours*time.Hour)) {
			t.Fatalf("retry %d due %v (%v), want t0+%dh", i+1, due, ok, hours)
		}
		prev = due
	}
	if _, ok := p.NextRetry(channels.Email, "system_error", len(want)+1, prev); ok {
		t.Error("a 10th retry was scheduled; the seed schedule has 9")
	}
	if _, ok := p.NextRetry(channels.Email, "system_error", 0, prev); ok {
		t.Error("attempt 0 must not be scheduled")
	}
	p.Channels[channels.Email].Reasons["mailbox_full"] = ReasonPolicy{Retry: []time.Duration{48 * time.Hour}}
	if due, ok := p.NextRetry(channels.Email, "mailbox_full", 1, t0); !ok || !due.Equal(t0.Add(48*time.Hour)) {
		t.Errorf("per-reason schedule: %v %v", due, ok)
	}
	if due, ok := p.NextRetry(channels.SMS, "absent_subscriber", 1, t0); !ok || !due.Equal(t0.Add(15*time.Minute)) {
		t.Errorf("sms schedule: %v %v", due, ok)
	}

	plan := decide(ev(channels.Sent, "m", "a@example.org", 0, ""), ev(channels.Failed, "m", "a@example.org", 30, "soft/system_error"),
		ev(channels.Failed, "m", "a@example.org", 40, "soft/system_error"))
	wantRetries := []Retry{{Tenant: channels.DefaultTenant, Channel: channels.Email, MessageID: "m", Recipient: "a@example.org", Attempt: 1, DueAt: t0.Add(90 * time.Minute)}}
	if diff := cmp.Diff(wantRetries, plan.Retries); diff != "" {
		t.Errorf("a soft failure schedules retry 1 once (-want +got):\n%s", diff)
	}
	if hard := decide(ev(channels.Failed, "m", "a@example.org", 0, "hard/user_unknown")); len(hard.Retries) != 0 {
		t.Errorf("hard failures are never retried: %+v", hard.Retries)
	}
}

func TestPolicyValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Policy)
		want string
	}{
		{"seed policy", func(*Policy) {}, ""},
		{"threshold", func(p *Policy) { p.SoftThreshold = 0 }, "policy.soft_threshold"},
		{"channel", func(p *Policy) { p.Channels["fax"] = ChannelPolicy{} }, "policy.channels.fax"},
		{"retry delay", func(p *Policy) { p.Channels[channels.SMS] = ChannelPolicy{Retry: []time.Duration{0}} }, "policy.channels.sms.retry"},
		{"action", func(p *Policy) { p.Channels[channels.Email].Reasons["x"] = ReasonPolicy{Action: "drop"} }, "reasons.x.action"},
		{"negative window", func(p *Policy) { p.Channels[channels.Email].Reasons["x"] = ReasonPolicy{SuspendFor: -1} }, "reasons.x"},
		{"escalation on", func(p *Policy) { p.Escalation = Escalation{Factor: 2, Lookback: time.Hour, Max: time.Hour} }, ""},
		{"escalation factor", func(p *Policy) { p.Escalation.Factor = 0.5 }, "policy.escalation.factor"},
		{"escalation lookback", func(p *Policy) { p.Escalation.Lookback = -1 }, "policy.escalation.lookback"},
		{"escalation max", func(p *Policy) { p.Escalation.Max = -1 }, "policy.escalation.max"},
		{"incident quiet period", func(p *Policy) { p.Incidents.QuietFor = -1 }, "policy.incidents.quiet_for"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := seedPolicy()
			tc.edit(&p)
			err := p.Validate()
			if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Errorf("Validate() = %v, want an error naming %q", err, tc.want)
			}
		})
	}
}

func TestPlanRowsAreSorted(t *testing.T) {
	p := decide(ev(channels.Failed, "m2", "b@example.org", 0, "hard/user_unknown"),
		ev(channels.Failed, "m1", "a@example.org", 1, "hard/user_unknown"))
	if len(p.Messages) != 2 || p.Messages[0].MessageID != "m1" || len(p.Recipients) != 2 || p.Recipients[0].Address != "a@example.org" {
		t.Errorf("rows must be in key order (lock order): %+v %+v", p.Messages, p.Recipients)
	}
}

// escalating is the seed policy with escalation on: factor 2 per previous
// quarantine begun within 180 days of the last one, capped at 365 days.
func escalating() Policy {
	p := seedPolicy()
	p.Escalation = Escalation{Factor: 2, Lookback: 180 * 24 * time.Hour, Max: 365 * 24 * time.Hour}
	return p
}

func TestEscalationOnRepeatQuarantine(t *testing.T) {
	const a = "a@example.org"
	day := 24 * time.Hour
	tests := []struct {
		name   string
		policy Policy
		stored Recipient
		event  channels.Event
		until  time.Time // zero: permanent
		count  int
	}{
		{"first quarantine: base term", escalating(),
			Recipient{State: channels.StateActive},
			ev(channels.Failed, "m1", a, 0, "soft/mailbox_full_now"), t0.Add(30 * day), 1},
		{"second after a release: doubled", escalating(),
			Recipient{State: channels.StateActive, QuarantineCount: 1, QuarantinedAt: t0.Add(-40 * day)},
			ev(channels.Failed, "m1", a, 0, "soft/mailbox_full_now"), t0.Add(60 * day), 2},
		{"third: four times", escalating(),
			Recipient{State: channels.StateActive, QuarantineCount: 2, QuarantinedAt: t0.Add(-70 * day)},
			ev(channels.Failed, "m1", a, 0, "soft/mailbox_full_now"), t0.Add(120 * day), 3},
		{"fifth: capped at 365 days", escalating(),
			Recipient{State: channels.StateActive, QuarantineCount: 4, QuarantinedAt: t0.Add(-100 * day)},
			ev(channels.Failed, "m1", a, 0, "soft/mailbox_full_now"), t0.Add(365 * day), 5},
		{"a timed quarantine that ended but was not released yet repeats", escalating(),
			Recipient{State: channels.StateQuarantined, Until: t0.Add(-time.Hour), QuarantineCount: 1, QuarantinedAt: t0.Add(-30*day - time.Hour)},
			ev(channels.Failed, "m1", a, 0, "soft/mailbox_full_now"), t0.Add(60 * day), 2},
		{"a running quarantine is renewed, not repeated", escalating(),
			Recipient{State: channels.StateQuarantined, Until: t0.Add(50 * day), QuarantineCount: 2, QuarantinedAt: t0.Add(-10 * day)},
			ev(channels.Failed, "m1", a, 0, "soft/mailbox_full_now"), t0.Add(60 * day), 2},
		{"last quarantine older than the lookback: base term again", escalating(),
			Recipient{State: channels.StateActive, QuarantineCount: 3, QuarantinedAt: t0.Add(-200 * day)},
			ev(channels.Failed, "m1", a, 0, "soft/mailbox_full_now"), t0.Add(30 * day), 1},
		{"a permanent quarantine stays permanent", escalating(),
			Recipient{State: channels.StateActive, QuarantineCount: 3, QuarantinedAt: t0.Add(-10 * day)},
			ev(channels.Failed, "m1", a, 0, "hard/user_unknown"), time.Time{}, 4},
		{"a suspension followed by a quarantine repeats", escalating(),
			Recipient{State: channels.StateSuspended, Until: t0.Add(time.Hour), QuarantineCount: 1, QuarantinedAt: t0.Add(-60 * day)},
			ev(channels.Failed, "m1", a, 0, "soft/mailbox_full_now"), t0.Add(60 * day), 2},
		{"escalation off: base term, count still kept", seedPolicy(),
			Recipient{State: channels.StateActive, QuarantineCount: 3, QuarantinedAt: t0.Add(-10 * day)},
			ev(channels.Failed, "m1", a, 0, "soft/mailbox_full_now"), t0.Add(30 * day), 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// mailbox_full_now: mailbox_full's 30-day term, applied at once
			// (action quarantine) so one event is enough.
			tc.policy.Channels[channels.Email].Reasons["mailbox_full_now"] = ReasonPolicy{Action: ActionQuarantine, QuarantineFor: 30 * day}
			stored := tc.stored
			stored.Channel, stored.Address = channels.Email, a
			p := Decide(tc.policy, verdictOf{}, Snapshot{Events: []channels.Event{tc.event},
				Recipients: map[RecipientKey]Recipient{rkey(a): stored}})
			r := recipientOf(p, a)
			if r.State != channels.StateQuarantined || !r.Until.Equal(tc.until) || r.QuarantineCount != tc.count {
				t.Errorf("recipient = %s until %v count %d, want quarantined until %v count %d",
					r.State, r.Until, r.QuarantineCount, tc.until, tc.count)
			}
			if tc.stored.State != channels.StateQuarantined && !r.QuarantinedAt.Equal(t0) {
				t.Errorf("quarantined_at = %v, want the event's time %v", r.QuarantinedAt, t0)
			}
		})
	}
}

func TestEscalationTerm(t *testing.T) {
	day := 24 * time.Hour
	tests := []struct {
		name     string
		esc      Escalation
		base     time.Duration
		previous int
		want     time.Duration
	}{
		{"off", Escalation{}, 30 * day, 3, 30 * day},
		{"factor 1 changes nothing", Escalation{Factor: 1}, 30 * day, 3, 30 * day},
		{"no previous", Escalation{Factor: 2}, 30 * day, 0, 30 * day},
		{"permanent", Escalation{Factor: 2, Max: 365 * day}, 0, 5, 0},
		{"1.5 twice", Escalation{Factor: 1.5}, 24 * time.Hour, 2, 54 * time.Hour},
		{"a base above the cap is kept", Escalation{Factor: 2, Max: 10 * day}, 30 * day, 2, 30 * day},
		{"uncapped: saturates, never overflows", Escalation{Factor: 10}, 30 * day, 1000, time.Duration(1<<63 - 1)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.esc.Term(tc.base, tc.previous); got != tc.want {
				t.Errorf("Term(%v, %d) = %v, want %v", tc.base, tc.previous, got, tc.want)
			}
		})
	}
}

func TestQuarantineCountGrowsAcrossBatchesOnlyOnRepeat(t *testing.T) {
	// Two hard failures in one batch: the second renews nothing (the
	// quarantine is permanent), and the count is one.
	p := Decide(escalating(), verdictOf{}, Snapshot{Events: []channels.Event{
		ev(channels.Failed, "m1", "a@example.org", 0, "hard/user_unknown"),
		ev(channels.Failed, "m2", "a@example.org", 5, "hard/user_unknown")}})
	if r := recipientOf(p, "a@example.org"); r.QuarantineCount != 1 || !r.QuarantinedAt.Equal(t0) {
		t.Errorf("count %d at %v, want 1 at %v", r.QuarantineCount, r.QuarantinedAt, t0)
	}
}

// sms builds an SMS failure through provider at t0+min minutes.
func smsFailure(msg, provider string, min int, verdict string) channels.Event {
	e := ev(channels.Failed, msg, "447700900001", min, verdict)
	e.Channel, e.Provider = channels.SMS, provider
	return e
}

func TestSenderIncidents(t *testing.T) {
	withProvider := func(e channels.Event, p string) channels.Event { e.Provider = p; return e }
	tests := []struct {
		name   string
		policy func(*Policy)
		events []channels.Event
		want   []Incident
	}{
		{"sender-side reasons raise one incident per channel, route and reason", nil, []channels.Event{
			withProvider(ev(channels.Failed, "m1", "a@example.org", 0, "soft/bad_reputation"), "ses"),
			withProvider(ev(channels.Failed, "m2", "b@example.org", 5, "hard/bad_reputation"), "ses"),
			withProvider(ev(channels.Failed, "m3", "c@example.org", 7, "soft/bad_reputation"), "bounce-mail"),
			withProvider(ev(channels.Failed, "m4", "d@example.org", 9, "soft/system_error"), "ses"),
		}, []Incident{
			{Tenant: channels.DefaultTenant, Channel: channels.Email, Route: "bounce-mail", Reason: "bad_reputation", Count: 1, FirstSeen: t0.Add(7 * time.Minute),
				LastSeen: t0.Add(7 * time.Minute), EventID: "ev-failed-m3-7-soft/bad_reputation", Rule: "t.bad_reputation@1"},
			{Tenant: channels.DefaultTenant, Channel: channels.Email, Route: "ses", Reason: "bad_reputation", Count: 2, FirstSeen: t0,
				LastSeen: t0.Add(5 * time.Minute), EventID: "ev-failed-m2-5-hard/bad_reputation", Rule: "t.bad_reputation@1"},
		}},
		{"no provider: route unknown; out-of-order events keep first and last", nil, []channels.Event{
			ev(channels.Failed, "m2", "b@example.org", 30, "soft/bad_reputation"),
			ev(channels.Failed, "m1", "a@example.org", 10, "soft/bad_reputation"),
		}, []Incident{
			{Tenant: channels.DefaultTenant, Channel: channels.Email, Route: UnknownRoute, Reason: "bad_reputation", Count: 2, FirstSeen: t0.Add(10 * time.Minute),
				LastSeen: t0.Add(30 * time.Minute), EventID: "ev-failed-m2-30-soft/bad_reputation", Rule: "t.bad_reputation@1"},
		}},
		{"sms gateway route", func(p *Policy) {
			p.Channels[channels.SMS] = ChannelPolicy{Reasons: map[string]ReasonPolicy{"rate_limited": {Action: ActionSender}}}
		}, []channels.Event{smsFailure("s1", "smpp:acme", 0, "soft/rate_limited")}, []Incident{
			{Tenant: channels.DefaultTenant, Channel: channels.SMS, Route: "smpp:acme", Reason: "rate_limited", Count: 1, FirstSeen: t0, LastSeen: t0,
				EventID: "ev-failed-s1-0-soft/rate_limited", Rule: "t.rate_limited@1"},
		}},
		{"recipient-side and ignored verdicts raise none", nil, []channels.Event{
			ev(channels.Failed, "m1", "a@example.org", 0, "hard/user_unknown"),
			ev(channels.Failed, "m2", "a@example.org", 1, "soft/mailbox_full"),
			ev(channels.Failed, "m3", "a@example.org", 2, "ignored/bad_reputation"),
			ev(channels.Delivered, "m4", "a@example.org", 3, ""),
		}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := seedPolicy()
			if tc.policy != nil {
				tc.policy(&p)
			}
			plan := Decide(p, verdictOf{}, Snapshot{Events: tc.events})
			if diff := cmp.Diff(tc.want, plan.Incidents); diff != "" {
				t.Errorf("incidents (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSenderIncidentDespiteAllowlistAndNoRecipientChange(t *testing.T) {
	const a = "vip@example.org"
	e := ev(channels.Failed, "m1", a, 0, "soft/bad_reputation")
	e.Provider = "ses"
	p := Decide(seedPolicy(), verdictOf{}, Snapshot{Events: []channels.Event{e}, Allowed: map[RecipientKey]bool{rkey(a): true}})
	if len(p.Incidents) != 1 || p.Incidents[0].Route != "ses" || p.Incidents[0].Count != 1 {
		t.Errorf("incidents = %+v, want one on route ses", p.Incidents)
	}
	if len(p.Recipients) != 0 || len(p.Audit) != 0 {
		t.Errorf("a sender-side verdict changed the recipient: %+v %+v", p.Recipients, p.Audit)
	}
}

func TestRoute(t *testing.T) {
	for in, want := range map[string]string{"": UnknownRoute, "ses": "ses", "smpp:acme": "smpp:acme", "bounce-mail": "bounce-mail"} {
		if got := Route(in); got != want {
			t.Errorf("Route(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestBucketKeyFrozenOnceCounted: a send counted without a campaign stays
// in that bucket whatever later events say, and a second send naming
// another campaign moves nothing (counts never go negative).
func TestBucketKeyFrozenOnceCounted(t *testing.T) {
	const a = "a@example.org"
	sent := ev(channels.Sent, "m", a, 0, "")
	sent.Campaign = ""
	fail := ev(channels.Failed, "m", a, 5, "hard/user_unknown") // campaign c1
	p := decide(sent, fail)
	want := map[BucketKey]Counts{{channels.DefaultTenant, channels.Email, "", "example.org", "", t0}: {Sent: 1, Hard: 1}}
	if diff := cmp.Diff(want, p.Buckets); diff != "" {
		t.Errorf("buckets (-want +got):\n%s", diff)
	}
	resend := ev(channels.Sent, "m", a, 10, "")
	resend.Campaign = "other"
	p = Decide(seedPolicy(), verdictOf{}, Snapshot{
		Events: []channels.Event{resend, ev(channels.Delivered, "m", a, 20, "")},
		Messages: map[MessageKey]Message{{channels.DefaultTenant, channels.Email, "m", a}: {Channel: channels.Email, MessageID: "m", Recipient: a,
			Campaign: "c1", Domain: "example.org", SentAt: t0, Status: StatusSoft}},
	})
	want = map[BucketKey]Counts{{channels.DefaultTenant, channels.Email, "c1", "example.org", "", t0}: {Soft: -1, Delivered: 1}}
	if diff := cmp.Diff(want, p.Buckets); diff != "" {
		t.Errorf("after a resend naming another campaign (-want +got):\n%s", diff)
	}
}

// TestTenantsAreSeparate: one batch with the same message, recipient and
// event id for two tenants keeps two of everything, each keyed by tenant.
func TestTenantsAreSeparate(t *testing.T) {
	acme := func(e channels.Event) channels.Event { e.Tenant = "acme"; return e }
	p := decide(
		ev(channels.Sent, "m", "a@example.org", 0, ""), ev(channels.Failed, "m", "a@example.org", 1, "hard/user_unknown"),
		acme(ev(channels.Sent, "m", "a@example.org", 0, "")), acme(ev(channels.Delivered, "m", "a@example.org", 1, "")),
	)
	wantBuckets := map[BucketKey]Counts{
		{channels.DefaultTenant, channels.Email, "c1", "example.org", "", t0}: {Sent: 1, Hard: 1},
		{"acme", channels.Email, "c1", "example.org", "", t0}:                 {Sent: 1, Delivered: 1},
	}
	if diff := cmp.Diff(wantBuckets, p.Buckets); diff != "" {
		t.Errorf("buckets (-want +got):\n%s", diff)
	}
	if len(p.Messages) != 2 || p.Messages[0].Tenant != "acme" || p.Messages[1].Tenant != channels.DefaultTenant {
		t.Errorf("messages: %+v, want acme's then the default tenant's (key order)", p.Messages)
	}
	if len(p.Audit) != 1 || p.Audit[0].Tenant != channels.DefaultTenant || p.Audit[0].To != channels.StateQuarantined {
		t.Errorf("audit: %+v, want the default tenant's quarantine only", p.Audit)
	}
	keys := map[string]bool{}
	for _, a := range p.Applied {
		keys[a.EventID] = true
	}
	if !keys["ev-sent-m-0-"] || !keys["~acme~ev-sent-m-0-"] {
		t.Errorf("applied event keys %v: want both tenants' keys", keys)
	}
}

// TestOneMessageThreeRecipients: an ESP reports each recipient of one
// message under the message's id; each recipient is a delivery of its own,
// counted once, with its own status, soft count and retry.
func TestOneMessageThreeRecipients(t *testing.T) {
	const a, b, c = "a@example.org", "b@example.org", "c@example.org"
	plan := decide(ev(channels.Sent, "m", a, 0, ""), ev(channels.Sent, "m", b, 0, ""), ev(channels.Sent, "m", c, 0, ""),
		ev(channels.Failed, "m", a, 5, "soft/mailbox_full"), ev(channels.Failed, "m", b, 5, "soft/system_error"),
		ev(channels.Failed, "m", c, 5, "hard/user_unknown"))
	hour := BucketKey{channels.DefaultTenant, channels.Email, "c1", "example.org", "", t0}
	if diff := cmp.Diff(map[BucketKey]Counts{hour: {Sent: 3, Soft: 2, Hard: 1}}, plan.Buckets); diff != "" {
		t.Errorf("buckets (-want +got):\n%s", diff)
	}
	status := map[string]Status{}
	for _, m := range plan.Messages {
		status[m.Recipient] = m.Status
	}
	if diff := cmp.Diff(map[string]Status{a: StatusSoft, b: StatusSoft, c: StatusHard}, status); diff != "" {
		t.Errorf("deliveries (-want +got):\n%s", diff)
	}
	state := map[string]string{}
	for _, r := range plan.Recipients {
		state[r.Address] = fmt.Sprintf("%s/%d", r.State, r.SoftCount)
	}
	if diff := cmp.Diff(map[string]string{a: "active/1", b: "active/1", c: "quarantined/0"}, state); diff != "" {
		t.Errorf("recipients (-want +got):\n%s", diff)
	}
	var retried []string
	for _, r := range plan.Retries {
		retried = append(retried, r.Recipient)
	}
	if diff := cmp.Diff([]string{a, b}, retried); diff != "" {
		t.Errorf("retries (-want +got):\n%s", diff)
	}
}
