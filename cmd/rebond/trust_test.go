package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/smtp"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/email"
	"github.com/rebond/rebond/email/inbound"
	"github.com/rebond/rebond/store"
)

const trustSecret = "a-tenant-key-of-24-bytes"

// trustDSN is a DSN sent to rcptTo reporting finalRcpt as unknown, with
// the returned headers given (or none).
func trustDSN(rcptTo, finalRcpt, returned string, i int) string {
	parts := `From: Mail Delivery System <MAILER-DAEMON@mx.example.net>
To: ` + rcptTo + `
Subject: Undelivered Mail Returned to Sender ` + fmt.Sprint(i) + `
Date: ` + time.Now().UTC().Format(time.RFC1123Z) + `
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="b1"

--b1
Content-Type: text/plain

Your message could not be delivered.

--b1
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.net

Final-Recipient: rfc822; ` + finalRcpt + `
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 <` + finalRcpt + `>: Recipient address rejected: User unknown
`
	if returned != "" {
		parts += "\n--b1\nContent-Type: text/rfc822-headers\n\n" + returned + "\n"
	}
	return strings.ReplaceAll(parts+"\n--b1--\n", "\n", "\r\n")
}

// trustARF is an ARF complaint (RFC 5965) naming rcpt, returning headers.
func trustARF(rcpt, returned string, i int) string {
	return strings.ReplaceAll(`From: feedback@fbl.example.net
To: fbl@bounces.example.org
Subject: Abuse report `+fmt.Sprint(i)+`
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report; boundary="F"

--F
Content-Type: text/plain

This is an abuse report.

--F
Content-Type: message/feedback-report

Feedback-Type: abuse
User-Agent: FBL/1.0
Version: 1
Original-Rcpt-To: `+rcpt+`
Arrival-Date: `+time.Now().UTC().Format(time.RFC1123Z)+`

--F
Content-Type: message/rfc822

`+returned+`

hello
--F--
`, "\n", "\r\n")
}

// sendMails delivers mails from the null sender to rcpt over one SMTP
// session, a transaction each.
func sendMails(t *testing.T, addr string, rcpt []string, mails []string) {
	t.Helper()
	c, err := smtp.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for i, m := range mails {
		if err := c.Mail(""); err != nil {
			t.Fatalf("mail %d: MAIL: %v", i, err)
		}
		if err := c.Rcpt(rcpt[i]); err != nil {
			t.Fatalf("mail %d: RCPT: %v", i, err)
		}
		w, err := c.Data()
		if err != nil {
			t.Fatalf("mail %d: DATA: %v", i, err)
		}
		if _, err := w.Write([]byte(m)); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatalf("mail %d: end of DATA: %v", i, err)
		}
	}
	if err := c.Quit(); err != nil {
		t.Fatal(err)
	}
}

