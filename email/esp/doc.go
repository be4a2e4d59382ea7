// Package esp turns the event webhooks of email service providers into
// channels.Event values: Amazon SES (through SNS), SendGrid, Mailgun,
// Postmark and SparkPost. Each adapter implements channels.Webhook: it
// authenticates the request the way its provider documents, decodes the
// payload, and returns one event per recipient and provider event. The api
// package mounts adapters at POST /v1/webhooks/{name}; cmd builds them with
// New from configuration.
//
// # Configuration
//
// New(name, cfg) builds the adapter of cfg.Provider, or of name when
// Provider is empty, so a webhook named "sendgrid" needs no provider key.
// The keys (koanf tags of Config) and who reads them:
//
//	provider     ses | sendgrid | mailgun | postmark | sparkpost (default: the name)
//	topic_arns   ses: the SNS topic ARNs accepted (required: an SNS signature only
//	             proves that SNS sent the message, not that the topic is ours)
//	public_key   sendgrid: the signed event webhook's verification key, base64 DER
//	             (as the SendGrid console shows it) or PEM
//	signing_key  mailgun: the HTTP webhook signing key
//	username     postmark (required), sparkpost: HTTP basic auth user name
//	password     postmark (required), sparkpost: HTTP basic auth password
//	token        sparkpost: the webhook auth token, sent in X-MessageSystems-Webhook-Token
//	             (sparkpost needs token or username and password)
//	max_age      sendgrid, mailgun: oldest signature timestamp accepted (default 1h)
//
// Mailgun signs a timestamp and a token, not the event: each token is
// remembered with a hash of its event data for max_age (in memory, per
// process, up to DefaultReplayCacheSize tokens), and the same token with
// other data is refused (401); the same delivery again is accepted.
//
// # Events
//
// Every event has channel email and Provider "ses", "sendgrid", "mailgun",
// "postmark" or "sparkpost". Its ID is EventID(provider, provider event id,
// recipient), so a notification delivered twice counts once. MessageID is
// ours when the sender passed it along (the X-Rebond-Message-ID header, or a
// custom argument, tag or metadata key "rebond_message_id"), else the
// provider's message id. Campaign comes from a "campaign" tag, custom
// argument or metadata key (then SendGrid's first category, Mailgun's first
// tag, Postmark's Tag, SparkPost's campaign_id). Raw is the provider's JSON
// for that one event (an SNS envelope, one element of a batch).
//
// # Diagnostics and classification
//
// Adapters do not decide outcomes: the rules do (configs/rules/email.yaml and
// email-esp.yaml). So that rules can read what the provider concluded, the
// SMTP text of an event starts with a tag in brackets, the provider's name
// and its own classification, followed by the diagnostic the remote server
// gave, with the reply code and enhanced status code moved to SMTP.Code and
// SMTP.Status:
//
//	[ses bounce Permanent/OnAccountSuppressionList] Amazon SES did not send ...
//	[ses delay MailboxFull] mailbox full
//	[sendgrid dropped Bounced Address]
//	[mailgun failed permanent suppress-bounce 605] Not delivering to previously bounced address
//	[postmark HardBounce 1 inactive] The email account that you tried to reach does not exist
//	[sparkpost bounce class 10] <recipient@example.com>... User unknown
//
// Delivered, sent and complaint events carry the provider's response, if
// any, without a tag.
//
// # Ignored input
//
// Opens, clicks, unsubscribes and other engagement or list-management
// events give no event and no error: the provider must not deliver them
// again. A bad signature or secret is channels.ErrUnauthorized; a payload
// that cannot be read wraps channels.ErrMalformed and names the field.
package esp
