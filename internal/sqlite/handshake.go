package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/orgd/orgd/internal/org"
)

const handshakeColumns = `seq, id, COALESCE(org_id, ''), COALESCE(management_account_id, ''), partition, action, state,
	COALESCE(recipient_account_id, ''), COALESCE(recipient_email, ''), COALESCE(parent_id, ''),
	parties, resources, tags, requested_at, expires_at, closed_at, visible_until`

func scanHandshake(row scanner, h *org.Handshake) error {
	var parties, resources, tags sql.NullString
	var requested, expires, closed, visible sql.NullInt64
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
	cacheable := t.usable(kindHandshake, id)
	if cacheable {
		if h, ok := hit(t, t.cache.c.handshakes, id); ok {
			h = cloneHandshake(h)
			return &h, nil
		}
	}
	var h org.Handshake
	err := scanHandshake(t.queryRow(ctx, `SELECT `+handshakeColumns+` FROM handshakes WHERE id = ?`, id), &h)
	if err == nil && cacheable {
		put(t.cache.c, t.cache.seq, t.cache.c.handshakes, id, cloneHandshake(h))
	}
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("sqlite: handshake %s: %w", id, org.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: handshake %s: %w", id, err)
	}
	return &h, nil
}

func (t *tx) PutHandshake(ctx context.Context, h *org.Handshake) error {
	if err := t.writable("put handshake " + h.ID); err != nil {
		return err
	}
	t.changed(kindHandshake, h.ID)
	parties, err := jsonOrNull(h.Parties)
	if err != nil {
		return fmt.Errorf("sqlite: put handshake %s: parties: %w", h.ID, err)
	}
	resources, err := jsonOrNull(h.Resources)
	if err != nil {
		return fmt.Errorf("sqlite: put handshake %s: resources: %w", h.ID, err)
	}
	tags, err := jsonOrNull(h.Tags)
	if err != nil {
		return fmt.Errorf("sqlite: put handshake %s: tags: %w", h.ID, err)
	}
	var seq int64
	err = t.queryRow(ctx, `INSERT INTO handshakes (id, org_id, management_account_id, partition, action, state,
			recipient_account_id, recipient_email, parent_id, parties, resources, tags,
			requested_at, expires_at, closed_at, visible_until)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
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
	).Scan(&seq)
	if err != nil {
		return fmt.Errorf("sqlite: put handshake %s: %w", h.ID, err)
	}
	h.Seq = seq
	return nil
}

// handshakeWhere renders the conditions of q but the recipient and AfterSeq ones. When
// pinned is true, every column but drive is written +col, which keeps SQLite from choosing
// an index on it: a page must walk the (drive, seq) index in seq order and stop after Limit
// rows, where an index on another equality would need a sort of every match.
func handshakeWhere(q org.HandshakeQuery, drive string, pinned bool) ([]string, []any) {
	var where []string
	var args []any
	col := func(name string) string {
		if pinned && name != drive {
			return "+" + name
		}
		return name
	}
	if q.OrgID != "" {
		where, args = append(where, col("org_id")+" = ?"), append(args, q.OrgID)
	}
	if q.Partition != "" {
		where, args = append(where, col("partition")+" = ?"), append(args, q.Partition)
	}
	if q.Action != "" {
		where, args = append(where, col("action")+" = ?"), append(args, q.Action)
	}
	if q.ParentID != "" {
		where, args = append(where, col("parent_id")+" = ?"), append(args, q.ParentID)
	}
	in := func(op string, vals []string) {
		where = append(where, col("state")+" "+op+" ("+strings.TrimSuffix(strings.Repeat("?, ", len(vals)), ", ")+")")
		for _, v := range vals {
			args = append(args, v)
		}
	}
	if len(q.States) > 0 {
		in("IN", q.States)
	}
	if len(q.NotStates) > 0 {
		in("NOT IN", q.NotStates)
	}
	if !q.ExpiresAfter.IsZero() {
		where, args = append(where, col("expires_at")+" > ?"), append(args, q.ExpiresAfter.UnixMilli())
	}
	if !q.VisibleAfter.IsZero() {
		where, args = append(where, col("visible_until")+" > ?"), append(args, q.VisibleAfter.UnixMilli())
	}
	return where, args
}

// recipientTerms returns the recipient conditions of q: none, one, or two (account and
// e-mail, either of which matches).
func recipientTerms(q org.HandshakeQuery) (cols []string, args []any) {
	if q.RecipientAccountID != "" {
		cols, args = append(cols, "recipient_account_id"), append(args, q.RecipientAccountID)
	}
	if q.RecipientEmail != "" {
		cols, args = append(cols, "recipient_email"), append(args, strings.ToLower(q.RecipientEmail))
	}
	return cols, args
}

// and joins conditions, "1" when there are none.
func and(where []string) string {
	if len(where) == 0 {
		return "1"
	}
	return strings.Join(where, " AND ")
}

// ListHandshakes walks one (column, seq) index from q.AfterSeq and stops after q.Limit rows:
// the recipient's (both of them when the account and the e-mail are given: each walk is
// limited and the union of the two is cut to Limit), else the parent's, else the
// organization's, else the table in seq order. A Limit of zero or less means no limit.
func (t *tx) ListHandshakes(ctx context.Context, q org.HandshakeQuery) ([]org.Handshake, error) {
	query, args := listHandshakesQuery(q)
	out, err := queryAll(ctx, t, scanHandshake, query, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list handshakes: %w", err)
	}
	return out, nil
}

func listHandshakesQuery(q org.HandshakeQuery) (string, []any) {
	limit := noLimit(q.Limit)
	rcols, rargs := recipientTerms(q)
	var query string
	var args []any
	switch {
	case len(rcols) == 2:
		var parts []string
		for i, c := range rcols {
			where, wargs := handshakeWhere(q, c, true)
			where = append([]string{c + " = ?"}, where...)
			parts = append(parts, `SELECT seq FROM (SELECT seq FROM handshakes WHERE `+and(where)+
				` AND seq > ? ORDER BY seq LIMIT ?)`)
			args = append(append(append(args, rargs[i]), wargs...), q.AfterSeq, limit)
		}
		query = `SELECT ` + handshakeColumns + ` FROM handshakes WHERE seq IN (` +
			strings.Join(parts, " UNION ") + `) ORDER BY seq LIMIT ?`
		args = append(args, limit)
	default:
		drive := ""
		switch {
		case len(rcols) == 1:
			drive = rcols[0]
		case q.ParentID != "":
			drive = "parent_id"
		case q.OrgID != "":
			drive = "org_id"
		}
		where, wargs := handshakeWhere(q, drive, true)
		if len(rcols) == 1 {
			where, args = append([]string{rcols[0] + " = ?"}, where...), append(args, rargs[0])
		}
		args = append(append(args, wargs...), q.AfterSeq, limit)
		query = `SELECT ` + handshakeColumns + ` FROM handshakes WHERE ` + and(where) +
			` AND seq > ? ORDER BY seq LIMIT ?`
	}
	return query, args
}

// invitationsBetweenQuery counts the invitations of an organization sent in (lo, hi] that
// count against the daily quota: those that left or entered the sliding window.
const invitationsBetweenQuery = `SELECT COUNT(*) FROM handshakes WHERE org_id = ? AND action = 'INVITE'
	AND state IN ('OPEN', 'REQUESTED', 'DECLINED', 'CANCELED', 'EXPIRED')
	AND requested_at > ? AND requested_at <= ?`

// expireInvitationsQuery walks handshakes_org_open over what expired in one organization;
// expireDueQuery walks handshakes_open_expiry over what expired in any.
const (
	expireInvitationsQuery = `UPDATE handshakes SET state = 'EXPIRED'
	WHERE org_id = ? AND action = 'INVITE' AND state IN ('OPEN', 'REQUESTED') AND expires_at <= ?
	RETURNING id`
	expireDueQuery = `UPDATE handshakes SET state = 'EXPIRED' WHERE id IN (
	SELECT id FROM handshakes WHERE state IN ('OPEN', 'REQUESTED') AND expires_at <= ? ORDER BY expires_at LIMIT ?)
	RETURNING id`
)

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
		return nil, fmt.Errorf("sqlite: expire handshakes: %w", err)
	}
	for _, id := range ids {
		t.changed(kindHandshake, id)
	}
	return ids, nil
}

func (t *tx) CountOpenInvitations(ctx context.Context, orgID string) (int, error) {
	var n int
	// Triggers keep the count (migration 0008).
	err := t.queryRow(ctx, `SELECT open_invitations FROM organizations WHERE id = ?`, orgID).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("sqlite: count open invitations of %s: %w", orgID, err)
	}
	return n, nil
}

func (t *tx) CountRecentInvitations(ctx context.Context, orgID string, since time.Time) (int, error) {
	if err := t.writable("count recent invitations of " + orgID); err != nil {
		return 0, err
	}
	var n, from int64
	err := t.queryRow(ctx, `SELECT invites_day, invites_day_from FROM organizations WHERE id = ?`, orgID).Scan(&n, &from)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("sqlite: count recent invitations of %s: %w", orgID, err)
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
			return 0, fmt.Errorf("sqlite: count recent invitations of %s: %w", orgID, err)
		}
		n += sign * k
		if _, err := t.exec(ctx, `UPDATE organizations SET invites_day = ?, invites_day_from = ? WHERE id = ?`, n, to, orgID); err != nil {
			return 0, fmt.Errorf("sqlite: count recent invitations of %s: %w", orgID, err)
		}
	}
	return int(n), nil
}

func (t *tx) CountHandshakes(ctx context.Context, q org.HandshakeQuery) (int, error) {
	query, args := countHandshakesQuery(q)
	var n int
	if err := t.queryRow(ctx, query, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("sqlite: count handshakes: %w", err)
	}
	return n, nil
}

func countHandshakesQuery(q org.HandshakeQuery) (string, []any) {
	rcols, rargs := recipientTerms(q)
	var query string
	var args []any
	if len(rcols) == 0 {
		where, wargs := handshakeWhere(q, "", false)
		query, args = `SELECT COUNT(*) FROM handshakes WHERE `+and(where), wargs
	} else {
		var parts []string
		for i, c := range rcols {
			where, wargs := handshakeWhere(q, c, true)
			where = append([]string{c + " = ?"}, where...)
			parts = append(parts, `SELECT seq FROM handshakes WHERE `+and(where))
			args = append(append(args, rargs[i]), wargs...)
		}
		query = `SELECT COUNT(*) FROM (` + strings.Join(parts, " UNION ") + `)`
	}
	return query, args
}
