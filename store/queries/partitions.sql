-- The monthly partitions of events (0011_events_by_month.sql): created
-- ahead of time by the scheduler, dropped whole by retention.

-- name: partition-lock-timeout
-- Creating and dropping partitions take locks on events that inserts and
-- applies wait behind once requested: give up after 5 s rather than stall
-- the pipeline behind a long reader (the scheduler retries next tick).
SET LOCAL lock_timeout TO '5s';

-- name: delete-old-events
-- Retention in the DEFAULT partition (months without a partition of their
-- own): applied events of months that ended at or before $1, a bounded
-- batch at a time, so a first run on a large partition never holds long
-- locks. The monthly partitions go whole (drop-event-partitions). Their
-- rows of the activity log's notable_events (0023_notable_events.sql) go
-- with them; the count is of events.
WITH gone AS (
    DELETE FROM events_default WHERE ctid IN (
        SELECT ctid FROM events_default
        WHERE applied_at IS NOT NULL AND month < date_trunc('month', $1::timestamptz AT TIME ZONE 'UTC')::date
        LIMIT $2)
    RETURNING id, month
), notable AS (
    DELETE FROM notable_events_default n USING gone g WHERE n.id = g.id AND n.month = g.month
)
SELECT count(*) FROM gone;

-- name: drop-event-partitions
-- One row per monthly partition that ended at or before $1: dropped, or
-- kept because it still holds unapplied events (0011_events_by_month.sql).
SELECT part_name, was_dropped FROM rebond_drop_event_partitions($1);

-- name: ensure-event-partitions
-- Creates the partitions of the months from $1 to $2 that have none; one
-- row per partition created.
SELECT created FROM (
    SELECT rebond_event_partition(m::date) AS created
    FROM generate_series($1::date::timestamp, $2::date::timestamp, interval '1 month') AS m
) c WHERE created IS NOT NULL;

-- name: event-partitions
SELECT name, lo, hi FROM event_partitions ORDER BY lo NULLS LAST, name;
