package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// docShell is one bash session fed block by block on its standard input.
type docShell struct {
	t     *testing.T
	in    io.WriteCloser
	lines chan string
	n     int
}

// startDocShell starts bash in dir with env; stdout and stderr share a
// pipe, read line by line.
func startDocShell(t *testing.T, dir string, env []string) *docShell {
	t.Helper()
	cmd := exec.Command("bash", "--noprofile", "--norc")
	cmd.Dir, cmd.Env = dir, env
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = pw, pw
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	s := &docShell{t: t, in: in, lines: make(chan string, 1024)}
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64<<10), 4<<20)
		for sc.Scan() {
			s.lines <- sc.Text()
		}
		close(s.lines)
	}()
	t.Cleanup(func() {
		in.Close()
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
		}
	})
	return s
}

// run feeds script to the session and returns what it printed and its
// exit status (that of its last command, as in a terminal).
func (s *docShell) run(script string, timeout time.Duration) (string, int) {
	s.t.Helper()
	s.n++
	marker := fmt.Sprintf("__rebond_readme_block_%d__", s.n)
	if _, err := fmt.Fprintf(s.in, "{\n%s\n}\nprintf '\\n%%s %%d\\n' %s \"$?\"\n", script, marker); err != nil {
		s.t.Fatalf("bash: %v", err)
	}
	var out strings.Builder
	timer := time.After(timeout)
	for {
		select {
		case line, ok := <-s.lines:
			if !ok {
				s.t.Fatalf("bash exited; output so far:\n%s", out.String())
			}
			if rest, found := strings.CutPrefix(line, marker+" "); found {
				status, _ := strconv.Atoi(rest)
				return out.String(), status
			}
			out.WriteString(line + "\n")
		case <-timer:
			s.t.Fatalf("a block ran longer than %s; output so far:\n%s", timeout, out.String())
		}
	}
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
