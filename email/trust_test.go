package email_test

import (
	"strings"
	"testing"

	"github.com/rebond/rebond/email"
)

// A single-recipient DSN for ann@example.com with rebond's headers.
var annDSN = strings.Replace(strings.Replace(dsnMail, `Final-Recipient: rfc822; bob@example.org
Action: delayed
Status: 4.2.2
Diagnostic-Code: smtp; 452 4.2.2 Mailbox full

`, "", 1), "X-Rebond-Campaign: spring\n", "X-Rebond-Campaign: spring\nX-Rebond-Signature: SIG\n", 1)

// signed returns mail with the placeholder signature replaced by sig.
func signed(mail, sig string) string { return strings.Replace(mail, "SIG", sig, 1) }

// TestEventsTrust checks each way a bounce is verified, and forgeries of
// each: an event is Unverified unless its VERP token or its signed header
// vouches for its recipient.
func TestEventsTrust(t *testing.T) {
	t.Parallel()
	key := []byte("tenant-key-0123456789abcdef")
	verp := email.VERP{Secret: key, Domain: "bounce.example"}
	other := email.VERP{Secret: []byte("another-tenant-key-0123456789"), Domain: "bounce.example"}
	sig := email.Signature{Secret: key}
	annVERP, bobVERP := verp.Address("m-ann", "ann@example.com"), verp.Address("m-bob", "bob@example.org")
	arfTo := func(rcpt string) string {
		return strings.Replace(arfMail, "Original-Rcpt-To: erin@example.com", "Original-Rcpt-To: "+rcpt, 1)
	}
	forwarded := strings.Replace(annDSN, "Original-Recipient: rfc822;ann@example.com", "Original-Recipient: rfc822;ann@example.com", 1)
	forwarded = strings.Replace(forwarded, "Final-Recipient: rfc822; ann@example.com", "Final-Recipient: rfc822; ann.smith@forward.example", 1)
	tests := []struct {
		name string
		mail string
		opts email.EventOptions
		want string // recipient message_id verified|unverified, one per event
	}{
		{"VERP naming the recipient", annDSN, email.EventOptions{VERP: verp, EnvelopeTo: []string{annVERP}},
			"ann@example.com m-ann verified"},
		{"VERP naming the original recipient of a forward", forwarded, email.EventOptions{VERP: verp, EnvelopeTo: []string{annVERP}},
			"ann@example.com m-ann verified"},
		{"signed header", signed(annDSN, sig.Sign("msg-42", "ann@example.com", "spring")), email.EventOptions{Signature: sig},
			"ann@example.com msg-42 verified"},
		{"signed header, upper-case recipient", signed(annDSN, sig.Sign("msg-42", "Ann@Example.COM", "spring")), email.EventOptions{Signature: sig},
			"ann@example.com msg-42 verified"},
		{"ARF with a signed header", strings.Replace(arfTo("erin@example.com"), "X-Rebond-Campaign: autumn",
			"X-Rebond-Message-ID: f-1\nX-Rebond-Campaign: autumn\nX-Rebond-Signature: "+sig.Sign("f-1", "erin@example.com", "autumn"), 1),
			email.EventOptions{Signature: sig}, "erin@example.com f-1 verified"},

		{"nothing at all", annDSN, email.EventOptions{VERP: verp, Signature: sig}, "ann@example.com msg-42 unverified"},
		{"VERP for A, Final-Recipient B", annDSN, email.EventOptions{VERP: verp, Signature: sig, EnvelopeTo: []string{bobVERP}},
			"ann@example.com m-bob unverified"},
		{"another tenant's VERP token", annDSN, email.EventOptions{VERP: verp, EnvelopeTo: []string{other.Address("m-ann", "ann@example.com")}},
			"ann@example.com msg-42 unverified"},
		{"wrong HMAC in the signed header", signed(annDSN, "v1="+strings.Repeat("ab", 32)), email.EventOptions{Signature: sig},
			"ann@example.com msg-42 unverified"},
		{"signature without its version", signed(annDSN, strings.TrimPrefix(sig.Sign("msg-42", "ann@example.com", "spring"), "v1=")),
			email.EventOptions{Signature: sig}, "ann@example.com msg-42 unverified"},
		{"signature of another recipient", signed(annDSN, sig.Sign("msg-42", "bob@example.org", "spring")), email.EventOptions{Signature: sig},
			"ann@example.com msg-42 unverified"},
		{"signature of another campaign", signed(annDSN, sig.Sign("msg-42", "ann@example.com", "autumn")), email.EventOptions{Signature: sig},
			"ann@example.com msg-42 unverified"},
		{"signature with another tenant's key", signed(annDSN, email.Signature{Secret: other.Secret}.Sign("msg-42", "ann@example.com", "spring")),
			email.EventOptions{Signature: sig}, "ann@example.com msg-42 unverified"},
		{"ARF naming anyone", arfTo("victim@example.com"), email.EventOptions{VERP: verp, Signature: sig},
			"victim@example.com f-1@sender.example unverified"},
		{"ARF to a VERP of someone else", arfTo("victim@example.com"), email.EventOptions{VERP: verp, Signature: sig, EnvelopeTo: []string{annVERP}},
			"victim@example.com m-ann unverified"},
		{"two recipients, VERP for one", dsnMail, email.EventOptions{VERP: verp, EnvelopeTo: []string{annVERP}},
			"ann@example.com m-ann verified, bob@example.org m-ann unverified"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.opts.Verify = true
			var got []string
			for _, e := range mustParse(t, tt.mail).Events(tt.opts) {
				trust := "verified"
				if e.Unverified {
					trust = "unverified"
				}
				got = append(got, e.Recipient+" "+e.MessageID+" "+trust)
			}
			if g := strings.Join(got, ", "); g != tt.want {
				t.Errorf("events %q, want %q", g, tt.want)
			}
		})
	}
}

