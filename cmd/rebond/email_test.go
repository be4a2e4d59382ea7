package main

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/smtp"
	"strings"
	"testing"
	"time"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/email"
	"github.com/rebond/rebond/email/esp"
)

// testSNS signs SNS notifications with a key of its own, and serves the
// matching certificate to the SES adapter.
type testSNS struct {
	key  *rsa.PrivateKey
	cert *x509.Certificate
}

func newTestSNS(t *testing.T) *testSNS {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "sns.amazonaws.com"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &testSNS{key: key, cert: cert}
}

func (s *testSNS) Certificate(context.Context, string) (*x509.Certificate, error) { return s.cert, nil }

// notification is an SNS Notification envelope signed with SignatureVersion
// 1 (SHA1withRSA over the canonical string of the SNS documentation).
func (s *testSNS) notification(t *testing.T, topic, id, message string) []byte {
	t.Helper()
	ts := time.Now().UTC().Format("2006-01-02T15:04:05.000Z")
	canonical := "Message\n" + message + "\nMessageId\n" + id + "\nTimestamp\n" + ts + "\nTopicArn\n" + topic + "\nType\nNotification\n"
	sum := sha1.Sum([]byte(canonical))
	sig, err := rsa.SignPKCS1v15(rand.Reader, s.key, crypto.SHA1, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(map[string]string{
		"Type": "Notification", "MessageId": id, "TopicArn": topic, "Message": message, "Timestamp": ts,
		"SignatureVersion": "1", "Signature": base64.StdEncoding.EncodeToString(sig),
		"SigningCertURL": "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-test.pem",
	})
	return b
}

// sesTopic is the SNS topic whose notifications startWithSES's webhook
// takes.
const sesTopic = "arn:aws:sns:eu-west-1:123456789012:ses-bounces"

// startWithSES starts rebond with an SES webhook at /v1/webhooks/ses that
// trusts the returned signer's notifications on sesTopic.
func startWithSES(t *testing.T, cfg Config) (*instance, *testSNS) {
	t.Helper()
	sns := newTestSNS(t)
	ses, err := esp.NewSES(esp.SESConfig{TopicARNs: []string{sesTopic}, Certificates: sns})
	if err != nil {
		t.Fatal(err)
	}
	return startWith(t, cfg, serveOptions{webhooks: map[string]channels.Webhook{"ses": ses}}), sns
}

// TestEmailEndToEnd: a DSN sent by an SMTP client to rebond's listener, to
// a VERP return path, becomes a verdict in the store and in the rates; an
// SES bounce notification posted twice through SNS counts once.
func TestEmailEndToEnd(t *testing.T) {
	t.Parallel()
	smtpAddr := freeAddr(t)
	cfg := testConfig(t, 5, map[string]string{
		"REBOND_SMTP_ADDR": smtpAddr, "REBOND_SMTP_DOMAINS": "bounces.example.org",
		"REBOND_EMAIL_VERP_SECRET": "a-verp-secret-of-some-length", "REBOND_EMAIL_VERP_DOMAIN": "bounces.example.org",
	})
	in, sns := startWithSES(t, cfg)
	sentAt := time.Now().UTC().Add(-10 * time.Minute).Truncate(time.Second)
	in.do("POST", "/v1/events", []map[string]any{
		ev("sent", "m-dsn", "gone@example.net", "bounce-e2e", sentAt, ""),
		ev("sent", "m-ses", "nobody@example.org", "bounce-e2e", sentAt, ""),
		ev("sent", "m-ok", "fine@example.org", "bounce-e2e", sentAt, ""),
	}, nil)

	// The sender used a VERP return path; the bounce returns no headers
	// of the original, so only the envelope names the message.
	verp := email.VERP{Secret: []byte("a-verp-secret-of-some-length"), Domain: "bounces.example.org"}
	returnPath := verp.Address("m-dsn", "gone@example.net")
	dsn := strings.ReplaceAll(`From: Mail Delivery System <MAILER-DAEMON@mx.example.net>
To: `+returnPath+`
Subject: Undelivered Mail Returned to Sender
Date: `+time.Now().UTC().Format(time.RFC1123Z)+`
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="b1"

--b1
Content-Type: text/plain

This is the mail system at host mx.example.net. Your message could not be delivered.

--b1
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.net

Final-Recipient: rfc822; gone@example.net
Action: failed
Status: 5.1.1
Remote-MTA: dns; mail.example.net
Diagnostic-Code: smtp; 550 5.1.1 <gone@example.net>: Recipient address rejected: User unknown in local recipient table

--b1--
`, "\n", "\r\n")
	if err := smtp.SendMail(smtpAddr, nil, "", []string{returnPath}, []byte(dsn)); err != nil {
		t.Fatalf("send the bounce: %v", err)
	}
	if err := smtp.SendMail(smtpAddr, nil, "", []string{"someone@elsewhere.example"}, []byte(dsn)); err == nil {
		t.Error("the listener relayed mail for a foreign domain")
	}

	message, _ := json.Marshal(map[string]any{
		"notificationType": "Bounce",
		"bounce": map[string]any{"feedbackId": "fb-0001", "bounceType": "Permanent", "bounceSubType": "General",
			"timestamp": time.Now().UTC().Format(time.RFC3339), "bouncedRecipients": []map[string]any{{
				"emailAddress": "nobody@example.org", "action": "failed", "status": "5.1.1",
				"diagnosticCode": "smtp; 550 5.1.1 user unknown"}}},
		"mail": map[string]any{"messageId": "ses-0001", "timestamp": sentAt.Format(time.RFC3339), "source": "news@example.com",
			"destination": []string{"nobody@example.org"},
			"headers":     []map[string]string{{"name": "X-Rebond-Message-ID", "value": "m-ses"}}},
	})
	body := sns.notification(t, sesTopic, "sns-0001", string(message))
	for i := range 2 { // SNS delivers at least once
		resp, err := http.Post(in.base+"/v1/webhooks/ses", "text/plain", strings.NewReader(string(body)))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("SNS delivery %d: %d", i+1, resp.StatusCode)
		}
	}
	forged := strings.Replace(string(body), "nobody@example.org", "victim@example.org", 1)
	if resp, err := http.Post(in.base+"/v1/webhooks/ses", "text/plain", strings.NewReader(forged)); err != nil || resp.StatusCode != 401 {
		t.Fatalf("a forged notification: %v %v, want 401", resp.StatusCode, err)
	}

	in.waitApplied(5, 30*time.Second)
	time.Sleep(500 * time.Millisecond)
	if applied, pending := in.count(); applied != 5 || pending != 0 {
		t.Fatalf("%d applied, %d pending; want 3 sent + 1 DSN + 1 SES bounce", applied, pending)
	}
	var rates ratesResponse
	in.do("GET", "/v1/rates?channel=email&campaign=bounce-e2e", nil, &rates)
	if len(rates.Rows) != 1 || rates.Rows[0].Sent != 3 || rates.Rows[0].Hard != 2 {
		t.Fatalf("rates %+v, want sent=3 hard=2", rates.Rows)
	}
	for _, rcpt := range []string{"gone@example.net", "nobody@example.org"} {
		var view struct {
			State, Reason string
			History       []struct{ Rule string }
		}
		in.do("GET", "/v1/recipients/email/"+rcpt, nil, &view)
		if view.State != "quarantined" || view.Reason != "user_unknown" || len(view.History) == 0 || view.History[0].Rule == "" {
			t.Errorf("%s: %+v", rcpt, view)
		}
	}
}
