package testsvc

import (
	"net"
	"os/exec"
	"strconv"
	"testing"
	"time"
)

// PrivateRedis starts a Redis server of the test's own on a free loopback
// port, keeping nothing on disk, and returns its address; it stops when the
// test ends. A test that must flush or own a whole database uses it: the
// machine's Redis serves the other packages' tests at the same time, each on
// its database numbers, and database 0 is `make run`'s. Without
// redis-server the test is skipped, or fails under CI=true.
func PrivateRedis(tb testing.TB) string {
	tb.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		unavailable(tb, "redis-server", "apt-get install redis-server", err)
		return ""
	}
	addr := "127.0.0.1:" + strconv.Itoa(freePort(tb))
	_, port, _ := net.SplitHostPort(addr)
	cmd := exec.Command(bin, "--bind", "127.0.0.1", "--port", port, "--save", "", "--appendonly", "no", "--dir", tb.TempDir())
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	for deadline := time.Now().Add(10 * time.Second); ; {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return addr
		}
		if time.Now().After(deadline) {
			tb.Fatalf("private redis-server at %s did not start: %v", addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
