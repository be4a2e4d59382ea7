package email

import (
	"fmt"
	"iter"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/rebond/rebond/channels"
)

// Classifier gives an event its verdict (a rule set does).
type Classifier interface {
	Classify(channels.Event) channels.Verdict
}

// Classified is one recipient of a bounce mail and its verdict.
type Classified struct {
	// Message is the 1-based position of the mail in an mbox file that
	// holds several (RFC 4155); 0 for a file of one mail.
	Message   int
	Recipient string
	// Status and SMTPCode are the RFC 3463 status and the SMTP reply code
	// of a delivery status notification; empty and 0 otherwise.
	Status   string
	SMTPCode int
	Verdict  channels.Verdict
}

// FileResult is what one file gave: its recipients with their verdicts,
// in mail then report order; a note for each mail that gave none, saying
// why (prefixed "message N: " in an mbox file of several); and whether a
// note is an error (the file, or one of its mails, is not mail at all).
type FileResult struct {
	File       MailFile
	Recipients []Classified
	Notes      []string
	Failed     bool
}

// ClassifyOptions tune ClassifyFiles; the zero value is the default.
type ClassifyOptions struct {
	// Workers is how many files are read at once; 0 means GOMAXPROCS.
	Workers int
	// Progress, when set, is called once per file classified, from the
	// workers, concurrently.
	Progress func()
}

// ClassifyFiles reads, parses and classifies the files with several
// workers and yields each file's result in the order of files, as soon
// as it and those before it are done. A file that is an mbox has its
// mails classified by several goroutines too. Parsing does not wait for
// the classifier: c is called only for mails that name recipients, so
// a classifier still loading delays only those. Stopping the iteration
// stops the workers; it returns once they have.
func ClassifyFiles(files []MailFile, c Classifier, opt ClassifyOptions) iter.Seq[FileResult] {
	return func(yield func(FileResult) bool) {
		b := startBatch(files, c, opt)
		defer b.stop()
		for i := range files {
			if !yield(b.take(i)) {
				return
			}
		}
	}
}

// batch is a ClassifyFiles run: workers claim chunks of consecutive
// files and close the chunk's ready channel once its results are in.
type batch struct {
	files   []MailFile
	results []FileResult
	chunk   int
	ready   []chan struct{}
	next    atomic.Int64
	wg      sync.WaitGroup
}

// classifyChunk is how many consecutive files a worker claims at once
// when there are many: one hand-off to the reader per chunk rather than
// per file. chunkSize makes it smaller for short runs, so that a few
// large mbox files still get one worker each.
const classifyChunk = 16

// chunkSize is the chunk for n files and workers workers: classifyChunk,
// or less so that every worker gets at least four chunks.
func chunkSize(n, workers int) int {
	return max(1, min(classifyChunk, n/(4*max(workers, 1))))
}

func startBatch(files []MailFile, c Classifier, opt ClassifyOptions) *batch {
	workers := opt.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	b := &batch{files: files, results: make([]FileResult, len(files)), chunk: chunkSize(len(files), workers)}
	b.ready = make([]chan struct{}, (len(files)+b.chunk-1)/b.chunk)
	for i := range b.ready {
		b.ready[i] = make(chan struct{})
	}
	for range min(workers, max(len(b.ready), 1)) {
		b.wg.Go(func() {
			for ch := range claims(&b.next, len(b.ready)) {
				for i := ch * b.chunk; i < min((ch+1)*b.chunk, len(files)); i++ {
					b.results[i] = classifyFile(files[i], c, workers)
					if opt.Progress != nil {
						opt.Progress()
					}
				}
				close(b.ready[ch])
			}
		})
	}
	return b
}

// take waits for file i's result and hands it over, dropping the batch's
// reference so that its rows can go once the caller is done with them.
func (b *batch) take(i int) FileResult {
	if i%b.chunk == 0 {
		<-b.ready[i/b.chunk]
	}
	r := b.results[i]
	b.results[i] = FileResult{}
	return r
}

// stop lets the workers claim no new chunk and waits for them.
func (b *batch) stop() {
	b.next.Store(int64(len(b.ready)))
	b.wg.Wait()
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

// mboxPerGoroutine is how many mails of one mbox file make it worth
// another goroutine.
const mboxPerGoroutine = 64

// classifyFile parses and classifies one file: one mail, or each mail of
// an mbox file (SplitMbox), the mails of a large one by up to workers
// goroutines.
func classifyFile(f MailFile, c Classifier, workers int) FileResult {
	res := FileResult{File: f}
	raw, err := readMailFile(f.Path)
	if err != nil {
		res.Notes, res.Failed = []string{err.Error()}, true
		return res
	}
	msgs := SplitMbox(raw)
	if len(msgs) <= 1 {
		m := classifyMessage(0, raw, c)
		res.Recipients, res.Failed = m.rows, m.failed
		if m.note != "" {
			res.Notes = []string{m.note}
		}
		return res
	}
	out := make([]mailVerdicts, len(msgs))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(workers, len(msgs)/mboxPerGoroutine+1) {
		wg.Go(func() {
			for i := range claims(&next, len(msgs)) {
				out[i] = classifyMessage(i+1, msgs[i], c)
			}
		})
	}
	wg.Wait()
	for i, m := range out {
		res.Recipients = append(res.Recipients, m.rows...)
		if m.note != "" {
			res.Notes = append(res.Notes, fmt.Sprintf("message %d: %s", i+1, m.note))
		}
		res.Failed = res.Failed || m.failed
	}
	return res
}

// mailVerdicts is what one mail gave: its rows, or a note saying why there
// are none and whether that is an error.
type mailVerdicts struct {
	rows   []Classified
	note   string
	failed bool
}

// classifyMessage parses and classifies one mail, message n of an mbox
// file (0 for a file of one mail); raw is the mail's own buffer.
func classifyMessage(n int, raw []byte, c Classifier) mailVerdicts {
	rep, err := ParseOwned(raw)
	if err != nil {
		return mailVerdicts{note: err.Error(), failed: true}
	}
	if rep.Kind == KindNone {
		return mailVerdicts{note: "not a bounce: " + rep.Why}
	}
	evs := rep.Events(EventOptions{MaxRaw: -1})
	if len(evs) == 0 {
		return mailVerdicts{note: fmt.Sprintf("%s (%s) names no recipient", rep.Kind, rep.Format)}
	}
	rows := make([]Classified, len(evs))
	for i, e := range evs {
		rows[i] = Classified{Message: n, Recipient: e.Recipient, Verdict: c.Classify(e)}
		if e.SMTP != nil {
			rows[i].Status, rows[i].SMTPCode = e.SMTP.Status, e.SMTP.Code
		}
	}
	return mailVerdicts{rows: rows}
}
