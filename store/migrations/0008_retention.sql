-- Retention deletes old applied events by receive time. received_at grows
-- with insertion order, so a BRIN index finds them for a few pages of
-- index and costs the hot insert path almost nothing (a B-tree would add
-- an index write to every event).
CREATE INDEX events_received_brin ON events USING brin (received_at);
