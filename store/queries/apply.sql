-- name: lock-events
-- SKIP LOCKED: a row another apply holds is that apply's job; if it rolls
-- back, its task retry or the reconciler picks the row up again.
-- The inbox knows each pending id's month, i.e. its partition
-- (0011_events_by_month.sql): the batch's first and last month bound the
-- partitions read (run-time pruning on two values: in practice one month,
-- two at the turn of one), and in those the plan is the unpartitioned
-- table's, one probe of the primary key per id. The ids reach the events
-- scan through a sub-select so that the planner does not estimate the
-- selectivity of every id in every partition, a planning cost that grows
-- with ids times partitions. A join of the inbox with events would prune
-- exactly, but its plan hangs on the inbox's statistics, which its churn
-- keeps stale, and a stale estimate makes it hash a sequential scan of the
-- whole month.
-- An event is thus found through its inbox row, which insert-events
-- writes with it and mark-applied deletes with the mark; exactly-once
-- still rests on applied_at, locked here.
WITH b AS MATERIALIZED (
    SELECT min(month) AS lo, max(month) AS hi FROM events_inbox WHERE id = ANY($1::text[]))
SELECT e.id, e.month, e.payload, e.received_at FROM events e
WHERE e.id = ANY((SELECT $1::text[])::text[]) AND e.applied_at IS NULL
  AND e.month >= (SELECT lo FROM b) AND e.month <= (SELECT hi FROM b)
ORDER BY e.seq
FOR UPDATE OF e SKIP LOCKED;

-- name: read-messages
-- The stored deliveries of a batch's messages (every recipient of each
-- message id), without locking them: the apply joins its events to them
-- (resolveDeliveries), locks these (lock-messages), and creates the others
-- whole once it has decided (insert-messages). A prefix of the primary key.
SELECT m.tenant, m.channel, m.message_id, m.recipient
FROM messages m
JOIN unnest($1::text[], $2::text[], $3::text[]) AS k(tenant, channel, message_id) USING (tenant, channel, message_id);

-- name: insert-messages
-- The batch's new deliveries, with the state the batch gives them: one
-- write each, where a placeholder row, its lock and a non-HOT update
-- would be three. In key order, as every lock; a key
-- another transaction created meanwhile waits for it to end, then is not
-- inserted: the caller locks it instead (lock-messages-nowait).
-- RETURNING names the inserted.
INSERT INTO messages (tenant, channel, message_id, recipient, campaign, domain, sent_at, status, complained,
                      reason, event_id, retry_attempt, retry_due_at, retry_reason, route, unsubscribed, updated_at)
SELECT tenant, channel, message_id, recipient, campaign, domain, NULLIF(sent_at, '')::timestamptz, status, complained,
       reason, event_id, retry_attempt, NULLIF(retry_due_at, '')::timestamptz, retry_reason, route, unsubscribed, now()
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
            $9::boolean[], $10::text[], $11::text[], $12::integer[], $13::text[], $14::text[], $15::text[], $16::boolean[])
    AS v(tenant, channel, message_id, recipient, campaign, domain, sent_at, status,
         complained, reason, event_id, retry_attempt, retry_due_at, retry_reason, route, unsubscribed)
ORDER BY tenant, channel, message_id, recipient
ON CONFLICT (tenant, channel, message_id, recipient) DO NOTHING
RETURNING tenant, channel, message_id, recipient;

-- name: lock-messages
-- Deliveries by their whole key, locked in key order.
SELECT m.tenant, m.channel, m.message_id, m.recipient, m.campaign, m.domain, m.sent_at, m.status,
       m.complained, m.reason, m.event_id, m.retry_attempt, m.retry_due_at, m.retry_reason, m.route, m.unsubscribed
FROM messages m
JOIN unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS k(tenant, channel, message_id, recipient)
  USING (tenant, channel, message_id, recipient)
ORDER BY m.tenant, m.channel, m.message_id, m.recipient
FOR UPDATE OF m;

-- name: lock-messages-nowait
-- Deliveries another apply created while this one decided, locked after
-- its recipients, out of the lock order: NOWAIT, so that a lock another
-- apply holds fails at once (55P03) rather than risk a deadlock.
SELECT m.tenant, m.channel, m.message_id, m.recipient, m.campaign, m.domain, m.sent_at, m.status,
       m.complained, m.reason, m.event_id, m.retry_attempt, m.retry_due_at, m.retry_reason, m.route, m.unsubscribed
