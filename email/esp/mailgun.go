package esp

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/rebond/rebond/channels"
)

// MailgunConfig configures the Mailgun adapter.
type MailgunConfig struct {
	// SigningKey is the HTTP webhook signing key. Required.
	SigningKey string
	// MaxAge bounds the age of the signed timestamp; zero is DefaultMaxAge.
	MaxAge time.Duration
	// Now is the clock timestamps are checked against; nil is time.Now.
	Now func() time.Time
	// ReplayCacheSize bounds the signature tokens remembered against
	// replays; zero is DefaultReplayCacheSize.
	ReplayCacheSize int
}

// Mailgun is the Mailgun webhook (JSON body with "signature" and
// "event-data"; Mailgun docs, "Webhooks" and "Events").
type Mailgun struct {
	key    []byte
	maxAge time.Duration
	now    func() time.Time
	seen   *replayCache
}

// NewMailgun returns the Mailgun adapter; it fails without a signing key.
func NewMailgun(cfg MailgunConfig) (*Mailgun, error) {
	if strings.TrimSpace(cfg.SigningKey) == "" {
		return nil, errors.New("mailgun: signing_key: required")
	}
	return &Mailgun{key: []byte(cfg.SigningKey), maxAge: maxAgeOr(cfg.MaxAge), now: nowFunc(cfg.Now),
		seen: newReplayCache(cfg.ReplayCacheSize)}, nil
}

// mailgunPayload is a webhook body.
type mailgunPayload struct {
	Signature *struct {
		Timestamp string `json:"timestamp"`
		Token     string `json:"token"`
		Signature string `json:"signature"`
	} `json:"signature"`
	EventData json.RawMessage `json:"event-data"`
}

// Handle verifies the signature, hex HMAC-SHA256(signing key, timestamp +
// token), and the timestamp's age, then decodes the event. The signature
// does not cover the event data, so Handle also remembers each token with
// a hash of its event data for the timestamp window (replayCache): the
// same token with other data is refused as a replay, and the same
// delivery again (a provider retry) is accepted, its event ids making it
// count once.
func (h *Mailgun) Handle(r *http.Request, body []byte) (channels.WebhookResult, error) {
	var p mailgunPayload
	if err := json.Unmarshal(body, &p); err != nil {
		return channels.WebhookResult{}, fmt.Errorf("mailgun: %w: %v", channels.ErrMalformed, err)
	}
	if p.Signature == nil || p.Signature.Signature == "" || p.Signature.Token == "" || p.Signature.Timestamp == "" {
		return channels.WebhookResult{}, channels.Unauthorized("mailgun: no signature")
	}
	got, err := hex.DecodeString(p.Signature.Signature)
	if err != nil {
		return channels.WebhookResult{}, channels.Unauthorized("mailgun: signature is not hex")
	}
	mac := hmac.New(sha256.New, h.key)
	mac.Write([]byte(p.Signature.Timestamp + p.Signature.Token))
	if !hmac.Equal(got, mac.Sum(nil)) {
		return channels.WebhookResult{}, channels.Unauthorized("mailgun: signature does not verify")
	}
	if err := checkTimestamp(p.Signature.Timestamp, h.now(), h.maxAge); err != nil {
		return channels.WebhookResult{}, fmt.Errorf("mailgun: %w", err)
	}
	if err := h.seen.check(p.Signature.Token, p.EventData, h.now(), h.maxAge+maxSkew); err != nil {
		return channels.WebhookResult{}, fmt.Errorf("mailgun: %w", err)
	}
	events, err := decodeMailgunEvent(p.EventData, body)
	return channels.WebhookResult{Events: events}, err
}

