package esp

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rebond/rebond/channels"
)

const (
	testTopic   = "arn:aws:sns:us-east-1:123456789012:ses-events"
	testCertURL = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-test.pem"
)

// testNow is the clock of every signature test; the test certificate is
// valid around it.
var testNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// snsKey is an RSA key and a self-signed certificate standing for SNS's
// signing certificate, generated once per test binary (RSA key generation
// is slow) and shared read-only.
var snsKey = sync.OnceValues(func() (*rsa.PrivateKey, *x509.Certificate) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return key, selfSigned(key, &key.PublicKey)
})

func selfSigned(signer crypto.Signer, pub any) *x509.Certificate {
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "sns.amazonaws.com"},
		NotBefore:    testNow.Add(-24 * time.Hour),
		NotAfter:     testNow.Add(365 * 24 * time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, signer)
	if err != nil {
		panic(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		panic(err)
	}
	return cert
}

// certFunc is a CertSource made of a function.
type certFunc func(ctx context.Context, url string) (*x509.Certificate, error)

func (f certFunc) Certificate(ctx context.Context, url string) (*x509.Certificate, error) {
	return f(ctx, url)
}

// testCerts serves the test certificate for every URL.
func testCerts() CertSource {
	_, cert := snsKey()
	return certFunc(func(context.Context, string) (*x509.Certificate, error) { return cert, nil })
}

// rtFunc is an http.RoundTripper made of a function.
type rtFunc func(*http.Request) (*http.Response, error)

func (f rtFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func answer(status int, body string) *http.Response {
	return &http.Response{StatusCode: status, Body: io.NopCloser(strings.NewReader(body)), Header: http.Header{}}
}

// snsMessage builds an SNS envelope of type typ carrying message, lets
// edit change fields before signing (sign is false to skip signing), and
// returns its JSON.
func snsMessage(tb testing.TB, typ, message, version string, edit func(map[string]string)) []byte {
	tb.Helper()
	m := map[string]string{
		"Type": typ, "MessageId": "4a1d5e6f-0000-4000-8000-000000000001", "TopicArn": testTopic,
		"Message": message, "Timestamp": "2026-03-01T11:59:58.123Z", "SignatureVersion": version,
		"SigningCertURL": testCertURL,
	}
	if typ != snsNotification {
		m["Token"] = "2336412f37fb687f5d51e6e241d09c80"
		m["SubscribeURL"] = "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=" + testTopic + "&Token=2336412f37fb687f5d51e6e241d09c80"
	}
	if edit != nil {
		edit(m)
	}
	if _, ok := m["Signature"]; !ok {
		m["Signature"] = signSNS(tb, m)
	}
	b, err := json.Marshal(m)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// signSNS signs the canonical string of m with the test key, per its
// SignatureVersion (anything but "2" signs with SHA-1).
func signSNS(tb testing.TB, m map[string]string) string {
	tb.Helper()
	env := snsEnvelope{Type: m["Type"], MessageID: m["MessageId"], Token: m["Token"], TopicArn: m["TopicArn"],
		Message: m["Message"], SubscribeURL: m["SubscribeURL"], Timestamp: m["Timestamp"]}
	if s, ok := m["Subject"]; ok {
		env.Subject = &s
	}
	key, _ := snsKey()
	h, sum := crypto.SHA1, sha1Sum(env.stringToSign())
	if m["SignatureVersion"] == "2" {
		s := sha256.Sum256(env.stringToSign())
		h, sum = crypto.SHA256, s[:]
	}
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, h, sum)
	if err != nil {
		tb.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(sig)
}

func sha1Sum(b []byte) []byte {
	s := sha1.Sum(b)
	return s[:]
}

const sesBounceMessage = `{"notificationType":"Bounce","bounce":{"bounceType":"Permanent","bounceSubType":"General",` +
	`"bouncedRecipients":[{"emailAddress":"a@example.com","status":"5.1.1","diagnosticCode":"smtp; 550 5.1.1 user unknown"},` +
	`{"emailAddress":"b@example.com","status":"5.1.1","diagnosticCode":"smtp; 550 5.1.1 user unknown"}],` +
	`"timestamp":"2026-03-01T11:59:57.000Z","feedbackId":"fb-1"},"mail":{"timestamp":"2026-03-01T11:59:50.000Z","messageId":"m-1","destination":["a@example.com","b@example.com"]}}`

func newTestSES(tb testing.TB, cfg SESConfig) *SES {
	tb.Helper()
	if cfg.TopicARNs == nil {
		cfg.TopicARNs = []string{testTopic}
	}
	if cfg.Certificates == nil {
		cfg.Certificates = testCerts()
	}
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return testNow }
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Transport: rtFunc(func(r *http.Request) (*http.Response, error) {
			tb.Errorf("unexpected request to %s", r.URL)
			return nil, errors.New("no network in tests")
		})}
	}
	h, err := NewSES(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return h
}

