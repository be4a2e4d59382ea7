// Package bench is `rebond bench`, the load generator: it drives a running
// rebond with a realistic mix of email and SMS events over its HTTP API
// (and, on request, bounce mails over SMTP and receipts over SMPP binds)
// and reports the ingestion rate, the end-to-end rate and the latency.
package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/spf13/cobra"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/email"
)

// Config is one run of the bench.
type Config struct {
	// URL is the base URL of rebond's API, Token an admin token.
	URL, Token string
	// Tenant owns the generated events (DefaultTenant unless --tenant).
	Tenant string
	// Campaign names the generated events; every run takes a fresh one.
	Campaign string
	// Keep leaves the tenant's data in the database; otherwise the run
	// ends by deleting it (store.PurgeTenant).
	Keep                 bool
	Messages, Batch      int
	Concurrency          int
	Timeout              time.Duration
	SMSPercent           int
	SMTPAddr, SMTPDomain string
	// SMPPListen: deliver the SMS receipts over SMPP binds rebond makes
	// to this address (sms/smpp/smpptest) instead of posting them.
	SMPPListen string
	SMPPWait   time.Duration
	// Rate caps the events posted per second (0: as fast as the server
	// takes them), to measure latency at a sustained load rather than
	// the queueing of a burst.
	Rate int
	// Signature signs the bounce mails sent over SMTP, as a sender's
	// would be (email.verp_secret); zero sends them unsigned.
	Signature email.Signature
}

// validate checks the flags.
func (c Config) validate() error {
	switch {
	case (c.SMTPAddr == "") != (c.SMTPDomain == ""):
		return errors.New("--smtp and --smtp-domain go together")
	case c.SMSPercent < 0 || c.SMSPercent > 100:
		return errors.New("--sms-percent: 0 to 100")
	case c.Messages < 1 || c.Batch < 1 || c.Concurrency < 1 || c.Rate < 0:
		return errors.New("--messages, --batch and --concurrency must be positive, --rate not negative")
	}
	return nil
}

// NewCommand is `rebond bench`. settings is called once the flags are
// parsed, for what the bench takes from the configuration.
func NewCommand(stdout, stderr io.Writer, settings func() (Settings, error)) *cobra.Command {
	var c Config
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Drive a running rebond with a realistic email mix and report events/s end to end",
		Long: `bench posts a mix of events to a running rebond's /v1/events — for every
email a "sent", then 80% "delivered", 10% soft failures (4.2.2), 5% hard
failures (5.1.1), 5% nothing; for every SMS (--sms-percent of the messages) a
"sent" and an SMPP-style receipt (85% DELIVRD, 8% absent subscriber, 4%
unknown subscriber, 3% none) — from several concurrent clients, and waits
until /v1/rates shows every message's outcome. The shares hold at any
--messages: the counts are the shares of the run's size rounded by largest
remainder, interleaved so that any stretch of the run has them within one
message. With --smpp-listen the SMS receipts travel as rebond receives them
from an SMSC: bench is the SMSC, rebond binds to it (smpp.gateways), and
each receipt is a deliver_sm that rebond acknowledges once it is on
JetStream. It reports the ingestion rate (events accepted per second), the
end-to-end rate (events applied per second, from the first post to the last
verdict) and the p50/p95/p99 latency from an event's arrival in the inbox to
its committed verdict (from the rebond_event_latency_seconds histogram of
/metrics, before and after).

The admin token is --token, else the configuration's admin_token
(REBOND_ADMIN_TOKEN), else data_dir/admin-token, which make run writes; the
run's first line says which. The events belong to a tenant of their own,
"bench" (--tenant names another), so they stay off the default tenant's
rates and dashboard, and each run uses a fresh campaign name. When the run
ends, bench deletes that tenant's data (all of it, what earlier --keep runs
left included) through the database of its configuration (database.url),
unless --keep; it refuses to run in the default tenant or in one an
operator set up (tokens, lists, rules) unless --keep. With --smtp the
domain must be the bench tenant's (smtp.tenants), with --smpp-listen the
gateway too (smpp.gateways[].tenant): events of another tenant would not
join the bench's sends.`,
		Example: `  rebond bench --messages 100000
  rebond bench --url http://127.0.0.1:8080 --token "$TOKEN" --messages 20000 --keep`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := settings()
			if err != nil {
				return err
			}
			if err := c.prepare(cmd, s, stderr); err != nil {
				return err
			}
			if c.Keep {
				return Run(cmd.Context(), c, stdout, stderr)
			}
			cl, err := openCleaner(cmd.Context(), s.Database, c.Tenant)
			if err != nil {
				return err
			}
			defer cl.Close()
			runErr := Run(cmd.Context(), c, stdout, stderr)
			return errors.Join(runErr, cl.purge(cmd.Context(), stdout))
		},
	}
	f := cmd.Flags()
	f.StringVar(&c.URL, "url", "http://127.0.0.1:8080", "base URL of the rebond API")
	f.StringVar(&c.Token, "token", "", "admin token (default: admin_token, i.e. $REBOND_ADMIN_TOKEN, else data_dir/admin-token)")
	f.StringVar(&c.Campaign, "campaign", "", "campaign name for the generated events (default: bench-<time>)")
	f.BoolVar(&c.Keep, "keep", false, "keep the bench tenant's data afterwards (default: delete it)")
	f.IntVar(&c.Messages, "messages", 50000, "messages to simulate (about 1.95 events each)")
	f.IntVar(&c.Batch, "batch", 1000, "events per POST")
	f.IntVar(&c.Concurrency, "concurrency", 4, "concurrent HTTP clients")
	f.IntVar(&c.SMSPercent, "sms-percent", 20, "share of messages that are SMS (0-100), with SMPP-style receipts")
	f.DurationVar(&c.Timeout, "timeout", 10*time.Minute, "give up waiting for verdicts after this long")
	f.StringVar(&c.SMTPAddr, "smtp", "", "rebond's SMTP listener: deliver the hard failures as DSN bounce mails there instead of events")
	f.StringVar(&c.SMTPDomain, "smtp-domain", "", "a domain of the listener's smtp.domains (with --smtp), the bench tenant's (smtp.tenants)")
	f.StringVar(&c.SMPPListen, "smpp-listen", "", "act as the SMSC at this address (host:port) and deliver the SMS receipts as deliver_sm over the binds rebond makes to it (a smpp.gateways entry with that addr, dialect map and the bench's tenant) instead of posting them")
	f.DurationVar(&c.SMPPWait, "smpp-bind-wait", time.Minute, "with --smpp-listen: how long to wait for rebond to bind")
	f.IntVar(&c.Rate, "rate", 0, "post at most this many events per second (0: as fast as accepted); latency at a sustained rate")
	return cmd
}

