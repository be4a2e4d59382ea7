package smpp

import (
	"context"
	"encoding/hex"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fiorix/go-smpp/smpp/pdu"
	"github.com/fiorix/go-smpp/smpp/pdu/pdufield"
	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/rebond/rebond/channels"
)

// TestMalformedPDUs: what cannot be decoded is refused with a generic_nack
// carrying the PDU's sequence number and the status naming the fault, and
// the bind stays up.
func TestMalformedPDUs(t *testing.T) {
	t.Parallel()
	smsc, rec := newFakeSMSC(t), newRecorder()
	startESME(t, rec, testGateway(smsc.addr()))
	c := smsc.next(t)
	valid := receipt("447700900001", textDelivered)
	tests := []struct {
		name string
		pdu  []byte
		want pdu.Status
	}{
		{"unknown command_id", headerOnly(0x00000999), statusInvCmdID},
		{"submit_sm to an ESME", encoded(pdu.NewSubmitSM(nil)), statusInvCmdID},
		{"deliver_sm cut after source_addr", withLen(valid[:pdu.HeaderLen+16]), statusInvCmdLen},
		{"deliver_sm without body", withLen(valid[:pdu.HeaderLen]), statusInvCmdLen},
		{"sm_length past the end", withLen(valid[:len(valid)-10]), statusInvCmdLen},
		{"TLV longer than the body", withLen(append(append([]byte{}, valid...), 0x04, 0x27, 0x00, 0x09, 0x02)), statusInvOptParStrm},
		{"stray octets after the TLVs", withLen(append(append([]byte{}, valid...), 0x04)), statusInvOptParStrm},
		{"data_sm cut in its fields", withLen(dataSM(0x04, "447700900001")[:pdu.HeaderLen+8]), statusInvCmdLen},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			seq := c.sendRaw(tt.pdu)
			if got := c.expect(t, pdu.GenericNACKID, seq).Status; got != tt.want {
				t.Errorf("generic_nack status %s, want %s", statusText(got), statusText(tt.want))
			}
		})
	}
	if st := c.deliver(t, receipt("447700900001", textDelivered)); st != statusOK {
		t.Errorf("receipt after the malformed PDUs answered %s", statusText(st))
	}
	if n := smsc.binds.Load(); n != 1 {
		t.Errorf("%d binds, want 1: the bind must survive", n)
	}
	if ids, _ := rec.ids(); len(ids) != 1 {
		t.Errorf("published %v, want only the valid receipt", ids)
	}
}

// headerOnly is a request of 16 octets with the given command_id.
func headerOnly(id pdu.ID) []byte {
	return headerBytes(&pdu.Header{Len: pdu.HeaderLen, ID: id})
}

// withLen copies a PDU and sets its command_length to its length.
func withLen(p []byte) []byte {
	p = append([]byte(nil), p...)
	n := uint32(len(p))
	p[0], p[1], p[2], p[3] = byte(n>>24), byte(n>>16), byte(n>>8), byte(n)
	return p
}

// TestAbsurdLength: a command_length rebond cannot frame is nacked, the
// connection closed, and the ESME binds again and goes on.
func TestAbsurdLength(t *testing.T) {
	t.Parallel()
	for _, n := range []uint32{0xffffffff, MaxPDULen + 1, 4} {
		smsc, rec := newFakeSMSC(t), newRecorder()
		startESME(t, rec, testGateway(smsc.addr()))
		c := smsc.next(t)
		h := headerBytes(&pdu.Header{Len: n, ID: pdu.DeliverSMID})
		seq := c.sendRaw(h)
		if got := c.expect(t, pdu.GenericNACKID, seq).Status; got != statusInvCmdLen {
			t.Errorf("length %d: generic_nack %s, want ESME_RINVCMDLEN", n, statusText(got))
		}
		c.waitClosed(t)
		c2 := smsc.next(t)
		if st := c2.deliver(t, receipt("447700900001", textDelivered)); st != statusOK {
			t.Errorf("length %d: receipt after rebind answered %s", n, statusText(st))
		}
	}
}

