package esp

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/rebond/rebond/channels"
)

// sparkpostTokenHeader carries a webhook's auth_token (SparkPost API,
// "Webhooks": auth_token "presented in the X-MessageSystems-Webhook-Token
// header of POST requests").
const sparkpostTokenHeader = "X-MessageSystems-Webhook-Token"

// SparkPostConfig configures the SparkPost adapter: the webhook's auth
// token, or its basic auth credentials (auth_type "basic"), or both; every
// one configured must match.
type SparkPostConfig struct {
	// Token is the webhook's auth_token.
	Token string
	// Username and Password are the webhook's basic auth credentials.
	Username string
	Password string
}

// SparkPost is the SparkPost (Bird) event webhook: a JSON array of
// {"msys": {"<class>_event": {...}}} (SparkPost API, "Events" and
// "Webhooks").
type SparkPost struct {
	cfg SparkPostConfig
}

// NewSparkPost returns the SparkPost adapter; it needs a token or a user
// name and password.
func NewSparkPost(cfg SparkPostConfig) (*SparkPost, error) {
	basic := cfg.Username != "" || cfg.Password != ""
	switch {
	case cfg.Token == "" && !basic:
		return nil, errors.New("sparkpost: token, or username and password: required")
	case basic && (cfg.Username == "" || cfg.Password == ""):
		return nil, errors.New("sparkpost: username and password: both required for basic auth")
	}
	return &SparkPost{cfg: cfg}, nil
}

// Handle checks the configured secrets and decodes the batch.
func (h *SparkPost) Handle(r *http.Request, body []byte) (channels.WebhookResult, error) {
	if err := h.AuthenticateHeaders(r); err != nil {
		return channels.WebhookResult{}, err
	}
	events, err := decodeSparkPost(body)
	return channels.WebhookResult{Events: events}, err
}

// sparkpostEvent holds the fields of a message_event or gen_event rebond
// reads.
type sparkpostEvent struct {
	Type        string                     `json:"type"`
	EventID     string                     `json:"event_id"`
	MessageID   string                     `json:"message_id"`
	CampaignID  string                     `json:"campaign_id"`
	RcptTo      string                     `json:"rcpt_to"`
	RawRcptTo   string                     `json:"raw_rcpt_to"`
	Timestamp   json.RawMessage            `json:"timestamp"`
	BounceClass json.RawMessage            `json:"bounce_class"`
	RawReason   string                     `json:"raw_reason"`
	Reason      string                     `json:"reason"`
	ErrorCode   json.RawMessage            `json:"error_code"`
	RcptMeta    map[string]json.RawMessage `json:"rcpt_meta"`
}

// sparkpostTypes maps event types to event types; the tag says whether the
// type is tagged with its bounce class. Engagement (track_event),
// unsubscribe, relay, A/B test and SMS events give no event.
var sparkpostTypes = map[string]struct {
	typ channels.Type
	tag bool
}{
	"injection":            {channels.Sent, false},
	"delivery":             {channels.Delivered, false},
	"delay":                {channels.Deferred, true},
	"bounce":               {channels.Failed, true},
	"out_of_band":          {channels.Failed, true},
	"policy_rejection":     {channels.Failed, true},
	"spam_complaint":       {channels.Complaint, false},
	"generation_failure":   {channels.Failed, false},
	"generation_rejection": {channels.Failed, false},
}

// decodeSparkPost reads a batch of SparkPost events.
func decodeSparkPost(body []byte) ([]channels.Event, error) {
	items, err := splitArray(ProviderSparkPost, body)
	if err != nil {
		return nil, err
	}
	var events []channels.Event
	for i, raw := range items {
		where := fmt.Sprintf("[%d]", i)
		var item struct {
			Msys struct {
				Message *sparkpostEvent `json:"message_event"`
				Gen     *sparkpostEvent `json:"gen_event"`
			} `json:"msys"`
		}
		if err := decodeItem(ProviderSparkPost, where, raw, &item); err != nil {
			return nil, err
		}
		ev := item.Msys.Message
		if ev == nil {
			ev = item.Msys.Gen
		}
		if ev == nil {
			continue
		}
		n, ok, err := sparkpostNote(where, *ev)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		n.raw = raw
		e, err := build(ProviderSparkPost, where, n)
		if err != nil {
			return nil, err
		}
		events = append(events, e)
	}
	return events, nil
}

// sparkpostNote reads what an event says; ok is false for events that are
// not delivery facts.
func sparkpostNote(where string, ev sparkpostEvent) (note, bool, error) {
	kind, known := sparkpostTypes[ev.Type]
	if !known {
		return note{}, false, nil
	}
	class := scalar(ev.BounceClass)
	// Bounce classes 80 and 90 are subscribe and unsubscribe requests
	// mailed to the bounce address, not delivery failures (SparkPost,
	// "Bounce classification codes").
	if class == "80" || class == "90" {
		return note{}, false, nil
	}
	at, err := sparkpostTime(scalar(ev.Timestamp))
	if err != nil {
		return note{}, false, malformed(where, "timestamp", "neither Unix seconds nor RFC 3339")
	}
	n := note{
		typ: kind.typ, id: ev.EventID, at: at,
		recipient: firstOf(ev.RcptTo, ev.RawRcptTo), rcptField: "rcpt_to",
		messageID: firstOf(scalar(ev.RcptMeta[MessageIDKey]), ev.MessageID),
		campaign:  firstOf(scalar(ev.RcptMeta[CampaignKey]), ev.CampaignID),
		diag:      firstOf(ev.RawReason, ev.Reason),
	}
	if kind.tag {
		n.tag = ev.Type
		if class != "" {
			n.tag += " class " + class
		}
	} else if kind.typ == channels.Failed {
		n.tag = ev.Type
	}
	if c, err := strconv.Atoi(scalar(ev.ErrorCode)); err == nil && validCode(c) {
		n.code = c
	}
	return n, true, nil
}

// sparkpostTime reads a timestamp: Unix seconds as a string (the documented
// form) or RFC 3339.
func sparkpostTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := parseUnix(s); err == nil {
		return t, nil
	}
	return time.Parse(time.RFC3339Nano, s)
}

// AuthenticateHeaders checks the token header and the basic auth
// credentials, which are all SparkPost sends
// (channels.HeaderAuthenticator).
func (h *SparkPost) AuthenticateHeaders(r *http.Request) error {
	if h.cfg.Token != "" && !equalSecret(r.Header.Get(sparkpostTokenHeader), h.cfg.Token) {
		return channels.Unauthorized("sparkpost: %s does not match", sparkpostTokenHeader)
	}
	if h.cfg.Username != "" {
		if err := checkBasicAuth(r, h.cfg.Username, h.cfg.Password); err != nil {
			return fmt.Errorf("sparkpost: %w", err)
		}
	}
	return nil
}
