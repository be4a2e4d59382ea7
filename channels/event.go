package channels

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"time"
)

// SchemaVersion is the version of the event JSON schema this build writes and
// the highest one it reads.
const SchemaVersion = 1

// Channel is the medium a message travelled through.
type Channel string

// The channels rebond knows.
const (
	Email Channel = "email"
	SMS   Channel = "sms"
)

// Valid reports whether c is a channel rebond knows.
func (c Channel) Valid() bool { return c == Email || c == SMS }

// Subject is the NATS subject events of this channel are published on.
func (c Channel) Subject() string { return "rebond.events." + string(c) }

// Type says what a producer observed about a message.
type Type string

// The event types of schema version 1.
const (
	// Sent: the sender handed the message to the next hop (submit_sm_resp,
	// 250 after DATA, provider accepted). It is the denominator of every rate.
	Sent Type = "sent"
	// Delivered: the recipient's server or handset accepted the message.
	Delivered Type = "delivered"
	// Failed: a rejection, synchronous (SMTP reply) or asynchronous (DSN,
	// receipt). Whether it is hard or soft is the classifier's decision.
	Failed Type = "failed"
	// Deferred: a temporary failure the sender will retry by itself.
	Deferred Type = "deferred"
	// Complaint: the recipient reported the message as unwanted (ARF).
	Complaint Type = "complaint"
)

// Valid reports whether t is an event type of the current schema.
func (t Type) Valid() bool {
	switch t {
	case Sent, Delivered, Failed, Deferred, Complaint, OptOut, OptIn, Inbound:
		return true
	}
	return false
}

// SMTPReply holds what an SMTP reply or a DSN said: the basic reply code
// (RFC 5321 section 4.2), the enhanced status code (RFC 3463, "5.1.1") and
// the diagnostic text.
type SMTPReply struct {
	Code   int    `json:"code,omitempty"`
	Status string `json:"status,omitempty"`
	Text   string `json:"text,omitempty"`
}

// SMSReceipt holds what an SMS delivery receipt said. Stat and Err are the
// SMPP 3.4 Appendix B receipt fields; Dialect names the err: code table of
// the connection the receipt came from (err values are vendor-specific);
// NetworkError is the network_error_code TLV (SMPP 3.4 section 5.3.2.31) as
// six lowercase hex digits, type octet then code; MessageState is the
// message_state TLV (section 5.3.2.35). SMSCID is the SMSC's id for the
// message when the event's MessageID is another (the sender's own id, which
// a gateway such as Kannel or Jasmin echoes from the callback URL the
// sender wrote): the second key an operator can search a receipt by.
type SMSReceipt struct {
	Stat         string `json:"stat,omitempty"`
	Err          string `json:"err,omitempty"`
	Dialect      string `json:"dialect,omitempty"`
	NetworkError string `json:"network_error,omitempty"`
	MessageState *int   `json:"message_state,omitempty"`
	SMSCID       string `json:"smsc_id,omitempty"`
	MCCMNC       string `json:"mcc_mnc,omitempty"`
}

