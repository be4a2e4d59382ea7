-- 0005: sender incidents, and the recipient's run of repeated quarantines.
--
-- An incident is a sender-side problem (policy action "sender": blocked,
-- bad_reputation, auth_failure, rate limits...) seen on one route of one
-- channel. The route is the event's provider (the ESP, "smpp:<gateway>",
-- a webhook, "bounce-mail"): the event schema has no sending-domain field.
-- At most one incident per (channel, route, reason) is open; the scheduler
-- resolves it after a quiet period, and the next verdict opens a new one,
-- so resolved rows are the history.
CREATE TABLE incidents (
    id             bigserial   PRIMARY KEY,
    channel        text        NOT NULL,
    route          text        NOT NULL,
    reason         text        NOT NULL,
    state          text        NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'resolved')),
    count          bigint      NOT NULL CHECK (count >= 0),
    first_seen     timestamptz NOT NULL,
    last_seen      timestamptz NOT NULL,
    last_event_id  text        NOT NULL DEFAULT '',
    last_rule      text        NOT NULL DEFAULT '',
    opened_at      timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    resolved_at    timestamptz
);
-- The apply path's upsert target: one open incident per key.
CREATE UNIQUE INDEX incidents_open ON incidents (channel, route, reason) WHERE state = 'open';
-- The API's listing, newest first, by channel and state.
CREATE INDEX incidents_listing ON incidents (channel, state, last_seen DESC);

-- Escalation on repeat: quarantine_count counts the recipient's run of
-- quarantines (each begun within policy.escalation.lookback of the
-- previous one), quarantined_at is when the latest began. Releases leave
-- both alone. A recipient quarantined before this migration starts its
-- run with that quarantine.
ALTER TABLE recipients
    ADD COLUMN quarantine_count integer     NOT NULL DEFAULT 0 CHECK (quarantine_count >= 0),
    ADD COLUMN quarantined_at   timestamptz;
UPDATE recipients SET quarantine_count = 1, quarantined_at = since WHERE state = 'quarantined';
