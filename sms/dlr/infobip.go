package dlr

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/sms"
)

// InfobipConfig configures the Infobip delivery report adapter.
type InfobipConfig struct {
	// SharedSecret is what the notifyUrl or the webhook subscription
	// sends: Basic credentials, an "Authorization: App <key>" header, a
	// custom header, or a token in the URL (keys "username", "password",
	// "app_key", "header", "header_value", "token").
	SharedSecret `koanf:",squash"`
}

// Validate names the first key that is wrong.
func (c InfobipConfig) Validate() error { return c.SharedSecret.Validate() }

// NewInfobip returns the adapter of Infobip delivery reports (a JSON POST
// of results[], read by ParseInfobip; one event per result, each with its
// own result as Raw). Infobip signs nothing: the shared secret of
// InfobipConfig proves the caller.
func NewInfobip(cfg InfobipConfig) (*Webhook, error) {
	if err := cfg.Validate(); err != nil {
		return nil, errors.New("infobip webhook: " + err.Error())
	}
	parse := func(c *callback) ([]channels.Event, error) {
		evs, err := ParseInfobip(c.body)
		for i := range evs {
			evs[i].Raw = c.record(json.RawMessage(`{"results":[` + evs[i].Raw + `]}`))
		}
		return evs, err
	}
	w := newWebhook(ProviderInfobip, FormatInfobip, []string{"results"}, sharedCheck(ProviderInfobip, cfg.SharedSecret), parse)
	w.shared = &cfg.SharedSecret
	return w, nil
}

// maxInfobipResults bounds the reports of one webhook; Infobip batches a
// few dozen at most.
const maxInfobipResults = 1000

// infobipReport is one element of an Infobip delivery report's results
// (Infobip SMS API, "Receive outbound SMS message report"; status and
// error objects per its "Response status and error codes" reference).
type infobipReport struct {
	MessageID string `json:"messageId"`
	To        string `json:"to"`
	DoneAt    string `json:"doneAt"`
	// MCCMNC is the recipient's network ("22801"; Infobip's report field
	// mccMnc).
	MCCMNC string `json:"mccMnc"`
	Status struct {
		GroupID   int    `json:"groupId"`
		GroupName string `json:"groupName"`
		ID        int    `json:"id"`
		Name      string `json:"name"`
	} `json:"status"`
	Error struct {
		GroupID   int    `json:"groupId"`
		ID        int    `json:"id"`
		Name      string `json:"name"`
		Permanent bool   `json:"permanent"`
	} `json:"error"`
}

// ParseInfobip reads an Infobip delivery report webhook body
// ({"results":[…]}) into one event per result. Stat is the status name
// (PENDING_ENROUTE, UNDELIVERABLE_NOT_DELIVERED, REJECTED_DESTINATION…; the
// group name when the name is missing), Err the error id (1–36 are GSM MAP
// error numbers, 256–262 the SM delivery failure causes; none for 0
// NO_ERROR), Dialect "infobip", MCCMNC the result's mccMnc. Infobip's permanent flag is not a rule
// input: rebond's hard (the number is bad) is not Infobip's permanent
// (this message will fail again); it stays in Raw.
func ParseInfobip(body []byte) ([]channels.Event, error) {
	return infobipEach(body, "callback", infobipEvent)
}

// infobipEach reads each of the 1 to maxInfobipResults results of an
// Infobip webhook body ({"results":[…]}, the shape of its delivery
// reports and of its inbound messages) with read; errors say which
// result, and what the body is.
func infobipEach[T any](body []byte, what string, read func(json.RawMessage) (T, error)) ([]T, error) {
	var d struct {
		Results []json.RawMessage `json:"results"`
	}
	if err := json.Unmarshal(body, &d); err != nil {
		return nil, fmt.Errorf("parse infobip %s: %w", what, err)
	}
	if len(d.Results) == 0 || len(d.Results) > maxInfobipResults {
		return nil, fmt.Errorf("parse infobip %s: %d results, want 1 to %d", what, len(d.Results), maxInfobipResults)
	}
	out := make([]T, 0, len(d.Results))
	for i, raw := range d.Results {
		v, err := read(raw)
		if err != nil {
			return nil, fmt.Errorf("parse infobip %s: result %d: %w", what, i, err)
		}
		out = append(out, v)
	}
	return out, nil
}

// infobipEvent turns one result into an event.
func infobipEvent(raw json.RawMessage) (channels.Event, error) {
	var rep infobipReport
	if err := json.Unmarshal(raw, &rep); err != nil {
		return channels.Event{}, err
	}
	stat := rep.Status.Name
	if stat == "" {
		stat = rep.Status.GroupName
	}
	code := ""
	if rep.Error.ID != 0 {
		code = fmt.Sprint(rep.Error.ID)
	}
	r, err := providerReceipt(ProviderInfobip, rep.MessageID, phone(rep.To), stat, code)
	if err != nil {
		return channels.Event{}, err
	}
	r.At, r.Raw = parseTimeAny(rep.DoneAt), string(raw)
	r.SMS.MCCMNC = carrier(rep.MCCMNC)
	switch rep.Status.GroupID {
	case 3: // DELIVERED
		r.Type = channels.Delivered
	case 1: // PENDING
		r.Type = channels.Deferred
	default: // 2 UNDELIVERABLE, 4 EXPIRED, 5 REJECTED
		r.Type = channels.Failed
	}
	return r.Event(), nil
}

// parseInfobipEnvelope unwraps the corpus's record of the webhook request.
func parseInfobipEnvelope(payload []byte) ([]channels.Event, error) {
	var env envelope
	if err := json.Unmarshal(payload, &env); err != nil {
		return nil, fmt.Errorf("parse infobip callback: %w", err)
	}
	if len(env.Body) == 0 {
		return nil, fmt.Errorf("parse infobip callback: no body")
	}
	return ParseInfobip(env.Body)
}

// infobipMO is one element of an Infobip inbound SMS's results (Infobip
// SMS API, "Receive inbound SMS messages": messageId, from, to, text,
// cleanText, keyword, receivedAt, smsCount).
type infobipMO struct {
	MessageID  string `json:"messageId"`
	From       string `json:"from"`
	Text       string `json:"text"`
	ReceivedAt string `json:"receivedAt"`
}

// ParseInfobipMO reads an Infobip inbound SMS webhook body
// ({"results":[…]}, at most 1,000) into one message per result, each
// with its result as Raw. The text is text, the whole message (cleanText
// lacks the keyword Infobip routed it by, which may be STOP).
func ParseInfobipMO(body []byte) ([]sms.MO, error) {
	return infobipEach(body, "message", func(raw json.RawMessage) (sms.MO, error) {
		var r infobipMO
		if err := json.Unmarshal(raw, &r); err != nil {
			return sms.MO{}, err
		}
		if r.From == "" {
			return sms.MO{}, errors.New("no from")
		}
		return sms.MO{Provider: ProviderInfobip, ID: r.MessageID, From: r.From, Text: r.Text,
			At: parseTimeAny(r.ReceivedAt), Raw: string(raw)}, nil
	})
}

// parseInfobipMOCallback reads the body, each message's Raw the request
// with its own result alone.
func parseInfobipMOCallback(c *callback) ([]sms.MO, error) {
	mos, err := ParseInfobipMO(c.body)
	for i := range mos {
		mos[i].Raw = c.record(json.RawMessage(`{"results":[` + mos[i].Raw + `]}`))
	}
	return mos, err
}
