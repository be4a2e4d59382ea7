package email

import (
	"strings"

	gomessage "github.com/emersion/go-message"
	"github.com/emersion/go-message/charset"
	"github.com/emersion/go-message/textproto"
)

// parts is what a walk of a mail's MIME tree found, by role.
type parts struct {
	texts    []string // human-readable text parts, decoded to UTF-8
	html     []string // text/html parts with the markup removed
	dsn      []string // message/delivery-status bodies (RFC 3464)
	feedback string   // the first message/feedback-report (RFC 5965)
	original header   // header of the returned message, if any
	hasOrig  bool
	// nested is what a returned message/rfc822 held when it is itself a
	// report (a bounce of a bounce, or a report wrapped by a gateway).
	nested *parts
	count  int // parts visited, bounded by MaxParts
}

// walk visits one entity: the mail itself (depth 0) or a part. It splits
// multiparts itself rather than with a strict reader: real bounces carry
// truncated parts, missing closing boundaries and mbox lines, and a bounce
// is worth reading even when it is not well-formed. go-message decodes each
// leaf (transfer encoding, charset).
func (p *parts) walk(h header, body string, depth int) {
	if p.count >= MaxParts || depth > MaxDepth {
		return
	}
	p.count++
	mt, params := h.contentType()
	decode := func() string { return decodeBody(h, mt, params, body) }
	switch {
	case strings.HasPrefix(mt, "multipart/"):
		p.walkMultipart(params["boundary"], body, depth)
	case mt == "message/delivery-status" || mt == "message/global-delivery-status":
		p.dsn = append(p.dsn, decode())
	case mt == "message/feedback-report":
		if p.feedback == "" {
			p.feedback = decode()
		}
	case mt == "message/rfc822" || mt == "message/global" || mt == "message/partial":
		oh, ob := readHeader(decode(), true)
		p.setOriginal(oh)
		if isReportHeader(oh) && p.nested == nil {
			p.nested = &parts{count: p.count}
			p.nested.walk(oh, ob, depth+1)
			p.count = p.nested.count
		}
	case mt == "text/rfc822-headers" || mt == "text/rfc822-header" || mt == "message/rfc822-headers":
		oh, _ := readHeader(decode(), true)
		p.setOriginal(oh)
	case mt == "text/html":
		p.html = append(p.html, stripHTML(decode()))
	case depth == 0 && !h.has("content-type") && guessBoundary(body, 4) != "":
		// A multipart whose header lost its Content-Type.
		p.walkMultipart("", body, depth)
	case strings.HasPrefix(mt, "text/") || mt == "application/octet-stream" && depth == 0:
		p.texts = append(p.texts, decode())
	}
}

// walkMultipart visits the parts of a multipart body. A boundary that
// never occurs (a header rewritten by a gateway) is guessed from the body;
// a body without any part is read as text.
func (p *parts) walkMultipart(boundary string, body string, depth int) {
	var split []string
	if boundary != "" {
		split = splitMultipart(body, boundary)
	}
	if len(split) == 0 {
		if b := guessBoundary(body, -1); b != "" {
			split = splitMultipart(body, b)
		}
	}
	if len(split) == 0 {
		p.texts = append(p.texts, body)
		return
	}
	for _, part := range split {
		ph, pb := readHeader(part, false)
		p.walk(ph, pb, depth+1)
	}
}

// setOriginal keeps the first returned header section seen.
func (p *parts) setOriginal(h header) {
	if !p.hasOrig && len(h) > 0 {
		p.original, p.hasOrig = h, true
	}
}

// isReportHeader reports whether a returned message is itself a report:
// a multipart/report, or a mail from a mailer daemon.
func isReportHeader(h header) bool {
	mt, params := h.contentType()
	if mt == "multipart/report" || strings.HasPrefix(params["report-type"], "delivery-status") {
		return true
	}
	from := strings.ToLower(h.get("from"))
	return strings.Contains(from, "mailer-daemon") || strings.Contains(from, "postmaster")
}

// splitMultipart cuts body into the parts between "--boundary" lines (RFC
// 2046 section 5.1.1). It keeps a last part that lacks its closing
// delimiter, and ignores the preamble and epilogue.
func splitMultipart(body string, boundary string) []string {
	delim := "--" + boundary
	var out []string
	start := -1 // start of the current part's content
	for pos := 0; pos < len(body) && len(out) < MaxParts; {
		line, _ := cutLine(body[pos:])
		next := pos + len(line) + 1
		if line = strings.TrimLeft(line, " \t"); strings.HasPrefix(line, delim) {
			tail := strings.TrimRight(line[len(delim):], " \t")
			closing := strings.HasPrefix(tail, "--")
			if len(tail) == 0 || closing {
				if start >= 0 {
					out = append(out, body[start:max(start, pos-1)])
				}
				if closing {
					return out
				}
				start = min(next, len(body))
			}
		}
		pos = next
	}
	if start >= 0 && start < len(body) {
		out = append(out, body[start:])
	}
	return out
}

