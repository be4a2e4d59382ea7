-- 0012: events_inbox keyed by id alone again (0011 made it (id, month)).
--
-- The planner knows that a column with a unique index of its own is
-- unique even before any statistics exist; on (id, month) it did not, and
-- estimated a batch of ids as the whole inbox. Where the inbox's dead rows
-- are not cleaned (autovacuum off or behind), lock-events' look-up of the
-- batch's months then became a sequential scan of the whole inbox on every
-- apply. Keyed by id, the look-up and mark-applied's delete probe the key,
-- whatever the inbox's statistics, as before 0011.
--
-- The price is in 0011's edge, the same id stored in two months: while
-- the first is pending, the second row gets no inbox row (insert-events:
-- ON CONFLICT DO NOTHING), so no task or reconciler names it; unless the
-- apply of the first reads its month too and applies both, it stays
-- unapplied and goes with its month. Rows of such a pair already in the
-- inbox keep the earlier month's.
DELETE FROM events_inbox a USING events_inbox b WHERE a.id = b.id AND a.month > b.month;
ALTER TABLE events_inbox DROP CONSTRAINT events_inbox_pkey, ADD PRIMARY KEY (id);
