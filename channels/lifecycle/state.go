package lifecycle

import (
	"time"

	"github.com/rebond/rebond/channels"
)

// Status is a message's counted status in its rate bucket.
type Status string

// Message statuses; see the package documentation for the transitions.
const (
	StatusPending   Status = "pending"
	StatusDelivered Status = "delivered"
	StatusSoft      Status = "soft"
	StatusHard      Status = "hard"
)

// MessageKey identifies a delivery: one message to one recipient. A
// message id names a message, which may go to several recipients (an ESP
// reports each under the message's id: SES's mail.messageId, SendGrid's
// sg_message_id, Mailgun's message-id); each recipient is a delivery of
// its own, with its own status, rate counts and retries.
type MessageKey struct {
	// Tenant owns the row (channels.Event.TenantName).
	Tenant    string
	Channel   channels.Channel
	MessageID string
	// Recipient is the delivery's recipient, normalized
	// (channels.NormalizeRecipient).
	Recipient string
}

// Key returns the delivery's key.
func (m Message) Key() MessageKey {
	return MessageKey{Tenant: m.Tenant, Channel: m.Channel, MessageID: m.MessageID, Recipient: m.Recipient}
}

// Message is the stored state of one delivery: a message to one
// recipient (MessageKey).
type Message struct {
	// Tenant owns the row (channels.Event.TenantName).
	Tenant    string
	Channel   channels.Channel
	MessageID string
	Recipient string
	Campaign  string
	// Domain is the recipient's domain for email; for SMS the recipient's
	// network, channels.Network (country, then carrier once learned).
	Domain     string
	SentAt     time.Time // zero until its sent event arrives
	Status     Status
	Complained bool
	Reason     string
	EventID    string // the last event that changed it
	// RetryAttempt is the number of retry notices already published;
	// RetryDueAt is when the next one is due (zero: none scheduled).
	RetryAttempt int
	RetryDueAt   time.Time
	RetryReason  string
	// Route is the path the delivery's reports came by: the incident
	// route (Route) of the first event of the delivery that named a
	// provider ("smpp:<gateway>", "kannel", "ses"…), empty until one
	// does. Once set it never changes; it keys the delivery's rate
	// bucket (BucketKey).
	Route string
	// Unsubscribed is set when the recipient opted out through this
	// delivery (the unsubscribe URL of its mail names it), and cleared by
	// an undo: counted once in its send's bucket, as a complaint is.
	Unsubscribed bool
}

// RecipientKey identifies a recipient.
type RecipientKey struct {
	// Tenant owns the row (channels.Event.TenantName).
	Tenant  string
	Channel channels.Channel
	Address string
}

// Recipient is the stored state of one recipient.
type Recipient struct {
	// Tenant owns the row (channels.Event.TenantName).
	Tenant    string
	Channel   channels.Channel
	Address   string
	State     channels.State
	Reason    string
	SoftCount int
	Since     time.Time
	Until     time.Time // zero: no automatic release
	EventID   string
	Rule      string
	// QuarantineCount is the number of quarantines in the recipient's
	// current run of repeats (see Escalation), this one included when it
	// is quarantined; QuarantinedAt is when the latest one began. Releases
	// keep both, which is what lets the next quarantine escalate.
	QuarantineCount int
	QuarantinedAt   time.Time
}

// ListEntry is a deny or allow list entry that matched a recipient of the
// batch; the store only loads entries that apply.
type ListEntry struct {
	Channel channels.Channel
	Address string // the recipient it matched
	List    string // "deny" or "allow"
}

// Snapshot is what Decide reads: the batch's events in order and the
// current state of every delivery and recipient they name (absent = new).
// Each event names its delivery by (message id, recipient): the store
// resolves an event's recipient to its delivery's before deciding.
type Snapshot struct {
	Events     []channels.Event
	Messages   map[MessageKey]Message
	Recipients map[RecipientKey]Recipient
	Allowed    map[RecipientKey]bool
	// Consents are the stored consents the batch's consent events name
	// (ConsentKeyOf), and any other the store was asked to load; absent
	// is new. A plan that changes a consent the store did not load is
	// decided again with it loaded (store.Apply).
	Consents map[ConsentKey]Consent
}

// Applied is the verdict recorded on one event.
type Applied struct {
	// EventID is the event's Key (unique across tenants).
	EventID string
	Channel channels.Channel
	Verdict channels.Verdict
}

// Audit is one recipient state transition.
type Audit struct {
	// Tenant owns the row (channels.Event.TenantName).
	Tenant   string
	Channel  channels.Channel
	Address  string
	At       time.Time
	From, To channels.State
	Reason   string
	Actor    string
	EventID  string
	Rule     string
	// Scope is the consent scope of a consent change ("all",
	// "list:<name>", "campaign:<name>"; ConsentKey.Label), "" for every
	// other transition.
	Scope string
}

// BucketKey is a rate bucket: channel, campaign, recipient domain (or
// carrier), route and the hour of the send.
type BucketKey struct {
	// Tenant owns the row (channels.Event.TenantName).
	Tenant   string
	Channel  channels.Channel
	Campaign string
	Domain   string
	// Route is the delivery's Message.Route ("" while no event named a
	// provider; see "Routes" in the package documentation for how a
	// delivery's counts follow its route once it is learned); for the
	// Unverified counter, the unverified event's provider.
	Route string
	Hour  time.Time
}

// Counts are rate-bucket counters, used as deltas in a Plan. Unverified
// counts the unverified events (see Trust) of the bucket's hour, which no
// other counter includes.
type Counts struct {
	Sent, Delivered, Soft, Hard, Complaints int64
	Unverified                              int64
	// Unsubscribed counts the deliveries through which their recipient
	// opted out (Message.Unsubscribed): not a delivery outcome, a rate of
	// its own beside the complaints.
	Unsubscribed int64
}

// Retry is a retry notice to schedule once the plan is committed.
type Retry struct {
	// Tenant owns the row (channels.Event.TenantName).
	Tenant    string
	Channel   channels.Channel
	MessageID string
	// Recipient names the delivery of the message the retry is for.
	Recipient string
	Attempt   int
	DueAt     time.Time
}

// Plan is everything one batch changes, written by the store in one
// transaction.
type Plan struct {
	Applied    []Applied
	Messages   []Message
	Recipients []Recipient
	Audit      []Audit
	Buckets    map[BucketKey]Counts
	Retries    []Retry
	// Incidents are the sender incidents the batch raises or updates, in
	// key order.
	Incidents []Incident
	// Consents are the consents the batch changed, in key order.
	Consents []Consent
}
