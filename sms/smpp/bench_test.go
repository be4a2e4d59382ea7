package smpp

import (
	"bufio"
	"context"
	"encoding/binary"
	"testing"
	"time"

	"github.com/fiorix/go-smpp/smpp/pdu"

	"github.com/rebond/rebond/channels"
)

// nopPublisher accepts every event at once.
type nopPublisher struct{}

func (nopPublisher) Publish(context.Context, []channels.Event) error { return nil }

// BenchmarkBindThroughput pushes receipts through one bind (window 10)
// into a publisher that costs nothing, as fast as the fake SMSC can write
// them: the ceiling of one bind, decoding, event building and answering
// included. Reports receipts/s.
func BenchmarkBindThroughput(b *testing.B) {
	smsc := newFakeSMSC(b)
	startESME(b, nopPublisher{}, testGateway(smsc.addr()))
	c := smsc.next(b)
	tmpl := receipt("447700900001", textDelivered)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	go func() {
		w := bufio.NewWriter(c.nc)
		p := append([]byte(nil), tmpl...)
		for i := range b.N {
			binary.BigEndian.PutUint32(p[12:16], uint32(i+1))
			_, _ = w.Write(p)
			if i%64 == 63 {
				_ = w.Flush()
			}
		}
		_ = w.Flush()
	}()
	deadline := time.After(time.Minute)
	for n := 0; n < b.N; n++ {
		select {
		case p := <-c.in:
			if p.hdr.ID != pdu.DeliverSMRespID || p.hdr.Status != 0 {
				b.Fatalf("got %s status %#x", p.hdr.ID, uint32(p.hdr.Status))
			}
		case <-deadline:
			b.Fatalf("%d of %d answers after a minute", n, b.N)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "receipts/s")
}
