-- 0014: the unverified figure of the rate tables.
--
-- A bounce or complaint mail that no VERP token, signed header or sent
-- message vouches for (channels.Event.Unverified) changes no
-- message or recipient; it is counted here instead, in the bucket of its
-- own hour with no campaign and no domain (both would come from the
-- unverified mail). ADD COLUMN with a constant default rewrites no table
-- (PostgreSQL 11 and later keep the default in the catalog).
ALTER TABLE rate_buckets ADD COLUMN unverified bigint NOT NULL DEFAULT 0;
ALTER TABLE rate_days ADD COLUMN unverified bigint NOT NULL DEFAULT 0;
ALTER TABLE rate_campaign_days ADD COLUMN unverified bigint NOT NULL DEFAULT 0;
