package esp

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/rebond/rebond/channels"
)

// SESConfig configures the Amazon SES adapter.
type SESConfig struct {
	// TopicARNs lists the SNS topics accepted; required, as anyone can
	// create a topic, subscribe this endpoint and sign with SNS's key.
	TopicARNs []string
	// Certificates returns SNS signing certificates; nil fetches them over
	// HTTPS with HTTPClient and caches them.
	Certificates CertSource
	// HTTPClient fetches certificates and confirms subscriptions; nil is a
	// client with a 10 s timeout. Redirects are never followed.
	HTTPClient *http.Client
	// Now is the clock certificates are checked against; nil is time.Now.
	Now func() time.Time
}

// SES is the Amazon SES webhook: SES event publishing or feedback
// notifications delivered by an SNS HTTPS subscription
// (docs.aws.amazon.com/ses/latest/dg/event-publishing-retrieving-sns-contents.html,
// .../notification-contents.html). Raw message delivery must be off: only
// the SNS envelope carries a signature.
type SES struct {
	topics map[string]bool
	verify snsVerifier
	client *http.Client
}

// NewSES returns the SES adapter. It fails when no topic ARN is configured.
func NewSES(cfg SESConfig) (*SES, error) {
	if len(cfg.TopicARNs) == 0 {
		return nil, errors.New("ses: topic_arns: at least one SNS topic ARN is required")
	}
	h := &SES{topics: map[string]bool{}, client: snsClient(cfg.HTTPClient)}
	for _, arn := range cfg.TopicARNs {
		if !strings.HasPrefix(arn, "arn:") || strings.Count(arn, ":") != 5 {
			return nil, fmt.Errorf("ses: topic_arns: %q is not an SNS topic ARN (arn:aws:sns:region:account:name)", arn)
		}
		h.topics[arn] = true
	}
	h.verify = snsVerifier{certs: cfg.Certificates, now: nowFunc(cfg.Now)}
	if h.verify.certs == nil {
		h.verify.certs = newCertCache(h.client)
	}
	return h, nil
}

// Handle verifies the SNS signature and topic, confirms subscriptions (a
// GET of SubscribeURL, on an SNS host only) and decodes notifications.
func (h *SES) Handle(r *http.Request, body []byte) (channels.WebhookResult, error) {
	env, err := decodeSNS(body)
	if err != nil {
		return channels.WebhookResult{}, err
	}
	// SNS names the type in a header too; a mismatch is not SNS.
	if t := r.Header.Get("X-Amz-Sns-Message-Type"); t != "" && t != env.Type {
		return channels.WebhookResult{}, malformed("sns", "Type", fmt.Sprintf("%q but header x-amz-sns-message-type says %q", env.Type, truncate(t, 64)))
	}
	if !h.topics[env.TopicArn] {
		return channels.WebhookResult{}, channels.Unauthorized("sns: topic %q is not configured", truncate(env.TopicArn, 256))
	}
	if err := h.verify.verify(r.Context(), env); err != nil {
		return channels.WebhookResult{}, err
	}
	switch env.Type {
	case snsSubscribe:
		if err := checkSNSURL(env.SubscribeURL, false); err != nil {
			return channels.WebhookResult{}, malformed("sns", "SubscribeURL", err.Error())
		}
		// Any 2xx confirms (SNS API ConfirmSubscription); the answer's
		// content is not needed.
		if _, err := get(r.Context(), h.client, env.SubscribeURL, 64<<10); err != nil {
			return channels.WebhookResult{}, fmt.Errorf("sns: confirm subscription to %s: %w", env.TopicArn, err)
		}
		return channels.WebhookResult{}, nil
	case snsUnsubscribe:
		return channels.WebhookResult{}, nil
	}
	events, err := sesEvents(env, body)
	return channels.WebhookResult{Events: events}, err
}

// sesMessage is an SES notification (notificationType) or event
// publishing record (eventType); both shapes share the objects below.
type sesMessage struct {
	NotificationType string         `json:"notificationType"`
	EventType        string         `json:"eventType"`
	Mail             sesMail        `json:"mail"`
	Bounce           *sesBounce     `json:"bounce"`
	Complaint        *sesComplaint  `json:"complaint"`
	Delivery         *sesDelivery   `json:"delivery"`
	DeliveryDelay    *sesDelay      `json:"deliveryDelay"`
	Send             *struct{}      `json:"send"`
	Reject           *sesReject     `json:"reject"`
	Failure          *sesRenderFail `json:"failure"`
}

