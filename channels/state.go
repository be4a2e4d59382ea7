package channels

// State is a recipient's state: whether messages to it go out. The
// recipient state machine (channels/lifecycle) moves it; exclusion checks
// and the recipient history report it. A recipient without a stored row is
// StateActive. (A message's counted status is a lifecycle.Status.)
type State string

// Recipient states.
const (
	// StateActive recipients receive messages.
	StateActive State = "active"
	// StateQuarantined recipients are excluded after a hard failure or
	// too many soft ones, until their release time (never, when unset).
	StateQuarantined State = "quarantined"
	// StateSuspended recipients are excluded for a while after a
	// suspending refusal; their soft count carries on.
	StateSuspended State = "suspended"
	// StateDenylisted recipients are on a deny list. No recipient row
	// holds it: an exclusion check answers it from the lists.
	StateDenylisted State = "denylisted"
	// StateOptedOut recipients asked to receive nothing more from the
	// tenant on the channel (an opt-out of scope all: one-click
	// unsubscribe, SMS STOP, a gateway's "opted out" refusal) until they
	// opt in again. Narrower opt-outs (a list, a campaign) are consents,
	// not states.
	StateOptedOut State = "opted_out"
)
