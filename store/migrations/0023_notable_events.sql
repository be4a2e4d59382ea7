-- 0023: notable_events, the activity log's index of verdicts.
--
-- The log's hardest question is "this campaign's events of this reason
-- over a week" (GET /v1/events?campaign=…&reason=…). events_activity
-- (0020) finds a campaign's events in time order, but the reason is
-- checked on each row's heap tuple: with one reason in ten, a page of 100
-- reads about a thousand scattered tuples of a wide table, and on ten
-- million events its p95 was 180 ms, cold. An index on events' verdict
-- columns would answer it, but the apply sets them on a HOT update
-- (0009_hot_apply.sql), and a changed indexed column turns every apply
-- into a new entry in every index of events.
--
-- So the apply writes, in its transaction, one narrow row per event whose
-- verdict is notable: every verdict but the routine progress of a message
-- (outcome pending or delivered with a routine reason: sent, queued,
-- accepted, delivered…; store.routineVerdict lists them, and the backfill
-- below repeats that list). Notable rows are the failures, complaints,
-- ignored events and deferrals (a pending verdict with a failure's reason:
-- mailbox_full, expired…), a few percent of most senders' events (more
-- for one whose mail is greylisted a lot), so the write costs the
-- ingestion little. Each row carries what the log filters on
-- without reading the event, with the campaign resolved as the apply saw
-- it: the event's own, else its message's (a bounce or receipt often
-- names only its message). A replay that rewrites a verdict rewrites its
-- row (queries/replay.sql).
--
-- A failure applied before its message's "sent" event, which brings the
-- campaign, gets the campaign its delivery had then (none); the apply that
-- later changes a delivery's campaign moves the rows that took the old one
-- (queries/apply.sql, recampaign-notable).
--
-- Upgrading: an apply of an older build writes no row here. During a
-- rolling update across this migration, the events the old workers apply
-- after it ran are missing from the verdict filters until
-- `rebond migrate --backfill-notable` is run once the old workers are
-- gone (queries/migrate.sql, backfill-notable); stopping the old workers
-- before migrating avoids it.
--
-- Partitioned by month like events, with the same key (id, month), so
-- that retention drops a month of both together: rebond_event_partition
-- and rebond_drop_event_partitions are replaced below to create and drop
-- the matching notable_events partition, and every existing events
-- partition gets its own here.
CREATE TABLE notable_events (
    tenant      text COLLATE "C" NOT NULL,
    channel     text COLLATE "C" NOT NULL,
    campaign    text COLLATE "C" NOT NULL,
    outcome     text COLLATE "C" NOT NULL,
    reason      text COLLATE "C" NOT NULL,
    occurred_at timestamptz NOT NULL,
    id          text COLLATE "C" NOT NULL,
    month       date        NOT NULL,
    PRIMARY KEY (id, month)
) PARTITION BY RANGE (month);
CREATE TABLE notable_events_default PARTITION OF notable_events DEFAULT;

-- A campaign's events of a reason (or, reading the reason column as a
-- filter, of an outcome), newest first; a reason's; an outcome's.
CREATE INDEX notable_events_campaign ON notable_events (tenant, campaign, reason, occurred_at);
CREATE INDEX notable_events_reason ON notable_events (tenant, reason, occurred_at);
CREATE INDEX notable_events_outcome ON notable_events (tenant, outcome, occurred_at);

-- rebond_notable_partition gives notable_events a partition for [lo, hi)
-- unless one covers lo, moving the rows its DEFAULT partition holds for
-- it (as rebond_event_partition does for events).
CREATE FUNCTION rebond_notable_partition(lo date, hi date) RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
    v_name text := 'notable_events_' || to_char(lo, 'YYYY_MM');
