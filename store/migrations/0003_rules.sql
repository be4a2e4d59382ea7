-- 0003: operating the rules. Operators add rules in the database beside the
-- built-in ones of configs/rules: a new id, a new version of an id (built-in
-- or not), or a disabled version that turns an id off. A published
-- id@version is never edited: a verdict names it (events.rule).
CREATE TABLE rule_overrides (
    id           text        NOT NULL,
    version      integer     NOT NULL CHECK (version >= 1),
    channel      text        NOT NULL,
    priority     integer     NOT NULL DEFAULT 0,
    description  text        NOT NULL DEFAULT '',
    -- The rule's conditions and verdict in the JSON form of rules.Match
    -- and rules.Verdict.
    match        jsonb       NOT NULL,
    verdict      jsonb       NOT NULL,
    -- active: classifies events; disabled: turns the id off; shadow:
    -- evaluated beside the live rules, its verdicts only recorded.
    state        text        NOT NULL CHECK (state IN ('active', 'disabled', 'shadow')),
    author       text        NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (id, version)
);

-- What the shadow rules would have decided, for events where that differs
-- from the live verdict (recorded by the worker as it classifies); never
-- acted on. A sample: a worker that stops may lose its last few records.
CREATE TABLE rule_shadow_verdicts (
    event_id        text        PRIMARY KEY,
    channel         text        NOT NULL,
    shadow_rule     text        NOT NULL,
    shadow_outcome  text        NOT NULL,
    shadow_reason   text        NOT NULL,
    shadow_evidence text        NOT NULL DEFAULT '',
    live_rule       text        NOT NULL,
    live_outcome    text        NOT NULL,
    live_reason     text        NOT NULL,
    recorded_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX rule_shadow_verdicts_rule ON rule_shadow_verdicts (shadow_rule);

-- The qualification queue: failures no rule recognized (fallback verdicts),
-- grouped by masked diagnostic text when listed; an operator's decision on
-- a group is kept here.
CREATE TABLE qualification_decisions (
    group_id    text        PRIMARY KEY,
    channel     text        NOT NULL,
    text        text        NOT NULL,
    state       text        NOT NULL CHECK (state IN ('kept', 'ignored')),
    rule        text        NOT NULL DEFAULT '',
    author      text        NOT NULL DEFAULT '',
    decided_at  timestamptz NOT NULL DEFAULT now()
);
-- The queue's scan: unrecognized failures by time. The predicate must stay
-- the one of the fallback-events query, or the planner cannot use it.
CREATE INDEX events_fallback ON events (channel, occurred_at)
    WHERE rule LIKE 'fallback.%' AND type IN ('failed', 'deferred');
