package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/time/rate"
)

type benchFlags struct {
	url, token, campaign string
	messages, batch      int
	concurrency          int
	timeout              time.Duration
	smsPercent           int
	smtpAddr, smtpDomain string
	// smppListen: deliver the SMS receipts over SMPP binds rebond makes to
	// this address (bench_smpp.go) instead of posting them.
	smppListen string
	smppWait   time.Duration
	// rate caps the events posted per second (0: as fast as the server
	// takes them), to measure latency at a sustained load rather than
	// the queueing of a burst.
	rate int
}

func newBenchCmd(g *globals) *cobra.Command {
	var f benchFlags
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Drive a running rebond with a realistic email mix and report events/s end to end",
		Long: `bench posts a mix of events to a running rebond's /v1/events — for every
email a "sent", then 80% "delivered", 10% soft failures (4.2.2), 5% hard
failures (5.1.1), 5% nothing; for every SMS (--sms-percent of the messages) a
"sent" and an SMPP-style receipt (85% DELIVRD, 8% absent subscriber, 4%
unknown subscriber, 3% none) — from several concurrent clients, and waits
until /v1/rates shows every message's outcome. With --smpp-listen the SMS
receipts travel as rebond receives them from an SMSC: bench is the SMSC,
rebond binds to it (smpp.gateways), and each receipt is a deliver_sm that
rebond acknowledges once it is on JetStream. It reports the ingestion rate
(events accepted per second), the end-to-end rate (events applied per
second, from the first post to the last verdict) and the p50/p95/p99 latency
from an event's arrival in the inbox to its committed verdict (from the
rebond_event_latency_seconds histogram of /metrics, before and after). Each run uses a fresh
campaign name, so runs do not disturb each other or real data.`,
		Example: `  rebond bench --url http://127.0.0.1:8080 --token $(cat data/admin-token) --messages 100000`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.token == "" {
				f.token = os.Getenv("REBOND_ADMIN_TOKEN")
			}
			if f.token == "" {
				return errors.New("--token: required (or REBOND_ADMIN_TOKEN)")
			}
			if (f.smtpAddr == "") != (f.smtpDomain == "") {
				return errors.New("--smtp and --smtp-domain go together")
			}
			if f.smsPercent < 0 || f.smsPercent > 100 {
				return errors.New("--sms-percent: 0 to 100")
			}
			if f.messages < 1 || f.batch < 1 || f.concurrency < 1 || f.rate < 0 {
				return errors.New("--messages, --batch and --concurrency must be positive, --rate not negative")
			}
			if f.campaign == "" {
				f.campaign = fmt.Sprintf("bench-%d", time.Now().UnixNano())
			}
			return runBench(cmd.Context(), f, g)
		},
	}
	cmd.Flags().StringVar(&f.url, "url", "http://127.0.0.1:8080", "base URL of the rebond API")
	cmd.Flags().StringVar(&f.token, "token", "", "admin token (default $REBOND_ADMIN_TOKEN)")
	cmd.Flags().StringVar(&f.campaign, "campaign", "", "campaign name for the generated events (default: bench-<time>)")
	cmd.Flags().IntVar(&f.messages, "messages", 50000, "messages to simulate (about 1.95 events each)")
	cmd.Flags().IntVar(&f.batch, "batch", 1000, "events per POST")
	cmd.Flags().IntVar(&f.concurrency, "concurrency", 4, "concurrent HTTP clients")
	cmd.Flags().IntVar(&f.smsPercent, "sms-percent", 20, "share of messages that are SMS (0-100), with SMPP-style receipts")
	cmd.Flags().DurationVar(&f.timeout, "timeout", 10*time.Minute, "give up waiting for verdicts after this long")
	cmd.Flags().StringVar(&f.smtpAddr, "smtp", "", "rebond's SMTP listener: deliver the hard failures as DSN bounce mails there instead of events")
	cmd.Flags().StringVar(&f.smtpDomain, "smtp-domain", "", "a domain of the listener's smtp.domains (with --smtp)")
	cmd.Flags().StringVar(&f.smppListen, "smpp-listen", "", "act as the SMSC at this address (host:port) and deliver the SMS receipts as deliver_sm over the binds rebond makes to it (a smpp.gateways entry with that addr and dialect map) instead of posting them")
	cmd.Flags().DurationVar(&f.smppWait, "smpp-bind-wait", time.Minute, "with --smpp-listen: how long to wait for rebond to bind")
	cmd.Flags().IntVar(&f.rate, "rate", 0, "post at most this many events per second (0: as fast as accepted); latency at a sustained rate")
	return cmd
}

