package smpp

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"

	"github.com/fiorix/go-smpp/smpp/pdu"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/sms"
)

// Store is what the ESME asks of rebond's store (cmd wires it); nil is
// allowed: receipts without a number are then refused, and refusals only
// logged.
type Store interface {
	// MessageRecipient returns the recipient of a known message, "" and
	// no error when the message is unknown. It joins a receipt whose
	// source_addr is empty to its send by the message id.
	MessageRecipient(ctx context.Context, tenant string, ch channels.Channel, messageID string) (string, error)
	// InsertRejected keeps a refused payload with the reason
	// (rejected_events), where an operator can read what the SMSC sent.
	InsertRejected(ctx context.Context, source, reason string, payload []byte) error
}

// Bounds of what a refusal keeps: the PDU's first maxRefusedPDU octets
// (a receipt is a few hundred; MaxPDULen allows 64 KiB) and the first
// maxRefusedText of its text.
const (
	maxRefusedPDU  = 2048
	maxRefusedText = 512
)

// refusal is the record of a PDU rebond refused, as rejected_events keeps
// it: the PDU in hex and the fields it could decode.
type refusal struct {
	Gateway      string `json:"gateway"`
	Bind         string `json:"bind"`
	Command      string `json:"command"`
	Seq          uint32 `json:"seq"`
	Answer       string `json:"answer"` // the command_status rebond answered
	Error        string `json:"error"`
	MessageID    string `json:"message_id,omitempty"`
	SourceAddr   string `json:"source_addr,omitempty"`
	ESMClass     *int   `json:"esm_class,omitempty"`
	Text         string `json:"text,omitempty"`
	MessageState *int   `json:"message_state,omitempty"`
	NetworkError string `json:"network_error,omitempty"`
	PDULen       int    `json:"pdu_len"`
	PDUHex       string `json:"pdu_hex"`
	Truncated    bool   `json:"truncated,omitempty"`
}

// newRefusal records a: its fields when it decoded, its bytes always.
func (b *bind) newRefusal(a action, answer pdu.Status, err error) refusal {
	raw := a.f.bytes()
	r := refusal{
		Gateway: b.gw.Name, Bind: b.m.bind, Command: commandName(a.f.hdr.ID), Seq: a.f.hdr.Seq,
		Answer: statusText(answer), Error: err.Error(), PDULen: len(raw),
	}
	if len(raw) > maxRefusedPDU {
		raw, r.Truncated = raw[:maxRefusedPDU], true
	}
	r.PDUHex = hex.EncodeToString(raw)
	d := a.receipt
	if a.err != nil && d.SourceAddr == "" && d.ShortMessage == nil && d.MessagePayload == nil {
		return r // nothing decoded
	}
	text := d.ShortMessage
	if len(text) == 0 {
		text = d.MessagePayload
	}
	r.SourceAddr, r.MessageState, r.NetworkError = clip(d.SourceAddr, 64), d.MessageState, d.NetworkError
	esm := d.ESMClass
	r.ESMClass = &esm
	r.Text = clip(string(text), maxRefusedText)
	r.MessageID = d.ReceiptedMessageID
	if rt, err := sms.ParseReceiptText(r.Text); r.MessageID == "" && err == nil {
		r.MessageID = rt.ID
	}
	r.MessageID = clip(r.MessageID, channels.MaxIDLen)
	return r
}

// refuse answers a receipt rebond cannot read with ESME_RX_P_APPN (sending
// it again would not help), after logging it with what it decoded and
// keeping it in rejected_events: a refused receipt must be visible, not
// only counted.
func (b *bind) refuse(ctx context.Context, a action, err error) (pdu.Status, string) {
	r := b.newRefusal(a, StatusPermAppError, err)
	b.log.WarnContext(ctx, "smpp receipt unreadable, answered ESME_RX_P_APPN", "command", r.Command, "err", err,
		"message_id", r.MessageID, "source_addr", r.SourceAddr, "pdu_len", r.PDULen, "pdu_hex", clip(r.PDUHex, 512))
	b.keep(ctx, r)
	return StatusPermAppError, resultUnreadable
}

// keep stores a refusal in rejected_events (source "smpp:<gateway>");
// failing that, the log line above is all that is left, and says so.
func (b *bind) keep(ctx context.Context, r refusal) {
	if b.st == nil {
		return
	}
	payload, err := json.Marshal(r)
	if err == nil {
		kctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), b.gw.ResponseTimeout)
		defer cancel()
		err = b.st.InsertRejected(kctx, b.provider, r.Error, payload)
	}
	if err != nil {
		b.log.WarnContext(ctx, "smpp refusal not kept in rejected_events", "seq", r.Seq, "err", err)
	}
}

// join fills the recipient of a receipt whose source_addr is empty from
// its message, found by the message id: the id is the join key, the number
// only a copy of the send's. It fails only when the store cannot answer.
func (b *bind) join(ctx context.Context, ev *channels.Event) error {
	if ev.Recipient != "" || ev.MessageID == "" || b.st == nil {
		return nil
	}
	jctx, cancel := context.WithTimeout(ctx, b.gw.ResponseTimeout)
	defer cancel()
	rcpt, err := b.st.MessageRecipient(jctx, ev.TenantName(), channels.SMS, ev.MessageID)
	if err != nil {
		return err
	}
	ev.Recipient = rcpt
	return nil
}

// errNoNumber is why a receipt that names no number, and whose message id
// is no known message yet, is answered ESME_RX_T_APPN.
var errNoNumber = errors.New("source_addr is empty and the message id is no known message")

// clip cuts s to at most n bytes.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
