package store

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// CreateDatabase creates the database named in cfg.URL if it does not
// exist, connecting to the server's "postgres" database to do so, and
// reports whether it created it. `make run` uses it on a fresh machine.
func CreateDatabase(ctx context.Context, cfg Config) (bool, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || u.Path == "" || u.Path == "/" {
		return false, fmt.Errorf("database.url: %q names no database", cfg.URL)
	}
	name := strings.TrimPrefix(u.Path, "/")
	u.Path = "/postgres"
	q, err := loadQueries(queryFiles)
	if err != nil {
		return false, err
	}
	db, err := sqlx.ConnectContext(ctx, "postgres", u.String())
	if err != nil {
		return false, fmt.Errorf("connect to PostgreSQL at %s: %w", u.Host, err)
	}
	defer db.Close()
	var n int
	if err := db.GetContext(ctx, &n, q[qDatabaseExists.name], name); err != nil {
		return false, fmt.Errorf("look up database %s: %w", name, err)
	}
	if n > 0 {
		return false, nil
	}
	// CREATE DATABASE takes no bind parameters; the name is quoted instead.
	if _, err := db.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(name)); err != nil {
		return false, fmt.Errorf("create database %s: %w", name, err)
	}
	return true, nil
}
