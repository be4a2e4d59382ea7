package bench

import (
	"context"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/rebond/rebond/cmd/internal/progress"
	"github.com/rebond/rebond/sms/smpp/smpptest"
)

// workload is a run's events as generate produces them: batches to post,
// and the outcomes that travel another way (bounce mails over SMTP,
// receipts over SMPP). decided, the messages that get an outcome, is
// final once batches is closed.
type workload struct {
	batches  chan []map[string]any
	bounces  chan bounceJob
	receipts chan smpptest.Receipt
	decided  int64
}

// generate produces the events of c.Messages messages (mixer) in the
// background, t0 being the first one's time.
func generate(ctx context.Context, c Config, t0 time.Time) *workload {
	w := &workload{batches: make(chan []map[string]any), bounces: make(chan bounceJob, 1024), receipts: make(chan smpptest.Receipt, 1024)}
	go w.produce(ctx, c, t0)
	return w
}

func (w *workload) produce(ctx context.Context, c Config, t0 time.Time) {
	defer close(w.batches)
	defer close(w.bounces)
	defer close(w.receipts)
	m := newMixer(c, t0)
	var b []map[string]any
	for i := range c.Messages {
		evs, bounce := m.message(i)
		evs, ok := w.divert(ctx, c, evs, bounce)
		if !ok {
			return
		}
		b = append(b, evs...)
		if len(b) >= c.Batch {
			if !send(ctx, w.batches, b) {
				return
			}
			b = nil
		}
	}
	if len(b) > 0 {
		send(ctx, w.batches, b)
	}
}

// divert counts a message's outcome, if it has one, and hands the
// outcomes that travel over SMPP or SMTP to their channel (bounce: its
// hard failure is a bounce mail); it returns the events left to post, and
// false once ctx has ended.
func (w *workload) divert(ctx context.Context, c Config, evs []map[string]any, bounce bool) ([]map[string]any, bool) {
	if len(evs) > 1 {
		w.decided++
	}
	if c.SMPPListen != "" && len(evs) > 1 && evs[0]["channel"] == "sms" {
		if !send(ctx, w.receipts, receiptFrom(evs[1])) {
			return nil, false
		}
		evs = evs[:1]
	}
	if bounce {
		w.decided++
		job := bounceJob{messageID: evs[0]["message_id"].(string), recipient: evs[0]["recipient"].(string)}
		if !send(ctx, w.bounces, job) {
			return nil, false
		}
	}
	return evs, true
}

// send sends v on ch unless ctx ends first.
func send[T any](ctx context.Context, ch chan<- T, v T) bool {
	select {
	case ch <- v:
		return true
	case <-ctx.Done():
		return false
	}
}

// delivered counts the events each way delivered.
type delivered struct{ posted, mailed, smpped atomic.Int64 }

// deliver sends the workload: its batches posted by c.Concurrency
// clients, its bounce mails and receipts over SMTP and SMPP when asked,
// with a progress line on stderr. It returns once all are delivered, or
// with the first error.
func deliver(ctx context.Context, c Config, w *workload, stderr io.Writer) (*delivered, error) {
	n := &delivered{}
	posting := post(ctx, c, w.batches, &n.posted)
	mailErr := sideChannel(w.bounces, c.SMTPAddr != "", func() error {
		return sendBounces(ctx, c.SMTPAddr, c.SMTPDomain, c.Signature, w.bounces, 2, &n.mailed)
	})
	smppErr := sideChannel(w.receipts, c.SMPPListen != "", func() error {
		return smpptest.DeliverReceipts(ctx, c.SMPPListen, w.receipts, c.SMPPWait, &n.smpped)
	})
	stop := progress.Line(stderr, "posted", &n.posted, int64(c.Messages*2))
	defer stop()
	postErr := posting()
	if err := <-mailErr; err != nil {
		return nil, err
	}
	if err := <-smppErr; err != nil {
		return nil, err
	}
	return n, postErr
}

// post starts c.Concurrency clients posting the batches, at c.Rate events
// per second at most, counting in posted; the returned function waits
// for them and gives the first error.
func post(ctx context.Context, c Config, batches <-chan []map[string]any, posted *atomic.Int64) (wait func() error) {
	pace := rate.NewLimiter(rate.Inf, 0)
	if c.Rate > 0 {
		pace = rate.NewLimiter(rate.Limit(c.Rate), max(c.Batch, c.Rate/10))
	}
	var wg sync.WaitGroup
	errc := make(chan error, c.Concurrency)
	for range c.Concurrency {
		wg.Go(func() {
			for b := range batches {
				if err := pace.WaitN(ctx, min(len(b), pace.Burst())); err != nil && c.Rate > 0 {
					errc <- err
					return
				}
				if err := postEvents(ctx, c, b); err != nil {
					errc <- err
					return
				}
				posted.Add(int64(len(b)))
			}
		})
	}
	return func() error {
		wg.Wait()
		select {
		case err := <-errc:
			return err
		default:
			return nil
		}
	}
}

// sideChannel runs send, the delivery of the jobs that do not travel as
// posted events (bounce mails over SMTP, receipts over SMPP), when on;
// when off it only drains jobs. Its error arrives on the channel.
func sideChannel[J any](jobs <-chan J, on bool, send func() error) <-chan error {
	errc := make(chan error, 1)
	go func() {
		if !on {
			for range jobs { // nothing is produced; drain for symmetry
			}
			errc <- nil
			return
		}
		err := send()
		for range jobs { // after a failure, nothing else reads them: the producer must not block
		}
		errc <- err
	}()
	return errc
}
