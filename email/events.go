package email

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"strings"
	"time"

	"github.com/rebond/rebond/channels"
)

// Provider is the Event.Provider of events read from bounce mails;
// ProviderAutoReply marks the events of automatic replies, which the
// shipped rules classify ignored/auto_reply: the provider, unlike any text,
// cannot be written by a remote server into a bounce.
const (
	Provider          = channels.ProviderBounceMail
	ProviderAutoReply = channels.ProviderAutoReply
)

// UndisclosedRecipient is the recipient of a complaint whose report names
// none (RFC 5965 section 3.2 makes Original-Rcpt-To optional, and
// providers redact it): the complaint still counts against its message and
// campaign. The .invalid top-level domain (RFC 2606 section 2) can never be
// a real recipient's.
const UndisclosedRecipient = "undisclosed-recipients@invalid"

// DefaultMaxRaw bounds Event.Raw when EventOptions.MaxRaw is 0.
const DefaultMaxRaw = 64 << 10

// EventOptions tunes Report.Events. The zero value is usable.
type EventOptions struct {
	// VERP verifies the VERP token in the notification's To,
	// Delivered-To and in EnvelopeTo; a zero Secret disables it.
	VERP VERP
	// EnvelopeTo lists the envelope recipients (RCPT TO) the mail came
	// with, when the caller received it over SMTP.
	EnvelopeTo []string
	// Received is when the mail arrived: the time of events whose report
	// carries no date at all. Zero means time.Now().
	Received time.Time
	// MaxRaw bounds Event.Raw in bytes: 0 means DefaultMaxRaw, a negative
	// value keeps no raw mail.
	MaxRaw int
	// Signature checks the X-Rebond-Signature of the returned headers; a
	// zero Secret disables it.
	Signature Signature
	// Verify marks Unverified every event that neither the VERP token nor
	// the signed header vouches for (see Events). False trusts the mail
	// as it is: for mail from an authenticated source, or smtp.trust: any.
	Verify bool
}

// Events turns the report into events, one per recipient, in report
// order:
//
//   - a DSN recipient gives failed (action failed), deferred (delayed) or
//     delivered (delivered, relayed, expanded), with SMTP holding the
//     reply code, the RFC 3463 status and the diagnostic text. A bounce
//     that gives no status gets X.0.0 of its class, RFC 3463 section 3.1's
//     code "for all errors for which only the class of the error is
//     known": the reply code's class, else 5 for a failure and 4 for a
//     delay;
//   - a feedback recipient gives a complaint;
//   - an automatic reply gives a failed event from ProviderAutoReply,
//     which the rules classify ignored/auto_reply;
//   - KindNone gives nothing.
//
// MessageID comes from the VERP token first, then the X-Rebond-Message-ID
// of the returned headers, then their Message-ID; Campaign from
// X-Rebond-Campaign. OccurredAt is the recipient's Last-Attempt-Date, else
// Arrival-Date, else the Date field, else opts.Received. Ids are
// deterministic: a hash of the raw mail and the recipient's index, so the
// same mail always gives the same ids. A recipient without an address
// (an ARF report with undisclosed recipients) takes the VERP recipient, or
// gives no event, except a complaint, which goes to UndisclosedRecipient;
// an address that channels.NormalizeRecipient refuses gives no event.
//
// Trust: a recipient is verified when the VERP token verifies and names
// it (as its Final-Recipient or Original-Recipient, or when the report
// names none), or when X-Rebond-Signature verifies for the returned
// X-Rebond-Message-ID, it and X-Rebond-Campaign; its event then names the
// recipient the message was sent to, and the VERP's or the signed message
// id. With opts.Verify, every other event is marked Unverified: a VERP
// token for one recipient vouches for no other, whatever the report says.
func (r *Report) Events(opts EventOptions) []channels.Event {
	if r == nil || r.Kind == KindNone || len(r.Recipients) == 0 {
		return nil
	}
	verpID, verpRcpt := r.verp(opts)
	raw := r.rawString(opts.MaxRaw)
	out := make([]channels.Event, 0, len(r.Recipients))
	for i, rc := range r.Recipients {
		e := channels.Event{
			ID:         r.eventID(i),
			Channel:    channels.Email,
			Type:       r.eventType(rc),
			Recipient:  rc.Address,
			MessageID:  firstNonEmpty(verpID, r.Original.RebondMessageID, r.Original.MessageID),
			Campaign:   r.Original.Campaign,
			OccurredAt: r.occurredAt(rc, opts.Received),
			Provider:   Provider,
			Raw:        raw,
		}
		verified := r.vouch(&e, rc, verpID, verpRcpt, opts.Signature)
		if e.Recipient == "" && r.Kind == KindFeedback {
			e.Recipient = UndisclosedRecipient
		}
		e.Unverified = opts.Verify && !verified
		e.Recipient = quoteLocal(e.Recipient)
		switch r.Kind {
		case KindDSN:
			e.SMTP = &channels.SMTPReply{Code: rc.ReplyCode, Status: eventStatus(rc), Text: eventText(rc)}
		case KindAutoReply:
			e.Provider = ProviderAutoReply
		}
		// Correlation values come from a remote server's copy of our headers:
		// one that is too long or not clean text correlates nothing, but the
		// bounce itself must not be lost over it.
		if len(e.MessageID) > channels.MaxIDLen || !channels.CleanID(e.MessageID) {
			e.MessageID = ""
		}
		if len(e.Campaign) > channels.MaxIDLen || !channels.CleanID(e.Campaign) {
			e.Campaign = ""
		}
		if e.Normalize() != nil {
			continue // no usable recipient: nothing to attribute the fact to
		}
		out = append(out, e)
	}
	return out
}

