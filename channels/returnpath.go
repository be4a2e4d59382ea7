package channels

// The providers of reports that come back to rebond from outside a
// message's sending path: bounce mail (RFC 3464 DSNs and the non-standard
// bounces of MTAs) and automatic replies (RFC 3834), received at rebond's
// own SMTP listener or in its bounce mailboxes. The email adapter writes
// them; the core reads them (lifecycle: a returned mail gives no route).
const (
	ProviderBounceMail = "bounce-mail"
	ProviderAutoReply  = "auto-reply"
)

// ReturnPath says whether provider names a return path rather than a
// route a message was sent by. A returned mail says what happened, not
// which way the message went, and only failed messages come back.
func ReturnPath(provider string) bool {
	return provider == ProviderBounceMail || provider == ProviderAutoReply
}
