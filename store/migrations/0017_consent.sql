-- 0017: consent (issue 19): what recipients want, beside what became of
-- their messages.
--
-- recipient_consents holds one row per recipient and consent scope
-- (lifecycle.ConsentKey): scope 'all' with name '', 'list' with the list,
-- 'campaign' with the campaign. opted_out says whether the recipient
-- opted out of it, since when, by which event and source (one-click,
-- mailto, sms-keyword, gateway-error...); at is the time of the latest
-- consent event applied to it, so an older one applied later changes
-- nothing; confirmed_at (with the confirming event, client IP and user
-- agent) is the latest confirmed double opt-in. Only the apply writes it,
-- under the lock of the recipient's row, so it needs no lock of its own.
-- An opt-out of scope all is also the recipient's state (opted_out in
-- recipients), which the exclusion check and the state machine read; the
-- narrower ones are read by exclusion checks that name their list or
-- campaign.
CREATE TABLE recipient_consents (
    tenant             text COLLATE "C" NOT NULL,
    channel            text COLLATE "C" NOT NULL,
    address            text COLLATE "C" NOT NULL,
    scope              text COLLATE "C" NOT NULL CHECK (scope IN ('all', 'list', 'campaign')),
    name               text COLLATE "C" NOT NULL DEFAULT '',
    opted_out          boolean     NOT NULL DEFAULT false,
    since              timestamptz,
    source             text COLLATE "C" NOT NULL DEFAULT '',
    event_id           text COLLATE "C" NOT NULL DEFAULT '',
    at                 timestamptz NOT NULL,
    confirmed_at       timestamptz,
    confirm_event_id   text COLLATE "C" NOT NULL DEFAULT '',
    confirm_ip         text COLLATE "C" NOT NULL DEFAULT '',
    confirm_user_agent text COLLATE "C" NOT NULL DEFAULT '',
    updated_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, channel, address, scope, name)
);

-- The audit row of a consent change names its scope ('all',
-- 'list:<name>', 'campaign:<name>'); '' for every other transition.
ALTER TABLE recipient_audit ADD COLUMN scope text COLLATE "C" NOT NULL DEFAULT '';

-- A delivery through which its recipient opted out (the unsubscribe URL of
-- its mail names it) counts once in its send's bucket, as a complaint
-- does: unsubscribe_rate = unsubscribed / sent over the same sends, how
-- late the click comes. Not indexed, so the apply's updates stay HOT.
ALTER TABLE messages ADD COLUMN unsubscribed boolean NOT NULL DEFAULT false;
ALTER TABLE rate_buckets ADD COLUMN unsubscribed bigint NOT NULL DEFAULT 0;
ALTER TABLE rate_days ADD COLUMN unsubscribed bigint NOT NULL DEFAULT 0;
ALTER TABLE rate_campaign_days ADD COLUMN unsubscribed bigint NOT NULL DEFAULT 0;