// prepare completes c from the flags and s: the tenant (the global
// --tenant when given, else DefaultTenant), the admin token (said on
// stderr), the campaign, the key of the bounce mails; and checks it.
func (c *Config) prepare(cmd *cobra.Command, s Settings, stderr io.Writer) error {
	c.Tenant = DefaultTenant
	if f := cmd.Flags().Lookup("tenant"); f != nil && f.Changed {
		c.Tenant = channels.Tenant(cmd.Context())
	}
	token, from, err := resolveToken(c.Token, s)
	if err != nil {
		return err
	}
	c.Token = token
	if err := c.validate(); err != nil {
		return err
	}
	if err := checkRoutes(*c, s); err != nil {
		return err
	}
	if c.Campaign == "" {
		c.Campaign = fmt.Sprintf("bench-%d", time.Now().UnixNano())
	}
	if c.SMTPAddr != "" {
		c.Signature = s.signature(c.Tenant)
	}
	fmt.Fprintf(stderr, "bench: tenant %s, campaign %s, admin token from %s\n", c.Tenant, c.Campaign, from)
	return nil
}

// Run drives the server with c's workload and prints the report on
// stdout, the progress on stderr: it generates the workload, delivers it
// (HTTP posts, and SMTP or SMPP on request), waits until the rates show
// every verdict, and reports the rates and the latency.
func Run(ctx context.Context, c Config, stdout, stderr io.Writer) error {
	w := generate(ctx, c, time.Now().UTC().Truncate(time.Hour))
	before, err := scrapeLatency(ctx, c.URL)
	if err != nil {
		return err
	}
	start := time.Now()
	n, err := deliver(ctx, c, w, stderr)
	if err != nil {
		return err
	}
	ingest := time.Since(start)
	fmt.Fprintf(stderr, "posted %d events in %v (%.0f events/s accepted)\n", n.posted.Load(), ingest.Round(time.Millisecond),
		float64(n.posted.Load())/ingest.Seconds())
	if err := waitVerdicts(ctx, c, int64(c.Messages), w.decided); err != nil {
		return err
	}
	e2e := time.Since(start)
	total := n.posted.Load() + n.mailed.Load() + n.smpped.Load()
	fmt.Fprintf(stdout, "bench: %d messages, %d events (%d of them bounce mails over SMTP, %d receipts over SMPP)\n  ingested: %.0f events/s\n  end to end (post to last verdict): %v, %.0f events/s\n",
		c.Messages, total, n.mailed.Load(), n.smpped.Load(), float64(total)/ingest.Seconds(), e2e.Round(time.Millisecond), float64(total)/e2e.Seconds())
	return reportLatency(ctx, c.URL, before, stdout)
}

// reportLatency prints the latency quantiles of the verdicts stored since
// the before scrape.
func reportLatency(ctx context.Context, url string, before histogram, stdout io.Writer) error {
	after, err := scrapeLatency(ctx, url)
	if err != nil {
		return err
	}
	if before == nil || after == nil {
		fmt.Fprintln(stdout, "  latency: not available (this process exports no "+latencyMetric+")")
		return nil
	}
	q := quantiles(before, after, 0.5, 0.95, 0.99)
	fmt.Fprintf(stdout, "  latency, inbox to stored verdict: p50 %s, p95 %s, p99 %s\n", secs(q[0]), secs(q[1]), secs(q[2]))
	return nil
}

func secs(s float64) string {
	if math.IsNaN(s) {
		return "n/a"
	}
	return time.Duration(s * float64(time.Second)).Round(time.Millisecond).String()
}
