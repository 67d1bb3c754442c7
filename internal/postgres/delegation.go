package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/orgd/orgd/internal/org"
)

// Trusted access, delegated administrators, the delegation policy and transfers.

// Trusted access.

func (t *tx) ServiceAccess(ctx context.Context, orgID, principal string) (*org.ServiceAccess, error) {
	a := org.ServiceAccess{OrgID: orgID, ServicePrincipal: principal}
	var enabled *int64
	err := t.queryRow(ctx, `SELECT enabled_at FROM service_access WHERE org_id = $1 AND service_principal = $2`,
		orgID, principal).Scan(&enabled)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("postgres: service access %s of %s: %w", principal, orgID, org.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: service access %s of %s: %w", principal, orgID, err)
	}
	a.EnabledAt = fromMS(enabled)
	return &a, nil
}

func (t *tx) PutServiceAccess(ctx context.Context, a *org.ServiceAccess) error {
	if err := t.writable("put service access " + a.ServicePrincipal); err != nil {
		return err
	}
	// An insert takes seq's default, the next number of creation_seq; an update keeps it.
	err := t.queryRow(ctx, `INSERT INTO service_access (org_id, service_principal, enabled_at) VALUES ($1, $2, $3)
		ON CONFLICT (org_id, service_principal) DO UPDATE SET enabled_at = excluded.enabled_at
		RETURNING seq`,
		a.OrgID, a.ServicePrincipal, msOrNull(a.EnabledAt)).Scan(&a.Seq)
	if err != nil {
		return fmt.Errorf("postgres: put service access %s of %s: %w", a.ServicePrincipal, a.OrgID, err)
	}
	return nil
}

func (t *tx) DeleteServiceAccess(ctx context.Context, orgID, principal string) error {
	return t.execExpectRow(ctx, "delete service access "+principal+" of "+orgID,
		`DELETE FROM service_access WHERE org_id = $1 AND service_principal = $2`, orgID, principal)
}

// ListServiceAccess pages on the primary key, in creation order on service_access_org_seq.
func (t *tx) ListServiceAccess(ctx context.Context, q org.ServiceAccessQuery) ([]org.ServiceAccess, error) {
	query, args := listServiceAccessQuery, []any{q.OrgID, q.After, noLimit(q.Limit)}
	if q.Order == org.ByCreation {
		query, args = listServiceAccessBySeqQuery, []any{q.OrgID, q.AfterSeq, noLimit(q.Limit)}
	}
	out, err := queryAll(ctx, t, func(r scanner, a *org.ServiceAccess) error {
		a.OrgID = q.OrgID
		var enabled *int64
		if err := r.Scan(&a.ServicePrincipal, &enabled, &a.Seq); err != nil {
			return err
		}
		a.EnabledAt = fromMS(enabled)
		return nil
	}, query, args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: list service access of %s: %w", q.OrgID, err)
	}
	return out, nil
}

const (
	listServiceAccessQuery = `SELECT service_principal, enabled_at, seq FROM service_access
	WHERE org_id = $1 AND service_principal > $2 ORDER BY service_principal LIMIT $3`
	listServiceAccessBySeqQuery = `SELECT service_principal, enabled_at, seq FROM service_access
	WHERE org_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`
)

func (t *tx) DeleteServiceAccesses(ctx context.Context, orgID string) error {
	if err := t.writable("delete service access of " + orgID); err != nil {
		return err
	}
	if _, err := t.exec(ctx, `DELETE FROM service_access WHERE org_id = $1`, orgID); err != nil {
		return fmt.Errorf("postgres: delete service access of %s: %w", orgID, err)
	}
	return nil
}

// Delegated administrators.

func (t *tx) DelegatedAdmin(ctx context.Context, orgID, accountID, principal string) (*org.DelegatedAdmin, error) {
	d := org.DelegatedAdmin{OrgID: orgID, AccountID: accountID, ServicePrincipal: principal}
	var enabled *int64
	err := t.queryRow(ctx, `SELECT enabled_at FROM delegated_admins
		WHERE org_id = $1 AND account_id = $2 AND service_principal = $3`, orgID, accountID, principal).Scan(&enabled)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("postgres: delegated admin %s for %s: %w", accountID, principal, org.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: delegated admin %s for %s: %w", accountID, principal, err)
	}
	d.EnabledAt = fromMS(enabled)
	return &d, nil
}

