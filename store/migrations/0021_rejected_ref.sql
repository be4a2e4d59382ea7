-- 0021: a spooled payload kept as rejected is kept once.
--
-- The inbound loop (workers.Inbound) stores a mail that reports nothing in
-- rejected_events and then acknowledges it on NATS; a crash between the
-- two redelivers the mail, which was stored a second time. ref is the
-- spool's message id (the Nats-Msg-Id: a hash of the SMTP envelope and
-- data, or of a polled mailbox, its UIDVALIDITY and the mail's UID), and
-- a second row with the same source and ref is not inserted, so every
-- spooled mail is classified exactly once even across a SIGKILL. Rows
-- without a ref (webhooks, SMPP, the bridge) are as before. The partial
-- index is empty on existing rows (ref NULL): building it reads the table
-- once under its lock.
ALTER TABLE rejected_events ADD COLUMN ref text;
CREATE UNIQUE INDEX rejected_events_ref ON rejected_events (source, ref) WHERE ref IS NOT NULL;