FROM messages m
JOIN unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS k(tenant, channel, message_id, recipient)
  USING (tenant, channel, message_id, recipient)
ORDER BY m.tenant, m.channel, m.message_id, m.recipient
FOR UPDATE OF m NOWAIT;

-- name: ensure-recipients
INSERT INTO recipients (tenant, channel, address)
SELECT tenant, channel, address FROM unnest($1::text[], $2::text[], $3::text[]) AS k(tenant, channel, address)
ORDER BY tenant, channel, address
ON CONFLICT (tenant, channel, address) DO NOTHING;

-- name: lock-recipients
SELECT r.tenant, r.channel, r.address, r.state, r.reason, r.soft_count, r.since, r.until, r.event_id, r.rule,
       r.quarantine_count, r.quarantined_at
FROM recipients r
JOIN unnest($1::text[], $2::text[], $3::text[]) AS k(tenant, channel, address) USING (tenant, channel, address)
ORDER BY r.tenant, r.channel, r.address
FOR UPDATE OF r;

-- name: allowed-recipients
-- The recipients an allow entry covers, matched as exclusions match
-- entries: the exact address, its domain (what follows the last "@"),
-- a parent-domain entry (".example.com") of it, or a number prefix.
SELECT k.tenant, k.channel, k.address
FROM unnest($1::text[], $2::text[], $3::text[]) AS k(tenant, channel, address)
CROSS JOIN LATERAL (SELECT split_part(k.address, '@', -1) AS domain) d
WHERE EXISTS (
    SELECT 1 FROM recipient_lists l
    WHERE l.list = 'allow' AND l.tenant = k.tenant AND l.channel = k.channel
      AND (l.expires_at IS NULL OR l.expires_at > now())
      AND ((l.kind = 'exact' AND l.value = k.address)
        OR (l.kind = 'domain' AND (l.value = d.domain OR starts_with(l.value, '.') AND right(d.domain, length(l.value)) = l.value))
        OR (l.kind = 'prefix' AND starts_with(k.address, l.value))));

-- name: mark-applied
-- No indexed column changes, so the update is HOT (0009_hot_apply.sql);
-- the events leave the inbox in the same statement. Each row is named by
-- its key (id, month); $7, the distinct months, lets the planner prune
-- every other partition. The inbox is keyed by id alone (0012_inbox_by_id.sql).
-- The events whose verdict is notable ($9; store.routineVerdict) get their
-- row in notable_events (0023_notable_events.sql) in the same statement:
-- no round trip more. Their campaign is the one the apply resolved ($8:
-- the event's own, else its delivery's as the plan leaves it), else, when
-- that is empty, rebond_event_campaign's (any delivery of the message), as
-- the replay and the migration's backfill resolve it.
WITH done AS (DELETE FROM events_inbox WHERE id = ANY($1::text[])),
marked AS (
    UPDATE events e
    SET applied_at = now(), outcome = v.outcome, reason = v.reason, rule = v.rule, evidence = v.evidence
    FROM unnest($1::text[], $2::date[], $3::text[], $4::text[], $5::text[], $6::text[], $8::text[], $9::boolean[])
        AS v(id, month, outcome, reason, rule, evidence, campaign, notable)
    WHERE e.id = v.id AND e.month = v.month AND e.month = ANY($7::date[])
    RETURNING e.tenant, e.channel, v.campaign, e.message_id, e.recipient, v.outcome, v.reason, e.occurred_at, e.id,
              e.month, v.notable)
INSERT INTO notable_events (tenant, channel, campaign, outcome, reason, occurred_at, id, month)
SELECT tenant, channel, rebond_event_campaign(tenant, channel, campaign, message_id, recipient), outcome, reason,
       occurred_at, id, month
FROM marked WHERE notable;

-- name: recampaign-notable
-- The deliveries whose campaign this apply changed ($1-$3 their message,
-- $4 the campaign they had, $5 the one they have): the notable_events rows
-- of their message's events that carry no campaign themselves, resolved to
-- the old one, follow (0023_notable_events.sql: a failure applied before
-- its send). Rare (a send naming its campaign after a failure of its
-- message), so one probe of events_message per partition is no cost.
UPDATE notable_events n
SET campaign = v.campaign
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) AS v(tenant, channel, message_id, was, campaign)
JOIN events e ON e.tenant = v.tenant AND e.channel = v.channel AND e.message_id = v.message_id AND e.message_id <> ''
WHERE n.id = e.id AND n.month = e.month AND e.campaign = '' AND n.campaign = v.was;

