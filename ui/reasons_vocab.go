package ui

import (
	"fmt"

	"github.com/rebond/rebond/channels"
)

// Reason meanings, from docs/REASONS.md (the vocabulary is part of
// rebond's API: reasons are added, never renamed). A campaign manager reads
// "mailbox_full" as a code; the page shows what it means next to it.

// emailReasons are the meanings of the email reasons.
var emailReasons = map[string]string{
	"user_unknown":         "the mailbox does not exist",
	"host_unknown":         "the domain does not exist, or has no mail host",
	"has_moved":            "the mailbox moved and does not forward",
	"not_accept":           "the domain accepts no mail (null MX)",
	"mailbox_full":         "the mailbox is full (over quota)",
	"suspended":            "the account is disabled or suspended",
	"filtered":             "refused by a filter on the recipient's side after receiving it",
	"sender_rejected":      "the envelope sender was refused",
	"blocked":              "the sending IP or host was refused",
	"bad_reputation":       "refused for the sender's reputation",
	"require_ptr":          "the sending IP has no valid PTR record",
	"auth_failure":         "SPF, DKIM or DMARC failed",
	"spam_detected":        "the content was judged to be spam",
	"virus_detected":       "a virus scanner refused it",
	"policy_violation":     "a local policy of the receiver refused it",
	"content_error":        "malformed headers or content",
	"not_compliant_rfc":    "the message breaks the RFCs",
	"security_error":       "a security check of the receiver failed",
	"failed_starttls":      "STARTTLS could not be negotiated",
	"message_too_big":      "larger than the receiver accepts",
	"exceed_limit":         "over another limit of the receiver",
	"no_relaying":          "relaying denied",
	"syntax_error":         "the SMTP dialogue had a syntax error",
	"speeding":             "rate limit: sending too fast",
	"too_many_connections": "too many concurrent connections",
	"system_error":         "an error on the remote system",
	"system_full":          "the remote system is out of space",
	"mailer_error":         "a mailer program failed",
	"network_error":        "DNS or network failure",
	"expired":              "delivery time ran out, retries gave up",
	"suppressed":           "the sending MTA or ESP had it on a suppression list",
	"on_hold":              "there is a diagnostic, too thin to decide",
	"undefined":            "nothing to decide from",
	"delivered":            "the receiving server confirmed delivery",
	"complaint":            "the recipient reported the message as spam",
	"auto_reply":           "an automatic reply (out of office)",

	// Pre-send reasons (the exclusion check).
	"quarantined":     "excluded after failures (see the history)",
	"denylisted":      "on a deny list",
	"address_missing": "no address given",
	"address_invalid": "not a valid address",
	"duplicate":       "already in this send",

	// Consent (the recipient's own word).
	"opted_out":     "the recipient unsubscribed",
	"opted_in":      "the recipient subscribed again",
	"confirmed":     "the recipient confirmed a double opt-in",
	"not_confirmed": "no confirmed double opt-in, which this sender requires",
}

