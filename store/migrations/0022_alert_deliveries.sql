-- 0022: alert notifications. The scheduler announces an alert to the
-- destinations of its tenant (alerts.destinations: signed webhook, Slack,
-- email) when it opens, when it escalates from warning to critical, and
-- when it has stayed resolved for alerts.notify.resolve_after. notified_at
-- marks the change it announced: the last announced change of a key is
-- what its people were last told, so an alert that flaps sends nothing
-- more until its state differs from that. Changes recorded before this
-- migration keep notified_at NULL: an alert active at upgrade is announced
-- once, and history is never replayed.
ALTER TABLE alert_changes ADD COLUMN notified_at timestamptz;

-- One row per (announced change, destination): the delivery log. A worker
-- sends it (Asynq task "alert:deliver", retried with backoff) and records
-- each attempt; a row already sent is never sent again.
CREATE TABLE alert_deliveries (
    id              bigserial   PRIMARY KEY,
    tenant          text        NOT NULL,
    change_id       bigint      NOT NULL REFERENCES alert_changes (id) ON DELETE CASCADE,
    destination     text        NOT NULL,
    kind            text        NOT NULL CHECK (kind IN ('webhook', 'slack', 'email')),
    notice          text        NOT NULL CHECK (notice IN ('open', 'escalate', 'resolve')),
    status          text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts        integer     NOT NULL DEFAULT 0,
    last_error      text        NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL,
    last_attempt_at timestamptz,
    sent_at         timestamptz,
    UNIQUE (change_id, destination)
);

CREATE INDEX alert_deliveries_pending ON alert_deliveries (id) WHERE status = 'pending';
CREATE INDEX alert_deliveries_tenant ON alert_deliveries (tenant, id DESC);
