-- name: dashboard-reasons
-- The reasons breakdown of the dashboard: classified failures and
-- complaints in [from, to) by occurrence time, counted as events and as
-- distinct messages and recipients, for one channel or both ($1 = '') and
-- one campaign or all ($2 = ''). A failure event often carries no
-- campaign (an asynchronous bounce knows only its message), so the
-- campaign is the event's own or else its message's.
SELECT e.channel, e.outcome, e.reason,
       count(*) AS events,
       count(DISTINCT e.message_id) FILTER (WHERE e.message_id <> '') AS messages,
       count(DISTINCT e.recipient) AS recipients
FROM events e
-- A message's deliveries share its campaign: the one of the event's
-- recipient, else any, so that a message to several recipients does not
-- count its events once per delivery.
LEFT JOIN LATERAL (
    SELECT m.campaign FROM messages m
    WHERE m.tenant = e.tenant AND m.channel = e.channel AND m.message_id = e.message_id AND e.message_id <> ''
    ORDER BY m.recipient = e.recipient DESC LIMIT 1) m ON true
WHERE e.tenant = $6 AND e.applied_at IS NOT NULL
  AND e.outcome IN ('soft', 'hard', 'complaint')
  AND e.occurred_at >= $3::timestamptz AND e.occurred_at < $4::timestamptz
  -- The range's months: only their partitions are read.
  AND e.month >= date_trunc('month', $3::timestamptz AT TIME ZONE 'UTC')::date
  AND e.month <= date_trunc('month', $4::timestamptz AT TIME ZONE 'UTC')::date
  AND ($1 = '' OR e.channel = $1)
  AND ($2 = '' OR COALESCE(NULLIF(e.campaign, ''), m.campaign, '') = $2)
GROUP BY e.channel, e.outcome, e.reason
ORDER BY events DESC, e.channel, e.outcome, e.reason
LIMIT $5;

-- name: dashboard-recipient-events
-- A recipient's latest classified events with their verdicts, newest
-- first (the events_recipient index serves it). The campaign is the
-- event's own or else its message's; the provider comes from the stored
-- event JSON.
SELECT e.id, e.type, e.message_id,
       COALESCE(NULLIF(e.campaign, ''), m.campaign, '') AS campaign,
       e.occurred_at,
       COALESCE(e.payload->>'provider', '') AS provider,
       COALESCE(e.outcome, '') AS outcome, COALESCE(e.reason, '') AS reason,
       COALESCE(e.rule, '') AS rule, COALESCE(e.evidence, '') AS evidence,
       e.applied_at IS NOT NULL AS applied
FROM events e
-- A message's deliveries share its campaign: the one of the event's
-- recipient, else any, so that a message to several recipients does not
-- count its events once per delivery.
LEFT JOIN LATERAL (
    SELECT m.campaign FROM messages m
    WHERE m.tenant = e.tenant AND m.channel = e.channel AND m.message_id = e.message_id AND e.message_id <> ''
    ORDER BY m.recipient = e.recipient DESC LIMIT 1) m ON true
WHERE e.tenant = $4 AND e.channel = $1 AND e.recipient = $2
ORDER BY e.occurred_at DESC, e.seq DESC
LIMIT $3;

