package channels

// reasonGroups maps each reason to the coarse group campaign teams know
// (REASONS.md: the "seed group" column of the email table, the group
// column of the SMS table).
var reasonGroups = map[Channel]map[Reason]string{
	Email: groups(map[string][]Reason{
		"unknown user":        {"user_unknown", "has_moved"},
		"invalid domain":      {"host_unknown", "not_accept"},
		"mailbox full":        {"mailbox_full"},
		"account disabled":    {"suspended"},
		"refused":             {"filtered", "sender_rejected", "blocked", "bad_reputation", "require_ptr", "auth_failure", "spam_detected", "virus_detected", "policy_violation", "content_error", "not_compliant_rfc", "security_error", "message_too_big", "exceed_limit", "no_relaying", "complaint"},
		"unreachable":         {"failed_starttls", "speeding", "too_many_connections", "system_error", "system_full", "mailer_error", "network_error", "expired"},
		"quarantined address": {"suppressed"},
		"not defined":         {"syntax_error", "on_hold", "undefined"},
		"ignored":             {"auto_reply"},
		"delivered":           {"delivered"},
		"pending":             {"pending", "sent"},
	}),
	SMS: groups(map[string][]Reason{
		"delivered":           {"delivered"},
		"pending":             {"pending", "queued", "scheduled", "enroute", "accepted", "accepted_by_smsc", "buffered", "sent_to_carrier", "delivered_to_carrier"},
		"invalid number":      {"unknown_subscriber", "invalid_number", "number_inactive", "not_sms_capable", "sms_not_provisioned", "illegal_subscriber", "illegal_equipment", "opted_out", "handset_permanent_error"},
		"unreachable handset": {"absent_subscriber", "handset_busy", "handset_memory_full", "handset_error", "roaming_restricted", "facility_not_supported", "unidentified_subscriber", "call_barred", "recipient_out_of_credit", "portability_error", "destination_unreachable", "message_waiting_list_full"},
		"operator failure":    {"network_failure", "network_congestion", "network_timeout", "sm_delivery_failure", "data_missing", "unexpected_data_value", "unroutable"},
		"message state":       {"expired", "deleted", "rejected", "undeliverable", "skipped", "unknown_status", "unknown_error", "missing_segment", "blocked"},
		"sender side":         {"content_filtered", "content_rejected", "policy_rejected", "rate_limited", "insufficient_credit", "smsc_queue_full", "loop_detected", "sender_account_suspended", "sender_account_blocked", "sender_not_registered", "sender_price_limit"},
		"not defined":         {"undefined"},
	}),
}

func groups(in map[string][]Reason) map[Reason]string {
	out := map[Reason]string{}
	for g, rs := range in {
		for _, r := range rs {
			out[r] = g
		}
	}
	return out
}

// ReasonGroup returns the group of a reason on a channel (REASONS.md), or
// "other" for a reason the vocabulary does not list (an operator's own).
func ReasonGroup(ch Channel, r Reason) string {
	if g, ok := reasonGroups[ch][r]; ok {
		return g
	}
	return "other"
}
