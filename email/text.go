package email

import (
	"strings"
)

// A non-standard bounce says in words which recipients failed and why. The
// shapes are few, whatever the MTA:
//
//	<a@example.com>: host mx.example.com said: 550 5.1.1 ... (Postfix, qmail)
//	  a@example.com                                            (Exim, Domino)
//	    SMTP error from remote mail server after RCPT TO:<a@example.com>: ...
//	550 5.1.1 <a@example.com>... User unknown                  (Sendmail)
//	>>> RCPT To:<a@example.com>                                (SMTP transcripts)
//	<<< 550 5.1.1 User unknown
//	Could not be delivered to: <a@example.com>                 (a phrase, then the address)
//
// scanText finds the lines that name a recipient in one of these shapes,
// ranks them (an address that starts its line or follows a reply code
// beats one in a sentence), and gives each address the block of lines that
// follows it up to the next address or the end of its paragraph.

// Ranks of a line naming an address.
const (
	rankMention = 1 // an address in a sentence
	rankPhrase  = 2 // after a word saying it is the recipient
	rankLead    = 3 // at the start of its line, after a reply code, in RCPT TO
)

// textHit is a recipient found in a bounce's words with the lines that
// speak of it.
type textHit struct {
	addr  string
	rank  int
	block []string
	cmd   string // the SMTP command a transcript sent before the reply
}

// scanText returns the recipients text names, in order, each with its
// block. skip says which addresses are not recipients at a rank (a mailer
// daemon at any rank; the bounce's own addressee and the original sender
// unless an address leads its line). An address only mentioned in a
// sentence ("please contact <support@example.net>") is never a recipient.
func scanText(lines []string, skip func(addr string, rank int) bool) []textHit {
	type lineHit struct {
		i, rank  int
		addr     string
		restFrom int // where the line's own text after the address starts
		cmd      string
		reply    string // a transcript's reply or program output before it
	}
	var found []lineHit
	best := 0
	cmd := ""
	// reply is a transcript's "<<< 550 Insecure Mail Relay" that names no
	// recipient: the MTA's own summary line that follows ("554
	// <a@example.edu>... Remote protocol error") reports it in its words,
	// and the remote's are the diagnosis. In Sendmail's "Transcript of
	// session follows" a local delivery program's words ("mail.local:
	// unknown user: kijitora") stand where a remote reply would, before
	// "554 <a@b>... Service unavailable" (Sendmail copies the mailer's
	// output into the transcript). named: a line since the last command
	// or section named a recipient, so a reply that follows is in that
	// recipient's block already (">>> RCPT To:<a@b>" then "<<< 550 ...").
	reply, named, transcript := "", false, false
	for i, line := range lines {
		if c := transcriptCommand(line); c != "" {
			cmd, reply, named = c, "", false
		} else if isSessionIntro(line) {
			cmd = "CONN" // until a command is sent, replies answer the greeting
		} else if strings.TrimSpace(line) == "" {
			// A command answers the replies of its paragraph: Courier
			// writes each recipient's own transcript after a blank line
			// ("<a@b>:" then ">>> DATA", "<<< 554 ...").
			cmd = ""
		}
		if t := strings.TrimSpace(line); isSeparator(t) {
			transcript = strings.Contains(strings.ToLower(t), "transcript of session")
			reply, named = "", false
		}
		addr, rank, rest := lineAddress(line, skip)
		if addr == "" {
			if r, ok := transcriptReply(line); ok && !named {
				reply = r
			} else if transcript && !named && isMailerOutput(line) {
				reply = strings.TrimSpace(line)
			} else if strings.TrimSpace(line) == "" {
				reply = ""
			}
			continue
		}
		h := lineHit{i, rank, addr, rest, cmd, ""}
		if _, ok := transcriptReply(line); !ok {
			h.reply = reply
		}
		reply, named = "", true
		found = append(found, h)
		best = max(best, rank)
	}
	if best < rankPhrase {
		return nil
	}
	var hits []textHit
	index := map[string]int{}
	covered, coveredAddr := 0, "" // the last block's end and address
	for k, f := range found {
		if f.i < covered && f.addr == coveredAddr {
			continue // a continuation line naming the address again
		}
		if f.rank < best && !(best == rankLead && f.rank == rankPhrase) {
			continue
		}
		// The block runs to the next line naming an address, unless it is
		// the same address on a continuation line of f's, more indented
		// (a folded reply repeats its own: "<a>: host ... said: 550\n
		// 5.1.1 <a>... User Unknown (in reply to RCPT TO command)"), or
		// quoted inside a sentence of f's block, a rank below f's (qmail's
		// "<a>:" then "Remote host said: 550 5.1.1 <a>... User Unknown",
		// qmail-remote.c: the remote's reply is the diagnosis).
		end := len(lines)
		for _, g := range found[k+1:] {
			if g.addr != f.addr || indent(lines[g.i]) <= indent(lines[f.i]) && g.rank >= f.rank {
				end = g.i
				break
			}
		}
		block := blockAfter(lines, f.i, end, f.restFrom)
		covered, coveredAddr = f.i+len(block), f.addr
		if j, ok := index[f.addr]; f.reply != "" && !(ok && blockDiagnostic(hits[j]) != "") {
			// The transcript's words are the diagnosis of a recipient
			// the report gave no reason for; Sendmail's own "(reason:
			// ...)" line, when there is one, already says it.
			block = append([]string{f.reply}, block...)
		}
		if j, ok := index[f.addr]; ok {
			hits[j].block = append(hits[j].block, block...)
			hits[j].rank = max(hits[j].rank, f.rank)
			if f.cmd != "" {
				hits[j].cmd = f.cmd
			}
			continue
		}
		if len(hits) >= MaxRecipients {
			break
		}
		index[f.addr] = len(hits)
		hits = append(hits, textHit{addr: f.addr, rank: f.rank, block: block, cmd: f.cmd})
	}
	if best < rankLead {
		return hits
	}
	// Phrase-ranked addresses were kept only to merge their blocks into a
	// leading one ("Could not be delivered to: <a>" above "<a>: 550 ...");
	// alone they are mentions of someone else.
	out := hits[:0]
	for _, h := range hits {
		if h.rank == rankLead {
			out = append(out, h)
		}
	}
	return out
}

