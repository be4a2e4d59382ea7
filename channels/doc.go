// Package channels is rebond's shared vocabulary: the common delivery-status
// Event every adapter produces, the Channel it came through, the Outcome and
// Reason a classifier gives it, and the versioned JSON codec senders and
// adapters use to exchange events. It also names what the rest of rebond
// shares about those events: the tenant a request acts for (WithTenant), a
// recipient's State, an API token's Role, the confidence Interval of a rate
// (Wilson) and an alert's state changes (AlertChange); and the consent
// events (OptOut, OptIn, Inbound) that say what a recipient wants, with
// their Consent, scope and source (consent.go; channels/consent signs the
// URLs recipients use).
//
// The package depends on the standard library only, so every other package
// (adapters, store, workers, api) can import it without pulling anything in.
//
// # Event schema, version 1
//
// An event is one fact about one message to one recipient. Its JSON form is
// documented field by field on Event; the schema version travels in the
// "schema" field (absent means 1). A decoder refuses versions it does not
// know instead of guessing, so an old server never half-reads a new event.
//
// # Identity
//
// Every event has an id. A producer that has a stable id of its own (a
// provider event id, an SMSC message id plus state) should send it; otherwise
// DeriveID computes one from the event's content, so the same fact sent twice,
// over HTTP or straight onto NATS, has the same id and is counted once.
package channels
