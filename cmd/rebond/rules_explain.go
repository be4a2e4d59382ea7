package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/rebond/rebond/rulebook"
)

// sampleOf reads what explain was given into a sample, guessing its kind
// unless as says: an event JSON object, an SMTP reply line, an SMS
// receipt (with --sms-format), else a mail.
func sampleOf(data []byte, as, smsFormat, dialect, provider string) (rulebook.Sample, error) {
	s := rulebook.Sample{Provider: provider}
	text := strings.TrimSpace(string(data))
	if as == "" {
		switch {
		case smsFormat != "":
			as = "receipt"
		case strings.HasPrefix(text, "{"):
			as = "event"
		case looksLikeReply(text):
			as = "reply"
		default:
			as = "mail"
		}
	}
	switch as {
	case "event":
		s.Event = json.RawMessage(text)
	case "reply":
		s.Reply = text
	case "mail":
		s.Mail = string(data)
	case "receipt":
		s.Receipt = &rulebook.Receipt{Format: smsFormat, Payload: string(data), Dialect: dialect}
	default:
		return s, fmt.Errorf("--as: %q is not one of event, reply, mail, receipt", as)
	}
	return s, nil
}

// looksLikeReply reports whether every line starts with an SMTP reply code
// (RFC 5321 section 4.2: three digits, then a space, a hyphen or nothing).
func looksLikeReply(text string) bool {
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimRight(line, "\r")
		if len(line) < 3 || line[0] < '2' || line[0] > '5' || line[1] < '0' || line[1] > '9' || line[2] < '0' || line[2] > '9' ||
			(len(line) > 3 && line[3] != ' ' && line[3] != '-') {
			return false
		}
	}
	return text != ""
}

func newRulesExplainCmd(g *globals) *cobra.Command {
	var as, smsFormat, dialect, provider string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "explain FILE",
		Short: "Trace how the rules decide a sample: a bounce mail, an SMTP reply, an SMS receipt or an event",
		Long: `explain reads a sample and prints, for each event it gives, every rule the live
rules (built-in and operator) evaluate in order, the condition that failed
for each, and the rule that decided with its verdict and evidence. The kind
of sample is guessed (a JSON object is an event, lines starting with an SMTP
reply code a reply, anything else a mail) unless --as says; an SMS receipt
needs --sms-format (smpp-text, the formats of dlr.ParseReceipt).`,
		Example: `  rebond rules explain bounce.eml
  echo '550 5.1.1 <a@example.com>: Recipient address rejected' | rebond rules explain -
  rebond rules explain --sms-format smpp-text --dialect map receipt.txt
  rebond rules explain --json event.json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			data, err := readFile(args[0], maxSampleBytes)
			if err != nil {
				return err
			}
			sample, err := sampleOf(data, as, smsFormat, dialect, provider)
			if err != nil {
				return err
			}
			return g.withBook(cmd.Context(), func(b *rulebook.Book) error {
				ex, err := b.Explain(cmd.Context(), sample)
				if err != nil || asJSON {
					return errOr(err, func() error { return g.printJSON(map[string]any{"explanations": ex}) })
				}
				for _, x := range ex {
					printTrace(g.stdout, x)
				}
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&as, "as", "", "the sample's kind: event, reply, mail or receipt (default: guessed)")
	cmd.Flags().StringVar(&smsFormat, "sms-format", "", "the receipt's format (dlr.ParseReceipt)")
	cmd.Flags().StringVar(&dialect, "dialect", "", "the receipt connection's err: dialect (map, twilio-smpp, ...)")
	cmd.Flags().StringVar(&provider, "provider", "", "the provider a reply or receipt came from")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// printTrace prints one explanation as a table of the rules evaluated.
func printTrace(w io.Writer, x rulebook.Explanation) {
	e := x.Event
	fmt.Fprintf(w, "event %s %s", e.Channel, e.Type)
	if e.Recipient != "" {
		fmt.Fprintf(w, " to %s", e.Recipient)
	}
	if e.SMTP != nil {
		fmt.Fprintf(w, " smtp code=%d status=%q text=%q", e.SMTP.Code, e.SMTP.Status, e.SMTP.Text)
	}
	if e.SMS != nil {
		fmt.Fprintf(w, " sms stat=%q err=%q dialect=%q", e.SMS.Stat, e.SMS.Err, e.SMS.Dialect)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for i, st := range x.Trace.Steps {
		result := "no: " + st.Detail
		if st.Matched {
			result = "MATCH"
		}
		fmt.Fprintf(tw, "  %d\t%s\t%d\t%s\n", i+1, st.Rule, st.Priority, result)
	}
	tw.Flush()
	v := x.Trace.Verdict
	how := "decided by"
	if x.Trace.Fallback {
		how = "no rule matched; fallback"
	}
	fmt.Fprintf(w, "verdict: %s/%s, %s %s (%s); %d rules not reached\n\n", v.Outcome, v.Reason, how, v.Rule, v.Evidence, x.Trace.NotReached)
}
