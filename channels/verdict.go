package channels

import "context"

// Outcome is what happened to a message, as REASONS.md defines it.
type Outcome string

// The outcomes of a verdict.
const (
	OutcomeDelivered Outcome = "delivered"
	OutcomePending   Outcome = "pending"
	OutcomeSoft      Outcome = "soft"
	OutcomeHard      Outcome = "hard"
	OutcomeIgnored   Outcome = "ignored"
	OutcomeComplaint Outcome = "complaint"
)

// Valid reports whether o is an outcome of REASONS.md.
func (o Outcome) Valid() bool {
	switch o {
	case OutcomeDelivered, OutcomePending, OutcomeSoft, OutcomeHard, OutcomeIgnored, OutcomeComplaint:
		return true
	}
	return false
}

// Reason is a canonical, snake_case reason from REASONS.md. The vocabulary
// is part of the API: words are added, never renamed.
type Reason string

// Reasons the core itself relies on; channel rule sets use many more.
const (
	ReasonDelivered   Reason = "delivered"
	ReasonUndefined   Reason = "undefined"
	ReasonUserUnknown Reason = "user_unknown"
	ReasonMailboxFull Reason = "mailbox_full"
	ReasonComplaint   Reason = "complaint"
	ReasonDenylisted  Reason = "denylisted"
	ReasonQuarantined Reason = "quarantined"
)

// Verdict is a classifier's decision on one event, with the rule that made
// it (id@version) and the evidence the rule matched, so every decision can
// be explained later.
type Verdict struct {
	Outcome  Outcome `json:"outcome"`
	Reason   Reason  `json:"reason"`
	Rule     string  `json:"rule"`
	Evidence string  `json:"evidence,omitempty"`
}

// Publisher hands events to the event bus. Publish returns nil only once
// every event is durably stored (a JetStream ack), so a caller that got nil
// may acknowledge its own producer. Publishing an event twice is harmless:
// the bus de-duplicates on Event.ID.
type Publisher interface {
	Publish(ctx context.Context, events []Event) error
}
