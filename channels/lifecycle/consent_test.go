package lifecycle

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rebond/rebond/channels"
)

const ann = "ann@example.com"

// consentEv is a consent event of ann at t0+min minutes; scope "all",
// "list:<name>" or "campaign" (of campaign c1); msg the message its URL
// names ("" none).
func consentEv(typ channels.Type, scope, src string, min int, msg string) channels.Event {
	e := ev(typ, msg, ann, min, "")
	e.ID = "c-" + string(typ) + "-" + scope + "-" + src + "-" + e.OccurredAt.Format("1504")
	c := &channels.Consent{Scope: channels.ScopeAll, Source: src}
	switch {
	case scope == "campaign":
		c.Scope = channels.ScopeCampaign
	case len(scope) > 5 && scope[:5] == "list:":
		c.Scope, c.List = channels.ScopeList, scope[5:]
	}
	e.Consent = c
	return e
}

func ckey(scope channels.Scope, name string) ConsentKey {
	return ConsentKey{Tenant: channels.DefaultTenant, Channel: channels.Email, Address: ann, Scope: scope, Name: name}
}

// sentM1 is the snapshot of a delivery m1 to ann, sent and delivered at t0.
func sentM1() map[MessageKey]Message {
	k := MessageKey{channels.DefaultTenant, channels.Email, "m1", ann}
	return map[MessageKey]Message{k: {Tenant: k.Tenant, Channel: k.Channel, MessageID: "m1", Recipient: ann, Campaign: "c1",
		Domain: "example.com", SentAt: t0, Status: StatusDelivered, EventID: "ev-sent"}}
}

