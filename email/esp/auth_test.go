package esp

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rebond/rebond/channels"
)

const sendgridBody = `[{"email":"a@example.com","timestamp":1772366390,"event":"bounce","type":"bounce","reason":"550 5.1.1 no such user","status":"5.1.1","sg_event_id":"e1","sg_message_id":"m1.filter0001"},` +
	`{"email":"b@example.com","timestamp":1772366391,"event":"open","sg_event_id":"e2","sg_message_id":"m1.filter0001"}]`

// sendgridKey returns a new P-256 key and its public half as SendGrid's
// console shows it (base64 DER).
func sendgridKey(tb testing.TB) (*ecdsa.PrivateKey, string) {
	tb.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		tb.Fatal(err)
	}
	return key, base64.StdEncoding.EncodeToString(der)
}

// signSendGrid signs ts+body as SendGrid does and returns the request.
func signSendGrid(tb testing.TB, key *ecdsa.PrivateKey, ts string, body []byte) *http.Request {
	tb.Helper()
	sum := sha256.Sum256(append([]byte(ts), body...))
	sig, err := ecdsa.SignASN1(rand.Reader, key, sum[:])
	if err != nil {
		tb.Fatal(err)
	}
	r := httptest.NewRequest(http.MethodPost, "/v1/webhooks/sendgrid", strings.NewReader(string(body)))
	r.Header.Set(sendgridSignatureHeader, base64.StdEncoding.EncodeToString(sig))
	r.Header.Set(sendgridTimestampHeader, ts)
	return r
}

func unix(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }

func TestSendGridSignature(t *testing.T) {
	t.Parallel()
	key, pub := sendgridKey(t)
	other, _ := sendgridKey(t)
	body := []byte(sendgridBody)
	h, err := NewSendGrid(SendGridConfig{PublicKey: pub, Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		req  *http.Request
		body []byte
		want error
		n    int
	}{
		{"valid", signSendGrid(t, key, unix(testNow.Add(-time.Minute)), body), body, nil, 1},
		{"body changed", signSendGrid(t, key, unix(testNow), body), []byte(strings.Replace(sendgridBody, "a@", "z@", 1)), channels.ErrUnauthorized, 0},
		{"timestamp changed", func() *http.Request {
			r := signSendGrid(t, key, unix(testNow), body)
			r.Header.Set(sendgridTimestampHeader, unix(testNow.Add(time.Second)))
			return r
		}(), body, channels.ErrUnauthorized, 0},
		{"other key", signSendGrid(t, other, unix(testNow), body), body, channels.ErrUnauthorized, 0},
		{"old timestamp", signSendGrid(t, key, unix(testNow.Add(-DefaultMaxAge-time.Second)), body), body, channels.ErrUnauthorized, 0},
		{"future timestamp", signSendGrid(t, key, unix(testNow.Add(maxSkew+time.Second)), body), body, channels.ErrUnauthorized, 0},
		{"timestamp not a number", signSendGrid(t, key, "yesterday", body), body, channels.ErrUnauthorized, 0},
		{"no headers", httptest.NewRequest(http.MethodPost, "/", nil), body, channels.ErrUnauthorized, 0},
		{"signature not base64", func() *http.Request {
			r := signSendGrid(t, key, unix(testNow), body)
			r.Header.Set(sendgridSignatureHeader, "%%%")
			return r
		}(), body, channels.ErrUnauthorized, 0},
		{"signed garbage is malformed", signSendGrid(t, key, unix(testNow), []byte(`{"event":"bounce"}`)), []byte(`{"event":"bounce"}`), channels.ErrMalformed, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res, err := h.Handle(tt.req, tt.body)
			checkErr(t, err, tt.want)
			if len(res.Events) != tt.n {
				t.Errorf("%d events, want %d", len(res.Events), tt.n)
			}
		})
	}
}

