package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/rebond/rebond/api"
	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/store"
)

func newMigrateCmd(g *globals) *cobra.Command {
	var create, backfill bool
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Apply pending database migrations (embedded, numbered, under an advisory lock)",
		Long: `migrate applies the embedded SQL migrations the database does not have yet, in
one transaction under a PostgreSQL advisory lock, so several replicas may run it
at once. serve migrates too unless --migrate=false.

--backfill-notable, once the update is done, gives the activity log's verdict
index (notable_events, migration 0023) the events an older build's workers
applied without it while a rolling update across 0023 ran both builds; it
reads every stored event once, and running it again adds nothing.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, _, err := g.load()
			if err != nil {
				return err
			}
			if create {
				created, err := store.CreateDatabase(cmd.Context(), cfg.Database)
				if err != nil {
					return err
				}
				if created {
					fmt.Fprintln(g.stdout, "created the database")
				}
			}
			st, err := store.Open(cmd.Context(), cfg.Database)
			if err != nil {
				return err
			}
			defer st.Close()
			applied, err := st.Migrate(cmd.Context())
			if err != nil {
				return err
			}
			if len(applied) == 0 {
				fmt.Fprintln(g.stdout, "database is up to date")
			}
			for _, name := range applied {
				fmt.Fprintln(g.stdout, "applied", name)
			}
			if backfill {
				n, err := st.BackfillNotable(cmd.Context())
				if err != nil {
					return err
				}
				fmt.Fprintf(g.stdout, "notable_events: %d rows added\n", n)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&create, "create-database", false, "create the database first if it does not exist")
	cmd.Flags().BoolVar(&backfill, "backfill-notable", false, "after migrating, index the notable events applied by an older build during a rolling update (reads every event)")
	return cmd
}

type ratesFlags struct {
	channel, campaign, route, from, to string
	groupBy                            []string
	json, csv                          bool
}

func newRatesCmd(g *globals) *cobra.Command {
	var f ratesFlags
	cmd := &cobra.Command{
		Use:   "rates",
		Short: "Print soft and hard rejection rates per channel and campaign, or other groups",
		Long: `rates prints, per channel and campaign (or per channel and the --group-by
groups instead: --group-by domain sums each domain over every campaign), the
messages sent and how many were delivered, soft-rejected and hard-rejected
(and how many recipients unsubscribed through them),
with soft_rate = soft / sent and hard_rate = hard / sent, each with its 95%
Wilson interval. Messages are counted by their send time (--from inclusive,
--to exclusive; RFC 3339 or YYYY-MM-DD); a late bounce updates its send's
row. Rows marked * have fewer sent messages than http.rates_min_volume.`,
		Example: `  rebond rates
  rebond rates --channel email --group-by domain,day --from 2026-11-01
  rebond rates --campaign spring-sale --json
  rebond rates --group-by day --csv > rates.csv
  rebond rates --channel email --group-by provider
  rebond rates --channel sms --group-by route,day
  rebond rates --channel sms --group-by country,carrier`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q, err := f.query()
			if err != nil {
				return err
			}
			cfg, _, err := g.load()
			if err != nil {
				return err
			}
			st, err := store.Open(cmd.Context(), cfg.Database)
			if err != nil {
				return err
			}
			defer st.Close()
			q.MinVolume = cfg.HTTP.RatesMinVolume
			tbl, err := providerTable(cfg)
			if err != nil {
				return err
			}
			rows, err := api.Rates(cmd.Context(), st, q, tbl)
			if err != nil {
				return err
			}
			if f.csv {
				return api.WriteRatesCSV(g.stdout, rows)
			}
			if f.json {
				enc := json.NewEncoder(g.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(map[string]any{"rows": rows})
			}
			printRates(g, rows)
			return nil
		},
	}
	cmd.Flags().StringVar(&f.channel, "channel", "", "email or sms (default: both)")
	cmd.Flags().StringVar(&f.campaign, "campaign", "", "only this campaign")
	cmd.Flags().StringVar(&f.route, "route", "", "only this route (smpp:<gateway>, a webhook's provider..., or unknown)")
	cmd.Flags().StringVar(&f.from, "from", "", "sent at or after (RFC 3339 or YYYY-MM-DD)")
	cmd.Flags().StringVar(&f.to, "to", "", "sent before (RFC 3339 or YYYY-MM-DD)")
	cmd.Flags().StringSliceVar(&f.groupBy, "group-by", nil, "group rows by, besides the channel (default "+
		strings.Join(store.DefaultRateGroups(), ",")+"): any of "+strings.Join(api.RateGroups(), ","))
	cmd.Flags().BoolVar(&f.json, "json", false, "print JSON instead of a table")
	cmd.Flags().BoolVar(&f.csv, "csv", false, "print CSV (the columns of GET /v1/rates?format=csv)")
	cmd.MarkFlagsMutuallyExclusive("json", "csv")
	return cmd
}

func (f ratesFlags) query() (store.RatesQuery, error) {
	q := store.RatesQuery{Channel: channels.Channel(f.channel), Campaign: f.campaign, Route: f.route}
	if f.channel != "" && !q.Channel.Valid() {
		return q, fmt.Errorf("--channel: %q is not one of email, sms", f.channel)
	}
	var err error
	if q.GroupBy, err = api.ParseGroupBy(f.groupBy); err != nil {
		return q, fmt.Errorf("--group-by: %w", err)
	}
	if q.From, err = parseDay("--from", f.from); err != nil {
		return q, err
	}
	q.To, err = parseDay("--to", f.to)
	return q, err
}

func parseDay(flag, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{time.RFC3339, time.DateOnly} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%s: %q is neither RFC 3339 nor YYYY-MM-DD", flag, s)
}

func printRates(g *globals, rows []store.RateRow) {
	if len(rows) == 0 {
		fmt.Fprintln(g.stdout, "no messages sent in this range")
		return
	}
	w := tabwriter.NewWriter(g.stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	// ROUTE, COUNTRY and CARRIER columns only when the rows are grouped
	// by them.
	optional := func(has func(store.RateRow) string) func(string) string {
		present := slices.ContainsFunc(rows, func(r store.RateRow) bool { return has(r) != "" })
		return func(cell string) string {
			if present {
				return cell + "\t"
			}
			return ""
		}
	}
	route := optional(func(r store.RateRow) string { return r.Route })
	country := optional(func(r store.RateRow) string { return r.Country })
	carrier := optional(func(r store.RateRow) string { return r.Carrier })
	fmt.Fprintln(w, "CHANNEL\tCAMPAIGN\tDOMAIN\t"+route("ROUTE")+country("COUNTRY")+carrier("CARRIER")+
		"BUCKET\tSENT\tDELIVERED\tSOFT\tHARD\tPENDING\tUNSUBSCRIBED\tSOFT RATE (95% CI)\tHARD RATE (95% CI)\t ")
	for _, r := range rows {
		if why := r.Reason + r.ReasonGroup; why != "" {
			// By reason, SENT is the group's total and the counts are this
			// reason's: its share of what was sent.
			r.Campaign = dash(r.Campaign) + " / " + why
		}
		bucket := ""
		if r.Bucket != nil {
			bucket = r.Bucket.Format("2006-01-02 15:04")
		}
		flag := ""
		if r.LowVolume {
			flag = "*"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s%s%s%s\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t%s\t%s\n", r.Channel, dash(r.Campaign), dash(where(r)),
			route(r.Route), country(r.Country), carrier(r.Carrier), dash(bucket), r.Sent, r.Delivered, r.Soft, r.Hard, r.Pending, r.Unsubscribed, pct(r.SoftRate, r.SoftRateCI), pct(r.HardRate, r.HardRateCI), flag)
	}
	w.Flush()
	if slices.ContainsFunc(rows, func(r store.RateRow) bool { return r.LowVolume }) {
		fmt.Fprintln(g.stdout, "* low volume: too few messages for the rates to mean much")
	}
}

// where is a row's DOMAIN column: its domain, its mailbox provider
// (--group-by provider), or both.
func where(r store.RateRow) string {
	if r.Provider != "" && r.Domain != "" {
		return r.Provider + ": " + r.Domain
	}
	return r.Provider + r.Domain
}

// pct formats a rate with its interval: "2.00% (1.1–3.6)".
func pct(rate float64, ci channels.Interval) string {
	return fmt.Sprintf("%.2f%% (%.1f–%.1f)", 100*rate, 100*ci.Low, 100*ci.High)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
