-- Messages still pending, by channel and send time: the expiry job
-- ("silence is a verdict") scans them for sends past their validity period.
CREATE INDEX messages_pending_sent ON messages (channel, sent_at) WHERE status = 'pending' AND sent_at IS NOT NULL;
