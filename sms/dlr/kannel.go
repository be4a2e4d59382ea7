package dlr

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/sms"
)

// Kannel's DLR types, the %d of a dlr-url (Kannel user guide, chapter
// "Delivery reports"; gw/dlr.h): a bit mask.
const (
	kannelSuccess     = 1  // delivered to the handset
	kannelFail        = 2  // not delivered
	kannelBuffered    = 4  // queued at the SMSC
	kannelSMSCSuccess = 8  // accepted by the SMSC (submit_sm_resp OK)
	kannelSMSCFail    = 16 // rejected by the SMSC
)

// The stat words a Kannel callback gets when it carries no receipt text;
// configs/rules/sms-providers.yaml gives them their meaning.
var kannelStats = []struct {
	bit  int
	stat string
	typ  channels.Type
}{
	{kannelSuccess, "DLR_SUCCESS", channels.Delivered},
	{kannelFail, "DLR_FAIL", channels.Failed},
	{kannelSMSCFail, "DLR_SMSC_FAIL", channels.Failed},
	{kannelBuffered, "DLR_BUFFERED", channels.Deferred},
	{kannelSMSCSuccess, "DLR_SMSC_SUCCESS", channels.Deferred},
}

// NewKannel returns the adapter of Kannel's dlr-url requests (a GET query
// in Kannel 1.4; read by ParseKannel). Kannel signs nothing: the dlr-url
// carries a shared secret (GatewayConfig). The dlr-url the sender submits
// names its own message id and campaign, the escapes, and the handset's
// number (from=%p, or a recipient parameter the sender writes):
//
//	https://rebond.example.com/v1/webhooks/kannel?token=SECRET&ref=<sender's id>&campaign=<campaign>&type=%d&fid=%F&answer=%A&from=%p&ts=%t&meta=%D
//
// type is Kannel's DLR bit mask (gw/dlr.h: 1 delivered, 2 failed, 4
// buffered, 8 SMSC accepted, 16 SMSC rejected). A composite such as 34 or
// 65 is read by the first of its bits in the order delivered, failed,
// SMSC rejected, buffered, SMSC accepted; other bits are ignored, and a
// mask with none of the five is malformed.
func NewKannel(cfg GatewayConfig) (*Webhook, error) {
	if err := cfg.Validate(); err != nil {
		return nil, errors.New("kannel webhook: " + err.Error())
	}
	parse := func(c *callback) ([]channels.Event, error) {
		if _, err := kannelType(c.params); err != nil {
			return nil, &channels.FieldError{Field: "type", Msg: err.Error()}
		}
		return single(ParseKannel(c.params, cfg.Dialect))
	}
	w := newWebhook(ProviderKannel, FormatKannel, []string{"type|dlr|status"}, sharedCheck(ProviderKannel, cfg.SharedSecret), parse)
	w.shared = &cfg.SharedSecret
	w.recipientParam = true
	return w, nil
}

