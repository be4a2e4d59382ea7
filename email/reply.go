package email

import (
	"fmt"
	"strings"

	"github.com/rebond/rebond/channels"
)

// MaxReplyLen bounds the SMTP reply ParseReply reads. RFC 5321 section
// 4.5.3.1.5 limits a reply line to 512 octets; a multi-line reply of a
// hundred lines is already more than any server sends.
const MaxReplyLen = 64 << 10

// ParseReply parses the SMTP reply a sender received in the transaction:
// one line ("550 5.1.1 <a@example.com>: Recipient address rejected") or a
// multi-line reply ("550-5.1.1 ...\r\n550 5.1.1 ..."), RFC 5321 section
// 4.2. It returns the reply code, the RFC 3463 enhanced status when the
// server puts one at the start of the text (RFC 2034 section 4; its class
// must be the code's first digit, RFC 3463 section 2) and the text, lines
// joined by a space with their code and status removed. Errors wrap
// channels.ErrMalformed: an empty reply, a line without a valid code
// (first digit 2 to 5, second 0 to 5), lines with different codes, or a
// reply longer than MaxReplyLen.
func ParseReply(s string) (channels.SMTPReply, error) {
	if len(s) > MaxReplyLen {
		return channels.SMTPReply{}, fmt.Errorf("%w: smtp reply longer than %d bytes", channels.ErrMalformed, MaxReplyLen)
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return channels.SMTPReply{}, fmt.Errorf("%w: empty smtp reply", channels.ErrMalformed)
	}
	var out channels.SMTPReply
	var texts []string
	for i, line := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n") {
		line = strings.TrimRight(line, " \t\r")
		code, ok := replyCodeAt(line, 0)
		if !ok || len(line) > 3 && line[3] != ' ' && line[3] != '-' {
			return channels.SMTPReply{}, fmt.Errorf("%w: smtp reply line %d: %q does not start with a reply code", channels.ErrMalformed, i+1, clipText(line, 40))
		}
		if i > 0 && code != out.Code {
			return channels.SMTPReply{}, fmt.Errorf("%w: smtp reply line %d: code %d after %d (RFC 5321 section 4.2.1: one code per reply)", channels.ErrMalformed, i+1, code, out.Code)
		}
		out.Code = code
		text := ""
		if len(line) > 4 {
			text = strings.TrimSpace(line[4:])
		}
		if st, rest := leadingStatus(text); st != "" && st[0] == line[0] {
			if out.Status == "" {
				out.Status = st
			}
			text = rest
		}
		if text != "" {
			texts = append(texts, text)
		}
	}
	out.Text = strings.Join(texts, " ")
	return out, nil
}

// leadingStatus splits an enhanced status code off the start of text.
func leadingStatus(text string) (status, rest string) {
	if n := statusLen(text, 0); n > 0 && (n == len(text) || text[n] == ' ' || text[n] == '\t') {
		return text[:n], strings.TrimSpace(text[n:])
	}
	return "", text
}

// replyCodeAt reads a reply code at s[i:]: three digits, the first 2 to 5
// and the second 0 to 5 (RFC 5321 section 4.2.1), not followed by a digit.
func replyCodeAt(s string, i int) (int, bool) {
	if i+3 > len(s) {
		return 0, false
	}
	a, b, c := s[i], s[i+1], s[i+2]
	if a < '2' || a > '5' || b < '0' || b > '5' || c < '0' || c > '9' {
		return 0, false
	}
	if i+3 < len(s) && isDigit(s[i+3]) {
		return 0, false
	}
	return int(a-'0')*100 + int(b-'0')*10 + int(c-'0'), true
}

// statusLen returns the length of the RFC 3463 status code at s[i:]
// (class 2, 4 or 5, then subject and detail of one to three digits), or 0.
// A status followed by ".digit" is part of something else (an address,
// a version number).
func statusLen(s string, i int) int {
	if i+5 > len(s) || (s[i] != '2' && s[i] != '4' && s[i] != '5') || s[i+1] != '.' {
		return 0
	}
	j := i + 2
	n := digits(s, j)
	if n == 0 || n > 3 || j+n >= len(s) || s[j+n] != '.' {
		return 0
	}
	j += n + 1
	m := digits(s, j)
	if m == 0 || m > 3 {
		return 0
	}
	j += m
	if j+1 < len(s) && s[j] == '.' && isDigit(s[j+1]) {
		return 0
	}
	return j - i
}