// benchMix returns the events of message i: its send and its outcome.
// Every messages/smsEvery-th message is an SMS with SMPP-style receipts.
func benchMix(f benchFlags, i int, t0 time.Time) []map[string]any {
	if f.smsPercent > 0 && i%100 < f.smsPercent {
		return benchSMS(f, i, t0)
	}
	msg := fmt.Sprintf("%s-%d", f.campaign, i)
	rcpt := fmt.Sprintf("u%d@d%d.example", i, i%97)
	at := t0.Add(time.Duration(i) * time.Millisecond)
	evs := []map[string]any{{"channel": "email", "type": "sent", "message_id": msg, "recipient": rcpt,
		"campaign": f.campaign, "occurred_at": at}}
	fail := func(code int, status string) map[string]any {
		return map[string]any{"channel": "email", "type": "failed", "message_id": msg, "recipient": rcpt,
			"occurred_at": at.Add(time.Second), "smtp": map[string]any{"code": code, "status": status}}
	}
	switch p := i % 20; {
	case p < 16:
		evs = append(evs, map[string]any{"channel": "email", "type": "delivered", "message_id": msg,
			"recipient": rcpt, "occurred_at": at.Add(time.Second)})
	case p < 18:
		evs = append(evs, fail(452, "4.2.2"))
	case p < 19 && f.smtpAddr != "":
		// delivered as a bounce mail by the SMTP sender (runBench)
	case p < 19:
		evs = append(evs, fail(550, "5.1.1"))
	}
	return evs
}

// benchSMS is an SMS: submit_sm_resp (sent), then a receipt: 85%
// DELIVRD, 8% UNDELIV with MAP err 27 (absent subscriber, soft), 4%
// UNDELIV err 1 (unknown subscriber, hard), 3% nothing yet.
func benchSMS(f benchFlags, i int, t0 time.Time) []map[string]any {
	msg := fmt.Sprintf("%s-sms-%d", f.campaign, i)
	rcpt := fmt.Sprintf("4477%08d", i%100000000)
	at := t0.Add(time.Duration(i) * time.Millisecond)
	evs := []map[string]any{{"channel": "sms", "type": "sent", "message_id": msg, "recipient": rcpt,
		"campaign": f.campaign, "occurred_at": at, "provider": "smpp:bench"}}
	receipt := func(typ, stat, err string) map[string]any {
		return map[string]any{"channel": "sms", "type": typ, "message_id": msg, "recipient": rcpt, "provider": "smpp:bench",
			"occurred_at": at.Add(3 * time.Second), "sms": map[string]any{"stat": stat, "err": err, "dialect": "map"}}
	}
	// i%100 chose the SMS (below --sms-percent): the outcome takes the
	// hundred's index, so that every outcome occurs whatever the share.
	switch p := (i / 100) % 100; {
	case p < 85:
		evs = append(evs, receipt("delivered", "DELIVRD", "000"))
	case p < 93:
		evs = append(evs, receipt("failed", "UNDELIV", "027"))
	case p < 97:
		evs = append(evs, receipt("failed", "UNDELIV", "001"))
	}
	return evs
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

// receiptFrom is the SMPP receipt of a bench SMS receipt event.
func receiptFrom(e map[string]any) receiptJob {
	r := e["sms"].(map[string]any)
	return receiptJob{messageID: e["message_id"].(string), recipient: e["recipient"].(string),
		stat: r["stat"].(string), err: r["err"].(string), done: e["occurred_at"].(time.Time)}
}

func runBench(ctx context.Context, f benchFlags, g *globals) error {
	t0 := time.Now().UTC().Truncate(time.Hour)
	batches := make(chan []map[string]any)
	bounces := make(chan bounceJob, 1024)
	receipts := make(chan receiptJob, 1024)
	var decided int64
	go func() {
		defer close(batches)
		defer close(bounces)
		defer close(receipts)
		var b []map[string]any
		for i := range f.messages {
			evs := benchMix(f, i, t0)
			if len(evs) > 1 {
				decided++
			}
			if f.smppListen != "" && len(evs) > 1 && evs[0]["channel"] == "sms" {
				select {
				case receipts <- receiptFrom(evs[1]):
				case <-ctx.Done():
					return
				}
				evs = evs[:1]
			}
			if f.smtpAddr != "" && len(evs) == 1 && i%20 == 18 && evs[0]["channel"] == "email" {
				decided++
				select {
				case bounces <- bounceJob{messageID: evs[0]["message_id"].(string), recipient: evs[0]["recipient"].(string)}:
				case <-ctx.Done():
					return
				}
			}
			b = append(b, evs...)
			if len(b) >= f.batch {
				select {
				case batches <- b:
				case <-ctx.Done():
					return
				}
				b = nil
			}
		}
		if len(b) > 0 {
			batches <- b
		}
	}()
	before, err := scrapeLatency(ctx, f.url)
	if err != nil {
		return err
	}
	start := time.Now()
	var posted atomic.Int64
	var wg sync.WaitGroup
	errc := make(chan error, f.concurrency)
	pace := rate.NewLimiter(rate.Inf, 0)
	if f.rate > 0 {
		pace = rate.NewLimiter(rate.Limit(f.rate), max(f.batch, f.rate/10))
	}
	for range f.concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range batches {
				if err := pace.WaitN(ctx, min(len(b), pace.Burst())); err != nil && f.rate > 0 {
					errc <- err
					return
				}
				if err := benchPost(ctx, f, b); err != nil {
					errc <- err
					return
				}
				posted.Add(int64(len(b)))
			}
		}()
	}
	var mailed, smpped atomic.Int64
	mailErr := sideChannel(bounces, f.smtpAddr != "", func() error {
		return sendBounces(ctx, f.smtpAddr, f.smtpDomain, benchSignature(g), bounces, 2, &mailed)
	})
	smppErr := sideChannel(receipts, f.smppListen != "", func() error {
		return sendReceipts(ctx, f.smppListen, receipts, f.smppWait, &smpped)
	})
	stopProgress := progress(g, "posted", &posted, int64(f.messages*2))
	wg.Wait()
	if err := <-mailErr; err != nil {
		return err
	}
	if err := <-smppErr; err != nil {
		return err
	}
	stopProgress()
	select {
	case err := <-errc:
		return err
	default:
	}
	ingest := time.Since(start)
	fmt.Fprintf(g.stderr, "posted %d events in %v (%.0f events/s accepted)\n", posted.Load(), ingest.Round(time.Millisecond),
		float64(posted.Load())/ingest.Seconds())
	if err := benchWait(ctx, f, int64(f.messages), decided); err != nil {
		return err
	}
	e2e := time.Since(start)
	total := posted.Load() + mailed.Load() + smpped.Load()
	fmt.Fprintf(g.stdout, "bench: %d messages, %d events (%d of them bounce mails over SMTP, %d receipts over SMPP)\n  ingested: %.0f events/s\n  end to end (post to last verdict): %v, %.0f events/s\n",
		f.messages, total, mailed.Load(), smpped.Load(), float64(total)/ingest.Seconds(), e2e.Round(time.Millisecond), float64(total)/e2e.Seconds())
	after, err := scrapeLatency(ctx, f.url)
	if err != nil {
		return err
	}
	if before != nil && after != nil {
		q := quantiles(before, after, 0.5, 0.95, 0.99)
		fmt.Fprintf(g.stdout, "  latency, inbox to stored verdict: p50 %s, p95 %s, p99 %s\n", secs(q[0]), secs(q[1]), secs(q[2]))
	} else {
		fmt.Fprintln(g.stdout, "  latency: not available (this process exports no "+latencyMetric+")")
	}
	return nil
}

