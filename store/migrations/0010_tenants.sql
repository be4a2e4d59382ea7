-- 0010: tenants. Every row that says something about recipients, messages,
-- rules or rates belongs to one tenant, and the tenant leads every key, so
-- two tenants sending to the same address or reusing a message id never
-- share state, counts or evidence. Existing rows are the default tenant's.
--
-- Events keep their single-column key: the id column holds the event's
-- channels.Event.Key, which embeds the tenant for every tenant but the
-- default one. The tenant column beside it serves the per-tenant scans
-- (qualification, backtest, replay, history).

ALTER TABLE events ADD COLUMN tenant text NOT NULL DEFAULT 'default';
DROP INDEX events_recipient;
CREATE INDEX events_recipient ON events (tenant, channel, recipient, occurred_at);
DROP INDEX events_message;
CREATE INDEX events_message ON events (tenant, channel, message_id) WHERE message_id <> '';
DROP INDEX events_fallback;
CREATE INDEX events_fallback ON events (tenant, channel, occurred_at) WHERE type IN ('failed', 'deferred');

ALTER TABLE messages ADD COLUMN tenant text NOT NULL DEFAULT 'default';
ALTER TABLE messages DROP CONSTRAINT messages_pkey, ADD PRIMARY KEY (tenant, channel, message_id);
-- The release preview's "did this recipient ever complain" probe.
CREATE INDEX messages_complained ON messages (tenant, channel, recipient) WHERE complained;

ALTER TABLE recipients ADD COLUMN tenant text NOT NULL DEFAULT 'default';
ALTER TABLE recipients DROP CONSTRAINT recipients_pkey, ADD PRIMARY KEY (tenant, channel, address);
-- Shared hard-bounce knowledge (tenancy.share_user_unknown): another
-- tenant's quarantine of the same address for user_unknown.
CREATE INDEX recipients_user_unknown ON recipients (channel, address) WHERE reason = 'user_unknown' AND state = 'quarantined';

ALTER TABLE recipient_audit ADD COLUMN tenant text NOT NULL DEFAULT 'default';
DROP INDEX recipient_audit_recipient;
CREATE INDEX recipient_audit_recipient ON recipient_audit (tenant, channel, address, at DESC);

ALTER TABLE recipient_lists ADD COLUMN tenant text NOT NULL DEFAULT 'default';
ALTER TABLE recipient_lists DROP CONSTRAINT recipient_lists_channel_list_kind_value_key,
    ADD CONSTRAINT recipient_lists_key UNIQUE (tenant, channel, list, kind, value);

ALTER TABLE rate_buckets ADD COLUMN tenant text NOT NULL DEFAULT 'default';
ALTER TABLE rate_buckets DROP CONSTRAINT rate_buckets_pkey, ADD PRIMARY KEY (tenant, channel, campaign, domain, hour);
ALTER TABLE rate_days ADD COLUMN tenant text NOT NULL DEFAULT 'default';
ALTER TABLE rate_days DROP CONSTRAINT rate_days_pkey, ADD PRIMARY KEY (tenant, channel, campaign, domain, day);
ALTER TABLE rate_campaign_days ADD COLUMN tenant text NOT NULL DEFAULT 'default';
ALTER TABLE rate_campaign_days DROP CONSTRAINT rate_campaign_days_pkey, ADD PRIMARY KEY (tenant, channel, campaign, day);

-- Rule overrides are per tenant: a tenant's operators override built-in
-- rules for their own events only.
ALTER TABLE rule_overrides ADD COLUMN tenant text NOT NULL DEFAULT 'default';
ALTER TABLE rule_overrides DROP CONSTRAINT rule_overrides_pkey, ADD PRIMARY KEY (tenant, id, version);
ALTER TABLE rule_shadow_verdicts ADD COLUMN tenant text NOT NULL DEFAULT 'default';
ALTER TABLE qualification_decisions ADD COLUMN tenant text NOT NULL DEFAULT 'default';
ALTER TABLE qualification_decisions DROP CONSTRAINT qualification_decisions_pkey, ADD PRIMARY KEY (tenant, group_id);

ALTER TABLE incidents ADD COLUMN tenant text NOT NULL DEFAULT 'default';
DROP INDEX incidents_open;
CREATE UNIQUE INDEX incidents_open ON incidents (tenant, channel, route, reason) WHERE state = 'open';
DROP INDEX incidents_listing;
CREATE INDEX incidents_listing ON incidents (tenant, last_seen DESC);

ALTER TABLE alert_changes ADD COLUMN tenant text NOT NULL DEFAULT 'default';
DROP INDEX alert_changes_key;
CREATE INDEX alert_changes_key ON alert_changes (tenant, channel, campaign, provider, metric, id DESC);