-- name: known-tenants
-- Every tenant's name, for the admin dashboard's tenant picker: those
-- with a token and those with rates, and the default one. Not scoped to
-- a tenant (the dashboard is the admin token's, which acts for any). The
-- rates' tenants come from a skip scan of the primary key of
-- rate_campaign_days (tenant first): one probe per tenant, not a scan.
WITH RECURSIVE t AS (
    (SELECT tenant FROM rate_campaign_days ORDER BY tenant LIMIT 1)
    UNION ALL
    SELECT (SELECT r.tenant FROM rate_campaign_days r WHERE r.tenant > t.tenant ORDER BY r.tenant LIMIT 1)
    FROM t WHERE t.tenant IS NOT NULL
)
SELECT tenant FROM t WHERE tenant IS NOT NULL
UNION SELECT tenant FROM api_tokens WHERE revoked_at IS NULL
UNION SELECT 'default'
ORDER BY 1
LIMIT $1;

-- name: activity
-- One page of the activity log (store/activity.go): a tenant's events of
-- [$2, $3) newest first, by (occurred_at, id). $4 is the channels to
-- read (both when the caller names none, so events_recipient and
-- events_message, which lead with the channel, still serve a recipient
-- or a message id); a NULL filter is no filter. Each filter folds to a
-- constant when the statement is planned with its values, so the plan
-- is the one of the filters given: a campaign reads events_activity
-- (0020_activity.sql) backwards and stops at the page, reason and
-- outcome are checked on its rows. $11 and $12 are the cursor: the last
-- row of the page before ($3 is then just past its time). $14 is an SMS
-- recipient's country: the event's own (its payload's country, which the
-- producer or the gateway gave), else its number's (the country rates
-- count it under, lifecycle's countryOf): its first four digits
-- (phone.PrefixLen) are one of $16 (phone.Prefixes; the array folds to
-- a constant, which PostgreSQL hashes). $15 is the carrier a receipt
-- reported (sms.mcc_mnc). The months bound the partitions read.
SELECT id, channel, type, message_id, recipient, campaign, occurred_at, received_at,
       COALESCE(payload->>'provider', '') AS provider, applied_at,
       COALESCE(payload->>'country', '') AS country, COALESCE(payload->'sms'->>'mcc_mnc', '') AS carrier,
       COALESCE(outcome, '') AS outcome, COALESCE(reason, '') AS reason, COALESCE(rule, '') AS rule
FROM events
WHERE tenant = $1
  AND occurred_at >= $2::timestamptz AND occurred_at < $3::timestamptz
  AND month >= date_trunc('month', $2::timestamptz AT TIME ZONE 'UTC')::date
  AND month <= date_trunc('month', $3::timestamptz AT TIME ZONE 'UTC')::date
  AND channel = ANY ($4::text[])
  AND ($5::text IS NULL OR campaign = $5)
  AND ($6::text IS NULL OR recipient = $6)
  AND ($7::text IS NULL OR message_id = $7)
  AND ($8::text IS NULL OR outcome = $8)
  AND ($9::text IS NULL OR reason = $9)
  AND ($10::text IS NULL OR payload->>'provider' = $10)
  AND ($11::timestamptz IS NULL OR occurred_at < $11 OR id < $12)
  AND ($14::text IS NULL OR channel = 'sms' AND (payload->>'country' = $14
       OR payload->>'country' IS NULL AND left(recipient, 4) = ANY ($16::text[])))
  AND ($15::text IS NULL OR payload->'sms'->>'mcc_mnc' = $15)
  -- $17: the events that carry no campaign and whose message has this
  -- one (an asynchronous bounce or an SMS receipt knows only its
  -- message), as dashboard-reasons counts them: the other half of a
  -- campaign filter (store/activity.go runs both and merges them).
  AND ($17::text IS NULL OR (campaign = '' AND message_id <> '' AND EXISTS (
      SELECT 1 FROM messages m
      WHERE m.tenant = events.tenant AND m.channel = events.channel AND m.message_id = events.message_id
        AND m.campaign = $17)))
ORDER BY occurred_at DESC, id DESC
LIMIT $13;

-- name: activity-notable
-- A page of the activity log filtered on a notable reason or outcome
-- (store.Activity): the notable_events index of the filters given
-- (0023_notable_events.sql) gives the page's events newest first, and
-- each is then read by its key (id, month) for what the page shows and
-- for the filters notable_events does not carry. Same parameters as
-- activity; the campaign ($5) is the one the apply resolved, so no
-- second statement for events that name only their message (no $17);
-- an empty one is, as in activity, the events that carry none
-- themselves. events comes first in FROM: PostgreSQL locks a
-- statement's tables in that order, and every writer that takes both
-- (the apply, retention, rebond_event_partition) locks events first, so
-- the other order could deadlock with retention's ACCESS EXCLUSIVE locks.
SELECT e.id, e.channel, e.type, e.message_id, e.recipient, e.campaign, e.occurred_at, e.received_at,
       COALESCE(e.payload->>'provider', '') AS provider, e.applied_at,
       COALESCE(e.payload->>'country', '') AS country, COALESCE(e.payload->'sms'->>'mcc_mnc', '') AS carrier,
       n.outcome, n.reason, COALESCE(e.rule, '') AS rule
FROM events e
JOIN notable_events n ON n.id = e.id AND n.month = e.month
WHERE n.tenant = $1
  AND n.occurred_at >= $2::timestamptz AND n.occurred_at < $3::timestamptz
  AND n.month >= date_trunc('month', $2::timestamptz AT TIME ZONE 'UTC')::date
  AND n.month <= date_trunc('month', $3::timestamptz AT TIME ZONE 'UTC')::date
  AND e.month >= date_trunc('month', $2::timestamptz AT TIME ZONE 'UTC')::date
  AND e.month <= date_trunc('month', $3::timestamptz AT TIME ZONE 'UTC')::date
  AND n.channel = ANY ($4::text[])
  AND ($5::text IS NULL OR CASE WHEN $5 = '' THEN e.campaign = '' ELSE n.campaign = $5 END)
  AND ($6::text IS NULL OR e.recipient = $6)
  AND ($7::text IS NULL OR e.message_id = $7)
  AND ($8::text IS NULL OR n.outcome = $8)
  AND ($9::text IS NULL OR n.reason = $9)
  AND ($10::text IS NULL OR e.payload->>'provider' = $10)
  AND ($11::timestamptz IS NULL OR n.occurred_at < $11 OR n.id < $12)
  AND ($14::text IS NULL OR e.channel = 'sms' AND (e.payload->>'country' = $14
       OR e.payload->>'country' IS NULL AND left(e.recipient, 4) = ANY ($16::text[])))
  AND ($15::text IS NULL OR e.payload->'sms'->>'mcc_mnc' = $15)
ORDER BY n.occurred_at DESC, n.id DESC
LIMIT $13;

-- name: activity-event
-- One event of the log with its verdict and its stored payload (the raw
-- source is in it). Its month is not known: each partition's primary key
-- (id, month) is probed by id.
SELECT id, channel, type, message_id, recipient, campaign, occurred_at, received_at,
       COALESCE(payload->>'provider', '') AS provider, applied_at,
       COALESCE(payload->>'country', '') AS country, COALESCE(payload->'sms'->>'mcc_mnc', '') AS carrier,
       COALESCE(outcome, '') AS outcome, COALESCE(reason, '') AS reason, COALESCE(rule, '') AS rule,
       COALESCE(evidence, '') AS evidence, payload::text AS payload
FROM events
WHERE tenant = $1 AND id = $2
ORDER BY occurred_at DESC
LIMIT 1;
