package smpp

import (
	"context"
	"encoding/hex"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fiorix/go-smpp/smpp/pdu"
	"github.com/fiorix/go-smpp/smpp/pdu/pdutlv"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/sms"
)

func intp(n int) *int { return &n }

const (
	textDelivered = "id:m-100 sub:001 dlvrd:001 submit date:2611221000 done date:2611221001 stat:DELIVRD err:000 text:hello"
	textFailed    = "id:m-101 sub:001 dlvrd:000 submit date:2611221000 done date:2611221002 stat:UNDELIV err:001 text:hello"
)

// TestReceipts sends receipts of every shape over one bind and checks the
// answer and the event published for each.
func TestReceipts(t *testing.T) {
	t.Parallel()
	smsc, rec := newFakeSMSC(t), newRecorder()
	run := startESME(t, rec, testGateway(smsc.addr()))
	c := smsc.next(t)

	done := time.Date(2026, 11, 22, 10, 1, 0, 0, time.UTC)
	tests := []struct {
		name string
		send func() (pdu.ID, uint32)
		want channels.Event
	}{{
		name: "text delivered",
		send: func() (pdu.ID, uint32) {
			return pdu.DeliverSMRespID, c.sendRaw(receipt("+44 7700 900001", textDelivered))
		},
		want: channels.Event{
			ID: "smpp:gw:m-100:delivrd", Type: channels.Delivered, MessageID: "m-100",
			Recipient: "447700900001", OccurredAt: done,
			SMS: &channels.SMSReceipt{Stat: "DELIVRD", Err: "000", Dialect: "map"},
		},
	}, {
		name: "text failed",
		send: func() (pdu.ID, uint32) {
			return pdu.DeliverSMRespID, c.sendRaw(receipt("447700900002", textFailed))
		},
		want: channels.Event{
			ID: "smpp:gw:m-101:undeliv", Type: channels.Failed, MessageID: "m-101",
			Recipient: "447700900002", OccurredAt: done.Add(time.Minute),
			SMS: &channels.SMSReceipt{Stat: "UNDELIV", Err: "001", Dialect: "map"},
		},
	}, {
		name: "TLVs only, delivered",
		send: func() (pdu.ID, uint32) {
			return pdu.DeliverSMRespID, c.sendRaw(receipt("447700900003", "",
				tlv(pdutlv.TagReceiptedMessageID, []byte("m-102\x00")),
				tlv(pdutlv.TagMessageStateOption, []byte{2}),
			))
		},
		want: channels.Event{
			ID: "smpp:gw:m-102:/2", Type: channels.Delivered, MessageID: "m-102", Recipient: "447700900003",
			SMS: &channels.SMSReceipt{Dialect: "map", MessageState: intp(2)},
		},
	}, {
		name: "TLVs win over the text",
		send: func() (pdu.ID, uint32) {
			return pdu.DeliverSMRespID, c.sendRaw(receipt("447700900004", textDelivered,
				tlv(pdutlv.TagReceiptedMessageID, []byte("m-103\x00")),
				tlv(pdutlv.TagMessageStateOption, []byte{5}), // UNDELIVERABLE
				tlv(pdutlv.TagNetworkErrorCode, []byte{0x03, 0x00, 0x0b}),
			))
		},
		want: channels.Event{
			ID: "smpp:gw:m-103:delivrd/5", Type: channels.Failed, MessageID: "m-103",
			Recipient: "447700900004", OccurredAt: done,
			SMS: &channels.SMSReceipt{Stat: "DELIVRD", Err: "000", Dialect: "map", MessageState: intp(5), NetworkError: "03000b"},
		},
	}, {
		name: "text in message_payload",
		send: func() (pdu.ID, uint32) {
			return pdu.DeliverSMRespID, c.sendRaw(receipt("447700900005", "",
				tlv(pdutlv.TagMessagePayload, []byte("id:m-105 submit date:2611221000 done date:2611221001 stat:EXPIRED err:027")),
			))
		},
		want: channels.Event{
			ID: "smpp:gw:m-105:expired", Type: channels.Failed, MessageID: "m-105",
			Recipient: "447700900005", OccurredAt: done,
			SMS: &channels.SMSReceipt{Stat: "EXPIRED", Err: "027", Dialect: "map"},
		},
	}, {
		name: "data_sm with TLVs",
		send: func() (pdu.ID, uint32) {
			return pdu.DataSMRespID, c.sendRaw(dataSM(0x04, "447700900006",
				tlv(pdutlv.TagReceiptedMessageID, []byte("m-104\x00")),
				tlv(pdutlv.TagMessageStateOption, []byte{8}), // REJECTED
				tlv(pdutlv.TagNetworkErrorCode, []byte("027")),
			))
		},
		want: channels.Event{
			ID: "smpp:gw:m-104:/8", Type: channels.Failed, MessageID: "m-104", Recipient: "447700900006",
			SMS: &channels.SMSReceipt{Dialect: "map", MessageState: intp(8), NetworkError: "03001b"},
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now().UTC()
			id, seq := tt.send()
			if st := c.expect(t, id, seq).Status; st != statusOK {
				t.Fatalf("answered %s, want ESME_ROK", statusText(st))
			}
			got := rec.event(t, tt.want.ID)
			want := tt.want
			want.Channel, want.Provider, want.Schema = channels.SMS, "smpp:gw", channels.SchemaVersion
			if want.OccurredAt.IsZero() {
				// No done date: stamped with the time it was read.
				if got.OccurredAt.Before(start.Add(-time.Second)) || got.OccurredAt.After(time.Now().Add(time.Second)) {
					t.Errorf("OccurredAt %s, want about %s", got.OccurredAt, start)
				}
				want.OccurredAt = got.OccurredAt
			}
			if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(channels.Event{}, "Raw")); diff != "" {
				t.Errorf("event (-want +got):\n%s", diff)
			}
			raw, err := hex.DecodeString(got.Raw)
			if err != nil || len(raw) < pdu.HeaderLen || pdu.ID(uint32(raw[7])|uint32(raw[6])<<8) != id&^respBit {
				t.Errorf("Raw %q is not the PDU as hex (%v)", got.Raw, err)
			}
		})
	}
	if got := value(t, run.esme.binds[0].m.m.receipts.WithLabelValues("gw", "0", resultPublished)); got != float64(len(tests)) {
		t.Errorf("receipts published metric %v, want %d", got, len(tests))
	}
	if got := value(t, run.esme.binds[0].m.up); got != 1 {
		t.Errorf("binds up %v, want 1", got)
	}
}

