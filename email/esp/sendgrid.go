package esp

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/rebond/rebond/channels"
)

// SendGrid's signed event webhook headers (Twilio SendGrid docs, "Event
// Webhook Security Features"): an ECDSA P-256 signature, base64 DER, of
// SHA-256(timestamp + payload).
const (
	sendgridSignatureHeader = "X-Twilio-Email-Event-Webhook-Signature"
	sendgridTimestampHeader = "X-Twilio-Email-Event-Webhook-Timestamp"
)

// SendGridConfig configures the SendGrid adapter.
type SendGridConfig struct {
	// PublicKey is the verification key of the signed event webhook, base64
	// DER as the console shows it, or PEM. Required.
	PublicKey string
	// MaxAge bounds the age of the signed timestamp; zero is DefaultMaxAge.
	MaxAge time.Duration
	// Now is the clock timestamps are checked against; nil is time.Now.
	Now func() time.Time
}

// SendGrid is the Twilio SendGrid event webhook: a JSON array of events
// (Twilio SendGrid docs, "Event Webhook Reference").
type SendGrid struct {
	key    *ecdsa.PublicKey
	maxAge time.Duration
	now    func() time.Time
}

// NewSendGrid returns the SendGrid adapter; it fails on a missing or
// unreadable public key.
func NewSendGrid(cfg SendGridConfig) (*SendGrid, error) {
	key, err := parseECKey(cfg.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("sendgrid: public_key: %w", err)
	}
	return &SendGrid{key: key, maxAge: maxAgeOr(cfg.MaxAge), now: nowFunc(cfg.Now)}, nil
}

// parseECKey reads a P-256 public key, PEM or bare base64 DER
// (SubjectPublicKeyInfo).
func parseECKey(s string) (*ecdsa.PublicKey, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, errors.New("required")
	}
	var der []byte
	if block, _ := pem.Decode([]byte(s)); block != nil {
		der = block.Bytes
	} else {
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, errors.New("neither PEM nor base64")
		}
		der = b
	}
	pub, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, err
	}
	key, ok := pub.(*ecdsa.PublicKey)
	if !ok || key.Curve != elliptic.P256() {
		return nil, errors.New("not an ECDSA P-256 key")
	}
	return key, nil
}

// Handle verifies the signature over the raw body and decodes the batch.
func (h *SendGrid) Handle(r *http.Request, body []byte) (channels.WebhookResult, error) {
	sig, ts := r.Header.Get(sendgridSignatureHeader), r.Header.Get(sendgridTimestampHeader)
	if sig == "" || ts == "" {
		return channels.WebhookResult{}, channels.Unauthorized("sendgrid: no signature or timestamp header")
	}
	der, err := base64.StdEncoding.DecodeString(sig)
	if err != nil {
		return channels.WebhookResult{}, channels.Unauthorized("sendgrid: signature is not base64")
	}
	d := sha256.New()
	d.Write([]byte(ts))
	d.Write(body)
	if !ecdsa.VerifyASN1(h.key, d.Sum(nil), der) {
		return channels.WebhookResult{}, channels.Unauthorized("sendgrid: signature does not verify")
	}
	if err := checkTimestamp(ts, h.now(), h.maxAge); err != nil {
		return channels.WebhookResult{}, fmt.Errorf("sendgrid: %w", err)
	}
	events, err := decodeSendGrid(body)
	return channels.WebhookResult{Events: events}, err
}

// sendgridEvent holds the fields of an event webhook record rebond reads.
// Custom arguments arrive as top-level keys and are read apart.
type sendgridEvent struct {
	Email          string          `json:"email"`
	Timestamp      json.RawMessage `json:"timestamp"`
	Event          string          `json:"event"`
	EventID        string          `json:"sg_event_id"`
	MessageID      string          `json:"sg_message_id"`
	Reason         string          `json:"reason"`
	Status         string          `json:"status"`
	Response       string          `json:"response"`
	Type           string          `json:"type"`
	Classification string          `json:"bounce_classification"`
	Category       json.RawMessage `json:"category"`
}

// sendgridTypes maps delivery event names to event types; engagement
// events (open, click, unsubscribe, group_unsubscribe, group_resubscribe)
// and unknown ones give no event.
var sendgridTypes = map[string]channels.Type{
	"processed":  channels.Sent,
	"delivered":  channels.Delivered,
	"deferred":   channels.Deferred,
	"bounce":     channels.Failed,
	"dropped":    channels.Failed,
	"spamreport": channels.Complaint,
}

// decodeSendGrid reads a batch of SendGrid events.
func decodeSendGrid(body []byte) ([]channels.Event, error) {
	items, err := splitArray(ProviderSendGrid, body)
	if err != nil {
		return nil, err
	}
	var events []channels.Event
	for i, raw := range items {
		where := fmt.Sprintf("[%d]", i)
		var ev sendgridEvent
		var args map[string]json.RawMessage
		if err := decodeItem(ProviderSendGrid, where, raw, &ev); err != nil {
			return nil, err
		}
		typ, ok := sendgridTypes[ev.Event]
		if !ok {
			continue
		}
		_ = json.Unmarshal(raw, &args) // an object: decoded above
		n, err := sendgridNote(where, ev, args)
		if err != nil {
			return nil, err
		}
		n.typ, n.raw = typ, raw
		e, err := build(ProviderSendGrid, where, n)
		if err != nil {
			return nil, err
		}
		events = append(events, e)
	}
	return events, nil
}

// sendgridNote reads what a delivery event says.
func sendgridNote(where string, ev sendgridEvent, args map[string]json.RawMessage) (note, error) {
	at, err := eventTime(scalar(ev.Timestamp))
	if err != nil {
		return note{}, malformed(where, "timestamp", "neither Unix seconds nor RFC 3339")
	}
	n := note{
		// The event type joins the id: SendGrid's sample and test batches
		// give every type one sg_event_id, and an id is only known unique
		// per type.
		id: typedID(ev.Event, ev.EventID), recipient: ev.Email, rcptField: "email", at: at,
		messageID: firstOf(scalar(args[MessageIDKey]), sendgridMessageID(ev.MessageID)),
		campaign:  firstOf(scalar(args[CampaignKey]), firstScalar(ev.Category)),
	}
	switch ev.Event {
	case "delivered":
		n.diag = ev.Response
	case "deferred":
		n.tag, n.diag = "deferred", ev.Response
	case "bounce":
		// type says whether the receiver refused the address (bounce) or
		// the message (blocked).
		n.tag = strings.TrimSpace(firstOf(ev.Type, "bounce") + " " + ev.Classification)
		n.diag, n.status = ev.Reason, ev.Status
	case "dropped":
		// SendGrid did not send: reason names its suppression list
		// ("Bounced Address", "Unsubscribed Address", "Spam Reporting
		// Address", "Invalid") or another refusal of its own.
		n.tag = "dropped " + ev.Reason
	}
	return n, nil
}

// sendgridMessageID returns the X-Message-Id a send returned, the part of
// sg_message_id before ".filter" (SendGrid appends the filter node).
func sendgridMessageID(id string) string {
	if i := strings.Index(id, ".filter"); i > 0 {
		return id[:i]
	}
	return id
}
