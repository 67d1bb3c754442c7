package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/orgd/orgd/internal/org"
)

const handshakeColumns = `seq, id, COALESCE(org_id, ''), COALESCE(management_account_id, ''), partition, action, state,
	COALESCE(recipient_account_id, ''), COALESCE(recipient_email, ''), COALESCE(parent_id, ''),
	parties, resources, tags, requested_at, expires_at, closed_at, visible_until`

func scanHandshake(row scanner, h *org.Handshake) error {
	var parties, resources, tags *string
	var requested, expires, closed, visible *int64
	if err := row.Scan(&h.Seq, &h.ID, &h.OrgID, &h.ManagementAccountID, &h.Partition, &h.Action, &h.State,
		&h.RecipientAccountID, &h.RecipientEmail, &h.ParentID,
		&parties, &resources, &tags, &requested, &expires, &closed, &visible); err != nil {
		return err
	}
	var err error
	if h.Parties, err = fromJSON[org.Party](parties); err != nil {
		return fmt.Errorf("parties: %w", err)
	}
	if h.Resources, err = fromJSON[org.Resource](resources); err != nil {
		return fmt.Errorf("resources: %w", err)
	}
	if h.Tags, err = fromJSON[org.Tag](tags); err != nil {
		return fmt.Errorf("tags: %w", err)
	}
	h.RequestedAt, h.ExpiresAt = fromMS(requested), fromMS(expires)
	h.ClosedAt, h.VisibleUntil = fromMS(closed), fromMS(visible)
	return nil
}

func (t *tx) Handshake(ctx context.Context, id string) (*org.Handshake, error) {
	var h org.Handshake
	err := scanHandshake(t.queryRow(ctx, `SELECT `+handshakeColumns+` FROM handshakes WHERE id = $1`, id), &h)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("postgres: handshake %s: %w", id, org.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: handshake %s: %w", id, err)
	}
	return &h, nil
}

// PutHandshake upserts the handshake; the triggers of migration 0002 move the
// organization's invitation counters. An insert that turns into an update has drawn a
// number from the sequence all the same: Seqs have gaps, and still only grow.
func (t *tx) PutHandshake(ctx context.Context, h *org.Handshake) error {
	if err := t.writable("put handshake " + h.ID); err != nil {
		return err
	}
	parties, err := jsonOrNull(h.Parties)
	if err != nil {
		return fmt.Errorf("postgres: put handshake %s: parties: %w", h.ID, err)
	}
	resources, err := jsonOrNull(h.Resources)
	if err != nil {
		return fmt.Errorf("postgres: put handshake %s: resources: %w", h.ID, err)
	}
	tags, err := jsonOrNull(h.Tags)
	if err != nil {
		return fmt.Errorf("postgres: put handshake %s: tags: %w", h.ID, err)
	}
	err = t.queryRow(ctx, `INSERT INTO handshakes (id, org_id, management_account_id, partition, action, state,
			recipient_account_id, recipient_email, parent_id, parties, resources, tags,
			requested_at, expires_at, closed_at, visible_until)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
		ON CONFLICT (id) DO UPDATE SET org_id = excluded.org_id,
			management_account_id = excluded.management_account_id, partition = excluded.partition,
			action = excluded.action,
			state = excluded.state, recipient_account_id = excluded.recipient_account_id,
			recipient_email = excluded.recipient_email, parent_id = excluded.parent_id,
			parties = excluded.parties, resources = excluded.resources, tags = excluded.tags,
			requested_at = excluded.requested_at, expires_at = excluded.expires_at,
			closed_at = excluded.closed_at, visible_until = excluded.visible_until
		RETURNING seq`,
		h.ID, strOrNull(h.OrgID), strOrNull(h.ManagementAccountID), h.Partition, h.Action, h.State,
		strOrNull(h.RecipientAccountID), strOrNull(strings.ToLower(h.RecipientEmail)), strOrNull(h.ParentID),
		parties, resources, tags,
		msOrNull(h.RequestedAt), msOrNull(h.ExpiresAt), msOrNull(h.ClosedAt), msOrNull(h.VisibleUntil),
	).Scan(&h.Seq)
	if err != nil {
		return fmt.Errorf("postgres: put handshake %s: %w", h.ID, err)
	}
	return nil
}

