-- 0011: the events table partitioned by month, so that retention
-- drops whole months (DETACH + DROP: no DELETE, no dead rows, no vacuum)
-- instead of deleting rows one batch at a time.
--
-- The partition key is `month`: the first day of the month of occurred_at,
-- in UTC, set by the inbox insert (PostgreSQL does not allow a generated
-- column as a partition key) and pinned by the CHECK below. Why occurred_at
-- and not received_at: on a partitioned table every unique key must contain
-- the partition key, and exactly-once rests on the inbox insert's
-- ON CONFLICT catching a re-delivered event. A re-delivered event has the
-- same occurred_at (a derived id hashes it; a provider id comes with the
-- provider's own payload), so it lands in the same partition and conflicts
-- on (id, month), the new primary key. Partitioned by receive month, a
-- duplicate received in the next month would be a second row, and only a
-- second, unpartitioned table of every id (an index write per event, kept
-- as long as the events) could catch it.
--
-- The edge: the same id with an occurred_at in another month. Two sources
-- set occurred_at to the time of receipt when the fact carries none (an
-- SMPP receipt without a done date, sms/smpp; an SMS webhook without a
-- timestamp, sms/webhook.go), and their ids do not depend on it: such a
-- receipt re-delivered across midnight at the end of a month, after
-- JetStream's duplicate window, has a new month. The inbox insert
-- (queries/ingest.sql, insert-events) looks for the id in the month before
-- when occurred_at falls in a month's first 7 days (dedupeDays in
-- store/partitions.go), which covers providers' re-delivery periods (hours
-- to 3 days). Anything else with the same id and another month (a
-- producer reusing an explicit id for another fact) is stored as a second
-- event: before this migration it was dropped.
--
-- events_inbox gets each pending event's month, so that the apply reads
-- only the batch's months (queries/apply.sql, lock-events) and names rows
-- by their key.
--
-- One partition per calendar month (events_YYYY_MM, fillfactor 45 as in
-- 0009 so the apply's update stays HOT), and events_default for any month
-- without one (far past, far future). rebond_event_partition() below
-- creates a month, moving the rows the DEFAULT partition took for it in
-- the same transaction (PostgreSQL refuses to attach a range the DEFAULT
-- partition holds rows of); the scheduler calls it for the coming months
-- (workers/scheduler.go). rebond_drop_event_partitions() is the retention.
--
-- The existing rows are copied here, in the migration's transaction. A
-- large table would rather be copied in batches (partitioned table built
-- beside the old one, rows copied by seq ranges, then a short swap), which
-- this young project does not need yet.

ALTER TABLE events RENAME TO events_unpartitioned;
-- seq keeps counting from where it is: the sequence outlives the old table.
ALTER SEQUENCE events_seq_seq OWNED BY NONE;

CREATE TABLE events (
    seq          bigint      NOT NULL DEFAULT nextval('events_seq_seq'),
    id           text        NOT NULL,
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
    evidence     text,
    tenant       text        NOT NULL DEFAULT 'default',
    month        date        NOT NULL,
    -- Dedupe depends on it: the same occurred_at always names the same
    -- partition.
    CONSTRAINT events_month CHECK (month = date_trunc('month', occurred_at AT TIME ZONE 'UTC')::date)
) PARTITION BY RANGE (month);

-- A partitioned table takes no storage parameters: every partition gets
-- fillfactor 45 itself.
CREATE TABLE events_default PARTITION OF events DEFAULT WITH (fillfactor = 45);

-- The partitions of events with their bounds ([lo, hi); NULL for DEFAULT),
-- read from the catalog rather than from partition names, so that a month
-- an operator attached by hand counts too.
CREATE VIEW event_partitions AS
SELECT c.relname::text AS name,
       substring(b.bound FROM 'FROM \(''([^'']+)''\)')::date AS lo,
       substring(b.bound FROM 'TO \(''([^'']+)''\)')::date AS hi
FROM pg_inherits i
JOIN pg_class c ON c.oid = i.inhrelid
CROSS JOIN LATERAL (SELECT pg_get_expr(c.relpartbound, c.oid) AS bound) b
WHERE i.inhparent = 'events'::regclass;

-- rebond_event_partition creates the partition of m's month unless one
-- covers it, and returns its name (NULL when there was nothing to do).
-- The table is built apart and then attached: ATTACH PARTITION takes only
-- SHARE UPDATE EXCLUSIVE on events, so inserts and applies go on (CREATE
-- TABLE ... PARTITION OF would take ACCESS EXCLUSIVE). The DEFAULT
-- partition is locked first, its rows of the month move into the new
-- table, then the attach checks it has none left: nothing can slip into
-- DEFAULT in between. Concurrent callers (several schedulers) are
-- serialized by an advisory lock. The caller sets a lock_timeout, so that
-- a long reader cannot stall the pipeline behind this transaction's locks
-- (store/queries/partitions.sql; the scheduler retries on its next tick).
CREATE FUNCTION rebond_event_partition(m date) RETURNS text LANGUAGE plpgsql AS $fn$
DECLARE
    v_lo   date := date_trunc('month', m::timestamp)::date;
    v_hi   date := (date_trunc('month', m::timestamp) + interval '1 month')::date;
    v_name text := 'events_' || to_char(v_lo, 'YYYY_MM');
BEGIN
    IF EXISTS (SELECT 1 FROM event_partitions p WHERE p.lo <= v_lo AND v_lo < p.hi) THEN
        RETURN NULL;
    END IF;
    -- 0x7265626f6e65, "rebone": not the migration lock (store/migrate.go,
    -- "rebond"), which the migration itself holds when it calls this.
    PERFORM pg_advisory_xact_lock(125779768733285);
    IF EXISTS (SELECT 1 FROM event_partitions p WHERE p.lo <= v_lo AND v_lo < p.hi) THEN
        RETURN NULL;
    END IF;
    EXECUTE format('CREATE TABLE %I (LIKE events INCLUDING DEFAULTS INCLUDING CONSTRAINTS) WITH (fillfactor = 45)', v_name);
    IF to_regclass('events_default') IS NOT NULL THEN
        LOCK TABLE events_default IN ACCESS EXCLUSIVE MODE;
        EXECUTE format('WITH moved AS (DELETE FROM events_default WHERE month >= %L AND month < %L RETURNING *)
                        INSERT INTO %I SELECT * FROM moved', v_lo, v_hi, v_name);
    END IF;
    EXECUTE format('ALTER TABLE events ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)', v_name, v_lo, v_hi);
    RETURN v_name;
END
$fn$;

-- rebond_drop_event_partitions is the retention of the monthly
-- partitions: every partition whose month ended at or before cutoff is
-- detached and dropped, unless it still holds events not applied yet
-- (rows of events_inbox in its range), which are an apply's and must not
-- go; such a partition is reported with dropped = false and tried again
-- on the next call. The ACCESS EXCLUSIVE lock on events (that DETACH and
-- DROP need) is taken only when there is a partition to drop, and before
-- the inbox is read, so no event of that month can arrive in between; the
-- caller's lock_timeout fails the call rather than queue every insert and
-- apply behind a lock that is not granted.
CREATE FUNCTION rebond_drop_event_partitions(cutoff timestamptz)
RETURNS TABLE (part_name text, was_dropped boolean) LANGUAGE plpgsql AS $fn$
DECLARE
    p record;
BEGIN
    FOR p IN SELECT ep.name, ep.lo, ep.hi FROM event_partitions ep
             WHERE ep.hi IS NOT NULL AND (ep.hi::timestamp AT TIME ZONE 'UTC') <= cutoff
             ORDER BY ep.lo
    LOOP
        LOCK TABLE events IN ACCESS EXCLUSIVE MODE;
        part_name := p.name;
        was_dropped := NOT EXISTS (SELECT 1 FROM events_inbox i WHERE i.month >= p.lo AND i.month < p.hi);
        IF was_dropped THEN
            EXECUTE format('ALTER TABLE events DETACH PARTITION %I', p.name);
            EXECUTE format('DROP TABLE %I', p.name);
        END IF;
        RETURN NEXT;
    END LOOP;
END
$fn$;

-- The months the existing rows need, and this month and the next three
-- (the scheduler keeps three ahead); rows of months after those go to
-- DEFAULT.
SELECT rebond_event_partition(m)
FROM (
    SELECT DISTINCT date_trunc('month', occurred_at AT TIME ZONE 'UTC')::date AS m FROM events_unpartitioned
    UNION
    SELECT generate_series(date_trunc('month', now() AT TIME ZONE 'UTC'),
                           date_trunc('month', now() AT TIME ZONE 'UTC') + interval '3 months',
                           interval '1 month')::date
) months
WHERE m <= date_trunc('month', now() AT TIME ZONE 'UTC') + interval '3 months'
ORDER BY m;

INSERT INTO events (seq, id, channel, type, message_id, recipient, campaign, occurred_at, received_at, payload,
                    applied_at, outcome, reason, rule, evidence, tenant, month)
SELECT seq, id, channel, type, message_id, recipient, campaign, occurred_at, received_at, payload,
       applied_at, outcome, reason, rule, evidence, tenant, date_trunc('month', occurred_at AT TIME ZONE 'UTC')::date
FROM events_unpartitioned;

-- The inbox carries each event's month, so that the apply and the
-- reconciler name the partition of every id they look up. Rows of events
-- applied or gone (none are expected) leave it.
ALTER TABLE events_inbox ADD COLUMN month date;
UPDATE events_inbox i SET month = date_trunc('month', e.occurred_at AT TIME ZONE 'UTC')::date
FROM events_unpartitioned e
WHERE e.id = i.id AND e.applied_at IS NULL;
DELETE FROM events_inbox WHERE month IS NULL;
ALTER TABLE events_inbox ALTER COLUMN month SET NOT NULL,
    DROP CONSTRAINT events_inbox_pkey, ADD PRIMARY KEY (id, month);

DROP TABLE events_unpartitioned;
ALTER SEQUENCE events_seq_seq OWNED BY events.seq;

-- Keys and indexes are built after the copy (one sort each, not a
-- billion inserts into them), on the parent: every partition, present or
-- future, gets them. The BRIN index on received_at (0008) is not
-- recreated: retention no longer searches rows by receive time.
ALTER TABLE events ADD CONSTRAINT events_pkey PRIMARY KEY (id, month);
CREATE INDEX events_recipient ON events (tenant, channel, recipient, occurred_at);
CREATE INDEX events_message ON events (tenant, channel, message_id) WHERE message_id <> '';
CREATE INDEX events_fallback ON events (tenant, channel, occurred_at) WHERE type IN ('failed', 'deferred');
ANALYZE events;
