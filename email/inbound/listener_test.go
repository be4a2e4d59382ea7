package inbound

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"log/slog"
	"math/big"
	"net"
	"net/smtp"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rebond/rebond/channels"
)

type memSpool struct {
	mu   sync.Mutex
	msgs []Message
	err  error
}

func (s *memSpool) Store(_ context.Context, m Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	s.msgs = append(s.msgs, m)
	return nil
}

// start runs a listener on a free port and returns its address.
func start(t *testing.T, cfg Config, spool Spool) string {
	t.Helper()
	l, err := New(cfg, spool, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return ln.Addr().String()
}

const bounce = "From: MAILER-DAEMON@mx.example.net\r\nTo: bounces+abc@bounces.example.org\r\n" +
	"Subject: Undelivered Mail Returned to Sender\r\n\r\n<gone@example.net>: user unknown\r\n"

// send runs one SMTP transaction and returns the reply code of the first
// command that failed (0 when all succeeded).
func send(t *testing.T, addr string, tlsCfg *tls.Config, from string, to []string, body string) int {
	t.Helper()
	c, err := smtp.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if tlsCfg != nil {
		if err := c.StartTLS(tlsCfg); err != nil {
			t.Fatalf("STARTTLS: %v", err)
		}
	}
	code := func(err error) int {
		var te *textproto.Error
		if errors.As(err, &te) {
			return te.Code
		}
		t.Fatalf("not an SMTP reply: %v", err)
		return 0
	}
	if err := c.Mail(from); err != nil {
		return code(err)
	}
	for _, r := range to {
		if err := c.Rcpt(r); err != nil {
			return code(err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return code(err)
	}
	if _, err := w.Write([]byte(body)); err != nil {
		return code(err)
	}
	if err := w.Close(); err != nil {
		return code(err)
	}
	_ = c.Quit()
	return 0
}

func TestListenerSpoolsBeforeAnswering(t *testing.T) {
	spool := &memSpool{}
	addr := start(t, Config{Domains: []string{"bounces.example.org"}}, spool)
	if code := send(t, addr, nil, "", []string{"bounces+abc@Bounces.Example.org"}, bounce); code != 0 {
		t.Fatalf("bounce refused with %d", code)
	}
	if len(spool.msgs) != 1 {
		t.Fatalf("%d messages spooled", len(spool.msgs))
	}
	m := spool.msgs[0]
	if m.From != "" || len(m.To) != 1 || !strings.Contains(string(m.Data), "user unknown") || !strings.HasPrefix(m.ID, "in_") {
		t.Errorf("spooled %+v", m)
	}
	// The same message again (a 250 lost on the wire) has the same id, so
	// the spool's de-duplication keeps one.
	send(t, addr, nil, "", []string{"bounces+abc@bounces.example.org"}, bounce)
	if len(spool.msgs) != 2 || spool.msgs[1].ID != m.ID {
		t.Errorf("ids of a re-sent message: %s %s", m.ID, spool.msgs[len(spool.msgs)-1].ID)
	}
}

func TestListenerRefusals(t *testing.T) {
	spool := &memSpool{}
	addr := start(t, Config{Domains: []string{"bounces.example.org"}, MaxMessageBytes: 1024, MaxRecipients: 2}, spool)
	if code := send(t, addr, nil, "", []string{"someone@elsewhere.example"}, bounce); code != 550 {
		t.Errorf("relay attempt: %d, want 550", code)
	}
	if code := send(t, addr, nil, "", []string{"b@bounces.example.org"}, bounce+strings.Repeat("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\n", 60)); code != 552 {
		t.Errorf("oversized message: %d, want 552", code)
	}
	if code := send(t, addr, nil, "", []string{"a@bounces.example.org", "b@bounces.example.org", "c@bounces.example.org"}, bounce); code != 452 {
		t.Errorf("too many recipients: %d, want 452", code)
	}
	spool.err = errors.New("jetstream unavailable")
	if code := send(t, addr, nil, "", []string{"b@bounces.example.org"}, bounce); code != 451 {
		t.Errorf("spool down: %d, want 451 so the MTA keeps the bounce", code)
	}
	if len(spool.msgs) != 0 {
		t.Errorf("refused messages were spooled: %d", len(spool.msgs))
	}
}

func TestListenerSTARTTLS(t *testing.T) {
	spool := &memSpool{}
	cert := selfSigned(t)
	addr := start(t, Config{Domains: []string{"bounces.example.org"}, TLS: &tls.Config{Certificates: []tls.Certificate{cert}}}, spool)
	pool := x509.NewCertPool()
	pool.AddCert(cert.Leaf)
	if code := send(t, addr, &tls.Config{RootCAs: pool, ServerName: "localhost"}, "", []string{"b@bounces.example.org"}, bounce); code != 0 {
		t.Fatalf("over STARTTLS: %d", code)
	}
	if len(spool.msgs) != 1 {
		t.Errorf("%d spooled", len(spool.msgs))
	}
}

func TestConfigValidate(t *testing.T) {
	for _, c := range []Config{{}, {Domains: []string{"a@b"}}, {Domains: []string{"x.org"}, MaxRecipients: -1}} {
		if err := c.Validate(); err == nil {
			t.Errorf("%+v: no error", c)
		}
	}
}

func TestHandler(t *testing.T) {
	h := Handler{Parse: func(m Message) ([]channels.Event, string, error) {
		if strings.Contains(string(m.Data), "user unknown") {
			return []channels.Event{{ID: "ev1"}}, "", nil
		}
		return nil, "not a bounce: no delivery-status part and no failure text", nil
	}}
	data, err := Encode(Message{ID: "in_1", To: []string{"b@x"}, Data: []byte(bounce)})
	if err != nil {
		t.Fatal(err)
	}
	if evs, _, err := h.Handle(context.Background(), data); err != nil || len(evs) != 1 {
		t.Errorf("bounce: %v %v", evs, err)
	}
	data, _ = Encode(Message{ID: "in_2", Data: []byte("Subject: hi\r\n\r\nhello")})
	if evs, why, err := h.Handle(context.Background(), data); err != nil || len(evs) != 0 || !strings.Contains(why, "not a bounce") {
		t.Errorf("not a bounce: %v %q %v", evs, why, err)
	}
	if _, _, err := h.Handle(context.Background(), []byte("{")); !errors.Is(err, channels.ErrMalformed) {
		t.Errorf("garbage: %v", err)
	}
}

func selfSigned(t *testing.T) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "localhost"},
		DNSNames: []string{"localhost"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
}

func TestListenerTruncatesForTheSpool(t *testing.T) {
	spool := &memSpool{}
	addr := start(t, Config{Domains: []string{"bounces.example.org"}, SpoolLimit: 200}, spool)
	big := bounce + strings.Repeat("returned original message line\r\n", 100)
	if code := send(t, addr, nil, "", []string{"b@bounces.example.org"}, big); code != 0 {
		t.Fatalf("a big bounce was refused (%d): it must be kept, truncated", code)
	}
	if len(spool.msgs) != 1 || len(spool.msgs[0].Data) != 200 || !spool.msgs[0].Truncated ||
		!strings.Contains(string(spool.msgs[0].Data), "user unknown") {
		t.Fatalf("spooled %d bytes, truncated=%v", len(spool.msgs[0].Data), spool.msgs[0].Truncated)
	}
}

// TestHandlerSample: a rejected mail is kept up to MaxKept bytes, marked
// truncated; a short one and an undecodable record stay bounded too.
func TestHandlerSample(t *testing.T) {
	h := Handler{MaxKept: 100}
	big, _ := Encode(Message{ID: "in_1", Data: []byte(strings.Repeat("x", 1000))})
	m, err := Decode(h.Sample(big))
	if err != nil || len(m.Data) != 100 || !m.Truncated || m.ID != "in_1" {
		t.Errorf("sample of a 1000-byte mail: %d bytes, truncated %v, %v", len(m.Data), m.Truncated, err)
	}
	small, _ := Encode(Message{ID: "in_2", Data: []byte("hello")})
	if got := h.Sample(small); string(got) != string(small) {
		t.Errorf("a short mail changed: %s", got)
	}
	if got := h.Sample([]byte(strings.Repeat("{", 500))); len(got) != 100 {
		t.Errorf("an undecodable record kept whole: %d bytes", len(got))
	}
	if got := (Handler{}).Sample(big); len(got) != len(big) {
		t.Errorf("default MaxKept (%d) cut a 1000-byte mail", DefaultMaxKept)
	}
}
