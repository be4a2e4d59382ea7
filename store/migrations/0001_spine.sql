-- 0001: the spine. The events table is both the inbox (applied_at IS NULL)
-- and the event log with its verdicts; messages carry the per-message status
-- counted in rate_buckets; recipients carry the recipient state machine.

CREATE TABLE events (
    seq          bigserial   NOT NULL,
    id           text        PRIMARY KEY,
    channel      text        NOT NULL,
    type         text        NOT NULL,
    message_id   text        NOT NULL DEFAULT '',
    recipient    text        NOT NULL,
    campaign     text        NOT NULL DEFAULT '',
    occurred_at  timestamptz NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now(),
    payload      json        NOT NULL,
    applied_at   timestamptz,
    outcome      text,
    reason       text,
    rule         text,
    evidence     text
);
-- The reconciler's scan: rows never applied, oldest first.
CREATE INDEX events_unapplied ON events (received_at) WHERE applied_at IS NULL;
CREATE INDEX events_recipient ON events (channel, recipient, occurred_at);
CREATE INDEX events_message ON events (channel, message_id) WHERE message_id <> '';

-- Events a producer published that can never be decoded: kept, not dropped.
CREATE TABLE rejected_events (
    id          bigserial   PRIMARY KEY,
    source      text        NOT NULL,
    error       text        NOT NULL,
    payload     bytea       NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE messages (
    channel        text        NOT NULL,
    message_id     text        NOT NULL,
    recipient      text        NOT NULL DEFAULT '',
    campaign       text        NOT NULL DEFAULT '',
    domain         text        NOT NULL DEFAULT '',
    sent_at        timestamptz,
    status         text        NOT NULL DEFAULT 'pending',
    complained     boolean     NOT NULL DEFAULT false,
    reason         text        NOT NULL DEFAULT '',
    event_id       text        NOT NULL DEFAULT '',
    retry_attempt  integer     NOT NULL DEFAULT 0,
    retry_due_at   timestamptz,
    retry_reason   text        NOT NULL DEFAULT '',
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (channel, message_id)
);
CREATE INDEX messages_retry_due ON messages (retry_due_at) WHERE retry_due_at IS NOT NULL;

CREATE TABLE recipients (
    channel     text        NOT NULL,
    address     text        NOT NULL,
    state       text        NOT NULL DEFAULT 'active',
    reason      text        NOT NULL DEFAULT '',
    soft_count  integer     NOT NULL DEFAULT 0,
    since       timestamptz,
    until       timestamptz,
    event_id    text        NOT NULL DEFAULT '',
    rule        text        NOT NULL DEFAULT '',
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (channel, address)
);
-- The release job's scan: timed quarantines and suspensions that ended.
CREATE INDEX recipients_until ON recipients (until) WHERE until IS NOT NULL AND state <> 'active';

CREATE TABLE recipient_audit (
    id          bigserial   PRIMARY KEY,
    channel     text        NOT NULL,
    address     text        NOT NULL,
    at          timestamptz NOT NULL,
    from_state  text        NOT NULL,
    to_state    text        NOT NULL,
    reason      text        NOT NULL DEFAULT '',
    actor       text        NOT NULL,
    event_id    text        NOT NULL DEFAULT '',
    rule        text        NOT NULL DEFAULT '',
    recorded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX recipient_audit_recipient ON recipient_audit (channel, address, at DESC);

-- Deny and allow lists: exact addresses or numbers, whole email domains, or
-- number prefixes.
CREATE TABLE recipient_lists (
    id          bigserial   PRIMARY KEY,
    channel     text        NOT NULL,
    list        text        NOT NULL CHECK (list IN ('deny', 'allow')),
    kind        text        NOT NULL CHECK (kind IN ('exact', 'domain', 'prefix')),
    value       text        NOT NULL,
    reason      text        NOT NULL DEFAULT '',
    expires_at  timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (channel, list, kind, value)
);

-- Hourly buckets by send time. Every message is counted once, under its
-- current status; late outcomes move it between counters of the same bucket.
CREATE TABLE rate_buckets (
    channel     text        NOT NULL,
    campaign    text        NOT NULL,
    domain      text        NOT NULL,
    hour        timestamptz NOT NULL,
    sent        bigint      NOT NULL DEFAULT 0,
    delivered   bigint      NOT NULL DEFAULT 0,
    soft        bigint      NOT NULL DEFAULT 0,
    hard        bigint      NOT NULL DEFAULT 0,
    complaints  bigint      NOT NULL DEFAULT 0,
    PRIMARY KEY (channel, campaign, domain, hour)
);
CREATE INDEX rate_buckets_hour ON rate_buckets (hour);
