package email

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"unsafe"
)

// ErrNotMail is returned (wrapped) by Parse for input that is not a mail
// message at all: empty, no header field, or larger than MaxMailSize.
var ErrNotMail = errors.New("not a mail message")

// Parse reads one mail message (RFC 5322; CRLF, LF or CR line ends) and
// says what it reports: a delivery status notification (RFC 3464 or the
// non-standard bounce of an MTA or provider), an ARF complaint (RFC 5965),
// an automatic reply (RFC 3834), or nothing rebond reads (KindNone, with
// Report.Why). It returns an error only for input that is not a mail
// (ErrNotMail): a mail it cannot make sense of is a KindNone report.
// Parse never panics and bounds every dimension of its input (see the
// Max constants). It works on its own copy of raw, so the caller may
// reuse raw at once; ParseOwned saves that copy.
func Parse(raw []byte) (*Report, error) {
	if len(raw) > MaxMailSize {
		return ParseOwned(raw) // refused before it is read
	}
	return ParseOwned(bytes.Clone(raw))
}

// ParseOwned is Parse without the copy, for a caller that hands raw over:
// the Report keeps raw for Events, and every string of the Report and of
// its events shares raw's memory, so raw, and the array behind it, must
// never change afterwards (not reused, not pooled). ParseOwned itself
// never writes to it. rebond classify email reads each file into a buffer
// of its own and parses it, or each mail of an mbox file (SplitMbox,
// slices of that buffer); the copy was a sixth of what parsing a bounce
// allocated.
func ParseOwned(raw []byte) (*Report, error) {
	if len(raw) > MaxMailSize {
		return nil, fmt.Errorf("%w: %d bytes, more than %d", ErrNotMail, len(raw), MaxMailSize)
	}
	r := parseMail(raw, 0)
	if r == nil {
		return nil, fmt.Errorf("%w: no header field", ErrNotMail)
	}
	return r, nil
}

// parseMail is Parse at a nesting depth (a bounce quoted in a bounce is
// read at depth 1); nil means raw is not a mail.
func parseMail(raw []byte, depth int) *Report {
	// The mail as a string without a copy: every header value, part and
	// line after it is a substring of raw, which nobody changes (see
	// ParseOwned; Parse passes its own copy, nested parses a fresh join).
	b := unsafe.String(unsafe.SliceData(raw), len(raw))
	if strings.IndexByte(b, '\r') >= 0 {
		b = normalizeEOL(b)
	}
	h, body := readHeader(b, true)
	if len(h) == 0 || !hasMailField(h) {
		return nil
	}
	r := &Report{Kind: KindNone}
	r.setRaw(raw)
	r.Subject = decodeWords(h.get("subject"))
	r.From = firstAddress(h.get("from"))
	for _, name := range []string{"to", "delivered-to", "x-original-to", "envelope-to"} {
		for _, v := range h.all(name) {
			r.To = appendNew(r.To, addressList(v)...)
		}
	}
	r.Date = parseDate(h.get("date"))

	p := &parts{}
	p.walk(h, body, 0)
	if p.feedback == "" && len(p.dsn) == 0 && p.nested != nil && (p.nested.feedback != "" || len(p.nested.dsn) > 0) {
		p.nested.setOriginal(p.original)
		p = p.nested // a report wrapped in a message/rfc822 by a gateway
	}
	m := newMessage(h, p, r)
	m.depth, m.mail = depth, b
	if len(p.dsn) == 0 && p.feedback == "" {
		m.embeddedDSN()
	}
	switch {
	case p.feedback != "":
		m.feedback()
	case unsubscribeRequest(h):
		m.unsubscribe()
	case len(p.dsn) > 0 && m.dsn():
	case m.sesNotification():
	case m.isBounce():
		m.text()
	case isAutoReply(h, r.Subject):
		m.autoReply()
	default:
		r.Why = "no delivery report, complaint or automatic reply: " + m.notBounceWhy()
	}
	m.correlate()
	r.Format = detectFormat(h, m.lower(), r.Kind)
	r.afterData()
	return r
}

// hasMailField reports whether h has a field every mail or bounce has.
func hasMailField(h header) bool {
	for _, f := range h {
		switch f.name {
		case "from", "to", "subject", "date", "received", "return-path", "message-id", "content-type", "mime-version":
			return true
		}
	}
	return false
}

// firstAddress returns the first address of a header value.
func firstAddress(v string) string {
	if as := addressList(v); len(as) > 0 {
		return as[0]
	}
	return ""
}

