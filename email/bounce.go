package email

import (
	"bytes"
	"strings"
	"unicode"
)

// dsn fills the report from its message/delivery-status parts (RFC 3464).
// It returns false when they name no recipient, so the caller reads the
// text instead. What a recipient group lacks (no Diagnostic-Code, no reply
// code) is taken from the text's block about the same address.
func (m *message) dsn() bool {
	var rcpts []Recipient
	for _, body := range m.p.dsn {
		msg, groups := parseDSN(body)
		if m.r.ReportingMTA == "" {
			_, m.r.ReportingMTA = typedValue(msg.get("reporting-mta"))
		}
		if m.r.ArrivalDate.IsZero() {
			m.r.ArrivalDate = parseDate(msg.get("arrival-date"))
		}
		for _, g := range groups {
			rc := dsnRecipient(g)
			switch {
			case rc.Address == "":
				m.nameless = append(m.nameless, rc)
			case !hasAddress(rcpts, rc.Address) && len(rcpts) < MaxRecipients:
				rcpts = append(rcpts, rc)
			}
		}
	}
	if len(rcpts) == 0 {
		return false // the text names them; see text and m.nameless
	}
	var hits map[string]textHit
	for i := range rcpts {
		rc := &rcpts[i]
		rc.Command = commandIn(rc.Diagnostic)
		// A vague status whose diagnostic quotes no status of its own
		// may be sharpened by the text (see sharperStatus).
		vague := statusRank(rc.Status) < rankSpecific && !quotesStatus(rc.Diagnostic)
		if rc.ReplyCode == 0 || thin(rc.Diagnostic) || rc.Command == "" || truncated(rc.Diagnostic) || vague {
			if hits == nil {
				hits = m.textHits()
			}
			h := hits[rc.Address]
			b := blockDiagnostic(h)
			if rc.ReplyCode == 0 || thin(rc.Diagnostic) {
				m.complete(rc, b)
			}
			if statusRank(rc.Status) < rankSpecific && !quotesStatus(rc.Diagnostic) {
				rc.Status = sharperStatus(rc.Status, b)
			}
			if truncated(rc.Diagnostic) && len(b) > len(rc.Diagnostic) {
				// Sendmail keeps only the first line of a multi-line
				// reply in the DSN; its transcript has them all.
				code, status := replyIn(b)
				rc.Diagnostic = unfoldReply(b, code, status)
			}
			if rc.Command == "" {
				rc.Command = firstNonEmpty(h.cmd, commandIn(b), m.replyCommand(rc.Diagnostic))
			}
		}
		if rc.Action == "" {
			rc.Action = m.action(rc.Status)
		}
		rc.Action = finalAction(rc.Action, rc.Diagnostic)
	}
	m.r.Kind, m.r.Recipients = KindDSN, rcpts
	return true
}

// complete fills a recipient's missing diagnostic, reply code and status
// from the text's block about it (or the whole text).
func (m *message) complete(rc *Recipient, block string) {
	if block == "" {
		block = m.summary()
	}
	if thin(rc.Diagnostic) {
		rc.Diagnostic = block
	}
	code, status := replyIn(block)
	if rc.ReplyCode == 0 {
		rc.ReplyCode = code
	}
	rc.Status = preferStatus(rc.Status, status)
}

// quotesStatus reports whether a diagnostic quotes an enhanced status.
func quotesStatus(d string) bool {
	_, st := replyIn(d)
	return st != ""
}

// sharperStatus returns the status the text's block about a recipient
// quotes when the DSN's own says less (statusRank) and its Diagnostic-Code
// quotes none (a remote's own X.0.0 reply is the remote's word, and a
// transcript's summary line after it the reporting MTA's): an X.0.0 (RFC
// 3463 section 3.1, only the class known) or X.Y.0 gives way to a more
// specific status of its class, and X.4.7 (delivery time expired: the
// reporting MTA's queue gave up) to the remote's last reply, whatever its
// class, which says why delivery never succeeded ("Status: 4.4.7" above
// Sendmail's "(reason: 452 4.2.2 Mailbox full)"). Otherwise status stays.
func sharperStatus(status, block string) string {
	if statusRank(status) == rankSpecific || block == "" {
		return status
	}
	_, st := replyIn(block)
	switch {
	case statusRank(st) <= statusRank(status):
		return status
	case status != "" && st[0] != status[0] && !expiryStatus(status):
		return status
	}
	return st
}

