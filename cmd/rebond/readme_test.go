package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rebond/rebond/internal/testsvc"
)

// asMainEnv makes the test binary run main instead of the tests, so the
// README's commands run the code under test (built with -race under make
// test) as bin/rebond, with no second build.
const asMainEnv = "REBOND_TEST_AS_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(asMainEnv) == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestReadme walks README.md from top to bottom against a running rebond,
// as a new user would on a fresh clone: every shell block runs, in order,
// and its output must be what the README shows after it.
//
// The convention (README.md, "The docs test"):
//
//   - A fenced block whose info string is "sh" (or bash) runs, in one bash
//     session for the whole README, as typed into one terminal at the top
//     of the repository: variables and functions carry from block to
//     block. It must exit 0, and it must not read its standard input (the
//     session's script comes from there).
//   - "sh server" starts rebond as `make run` does, like a first terminal:
//     the test stops the server it started before (SIGTERM, as Ctrl-C
//     would), runs the block with bash and waits until /readyz answers 200
//     and the SMTP listener accepts connections.
//   - "sh norun" is shown and never run. Use it for what no test can do
//     (a real provider's console, DNS), and sparingly.
//   - An "output" block right after a runnable sh block is its expected
//     output (stdout and stderr together). Lines compare one by one,
//     trailing spaces and blank lines ignored; "…" in a line stands for any
//     text, and a line of "…" alone for any number of lines. "output
//     eventually" re-runs the block until it matches, for 20 s: for a read
//     of what the workers apply asynchronously (never for a write).
//   - Other fenced blocks (yaml, plain text) are documentation only.
//
// Substitutions, the only differences from a user's walk: the README's
// addresses 127.0.0.1:8080 (API) and 127.0.0.1:2525 (SMTP) become free
// ports, in every block and expected output; "make run" becomes bash
// deploy/local/run.sh, which is make run after its build and services
// steps; the working directory is a temporary copy of the repository's
// top level (symbolic links) whose bin/rebond runs this test binary as
// rebond and whose data/ is empty; and the environment sets
// REBOND_DATABASE_URL (a fresh database), REBOND_REDIS_URL (a database
// number of this package), REBOND_HTTP_ADDR, REBOND_SMTP_ADDR and
// REBOND_NATS_EMBEDDED_ADDR, for the server and the session alike, with no
// other REBOND_ variable.
func TestReadme(t *testing.T) {
	if testing.Short() {
		t.Skip("runs rebond serve: not a unit test")
	}
	t.Parallel()
	needTools(t, "bash", "curl", "openssl", "base32")
	md, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks, err := readmeBlocks(string(md))
	if err != nil {
		t.Fatalf("README.md: %v", err)
	}
	w := newReadmeWalk(t)
	for _, b := range blocks {
		switch b.kind {
		case blockServer:
			w.startServer(b)
		case blockRun:
			w.run(b)
		}
	}
	w.stopServer()
	t.Logf("README.md: %d blocks walked", len(blocks))
}

// needTools fails under CI, and skips elsewhere, when a command the README
// uses is missing.
func needTools(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			pkg := tool
			if tool == "base32" {
				pkg = "coreutils"
			}
			msg := fmt.Sprintf("%s is not installed (apt-get install %s)", tool, pkg)
			if os.Getenv("CI") == "true" {
				t.Fatal(msg)
			}
			t.Skip(msg)
		}
	}
}

// readmeWalk is the README's two terminals: the server and the session.
type readmeWalk struct {
	t          *testing.T
	dir        string
	env        []string
	api, smtp  string
	substitute *strings.Replacer
	server     *exec.Cmd
	serverDone chan error
	logs       []string
	shell      *docShell
}

