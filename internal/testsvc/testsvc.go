// Package testsvc gives tests their real services: a fresh PostgreSQL
// database per call, a Redis database number per package, and a private
// PostgreSQL server for a test that must restart it. A service that
// cannot be reached fails the test under CI=true (naming the command that
// starts it, from docs/SERVICES.md) and skips it elsewhere.
package testsvc

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"os"
	"testing"
	"time"

	_ "github.com/lib/pq" // the PostgreSQL driver
)

const (
	pgStart    = "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"
	redisStart = `redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no`
)

// unavailable fails under CI and skips elsewhere.
func unavailable(tb testing.TB, service, start string, err error) {
	tb.Helper()
	msg := fmt.Sprintf("%s is not reachable (%v); start it with: %s", service, err, start)
	if os.Getenv("CI") == "true" {
		tb.Fatal(msg)
	}
	tb.Skip(msg)
}

// PostgresAdminURL is the server tests create their databases on;
// REBOND_TEST_DATABASE_URL overrides it.
func PostgresAdminURL() string {
	if u := os.Getenv("REBOND_TEST_DATABASE_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

// Postgres creates an empty database for the test and drops it at the end;
// it returns the database's URL.
func Postgres(tb testing.TB) string {
	tb.Helper()
	admin := PostgresAdminURL()
	db, err := sql.Open("postgres", admin)
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = db.PingContext(ctx)
		cancel()
	}
	if err != nil {
		unavailable(tb, "PostgreSQL at "+admin, pgStart, err)
	}
	name := "rebond_test_" + randomHex(6)
	if _, err := db.Exec("CREATE DATABASE " + name); err != nil {
		tb.Fatalf("create test database: %v", err)
	}
	tb.Cleanup(func() {
		_, _ = db.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
		db.Close()
	})
	u, err := url.Parse(admin)
	if err != nil {
		tb.Fatalf("parse %s: %v", admin, err)
	}
	u.Path = "/" + name
	return u.String()
}

// RedisAddr is the Redis server tests use; REBOND_TEST_REDIS_ADDR
// overrides it.
func RedisAddr(tb testing.TB) string {
	tb.Helper()
	addr := os.Getenv("REBOND_TEST_REDIS_ADDR")
	if addr == "" {
		addr = "127.0.0.1:6379"
	}
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		unavailable(tb, "Redis at "+addr, redisStart, err)
		return addr
	}
	c.Close()
	return addr
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
