package smpp

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/fiorix/go-smpp/smpp/pdu"

	"github.com/rebond/rebond/channels"
	numbers "github.com/rebond/rebond/channels/phone"
	"github.com/rebond/rebond/sms"
)

// handle turns one deliver_sm or data_sm into a published event and
// returns the command_status to answer it with (SMPP 3.4 section 5.1.3):
//
//   - ESME_ROK once the event is published: only then may the SMSC forget
//     the receipt;
//   - ESME_RX_T_APPN when publishing failed, or when a receipt without a
//     number names a message rebond does not know yet, so the SMSC
//     delivers it again (the event id is the same, and the bus keeps it
//     once);
//   - ESME_RX_P_APPN for a receipt rebond cannot read: sending it again
//     would not help.
//
// A deliver_sm or data_sm that is no receipt is a mobile-originated
// message, answered the same way (publishMO).
func (b *bind) handle(ctx context.Context, a action) pdu.Status {
	status, result := b.publish(ctx, a)
	b.m.receipt(result)
	return status
}

func (b *bind) publish(ctx context.Context, a action) (pdu.Status, string) {
	if a.err != nil {
		return b.refuse(ctx, a, a.err)
	}
	if !a.receipt.Receipt() {
		return b.publishMO(ctx, a)
	}
	ev, err := eventFrom(a.receipt, b.provider, b.gw.Dialect, hex.EncodeToString(a.f.bytes()))
	if err == nil {
		if ev.OccurredAt.IsZero() {
			// No done date: the receipt is about now. The event id does
			// not depend on it (sms.EventID).
			ev.OccurredAt = time.Now().UTC()
		}
		ev.Tenant = b.gw.Tenant
		b.readNumber(&ev)
		if jerr := b.join(ctx, &ev); jerr != nil {
			b.log.WarnContext(ctx, "smpp receipt without a number not joined, answered ESME_RX_T_APPN for re-delivery",
				"message_id", ev.MessageID, "err", jerr)
			return StatusTempAppError, resultFailed
		}
		if ev.Recipient == "" && ev.MessageID != "" && b.st != nil {
			// The message may not be known yet (its sent event comes
			// after the receipt): the SMSC delivers it again later.
			// Without a store the receipt is published as it is, and
			// store.Apply joins it to its message's only delivery.
			b.keep(ctx, b.newRefusal(a, StatusTempAppError, errNoNumber))
			b.log.WarnContext(ctx, "smpp receipt without a number for no known message, answered ESME_RX_T_APPN for re-delivery",
				"message_id", ev.MessageID)
			return StatusTempAppError, resultFailed
		}
		err = ev.Normalize()
	}
	if err != nil {
		return b.refuse(ctx, a, err)
	}
	if err := b.send(ctx, ev); err != nil {
		b.log.WarnContext(ctx, "smpp receipt not published, answered ESME_RX_T_APPN for re-delivery",
			"event_id", ev.ID, "err", err)
		return StatusTempAppError, resultFailed
	}
	b.log.DebugContext(ctx, "smpp receipt published", "event_id", ev.ID, "type", string(ev.Type))
	return statusOK, resultPublished
}

// send publishes one event within the response timeout.
func (b *bind) send(ctx context.Context, ev channels.Event) error {
	pctx, cancel := context.WithTimeout(ctx, b.gw.ResponseTimeout)
	defer cancel()
	return b.pub.Publish(pctx, []channels.Event{ev})
}

// readNumber writes the receipt's number in E.164, reading a national
// form in the gateway's region (Gateway.Region). Without a region the
// number is left to ev.Normalize, which reads international forms only.
func (b *bind) readNumber(ev *channels.Event) {
	if ev.Recipient == "" || b.gw.Region == "" {
		return
	}
	if n, err := numbers.E164(ev.Recipient, b.gw.Region); err == nil {
		ev.Recipient = n // else Normalize says why it is no number
	}
}

// bytes returns the whole PDU as it arrived, header and body: the event's
// Raw, in the smpp-pdu-hex form sms.ParseReceipt reads back.
func (f frame) bytes() []byte {
	b := make([]byte, pdu.HeaderLen, pdu.HeaderLen+len(f.body))
	binary.BigEndian.PutUint32(b[0:4], f.hdr.Len)
	binary.BigEndian.PutUint32(b[4:8], uint32(f.hdr.ID))
	binary.BigEndian.PutUint32(b[8:12], uint32(f.hdr.Status))
	binary.BigEndian.PutUint32(b[12:16], f.hdr.Seq)
	return append(b, f.body...)
}

// eventFrom reads the receipt's event, turning a parser panic into an
// unreadable receipt (ESME_RX_P_APPN): a hostile PDU must never take the
// bind, or the process, down.
func eventFrom(d sms.DeliverSM, provider, dialect, raw string) (ev channels.Event, err error) {
	defer func() {
		if r := recover(); r != nil {
			ev, err = channels.Event{}, fmt.Errorf("receipt parser panicked: %v", r)
		}
	}()
	return d.EventFrom(provider, dialect, raw)
}
