-- name: tenant-use
-- What an operator made for a tenant ($1): tokens (revoked ones too),
-- list entries, rule overrides, qualification decisions. A tenant with any
-- of them is someone's, and PurgeTenant refuses it. Each count reads an
-- index that leads with tenant.
SELECT (SELECT count(*) FROM api_tokens WHERE tenant = $1) AS tokens,
       (SELECT count(*) FROM recipient_lists WHERE tenant = $1) AS list_entries,
       (SELECT count(*) FROM rule_overrides WHERE tenant = $1) AS rule_overrides,
       (SELECT count(*) FROM qualification_decisions WHERE tenant = $1) AS decisions;

-- name: purge-tenant
-- Deletes everything a tenant's ($1) events made: the events (every
-- partition, by the tenant-first events_recipient index), their
-- activity log rows (notable_events) and their inbox
-- rows (the inbox has no tenant column: joined by key), messages,
-- recipients and their audit, the three rate tables, incidents, alert
-- changes (their notice deliveries by ON DELETE CASCADE) and shadow
-- verdicts. Not the operator's rows that tenant-use
-- counts (PurgeTenant refuses a tenant that has them). Data-modifying
-- CTEs all run, on one snapshot, in one statement.
WITH inbox AS (
    DELETE FROM events_inbox i USING events e
    WHERE e.tenant = $1 AND i.id = e.id
    RETURNING 1
), ev AS (
    DELETE FROM events WHERE tenant = $1 RETURNING 1
), notable AS (
    DELETE FROM notable_events WHERE tenant = $1 RETURNING 1
), msg AS (
    DELETE FROM messages WHERE tenant = $1 RETURNING 1
), rcpt AS (
    DELETE FROM recipients WHERE tenant = $1 RETURNING 1
), audit AS (
    DELETE FROM recipient_audit WHERE tenant = $1 RETURNING 1
), hours AS (
    DELETE FROM rate_buckets WHERE tenant = $1 RETURNING 1
), days AS (
    DELETE FROM rate_days WHERE tenant = $1 RETURNING 1
), campaign_days AS (
    DELETE FROM rate_campaign_days WHERE tenant = $1 RETURNING 1
), inc AS (
    DELETE FROM incidents WHERE tenant = $1 RETURNING 1
), alerts AS (
    DELETE FROM alert_changes WHERE tenant = $1 RETURNING 1
), shadow AS (
    DELETE FROM rule_shadow_verdicts WHERE tenant = $1 RETURNING 1
)
SELECT (SELECT count(*) FROM ev) AS events,
       (SELECT count(*) FROM msg) AS messages,
       (SELECT count(*) FROM rcpt) AS recipients,
       (SELECT count(*) FROM inbox) + (SELECT count(*) FROM audit) + (SELECT count(*) FROM hours)
         + (SELECT count(*) FROM days) + (SELECT count(*) FROM campaign_days) + (SELECT count(*) FROM inc)
         + (SELECT count(*) FROM alerts) + (SELECT count(*) FROM shadow) + (SELECT count(*) FROM notable) AS other;
