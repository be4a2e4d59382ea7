package main

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rebond/rebond/internal/testsvc"
	"github.com/rebond/rebond/natsbus"
)

// postUntilAccepted posts a batch the way a well-behaved producer does:
// a 503 (bus unavailable) or a network error is retried until accepted.
func postUntilAccepted(t *testing.T, in *instance, batch []map[string]any, within time.Duration) {
	t.Helper()
	body, err := json.Marshal(batch)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(within)
	for {
		req, _ := http.NewRequest("POST", in.base+"/v1/events", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+testToken)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusAccepted {
				return
			}
			if resp.StatusCode != http.StatusServiceUnavailable {
				t.Fatalf("post: %d", resp.StatusCode)
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("batch not accepted within %v (last: %v)", within, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestNATSRestarted: the NATS server (external to serve here) goes down
// mid-stream and comes back on the same store; producers retry their 503s,
// serve reconnects, and at the end every event is applied exactly once.
func TestNATSRestarted(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	host, portStr, _ := net.SplitHostPort(freeAddr(t))
	port, _ := strconv.Atoi(portStr)
	srv, err := natsbus.StartEmbedded(natsbus.EmbeddedConfig{Dir: dir, Host: host, Port: port, Password: testNATSPassword})
	if err != nil {
		t.Fatal(err)
	}
	restarted := make(chan *natsbus.Embedded, 1)
	// Registered before start's own cleanup, so it runs after serve stopped.
	t.Cleanup(func() {
		select {
		case r := <-restarted:
			r.Shutdown()
		default:
		}
	})
	cfg := testConfig(t, 15, map[string]string{"REBOND_NATS_URL": srv.URL()})
	in := start(t, cfg)

	const messages = 300
	at := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	batch := func(from, to int) []map[string]any {
		var b []map[string]any
		for i := from; i < to; i++ {
			msg, rcpt := fmt.Sprintf("nr-%d", i), fmt.Sprintf("nr%d@example.org", i)
			b = append(b, ev("sent", msg, rcpt, "nats-restart", at, ""))
			if i%10 == 0 {
				b = append(b, ev("failed", msg, rcpt, "", at.Add(time.Second), "5.1.1"))
			}
		}
		return b
	}
	events := 0
	for i := 0; i < messages; i += 50 {
		b := batch(i, i+50)
		events += len(b)
		if i == 100 {
			srv.Shutdown() // mid-stream: the bridge is still draining earlier batches
			go func() {
				time.Sleep(2 * time.Second)
				r, err := natsbus.StartEmbedded(natsbus.EmbeddedConfig{Dir: dir, Host: host, Port: port, Password: testNATSPassword})
				if err != nil {
					t.Errorf("restart NATS: %v", err)
					return
				}
				restarted <- r
			}()
		}
		postUntilAccepted(t, in, b, 60*time.Second)
	}
	// Everything once more: producers that timed out re-send; nothing may count twice.
	for i := 0; i < messages; i += 50 {
		postUntilAccepted(t, in, batch(i, i+50), 30*time.Second)
	}
	in.waitApplied(events, 90*time.Second)
	time.Sleep(time.Second)
	if applied, pending := in.count(); applied != events || pending != 0 {
		t.Fatalf("%d applied, %d pending; want exactly %d", applied, pending, events)
	}
	var rates ratesResponse
	in.do("GET", "/v1/rates?channel=email&campaign=nats-restart", nil, &rates)
	if len(rates.Rows) != 1 || rates.Rows[0].Sent != messages || rates.Rows[0].Hard != messages/10 {
		t.Fatalf("rates %+v, want sent=%d hard=%d", rates.Rows, messages, messages/10)
	}
}

// TestPostgresConnectionsKilled: every PostgreSQL connection of serve is
// terminated, several times, mid-stream (what a database restart or
// failover looks like from the client); transactions in flight roll back
// and are retried, and at the end every event is applied exactly once.
func TestPostgresConnectionsKilled(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t, 8, nil)
	in := start(t, cfg)
	admin, err := sql.Open("postgres", testsvc.PostgresAdminURL())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	u, _ := url.Parse(cfg.Database.URL)
	dbName := strings.TrimPrefix(u.Path, "/")
	kill := func() {
		if _, err := admin.Exec(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1`, dbName); err != nil {
			t.Errorf("terminate backends: %v", err)
		}
	}

	const messages = 400
	at := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	events := 0
	for i := 0; i < messages; i += 50 {
		var b []map[string]any
		for j := i; j < i+50; j++ {
			msg, rcpt := fmt.Sprintf("pg-%d", j), fmt.Sprintf("pg%d@example.org", j)
			b = append(b, ev("sent", msg, rcpt, "pg-kill", at, ""))
			if j%4 == 0 {
				b = append(b, ev("failed", msg, rcpt, "", at.Add(time.Second), "4.2.2"))
			}
		}
		events += len(b)
		postUntilAccepted(t, in, b, 30*time.Second)
		if i%100 == 50 {
			kill()
		}
	}
	kill()
	in.waitApplied(events, 90*time.Second)
	time.Sleep(time.Second)
	if applied, pending := in.count(); applied != events || pending != 0 {
		t.Fatalf("%d applied, %d pending; want exactly %d", applied, pending, events)
	}
	var rates ratesResponse
	in.do("GET", "/v1/rates?channel=email&campaign=pg-kill", nil, &rates)
	if len(rates.Rows) != 1 || rates.Rows[0].Sent != messages || rates.Rows[0].Soft != messages/4 {
		t.Fatalf("rates %+v, want sent=%d soft=%d", rates.Rows, messages, messages/4)
	}
}

// TestPostgresRestarted: the PostgreSQL server itself restarts mid-stream.
// The test runs its own cluster (testsvc.PrivatePostgres: the machine's
// server is shared by every other test), stops it as in a crash
// (`pg_ctl stop -m immediate`: transactions in flight are lost, the next
// start runs crash recovery) and starts it again 3 s later. Meanwhile the
// bridge and the workers fail and retry and producers keep posting,
// retrying their 503s. At the end every event is applied exactly once, and
// the messages, the recipients' soft counts and the rates are exact.
func TestPostgresRestarted(t *testing.T) {
	t.Parallel()
	pg := testsvc.StartPrivatePostgres(t)
	cfg := testConfig(t, 6, map[string]string{"REBOND_DATABASE_URL": pg.URL("postgres")})
	in := start(t, cfg)

	// Per ten messages: one hard (5.1.1), two soft (4.2.2), three delivered,
	// four with no outcome yet.
	const messages, hard, soft, delivered = 400, 40, 80, 120
	at := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	batch := func(from, to int) []map[string]any {
		var b []map[string]any
		for i := from; i < to; i++ {
			msg, rcpt := fmt.Sprintf("pr-%d", i), fmt.Sprintf("pr%d@example.org", i)
			b = append(b, ev("sent", msg, rcpt, "pg-restart", at, ""))
			switch i % 10 {
			case 0:
				b = append(b, ev("failed", msg, rcpt, "", at.Add(time.Second), "5.1.1"))
			case 1, 2:
				b = append(b, ev("failed", msg, rcpt, "", at.Add(time.Second), "4.2.2"))
			case 3, 4, 5:
				b = append(b, ev("delivered", msg, rcpt, "", at.Add(time.Second), ""))
			}
		}
		return b
	}
	restarted := make(chan error, 1)
	events := 0
	for i := 0; i < messages; i += 50 {
		b := batch(i, i+50)
		events += len(b)
		if i == 200 {
			// Mid-apply: once a first batch is stored, with more in flight.
			applied, pending := in.count()
			for deadline := time.Now().Add(10 * time.Second); applied == 0 && time.Now().Before(deadline); {
				time.Sleep(5 * time.Millisecond)
				applied, pending = in.count()
			}
			t.Logf("stopping PostgreSQL with %d applied, %d in the inbox", applied, pending)
			if err := pg.Stop("immediate"); err != nil {
				t.Fatal(err)
			}
			go func() {
				time.Sleep(3 * time.Second) // long enough for fetches, applies and inserts to fail
				restarted <- pg.Start()
			}()
		}
		postUntilAccepted(t, in, b, 30*time.Second)
	}
	if err := <-restarted; err != nil {
		t.Fatalf("restart PostgreSQL: %v", err)
	}
	// Everything once more: producers that timed out re-send; nothing may count twice.
	for i := 0; i < messages; i += 50 {
		postUntilAccepted(t, in, batch(i, i+50), 30*time.Second)
	}
	in.waitApplied(events, 40*time.Second)
	time.Sleep(time.Second)
	if applied, pending := in.count(); applied != events || pending != 0 {
		t.Fatalf("%d applied, %d pending; want exactly %d", applied, pending, events)
	}
	checkRestartedCounts(t, in, pg.URL("postgres"), messages, hard, soft, delivered)
}

// checkRestartedCounts checks TestPostgresRestarted's counters: the rates,
// the messages by status, and the recipients' soft counts (one soft event
// each, so a soft event applied twice shows).
func checkRestartedCounts(t *testing.T, in *instance, dbURL string, messages, hard, soft, delivered int64) {
	t.Helper()
	var rates ratesResponse
	in.do("GET", "/v1/rates?channel=email&campaign=pg-restart", nil, &rates)
	if len(rates.Rows) != 1 {
		t.Fatalf("rates %+v, want one row", rates.Rows)
	}
	r := rates.Rows[0]
	if r.Sent != messages || r.Hard != hard || r.Soft != soft || r.Delivered != delivered ||
		r.HardRate != float64(hard)/float64(messages) || r.SoftRate != float64(soft)/float64(messages) {
		t.Fatalf("rates %+v, want sent=%d hard=%d soft=%d delivered=%d", r, messages, hard, soft, delivered)
	}
	db, err := sql.Open("postgres", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var got string
	err = db.QueryRow(`SELECT string_agg(status || '=' || n, ' ' ORDER BY status) FROM
		(SELECT status, count(*) AS n FROM messages WHERE campaign = 'pg-restart' GROUP BY status) s`).Scan(&got)
	if want := fmt.Sprintf("delivered=%d hard=%d pending=%d soft=%d", delivered, hard, messages-hard-soft-delivered, soft); err != nil || got != want {
		t.Fatalf("messages by status: %q (%v), want %q", got, err, want)
	}
	var softCounts int64
	err = db.QueryRow(`SELECT coalesce(sum(soft_count), 0) FROM recipients WHERE address LIKE 'pr%@example.org'`).Scan(&softCounts)
	if err != nil || softCounts != soft {
		t.Fatalf("recipients' soft counts add up to %d (%v), want %d", softCounts, err, soft)
	}
}
