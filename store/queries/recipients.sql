-- name: exclusions
-- One row per excluded recipient (with its 1-based position in the
-- request), in the order asked. A timed state whose end
-- has passed reads as active even before the release job has run. Deny
-- entries are hash-joined (exact address, then domain), and number
-- prefixes (SMS only) are probed through the list's unique index with the
-- number's own prefixes: 10,000 recipients cost three joins, not 10,000
-- scans of the list. The most specific entry wins: exact, domain, prefix.
-- $4 is the tenant; with $5 (tenancy.share_user_unknown) another tenant's
-- user_unknown quarantine of the same address excludes it too, without
-- its evidence event (which is that tenant's).
WITH deny AS (
    SELECT kind, value, reason, created_at, expires_at FROM recipient_lists
    WHERE tenant = $4 AND list = 'deny' AND channel = $1 AND kind IN ('exact', 'domain')
      AND (expires_at IS NULL OR expires_at > $3)
)
SELECT k.ord, k.address,
       COALESCE(r.state, sh.state, 'active') AS state, COALESCE(r.reason, sh.reason, '') AS reason,
       COALESCE(r.since, sh.since) AS since, r.until, COALESCE(r.event_id, '') AS event_id,
       r.address IS NULL AND sh.address IS NOT NULL AS shared,
       COALESCE(de.reason, dd.reason, dp.reason) AS deny_reason,
       COALESCE(de.created_at, dd.created_at, dp.created_at) AS deny_since,
       CASE WHEN de.value IS NOT NULL THEN de.expires_at
            WHEN dd.value IS NOT NULL THEN dd.expires_at ELSE dp.expires_at END AS deny_until
FROM unnest($2::text[]) WITH ORDINALITY AS k(address, ord)
LEFT JOIN (
    -- An index scan on the primary key with the whole array: the planner
    -- would otherwise hash the table's excluded rows (all of them).
    SELECT address, state, reason, since, until, event_id FROM recipients
    WHERE tenant = $4 AND channel = $1 AND address = ANY ($2::text[])
      AND state <> 'active' AND (until IS NULL OR until > $3)
) r ON r.address = k.address
LEFT JOIN (
    SELECT address, min(state) AS state, min(reason) AS reason, min(since) AS since FROM recipients
    WHERE $5 AND tenant <> $4 AND channel = $1 AND address = ANY ($2::text[])
      AND reason = 'user_unknown' AND state = 'quarantined'
    GROUP BY address
) sh ON sh.address = k.address
LEFT JOIN deny de ON de.kind = 'exact' AND de.value = k.address
LEFT JOIN deny dd ON dd.kind = 'domain' AND dd.value = split_part(k.address, '@', 2)
LEFT JOIN LATERAL (
    SELECT l.reason, l.created_at, l.expires_at FROM recipient_lists l
    WHERE $1 = 'sms' AND l.tenant = $4 AND l.list = 'deny' AND l.channel = $1 AND l.kind = 'prefix'
      AND l.value = ANY (ARRAY(SELECT left(k.address, n) FROM generate_series(1, length(k.address)) n))
      AND (l.expires_at IS NULL OR l.expires_at > $3)
    ORDER BY length(l.value) DESC LIMIT 1
) dp ON true
-- Only excluded recipients come back: most of a send is sendable, and
-- the caller fills those in (10,000 rows to decode cost more than the
-- lookups).
WHERE r.address IS NOT NULL OR sh.address IS NOT NULL OR de.value IS NOT NULL OR dd.value IS NOT NULL OR dp.reason IS NOT NULL
ORDER BY k.ord;

-- name: recipient
SELECT channel, address, state, reason, soft_count, since, until, quarantine_count
FROM recipients WHERE tenant = $3 AND channel = $1 AND address = $2;

-- name: recipient-history
SELECT at, from_state, to_state, reason, actor, event_id, rule, scope
FROM recipient_audit WHERE tenant = $4 AND channel = $1 AND address = $2
ORDER BY at DESC, id DESC LIMIT $3;

-- name: add-list-entry
INSERT INTO recipient_lists (tenant, channel, list, kind, value, reason, expires_at)
VALUES ($7, $1, $2, $3, $4, $5, $6)
ON CONFLICT (tenant, channel, list, kind, value) DO UPDATE
SET reason = EXCLUDED.reason, expires_at = EXCLUDED.expires_at;

-- name: release-expired
-- The release job: timed quarantines and suspensions that ended go back to
-- active, each with its audit row, in one statement. A quarantine's end
-- starts the soft count afresh; a suspension's keeps it, since a
-- suspending reason counts toward the soft threshold too (lifecycle) and
-- nothing can be sent to a suspended recipient to reset it.
WITH due AS (
    SELECT tenant, channel, address, state, reason FROM recipients
    WHERE state <> 'active' AND until IS NOT NULL AND until <= $1
    ORDER BY tenant, channel, address
    LIMIT $2
    FOR UPDATE SKIP LOCKED
), released AS (
    UPDATE recipients r
    SET state = 'active', reason = '',
        soft_count = CASE WHEN due.state = 'suspended' THEN r.soft_count ELSE 0 END,
        since = $1, until = NULL, updated_at = now()
    FROM due WHERE r.tenant = due.tenant AND r.channel = due.channel AND r.address = due.address
    RETURNING r.tenant, r.channel, r.address
)
INSERT INTO recipient_audit (tenant, channel, address, at, from_state, to_state, reason, actor)
SELECT due.tenant, due.channel, due.address, $1, due.state, 'active', due.reason || ' ended', 'rebond:release'
FROM due JOIN released USING (tenant, channel, address);
