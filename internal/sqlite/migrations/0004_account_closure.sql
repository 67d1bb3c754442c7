-- 0004: CloseAccount. closed_at is when the closure was requested; the account's state
-- (PENDING_CLOSURE, SUSPENDED, CLOSED) follows from it and the server's clock.

ALTER TABLE accounts ADD COLUMN closed_at INTEGER;

-- The closure quotas count an organization's closures since a moment.
CREATE INDEX accounts_org_closed ON accounts (org_id, closed_at);