// handshakeWhere renders the conditions of q but the recipient and AfterSeq ones. When
// pinned is true, every column but drive is written as an expression ((col || ”),
// (col + 0)) that no index serves, which keeps the planner on the (drive, seq) index: a
// page walks it in seq order and stops after Limit rows, where an index on another
// equality would need a sort of every match. SQLite's store pins its pages the same way.
func handshakeWhere(q org.HandshakeQuery, drive string, pinned bool, p *params) []string {
	var where []string
	text := func(name string) string {
		if pinned && name != drive {
			return "(" + name + " || '')"
		}
		return name
	}
	number := func(name string) string {
		if pinned {
			return "(" + name + " + 0)"
		}
		return name
	}
	if q.OrgID != "" {
		where = append(where, text("org_id")+" = "+p.add(q.OrgID))
	}
	if q.Partition != "" {
		where = append(where, text("partition")+" = "+p.add(q.Partition))
	}
	if q.Action != "" {
		where = append(where, text("action")+" = "+p.add(q.Action))
	}
	if q.ParentID != "" {
		where = append(where, text("parent_id")+" = "+p.add(q.ParentID))
	}
	if len(q.States) > 0 {
		where = append(where, text("state")+" = ANY("+p.add(q.States)+")")
	}
	if len(q.NotStates) > 0 {
		where = append(where, text("state")+" <> ALL("+p.add(q.NotStates)+")")
	}
	if !q.ExpiresAfter.IsZero() {
		where = append(where, number("expires_at")+" > "+p.add(q.ExpiresAfter.UnixMilli()))
	}
	if !q.VisibleAfter.IsZero() {
		where = append(where, number("visible_until")+" > "+p.add(q.VisibleAfter.UnixMilli()))
	}
	return where
}

// recipientTerms returns the recipient conditions of q: none, one, or two (account and
// e-mail, either of which matches).
func recipientTerms(q org.HandshakeQuery) (cols []string, vals []any) {
	if q.RecipientAccountID != "" {
		cols, vals = append(cols, "recipient_account_id"), append(vals, q.RecipientAccountID)
	}
	if q.RecipientEmail != "" {
		cols, vals = append(cols, "recipient_email"), append(vals, strings.ToLower(q.RecipientEmail))
	}
	return cols, vals
}

// ListHandshakes walks one (column, seq) index from q.AfterSeq and stops after q.Limit rows:
// the recipient's (both of them when the account and the e-mail are given: each walk is
// limited and the union of the two is cut to Limit), else the parent's, else the
// organization's, else the table in seq order. A Limit of zero or less means no limit.
func (t *tx) ListHandshakes(ctx context.Context, q org.HandshakeQuery) ([]org.Handshake, error) {
	query, args := listHandshakesQuery(q)
	out, err := queryAll(ctx, t, scanHandshake, query, args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: list handshakes: %w", err)
	}
	return out, nil
}

func listHandshakesQuery(q org.HandshakeQuery) (string, []any) {
	var p params
	rcols, rvals := recipientTerms(q)
	if len(rcols) == 2 {
		after, limit := p.add(q.AfterSeq), p.add(noLimit(q.Limit))
		parts := make([]string, len(rcols))
		for i, c := range rcols {
			where := append([]string{c + " = " + p.add(rvals[i])}, handshakeWhere(q, c, true, &p)...)
			parts[i] = `(SELECT seq FROM handshakes WHERE ` + and(where) + ` AND seq > ` + after +
				` ORDER BY seq LIMIT ` + limit + `)`
		}
		return `SELECT ` + handshakeColumns + ` FROM handshakes WHERE seq IN (` +
			strings.Join(parts, " UNION ") + `) ORDER BY seq LIMIT ` + limit, p
	}
	drive := ""
	switch {
	case len(rcols) == 1:
		drive = rcols[0]
	case q.ParentID != "":
		drive = "parent_id"
	case q.OrgID != "":
		drive = "org_id"
	}
	var where []string
	if len(rcols) == 1 {
		where = append(where, rcols[0]+" = "+p.add(rvals[0]))
	}
	where = append(where, handshakeWhere(q, drive, true, &p)...)
	where = append(where, "seq > "+p.add(q.AfterSeq))
	return `SELECT ` + handshakeColumns + ` FROM handshakes WHERE ` + and(where) +
		` ORDER BY seq LIMIT ` + p.add(noLimit(q.Limit)), p
}

