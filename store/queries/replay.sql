-- name: replay-page
-- One page of the applied events of a replay range, in (occurred_at, seq)
-- order, after the cursor ($4, $5): keyset pagination, so a rewrite of
-- the verdict columns never moves an event between pages. Events still
-- in the inbox (applied_at IS NULL) are a worker's, not the replay's.
-- No index serves the range (as for replay-events): a replay is an
-- operator's occasional scan. The bounds on month repeat those on
-- occurred_at (from the range's start, or the cursor's when later, to the
-- range's end) in the partition key, so only the range's months are read
-- (0011_events_by_month.sql).
SELECT seq, id, payload, occurred_at, true AS in_window,
       coalesce(outcome, '') AS outcome, coalesce(reason, '') AS reason,
       coalesce(rule, '') AS rule, coalesce(evidence, '') AS evidence
FROM events
WHERE tenant = $7 AND ($1 = '' OR channel = $1) AND occurred_at >= $2::timestamptz AND occurred_at < $3::timestamptz
  AND month >= date_trunc('month', greatest($2::timestamptz, $4::timestamptz) AT TIME ZONE 'UTC')::date
  AND month <= date_trunc('month', $3::timestamptz AT TIME ZONE 'UTC')::date
  AND applied_at IS NOT NULL
  AND (occurred_at, seq) > ($4::timestamptz, $5::bigint)
ORDER BY occurred_at, seq
LIMIT $6;

-- name: replay-message-events
-- Every applied event of the (locked) messages, whatever its time, with
-- its stored verdict: a message's status is recomputed from all of them.
-- The join repeats the predicate of the events_message index.
SELECT e.id, e.payload, true AS in_window,
       coalesce(e.outcome, '') AS outcome, coalesce(e.reason, '') AS reason,
       coalesce(e.rule, '') AS rule, coalesce(e.evidence, '') AS evidence
FROM events e
JOIN unnest($1::text[], $2::text[], $3::text[]) AS k(tenant, channel, message_id)
  ON e.tenant = k.tenant AND e.channel = k.channel AND e.message_id = k.message_id
WHERE e.message_id <> '' AND e.applied_at IS NOT NULL
ORDER BY e.seq;

-- name: replay-rewrite-verdicts
-- Only applied events: an event back in the inbox is not the replay's.
-- $6 holds the months of the events, the partitions to look in; empty, it
-- looks in every partition (a Reverdict without its OccurredAt). Either
-- way the planner decides it while planning (a constant of the custom
-- plan).
-- The activity log's notable_events (0023_notable_events.sql) follows in
-- the same statement: a rewritten verdict that is notable ($7,
-- store.routineVerdict) gets its row, or has it rewritten, with its
-- campaign resolved by rebond_event_campaign (the event's own, else its
-- delivery's, else any of its message's; the apply's last resort too);
-- one that is not loses its row.
WITH rewritten AS (
    UPDATE events e
    SET outcome = v.outcome, reason = v.reason, rule = v.rule, evidence = v.evidence
    FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $7::boolean[])
        AS v(id, outcome, reason, rule, evidence, notable)
    WHERE e.id = v.id AND e.applied_at IS NOT NULL
      AND (cardinality($6::date[]) = 0 OR e.month = ANY($6::date[]))
    RETURNING e.tenant, e.channel, e.campaign, e.message_id, e.recipient, e.occurred_at, e.id, e.month,
              v.outcome, v.reason, v.notable
), gone AS (
    DELETE FROM notable_events n USING rewritten r
    WHERE n.id = r.id AND n.month = r.month AND NOT r.notable
)
INSERT INTO notable_events (tenant, channel, campaign, outcome, reason, occurred_at, id, month)
SELECT r.tenant, r.channel, rebond_event_campaign(r.tenant, r.channel, r.campaign, r.message_id, r.recipient),
       r.outcome, r.reason, r.occurred_at, r.id, r.month
FROM rewritten r WHERE r.notable
ON CONFLICT (id, month) DO UPDATE
SET campaign = EXCLUDED.campaign, outcome = EXCLUDED.outcome, reason = EXCLUDED.reason;

-- name: replay-update-messages
-- A replay rewrites a message's verdict-derived columns only; a retry
-- already scheduled is dropped when the message leaves "soft" (as the
-- apply path does), and none is scheduled for history.
UPDATE messages m
SET status = v.status, reason = v.reason, event_id = v.event_id, complained = v.complained,
    retry_due_at = CASE WHEN v.status = 'soft' THEN m.retry_due_at END,
    updated_at = now()
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::boolean[])
    AS v(tenant, channel, message_id, recipient, status, reason, event_id, complained)
WHERE m.tenant = v.tenant AND m.channel = v.channel AND m.message_id = v.message_id AND m.recipient = v.recipient;
