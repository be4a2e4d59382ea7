package lifecycle

import (
	"fmt"
	"time"

	"github.com/rebond/rebond/channels"
)

// Actions a reason can take on a recipient when it fails softly.
const (
	// ActionCount adds one to the recipient's soft count (the default).
	ActionCount = "count"
	// ActionSuspend suspends the recipient for SuspendFor, and counts the
	// message toward the soft threshold as ActionCount does.
	ActionSuspend = "suspend"
	// ActionQuarantine quarantines at once, as a hard failure would.
	ActionQuarantine = "quarantine"
	// ActionSender marks a sender-side reason: the recipient is untouched.
	ActionSender = "sender"
	// ActionNone records the verdict and does nothing else.
	ActionNone = "none"
)

// ReasonPolicy tunes what one reason does. Zero fields fall back to the
// channel default (see Policy.For).
type ReasonPolicy struct {
	Action        string          `koanf:"action"`
	QuarantineFor time.Duration   `koanf:"quarantine_for"`
	SuspendFor    time.Duration   `koanf:"suspend_for"`
	Retry         []time.Duration `koanf:"retry"`
}

// ChannelPolicy is the policy of one channel: its default retry schedule
// and per-reason overrides.
type ChannelPolicy struct {
	// Retry holds the delays between retry notices: the first is counted
	// from the soft failure, each next one from the previous notice.
	Retry   []time.Duration         `koanf:"retry"`
	Reasons map[string]ReasonPolicy `koanf:"reasons"`
	// Validity is how long a sent message may stay without a final
	// outcome before its silence becomes a verdict (an "expired" failure
	// rebond emits itself); 0 disables it. SMS default 48 h, the usual
	// SMSC validity period (SMPP 3.4 section 5.2.15).
	Validity time.Duration `koanf:"validity"`
}

// Policy is the whole lifecycle configuration.
type Policy struct {
	// SoftThreshold is the number of soft-failed messages that quarantines
	// a recipient (seed default 5).
	SoftThreshold int `koanf:"soft_threshold"`
	// SuspendFor is the default suspension window (24 h).
	SuspendFor time.Duration `koanf:"suspend_for"`
	// QuarantineComplaints quarantines a recipient who complained.
	QuarantineComplaints bool                               `koanf:"quarantine_complaints"`
	Channels             map[channels.Channel]ChannelPolicy `koanf:"channels"`
	// Escalation lengthens the timed quarantine of a recipient quarantined
	// again; the zero value disables it.
	Escalation Escalation `koanf:"escalation"`
	// Incidents tunes sender incidents (see IncidentKey).
	Incidents IncidentPolicy `koanf:"incidents"`
}

// IncidentPolicy tunes sender incidents.
type IncidentPolicy struct {
	// QuietFor is how long an open incident must go without a new
	// sender-side verdict before the scheduler resolves it; 0 means the
	// default, 24 h.
	QuietFor time.Duration `koanf:"quiet_for"`
}

// DefaultIncidentQuiet is the quiet period of IncidentPolicy's zero value.
const DefaultIncidentQuiet = 24 * time.Hour

// Quiet returns the effective quiet period.
func (ip IncidentPolicy) Quiet() time.Duration {
	if ip.QuietFor <= 0 {
		return DefaultIncidentQuiet
	}
	return ip.QuietFor
}

// Validate checks the policy and names the offending key.
func (p Policy) Validate() error {
	if p.SoftThreshold < 1 {
		return fmt.Errorf("policy.soft_threshold: must be at least 1, got %d", p.SoftThreshold)
	}
	if err := p.Escalation.Validate(); err != nil {
		return fmt.Errorf("policy.escalation.%w", err)
	}
	if p.Incidents.QuietFor < 0 {
		return fmt.Errorf("policy.incidents.quiet_for: %v must not be negative", p.Incidents.QuietFor)
	}
	for ch, cp := range p.Channels {
		if !ch.Valid() {
			return fmt.Errorf("policy.channels.%s: unknown channel", ch)
		}
		if err := validRetry(cp.Retry); err != nil {
			return fmt.Errorf("policy.channels.%s.retry: %w", ch, err)
		}
		if cp.Validity < 0 {
			return fmt.Errorf("policy.channels.%s.validity: must not be negative", ch)
		}
		for r, rp := range cp.Reasons {
			switch rp.Action {
			case "", ActionCount, ActionSuspend, ActionQuarantine, ActionSender, ActionNone:
			default:
				return fmt.Errorf("policy.channels.%s.reasons.%s.action: %q is not one of count, suspend, quarantine, sender, none", ch, r, rp.Action)
			}
			if err := validRetry(rp.Retry); err != nil {
				return fmt.Errorf("policy.channels.%s.reasons.%s.retry: %w", ch, r, err)
			}
			if rp.QuarantineFor < 0 || rp.SuspendFor < 0 {
				return fmt.Errorf("policy.channels.%s.reasons.%s: durations must not be negative", ch, r)
			}
		}
	}
	return nil
}

func validRetry(ds []time.Duration) error {
	for i, d := range ds {
		if d <= 0 {
			return fmt.Errorf("delay %d is %v; must be positive", i, d)
		}
	}
	return nil
}

// For returns the effective policy of one channel and reason: the reason's
// own settings, with the action defaulting to count, the suspension window
// to the global one and the retry schedule to the channel's.
func (p Policy) For(ch channels.Channel, r channels.Reason) ReasonPolicy {
	cp := p.Channels[ch]
	rp := cp.Reasons[string(r)]
	if rp.Action == "" {
		rp.Action = ActionCount
	}
	if rp.SuspendFor == 0 {
		rp.SuspendFor = p.SuspendFor
	}
	if rp.Retry == nil {
		rp.Retry = cp.Retry
	}
	return rp
}

// NextRetry returns when the retry numbered attempt (1-based) of a message
// that failed softly is due, counting from prev (the failure for attempt 1,
// the previous notice after that), and false when the schedule is exhausted.
func (p Policy) NextRetry(ch channels.Channel, r channels.Reason, attempt int, prev time.Time) (time.Time, bool) {
	sched := p.For(ch, r).Retry
	if attempt < 1 || attempt > len(sched) {
		return time.Time{}, false
	}
	return prev.Add(sched[attempt-1]), true
}
