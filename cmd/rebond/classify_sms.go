package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/channels/rules"
	"github.com/rebond/rebond/channels/rules/builtin"
	"github.com/rebond/rebond/sms"
	"github.com/rebond/rebond/sms/dlr"
)

// smsRow is one classified receipt as `rebond classify sms` prints it.
type smsRow struct {
	ID       string `json:"id"`
	Outcome  string `json:"outcome"`
	Reason   string `json:"reason"`
	Rule     string `json:"rule"`
	Evidence string `json:"evidence"`
}

// maxTSVLine bounds one line of the input file.
const maxTSVLine = sms.MaxPayloadLen + 4<<10

func newClassifySMSCmd(g *globals) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "sms FILE.tsv",
		Short: "Classify SMS delivery receipts from a TSV file, offline",
		Long: `sms reads a TSV file with a header line naming at least the columns id,
format, dialect and payload (the layout of sms/testdata/receipts.tsv: TAB
separated, no quoting), parses each payload as its format says (smpp-text,
smpp-text-csv, smpp-tlv, smpp-pdu-hex, kannel-http, jasmin-http, twilio,
vonage, infobip, plivo, sinch) with the row's err dialect, classifies it
with the embedded rules (configs/rules/*.yaml) and prints one verdict per
row. A row that cannot be parsed prints outcome "error" and the message;
no row is dropped. "-" reads standard input.`,
		Example: `  rebond classify sms sms/testdata/receipts.tsv
  rebond classify sms --format table receipts.tsv`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "jsonl" && format != "table" {
				return fmt.Errorf("--format: %q is not jsonl or table", format)
			}
			set, err := builtin.Load("rules/*.yaml")
			if err != nil {
				return err
			}
			return classifySMSFile(args[0], set, format, g.stdout)
		},
	}
	cmd.Flags().StringVar(&format, "format", "jsonl", "output: jsonl (one JSON object per row) or table")
	return cmd
}

// classifySMSFile opens path ("-" for stdin) and classifies its rows.
func classifySMSFile(path string, set *rules.Set, format string, w io.Writer) error {
	in := io.Reader(os.Stdin)
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return fmt.Errorf("classify sms: %w", err)
		}
		defer f.Close()
		in = f
	}
	out := newRowWriter(format, w)
	if err := classifySMSRows(in, set, out.write); err != nil {
		return fmt.Errorf("classify sms: %s: %w", path, err)
	}
	return out.flush()
}

// classifySMSRows reads the TSV and hands one row per data line to emit.
func classifySMSRows(in io.Reader, set *rules.Set, emit func(smsRow) error) error {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64<<10), maxTSVLine)
	if !sc.Scan() {
		if err := sc.Err(); err != nil {
			return err
		}
		return errors.New("empty file: want a header line")
	}
	col, err := tsvColumns(sc.Text())
	if err != nil {
		return err
	}
	for line := 2; sc.Scan(); line++ {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		for _, r := range classifySMSLine(sc.Text(), line, col, set) {
			if err := emit(r); err != nil {
				return err
			}
		}
	}
	return sc.Err()
}

// tsvColumns maps the required column names to their index.
func tsvColumns(header string) (map[string]int, error) {
	col := map[string]int{}
	for i, name := range strings.Split(header, "\t") {
		col[strings.TrimSpace(name)] = i
	}
	for _, need := range []string{"id", "format", "dialect", "payload"} {
		if _, ok := col[need]; !ok {
			return nil, fmt.Errorf("header: no %q column", need)
		}
	}
	return col, nil
}

// classifySMSLine parses and classifies one data line into one row per
// receipt (an Infobip webhook may batch several: id#1, id#2…); any failure
// is one "error" row naming the line, with the message as its evidence.
func classifySMSLine(text string, line int, col map[string]int, set *rules.Set) []smsRow {
	f := strings.Split(text, "\t")
	get := func(name string) string {
		if i := col[name]; i < len(f) {
			return f[i]
		}
		return ""
	}
	id := get("id")
	if id == "" {
		id = fmt.Sprintf("line-%d", line)
	}
	if len(f) < len(col) {
		return []smsRow{{ID: id, Outcome: "error", Evidence: fmt.Sprintf("line %d: %d fields, want %d", line, len(f), len(col))}}
	}
	evs, err := dlr.ParseReceipts(get("format"), []byte(get("payload")), get("dialect"))
	if err != nil {
		return []smsRow{{ID: id, Outcome: "error", Evidence: fmt.Sprintf("line %d: %v", line, err)}}
	}
	rows := make([]smsRow, len(evs))
	for i, e := range evs {
		rows[i] = verdictRow(id, set.Classify(e))
		if len(evs) > 1 {
			rows[i].ID = fmt.Sprintf("%s#%d", id, i+1)
		}
	}
	return rows
}

func verdictRow(id string, v channels.Verdict) smsRow {
	return smsRow{ID: id, Outcome: string(v.Outcome), Reason: string(v.Reason), Rule: v.Rule, Evidence: v.Evidence}
}

// rowWriter prints rows as JSON lines or as an aligned table.
type rowWriter struct {
	enc *json.Encoder
	tw  *tabwriter.Writer
}

func newRowWriter(format string, w io.Writer) *rowWriter {
	if format == "table" {
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tOUTCOME\tREASON\tRULE\tEVIDENCE")
		return &rowWriter{tw: tw}
	}
	return &rowWriter{enc: json.NewEncoder(w)}
}

func (rw *rowWriter) write(r smsRow) error {
	if rw.tw != nil {
		_, err := fmt.Fprintf(rw.tw, "%s\t%s\t%s\t%s\t%s\n", r.ID, r.Outcome, r.Reason, r.Rule, r.Evidence)
		return err
	}
	return rw.enc.Encode(r)
}

func (rw *rowWriter) flush() error {
	if rw.tw != nil {
		return rw.tw.Flush()
	}
	return nil
}
