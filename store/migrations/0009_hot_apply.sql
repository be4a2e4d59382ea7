-- 0009: make the apply's UPDATE of events a HOT update.
--
-- Before it, the apply rewrote
-- every wide events row with a non-HOT update, so each event paid a second
-- full heap tuple in the WAL plus a new entry in every index. PostgreSQL
-- can only update heap-only (README.HOT in its source tree) when no
-- indexed column changes, and the columns of a partial index's predicate
-- count as indexed: events_unapplied (WHERE applied_at IS NULL) and
-- events_fallback (WHERE rule LIKE 'fallback.%') both forced the non-HOT
-- path, since the apply sets applied_at and rule.
--
-- events_inbox takes over events_unapplied's job: one narrow row per event
-- not applied yet, inserted with the event and deleted by the apply in the
-- same transaction. It only serves the reconciler's scan; events.applied_at
-- stays the truth that the apply locks and checks (exactly-once does not
-- depend on this table). It holds only the backlog, so no index on
-- received_at: the scan sorts what is pending.
CREATE TABLE events_inbox (
    id          text        PRIMARY KEY,
    received_at timestamptz NOT NULL
);
INSERT INTO events_inbox (id, received_at)
SELECT id, received_at FROM events WHERE applied_at IS NULL;
DROP INDEX events_unapplied;

-- The fallback queue's index keeps its columns but loses the predicate on
-- rule; fallback-events' WHERE implies this predicate, so the planner
-- still uses it (and filters on rule).
DROP INDEX events_fallback;
CREATE INDEX events_fallback ON events (channel, occurred_at) WHERE type IN ('failed', 'deferred');

-- A HOT update also needs room on the row's own page; rows are updated
-- once, seconds after their insert, so leave space for that new version.
ALTER TABLE events SET (fillfactor = 45);