// TestEnquireLink: the ESME answers the SMSC's enquire_link and sends its
// own, measuring their round trip.
func TestEnquireLink(t *testing.T) {
	t.Parallel()
	smsc := newFakeSMSC(t)
	gw := testGateway(smsc.addr())
	gw.EnquireLink = 20 * time.Millisecond
	run := startESME(t, newRecorder(), gw)
	c := smsc.next(t)
	seq := c.send(pdu.NewEnquireLink())
	if st := c.expect(t, pdu.EnquireLinkRespID, seq).Status; st != statusOK {
		t.Errorf("enquire_link_resp status %s", statusText(st))
	}
	// The fake SMSC counts an enquire_link when it reads it, before its
	// answer reaches the ESME, which records the round trip only then:
	// wait for both.
	roundTrips := func() uint64 {
		var h dto.Metric
		if err := run.esme.binds[0].m.rtt.(prometheus.Histogram).Write(&h); err != nil {
			t.Fatal(err)
		}
		return h.GetHistogram().GetSampleCount()
	}
	deadline := time.Now().Add(waitFor)
	for (c.enquires.Load() < 3 || roundTrips() < 3) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := c.enquires.Load(); n < 3 {
		t.Fatalf("%d enquire_link from the ESME, want at least 3", n)
	}
	if n := roundTrips(); n < 3 {
		t.Errorf("enquire_link round trips observed %d, want at least 3", n)
	}
	if n := smsc.binds.Load(); n != 1 {
		t.Errorf("%d binds, want 1", n)
	}
}

// TestEnquireLinkUnanswered: an SMSC that stops answering enquire_link is
// dropped and bound again.
func TestEnquireLinkUnanswered(t *testing.T) {
	t.Parallel()
	smsc := newFakeSMSC(t)
	smsc.silent.Store(true)
	gw := testGateway(smsc.addr())
	gw.EnquireLink, gw.ResponseTimeout = 20*time.Millisecond, 100*time.Millisecond
	run := startESME(t, newRecorder(), gw)
	c := smsc.next(t)
	c.waitClosed(t)
	smsc.silent.Store(false)
	smsc.next(t)
	if got := value(t, run.esme.binds[0].m.reconnects); got < 1 {
		t.Errorf("reconnects %v, want at least 1", got)
	}
}

// TestBindRefused: a refused bind is retried with backoff until it holds.
func TestBindRefused(t *testing.T) {
	t.Parallel()
	smsc, rec := newFakeSMSC(t), newRecorder()
	smsc.refuse.Store(2)
	run := startESME(t, rec, testGateway(smsc.addr()))
	c := smsc.next(t)
	if st := c.deliver(t, receipt("447700900001", textDelivered)); st != statusOK {
		t.Errorf("receipt answered %s", statusText(st))
	}
	if n := smsc.binds.Load(); n != 3 {
		t.Errorf("%d binds, want 3 (two refused)", n)
	}
	if got := value(t, run.esme.binds[0].m.reconnects); got != 2 {
		t.Errorf("reconnects %v, want 2", got)
	}
}

// TestBindModes checks the bind PDU: its command_id and credentials.
func TestBindModes(t *testing.T) {
	t.Parallel()
	for _, mode := range []BindMode{Receiver, Transceiver} {
		smsc := newFakeSMSC(t)
		gw := testGateway(smsc.addr())
		gw.BindMode = mode
		startESME(t, newRecorder(), gw)
		c := smsc.next(t)
		want := map[BindMode]pdu.ID{Receiver: pdu.BindReceiverID, Transceiver: pdu.BindTransceiverID}[mode]
		if got := c.bind.Header().ID; got != want {
			t.Errorf("%s: bind command %s, want %s", mode, got, want)
		}
		f := c.bind.Fields()
		got := map[string]string{
			"system_id": f[pdufield.SystemID].String(), "password": f[pdufield.Password].String(),
			"system_type": f[pdufield.SystemType].String(), "interface_version": hex.EncodeToString(f[pdufield.InterfaceVersion].Bytes()),
		}
		wantF := map[string]string{"system_id": "rebond", "password": "secret", "system_type": "dlr", "interface_version": "34"}
		if diff := cmp.Diff(wantF, got); diff != "" {
			t.Errorf("%s: bind fields (-want +got):\n%s", mode, diff)
		}
	}
}

