package sms

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"

	"github.com/rebond/rebond/channels"
)

// envelope is the corpus's record of an HTTP callback: the request line's
// query (raw and decoded), or the form or JSON body of a POST.
type envelope struct {
	Method      string            `json:"method"`
	Path        string            `json:"path"`
	RawQuery    *string           `json:"raw_query"`
	Query       map[string]string `json:"query"`
	ContentType string            `json:"content_type"`
	Form        map[string]string `json:"form"`
	Body        json.RawMessage   `json:"body"`
}

// values returns the request's parameters: the byte-exact raw query when
// recorded, else the decoded query, then the form fields.
func (e envelope) values() (url.Values, error) {
	v := url.Values{}
	if e.RawQuery != nil {
		q, err := url.ParseQuery(*e.RawQuery)
		if err != nil {
			return nil, fmt.Errorf("raw_query: %w", err)
		}
		v = q
	} else {
		for k, s := range e.Query {
			v.Set(k, s)
		}
	}
	for k, s := range e.Form {
		v.Set(k, s)
	}
	return v, nil
}

// parseHTTPEnvelope decodes the recorded request and hands it to the
// format's decoder.
func parseHTTPEnvelope(format string, payload []byte, dialect string) ([]channels.Event, error) {
	var env envelope
	if err := json.Unmarshal(payload, &env); err != nil {
		return nil, fmt.Errorf("parse %s callback: %w", format, err)
	}
	v, err := env.values()
	if err != nil {
		return nil, fmt.Errorf("parse %s callback: %w", format, err)
	}
	if format == FormatSinch {
		evs, err := ParseSinchReports(env.Body)
		for i := range evs {
			evs[i].Raw = string(payload)
		}
		return evs, err
	}
	var e channels.Event
	switch format {
	case FormatKannel:
		e, err = ParseKannel(v, dialect)
	case FormatJasmin:
		e, err = ParseJasmin(v, dialect)
	case FormatTwilio:
		e, err = ParseTwilio(v)
	case FormatPlivo:
		e, err = ParsePlivo(v)
	case FormatVonage:
		e, err = parseVonageEnvelope(env.Body, v)
	default:
		return nil, fmt.Errorf("parse receipt: unknown format %q", format)
	}
	if err != nil {
		return nil, err
	}
	e.Raw = string(payload)
	return []channels.Event{e}, nil
}

// parseVonageEnvelope reads the JSON body, or the query or form when the
// request had no body (Vonage sends either).
func parseVonageEnvelope(body json.RawMessage, v url.Values) (channels.Event, error) {
	if b := bytes.TrimSpace(body); len(b) > 0 && !bytes.Equal(b, []byte("null")) {
		return ParseVonage(b)
	}
	return ParseVonageValues(v)
}

// flexString decodes a JSON string or number as a string: providers write
// codes either way ("err-code":"0", "code":401).
type flexString string

// UnmarshalJSON accepts a string, a number, or null.
func (f *flexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*f = ""
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexString(s)
	default:
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return err
		}
		*f = flexString(n.String())
	}
	return nil
}

// providerReceipt builds the receipt of a provider callback, normalized as
// ParseReceipt describes: Stat the provider's status, Err its error code,
// Dialect the provider's name.
func providerReceipt(provider, id, to, status, code string) (receipt, error) {
	if status == "" {
		return receipt{}, fmt.Errorf("parse %s callback: no status", provider)
	}
	if err := checkID("message id", id); err != nil {
		return receipt{}, fmt.Errorf("parse %s callback: %w", provider, err)
	}
	if len(status) > 64 || len(code) > 64 {
		return receipt{}, fmt.Errorf("parse %s callback: status or error code longer than 64 bytes", provider)
	}
	return receipt{
		provider: provider, messageID: id, recipient: to,
		sms: channels.SMSReceipt{Stat: status, Err: code, Dialect: provider},
	}, nil
}
