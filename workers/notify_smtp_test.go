package workers

import (
	"cmp"
	"context"
	"crypto/tls"
	"io"
	"net"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/hibiken/asynq"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/internal/testsvc"
	"github.com/rebond/rebond/store"
)

// relay plays a submission relay (Postfix on 587, SES, Mailgun): it
// offers STARTTLS when given a certificate, requires AUTH when it has a
// user, and records every AUTH attempt and every mail with whether the
// connection was encrypted at that moment.
type relay struct {
	user, pass string
	mechs      []string // offered AUTH mechanisms
	mu         sync.Mutex
	auths      []relayAuth
	mails      []relayMail
}

type relayAuth struct {
	Mech, User, Pass string
	TLS              bool
}

type relayMail struct {
	User, From, Data string
	TLS              bool
}

func (r *relay) NewSession(c *smtp.Conn) (smtp.Session, error) {
	return &relaySession{relay: r, conn: c}, nil
}

func (r *relay) got() ([]relayAuth, []relayMail) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.auths), slices.Clone(r.mails)
}

type relaySession struct {
	relay      *relay
	conn       *smtp.Conn
	user, from string
}

func (s *relaySession) tls() bool { _, ok := s.conn.TLSConnectionState(); return ok }

func (s *relaySession) AuthMechanisms() []string { return s.relay.mechs }

func (s *relaySession) Auth(mech string) (sasl.Server, error) {
	check := func(user, pass string) error {
		s.relay.mu.Lock()
		s.relay.auths = append(s.relay.auths, relayAuth{Mech: mech, User: user, Pass: pass, TLS: s.tls()})
		s.relay.mu.Unlock()
		if user != s.relay.user || pass != s.relay.pass {
			return smtp.ErrAuthFailed
		}
		s.user = user
		return nil
	}
	switch mech {
	case sasl.Plain:
		return sasl.NewPlainServer(func(_, user, pass string) error { return check(user, pass) }), nil
	case sasl.Login:
		return &loginServer{check: check}, nil
	}
	return nil, smtp.ErrAuthUnknownMechanism
}

func (s *relaySession) Mail(from string, _ *smtp.MailOptions) error {
	if s.relay.user != "" && s.user == "" {
		return smtp.ErrAuthRequired
	}
	s.from = from
	return nil
}

func (s *relaySession) Rcpt(string, *smtp.RcptOptions) error { return nil }

func (s *relaySession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	s.relay.mu.Lock()
	s.relay.mails = append(s.relay.mails, relayMail{User: s.user, From: s.from, Data: string(b), TLS: s.tls()})
	s.relay.mu.Unlock()
	return err
}

func (s *relaySession) Reset()        { s.from = "" }
func (s *relaySession) Logout() error { return nil }

// loginServer is the server side of AUTH LOGIN, which go-sasl lacks:
// "Username:", then "Password:".
type loginServer struct {
	check   func(user, pass string) error
	user    string
	gotUser bool
}

func (l *loginServer) Next(resp []byte) ([]byte, bool, error) {
	if !l.gotUser {
		if resp == nil {
			return []byte("Username:"), false, nil
		}
		l.user, l.gotUser = string(resp), true
		return []byte("Password:"), false, nil
	}
	return nil, true, l.check(l.user, string(resp))
}

// startRelay serves r on a loopback port, with STARTTLS when cert is set;
// insecureAuth offers AUTH before TLS (a relay that allows it).
func startRelay(t *testing.T, r *relay, cert *tls.Config, insecureAuth bool) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return serveRelay(t, r, ln, cert, insecureAuth)
}

// startRelaySMTPS serves r on a loopback port over TLS from the first
// byte (port 465's implicit TLS, RFC 8314 section 3.3), with cert.
func startRelaySMTPS(t *testing.T, r *relay, cert *tls.Config) string {
	t.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", cert)
	if err != nil {
		t.Fatal(err)
	}
	return serveRelay(t, r, ln, nil, false)
}

