-- 0006: rate alerts. Every state change of an alert (ok -> warning ->
-- critical and back) is one row: the log is the history, and an alert's
-- current state is its latest row (a key with no row is ok). An alert
-- watches one metric of one channel x campaign, per mailbox provider or
-- over all of them (provider ''). The scheduler publishes each row on NATS
-- subject rebond.alerts and then sets published_at (an outbox: a row whose
-- publish failed is published again at the next tick, under the same
-- Nats-Msg-Id).
CREATE TABLE alert_changes (
    id            bigserial        PRIMARY KEY,
    channel       text             NOT NULL,
    campaign      text             NOT NULL,
    provider      text             NOT NULL DEFAULT '',
    metric        text             NOT NULL CHECK (metric IN ('soft_rate', 'hard_rate', 'complaint_rate')),
    from_state    text             NOT NULL CHECK (from_state IN ('ok', 'warning', 'critical')),
    to_state      text             NOT NULL CHECK (to_state IN ('ok', 'warning', 'critical')),
    at            timestamptz      NOT NULL,
    -- The evidence: messages sent in the window, how many of them count
    -- towards the metric, the rate with its 95% Wilson interval, and the
    -- threshold the interval's lower bound was compared with.
    sent          bigint           NOT NULL CHECK (sent >= 0),
    hits          bigint           NOT NULL CHECK (hits >= 0),
    rate          double precision NOT NULL,
    rate_low      double precision NOT NULL,
    rate_high     double precision NOT NULL,
    threshold     double precision NOT NULL,
    published_at  timestamptz,
    CHECK (from_state <> to_state)
);

CREATE INDEX alert_changes_key ON alert_changes (channel, campaign, provider, metric, id DESC);
CREATE INDEX alert_changes_unpublished ON alert_changes (id) WHERE published_at IS NULL;