// eventType maps a recipient's action to an event type.
func (r *Report) eventType(rc Recipient) channels.Type {
	switch r.Kind {
	case KindFeedback:
		return channels.Complaint
	case KindAutoReply:
		return channels.Failed
	}
	switch rc.Action {
	case "delayed":
		return channels.Deferred
	case "delivered", "relayed", "expanded", "deliverable":
		// "deliverable" is Postfix's address verification report
		// (sendmail -bv): the receiver accepted the recipient.
		return channels.Delivered
	}
	return channels.Failed
}

// eventText returns the diagnostic, with the SMTP command the report
// named apart from it (a transcript's ">>> DATA", Postfix's text part)
// appended in Postfix's words, "(in reply to end of DATA command)": a
// refusal after DATA is a filter's, after RCPT TO an address's, and rules
// read that from the text in one form.
//
// A Diagnostic-Code type other than smtp stays in front ("x-unix; ..."):
// RFC 3464 section 2.3.6 makes it say what produced the text (a local
// program's exit for X-Unix), which is part of the diagnosis.
func eventText(rc Recipient) string {
	text := rc.Diagnostic
	if t := rc.DiagnosticType; t != "" && t != "smtp" && !strings.HasPrefix(strings.ToLower(text), t) {
		text = t + "; " + text
	}
	if rc.Command == "" || commandIn(rc.Diagnostic) != "" {
		return text
	}
	words := map[string]string{"DATA": "end of DATA", "RCPT": "RCPT TO", "MAIL": "MAIL FROM", "CONN": "initial greeting"}[rc.Command]
	if words == "" {
		words = rc.Command
	}
	return strings.TrimSpace(text + " (in reply to " + words + " command)")
}

// eventStatus returns the recipient's status, or X.0.0 of its class when
// the report gives none (see Events).
func eventStatus(rc Recipient) string {
	switch {
	case rc.Status != "":
		return rc.Status
	case rc.ReplyCode >= 200:
		return string(rune('0'+rc.ReplyCode/100)) + ".0.0"
	case rc.Action == "delayed":
		return "4.0.0"
	case rc.Action == "delivered" || rc.Action == "relayed" || rc.Action == "expanded" || rc.Action == "deliverable":
		return "2.0.0"
	}
	return "5.0.0"
}