// TestRawReplays checks that the Raw of an event read from a deliver_sm
// is the smpp-pdu-hex payload sms.ParseReceipt reads back to the same
// facts.
func TestRawReplays(t *testing.T) {
	t.Parallel()
	smsc, rec := newFakeSMSC(t), newRecorder()
	startESME(t, rec, testGateway(smsc.addr()))
	c := smsc.next(t)
	if st := c.deliver(t, receipt("447700900001", textFailed)); st != statusOK {
		t.Fatalf("answered %s", statusText(st))
	}
	got := rec.event(t, "smpp:gw:m-101:undeliv")
	replay, err := sms.ParseReceipt(sms.FormatPDU, []byte(got.Raw), "map")
	if err != nil {
		t.Fatal(err)
	}
	if replay.MessageID != got.MessageID || replay.Type != got.Type || !cmp.Equal(replay.SMS, got.SMS) {
		t.Errorf("replay %+v, published %+v", replay, got)
	}
}

// TestReceiptWithoutNumber: a receipt whose source_addr is empty names
// its message by id, and is published without a recipient: the apply
// joins it to its message's delivery when the message has one recipient
// (store.Apply), so it is not refused.
func TestReceiptWithoutNumber(t *testing.T) {
	t.Parallel()
	smsc, rec := newFakeSMSC(t), newRecorder()
	startESME(t, rec, testGateway(smsc.addr()))
	c := smsc.next(t)
	if st := c.deliver(t, receipt("", textDelivered)); st != statusOK {
		t.Fatalf("answered %s", statusText(st))
	}
	got := rec.event(t, "smpp:gw:m-100:delivrd")
	if got.Recipient != "" || got.MessageID != "m-100" {
		t.Errorf("published %+v", got)
	}
}