-- name: update-messages
UPDATE messages m
SET campaign = v.campaign, domain = v.domain,
    sent_at = NULLIF(v.sent_at, '')::timestamptz, status = v.status, complained = v.complained,
    reason = v.reason, event_id = v.event_id, retry_attempt = v.retry_attempt,
    retry_due_at = NULLIF(v.retry_due_at, '')::timestamptz, retry_reason = v.retry_reason, route = v.route,
    unsubscribed = v.unsubscribed, updated_at = now()
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
            $9::boolean[], $10::text[], $11::text[], $12::integer[], $13::text[], $14::text[], $15::text[], $16::boolean[])
    AS v(tenant, channel, message_id, recipient, campaign, domain, sent_at, status,
         complained, reason, event_id, retry_attempt, retry_due_at, retry_reason, route, unsubscribed)
WHERE m.tenant = v.tenant AND m.channel = v.channel AND m.message_id = v.message_id AND m.recipient = v.recipient;

-- name: update-recipients
UPDATE recipients r
SET state = v.state, reason = v.reason, soft_count = v.soft_count,
    since = NULLIF(v.since, '')::timestamptz, until = NULLIF(v.until, '')::timestamptz,
    event_id = v.event_id, rule = v.rule, quarantine_count = v.quarantine_count,
    quarantined_at = NULLIF(v.quarantined_at, '')::timestamptz, updated_at = now()
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::integer[], $7::text[], $8::text[], $9::text[], $10::text[],
            $11::integer[], $12::text[])
    AS v(tenant, channel, address, state, reason, soft_count, since, until, event_id, rule, quarantine_count, quarantined_at)
WHERE r.tenant = v.tenant AND r.channel = v.channel AND r.address = v.address;

-- name: insert-audit
INSERT INTO recipient_audit (tenant, channel, address, at, from_state, to_state, reason, actor, event_id, rule, scope)
SELECT tenant, channel, address, at::timestamptz, from_state, to_state, reason, actor, event_id, rule, scope
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[])
    AS a(tenant, channel, address, at, from_state, to_state, reason, actor, event_id, rule, scope);

-- name: add-buckets
-- Last statement of an apply: the hot rows are locked only until commit.
INSERT INTO rate_buckets (tenant, channel, campaign, domain, route, hour, sent, delivered, soft, hard, complaints, unverified, unsubscribed)
SELECT tenant, channel, campaign, domain, route, hour::timestamptz, sent, delivered, soft, hard, complaints, unverified, unsubscribed
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::bigint[], $9::bigint[], $10::bigint[], $11::bigint[], $12::bigint[], $13::bigint[])
    AS b(tenant, channel, campaign, domain, route, hour, sent, delivered, soft, hard, complaints, unverified, unsubscribed)
ORDER BY tenant, channel, campaign, domain, route, hour
ON CONFLICT (tenant, channel, campaign, domain, route, hour) DO UPDATE
SET sent = rate_buckets.sent + EXCLUDED.sent,
    delivered = rate_buckets.delivered + EXCLUDED.delivered,
    soft = rate_buckets.soft + EXCLUDED.soft,
    hard = rate_buckets.hard + EXCLUDED.hard,
    complaints = rate_buckets.complaints + EXCLUDED.complaints,
    unverified = rate_buckets.unverified + EXCLUDED.unverified,
    unsubscribed = rate_buckets.unsubscribed + EXCLUDED.unsubscribed;

-- name: add-rate-days
-- The daily roll-ups of the same deltas, in the same lock order (keys
-- sorted), after the hourly buckets: every apply locks hourly, daily,
-- then campaign-daily rows, so two applies cannot deadlock across them.
INSERT INTO rate_days (tenant, channel, campaign, domain, route, day, sent, delivered, soft, hard, complaints, unverified, unsubscribed)
SELECT tenant, channel, campaign, domain, route, date_trunc('day', hour::timestamptz, 'UTC') AS day,
       sum(sent), sum(delivered), sum(soft), sum(hard), sum(complaints), sum(unverified), sum(unsubscribed)
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::bigint[], $9::bigint[], $10::bigint[], $11::bigint[], $12::bigint[], $13::bigint[])
    AS b(tenant, channel, campaign, domain, route, hour, sent, delivered, soft, hard, complaints, unverified, unsubscribed)
