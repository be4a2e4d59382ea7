package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/redis/go-redis/v9"

	"github.com/rebond/rebond/internal/testsvc"
	"github.com/rebond/rebond/store"
)

const testToken = "test-token-0123456789"

// testNATSPassword is the embedded NATS server's password in tests, so
// they can publish as a producer would (natsTestURL).
const testNATSPassword = "test-nats-0123456789"

// natsTestURL is the URL, with credentials, of the embedded NATS server
// of cfg.
func natsTestURL(cfg Config) string {
	return "nats://rebond:" + cfg.NATS.EmbeddedPassword + "@" + cfg.NATS.EmbeddedAddr
}

// instance is one in-process `rebond serve` with its own database, Redis
// database number and embedded NATS server.
type instance struct {
	t       *testing.T
	cfg     Config
	base    string
	store   *store.Store
	redis   *redis.Client
	stop    context.CancelFunc
	stopped chan error
}

// freeAddr returns a loopback address with a free port.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// redisDBs serializes the tests that share a Redis database number: Redis
// has 16, 0 is left to `make run`, and the package has more serve tests than
// that; each flushes its database first.
var redisDBs [16]sync.Mutex

// testConfig builds a configuration for one test with Redis database
// redisDB (1-15), which it holds until the test ends: tests given the same
// number run one after the other, others in parallel. The database is
// flushed before the test and again after it.
func testConfig(t *testing.T, redisDB int, env map[string]string) Config {
	t.Helper()
	vars := map[string]string{
		"REBOND_REDIS_URL":                   holdRedisDB(t, redisDB),
		"REBOND_DATA_DIR":                    t.TempDir(),
		"REBOND_ADMIN_TOKEN":                 testToken,
		"REBOND_NATS_EMBEDDED_PASSWORD":      testNATSPassword,
		"REBOND_HTTP_ADDR":                   freeAddr(t),
		"REBOND_NATS_EMBEDDED_ADDR":          freeAddr(t),
		"REBOND_WORKERS_FETCH_WAIT":          "50ms",
		"REBOND_WORKERS_RECONCILE_EVERY":     "500ms",
		"REBOND_WORKERS_RECONCILE_AFTER":     "2s",
		"REBOND_WORKERS_RELEASE_EVERY":       "1s",
		"REBOND_WORKERS_TASK_CHECK_INTERVAL": "200ms",
		"REBOND_LOG_LEVEL":                   "warn",
	}
	for k, v := range env {
		vars[k] = v
	}
	if vars["REBOND_DATABASE_URL"] == "" { // a test may bring its own server
		vars["REBOND_DATABASE_URL"] = testsvc.Postgres(t)
	}
	cfg, err := LoadConfig("", func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// holdRedisDB takes Redis database redisDB (1-15) for the test, until it
// ends (see redisDBs), flushes it, and returns its URL. The database is
// flushed again when the test ends: registered after the lock and before
// any serve the test starts, that cleanup runs once those have stopped and
// while the number is still the test's, so the test leaves no Asynq keys
// behind and touches no other number, which another test, of this package
// or another, may be using.
func holdRedisDB(t *testing.T, redisDB int) string {
	t.Helper()
	redisDBs[redisDB].Lock()
	t.Cleanup(redisDBs[redisDB].Unlock)
	if err := flushRedisDB(t, redisDB); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := flushRedisDB(t, redisDB); err != nil {
			t.Error(err)
		}
	})
	return "redis://" + testsvc.RedisAddr(t) + "/" + strconv.Itoa(redisDB)
}

// flushRedisDB empties Redis database db, the test's own (FLUSHDB, never
// FLUSHALL).
func flushRedisDB(t *testing.T, db int) error {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: testsvc.RedisAddr(t), DB: db})
	defer rdb.Close()
	if err := rdb.FlushDB(context.Background()).Err(); err != nil {
		return fmt.Errorf("flush Redis database %d: %w", db, err)
	}
	return nil
}

