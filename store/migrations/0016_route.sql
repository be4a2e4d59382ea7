-- 0016: the route of a delivery, and rates split by it.
--
-- A delivery's route is the path its reports came by: the provider of the
-- first of its events that named one ("smpp:<gateway>" for rebond's own
-- SMPP binds, a webhook's provider such as "kannel" or "twilio", "ses"),
-- '' while none did (lifecycle.Message.Route). The hourly buckets and
-- their daily roll-up are keyed by it, so GET /v1/rates groups and
-- filters by route (group_by=route, route=) from the tables it already
-- reads. The campaign roll-up (rate_campaign_days) sums over routes as it
-- sums over domains and keeps its key: a query by route reads rate_days.
--
-- Existing rows get the empty route and keep their counts where they
-- are: a delivery that learns its route later moves what it counted from
-- the route-less bucket to its route's (the apply subtracts it there), so
-- the sums stay exact. No route is guessed back from stored events.
-- ADD COLUMN with a constant default rewrites no table (PostgreSQL 11 and
-- later); the primary keys of the two rate tables are rebuilt, under their
-- locks. Like every text column, route compares as bytes (0013).
ALTER TABLE messages ADD COLUMN route text COLLATE "C" NOT NULL DEFAULT '';

ALTER TABLE rate_buckets ADD COLUMN route text COLLATE "C" NOT NULL DEFAULT '',
    DROP CONSTRAINT rate_buckets_pkey, ADD PRIMARY KEY (tenant, channel, campaign, domain, route, hour);

ALTER TABLE rate_days ADD COLUMN route text COLLATE "C" NOT NULL DEFAULT '',
    DROP CONSTRAINT rate_days_pkey, ADD PRIMARY KEY (tenant, channel, campaign, domain, route, day);
