-- name: due-retries
SELECT tenant, channel, message_id, recipient, retry_attempt + 1 AS attempt, retry_due_at
FROM messages
WHERE retry_due_at IS NOT NULL AND retry_due_at <= $1
ORDER BY retry_due_at LIMIT $2;

-- name: lock-retry
SELECT m.status, m.recipient, m.campaign, m.retry_attempt, m.retry_due_at, m.retry_reason,
       COALESCE(r.state, 'active') AS recipient_state
FROM messages m
LEFT JOIN recipients r ON r.tenant = m.tenant AND r.channel = m.channel AND r.address = m.recipient
WHERE m.tenant = $3 AND m.channel = $1 AND m.message_id = $2
  -- A task from before deliveries (0015_deliveries.sql) names no
  -- recipient: its message then had one delivery.
  AND ($4 = '' OR m.recipient = $4)
ORDER BY m.recipient
LIMIT 1
FOR UPDATE OF m;

-- name: set-retry
UPDATE messages
SET retry_attempt = $3, retry_due_at = $4, updated_at = now()
WHERE tenant = $5 AND channel = $1 AND message_id = $2 AND recipient = $6;

-- name: silent-messages
SELECT tenant, channel, message_id, recipient, campaign, sent_at
FROM messages
WHERE channel = $1 AND status = 'pending' AND sent_at IS NOT NULL AND sent_at < $2
ORDER BY sent_at LIMIT $3;