// putDelegatedAdminQuery inserts a registration with seq's default, the next number of
// creation_seq, and the account's place among the administrators (account_seq): that of its
// registrations (a probe of the primary key; COALESCE takes a number only when there are
// none). Two transactions registering one account at once conflict under SERIALIZABLE, and
// the second runs again. A replacement keeps both.
const putDelegatedAdminQuery = `INSERT INTO delegated_admins (org_id, account_id, service_principal, enabled_at, account_seq)
	VALUES ($1, $2, $3, $4, COALESCE((` + delegatedAdminAccountSeqQuery + `), nextval('creation_seq')))
	ON CONFLICT (org_id, account_id, service_principal) DO UPDATE SET enabled_at = excluded.enabled_at
	RETURNING seq, account_seq`

const delegatedAdminAccountSeqQuery = `SELECT account_seq FROM delegated_admins WHERE org_id = $1 AND account_id = $2 LIMIT 1`

func (t *tx) PutDelegatedAdmin(ctx context.Context, d *org.DelegatedAdmin) error {
	if err := t.writable("put delegated admin " + d.AccountID); err != nil {
		return err
	}
	err := t.queryRow(ctx, putDelegatedAdminQuery, d.OrgID, d.AccountID, d.ServicePrincipal, msOrNull(d.EnabledAt)).
		Scan(&d.Seq, &d.AccountSeq)
	if err != nil {
		return fmt.Errorf("postgres: put delegated admin %s for %s: %w", d.AccountID, d.ServicePrincipal, err)
	}
	return nil
}

func (t *tx) DeleteDelegatedAdmin(ctx context.Context, orgID, accountID, principal string) error {
	return t.execExpectRow(ctx, "delete delegated admin "+accountID+" for "+principal,
		`DELETE FROM delegated_admins WHERE org_id = $1 AND account_id = $2 AND service_principal = $3`,
		orgID, accountID, principal)
}

