package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/channels/rules"
	"github.com/rebond/rebond/channels/rules/builtin"
	"github.com/rebond/rebond/cmd/internal/progress"
	"github.com/rebond/rebond/email"
)

// emailRow is one classified recipient as `rebond classify email` prints
// it.
type emailRow struct {
	File string `json:"file"`
	// Message is the 1-based position of the mail in an mbox file that
	// holds several (RFC 4155); 0, and left out, for a file of one mail.
	Message   int    `json:"message,omitempty"`
	Recipient string `json:"recipient"`
	Outcome   string `json:"outcome"`
	Reason    string `json:"reason"`
	Status    string `json:"status"`
	SMTPCode  int    `json:"smtp_code"`
	Rule      string `json:"rule"`
	Evidence  string `json:"evidence"`
}

// progressAfter is how long a run goes before it shows a progress line.
const progressAfter = 2 * time.Second

func newClassifyEmailCmd(g *globals) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "email PATH...",
		Short: "Classify bounce mails (files or directories), offline",
		Long: `email reads bounce mails from files and directories (recursively, skipping
dot files), parses each (RFC 3464 DSNs, the non-standard bounces of MTAs and
providers, ARF complaints, RFC 3834 auto-replies), classifies every recipient
with the embedded email rules (configs/rules/email*.yaml) and prints one line per
recipient: file (relative to the directory argument, or as given), recipient,
outcome, reason, status, smtp_code, rule and evidence. No server is needed.

A file may be an mbox (RFC 4155: mails after "From " separator lines); each of
its mails is read, and its rows carry the mail's position ("message" in jsonl,
FILE#N in the table).

A mail that reports nothing (not a bounce) prints nothing on stdout and a note
on stderr. A file that is not a mail at all gets a note on stderr; the other
files are still read, and the command exits non-zero at the end. Files, and
the mails of a large mbox file, are read in parallel (GOMAXPROCS); the output
keeps the order of the arguments, within a directory the lexical order of
paths, and within an mbox file the order of its mails. A progress line appears
on stderr when it is a terminal and the run lasts more than two seconds.`,
		Example: `  rebond classify email bounce.eml
  rebond classify email --format table email/testdata/corpus/maildir
  rebond classify email maildir/ > verdicts.jsonl`,
		Args:        cobra.MinimumNArgs(1),
		Annotations: map[string]string{runtimeAnnotation: runtimeBatch},
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "jsonl" && format != "table" {
				return fmt.Errorf("--format: %q is not jsonl or table", format)
			}
			// Only the email rule files: the SMS ones would cost a third
			// of the start-up for rules that never match a mail. They
			// load while the first files are read and parsed.
			set := loadRulesAsync("rules/email*.yaml")
			files, err := mailFiles(args)
			if err != nil {
				return fmt.Errorf("classify email: %w", err)
			}
			if len(files) == 0 {
				return fmt.Errorf("classify email: %w", errNoFiles)
			}
			return classifyMails(g, files, set, format)
		},
	}
	cmd.Flags().StringVar(&format, "format", "jsonl", "output: jsonl (one JSON object per recipient) or table")
	return cmd
}

// lazyRules is a rule set loading in the background: parsing a mail does
// not need it, only classifying its events does.
type lazyRules struct {
	done chan struct{}
	set  *rules.Set
	err  error
}

// loadRulesAsync starts loading the shipped rule files that match
// pattern (builtin.Load: no YAML to parse).
func loadRulesAsync(pattern string) *lazyRules {
	l := &lazyRules{done: make(chan struct{})}
	go func() {
		defer close(l.done)
		l.set, l.err = builtin.Load(pattern)
	}()
	return l
}

// get waits for the rule set.
func (l *lazyRules) get() (*rules.Set, error) {
	<-l.done
	return l.set, l.err
}

// Classify waits for the rule set and classifies e with it; after a load
// error it classifies with no rules, and classifyMails prints nothing.
func (l *lazyRules) Classify(e channels.Event) channels.Verdict {
	set, _ := l.get()
	return set.Classify(e)
}

