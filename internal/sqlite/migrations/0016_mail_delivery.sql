-- 0016: SMTP delivery of the outbox (issue 13). A message is pending until the mail server
-- accepts it (delivered) or refuses it for good (failed). next_attempt_at (ms, real clock)
-- is when a pending message is due: a deliverer claims a message by moving it forward by a
-- lease before sending, so that no other deliverer sends it meanwhile, and a message whose
-- deliverer died is due again when the lease ends. last_answer keeps the server's answer.
-- Messages written before are pending, due at once, except those already marked sent.

ALTER TABLE outbox ADD COLUMN state TEXT NOT NULL DEFAULT 'pending';
ALTER TABLE outbox ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN next_attempt_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN last_answer TEXT NOT NULL DEFAULT '';
UPDATE outbox SET state = 'delivered' WHERE sent_at IS NOT NULL;
CREATE INDEX outbox_due ON outbox (next_attempt_at, seq) WHERE state = 'pending';