// invitationsBetweenQuery counts the invitations of an organization sent in ($2, $3] that
// count against the daily quota: those that left or entered the sliding window.
const invitationsBetweenQuery = `SELECT COUNT(*) FROM handshakes WHERE org_id = $1 AND action = 'INVITE'
	AND state IN ('OPEN', 'REQUESTED', 'DECLINED', 'CANCELED', 'EXPIRED')
	AND requested_at > $2 AND requested_at <= $3`

// expireInvitationsQuery walks handshakes_org_open over what expired in one organization;
// expireDueQuery walks handshakes_open_expiry over what expired in any.
const (
	expireInvitationsQuery = `UPDATE handshakes SET state = 'EXPIRED'
	WHERE org_id = $1 AND action = 'INVITE' AND state IN ('OPEN', 'REQUESTED') AND expires_at <= $2
	RETURNING id`
	expireDueQuery = `UPDATE handshakes SET state = 'EXPIRED' WHERE id IN (
	SELECT id FROM handshakes WHERE state IN ('OPEN', 'REQUESTED') AND expires_at <= $1 ORDER BY expires_at LIMIT $2)
	RETURNING id`
)

// ExpireHandshakes: the triggers take expired invitations out of the open count.
func (t *tx) ExpireHandshakes(ctx context.Context, orgID string, now time.Time, limit int) ([]string, error) {
	if err := t.writable("expire handshakes"); err != nil {
		return nil, err
	}
	query, args := expireDueQuery, []any{now.UnixMilli(), limit}
	if orgID != "" {
		query, args = expireInvitationsQuery, []any{orgID, now.UnixMilli()}
	}
	ids, err := queryAll(ctx, t, func(r scanner, id *string) error { return r.Scan(id) }, query, args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: expire handshakes: %w", err)
	}
	return ids, nil
}

func (t *tx) CountOpenInvitations(ctx context.Context, orgID string) (int, error) {
	var n int
	// Triggers keep the count (migration 0002).
	err := t.queryRow(ctx, `SELECT open_invitations FROM organizations WHERE id = $1`, orgID).Scan(&n)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("postgres: count open invitations of %s: %w", orgID, err)
	}
	return n, nil
}

func (t *tx) CountRecentInvitations(ctx context.Context, orgID string, since time.Time) (int, error) {
	if err := t.writable("count recent invitations of " + orgID); err != nil {
		return 0, err
	}
	var n, from int64
	err := t.queryRow(ctx, `SELECT invites_day, invites_day_from FROM organizations WHERE id = $1`, orgID).Scan(&n, &from)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("postgres: count recent invitations of %s: %w", orgID, err)
	}
	to := since.UnixMilli()
	if to != from {
		// Moving the window start forward drops what was sent in between; moving it back
		// (a clock that went back) counts the window anew.
		lo, hi, sign := from, to, int64(-1)
		if to < from {
			lo, hi, sign = to, from, 1
		}
		var k int64
		if err := t.queryRow(ctx, invitationsBetweenQuery, orgID, lo, hi).Scan(&k); err != nil {
			return 0, fmt.Errorf("postgres: count recent invitations of %s: %w", orgID, err)
		}
		n += sign * k
		if _, err := t.exec(ctx, `UPDATE organizations SET invites_day = $1, invites_day_from = $2 WHERE id = $3`,
			n, to, orgID); err != nil {
			return 0, fmt.Errorf("postgres: count recent invitations of %s: %w", orgID, err)
		}
	}
	return int(n), nil
}

// CountHandshakes lets the planner choose the index (the quota counts are covered by
// handshakes_org_open and handshakes_org_state_requested), but for a recipient, whose index
// it pins.
func (t *tx) CountHandshakes(ctx context.Context, q org.HandshakeQuery) (int, error) {
	query, args := countHandshakesQuery(q)
	var n int
	if err := t.queryRow(ctx, query, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("postgres: count handshakes: %w", err)
	}
	return n, nil
}

func countHandshakesQuery(q org.HandshakeQuery) (string, []any) {
	var p params
	rcols, rvals := recipientTerms(q)
	if len(rcols) == 0 {
		return `SELECT COUNT(*) FROM handshakes WHERE ` + and(handshakeWhere(q, "", false, &p)), p
	}
	parts := make([]string, len(rcols))
	for i, c := range rcols {
		where := append([]string{c + " = " + p.add(rvals[i])}, handshakeWhere(q, c, true, &p)...)
		parts[i] = `SELECT seq FROM handshakes WHERE ` + and(where)
	}
	return `SELECT COUNT(*) FROM (` + strings.Join(parts, " UNION ") + `) AS matches`, p
}