// serveRelay serves r on ln until the test ends; cert offers STARTTLS.
func serveRelay(t *testing.T, r *relay, ln net.Listener, cert *tls.Config, insecureAuth bool) string {
	t.Helper()
	srv := smtp.NewServer(r)
	srv.Domain = "relay.localhost"
	srv.TLSConfig = cert
	srv.AllowInsecureAuth = insecureAuth
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// relayCert makes a self-signed certificate for 127.0.0.1: the relay's
// server configuration and the PEM file to give as smtp.ca_file.
func relayCert(t *testing.T) (*tls.Config, string) {
	t.Helper()
	dir := t.TempDir()
	if _, err := testsvc.WriteCert(dir); err != nil {
		t.Fatal(err)
	}
	pair, err := tls.LoadX509KeyPair(filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{pair}}, filepath.Join(dir, "cert.pem")
}

// TestAlertNoticesSMTPRelay sends a notice through relays as real ones
// behave: STARTTLS then AUTH (PLAIN, or LOGIN alone), the mail arriving
// authenticated over TLS; and the ways a user gets it wrong: a wrong
// password (a clear error), a relay without STARTTLS or with a
// certificate nobody trusts (refused before any credential is sent), and
// tls: none towards another host (refused by the configuration and by
// the sender: a password crosses in clear text only to this host). The
// same with tls: smtps (TLS from the first byte), and a mode that does not
// match the relay's, which fails within the timeout with the right hint.
func TestAlertNoticesSMTPRelay(t *testing.T) {
	t.Parallel()
	cert, caFile := relayCert(t)
	d := store.AlertDelivery{ID: 42, Tenant: channels.DefaultTenant, Destination: "ops-mail", Kind: DestEmail, Notice: NoticeOpen,
		Change: channels.AlertChange{ID: 7, AlertKey: channels.AlertKey{Channel: channels.SMS, Campaign: "spring", Metric: "hard_rate"},
			From: channels.AlertOK, To: channels.AlertCritical, At: alertNow, Sent: 1000, Hits: 150, Rate: 0.15, Threshold: 0.10}}
	base := SMTPRelay{Username: "alerts", Password: "s3cret-pass", From: "rebond <alerts@rebond.localhost>", To: []string{"ops@example.org"}}
	send := func(t *testing.T, r SMTPRelay, s *sender) error {
		t.Helper()
		dest := Destination{Name: "ops-mail", Kind: DestEmail, SMTP: r}
		if err := dest.validate(0); err != nil {
			t.Fatalf("config refused: %v", err)
		}
		return s.send(context.Background(), dest, d)
	}
	wantNothingSent := func(t *testing.T, rl *relay) {
		t.Helper()
		if auths, mails := rl.got(); len(auths) != 0 || len(mails) != 0 {
			t.Errorf("the relay got credentials %+v and mails %d: want nothing", auths, len(mails))
		}
	}

	// startMode serves rl as a relay of that TLS mode: STARTTLS on a
	// plain connection, or smtps (TLS from the first byte).
	startMode := func(t *testing.T, mode string, rl *relay) string {
		if mode == "smtps" {
			return startRelaySMTPS(t, rl, cert)
		}
		return startRelay(t, rl, cert, false)
	}

	for _, tc := range []struct{ mode, mech string }{{"", sasl.Plain}, {"", sasl.Login}, {"smtps", sasl.Plain}} {
		mech := tc.mech
		t.Run(cmp.Or(tc.mode, "starttls")+" and auth "+mech, func(t *testing.T) {
			t.Parallel()
			rl := &relay{user: "alerts", pass: "s3cret-pass", mechs: []string{mech}}
			r := base
			r.Addr, r.TLS, r.CAFile = startMode(t, tc.mode, rl), tc.mode, caFile
			if err := send(t, r, newSender(5*time.Second)); err != nil {
				t.Fatal(err)
			}
			auths, mails := rl.got()
			if want := []relayAuth{{Mech: mech, User: "alerts", Pass: "s3cret-pass", TLS: true}}; !slices.Equal(auths, want) {
				t.Errorf("AUTH: got %+v, want %+v", auths, want)
			}
			if len(mails) != 1 || !mails[0].TLS || mails[0].User != "alerts" || mails[0].From != "alerts@rebond.localhost" ||
				!strings.Contains(mails[0].Data, "Subject: [rebond] CRITICAL: sms campaign \"spring\" hard_rate is 15.00%") {
				t.Errorf("mails: %+v, want one, over TLS, from the authenticated user", mails)
			}
		})
	}

	t.Run("wrong password", func(t *testing.T) {
		t.Parallel()
		rl := &relay{user: "alerts", pass: "the-right-one", mechs: []string{sasl.Plain}}
		r := base
		r.Addr, r.CAFile = startRelay(t, rl, cert, false), caFile
		err := send(t, r, newSender(5*time.Second))
		if err == nil || !strings.Contains(err.Error(), `AUTH PLAIN as "alerts" refused`) || !strings.Contains(err.Error(), "535") ||
			!strings.Contains(err.Error(), "check smtp.username and smtp.password") || strings.Contains(err.Error(), "s3cret-pass") {
			t.Errorf("error %v: want the refused AUTH named, without the password", err)
		}
		if auths, mails := rl.got(); len(auths) != 1 || !auths[0].TLS || len(mails) != 0 {
			t.Errorf("auths %+v, mails %d: want one AUTH over TLS and no mail", auths, len(mails))
		}
	})

	t.Run("relay without starttls", func(t *testing.T) {
		t.Parallel()
		// It offers AUTH in clear text: rebond must not take it.
		rl := &relay{user: "alerts", pass: "s3cret-pass", mechs: []string{sasl.Plain}}
		r := base
		r.Addr = startRelay(t, rl, nil, true)
		err := send(t, r, newSender(5*time.Second))
		if err == nil || !strings.Contains(err.Error(), "STARTTLS") || !strings.Contains(err.Error(), "not sent in clear text") {
			t.Errorf("error %v: want a refusal naming STARTTLS", err)
		}
		wantNothingSent(t, rl)
	})

	for _, mode := range []string{"", "smtps"} {
		t.Run(strings.TrimPrefix(mode+" with a certificate of an unknown authority", " with a "), func(t *testing.T) {
			t.Parallel()
			rl := &relay{user: "alerts", pass: "s3cret-pass", mechs: []string{sasl.Plain}}
			r := base
			r.Addr, r.TLS = startMode(t, mode, rl), mode // no ca_file: the system's roots
			err := send(t, r, newSender(5*time.Second))
			if err == nil || !strings.Contains(err.Error(), cmp.Or(mode, "starttls")+":") || !strings.Contains(err.Error(), "set smtp.ca_file") {
				t.Errorf("error %v: want the failed verification and the ca_file hint", err)
			}
			wantNothingSent(t, rl)
		})
	}

	t.Run("tls none towards another host", func(t *testing.T) {
		t.Parallel()
		rl := &relay{user: "alerts", pass: "s3cret-pass", mechs: []string{sasl.Plain}}
		local := startRelay(t, rl, nil, true)
		r := base
		r.Addr, r.TLS = "relay.example.org:587", "none"
		dest := Destination{Name: "ops-mail", Kind: DestEmail, SMTP: r}
		if err := dest.validate(0); err == nil || !strings.Contains(err.Error(), "clear text") {
			t.Errorf("config: %v, want the clear-text password refused", err)
		}
		// Had it been let through, the sender refuses too (the dial
		// reaches the local relay under the remote name).
		s := newSender(5 * time.Second)
		s.dial = func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, local)
		}
		if err := s.send(context.Background(), dest, d); err == nil || !strings.Contains(err.Error(), "refusing to send the password in clear text") {
			t.Errorf("send: %v, want the clear-text password refused", err)
		}
		wantNothingSent(t, rl)
	})

	t.Run("tls none on this host", func(t *testing.T) {
		t.Parallel()
		// net/smtp's exception: a relay on the same host (loopback).
		rl := &relay{user: "alerts", pass: "s3cret-pass", mechs: []string{sasl.Plain}}
		r := base
		r.Addr, r.TLS = startRelay(t, rl, nil, true), "none"
		if err := send(t, r, newSender(5*time.Second)); err != nil {
			t.Fatal(err)
		}
		if auths, mails := rl.got(); len(auths) != 1 || auths[0].TLS || len(mails) != 1 {
			t.Errorf("auths %+v, mails %d: want one AUTH in clear text to loopback and the mail", auths, len(mails))
		}
	})

	// A mode that does not match the relay's fails with a hint, nothing
	// sent. starttls towards smtps: each side waits for the other to
	// speak first, and the attempt must end at the sender's timeout
	// (go-smtp alone waits 5 minutes for a greeting). smtps towards
	// starttls: the relay's plain-text greeting fails the handshake at
	// once.
	for _, tc := range []struct {
		mode, relay string
		timeout     time.Duration
		want        []string
	}{
		{"", "smtps", time.Second, []string{"starttls: ", "i/o timeout", "set tls: smtps"}},
		{"smtps", "starttls", 5 * time.Second, []string{"smtps: TLS handshake", "answered in plain text", "wants tls: starttls"}},
	} {
		t.Run(cmp.Or(tc.mode, "starttls")+" towards a relay of "+tc.relay, func(t *testing.T) {
			t.Parallel()
			rl := &relay{user: "alerts", pass: "s3cret-pass", mechs: []string{sasl.Plain}}
			r := base
			r.Addr, r.TLS, r.CAFile = startMode(t, tc.relay, rl), tc.mode, caFile
			start := time.Now()
			err := send(t, r, newSender(tc.timeout))
			if took := time.Since(start); took > tc.timeout+3*time.Second/2 || (tc.relay == "starttls" && took > time.Second) {
				t.Errorf("the attempt took %s, want it ended by the %s timeout", took, tc.timeout)
			}
			for _, w := range tc.want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("error %v: want %q", err, w)
				}
			}
			wantNothingSent(t, rl)
		})
	}

	t.Run("tls and addr checked at startup", func(t *testing.T) {
		t.Parallel()
		for _, tc := range []struct{ addr, tls, want string }{
			{"smtp.example.org:465", "implicit", "want starttls (the default), smtps (implicit TLS, usually port 465) or none"},
			{"smtp.example.org", "smtps", "want host:port (587 with tls: starttls, 465 with tls: smtps)"},
			{"relay.example.org:25", "none", "use starttls or smtps"},
		} {
			r := base
			r.Addr, r.TLS = tc.addr, tc.tls
			if err := (Destination{Name: "ops-mail", Kind: DestEmail, SMTP: r}).validate(0); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("addr %q tls %q: %v, want %q", tc.addr, tc.tls, err, tc.want)
			}
		}
	})

	t.Run("ca_file checked at startup", func(t *testing.T) {
		t.Parallel()
		for _, tc := range []struct{ tls, caFile, want string }{
			{"", filepath.Join(t.TempDir(), "missing.pem"), "no such file"},
			{"smtps", filepath.Join(t.TempDir(), "missing.pem"), "no such file"},
			{"", "notify_smtp_test.go", "no PEM certificate"},
			{"none", caFile, "verifies no certificate"},
		} {
			r := base
			r.Addr, r.TLS, r.CAFile = "smtp.example.org:587", tc.tls, tc.caFile
			err := Destination{Name: "ops-mail", Kind: DestEmail, SMTP: r}.validate(0)
			if err == nil || !strings.Contains(err.Error(), "smtp.ca_file") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("tls %q ca_file %q: %v, want %q", tc.tls, tc.caFile, err, tc.want)
			}
		}
	})
}