// start runs serve with cfg until the test ends or stop is called.
func start(t *testing.T, cfg Config, roles ...string) *instance {
	t.Helper()
	return startWith(t, cfg, serveOptions{roles: roles})
}

// startWith is start with serve options (roles, injected webhooks).
func startWith(t *testing.T, cfg Config, opt serveOptions) *instance {
	t.Helper()
	roles := opt.roles
	if len(roles) == 0 {
		roles = allRoles
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	in := &instance{t: t, cfg: cfg, base: "http://" + cfg.HTTP.Addr, stop: cancel, stopped: make(chan error, 1)}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	go func() {
		opt.roles, opt.migrate, opt.ready = roles, true, func(a string) { ready <- a }
		in.stopped <- serve(ctx, cfg, opt, log)
	}()
	select {
	case <-ready:
	case err := <-in.stopped:
		t.Fatalf("serve stopped at start: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not become ready in 30s")
	}
	st, err := store.Open(context.Background(), cfg.Database)
	if err != nil {
		t.Fatal(err)
	}
	in.store = st
	ropt, _ := redis.ParseURL(cfg.Redis.URL)
	in.redis = redis.NewClient(ropt)
	t.Cleanup(func() { in.shutdown() })
	return in
}

// shutdown stops serve (as SIGTERM would) and waits for it.
func (in *instance) shutdown() {
	if in.stop == nil {
		return
	}
	in.stop()
	in.stop = nil
	select {
	case err := <-in.stopped:
		if err != nil {
			in.t.Errorf("serve: %v", err)
		}
	case <-time.After(40 * time.Second):
		in.t.Error("serve did not stop in 40s")
	}
	in.store.Close()
	in.redis.Close()
}

// do sends an authenticated request and decodes a JSON answer into out.
func (in *instance) do(method, path string, body any, out any) int {
	in.t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			in.t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, in.base+path, r)
	if err != nil {
		in.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+testToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		in.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			in.t.Fatalf("%s %s: %d %s: %v", method, path, resp.StatusCode, b, err)
		}
	}
	return resp.StatusCode
}

// waitApplied waits until n distinct events are applied and none is left
// in the inbox.
func (in *instance) waitApplied(n int, within time.Duration) {
	in.t.Helper()
	deadline := time.Now().Add(within)
	var applied, pending int
	for time.Now().Before(deadline) {
		applied, pending = in.count()
		if applied >= n && pending == 0 {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	in.t.Fatalf("after %v: %d events applied, %d pending; want %d applied", within, applied, pending, n)
}

// count reads the inbox's applied and pending rows. The test's own
// connections are the server's too: a test that terminates the database's
// backends (TestPostgresConnectionsKilled) kills them as well, and the pool
// learns it only on the next query, so a failed read is tried again before
// the test gives up.
func (in *instance) count() (applied, pending int) {
	in.t.Helper()
	var err error
	for try := 0; try < 3; try++ {
		var a, p int64
		if a, p, err = in.store.CountEvents(context.Background()); err == nil {
			return int(a), int(p)
		}
		time.Sleep(100 * time.Millisecond)
	}
	in.t.Fatal(err)
	return 0, 0
}

func ev(typ, msg, rcpt, campaign string, at time.Time, status string) map[string]any {
	e := map[string]any{"channel": "email", "type": typ, "message_id": msg, "recipient": rcpt,
		"campaign": campaign, "occurred_at": at.Format(time.RFC3339Nano)}
	if status != "" {
		code := 550
		if status[0] == '4' {
			code = 452
		}
		e["smtp"] = map[string]any{"code": code, "status": status, "text": fmt.Sprintf("%d %s test", code, status)}
	}
	return e
}

// publishJS publishes one event through JetStream and waits for its ack.
func publishJS(t *testing.T, nc *nats.Conn, e map[string]any) {
	t.Helper()
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	m, err := nc.Request("rebond.events."+e["channel"].(string), b, 5*time.Second)
	if err != nil {
		t.Fatalf("publish: %v", err)
	}
	if bytes.Contains(m.Data, []byte(`"error"`)) {
		t.Fatalf("publish refused: %s", m.Data)
	}
}
