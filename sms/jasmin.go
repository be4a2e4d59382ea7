package sms

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/rebond/rebond/channels"
)

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
	r, err := providerReceipt("jasmin", msgID, "", status, "")
	if err != nil {
		return channels.Event{}, err
	}
	r.campaign = first(v, "campaign")
	for _, f := range []struct{ name, v string }{{"id", id}, {"campaign", r.campaign}} {
		if err := checkID(f.name, f.v); err != nil {
			return channels.Event{}, fmt.Errorf("parse jasmin callback: %w", err)
		}
	}
	switch level {
	case "1":
		switch {
		case !strings.EqualFold(status, "ESME_ROK"):
			r.typ = channels.Failed
		case ref != "":
			r.typ = channels.Deferred
		default:
			r.typ = channels.Sent
		}
	case "2", "3":
		r.sms = channels.SMSReceipt{Stat: status, Err: first(v, "err"), Dialect: dialect}
		r.at = parseReceiptDate(first(v, "donedate"))
	default:
		return channels.Event{}, fmt.Errorf("parse jasmin callback: level %q is not 1, 2 or 3", level)
	}
	if ref != "" {
		r.sms.SMSCID = id
	}
	e := r.event()
	e.ID = EventID("jasmin", id, level+"/"+status)
	return e, nil
}