// TestBounceSpoofing is the bounce-spoofing test: against a running serve,
// 1,000 forged DSNs and ARF reports over SMTP change no recipient and show
// up as unverified; a genuine VERP bounce still quarantines, as do one
// with a signed header and one that joins its send. Then, with
// the SMTP listener saturated, /healthz still answers.
func TestBounceSpoofing(t *testing.T) {
	t.Parallel()
	smtpAddr := freeAddr(t)
	const maxConns = 20
	cfg := testConfig(t, 1, map[string]string{
		"REBOND_SMTP_ADDR": smtpAddr, "REBOND_SMTP_DOMAINS": "bounces.example.org",
		"REBOND_EMAIL_VERP_SECRET": trustSecret, "REBOND_EMAIL_VERP_DOMAIN": "bounces.example.org",
		"REBOND_SMTP_MAX_CONNECTIONS": fmt.Sprint(maxConns), "REBOND_SMTP_MAX_CONNECTIONS_PER_IP": fmt.Sprint(maxConns),
	})
	in := start(t, cfg)
	sentAt := time.Now().UTC().Add(-10 * time.Minute).Truncate(time.Second)
	const victims = 10
	sends := []map[string]any{
		ev("sent", "m-genuine", "gone@example.net", "spoof", sentAt, ""),
		ev("sent", "m-attacker", "attacker@evil.example", "spoof", sentAt, ""),
		ev("sent", "m-signed", "signed@example.net", "spoof", sentAt, ""),
		ev("sent", "m-joined", "joined@example.net", "spoof", sentAt, ""),
	}
	for v := range victims {
		sends = append(sends, ev("sent", fmt.Sprintf("m-victim-%d", v), fmt.Sprintf("victim%d@example.com", v), "spoof", sentAt, ""))
	}
	if code := in.do("POST", "/v1/events", sends, nil); code != 202 {
		t.Fatalf("sends: %d", code)
	}
	in.waitApplied(len(sends), 30*time.Second)

	// The forger received one message (attacker@evil.example), so holds a
	// valid VERP return path for it, and knows the victims' addresses, not
	// the ids of their messages.
	verp := email.VERP{Secret: []byte(trustSecret), Domain: "bounces.example.org"}
	attackerVERP := verp.Address("m-attacker", "attacker@evil.example")
	otherKey := email.VERP{Secret: []byte("another-tenant-key-0123456789"), Domain: "bounces.example.org"}
	badSig := email.Signature{Secret: []byte("a-guessed-key-0123456789")}
	const forged = 1000
	var rcpts, mails []string
	for i := range forged {
		victim := fmt.Sprintf("victim%d@example.com", i%victims)
		guessed := fmt.Sprintf("m-victim-%d", (i+1)%victims) // another victim's message
		var to, mail string
		switch i % 5 {
		case 0: // the attacker's own VERP token, naming a victim
			to, mail = attackerVERP, trustDSN(attackerVERP, victim, "", i)
		case 1: // a token made with another key
			to = otherKey.Address("m-x", victim)
			mail = trustDSN(to, victim, "", i)
		case 2: // a signed header with a guessed key
			to = "bounces@bounces.example.org"
			mail = trustDSN(to, victim, "X-Rebond-Message-ID: "+guessed+"\nX-Rebond-Signature: "+badSig.Sign(guessed, victim, ""), i)
		case 3: // a message id of rebond's, sent to someone else
			to = "bounces@bounces.example.org"
			mail = trustDSN(to, victim, "X-Rebond-Message-ID: "+guessed, i)
		default: // a complaint naming anyone
			to = "fbl@bounces.example.org"
			mail = trustARF(victim, "From: news@example.com\nTo: "+victim+"\nX-Rebond-Message-ID: "+guessed, i)
		}
		rcpts, mails = append(rcpts, to), append(mails, mail)
	}
	const sessions = 4
	var wg sync.WaitGroup
	for s := range sessions {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lo, hi := s*forged/sessions, (s+1)*forged/sessions
			sendMails(t, smtpAddr, rcpts[lo:hi], mails[lo:hi])
		}()
	}
	wg.Wait()
	// Genuine bounces, one per way of verifying: a VERP return path, a
	// signed header, a message id and recipient of a send.
	genuineTo := verp.Address("m-genuine", "gone@example.net")
	sig := email.Signature{Secret: []byte(trustSecret)}
	plain := "bounces@bounces.example.org"
	sendMails(t, smtpAddr, []string{genuineTo, plain, plain}, []string{
		trustDSN(genuineTo, "gone@example.net", "", forged),
		trustDSN(plain, "signed@example.net", "X-Rebond-Message-ID: m-signed\nX-Rebond-Campaign: spoof\nX-Rebond-Signature: "+
			sig.Sign("m-signed", "signed@example.net", "spoof"), forged+1),
		trustDSN(plain, "joined@example.net", "X-Rebond-Message-ID: m-joined", forged+2),
	})
	const genuine = 3
	in.waitApplied(len(sends)+forged+genuine, 60*time.Second)

	ctx := channels.WithTenant(context.Background(), channels.DefaultTenant)
	addrs := []string{"gone@example.net", "signed@example.net", "joined@example.net", "attacker@evil.example"}
	for v := range victims {
		addrs = append(addrs, fmt.Sprintf("victim%d@example.com", v))
	}
	ex, err := in.store.Exclusions(ctx, channels.Email, addrs, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range ex {
		if want := strings.HasSuffix(x.Recipient, "@example.net"); x.Excluded != want {
			t.Errorf("%s: excluded %v (%s %s), want %v", x.Recipient, x.Excluded, x.State, x.Reason, want)
		}
	}
	var rates struct{ Rows []store.RateRow }
	in.do("GET", "/v1/rates?channel=email", nil, &rates)
	var unverified, hard, complaints int64
	for _, r := range rates.Rows {
		unverified, hard, complaints = unverified+r.Unverified, hard+r.Hard, complaints+r.Complaints
	}
	if unverified != forged || hard != genuine || complaints != 0 {
		t.Errorf("rates: %d unverified, %d hard, %d complaints; want %d, %d (the genuine bounces), 0", unverified, hard, complaints, forged, genuine)
	}

	// Saturate the listener: every place taken, the next connection is
	// refused with 421, and the HTTP API still answers.
	var open []net.Conn
	defer func() {
		for _, c := range open {
			c.Close()
		}
	}()
	for i := range maxConns {
		c, err := net.Dial("tcp", smtpAddr)
		if err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		open = append(open, c)
		if code, _, err := textproto.NewConn(c).ReadResponse(220); err != nil {
			t.Fatalf("connection %d: greeting %d %v", i, code, err)
		}
	}
	c, err := textproto.Dial("tcp", smtpAddr)
	if err != nil {
		t.Fatal(err)
	}
	if code, _, _ := c.ReadResponse(220); code != 421 {
		t.Errorf("a connection over smtp.max_connections: greeting %d, want 421", code)
	}
	c.Close()
	asked := time.Now()
	resp, err := http.Get(in.base + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("/healthz while SMTP is saturated: %v %v", resp, err)
	}
	resp.Body.Close()
	t.Logf("/healthz answered in %v with the SMTP listener saturated (%d sessions)", time.Since(asked), maxConns)
}

