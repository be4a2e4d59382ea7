-- name: exclusions
-- One row per excluded recipient (with its 1-based position in the
-- request), in the order asked. A timed state whose end has passed reads
-- as active even before the release job has run. A recipient's domain is
-- what follows its last "@" (a quoted local part may hold one).
-- Deny entries on the exact address and on the whole domain are
-- hash-joined: 10,000 recipients cost two joins, not 10,000 scans of the
-- list. The other matches go through keys, made only when the tenant has
-- entries that need them: each parent domain (".example.com" for
-- x@a.example.com: a dotted entry covers every subdomain, not the domain
-- itself, as in Postfix access tables), each prefix of a number, and for
-- allow entries the address and domain too; each ranked from the most
-- specific, and hash- or merge-joined with the tenant's live entries.
-- The most specific deny entry wins (exact, domain, the nearest parent
-- domain or the longest prefix), and so does the most specific allow
-- entry; the caller lets a deny entry win over any state, and an allow
-- entry override a quarantine or suspension.
-- $4 is the tenant; with $5 (tenancy.share_user_unknown) another tenant's
-- user_unknown quarantine of the same address excludes it too, without
-- its evidence event (which is that tenant's).
WITH k AS (
    SELECT a.address, a.ord, CASE WHEN $1 = 'email' THEN split_part(a.address, '@', -1) END AS domain
    FROM unnest($2::text[]) WITH ORDINALITY AS a(address, ord)
), lists AS MATERIALIZED (
    SELECT list, kind, value, reason, created_at, expires_at FROM recipient_lists
    WHERE tenant = $4 AND channel = $1 AND (expires_at IS NULL OR expires_at > $3)
), deny AS (
    SELECT kind, value, reason, created_at, expires_at FROM recipient_lists
    WHERE tenant = $4 AND list = 'deny' AND channel = $1 AND kind IN ('exact', 'domain')
      AND (expires_at IS NULL OR expires_at > $3)
), keys AS (
    SELECT ord, 0 AS rank, 'exact' AS kind, address AS value FROM k
    WHERE EXISTS (SELECT 1 FROM lists WHERE list = 'allow')
    UNION ALL
    SELECT ord, 1, 'domain', domain FROM k
    WHERE domain IS NOT NULL AND EXISTS (SELECT 1 FROM lists WHERE list = 'allow')
    UNION ALL
    SELECT k.ord, 1 + p.i, 'domain', '.' || array_to_string((string_to_array(k.domain, '.'))[p.i:], '.')
    FROM k, unnest(string_to_array(k.domain, '.')) WITH ORDINALITY AS p(label, i)
    WHERE p.i > 1 AND EXISTS (SELECT 1 FROM lists WHERE kind = 'domain' AND starts_with(value, '.'))
    UNION ALL
    SELECT k.ord, 100 - p.n, 'prefix', left(k.address, p.n::int)
    FROM k, unnest(string_to_array(k.address, NULL)) WITH ORDINALITY AS p(digit, n)
    WHERE EXISTS (SELECT 1 FROM lists WHERE kind = 'prefix')
), hits AS (
    SELECT DISTINCT ON (c.ord, l.list) c.ord, l.list, l.kind, l.value, l.reason, l.created_at, l.expires_at
    FROM keys c JOIN lists l ON l.kind = c.kind AND l.value = c.value
    ORDER BY c.ord, l.list, c.rank
)
SELECT k.ord, k.address,
       COALESCE(r.state, sh.state, 'active') AS state, COALESCE(r.reason, sh.reason, '') AS reason,
       COALESCE(r.since, sh.since) AS since, r.until, COALESCE(r.event_id, '') AS event_id,
       r.address IS NULL AND sh.address IS NOT NULL AS shared,
       COALESCE(de.kind, dd.kind, dh.kind) AS deny_kind,
       COALESCE(de.value, dd.value, dh.value) AS deny_value,
       COALESCE(de.reason, dd.reason, dh.reason) AS deny_reason,
       COALESCE(de.created_at, dd.created_at, dh.created_at) AS deny_since,
       CASE WHEN de.value IS NOT NULL THEN de.expires_at
            WHEN dd.value IS NOT NULL THEN dd.expires_at ELSE dh.expires_at END AS deny_until,
       ah.kind AS allow_kind, ah.value AS allow_value
FROM k
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
LEFT JOIN deny dd ON dd.kind = 'domain' AND dd.value = k.domain
LEFT JOIN hits dh ON dh.ord = k.ord AND dh.list = 'deny'
LEFT JOIN hits ah ON ah.ord = k.ord AND ah.list = 'allow'
-- Only excluded recipients come back: most of a send is sendable, and
-- the caller fills those in (10,000 rows to decode cost more than the
-- lookups).
WHERE r.address IS NOT NULL OR sh.address IS NOT NULL OR de.value IS NOT NULL OR dd.value IS NOT NULL OR dh.ord IS NOT NULL
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