func TestConsent(t *testing.T) {
	t.Parallel()
	optedOut := Recipient{Tenant: "default", Channel: channels.Email, Address: ann, State: channels.StateOptedOut,
		Reason: "opted_out", Since: t0, EventID: "c-opt_out-all-one-click-0900", Rule: "consent.opt_out@1"}
	stored := func(c Consent) map[ConsentKey]Consent { return map[ConsentKey]Consent{c.ConsentKey: c} }
	out := Consent{ConsentKey: ckey(channels.ScopeAll, ""), OptedOut: true, Since: t0, Source: "one-click",
		EventID: "c-opt_out-all-one-click-0900", At: t0}
	m1Bucket := BucketKey{Tenant: "default", Channel: channels.Email, Campaign: "c1", Domain: "example.com", Hour: t0}
	tests := []struct {
		name       string
		events     []channels.Event
		snap       Snapshot
		state      channels.State // ann's state in the plan ("" : not in the plan)
		consents   []Consent
		audit      []string // "from>to reason actor scope"
		unsubCount int64    // in m1's bucket
	}{
		{name: "one-click opt-out of everything",
			events:   []channels.Event{consentEv(channels.OptOut, "all", "one-click", 0, "")},
			state:    channels.StateOptedOut,
			consents: []Consent{out},
			audit:    []string{"active>opted_out opted_out consent:one-click all"}},
		{name: "the same POST again changes nothing but the last word's time",
			events:   []channels.Event{consentEv(channels.OptOut, "all", "one-click", 5, "m1")},
			snap:     Snapshot{Recipients: map[RecipientKey]Recipient{rkey(ann): optedOut}, Consents: stored(out), Messages: sentM1()},
			consents: []Consent{func() Consent { c := out; c.At = t0.Add(5 * time.Minute); return c }()}},
		{name: "undo lifts it",
			events:   []channels.Event{consentEv(channels.OptIn, "all", "unsubscribe", 5, "")},
			snap:     Snapshot{Recipients: map[RecipientKey]Recipient{rkey(ann): optedOut}, Consents: stored(out)},
			state:    channels.StateActive,
			consents: []Consent{{ConsentKey: out.ConsentKey, Since: t0.Add(5 * time.Minute), Source: "unsubscribe", EventID: "c-opt_in-all-unsubscribe-0905", At: t0.Add(5 * time.Minute)}},
			audit:    []string{"opted_out>active opted_in consent:unsubscribe all"}},
		{name: "an opt-out older than the last word is stale",
			events: []channels.Event{consentEv(channels.OptOut, "all", "one-click", -5, "")},
			snap:   Snapshot{Consents: stored(Consent{ConsentKey: out.ConsentKey, At: t0, Source: "unsubscribe"})}},
		{name: "a list opt-out is a consent, not a state",
			events:   []channels.Event{consentEv(channels.OptOut, "list:news", "one-click", 0, "")},
			consents: []Consent{{ConsentKey: ckey(channels.ScopeList, "news"), OptedOut: true, Since: t0, Source: "one-click", EventID: "c-opt_out-list:news-one-click-0900", At: t0}},
			audit:    []string{"active>active opted_out consent:one-click list:news"}},
		{name: "a campaign opt-out through its delivery counts in the send's bucket",
			events:     []channels.Event{consentEv(channels.OptOut, "campaign", "one-click", 30, "m1")},
			snap:       Snapshot{Messages: sentM1()},
			consents:   []Consent{{ConsentKey: ckey(channels.ScopeCampaign, "c1"), OptedOut: true, Since: t0.Add(30 * time.Minute), Source: "one-click", EventID: "c-opt_out-campaign-one-click-0930", At: t0.Add(30 * time.Minute)}},
			audit:      []string{"active>active opted_out consent:one-click campaign:c1"},
			unsubCount: 1},
		{name: "an opt-out and its undo leave the count as it was",
			events: []channels.Event{consentEv(channels.OptOut, "all", "one-click", 30, "m1"),
				consentEv(channels.OptIn, "all", "unsubscribe", 31, "m1")},
			snap:     Snapshot{Messages: sentM1()},
			state:    channels.StateActive,
			consents: []Consent{{ConsentKey: out.ConsentKey, Since: t0.Add(31 * time.Minute), Source: "unsubscribe", EventID: "c-opt_in-all-unsubscribe-0931", At: t0.Add(31 * time.Minute)}},
			audit:    []string{"active>opted_out opted_out consent:one-click all", "opted_out>active opted_in consent:unsubscribe all"}},
		{name: "an opt-out naming an unknown message counts nowhere",
			events:   []channels.Event{consentEv(channels.OptOut, "all", "one-click", 0, "m-unknown")},
			state:    channels.StateOptedOut,
			consents: []Consent{func() Consent { c := out; c.EventID = "c-opt_out-all-one-click-0900"; return c }()},
			audit:    []string{"active>opted_out opted_out consent:one-click all"}},
		{name: "a confirmed double opt-in",
			events: []channels.Event{func() channels.Event {
				e := consentEv(channels.OptIn, "list:news", "confirm", 0, "")
				e.Consent.IP, e.Consent.UserAgent = "192.0.2.7", "Mozilla/5.0"
				return e
			}()},
			consents: []Consent{{ConsentKey: ckey(channels.ScopeList, "news"), At: t0, ConfirmedAt: t0,
				ConfirmEventID: "c-opt_in-list:news-confirm-0900", ConfirmIP: "192.0.2.7", ConfirmUserAgent: "Mozilla/5.0"}},
			audit: []string{"active>active confirmed consent:confirm list:news"}},
		{name: "an allowlisted recipient opts out all the same",
			events:   []channels.Event{consentEv(channels.OptOut, "all", "one-click", 0, "")},
			snap:     Snapshot{Allowed: map[RecipientKey]bool{rkey(ann): true}},
			state:    channels.StateOptedOut,
			consents: []Consent{out},
			audit:    []string{"active>opted_out opted_out consent:one-click all"}},
		{name: "a failure never turns an opt-out into a quarantine",
			events: []channels.Event{ev(channels.Failed, "m2", ann, 10, "hard/user_unknown"), ev(channels.Complaint, "m3", ann, 11, "")},
			snap:   Snapshot{Recipients: map[RecipientKey]Recipient{rkey(ann): optedOut}, Consents: stored(out)},
			state:  channels.StateOptedOut},
		{name: "an unverified opt-out does nothing",
			events: []channels.Event{func() channels.Event {
				e := consentEv(channels.OptOut, "all", "mailto", 0, "")
				e.Unverified = true
				return e
			}()}},
		{name: "an inbound message does nothing",
			events: []channels.Event{consentEv(channels.Inbound, "all", "sms-keyword", 0, "")}},
	}
	for _, tt := range tests {
		snap := tt.snap
		snap.Events = tt.events
		p := Decide(seedPolicy(), verdictOf{}, snap)
		var state channels.State
		for _, r := range p.Recipients {
			if r.Address == ann {
				state = r.State
			}
		}
		if state != tt.state {
			t.Errorf("%s: state %q, want %q", tt.name, state, tt.state)
		}
		if diff := cmp.Diff(tt.consents, p.Consents); diff != "" {
			t.Errorf("%s: consents (-want +got):\n%s", tt.name, diff)
		}
		var audit []string
		for _, a := range p.Audit {
			audit = append(audit, string(a.From)+">"+string(a.To)+" "+a.Reason+" "+a.Actor+" "+a.Scope)
		}
		if diff := cmp.Diff(tt.audit, audit); diff != "" {
			t.Errorf("%s: audit (-want +got):\n%s", tt.name, diff)
		}
		if got := p.Buckets[m1Bucket].Unsubscribed; got != tt.unsubCount {
			t.Errorf("%s: unsubscribed in m1's bucket %d, want %d (buckets %v)", tt.name, got, tt.unsubCount, p.Buckets)
		}
		for _, a := range p.Applied {
			if a.Verdict.Outcome != channels.OutcomeIgnored && tt.events[0].Type.IsConsent() {
				t.Errorf("%s: consent verdict %+v", tt.name, a.Verdict)
			}
		}
	}
}

