package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// classifyEmailDir lays out a directory of inputs for the command: two
// bounces (one in a subdirectory), a mail that is no bounce, a file that
// is no mail, and a dot file that must be skipped.
func classifyEmailDir(tb testing.TB) string {
	tb.Helper()
	dir := tb.TempDir()
	corpus := "../../email/testdata/corpus/maildir/bsd/"
	files := map[string]string{
		"b/postfix.eml": corpus + "lhost-postfix-02.eml",
		"a/qmail.eml":   "",
		"person.eml":    "",
		"notes.txt":     "",
		".hidden.eml":   corpus + "lhost-postfix-02.eml",
	}
	contents := map[string]string{
		"a/qmail.eml": "From: MAILER-DAEMON@mail.example.net\nTo: s@sender.example\nSubject: failure notice\n\n" +
			"Hi. This is the qmail-send program at mail.example.net.\n\n<carol@example.com>:\nRemote host said: 552 5.2.2 mailbox is full\n",
		"person.eml": "From: Grace <grace@example.com>\nTo: s@sender.example\nSubject: Lunch?\n\nAre you free?\n",
		"notes.txt":  "just some notes\nnothing else\n",
	}
	for name, src := range files {
		body := []byte(contents[name])
		if src != "" {
			var err error
			if body, err = os.ReadFile(src); err != nil {
				tb.Fatal(err)
			}
		}
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(path, body, 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	return dir
}

func runClassifyEmail(args ...string) (stdout, stderr string, err error) {
	var out, errb bytes.Buffer
	cmd := newRootCmd(&out, &errb)
	cmd.SetArgs(append([]string{"classify", "email"}, args...))
	err = cmd.Execute()
	return out.String(), errb.String(), err
}

func TestClassifyEmail(t *testing.T) {
	t.Parallel()
	dir := classifyEmailDir(t)
	stdout, stderr, err := runClassifyEmail(dir)
	if err == nil || !strings.Contains(err.Error(), "1 of 4 files") {
		t.Errorf("error %v, want one naming the file that is no mail", err)
	}
	var got []string
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		var r emailRow
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		got = append(got, strings.Join([]string{r.File, r.Recipient, r.Outcome, r.Reason, r.Status, itoaCode(r.SMTPCode), r.Rule}, " "))
	}
	want := []string{
		"a/qmail.eml carol@example.com soft mailbox_full 5.2.2 552 email.status.5.2.2@1",
		"b/postfix.eml filtered@example.co.jp hard user_unknown 5.2.1 550 email.text.user_unknown.status_5.2.1@1",
		"b/postfix.eml userunknown@example.co.jp hard user_unknown 5.1.1 550 email.status.5.1.1@2",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("stdout rows (-want +got):\n%s", diff)
	}
	for _, note := range []string{"person.eml: not a bounce", "notes.txt: not a mail message"} {
		if !strings.Contains(stderr, note) {
			t.Errorf("stderr %q lacks %q", stderr, note)
		}
	}
	if strings.Contains(stdout+stderr, "hidden") {
		t.Error("the dot file was read")
	}
}

func TestClassifyEmailFileAndTable(t *testing.T) {
	t.Parallel()
	dir := classifyEmailDir(t)
	file := filepath.Join(dir, "a", "qmail.eml")
	stdout, stderr, err := runClassifyEmail("--format", "table", file)
	if err != nil {
		t.Fatalf("classify: %v (stderr %q)", err, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "FILE") || !strings.HasPrefix(lines[1], file) || !strings.Contains(lines[1], "mailbox_full") {
		t.Errorf("table:\n%s\nwant a header and one row naming %s as given", stdout, file)
	}
	if _, _, err := runClassifyEmail("--format", "xml", file); err == nil {
		t.Error("--format xml accepted")
	}
	if _, _, err := runClassifyEmail(filepath.Join(dir, "missing")); err == nil {
		t.Error("a missing path accepted")
	}
}

func itoaCode(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// TestClassifyEmailMbox reads an mbox file of two delivery reports (RFC
// 4155 "From " separators): one row per mail, each with its position.
func TestClassifyEmailMbox(t *testing.T) {
	t.Parallel()
	file := "../../email/testdata/corpus/maildir/bsd/rfc3464-28.eml"
	stdout, stderr, err := runClassifyEmail(file)
	if err != nil {
		t.Fatalf("classify: %v (stderr %q)", err, stderr)
	}
	var got []string
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		var r emailRow
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		got = append(got, strings.Join([]string{itoaCode(r.Message), r.Recipient, r.Outcome, r.Status}, " "))
	}
	want := []string{"1 kijitora@neko.example.jp delivered 2.1.5", "2 info@neko.example.jp delivered 2.1.5"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	table, _, err := runClassifyEmail("--format", "table", file)
	if err != nil || !strings.Contains(table, file+"#2") {
		t.Errorf("table (err %v):\n%s\nwant the second mail as %s#2", err, table, file)
	}
}

// TestClassifyMailsRuleLoadFails: when the rules cannot load, the run
// stops with that error, prints nothing and leaves no worker behind.
func TestClassifyMailsRuleLoadFails(t *testing.T) {
	t.Parallel()
	dir := classifyEmailDir(t)
	files, err := mailFiles([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	lr := &lazyRules{done: make(chan struct{}), err: errors.New("rules: broken")}
	close(lr.done)
	var out, errb bytes.Buffer
	err = classifyMails(&globals{stdout: &out, stderr: &errb}, files, lr, "jsonl")
	if err == nil || !strings.Contains(err.Error(), "rules: broken") {
		t.Errorf("error %v, want the rule load's", err)
	}
	if out.Len() != 0 {
		t.Errorf("stdout %q, want nothing", out.String())
	}
}

// TestBatchCommands checks which command lines main tunes as a batch
// (process.TuneBatch): classify email, however the flags are placed, and nothing
// else.
func TestBatchCommands(t *testing.T) {
	root := newRootCmd(io.Discard, io.Discard)
	for _, c := range []struct {
		args  []string
		batch bool
	}{
		{[]string{"classify", "email", "dir"}, true},
		{[]string{"--tenant", "acme", "classify", "email", "--format", "table", "a.eml"}, true},
		{[]string{"classify", "sms", "r.tsv"}, false},
		{[]string{"serve"}, false},
		{[]string{"classify"}, false},
		{[]string{"no-such-command"}, false},
		{nil, false},
	} {
		cmd, _, err := root.Find(c.args)
		if got := err == nil && cmd.Annotations[runtimeAnnotation] == runtimeBatch; got != c.batch {
			t.Errorf("%q: batch %v, want %v", c.args, got, c.batch)
		}
	}
}
