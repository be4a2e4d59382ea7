package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// How TestReadme reads README.md: its shell blocks with their expected
// output, and the comparison of an output with what the README shows.

// The kinds of README shell blocks (TestReadme).
const (
	blockRun    = "sh"
	blockServer = "server"
	blockNoRun  = "norun"
)

// docBlock is one shell block of the README and the output it must give.
type docBlock struct {
	line       int    // of the opening fence, 1-based
	kind       string // blockRun, blockServer or blockNoRun
	text       string
	want       string // the following output block; "" when none
	hasWant    bool
	eventually bool // the output may take a while (re-run until it matches)
}

// readmeBlocks returns the shell blocks of a Markdown text, each with its
// expected output, in order; an unknown attribute or an output block
// that follows no runnable block is an error.
func readmeBlocks(md string) ([]docBlock, error) {
	var (
		blocks []docBlock
		open   bool
		indent int
		info   []string
		start  int
		body   []string
		prev   = -1 // index in blocks of the fenced block just closed, if a shell one
	)
	for i, line := range strings.Split(md, "\n") {
		trimmed := strings.TrimLeft(line, " ")
		fence := strings.HasPrefix(trimmed, "```")
		switch {
		case !open && fence:
			open, indent, start, body = true, len(line)-len(trimmed), i+1, nil
			info = strings.Fields(strings.TrimPrefix(trimmed, "```"))
		case open && fence && strings.TrimSpace(trimmed) == "```":
			open = false
			var err error
			if prev, err = addBlock(&blocks, prev, start, info, strings.Join(body, "\n")); err != nil {
				return nil, fmt.Errorf("line %d: %w", start, err)
			}
		case open:
			body = append(body, line[min(indent, len(line)-len(strings.TrimLeft(line, " "))):])
		}
	}
	if open {
		return nil, fmt.Errorf("line %d: fence never closed", start)
	}
	return blocks, nil
}

// addBlock records a closed fenced block: a shell block is appended, an
// output block fills the shell block just before it. It returns the index
// of the block an output block may follow (-1: none).
func addBlock(blocks *[]docBlock, prev, line int, info []string, text string) (int, error) {
	lang, attrs := "", info
	if len(info) > 0 {
		lang, attrs = info[0], info[1:]
	}
	switch lang {
	case "sh", "bash", "shell":
		kind := blockRun
		if len(attrs) > 1 || len(attrs) == 1 && attrs[0] != blockServer && attrs[0] != blockNoRun {
			return -1, fmt.Errorf("shell block attributes %q: want none, %q or %q", attrs, blockServer, blockNoRun)
		}
		if len(attrs) == 1 {
			kind = attrs[0]
		}
		*blocks = append(*blocks, docBlock{line: line, kind: kind, text: text})
		return len(*blocks) - 1, nil
	case "output":
		if len(attrs) > 1 || len(attrs) == 1 && attrs[0] != "eventually" {
			return -1, fmt.Errorf("output block attributes %q: want none or \"eventually\"", attrs)
		}
		if prev < 0 || (*blocks)[prev].kind != blockRun {
			return -1, fmt.Errorf("output block follows no runnable sh block")
		}
		b := &(*blocks)[prev]
		b.want, b.hasWant, b.eventually = text, true, len(attrs) == 1
		return -1, nil
	}
	return -1, nil
}

// matchOutput reports whether got is what want shows: line by line,
// trailing spaces and blank lines ignored, "…" in a line for any text and
// a line of "…" for any lines.
func matchOutput(want, got string) bool {
	return matchLines(outputLines(want), outputLines(got))
}

// outputLines splits s into lines without trailing spaces, dropping blank
// ones.
func outputLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimRight(l, " \t\r"); l != "" {
			out = append(out, l)
		}
	}
	return out
}

func matchLines(want, got []string) bool {
	if len(want) == 0 {
		return len(got) == 0
	}
	if want[0] == "…" {
		for i := 0; i <= len(got); i++ {
			if matchLines(want[1:], got[i:]) {
				return true
			}
		}
		return false
	}
	return len(got) > 0 && matchLine(want[0], got[0]) && matchLines(want[1:], got[1:])
}

