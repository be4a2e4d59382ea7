package lifecycle

import (
	"time"

	"github.com/rebond/rebond/channels"
)

func (d *decider) recipient(k RecipientKey) Recipient {
	if r, ok := d.recipients[k]; ok {
		return r
	}
	if r, ok := d.snap.Recipients[k]; ok {
		r.Tenant = k.Tenant
		return r
	}
	return Recipient{Tenant: k.Tenant, Channel: k.Channel, Address: k.Address, State: channels.StateActive}
}

// applyRecipient runs the recipient state machine for one verdict.
func (d *decider) applyRecipient(e channels.Event, v channels.Verdict, enteredSoft bool) {
	if e.Recipient == "" {
		return // a receipt that named no delivery's recipient (store.Apply) acts on nobody
	}
	if v.Reason == channels.ReasonOptedOut && (v.Outcome == channels.OutcomeHard || v.Outcome == channels.OutcomeSoft) {
		d.gatewayOptOut(e, v) // the recipient's word, relayed: before the allowlist
		return
	}
	k := RecipientKey{e.TenantName(), e.Channel, e.Recipient}
	if d.snap.Allowed[k] && v.Outcome != channels.OutcomeDelivered {
		return // allowlisted: errors are recorded, never acted on
	}
	r := d.recipient(k)
	rp := d.policy.For(e.Channel, v.Reason)
	switch v.Outcome {
	case channels.OutcomeDelivered:
		if r.SoftCount == 0 {
			return
		}
		r.SoftCount = 0
	case channels.OutcomeHard:
		if rp.Action == ActionSender || rp.Action == ActionNone {
			return
		}
		d.quarantine(&r, e, v, rp.QuarantineFor)
	case channels.OutcomeComplaint:
		if !d.policy.QuarantineComplaints {
			return
		}
		d.quarantine(&r, e, v, 0)
	case channels.OutcomeSoft:
		if !d.soft(&r, e, v, rp, enteredSoft) {
			return
		}
	default:
		return
	}
	d.recipients[k] = r
}

// soft applies a soft verdict's action and reports whether r changed.
// Count and suspend both count the message once (entered) toward the soft
// threshold, so a recipient whose filter refuses message after message is
// quarantined like any other repeated soft failure; suspend also holds the
// recipient back for SuspendFor in between (the release job keeps the
// count when a suspension ends: store's release-expired).
func (d *decider) soft(r *Recipient, e channels.Event, v channels.Verdict, rp ReasonPolicy, entered bool) bool {
	switch rp.Action {
	case ActionQuarantine:
		d.quarantine(r, e, v, rp.QuarantineFor)
		return true
	case ActionCount, ActionSuspend:
		audited := len(d.plan.Audit)
		if entered {
			r.SoftCount++
			defer d.softAudit(r, e, v, audited)
			if r.SoftCount >= d.policy.SoftThreshold {
				// A late soft failure counts, but does not change a
				// running quarantine's reason or term (a 30-day
				// mailbox_full one must not become permanent).
				if !quarantinedAt(*r, e.OccurredAt) {
					d.quarantine(r, e, v, rp.QuarantineFor)
				}
				return true
			}
		}
		if rp.Action == ActionSuspend {
			d.suspend(r, e, v, rp.SuspendFor)
			return true
		}
		return entered
	}
	return false
}

// softAudit records a counted soft failure that moved r to no other
// state (no audit row since mark) as an audit row from r's state to the
// same state: the recipient's history shows every failure its soft count
// counts, not only the transitions it led to.
func (d *decider) softAudit(r *Recipient, e channels.Event, v channels.Verdict, mark int) {
	if len(d.plan.Audit) > mark {
		return
	}
	d.plan.Audit = append(d.plan.Audit, Audit{
		Tenant: r.Tenant, Channel: r.Channel, Address: r.Address, At: e.OccurredAt,
		From: r.State, To: r.State, Reason: string(v.Reason),
		Actor: ActorApply, EventID: e.Key(), Rule: v.Rule,
	})
}

// quarantinedAt reports whether r is in a quarantine still running at t.
func quarantinedAt(r Recipient, t time.Time) bool {
	return r.State == channels.StateQuarantined && (r.Until.IsZero() || r.Until.After(t))
}

// quarantine moves r to quarantined for dur (0: until an operator releases
// it), escalated by the policy when r was quarantined before. A permanent
// quarantine is never shortened by a later, timed one, and an opted-out
// recipient stays opted out (only its own opt-in lifts that).
func (d *decider) quarantine(r *Recipient, e channels.Event, v channels.Verdict, dur time.Duration) {
	if r.State == channels.StateOptedOut || r.State == channels.StateQuarantined && r.Until.IsZero() {
		return
	}
	// A quarantine that is still running is renewed, not repeated: only a
	// recipient that was released, or whose term ended (even if the
	// release job has not run yet), counts one more quarantine.
	if r.State != channels.StateQuarantined || !r.Until.After(e.OccurredAt) {
		if !d.policy.Escalation.repeats(r.QuarantinedAt, e.OccurredAt) {
			r.QuarantineCount = 0
		}
		r.QuarantineCount++
		r.QuarantinedAt = e.OccurredAt
	}
	until := time.Time{}
	if dur > 0 {
		until = e.OccurredAt.Add(d.policy.Escalation.Term(dur, r.QuarantineCount-1))
	}
	d.transition(r, e, v, channels.StateQuarantined, until)
}

// suspend moves r to suspended for dur, unless it is quarantined or opted
// out already (the stronger states) or suspended for longer.
func (d *decider) suspend(r *Recipient, e channels.Event, v channels.Verdict, dur time.Duration) {
	until := e.OccurredAt.Add(dur)
	if r.State == channels.StateQuarantined || r.State == channels.StateOptedOut || (r.State == channels.StateSuspended && !r.Until.Before(until)) {
		return
	}
	d.transition(r, e, v, channels.StateSuspended, until)
}

func (d *decider) transition(r *Recipient, e channels.Event, v channels.Verdict, to channels.State, until time.Time) {
	d.plan.Audit = append(d.plan.Audit, Audit{
		Tenant: r.Tenant, Channel: r.Channel, Address: r.Address, At: e.OccurredAt,
		From: r.State, To: to, Reason: string(v.Reason),
		Actor: ActorApply, EventID: e.Key(), Rule: v.Rule,
	})
	r.State, r.Reason, r.Since, r.Until = to, string(v.Reason), e.OccurredAt, until
	r.EventID, r.Rule = e.Key(), v.Rule
}
