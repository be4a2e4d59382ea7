package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"

	"github.com/jmoiron/sqlx"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrationLock is the pg_advisory_xact_lock key that serializes concurrent
// migrators (several replicas starting at once): "rebond" in ASCII.
const migrationLock = 0x7265626f6e64

// Migration is one numbered, append-only schema change.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// Migrations lists the embedded migrations in order.
func Migrations() ([]Migration, error) {
	files, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var ms []Migration
	for _, f := range files {
		base := strings.TrimPrefix(f, "migrations/")
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration %s: name must start with a number and '_'", f)
		}
		b, err := fs.ReadFile(migrationFiles, f)
		if err != nil {
			return nil, err
		}
		ms = append(ms, Migration{Version: v, Name: base, SQL: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	return ms, nil
}

// Migrate applies every embedded migration not applied yet, in one
// transaction under an advisory lock, and returns the names it applied.
func (s *Store) Migrate(ctx context.Context) ([]string, error) {
	ms, err := Migrations()
	if err != nil {
		return nil, err
	}
	var applied []string
	err = s.tryTx(ctx, func(tx *sqlx.Tx) error {
		if err := s.exec(ctx, tx, qMigrateLock, migrationLock); err != nil {
			return err
		}
		if err := s.exec(ctx, tx, qMigrateBootstrap); err != nil {
			return err
		}
		have, err := s.doneMigrations(ctx, tx)
		if err != nil {
			return err
		}
		for _, m := range ms {
			if have[m.Version] {
				continue
			}
			if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
				return fmt.Errorf("migration %s: %w", m.Name, err)
			}
			if err := s.exec(ctx, tx, qMigrateRecord, m.Version, m.Name); err != nil {
				return err
			}
			applied = append(applied, m.Name)
		}
		return nil
	})
	return applied, err
}

func (s *Store) doneMigrations(ctx context.Context, tx *sqlx.Tx) (map[int]bool, error) {
	sql, err := s.query(qMigrateDone)
	if err != nil {
		return nil, err
	}
	var done []int
	if err := tx.SelectContext(ctx, &done, sql); err != nil {
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	have := make(map[int]bool, len(done))
	for _, v := range done {
		have[v] = true
	}
	return have, nil
}
