package consent

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rebond/rebond/channels"
)

var (
	t0   = time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	keys = Keys{"default": []byte("a-consent-key-0123456789"), "acme": []byte("acme-consent-key-0123456789")}
)

func campaignToken() Token {
	return Token{Kind: Unsubscribe, Channel: channels.Email, Recipient: "ann@example.com", Scope: channels.ScopeCampaign,
		Campaign: "spring", MessageID: "msg-42"}
}

// TestOpen signs tokens and opens them back, and refuses every altered,
// misplaced or expired one with the error the API answers by.
func TestOpen(t *testing.T) {
	t.Parallel()
	good := campaignToken().Sign(keys.Of("default"))
	confirm := Token{Kind: Confirm, Tenant: "acme", Channel: channels.SMS, Recipient: "+447700900123", Scope: channels.ScopeList,
		List: "alerts", Expires: t0.Add(time.Hour)}
	for _, tt := range []struct {
		name string
		s    string
		kind Kind
		now  time.Time
		want error
	}{
		{"unsubscribe", good, Unsubscribe, t0, nil},
		{"an unsubscribe token never expires", good, Unsubscribe, t0.AddDate(20, 0, 0), nil},
		{"confirmation before its expiry", confirm.Sign(keys.Of("acme")), Confirm, t0.Add(time.Hour - time.Second), nil},
		{"confirmation at its expiry", confirm.Sign(keys.Of("acme")), Confirm, t0.Add(time.Hour), ErrExpired},
		{"another tenant's key", confirm.Sign(keys.Of("default")), Confirm, t0, ErrInvalid},
		{"a tenant without a key", Token{Kind: Unsubscribe, Tenant: "beta", Channel: channels.Email, Recipient: "a@b.example"}.Sign([]byte("k")), Unsubscribe, t0, ErrInvalid},
		{"an unsubscribe token is no confirmation", good, Confirm, t0, ErrInvalid},
		{"empty", "", Unsubscribe, t0, ErrInvalid},
		{"prefix only", "u1.", Unsubscribe, t0, ErrInvalid},
		{"not base64", "u1.!!!!", Unsubscribe, t0, ErrInvalid},
		{"cut short", good[:len(good)-3], Unsubscribe, t0, ErrInvalid},
		{"too long", "u1." + strings.Repeat("A", maxToken), Unsubscribe, t0, ErrInvalid},
	} {
		_, err := Open(tt.s, tt.kind, keys.Of, tt.now)
		if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
			t.Errorf("%s: Open = %v, want %v", tt.name, err, tt.want)
		}
	}
	got, err := Open(good, Unsubscribe, keys.Of, t0)
	want := campaignToken()
	want.Tenant = "default"
	if err != nil || got != want {
		t.Errorf("Open = %+v, %v; want %+v", got, err, want)
	}
}

// TestOpenRefusesEveryAlteration changes each character of a token in
// turn: no altered URL opts anyone out (the acceptance's "tampered URL
// gets 403").
func TestOpenRefusesEveryAlteration(t *testing.T) {
	t.Parallel()
	good := campaignToken().Sign(keys.Of("default"))
	for i := range len(good) {
		for _, c := range []byte{'A', 'z', '0', '-'} {
			if good[i] == c {
				continue
			}
			bad := good[:i] + string(c) + good[i+1:]
			if tok, err := Open(bad, Unsubscribe, keys.Of, t0); !errors.Is(err, ErrInvalid) {
				t.Fatalf("character %d changed to %q: %+v, %v", i, c, tok, err)
			}
		}
	}
}

// TestEvent pins the event a token makes: the consent fields the
// lifecycle reads, and an id of its own once normalized.
func TestEvent(t *testing.T) {
	t.Parallel()
	tok, err := Open(campaignToken().Sign(keys.Of("default")), Unsubscribe, keys.Of, t0)
	if err != nil {
		t.Fatal(err)
	}
	e := tok.Event(channels.OptOut, channels.SourceOneClick, t0, "192.0.2.1", "Mozilla/5.0")
	if err := e.Normalize(); err != nil {
		t.Fatal(err)
	}
	if e.Tenant != "" || e.Type != channels.OptOut || e.Recipient != "ann@example.com" || e.Campaign != "spring" ||
		e.MessageID != "msg-42" || e.ID == "" || e.Consent.Scope != channels.ScopeCampaign || e.Consent.Source != "one-click" ||
		e.Consent.IP != "192.0.2.1" {
		t.Errorf("event = %+v, consent %+v", e, *e.Consent)
	}
}

// FuzzOpen feeds Open what a client may put in a URL path or a mail
// subject: it never panics, and what it opens signs back to itself.
func FuzzOpen(f *testing.F) {
	f.Add(campaignToken().Sign(keys.Of("default")))
	f.Add(Token{Kind: Unsubscribe, Tenant: "acme", Channel: channels.SMS, Recipient: "+447700900123"}.Sign(keys.Of("acme")))
	f.Add("u1.AQF1")
	f.Add("u1.AQF1" + strings.Repeat("_", 40))
	f.Fuzz(func(t *testing.T, s string) {
		tok, err := Open(s, Unsubscribe, keys.Of, t0)
		if err != nil {
			return
		}
		if again := tok.Sign(keys.Of(tok.Tenant)); again != s {
			t.Fatalf("%q opens as %+v, which signs as %q", s, tok, again)
		}
	})
}

// TestValidate pins what may be signed.
func TestValidate(t *testing.T) {
	t.Parallel()
	ok := campaignToken()
	for _, tt := range []struct {
		name string
		t    Token
		ok   bool
	}{
		{"a campaign", ok, true},
		{"a list", Token{Kind: Confirm, Channel: channels.SMS, Recipient: "447700900123", Scope: channels.ScopeList, List: "news"}, true},
		{"a list without its name", Token{Kind: Unsubscribe, Channel: channels.Email, Recipient: "a@b.example", Scope: channels.ScopeList}, false},
		{"a list name with scope all", Token{Kind: Unsubscribe, Channel: channels.Email, Recipient: "a@b.example", List: "news"}, false},
		{"a campaign scope without a campaign", Token{Kind: Unsubscribe, Channel: channels.Email, Recipient: "a@b.example", Scope: channels.ScopeCampaign}, false},
		{"a confirmation of a campaign", Token{Kind: Confirm, Channel: channels.Email, Recipient: "a@b.example", Scope: channels.ScopeCampaign, Campaign: "c"}, false},
		{"a recipient not normalized", Token{Kind: Unsubscribe, Channel: channels.Email, Recipient: "A@B.example"}, false},
		{"a control character", Token{Kind: Unsubscribe, Channel: channels.Email, Recipient: "a@b.example", Campaign: "c\x01"}, false},
	} {
		if err := tt.t.Validate(); (err == nil) != tt.ok {
			t.Errorf("%s: Validate = %v", tt.name, err)
		}
	}
}
