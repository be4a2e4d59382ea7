-- name: insert-events
-- The inbox insert of the bridge: one statement per batch, idempotent on id.
-- A new event is also queued in events_inbox (0009_hot_apply.sql); a
-- duplicate is neither, so an applied event never goes back to the inbox.
WITH ins AS (
    INSERT INTO events (id, channel, type, message_id, recipient, campaign, occurred_at, payload, tenant)
    SELECT id, channel, type, message_id, recipient, campaign, occurred_at::timestamptz, payload::json, tenant
    FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[])
        AS t(id, channel, type, message_id, recipient, campaign, occurred_at, payload, tenant)
    ON CONFLICT (id) DO NOTHING
    RETURNING id, received_at)
INSERT INTO events_inbox (id, received_at) SELECT id, received_at FROM ins;

-- name: unapplied-of
SELECT id FROM events WHERE id = ANY($1::text[]) AND applied_at IS NULL ORDER BY seq;

-- name: insert-rejected
INSERT INTO rejected_events (source, error, payload) VALUES ($1, $2, $3);

-- name: unapplied-before
-- The reconciler's scan for inbox rows that no task applied in time.
SELECT id FROM events_inbox WHERE received_at < $1 ORDER BY received_at LIMIT $2;

-- name: count-events
SELECT count(*) FILTER (WHERE applied_at IS NOT NULL) AS applied,
       count(*) FILTER (WHERE applied_at IS NULL) AS pending
FROM events;

-- name: count-rejected
SELECT count(*) FROM rejected_events WHERE source = $1;

-- name: delete-old-events
-- Retention: applied events received before $1, a bounded batch at a time,
-- so a first run on a large table never holds long locks.
DELETE FROM events WHERE id IN (
    SELECT id FROM events WHERE applied_at IS NOT NULL AND received_at < $1 LIMIT $2);

-- name: delete-old-rejected
DELETE FROM rejected_events WHERE ctid IN (
    SELECT ctid FROM rejected_events WHERE received_at < $1 LIMIT $2);
