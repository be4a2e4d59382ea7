// Package email turns email delivery facts into events: bounce mails of
// every shape (RFC 3464 delivery status notifications, the non-standard
// bounces of MTAs and mail providers), ARF complaints (RFC 5965), RFC 3834
// automatic replies, and synchronous SMTP replies.
//
// Parse reads one mail into a Report: its Kind, the recipients it speaks
// of with their action, RFC 3463 status, SMTP reply code and diagnostic
// text, and what it returned of the original message. Report.Events turns
// the report into channels.Events for the rest of rebond; classification
// (hard, soft, reason) is left to channels/rules with the shipped rule
// files configs/rules/email.yaml (status and reply codes) and
// configs/rules/email-text.yaml (diagnostic texts) and
// configs/rules/email-lexicon.yaml (the wordings of MTAs, providers and
// gateways, each rule naming its system).
//
// The parser reads what a bounce says, not who wrote it: a DSN part when
// there is one, and otherwise the shapes every MTA uses to name a failed
// recipient (see text.go). For each recipient it also reads the SMTP
// command the refusal answered (Recipient.Command: Postfix's "in reply to
// RCPT TO command", Exim's "after RCPT TO", transcripts, qmail-remote's
// sentences), since a "user unknown" after DATA is a filter's verdict and
// not a missing mailbox, and a refusal of the greeting (CONN) is about the
// sending host; the one thing it takes from who wrote a report is
// that a content-filter gateway's refusals answer DATA (see format.go).
// A delay notice (RFC 3464 section 2.3.3; the MTAs' "still being retried"
// warnings, by their subject or words) gives action delayed, which the
// rules make pending. Of the SMTP replies a recipient's words quote
// (RFC 5321 section 4.2), wherever the MTA put them, the reply code and
// RFC 3463 status read are the most specific: a wrapping X.0.0 or the
// sending MTA's own X.4.7 expiry gives way to the remote's last reply. It
// never panics, bounds every input dimension, and falls back to the raw
// bytes of a part whose charset or transfer encoding it cannot decode.
//
// Two notices that are not MTA bounces are read as reports too: a
// mailing-list manager's refusal or hold of a post (fml, Mailman,
// Majordomo, Google Groups), whose recipient is the list; and an Amazon
// SES notification (Bounce, Complaint, Delivery) that an SNS topic sent
// as mail (see sesmail.go).
//
// VERP builds and verifies return paths that carry the message id and
// recipient, so a bounce that returns nothing of the original is still
// correlated; ParseReply reads an SMTP reply a sender received in the
// transaction; SplitMbox splits an mbox file (RFC 4155) into the mails
// Parse reads one at a time.
package email