// TestSeveralBinds: Binds connections per gateway, each counted up.
func TestSeveralBinds(t *testing.T) {
	t.Parallel()
	smsc, rec := newFakeSMSC(t), newRecorder()
	gw := testGateway(smsc.addr())
	gw.Binds = 3
	run := startESME(t, rec, gw)
	for i := range 3 {
		c := smsc.next(t)
		text := "id:m-" + string(rune('a'+i)) + " stat:DELIVRD err:000"
		if st := c.deliver(t, receipt("447700900001", text)); st != statusOK {
			t.Errorf("bind %d: receipt answered %s", i, statusText(st))
		}
	}
	if ids, _ := rec.ids(); len(ids) != 3 {
		t.Errorf("published %v, want 3", ids)
	}
	var up float64
	for _, b := range run.esme.binds {
		up += value(t, b.m.up)
	}
	if up != 3 {
		t.Errorf("binds up %v, want 3", up)
	}
}

// TestConnectionCut: a connection cut in the middle of a PDU is dialled
// again, and the SMSC's re-delivery of the cut receipt is published once.
func TestConnectionCut(t *testing.T) {
	t.Parallel()
	smsc, rec := newFakeSMSC(t), newRecorder()
	startESME(t, rec, testGateway(smsc.addr()))
	c := smsc.next(t)
	if st := c.deliver(t, receipt("447700900001", textDelivered)); st != statusOK {
		t.Fatalf("first receipt answered %s", statusText(st))
	}
	cut := receipt("447700900002", textFailed)
	c.sendRaw(cut[:len(cut)/2])
	c.cut()
	c2 := smsc.next(t)
	for _, r := range [][]byte{receipt("447700900002", textFailed), receipt("447700900003", "id:m-102 stat:DELIVRD err:000")} {
		if st := c2.deliver(t, r); st != statusOK {
			t.Errorf("receipt after the cut answered %s", statusText(st))
		}
	}
	ids, calls := rec.ids()
	want := []string{"smpp:gw:m-100:delivrd", "smpp:gw:m-101:undeliv", "smpp:gw:m-102:delivrd"}
	if !cmp.Equal(ids, want) {
		t.Errorf("published %v, want %v", ids, want)
	}
	for id, n := range calls {
		if n != 1 {
			t.Errorf("%s published %d times, want once", id, n)
		}
	}
}

// TestSMSCUnbind: the SMSC's unbind is answered, then the ESME binds again.
func TestSMSCUnbind(t *testing.T) {
	t.Parallel()
	smsc := newFakeSMSC(t)
	startESME(t, newRecorder(), testGateway(smsc.addr()))
	c := smsc.next(t)
	seq := c.send(pdu.NewUnbind())
	if st := c.expect(t, pdu.UnbindRespID, seq).Status; st != statusOK {
		t.Errorf("unbind_resp status %s", statusText(st))
	}
	c.waitClosed(t)
	smsc.next(t)
}

// TestShutdownUnbinds: when Run's context ends, a receipt being published
// is still answered, then the ESME unbinds and closes before Run returns.
func TestShutdownUnbinds(t *testing.T) {
	t.Parallel()
	smsc := newFakeSMSC(t)
	pub := &slowPublisher{started: make(chan struct{}, 1), release: make(chan struct{})}
	run := startESME(t, pub, testGateway(smsc.addr()))
	c := smsc.next(t)
	seq := c.sendRaw(receipt("447700900001", textDelivered))
	<-pub.started
	stopped := make(chan struct{})
	go func() { run.stop(t); close(stopped) }()
	// The unbind leaves while the receipt is still being published.
	deadline := time.Now().Add(waitFor)
	for c.unbinds.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if c.unbinds.Load() != 1 {
		t.Fatal("no unbind after the cancel")
	}
	close(pub.release)
	if st := c.expect(t, pdu.DeliverSMRespID, seq).Status; st != statusOK {
		t.Errorf("receipt in flight at shutdown answered %s, want ESME_ROK", statusText(st))
	}
	c.waitClosed(t)
	<-stopped
	if pub.n.Load() != 1 {
		t.Errorf("published %d, want 1", pub.n.Load())
	}
}

// slowPublisher blocks every publish until release is closed; its context
// must not be the cancelled one.
type slowPublisher struct {
	started chan struct{}
	release chan struct{}
	n       atomic.Int32
}

func (p *slowPublisher) Publish(ctx context.Context, _ []channels.Event) error {
	select {
	case p.started <- struct{}{}:
	default:
	}
	select {
	case <-p.release:
		p.n.Add(1)
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
