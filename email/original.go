package email

import "strings"

// A bounce without MIME structure quotes the original message after its
// own words, under a separator line ("--- Below this line is a copy of the
// message.", "------ This is a copy of the message, including all the
// headers. ------", "----- Unsent message follows -----") or with none at
// all. splitOriginal finds where it starts, so the scan for recipients
// stops there and the quoted header fields give the original Message-ID.

// originalMarkers are phrases of separator lines (lower case).
var originalMarkers = []string{
	"original message", "unsent message", "returned message", "copy of the message", "copy of your message",
	"message follows", "below this line", "header of the original", "headers of the original",
	"original headers", "message header follows", "headers follow", "original mail", "rejected message",
	"undelivered message", "message text follows", "returned mail follows", "mensaje original",
	"ursprüngliche nachricht", "message d'origine", "以下、元のメール", "元のメッセージ",
}

// splitOriginal returns the lines before the returned message, the lines
// of that message, and its header section, when the text quotes one.
func splitOriginal(lines []string) (before, quoted []string, h header) {
	for i, line := range lines {
		t := strings.TrimSpace(line)
		if t == "" {
			continue
		}
		if isMarkerLine(t) {
			return lines[:i], lines[i+1:], headerRun(lines[i+1:])
		}
		if n := fieldRun(lines[i:]); n >= 3 {
			return lines[:i], lines[i:], headerRun(lines[i:])
		}
	}
	return lines, nil, nil
}

// isMarkerLine reports a separator line that announces the original.
func isMarkerLine(t string) bool {
	if len(t) > 120 {
		return false
	}
	framed := isSeparator(t) || strings.HasSuffix(t, ":") || hasSuffixFold(t, "follows") || hasSuffixFold(t, "follows.") ||
		hasSuffixFold(t, "following. ---") || strings.HasSuffix(t, "-----")
	if !framed {
		return false
	}
	lower := strings.ToLower(t)
	for _, m := range originalMarkers {
		if strings.Contains(lower, m) {
			return true
		}
	}
	return false
}

// fieldRun counts the header fields of an original message at the start
// of lines (continuation lines do not count and do not break the run):
// three in a row mean the quoted original starts here.
func fieldRun(lines []string) int {
	n := 0
	for _, line := range lines {
		if line == "" {
			break
		}
		if line[0] == ' ' || line[0] == '\t' {
			if n == 0 {
				return 0
			}
			continue
		}
		name, _, ok := strings.Cut(line, ":")
		if !ok || len(name) > 30 || !originalField[strings.ToLower(name)] {
			break
		}
		n++
	}
	return n
}

// originalField names the fields an original message's header starts
// with; a run of them is a quoted header, not a report's own words.
var originalField = map[string]bool{
	"received": true, "return-path": true, "from": true, "to": true, "subject": true, "date": true,
	"message-id": true, "mime-version": true, "content-type": true, "content-transfer-encoding": true,
	"reply-to": true, "cc": true, "delivered-to": true, "x-mailer": true, "dkim-signature": true,
	"references": true, "in-reply-to": true, "sender": true, "x-rebond-message-id": true,
	"x-rebond-campaign": true, "authentication-results": true, "list-unsubscribe": true,
}

// headerRun parses the header section that starts lines (skipping blank
// lines before it), bounded to what a header needs.
func headerRun(lines []string) header {
	for len(lines) > 0 && strings.TrimSpace(lines[0]) == "" {
		lines = lines[1:]
	}
	if len(lines) > 400 {
		lines = lines[:400]
	}
	h, _ := readHeader(strings.Join(lines, "\n"), false)
	return h
}

// hasSuffixFold is strings.HasSuffix, ignoring ASCII case.
func hasSuffixFold(s, suffix string) bool {
	return len(s) >= len(suffix) && strings.EqualFold(s[len(s)-len(suffix):], suffix)
}