BEGIN
    IF EXISTS (
        SELECT 1 FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        CROSS JOIN LATERAL (SELECT pg_get_expr(c.relpartbound, c.oid) AS bound) b
        WHERE i.inhparent = 'notable_events'::regclass
          AND substring(b.bound FROM 'FROM \(''([^'']+)''\)')::date <= lo
          AND lo < substring(b.bound FROM 'TO \(''([^'']+)''\)')::date) THEN
        RETURN;
    END IF;
    EXECUTE format('CREATE TABLE %I (LIKE notable_events INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', v_name);
    LOCK TABLE notable_events_default IN ACCESS EXCLUSIVE MODE;
    EXECUTE format('WITH moved AS (DELETE FROM notable_events_default WHERE month >= %L AND month < %L RETURNING *)
                    INSERT INTO %I SELECT * FROM moved', lo, hi, v_name);
    EXECUTE format('ALTER TABLE notable_events ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)', v_name, lo, hi);
END
$fn$;

CREATE OR REPLACE FUNCTION rebond_event_partition(m date) RETURNS text LANGUAGE plpgsql AS $fn$
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
    PERFORM rebond_notable_partition(v_lo, v_hi);
    RETURN v_name;
END
$fn$;

-- As in 0011, and a dropped month's notable rows go with it: its own
-- notable_events partitions, or its rows in the DEFAULT one.
CREATE OR REPLACE FUNCTION rebond_drop_event_partitions(cutoff timestamptz)
RETURNS TABLE (part_name text, was_dropped boolean) LANGUAGE plpgsql AS $fn$
DECLARE
    p record;
    n record;
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
            LOCK TABLE notable_events IN ACCESS EXCLUSIVE MODE;
            FOR n IN SELECT c.relname::text AS name
                     FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                     CROSS JOIN LATERAL (SELECT pg_get_expr(c.relpartbound, c.oid) AS bound) b
                     WHERE i.inhparent = 'notable_events'::regclass
                       AND substring(b.bound FROM 'FROM \(''([^'']+)''\)')::date >= p.lo
                       AND substring(b.bound FROM 'TO \(''([^'']+)''\)')::date <= p.hi
            LOOP
                EXECUTE format('ALTER TABLE notable_events DETACH PARTITION %I', n.name);
                EXECUTE format('DROP TABLE %I', n.name);
            END LOOP;
            DELETE FROM notable_events_default WHERE month >= p.lo AND month < p.hi;
        END IF;
        RETURN NEXT;
    END LOOP;
END
$fn$;

SELECT rebond_notable_partition(lo, hi) FROM event_partitions WHERE lo IS NOT NULL ORDER BY lo;

-- rebond_event_campaign is the campaign an event counts under in the
-- activity log: its own, else that of a delivery of its message that has
-- one, its recipient's first (the activity statement's campaign filter
-- matches any delivery of the message: a bounce's Final-Recipient may be
-- a forwarded address, an unverified bounce or a receipt without a number
-- names no delivery). The apply passes the campaign it resolved
-- (store.notableCampaign) and comes here when that is empty; the backfill
-- below, the replay's rewrite (queries/replay.sql) and rebond migrate
-- --backfill-notable resolve with it alone.
CREATE FUNCTION rebond_event_campaign(p_tenant text, p_channel text, p_campaign text, p_message_id text, p_recipient text)
RETURNS text LANGUAGE sql STABLE AS $fn$
    SELECT CASE WHEN p_campaign <> '' OR p_message_id = '' THEN p_campaign
                ELSE COALESCE((SELECT m.campaign FROM messages m
                               WHERE m.tenant = p_tenant AND m.channel = p_channel AND m.message_id = p_message_id
                                 AND m.campaign <> ''
                               ORDER BY m.recipient = p_recipient DESC LIMIT 1), '') END
$fn$;

-- The notable verdicts already applied; the routine pairs are
-- store.routineVerdict's of this migration's day.
INSERT INTO notable_events (tenant, channel, campaign, outcome, reason, occurred_at, id, month)
SELECT e.tenant, e.channel, rebond_event_campaign(e.tenant, e.channel, e.campaign, e.message_id, e.recipient),
       e.outcome, COALESCE(e.reason, ''), e.occurred_at, e.id, e.month
FROM events e
WHERE e.applied_at IS NOT NULL AND e.outcome IS NOT NULL
  AND NOT (e.outcome IN ('pending', 'delivered')
           AND COALESCE(e.reason, '') IN ('sent', 'accepted', 'accepted_by_smsc', 'queued', 'scheduled', 'enroute',
                                          'buffered', 'sent_to_carrier', 'delivered_to_carrier', 'delivered'));
ANALYZE notable_events;