// indent returns the width of a line's leading white space.
func indent(line string) int {
	return len(line) - len(strings.TrimLeft(line, " \t"))
}

// blockAfter returns line i and the lines that speak of its address: when
// the line says something after the address (Sendmail's "550 <a>... User
// unknown", Postfix's "<a>: host ... said: 550"), only its indented
// continuation lines; when it holds nothing but the address (Exim's
// "  a@example.com", qmail's "<a@example.com>:"), the lines that follow up
// to the end of the paragraph, or the next paragraph when a blank line
// follows at once. Never past end, the next line naming an address.
func blockAfter(lines []string, i, end, restFrom int) []string {
	block := []string{lines[i]}
	alone := len(strings.TrimSpace(lines[i][restFrom:])) < 4
	blank := false
	for j := i + 1; j < end && j < i+40; j++ {
		t := strings.TrimSpace(lines[j])
		if t == "" {
			if len(block) > 1 || !alone {
				break
			}
			blank = true
			continue
		}
		if blank && isSeparator(t) || !alone && lines[j][0] != ' ' && lines[j][0] != '\t' {
			break
		}
		block = append(block, lines[j])
	}
	return block
}

// lineAddress returns the first recipient-like address of a line, the rank
// of the shape it appears in, and where the text after it starts.
func lineAddress(line string, skip func(string, int) bool) (string, int, int) {
	if strings.IndexByte(line, '@') < 0 {
		return "", 0, 0
	}
	t := strings.TrimLeft(line, " \t>*-")
	off := len(line) - len(t)
	lower := strings.ToLower(t)
	if skipLine(lower) {
		return "", 0, 0
	}
	for from := 0; from < len(t); {
		addr, start, end := nextAddress(t, from)
		if addr == "" {
			return "", 0, 0
		}
		from = end
		rank := addressRank(t, lower, start, end)
		if skip(addr, rank) {
			continue
		}
		return addr, rank, off + end
	}
	return "", 0, 0
}

// addressRank ranks the address at t[start:end] by what precedes it.
func addressRank(t, lower string, start, end int) int {
	pre := strings.TrimRight(lower[:start], " \t<\"'(")
	after := strings.TrimLeft(t[end:], ">\"' \t")
	switch {
	case pre == "":
		return rankLead
	case strings.HasSuffix(pre, "rcpt to:") || strings.HasSuffix(pre, "rcpt to"):
		return rankLead
	case isReplyPrefix(pre) && (strings.HasPrefix(after, "...") || strings.HasPrefix(after, ":") || after == ""):
		return rankLead
	}
	for _, w := range phraseWords {
		if strings.Contains(pre, w) {
			return rankPhrase
		}
	}
	return rankMention
}

