package consent

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/rebond/rebond/channels"
)

// The public paths of consent URLs, under the API's base URL: a GET shows a
// page and changes nothing (mail scanners fetch links, RFC 8058 section
// 3); a POST acts.
const (
	UnsubscribePath = "/consent/unsubscribe/"
	ConfirmPath     = "/consent/confirm/"
)

// MailtoLocal is the local part of the RFC 2369 mailto: unsubscribe
// address at a domain of the SMTP listener (smtp.domains): a mail to it
// carrying an unsubscribe token in its Subject opts the recipient out.
const MailtoLocal = "unsubscribe"

// MailtoSubject starts the Subject of a mailto: unsubscribe; the token
// follows after a space.
const MailtoSubject = "unsubscribe"

// URL returns the public URL of token text s (of kind k) under base, the
// API's public origin (e.g. https://rebond.example.com).
func URL(base string, k Kind, s string) string {
	p := UnsubscribePath
	if k == Confirm {
		p = ConfirmPath
	}
	return strings.TrimRight(base, "/") + p + s
}

// Mailto returns the mailto: URI of unsubscribe token s at domain: the
// address MailtoLocal@domain with the token in the subject (a local part
// holds at most 64 bytes, RFC 5321 section 4.5.3.1, and some MTAs fold its
// case; a Subject keeps both). "" when domain is empty.
func Mailto(domain, s string) string {
	if domain == "" {
		return ""
	}
	return "mailto:" + MailtoLocal + "@" + domain + "?subject=" + url.PathEscape(MailtoSubject+" "+s)
}

// Headers returns the values of the List-Unsubscribe (RFC 2369: each URI
// in angle brackets, the HTTPS one first) and List-Unsubscribe-Post (RFC
// 8058) headers of a message whose unsubscribe URL is link and mailto:
// URI mailto ("" for none). Both headers must be covered by the message's
// DKIM signature (RFC 8058 section 4) for mailbox providers to offer
// one-click unsubscribe.
func Headers(link, mailto string) (listUnsubscribe, listUnsubscribePost string) {
	listUnsubscribe = "<" + link + ">"
	if mailto != "" {
		listUnsubscribe += ", <" + mailto + ">"
	}
	return listUnsubscribe, "List-Unsubscribe=One-Click"
}

// MailtoToken finds the unsubscribe token in the Subject of a mail sent
// to a mailto: unsubscribe address: the first word that has the token
// prefix (a mail client may add "Re:" or other words around it).
func MailtoToken(subject string) (string, bool) {
	for _, w := range strings.Fields(subject) {
		if strings.HasPrefix(w, Unsubscribe.prefix()) {
			return w, true
		}
	}
	return "", false
}

// IsMailto reports whether the envelope recipient rcpt is a mailto:
// unsubscribe address: local part MailtoLocal, in any case (the domain is
// the SMTP listener's to check).
func IsMailto(rcpt string) bool {
	at := strings.LastIndexByte(rcpt, '@')
	return at > 0 && strings.EqualFold(strings.Trim(rcpt[:at], "<\""), MailtoLocal)
}

// MailtoEvent is the opt-out a mail to a mailto: unsubscribe address
// asks for (RFC 2369): the unsubscribe token in its subject, checked with
// the key of the tenant it names, as an opt_out event of source mailto
// received at at, normalized (its id set). ErrInvalid when the subject
// holds no valid token.
func MailtoEvent(subject string, keyOf KeyOf, at time.Time) (channels.Event, error) {
	s, ok := MailtoToken(subject)
	if !ok {
		return channels.Event{}, fmt.Errorf("%w: no unsubscribe token in the subject", ErrInvalid)
	}
	t, err := Open(s, Unsubscribe, keyOf, at)
	if err != nil {
		return channels.Event{}, err
	}
	e := t.Event(channels.OptOut, channels.SourceMailto, at, "", "")
	// Normalized here: its id derives from the token and the time the
	// mail was received, so the same spooled mail parsed again is the
	// same event.
	if err := e.Normalize(); err != nil {
		return channels.Event{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	return e, nil
}
