-- 0008: each organization keeps the number of its open invitations, which count against its
-- account quota, so that the quota costs one row read however many are open. An invitation
-- still stored OPEN after its expiry counts until ExpireInvitations stores it EXPIRED, which
-- the quota check does first, reading only the invitations that expired since.

ALTER TABLE organizations ADD COLUMN open_invitations INTEGER NOT NULL DEFAULT 0;

UPDATE organizations SET open_invitations = (SELECT COUNT(*) FROM handshakes h
    WHERE h.org_id = organizations.id AND h.action = 'INVITE' AND h.state IN ('OPEN', 'REQUESTED'));

CREATE TRIGGER handshakes_invitation_sent AFTER INSERT ON handshakes
    WHEN NEW.action = 'INVITE' AND NEW.state IN ('OPEN', 'REQUESTED')
BEGIN
    UPDATE organizations SET open_invitations = open_invitations + 1 WHERE id = NEW.org_id;
END;

-- An upsert's DO UPDATE fires this too.
CREATE TRIGGER handshakes_invitation_state AFTER UPDATE OF state ON handshakes
    WHEN NEW.action = 'INVITE'
        AND (OLD.state IN ('OPEN', 'REQUESTED')) <> (NEW.state IN ('OPEN', 'REQUESTED'))
BEGIN
    UPDATE organizations
        SET open_invitations = open_invitations + CASE WHEN NEW.state IN ('OPEN', 'REQUESTED') THEN 1 ELSE -1 END
        WHERE id = NEW.org_id;
END;

CREATE TRIGGER handshakes_invitation_deleted AFTER DELETE ON handshakes
    WHEN OLD.action = 'INVITE' AND OLD.state IN ('OPEN', 'REQUESTED')
BEGIN
    UPDATE organizations SET open_invitations = open_invitations - 1 WHERE id = OLD.org_id;
END;
