-- name: alert-notice-candidates
-- For every alert key of tenant $1 whose latest change is not yet
-- announced: that change, and the state its people were last told (the
-- to_state of the key's latest announced change; NULL: never told). Keys
-- never told and now ok are left out: nothing to say.
SELECT l.id, l.tenant, l.channel, l.campaign, l.provider, l.metric, l.from_state, l.to_state, l.at,
       l.sent, l.hits, l.rate, l.rate_low, l.rate_high, l.threshold, l.published_at,
       coalesce(n.to_state, '') AS told_state
FROM (
    SELECT DISTINCT ON (channel, campaign, provider, metric)
           id, tenant, channel, campaign, provider, metric, from_state, to_state, at,
           sent, hits, rate, rate_low, rate_high, threshold, published_at, notified_at
    FROM alert_changes
    WHERE tenant = $1
    ORDER BY channel, campaign, provider, metric, id DESC
) l
LEFT JOIN LATERAL (
    SELECT to_state FROM alert_changes c
    WHERE c.tenant = l.tenant AND c.channel = l.channel AND c.campaign = l.campaign
      AND c.provider = l.provider AND c.metric = l.metric AND c.notified_at IS NOT NULL
    ORDER BY c.id DESC
    LIMIT 1
) n ON true
WHERE l.notified_at IS NULL AND (l.to_state <> 'ok' OR coalesce(n.to_state, 'ok') <> 'ok')
ORDER BY l.id;

-- name: mark-alert-notified
-- Marks change $1 announced at $2, once: a replica that lost the race
-- gets no row and queues nothing.
UPDATE alert_changes SET notified_at = $2 WHERE id = $1 AND notified_at IS NULL RETURNING id;

-- name: insert-alert-delivery
INSERT INTO alert_deliveries (tenant, change_id, destination, kind, notice, created_at)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (change_id, destination) DO NOTHING
RETURNING id;

-- name: pending-alert-deliveries
SELECT id FROM alert_deliveries WHERE status = 'pending' ORDER BY id LIMIT $1;

-- name: alert-delivery
-- A delivery with the change it announces.
SELECT d.id, d.tenant, d.change_id, d.destination, d.kind, d.notice, d.status, d.attempts, d.last_error,
       d.created_at, d.last_attempt_at, d.sent_at,
       c.channel, c.campaign, c.provider, c.metric, c.from_state, c.to_state, c.at,
       c.sent, c.hits, c.rate, c.rate_low, c.rate_high, c.threshold
FROM alert_deliveries d JOIN alert_changes c ON c.id = d.change_id
WHERE d.id = $1;

-- name: record-alert-attempt
-- Records one attempt of pending delivery $1 at $2: $3 the status after it
-- (sent, pending to retry, failed for good), $4 its error ('' when sent:
-- the last error stays, so the log shows why earlier attempts failed).
UPDATE alert_deliveries
SET attempts = attempts + 1, last_attempt_at = $2::timestamptz, status = $3::text,
    last_error = CASE WHEN $4::text = '' THEN last_error ELSE $4::text END,
    sent_at = CASE WHEN $3::text = 'sent' THEN $2::timestamptz END
WHERE id = $1 AND status = 'pending';

-- name: recent-alert-deliveries
SELECT d.id, d.tenant, d.change_id, d.destination, d.kind, d.notice, d.status, d.attempts, d.last_error,
       d.created_at, d.last_attempt_at, d.sent_at,
       c.channel, c.campaign, c.provider, c.metric, c.from_state, c.to_state, c.at,
       c.sent, c.hits, c.rate, c.rate_low, c.rate_high, c.threshold
FROM alert_deliveries d JOIN alert_changes c ON c.id = d.change_id
WHERE d.tenant = $2
ORDER BY d.id DESC
LIMIT $1;
