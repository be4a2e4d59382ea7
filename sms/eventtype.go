package sms

import (
	"strings"

	"github.com/rebond/rebond/channels"
)

// typeOf returns the coarse event type of a receipt: what the producer
// observed, not the verdict (the rules decide outcome and reason). The
// message_state TLV wins over the stat, as SMPP 3.4 section 5.3.2.35 is the
// structured form of the same fact, except state 0: SCHEDULED exists only
// in SMPP 5.0, and a 3.4 SMSC that sends it means nothing by it.
func typeOf(r channels.SMSReceipt) channels.Type {
	if r.MessageState != nil && (*r.MessageState != 0 || r.Stat == "") {
		switch *r.MessageState {
		case 2: // DELIVERED
			return channels.Delivered
		case 0, 1, 6: // SCHEDULED (5.0), ENROUTE, ACCEPTED
			return channels.Deferred
		}
		return channels.Failed
	}
	return typeOfStat(r.Stat)
}

// typeOfStat reads a stat word of SMPP 3.4 Appendix B, or a provider's
// status: delivered words, words for a message still under way, and
// everything else a failure.
func typeOfStat(stat string) channels.Type {
	s := normWord(stat)
	switch {
	case deliveredStats[s], strings.HasPrefix(s, "DELIVEREDTOHANDSET"):
		return channels.Delivered
	case pendingStats[s], strings.HasPrefix(s, "PENDING"):
		return channels.Deferred
	}
	return channels.Failed
}

// deliveredStats are the stat and provider status words for a message on
// the handset (Appendix B DELIVRD; Twilio, Vonage, Plivo, Sinch
// "delivered"; Twilio and Plivo "read").
var deliveredStats = map[string]bool{
	"DELIVRD": true, "DELIVERED": true, "READ": true, "DLRSUCCESS": true,
}

// pendingStats are the words of a message not final yet: Appendix B
// ACCEPTD and ENROUTE, SMPP 5.0 SCHEDLD, Kannel's buffered words, and the
// providers' queued, sent and accepted states.
var pendingStats = map[string]bool{
	"ACCEPTD": true, "ACCEPTED": true, "ENROUTE": true, "SCHEDLD": true, "SCHEDULED": true,
	"ACKED": true, "BUFFRED": true, "BUFFERD": true, "BUFFERED": true, "DELIVEREDTOCARRIER": true,
	"QUEUED": true, "SENDING": true, "SENT": true, "DISPATCHED": true, "DELIVEREDTOOPERATOR": true,
	"DLRBUFFERED": true, "ESMEROK": true, "DLRSMSCSUCCESS": true,
}

// normWord upper-cases s and drops spaces, underscores and hyphens, so
// "delivered to carrier", "DELIVERED_TO_HANDSET" and "ESME_ROK" compare as
// words.
func normWord(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '_' || c == '-':
			continue
		case 'a' <= c && c <= 'z':
			c -= 'a' - 'A'
		}
		b.WriteByte(c)
	}
	return b.String()
}
