-- name: upsert-incidents
-- A batch's additions to sender incidents: added to the open incident of
-- each key, or opening one. Rows go in key order (the lock order of every
-- apply), and ON CONFLICT on the partial unique index makes two batches
-- raising the same new incident add up instead of opening two.
INSERT INTO incidents (tenant, channel, route, reason, count, first_seen, last_seen, last_event_id, last_rule)
SELECT tenant, channel, route, reason, count, first_seen::timestamptz, last_seen::timestamptz, event_id, rule
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[], $7::text[], $8::text[], $9::text[])
    AS i(tenant, channel, route, reason, count, first_seen, last_seen, event_id, rule)
ORDER BY tenant, channel, route, reason
ON CONFLICT (tenant, channel, route, reason) WHERE state = 'open' DO UPDATE
SET count = incidents.count + EXCLUDED.count,
    first_seen = LEAST(incidents.first_seen, EXCLUDED.first_seen),
    last_seen = GREATEST(incidents.last_seen, EXCLUDED.last_seen),
    last_event_id = CASE WHEN EXCLUDED.last_seen >= incidents.last_seen
                         THEN EXCLUDED.last_event_id ELSE incidents.last_event_id END,
    last_rule = CASE WHEN EXCLUDED.last_seen >= incidents.last_seen
                     THEN EXCLUDED.last_rule ELSE incidents.last_rule END,
    updated_at = now();

-- name: resolve-incidents
-- The scheduler's job: open incidents quiet since $1 (no event that late,
-- and nothing recorded since, which keeps a replay of old events open for
-- a quiet period) become resolved at $2.
WITH due AS (
    SELECT id FROM incidents
    WHERE state = 'open' AND last_seen < $1 AND updated_at < $1
    ORDER BY id
    LIMIT $3
    FOR UPDATE SKIP LOCKED
)
UPDATE incidents i SET state = 'resolved', resolved_at = $2, updated_at = now()
FROM due WHERE i.id = due.id;

-- name: incidents
SELECT id, channel, route, reason, state, count, first_seen, last_seen, last_event_id, last_rule,
       opened_at, resolved_at
FROM incidents
WHERE tenant = $4 AND ($1 = '' OR channel = $1) AND ($2 = '' OR state = $2)
ORDER BY last_seen DESC, id DESC
LIMIT $3;
