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

-- name: backfill-notable
-- The notable_events rows (0023_notable_events.sql) of the events applied
-- since an hour before 0023 ran, for those an older build's apply marked
-- without one during a rolling update (rebond migrate --backfill-notable).
-- $1: the routine reasons (store.routineReasons). The events are found by
-- applied_at, which no index holds: it reads every partition once.
WITH since AS (SELECT applied_at - interval '1 hour' AS t FROM schema_migrations WHERE version = 23)
INSERT INTO notable_events (tenant, channel, campaign, outcome, reason, occurred_at, id, month)
SELECT e.tenant, e.channel, rebond_event_campaign(e.tenant, e.channel, e.campaign, e.message_id, e.recipient),
       e.outcome, COALESCE(e.reason, ''), e.occurred_at, e.id, e.month
FROM events e, since
WHERE e.applied_at >= since.t AND e.outcome IS NOT NULL
  AND NOT (e.outcome IN ('pending', 'delivered') AND COALESCE(e.reason, '') = ANY ($1::text[]))
ON CONFLICT (id, month) DO NOTHING;