// TestAnswers covers what is not a publishable receipt: each is answered
// on the bind, which stays up for the next receipt.
func TestAnswers(t *testing.T) {
	t.Parallel()
	smsc, rec := newFakeSMSC(t), newRecorder()
	run := startESME(t, rec, testGateway(smsc.addr()))
	c := smsc.next(t)
	tests := []struct {
		name   string
		pdu    []byte
		want   pdu.Status
		result string
	}{
		// Mobile-originated messages are published (TestMO); one from no
		// number cannot be.
		{"mobile originated from no number", deliverSM(0x00, "ACME", "hello there"), StatusPermAppError, resultUnreadable},
		{"receipt text unreadable", receipt("447700900001", "hello there"), StatusPermAppError, resultUnreadable},
		{"message_state of two octets", receipt("447700900001", textDelivered,
			tlv(pdutlv.TagMessageStateOption, []byte{0, 2})), StatusPermAppError, resultUnreadable},
		{"network_error_code of two octets", receipt("447700900001", textDelivered,
			tlv(pdutlv.TagNetworkErrorCode, []byte{3, 1})), StatusPermAppError, resultUnreadable},
		{"recipient not a number", receipt("ACME", textDelivered), StatusPermAppError, resultUnreadable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := run.esme.binds[0].m.m.receipts.WithLabelValues("gw", "0", tt.result)
			before := value(t, m)
			if got := c.deliver(t, tt.pdu); got != tt.want {
				t.Errorf("answered %s, want %s", statusText(got), statusText(tt.want))
			}
			if got := value(t, m) - before; got != 1 {
				t.Errorf("receipts{result=%q} grew by %v, want 1", tt.result, got)
			}
		})
	}
	if ids, _ := rec.ids(); len(ids) != 0 {
		t.Errorf("published %v, want nothing", ids)
	}
	if st := c.deliver(t, receipt("447700900001", textDelivered)); st != statusOK {
		t.Errorf("receipt after the refusals answered %s", statusText(st))
	}
	if n := smsc.binds.Load(); n != 1 {
		t.Errorf("%d binds, want 1: the bind must survive", n)
	}
}

// TestPublishFailure: while the publisher fails the receipt is answered
// ESME_RX_T_APPN; the SMSC's re-delivery then publishes it, once.
func TestPublishFailure(t *testing.T) {
	t.Parallel()
	smsc, rec := newFakeSMSC(t), newRecorder()
	run := startESME(t, rec, testGateway(smsc.addr()))
	c := smsc.next(t)
	rec.fail.Store(2)
	for i := range 2 {
		if st := c.deliver(t, receipt("447700900001", textDelivered)); st != StatusTempAppError {
			t.Fatalf("delivery %d answered %s, want ESME_RX_T_APPN", i+1, statusText(st))
		}
	}
	if ids, _ := rec.ids(); len(ids) != 0 {
		t.Fatalf("published %v while the bus was down", ids)
	}
	// The SMSC re-delivers until ESME_ROK; a lost deliver_sm_resp makes it
	// deliver once more.
	for i := range 2 {
		if st := c.deliver(t, receipt("447700900001", textDelivered)); st != statusOK {
			t.Fatalf("re-delivery %d answered %s, want ESME_ROK", i+1, statusText(st))
		}
	}
	ids, calls := rec.ids()
	if want := []string{"smpp:gw:m-100:delivrd"}; !cmp.Equal(ids, want) {
		t.Errorf("published ids %v, want %v (one event for every delivery of the receipt)", ids, want)
	}
	if calls["smpp:gw:m-100:delivrd"] != 2 {
		t.Errorf("publish calls %v, want 2 of the one id", calls)
	}
	if got := value(t, run.esme.binds[0].m.m.receipts.WithLabelValues("gw", "0", resultFailed)); got != 2 {
		t.Errorf("receipts failed metric %v, want 2", got)
	}
}

