package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/orgd/orgd/internal/org"
)

// Trusted access, delegated administrators, the delegation policy and transfers.

// Trusted access.

func (t *tx) ServiceAccess(ctx context.Context, orgID, principal string) (*org.ServiceAccess, error) {
	a := org.ServiceAccess{OrgID: orgID, ServicePrincipal: principal}
	var enabled sql.NullInt64
	err := t.queryRow(ctx, `SELECT enabled_at FROM service_access WHERE org_id = ? AND service_principal = ?`,
		orgID, principal).Scan(&enabled)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("sqlite: service access %s of %s: %w", principal, orgID, org.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: service access %s of %s: %w", principal, orgID, err)
	}
	a.EnabledAt = fromMS(enabled)
	return &a, nil
}

func (t *tx) PutServiceAccess(ctx context.Context, a *org.ServiceAccess) error {
	if err := t.writable("put service access " + a.ServicePrincipal); err != nil {
		return err
	}
	// A new principal comes after the organization's others (service_access_org_seq).
	err := t.queryRow(ctx, `INSERT INTO service_access (org_id, service_principal, enabled_at, seq)
		VALUES (?, ?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM service_access WHERE org_id = ?))
		ON CONFLICT (org_id, service_principal) DO UPDATE SET enabled_at = excluded.enabled_at
		RETURNING seq`,
		a.OrgID, a.ServicePrincipal, msOrNull(a.EnabledAt), a.OrgID).Scan(&a.Seq)
	if err != nil {
		return fmt.Errorf("sqlite: put service access %s of %s: %w", a.ServicePrincipal, a.OrgID, err)
	}
	return nil
}

func (t *tx) DeleteServiceAccess(ctx context.Context, orgID, principal string) error {
	return t.execExpectRow(ctx, "delete service access "+principal+" of "+orgID,
		`DELETE FROM service_access WHERE org_id = ? AND service_principal = ?`, orgID, principal)
}

// ListServiceAccess pages on the primary key, in creation order on service_access_org_seq.
func (t *tx) ListServiceAccess(ctx context.Context, q org.ServiceAccessQuery) ([]org.ServiceAccess, error) {
	query, args := listServiceAccessQuery, []any{q.OrgID, q.After, noLimit(q.Limit)}
	if q.Order == org.ByCreation {
		query, args = listServiceAccessBySeqQuery, []any{q.OrgID, q.AfterSeq, noLimit(q.Limit)}
	}
	out, err := queryAll(ctx, t, func(r scanner, a *org.ServiceAccess) error {
		a.OrgID = q.OrgID
		var enabled, seq sql.NullInt64
		if err := r.Scan(&a.ServicePrincipal, &enabled, &seq); err != nil {
			return err
		}
		a.EnabledAt, a.Seq = fromMS(enabled), seq.Int64
		return nil
	}, query, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list service access of %s: %w", q.OrgID, err)
	}
	return out, nil
}

const (
	listServiceAccessQuery = `SELECT service_principal, enabled_at, seq FROM service_access
	WHERE org_id = ? AND service_principal > ? ORDER BY service_principal LIMIT ?`
	listServiceAccessBySeqQuery = `SELECT service_principal, enabled_at, seq FROM service_access
	WHERE org_id = ? AND seq > ? ORDER BY seq LIMIT ?`
)

func (t *tx) DeleteServiceAccesses(ctx context.Context, orgID string) error {
	if err := t.writable("delete service access of " + orgID); err != nil {
		return err
	}
	if _, err := t.exec(ctx, `DELETE FROM service_access WHERE org_id = ?`, orgID); err != nil {
		return fmt.Errorf("sqlite: delete service access of %s: %w", orgID, err)
	}
	return nil
}

// Delegated administrators.

func (t *tx) DelegatedAdmin(ctx context.Context, orgID, accountID, principal string) (*org.DelegatedAdmin, error) {
	d := org.DelegatedAdmin{OrgID: orgID, AccountID: accountID, ServicePrincipal: principal}
	var enabled sql.NullInt64
	err := t.queryRow(ctx, `SELECT enabled_at FROM delegated_admins
		WHERE org_id = ? AND account_id = ? AND service_principal = ?`, orgID, accountID, principal).Scan(&enabled)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("sqlite: delegated admin %s for %s: %w", accountID, principal, org.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: delegated admin %s for %s: %w", accountID, principal, err)
	}
	d.EnabledAt = fromMS(enabled)
	return &d, nil
}

