package sms

import (
	"encoding/json"
	"fmt"
	"net/url"
	"time"

	"github.com/rebond/rebond/channels"
)

// ParseTwilio reads a Twilio Messaging status callback (form fields
// MessageSid, MessageStatus, ErrorCode, To; twilio.com/docs/messaging/
// guides/track-outbound-message-status). Stat is MessageStatus (SmsStatus
// on old accounts), Err the 300xx ErrorCode, Dialect "twilio". The callback
// carries no time.
func ParseTwilio(v url.Values) (channels.Event, error) {
	r, err := providerReceipt("twilio", first(v, "MessageSid", "SmsSid"), phone(first(v, "To")),
		first(v, "MessageStatus", "SmsStatus"), first(v, "ErrorCode"))
	if err != nil {
		return channels.Event{}, err
	}
	return r.event(), nil
}

// ParsePlivo reads a Plivo message status callback (form fields
// MessageUUID, Status, ErrorCode, To, MessageTime; Plivo's "Message
// error codes" reference). Stat is Status, Err ErrorCode, Dialect "plivo".
func ParsePlivo(v url.Values) (channels.Event, error) {
	r, err := providerReceipt("plivo", first(v, "MessageUUID"), phone(first(v, "To")),
		first(v, "Status"), first(v, "ErrorCode"))
	if err != nil {
		return channels.Event{}, err
	}
	r.at = parseTimeAny(first(v, "MessageTime"))
	return r.event(), nil
}

// vonageDLR is the Vonage (Nexmo) SMS API delivery receipt
// (developer.vonage.com, "SMS delivery receipts").
type vonageDLR struct {
	MSISDN    flexString `json:"msisdn"`
	MessageID flexString `json:"messageId"`
	Status    flexString `json:"status"`
	ErrCode   flexString `json:"err-code"`
	Timestamp flexString `json:"message-timestamp"`
	SCTS      flexString `json:"scts"`
}

// ParseVonageValues reads a Vonage delivery receipt sent as a GET query
// or a form, with the fields of ParseVonage.
func ParseVonageValues(v url.Values) (channels.Event, error) {
	m := make(map[string]string, len(v))
	for k := range v {
		m[k] = v.Get(k)
	}
	b, err := json.Marshal(m)
	if err != nil {
		return channels.Event{}, fmt.Errorf("parse vonage callback: %w", err)
	}
	return ParseVonage(b)
}

// ParseVonage reads a Vonage delivery receipt JSON body (fields msisdn,
// messageId, status, err-code, message-timestamp, scts). Stat is status,
// Err err-code, Dialect "vonage".
func ParseVonage(body []byte) (channels.Event, error) {
	var d vonageDLR
	if err := json.Unmarshal(body, &d); err != nil {
		return channels.Event{}, fmt.Errorf("parse vonage callback: %w", err)
	}
	r, err := providerReceipt("vonage", string(d.MessageID), phone(string(d.MSISDN)), string(d.Status), string(d.ErrCode))
	if err != nil {
		return channels.Event{}, err
	}
	r.at = parseTimeAny(string(d.Timestamp))
	if r.at.IsZero() {
		r.at = parseReceiptDate(string(d.SCTS))
	}
	return r.event(), nil
}

// sinchDLR is a Sinch SMS REST API recipient delivery report
// (developers.sinch.com, "Delivery report" and its error codes).
type sinchDLR struct {
	Type      string     `json:"type"`
	BatchID   string     `json:"batch_id"`
	Recipient string     `json:"recipient"`
	Code      flexString `json:"code"`
	Status    string     `json:"status"`
	At        string     `json:"at"`
}

// ParseSinch reads a Sinch recipient delivery report (type
// recipient_delivery_report_sms). Stat is status, Err the code (0, 401
// Dispatched, 402 unroutable…), Dialect "sinch"; the message id is the
// batch id, and the event id also names the recipient, as one batch goes
// to many.
func ParseSinch(body []byte) (channels.Event, error) {
	var d sinchDLR
	if err := json.Unmarshal(body, &d); err != nil {
		return channels.Event{}, fmt.Errorf("parse sinch callback: %w", err)
	}
	if d.Type != "" && d.Type != "recipient_delivery_report_sms" {
		return channels.Event{}, fmt.Errorf("parse sinch callback: type %q: %w", d.Type, ErrNotReceipt)
	}
	r, err := providerReceipt("sinch", d.BatchID, phone(d.Recipient), d.Status, string(d.Code))
	if err != nil {
		return channels.Event{}, err
	}
	r.at = parseTimeAny(d.At)
	e := r.event()
	if d.BatchID != "" {
		e.ID = EventID("sinch", d.BatchID+"/"+d.Recipient, d.Status)
	}
	return e, nil
}

// parseTimeAny reads the time formats providers use: RFC 3339, Infobip's
// "2006-01-02T15:04:05.000-0700", and "2006-01-02 15:04:05" with or
// without a zone, "-07:00" or " -0700" (UTC when none). Zero when none fits.
func parseTimeAny(s string) time.Time {
	for _, layout := range []string{
		time.RFC3339Nano, "2006-01-02T15:04:05.000-0700", "2006-01-02T15:04:05-0700",
		"2006-01-02 15:04:05-07:00", "2006-01-02 15:04:05.999999-07:00",
		// Vonage's message-timestamp with a numeric zone after a space
		// ("2020-01-01 12:00:00 +0000", its SMS API webhook reference).
		"2006-01-02 15:04:05 -0700", "2006-01-02 15:04:05",
	} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}
