-- name: rule-overrides
-- $1: one tenant's, or every tenant's when empty.
SELECT tenant, id, version, channel, priority, description, match, verdict, state, author, created_at
FROM rule_overrides
WHERE $1 = '' OR tenant = $1
ORDER BY tenant, id, version;

-- name: rule-overrides-fingerprint
-- Rows are only ever inserted, so their count and the latest insert time
-- change whenever the set of overrides does.
SELECT count(*) AS n, coalesce(max(created_at), 'epoch'::timestamptz) AS latest FROM rule_overrides;

-- name: insert-rule-override
-- An id@version is published once: a second insert of the same key
-- returns no row, and the caller reports the conflict.
INSERT INTO rule_overrides (id, version, channel, priority, description, match, verdict, state, author, tenant)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
ON CONFLICT (tenant, id, version) DO NOTHING
RETURNING created_at;

-- name: insert-shadow-verdicts
INSERT INTO rule_shadow_verdicts (tenant, event_id, channel, shadow_rule, shadow_outcome, shadow_reason, shadow_evidence,
                                  live_rule, live_outcome, live_reason)
SELECT tenant, event_id, channel, shadow_rule, shadow_outcome, shadow_reason, shadow_evidence, live_rule, live_outcome, live_reason
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[])
    AS v(tenant, event_id, channel, shadow_rule, shadow_outcome, shadow_reason, shadow_evidence, live_rule, live_outcome, live_reason)
ON CONFLICT (event_id) DO NOTHING;

-- name: shadow-verdict-counts
SELECT shadow_rule AS rule, count(*) AS n FROM rule_shadow_verdicts
WHERE tenant = $2 AND shadow_rule = ANY($1::text[])
GROUP BY shadow_rule;

-- name: set-statement-timeout
-- Bounds the statements of the current transaction ($1 in milliseconds).
SELECT set_config('statement_timeout', $1, true);

-- name: replay-events
-- The events of a window, and the "sent" events of the messages they name
-- whenever those were sent, so that rate buckets (by send time) can be
-- replayed. $4 bounds the window (the caller asks one more than it allows
-- to detect an overflow). No index serves the range: a backtest is an
-- operator's occasional scan, not a hot path.
WITH w AS (
    SELECT id, tenant, channel, message_id FROM events
    WHERE tenant = $5 AND channel = $1 AND occurred_at >= $2::timestamptz AND occurred_at < $3::timestamptz
      -- The window's months: only their partitions are read.
      AND month >= date_trunc('month', $2::timestamptz AT TIME ZONE 'UTC')::date
      AND month <= date_trunc('month', $3::timestamptz AT TIME ZONE 'UTC')::date
    ORDER BY seq
    LIMIT $4
), ids AS (
    SELECT id FROM w
    UNION
    SELECT e.id FROM events e
    JOIN (SELECT DISTINCT tenant, channel, message_id FROM w WHERE message_id <> '') m
      ON e.tenant = m.tenant AND e.channel = m.channel AND e.message_id = m.message_id
    -- Repeats the predicate of the events_message index (0001_spine.sql).
    WHERE e.type = 'sent' AND e.message_id <> ''
)
-- The payload comes without "raw" (the source mail or receipt, often most
-- of its size): no rule reads it.
SELECT e.id, (e.payload::jsonb - 'raw')::text AS payload, e.id IN (SELECT id FROM w) AS in_window,
       coalesce(e.outcome, '') AS outcome, coalesce(e.reason, '') AS reason,
       coalesce(e.rule, '') AS rule, coalesce(e.evidence, '') AS evidence
FROM events e JOIN ids USING (id)
ORDER BY e.seq;

-- name: fallback-events
-- Failures no rule recognized, newest first. The WHERE clause implies the
-- predicate of the events_fallback index (0009_hot_apply.sql).
SELECT id, channel, type, occurred_at,
       coalesce(payload->'smtp'->>'text', '') AS text,
       coalesce(payload->'smtp'->>'status', '') AS status,
       coalesce((payload->'smtp'->>'code')::integer, 0) AS code,
       coalesce(payload->'sms'->>'stat', '') AS stat,
       coalesce(payload->'sms'->>'err', '') AS err,
       coalesce(payload->'sms'->>'dialect', '') AS dialect,
       coalesce((payload->>'unverified')::boolean, false) AS unverified
FROM events
WHERE rule LIKE 'fallback.%' AND type IN ('failed', 'deferred')
  AND tenant = $4 AND ($1 = '' OR channel = $1) AND occurred_at >= $2::timestamptz
  AND month >= date_trunc('month', $2::timestamptz AT TIME ZONE 'UTC')::date
ORDER BY occurred_at DESC
LIMIT $3;

-- name: qualification-decisions
SELECT group_id, channel, text, state, rule, author, decided_at
FROM qualification_decisions
WHERE tenant = $2 AND ($1 = '' OR channel = $1)
ORDER BY decided_at;

-- name: insert-qualification-decision
INSERT INTO qualification_decisions (group_id, channel, text, state, rule, author, tenant)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (tenant, group_id) DO NOTHING
RETURNING decided_at;
