-- 0012: events_inbox keyed by id alone again (0011 made it (id, month)).
--
-- The planner knows that a column with a unique index of its own is
-- unique even before any statistics exist; on (id, month) it did not, and
-- estimated a batch of ids as the whole inbox. Measured on this machine's
-- PostgreSQL (autovacuum off, so the inbox's dead rows were never
-- cleaned): lock-events' look-up of the batch's months became a parallel
-- sequential scan of a 475 MB inbox, 320 ms per apply, and the store
-- benchmark fell from 5,300 to 2,450 events/s (docs/SCALING.md, section
-- 11). Keyed by id, the look-up and mark-applied's delete probe the key,
-- as before 0011.
--
-- The price is in 0011's edge, the same id stored in two months: while
-- the first is pending, the second row gets no inbox row (insert-events:
-- ON CONFLICT DO NOTHING), so no task or reconciler names it; unless the
-- apply of the first reads its month too and applies both, it stays
-- unapplied and goes with its month. Rows of such a pair already in the
-- inbox keep the earlier month's.
DELETE FROM events_inbox a USING events_inbox b WHERE a.id = b.id AND a.month > b.month;
ALTER TABLE events_inbox DROP CONSTRAINT events_inbox_pkey, ADD PRIMARY KEY (id);
