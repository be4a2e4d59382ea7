package smpp

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/fiorix/go-smpp/smpp/pdu"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/natsbus"
)

// nopPublisher accepts every event at once.
type nopPublisher struct{}

func (nopPublisher) Publish(context.Context, []channels.Event) error { return nil }

// BenchmarkBindThroughput pushes receipts through one bind (window 10)
// into a publisher that costs nothing, as fast as the fake SMSC can write
// them: the ceiling of one bind, decoding, event building and answering
// included. Reports receipts/s.
func BenchmarkBindThroughput(b *testing.B) { benchBind(b, nopPublisher{}) }

// BenchmarkBindIntoJetStream is BenchmarkBindThroughput with the real
// publisher: every receipt (each a distinct message) is answered only
// after an embedded JetStream stored it, as in production.
//
//	go test ./sms/smpp -run '^$' -bench BindIntoJetStream -benchtime 20000x
func BenchmarkBindIntoJetStream(b *testing.B) {
	emb, err := natsbus.StartEmbedded(natsbus.EmbeddedConfig{Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(emb.Shutdown)
	bus, err := natsbus.Connect(context.Background(), natsbus.Config{URL: emb.URL(), Name: "smpp-bench"})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(bus.Close)
	benchBind(b, bus)
}

func benchBind(b *testing.B, pub channels.Publisher) {
	smsc := newFakeSMSC(b)
	startESME(b, pub, testGateway(smsc.addr()))
	c := smsc.next(b)
	pdus := make([][]byte, 256) // distinct receipts, so none is de-duplicated away
	for i := range pdus {
		pdus[i] = receipt("447700900001", strings.Replace(textDelivered, "id:m-100", fmt.Sprintf("id:m-%d", 1000+i), 1))
	}
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	go func() {
		w := bufio.NewWriter(c.nc)
		for i := range b.N {
			p := append([]byte(nil), pdus[i%len(pdus)]...)
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
