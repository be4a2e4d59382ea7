// Package store is rebond's PostgreSQL persistence and the only package with
// SQL. Statements live in queries/*.sql (one "-- name:" each), migrations in
// migrations/NNNN_*.sql, both embedded. Every exported method that writes is
// exactly one transaction.
package store

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/rebond/rebond/store/internal/namedsql"
)

//go:embed queries/*.sql
var queryFiles embed.FS

//go:generate go run ./internal/querygen -dir queries -out queries_gen.go

// queryName names a statement of queries/*.sql. Its values are generated,
// one per "-- name:" (queries_gen.go, by internal/querygen): a struct
// rather than a string, so that a misspelt name is a compile error where a
// string literal would be a lookup that fails at run time.
type queryName struct{ name string }

// Config configures the connection pool.
type Config struct {
	// URL is a lib/pq connection URL; required.
	URL string `koanf:"url"`
	// MaxConns bounds open connections (default 16).
	MaxConns int `koanf:"max_conns"`
}

// Validate names the offending field.
func (c Config) Validate() error {
	if c.URL == "" {
		return errors.New("database.url: required (REBOND_DATABASE_URL)")
	}
	return nil
}

// Store is a handle on rebond's database; safe for concurrent use.
type Store struct {
	db *sqlx.DB
	q  map[string]string
	// onApplied, when set, hears the receive times of the events each
	// committed Apply applied (the ingestion-to-verdict latency metric).
	onApplied func(received []time.Time, committed time.Time)
	// shareUserUnknown lets every tenant's exclusions see the others'
	// user_unknown quarantines (Config.ShareUserUnknown).
	shareUserUnknown bool
}

// OnApplied registers fn to hear, after each committed Apply, when each
// applied event entered the inbox. Call it before the store is shared.
func (s *Store) OnApplied(fn func(received []time.Time, committed time.Time)) { s.onApplied = fn }

// ShareUserUnknown makes every tenant's exclusion checks honour the other
// tenants' user_unknown quarantines (configuration
// tenancy.share_user_unknown; off by default, since it tells one tenant
// something about another's list). Call it before the store is shared.
func (s *Store) ShareUserUnknown(on bool) { s.shareUserUnknown = on }

// Open connects and checks the connection; it does not migrate.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.MaxConns == 0 {
		cfg.MaxConns = 16
	}
	q, err := loadQueries(queryFiles)
	if err != nil {
		return nil, err
	}
	db, err := sqlx.Open("postgres", withSessionDefaults(cfg.URL))
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	db.SetMaxOpenConns(cfg.MaxConns)
	db.SetMaxIdleConns(cfg.MaxConns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to database: %w", err)
	}
	return &Store{db: db, q: q}, nil
}

// Close releases the pool.
func (s *Store) Close() error { return s.db.Close() }

// Ping checks that the database answers (for /readyz).
func (s *Store) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

// loadQueries reads the named statements of every queries/*.sql file
// (namedsql), by name.
func loadQueries(fsys fs.FS) (map[string]string, error) {
	qs, err := namedsql.Read(fsys, "queries/*.sql")
	if err != nil {
		return nil, err
	}
	q := make(map[string]string, len(qs))
	for _, x := range qs {
		q[x.Name] = x.SQL
	}
	return q, nil
}

// query returns a named statement; a name missing from queries/*.sql (a
// queries_gen.go not regenerated since a statement was removed) is
// reported as an error rather than a panic.
func (s *Store) query(q queryName) (string, error) {
	sql, ok := s.q[q.name]
	if !ok {
		return "", fmt.Errorf("store: no query named %q", q.name)
	}
	return sql, nil
}

// inTx runs fn in one transaction, retrying it a few times when PostgreSQL
// reports a deadlock or a serialization failure (SQLSTATE 40P01, 40001):
// both mean "try again", and the work is idempotent by construction. An
// error of the data itself (class 22, e.g. a NUL byte in text) is marked
// ErrBadData, so a caller can answer it as the client's error.
func (s *Store) inTx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		err = s.tryTx(ctx, fn)
		if isDataError(err) && !errors.Is(err, ErrBadData) {
			return fmt.Errorf("%w: %w", ErrBadData, err)
		}
		if !retryable(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Duration(attempt+1) * 10 * time.Millisecond):
		}
	}
	return err
}

func (s *Store) tryTx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// errStaleSnapshot says a transaction decided on rows it had not locked
// (store.Apply: a recipient its plan changes); like a serialization
// failure, the whole transaction is tried again, with those rows locked.
var errStaleSnapshot = errors.New("state changed by a concurrent transaction")

func retryable(err error) bool {
	if errors.Is(err, errStaleSnapshot) {
		return true
	}
	var pe *pq.Error
	if !errors.As(err, &pe) {
		return false
	}
	return pe.Code == "40P01" || pe.Code == "40001"
}

// exec runs a named statement in tx.
func (s *Store) exec(ctx context.Context, tx *sqlx.Tx, q queryName, args ...any) error {
	sql, err := s.query(q)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, sql, args...); err != nil {
		return fmt.Errorf("%s: %w", q.name, err)
	}
	return nil
}

// withSessionDefaults adds rebond's planner settings to a URL-form DSN
// unless the URL sets them: random_page_cost 1.1 (SSD or cached storage,
// PostgreSQL's own advice for them) makes the planner probe primary keys
// for a batch of recipients instead of hashing a whole table, which is what
// keeps a 10,000-recipient exclusion call fast as the table grows. lib/pq
// passes unknown URL parameters to the server as session settings.
func withSessionDefaults(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return dsn // key=value DSNs are used as given
	}
	q := u.Query()
	if q.Get("random_page_cost") == "" {
		q.Set("random_page_cost", "1.1")
	}
	u.RawQuery = q.Encode()
	return u.String()
}
