package email

import "strings"

// isAtext reports whether c may appear in a dot-atom local part (RFC 5322
// section 3.2.3 atext, plus the dot).
func isAtext(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-/=?^_`{|}~.", c) >= 0
}

// isDomainChar reports whether c may appear in a domain name (letters,
// digits, hyphen, dot), or in a UTF-8 internationalized one.
func isDomainChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c >= 0x80
}

// addressAt returns the address around the '@' at index at of s, and where
// it starts and ends; ok is false when there is no plausible address: an
// empty local part, or a domain without a dot.
func addressAt(s string, at int) (addr string, start, end int, ok bool) {
	start = at
	for start > 0 && isAtext(s[start-1]) {
		start--
	}
	end = at + 1
	for end < len(s) && isDomainChar(s[end]) {
		end++
	}
	for end > at+1 && (s[end-1] == '.' || s[end-1] == '-') {
		end--
	}
	for start < at-1 && s[start] == '.' {
		start++ // "...<a@b>" from a sendmail line is not part of the address
	}
	local, domain := s[start:at], s[at+1:end]
	if local == "" || len(local) > 256 || !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.Contains(domain, "..") {
		return "", 0, 0, false
	}
	return s[start:end], start, end, true
}

// addressIn returns the first plausible address in s, normalized, or "".
func addressIn(s string) string {
	a, _, _ := nextAddress(s, 0)
	return a
}

// nextAddress returns the first plausible address of s at or after from,
// normalized, with its position.
func nextAddress(s string, from int) (addr string, start, end int) {
	for i := from; i < len(s); {
		at := strings.IndexByte(s[i:], '@')
		if at < 0 {
			return "", -1, -1
		}
		at += i
		if a, st, en, ok := addressAt(s, at); ok {
			return strings.ToLower(a), st, en
		}
		i = at + 1
	}
	return "", -1, -1
}

// cleanAddress normalizes an address as reports write it: angle brackets,
// quotes, a display name or a trailing comment around it.
func cleanAddress(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	if a := addressIn(s); a != "" {
		return a
	}
	return ""
}

// isDaemon reports whether addr is a mail system's own address (a mailer
// daemon or postmaster), which reports mention but never bounce for.
func isDaemon(addr string) bool {
	local, _, _ := strings.Cut(addr, "@")
	switch strings.ToLower(local) {
	case "mailer-daemon", "mailer_daemon", "mailerdaemon", "mail-daemon", "maildaemon", "daemon", "postmaster":
		return true
	}
	return false
}
