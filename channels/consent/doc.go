// Package consent holds what rebond signs so that a recipient can say what
// they want without an account: the signed tokens of one-click
// unsubscribe URLs (RFC 8058, RFC 2369) and of double opt-in
// confirmations, the URLs and List-Unsubscribe headers built on them, the
// tenants' keys, and the tenants' policy of requiring a confirmed consent.
// It is pure (no I/O, no clock: the caller passes the time) and depends on
// the standard library and channels only, so a sender's Go program can
// import it to build its headers without calling rebond.
//
// # Tokens
//
// A token binds the tenant, the channel, the recipient (normalized, as
// channels.NormalizeRecipient writes it), the consent scope with its list,
// the campaign and message it came with, and, for a confirmation, its
// expiry, under an HMAC-SHA256 keyed by the tenant's consent key (Keys).
// Changing any byte of a URL makes it fail (ErrInvalid: the API answers
// 403); a confirmation past its expiry is ErrExpired (410). An unsubscribe
// token does not expire: RFC 8058 and the laws behind it (CAN-SPAM asks
// for 30 days at least) want the link in an old mail to keep working.
//
// The text form is the kind and version ("u1." unsubscribe, "c1."
// confirm), then base64url without padding of
//
//	payload = 0x01 kind uvarint(len) tenant uvarint(len) channel
//	          uvarint(len) recipient uvarint(len) scope uvarint(len) list
//	          uvarint(len) campaign uvarint(len) message_id uvarint(expires)
//	mac     = HMAC-SHA256(key, "rebond-consent\x00" || payload)[:16]
//
// followed by the mac (uvarint: Go's binary.AppendUvarint; expires in Unix
// seconds, 0 for none). A token is therefore its own proof: the public
// endpoints need no login, no lookup and no state to check it, and a
// cross-site request cannot forge one (the CSRF safety RFC 8058 section 4
// asks for).
//
// # Keys
//
// A tenant's consent key is consent.tenant_secrets (consent.secret for the
// default tenant) when configured; else it is derived from the tenant's
// email key (email.verp_secret, email.tenant_secrets) by DeriveKey, so an
// installation that verifies bounces can sign unsubscribe URLs with no
// new secret, and a consent token never verifies as a VERP token or a
// signed header (another message under another key).
package consent
