package main

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/rulebook"
)

func newQualifyCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "qualify",
		Short: "Work the qualification queue: failures no rule recognized, grouped by masked text",
		Long: `qualify lists the failures no rule recognized (their verdict came from a
fallback rule), grouped by their diagnostic text with the variable parts
masked (addresses, ids, numbers, dates, IPs: see rulebook.Normalize), with
counts and example event ids. SMS receipts are grouped by stat, err and
dialect; a receipt whose err code its dialect's table does not list is one
(soft unknown_error until the code is qualified). An operator keeps a group (it becomes an
active rule matching its text, with the verdict given, which workers apply
to new events within about 10 seconds) or ignores it.`,
	}
	cmd.AddCommand(newQualifyListCmd(g), newQualifyKeepCmd(g), newQualifyIgnoreCmd(g))
	return cmd
}

func newQualifyListCmd(g *globals) *cobra.Command {
	var channel, state, since string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the groups of the queue, largest first",
		Example: `  rebond qualify list
  rebond qualify list --channel email --state all --since 2026-11-01 --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q := rulebook.QualifyQuery{Channel: channels.Channel(channel), State: state}
			var err error
			if q.Since, err = parseDay("--since", since); err != nil {
				return err
			}
			return g.withBook(cmd.Context(), func(b *rulebook.Book) error {
				groups, err := b.Qualification(cmd.Context(), q)
				if err != nil || asJSON {
					return errOr(err, func() error { return g.printJSON(map[string]any{"groups": groups}) })
				}
				if len(groups) == 0 {
					fmt.Fprintln(g.stdout, "the queue is empty")
					return nil
				}
				w := tabwriter.NewWriter(g.stdout, 0, 0, 2, ' ', 0)
				fmt.Fprintln(w, "GROUP\tCHANNEL\tCOUNT\tLAST SEEN\tSTATE\tTEXT")
				for _, gr := range groups {
					fmt.Fprintf(w, "%s\t%s\t%d\t%s\t%s\t%s\n", gr.ID, gr.Channel, gr.Count, gr.LastSeen.Format("2006-01-02 15:04"),
						gr.State, strings.ReplaceAll(gr.Text, "\t", " "))
				}
				return w.Flush()
			})
		},
	}
	cmd.Flags().StringVar(&channel, "channel", "", "email or sms (default: both)")
	cmd.Flags().StringVar(&state, "state", "open", "open, kept, ignored or all")
	cmd.Flags().StringVar(&since, "since", "", "only failures since (RFC 3339 or YYYY-MM-DD; default 30 days ago)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newQualifyKeepCmd(g *globals) *cobra.Command {
	var outcome, reason, author string
	var priority int
	cmd := &cobra.Command{
		Use:   "keep GROUP --outcome OUTCOME --reason REASON",
		Short: "Keep a group: publish an active rule that gives its failures this verdict",
		Example: `  rebond qualify keep q0123456789abcdef0123 --outcome soft --reason policy_violation
  rebond qualify keep q0123456789abcdef0123 --outcome hard --reason user_unknown --priority 210`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			req := rulebook.KeepRequest{Outcome: channels.Outcome(outcome), Reason: channels.Reason(reason)}
			if cmd.Flags().Changed("priority") {
				req.Priority = &priority
			}
			return g.withBook(cmd.Context(), func(b *rulebook.Book) error {
				e, err := b.Keep(cmd.Context(), args[0], req, author)
				if err != nil {
					return err
				}
				fmt.Fprintf(g.stdout, "published %s: text ~ /%s/i -> %s/%s\n", e.Key, e.Rule.Match.Text, e.Rule.Verdict.Outcome, e.Rule.Verdict.Reason)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&outcome, "outcome", "", "delivered, pending, soft, hard, ignored or complaint")
	cmd.Flags().StringVar(&reason, "reason", "", "a reason of docs/REASONS.md")
	cmd.Flags().IntVar(&priority, "priority", rulebook.KeepPriority, "the rule's priority (unset: 200, and 450 for an SMS group with an err code, above the rules that give unknown codes unknown_error)")
	cmd.Flags().StringVar(&author, "author", "cli", "who qualifies it")
	_ = cmd.MarkFlagRequired("outcome")
	_ = cmd.MarkFlagRequired("reason")
	return cmd
}

func newQualifyIgnoreCmd(g *globals) *cobra.Command {
	var author string
	cmd := &cobra.Command{
		Use:     "ignore GROUP",
		Short:   "Ignore a group: close it without a rule",
		Example: `  rebond qualify ignore q0123456789abcdef0123`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withBook(cmd.Context(), func(b *rulebook.Book) error {
				gr, err := b.Ignore(cmd.Context(), args[0], author)
				if err != nil {
					return err
				}
				fmt.Fprintf(g.stdout, "ignored %s (%d failures)\n", gr.ID, gr.Count)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&author, "author", "cli", "who ignores it")
	return cmd
}