// guessBoundary finds the boundary of a multipart whose header lost it (a
// folded line without indentation, a gateway that rewrote the header): a
// "--token" line, token without spaces, that occurs at least twice and is
// followed at least once by a Content-Type field. With within >= 0 the
// first delimiter must come within that many non-blank lines of the start
// (a preamble), so that the boundary of a quoted original is not taken for
// the report's.
func guessBoundary(body string, within int) string {
	tries := 0 // candidates counted in the body: bounded, each costs a scan
	for rest := body; len(rest) > 0 && tries < 16; {
		var line string
		line, rest = cutLine(rest)
		line = strings.TrimRight(line, " \t")
		if len(line) > 0 && within >= 0 {
			if within == 0 {
				return ""
			}
			within--
		}
		if len(line) < 4 || len(line) > 100 || line[0] != '-' || line[1] != '-' || strings.ContainsAny(line, " \t") {
			continue
		}
		b := strings.TrimSuffix(line[2:], "--")
		next, _ := cutLine(rest)
		if len(next) >= 13 && strings.EqualFold(next[:13], "content-type:") {
			if tries++; strings.Count(body, line[:len(b)+2]) >= 2 {
				return b
			}
		}
	}
	return ""
}

// decodeBody undoes a part's Content-Transfer-Encoding and converts a text
// part's charset to UTF-8 with go-message. What it cannot decode it keeps as
// it is: an unknown charset or a broken encoding still leaves readable
// ASCII, which is what bounce parsing needs. mt and params are h's
// contentType, which the caller has read already.
func decodeBody(h header, mt string, params map[string]string, body string) string {
	var th textproto.Header
	if v := h.get("content-type"); v != "" {
		th.Set("Content-Type", v)
	}
	enc := strings.ToLower(strings.TrimSpace(h.get("content-transfer-encoding")))
	if enc != "" {
		th.Set("Content-Transfer-Encoding", enc)
	}
	cs := strings.ToLower(params["charset"])
	if strings.HasPrefix(cs, "iso-2022-jp") && hasHighBytes(body) {
		// ISO-2022-JP is 7-bit (RFC 1468); 8-bit bytes under that label
		// are EUC-JP, which Japanese MTAs mislabel.
		th.Set("Content-Type", mt+"; charset=euc-jp")
	}
	plain := (enc == "" || enc == "7bit" || enc == "8bit" || enc == "binary") &&
		(cs == "" || cs == "us-ascii" || cs == "utf-8" || !strings.HasPrefix(mt, "text/"))
	out := body
	if !plain {
		e, err := gomessage.New(gomessage.Header{Header: th}, strings.NewReader(body))
		if e != nil {
			if b := readAllBounded(e.Body, MaxMailSize, len(body)); len(b) > 0 || err == nil {
				out = b
			}
		}
		if err != nil && gomessage.IsUnknownCharset(err) && strings.HasPrefix(cs, "iso-2022") {
			out = decodeISO2022(out)
		}
	}
	if hasISO2022(out) {
		out = decodeISO2022(out)
	}
	if strings.IndexByte(out, '\r') < 0 {
		return out
	}
	return normalizeEOL(out)
}

// hasHighBytes reports whether b has bytes outside 7-bit ASCII.
func hasHighBytes(b string) bool {
	for i := 0; i < len(b); i++ {
		if b[i] >= 0x80 {
			return true
		}
	}
	return false
}

// hasISO2022 reports whether s holds ISO-2022-JP escape sequences (RFC
// 1468): Japanese senders put them in parts and headers that declare no
// charset or a wrong one.
func hasISO2022(s string) bool {
	return strings.Contains(s, "\x1b$B") || strings.Contains(s, "\x1b$@") || strings.Contains(s, "\x1b(J")
}

// decodeISO2022 converts ISO-2022-JP text to UTF-8, or returns b as it was
// when the conversion fails.
func decodeISO2022(b string) string {
	r, err := charset.Reader("iso-2022-jp", strings.NewReader(b))
	if err != nil {
		return b
	}
	if out := readAllBounded(r, MaxMailSize, len(b)*3/2); len(out) > 0 {
		return out
	}
	return b
}

// normalizeEOL turns CRLF and lone CR line ends into LF.
func normalizeEOL(b string) string {
	var sb strings.Builder
	sb.Grow(len(b))
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c == '\r' {
			if i+1 < len(b) && b[i+1] == '\n' {
				continue
			}
			c = '\n'
		}
		sb.WriteByte(c)
	}
	return sb.String()
}

// stripHTML keeps the text of an HTML part: tags become spaces, block ends
// become line ends, and the common entities are decoded.
func stripHTML(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for len(s) > 0 {
		lt := strings.IndexByte(s, '<')
		if lt < 0 {
			b.WriteString(s)
			break
		}
		b.WriteString(s[:lt])
		gt := strings.IndexByte(s[lt:], '>')
		if gt < 0 {
			break
		}
		tag := strings.ToLower(s[lt : lt+gt+1])
		switch {
		case strings.HasPrefix(tag, "<br"), strings.HasPrefix(tag, "</p"), strings.HasPrefix(tag, "</div"),
			strings.HasPrefix(tag, "</tr"), strings.HasPrefix(tag, "</li"), strings.HasPrefix(tag, "<p"):
			b.WriteByte('\n')
		default:
			b.WriteByte(' ')
		}
		s = s[lt+gt+1:]
		if strings.HasPrefix(tag, "<style") || strings.HasPrefix(tag, "<script") {
			end := strings.Index(strings.ToLower(s), "</"+strings.Trim(tag[1:], "> ")[:5])
			if end < 0 {
				break
			}
			s = s[end:]
		}
	}
	return htmlEntities.Replace(b.String())
}

var htmlEntities = strings.NewReplacer("&nbsp;", " ", "&lt;", "<", "&gt;", ">", "&amp;", "&", "&quot;", `"`, "&#39;", "'", "&#160;", " ")