// TestEventsTrustOff: without Verify (smtp.trust: any, or mail from an
// authenticated source) no event is marked.
// TestEventsTrustCampaign: a VERP token vouches for a message id and a
// recipient, not for the X-Rebond-Campaign header beside it, which only the
// signed header covers; an unsigned campaign would let the token's holder
// file the delivery under any campaign.
func TestEventsTrustCampaign(t *testing.T) {
	t.Parallel()
	key := []byte("tenant-key-0123456789abcdef")
	verp := email.VERP{Secret: key, Domain: "bounce.example"}
	sig := email.Signature{Secret: key}
	annVERP := verp.Address("msg-42", "ann@example.com")
	for _, tt := range []struct {
		name, mail, want string
	}{
		{"VERP, unsigned campaign", signed(annDSN, "v1=00"), ""},
		{"VERP and the signed header", signed(annDSN, sig.Sign("msg-42", "ann@example.com", "spring")), "spring"},
	} {
		evs := mustParse(t, tt.mail).Events(email.EventOptions{Verify: true, VERP: verp, Signature: sig, EnvelopeTo: []string{annVERP}})
		if len(evs) != 1 || evs[0].Unverified || evs[0].Campaign != tt.want {
			t.Errorf("%s: events %+v, want one verified of campaign %q", tt.name, evs, tt.want)
		}
	}
}

func TestEventsTrustOff(t *testing.T) {
	t.Parallel()
	for _, e := range mustParse(t, arfMail).Events(email.EventOptions{}) {
		if e.Unverified {
			t.Errorf("event %+v marked unverified without Verify", e)
		}
	}
}

func TestSignature(t *testing.T) {
	t.Parallel()
	s := email.Signature{Secret: []byte("k")}
	v := s.Sign("m1", "a@example.com", "c")
	if !strings.HasPrefix(v, "v1=") || len(v) != 3+64 {
		t.Fatalf("Sign = %q, want v1= and 64 hex digits", v)
	}
	if !s.Verify(" "+v+" ", "m1", "A@example.com", "c") {
		t.Error("a signature does not verify (with spaces around, an upper-case recipient)")
	}
	for _, tc := range [][3]string{{"m2", "a@example.com", "c"}, {"m1", "b@example.com", "c"}, {"m1", "a@example.com", ""}} {
		if s.Verify(v, tc[0], tc[1], tc[2]) {
			t.Errorf("verifies for %v", tc)
		}
	}
	// The README's example ("Bounce intake"), which senders check their
	// code against: printf 'v1\nmsg-42\nann@example.com\nspring' |
	// openssl dgst -sha256 -hmac an-example-key-0123456789
	readme := email.Signature{Secret: []byte("an-example-key-0123456789")}
	if got := readme.Sign("msg-42", "ann@example.com", "spring"); got != "v1=a949aa7e8f2ae4dcb47a6230a9100997a9ab2e30a0cdb71c35da1c0ffdc6702d" {
		t.Errorf("the README's example signs as %s", got)
	}
	if (email.Signature{}).Sign("m1", "a@example.com", "") != "" || (email.Signature{}).Verify(v, "m1", "a@example.com", "c") {
		t.Error("an empty secret signs or verifies")
	}
}