// smsReasonGroups are the groups of the SMS reasons: the seed documents
// explain SMS failures by group.
var smsReasonGroups = map[string]string{
	"delivered":                 "delivered",
	"queued":                    "pending",
	"scheduled":                 "pending",
	"enroute":                   "pending",
	"accepted":                  "pending",
	"accepted_by_smsc":          "pending",
	"buffered":                  "pending",
	"sent_to_carrier":           "pending",
	"delivered_to_carrier":      "pending",
	"unknown_subscriber":        "invalid number",
	"invalid_number":            "invalid number",
	"number_inactive":           "invalid number",
	"not_sms_capable":           "invalid number",
	"sms_not_provisioned":       "invalid number",
	"illegal_subscriber":        "invalid number",
	"illegal_equipment":         "invalid number",
	"opted_out":                 "invalid number",
	"handset_permanent_error":   "invalid number",
	"absent_subscriber":         "unreachable handset",
	"handset_busy":              "unreachable handset",
	"handset_memory_full":       "unreachable handset",
	"handset_error":             "unreachable handset",
	"roaming_restricted":        "unreachable handset",
	"facility_not_supported":    "unreachable handset",
	"unidentified_subscriber":   "unreachable handset",
	"call_barred":               "unreachable handset",
	"recipient_out_of_credit":   "unreachable handset",
	"portability_error":         "unreachable handset",
	"destination_unreachable":   "unreachable handset",
	"message_waiting_list_full": "unreachable handset",
	"network_failure":           "operator failure",
	"network_congestion":        "operator failure",
	"network_timeout":           "operator failure",
	"sm_delivery_failure":       "operator failure",
	"data_missing":              "operator failure",
	"unexpected_data_value":     "operator failure",
	"unroutable":                "operator failure",
	"expired":                   "message state",
	"deleted":                   "message state",
	"rejected":                  "message state",
	"undeliverable":             "message state",
	"skipped":                   "message state",
	"unknown_status":            "message state",
	"unknown_error":             "message state",
	"missing_segment":           "message state",
	"blocked":                   "message state",
	"content_filtered":          "sender side",
	"content_rejected":          "sender side",
	"policy_rejected":           "sender side",
	"rate_limited":              "sender side",
	"insufficient_credit":       "sender side",
	"smsc_queue_full":           "sender side",
	"loop_detected":             "sender side",
	"sender_account_suspended":  "sender side",
	"sender_account_blocked":    "sender side",
	"sender_not_registered":     "sender side",
	"sender_price_limit":        "sender side",
	"text_too_long":             "text longer than the allowed segments",
	"unsupported_character":     "a character the encoding cannot carry",
	"quarantined":               "excluded after failures (see the history)",
	"denylisted":                "on a deny list",
	"opted_in":                  "the recipient subscribed again",
	"confirmed":                 "the recipient confirmed a double opt-in",
	"not_confirmed":             "no confirmed double opt-in, which this sender requires",
}

// reasonText says what a reason means on a channel: the email meaning, or
// the SMS group; "" for a reason the dashboard does not know (a rule
// added since), which the page then shows as a bare code.
func reasonText(ch any, reason string) string {
	switch channels.Channel(fmt.Sprint(ch)) {
	case channels.SMS:
		return smsReasonGroups[reason]
	case channels.Email:
		return emailReasons[reason]
	}
	if m, ok := emailReasons[reason]; ok {
		return m
	}
	return smsReasonGroups[reason]
}

// stateText says what a recipient state means for sending.
func stateText(state channels.State) string {
	switch state {
	case channels.StateActive:
		return "Active: messages can be sent"
	case channels.StateQuarantined:
		return "Quarantined: excluded from sends"
	case channels.StateSuspended:
		return "Suspended: excluded from sends for a while"
	case channels.StateDenylisted:
		return "Denylisted: excluded from sends"
	case channels.StateOptedOut:
		return "Opted out: the recipient unsubscribed from everything"
	}
	return string(state)
}

// outcomeText says what a verdict outcome means (docs/REASONS.md).
func outcomeText(outcome string) string {
	switch outcome {
	case "delivered":
		return "delivered"
	case "pending":
		return "not final yet"
	case "soft":
		return "soft failure: may succeed later"
	case "hard":
		return "hard failure: the address or number cannot receive"
	case "ignored":
		return "not a delivery failure"
	case "complaint":
		return "complaint: reported as spam"
	case "":
		return "waiting to be classified"
	}
	return outcome
}

// sourceText says how a recipient gave its consent word (channels.Source*).
func sourceText(src string) string {
	switch src {
	case channels.SourceOneClick:
		return "one-click unsubscribe from the mailbox (RFC 8058)"
	case channels.SourceUnsubscribe:
		return "the unsubscribe page"
	case channels.SourceMailto:
		return "an unsubscribe mail (RFC 2369 mailto:)"
	case channels.SourceSMSKeyword:
		return "an SMS keyword (STOP, START...)"
	case channels.SourceGatewayError:
		return "the SMS gateway refused: the number opted out"
	case channels.SourceConfirm:
		return "a double opt-in confirmation link"
	case channels.SourceAPI:
		return "the sender, over the API"
	case "":
		return "unknown"
	}
	return src
}

// scopeText says what a consent covers: everything, a list, a campaign.
func scopeText(scope channels.Scope, name string) string {
	switch scope {
	case channels.ScopeList:
		return "the list “" + name + "”"
	case channels.ScopeCampaign:
		return "the campaign “" + campaignName(name) + "”"
	}
	return "everything from this sender"
}
