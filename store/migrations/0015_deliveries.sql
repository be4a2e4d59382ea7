-- 0015: a delivery is one message to one recipient.
--
-- ESPs report each recipient of a message under the message's one id
-- (SES's mail.messageId, SendGrid's sg_message_id, Mailgun's message-id),
-- so a message id alone named one row for all of them: the first
-- recipient's events moved it, the others' were lost to the rates and to
-- the soft counts. The recipient joins the key. Every existing row names
-- the one recipient its events gave it, and becomes one delivery as it
-- is: nothing is rewritten but the primary key's index.
ALTER TABLE messages DROP CONSTRAINT messages_pkey,
    ADD PRIMARY KEY (tenant, channel, message_id, recipient);
