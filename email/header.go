package email

import (
	"bytes"
	"io"
	"mime"
	"net/mail"
	"strings"
	"time"

	"github.com/emersion/go-message/charset"
)

// field is one header field, name lower-cased. A folded value is kept as
// it was read, continuation lines included, and unfolded by get or all on
// first use: most folded fields of a bounce (Received, DKIM-Signature,
// ARC-*) are never read, and unfolding each cost a sixth of what parsing a
// bounce allocated.
type field struct {
	name, value string
	folded      bool // value still holds its line ends (RFC 5322 2.2.3)
}

// unfold joins a folded value's lines with single spaces, dropping the
// white space around each and the lines left empty.
func unfold(v string) string {
	first, rest := cutLine(v)
	var sb strings.Builder
	sb.Grow(len(v))
	sb.WriteString(strings.TrimSpace(first))
	for len(rest) > 0 {
		var cont string
		cont, rest = cutLine(rest)
		if c := strings.TrimSpace(cont); c != "" {
			sb.WriteByte(' ')
			sb.WriteString(c)
		}
	}
	return sb.String()
}

// text returns the field's value unfolded, unfolding it in place once.
func (f *field) text() string {
	if f.folded {
		f.value, f.folded = unfold(f.value), false
	}
	return f.value
}

// header is a header section in order. It is a slice, not a map: bounce
// headers are short, order matters (the first Received), and a linear scan
// of a few dozen fields costs less than hashing them.
type header []field

// maxHeaderFields bounds the fields kept of one header section.
const maxHeaderFields = 512

// readHeader splits b (LF line ends) into its header section and body. It
// is lenient where real bounces are sloppy: an mbox "From " line before the
// fields, lines without a colon (skipped), a missing blank line (the header
// then ends at the first line that is neither a field nor a continuation
// once a field was read). Folded lines are unfolded (RFC 5322 2.2.3).
// Only a whole mail (top) may start with lines that are not fields; a MIME
// part whose first line is no field has no header.
func readHeader(b string, top bool) (header, string) {
	size := 4 // a MIME part's header is short, a mail's is not
	if top {
		size = fieldLines(b)
	}
	h := make(header, 0, size)
	for len(b) > 0 {
		line, rest := cutLine(b)
		if len(strings.TrimRight(line, " \t")) == 0 {
			return h, rest // the blank line that ends the header section
		}
		if line[0] == ' ' || line[0] == '\t' {
			b = rest // a continuation without a field: skip it
			continue
		}
		colon := strings.IndexByte(line, ':')
		if colon <= 0 || !isFieldName(line[:colon]) {
			if top && (len(h) == 0 || strings.HasPrefix(line, "From ") || strings.HasPrefix(line, ">From ")) {
				b = rest // mbox separator or garbage before the fields
				continue
			}
			return h, b // body without the blank line
		}
		// The field's value runs over its continuation lines; it is
		// unfolded when it is read (field.text).
		value, folded := strings.TrimSpace(line[colon+1:]), false
		if len(rest) > 0 && (rest[0] == ' ' || rest[0] == '\t') {
			for len(rest) > 0 && (rest[0] == ' ' || rest[0] == '\t') {
				_, rest = cutLine(rest)
			}
			value, folded = b[colon+1:len(b)-len(rest)], true // line starts b
		}
		if len(h) < maxHeaderFields {
			h = append(h, field{name: fieldName(strings.TrimRight(line[:colon], " \t")), value: value, folded: folded})
		}
		b = rest
	}
	return h, ""
}

// fieldLines counts the lines of b's header section that may start a
// field (not indented), up to the blank line and at most maxHeaderFields:
// the size of a mail's header, which has tens of fields, so that reading
// it does not grow the slice three or four times.
func fieldLines(b string) int {
	n := 0
	for len(b) > 0 && n < maxHeaderFields {
		line, rest := cutLine(b)
		if strings.TrimRight(line, " \t\r") == "" {
			break
		}
		if line[0] != ' ' && line[0] != '\t' {
			n++
		}
		b = rest
	}
	return n
}

// knownFields are the field names bounces use most, kept as constants so
// that reading a header does not allocate a lower-cased copy of each.
var knownFields = []string{
	"received", "from", "to", "subject", "date", "message-id", "return-path", "content-type",
	"mime-version", "content-transfer-encoding", "content-description", "content-disposition",
	"reply-to", "delivered-to", "x-original-to", "auto-submitted", "dkim-signature", "cc",
	"final-recipient", "original-recipient", "action", "status", "remote-mta", "diagnostic-code",
	"last-attempt-date", "reporting-mta", "arrival-date", "x-failed-recipients", "precedence",
	"references", "in-reply-to", "sender", "authentication-results", "x-mailer", "list-unsubscribe",
}

// fieldName returns the lower-cased field name.
func fieldName(b string) string {
	for _, k := range knownFields {
		if len(k) == len(b) && strings.EqualFold(b, k) {
			return k
		}
	}
	return strings.ToLower(b)
}

// isFieldName reports whether b is an RFC 5322 field name: printable
// US-ASCII except colon, no space (3.6.8). A trailing space before the
// colon, as some old MTAs write, is tolerated.
func isFieldName(b string) bool {
	b = strings.TrimRight(b, " \t")
	if len(b) == 0 || len(b) > 76 {
		return false
	}
	for i := 0; i < len(b); i++ {
		if c := b[i]; c <= ' ' || c > '~' {
			return false
		}
	}
	return true
}

// cutLine returns the first line of b without its LF, and the rest.
func cutLine(b string) (line, rest string) {
	if i := strings.IndexByte(b, '\n'); i >= 0 {
		return b[:i], b[i+1:]
	}
	return b, ""
}

