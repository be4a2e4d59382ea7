// Package dlr turns the HTTP delivery reports of SMS providers and
// gateways into channels.Event values: Twilio, Plivo, Vonage (Nexmo),
// Infobip and Sinch, and the Kannel and Jasmin gateways. Each provider has
// one file, with its payload parser (ParseTwilio, ParseKannel…) and its
// adapter (NewTwilio, NewKannel…): a *Webhook, a channels.Webhook that
// authenticates the request the way the provider documents, decodes the
// query, form or JSON body, and returns one event per receipt. The api
// package mounts adapters at /v1/webhooks/{name}; cmd builds them with New
// from configuration. The SMPP receipt vocabulary (receipt text, TLVs,
// PDUs, EventID, Receipt) is package sms's.
//
// # Configuration
//
// New(provider, cfg) builds the adapter of provider (one of Providers).
// The keys (koanf tags of Config) each provider reads:
//
//	provider  keys
//	twilio    secret (auth token), url
//	plivo     secret (auth token), url
//	vonage    secret (signature secret), signature_method, max_skew
//	kannel    token | username+password | app_key | header+header_value, dialect
//	jasmin    token | username+password | app_key | header+header_value, dialect
//	infobip   token | username+password | app_key | header+header_value
//	sinch     secret (HMAC key), max_skew; or token | username+password | header+header_value
//
// and every provider reads region, the region national numbers are
// written in. A key the provider does not read is an error, so a secret
// set under the wrong name is not silently ignored.
//
// # Authentication
//
// Twilio, Plivo and Vonage sign each callback (twilio.go, plivo.go,
// vonage.go), Sinch on request (sinch.go). Kannel, Jasmin and Infobip sign
// nothing: a SharedSecret the operator writes into the callback URL or the
// provider's settings proves the caller, and is checked on the URL and
// headers before the body is read (Webhook.AuthenticateHeaders). The
// helpers several providers share (constant-time comparison, HMAC, sorted
// parameters, timestamp windows, the signed URL) are in auth.go. A bad or
// missing signature or secret is channels.ErrUnauthorized.
//
// # Events
//
// Every event has channel sms and the provider's name as Provider. Its ID
// is sms.EventID(provider, message id, state), so a callback delivered
// twice counts once. The provider's status is SMSReceipt.Stat, its error
// code Err, its name Dialect; Kannel and Jasmin pass an SMSC's receipt
// text on, whose err: is read in the configured dialect. Raw is the
// request as a JSON envelope (the corpus's form, without the token), which
// ParseReceipts(Webhook.Format(), Raw, dialect) reads back to the same
// event.
//
// The package decides nothing: what a status or code means lives in
// configs/rules/sms-providers.yaml (and sms-dialects.yaml for receipt
// text), applied by channels/rules.
//
// # Inbound messages
//
// NewInbound(provider, cfg, keywords, tenant) builds, from the same
// configuration, the adapter of the provider's mobile-originated messages
// (a subscriber's "STOP"), mounted at /v1/webhooks/{name}/inbound
// (InboundPath): ParseTwilioMO, ParsePlivoMO, ParseVonageMO, ParseInfobipMO,
// ParseSinchMO, ParseKannelMO and ParseJasminMO, each in its provider's
// file, read the request into an sms.MO, which sms.MO.Event makes an
// opt_out, opt_in or inbound event by its keywords. Authentication is the
// provider's delivery-report scheme; the answer is what the provider wants
// (an empty TwiML <Response/> for Twilio and Plivo, "ACK/Jasmin", an empty
// body for a Kannel sms-service, which would text any answer back).
//
// # Ignored and refused input
//
// A well-formed notification that is not a delivery receipt (a Sinch
// batch summary report) is accepted with no events, so the provider does
// not deliver it again. A payload that cannot be read is
// channels.ErrMalformed, a *channels.FieldError naming the field.
//
// # Replays and the corpus
//
// ParseReceipt and ParseReceipts read a receipt in any format of the
// labelled corpus (sms/testdata/receipts.tsv): the recorded callbacks of
// this package, and the SMPP formats through sms.ParseReceipt.
package dlr
