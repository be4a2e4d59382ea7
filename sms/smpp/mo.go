package smpp

import (
	"context"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/fiorix/go-smpp/smpp/pdu"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/sms"
)

// publishMO publishes a mobile-originated message (a deliver_sm or
// data_sm whose esm_class is no receipt, SMPP 3.4 section 5.2.12: bits 2–5
// clear) as a consent event, and answers as for a receipt: ESME_ROK once
// the bus has it, ESME_RX_T_APPN when publishing failed (the SMSC
// delivers it again), ESME_RX_P_APPN for a message rebond cannot keep (its
// source_addr is no number: an alphanumeric sender, an empty address),
// kept in rejected_events. The subscriber is source_addr, read in the
// gateway's region; the text is short_message (or message_payload) by its
// data_coding; the event is an opt-out, an opt-in or an inbound message
// by the keywords (sms.Keywords) of the gateway's tenant and the number's
// region, with Raw the PDU as hex and the time it was read, as a
// deliver_sm carries none.
func (b *bind) publishMO(ctx context.Context, a action) (pdu.Status, string) {
	ev, err := moEvent(a.receipt, b.provider, hex.EncodeToString(a.f.bytes()), b.kw, b.gw.Tenant, b.gw.Region)
	if err == nil {
		ev.OccurredAt = time.Now().UTC()
		ev.Tenant = b.gw.Tenant
		err = ev.Normalize()
	}
	if err != nil {
		return b.refuse(ctx, a, fmt.Errorf("mobile-originated message: %w", err))
	}
	if err := b.send(ctx, ev); err != nil {
		b.log.WarnContext(ctx, "smpp mobile-originated message not published, answered ESME_RX_T_APPN for re-delivery",
			"event_id", ev.ID, "err", err)
		return StatusTempAppError, resultFailed
	}
	b.log.InfoContext(ctx, "smpp mobile-originated message published", "event_id", ev.ID, "type", string(ev.Type),
		"keyword", ev.Consent.Keyword)
	return statusOK, resultMO
}

// moEvent reads the message's event, turning a panic of the text decoder
// or the keyword reader into a refusal: a hostile PDU must never take the
// bind down.
func moEvent(d sms.DeliverSM, provider, raw string, kw *sms.Keywords, tenant, region string) (ev channels.Event, err error) {
	defer func() {
		if r := recover(); r != nil {
			ev, err = channels.Event{}, fmt.Errorf("message reader panicked: %v", r)
		}
	}()
	return d.MO(provider, raw).Event(kw, tenant, region), nil
}