// truncated reports a diagnostic that is the first line of a multi-line
// reply ("550-5.7.1 ..."), the rest lost.
func truncated(d string) bool {
	return len(d) > 4 && isDigit(d[0]) && isDigit(d[1]) && isDigit(d[2]) && d[3] == '-'
}

// thin reports a diagnostic too short to say anything ("X-Unix; 255"):
// the text's words about the recipient replace it.
func thin(d string) bool {
	return letters(d) < 4
}

// textHits maps each address the text names to what it says of it.
func (m *message) textHits() map[string]textHit {
	out := map[string]textHit{}
	for _, h := range scanText(m.lines, m.skip) {
		out[h.addr] = h
	}
	return out
}

// blockDiagnostic returns a hit's block as one line, or "" when it says
// nothing beyond the address.
func blockDiagnostic(h textHit) string {
	if len(h.block) == 0 {
		return ""
	}
	d := cleanDiagnostic(strings.Join(h.block, "\n"))
	if letters(d)-letters(h.addr)*strings.Count(d, h.addr) < 8 {
		return ""
	}
	return d
}

// letters counts the letters of s.
func letters(s string) int {
	n := 0
	for _, r := range s {
		if unicode.IsLetter(r) {
			n++
		}
	}
	return n
}

func hasAddress(rs []Recipient, addr string) bool {
	for _, r := range rs {
		if r.Address == addr {
			return true
		}
	}
	return false
}

// text fills the report from a non-standard bounce's words.
func (m *message) text() {
	m.r.Kind = KindDSN
	hits := scanText(m.lines, m.skip)
	if len(hits) == 0 && m.nested() {
		return
	}
	action := m.action("")
	for _, h := range hits {
		rc := Recipient{Address: h.addr, Action: action, Diagnostic: blockDiagnostic(h)}
		code, status := replyIn(rc.Diagnostic)
		rc.Diagnostic = unfoldReply(rc.Diagnostic, code, status)
		if i := len(m.r.Recipients); i < len(m.nameless) {
			// A DSN group whose Final-Recipient lost its local part
			// ("rfc822; @mx.example.org") still gives its status.
			rc.Status = preferStatus(rc.Status, m.nameless[i].Status)
		}
		if len(hits) == 1 && !hasReply(rc.Diagnostic) {
			// The block names the address but not the error (a
			// "message details" list): the bounce's words say why.
			rc.Diagnostic = ""
		}
		m.complete(&rc, rc.Diagnostic)
		rc.Command = firstNonEmpty(h.cmd, commandIn(rc.Diagnostic))
		rc.Action = finalAction(rc.Action, rc.Diagnostic)
		m.r.Recipients = append(m.r.Recipients, rc)
	}
	if len(m.r.Recipients) > 0 {
		return
	}
	// The words name nobody: X-Failed-Recipients (Exim), then the
	// returned original's addressee.
	addrs := addressList(m.h.get("x-failed-recipients"))
	if len(addrs) == 0 {
		addrs = listAddress(m.h)
	}
	if len(addrs) == 0 && m.p.hasOrig {
		addrs = addressList(m.p.original.get("to"))
		if len(addrs) > 1 {
			addrs = nil // which of them failed is unknown
		}
	}
	if len(addrs) == 0 {
		addrs = []string{""} // Events may still learn it from a VERP address
	}
	for _, a := range addrs {
		rc := Recipient{Address: a, Action: action}
		m.complete(&rc, "")
		rc.Command = commandIn(rc.Diagnostic)
		rc.Action = finalAction(rc.Action, rc.Diagnostic)
		m.r.Recipients = append(m.r.Recipients, rc)
	}
}

// hasReply reports whether a text quotes a failure reply code or a status.
func hasReply(s string) bool {
	code, status := replyIn(s)
	return code >= 400 || status != ""
}

// nested reads a bounce quoted as the "original" of a text bounce (a
// bounce that was itself bounced or forwarded by a provider's gateway) and
// takes its recipients. It reports whether it found any.
func (m *message) nested() bool {
	if len(m.quoted) == 0 || m.depth >= 2 || !isReportHeader(m.p.original) {
		return false
	}
	inner := parseMail([]byte(strings.Join(m.quoted, "\n")), m.depth+1)
	if inner == nil || inner.Kind != KindDSN || len(inner.Recipients) == 0 || inner.Recipients[0].Address == "" {
		return false
	}
	m.r.Recipients, m.r.Original = inner.Recipients, inner.Original
	m.p.original, m.p.hasOrig = nil, false
	return true
}

