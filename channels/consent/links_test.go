package consent

import (
	"errors"
	"net/url"
	"testing"
)

// TestHeaders pins the header values a sender copies into its mail
// (RFC 2369 angle brackets, HTTPS first; RFC 8058's fixed Post value)
// and that the mailto: URI gives its token back through MailtoToken.
func TestHeaders(t *testing.T) {
	t.Parallel()
	s := campaignToken().Sign(keys.Of("default"))
	link := URL("https://rebond.example.com/", Unsubscribe, s)
	if link != "https://rebond.example.com/consent/unsubscribe/"+s {
		t.Errorf("URL = %s", link)
	}
	if c := URL("https://r.example", Confirm, "c1.x"); c != "https://r.example/consent/confirm/c1.x" {
		t.Errorf("confirm URL = %s", c)
	}
	mailto := Mailto("bounces.example.com", s)
	lu, lup := Headers(link, mailto)
	if lu != "<"+link+">, <"+mailto+">" || lup != "List-Unsubscribe=One-Click" {
		t.Errorf("Headers = %q, %q", lu, lup)
	}
	if lu, _ := Headers(link, Mailto("", s)); lu != "<"+link+">" {
		t.Errorf("without a mail domain: %q", lu)
	}
	u, err := url.Parse(mailto)
	if err != nil || u.Scheme != "mailto" || u.Opaque != MailtoLocal+"@bounces.example.com" {
		t.Fatalf("mailto %q: %v %+v", mailto, err, u)
	}
	for _, tt := range []struct {
		name, subject string
		ok            bool
	}{
		{"as the URI says", u.Query().Get("subject"), true},
		{"a reply", "Re: " + u.Query().Get("subject"), true},
		{"nothing", "please remove me", false},
	} {
		got, ok := MailtoToken(tt.subject)
		if ok != tt.ok || ok && got != s {
			t.Errorf("%s: MailtoToken(%q) = %q, %v", tt.name, tt.subject, got, ok)
		}
	}
}

// TestPolicy pins which checks require a confirmed consent.
func TestPolicy(t *testing.T) {
	t.Parallel()
	p := Policy{RequireConfirmed: map[string]Requirement{"default": {All: true}, "acme": {Lists: []string{"news"}}}}
	for _, tt := range []struct {
		tenant, list string
		want         bool
	}{
		{"default", "", true}, {"default", "any", true}, {"acme", "", false}, {"acme", "news", true},
		{"acme", "other", false}, {"beta", "news", false},
	} {
		if got := p.Requires(tt.tenant, tt.list); got != tt.want {
			t.Errorf("Requires(%s, %s) = %v", tt.tenant, tt.list, got)
		}
	}
	if err := p.Validate(); err != nil {
		t.Error(err)
	}
	if err := (Policy{RequireConfirmed: map[string]Requirement{"Not A Tenant": {}}}).Validate(); err == nil {
		t.Error("a bad tenant name validates")
	}
	if k := DeriveKey([]byte("an-example-key-0123456789")); len(k) != 32 || string(k) == "an-example-key-0123456789" {
		t.Errorf("DeriveKey = %x", k)
	}
}

// TestMailtoEvent: a mail to the mailto: address opts out whom its
// subject's token names; anything else is refused.
func TestMailtoEvent(t *testing.T) {
	t.Parallel()
	s := campaignToken().Sign(keys.Of("default"))
	for _, tt := range []struct {
		rcpt string
		ok   bool
	}{{"unsubscribe@bounces.example.com", true}, {"<Unsubscribe@bounces.example.com>", true}, {"bounces+x@bounces.example.com", false}, {"unsubscribe", false}} {
		if IsMailto(tt.rcpt) != tt.ok {
			t.Errorf("IsMailto(%q) = %v", tt.rcpt, !tt.ok)
		}
	}
	e, err := MailtoEvent("Re: unsubscribe "+s, keys.Of, t0)
	if err != nil || e.Type != "opt_out" || e.Consent.Source != "mailto" || e.Recipient != "ann@example.com" || !e.OccurredAt.Equal(t0) {
		t.Errorf("MailtoEvent = %+v, %v", e, err)
	}
	for _, subject := range []string{"unsubscribe", "unsubscribe " + s[:len(s)-1] + "x"} {
		if _, err := MailtoEvent(subject, keys.Of, t0); !errors.Is(err, ErrInvalid) {
			t.Errorf("%q: %v", subject, err)
		}
	}
}
