package email_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/channels/rules"
	"github.com/rebond/rebond/configs"
	"github.com/rebond/rebond/email"
)

func mustParse(tb testing.TB, mail string) *email.Report {
	tb.Helper()
	r, err := email.Parse([]byte(mail))
	if err != nil {
		tb.Fatalf("Parse: %v", err)
	}
	return r
}

func loadEmailRules(tb testing.TB) *rules.Set {
	tb.Helper()
	set, err := rules.Load(configs.Files, "rules/*.yaml")
	if err != nil {
		tb.Fatalf("load rules: %v", err)
	}
	return set
}

// TestEvents checks each kind's events and their verdicts under the
// shipped rules.
func TestEvents(t *testing.T) {
	t.Parallel()
	set := loadEmailRules(t)
	tests := []struct {
		name string
		mail string
		want []string // type recipient message_id campaign status code provider -> outcome/reason
	}{
		{"dsn", dsnMail, []string{
			"failed ann@example.com msg-42 spring 5.1.1 550 bounce-mail -> hard/user_unknown",
			"deferred bob@example.org msg-42 spring 4.2.2 452 bounce-mail -> pending/mailbox_full",
		}},
		{"qmail", qmailMail, []string{"failed carol@example.com q-1@sender.example - 5.2.2 550 bounce-mail -> soft/mailbox_full"}},
		{"exim", eximMail, []string{"failed dave@example.com e-1@sender.example - 5.1.1 550 bounce-mail -> hard/user_unknown"}},
		{"arf", arfMail, []string{"complaint erin@example.com f-1@sender.example autumn - 0 bounce-mail -> complaint/complaint"}},
		{"auto reply", autoReplyMail, []string{"failed frank@example.com - - - 0 auto-reply -> ignored/auto_reply"}},
		{"not a bounce", personMail, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got []string
			for _, e := range mustParse(t, tt.mail).Events(email.EventOptions{}) {
				if err := e.Normalize(); err != nil {
					t.Errorf("event %+v does not normalize: %v", e, err)
				}
				st, code := "-", 0
				if e.SMTP != nil {
					st, code = e.SMTP.Status, e.SMTP.Code
				}
				v := set.Classify(e)
				got = append(got, strings.Join([]string{string(e.Type), e.Recipient, dash(e.MessageID), dash(e.Campaign), st, itoa0(code), e.Provider, "->", string(v.Outcome) + "/" + string(v.Reason)}, " "))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
		})
	}
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func itoa0(n int) string {
	if n == 0 {
		return "0"
	}
	return itoa(n)
}

func TestEventsIdentity(t *testing.T) {
	t.Parallel()
	a := mustParse(t, dsnMail).Events(email.EventOptions{})
	b := mustParse(t, dsnMail).Events(email.EventOptions{MaxRaw: 10})
	if len(a) != 2 || len(b) != 2 {
		t.Fatalf("%d and %d events, want 2", len(a), len(b))
	}
	for i := range a {
		if a[i].ID != b[i].ID || !strings.HasPrefix(a[i].ID, "ev_") {
			t.Errorf("event %d: ids %q and %q; want one deterministic ev_ id", i, a[i].ID, b[i].ID)
		}
	}
	if a[0].ID == a[1].ID {
		t.Error("two recipients of one mail share an id")
	}
	other := mustParse(t, strings.Replace(dsnMail, "Spring sale", "Summer sale", 1)).Events(email.EventOptions{})
	if other[0].ID == a[0].ID {
		t.Error("two different mails gave the same id")
	}
	if a[0].Raw != dsnMail || b[0].Raw != dsnMail[:10] {
		t.Errorf("raw not kept or not bounded: %d and %d bytes", len(a[0].Raw), len(b[0].Raw))
	}
	if c := mustParse(t, dsnMail).Events(email.EventOptions{MaxRaw: -1}); c[0].Raw != "" {
		t.Error("MaxRaw < 0 kept the raw mail")
	}
	if want := time.Date(2026, 11, 2, 9, 59, 30, 0, time.UTC); !a[0].OccurredAt.Equal(want) {
		t.Errorf("first event at %v, want its Last-Attempt-Date %v", a[0].OccurredAt, want)
	}
	if want := time.Date(2026, 11, 2, 9, 59, 0, 0, time.UTC); !a[1].OccurredAt.Equal(want) {
		t.Errorf("second event at %v, want the Arrival-Date %v", a[1].OccurredAt, want)
	}
}

// TestEventsCorrelation checks the order of correlation: the VERP token
// first, then X-Rebond-Message-ID, then the original Message-ID.
func TestEventsCorrelation(t *testing.T) {
	t.Parallel()
	v := email.VERP{Secret: []byte("k"), Domain: "bounce.example"}
	verpTo := v.Address("verp-7", "ann@example.com")
	withVERP := strings.Replace(dsnMail, "To: bounces@sender.example", "To: "+verpTo, 1)
	noRebond := strings.Replace(dsnMail, "X-Rebond-Message-ID: msg-42\n", "", 1)
	tests := []struct {
		name, mail string
		opts       email.EventOptions
		want       string
	}{
		{"verp in To", withVERP, email.EventOptions{VERP: v}, "verp-7"},
		{"verp in the envelope", dsnMail, email.EventOptions{VERP: v, EnvelopeTo: []string{verpTo}}, "verp-7"},
		{"verp with another secret", withVERP, email.EventOptions{VERP: email.VERP{Secret: []byte("x"), Domain: "bounce.example"}}, "msg-42"},
		{"rebond header", dsnMail, email.EventOptions{}, "msg-42"},
		{"message-id", noRebond, email.EventOptions{}, "m-123@sender.example"},
	}
	for _, tt := range tests {
		evs := mustParse(t, tt.mail).Events(tt.opts)
		if len(evs) == 0 || evs[0].MessageID != tt.want {
			t.Errorf("%s: events %v, want message id %q", tt.name, evs, tt.want)
		}
	}
	// A bounce that names nobody still gives its VERP recipient.
	bare := "From: MAILER-DAEMON@mx.example.net\nTo: " + verpTo + "\nSubject: Undeliverable\n\nYour message could not be delivered.\n"
	evs := mustParse(t, bare).Events(email.EventOptions{VERP: v})
	if len(evs) != 1 || evs[0].Recipient != "ann@example.com" || evs[0].MessageID != "verp-7" || evs[0].SMTP.Status != "5.0.0" {
		t.Errorf("recipient-less bounce with VERP: %+v", evs)
	}
	if evs := mustParse(t, bare).Events(email.EventOptions{}); len(evs) != 0 {
		t.Errorf("recipient-less bounce without VERP gave %d events", len(evs))
	}
}

func TestEventsUndisclosedComplaint(t *testing.T) {
	t.Parallel()
	mail := strings.Replace(strings.Replace(arfMail, "Original-Rcpt-To: erin@example.com\n", "", 1), "To: erin@example.com", "To: <Undisclosed Recipients>", 1)
	evs := mustParse(t, mail).Events(email.EventOptions{})
	if len(evs) != 1 || evs[0].Type != channels.Complaint || evs[0].Recipient != email.UndisclosedRecipient || evs[0].MessageID != "f-1@sender.example" {
		t.Errorf("complaint without recipient: %+v", evs)
	}
}

// TestProvidersAreReturnPaths: the providers this adapter writes name mail
// that came back to rebond, which lifecycle must not take for a route.
func TestProvidersAreReturnPaths(t *testing.T) {
	t.Parallel()
	for _, p := range []string{email.Provider, email.ProviderAutoReply} {
		if !channels.ReturnPath(p) {
			t.Errorf("channels.ReturnPath(%q) = false: a bounce would give its delivery a route", p)
		}
	}
}
