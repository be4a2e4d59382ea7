package esp

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha1" // #nosec: SNS SignatureVersion 1 is SHA1withRSA; version 2 is SHA-256
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/rebond/rebond/channels"
)

// The SNS message types of the HTTP/S endpoint protocol
// (docs.aws.amazon.com/sns/latest/dg/sns-message-and-json-formats.html).
const (
	snsNotification   = "Notification"
	snsSubscribe      = "SubscriptionConfirmation"
	snsUnsubscribe    = "UnsubscribeConfirmation"
	maxCertBytes      = 64 << 10
	maxCachedCerts    = 64
	defaultSNSTimeout = 10 * time.Second
)

// snsHost is the host of SNS's signing certificates and subscription URLs:
// sns.<region>.amazonaws.com. AWS's guide to verifying signatures says to
// check it before trusting a certificate; anything else could be an
// attacker's.
var snsHost = regexp.MustCompile(`^sns\.[a-z0-9-]{1,40}\.amazonaws\.com$`)

// snsEnvelope is an SNS message as delivered to an HTTP/S endpoint.
// encoding/json matches keys case-insensitively, so "SigningCertUrl" (as
// some SNS deliveries write it) fills SigningCertURL too.
type snsEnvelope struct {
	Type             string  `json:"Type"`
	MessageID        string  `json:"MessageId"`
	Token            string  `json:"Token"`
	TopicArn         string  `json:"TopicArn"`
	Subject          *string `json:"Subject"`
	Message          string  `json:"Message"`
	SubscribeURL     string  `json:"SubscribeURL"`
	Timestamp        string  `json:"Timestamp"`
	SignatureVersion string  `json:"SignatureVersion"`
	Signature        string  `json:"Signature"`
	SigningCertURL   string  `json:"SigningCertURL"`
}

// decodeSNS reads an SNS envelope and checks the fields its type requires.
func decodeSNS(body []byte) (snsEnvelope, error) {
	var env snsEnvelope
	if err := json.Unmarshal(body, &env); err != nil {
		return env, fmt.Errorf("sns envelope: %w: %v", channels.ErrMalformed, err)
	}
	required := [][2]string{
		{"Type", env.Type}, {"MessageId", env.MessageID}, {"TopicArn", env.TopicArn},
		{"Timestamp", env.Timestamp}, {"SignatureVersion", env.SignatureVersion},
		{"Signature", env.Signature}, {"SigningCertURL", env.SigningCertURL},
	}
	switch env.Type {
	case snsNotification:
	case snsSubscribe, snsUnsubscribe:
		required = append(required, [2]string{"SubscribeURL", env.SubscribeURL}, [2]string{"Token", env.Token})
	default:
		return env, malformed("sns", "Type", fmt.Sprintf("%q is not Notification, SubscriptionConfirmation or UnsubscribeConfirmation", truncate(env.Type, 64)))
	}
	for _, f := range required {
		if f[1] == "" {
			return env, malformed("sns", f[0], "required")
		}
	}
	return env, nil
}

// stringToSign is the canonical form SNS signs: the listed fields as
// "name\nvalue\n", in byte order of the names; Subject only when present.
func (e snsEnvelope) stringToSign() []byte {
	var b strings.Builder
	add := func(k, v string) {
		b.WriteString(k)
		b.WriteByte('\n')
		b.WriteString(v)
		b.WriteByte('\n')
	}
	add("Message", e.Message)
	add("MessageId", e.MessageID)
	if e.Type == snsNotification {
		if e.Subject != nil {
			add("Subject", *e.Subject)
		}
	} else {
		add("SubscribeURL", e.SubscribeURL)
	}
	add("Timestamp", e.Timestamp)
	if e.Type != snsNotification {
		add("Token", e.Token)
	}
	add("TopicArn", e.TopicArn)
	add("Type", e.Type)
	return []byte(b.String())
}

// snsVerifier checks SNS signatures: SignatureVersion 1 is SHA1withRSA and
// 2 SHA256withRSA, over stringToSign, with the certificate at
// SigningCertURL.
type snsVerifier struct {
	certs CertSource
	now   func() time.Time
}

