// Package rules classifies delivery-status events with versioned rules kept
// as data: it turns a channels.Event into a channels.Verdict (outcome,
// reason, the rule that decided and the evidence it matched).
//
// The built-in rule sets live in configs/rules/*.yaml and are loaded with
//
//	set, err := rules.Load(configs.Files, "rules/*.yaml")
//
// # Rules
//
// A Rule belongs to one channel and has an id, a version, a priority, a
// Match and a Verdict. A Match is a conjunction: every condition it sets
// must hold. A condition that takes a list holds when any value does. The
// conditions are the event type, and for email the RFC 3463 enhanced status
// (dot-aligned prefixes: "5.1" matches 5.1.*, never 5.10.*), the RFC 5321
// reply code and a case-insensitive regular expression on the diagnostic
// text; for SMS the SMPP receipt stat, the err: code together with the
// connection's err dialect, the network_error_code TLV (hex prefix) and the
// message_state TLV; for both, the provider. The err code "*" (AnyErr) holds
// for every code but 0, and the dialect "*" (AnyDialect) for every dialect a
// connection names: below the rules of the codes a table lists, they catch
// the codes it does not list.
//
// # Versions
//
// A verdict records "id@version", so what a version means must never
// change: to change a rule, add it again with a higher version. Only the
// highest version of an id is evaluated (and not at all if it is disabled);
// older versions stay in the Set so that Set.Rule can explain verdicts they
// made.
//
// # Evaluation
//
// Classify evaluates the rules of the event's channel in a fixed order:
// priority descending, then specificity descending (one point per condition,
// plus the depth of the status prefix: 5.1.1 before 5.1 before 5), then id.
// The first rule that matches decides. The order is total, so the order of
// rules in the files never changes a verdict. When no rule matches, the
// fallback verdict applies (see Set.Classify); it is never hard. Rules whose
// id starts with "fallback." are fallbacks too (the shipped SMS rules for an
// err code missing from its dialect's table): their verdicts, like
// Classify's own, feed the qualification queue of package
// rulebook.
//
// # Text first
//
// A status names the class of a problem; the words beside it may name a
// precise cause that contradicts it ("550 5.1.1 Mailbox is full", X.4.4
// beside a null MX). A rule may list, in Yields, the reasons a text may
// give instead of its own: when it matches, the search goes on through the
// rules after it, and the first one with a text condition that gives one of
// those reasons and matches decides. Its evidence then ends with what it
// overrode: `text~"Mailbox is full" over status=5.1.1 (email.status.5.1.1@2)`.
// Generic statuses (X.0.0, X.N.0) need no Yields: they rank below every
// text rule, so any text that says more decides first.
//
// # Families
//
// A rule that encodes one MTA's or provider's own wording names it in
// Family ("postfix", "gmail"). Family never changes a verdict; tests use it
// to score each family with its own rules left out, an estimate of how the
// rest of the rules do on systems they were not written for.
//
// The shipped files document their priority tiers in their headers: the
// event type first for email (the producer's own fact), then exact status
// codes, high-confidence texts, generic statuses and bare reply codes; for
// SMS the message_state TLV outranks the receipt's stat, as Kannel and Jasmin
// read receipts.
//
// # Delay notices
//
// An email event of type deferred that is not a reply of the SMTP
// transaction (Sync false) is a delay notice: an RFC 3464 DSN whose action
// is delayed (section 2.3.3), an MTA's "still being retried" warning, an
// ESP's delay webhook. The MTA or ESP holding the message retries by
// itself, so the notice is never a failure: the rule that decides keeps its
// reason, and a soft or hard outcome becomes pending (the fallback's too),
// with "type=deferred" leading the evidence. Lifecycle then counts nothing
// soft and schedules no retry. A synchronous deferral (a 4xx reply the
// sender got and posted) and SMS events keep the rules' outcome.
//
// # Cost
//
// Classify runs on the worker's hot path. NewSet compiles everything once
// (regular expressions, upper-cased stats, status prefixes with their dot,
// the set of event fields each rule reads), so a call skips most rules with
// one AND and compares bytes for the rest. Regular expressions, the only
// costly test, run last and only behind a prefilter: literals one of which
// every match must contain, derived from the expression (see prefilter.go).
// A call allocates only the evidence string.
//
// # Operating rules
//
// Set.Explain traces a decision: every rule evaluated, in order, with the
// first condition that failed, up to the one that matched. Live holds the
// Set a running worker classifies with and swaps it whole when operators
// change rules (package rulebook builds it from the built-in files
// and the rules kept in the database). ParseRule reads one rule given alone,
// as YAML or JSON, as strictly as Parse reads files.
package rules
