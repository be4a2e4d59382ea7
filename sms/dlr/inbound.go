package dlr

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/rebond/rebond/channels"
	numbers "github.com/rebond/rebond/channels/phone"
	"github.com/rebond/rebond/sms"
)

// InboundPath is the path, under a webhook's own (/v1/webhooks/{name}),
// where its provider posts mobile-originated messages: the same
// configuration and credentials, another URL, so a delivery report and
// a subscriber's "STOP" are never mistaken for one another.
const InboundPath = "/inbound"

// NewInbound returns the inbound adapter of provider: the
// mobile-originated messages (MO: a subscriber's reply) its gateway
// posts, each made a consent event by kw (sms.Keywords; nil: every
// message is inbound, no keyword read) for tenant: opt_out for "STOP",
// opt_in for "START", inbound otherwise (sms.MO.Event). It takes the
// configuration of the provider's delivery-report webhook (New) and
// authenticates the same way; Twilio and Plivo sign the URL they call,
// which is cfg.URL with InboundPath appended. The answer is what each
// provider wants: Twilio and Plivo an empty XML <Response/> (reply with
// nothing), Jasmin "ACK/Jasmin", Kannel an empty body (an sms-service
// sends its answer back to the subscriber as an SMS), the others the
// default JSON. A message from no phone number (an alphanumeric sender)
// is accepted, kept as unusable (channels.WebhookResult.Unusable), and
// gives no event.
func NewInbound(provider string, cfg Config, kw *sms.Keywords, tenant string) (channels.Webhook, error) {
	if provider == ProviderTwilio || provider == ProviderPlivo {
		u, err := inboundURL(cfg.URL)
		if err != nil {
			return nil, fmt.Errorf("%s webhook: url: %w", provider, err)
		}
		cfg.URL = u
	}
	w, err := newAdapter(provider, cfg)
	if err != nil {
		return nil, err
	}
	read := moReaders[provider]
	in := *w
	in.format, in.recipientParam, in.required = "", false, read.required
	in.answer, in.answerType = read.answer, read.answerType
	in.parse = func(c *callback) ([]channels.Event, error) {
		mos, err := read.parse(c)
		if err != nil {
			return nil, err
		}
		return moEvents(mos, c, kw, tenant, w.region)
	}
	return &in, nil
}

// inboundURL is the public URL with InboundPath appended to its path.
func inboundURL(public string) (string, error) {
	if public == "" {
		return "", nil
	}
	u, err := url.Parse(public)
	if err != nil {
		return "", err
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + InboundPath
	u.RawPath = ""
	return u.String(), nil
}

// moReader is one provider's reading of its MO requests.
type moReader struct {
	parse    func(c *callback) ([]sms.MO, error)
	required []string // see Webhook.required
	// answer and answerType are the success answer (see
	// Webhook.answer).
	answer, answerType string
}

// twiml is the TwiML (and Plivo XML) answer that replies nothing.
const twiml = `<?xml version="1.0" encoding="UTF-8"?><Response/>`

// moReaders are the providers' MO readers, each in its provider's file.
var moReaders = map[string]moReader{
	ProviderTwilio: {parse: func(c *callback) ([]sms.MO, error) { return oneMO(ParseTwilioMO(c.params)) },
		required: []string{"From", "MessageSid|SmsMessageSid|SmsSid"}, answer: twiml, answerType: "text/xml; charset=utf-8"},
	ProviderPlivo: {parse: func(c *callback) ([]sms.MO, error) { return oneMO(ParsePlivoMO(c.params)) },
		required: []string{"From", "MessageUUID"}, answer: twiml, answerType: "text/xml; charset=utf-8"},
	ProviderVonage: {parse: func(c *callback) ([]sms.MO, error) {
		if c.json {
			return oneMO(ParseVonageMO(jsonParams(c.body)))
		}
		return oneMO(ParseVonageMO(c.params))
	}, required: []string{"msisdn|from"}},
	ProviderInfobip: {parse: parseInfobipMOCallback, required: []string{"results"}},
	ProviderSinch:   {parse: func(c *callback) ([]sms.MO, error) { return oneMO(ParseSinchMO(c.body)) }, required: []string{"from"}},
	ProviderKannel: {parse: func(c *callback) ([]sms.MO, error) { return oneMO(ParseKannelMO(c.params)) },
		required: []string{"from"}, answerType: "text/plain; charset=utf-8"},
	ProviderJasmin: {parse: func(c *callback) ([]sms.MO, error) { return oneMO(ParseJasminMO(c.params)) },
		required: []string{"from", "id"}, answer: "ACK/Jasmin"},
}

func oneMO(m sms.MO, err error) ([]sms.MO, error) {
	if err != nil {
		return nil, err
	}
	return []sms.MO{m}, nil
}

// errNoSender is why an MO from no phone number gives no event: nothing
// can be opted out or in by it.
var errNoSender = errors.New("a mobile-originated message from no phone number")

// moEvents makes the events of mos. A message whose sender is no number
// in region gives none: it is left out, and the error (errNoSender) says
// so beside the events of the others, for the request to be kept as
// unusable.
func moEvents(mos []sms.MO, c *callback, kw *sms.Keywords, tenant, region string) ([]channels.Event, error) {
	evs := make([]channels.Event, 0, len(mos))
	var skipped []string
	for _, m := range mos {
		if _, err := numbers.E164(m.From, region); err != nil {
			skipped = append(skipped, fmt.Sprintf("%q", truncate(m.From, 32)))
			continue
		}
		if err := sms.CheckID("message id", m.ID); err != nil {
			return nil, fmt.Errorf("parse %s message: %w", m.Provider, err)
		}
		if m.At.IsZero() {
			m.At = c.at
		}
		evs = append(evs, m.Event(kw, tenant, region))
	}
	if len(skipped) > 0 {
		return evs, fmt.Errorf("%w: from %s", errNoSender, strings.Join(skipped, ", "))
	}
	return evs, nil
}

// moSegment reads a provider's concatenation parameters ("2" of "3"):
// zero unless they hold together.
func moSegment(part, parts string) (int, int) {
	p, err1 := strconv.Atoi(strings.TrimSpace(part))
	n, err2 := strconv.Atoi(strings.TrimSpace(parts))
	if err1 != nil || err2 != nil || n < 2 || p < 1 || p > n || n > 255 {
		return 0, 0
	}
	return p, n
}