func (v snsVerifier) verify(ctx context.Context, e snsEnvelope) error {
	var (
		h   crypto.Hash
		sum []byte
	)
	switch e.SignatureVersion {
	case "1":
		s := sha1.Sum(e.stringToSign())
		h, sum = crypto.SHA1, s[:]
	case "2":
		s := sha256.Sum256(e.stringToSign())
		h, sum = crypto.SHA256, s[:]
	default:
		return channels.Unauthorized("sns: SignatureVersion %q is not 1 or 2", truncate(e.SignatureVersion, 16))
	}
	if err := checkSNSURL(e.SigningCertURL, true); err != nil {
		return channels.Unauthorized("sns: SigningCertURL: %v", err)
	}
	sig, err := base64.StdEncoding.DecodeString(e.Signature)
	if err != nil {
		return channels.Unauthorized("sns: Signature is not base64")
	}
	cert, err := v.certs.Certificate(ctx, e.SigningCertURL)
	if err != nil {
		// Not the sender's fault as far as we know (a network error):
		// a server error, so SNS delivers again.
		return fmt.Errorf("sns: signing certificate: %w", err)
	}
	if now := v.now(); now.Before(cert.NotBefore) || now.After(cert.NotAfter) {
		return channels.Unauthorized("sns: signing certificate is not valid at %s", now.UTC().Format(time.RFC3339))
	}
	pub, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok {
		return channels.Unauthorized("sns: signing certificate has no RSA key")
	}
	if err := rsa.VerifyPKCS1v15(pub, h, sum, sig); err != nil {
		return channels.Unauthorized("sns: signature does not verify")
	}
	return nil
}

// checkSNSURL accepts only https URLs on an SNS host, without user info or
// port; a certificate URL must also name a .pem file.
func checkSNSURL(raw string, cert bool) error {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return errors.New("not a URL")
	case u.Scheme != "https":
		return errors.New("not https")
	case u.User != nil || u.Port() != "":
		return errors.New("user info or port in URL")
	case !snsHost.MatchString(u.Hostname()):
		return fmt.Errorf("host %q is not sns.<region>.amazonaws.com", truncate(u.Hostname(), 64))
	case cert && !strings.HasSuffix(u.Path, ".pem"):
		return errors.New("path is not a .pem file")
	}
	return nil
}

// CertSource returns the X.509 certificate at an SNS SigningCertURL. The
// SES adapter checks the URL before asking, and the certificate's validity
// and key after; a test supplies a certificate it generated.
type CertSource interface {
	Certificate(ctx context.Context, url string) (*x509.Certificate, error)
}

// certCache fetches certificates over HTTPS and keeps them: SNS signs
// every message with one of a few certificates, so fetching each time
// would add a round trip per notification.
type certCache struct {
	client *http.Client
	mu     sync.Mutex
	certs  map[string]*x509.Certificate
}

func newCertCache(client *http.Client) *certCache {
	return &certCache{client: client, certs: map[string]*x509.Certificate{}}
}

// Certificate returns the cached certificate of url, fetching it first
// when needed. At most maxCachedCerts are kept (the cache is emptied when
// full), so a stream of distinct URLs cannot grow memory.
func (c *certCache) Certificate(ctx context.Context, url string) (*x509.Certificate, error) {
	c.mu.Lock()
	cert, ok := c.certs[url]
	c.mu.Unlock()
	if ok {
		return cert, nil
	}
	cert, err := c.fetch(ctx, url)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if len(c.certs) >= maxCachedCerts {
		clear(c.certs)
	}
	c.certs[url] = cert
	c.mu.Unlock()
	return cert, nil
}

func (c *certCache) fetch(ctx context.Context, url string) (*x509.Certificate, error) {
	b, err := get(ctx, c.client, url, maxCertBytes)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(b)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("get %s: no PEM certificate", url)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", url, err)
	}
	return cert, nil
}

// get fetches url and returns at most limit bytes of a 2xx answer.
func get(ctx context.Context, client *http.Client, url string, limit int64) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit))
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", url, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, fmt.Errorf("get %s: status %d", url, resp.StatusCode)
	}
	return b, nil
}

// snsClient returns a copy of client (or a default one) that does not
// follow redirects: a redirect would leave the host that was checked.
func snsClient(client *http.Client) *http.Client {
	c := http.Client{Timeout: defaultSNSTimeout}
	if client != nil {
		c = *client
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}
