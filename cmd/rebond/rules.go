package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/channels/rules"
	"github.com/rebond/rebond/rulebook"
	"github.com/rebond/rebond/store"
)

// maxSampleBytes bounds a file given to `rules explain`: a bounce mail is
// at most email.MaxMailSize; the other samples are far smaller.
const maxSampleBytes = 10 << 20

func newRulesCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rules",
		Short: "List, publish, disable, explain and backtest classification rules",
		Long: `rules works the classification rules: the built-in ones (configs/rules,
embedded) and the operator rules kept in the database, which workers pick up
within about 10 seconds. A published id@version never changes, because
verdicts name it: to change a rule, publish its next version; to stop it,
disable it (that publishes a disabled version). The commands talk to the
database directly (database.url), like rebond rates.`,
	}
	cmd.AddCommand(newRulesListCmd(g), newRulesShowCmd(g), newRulesCreateCmd(g), newRulesDisableCmd(g),
		newRulesExplainCmd(g), newRulesBacktestCmd(g))
	return cmd
}

// withBook opens the store and runs fn with the rule book.
func (g *globals) withBook(ctx context.Context, fn func(*rulebook.Book) error) error {
	cfg, _, err := g.load()
	if err != nil {
		return err
	}
	return g.withStore(ctx, func(st *store.Store) error {
		book, _, err := ruleBook(cfg, st)
		if err != nil {
			return err
		}
		return fn(book)
	})
}

// printJSON writes v indented.
func (g *globals) printJSON(v any) error {
	enc := json.NewEncoder(g.stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

func newRulesListCmd(g *globals) *cobra.Command {
	var channel string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the rules in force (active or disabled) and the shadow ones, built-in and operator",
		Example: `  rebond rules list
  rebond rules list --channel sms --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.withBook(cmd.Context(), func(b *rulebook.Book) error {
				list, err := b.List(cmd.Context(), channels.Channel(channel))
				if err != nil || asJSON {
					return errOr(err, func() error { return g.printJSON(map[string]any{"rules": list}) })
				}
				w := tabwriter.NewWriter(g.stdout, 0, 0, 2, ' ', 0)
				fmt.Fprintln(w, "KEY\tCHANNEL\tSOURCE\tSTATE\tPRIORITY\tVERDICT\tVERSIONS")
				for _, e := range list {
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%d\t%s/%s\t%d\n", e.Key, e.Rule.Channel, e.Source, e.State, e.Rule.Priority,
						e.Rule.Verdict.Outcome, e.Rule.Verdict.Reason, e.Versions)
				}
				return w.Flush()
			})
		},
	}
	cmd.Flags().StringVar(&channel, "channel", "", "email or sms (default: both)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// errOr returns err, or runs fn when err is nil.
func errOr(err error, fn func() error) error {
	if err != nil {
		return err
	}
	return fn()
}

func newRulesShowCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:     "show ID",
		Short:   "Show every version of a rule, newest first, as YAML",
		Example: `  rebond rules show email.status.5.1.1`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withBook(cmd.Context(), func(b *rulebook.Book) error {
				versions, err := b.Show(cmd.Context(), args[0])
				if err != nil || asJSON {
					return errOr(err, func() error { return g.printJSON(map[string]any{"versions": versions}) })
				}
				for _, e := range versions {
					fmt.Fprintf(g.stdout, "# %s: %s, %s", e.Key, e.Source, e.State)
					if e.Author != "" {
						fmt.Fprintf(g.stdout, ", by %s on %s", e.Author, e.CreatedAt.Format("2006-01-02 15:04"))
					}
					if e.ShadowDiffers != nil {
						fmt.Fprintf(g.stdout, ", %d events decided otherwise than live", *e.ShadowDiffers)
					}
					fmt.Fprintln(g.stdout)
					out, err := yaml.Marshal(e.Rule)
					if err != nil {
						return err
					}
					fmt.Fprintf(g.stdout, "%s\n", out)
				}
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newRulesCreateCmd(g *globals) *cobra.Command {
	var file, state, author string
	cmd := &cobra.Command{
		Use:   "create -f RULE.yaml",
		Short: "Publish an operator rule: a new id, or the next version of an id",
		Long: `create publishes the rule of a YAML (or JSON) file holding one rule, with the
keys of a configs/rules file entry. Without a version it becomes the next
version of its id (1 for a new id), so the same file publishes a new rule or
overrides a built-in one. --state shadow evaluates it beside the live rules
and only records what it would have decided (see rules show).`,
		Example: `  cat > mimecast.yaml <<'YAML'
  id: email.text.mimecast.greylist
  channel: email
  priority: 210
  description: "Mimecast greylisting: try again later."
  match: {codes: [451], text: 'mimecast.*greylist'}
  verdict: {outcome: soft, reason: policy_violation}
  YAML
  rebond rules create -f mimecast.yaml
  rebond rules create -f mimecast.yaml --state shadow --author ops@example.com`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			data, err := readFile(file, rules.MaxRuleBytes)
			if err != nil {
				return err
			}
			r, err := rules.ParseRule(data)
			if err != nil {
				return err
			}
			return g.withBook(cmd.Context(), func(b *rulebook.Book) error {
				e, err := b.Create(cmd.Context(), r, state, author)
				if err != nil {
					return err
				}
				fmt.Fprintf(g.stdout, "published %s (%s)\n", e.Key, e.State)
				return nil
			})
		},
	}
	cmd.Flags().StringVarP(&file, "file", "f", "", "the rule file (- for stdin)")
	cmd.Flags().StringVar(&state, "state", "active", "active or shadow")
	cmd.Flags().StringVar(&author, "author", "cli", "who publishes it")
	_ = cmd.MarkFlagRequired("file")
	return cmd
}

func newRulesDisableCmd(g *globals) *cobra.Command {
	var author string
	cmd := &cobra.Command{
		Use:     "disable ID",
		Short:   "Disable a rule id (publishes its next version, disabled)",
		Example: `  rebond rules disable email.text.mimecast.greylist --author ops@example.com`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withBook(cmd.Context(), func(b *rulebook.Book) error {
				e, err := b.Disable(cmd.Context(), args[0], author)
				if err != nil {
					return err
				}
				fmt.Fprintf(g.stdout, "published %s (disabled)\n", e.Key)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&author, "author", "cli", "who disables it")
	return cmd
}

// readFile reads path ("-": stdin), at most limit bytes.
func readFile(path string, limit int64) ([]byte, error) {
	var r io.Reader = os.Stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, limit)
	}
	return data, nil
}