func snsRequest(body []byte, typ string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/v1/webhooks/ses", strings.NewReader(string(body)))
	if typ != "" {
		r.Header.Set("X-Amz-Sns-Message-Type", typ)
	}
	return r
}

func TestSESSignature(t *testing.T) {
	t.Parallel()
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecCert := selfSigned(ecKey, &ecKey.PublicKey)
	set := func(k, v string) func(map[string]string) { return func(m map[string]string) { m[k] = v } }
	tests := []struct {
		name    string
		body    []byte
		header  string
		cfg     SESConfig
		want    error // nil, ErrUnauthorized, ErrMalformed, or errOther
		wantLen int
	}{
		{name: "version 1 SHA1withRSA", body: snsMessage(t, snsNotification, sesBounceMessage, "1", nil), wantLen: 2},
		{name: "version 2 SHA256withRSA", body: snsMessage(t, snsNotification, sesBounceMessage, "2", nil), wantLen: 2},
		{name: "with a subject", body: snsMessage(t, snsNotification, sesBounceMessage, "2", set("Subject", "Amazon SES Email Event Notification")), wantLen: 2},
		{name: "header agrees", body: snsMessage(t, snsNotification, sesBounceMessage, "1", nil), header: snsNotification, wantLen: 2},
		{name: "header disagrees", body: snsMessage(t, snsNotification, sesBounceMessage, "1", nil), header: snsSubscribe, want: channels.ErrMalformed},
		{name: "message changed after signing", want: channels.ErrUnauthorized, body: func() []byte {
			b := snsMessage(t, snsNotification, sesBounceMessage, "1", nil)
			return []byte(strings.Replace(string(b), "a@example.com", "z@example.com", 1))
		}()},
		{name: "subject added after signing", want: channels.ErrUnauthorized, body: snsMessage(t, snsNotification, sesBounceMessage, "1", func(m map[string]string) {
			m["Signature"] = signSNS(t, m)
			m["Subject"] = "added"
		})},
		{name: "version 1 signature claimed as version 2", want: channels.ErrUnauthorized, body: snsMessage(t, snsNotification, sesBounceMessage, "1", func(m map[string]string) {
			m["Signature"] = signSNS(t, m)
			m["SignatureVersion"] = "2"
		})},
		{name: "unknown signature version", body: snsMessage(t, snsNotification, sesBounceMessage, "3", nil), want: channels.ErrUnauthorized},
		{name: "signature not base64", body: snsMessage(t, snsNotification, sesBounceMessage, "1", set("Signature", "!!")), want: channels.ErrUnauthorized},
		{name: "topic not configured", body: snsMessage(t, snsNotification, sesBounceMessage, "1", set("TopicArn", "arn:aws:sns:us-east-1:999999999999:evil")), want: channels.ErrUnauthorized},
		{name: "certificate over http", body: snsMessage(t, snsNotification, sesBounceMessage, "1", set("SigningCertURL", "http://sns.us-east-1.amazonaws.com/x.pem")), want: channels.ErrUnauthorized},
		{name: "certificate on another host", body: snsMessage(t, snsNotification, sesBounceMessage, "1", set("SigningCertURL", "https://sns.us-east-1.amazonaws.com.evil.example/x.pem")), want: channels.ErrUnauthorized},
		{name: "certificate on an S3 host", body: snsMessage(t, snsNotification, sesBounceMessage, "1", set("SigningCertURL", "https://s3.amazonaws.com/sns.us-east-1.amazonaws.com/x.pem")), want: channels.ErrUnauthorized},
		{name: "certificate URL with user info", body: snsMessage(t, snsNotification, sesBounceMessage, "1", set("SigningCertURL", "https://evil@sns.us-east-1.amazonaws.com/x.pem")), want: channels.ErrUnauthorized},
		{name: "certificate URL with port", body: snsMessage(t, snsNotification, sesBounceMessage, "1", set("SigningCertURL", "https://sns.us-east-1.amazonaws.com:8443/x.pem")), want: channels.ErrUnauthorized},
		{name: "certificate URL not a pem", body: snsMessage(t, snsNotification, sesBounceMessage, "1", set("SigningCertURL", "https://sns.us-east-1.amazonaws.com/x.txt")), want: channels.ErrUnauthorized},
		{name: "certificate expired", body: snsMessage(t, snsNotification, sesBounceMessage, "1", nil),
			cfg: SESConfig{Now: func() time.Time { return testNow.Add(2 * 365 * 24 * time.Hour) }}, want: channels.ErrUnauthorized},
		{name: "certificate without RSA key", body: snsMessage(t, snsNotification, sesBounceMessage, "1", nil),
			cfg:  SESConfig{Certificates: certFunc(func(context.Context, string) (*x509.Certificate, error) { return ecCert, nil })},
			want: channels.ErrUnauthorized},
		{name: "certificate unavailable is a server error", body: snsMessage(t, snsNotification, sesBounceMessage, "1", nil),
			cfg:  SESConfig{Certificates: certFunc(func(context.Context, string) (*x509.Certificate, error) { return nil, errors.New("connection refused") })},
			want: errOther},
		{name: "not an SNS envelope", body: []byte(`{"notificationType":"Bounce"}`), want: channels.ErrMalformed},
		{name: "missing signature", body: snsMessage(t, snsNotification, sesBounceMessage, "1", set("Signature", "")), want: channels.ErrMalformed},
		{name: "unknown SNS type", body: snsMessage(t, "Other", sesBounceMessage, "1", nil), want: channels.ErrMalformed},
		{name: "signed but unreadable SES message", body: snsMessage(t, snsNotification, "{not json", "2", nil), want: channels.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newTestSES(t, tt.cfg)
			res, err := h.Handle(snsRequest(tt.body, tt.header), tt.body)
			checkErr(t, err, tt.want)
			if len(res.Events) != tt.wantLen {
				t.Errorf("%d events, want %d", len(res.Events), tt.wantLen)
			}
		})
	}
}