// Event is one delivery-status fact, the unit every ingestion path produces
// and every worker consumes. JSON field names are part of rebond's public
// API: external senders publish them straight onto NATS.
type Event struct {
	// Schema is the schema version; 0 on input means SchemaVersion.
	Schema int `json:"schema,omitempty"`
	// ID identifies the fact within its tenant; see DeriveID for events
	// that arrive without, and Key for its identity across tenants.
	ID string `json:"id,omitempty"`
	// Tenant owns the fact: its recipients, messages, rules and reports are
	// the tenant's alone. Empty means DefaultTenant (kept empty on the wire
	// so that ids derived before tenants existed stay the same).
	Tenant  string  `json:"tenant,omitempty"`
	Channel Channel `json:"channel"`
	Type    Type    `json:"type"`
	// MessageID is the sender's id for the message (or the SMSC id for SMS);
	// it joins failures to their send for rates and retries.
	MessageID string `json:"message_id,omitempty"`
	// Recipient is an email address or an E.164 number, normalized by
	// NormalizeRecipient.
	Recipient string `json:"recipient"`
	Campaign  string `json:"campaign,omitempty"`
	// Country is the SMS recipient's country (ISO 3166-1 alpha-2, "GB")
	// when the producer or the gateway says it; empty, the apply derives
	// it from the number (see Network). Optional and omitted when empty,
	// so events without it keep their derived ids.
	Country string `json:"country,omitempty"`
	// OccurredAt is when the fact happened at its source (RFC 3339).
	OccurredAt time.Time `json:"occurred_at"`
	// Sync is true for a reply received during the SMTP transaction or the
	// submit_sm exchange, false for anything reported afterwards.
	Sync     bool        `json:"sync,omitempty"`
	Provider string      `json:"provider,omitempty"`
	SMTP     *SMTPReply  `json:"smtp,omitempty"`
	SMS      *SMSReceipt `json:"sms,omitempty"`
	// Raw is the source payload exactly as it arrived (a bounce mail, a
	// receipt text, a webhook body); kept for audits and replays.
	Raw string `json:"raw,omitempty"`
	// Unverified marks a fact no authenticated party vouches for: rebond's
	// bounce listener sets it on a bounce or complaint mail whose VERP
	// token and signed header (X-Rebond-Signature) both failed to verify
	// for its recipient. Such an event is classified, stored and counted
	// as unverified, but changes no message, recipient, retry or incident
	// unless it joins a message the tenant sent to that recipient
	// (lifecycle.JoinsSend). False, the default, is the producer's own
	// word: an authenticated API token, a signed webhook, a NATS publisher.
	Unverified bool `json:"unverified,omitempty"`
	// Consent is set on consent events (OptOut, OptIn, Inbound) only: the
	// scope, source and keyword of what the recipient said.
	Consent *Consent `json:"consent,omitempty"`
}

// DefaultTenant is the tenant of events, tokens and data that name none:
// a single-tenant installation never sees another.
const DefaultTenant = "default"

// TenantName returns the tenant e belongs to, DefaultTenant when unset.
func (e Event) TenantName() string {
	if e.Tenant == "" {
		return DefaultTenant
	}
	return e.Tenant
}

// keyMark starts the keys of events of a named tenant. Event ids may not
// start with it (Normalize), so no id of one tenant can equal the key of
// another tenant's event: a tenant cannot pre-empt another's events by
// guessing their ids.
const keyMark = "~"

// Key is the event's identity across tenants: its id in the default
// tenant (so keys from before tenants existed are unchanged), and
// "~<tenant>~<id>" in any other. The store's events table, the inbox,
// the apply tasks and JetStream's de-duplication (Nats-Msg-Id) all use it.
func (e Event) Key() string {
	if e.Tenant == "" || e.Tenant == DefaultTenant {
		return e.ID
	}
	return keyMark + e.Tenant + keyMark + e.ID
}

// SplitKey returns the tenant and the id of a key made by Key.
func SplitKey(key string) (tenant, id string) {
	if rest, ok := strings.CutPrefix(key, keyMark); ok {
		if t, id, ok := strings.Cut(rest, keyMark); ok {
			return t, id
		}
	}
	return DefaultTenant, key
}

// ValidTenant reports whether name can name a tenant: 1 to 63 lower-case
// letters, digits, '-' or '_', starting with a letter or digit (so it
// fits in a key, a URL query and a metrics label unescaped).
func ValidTenant(name string) bool {
	if name == "" || len(name) > 63 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		ok := c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || i > 0 && (c == '-' || c == '_')
		if !ok {
			return false
		}
	}
	return true
}

// DeriveID returns the deterministic id of e's content: the same channel,
// type, message, recipient, time and diagnostics give the same id, whatever
// path the event took and however its JSON was spaced. ID and Raw do not take
// part, so re-encoding a payload does not change the identity of the fact.
func DeriveID(e Event) string {
	e.ID, e.Raw, e.Schema = "", "", 0
	e.OccurredAt = e.OccurredAt.UTC()
	b, err := json.Marshal(e)
	if err != nil {
		// Event holds only strings, ints, bools and a time: Marshal cannot
		// fail on it. Keep a defined result anyway.
		b = []byte(e.Recipient + e.MessageID)
	}
	sum := sha256.Sum256(b)
	return "ev_" + hex.EncodeToString(sum[:16])
}