// mailFiles lists the files of mail under the arguments (email.MailFiles).
func mailFiles(args []string) ([]email.MailFile, error) {
	var files []email.MailFile
	for f, err := range email.MailFiles(args...) {
		if err != nil {
			return nil, err
		}
		files = append(files, f)
	}
	return files, nil
}

// classifyMails classifies the files (email.ClassifyFiles) and prints
// the results in file order. A rule set that fails to load ends the run
// before anything is printed.
func classifyMails(g *globals, files []email.MailFile, lr *lazyRules, format string) error {
	var done atomic.Int64
	stop := progressOnTerminal(g, &done, int64(len(files)))
	out := newEmailWriter(format, g.stdout)
	failed, loaded := 0, false
	var werr error
	for r := range email.ClassifyFiles(files, lr, email.ClassifyOptions{Progress: func() { done.Add(1) }}) {
		if !loaded {
			if _, err := lr.get(); err != nil {
				stop()
				return err
			}
			loaded = true
		}
		if r.Failed {
			failed++
		}
		if err := printResult(g, out, r); err != nil && werr == nil {
			werr = err
		}
	}
	stop()
	if err := out.flush(); err != nil && werr == nil {
		werr = err
	}
	if werr != nil {
		return fmt.Errorf("classify email: write: %w", werr)
	}
	if failed > 0 {
		return fmt.Errorf("classify email: %d of %d files could not be read as mail", failed, len(files))
	}
	return nil
}

// printResult prints a file's notes on stderr and its rows on stdout.
func printResult(g *globals, out *emailWriter, r email.FileResult) error {
	for _, note := range r.Notes {
		fmt.Fprintf(g.stderr, "%s: %s\n", r.File.Name, note)
	}
	var werr error
	for _, c := range r.Recipients {
		row := emailRow{File: r.File.Name, Message: c.Message, Recipient: c.Recipient, Outcome: string(c.Verdict.Outcome),
			Reason: string(c.Verdict.Reason), Status: c.Status, SMTPCode: c.SMTPCode, Rule: c.Verdict.Rule, Evidence: c.Verdict.Evidence}
		if err := out.write(row); err != nil && werr == nil {
			werr = err
		}
	}
	return werr
}

// progressOnTerminal shows a progress line on a terminal once a run has
// lasted progressAfter.
func progressOnTerminal(g *globals, n *atomic.Int64, total int64) func() {
	return progress.OnTerminal(g.stderr, progressAfter, "classified", n, total)
}

// emailWriter prints rows as JSON lines or as an aligned table.
type emailWriter struct {
	w   io.Writer
	tw  *tabwriter.Writer
	buf []byte
}

func newEmailWriter(format string, w io.Writer) *emailWriter {
	if format == "table" {
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "FILE\tRECIPIENT\tOUTCOME\tREASON\tSTATUS\tCODE\tRULE\tEVIDENCE")
		return &emailWriter{tw: tw}
	}
	return &emailWriter{w: w}
}

func (ew *emailWriter) write(r emailRow) error {
	if ew.tw != nil {
		code := ""
		if r.SMTPCode != 0 {
			code = strconv.Itoa(r.SMTPCode)
		}
		file := r.File
		if r.Message > 0 {
			file += "#" + strconv.Itoa(r.Message)
		}
		_, err := fmt.Fprintf(ew.tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", file, r.Recipient, r.Outcome, r.Reason, r.Status, code, r.Rule, r.Evidence)
		return err
	}
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	ew.buf = append(append(ew.buf, b...), '\n')
	if len(ew.buf) < 64<<10 {
		return nil
	}
	return ew.flushBuf()
}

func (ew *emailWriter) flushBuf() error {
	_, err := ew.w.Write(ew.buf)
	ew.buf = ew.buf[:0]
	return err
}

func (ew *emailWriter) flush() error {
	if ew.tw != nil {
		return ew.tw.Flush()
	}
	return ew.flushBuf()
}

// errNoFiles is returned when the directories given hold no file.
var errNoFiles = errors.New("no files to read")