// ParseKannel reads the parameters of a request Kannel's smsbox made to a
// dlr-url. The names are the ones the dlr-url gives the escapes (Kannel
// user guide, "Delivery reports" and the sendsms dlr-url escapes): type=%d
// (required; also dlr or status), answer=%A (the SMSC's answer: receipt
// text, "ACK/" or "NACK/…"), fid=%F (the SMSC message id), ts=%t or ts=%T,
// from=%p (the handset) and meta=%D (the SMPP TLVs, among them dlr_err);
// and the sender's own parameters: ref (or id, msgid, myId), the sender's
// message id, and campaign.
//
// The event's MessageID is the sender's ref, the id its "sent" events
// carry: a sendsms client never learns the SMSC's id. The SMSC's id (fid,
// else the receipt text's id:) is kept in SMSReceipt.SMSCID, and is the
// MessageID only when the dlr-url names no ref. Type 8 (the SMSC accepted
// the submit) is a pending step of that message, a Deferred event, never
// a send: the sender's own "sent" event is the send.
//
// With receipt text in answer, Stat and Err come from it and Dialect is
// the connection's; otherwise Stat names the DLR type (DLR_SUCCESS,
// DLR_FAIL, DLR_SMSC_FAIL, DLR_BUFFERED, DLR_SMSC_SUCCESS) with Dialect
// "kannel", or, on an SMSC reject, the SMPP command_status name. A ts that
// is neither form is an error, not a silent arrival time.
func ParseKannel(v url.Values, dialect string) (channels.Event, error) {
	mask, err := kannelType(v)
	if err != nil {
		return channels.Event{}, err
	}
	at, err := kannelTime(first(v, "ts", "time"))
	if err != nil {
		return channels.Event{}, fmt.Errorf("parse kannel callback: %w", err)
	}
	r := sms.Receipt{Provider: ProviderKannel, Recipient: phone(first(v, "from", "phone", "msisdn")), At: at, Campaign: first(v, "campaign")}
	smscID := first(v, "fid", "foreign_id", "smsc_id")
	answer := first(v, "answer", "reply")
	if rt, err := sms.ParseReceiptText(answer); err == nil && rt.Stat != "" {
		r.SMS = channels.SMSReceipt{Stat: rt.Stat, Err: rt.Err, Dialect: dialect}
		if smscID == "" {
			smscID = rt.ID
		}
	} else {
		r.SMS = kannelStatus(mask, answer)
	}
	for _, k := range kannelStats {
		if mask&k.bit != 0 {
			r.Type = k.typ
			break
		}
	}
	r.SMS.NetworkError = kannelDLRErr(first(v, "meta"), r.SMS)
	r.MessageID = senderID(v)
	if r.MessageID == "" {
		r.MessageID = smscID
	}
	if smscID != r.MessageID {
		r.SMS.SMSCID = smscID
	}
	for _, f := range []struct{ name, v string }{{"ref", r.MessageID}, {"fid", smscID}, {"campaign", r.Campaign}} {
		if err := sms.CheckID(f.name, f.v); err != nil {
			return channels.Event{}, fmt.Errorf("parse kannel callback: %w", err)
		}
	}
	return r.Event(), nil
}

// senderID is the sender's own message id, which Kannel's dlr-url carries
// because the sender wrote it there: the id of the sender's "sent" events.
func senderID(v url.Values) string {
	return first(v, "ref", "id", "msgid", "myId", "myid")
}

// kannelTime reads a dlr-url's time: %T, Unix seconds, or %t, Kannel's
// "YYYY-MM-DD+HH:MM:SS" in UTC (gw/urltrans.c formats it with gmtime and
// a literal '+', which a query decodes to a space). Empty is the zero
// time (the caller uses the time of receipt); anything else is an error.
func kannelTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n <= 0 {
			return time.Time{}, fmt.Errorf("ts %q: not a time after the epoch", s)
		}
		return time.Unix(n, 0).UTC(), nil
	}
	t, err := time.Parse(time.DateTime, strings.Replace(s, "+", " ", 1))
	if err != nil {
		return time.Time{}, fmt.Errorf("ts %q: neither Unix seconds (%%T) nor YYYY-MM-DD+HH:MM:SS (%%t)", truncate(s, 40))
	}
	return t, nil
}

// kannelType reads the %d bit mask.
func kannelType(v url.Values) (int, error) {
	s := first(v, "type", "dlr", "status")
	mask, err := strconv.Atoi(s)
	if err != nil || mask <= 0 || mask > 0xff {
		return 0, fmt.Errorf("parse kannel callback: type %q is not a DLR type bit mask", s)
	}
	if mask&0x1f == 0 {
		return 0, fmt.Errorf("parse kannel callback: type %d sets none of the bits 1, 2, 4, 8, 16", mask)
	}
	return mask, nil
}