// TestAlertNoticesSMTPRetry runs email notices through the worker: a
// destination on a STARTTLS + AUTH relay (trusted by ca_file) gets the
// mail once; one with a wrong password is retried with backoff, every
// attempt logged with the relay's refusal, then failed; its password
// only ever crossed over TLS.
func TestAlertNoticesSMTPRetry(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	st := migratedStore(t)
	redisOpt := asynq.RedisClientOpt{Addr: testsvc.PrivateRedis(t)}
	cert, caFile := relayCert(t)
	rl := &relay{user: "alerts", pass: "s3cret-pass", mechs: []string{sasl.Plain, sasl.Login}}
	addr := startRelay(t, rl, cert, false)
	relayTo := func(password string) SMTPRelay {
		return SMTPRelay{Addr: addr, CAFile: caFile, Username: "alerts", Password: password,
			From: "rebond <alerts@rebond.localhost>", To: []string{"ops@example.org"}}
	}
	cfg := AlertConfig{
		Destinations: []Destination{
			{Name: "mail", Kind: DestEmail, SMTP: relayTo("s3cret-pass")},
			{Name: "mail-badpass", Kind: DestEmail, SMTP: relayTo("expired-pass")},
		},
		Notify: NotifyConfig{RetryBase: time.Second, RetryMax: 2 * time.Second, MaxRetry: 2},
	}.WithDefaults()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	a, rates, stop := runAlertDeliveries(ctx, t, cfg, st, redisOpt)
	defer stop()
	a.now = func() time.Time { return alertNow }
	rates.set(1000, 150) // critical: opens
	if err := a.Check(ctx); err != nil {
		t.Fatal(err)
	}

	tctx := channels.WithTenant(ctx, channels.DefaultTenant)
	var rows []store.AlertDelivery
	waitFor(t, func() bool {
		var err error
		if rows, err = st.RecentAlertDeliveries(tctx, 10); err != nil {
			t.Fatal(err)
		}
		return len(rows) == 2 && !slices.ContainsFunc(rows, func(d store.AlertDelivery) bool { return d.Status == store.DeliveryPending })
	})
	for _, d := range rows {
		switch d.Destination {
		case "mail":
			if d.Status != store.DeliverySent || d.Attempts != 1 || d.LastError != "" {
				t.Errorf("mail: %s after %d attempts, last error %q; want sent at once", d.Status, d.Attempts, d.LastError)
			}
		case "mail-badpass":
			if d.Status != store.DeliveryFailed || d.Attempts != 3 || !strings.Contains(d.LastError, `AUTH PLAIN as "alerts" refused`) ||
				!strings.Contains(d.LastError, "535") || strings.Contains(d.LastError, "expired-pass") {
				t.Errorf("mail-badpass: %s after %d attempts, last error %q; want failed after 3 attempts with the refusal", d.Status, d.Attempts, d.LastError)
			}
		}
	}
	auths, mails := rl.got()
	var bad int
	for _, au := range auths {
		if !au.TLS {
			t.Errorf("AUTH in clear text: %+v", au)
		}
		if au.Pass == "expired-pass" {
			bad++
		}
	}
	if bad != 3 || len(auths) != 4 {
		t.Errorf("relay saw %d AUTH (%d with the wrong password), want 4 (3)", len(auths), bad)
	}
	if len(mails) != 1 || !mails[0].TLS || mails[0].User != "alerts" {
		t.Errorf("mails %+v: want one, authenticated, over TLS", mails)
	}
}