// verp returns the message id and recipient of the first VERP address of
// the notification's addressees or envelope that verifies.
func (r *Report) verp(opts EventOptions) (messageID, recipient string) {
	if len(opts.VERP.Secret) == 0 {
		return "", ""
	}
	for _, list := range [][]string{opts.EnvelopeTo, r.To} {
		for _, a := range list {
			if id, rcpt, ok := opts.VERP.Decode(a); ok {
				return id, rcpt
			}
		}
	}
	return "", ""
}

// vouch sets e's recipient and message id from what verifies for report
// recipient rc, and says whether anything did: the VERP token when it
// names rc (or rc has no address), else the signed header for rc's final
// or original address. An empty rc address takes the VERP recipient
// either way.
func (r *Report) vouch(e *channels.Event, rc Recipient, verpID, verpRcpt string, sig Signature) bool {
	o := r.Original
	if verpRcpt != "" {
		if rc.Address == "" || sameAddress(verpRcpt, rc.Address) || sameAddress(verpRcpt, rc.OriginalRecipient) {
			e.Recipient, e.MessageID = verpRcpt, verpID
			// The token covers the message id and the recipient, not the
			// campaign header beside it: that one counts only when the
			// signed header vouches for it too.
			if o.Signature == "" || o.RebondMessageID != verpID || !sig.Verify(o.Signature, verpID, verpRcpt, o.Campaign) {
				e.Campaign = ""
			}
			return true
		}
	}
	if o.Signature == "" || o.RebondMessageID == "" {
		return false
	}
	for _, a := range []string{rc.Address, rc.OriginalRecipient} {
		if a != "" && sig.Verify(o.Signature, o.RebondMessageID, a, o.Campaign) {
			e.Recipient, e.MessageID = a, o.RebondMessageID
			return true
		}
	}
	return false
}

// sameAddress compares two addresses as recipients (canonicalRecipient).
func sameAddress(a, b string) bool {
	return b != "" && canonicalRecipient(a) == canonicalRecipient(b)
}

// occurredAt picks the most precise time the report gives.
func (r *Report) occurredAt(rc Recipient, received time.Time) time.Time {
	for _, t := range []time.Time{rc.LastAttempt, r.ArrivalDate, r.Date, received} {
		if !t.IsZero() {
			return t
		}
	}
	return time.Now()
}

// eventID derives recipient i's event id from the mail's hash.
func (r *Report) eventID(i int) string {
	sum := r.digest()
	buf := make([]byte, 0, len(sum)+binary.MaxVarintLen64)
	buf = append(buf, sum[:]...)
	buf = binary.AppendUvarint(buf, uint64(i))
	id := sha256.Sum256(buf)
	return "ev_" + hex.EncodeToString(id[:16])
}

// rawString returns the raw mail bounded to max bytes (see MaxRaw).
func (r *Report) rawString(limit int) string {
	switch {
	case limit < 0:
		return ""
	case limit == 0:
		limit = DefaultMaxRaw
	}
	if len(r.raw) > limit {
		return string(r.raw[:limit])
	}
	return string(r.raw)
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// quoteLocal returns addr with its local part quoted when it is no valid
// dot-atom ("a..b@example.com", RFC 5322 section 3.4.1): the quoted form
// is the one an SMTP client must have used, so it is the recipient's
// canonical key, and channels.NormalizeRecipient accepts it.
func quoteLocal(addr string) string {
	at := strings.LastIndexByte(addr, '@')
	if at <= 0 || strings.HasPrefix(addr, `"`) {
		return addr
	}
	if _, err := channels.NormalizeRecipient(channels.Email, addr); err == nil {
		return addr
	}
	local := strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(addr[:at])
	return `"` + local + `"` + addr[at:]
}