// putDelegatedAdminQuery inserts a registration after the account's others (seq, on
// delegated_admins_account_seq) with the account's place among the administrators
// (account_seq): that of its registrations, or after every other account's on
// delegated_admins_org_account_seq. A replacement keeps both.
const putDelegatedAdminQuery = `INSERT INTO delegated_admins (org_id, account_id, service_principal, enabled_at, seq, account_seq)
	VALUES (?, ?, ?, ?,
		(` + nextDelegatedAdminSeqQuery + `),
		COALESCE((` + delegatedAdminAccountSeqQuery + `), (` + nextDelegatedAdminAccountSeqQuery + `)))
	ON CONFLICT (org_id, account_id, service_principal) DO UPDATE SET enabled_at = excluded.enabled_at
	RETURNING seq, account_seq`

const (
	nextDelegatedAdminSeqQuery = `SELECT COALESCE(MAX(seq), 0) + 1 FROM delegated_admins
		WHERE org_id = ? AND account_id = ?`
	delegatedAdminAccountSeqQuery = `SELECT account_seq FROM delegated_admins
		WHERE org_id = ? AND account_id = ? LIMIT 1`
	nextDelegatedAdminAccountSeqQuery = `SELECT COALESCE(MAX(account_seq), 0) + 1 FROM delegated_admins
		WHERE org_id = ?`
)

func (t *tx) PutDelegatedAdmin(ctx context.Context, d *org.DelegatedAdmin) error {
	if err := t.writable("put delegated admin " + d.AccountID); err != nil {
		return err
	}
	err := t.queryRow(ctx, putDelegatedAdminQuery,
		d.OrgID, d.AccountID, d.ServicePrincipal, msOrNull(d.EnabledAt), d.OrgID, d.AccountID, d.OrgID, d.AccountID, d.OrgID,
	).Scan(&d.Seq, &d.AccountSeq)
	if err != nil {
		return fmt.Errorf("sqlite: put delegated admin %s for %s: %w", d.AccountID, d.ServicePrincipal, err)
	}
	return nil
}

func (t *tx) DeleteDelegatedAdmin(ctx context.Context, orgID, accountID, principal string) error {
	return t.execExpectRow(ctx, "delete delegated admin "+accountID+" for "+principal,
		`DELETE FROM delegated_admins WHERE org_id = ? AND account_id = ? AND service_principal = ?`,
		orgID, accountID, principal)
}

func (t *tx) DeleteDelegatedAdmins(ctx context.Context, orgID, accountID string) error {
	if err := t.writable("delete delegated admins of " + orgID); err != nil {
		return err
	}
	query, args := `DELETE FROM delegated_admins WHERE org_id = ?`, []any{orgID}
	if accountID != "" {
		query, args = query+` AND account_id = ?`, append(args, accountID)
	}
	if _, err := t.exec(ctx, query, args...); err != nil {
		return fmt.Errorf("sqlite: delete delegated admins of %s %s: %w", orgID, accountID, err)
	}
	return nil
}

// ListDelegatedAdmins walks the primary key (an account's services, or every account grouped)
// or delegated_admins_service (a service's accounts), from q.After; in creation order the
// indexes on seq and account_seq, from q.AfterSeq.
func (t *tx) ListDelegatedAdmins(ctx context.Context, q org.DelegatedAdminQuery) ([]org.DelegatedAdmin, error) {
	query, args := listDelegatedAdminsQuery(q)
	out, err := queryAll(ctx, t, func(r scanner, d *org.DelegatedAdmin) error {
		d.OrgID = q.OrgID
		var enabled, seq, accountSeq sql.NullInt64
		if err := r.Scan(&d.AccountID, &d.ServicePrincipal, &enabled, &seq, &accountSeq); err != nil {
			return err
		}
		d.EnabledAt, d.Seq, d.AccountSeq = fromMS(enabled), seq.Int64, accountSeq.Int64
		return nil
	}, query, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list delegated admins: %w", err)
	}
	return out, nil
}

func listDelegatedAdminsQuery(q org.DelegatedAdminQuery) (string, []any) {
	limit := noLimit(q.Limit)
	if q.Order == org.ByCreation {
		return listDelegatedAdminsBySeqQuery(q)
	}
	switch {
	case q.AccountID != "":
		return `SELECT account_id, service_principal, enabled_at, seq, account_seq FROM delegated_admins
			WHERE org_id = ? AND account_id = ? AND service_principal > ?
			ORDER BY service_principal LIMIT ?`, []any{q.OrgID, q.AccountID, q.After, limit}
	case q.ServicePrincipal != "":
		// Without statistics SQLite prefers the primary key, which would filter every
		// administrator of the organization; the service's index reads one page.
		return `SELECT account_id, service_principal, enabled_at, seq, account_seq FROM delegated_admins
			INDEXED BY delegated_admins_service
			WHERE org_id = ? AND service_principal = ? AND account_id > ?
			ORDER BY account_id LIMIT ?`, []any{q.OrgID, q.ServicePrincipal, q.After, limit}
	default:
		// The primary key is ordered by account, so grouping by it needs no sort.
		return `SELECT account_id, '', MIN(enabled_at), 0, MIN(account_seq) FROM delegated_admins
			WHERE org_id = ? AND account_id > ?
			GROUP BY account_id ORDER BY account_id LIMIT ?`, []any{q.OrgID, q.After, limit}
	}
}

