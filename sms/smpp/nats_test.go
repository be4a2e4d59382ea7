package smpp

import (
	"context"
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/natsbus"
)

// TestNATSPublish runs the ESME against real JetStream (an embedded
// nats-server on a random port, as the rest of rebond's tests do, so the
// stream holds this test's events only): receipts answered ESME_ROK are in
// the stream, and a receipt the SMSC delivers twice is stored once.
func TestNATSPublish(t *testing.T) {
	t.Parallel()
	emb, err := natsbus.StartEmbedded(natsbus.EmbeddedConfig{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(emb.Shutdown)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	bus, err := natsbus.Connect(ctx, natsbus.Config{URL: emb.URL(), Name: "smpp-test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(bus.Close)

	smsc := newFakeSMSC(t)
	run := startESME(t, bus, testGateway(smsc.addr()))
	c := smsc.next(t)
	for _, p := range [][]byte{
		receipt("447700900001", textDelivered),
		receipt("447700900002", textFailed),
		receipt("447700900001", textDelivered), // re-delivered
	} {
		if st := c.deliver(t, p); st != statusOK {
			t.Fatalf("answered %s, want ESME_ROK", statusText(st))
		}
	}
	run.stop(t) // the bus is closed by cleanup after the ESME stopped

	cons, err := bus.Consumer(ctx, "smpp-test")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for len(got) < 3 {
		ds, err := cons.Fetch(ctx, 10, 500*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		if len(ds) == 0 {
			break
		}
		for _, d := range ds {
			ev, err := channels.DecodeEvent(d.Data)
			if err != nil {
				t.Fatalf("stored event %s: %v", d.MsgID, err)
			}
			if ev.ID != d.MsgID || ev.Provider != "smpp:gw" || d.Subject != "rebond.events.sms" {
				t.Errorf("stored %s on %s: id %s provider %s", d.MsgID, d.Subject, ev.ID, ev.Provider)
			}
			got = append(got, d.MsgID)
			_ = d.Ack()
		}
	}
	sort.Strings(got)
	if want := []string{"smpp:gw:m-100:delivrd", "smpp:gw:m-101:undeliv"}; !cmp.Equal(got, want) {
		t.Errorf("stream holds %v, want %v", got, want)
	}
}
