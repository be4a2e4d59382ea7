package rules

import (
	"fmt"
	"regexp"
	"regexp/syntax"
	"strings"

	"github.com/rebond/rebond/channels"
)

var (
	// statusPrefix is a class, class.subject or class.subject.detail of
	// RFC 3463 section 2 (subject and detail are 1 to 3 digits).
	statusPrefix = regexp.MustCompile(`^[245](\.[0-9]{1,3}(\.[0-9]{1,3})?)?$`)
	reasonWord   = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	hexPrefix    = regexp.MustCompile(`^[0-9a-fA-F]{1,6}$`)
)

// ruleError names the rule and the field a validation error is about.
func ruleError(r Rule, field, format string, args ...any) error {
	if r.ID == "" {
		return fmt.Errorf("rule without id (version %d): %s: %s", r.Version, field, fmt.Sprintf(format, args...))
	}
	return fmt.Errorf("rule %q: %s: %s", r.Key(), field, fmt.Sprintf(format, args...))
}

// validate checks one rule and returns the first problem found.
func validate(r Rule) error {
	switch {
	case r.ID == "":
		return ruleError(r, "id", "required")
	case strings.ContainsAny(r.ID, "@ \t\n"):
		return ruleError(r, "id", "%q must not contain '@' or spaces", r.ID)
	case r.Version < 1:
		return ruleError(r, "version", "must be 1 or more, got %d", r.Version)
	case !r.Channel.Valid():
		return ruleError(r, "channel", "%q is not one of email, sms", r.Channel)
	case !r.Verdict.Outcome.Valid():
		return ruleError(r, "verdict.outcome", "%q is not an outcome of REASONS.md", r.Verdict.Outcome)
	case r.Verdict.Reason == "":
		return ruleError(r, "verdict.reason", "required")
	case !reasonWord.MatchString(string(r.Verdict.Reason)):
		return ruleError(r, "verdict.reason", "%q is not a snake_case reason", r.Verdict.Reason)
	case r.Match.conditions() == 0:
		return ruleError(r, "match", "at least one condition is required")
	}
	for _, y := range r.Yields {
		if !reasonWord.MatchString(string(y)) {
			return ruleError(r, "yields", "%q is not a snake_case reason", y)
		}
	}
	if r.Family != "" && !reasonWord.MatchString(r.Family) {
		return ruleError(r, "family", "%q is not a lower-case name", r.Family)
	}
	for _, t := range r.Match.Types {
		if !t.Valid() {
			return ruleError(r, "match.types", "%q is not one of sent, delivered, failed, deferred, complaint", t)
		}
	}
	if r.Channel == channels.Email {
		return validateEmail(r)
	}
	return validateSMS(r)
}

// validateEmail checks the SMTP conditions and refuses SMS ones, which
// could never hold for an email event.
func validateEmail(r Rule) error {
	m := r.Match
	if f := firstSet(m, smsFields); f != "" {
		return ruleError(r, "match."+f, "only for sms rules")
	}
	for _, s := range m.Status {
		if !statusPrefix.MatchString(s) {
			return ruleError(r, "match.status", "%q is not an RFC 3463 status prefix (2, 4 or 5, then up to two .N parts)", s)
		}
	}
	for _, c := range m.Codes {
		if c < 200 || c > 599 {
			return ruleError(r, "match.codes", "%d is not an SMTP reply code (RFC 5321 section 4.2)", c)
		}
	}
	return nil // match.text: checkText, once per rule (NewSet)
}

// checkText parses a rule's text pattern as regexp.Compile would, with the
// (?i) flag (SMTP servers capitalize their texts at will), and returns
// regexp's error. It does not compile it: lazyText does on first use.
func checkText(r Rule) error {
	if r.Match.Text == "" {
		return nil
	}
	if _, err := syntax.Parse(textPattern(r.Match.Text), syntax.Perl); err != nil {
		return ruleError(r, "match.text", "%v", err)
	}
	return nil
}

// textPattern is the expression a text condition runs: case-insensitive.
func textPattern(text string) string { return "(?i)" + text }

// validateSMS checks the receipt conditions and refuses SMTP ones.
func validateSMS(r Rule) error {
	m := r.Match
	if f := firstSet(m, emailFields); f != "" {
		return ruleError(r, "match."+f, "only for email rules")
	}
	for _, s := range m.Stat {
		if normStat(s) == "" {
			return ruleError(r, "match.stat", "empty value")
		}
	}
	if len(m.Err) > 0 && m.Dialect == "" {
		return ruleError(r, "match.err", "err codes are vendor-specific: set match.dialect too")
	}
	for _, e := range m.Err {
		if strings.TrimSpace(e) == "" {
			return ruleError(r, "match.err", "empty value")
		}
		if _, _, ok := parseErrRange(e); !ok && strings.Contains(e, "-") {
			return ruleError(r, "match.err", "%q is not a range of decimal codes lo-hi with lo <= hi", e)
		}
	}
	for _, s := range m.NetworkError {
		if !hexPrefix.MatchString(s) {
			return ruleError(r, "match.network_error", "%q is not 1 to 6 hex digits", s)
		}
	}
	for _, s := range m.MessageState {
		if s < 0 || s > 255 {
			return ruleError(r, "match.message_state", "%d is not a one-octet value", s)
		}
	}
	return nil
}

var (
	emailFields = []string{"status", "codes", "text"}
	smsFields   = []string{"stat", "err", "dialect", "network_error", "message_state"}
)

// firstSet returns the first of the named Match fields that is set.
func firstSet(m Match, fields []string) string {
	set := map[string]bool{
		"status": len(m.Status) > 0, "codes": len(m.Codes) > 0, "text": m.Text != "",
		"stat": len(m.Stat) > 0, "err": len(m.Err) > 0, "dialect": m.Dialect != "",
		"network_error": len(m.NetworkError) > 0, "message_state": len(m.MessageState) > 0,
	}
	for _, f := range fields {
		if set[f] {
			return f
		}
	}
	return ""
}
