package dlr

import (
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/sms"
)

// NewJasmin returns the adapter of Jasmin's DLR thrower (a form POST, or a
// GET with dlr-method GET; read by ParseJasmin). Jasmin signs nothing: the
// dlr-url carries a shared secret (GatewayConfig). Jasmin's DLR names no
// number, so the sender's dlr-url carries it with the token:
//
//	https://rebond.example.com/v1/webhooks/jasmin?token=SECRET&recipient=447700900123&ref=<sender's id>&campaign=<campaign>
//
// The success answer is exactly "ACK/Jasmin" (jasmin/routing/throwers.py):
// anything else makes Jasmin throw the DLR again.
func NewJasmin(cfg GatewayConfig) (*Webhook, error) {
	if err := cfg.Validate(); err != nil {
		return nil, errors.New("jasmin webhook: " + err.Error())
	}
	parse := func(c *callback) ([]channels.Event, error) { return single(ParseJasmin(c.params, cfg.Dialect)) }
	w := newWebhook(ProviderJasmin, FormatJasmin, []string{"id", "message_status", "level"}, sharedCheck(ProviderJasmin, cfg.SharedSecret), parse)
	w.shared = &cfg.SharedSecret
	w.answer, w.recipientParam = "ACK/Jasmin", true
	return w, nil
}

// ParseJasmin reads the form Jasmin's HTTP DLR thrower posts (Jasmin 0.11,
// jasmin/routing/throwers.py): id (Jasmin's message id), level,
// message_status, connector, and for level 2 the receipt fields id_smsc,
// sub, dlvrd, subdate, donedate, err and text.
//
// Level 1 is the SMSC's answer to the submit: Stat is message_status, an
// SMPP 3.4 command_status name (ESME_ROK, ESME_RINVDSTADR…), with Dialect
// "jasmin". Level 2 is the handset receipt: Stat is the receipt's stat and
// Err its err, read in the connection's dialect.
//
// The message is the sender's when its dlr-url names it (ref=, the id of
// the sender's own "sent" events; campaign= is read too): MessageID is
// then ref, Jasmin's id is kept in SMSReceipt.SMSCID, and a level-1
// ESME_ROK is a pending step (Deferred), since the sender reports the
// send. Without ref, MessageID is Jasmin's id, which Jasmin's HTTP API
// returned to the sender, and a level-1 ESME_ROK is the send.
// The receiver must answer "ACK/Jasmin" or Jasmin throws the DLR again.
func ParseJasmin(v url.Values, dialect string) (channels.Event, error) {
	id, status := first(v, "id"), first(v, "message_status")
	if id == "" || status == "" {
		return channels.Event{}, fmt.Errorf("parse jasmin callback: id and message_status are required")
	}
	// Jasmin's own form field is "id", so the sender's id is "ref" only.
	ref := first(v, "ref")
	msgID := id
	if ref != "" {
		msgID = ref
	}
	level := first(v, "level")
	r, err := providerReceipt(ProviderJasmin, msgID, "", status, "")
	if err != nil {
		return channels.Event{}, err
	}
	r.Campaign = first(v, "campaign")
	for _, f := range []struct{ name, v string }{{"id", id}, {"campaign", r.Campaign}} {
		if err := sms.CheckID(f.name, f.v); err != nil {
			return channels.Event{}, fmt.Errorf("parse jasmin callback: %w", err)
		}
	}
	switch level {
	case "1":
		switch {
		case !strings.EqualFold(status, "ESME_ROK"):
			r.Type = channels.Failed
		case ref != "":
			r.Type = channels.Deferred
		default:
			r.Type = channels.Sent
		}
	case "2", "3":
		r.SMS = channels.SMSReceipt{Stat: status, Err: first(v, "err"), Dialect: dialect}
		r.At = sms.ParseReceiptDate(first(v, "donedate"))
	default:
		return channels.Event{}, fmt.Errorf("parse jasmin callback: level %q is not 1, 2 or 3", level)
	}
	if ref != "" {
		r.SMS.SMSCID = id
	}
	e := r.Event()
	e.ID = sms.EventID(ProviderJasmin, id, level+"/"+status)
	return e, nil
}

// ParseJasminMO reads the request Jasmin's HTTP client connector makes for
// a message from a handset (Jasmin 0.11, "Receiving SMS": id, from, to,
// origin-connector, priority, coding, validity, content, binary). The
// text is binary (the content's octets in hex) or content, read by coding,
// the message's data_coding (sms.DecodeText). The receiver must answer
// "ACK/Jasmin" or Jasmin delivers the message again.
func ParseJasminMO(v url.Values) (sms.MO, error) {
	id, from := first(v, "id"), first(v, "from")
	if id == "" || from == "" {
		return sms.MO{}, errors.New("parse jasmin message: id and from are required")
	}
	coding := 0
	if c := first(v, "coding"); c != "" {
		n, err := strconv.Atoi(c)
		if err != nil || n < 0 || n > 0xFF {
			return sms.MO{}, &channels.FieldError{Field: "coding", Msg: fmt.Sprintf("%q is not a data_coding", truncate(c, 16))}
		}
		coding = n
	}
	octets := []byte(v.Get("content"))
	if b := first(v, "binary"); b != "" {
		h, err := hex.DecodeString(b)
		if err != nil {
			return sms.MO{}, &channels.FieldError{Field: "binary", Msg: "not hex"}
		}
		octets = h
	}
	return sms.MO{Provider: ProviderJasmin, ID: id, From: from, Text: sms.DecodeText(octets, coding)}, nil
}
