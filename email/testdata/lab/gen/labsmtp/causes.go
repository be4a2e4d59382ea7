package main

// cause is one provoked outcome: the message submitted to the sending MTA,
// the receiving side's behaviour that provokes it (see replies in smtp.go
// and the zone in dns.go) and the label it earns, in the vocabulary of
// email/testdata/corpus/manifest.tsv (Sisimai's reason names).
type cause struct {
	name   string   // file name stem and X-Lab-Cause value
	rcpts  []string // envelope recipients, in RCPT order
	notify string   // DSN NOTIFY parameter (RFC 3461 §4.1)
	big    bool     // a body larger than small.example.test's SIZE limit
	// deferred causes are refused temporarily until the queue lifetime
	// runs out: their mails before that are delay notices (pending).
	deferred bool
	// quote is a fragment of the receiving side's reply for a cause the MTA
	// may defer. A delay notice or final bounce that quotes neither it nor
	// the reply's code and status ("451 4.7.1") cannot say the cause: its
	// reason is then expired, as rebond's rules read it ("expired only
	// when nothing more precise is known") and as Sisimai labels delay notices,
	// with no reply code.
	quote string
	// quoteStatus is the enhanced status of that reply (RFC 3463): the
	// expected status when the MTA's DSN gives only a generic one (X.0.0)
	// or none, yet its mail quotes the reply.
	quoteStatus string
	reason      []string // expected reason per recipient, Sisimai's names
	status      []string // expected DSN status per recipient ("" = MTA-dependent, see mtaStatus)
	code        []string // expected SMTP reply code per recipient, "-" when none
}

// causes, in submission order.
var causes = []cause{
	{name: "user-unknown", rcpts: []string{"unknown@lab.example.test"}, reason: []string{"userunknown"}, status: []string{"5.1.1"}, code: []string{"550"}},
	{name: "mailbox-full", rcpts: []string{"full@lab.example.test"}, reason: []string{"mailboxfull"}, status: []string{"5.2.2"}, code: []string{"552"}},
	{name: "message-too-big", rcpts: []string{"big@lab.example.test"}, reason: []string{"mesgtoobig"}, status: []string{"5.3.4"}, code: []string{"552"}},
	{name: "size-limit", rcpts: []string{"user@small.example.test"}, big: true, reason: []string{"mesgtoobig"}, status: []string{""}, code: []string{""}},
	{name: "spam", rcpts: []string{"spam@lab.example.test"}, reason: []string{"spamdetected"}, status: []string{"5.7.1"}, code: []string{"554"}},
	{name: "virus", rcpts: []string{"virus@lab.example.test"}, reason: []string{"virusdetected"}, status: []string{"5.7.1"}, code: []string{"554"}},
	{name: "blocked-ip", rcpts: []string{"blocked@lab.example.test"}, reason: []string{"blocked"}, status: []string{"5.7.1"}, code: []string{"554"}},
	{name: "blocked-greeting", rcpts: []string{"user@blocked.example.test"}, quote: "blocked using bl.example.test", quoteStatus: "5.7.1", reason: []string{"blocked"}, status: []string{""}, code: []string{"554"}},
	{name: "relay-denied", rcpts: []string{"user@relay.example.test"}, reason: []string{"norelaying"}, status: []string{"5.7.1"}, code: []string{"554"}},
	{name: "disabled", rcpts: []string{"disabled@lab.example.test"}, reason: []string{"suspend"}, status: []string{"5.2.1"}, code: []string{"550"}},
	{name: "domain-not-found", rcpts: []string{"user@nosuchdomain.example.test"}, reason: []string{"hostunknown"}, status: []string{""}, code: []string{""}},
	{name: "null-mx", rcpts: []string{"user@nullmx.example.test"}, reason: []string{"notaccept"}, status: []string{""}, code: []string{""}},
	{name: "two-recipients", rcpts: []string{"unknown2@lab.example.test", "full2@lab.example.test"}, reason: []string{"userunknown", "mailboxfull"}, status: []string{"5.1.1", "5.2.2"}, code: []string{"550", "552"}},
	{name: "delivered", rcpts: []string{"ok@lab.example.test"}, notify: "SUCCESS,FAILURE", reason: []string{"delivered"}, status: []string{""}, code: []string{""}},
	{name: "greylisted", rcpts: []string{"greylist@lab.example.test"}, deferred: true, quote: "Greylisted, please try again later", quoteStatus: "4.7.1", reason: []string{"expired"}, status: []string{""}, code: []string{"451"}},
	{name: "too-many-connections", rcpts: []string{"user@busy.example.test"}, deferred: true, quote: "too many connections", quoteStatus: "4.7.0", reason: []string{"toomanyconn"}, status: []string{""}, code: []string{"421"}},
	{name: "mailbox-full-temporary", rcpts: []string{"quota@lab.example.test"}, deferred: true, quote: "Mailbox full, try again later", quoteStatus: "4.2.2", reason: []string{"mailboxfull"}, status: []string{""}, code: []string{"452"}},
	{name: "rate-limited", rcpts: []string{"rate@lab.example.test"}, deferred: true, quote: "Sending rate limit exceeded", quoteStatus: "4.7.1", reason: []string{"speeding"}, status: []string{""}, code: []string{"450"}},
}

// hardOf is the expected_hard column for a reason: Sisimai's policy as
// email/testdata/corpus/README.md states it (userunknown, hostunknown and
// a 5xx notaccept are hard; delivered is no bounce; the rest soft).
func hardOf(reason string) string {
	switch reason {
	case "userunknown", "hostunknown", "notaccept":
		return "1"
	case "delivered":
		return "-"
	}
	return "0"
}

// sender is the envelope sender of every lab message: its domain's MX is
// the lab's catcher, which keeps what it receives for it (the bounces).
const sender = "sender@return.example.test"