GROUP BY 1, 2, 3, 4, 5, 6
ORDER BY 1, 2, 3, 4, 5, 6
ON CONFLICT (tenant, channel, campaign, domain, route, day) DO UPDATE
SET sent = rate_days.sent + EXCLUDED.sent,
    delivered = rate_days.delivered + EXCLUDED.delivered,
    soft = rate_days.soft + EXCLUDED.soft,
    hard = rate_days.hard + EXCLUDED.hard,
    complaints = rate_days.complaints + EXCLUDED.complaints,
    unverified = rate_days.unverified + EXCLUDED.unverified,
    unsubscribed = rate_days.unsubscribed + EXCLUDED.unsubscribed;

-- name: add-rate-campaign-days
INSERT INTO rate_campaign_days (tenant, channel, campaign, day, sent, delivered, soft, hard, complaints, unverified, unsubscribed)
SELECT tenant, channel, campaign, date_trunc('day', hour::timestamptz, 'UTC') AS day,
       sum(sent), sum(delivered), sum(soft), sum(hard), sum(complaints), sum(unverified), sum(unsubscribed)
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::bigint[], $9::bigint[], $10::bigint[], $11::bigint[], $12::bigint[], $13::bigint[])
    AS b(tenant, channel, campaign, domain, route, hour, sent, delivered, soft, hard, complaints, unverified, unsubscribed)
GROUP BY 1, 2, 3, 4
ORDER BY 1, 2, 3, 4
ON CONFLICT (tenant, channel, campaign, day) DO UPDATE
SET sent = rate_campaign_days.sent + EXCLUDED.sent,
    delivered = rate_campaign_days.delivered + EXCLUDED.delivered,
    soft = rate_campaign_days.soft + EXCLUDED.soft,
    hard = rate_campaign_days.hard + EXCLUDED.hard,
    complaints = rate_campaign_days.complaints + EXCLUDED.complaints,
    unverified = rate_campaign_days.unverified + EXCLUDED.unverified,
    unsubscribed = rate_campaign_days.unsubscribed + EXCLUDED.unsubscribed;

-- name: read-consents
-- The stored consents a batch's consent events name, read after their
-- recipients' rows are locked: every write of a consent is an apply
-- holding its recipient's lock (lock-recipients), so no lock of its own.
SELECT c.tenant, c.channel, c.address, c.scope, c.name, c.opted_out, c.since, c.source, c.event_id, c.at,
       c.confirmed_at, c.confirm_event_id, c.confirm_ip, c.confirm_user_agent
FROM recipient_consents c
JOIN unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) AS k(tenant, channel, address, scope, name)
  USING (tenant, channel, address, scope, name);

-- name: write-consents
-- The consents a batch changed, whole, in key order.
INSERT INTO recipient_consents (tenant, channel, address, scope, name, opted_out, since, source, event_id, at,
                                confirmed_at, confirm_event_id, confirm_ip, confirm_user_agent, updated_at)
SELECT tenant, channel, address, scope, name, opted_out, NULLIF(since, '')::timestamptz, source, event_id, at::timestamptz,
       NULLIF(confirmed_at, '')::timestamptz, confirm_event_id, confirm_ip, confirm_user_agent, now()
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::boolean[], $7::text[], $8::text[], $9::text[],
            $10::text[], $11::text[], $12::text[], $13::text[], $14::text[])
    AS v(tenant, channel, address, scope, name, opted_out, since, source, event_id, at,
         confirmed_at, confirm_event_id, confirm_ip, confirm_user_agent)
ORDER BY tenant, channel, address, scope, name
ON CONFLICT (tenant, channel, address, scope, name) DO UPDATE
SET opted_out = EXCLUDED.opted_out, since = EXCLUDED.since, source = EXCLUDED.source, event_id = EXCLUDED.event_id,
    at = EXCLUDED.at, confirmed_at = EXCLUDED.confirmed_at, confirm_event_id = EXCLUDED.confirm_event_id,
    confirm_ip = EXCLUDED.confirm_ip, confirm_user_agent = EXCLUDED.confirm_user_agent, updated_at = now();

-- name: apply-async-commit
-- An apply may skip waiting for its WAL flush: if the machine crashes
-- before the flush, the whole transaction is lost together — verdicts,
-- effects AND the applied_at mark — so the inbox row is simply applied
-- again by the reconciler. Inbox inserts keep synchronous commits, because
-- the NATS ack depends on them.
SET LOCAL synchronous_commit TO off;