type sesMail struct {
	Timestamp   string              `json:"timestamp"`
	MessageID   string              `json:"messageId"`
	Destination []string            `json:"destination"`
	Headers     []sesHeader         `json:"headers"`
	Tags        map[string][]string `json:"tags"`
}

type sesHeader struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type sesRecipient struct {
	EmailAddress   string `json:"emailAddress"`
	Action         string `json:"action"`
	Status         string `json:"status"`
	DiagnosticCode string `json:"diagnosticCode"`
}

type sesBounce struct {
	BounceType        string         `json:"bounceType"`
	BounceSubType     string         `json:"bounceSubType"`
	BouncedRecipients []sesRecipient `json:"bouncedRecipients"`
	Timestamp         string         `json:"timestamp"`
	FeedbackID        string         `json:"feedbackId"`
}

type sesComplaint struct {
	ComplainedRecipients  []sesRecipient `json:"complainedRecipients"`
	ComplaintFeedbackType string         `json:"complaintFeedbackType"`
	ComplaintSubType      string         `json:"complaintSubType"`
	Timestamp             string         `json:"timestamp"`
	FeedbackID            string         `json:"feedbackId"`
}

type sesDelivery struct {
	Timestamp    string   `json:"timestamp"`
	Recipients   []string `json:"recipients"`
	SMTPResponse string   `json:"smtpResponse"`
}

type sesDelay struct {
	Timestamp         string         `json:"timestamp"`
	DelayType         string         `json:"delayType"`
	DelayedRecipients []sesRecipient `json:"delayedRecipients"`
}

type sesReject struct {
	Reason string `json:"reason"`
}

type sesRenderFail struct {
	ErrorMessage string `json:"errorMessage"`
}

// sesEvents decodes the SES message of a notification. raw is the whole
// SNS envelope: one SES event, kept verifiable for replays.
func sesEvents(env snsEnvelope, raw []byte) ([]channels.Event, error) {
	var m sesMessage
	if err := json.Unmarshal([]byte(env.Message), &m); err != nil {
		return nil, fmt.Errorf("ses Message: %w: %v", channels.ErrMalformed, err)
	}
	base := note{
		messageID: m.Mail.ourMessageID(),
		campaign:  m.Mail.tag(CampaignKey),
		raw:       raw,
		rcptField: "emailAddress",
	}
	var err error
	if base.at, err = parseTime("mail", "timestamp", m.Mail.Timestamp); err != nil {
		return nil, fmt.Errorf("ses: %w", err)
	}
	if base.at.IsZero() {
		base.at, _ = parseTime("", "", env.Timestamp) // checked by the signature only
	}
	// A stable id per fact, whatever topic or delivery brought it; SNS's
	// MessageId only when SES gives none.
	mailID := firstOf(m.Mail.MessageID, env.MessageID)
	kind := firstOf(m.EventType, m.NotificationType)
	switch {
	case kind == "Bounce" && m.Bounce != nil:
		return sesBounceEvents(base, mailID, m.Bounce)
	case kind == "Complaint" && m.Complaint != nil:
		return sesComplaintEvents(base, mailID, m.Complaint)
	case kind == "Delivery" && m.Delivery != nil:
		return sesDeliveryEvents(base, mailID, m.Delivery)
	case kind == "DeliveryDelay" && m.DeliveryDelay != nil:
		return sesDelayEvents(base, mailID, m.DeliveryDelay)
	case kind == "Send":
		base.typ, base.id = channels.Sent, mailID+"/send"
		return sesEach(base, "mail.destination", m.Mail.Destination)
	case kind == "Reject" && m.Reject != nil:
		base.typ, base.id = channels.Failed, mailID+"/reject"
		base.tag, base.diag = "reject", m.Reject.Reason
		return sesEach(base, "mail.destination", m.Mail.Destination)
	case kind == "Rendering Failure" && m.Failure != nil:
		base.typ, base.id = channels.Failed, mailID+"/rendering-failure"
		base.tag, base.diag = "rendering failure", m.Failure.ErrorMessage
		return sesEach(base, "mail.destination", m.Mail.Destination)
	case kind == "Bounce", kind == "Complaint", kind == "Delivery", kind == "DeliveryDelay", kind == "Reject", kind == "Rendering Failure":
		return nil, malformed("ses", kind, "the "+kind+" object is missing")
	case kind == "":
		return nil, malformed("ses", "eventType", "neither eventType nor notificationType is set")
	}
	// Open, Click, Subscription, AmazonSnsSubscriptionSucceeded: not
	// delivery facts.
	return nil, nil
}

