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
// "jasmin"; ESME_ROK is a sent event. Level 2 is the handset receipt: Stat
// is the receipt's stat and Err its err, read in the connection's dialect.
// The receiver must answer "ACK/Jasmin" or Jasmin throws the DLR again.
func ParseJasmin(v url.Values, dialect string) (channels.Event, error) {
	id, status := first(v, "id"), first(v, "message_status")
	if id == "" || status == "" {
		return channels.Event{}, fmt.Errorf("parse jasmin callback: id and message_status are required")
	}
	level := first(v, "level")
	r, err := providerReceipt("jasmin", id, "", status, "")
	if err != nil {
		return channels.Event{}, err
	}
	switch level {
	case "1":
		if strings.EqualFold(status, "ESME_ROK") {
			r.typ = channels.Sent
		} else {
			r.typ = channels.Failed
		}
	case "2", "3":
		r.sms = channels.SMSReceipt{Stat: status, Err: first(v, "err"), Dialect: dialect}
		r.at = parseReceiptDate(first(v, "donedate"))
	default:
		return channels.Event{}, fmt.Errorf("parse jasmin callback: level %q is not 1, 2 or 3", level)
	}
	e := r.event()
	e.ID = EventID("jasmin", id, level+"/"+status)
	return e, nil
}