// listDelegatedAdminsBySeqQuery is listDelegatedAdminsQuery in creation order. The indexes
// are named for the reason given above: without statistics SQLite would rather walk the
// primary key and sort.
func listDelegatedAdminsBySeqQuery(q org.DelegatedAdminQuery) (string, []any) {
	limit := noLimit(q.Limit)
	switch {
	case q.AccountID != "":
		return `SELECT account_id, service_principal, enabled_at, seq, account_seq FROM delegated_admins
			INDEXED BY delegated_admins_account_seq
			WHERE org_id = ? AND account_id = ? AND seq > ?
			ORDER BY seq LIMIT ?`, []any{q.OrgID, q.AccountID, q.AfterSeq, limit}
	case q.ServicePrincipal != "":
		return `SELECT account_id, service_principal, enabled_at, seq, account_seq FROM delegated_admins
			INDEXED BY delegated_admins_service_account_seq
			WHERE org_id = ? AND service_principal = ? AND account_seq > ?
			ORDER BY account_seq LIMIT ?`, []any{q.OrgID, q.ServicePrincipal, q.AfterSeq, limit}
	default:
		// An account's registrations share account_seq, so they are adjacent on the index
		// and grouping needs no sort.
		return `SELECT account_id, '', MIN(enabled_at), 0, account_seq FROM delegated_admins
			INDEXED BY delegated_admins_org_account_seq
			WHERE org_id = ? AND account_seq > ?
			GROUP BY account_seq, account_id ORDER BY account_seq, account_id LIMIT ?`, []any{q.OrgID, q.AfterSeq, limit}
	}
}

func (t *tx) CountDelegatedAdmins(ctx context.Context, q org.DelegatedAdminQuery) (int, error) {
	where, args := []string{"org_id = ?"}, []any{q.OrgID}
	if q.AccountID != "" {
		where, args = append(where, "account_id = ?"), append(args, q.AccountID)
	}
	if q.ServicePrincipal != "" {
		where, args = append(where, "service_principal = ?"), append(args, q.ServicePrincipal)
	}
	var n int
	if err := t.queryRow(ctx, `SELECT COUNT(*) FROM delegated_admins WHERE `+strings.Join(where, " AND "), args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("sqlite: count delegated admins: %w", err)
	}
	return n, nil
}

// The resource-based delegation policy.