func TestSendGridPublicKey(t *testing.T) {
	t.Parallel()
	_, pub := sendgridKey(t)
	der, _ := base64.StdEncoding.DecodeString(pub)
	pemKey := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der384, _ := x509.MarshalPKIXPublicKey(&p384.PublicKey)
	for _, tt := range []struct {
		name, key string
		ok        bool
	}{
		{"base64 DER", pub, true},
		{"PEM", pemKey, true},
		{"base64 with spaces around", "  " + pub + "\n", true},
		{"empty", "", false},
		{"not base64", "not a key!", false},
		{"base64 of garbage", base64.StdEncoding.EncodeToString([]byte("garbage")), false},
		{"P-384", base64.StdEncoding.EncodeToString(der384), false},
	} {
		_, err := NewSendGrid(SendGridConfig{PublicKey: tt.key})
		if (err == nil) != tt.ok {
			t.Errorf("%s: NewSendGrid error = %v, want ok=%v", tt.name, err, tt.ok)
		}
		if err != nil && !strings.Contains(err.Error(), "public_key") {
			t.Errorf("%s: error %q does not name public_key", tt.name, err)
		}
	}
}

// mailgunBody returns a Mailgun webhook body signed with key at ts.
func mailgunBody(key, ts, token, eventData string) []byte {
	mac := hmac.New(sha256.New, []byte(key))
	mac.Write([]byte(ts + token))
	return fmt.Appendf(nil, `{"signature":{"timestamp":%q,"token":%q,"signature":%q},"event-data":%s}`,
		ts, token, hex.EncodeToString(mac.Sum(nil)), eventData)
}

const mailgunFailed = `{"event":"failed","id":"ev-1","timestamp":1772366390.25,"severity":"permanent","reason":"bounce","recipient":"a@example.com",` +
	`"message":{"headers":{"message-id":"m1@mg.example.com"}},"delivery-status":{"code":550,"enhanced-code":"5.1.1","message":"5.1.1 no such user"}}`

