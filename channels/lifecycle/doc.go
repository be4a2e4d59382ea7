// Package lifecycle decides what a batch of classified events does to the
// messages and recipients they concern: message status, the recipient state
// machine, rate-bucket deltas, audit rows and retry schedules.
//
// It is pure (no I/O, no clock): the store loads a Snapshot under row locks,
// Decide turns it into a Plan, and the store writes the Plan in the same
// transaction. That keeps every policy decision a table-testable function
// and keeps SQL out of it.
//
// # Deliveries
//
// A delivery is one message to one recipient (MessageKey): a message id
// sent to three recipients is three deliveries, each counted once in the
// rates, each with its own status and retries. The store gives every
// event its delivery's recipient before Decide sees it (store.Apply).
//
// # Message status
//
// A delivery counts once in its send's rate bucket, by its current status:
//
//	pending ──soft──► soft ──delivered──► delivered
//	   │                │
//	   └──delivered─────┴───────hard───────► hard (final)
//
// A delivery after a soft failure moves the message to delivered (the
// retry worked); a soft failure after a delivery is ignored for the message
// (the delivery stands); a hard failure wins over everything. A complaint is
// a flag counted on its own, not a status. Events that arrive before their
// "sent" event update the message; the bucket is counted when "sent" comes.
//
// # Routes
//
// A delivery's route (Message.Route) says which path its reports came by:
// the incident route (Route) of the first event of the delivery that
// names a provider — "smpp:<gateway>" for a receipt of rebond's own SMPP
// bind, the webhook's provider ("kannel", "twilio", "ses"…), the sender's
// own word when its "sent" event names one. Mail that comes back to
// rebond (bounces, auto-replies: channels.ReturnPath) names no route: it says what
// happened, not which way the message went. A delivery no event named a
// route for has the empty route. Its rate bucket is keyed by the route
// too (BucketKey), so rates split by SMPP gateway or webhook.
//
// A sender's "sent" event seldom names a provider, and the receipt that
// does comes later, when the send is counted already. So when a counted
// delivery learns its route, the plan moves its counts, exactly once:
// what it counts in its send's bucket (its send, its status, its
// complaint) is subtracted from the bucket without a route and added to
// the bucket of the route, the same campaign, domain and hour; the event's
// own status change then counts in the new bucket. A delivery whose route
// is learned before its send is counted in its route's bucket at once.
// Once set, a route never changes: a later event from another provider
// (a second gateway's receipt, a resend) moves nothing, as campaign and
// domain stay frozen once the send is counted. An unverified event that
// joins no send moves no route (it moves no message); one that joins its
// send acts as any other, its route included. The Unverified counter of
// an hour is keyed by the unverified event's provider, which the adapter
// that received it sets, never the mail.
//
// # Carriers
//
// An SMS delivery has no domain; its bucket's domain key holds the
// recipient's network instead (channels.Network): the country, from the
// first event's Country when a producer or gateway said it, else from the
// number (phone.Country), so a sent event keys it from the start; then
// "/" and the carrier's MCC-MNC, which usually comes later with a
// gateway's receipt (channels.SMSReceipt.MCCMNC). The carrier is learned
// as a route is: once, and a counted delivery moves what it counts from
// its country's bucket ("GB") to its carrier's ("GB/23410"), exactly
// once; a later report naming another network moves nothing.
//
// # Recipient state machine (defaults; all in Policy)
//
//   - hard ⇒ quarantined at once, for the reason's duration (0 = until an
//     operator releases it; user_unknown is never auto-released).
//   - soft ⇒ the soft count grows by one per delivery that enters soft (the
//     retries of one message do not count again); at SoftThreshold ⇒
//     quarantined, for the reason's duration (mailbox_full: 30 days).
//   - a reason with action "suspend" ⇒ suspended for its window (24 h), and
//     counted as soft: the count survives the suspension's end, so the
//     fifth such message quarantines (filtered: for 30 days).
//   - a soft count reaching SoftThreshold never changes a quarantine that
//     is still running (its reason and term stay).
//   - a reason with action "sender" (sender-side: reputation, policy, rate
//     limits…) never touches the recipient: it raises a sender incident
//     instead (below).
//   - complaint ⇒ quarantined (reason complaint), never auto-released.
//   - delivered ⇒ soft count back to 0.
//   - allowlisted recipients are never quarantined or suspended
//     automatically ("error ignored"); the verdict is still recorded.
//     An allow entry added after a quarantine or suspension changes
//     nothing here: the recorded state, its term and its audit stay, and
//     the pre-send answer (store.Exclusions) lets the recipient be sent
//     to while the entry lasts; an operator's release ends the state
//     itself. A deny entry is read the same way, at question time, and
//     wins over both.
//
// # Escalation on repeat
//
// A recipient quarantined again — after an operator's release, or after
// its timed quarantine ended — gets a longer term: the reason's term times
// Policy.Escalation.Factor per previous quarantine of its run, capped at
// Escalation.Max (mailbox_full with factor 2: 30 → 60 → 120 → 240 → 365
// days). The run is kept on the recipient (QuarantineCount,
// QuarantinedAt) and restarts when the last quarantine began longer ago
// than Escalation.Lookback. Renewing a quarantine still running is not a
// repeat, and a permanent quarantine stays permanent.
//
// # Trust
//
// Only a verified fact changes a message or a recipient. An event marked
// channels.Event.Unverified (a bounce mail no VERP token or signed header
// vouches for) gets its verdict and is counted in its hour's Unverified
// counter, but moves no message status or rate, no recipient state or
// soft count, schedules no retry and raises no incident, unless it joins
// a message its tenant sent to that same recipient (JoinsSend): then it
// acts like any other event.
//
// # Consent
//
// Consent events (channels.OptOut, OptIn, Inbound) say what a recipient
// wants, not what became of a message: they move no message status,
// retry, incident or soft count. Each names a consent (ConsentKey): the
// recipient, a scope (all, a list, a campaign) and what it names.
//
//   - opt_out of a consent not opted out yet opts it out, with its
//     source (one-click, mailto, sms-keyword...) and event; of scope
//     all, the recipient's state becomes opted_out (excluded until it
//     opts in again; no clock, release, failure or allowlist ends it). A
//     narrower opt-out is a consent only, checked by the exclusion
//     requests that name its list or campaign.
//   - opt_in lifts an opt-out of the same consent (START, an undo); of
//     scope all the recipient is active again. With source confirm it
//     also records a confirmed double opt-in (time, client IP and user
//     agent), which exclusions may require.
//   - an opt-out of a consent already opted out changes nothing: a
//     replayed one-click POST, a second STOP.
//   - the latest word wins: a consent event older than the last one
//     applied to its consent (Consent.At) changes nothing, so batches
//     applied out of order cannot undo an undo.
//   - a failure whose reason is opted_out (a gateway refused because the
//     number opted out) opts the recipient out of everything, source
//     gateway-error, instead of quarantining it; the message still
//     counts as the failure it is.
//   - every change is an audit row with the scope, and the actor
//     "consent:<source>".
//   - unverified consent events and inbound messages change nothing.
//
// An opt-out that names a delivery rebond knows (the message id of the
// mail whose URL was followed) flags it Unsubscribed, and an undo clears
// the flag: the delivery counts once in the Unsubscribed counter of its
// send's bucket, as a complaint does, so a campaign's unsubscribe rate is
// unsubscribed / sent over the same sends however late the clicks come.
// An opt-out naming a delivery not known yet makes it, flagged: its send,
// applied later (or at once by another worker), counts it. An opt-out
// that names no delivery (an SMS STOP, a URL made without a message id)
// changes the consent and counts in no rate.
//
// # Sender incidents
//
// A failure whose reason has action "sender" says something about the
// sender, not the recipient: it raises or updates the incident of its
// (channel, route, reason), where the route is the event's provider (see
// IncidentKey for why). The Plan carries each batch's additions
// (Plan.Incidents) so the store writes them in the apply transaction; the
// scheduler resolves an incident after Policy.Incidents.QuietFor without
// a new one.
package lifecycle
