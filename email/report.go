package email

import (
	"crypto/sha256"
	"time"
)

// Kind says what a mail reports.
type Kind string

// The kinds of report Parse recognizes.
const (
	// KindDSN is a delivery status notification: an RFC 3464 report or
	// the non-standard bounce of an MTA or mail provider.
	KindDSN Kind = "dsn"
	// KindFeedback is an RFC 5965 ARF feedback report (a complaint).
	KindFeedback Kind = "feedback"
	// KindAutoReply is an RFC 3834 automatic reply (vacation, out of
	// office): not a delivery failure.
	KindAutoReply Kind = "auto_reply"
	// KindNone is a mail that reports nothing rebond reads; Report.Why
	// says why.
	KindNone Kind = "none"
)

// Limits of Parse. Bounce mails come from anyone on the Internet, so every
// dimension is bounded; what exceeds a limit is cut, not refused, except a
// mail larger than MaxMailSize.
const (
	// MaxMailSize is the largest mail Parse reads (10 MiB).
	MaxMailSize = 10 << 20
	// MaxParts bounds the MIME parts visited in one mail.
	MaxParts = 64
	// MaxDepth bounds MIME nesting (multipart in message/rfc822 in ...).
	MaxDepth = 8
	// MaxRecipients bounds the recipients one report returns.
	MaxRecipients = 256
	// MaxDiagnostic bounds one recipient's diagnostic text.
	MaxDiagnostic = 2 << 10
	// maxText bounds the human-readable text scanned for a non-standard
	// bounce: what a bounce says about its recipients comes first.
	maxText = 64 << 10
)

// Report is what one mail says: its kind, the format it was recognized
// as, and one Recipient per address it reports on.
type Report struct {
	Kind Kind `json:"kind"`
	// Format names the detected MTA or provider format ("postfix",
	// "sendmail", "exim", "rfc3464", "arf", "rfc3834", ...); see format.go.
	Format string `json:"format"`
	// Why explains a KindNone report (and is empty otherwise).
	Why string `json:"why,omitempty"`
	// Subject and From are the notification's own header fields.
	Subject string `json:"subject,omitempty"`
	From    string `json:"from,omitempty"`
	// To holds the addresses of the notification's To and Delivered-To
	// fields: where a VERP token travels (see VERP).
	To []string `json:"to,omitempty"`
	// Date is the notification's Date field.
	Date time.Time `json:"date,omitzero"`
	// ReportingMTA and ArrivalDate are RFC 3464 section 2.2 per-message
	// fields (ArrivalDate is also ARF's Arrival-Date, RFC 5965 3.1).
	ReportingMTA string    `json:"reporting_mta,omitempty"`
	ArrivalDate  time.Time `json:"arrival_date,omitzero"`
	// Recipients are the bounced (or complained, or auto-replying)
	// addresses, in the order the report gives them.
	Recipients []Recipient `json:"recipients,omitempty"`
	// Original is what the report returned of the original message.
	Original Original `json:"original"`
	// FeedbackType is ARF's Feedback-Type (RFC 5965 section 7.3: abuse,
	// fraud, virus, other, not-spam, auth-failure, opt-out...).
	FeedbackType string `json:"feedback_type,omitempty"`
	// UserAgent and SourceIP are ARF fields (RFC 5965 section 3.1, 3.2).
	UserAgent string `json:"user_agent,omitempty"`
	SourceIP  string `json:"source_ip,omitempty"`

	raw    []byte   // the mail as given, for Events
	sum    [32]byte // SHA-256 of raw: the root of the event ids
	hashed bool     // sum is computed (on first use, by Events)
}

// Recipient is one address a report speaks of, with what it says about it.
// The fields follow RFC 3464 section 2.3; for a non-standard bounce they
// are read from the text.
type Recipient struct {
	// Address is the final recipient, normalized (lower case, no angle
	// brackets); OriginalRecipient is the address the sender used, when
	// the report gives it (RFC 3461 ORCPT).
	Address           string `json:"address"`
	OriginalRecipient string `json:"original_recipient,omitempty"`
	// Action is RFC 3464's action: failed, delayed, delivered, relayed or
	// expanded.
	Action string `json:"action"`
	// Status is the RFC 3463 enhanced status code as the report gives it
	// ("5.1.1"); empty when it gives none.
	Status string `json:"status,omitempty"`
	// ReplyCode is the SMTP reply code (RFC 5321 section 4.2) the remote
	// server answered, 0 when the report quotes none.
	ReplyCode int `json:"reply_code,omitempty"`
	// Diagnostic is the text that says why, unfolded and bounded
	// (Diagnostic-Code without its type, or the bounce's own words).
	Diagnostic string `json:"diagnostic,omitempty"`
	// DiagnosticType is the Diagnostic-Code type ("smtp", "x-unix").
	DiagnosticType string `json:"diagnostic_type,omitempty"`
	// Command is the SMTP command the remote server refused (RCPT, DATA,
	// MAIL, HELO, CONN), when the report says: in the diagnostic, in a
	// transcript of the session, or by its format (a content-filter
	// gateway's refusals answer DATA; see format.go).
	Command string `json:"command,omitempty"`
	// RemoteMTA is the host that gave the diagnostic.
	RemoteMTA string `json:"remote_mta,omitempty"`
	// LastAttempt is Last-Attempt-Date (RFC 3464 section 2.3.7).
	LastAttempt time.Time `json:"last_attempt,omitzero"`
}

// Original is what a report returned of the message it is about: its
// Message-ID and rebond's correlation headers, when the returned part
// (message/rfc822, text/rfc822-headers, or the quoted headers of a
// non-standard bounce) carries them.
type Original struct {
	MessageID string `json:"message_id,omitempty"`
	// RebondMessageID and Campaign are the values of X-Rebond-Message-ID
	// and X-Rebond-Campaign, the headers senders add for correlation.
	RebondMessageID string `json:"rebond_message_id,omitempty"`
	Campaign        string `json:"campaign,omitempty"`
	// Signature is the value of X-Rebond-Signature (see Signature).
	Signature string `json:"signature,omitempty"`
	From      string `json:"from,omitempty"`
	To        string `json:"to,omitempty"`
	Subject   string `json:"subject,omitempty"`
}

// Correlation header fields senders add to their messages so that a
// bounce's returned headers name the message and campaign.
const (
	HeaderMessageID = "X-Rebond-Message-ID"
	HeaderCampaign  = "X-Rebond-Campaign"
)

func (r *Report) setRaw(raw []byte) { r.raw = raw }

// digest returns the SHA-256 of the raw mail, computed once.
func (r *Report) digest() [32]byte {
	if !r.hashed {
		r.sum, r.hashed = sha256.Sum256(r.raw), true
	}
	return r.sum
}