func sesBounceEvents(n note, mailID string, b *sesBounce) ([]channels.Event, error) {
	n.typ, n.id = channels.Failed, firstOf(b.FeedbackID, mailID+"/bounce")
	n.tag = "bounce " + b.BounceType + "/" + b.BounceSubType
	if err := sesTime(&n, "bounce", b.Timestamp); err != nil {
		return nil, err
	}
	return sesRecipients(n, "bounce.bouncedRecipients", b.BouncedRecipients)
}

func sesComplaintEvents(n note, mailID string, c *sesComplaint) ([]channels.Event, error) {
	n.typ, n.id = channels.Complaint, firstOf(c.FeedbackID, mailID+"/complaint")
	n.tag = "complaint " + c.ComplaintFeedbackType
	if c.ComplaintSubType == "OnAccountSuppressionList" {
		// SES did not send: the address was on the account's suppression
		// list for complaints. Not a new complaint, a failure to classify.
		n.typ, n.tag = channels.Failed, "complaint OnAccountSuppressionList"
	}
	if err := sesTime(&n, "complaint", c.Timestamp); err != nil {
		return nil, err
	}
	return sesRecipients(n, "complaint.complainedRecipients", c.ComplainedRecipients)
}

func sesDeliveryEvents(n note, mailID string, d *sesDelivery) ([]channels.Event, error) {
	n.typ, n.id, n.diag = channels.Delivered, mailID+"/delivery", d.SMTPResponse
	if err := sesTime(&n, "delivery", d.Timestamp); err != nil {
		return nil, err
	}
	return sesEach(n, "delivery.recipients", d.Recipients)
}

func sesDelayEvents(n note, mailID string, d *sesDelay) ([]channels.Event, error) {
	// A recipient may be delayed several times: the time tells them apart.
	n.typ, n.id, n.tag = channels.Deferred, mailID+"/delay/"+d.Timestamp, "delay "+d.DelayType
	if err := sesTime(&n, "deliveryDelay", d.Timestamp); err != nil {
		return nil, err
	}
	return sesRecipients(n, "deliveryDelay.delayedRecipients", d.DelayedRecipients)
}

// sesTime sets n.at from the event object's timestamp, keeping the mail's
// when it has none.
func sesTime(n *note, obj, ts string) error {
	t, err := parseTime(obj, "timestamp", ts)
	if err != nil {
		return fmt.Errorf("ses: %w", err)
	}
	if !t.IsZero() {
		n.at = t
	}
	return nil
}

// sesRecipients gives one event per recipient object.
func sesRecipients(n note, field string, rs []sesRecipient) ([]channels.Event, error) {
	if len(rs) > maxRecipients {
		return nil, malformed("ses", field, fmt.Sprintf("more than %d recipients", maxRecipients))
	}
	events := make([]channels.Event, 0, len(rs))
	for i, r := range rs {
		n := n
		n.recipient, n.status, n.diag = r.EmailAddress, r.Status, firstOf(r.DiagnosticCode, n.diag)
		e, err := build(ProviderSES, fmt.Sprintf("%s[%d]", field, i), n)
		if err != nil {
			return nil, err
		}
		events = append(events, e)
	}
	return events, nil
}

// sesEach gives one event per address of a plain list (field names it).
func sesEach(n note, field string, addrs []string) ([]channels.Event, error) {
	if len(addrs) > maxRecipients {
		return nil, malformed("ses", field, fmt.Sprintf("more than %d recipients", maxRecipients))
	}
	rs := make([]sesRecipient, len(addrs))
	for i, a := range addrs {
		rs[i] = sesRecipient{EmailAddress: a}
	}
	n.rcptField = ""
	return sesRecipients(n, field, rs)
}

// ourMessageID returns the sender's id from the X-Rebond-Message-ID header
// or the rebond_message_id tag, else SES's message id. SES echoes headers
// only when the configuration set or identity asks for them.
func (m sesMail) ourMessageID() string {
	for _, h := range m.Headers {
		if strings.EqualFold(h.Name, MessageIDHeader) && strings.TrimSpace(h.Value) != "" {
			return h.Value
		}
	}
	return firstOf(m.tag(MessageIDKey), m.MessageID)
}

// tag returns the first value of an SES message tag.
func (m sesMail) tag(name string) string {
	if v := m.Tags[name]; len(v) > 0 {
		return v[0]
	}
	return ""
}
