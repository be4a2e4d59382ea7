// Package sms turns SMS delivery receipts into channels.Event values.
//
// It reads every shape an SMPP receipt arrives in: the short_message text
// of a deliver_sm laid out as SMPP 3.4 Appendix B (and its vendor
// variants), the receipt TLVs of SMPP 3.4 section 5.3.2
// (receipted_message_id, message_state, network_error_code), and a whole
// deliver_sm PDU (decoded with go-smpp's pdu codec). ParseReceipt is the
// entry point; each format also has its own function. It is also the
// vocabulary every receipt shares: Receipt, the form every format boils
// down to, EventID, and the SMPP command_status names. The HTTP delivery
// reports of providers and gateways (Twilio, Kannel…) are sms/dlr's; the
// SMPP binds are sms/smpp's.
//
// The package decides nothing. Every format is normalized into
// channels.SMSReceipt: Stat is the SMPP stat or the provider's status, Err
// the err: field or the provider's error code, Dialect the err: table of
// the connection (map, twilio-smpp, 8x8, w2wts) or the provider's name.
// What a value means lives in configs/rules/sms*.yaml, applied by
// channels/rules.
//
// CheckText is the pre-send check: GSM 03.38 or UCS-2, and how many
// segments a text takes.
//
// Mobile-originated messages (a subscriber's reply: "STOP", "Arrêt svp")
// are MO values: DeliverSM.MO reads one from a deliver_sm that is no
// receipt, DecodeText its text by data_coding, and MO.Event makes it a
// consent event (channels.OptOut, channels.OptIn or channels.Inbound) by
// the keywords of Keywords: built-in lists per language (keywords_builtin.go
// says where each comes from) read in the languages of the number's
// region, with the operator's additions per tenant and region.
package sms
