-- 0009: each organization keeps the number of its invitations, accepted ones aside, sent
-- after invites_day_from: the daily invitation limit reads it after moving the window start
-- to 24 hours ago, subtracting the invitations that left the window since the last time, each
-- once (CountRecentInvitations). Triggers keep it as invitations are sent and accepted.

ALTER TABLE organizations ADD COLUMN invites_day INTEGER NOT NULL DEFAULT 0;
ALTER TABLE organizations ADD COLUMN invites_day_from INTEGER NOT NULL DEFAULT 0;

UPDATE organizations SET invites_day = (SELECT COUNT(*) FROM handshakes h
    WHERE h.org_id = organizations.id AND h.action = 'INVITE' AND h.state <> 'ACCEPTED');

CREATE TRIGGER handshakes_invitation_counted AFTER INSERT ON handshakes
    WHEN NEW.action = 'INVITE' AND NEW.state <> 'ACCEPTED'
        AND NEW.requested_at > (SELECT invites_day_from FROM organizations WHERE id = NEW.org_id)
BEGIN
    UPDATE organizations SET invites_day = invites_day + 1 WHERE id = NEW.org_id;
END;

CREATE TRIGGER handshakes_invitation_accepted AFTER UPDATE OF state ON handshakes
    WHEN NEW.action = 'INVITE' AND (OLD.state = 'ACCEPTED') <> (NEW.state = 'ACCEPTED')
        AND NEW.requested_at > (SELECT invites_day_from FROM organizations WHERE id = NEW.org_id)
BEGIN
    UPDATE organizations
        SET invites_day = invites_day + CASE WHEN NEW.state = 'ACCEPTED' THEN -1 ELSE 1 END
        WHERE id = NEW.org_id;
END;

CREATE TRIGGER handshakes_invitation_uncounted AFTER DELETE ON handshakes
    WHEN OLD.action = 'INVITE' AND OLD.state <> 'ACCEPTED'
        AND OLD.requested_at > (SELECT invites_day_from FROM organizations WHERE id = OLD.org_id)
BEGIN
    UPDATE organizations SET invites_day = invites_day - 1 WHERE id = OLD.org_id;
END;
