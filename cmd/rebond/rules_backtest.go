package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/channels/rules"
	"github.com/rebond/rebond/rulebook"
)

// readCandidate reads a candidate file: a rule file (a rules: list) or one
// rule.
func readCandidate(path string) ([]rules.Rule, error) {
	data, err := readFile(path, 1<<20)
	if err != nil {
		return nil, err
	}
	var top map[string]any
	if err := yaml.Unmarshal(data, &top); err == nil {
		if _, ok := top["rules"]; ok {
			return rules.Parse(data)
		}
	}
	r, err := rules.ParseRule(data)
	if err != nil {
		return nil, err
	}
	return []rules.Rule{r}, nil
}

func newRulesBacktestCmd(g *globals) *cobra.Command {
	var channel, from, to, file string
	var disable []string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "backtest --from DATE --to DATE -f CANDIDATE.yaml",
		Short: "Replay stored events under a candidate rule change, read-only, and print what would change",
		Long: `backtest replays the stored events of a window ([--from, --to), by the time they
happened, with the sends of the messages they name) under the current rules
and under the current rules plus the candidate: the rules of -f (a rule file
with a rules: list, or one rule; a rule without version is the next version
of its id) and the ids of --disable. It prints the verdicts that would
change, the recipients that would be quarantined or released, and the rates
per campaign that would move. It reads in one read-only transaction: nothing
is written.`,
		Example: `  rebond rules backtest --from 2026-11-01 --to 2026-11-08 -f mimecast.yaml
  rebond rules backtest --channel sms --from 2026-11-01 --to 2026-11-02 --disable sms.err.map.network_failure --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			req := rulebook.BacktestRequest{Channel: channels.Channel(channel), Disable: disable}
			var err error
			if req.From, err = parseDay("--from", from); err != nil {
				return err
			}
			if req.To, err = parseDay("--to", to); err != nil {
				return err
			}
			if file != "" {
				if req.Rules, err = readCandidate(file); err != nil {
					return err
				}
			}
			if len(req.Rules) == 0 && len(disable) == 0 {
				return fmt.Errorf("nothing to try: give -f CANDIDATE.yaml or --disable ID")
			}
			return g.withBook(cmd.Context(), func(b *rulebook.Book) error {
				rep, err := b.Backtest(cmd.Context(), req)
				if err != nil || asJSON {
					return errOr(err, func() error { return g.printJSON(rep) })
				}
				printBacktest(g.stdout, rep)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&channel, "channel", "email", "email or sms")
	cmd.Flags().StringVar(&from, "from", "", "window start, inclusive (RFC 3339 or YYYY-MM-DD)")
	cmd.Flags().StringVar(&to, "to", "", "window end, exclusive (RFC 3339 or YYYY-MM-DD)")
	cmd.Flags().StringVarP(&file, "file", "f", "", "candidate rules (a rule file or one rule; - for stdin)")
	cmd.Flags().StringSliceVar(&disable, "disable", nil, "rule ids the candidate disables")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	_ = cmd.MarkFlagRequired("from")
	_ = cmd.MarkFlagRequired("to")
	return cmd
}

func printBacktest(w io.Writer, rep rulebook.BacktestReport) {
	fmt.Fprintf(w, "%d %s events replayed; %d would change verdict", rep.Events, rep.Channel, rep.Changed)
	if rep.StoredDiffers > 0 {
		fmt.Fprintf(w, " (%d stored verdicts already differ from the current rules)", rep.StoredDiffers)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	if len(rep.Changes) > 0 {
		fmt.Fprintln(tw, "\nCOUNT\tFROM\tTO\tEXAMPLES")
	}
	for _, c := range rep.Changes {
		fmt.Fprintf(tw, "%d\t%s %s/%s\t%s %s/%s\t%s\n", c.Count, c.From.Rule, c.From.Outcome, c.From.Reason,
			c.To.Rule, c.To.Outcome, c.To.Reason, strings.Join(c.Examples, " "))
	}
	tw.Flush()
	fmt.Fprintf(w, "\nrecipients quarantined: %d, released: %d\n", rep.QuarantinedTotal, rep.ReleasedTotal)
	for _, r := range rep.Quarantined {
		fmt.Fprintf(w, "  + %s (%s -> quarantined: %s, %s)\n", r.Address, r.Before, r.Reason, r.Rule)
	}
	for _, r := range rep.Released {
		fmt.Fprintf(w, "  - %s (quarantined -> %s)\n", r.Address, r.After)
	}
	if len(rep.Campaigns) == 0 {
		return
	}
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "\nCAMPAIGN\tSENT\tSOFT\tHARD\tSOFT RATE\tHARD RATE\t")
	for _, c := range rep.Campaigns {
		fmt.Fprintf(tw, "%s\t%d\t%d (%+d)\t%d (%+d)\t%.2f%% (%+.2f)\t%.2f%% (%+.2f)\t\n", dash(c.Campaign), c.After.Sent,
			c.After.Soft, c.Delta.Soft, c.After.Hard, c.Delta.Hard, 100*c.After.SoftRate, 100*c.Delta.SoftRate,
			100*c.After.HardRate, 100*c.Delta.HardRate)
	}
	tw.Flush()
}
