-- 0007: counting for a quota costs what the quota allows, not what the organization holds.

-- Each organization keeps the number of its member accounts, maintained by triggers on
-- accounts, so that the account quota costs one row read instead of a count over every
-- member (CountAccounts).

ALTER TABLE organizations ADD COLUMN members INTEGER NOT NULL DEFAULT 0;

UPDATE organizations SET members = (SELECT COUNT(*) FROM accounts WHERE accounts.org_id = organizations.id);

CREATE TRIGGER accounts_join AFTER INSERT ON accounts WHEN NEW.org_id IS NOT NULL
BEGIN
    UPDATE organizations SET members = members + 1 WHERE id = NEW.org_id;
END;

CREATE TRIGGER accounts_delete AFTER DELETE ON accounts WHEN OLD.org_id IS NOT NULL
BEGIN
    UPDATE organizations SET members = members - 1 WHERE id = OLD.org_id;
END;

-- An upsert's DO UPDATE fires this too.
CREATE TRIGGER accounts_move AFTER UPDATE OF org_id ON accounts WHEN OLD.org_id IS NOT NEW.org_id
BEGIN
    UPDATE organizations SET members = members - 1 WHERE id = OLD.org_id;
    UPDATE organizations SET members = members + 1 WHERE id = NEW.org_id;
END;

-- The daily invitation limit counts the invitations of the last 24 hours that were not
-- accepted: one range per state, so accepted invitations, however many, cost nothing.
DROP INDEX handshakes_org_requested;
CREATE INDEX handshakes_org_state_requested ON handshakes (org_id, action, state, requested_at);