func TestMailgunSignature(t *testing.T) {
	t.Parallel()
	const key = "key-3ax6xnjp29jd6fds4gc373sgvjxteol0"
	h, err := NewMailgun(MailgunConfig{SigningKey: key, MaxAge: 10 * time.Minute, Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	now := unix(testNow)
	valid := mailgunBody(key, now, "tok-1", mailgunFailed)
	tests := []struct {
		name string
		body []byte
		want error
		n    int
	}{
		{"valid", valid, nil, 1},
		{"other key", mailgunBody("key-other", now, "tok-1", mailgunFailed), channels.ErrUnauthorized, 0},
		{"token changed", []byte(strings.Replace(string(valid), "tok-1", "tok-2", 1)), channels.ErrUnauthorized, 0},
		{"old timestamp", mailgunBody(key, unix(testNow.Add(-11*time.Minute)), "tok-1", mailgunFailed), channels.ErrUnauthorized, 0},
		{"future timestamp", mailgunBody(key, unix(testNow.Add(time.Hour)), "tok-1", mailgunFailed), channels.ErrUnauthorized, 0},
		{"no signature", []byte(`{"event-data":` + mailgunFailed + `}`), channels.ErrUnauthorized, 0},
		{"signature not hex", []byte(`{"signature":{"timestamp":"1","token":"t","signature":"zz"},"event-data":{}}`), channels.ErrUnauthorized, 0},
		{"not JSON", []byte(`timestamp=1&token=t&signature=00`), channels.ErrMalformed, 0},
		// Each delivery has its own token (the replay cache refuses a
		// token with other event data: TestMailgunReplay).
		{"signed, no event-data", mailgunBody(key, now, "tok-3", `null`), channels.ErrMalformed, 0},
		{"signed, event-data unreadable", mailgunBody(key, now, "tok-4", `{"event":"failed","timestamp":"soon","recipient":"a@example.com","id":"x"}`), channels.ErrMalformed, 0},
		{"signed, engagement", mailgunBody(key, now, "tok-5", `{"event":"opened","id":"o","timestamp":1772366390,"recipient":"a@example.com"}`), nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest(http.MethodPost, "/v1/webhooks/mailgun", nil)
			res, err := h.Handle(r, tt.body)
			checkErr(t, err, tt.want)
			if len(res.Events) != tt.n {
				t.Errorf("%d events, want %d", len(res.Events), tt.n)
			}
		})
	}
}

const postmarkBody = `{"RecordType":"Bounce","ID":1,"Type":"HardBounce","TypeCode":1,"MessageID":"m1","Details":"smtp;550 5.1.1 no such user","Email":"a@example.com","BouncedAt":"2026-03-01T11:59:00Z"}`

func TestPostmarkBasicAuth(t *testing.T) {
	t.Parallel()
	h, err := NewPostmark(PostmarkConfig{Username: "rebond", Password: "s3cret"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		user, pass string
		set        bool
		want       error
	}{
		{"valid", "rebond", "s3cret", true, nil},
		{"wrong password", "rebond", "s3cre", true, channels.ErrUnauthorized},
		{"wrong user", "rebon", "s3cret", true, channels.ErrUnauthorized},
		{"no credentials", "", "", false, channels.ErrUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest(http.MethodPost, "/v1/webhooks/postmark", nil)
			if tt.set {
				r.SetBasicAuth(tt.user, tt.pass)
			}
			res, err := h.Handle(r, []byte(postmarkBody))
			checkErr(t, err, tt.want)
			if tt.want == nil && len(res.Events) != 1 {
				t.Errorf("%d events, want 1", len(res.Events))
			}
		})
	}
	for _, cfg := range []PostmarkConfig{{}, {Username: "u"}, {Password: "p"}} {
		if _, err := NewPostmark(cfg); err == nil {
			t.Errorf("NewPostmark(%+v) accepted incomplete credentials", cfg)
		}
	}
}

const sparkpostBody = `[{"msys":{"message_event":{"type":"bounce","bounce_class":"10","event_id":"e1","message_id":"m1","rcpt_to":"a@example.com",` +
	`"raw_reason":"550 5.1.1 no such user","error_code":"550","timestamp":"1772366390"}}}]`

func TestSparkPostAuth(t *testing.T) {
	t.Parallel()
	withToken := func(tok string) func(*http.Request) {
		return func(r *http.Request) { r.Header.Set(sparkpostTokenHeader, tok) }
	}
	withBasic := func(u, p string) func(*http.Request) { return func(r *http.Request) { r.SetBasicAuth(u, p) } }
	tests := []struct {
		name string
		cfg  SparkPostConfig
		req  []func(*http.Request)
		want error
	}{
		{"token", SparkPostConfig{Token: "tok"}, []func(*http.Request){withToken("tok")}, nil},
		{"wrong token", SparkPostConfig{Token: "tok"}, []func(*http.Request){withToken("tok2")}, channels.ErrUnauthorized},
		{"no token", SparkPostConfig{Token: "tok"}, nil, channels.ErrUnauthorized},
		{"basic", SparkPostConfig{Username: "u", Password: "p"}, []func(*http.Request){withBasic("u", "p")}, nil},
		{"wrong basic", SparkPostConfig{Username: "u", Password: "p"}, []func(*http.Request){withBasic("u", "x")}, channels.ErrUnauthorized},
		{"both required, token missing", SparkPostConfig{Token: "tok", Username: "u", Password: "p"}, []func(*http.Request){withBasic("u", "p")}, channels.ErrUnauthorized},
		{"both required, both given", SparkPostConfig{Token: "tok", Username: "u", Password: "p"}, []func(*http.Request){withBasic("u", "p"), withToken("tok")}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h, err := NewSparkPost(tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			r := httptest.NewRequest(http.MethodPost, "/v1/webhooks/sparkpost", nil)
			for _, f := range tt.req {
				f(r)
			}
			res, err := h.Handle(r, []byte(sparkpostBody))
			checkErr(t, err, tt.want)
			if tt.want == nil && len(res.Events) != 1 {
				t.Errorf("%d events, want 1", len(res.Events))
			}
		})
	}
	for _, cfg := range []SparkPostConfig{{}, {Username: "u"}, {Password: "p"}, {Token: "t", Username: "u"}} {
		if _, err := NewSparkPost(cfg); err == nil {
			t.Errorf("NewSparkPost(%+v) accepted incomplete credentials", cfg)
		}
	}
}
