-- name: list-entries
SELECT id, channel, list, kind, value, reason, expires_at, created_at
FROM recipient_lists
WHERE tenant = $3 AND list = $1 AND ($2 = '' OR channel = $2)
ORDER BY channel, kind, value;

-- name: delete-list-entry
DELETE FROM recipient_lists WHERE tenant = $5 AND channel = $1 AND list = $2 AND kind = $3 AND value = $4;

-- name: release-recipient
-- An operator's release: the recipient goes back to active with its soft
-- count reset, and the transition is audited with who and why. An opt-out
-- is the recipient's own word: no operator releases it (only its opt-in).
WITH old AS (
    SELECT tenant, channel, address, state FROM recipients
    WHERE tenant = $6 AND channel = $1 AND address = $2 AND state NOT IN ('active', 'opted_out')
    FOR UPDATE
), upd AS (
    UPDATE recipients r
    SET state = 'active', reason = '', soft_count = 0, since = $5, until = NULL, updated_at = now()
    FROM old WHERE r.tenant = old.tenant AND r.channel = old.channel AND r.address = old.address
    RETURNING r.channel
)
INSERT INTO recipient_audit (tenant, channel, address, at, from_state, to_state, reason, actor)
SELECT old.tenant, old.channel, old.address, $5, old.state, 'active', $3, $4 FROM old JOIN upd USING (channel);

-- name: release-preview
-- How many recipients a bulk release would take back, and how many of them
-- ever complained (releasing a complainer risks the sender's reputation).
SELECT count(*) AS recipients,
       count(*) FILTER (WHERE EXISTS (
           SELECT 1 FROM messages m
           WHERE m.tenant = r.tenant AND m.channel = r.channel AND m.recipient = r.address AND m.complained)) AS with_complaints
FROM recipients r
WHERE r.tenant = $4 AND r.channel = $1 AND r.state NOT IN ('active', 'opted_out')
  AND ($2 = '' OR r.state = $2) AND ($3 = '' OR r.reason = $3);

-- name: release-bulk
WITH old AS (
    SELECT tenant, channel, address, state FROM recipients r
    WHERE r.tenant = $7 AND r.channel = $1 AND r.state NOT IN ('active', 'opted_out')
      AND ($2 = '' OR r.state = $2) AND ($3 = '' OR r.reason = $3)
    ORDER BY tenant, channel, address
    FOR UPDATE
), upd AS (
    UPDATE recipients r
    SET state = 'active', reason = '', soft_count = 0, since = $6, until = NULL, updated_at = now()
    FROM old WHERE r.tenant = old.tenant AND r.channel = old.channel AND r.address = old.address
    RETURNING r.channel, r.address
)
INSERT INTO recipient_audit (tenant, channel, address, at, from_state, to_state, reason, actor)
SELECT old.tenant, old.channel, old.address, $6, old.state, 'active', $4, $5 FROM old JOIN upd USING (channel, address);
