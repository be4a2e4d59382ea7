package email

import (
	"strings"
)

// dsnGroup is one group of fields of a delivery-status body: the
// per-message fields or one recipient's (RFC 3464 section 2.1).
type dsnGroup header

// parseDSN reads a message/delivery-status body into its per-message
// fields and one group per recipient (RFC 3464 section 2.1: groups are
// separated by blank lines, the per-message group first). Real reports
// bend the layout: a paragraph that names no recipient after a recipient
// group continues that group, and a paragraph that names two recipients
// (no blank line between them) is split where a recipient field repeats.
func parseDSN(body string) (msg header, rcpts []dsnGroup) {
	for _, para := range dsnParagraphs(body) {
		var cur dsnGroup
		for _, f := range para {
			if isRecipientField(f.name) && cur.has(f.name) {
				rcpts = appendGroup(rcpts, cur)
				cur = nil
			}
			cur = append(cur, f)
		}
		switch {
		case cur.hasRecipient():
			rcpts = appendGroup(rcpts, cur)
		case len(rcpts) > 0:
			rcpts[len(rcpts)-1] = append(rcpts[len(rcpts)-1], cur...)
		default:
			msg = append(msg, cur...)
		}
	}
	return msg, rcpts
}

func appendGroup(rcpts []dsnGroup, g dsnGroup) []dsnGroup {
	if len(rcpts) >= MaxRecipients {
		return rcpts
	}
	return append(rcpts, g)
}

func isRecipientField(name string) bool {
	return name == "final-recipient" || name == "original-recipient" || name == "x-actual-recipient"
}

func (g dsnGroup) has(name string) bool { return header(g).has(name) }

func (g dsnGroup) hasRecipient() bool {
	return g.has("final-recipient") || g.has("original-recipient") || g.has("x-actual-recipient")
}

// maxDSNFields bounds the fields read from one delivery-status body.
const maxDSNFields = 16 * MaxRecipients

// dsnParagraphs reads "Name: value" fields in order, grouped by blank
// lines. Continuation lines are unfolded; a line that is no field (a
// diagnostic folded without indentation) continues the field before it.
func dsnParagraphs(body string) [][]field {
	var paras [][]field
	var cur []field
	var cont []string // continuation lines of cur's last field
	closeField := func() {
		if len(cont) > 0 && len(cur) > 0 {
			f := &cur[len(cur)-1]
			f.value = strings.Join(append([]string{f.value}, cont...), " ")
		}
		cont = cont[:0]
	}
	n := 0
	for line := range strings.SplitSeq(body, "\n") {
		t := strings.TrimRight(line, " \t\r")
		if t == "" {
			closeField()
			if len(cur) > 0 {
				paras, cur = append(paras, cur), nil
			}
			continue
		}
		name, value, ok := dsnField(t)
		switch {
		case ok && n < maxDSNFields:
			closeField()
			cur = append(cur, field{name: name, value: value})
			n++
		case !ok && len(cur) > 0 && len(cont) < 64:
			cont = append(cont, strings.TrimSpace(t))
		}
	}
	closeField()
	if len(cur) > 0 {
		paras = append(paras, cur)
	}
	return paras
}

// dsnFields reads the fields of a body laid out like a delivery-status
// one (ARF's feedback-report, RFC 5965 section 3.1) in order.
func dsnFields(body string) []field {
	var out []field
	for _, p := range dsnParagraphs(body) {
		out = append(out, p...)
	}
	return out
}

// dsnField splits a line that starts a field. Names that are URL schemes
// or diagnostic types ("http:", "smtp;") are not fields.
func dsnField(line string) (name, value string, ok bool) {
	if line == "" || line[0] == ' ' || line[0] == '\t' {
		return "", "", false
	}
	colon := strings.IndexByte(line, ':')
	if colon <= 0 || colon > 40 {
		return "", "", false
	}
	for i := 0; i < colon; i++ {
		c := line[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return "", "", false
		}
	}
	name = strings.ToLower(line[:colon])
	switch name {
	case "http", "https", "mailto", "smtp", "dns", "rfc822", "x-unix", "utf-8", "host", "note", "error", "reason", "remote host said":
		return "", "", false
	}
	return name, strings.TrimSpace(line[colon+1:]), true
}

// typedValue splits an RFC 3464 "type; value" field ("rfc822; a@b",
// "smtp; 550 ...", "dns; mx.example.net"). A value without a type comes
// back whole with an empty type.
func typedValue(v string) (typ, value string) {
	t, rest, ok := strings.Cut(v, ";")
	if !ok || strings.ContainsAny(t, " <@\"") {
		return "", strings.TrimSpace(v)
	}
	return strings.ToLower(strings.TrimSpace(t)), strings.TrimSpace(rest)
}

// dsnRecipient turns one recipient group into a Recipient. Per-message
// fields fill what the group lacks (Arrival-Date for the attempt time is
// left to Events).
func dsnRecipient(g dsnGroup) Recipient {
	h := header(g)
	var r Recipient
	_, fin := typedValue(h.get("final-recipient"))
	_, orig := typedValue(h.get("original-recipient"))
	if fin == "" {
		_, fin = typedValue(h.get("x-actual-recipient"))
	}
	r.Address = cleanAddress(fin)
	r.OriginalRecipient = cleanAddress(orig)
	if r.Address == "" {
		r.Address = r.OriginalRecipient
	}
	r.Action = strings.ToLower(firstWord(h.get("action")))
	r.Status = statusIn(h.get("status"))
	dt, diag := typedValue(h.get("diagnostic-code"))
	if diag == "" {
		// "Status: 4.0.0 (cat.example.net: host name lookup failure)":
		// without a Diagnostic-Code, the status comment is the reason.
		if _, comment, ok := strings.Cut(h.get("status"), "("); ok {
			diag = strings.TrimSuffix(strings.TrimSpace(comment), ")")
		}
	}
	r.DiagnosticType = dt
	r.Diagnostic = cleanDiagnostic(diag)
	_, r.RemoteMTA = typedValue(h.get("remote-mta"))
	r.LastAttempt = parseDate(h.get("last-attempt-date"))
	var remote string
	r.ReplyCode, remote = replyIn(r.Diagnostic)
	r.Status = preferStatus(r.Status, remote)
	r.Diagnostic = unfoldReply(r.Diagnostic, r.ReplyCode, remote)
	return r
}

// firstWord returns the first space-separated word of s.
func firstWord(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, " \t;("); i >= 0 {
		return s[:i]
	}
	return s
}

// preferStatus chooses between the Status field, the reporting MTA's
// summary, and the status the remote server itself wrote in the
// diagnostic. The remote's words win when they are more specific: a
// Sendmail that gives up after "450 4.7.1 Access denied" reports 4.4.7
// (expired), and one that relays "550 5.7.1 IP address blacklisted" may
// summarize it as 5.1.1; what the receiver said is what the sender must act
// on. An X.0.0 from the remote says less than any field value.
func preferStatus(field, remote string) string {
	switch {
	case remote == "":
		return field
	case field == "":
		return remote
	case strings.HasSuffix(remote, ".0.0") && !strings.HasSuffix(field, ".0.0"):
		return field
	}
	return remote
}
