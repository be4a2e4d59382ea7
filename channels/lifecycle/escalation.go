package lifecycle

import (
	"errors"
	"math"
	"time"
)

// Escalation lengthens the timed quarantine of a recipient quarantined
// again: a mailbox that is full every month is not a mailbox that will
// empty itself in 30 days. With factor 2 and max 365 days, mailbox_full
// goes 30 → 60 → 120 → 240 → 365 days. A permanent quarantine (duration
// 0) stays permanent.
//
// The count of previous quarantines is the recipient row's quarantine
// count. It counts a run of quarantines each starting within Lookback of
// the previous one's start: a recipient whose last quarantine began longer
// ago than Lookback starts again at the base term.
type Escalation struct {
	// Factor multiplies the base term once per previous quarantine; 0 (or
	// 1) disables escalation.
	Factor float64 `koanf:"factor"`
	// Lookback is how long after a quarantine began the next one still
	// counts as a repeat; 0 means forever.
	Lookback time.Duration `koanf:"lookback"`
	// Max caps an escalated term (a base term longer than Max is kept as
	// it is); 0 means no cap beyond the largest duration.
	Max time.Duration `koanf:"max"`
}

// Validate checks the escalation; errors name the key under policy.escalation.
func (e Escalation) Validate() error {
	switch {
	case math.IsNaN(e.Factor) || e.Factor < 0 || (e.Factor > 0 && e.Factor < 1):
		return errors.New("factor: must be 0 (off) or at least 1")
	case e.Lookback < 0:
		return errors.New("lookback: must not be negative")
	case e.Max < 0:
		return errors.New("max: must not be negative")
	}
	return nil
}

// Term returns the quarantine term of a recipient with previous earlier
// quarantines in the run, for a reason whose base term is base: base times
// Factor^previous, capped at Max (never below base). A base of 0 (until an
// operator releases) is returned as it is.
func (e Escalation) Term(base time.Duration, previous int) time.Duration {
	if base <= 0 || e.Factor <= 1 || previous <= 0 {
		return base
	}
	limit := time.Duration(math.MaxInt64)
	if e.Max > 0 {
		limit = max(e.Max, base)
	}
	d := float64(base)
	for range previous {
		d *= e.Factor
		if d >= float64(limit) {
			return limit
		}
	}
	return time.Duration(d)
}

// repeats reports whether a quarantine starting at now follows the one
// that started at last closely enough to escalate.
func (e Escalation) repeats(last, now time.Time) bool {
	return !last.IsZero() && (e.Lookback == 0 || now.Sub(last) <= e.Lookback)
}