// TestSMTPConnectionsUnderFileLimit: the SMTP cap never exceeds half the
// open-file limit, whatever is configured.
func TestSMTPConnectionsUnderFileLimit(t *testing.T) {
	t.Parallel()
	log := slog.New(slog.DiscardHandler)
	for _, tc := range []struct{ configured, limit, want int }{
		{256, 0, 256},       // limit unknown
		{256, 1024, 256},    // well under
		{256, 512, 256},     // exactly half
		{256, 300, 150},     // lowered
		{100000, 1024, 512}, // lowered
		{10, 1, 1},          // never 0 (0 would mean the default)
	} {
		if got := smtpConnections(tc.configured, tc.limit, log); got != tc.want {
			t.Errorf("smtpConnections(%d, nofile %d) = %d, want %d", tc.configured, tc.limit, got, tc.want)
		}
	}
}

// TestMailParserTenantKeys: a bounce is checked with the key of the tenant
// its envelope names; a token made with another tenant's key does not
// verify, and smtp.trust: any marks nothing.
func TestMailParserTenantKeys(t *testing.T) {
	t.Parallel()
	var cfg Config
	cfg.SMTP.Trust = "verified"
	cfg.SMTP.Tenants = map[string]string{"bounces.acme.example": "acme"}
	cfg.Email.VERPSecret = trustSecret
	cfg.Email.TenantSecrets = map[string]string{"acme": "acme-key-of-twenty-bytes"}
	acme := email.VERP{Secret: []byte("acme-key-of-twenty-bytes"), Domain: "bounces.acme.example"}
	other := email.VERP{Secret: []byte(trustSecret), Domain: "bounces.acme.example"}
	tests := []struct {
		name, to, trust string
		unverified      bool
	}{
		{"acme's own token", acme.Address("m1", "ann@example.com"), "verified", false},
		{"the default tenant's key on acme's domain", other.Address("m1", "ann@example.com"), "verified", true},
		{"no token", "bounces@bounces.acme.example", "verified", true},
		{"no token, trust any", "bounces@bounces.acme.example", "any", false},
	}
	for _, tc := range tests {
		cfg.SMTP.Trust = tc.trust
		parse, err := mailParser(cfg)
		if err != nil {
			t.Fatal(err)
		}
		evs, why, err := parse(inbound.Message{ID: "in_1", To: []string{tc.to}, Data: []byte(trustDSN(tc.to, "ann@example.com", "", 0))})
		if err != nil || len(evs) != 1 {
			t.Fatalf("%s: %d events, %q, %v", tc.name, len(evs), why, err)
		}
		if evs[0].Tenant != "acme" || evs[0].Unverified != tc.unverified {
			t.Errorf("%s: tenant %q, unverified %v; want acme, %v", tc.name, evs[0].Tenant, evs[0].Unverified, tc.unverified)
		}
	}
}