// mailgunEvent holds the event-data fields rebond reads.
type mailgunEvent struct {
	ID        string                     `json:"id"`
	Event     string                     `json:"event"`
	Timestamp json.RawMessage            `json:"timestamp"`
	Severity  string                     `json:"severity"`
	Reason    string                     `json:"reason"`
	Recipient string                     `json:"recipient"`
	Tags      []string                   `json:"tags"`
	UserVars  map[string]json.RawMessage `json:"user-variables"`
	Message   struct {
		Headers struct {
			MessageID string `json:"message-id"`
		} `json:"headers"`
	} `json:"message"`
	DeliveryStatus struct {
		Code         json.RawMessage `json:"code"`
		Message      string          `json:"message"`
		Description  string          `json:"description"`
		EnhancedCode string          `json:"enhanced-code"`
	} `json:"delivery-status"`
}

// decodeMailgun reads a webhook body without checking its signature.
func decodeMailgun(body []byte) ([]channels.Event, error) {
	var p mailgunPayload
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, fmt.Errorf("mailgun: %w: %v", channels.ErrMalformed, err)
	}
	return decodeMailgunEvent(p.EventData, body)
}

// decodeMailgunEvent reads event-data; raw is the whole body (one event).
func decodeMailgunEvent(data json.RawMessage, raw []byte) ([]channels.Event, error) {
	if len(data) == 0 {
		return nil, malformed("mailgun", "event-data", "required")
	}
	var ev mailgunEvent
	if err := decodeItem(ProviderMailgun, "event-data", data, &ev); err != nil {
		return nil, err
	}
	n, ok, err := mailgunNote(ev)
	if err != nil || !ok {
		return nil, err
	}
	n.raw = raw
	e, err := build(ProviderMailgun, "event-data", n)
	if err != nil {
		return nil, err
	}
	return []channels.Event{e}, nil
}

// mailgunNote reads what a delivery event says; ok is false for events
// that are not delivery facts (opened, clicked, unsubscribed, stored...).
func mailgunNote(ev mailgunEvent) (n note, ok bool, err error) {
	at, err := parseUnix(strings.Trim(string(ev.Timestamp), `"`))
	if err != nil {
		return note{}, false, malformed("event-data", "timestamp", "not Unix seconds")
	}
	n = note{
		id: ev.ID, recipient: ev.Recipient, rcptField: "recipient", at: at,
		messageID: firstOf(scalar(ev.UserVars[MessageIDKey]), ev.Message.Headers.MessageID),
		campaign:  firstOf(scalar(ev.UserVars[CampaignKey]), first(ev.Tags)),
	}
	ds := ev.DeliveryStatus
	code, _ := strconv.Atoi(scalar(ds.Code))
	n.code, n.status = code, ds.EnhancedCode
	n.diag = firstOf(ds.Message, ds.Description)
	switch ev.Event {
	case "accepted":
		n.typ, n.code, n.status, n.diag = channels.Sent, 0, "", ""
	case "delivered":
		n.typ = channels.Delivered
	case "complained":
		n.typ, n.code, n.status, n.diag = channels.Complaint, 0, "", ""
	case "failed":
		n.typ = channels.Failed
		// Mailgun retries temporary failures itself; "old" means it gave
		// up retrying, which is final.
		if ev.Severity == "temporary" && ev.Reason != "old" {
			n.typ = channels.Deferred
		}
		// Codes of Mailgun's own (605 previously bounced, 606
		// unsubscribed, 607 complained) are not SMTP replies: tag them.
		n.tag = strings.Join(nonEmpty("failed", ev.Severity, ev.Reason, mailgunOwnCode(code)), " ")
	default:
		return note{}, false, nil
	}
	return n, true, nil
}

// mailgunOwnCode returns a delivery-status code that is not an SMTP reply
// code as text, "" otherwise.
func mailgunOwnCode(code int) string {
	if code == 0 || validCode(code) {
		return ""
	}
	return strconv.Itoa(code)
}

func first(ss []string) string {
	if len(ss) == 0 {
		return ""
	}
	return ss[0]
}

func nonEmpty(ss ...string) []string {
	out := ss[:0:0]
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}
