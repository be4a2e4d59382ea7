package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/rebond/rebond/channels/rules"
	"github.com/rebond/rebond/channels/rules/builtin"
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

// mailFile is one input: the path to read and the name to print.
type mailFile struct{ path, name string }

// mailResult is what one file gave: rows for stdout, notes for stderr
// (one per mail of an mbox file at most), and whether a note is an error.
type mailResult struct {
	rows   []emailRow
	notes  []string
	failed bool
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

// mailFiles expands the arguments into the files to read, in order: a
// file as given, a directory's regular files recursively in lexical
// order, dot files and dot directories skipped.
func mailFiles(args []string) ([]mailFile, error) {
	var out []mailFile
	for _, arg := range args {
		info, err := os.Stat(arg)
		if err != nil {
			return nil, err
		}
		if !info.IsDir() {
			out = append(out, mailFile{arg, arg})
			continue
		}
		err = filepath.WalkDir(arg, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if path != arg && strings.HasPrefix(d.Name(), ".") {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if d.Type().IsRegular() {
				rel, rerr := filepath.Rel(arg, path)
				if rerr != nil {
					rel = path
				}
				out = append(out, mailFile{path, filepath.ToSlash(rel)})
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
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

// classifyChunk is how many consecutive files a worker claims at once
// when there are many: one hand-off to the printer per chunk rather than
// per file. chunkSize makes it smaller for short runs, so that a few large
// mbox files still get one worker each.
const classifyChunk = 16

// chunkSize is the chunk for n files and workers workers: classifyChunk,
// or less so that every worker gets at least four chunks.
func chunkSize(n, workers int) int {
	return max(1, min(classifyChunk, n/(4*max(workers, 1))))
}

// classifyMails reads the files with one worker per CPU and prints the
// results in file order as soon as each one's predecessors are printed.
func classifyMails(g *globals, files []mailFile, lr *lazyRules, format string) error {
	results := make([]mailResult, len(files))
	workers := runtime.GOMAXPROCS(0)
	chunk := chunkSize(len(files), workers)
	chunks := (len(files) + chunk - 1) / chunk
	ready := make([]chan struct{}, chunks)
	for i := range ready {
		ready[i] = make(chan struct{})
	}
	var next, done atomic.Int64
	var wg sync.WaitGroup
	for range min(workers, max(chunks, 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range claims(&next, chunks) {
				for i := c * chunk; i < min((c+1)*chunk, len(files)); i++ {
					results[i] = classifyMail(files[i], lr)
					done.Add(1)
				}
				close(ready[c])
			}
		}()
	}
	if _, err := lr.get(); err != nil {
		next.Store(int64(chunks)) // no new chunk: the workers stop
		wg.Wait()
		return err
	}
	stop := progressOnTerminal(g, &done, int64(len(files)))
	out := newEmailWriter(format, g.stdout)
	failed := 0
	var werr error
	for i := range files {
		if i%chunk == 0 {
			<-ready[i/chunk]
		}
		r := &results[i]
		for _, note := range r.notes {
			fmt.Fprintf(g.stderr, "%s: %s\n", files[i].name, note)
		}
		if r.failed {
			failed++
		}
		for _, row := range r.rows {
			if err := out.write(row); err != nil && werr == nil {
				werr = err
			}
		}
		results[i] = mailResult{} // let the rows go
	}
	wg.Wait()
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

// claims yields the indexes below n that the counter next hands out: the
// goroutines ranging over claims of one counter share the indexes, each
// taken once, and setting next to n stops them all.
func claims(next *atomic.Int64, n int) iter.Seq[int] {
	return func(yield func(int) bool) {
		for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
			if !yield(i) {
				return
			}
		}
	}
}

// classifyMail parses and classifies one file: one mail, or each mail of
// an mbox file (email.SplitMbox).
func classifyMail(f mailFile, lr *lazyRules) mailResult {
	raw, err := readMailFile(f.path)
	if err != nil {
		return mailResult{notes: []string{err.Error()}, failed: true}
	}
	msgs := email.SplitMbox(raw)
	if len(msgs) <= 1 {
		rows, note, failed := classifyMessage(f.name, 0, raw, lr)
		res := mailResult{rows: rows, failed: failed}
		if note != "" {
			res.notes = []string{note}
		}
		return res
	}
	// An mbox file may hold thousands of mails: its mails are classified
	// by as many goroutines as there are CPUs, not by this worker alone.
	type message struct {
		rows   []emailRow
		note   string
		failed bool
	}
	out := make([]message, len(msgs))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(msgs)/mboxPerGoroutine+1) {
		wg.Go(func() {
			for i := range claims(&next, len(msgs)) {
				m := &out[i]
				m.rows, m.note, m.failed = classifyMessage(f.name, i+1, msgs[i], lr)
			}
		})
	}
	wg.Wait()
	var res mailResult
	for i, m := range out {
		res.rows = append(res.rows, m.rows...)
		if m.note != "" {
			res.notes = append(res.notes, fmt.Sprintf("message %d: %s", i+1, m.note))
		}
		res.failed = res.failed || m.failed
	}
	return res
}

// mboxPerGoroutine is how many mails of one mbox file make it worth
// another goroutine.
const mboxPerGoroutine = 64

// classifyMessage parses and classifies one mail (message n of an mbox
// file, 0 for a file of one mail): its rows, or a note saying why there
// are none and whether that is an error.
func classifyMessage(name string, n int, raw []byte, lr *lazyRules) ([]emailRow, string, bool) {
	rep, err := email.ParseOwned(raw) // raw is this mail's own buffer
	if err != nil {
		return nil, err.Error(), true
	}
	if rep.Kind == email.KindNone {
		return nil, "not a bounce: " + rep.Why, false
	}
	evs := rep.Events(email.EventOptions{MaxRaw: -1})
	if len(evs) == 0 {
		return nil, fmt.Sprintf("%s (%s) names no recipient", rep.Kind, rep.Format), false
	}
	set, _ := lr.get() // a load error ends the run (classifyMails)
	rows := make([]emailRow, len(evs))
	for i, e := range evs {
		v := set.Classify(e)
		rows[i] = emailRow{File: name, Message: n, Recipient: e.Recipient, Outcome: string(v.Outcome), Reason: string(v.Reason), Rule: v.Rule, Evidence: v.Evidence}
		if e.SMTP != nil {
			rows[i].Status, rows[i].SMTPCode = e.SMTP.Status, e.SMTP.Code
		}
	}
	return rows, "", false
}

// progressOnTerminal starts bench's progress line after progressAfter
// when stderr is a terminal, and returns the function that stops it.
func progressOnTerminal(g *globals, n *atomic.Int64, total int64) func() {
	f, ok := g.stderr.(interface{ Fd() uintptr })
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return func() {}
	}
	var mu sync.Mutex
	stopped := false
	var stopLine func()
	timer := time.AfterFunc(progressAfter, func() {
		mu.Lock()
		defer mu.Unlock()
		if !stopped {
			stopLine = progress(g, "classified", n, total)
		}
	})
	return func() {
		timer.Stop()
		mu.Lock()
		defer mu.Unlock()
		stopped = true
		if stopLine != nil {
			stopLine()
		}
	}
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