func digits(s string, i int) int {
	n := 0
	for i+n < len(s) && isDigit(s[i+n]) {
		n++
	}
	return n
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// statusIn returns the most specific enhanced status code standing on its
// own in s (the first of its rank, see statusRank), or "". A status that
// knows the subject and the detail says more than one before it that knows
// only the class (RFC 3463 section 3.1: X.0.0 "for all errors for which
// only the class of the error is known") or only the subject (X.Y.0):
// "#5.0.0 smtp; <a@b>... #5.1.1 user unknown".
func statusIn(s string) string {
	best, rank := "", -1
	for i := 0; i+5 <= len(s); i++ {
		if i > 0 && (isDigit(s[i-1]) || s[i-1] == '.') {
			continue
		}
		if n := statusLen(s, i); n > 0 {
			st := s[i : i+n]
			if r := statusRank(st); r > rank {
				if r == rankSpecific {
					return st
				}
				best, rank = st, r
			}
			i += n - 1
		}
	}
	return best
}

// Ranks of a status quoted in a diagnostic, by what it says of the cause.
const (
	rankVague    = 0 // X.0.0, or the reporting MTA's X.4.7 expiry
	rankSubject  = 1 // X.Y.0: the subject, no detail
	rankSpecific = 2 // X.Y.Z
)

// statusRank ranks an enhanced status (RFC 3463 section 2: class.subject.
// detail). X.4.7 "delivery time expired" (section 3.5) is vague here: it is
// what an MTA whose queue gave up says of itself, and it writes it around
// the remote's last reply, the actual cause ("550 4.4.7 QUEUE.Expired;
// message expired [Message=451 4.4.0 ... responded with: "452 4.2.2
// Mailbox full."]", Exchange; "Status: 4.4.7" above Sendmail's "(reason:
// 452 4.2.2 Mailbox full)").
func statusRank(st string) int {
	switch {
	case st == "":
		return -1
	case strings.HasSuffix(st, ".0.0") || expiryStatus(st):
		return rankVague
	case strings.HasSuffix(st, ".0"):
		return rankSubject
	}
	return rankSpecific
}

// vagueReply reports a status that does not say why delivery failed (see
// statusRank).
func vagueReply(st string) bool { return statusRank(st) == rankVague }

// expiryStatus reports X.4.7, delivery time expired (RFC 3463 section
// 3.5).
func expiryStatus(st string) bool { return len(st) == 5 && st[2:] == "4.7" }

// replyIn finds the SMTP reply code and enhanced status a diagnostic text
// quotes (RFC 5321 section 4.2, RFC 3463 section 2), wherever the MTA put
// it: "said: 550 5.1.1", "Remote host said: 550 5.1.1", "returned '550
// 5.1.1 ...'", "#550 5.1.1", "... Deferred: 421 4.3.2". A failure code
// followed by a status of its class ("550 5.1.1", "550-5.1.1") wins; of
// several, the first of the most specific status (statusRank), so that a
// bounce given up on after temporary refusals names the remote's last
// reason and not its own expiry, and an X.0.0 does not hide the X.1.1 of
// the reply it wraps; a standalone status more specific than the pair's
// and of its class completes it. Then a failure code (4xx, 5xx) alone with
// the most specific status standing on its own (statusIn); a success code
// counts only with its status ("250 2.1.5"), since a bare 2xx in a report
// is more often a size or a count than a reply. A code must stand alone:
// not inside a longer number, an IP address or a time.
func replyIn(s string) (code int, status string) {
	okCode, okStatus := 0, ""
	pairCode, pairStatus, pairRank := 0, "", -1 // the best failure code paired with a status
	for i := 0; i+3 <= len(s); i++ {
		if i > 0 && !codeBoundary(s[i-1]) {
			continue
		}
		c, ok := replyCodeAt(s, i)
		if !ok || i+3 < len(s) && s[i+3] != ' ' && s[i+3] != '-' && s[i+3] != '\t' && s[i+3] != '\n' {
			continue
		}
		paired := ""
		if i+4 < len(s) {
			if n := statusLen(s, i+4); n > 0 && s[i+4] == s[i] {
				paired = s[i+4 : i+4+n]
			}
		}
		switch {
		case c >= 400 && paired != "":
			r := statusRank(paired)
			if r == rankSpecific {
				return c, paired
			}
			if r > pairRank {
				pairCode, pairStatus, pairRank = c, paired, r
			}
		case c >= 400 && code == 0:
			code = c
		case c < 400 && paired != "" && okCode == 0:
			okCode, okStatus = c, paired
		}
	}
	if pairCode != 0 {
		if st := statusIn(s); statusRank(st) > pairRank && st[0] == pairStatus[0] {
			return pairCode, st // "550 5.0.0 <a@b>... User unknown (#5.1.1)"
		}
		return pairCode, pairStatus
	}
	if code != 0 {
		return code, statusIn(s)
	}
	if okCode != 0 {
		return okCode, okStatus
	}
	return 0, statusIn(s)
}

// codeBoundary reports whether a reply code may follow c.
func codeBoundary(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '(', '[', '"', '\'', ';', ':', '#', '<', '=', ',':
		return true
	}
	return false
}

// clipText cuts s to n bytes for an error message.
func clipText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// unfoldReply removes the code and status that start every line of a
// multi-line reply (RFC 5321 section 4.2.1) once a report has joined the
// lines: "550-5.7.1 Messages with multiple 550-5.7.1 addresses in From:"
// reads "550-5.7.1 Messages with multiple addresses in From:", so that a
// phrase split over two lines is whole again.
func unfoldReply(s string, code int, status string) string {
	if code == 0 {
		return s
	}
	c := string(rune('0'+code/100)) + string(rune('0'+code/10%10)) + string(rune('0'+code%10))
	first := strings.Index(s, c)
	if first < 0 {
		return s
	}
	head, tail := s[:first+3], s[first+3:]
	for _, sep := range []string{"-", " "} {
		if status != "" {
			tail = strings.ReplaceAll(tail, " "+c+sep+status+" ", " ")
		}
	}
	tail = strings.ReplaceAll(tail, " "+c+"- ", " ")
	return head + tail
}