func benchPost(ctx context.Context, f benchFlags, evs []map[string]any) error {
	body, err := json.Marshal(evs)
	if err != nil {
		return err
	}
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.url+"/v1/events", bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+f.token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return fmt.Errorf("post events: %w", err)
		}
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		resp.Body.Close()
		switch {
		case resp.StatusCode == http.StatusAccepted:
			return nil
		case resp.StatusCode == http.StatusServiceUnavailable && attempt < 5:
			time.Sleep(time.Duration(attempt+1) * 200 * time.Millisecond)
		default:
			return fmt.Errorf("post events: %s: %s", resp.Status, msg)
		}
	}
}

// benchWait polls the rates until every message is sent and decided.
func benchWait(ctx context.Context, f benchFlags, sent, decided int64) error {
	deadline := time.Now().Add(f.timeout)
	for time.Now().Before(deadline) {
		var r struct {
			Rows []struct{ Sent, Delivered, Soft, Hard int64 } `json:"rows"`
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, f.url+"/v1/rates?campaign="+url.QueryEscape(f.campaign), nil)
		req.Header.Set("Authorization", "Bearer "+f.token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return fmt.Errorf("poll rates: %w", err)
		}
		err = json.NewDecoder(resp.Body).Decode(&r)
		resp.Body.Close()
		var gotSent, gotDecided int64
		for _, row := range r.Rows { // one row per channel
			gotSent += row.Sent
			gotDecided += row.Delivered + row.Soft + row.Hard
		}
		if err == nil && gotSent == sent && gotDecided == decided {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return fmt.Errorf("verdicts incomplete after %v", f.timeout)
}

// progress prints a progress line on stderr every second until stopped.
func progress(g *globals, what string, n *atomic.Int64, total int64) func() {
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				fmt.Fprintf(g.stderr, "\r%s %d/~%d", what, n.Load(), total)
			}
		}
	}()
	return func() { close(done); fmt.Fprintln(g.stderr) }
}

func secs(s float64) string {
	if math.IsNaN(s) {
		return "n/a"
	}
	return time.Duration(s * float64(time.Second)).Round(time.Millisecond).String()
}