// action infers RFC 3464's action for a recipient whose report gives none:
// delivered for a class 2 status, delayed when the report says delivery
// goes on, failed otherwise (a bounce is a final failure unless it says
// it is a warning).
func (m *message) action(status string) string {
	switch {
	case strings.HasPrefix(status, "2."):
		return "delivered"
	case m.isDelayNotice():
		return "delayed"
	}
	return "failed"
}

// isDelayNotice reports a notification that says delivery is still being
// attempted (RFC 3464 section 2.3.3 "delayed"): a warning, not a bounce.
// The subjects of the MTAs' warnings say "delay" or start "Warning:"
// (Postfix's "Delayed Mail (still being retried)", Exim's "Warning:
// message ... delayed 24 hours", Sendmail's "Warning: could not send
// message for past 4 hours", Exchange's "Delivery delayed:" and
// "Delivery Status Notification (Delay)"); their texts say it in
// delayPhrases, for a subject a gateway rewrote or one that says neither
// (OpenSMTPD's "Delivery status notification: Warning", Courier's
// "NOTICE: mail delivery status.").
func (m *message) isDelayNotice() bool {
	if m.delay == 0 {
		m.delay = 1
		if m.readsAsDelay() {
			m.delay = 2
		}
	}
	return m.delay == 2
}

// readsAsDelay is isDelayNotice's search, done once a message.
func (m *message) readsAsDelay() bool {
	subj := strings.ToLower(m.r.Subject)
	if strings.Contains(subj, "delay") || strings.HasPrefix(subj, "warning:") {
		return true
	}
	low := m.lower()
	for _, p := range delayPhrases {
		if strings.Contains(low, p) {
			return true
		}
	}
	return false
}

// finalAction corrects a "delayed" action whose own diagnostic says the
// sending MTA removed the message from its queue: OpenSMTPD (queue.c)
// writes "Envelope expired" when an envelope outlives its queue lifetime
// and reports it in its delay template ("A message is delayed ...", Action:
// delayed, Status: 4.4.7), though it will never try again; that is a final
// failure (RFC 3464 section 2.3.3: failed, "could not be delivered").
func finalAction(action, diagnostic string) string {
	if action == "delayed" && containsFoldASCII(diagnostic, "envelope expired") {
		return "failed"
	}
	return action
}

// containsFoldASCII reports whether s contains the lower-case ASCII
// phrase, ignoring the case of ASCII letters.
func containsFoldASCII(s, phrase string) bool {
	for i := 0; i+len(phrase) <= len(s); i++ {
		if s[i]|0x20 == phrase[0] && strings.EqualFold(s[i:i+len(phrase)], phrase) {
			return true
		}
	}
	return false
}

// delayPhrases are the delay notices' own words, lower case: Postfix's
// "THIS IS A WARNING ONLY. YOU DO NOT NEED TO RESEND YOUR MESSAGE" and "It
// will be retried until it is 5 day(s) old", Sendmail's "THIS IS A WARNING
// MESSAGE ONLY" and "Will keep trying until message is 5 days old", Exim's
// "has not yet been delivered" and "No action is required on your part",
// Exchange's "Delivery is delayed to these recipients" and "This message
// hasn't been delivered yet", OpenSMTPD's "this is only a temporary
// failure report" and "You DO NOT NEED to re-send", Gmail's "Gmail will
// retry".
var delayPhrases = []string{
	"will continue to try", "will keep trying", "will retry", "will be retried", "still trying",
	"has not yet been delivered", "not been delivered yet", "hasn't been delivered yet", "delivery attempts will continue",
	"no action is required on your part", "will try to deliver", "will try again",
	"this is a warning only", "warning message only", "do not need to resend", "do not need to re-send",
	"only a temporary failure report", "delivery is delayed", "has been delayed",
}

