package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/rebond/rebond/store"
)

// buildBinary builds cmd/rebond once for the subprocess tests.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "rebond")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// proc is rebond serve running as a child process.
type proc struct {
	cmd  *exec.Cmd
	base string
}

func startProc(t *testing.T, bin string, env []string, base string) *proc {
	t.Helper()
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, base: base}
	t.Cleanup(func() { p.kill() })
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			return p
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("rebond serve did not answer /healthz in 30s")
	return nil
}

func (p *proc) kill() {
	if p.cmd.ProcessState == nil {
		_ = p.cmd.Process.Signal(syscall.SIGKILL)
		_ = p.cmd.Wait()
	}
}

// post sends one batch and reports whether rebond accepted it.
func (p *proc) post(batch []map[string]any) bool {
	b, _ := json.Marshal(batch)
	req, _ := http.NewRequest("POST", p.base+"/v1/events", bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusAccepted
}

// procEnv is the environment of a serve child process running cfg.
func procEnv(cfg Config) []string {
	return []string{
		"REBOND_DATABASE_URL=" + cfg.Database.URL, "REBOND_REDIS_URL=" + cfg.Redis.URL,
		"REBOND_DATA_DIR=" + cfg.DataDir, "REBOND_ADMIN_TOKEN=" + testToken,
		"REBOND_HTTP_ADDR=" + cfg.HTTP.Addr, "REBOND_NATS_EMBEDDED_ADDR=" + cfg.NATS.EmbeddedAddr,
		"REBOND_WORKERS_RECONCILE_EVERY=500ms", "REBOND_WORKERS_RECONCILE_AFTER=2s",
		"REBOND_WORKERS_BATCH_SIZE=100", "REBOND_LOG_LEVEL=warn",
	}
}

// streamBatches is 40 batches of 50 messages of campaign: every message
// sent, then a quarter hard (5.1.1), a quarter soft (4.2.2), a quarter
// delivered, a quarter silent: 3,500 events.
func streamBatches(campaign string) [][]map[string]any {
	t0 := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	var batches [][]map[string]any
	for b := range 40 {
		var batch []map[string]any
		for i := b * 50; i < (b+1)*50; i++ {
			msg, rcpt := fmt.Sprintf("%s-%d", campaign, i), fmt.Sprintf("%s%d@example.net", campaign, i)
			batch = append(batch, ev("sent", msg, rcpt, campaign, t0, ""))
			switch i % 4 {
			case 0:
				batch = append(batch, ev("failed", msg, rcpt, "", t0.Add(time.Minute), "5.1.1"))
			case 1:
				batch = append(batch, ev("failed", msg, rcpt, "", t0.Add(time.Minute), "4.2.2"))
			case 2:
				batch = append(batch, ev("delivered", msg, rcpt, "", t0.Add(time.Minute), ""))
			}
		}
		batches = append(batches, batch)
	}
	return batches
}

// waitExact waits until total events are applied and none is pending, then
// checks the campaign's rates are those of streamBatches.
func waitExact(t *testing.T, st *store.Store, campaign string, total int64) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if a, pend, _ := st.CountEvents(context.Background()); a >= total && pend == 0 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	a, pend, err := st.CountEvents(context.Background())
	if err != nil || a != total || pend != 0 {
		t.Fatalf("applied %d, pending %d (err %v); want exactly %d applied", a, pend, err, total)
	}
	rows, err := st.Rates(context.Background(), store.RatesQuery{Campaign: campaign})
	if err != nil || len(rows) != 1 {
		t.Fatalf("rates: %+v, %v", rows, err)
	}
	r := rows[0]
	if got, want := fmt.Sprintf("sent=%d delivered=%d soft=%d hard=%d", r.Sent, r.Delivered, r.Soft, r.Hard),
		"sent=2000 delivered=500 soft=500 hard=500"; got != want {
		t.Fatalf("rates: got %s, want %s", got, want)
	}
}

// TestServeKilled kills `rebond serve` with SIGKILL in the middle of a
// stream of HTTP posts, restarts it, re-posts what was not acknowledged,
// and checks that every event is applied exactly once and the rates are
// exact.
func TestServeKilled(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)
	cfg := testConfig(t, 12, nil)
	env, base := procEnv(cfg), "http://"+cfg.HTTP.Addr
	batches := streamBatches("killed")
	st, err := store.Open(context.Background(), cfg.Database)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()

	p := startProc(t, bin, env, base)
	for i, b := range batches[:20] {
		if !p.post(b) {
			t.Fatalf("batch %d refused", i)
		}
	}
	// SIGKILL in the middle of applying: as soon as a first verdict is stored.
	for a, _, _ := st.CountEvents(context.Background()); a == 0; a, _, _ = st.CountEvents(context.Background()) {
		time.Sleep(5 * time.Millisecond)
	}
	p.kill()
	applied, pending, _ := st.CountEvents(context.Background())
	t.Logf("killed with %d applied, %d in the inbox", applied, pending)

	p = startProc(t, bin, env, base)
	// A client that lost the answer to its last batch sends it again.
	for i, b := range batches[19:] {
		if !p.post(b) {
			t.Fatalf("batch %d refused after restart", 19+i)
		}
	}

	waitExact(t, st, "killed", 2000+1500)
}

// TestServeSIGTERM stops `rebond serve` with SIGTERM in the middle of
// applying: it must exit 0 within its shutdown timeout, handing back what
// it had not finished, and a restarted serve applies every event once.
func TestServeSIGTERM(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)
	cfg := testConfig(t, 7, nil)
	env, base := procEnv(cfg), "http://"+cfg.HTTP.Addr
	st, err := store.Open(context.Background(), cfg.Database)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	p := startProc(t, bin, env, base)
	batches := streamBatches("termed")
	for i, b := range batches {
		if !p.post(b) {
			t.Fatalf("batch %d refused", i)
		}
	}
	for a, _, _ := st.CountEvents(context.Background()); a == 0; a, _, _ = st.CountEvents(context.Background()) {
		time.Sleep(5 * time.Millisecond)
	}
	start := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Wait(); err != nil {
		t.Fatalf("serve exited with %v after SIGTERM, want 0", err)
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("graceful shutdown took %v; the configured bound is 20s", d)
	}
	applied, pending, _ := st.CountEvents(context.Background())
	t.Logf("stopped after %v with %d applied, %d in the inbox", time.Since(start), applied, pending)
	startProc(t, bin, env, base)
	waitExact(t, st, "termed", 2000+1500)
}
