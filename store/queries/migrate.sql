-- name: migrate-lock
-- Serializes concurrent migrators (several replicas starting at once).
SELECT pg_advisory_xact_lock($1);

-- name: migrate-bootstrap
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    integer     PRIMARY KEY,
    name       text        NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
);

-- name: migrate-done
SELECT version FROM schema_migrations;

-- name: migrate-record
INSERT INTO schema_migrations (version, name) VALUES ($1, $2);

-- name: database-exists
SELECT count(*) FROM pg_database WHERE datname = $1;