// errOther stands for an error that is neither unauthorized nor malformed:
// a server error the provider retries.
var errOther = errors.New("other error")

func checkErr(tb testing.TB, err, want error) {
	tb.Helper()
	unauth, malf := errors.Is(err, channels.ErrUnauthorized), errors.Is(err, channels.ErrMalformed)
	switch want {
	case nil:
		if err != nil {
			tb.Fatalf("unexpected error: %v", err)
		}
	case errOther:
		if err == nil || unauth || malf {
			tb.Fatalf("error = %v, want a server error (neither unauthorized nor malformed)", err)
		}
	default:
		if !errors.Is(err, want) {
			tb.Fatalf("error = %v, want %v", err, want)
		}
	}
}

func TestSESSubscriptionConfirmation(t *testing.T) {
	t.Parallel()
	t.Run("confirmed by GET of SubscribeURL", func(t *testing.T) {
		t.Parallel()
		var got []string
		h := newTestSES(t, SESConfig{HTTPClient: &http.Client{Transport: rtFunc(func(r *http.Request) (*http.Response, error) {
			got = append(got, r.Method+" "+r.URL.String())
			return answer(200, "<ConfirmSubscriptionResponse/>"), nil
		})}})
		body := snsMessage(t, snsSubscribe, "You have chosen to subscribe to the topic.", "2", nil)
		res, err := h.Handle(snsRequest(body, snsSubscribe), body)
		if err != nil {
			t.Fatal(err)
		}
		want := "GET https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=" + testTopic + "&Token=2336412f37fb687f5d51e6e241d09c80"
		if len(got) != 1 || got[0] != want {
			t.Errorf("requests %q, want [%q]", got, want)
		}
		if len(res.Events) != 0 {
			t.Errorf("%d events, want none", len(res.Events))
		}
	})
	t.Run("SubscribeURL off SNS is refused", func(t *testing.T) {
		t.Parallel()
		h := newTestSES(t, SESConfig{}) // any request fails the test
		body := snsMessage(t, snsSubscribe, "x", "1", func(m map[string]string) {
			m["SubscribeURL"] = "https://attacker.example/?Action=ConfirmSubscription"
		})
		_, err := h.Handle(snsRequest(body, ""), body)
		checkErr(t, err, channels.ErrMalformed)
	})
	t.Run("failed confirmation is a server error", func(t *testing.T) {
		t.Parallel()
		h := newTestSES(t, SESConfig{HTTPClient: &http.Client{Transport: rtFunc(func(*http.Request) (*http.Response, error) {
			return answer(http.StatusForbidden, "<Error/>"), nil
		})}})
		body := snsMessage(t, snsSubscribe, "x", "1", nil)
		_, err := h.Handle(snsRequest(body, ""), body)
		checkErr(t, err, errOther)
	})
	t.Run("unsubscribe confirmation does nothing", func(t *testing.T) {
		t.Parallel()
		h := newTestSES(t, SESConfig{})
		body := snsMessage(t, snsUnsubscribe, "You have chosen to deactivate subscription.", "1", nil)
		res, err := h.Handle(snsRequest(body, snsUnsubscribe), body)
		if err != nil || len(res.Events) != 0 {
			t.Errorf("Handle = %d events, %v; want none, nil", len(res.Events), err)
		}
	})
	t.Run("confirmation must be signed", func(t *testing.T) {
		t.Parallel()
		h := newTestSES(t, SESConfig{})
		body := snsMessage(t, snsSubscribe, "x", "1", func(m map[string]string) { m["Signature"] = base64.StdEncoding.EncodeToString([]byte("forged")) })
		_, err := h.Handle(snsRequest(body, ""), body)
		checkErr(t, err, channels.ErrUnauthorized)
	})
}

