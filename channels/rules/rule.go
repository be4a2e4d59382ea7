package rules

import (
	"slices"
	"strconv"

	"github.com/rebond/rebond/channels"
)

// Rule is one versioned classification rule: when its Match holds for an
// event of its Channel, the event gets its Verdict. A rule is identified by
// ID and Version together ("id@version"); a verdict records that key, so a
// published version must never change meaning; publish a new version instead.
type Rule struct {
	// ID names the rule, stable across versions ("email.status.5.1.1").
	ID string `yaml:"id" json:"id"`
	// Version is 1 or more. Only the highest version of an ID is evaluated;
	// older versions stay in the set to explain verdicts they made.
	Version int `yaml:"version" json:"version"`
	// Channel is the channel whose events the rule classifies.
	Channel channels.Channel `yaml:"channel" json:"channel"`
	// Priority orders evaluation: higher first.
	Priority int `yaml:"priority,omitempty" json:"priority"`
	// Description says what the rule recognizes and cites where the meaning
	// comes from (RFC 3463 section, SMPP 3.4 section, vendor table).
	Description string `yaml:"description,omitempty" json:"description,omitempty"`
	// Match holds the conditions; all of them must hold.
	Match Match `yaml:"match" json:"match"`
	// Verdict is what a matching event is given.
	Verdict Verdict `yaml:"verdict" json:"verdict"`
	// Disabled turns the rule off: it never matches, and neither does any
	// older version of its ID.
	Disabled bool `yaml:"disabled,omitempty" json:"disabled,omitempty"`
	// Yields lists the reasons a diagnostic text may give instead of this
	// rule's verdict. It marks a rule whose status names only the class of
	// a problem, coarser than the words a receiver writes beside it (X.1.1
	// beside "mailbox full", X.4.4 beside "null MX"). When such a rule
	// matches, Classify goes on through the rules after it; the first one
	// with a text condition that matches and gives one of these reasons
	// decides instead, and its evidence names the status it overrode.
	// Only built-in rules may yield for now: package rulebook refuses an
	// operator rule with Yields, which its store does not keep.
	Yields []channels.Reason `yaml:"yields,omitempty" json:"yields,omitempty"`
	// Family names the MTA, provider or gateway whose own wording the rule
	// encodes ("postfix", "exim", "gmail", "yahoo"), in lower case; empty
	// for a standard's codes and for wordings that many systems share. It
	// does not change matching: tests score each family with its own rules
	// left out, to measure how the rest generalizes to it.
	Family string `yaml:"family,omitempty" json:"family,omitempty"`
}

// Key returns "id@version", the form verdicts record in channels.Verdict.Rule.
func (r Rule) Key() string { return r.ID + "@" + strconv.Itoa(r.Version) }

// Match is a rule's conditions. Every non-empty field must hold (AND); a
// list holds when any of its values does (OR). A Match with no condition at
// all is invalid. String comparisons are case-insensitive throughout.
type Match struct {
	// Types lists event types: sent, delivered, failed, deferred, complaint.
	Types []channels.Type `yaml:"types,omitempty" json:"types,omitempty"`
	// Status lists RFC 3463 enhanced status code prefixes, dot-aligned:
	// "5.1.1" matches 5.1.1 only, "5.1" matches 5.1.*, "4" matches 4.*.*.
	Status []string `yaml:"status,omitempty" json:"status,omitempty"`
	// Codes lists SMTP basic reply codes (RFC 5321 section 4.2).
	Codes []int `yaml:"codes,omitempty" json:"codes,omitempty"`
	// Text is a Go regular expression matched case-insensitively against
	// the SMTP diagnostic text (only the first MaxTextLen bytes).
	Text string `yaml:"text,omitempty" json:"text,omitempty"`
	// Stat lists SMPP 3.4 Appendix B stat values ("UNDELIV", "DELIVRD");
	// they compare case-insensitively with spaces ignored, so "DELIVERED TO
	// CARRIER" and "deliveredtocarrier" are the same value.
	Stat []string `yaml:"stat,omitempty" json:"stat,omitempty"`
	// Err lists values of the receipt's err: field. Leading zeros are
	// ignored ("001" = "1"). A value "lo-hi" is an inclusive range of
	// decimal codes ("1024-1796"). The value AnyErr matches every code but
	// zero, which says there was no error: at a priority below the rules of
	// a dialect's known codes, it catches the codes missing from its table.
	// Err values are vendor-specific, so a rule with Err must also name its
	// Dialect.
	Err []string `yaml:"err,omitempty" json:"err,omitempty"`
	// Dialect is the err: code table of the connection the receipt came
	// from ("map", "twilio-smpp"); see channels.SMSReceipt. AnyDialect
	// matches every receipt whose connection names a dialect.
	Dialect string `yaml:"dialect,omitempty" json:"dialect,omitempty"`
	// NetworkError lists network_error_code TLV values (SMPP 3.4 section
	// 5.3.2.31) as lowercase hex: six digits for one code, fewer for a
	// prefix ("03" = every GSM error).
	NetworkError []string `yaml:"network_error,omitempty" json:"network_error,omitempty"`
	// MessageState lists message_state TLV values (SMPP 3.4 section
	// 5.3.2.35; 0 and 9 exist only in SMPP 5.0).
	MessageState []int `yaml:"message_state,omitempty" json:"message_state,omitempty"`
	// Provider is the provider or connection name the event came from.
	Provider string `yaml:"provider,omitempty" json:"provider,omitempty"`
}

// Wildcards of Match.Err and Match.Dialect.
const (
	// AnyErr in Match.Err matches every err code but zero.
	AnyErr = "*"
	// AnyDialect as Match.Dialect matches every named dialect.
	AnyDialect = "*"
)

// Verdict is the outcome and reason a matching rule gives. The reason must
// come from REASONS.md's vocabulary of the rule's channel.
type Verdict struct {
	Outcome channels.Outcome `yaml:"outcome" json:"outcome"`
	Reason  channels.Reason  `yaml:"reason" json:"reason"`
}

// conditions counts the non-empty conditions of m.
func (m Match) conditions() int {
	n := 0
	for _, set := range []bool{
		len(m.Types) > 0, len(m.Status) > 0, len(m.Codes) > 0, m.Text != "",
		len(m.Stat) > 0, len(m.Err) > 0, m.Dialect != "", len(m.NetworkError) > 0,
		len(m.MessageState) > 0, m.Provider != "",
	} {
		if set {
			n++
		}
	}
	return n
}

// clone returns r with its own copies of the match lists, so a Set never
// shares memory with its caller.
func (r Rule) clone() Rule {
	m := &r.Match
	m.Types, m.Status, m.Codes = slices.Clone(m.Types), slices.Clone(m.Status), slices.Clone(m.Codes)
	m.Stat, m.Err, m.NetworkError = slices.Clone(m.Stat), slices.Clone(m.Err), slices.Clone(m.NetworkError)
	m.MessageState = slices.Clone(m.MessageState)
	r.Yields = slices.Clone(r.Yields)
	return r
}