// newReadmeWalk prepares the working directory, the environment and the
// bash session.
func newReadmeWalk(t *testing.T) *readmeWalk {
	t.Helper()
	repo, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	w := &readmeWalk{t: t, dir: t.TempDir(), api: freeAddr(t), smtp: freeAddr(t)}
	entries, err := os.ReadDir(repo)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if n := e.Name(); n != "bin" && n != "data" {
			if err := os.Symlink(filepath.Join(repo, n), filepath.Join(w.dir, n)); err != nil {
				t.Fatal(err)
			}
		}
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	wrapper := "#!/bin/sh\n" + asMainEnv + "=1 exec " + strconv.Quote(exe) + " \"$@\"\n"
	if err := os.MkdirAll(filepath.Join(w.dir, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(w.dir, "bin", "rebond"), []byte(wrapper), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "REBOND_") {
			w.env = append(w.env, kv)
		}
	}
	w.env = append(w.env,
		"REBOND_DATABASE_URL="+testsvc.Postgres(t),
		// One of the package's Redis databases (testConfig): held until
		// the test ends, flushed first.
		"REBOND_REDIS_URL="+holdRedisDB(t, 6),
		"REBOND_HTTP_ADDR="+w.api, "REBOND_SMTP_ADDR="+w.smtp,
		"REBOND_NATS_EMBEDDED_ADDR="+freeAddr(t))
	w.substitute = strings.NewReplacer("127.0.0.1:8080", w.api, "127.0.0.1:2525", w.smtp,
		"make run", "bash deploy/local/run.sh")
	w.shell = startDocShell(t, w.dir, w.env)
	t.Cleanup(func() {
		w.stopServer()
		if t.Failed() {
			for _, l := range w.logs {
				if b, err := os.ReadFile(l); err == nil {
					t.Logf("%s:\n%s", filepath.Base(l), tail(string(b), 60))
				}
			}
		}
	})
	return w
}

// startServer stops the running server and starts the block's.
func (w *readmeWalk) startServer(b docBlock) {
	w.t.Helper()
	w.stopServer()
	logFile := filepath.Join(w.dir, fmt.Sprintf("serve-%d.log", len(w.logs)+1))
	w.logs = append(w.logs, logFile)
	f, err := os.Create(logFile)
	if err != nil {
		w.t.Fatal(err)
	}
	defer f.Close()
	cmd := exec.Command("bash", "-c", w.substitute.Replace(b.text))
	cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = w.dir, w.env, f, f
	// Its own process group, so that stopping it reaches serve however
	// bash started it (Ctrl-C reaches the terminal's foreground group).
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		w.t.Fatal(err)
	}
	w.server, w.serverDone = cmd, make(chan error, 1)
	go func() { w.serverDone <- cmd.Wait() }()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-w.serverDone:
			w.server = nil
			w.t.Fatalf("README.md:%d: the server stopped at start: %v", b.line, err)
		case <-time.After(100 * time.Millisecond):
		}
		if readyAt(w.api) && listening(w.smtp) {
			return
		}
	}
	w.t.Fatalf("README.md:%d: the server was not ready in 60s", b.line)
}

// readyAt reports whether rebond's /readyz at addr answers 200.
func readyAt(addr string) bool {
	resp, err := http.Get("http://" + addr + "/readyz")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// listening reports whether something accepts connections at addr.
func listening(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err == nil {
		c.Close()
	}
	return err == nil
}

// stopServer sends SIGTERM to the server's process group, as Ctrl-C
// would, and waits for a clean exit.
func (w *readmeWalk) stopServer() {
	if w.server == nil {
		return
	}
	pid := w.server.Process.Pid
	w.server = nil
	_ = syscall.Kill(-pid, syscall.SIGTERM)
	select {
	case err := <-w.serverDone:
		if err != nil {
			w.t.Errorf("the server did not stop cleanly: %v", err)
		}
	case <-time.After(40 * time.Second):
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		w.t.Error("the server did not stop in 40s of SIGTERM")
	}
}

// run runs a shell block and checks its exit status and output.
func (w *readmeWalk) run(b docBlock) {
	w.t.Helper()
	script, want := w.substitute.Replace(b.text), w.substitute.Replace(b.want)
	deadline := time.Now().Add(20 * time.Second)
	for {
		out, status := w.shell.run(script, time.Minute)
		switch {
		case status != 0:
			w.t.Fatalf("README.md:%d: exit status %d\n--- block\n%s\n--- output\n%s", b.line, status, script, out)
		case !b.hasWant || matchOutput(want, out):
			return
		case !b.eventually || time.Now().After(deadline):
			w.t.Fatalf("README.md:%d: the output is not what the README shows\n--- block\n%s\n--- want\n%s\n--- got\n%s", b.line, script, want, out)
		}
		time.Sleep(250 * time.Millisecond)
	}
}
