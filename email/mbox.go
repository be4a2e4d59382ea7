package email

import (
	"bytes"
	"strings"
)

// SplitMbox splits an mbox file into its messages (RFC 4155): each message
// starts with a "From " separator line ("From MAILER-DAEMON Thu Apr 29
// 23:34:45 2015": the envelope sender, then the date in asctime form),
// which is the first line of the file or follows a blank line. Input that
// does not start with such a line is one message, returned whole, so a
// single mail can always be given to SplitMbox; a "From " line inside a
// body that is not a proper separator (no date after the sender, or no
// blank line before it) never splits. Each message keeps its separator
// line (Parse skips it) and loses the blank line that ended the previous
// one (RFC 4155 section 2: it belongs to the mbox, not the message). The
// messages are sub-slices of raw, each capped at its own end, so that an
// append to one never writes into the next; empty input gives none. Bodies escaped
// with ">From " (mboxrd) are left as they are.
func SplitMbox(raw []byte) [][]byte {
	if len(raw) == 0 {
		return nil
	}
	if !isMboxSeparator(firstLine(raw)) {
		return [][]byte{raw}
	}
	var out [][]byte
	start := 0
	for i := 0; i < len(raw); {
		nl := bytes.IndexByte(raw[i:], '\n')
		if nl < 0 {
			break
		}
		next := i + nl + 1
		if blank := bytes.TrimRight(raw[i:next], "\r\n"); len(blank) == 0 && isMboxSeparator(firstLine(raw[next:])) {
			out = append(out, raw[start:i:i])
			start = next
		}
		i = next
	}
	return append(out, raw[start:])
}

// firstLine returns b up to its first line end, without it.
func firstLine(b []byte) []byte {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		b = b[:i]
	}
	return bytes.TrimRight(b, "\r")
}

// maxSeparator bounds the length of an mbox separator line: an address and
// a date, far less than a body line can be.
const maxSeparator = 512

// isMboxSeparator reports an mbox "From " line (RFC 4155 section 2): "From
// ", an envelope sender without spaces ("MAILER-DAEMON", "a@example.com",
// "-" when there was none), then a timestamp with a clock time and a
// four-digit year ("Thu Apr 29 23:34:45 2015", some writers add a zone). A
// sentence of a body that starts with "From " has no such date.
func isMboxSeparator(line []byte) bool {
	if len(line) > maxSeparator || !bytes.HasPrefix(line, []byte("From ")) {
		return false
	}
	fields := strings.Fields(string(line[5:]))
	if len(fields) < 3 {
		return false
	}
	clock, year := false, false
	for _, f := range fields[1:] {
		clock = clock || isClock(f)
		year = year || len(f) == 4 && digits(f, 0) == 4
	}
	return clock && year
}

// isClock reports an asctime clock, "23:34:45" or "23:34".
func isClock(f string) bool {
	parts := strings.Split(f, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return false
	}
	for _, p := range parts {
		if len(p) < 1 || len(p) > 2 || digits(p, 0) != len(p) {
			return false
		}
	}
	return true
}
