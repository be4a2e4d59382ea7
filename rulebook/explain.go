package rulebook

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/channels/rules"
)

// Parsers read raw samples into events; cmd wires package email and sms.
type Parsers struct {
	// Mail reads a raw bounce mail (email.Parse and Report.Events).
	Mail func(raw []byte) ([]channels.Event, error)
	// Reply reads an SMTP reply (email.ParseReply).
	Reply func(s string) (channels.SMTPReply, error)
	// Receipt reads an SMS delivery receipt in any format (dlr.ParseReceipt).
	Receipt func(format string, payload []byte, dialect string) (channels.Event, error)
}

// Sample is what Explain reads: exactly one of Event, Reply, Mail and
// Receipt.
type Sample struct {
	// Event is an event in rebond's JSON form; only channel and type are
	// required.
	Event json.RawMessage `json:"event,omitempty"`
	// Reply is an SMTP reply, one line or several (RFC 5321 section 4.2):
	// an email event, failed for 5xx, deferred for 4xx, delivered for 2xx.
	Reply string `json:"reply,omitempty"`
	// Mail is a raw bounce mail; it may give several events.
	Mail string `json:"mail,omitempty"`
	// Receipt is an SMS delivery receipt.
	Receipt *Receipt `json:"receipt,omitempty"`
	// Provider is the provider the reply or receipt came from, for rules
	// that name one.
	Provider string `json:"provider,omitempty"`
}

// Receipt is an SMS receipt sample: the arguments of dlr.ParseReceipt.
type Receipt struct {
	Format  string `json:"format"`
	Payload string `json:"payload"`
	Dialect string `json:"dialect,omitempty"`
}

// Explanation is the decision trace of one event of a sample.
type Explanation struct {
	Event channels.Event `json:"event"`
	Trace rules.Trace    `json:"trace"`
}

// Explain reads the sample into events and traces how the live rules
// (built-ins and operator rules) decide each.
func (b *Book) Explain(ctx context.Context, s Sample) ([]Explanation, error) {
	events, err := b.cfg.Parsers.events(s)
	if err != nil {
		return nil, err
	}
	live, _, _, err := b.Sets(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Explanation, len(events))
	for i, e := range events {
		out[i] = Explanation{Event: e, Trace: live.Explain(e)}
	}
	return out, nil
}

// events reads a sample into the events it gives.
func (p Parsers) events(s Sample) ([]channels.Event, error) {
	n := 0
	for _, set := range []bool{len(s.Event) > 0, s.Reply != "", s.Mail != "", s.Receipt != nil} {
		if set {
			n++
		}
	}
	if n != 1 {
		return nil, fmt.Errorf("%w: give exactly one of event, reply, mail, receipt (got %d)", ErrInvalid, n)
	}
	switch {
	case len(s.Event) > 0:
		e, err := sampleEvent(s.Event)
		return []channels.Event{e}, err
	case s.Reply != "":
		return p.reply(s.Reply, s.Provider)
	case s.Mail != "":
		return p.mail([]byte(s.Mail))
	}
	return p.receipt(*s.Receipt, s.Provider)
}

// sampleEvent decodes an event strictly (unknown fields refused) but asks
// only for what rules read: a channel and a type.
func sampleEvent(data []byte) (channels.Event, error) {
	var e channels.Event
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		return e, fmt.Errorf("%w: event: %v", ErrInvalid, err)
	}
	if !e.Channel.Valid() {
		return e, fmt.Errorf("%w: event: channel %q is not one of email, sms", ErrInvalid, e.Channel)
	}
	if !e.Type.Valid() {
		return e, fmt.Errorf("%w: event: type %q is not one of sent, delivered, failed, deferred, complaint", ErrInvalid, e.Type)
	}
	return e, nil
}

func (p Parsers) reply(s, provider string) ([]channels.Event, error) {
	if p.Reply == nil {
		return nil, fmt.Errorf("%w: this server reads no SMTP replies", ErrInvalid)
	}
	r, err := p.Reply(s)
	if err != nil {
		return nil, fmt.Errorf("%w: reply: %v", ErrInvalid, err)
	}
	e := channels.Event{Channel: channels.Email, Type: channels.Failed, Sync: true, Provider: provider, SMTP: &r}
	switch r.Code / 100 {
	case 2:
		e.Type = channels.Delivered
	case 4:
		e.Type = channels.Deferred
	}
	return []channels.Event{e}, nil
}

func (p Parsers) mail(raw []byte) ([]channels.Event, error) {
	if p.Mail == nil {
		return nil, fmt.Errorf("%w: this server reads no bounce mail", ErrInvalid)
	}
	events, err := p.Mail(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: mail: %v", ErrInvalid, err)
	}
	if len(events) == 0 {
		return nil, fmt.Errorf("%w: mail: it reports on no recipient (not a bounce?)", ErrInvalid)
	}
	return events, nil
}

func (p Parsers) receipt(r Receipt, provider string) ([]channels.Event, error) {
	if p.Receipt == nil {
		return nil, fmt.Errorf("%w: this server reads no SMS receipts", ErrInvalid)
	}
	e, err := p.Receipt(r.Format, []byte(r.Payload), r.Dialect)
	if err != nil {
		return nil, fmt.Errorf("%w: receipt: %v", ErrInvalid, err)
	}
	if e.Provider == "" {
		e.Provider = provider
	}
	return []channels.Event{e}, nil
}