// cleanDiagnostic unfolds a diagnostic into one line, collapses runs of
// white space and bounds it to MaxDiagnostic bytes.
func cleanDiagnostic(s string) string {
	var b strings.Builder
	b.Grow(min(len(s), MaxDiagnostic))
	space := false
	for _, r := range s {
		if b.Len() >= MaxDiagnostic {
			break
		}
		if unicode.IsSpace(r) || r == 0 {
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// commandIn returns the SMTP command a diagnostic says was refused:
// Postfix "(in reply to RCPT TO command)", Exim "after RCPT TO:" and
// "after initial connection", Postfix's "refused to talk to me" (its words
// for a greeting that is not 2xx, smtp_proto.c), Sendmail transcripts
// ">>> DATA", and the fixed sentences of qmail-remote (qmail-remote.c:
// "does not like recipient", "failed after I sent the message", "sender was
// rejected", "greeting failed", "my name was rejected").
func commandIn(d string) string {
	// One ASCII lower-cased copy, then a fast substring search per
	// phrase: the same as a case-folded search, since every phrase is
	// ASCII, and a non-ASCII letter cannot fold to an ASCII one in the
	// same number of bytes.
	var buf [512]byte
	low := appendLowerASCII(buf[:0], d)
	for _, c := range commandPhrases {
		if bytes.Contains(low, c.phrase) {
			return c.cmd
		}
	}
	return ""
}

// appendLowerASCII appends s to dst with A-Z lower-cased.
func appendLowerASCII(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

// commandPhrases are the phrases commandIn looks for, lower case, in
// order: the first found names the command.
var commandPhrases = []struct {
	phrase []byte
	cmd    string
}{
	{[]byte("refused to talk to me"), "CONN"}, {[]byte("end of data"), "DATA"}, {[]byte("failed after i sent the message"), "DATA"},
	{[]byte("does not like recipient"), "RCPT"}, {[]byte("rcpt to"), "RCPT"},
	{[]byte("mail from"), "MAIL"}, {[]byte("sender was rejected"), "MAIL"}, {[]byte(">>> data"), "DATA"},
	{[]byte("after data"), "DATA"}, {[]byte("data command"), "DATA"}, {[]byte("ehlo"), "EHLO"}, {[]byte("helo"), "HELO"},
	{[]byte("my name was rejected"), "HELO"}, {[]byte("in reply to initial"), "CONN"}, {[]byte("after initial connection"), "CONN"},
	{[]byte("greeting"), "CONN"}, {[]byte("starttls"), "STARTTLS"},
}

// replyCommand returns the command a transcript sent before the reply
// that is the diagnostic d: Sendmail's DSN quotes "550 : User unknown"
// while the reply in its transcript, ">>> DATA" then "<<< 550 : User
// unknown", names no address that would tie it to its recipient. A reply
// that follows a session's "... while talking to" line with no command
// between answered the greeting: CONN (see isSessionIntro).
func (m *message) replyCommand(d string) string {
	if len(d) < 8 || !strings.Contains(m.lower(), "<<< ") {
		return ""
	}
	cmd := ""
	for _, l := range m.lines {
		if c := transcriptCommand(l); c != "" {
			cmd = c
			continue
		}
		if isSessionIntro(l) {
			cmd = "CONN" // a new session: no command sent yet
			continue
		}
		if r, ok := transcriptReply(l); ok && cmd != "" {
			r = cleanDiagnostic(r)
			if n := min(len(r), len(d)); n >= 8 && strings.EqualFold(r[:n], d[:n]) {
				return cmd
			}
		}
	}
	return ""
}

// embeddedDSN reads delivery-status fields written into the text of a
// report that lost its MIME structure (a gateway that dropped the
// boundaries, an MTA that inlines them): from the first recipient field,
// and the field lines just above it, to the end of the text.
func (m *message) embeddedDSN() {
	first := -1
	for i, l := range m.lines {
		if name, _, ok := dsnField(l); ok && (name == "final-recipient" || name == "original-recipient") {
			first = i
			break
		}
	}
	if first < 0 {
		return
	}
	start := first
	for start > 0 {
		l := m.lines[start-1]
		if _, _, ok := dsnField(l); !ok && strings.TrimSpace(l) != "" && l[0] != ' ' && l[0] != '\t' {
			break
		}
		start--
	}
	m.p.dsn = append(m.p.dsn, strings.Join(m.lines[start:], "\n"))
	m.lines = m.lines[:start]
	m.low = ""
}

// listAddress returns the address of the mailing list whose manager sent
// a notice about a post (Mailman's "held until the list moderator",
// Majordomo's non-member refusal): the list is the recipient the post
// failed to reach. Mailman names it in X-BeenThere, RFC 2369 list managers
// in List-Post (<mailto:list@host>).
func listAddress(h header) []string {
	if a := addressList(h.get("x-beenthere")); len(a) == 1 {
		return a
	}
	v := strings.TrimSpace(h.get("list-post"))
	if v, ok := strings.CutPrefix(v, "<mailto:"); ok {
		if a := addressList(strings.TrimSuffix(v, ">")); len(a) == 1 {
			return a
		}
	}
	return nil
}
