package esp

import (
	"regexp"
	"strconv"
	"strings"
)

var (
	// enhanced is an RFC 3463 enhanced status code: class.subject.detail,
	// subject and detail of 1 to 3 digits (section 2).
	enhanced = regexp.MustCompile(`^[245]\.[0-9]{1,3}\.[0-9]{1,3}$`)
	// diagnosticType is the "diagnostic-type;" an RFC 3464 section 2.3.6
	// Diagnostic-Code starts with ("smtp; 550 ...", "X-Postfix; ...").
	diagnosticType = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9-]{0,30};`)
	// replyStart is an RFC 5321 section 4.2 reply code ending the token
	// (a space, "-" for a continued reply, or the ":" some relays add),
	// then an optional RFC 3463 status, "#" prefixed as some MTAs write it.
	replyStart = regexp.MustCompile(`^([2-5][0-9][0-9])(?:[ \-:]+|$)(?:#?([245]\.[0-9]{1,3}\.[0-9]{1,3})(?:[ \-:,;]+|$))?`)
	// statusStart is an RFC 3463 status at the start, without reply code.
	statusStart = regexp.MustCompile(`^#?([245]\.[0-9]{1,3}\.[0-9]{1,3})(?:[ \-:,;]+|$)`)
)

// parseDiagnostic splits a provider's diagnostic into the reply code, the
// enhanced status code and the rest: "smtp; 550 5.1.1 user unknown" gives
// 550, "5.1.1", "user unknown". A form it does not recognize is all text;
// it never fails.
func parseDiagnostic(s string) (code int, status, text string) {
	s = strings.TrimSpace(s)
	if m := diagnosticType.FindString(s); m != "" {
		s = strings.TrimSpace(s[len(m):])
	}
	if m := replyStart.FindStringSubmatch(s); m != nil {
		code, _ = strconv.Atoi(m[1]) // three digits: cannot fail
		status = m[2]
		s = s[len(m[0]):]
	} else if m := statusStart.FindStringSubmatch(s); m != nil {
		status = m[1]
		s = s[len(m[0]):]
	}
	return code, status, strings.TrimSpace(s)
}

// validCode reports whether c is an SMTP reply code (RFC 5321 section
// 4.2); providers also use codes of their own (Mailgun's 605), which are
// not.
func validCode(c int) bool { return c >= 200 && c <= 599 }
