-- name: exclusions
-- One row per asked recipient, in the order asked. A timed state whose end
-- has passed reads as active even before the release job has run.
SELECT k.address,
       COALESCE(r.state, 'active') AS state, COALESCE(r.reason, '') AS reason,
       r.since, r.until, COALESCE(r.event_id, '') AS event_id,
       d.reason AS deny_reason, d.created_at AS deny_since, d.expires_at AS deny_until
FROM unnest($2::text[]) WITH ORDINALITY AS k(address, ord)
LEFT JOIN recipients r ON r.channel = $1 AND r.address = k.address
    AND r.state <> 'active' AND (r.until IS NULL OR r.until > $3)
LEFT JOIN LATERAL (
    SELECT l.reason, l.created_at, l.expires_at FROM recipient_lists l
    WHERE l.list = 'deny' AND l.channel = $1 AND (l.expires_at IS NULL OR l.expires_at > $3)
      AND ((l.kind = 'exact' AND l.value = k.address)
        OR (l.kind = 'domain' AND l.value = split_part(k.address, '@', 2))
        OR (l.kind = 'prefix' AND starts_with(k.address, l.value)))
    ORDER BY l.id LIMIT 1
) d ON true
ORDER BY k.ord;

-- name: recipient
SELECT channel, address, state, reason, soft_count, since, until
FROM recipients WHERE channel = $1 AND address = $2;

-- name: recipient-history
SELECT at, from_state, to_state, reason, actor, event_id, rule
FROM recipient_audit WHERE channel = $1 AND address = $2
ORDER BY at DESC, id DESC LIMIT $3;

-- name: add-list-entry
INSERT INTO recipient_lists (channel, list, kind, value, reason, expires_at)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (channel, list, kind, value) DO UPDATE
SET reason = EXCLUDED.reason, expires_at = EXCLUDED.expires_at;

-- name: release-expired
-- The release job: timed quarantines and suspensions that ended go back to
-- active, each with its audit row, in one statement.
WITH due AS (
    SELECT channel, address, state, reason FROM recipients
    WHERE state <> 'active' AND until IS NOT NULL AND until <= $1
    ORDER BY channel, address
    LIMIT $2
    FOR UPDATE SKIP LOCKED
), released AS (
    UPDATE recipients r
    SET state = 'active', reason = '', soft_count = 0, since = $1, until = NULL, updated_at = now()
    FROM due WHERE r.channel = due.channel AND r.address = due.address
    RETURNING r.channel, r.address
)
INSERT INTO recipient_audit (channel, address, at, from_state, to_state, reason, actor)
SELECT due.channel, due.address, $1, due.state, 'active', due.reason || ' ended', 'rebond:release'
FROM due JOIN released USING (channel, address);