// TestOptOutBeforeItsSend: an opt-out applied before its delivery's
// "sent" event (a backlog, or two workers applying both at once) makes
// the delivery, flagged and not sent; the send applied next counts its
// unsubscribe in its bucket, once.
func TestOptOutBeforeItsSend(t *testing.T) {
	t.Parallel()
	first := Decide(seedPolicy(), verdictOf{}, Snapshot{Events: []channels.Event{consentEv(channels.OptOut, "all", "one-click", 30, "m1")}})
	if len(first.Messages) != 1 || !first.Messages[0].Unsubscribed || !first.Messages[0].SentAt.IsZero() {
		t.Fatalf("after the opt-out: messages %+v, want m1 flagged and not sent", first.Messages)
	}
	if len(first.Buckets) != 0 {
		t.Errorf("after the opt-out: buckets %v, want none (no send yet)", first.Buckets)
	}
	m := first.Messages[0]
	second := Decide(seedPolicy(), verdictOf{}, Snapshot{Events: []channels.Event{ev(channels.Sent, "m1", ann, 0, "")},
		Messages: map[MessageKey]Message{m.Key(): m}})
	m1 := BucketKey{Tenant: "default", Channel: channels.Email, Campaign: "c1", Domain: "example.com", Hour: t0}
	if got := second.Buckets[m1]; got.Sent != 1 || got.Unsubscribed != 1 {
		t.Errorf("after the send: m1's bucket %+v, want 1 sent, 1 unsubscribed (buckets %v)", got, second.Buckets)
	}
	// An undo of a delivery not known makes nothing.
	undo := Decide(seedPolicy(), verdictOf{}, Snapshot{Events: []channels.Event{consentEv(channels.OptIn, "all", "unsubscribe", 30, "m1")}})
	if len(undo.Messages) != 0 {
		t.Errorf("an undo of an unknown delivery made %+v", undo.Messages)
	}
}

// TestGatewayOptOut: a gateway that refuses a message because the number
// opted out (Twilio 21610, Twilio SMPP 071...) opts it out, scope all,
// source gateway-error: never quarantined, allowlisted or not, and the
// message still counts as the hard failure it is.
func TestGatewayOptOut(t *testing.T) {
	t.Parallel()
	const num = "+447700900123"
	k := RecipientKey{channels.DefaultTenant, channels.SMS, num}
	for _, allowed := range []bool{false, true} {
		sent := channels.Event{ID: "s1", Channel: channels.SMS, Type: channels.Sent, MessageID: "m1", Recipient: num, Campaign: "c1", OccurredAt: t0}
		stop := channels.Event{ID: "r1", Channel: channels.SMS, Type: channels.Failed, MessageID: "m1", Recipient: num,
			OccurredAt: t0.Add(time.Minute), SMTP: &channels.SMTPReply{Text: "hard/opted_out"}}
		p := Decide(seedPolicy(), verdictOf{}, Snapshot{Events: []channels.Event{sent, stop}, Allowed: map[RecipientKey]bool{k: allowed}})
		if len(p.Recipients) != 1 || p.Recipients[0].State != channels.StateOptedOut || p.Recipients[0].Rule != "t.opted_out@1" {
			t.Fatalf("allowed %v: recipients %+v", allowed, p.Recipients)
		}
		want := []Consent{{ConsentKey: ConsentKey{"default", channels.SMS, num, channels.ScopeAll, ""}, OptedOut: true,
			Since: stop.OccurredAt, Source: channels.SourceGatewayError, EventID: "r1", At: stop.OccurredAt}}
		if diff := cmp.Diff(want, p.Consents); diff != "" {
			t.Errorf("allowed %v: consents (-want +got):\n%s", allowed, diff)
		}
		if len(p.Audit) != 1 || p.Audit[0].Actor != "consent:gateway-error" || p.Audit[0].To != channels.StateOptedOut {
			t.Errorf("allowed %v: audit %+v", allowed, p.Audit)
		}
		if len(p.Messages) != 1 || p.Messages[0].Status != StatusHard || p.Messages[0].Unsubscribed {
			t.Errorf("allowed %v: message %+v", allowed, p.Messages)
		}
	}
}
