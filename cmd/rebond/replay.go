package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync/atomic"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/rulebook"
	"github.com/rebond/rebond/store"
)

// errNotConfirmed is returned when a replay that writes is neither
// confirmed with --yes nor run where it can ask.
var errNotConfirmed = errors.New("replay rewrites stored verdicts, message statuses and rates: pass --yes to confirm (stdin is not a terminal), or --dry-run to preview")

type replayFlags struct {
	channel, from, to string
	dryRun, yes       bool
	asJSON            bool
	batch             int
}

func newReplayCmd(g *globals) *cobra.Command {
	var f replayFlags
	cmd := &cobra.Command{
		Use:   "replay --from DATE --to DATE [--channel email|sms] [--dry-run] [--yes]",
		Short: "Re-classify stored events under the current rules and reconcile verdicts, message statuses and rates",
		Long: `replay classifies again, with the current rules (built-ins plus operator
rules), the applied events that happened in [--from, --to), in pages of
--batch events. Where a verdict (outcome, reason, rule) differs from the
stored one it rewrites it, recomputes the status of each message concerned
from ALL its events, and moves the message's counts in the rate tables
(hourly, daily and per-campaign daily) by the difference: one transaction
per page, messages locked as the workers lock them, so it is safe while
workers run. Events still in the inbox are skipped. A second replay under the
same rules changes nothing.

Recipient states are left to operators: replay reports how many recipients
the new verdicts would quarantine or release (estimated per page, as a
backtest does) but does not change them; use the release API. Retries are
not scheduled for past failures.

--dry-run prints what would change and writes nothing. Without --yes, replay
first shows the dry run and asks for confirmation on a terminal, and refuses
when stdin is not one.`,
		Example: `  rebond replay --from 2026-11-01 --to 2026-11-08 --dry-run
  rebond replay --channel email --from 2026-11-01 --to 2026-11-08 --yes`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return g.runReplay(cmd.Context(), f) },
	}
	cmd.Flags().StringVar(&f.channel, "channel", "", "email or sms (default both)")
	cmd.Flags().StringVar(&f.from, "from", "", "range start, inclusive (RFC 3339 or YYYY-MM-DD)")
	cmd.Flags().StringVar(&f.to, "to", "", "range end, exclusive (RFC 3339 or YYYY-MM-DD)")
	cmd.Flags().BoolVar(&f.dryRun, "dry-run", false, "print what would change, write nothing")
	cmd.Flags().BoolVar(&f.yes, "yes", false, "apply without asking")
	cmd.Flags().BoolVar(&f.asJSON, "json", false, "print JSON")
	cmd.Flags().IntVar(&f.batch, "batch", 1000, "events per page and transaction (at most 10000)")
	_ = cmd.MarkFlagRequired("from")
	_ = cmd.MarkFlagRequired("to")
	return cmd
}

func (g *globals) runReplay(ctx context.Context, f replayFlags) error {
	req := rulebook.ReplayRequest{Channel: channels.Channel(f.channel), DryRun: f.dryRun, Batch: f.batch}
	var err error
	if req.From, err = parseDay("--from", f.from); err != nil {
		return err
	}
	if req.To, err = parseDay("--to", f.to); err != nil {
		return err
	}
	ask := !f.dryRun && !f.yes
	if ask && !term.IsTerminal(int(os.Stdin.Fd())) {
		return errNotConfirmed
	}
	return g.withStore(ctx, func(st *store.Store) error {
		cfg, _, err := g.load()
		if err != nil {
			return err
		}
		book, _, err := ruleBook(cfg, st)
		if err != nil {
			return err
		}
		if ask {
			preview := req
			preview.DryRun = true
			rep, err := g.replay(ctx, book, st, preview)
			if err != nil {
				return err
			}
			printReplay(g.stdout, rep)
			if rep.Changed == 0 || !confirm(os.Stdin, g.stderr) {
				return nil
			}
		}
		rep, err := g.replay(ctx, book, st, req)
		if err != nil || f.asJSON {
			return errOr(err, func() error { return g.printJSON(rep) })
		}
		printReplay(g.stdout, rep)
		return nil
	})
}

// replay runs one replay with a progress line on a terminal.
func (g *globals) replay(ctx context.Context, book *rulebook.Book, st *store.Store, req rulebook.ReplayRequest) (rulebook.ReplayReport, error) {
	var done atomic.Int64
	req.Progress = func(n int) { done.Store(int64(n)) }
	stop := progressOnTerminal(g, &done, 0)
	defer stop()
	return book.Replay(ctx, st, req)
}

// confirm asks on w and reads a yes from r.
func confirm(r io.Reader, w io.Writer) bool {
	fmt.Fprint(w, "apply these changes? [y/N] ")
	line, _ := bufio.NewReader(io.LimitReader(r, 256)).ReadString('\n')
	a := strings.ToLower(strings.TrimSpace(line))
	return a == "y" || a == "yes"
}

func printReplay(w io.Writer, rep rulebook.ReplayReport) {
	verb := "changed"
	if rep.DryRun {
		verb = "would change"
	}
	fmt.Fprintf(w, "%d applied events replayed; %d verdicts %s, %d message statuses %s\n", rep.Events, rep.Changed, verb, rep.Messages, verb)
	for _, warn := range rep.Warnings {
		fmt.Fprintf(w, "warning: %s\n", warn)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	if len(rep.Changes) > 0 {
		fmt.Fprintln(tw, "\nCOUNT\tFROM\tTO\tEXAMPLES")
	}
	for _, c := range rep.Changes {
		fmt.Fprintf(tw, "%d\t%s %s/%s\t%s %s/%s\t%s\n", c.Count, c.From.Rule, c.From.Outcome, c.From.Reason,
			c.To.Rule, c.To.Outcome, c.To.Reason, strings.Join(c.Examples, " "))
	}
	if len(rep.Statuses) > 0 {
		fmt.Fprintln(tw, "\nMESSAGES\tFROM\tTO\t")
	}
	for _, s := range rep.Statuses {
		fmt.Fprintf(tw, "%d\t%s\t%s\t\n", s.Count, s.From, s.To)
	}
	if len(rep.Campaigns) > 0 {
		fmt.Fprintln(tw, "\nCAMPAIGN\tDELIVERED\tSOFT\tHARD\tCOMPLAINTS")
	}
	for _, c := range rep.Campaigns {
		fmt.Fprintf(tw, "%s\t%+d\t%+d\t%+d\t%+d\n", dash(c.Campaign), c.Delivered, c.Soft, c.Hard, c.Complaints)
	}
	tw.Flush()
	fmt.Fprintf(w, "\nrecipients the new verdicts would quarantine: %d, release: %d (left to operators: release API)\n",
		rep.RecipientsQuarantined, rep.RecipientsReleased)
}
