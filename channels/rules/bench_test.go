package rules

import (
	"testing"

	"github.com/rebond/rebond/channels"
)

// benchEvents is a hot-path mix over the shipped rules: mostly sends and
// deliveries, then failures decided by a status, a text rule, a bare code,
// nothing at all (the worst case: every rule tried), and SMS receipts.
func benchEvents() []channels.Event {
	return []channels.Event{
		mail(channels.Sent, 0, "", ""),
		mail(channels.Delivered, 250, "2.0.0", "ok"),
		mail(channels.Sent, 0, "", ""),
		mail(channels.Delivered, 250, "2.0.0", "ok"),
		mail(channels.Failed, 550, "5.1.1", "550 5.1.1 <ann@example.com>: Recipient address rejected: User unknown in local recipient table"),
		mail(channels.Deferred, 452, "4.2.2", "452 4.2.2 Mailbox full"),
		mail(channels.Failed, 554, "5.7.1", "554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org"),
		mail(channels.Failed, 550, "", "550 Requested action not taken: mailbox unavailable"),
		mail(channels.Failed, 0, "", ""),
		receipt(channels.Sent, "", "", "", "", -1),
		receipt(channels.Delivered, "DELIVRD", "000", "", "", 2),
		receipt(channels.Failed, "UNDELIV", "001", "map", "030001", 5),
	}
}

// BenchmarkClassify measures one Classify call over the shipped rules,
// averaged over benchEvents.
func BenchmarkClassify(b *testing.B) {
	set := loadShipped(b)
	events := benchEvents()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		set.Classify(events[i%len(events)])
		i++
	}
}

// BenchmarkClassifyWorst measures an email failure no rule recognizes: every
// rule is tried, including all text expressions, on a long diagnostic.
func BenchmarkClassifyWorst(b *testing.B) {
	set := loadShipped(b)
	text := "550 Requested action not taken: the remote server refused this message for reasons it chose not to explain in any detail, " +
		"please contact the postmaster of the receiving domain with the full transcript of this session and the queue identifier ABCDEF0123"
	e := mail(channels.Failed, 557, "", text)
	b.ReportAllocs()
	for b.Loop() {
		set.Classify(e)
	}
}

// BenchmarkClassifyParallel measures throughput with every core classifying,
// as the worker pool does.
func BenchmarkClassifyParallel(b *testing.B) {
	set := loadShipped(b)
	events := benchEvents()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			set.Classify(events[i%len(events)])
			i++
		}
	})
}