func (t *tx) ResourcePolicy(ctx context.Context, orgID string) (*org.ResourcePolicy, error) {
	p := org.ResourcePolicy{OrgID: orgID}
	var created, updated sql.NullInt64
	err := t.queryRow(ctx, `SELECT id, content, created_at, updated_at FROM resource_policies WHERE org_id = ?`,
		orgID).Scan(&p.ID, &p.Content, &created, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("sqlite: resource policy of %s: %w", orgID, org.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: resource policy of %s: %w", orgID, err)
	}
	p.CreatedAt, p.UpdatedAt = fromMS(created), fromMS(updated)
	return &p, nil
}

func (t *tx) PutResourcePolicy(ctx context.Context, p *org.ResourcePolicy) error {
	if err := t.writable("put resource policy of " + p.OrgID); err != nil {
		return err
	}
	_, err := t.exec(ctx, `INSERT INTO resource_policies (org_id, id, content, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (org_id) DO UPDATE SET id = excluded.id, content = excluded.content,
			created_at = excluded.created_at, updated_at = excluded.updated_at`,
		p.OrgID, p.ID, p.Content, msOrNull(p.CreatedAt), msOrNull(p.UpdatedAt))
	if err != nil {
		return fmt.Errorf("sqlite: put resource policy of %s: %w", p.OrgID, err)
	}
	return nil
}

func (t *tx) DeleteResourcePolicy(ctx context.Context, orgID string) error {
	return t.execExpectRow(ctx, "delete resource policy of "+orgID,
		`DELETE FROM resource_policies WHERE org_id = ?`, orgID)
}

// Responsibility transfers.

const transferColumns = `seq, id, type, name, status, handshake_id, target_org_id, target_account_id,
	target_email, COALESCE(source_org_id, ''), source_account_id, source_email,
	start_at, end_at, expires_at, created_at`

func scanTransfer(row scanner, tr *org.Transfer) error {
	var start, end, expires, created sql.NullInt64
	if err := row.Scan(&tr.Seq, &tr.ID, &tr.Type, &tr.Name, &tr.Status, &tr.HandshakeID,
		&tr.TargetOrgID, &tr.TargetAccountID, &tr.TargetEmail, &tr.SourceOrgID, &tr.SourceAccountID,
		&tr.SourceEmail, &start, &end, &expires, &created); err != nil {
		return err
	}
	tr.StartAt, tr.EndAt, tr.ExpiresAt, tr.CreatedAt = fromMS(start), fromMS(end), fromMS(expires), fromMS(created)
	return nil
}

func (t *tx) transferWhere(ctx context.Context, what, cond string, arg any) (*org.Transfer, error) {
	var tr org.Transfer
	err := scanTransfer(t.queryRow(ctx, `SELECT `+transferColumns+` FROM transfers WHERE `+cond+` = ?`, arg), &tr)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("sqlite: %s: %w", what, org.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: %s: %w", what, err)
	}
	return &tr, nil
}

func (t *tx) Transfer(ctx context.Context, id string) (*org.Transfer, error) {
	return t.transferWhere(ctx, "transfer "+id, "id", id)
}

func (t *tx) TransferByHandshake(ctx context.Context, handshakeID string) (*org.Transfer, error) {
	return t.transferWhere(ctx, "transfer of handshake "+handshakeID, "handshake_id", handshakeID)
}

func (t *tx) PutTransfer(ctx context.Context, tr *org.Transfer) error {
	if err := t.writable("put transfer " + tr.ID); err != nil {
		return err
	}
	err := t.queryRow(ctx, `INSERT INTO transfers (id, type, name, status, handshake_id, target_org_id,
			target_account_id, target_email, source_org_id, source_account_id, source_email,
			start_at, end_at, expires_at, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET type = excluded.type, name = excluded.name,
			status = excluded.status, handshake_id = excluded.handshake_id,
			target_org_id = excluded.target_org_id, target_account_id = excluded.target_account_id,
			target_email = excluded.target_email, source_org_id = excluded.source_org_id,
			source_account_id = excluded.source_account_id, source_email = excluded.source_email,
			start_at = excluded.start_at, end_at = excluded.end_at, expires_at = excluded.expires_at,
			created_at = excluded.created_at
		RETURNING seq`,
		tr.ID, tr.Type, tr.Name, tr.Status, tr.HandshakeID, tr.TargetOrgID, tr.TargetAccountID,
		tr.TargetEmail, strOrNull(tr.SourceOrgID), tr.SourceAccountID, tr.SourceEmail,
		msOrNull(tr.StartAt), msOrNull(tr.EndAt), msOrNull(tr.ExpiresAt), msOrNull(tr.CreatedAt)).Scan(&tr.Seq)
	if err != nil {
		return fmt.Errorf("sqlite: put transfer %s: %w", tr.ID, err)
	}
	return nil
}

// ListTransfers walks transfers_target, transfers_source_account or transfers_source_status
// in seq order from q.AfterSeq.
func (t *tx) ListTransfers(ctx context.Context, q org.TransferQuery) ([]org.Transfer, error) {
	query, args := listTransfersQuery(q)
	out, err := queryAll(ctx, t, scanTransfer, query, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list transfers: %w", err)
	}
	return out, nil
}

func listTransfersQuery(q org.TransferQuery) (string, []any) {
	where, args := transferWhere(q)
	return `SELECT ` + transferColumns + ` FROM transfers WHERE ` + where + ` AND seq > ? ORDER BY seq LIMIT ?`,
		append(args, q.AfterSeq, noLimit(q.Limit))
}

func (t *tx) CountTransfers(ctx context.Context, q org.TransferQuery) (int, error) {
	query, args := countTransfersQuery(q)
	var n int
	if err := t.queryRow(ctx, query, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("sqlite: count transfers: %w", err)
	}
	return n, nil
}

func countTransfersQuery(q org.TransferQuery) (string, []any) {
	where, args := transferWhere(q)
	return `SELECT COUNT(*) FROM transfers WHERE ` + where, args
}

func transferWhere(q org.TransferQuery) (string, []any) {
	where, args := []string{"1 = 1"}, []any{}
	if q.TargetOrgID != "" {
		where, args = append(where, "target_org_id = ?"), append(args, q.TargetOrgID)
	}
	if q.SourceOrgID != "" {
		where, args = append(where, "source_org_id = ?"), append(args, q.SourceOrgID)
	}
	if q.SourceAccountID != "" {
		where, args = append(where, "source_account_id = ?"), append(args, q.SourceAccountID)
	}
	if len(q.Statuses) > 0 {
		where = append(where, "status IN (?"+strings.Repeat(", ?", len(q.Statuses)-1)+")")
		for _, s := range q.Statuses {
			args = append(args, s)
		}
	}
	if !q.ExpiresAfter.IsZero() {
		where, args = append(where, "expires_at > ?"), append(args, q.ExpiresAfter.UnixMilli())
	}
	return strings.Join(where, " AND "), args
}
