package testsvc

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// NodeScript runs `node script` in dir with PORT=0 until the test ends
// and returns its stdout, line by line (closed when the script exits);
// its stderr goes to the test's. Tests use it for programs rebond did not
// write, built on npm packages pinned in dir's package.json (an SMSC on
// the npm smpp package). Node and npm missing skip the test, or fail it
// under CI=true; dir's packages are installed (npm ci) when
// node_modules/<pkg> is absent.
func NodeScript(tb testing.TB, dir, script, pkg string) <-chan []byte {
	tb.Helper()
	needNode(tb, dir, pkg)
	cmd := exec.Command("node", script)
	cmd.Dir, cmd.Stderr = dir, os.Stderr
	cmd.Env = append(os.Environ(), "PORT=0")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	lines := make(chan []byte, 64)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- append([]byte(nil), sc.Bytes()...)
		}
	}()
	return lines
}

// needNode skips the test when node or npm is missing (fails under
// CI=true), and installs dir's pinned packages when node_modules/pkg is
// absent.
func needNode(tb testing.TB, dir, pkg string) {
	tb.Helper()
	for _, tool := range []string{"node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			unavailable(tb, tool, "apt-get install nodejs npm", err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", pkg)); err == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "npm", "ci", "--no-audit", "--no-fund")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("npm ci in %s: %v\n%s", dir, err, out)
	}
}
