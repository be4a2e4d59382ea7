package esp

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/rebond/rebond/channels"
)

// PostmarkConfig configures the Postmark adapter. Postmark authenticates
// webhooks with HTTP basic auth credentials written in the webhook URL
// (Postmark docs, "Webhooks overview": "Protecting your webhooks").
type PostmarkConfig struct {
	// Username and Password are the credentials of the webhook URL
	// (https://user:password@host/v1/webhooks/postmark). Both required.
	Username string
	Password string
}

// Postmark is the Postmark webhook: one JSON record per call, RecordType
// Bounce, SpamComplaint or Delivery (Postmark docs, "Bounce webhook",
// "Spam complaint webhook", "Delivery webhook").
type Postmark struct {
	user, pass string
}

// NewPostmark returns the Postmark adapter; both credentials are required.
func NewPostmark(cfg PostmarkConfig) (*Postmark, error) {
	if cfg.Username == "" || cfg.Password == "" {
		return nil, errors.New("postmark: username and password: required (basic auth in the webhook URL)")
	}
	return &Postmark{user: cfg.Username, pass: cfg.Password}, nil
}

// Handle checks the basic auth credentials and decodes the record.
// AuthenticateHeaders checks the basic auth credentials, which are all
// Postmark sends (channels.HeaderAuthenticator).
func (h *Postmark) AuthenticateHeaders(r *http.Request) error {
	if err := checkBasicAuth(r, h.user, h.pass); err != nil {
		return fmt.Errorf("postmark: %w", err)
	}
	return nil
}

func (h *Postmark) Handle(r *http.Request, body []byte) (channels.WebhookResult, error) {
	if err := checkBasicAuth(r, h.user, h.pass); err != nil {
		return channels.WebhookResult{}, fmt.Errorf("postmark: %w", err)
	}
	events, err := decodePostmark(body)
	return channels.WebhookResult{Events: events}, err
}

// postmarkRecord holds the fields of a webhook record rebond reads. ID is
// a 64-bit number, kept as its text.
type postmarkRecord struct {
	RecordType  string                     `json:"RecordType"`
	ID          json.Number                `json:"ID"`
	Type        string                     `json:"Type"`
	TypeCode    json.Number                `json:"TypeCode"`
	MessageID   string                     `json:"MessageID"`
	Tag         string                     `json:"Tag"`
	Metadata    map[string]json.RawMessage `json:"Metadata"`
	Details     string                     `json:"Details"`
	Email       string                     `json:"Email"`
	Recipient   string                     `json:"Recipient"`
	BouncedAt   string                     `json:"BouncedAt"`
	DeliveredAt string                     `json:"DeliveredAt"`
	Inactive    bool                       `json:"Inactive"`
}

// postmarkIgnored lists bounce types that are not delivery failures:
// list requests, address-change notices, relay tests, challenges and
// inbound errors (Postmark docs, "Bounce types").
var postmarkIgnored = map[string]bool{
	"Unsubscribe": true, "Subscribe": true, "AddressChange": true,
	"OpenRelayTest": true, "ChallengeVerification": true, "InboundError": true,
}

// decodePostmark reads one webhook record.
func decodePostmark(body []byte) ([]channels.Event, error) {
	var rec postmarkRecord
	if err := decodeItem(ProviderPostmark, "record", body, &rec); err != nil {
		return nil, err
	}
	n := note{
		recipient: firstOf(rec.Email, rec.Recipient), rcptField: "Email",
		messageID: firstOf(scalar(rec.Metadata[MessageIDKey]), rec.MessageID),
		campaign:  firstOf(scalar(rec.Metadata[CampaignKey]), rec.Tag),
		raw:       body,
	}
	var err error
	switch rec.RecordType {
	case "Delivery":
		// A delivery has no record id; the message has one delivery.
		n.typ, n.diag, n.rcptField = channels.Delivered, rec.Details, "Recipient"
		if rec.MessageID != "" {
			n.id = "delivery/" + rec.MessageID
		}
		n.at, err = parseTime("", "DeliveredAt", rec.DeliveredAt)
	case "SpamComplaint":
		n.typ, n.id = channels.Complaint, rec.ID.String()
		n.at, err = parseTime("", "BouncedAt", rec.BouncedAt)
	case "Bounce":
		if postmarkIgnored[rec.Type] {
			return nil, nil
		}
		n.typ, n.id = postmarkType(rec.Type), rec.ID.String()
		n.tag = rec.Type + " " + rec.TypeCode.String()
		if rec.Inactive {
			n.tag += " inactive"
		}
		// Details is the remote server's answer. Description is the bounce
		// type's generic text ("ex: mailbox full"), which text rules would
		// misread as this bounce's diagnostic.
		n.diag = rec.Details
		n.at, err = parseTime("", "BouncedAt", rec.BouncedAt)
	case "":
		return nil, malformed("", "RecordType", "required")
	default: // Open, Click, SubscriptionChange
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("postmark: %w", err)
	}
	e, err := build(ProviderPostmark, "", n)
	if err != nil {
		return nil, err
	}
	return []channels.Event{e}, nil
}

// postmarkType maps a bounce type to an event type: SpamComplaint is a
// complaint, Transient ("message delayed") is a deferral Postmark retries,
// every other bounce a failure for the rules to classify.
func postmarkType(t string) channels.Type {
	switch t {
	case "SpamComplaint":
		return channels.Complaint
	case "Transient":
		return channels.Deferred
	}
	return channels.Failed
}