func (t *tx) DeleteDelegatedAdmins(ctx context.Context, orgID, accountID string) error {
	if err := t.writable("delete delegated admins of " + orgID); err != nil {
		return err
	}
	query, args := `DELETE FROM delegated_admins WHERE org_id = $1`, []any{orgID}
	if accountID != "" {
		query, args = query+` AND account_id = $2`, append(args, accountID)
	}
	if _, err := t.exec(ctx, query, args...); err != nil {
		return fmt.Errorf("postgres: delete delegated admins of %s %s: %w", orgID, accountID, err)
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
		var enabled *int64
		if err := r.Scan(&d.AccountID, &d.ServicePrincipal, &enabled, &d.Seq, &d.AccountSeq); err != nil {
			return err
		}
		d.EnabledAt = fromMS(enabled)
		return nil
	}, query, args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: list delegated admins: %w", err)
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
			WHERE org_id = $1 AND account_id = $2 AND service_principal > $3
			ORDER BY service_principal LIMIT $4`, []any{q.OrgID, q.AccountID, q.After, limit}
	case q.ServicePrincipal != "":
		return `SELECT account_id, service_principal, enabled_at, seq, account_seq FROM delegated_admins
			WHERE org_id = $1 AND service_principal = $2 AND account_id > $3
			ORDER BY account_id LIMIT $4`, []any{q.OrgID, q.ServicePrincipal, q.After, limit}
	default:
		// The primary key is ordered by account, so grouping by it needs no sort.
		return `SELECT account_id, '', MIN(enabled_at), 0::bigint, MIN(account_seq) FROM delegated_admins
			WHERE org_id = $1 AND account_id > $2
			GROUP BY account_id ORDER BY account_id LIMIT $3`, []any{q.OrgID, q.After, limit}
	}
}

// listDelegatedAdminsBySeqQuery is listDelegatedAdminsQuery in creation order.
func listDelegatedAdminsBySeqQuery(q org.DelegatedAdminQuery) (string, []any) {
	limit := noLimit(q.Limit)
	switch {
	case q.AccountID != "":
		return `SELECT account_id, service_principal, enabled_at, seq, account_seq FROM delegated_admins
			WHERE org_id = $1 AND account_id = $2 AND seq > $3
			ORDER BY seq LIMIT $4`, []any{q.OrgID, q.AccountID, q.AfterSeq, limit}
	case q.ServicePrincipal != "":
		return `SELECT account_id, service_principal, enabled_at, seq, account_seq FROM delegated_admins
			WHERE org_id = $1 AND service_principal = $2 AND account_seq > $3
			ORDER BY account_seq LIMIT $4`, []any{q.OrgID, q.ServicePrincipal, q.AfterSeq, limit}
	default:
		// An account's registrations share account_seq, so they are adjacent on the index
		// and grouping needs no sort.
		return `SELECT account_id, '', MIN(enabled_at), 0::bigint, account_seq FROM delegated_admins
			WHERE org_id = $1 AND account_seq > $2
			GROUP BY account_seq, account_id ORDER BY account_seq, account_id LIMIT $3`, []any{q.OrgID, q.AfterSeq, limit}
	}
}

func (t *tx) CountDelegatedAdmins(ctx context.Context, q org.DelegatedAdminQuery) (int, error) {
	var p params
	where := []string{"org_id = " + p.add(q.OrgID)}
	if q.AccountID != "" {
		where = append(where, "account_id = "+p.add(q.AccountID))
	}
	if q.ServicePrincipal != "" {
		where = append(where, "service_principal = "+p.add(q.ServicePrincipal))
	}
	var n int
	if err := t.queryRow(ctx, `SELECT COUNT(*) FROM delegated_admins WHERE `+and(where), p...).Scan(&n); err != nil {
		return 0, fmt.Errorf("postgres: count delegated admins: %w", err)
	}
	return n, nil
}

// The resource-based delegation policy.

func (t *tx) ResourcePolicy(ctx context.Context, orgID string) (*org.ResourcePolicy, error) {
	p := org.ResourcePolicy{OrgID: orgID}
	var created, updated *int64
	err := t.queryRow(ctx, `SELECT id, content, created_at, updated_at FROM resource_policies WHERE org_id = $1`,
		orgID).Scan(&p.ID, &p.Content, &created, &updated)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("postgres: resource policy of %s: %w", orgID, org.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: resource policy of %s: %w", orgID, err)
	}
	p.CreatedAt, p.UpdatedAt = fromMS(created), fromMS(updated)
	return &p, nil
}

func (t *tx) PutResourcePolicy(ctx context.Context, p *org.ResourcePolicy) error {
	if err := t.writable("put resource policy of " + p.OrgID); err != nil {
		return err
	}
	_, err := t.exec(ctx, `INSERT INTO resource_policies (org_id, id, content, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (org_id) DO UPDATE SET id = excluded.id, content = excluded.content,
			created_at = excluded.created_at, updated_at = excluded.updated_at`,
		p.OrgID, p.ID, p.Content, msOrNull(p.CreatedAt), msOrNull(p.UpdatedAt))
	if err != nil {
		return fmt.Errorf("postgres: put resource policy of %s: %w", p.OrgID, err)
	}
	return nil
}

func (t *tx) DeleteResourcePolicy(ctx context.Context, orgID string) error {
	return t.execExpectRow(ctx, "delete resource policy of "+orgID,
		`DELETE FROM resource_policies WHERE org_id = $1`, orgID)
}

// Responsibility transfers.

const transferColumns = `seq, id, type, name, status, handshake_id, target_org_id, target_account_id,
	target_email, COALESCE(source_org_id, ''), source_account_id, source_email,
	start_at, end_at, expires_at, created_at`

func scanTransfer(row scanner, tr *org.Transfer) error {
	var start, end, expires, created *int64
	if err := row.Scan(&tr.Seq, &tr.ID, &tr.Type, &tr.Name, &tr.Status, &tr.HandshakeID,
		&tr.TargetOrgID, &tr.TargetAccountID, &tr.TargetEmail, &tr.SourceOrgID, &tr.SourceAccountID,
		&tr.SourceEmail, &start, &end, &expires, &created); err != nil {
		return err
	}
	tr.StartAt, tr.EndAt, tr.ExpiresAt, tr.CreatedAt = fromMS(start), fromMS(end), fromMS(expires), fromMS(created)
	return nil
}

// transferBy reads the transfer whose unique column col (a constant) is arg.
func (t *tx) transferBy(ctx context.Context, what, col string, arg any) (*org.Transfer, error) {
	var tr org.Transfer
	err := scanTransfer(t.queryRow(ctx, `SELECT `+transferColumns+` FROM transfers WHERE `+col+` = $1`, arg), &tr)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("postgres: %s: %w", what, org.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: %s: %w", what, err)
	}
	return &tr, nil
}

func (t *tx) Transfer(ctx context.Context, id string) (*org.Transfer, error) {
	return t.transferBy(ctx, "transfer "+id, "id", id)
}

func (t *tx) TransferByHandshake(ctx context.Context, handshakeID string) (*org.Transfer, error) {
	return t.transferBy(ctx, "transfer of handshake "+handshakeID, "handshake_id", handshakeID)
}

func (t *tx) PutTransfer(ctx context.Context, tr *org.Transfer) error {
	if err := t.writable("put transfer " + tr.ID); err != nil {
		return err
	}
	err := t.queryRow(ctx, `INSERT INTO transfers (id, type, name, status, handshake_id, target_org_id,
			target_account_id, target_email, source_org_id, source_account_id, source_email,
			start_at, end_at, expires_at, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
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
		return fmt.Errorf("postgres: put transfer %s: %w", tr.ID, err)
	}
	return nil
}

// ListTransfers walks transfers_target or transfers_source_account in seq order from
// q.AfterSeq.
func (t *tx) ListTransfers(ctx context.Context, q org.TransferQuery) ([]org.Transfer, error) {
	query, args := listTransfersQuery(q)
	out, err := queryAll(ctx, t, scanTransfer, query, args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: list transfers: %w", err)
	}
	return out, nil
}

func listTransfersQuery(q org.TransferQuery) (string, []any) {
	var p params
	where := append(transferWhere(q, &p), "seq > "+p.add(q.AfterSeq))
	return `SELECT ` + transferColumns + ` FROM transfers WHERE ` + and(where) +
		` ORDER BY seq LIMIT ` + p.add(noLimit(q.Limit)), p
}

func (t *tx) CountTransfers(ctx context.Context, q org.TransferQuery) (int, error) {
	query, args := countTransfersQuery(q)
	var n int
	if err := t.queryRow(ctx, query, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("postgres: count transfers: %w", err)
	}
	return n, nil
}

func countTransfersQuery(q org.TransferQuery) (string, []any) {
	var p params
	return `SELECT COUNT(*) FROM transfers WHERE ` + and(transferWhere(q, &p)), p
}

func transferWhere(q org.TransferQuery, p *params) []string {
	var where []string
	if q.TargetOrgID != "" {
		where = append(where, "target_org_id = "+p.add(q.TargetOrgID))
	}
	if q.SourceOrgID != "" {
		where = append(where, "source_org_id = "+p.add(q.SourceOrgID))
	}
	if q.SourceAccountID != "" {
		where = append(where, "source_account_id = "+p.add(q.SourceAccountID))
	}
	switch len(q.Statuses) {
	case 0:
	case 1:
		where = append(where, "status = "+p.add(q.Statuses[0]))
	default:
		where = append(where, "status = ANY("+p.add(q.Statuses)+")")
	}
	if !q.ExpiresAfter.IsZero() {
		where = append(where, "expires_at > "+p.add(q.ExpiresAfter.UnixMilli()))
	}
	return where
}
