-- 0002: the counters of SQLite's migrations 0007 to 0009, which let a quota cost what it
-- allows rather than what the organization holds. Each organization keeps, kept by triggers:
--
--   members           its member accounts (CountAccounts);
--   open_invitations  its INVITE handshakes stored OPEN or REQUESTED (CountOpenInvitations);
--   invites_day       its INVITE handshakes not ACCEPTED requested after invites_day_from,
--                     which CountRecentInvitations moves to 24 hours ago, subtracting what
--                     left the window since its last call.
--
-- A trigger fires only when a row's contribution changes, and its function takes the old
-- contribution out and puts the new one in, so that a row that moves (another organization,
-- another request time) is counted right too. The counters live on the organization's row:
-- at SERIALIZABLE, two transactions that move one organization's counter conflict on that
-- row, and one of them runs again. This migration ships with 0001, on empty tables.

ALTER TABLE organizations
    ADD COLUMN members          BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN open_invitations BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN invites_day      BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN invites_day_from BIGINT NOT NULL DEFAULT 0;

CREATE FUNCTION count_members() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        IF OLD.org_id IS NOT NULL THEN
            UPDATE organizations SET members = members - 1 WHERE id = OLD.org_id;
        END IF;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        IF NEW.org_id IS NOT NULL THEN
            UPDATE organizations SET members = members + 1 WHERE id = NEW.org_id;
        END IF;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER accounts_join AFTER INSERT ON accounts
    FOR EACH ROW WHEN (NEW.org_id IS NOT NULL) EXECUTE FUNCTION count_members();
-- An upsert's DO UPDATE fires this too.
CREATE TRIGGER accounts_move AFTER UPDATE OF org_id ON accounts
    FOR EACH ROW WHEN (OLD.org_id IS DISTINCT FROM NEW.org_id) EXECUTE FUNCTION count_members();
CREATE TRIGGER accounts_leave AFTER DELETE ON accounts
    FOR EACH ROW WHEN (OLD.org_id IS NOT NULL) EXECUTE FUNCTION count_members();

CREATE FUNCTION count_open_invitations() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        IF OLD.action = 'INVITE' AND OLD.state IN ('OPEN', 'REQUESTED') THEN
            UPDATE organizations SET open_invitations = open_invitations - 1 WHERE id = OLD.org_id;
        END IF;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        IF NEW.action = 'INVITE' AND NEW.state IN ('OPEN', 'REQUESTED') THEN
            UPDATE organizations SET open_invitations = open_invitations + 1 WHERE id = NEW.org_id;
        END IF;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER handshakes_invitation_sent AFTER INSERT ON handshakes
    FOR EACH ROW WHEN (NEW.action = 'INVITE' AND NEW.state IN ('OPEN', 'REQUESTED'))
    EXECUTE FUNCTION count_open_invitations();
-- An upsert's DO UPDATE fires this too.
CREATE TRIGGER handshakes_invitation_state AFTER UPDATE OF state, action, org_id ON handshakes
    FOR EACH ROW WHEN (
        (OLD.action = 'INVITE' AND OLD.state IN ('OPEN', 'REQUESTED'))
            IS DISTINCT FROM (NEW.action = 'INVITE' AND NEW.state IN ('OPEN', 'REQUESTED'))
        OR (NEW.action = 'INVITE' AND NEW.state IN ('OPEN', 'REQUESTED') AND OLD.org_id IS DISTINCT FROM NEW.org_id))
    EXECUTE FUNCTION count_open_invitations();
CREATE TRIGGER handshakes_invitation_deleted AFTER DELETE ON handshakes
    FOR EACH ROW WHEN (OLD.action = 'INVITE' AND OLD.state IN ('OPEN', 'REQUESTED'))
    EXECUTE FUNCTION count_open_invitations();

-- An invitation counts in the daily window when it was requested after the organization's
-- window start; a trigger's WHEN cannot read the organization's row, so the UPDATE does.
CREATE FUNCTION count_daily_invitations() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        IF OLD.action = 'INVITE' AND OLD.state <> 'ACCEPTED' THEN
            UPDATE organizations SET invites_day = invites_day - 1
                WHERE id = OLD.org_id AND OLD.requested_at > invites_day_from;
        END IF;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        IF NEW.action = 'INVITE' AND NEW.state <> 'ACCEPTED' THEN
            UPDATE organizations SET invites_day = invites_day + 1
                WHERE id = NEW.org_id AND NEW.requested_at > invites_day_from;
        END IF;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER handshakes_invitation_counted AFTER INSERT ON handshakes
    FOR EACH ROW WHEN (NEW.action = 'INVITE' AND NEW.state <> 'ACCEPTED')
    EXECUTE FUNCTION count_daily_invitations();
CREATE TRIGGER handshakes_invitation_accepted AFTER UPDATE OF state, action, org_id, requested_at ON handshakes
    FOR EACH ROW WHEN (
        (OLD.action = 'INVITE' AND OLD.state <> 'ACCEPTED')
            IS DISTINCT FROM (NEW.action = 'INVITE' AND NEW.state <> 'ACCEPTED')
        OR (NEW.action = 'INVITE' AND NEW.state <> 'ACCEPTED'
            AND (OLD.org_id IS DISTINCT FROM NEW.org_id OR OLD.requested_at IS DISTINCT FROM NEW.requested_at)))
    EXECUTE FUNCTION count_daily_invitations();
CREATE TRIGGER handshakes_invitation_uncounted AFTER DELETE ON handshakes
    FOR EACH ROW WHEN (OLD.action = 'INVITE' AND OLD.state <> 'ACCEPTED')
    EXECUTE FUNCTION count_daily_invitations();
