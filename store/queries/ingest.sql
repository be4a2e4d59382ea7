-- name: insert-events
-- The inbox insert of the bridge: one statement per batch, idempotent on
-- the event key. The key is (id, month), month being occurred_at's month
-- in UTC, the partition (0011_events_by_month.sql): a re-delivered event
-- has the same occurred_at, so the same month, and conflicts. An event in
-- the first $10 days of its month is also looked for in the month before,
-- by id: a receipt whose occurred_at is its time of receipt, re-delivered
-- across the turn of a month, is a duplicate too. The lookup is one probe
-- of one partition's primary key; $11, the months before of the batch's
-- events in their first days, lets the planner leave every other
-- partition out of the plan (with none, the lookup is planned away).
-- A new event is also queued in events_inbox (0009_hot_apply.sql) with its
-- month; a duplicate is neither, so an applied event never goes back to
-- the inbox. The inbox is keyed by id alone (0012_inbox_by_id.sql): an id
-- still pending in another month keeps its one inbox row, and no task or
-- reconciler names the new one.
WITH t AS (
    SELECT t.*, date_trunc('month', t.occurred_at AT TIME ZONE 'UTC')::date AS month
    FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[], $8::text[], $9::text[])
        AS t(id, channel, type, message_id, recipient, campaign, occurred_at, payload, tenant)
), ins AS (
    INSERT INTO events (id, month, channel, type, message_id, recipient, campaign, occurred_at, payload, tenant)
    SELECT id, month, channel, type, message_id, recipient, campaign, occurred_at, payload::json, tenant
    FROM t
    WHERE NOT ((t.occurred_at AT TIME ZONE 'UTC') < t.month + $10::integer AND EXISTS (
        SELECT 1 FROM events p
        WHERE p.id = t.id AND p.month = (t.month - interval '1 month')::date AND p.month = ANY($11::date[])))
    ON CONFLICT (id, month) DO NOTHING
    RETURNING id, month, received_at)
INSERT INTO events_inbox (id, month, received_at) SELECT id, month, received_at FROM ins
ON CONFLICT (id) DO NOTHING
RETURNING id;

-- name: unapplied-of
-- The events of a batch that insert-events did not queue (already stored:
-- a re-delivery) and that are still waiting to be applied. $2 holds the
-- months of the batch's events: the planner probes only those partitions.
-- An event found a duplicate of one stored in the month before
-- (insert-events) is not listed: that one's own task, or the reconciler,
-- applies it.
SELECT id FROM events
WHERE id = ANY($1::text[]) AND month = ANY($2::date[]) AND applied_at IS NULL
ORDER BY seq;

-- name: insert-rejected
INSERT INTO rejected_events (source, error, payload) VALUES ($1, $2, $3);

-- name: insert-rejected-once
-- A spooled payload, once per (source, ref): a redelivery inserts nothing.
INSERT INTO rejected_events (source, error, payload, ref) VALUES ($1, $2, $3, $4)
ON CONFLICT (source, ref) WHERE ref IS NOT NULL DO NOTHING;

-- name: unapplied-before
-- The reconciler's scan for inbox rows that no task applied in time.
SELECT id FROM events_inbox WHERE received_at < $1 ORDER BY received_at LIMIT $2;

-- name: count-events
SELECT count(*) FILTER (WHERE applied_at IS NOT NULL) AS applied,
       count(*) FILTER (WHERE applied_at IS NULL) AS pending
FROM events;

-- name: count-rejected
SELECT count(*) FROM rejected_events WHERE source = $1;

-- name: delete-rejected
-- The rejected payloads' retention: those received before $1 (NULL: no
-- age limit) and those older than the newest $2 (0: no count limit),
-- oldest first, at most $3 a call. Both walk the primary key: ids grow
-- with receive time.
DELETE FROM rejected_events WHERE id IN (
    SELECT id FROM rejected_events
    WHERE ($1::timestamptz IS NOT NULL AND received_at < $1::timestamptz)
       OR ($2::int > 0 AND id <= (SELECT r.id FROM rejected_events r ORDER BY r.id DESC OFFSET $2::int LIMIT 1))
    ORDER BY id
    LIMIT $3);

-- name: message-recipient
-- The recipient of a known message, for a receipt that names none (an SMSC
-- that leaves deliver_sm's source_addr empty): the message id joins first.
-- Only a message of exactly one delivery answers: with several, the receipt
-- cannot say whose it is (no row, as for an unknown message).
SELECT min(recipient) FROM messages
WHERE tenant = $1 AND channel = $2 AND message_id = $3 AND recipient <> ''
HAVING count(*) = 1;
