package smpp

import (
	"bytes"
	"fmt"

	"github.com/fiorix/go-smpp/smpp/pdu"
	"github.com/fiorix/go-smpp/smpp/pdu/pdufield"
	"github.com/fiorix/go-smpp/smpp/pdu/pdutlv"

	"github.com/rebond/rebond/sms"
)

// verb is what the ESME does with one PDU from the SMSC.
type verb int

const (
	doReceipt  verb = iota // deliver_sm, data_sm: publish the receipt, then answer
	doAnswer               // enquire_link: answer at once
	doUnbind               // unbind: answer, then close and bind again
	doResponse             // a response (generic_nack included) to a request of rebond
	doIgnore               // alert_notification: SMPP 3.4 section 4.12 wants no answer
	doNack                 // answer generic_nack with status
)

// action is the decision about one frame. For doReceipt, receipt holds
// the decoded fields, or err says why they cannot be read (answered with
// ESME_RX_P_APPN); for doNack, status and err say why the PDU is refused.
type action struct {
	verb    verb
	f       frame
	status  pdu.Status
	receipt sms.DeliverSM
	err     error
}

// decide reads a frame and says what to do with it. It never fails: what
// cannot be decoded becomes a generic_nack (SMPP 3.4 section 4.3) with
// the status of section 5.1.3 that names the fault, and the bind goes on.
func decide(f frame) action {
	a := action{f: f}
	switch id := f.hdr.ID; {
	case isResponse(id):
		a.verb = doResponse
	case id == pdu.DeliverSMID || id == pdu.DataSMID:
		a.verb = doReceipt
		a.receipt, a.status, a.err = decodeReceipt(id, f.body)
		if a.status != statusOK {
			a.verb = doNack
		}
	case id == pdu.EnquireLinkID:
		a.verb = doAnswer
	case id == pdu.UnbindID:
		a.verb = doUnbind
	case id == pdu.AlertNotificationID:
		a.verb = doIgnore
	default:
		// Unknown ids, and requests an SMSC has no business sending an
		// ESME (submit_sm, bind_*, query_sm…): rebond implements none.
		a.verb, a.status = doNack, statusInvCmdID
		a.err = fmt.Errorf("command_id %#08x (%s) is not one an ESME accepts", uint32(id), commandName(id))
	}
	return a
}

// The mandatory fields of deliver_sm (SMPP 3.4 section 4.6.1; go-smpp reads
// the UDH inside short_message when esm_class sets UDHI) and data_sm
// (section 4.7.1). The last one of each list is how a truncated body is
// told apart: go-smpp's List.Decode stops silently at the end of the body.
var (
	deliverSMFields = pdufield.List{
		pdufield.ServiceType, pdufield.SourceAddrTON, pdufield.SourceAddrNPI, pdufield.SourceAddr,
		pdufield.DestAddrTON, pdufield.DestAddrNPI, pdufield.DestinationAddr, pdufield.ESMClass,
		pdufield.ProtocolID, pdufield.PriorityFlag, pdufield.ScheduleDeliveryTime,
		pdufield.ValidityPeriod, pdufield.RegisteredDelivery, pdufield.ReplaceIfPresentFlag,
		pdufield.DataCoding, pdufield.SMDefaultMsgID, pdufield.SMLength, pdufield.UDHLength,
		pdufield.GSMUserData, pdufield.ShortMessage,
	}
	dataSMFields = pdufield.List{
		pdufield.ServiceType, pdufield.SourceAddrTON, pdufield.SourceAddrNPI, pdufield.SourceAddr,
		pdufield.DestAddrTON, pdufield.DestAddrNPI, pdufield.DestinationAddr, pdufield.ESMClass,
		pdufield.RegisteredDelivery, pdufield.DataCoding,
	}
)

// decodeReceipt decodes a deliver_sm or data_sm body with go-smpp's field
// and TLV codecs, then reads the receipt fields as package sms does. A
// body that ends before its mandatory fields do is ESME_RINVCMDLEN (the
// command_length does not cover the PDU), a TLV running past the body
// ESME_RINVOPTPARSTREAM; both are refused with a generic_nack. A TLV of the
// wrong size is a receipt rebond cannot read: status OK, err set.
func decodeReceipt(id pdu.ID, body []byte) (d sms.DeliverSM, status pdu.Status, err error) {
	defer func() {
		// go-smpp decodes without bounds checks of its own in places; a
		// hostile PDU must be refused, not crash the bind.
		if r := recover(); r != nil {
			d, status, err = sms.DeliverSM{}, statusInvCmdLen, fmt.Errorf("malformed %s body: %v", commandName(id), r)
		}
	}()
	list, last := deliverSMFields, pdufield.ShortMessage
	if id == pdu.DataSMID {
		list, last = dataSMFields, pdufield.DataCoding
	}
	r := bytes.NewBuffer(body)
	f, err := list.Decode(r)
	if err == nil {
		if _, ok := f[last]; !ok {
			err = fmt.Errorf("body of %d octets ends before %s", len(body), last)
		}
	}
	if err != nil {
		return sms.DeliverSM{}, statusInvCmdLen, fmt.Errorf("decode %s: %w", commandName(id), err)
	}
	t, err := pdutlv.DecodeTLV(r)
	if err == nil && r.Len() > 0 {
		err = fmt.Errorf("%d octets after the last TLV", r.Len())
	}
	if err != nil {
		return sms.DeliverSM{}, statusInvOptParStrm, fmt.Errorf("decode %s TLVs: %w", commandName(id), err)
	}
	d, err = sms.DeliverSMFields(f, t)
	if err != nil {
		return sms.DeliverSM{}, statusOK, fmt.Errorf("decode %s: %w", commandName(id), err)
	}
	return d, statusOK, nil
}