// TestSESCertificateCache runs the default certificate source: fetched
// once over the injected client, then served from the cache.
func TestSESCertificateCache(t *testing.T) {
	t.Parallel()
	_, cert := snsKey()
	pemCert := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}))
	t.Run("fetched once", func(t *testing.T) {
		t.Parallel()
		var fetches atomic.Int32
		h, err := NewSES(SESConfig{TopicARNs: []string{testTopic}, Now: func() time.Time { return testNow },
			HTTPClient: &http.Client{Transport: rtFunc(func(r *http.Request) (*http.Response, error) {
				fetches.Add(1)
				if r.URL.String() != testCertURL {
					t.Errorf("fetched %s, want %s", r.URL, testCertURL)
				}
				return answer(200, pemCert), nil
			})}})
		if err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			body := snsMessage(t, snsNotification, sesBounceMessage, "2", nil)
			if _, err := h.Handle(snsRequest(body, ""), body); err != nil {
				t.Fatalf("call %d: %v", i, err)
			}
		}
		if n := fetches.Load(); n != 1 {
			t.Errorf("%d certificate fetches, want 1", n)
		}
	})
	for name, resp := range map[string]*http.Response{
		"not PEM":   answer(200, "<html>hello</html>"),
		"not found": answer(404, ""),
		"redirect":  {StatusCode: 302, Body: io.NopCloser(strings.NewReader("")), Header: http.Header{"Location": {"https://attacker.example/x.pem"}}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var calls atomic.Int32
			c := newCertCache(snsClient(&http.Client{Transport: rtFunc(func(*http.Request) (*http.Response, error) {
				calls.Add(1)
				return resp, nil
			})}))
			if _, err := c.Certificate(context.Background(), testCertURL); err == nil {
				t.Error("no error")
			}
			if calls.Load() != 1 {
				t.Errorf("%d requests, want 1 (redirects are not followed)", calls.Load())
			}
		})
	}
}

func TestNewSES(t *testing.T) {
	t.Parallel()
	for name, arns := range map[string][]string{
		"no topic":      nil,
		"not an ARN":    {"ses-events"},
		"ARN too short": {"arn:aws:sns:us-east-1:ses-events"},
	} {
		if _, err := NewSES(SESConfig{TopicARNs: arns}); err == nil || !strings.Contains(err.Error(), "topic_arns") {
			t.Errorf("%s: NewSES error = %v, want one naming topic_arns", name, err)
		}
	}
}