// matchLine matches one line with "…" standing for any text: the first
// piece starts it, the last ends it, the others appear in order between
// (the leftmost place of each is as good as any).
func matchLine(want, got string) bool {
	parts := strings.Split(want, "…")
	if len(parts) == 1 {
		return want == got
	}
	if !strings.HasPrefix(got, parts[0]) {
		return false
	}
	rest := got[len(parts[0]):]
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(rest, p)
		if i < 0 {
			return false
		}
		rest = rest[i+len(p):]
	}
	return strings.HasSuffix(rest, parts[len(parts)-1])
}

// TestMatchOutput pins the docs test's output convention.
func TestMatchOutput(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, want, got string
		match           bool
	}{
		{"same", "a\nb", "a\nb\n", true},
		{"trailing spaces and blank lines", "a\n\nb", "a  \nb\n\n", true},
		{"one line differs", "a\nb", "a\nc", false},
		{"a line more", "a", "a\nb", false},
		{"a line less", "a\nb", "a", false},
		{"ellipsis in a line", `{"id":"…","n":1}`, `{"id":"ev_12","n":1}`, true},
		{"ellipsis at the start", "…end", "the end", true},
		{"ellipsis at the end", "start…", "start here", true},
		{"two ellipses in order", "a…b…c", "a1b2c", true},
		{"pieces out of order", "a…c…b", "a1b2c", false},
		{"suffix must not reuse a middle piece", "a…b…b", "a1b", false},
		{"first piece anchored", "b…", "ab", false},
		{"last piece anchored", "…a", "ab", false},
		{"ellipsis line for any lines", "a\n…\nz", "a\nb\nc\nz", true},
		{"ellipsis line for no line", "a\n…\nz", "a\nz", true},
		{"ellipsis line alone", "…", "x\ny", true},
		{"ellipsis line still needs the rest", "a\n…\nz", "a\nb", false},
		{"empty want, empty output", "", "\n", true},
		{"empty want, some output", "", "x", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := matchOutput(tt.want, tt.got); got != tt.match {
				t.Errorf("matchOutput(%q, %q) = %v, want %v", tt.want, tt.got, got, tt.match)
			}
		})
	}
}

// TestReadmeBlocks pins how the docs test reads a README.
func TestReadmeBlocks(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, md string
		want     []docBlock
		err      string
	}{
		{
			name: "run, output, server, norun, others ignored",
			md: "# t\n```sh server\nmake run\n```\ntext\n```sh\necho hi\n```\nsays:\n```output\nhi\n```\n" +
				"```yaml\na: 1\n```\n```sh norun\nrm -rf /\n```\n```bash\ntrue\n```\n",
			want: []docBlock{
				{line: 2, kind: blockServer, text: "make run"},
				{line: 6, kind: blockRun, text: "echo hi", want: "hi", hasWant: true},
				{line: 16, kind: blockNoRun, text: "rm -rf /"},
				{line: 19, kind: blockRun, text: "true"},
			},
		},
		{
			name: "eventually, and an indented fence in a list",
			md:   "- item\n  ```sh\n  curl x\n    two\n  ```\n  ```output eventually\n  ok\n  ```\n",
			want: []docBlock{{line: 2, kind: blockRun, text: "curl x\n  two", want: "ok", hasWant: true, eventually: true}},
		},
		{name: "unknown shell attribute", md: "```sh later\nx\n```\n", err: "line 1: shell block attributes"},
		{name: "unknown output attribute", md: "```sh\nx\n```\n```output soon\nx\n```\n", err: "line 4: output block attributes"},
		{name: "output after nothing", md: "```output\nx\n```\n", err: "line 1: output block follows no runnable sh block"},
		{name: "output after a server block", md: "```sh server\nx\n```\n```output\nx\n```\n", err: "follows no runnable"},
		{name: "output after a yaml block", md: "```sh\nx\n```\n```yaml\na: 1\n```\n```output\nx\n```\n", err: "follows no runnable"},
		{name: "two outputs", md: "```sh\nx\n```\n```output\nx\n```\n```output\ny\n```\n", err: "line 7: output block follows no runnable"},
		{name: "unclosed", md: "```sh\nx\n", err: "line 1: fence never closed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := readmeBlocks(tt.md)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want one containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(docBlock{})); diff != "" {
				t.Errorf("blocks (-want +got):\n%s", diff)
			}
		})
	}
}