// TestWindow: up to WindowSize receipts are published at once, never more,
// and each answer carries its request's sequence number.
func TestWindow(t *testing.T) {
	t.Parallel()
	smsc := newFakeSMSC(t)
	gw := testGateway(smsc.addr())
	gw.WindowSize = 4
	pub := &barrierPublisher{want: 4, open: make(chan struct{})}
	startESME(t, pub, gw)
	c := smsc.next(t)
	var seqs []uint32
	for i := range 8 {
		text := "id:w-" + string(rune('a'+i)) + " stat:DELIVRD err:000"
		seqs = append(seqs, c.sendRaw(receipt("447700900001", text)))
	}
	// The first four only finish once all four are publishing at once.
	for _, seq := range seqs {
		if st := c.expect(t, pdu.DeliverSMRespID, seq).Status; st != statusOK {
			t.Errorf("seq %d answered %s", seq, statusText(st))
		}
	}
	if got := pub.max.Load(); got != 4 {
		t.Errorf("at most %d receipts published at once, want 4 (the window)", got)
	}
}

// barrierPublisher holds publishes until want of them run at once, and
// records the largest number running together.
type barrierPublisher struct {
	want      int32
	mu        sync.Mutex
	cur       int32
	max       atomic.Int32
	open      chan struct{}
	openedOne sync.Once
}

func (p *barrierPublisher) Publish(ctx context.Context, _ []channels.Event) error {
	p.mu.Lock()
	p.cur++
	if p.cur > p.max.Load() {
		p.max.Store(p.cur)
	}
	if p.cur == p.want {
		p.openedOne.Do(func() { close(p.open) })
	}
	p.mu.Unlock()
	defer func() { p.mu.Lock(); p.cur--; p.mu.Unlock() }()
	select {
	case <-p.open:
		return nil
	case <-ctx.Done():
		return errors.New("the window never filled")
	}
}

// value reads a counter or gauge.
func value(t testing.TB, m prometheus.Metric) float64 {
	t.Helper()
	var d dto.Metric
	if err := m.Write(&d); err != nil {
		t.Fatal(err)
	}
	if d.Counter != nil {
		return d.Counter.GetValue()
	}
	return d.GetGauge().GetValue()
}

// TestReceiptNumberInTheGatewaysRegion: a gateway with a region reads its
// SMSC's national source_addr in it, and international forms as before;
// without one, a national number is refused (never a second identity).
func TestReceiptNumberInTheGatewaysRegion(t *testing.T) {
	t.Parallel()
	smsc, rec := newFakeSMSC(t), newRecorder()
	gb := testGateway(smsc.addr())
	gb.Region = "GB"
	startESME(t, rec, gb)
	c := smsc.next(t)
	for _, r := range []struct{ number, text, id string }{
		{"07700 900001", textDelivered, "smpp:gw:m-100:delivrd"},
		{"00447700900001", textFailed, "smpp:gw:m-101:undeliv"},
	} {
		if st := c.deliver(t, receipt(r.number, r.text)); st != statusOK {
			t.Fatalf("%s: answered %s", r.number, statusText(st))
		}
		if got := rec.event(t, r.id); got.Recipient != "447700900001" {
			t.Errorf("%s: recipient %q, want 447700900001", r.number, got.Recipient)
		}
	}

	plain, rec2 := newFakeSMSC(t), newRecorder()
	startESME(t, rec2, testGateway(plain.addr()))
	if st := plain.next(t).deliver(t, receipt("07700 900001", textDelivered)); st != StatusPermAppError {
		t.Errorf("national number without a region: answered %s, want ESME_RX_P_APPN", statusText(st))
	}
}
