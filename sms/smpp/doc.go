// Package smpp is rebond's SMPP 3.4 client (an ESME): it binds to SMSCs as
// a receiver or transceiver, reads the delivery receipts they push as
// deliver_sm or data_sm, and publishes each as a channels.Event. A
// deliver_sm or data_sm whose esm_class marks no receipt is a
// mobile-originated message (a subscriber's "STOP"): it is published as a
// consent event, opt_out, opt_in or inbound by its keywords (sms.Keywords),
// and answered as a receipt is.
//
// go-smpp's pdu packages encode and decode the PDUs; the connection loop is
// rebond's own, because go-smpp's Receiver acknowledges a deliver_sm
// before its handler runs and drops the bind on a PDU it cannot decode.
// Here a receipt is answered only after the publisher took it:
//
//	published                      deliver_sm_resp ESME_ROK
//	publish failed                 ESME_RX_T_APPN (0x64): the SMSC re-delivers
//	no number, message not known   ESME_RX_T_APPN (0x64), kept in rejected_events
//	receipt unreadable             ESME_RX_P_APPN (0x65), kept in rejected_events
//	MO message published           ESME_ROK
//	MO message from no number      ESME_RX_P_APPN (0x65), kept in rejected_events
//	undecodable PDU                generic_nack (ESME_RINVCMDLEN, ESME_RINVCMDID,
//	                               ESME_RINVOPTPARSTREAM), the bind goes on
//	command_length out of 16..64K  generic_nack ESME_RINVCMDLEN, then close and bind again
//
// Events carry provider "smpp:<gateway>" and the id sms.EventID gives the
// message id and state, so a receipt delivered twice is counted once.
// Every bind answers enquire_link, sends its own every EnquireLink and
// binds again with capped, jittered exponential backoff when the link is
// lost, refused or silent (at most 5 s for the first five tries; a
// successful bind starts over). A receipt whose source_addr is empty takes
// its known message's number (Store); refused receipts are kept in the
// Store's rejected_events with the PDU. When Run's context ends, each bind unbinds
// (SMPP 3.4 section 4.2) and answers the receipts it holds before closing.
package smpp
