package email_test

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rebond/rebond/email"
)

// TestMailFiles: a file is yielded as given; a directory's regular files
// recursively, in lexical order, named relative to it with slashes, dot
// files and dot directories skipped; a missing path ends the iteration
// with its error.
func TestMailFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, name := range []string{"b/2.eml", "a/1.eml", "c.eml", ".hidden.eml", ".git/x.eml", "a/.swp"} {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	single := filepath.Join(dir, "c.eml")
	var got []string
	for f, err := range email.MailFiles(single, dir) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, f.Name+" "+f.Path)
	}
	want := []string{
		single + " " + single,
		"a/1.eml " + filepath.Join(dir, "a", "1.eml"),
		"b/2.eml " + filepath.Join(dir, "b", "2.eml"),
		"c.eml " + single,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	var errs []error
	n := 0
	for _, err := range email.MailFiles(single, filepath.Join(dir, "missing"), dir) {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		n++
	}
	if n != 1 || len(errs) != 1 || !errors.Is(errs[0], fs.ErrNotExist) {
		t.Errorf("%d files then %v; want 1 file, then ErrNotExist and nothing more", n, errs)
	}
}

// collect runs ClassifyFiles over files with the shipped rules.
func collect(t *testing.T, files []email.MailFile) []email.FileResult {
	t.Helper()
	return slices.Collect(email.ClassifyFiles(files, loadRules(t), email.ClassifyOptions{}))
}

// TestClassifyFilesLargeMbox: the mails of an mbox file large enough to
// be shared among goroutines (MboxPerGoroutine) come out in file order,
// each with its position, and a mail that is no bounce gets its own note.
func TestClassifyFilesLargeMbox(t *testing.T) {
	t.Parallel()
	const n = 5*email.MboxPerGoroutine + 3
	var mbox strings.Builder
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&mbox, "From MAILER-DAEMON  Thu Apr 29 23:34:45 2015\n")
		if i == 100 {
			mbox.WriteString("From: ann@example.com\nTo: bob@example.net\nSubject: lunch\n\nSee you at noon.\n\n")
			continue
		}
		fmt.Fprintf(&mbox, "From: MAILER-DAEMON@mx.example.net\nTo: sender@example.com\nSubject: Undelivered Mail Returned to Sender\n"+
			"Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\n\n--b\nContent-Type: text/plain\n\nbounce\n\n"+
			"--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.net\n\n"+
			"Final-Recipient: rfc822; user%d@example.org\nAction: failed\nStatus: 5.1.1\n"+
			"Diagnostic-Code: smtp; 550 5.1.1 user unknown\n\n--b--\n\n", i)
	}
	file := filepath.Join(t.TempDir(), "bounces.mbox")
	if err := os.WriteFile(file, []byte(mbox.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	res := collect(t, []email.MailFile{{Path: file, Name: "bounces.mbox"}})
	if len(res) != 1 || res[0].Failed {
		t.Fatalf("results %+v, want one that did not fail", res)
	}
	rows := res[0].Recipients
	if len(rows) != n-1 {
		t.Fatalf("%d rows, want %d", len(rows), n-1)
	}
	want := 1
	for _, r := range rows {
		if want == 100 {
			want++
		}
		if r.Message != want || r.Recipient != fmt.Sprintf("user%d@example.org", want) || r.Verdict.Reason != "user_unknown" {
			t.Fatalf("row %+v, want message %d for user%d@example.org, user_unknown", r, want, want)
		}
		want++
	}
	if len(res[0].Notes) != 1 || !strings.HasPrefix(res[0].Notes[0], "message 100: not a bounce") {
		t.Errorf("notes %q, want the note of message 100", res[0].Notes)
	}
}

// TestClassifyFilesOrderAcrossChunks: files are claimed by workers in
// chunks (ChunkSize); the results still come out in the order given.
func TestClassifyFilesOrderAcrossChunks(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("testdata/corpus/maildir/bsd/lhost-postfix-02.eml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	n := 3*email.ClassifyChunk + 5
	var files []email.MailFile
	for i := range n {
		name := fmt.Sprintf("m%03d.eml", i)
		if err := os.WriteFile(filepath.Join(dir, name), raw, 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, email.MailFile{Path: filepath.Join(dir, name), Name: name})
	}
	res := collect(t, files)
	if len(res) != n {
		t.Fatalf("%d results, want %d", len(res), n)
	}
	for i, r := range res {
		if want := fmt.Sprintf("m%03d.eml", i); r.File.Name != want || len(r.Recipients) == 0 {
			t.Fatalf("result %d is %s with %d rows, want %s with rows", i, r.File.Name, len(r.Recipients), want)
		}
	}
}

// TestClassifyFilesStop: a caller that stops early gets no more results,
// and the iteration returns only once the workers have stopped.
func TestClassifyFilesStop(t *testing.T) {
	t.Parallel()
	file := email.MailFile{Path: "testdata/corpus/maildir/bsd/lhost-postfix-02.eml", Name: "p.eml"}
	files := slices.Repeat([]email.MailFile{file}, 4*email.ClassifyChunk)
	var done atomic.Int64
	n := 0
	for range email.ClassifyFiles(files, loadRules(t), email.ClassifyOptions{Workers: 2, Progress: func() { done.Add(1) }}) {
		n++
		if n == 3 {
			break
		}
	}
	after := done.Load()
	time.Sleep(50 * time.Millisecond)
	if n != 3 || done.Load() != after {
		t.Errorf("%d results after a break at 3; %d files classified when it returned, %d later", n, after, done.Load())
	}
}

// TestClassifyFilesNotMail: a file that is no mail, or cannot be read,
// fails with a note; a mail that is no bounce gets a note only.
func TestClassifyFilesNotMail(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	notes := filepath.Join(dir, "notes.txt")
	person := filepath.Join(dir, "person.eml")
	if err := os.WriteFile(notes, []byte("just some notes\nnothing else\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(person, []byte("From: Grace <grace@example.com>\nTo: s@sender.example\nSubject: Lunch?\n\nAre you free?\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	res := collect(t, []email.MailFile{{Path: notes, Name: "notes.txt"}, {Path: person, Name: "person.eml"}, {Path: filepath.Join(dir, "gone"), Name: "gone"}})
	var got []string
	for _, r := range res {
		got = append(got, fmt.Sprintf("%s %v %d %q", r.File.Name, r.Failed, len(r.Recipients), r.Notes))
	}
	for i, want := range []string{"notes.txt true 0 [\"not a mail message", "person.eml false 0 [\"not a bounce", "gone true 0 [\"open "} {
		if !strings.HasPrefix(got[i], want) {
			t.Errorf("result %d: %s, want prefix %s", i, got[i], want)
		}
	}
}

// TestChunkSize: few files get chunks of one (a worker each, whatever
// their size: large mbox files); many get ClassifyChunk.
func TestChunkSize(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ n, workers, want int }{
		{0, 2, 1}, {1, 2, 1}, {4, 2, 1}, {16, 2, 2}, {53, 2, 6}, {2970, 2, email.ClassifyChunk}, {100, 0, email.ClassifyChunk},
	} {
		if got := email.ChunkSize(tt.n, tt.workers); got != tt.want {
			t.Errorf("ChunkSize(%d, %d) = %d, want %d", tt.n, tt.workers, got, tt.want)
		}
	}
}
