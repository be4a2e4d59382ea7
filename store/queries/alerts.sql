-- name: alerts-lock
-- Serializes alert writers (one per scheduler replica) for the length of
-- the transaction, so two replicas evaluating at once cannot both record
-- the same change.
SELECT pg_advisory_xact_lock(hashtext('rebond.alert_changes'));

-- name: insert-alert-change
-- Inserts a change only if the alert is still in the state it leaves (no
-- row: ok); a change another replica already recorded inserts nothing.
INSERT INTO alert_changes (channel, campaign, provider, metric, from_state, to_state, at,
                           sent, hits, rate, rate_low, rate_high, threshold, tenant)
SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14
WHERE coalesce((SELECT to_state FROM alert_changes
                WHERE tenant = $14 AND channel = $1 AND campaign = $2 AND provider = $3 AND metric = $4
                ORDER BY id DESC LIMIT 1), 'ok') = $5
RETURNING id;

-- name: active-alerts
-- The latest change of every alert whose latest state is not ok.
SELECT id, tenant, channel, campaign, provider, metric, from_state, to_state, at,
       sent, hits, rate, rate_low, rate_high, threshold, published_at
FROM (
    SELECT DISTINCT ON (channel, campaign, provider, metric)
           id, tenant, channel, campaign, provider, metric, from_state, to_state, at,
           sent, hits, rate, rate_low, rate_high, threshold, published_at
    FROM alert_changes
    WHERE tenant = $1
    ORDER BY channel, campaign, provider, metric, id DESC
) latest
WHERE to_state <> 'ok'
ORDER BY channel, campaign, provider, metric;

-- name: recent-alerts
SELECT id, tenant, channel, campaign, provider, metric, from_state, to_state, at,
       sent, hits, rate, rate_low, rate_high, threshold, published_at
FROM alert_changes
WHERE tenant = $2
ORDER BY id DESC
LIMIT $1;

-- name: alert-tenants
-- Tenants with sends in the window, and those with alerts (an alert must
-- be able to go back to ok when its sends stop).
SELECT tenant FROM rate_campaign_days WHERE day >= date_trunc('day', $1::timestamptz, 'UTC')
UNION
SELECT tenant FROM alert_changes
ORDER BY tenant;

-- name: unpublished-alerts
SELECT id, tenant, channel, campaign, provider, metric, from_state, to_state, at,
       sent, hits, rate, rate_low, rate_high, threshold, published_at
FROM alert_changes
WHERE published_at IS NULL
ORDER BY id
LIMIT $1;

-- name: mark-alerts-published
UPDATE alert_changes SET published_at = $2 WHERE id = ANY($1) AND published_at IS NULL;