// phraseWords say that the address after them is a recipient.
var phraseWords = []string{
	"recipient", "to:", " to ", "address", "user", "mailbox", "rcpt", "destinat", "failed", "delivered to",
	"addressed", "undeliverable", "account", "destinatario", "empfänger", "宛先",
}

// isReplyPrefix reports whether pre is a reply code with an optional
// status ("550", "550 5.1.1", "<<< 550-5.1.1"): Sendmail's shape.
func isReplyPrefix(pre string) bool {
	pre = strings.TrimLeft(pre, "<> ")
	if _, ok := replyCodeAt(pre, 0); !ok {
		return false
	}
	rest := strings.TrimSpace(pre[3:])
	rest = strings.TrimLeft(rest, "-")
	return rest == "" || statusLen(rest, 0) == len(rest)
}

// skipLine reports lines whose addresses are never the bounced recipient:
// header fields of the returned message, trace lines, the bounce's own
// addresses.
func skipLine(lower string) bool {
	for _, p := range []string{"from:", "reply-to:", "return-path:", "sender:", "received:", "message-id:", "in-reply-to:", "references:", "by ", "id ", "with ", "(envelope-from", "envelope-from", "x-", "mail from:", "mail from", "<<< 250", ">>> mail from", "cc:", "dkim", "authentication-results", "list-"} {
		if strings.HasPrefix(lower, p) {
			return true
		}
	}
	if strings.HasPrefix(lower, "for ") && strings.Contains(lower, ";") {
		return true // a folded Received field: "for <a@b>; date"
	}
	return strings.Contains(lower, "mail from:<") && !strings.Contains(lower, "rcpt")
}

// isSeparator reports a line that starts another section of a bounce.
func isSeparator(t string) bool {
	return strings.HasPrefix(t, "---") || strings.HasPrefix(t, "===") || strings.HasPrefix(t, "***") || strings.HasPrefix(t, "___")
}

// isMailerOutput reports a transcript line written by a local delivery
// program: its name and a colon, then its message ("mail.local: unknown
// user: kijitora", "procmail: Quota exceeded").
func isMailerOutput(line string) bool {
	name, msg, ok := strings.Cut(line, ": ")
	if !ok || name == "" || strings.TrimSpace(msg) == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-' || c == '/') {
			return false
		}
	}
	return !isDigit(name[0])
}

// transcriptReply returns the reply a transcript line received
// (Sendmail's "<<< 550 5.1.1 User unknown"), without the marker.
func transcriptReply(line string) (string, bool) {
	t := strings.TrimSpace(line)
	if !strings.HasPrefix(t, "<<< ") {
		return "", false
	}
	return strings.TrimSpace(t[4:]), true
}

// isSessionIntro reports Sendmail's "... while talking to mx.example.org.:"
// (and V5 Sendmail's "While talking to example.edu:"), which opens the part
// of a transcript about one SMTP session. Sendmail writes it before the
// first error of a session, then the command that drew the error (">>>
// DATA") unless none was sent yet (usersmtp.c, reply(): the last command is
// logged only when there is one): a "<<<" reply right after it answered
// the connection, the server's greeting (RFC 5321 section 3.1).
func isSessionIntro(line string) bool {
	t := strings.TrimLeft(strings.TrimSpace(line), ". ")
	return len(t) > len("while talking to ") && strings.EqualFold(t[:len("while talking to ")], "while talking to ") && strings.HasSuffix(t, ":")
}

// transcriptCommand returns the SMTP command a transcript line sends:
// Sendmail's ">>> RCPT To:<a@b>", Postfix's " In:  DATA". A session's
// replies that follow are answers to it.
func transcriptCommand(line string) string {
	t := strings.TrimSpace(line)
	switch {
	case strings.HasPrefix(t, ">>> "):
		t = t[4:]
	case strings.HasPrefix(t, "In:"):
		t = strings.TrimSpace(t[3:])
	default:
		return ""
	}
	w := strings.ToUpper(firstWord(t))
	switch w {
	case "MAIL", "RCPT", "DATA", "EHLO", "HELO", "STARTTLS", "AUTH", "BDAT":
		return w
	}
	return ""
}