// get returns the value of the first field called name (lower case).
func (h header) get(name string) string {
	for i := range h {
		if h[i].name == name {
			return h[i].text()
		}
	}
	return ""
}

// all returns the values of every field called name.
func (h header) all(name string) []string {
	var vs []string
	for i := range h {
		if h[i].name == name {
			vs = append(vs, h[i].text())
		}
	}
	return vs
}

// has reports whether a field called name exists.
func (h header) has(name string) bool {
	for _, f := range h {
		if f.name == name {
			return true
		}
	}
	return false
}

// contentType returns the media type (lower case) and its parameters; a
// missing or unreadable Content-Type is text/plain (RFC 2045 section 5.2).
func (h header) contentType() (string, map[string]string) {
	v := h.get("content-type")
	if v == "" {
		return "text/plain", nil
	}
	mt, params, err := mime.ParseMediaType(v)
	if err != nil {
		// Salvage the type and the boundary of a sloppy field
		// (unquoted specials, a trailing semicolon).
		mt = strings.ToLower(strings.TrimSpace(strings.SplitN(v, ";", 2)[0]))
		params = looseParams(v)
	}
	if !strings.Contains(mt, "/") {
		mt = "text/plain"
	}
	return mt, params
}

// looseParams reads name=value pairs from a media type the mime package
// refused.
func looseParams(v string) map[string]string {
	params := map[string]string{}
	for _, p := range strings.Split(v, ";")[1:] {
		k, val, ok := strings.Cut(p, "=")
		if !ok {
			continue
		}
		val = strings.TrimSpace(val)
		if len(val) >= 2 && val[0] == '"' {
			if end := strings.IndexByte(val[1:], '"'); end >= 0 {
				val = val[1 : end+1]
			}
		}
		params[strings.ToLower(strings.TrimSpace(k))] = val
	}
	return params
}

// wordDecoder decodes RFC 2047 encoded words with go-message's charsets
// (ISO-2022-JP, Shift_JIS, ... through golang.org/x/text).
var wordDecoder = &mime.WordDecoder{CharsetReader: wordCharsetReader}

// wordCharsetReader is charset.Reader for wordDecoder, whose reader also
// writes itself out (io.WriterTo): mime copies each decoded word with
// io.Copy, which otherwise takes a 32 KiB buffer for a word of a few bytes.
func wordCharsetReader(name string, input io.Reader) (io.Reader, error) {
	r, err := charset.Reader(name, input)
	if err != nil {
		return nil, err
	}
	return wordReader{r}, nil
}

// wordReader reads a decoded word (see wordCharsetReader).
type wordReader struct{ io.Reader }

// WriteTo writes what is left of the word to w. A read error is returned
// as io.Copy would return it, so a word that does not decode leaves the
// value as it was (decodeWords). No bound of its own: the word is part of
// a mail of at most MaxMailSize, and a charset decoder writes at most a
// few bytes per byte it reads.
func (r wordReader) WriteTo(w io.Writer) (int64, error) {
	data, err := io.ReadAll(r.Reader)
	if err != nil {
		return 0, err
	}
	n, err := w.Write(data)
	return int64(n), err
}

// decodeWords decodes RFC 2047 encoded words in a header value; a charset
// it cannot convert leaves the value as it was, never an error.
func decodeWords(v string) string {
	if !strings.Contains(v, "=?") {
		if hasISO2022(v) {
			return decodeISO2022(v)
		}
		return v
	}
	d, err := wordDecoder.DecodeHeader(v)
	if err != nil {
		return v
	}
	return d
}

// parseDate reads an RFC 5322 date, tolerating the variants bounces use
// (a trailing "(JST)", a missing comma, no seconds); zero when unreadable.
func parseDate(v string) time.Time {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}
	}
	if i := strings.LastIndexByte(v, '('); i > 0 && strings.HasSuffix(v, ")") {
		v = strings.TrimSpace(v[:i]) // "(JST)": a comment, RFC 5322 3.3
	}
	// The layout nearly every MTA writes first: mail.ParseDate tries
	// many layouts, each failure costing an error value.
	for _, layout := range []string{"Mon, 2 Jan 2006 15:04:05 -0700", "Mon, _2 Jan 2006 15:04:05 -0700"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC()
		}
	}
	if t, err := mail.ParseDate(v); err == nil {
		return t.UTC()
	}
	for _, layout := range []string{time.RFC3339, "Mon, 2 Jan 2006 15:04:05 -0700 (MST)", "Mon 2 Jan 2006 15:04:05 -0700", "Mon Jan 2 15:04:05 2006", "2 Jan 2006 15:04:05 -0700"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}

// addressList returns the addresses of a header value, normalized; an
// unreadable list yields what addressIn can find in it.
//
// It scans for addresses rather than parsing the RFC 5322 grammar: header
// fields of bounces break the grammar often enough (unquoted display names,
// "<Undisclosed Recipients>") that a strict parse would lose them.
func addressList(v string) []string {
	var out []string
	for from := 0; from < len(v) && len(out) < MaxRecipients; {
		a, _, end := nextAddress(v, from)
		if a == "" {
			break
		}
		out = appendNew(out, a)
		from = end
	}
	return out
}

// readAllBounded reads at most n bytes of r, keeping what it read before
// an error: a truncated part is still worth reading. hint is the size to
// expect (the encoded input's): the buffer starts there and is read into
// directly, where io.Copy into a strings.Builder took a 32 KiB scratch
// buffer for every part, a fifth of what parsing a bounce allocated.
func readAllBounded(r io.Reader, n int64, hint int) string {
	var b bytes.Buffer
	b.Grow(int(max(min(int64(hint), n), 0)))
	_, _ = b.ReadFrom(io.LimitReader(r, n))
	return b.String()
}