// appendNew appends the values of vs not yet in list.
func appendNew(list []string, vs ...string) []string {
	for _, v := range vs {
		if v != "" && !contains(list, v) {
			list = append(list, v)
		}
	}
	return list
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// message is the state of one Parse call: the notification's header, its
// parts, the human-readable text split into lines, and the report being
// filled.
type message struct {
	h        header
	p        *parts
	r        *Report
	lines    []string // human-readable text before the returned original
	quoted   []string // the returned original quoted in the text, if any
	mailFrom []string // see senders
	low      string   // lines joined and lower-cased, built on first use
	depth    int      // nesting depth (see parseMail)
	mail     string   // the whole mail, LF line ends
	// nameless holds DSN recipient groups without a usable address, in
	// order, for the text's recipients to take their status from.
	nameless []Recipient
	delay    int8 // isDelayNotice: 0 not read yet, 1 no, 2 yes
}

func newMessage(h header, p *parts, r *Report) *message {
	m := &message{h: h, p: p, r: r}
	texts := p.texts
	if len(texts) == 0 {
		texts = p.html
	}
	size := 0
	for _, t := range texts {
		if size+len(t) > maxText {
			t = t[:max(0, maxText-size)]
		}
		size += len(t)
		m.lines = append(m.lines, strings.Split(t, "\n")...)
	}
	for i, l := range m.lines {
		m.lines[i] = strings.TrimRight(l, " \t\r")
	}
	var orig header
	m.lines, m.quoted, orig = splitOriginal(m.lines)
	if !p.hasOrig && len(orig) > 0 {
		p.setOriginal(orig)
	}
	return m
}

// lower returns the human-readable text, lower-cased.
func (m *message) lower() string {
	if m.low == "" && len(m.lines) > 0 {
		m.low = joinLower(m.lines)
	}
	return m.low
}

// joinLower is strings.ToLower(strings.Join(lines, "\n")) in one copy:
// ASCII lines, nearly all of a bounce, are lower-cased byte by byte.
// Per line is the same as whole: case mapping works on runes, and a line
// end is never part of one (an invalid sequence stops before it).
func joinLower(lines []string) string {
	n := len(lines) - 1
	for _, l := range lines {
		n += len(l)
	}
	b := make([]byte, 0, n)
	for i, l := range lines {
		if i > 0 {
			b = append(b, '\n')
		}
		if hasHighBytes(l) {
			b = append(b, strings.ToLower(l)...)
		} else {
			b = appendLowerASCII(b, l)
		}
	}
	return unsafe.String(unsafe.SliceData(b), len(b)) // b is never written again
}

// summary returns the bounce's own words, unfolded and bounded: the
// diagnostic of a recipient the text says nothing specific about.
func (m *message) summary() string {
	return cleanDiagnostic(strings.Join(m.lines, "\n"))
}

// skip reports addresses that are not the bounced recipient: a mailer
// daemon (unless the original went to it), and, unless the address leads
// its line as bounced recipients do, the notification's sender and
// addressees and the original's sender.
func (m *message) skip(addr string, rank int) bool {
	if isDaemon(addr) && !m.hasRcptDaemon(addr) || contains(m.senders(), addr) {
		return true
	}
	if rank >= rankLead {
		return false
	}
	if addr == m.r.From || contains(m.r.To, addr) {
		return true
	}
	if m.p.hasOrig {
		if f := firstAddress(m.p.original.get("from")); f == addr {
			return true
		}
		if rp := firstAddress(m.p.original.get("return-path")); rp == addr {
			return true
		}
	}
	return false
}

// senders returns the envelope senders a transcript names in "MAIL
// From:<a@example.com>" lines: a reply to that command is about the
// sender, never a recipient.
func (m *message) senders() []string {
	if m.mailFrom != nil {
		return m.mailFrom
	}
	m.mailFrom = []string{}
	for _, l := range m.lines {
		if strings.IndexByte(l, '@') < 0 {
			continue
		}
		if i := strings.Index(strings.ToLower(l), "mail from:"); i >= 0 {
			if a := addressIn(l[i:]); a != "" {
				m.mailFrom = append(m.mailFrom, a)
			}
		}
	}
	return m.mailFrom
}

// hasRcptDaemon reports whether the original was sent to the daemon
// address itself (a bounce of a message to postmaster@).
func (m *message) hasRcptDaemon(addr string) bool {
	return m.p.hasOrig && contains(addressList(m.p.original.get("to")), addr)
}