// kannelStatus is the receipt of a callback without receipt text.
func kannelStatus(mask int, answer string) channels.SMSReceipt {
	r := channels.SMSReceipt{Dialect: ProviderKannel}
	for _, k := range kannelStats {
		if mask&k.bit != 0 {
			r.Stat = k.stat
			break
		}
	}
	if mask&kannelSMSCFail != 0 {
		if code, ok := nackCode(answer); ok {
			r.Err = strconv.FormatUint(uint64(code), 10)
			if name := sms.ESMEName(code); name != "" {
				r.Stat = name
			}
		}
	}
	return r
}

// nackCode reads the command_status of Kannel's "NACK/0x0000000b/…" answer.
func nackCode(answer string) (uint32, bool) {
	parts := strings.Split(answer, "/")
	if len(parts) < 2 || !strings.EqualFold(parts[0], "NACK") {
		return 0, false
	}
	n, err := strconv.ParseUint(strings.TrimSpace(parts[1]), 0, 32)
	return uint32(n), err == nil
}

// kannelDLRErr returns the dlr_err of the meta-data's smpp group (the
// network_error_code TLV, SMPP 3.4 section 5.3.2.31) as hex. Without that
// TLV Kannel makes one up from the text's err, as a GSM error in decimal;
// when the connection reads err in a dialect of its own, that made-up
// value would misread it, so it is dropped.
func kannelDLRErr(meta string, r channels.SMSReceipt) string {
	raw := kannelMeta(meta)["smpp"].Get("dlr_err")
	if raw == "" {
		return ""
	}
	ne, err := sms.NetworkErrorHex([]byte(raw))
	if err != nil {
		return ""
	}
	if r.Dialect != "" && r.Dialect != ProviderKannel && r.Err != "" {
		if n, err := strconv.Atoi(r.Err); err == nil && ne == fmt.Sprintf("03%04x", n) {
			return ""
		}
	}
	return ne
}

// kannelMeta parses Kannel's meta-data, "?group?k=v&k=v&?group2?…", with
// url-encoded values.
func kannelMeta(s string) map[string]url.Values {
	out := map[string]url.Values{}
	parts := strings.Split(s, "?")
	for i := 1; i+1 < len(parts); i += 2 {
		q, _ := url.ParseQuery(parts[i+1]) // keep what parses
		out[parts[i]] = q
	}
	return out
}

// ParseKannelMO reads the request a Kannel sms-service makes to its
// get-url for a message from a handset. The names are the ones the
// get-url gives the escapes (Kannel user guide, "SMS Service
// configuration"):
//
//	https://rebond.example.com/v1/webhooks/kannel/inbound?token=SECRET&id=%I&from=%p&to=%P&text=%b&coding=%c&charset=%C&ts=%T
//
// from=%p is the subscriber, text=%b the message as received (%a, its
// words, works too), charset=%C and coding=%c how to read it (UTF-16BE
// for a UCS-2 message; Kannel recodes the GSM alphabet to Latin-1), id=%I
// Kannel's id of the message (the event id derives from it, so a
// repeated request counts once) and ts=%T or %t when it was sent. A
// binary message (coding 1) has no text.
func ParseKannelMO(v url.Values) (sms.MO, error) {
	from := first(v, "from", "phone", "msisdn")
	if from == "" {
		return sms.MO{}, errors.New("parse kannel message: from is required")
	}
	at, err := kannelTime(first(v, "ts", "time"))
	if err != nil {
		return sms.MO{}, fmt.Errorf("parse kannel message: %w", err)
	}
	m := sms.MO{Provider: ProviderKannel, ID: first(v, "id", "smsid"), From: from, At: at}
	charset := first(v, "charset")
	switch {
	case first(v, "coding") == "1" || strings.EqualFold(charset, "binary"):
	case first(v, "coding") == "2" && charset == "":
		m.Text = sms.DecodeOctets([]byte(v.Get("text")), "UTF-16BE")
	default:
		m.Text = sms.DecodeOctets([]byte(v.Get("text")), charset)
	}
	return m, nil
}
