package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/orgd/orgd/internal/org"
)

// CreateAccount requests.

const createAccountColumns = `seq, id, org_id, account_name, email, role_name, iam_billing, tags, govcloud,
	state, COALESCE(account_id, ''), COALESCE(govcloud_account_id, ''), COALESCE(failure_reason, ''),
	requested_at, completes_at, completed_at`

func scanCreateAccount(row scanner, r *org.CreateAccountRequest) error {
	var tags *string
	var requested, completes, completed *int64
	if err := row.Scan(&r.Seq, &r.ID, &r.OrgID, &r.AccountName, &r.Email, &r.RoleName, &r.IAMUserAccessToBilling,
		&tags, &r.GovCloud, &r.State, &r.AccountID, &r.GovCloudAccountID, &r.FailureReason,
		&requested, &completes, &completed); err != nil {
		return err
	}
	var err error
	if r.Tags, err = fromJSON[org.Tag](tags); err != nil {
		return fmt.Errorf("tags: %w", err)
	}
	r.RequestedAt, r.CompletesAt, r.CompletedAt = fromMS(requested), fromMS(completes), fromMS(completed)
	return nil
}

func (t *tx) CreateAccountRequest(ctx context.Context, id string) (*org.CreateAccountRequest, error) {
	var r org.CreateAccountRequest
	err := scanCreateAccount(t.queryRow(ctx, `SELECT `+createAccountColumns+` FROM create_account_requests WHERE id = $1`, id), &r)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("postgres: create account request %s: %w", id, org.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: create account request %s: %w", id, err)
	}
	return &r, nil
}

func (t *tx) PutCreateAccountRequest(ctx context.Context, r *org.CreateAccountRequest) error {
	if err := t.writable("put create account request " + r.ID); err != nil {
		return err
	}
	tags, err := jsonOrNull(r.Tags)
	if err != nil {
		return fmt.Errorf("postgres: put create account request %s: tags: %w", r.ID, err)
	}
	err = t.queryRow(ctx, `INSERT INTO create_account_requests (id, org_id, account_name, email, role_name,
			iam_billing, tags, govcloud, state, account_id, govcloud_account_id, failure_reason,
			requested_at, completes_at, completed_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
		ON CONFLICT (id) DO UPDATE SET org_id = excluded.org_id, account_name = excluded.account_name,
			email = excluded.email, role_name = excluded.role_name, iam_billing = excluded.iam_billing,
			tags = excluded.tags, govcloud = excluded.govcloud, state = excluded.state,
			account_id = excluded.account_id, govcloud_account_id = excluded.govcloud_account_id,
			failure_reason = excluded.failure_reason, requested_at = excluded.requested_at,
			completes_at = excluded.completes_at, completed_at = excluded.completed_at
		RETURNING seq`,
		r.ID, r.OrgID, r.AccountName, r.Email, r.RoleName, r.IAMUserAccessToBilling, tags, r.GovCloud,
		r.State, strOrNull(r.AccountID), strOrNull(r.GovCloudAccountID), strOrNull(r.FailureReason),
		msOrNull(r.RequestedAt), msOrNull(r.CompletesAt), msOrNull(r.CompletedAt)).Scan(&r.Seq)
	if err != nil {
		return fmt.Errorf("postgres: put create account request %s: %w", r.ID, err)
	}
	return nil
}

// ListCreateAccountRequests pages on create_account_requests_org(_state), or finds due
// requests on create_account_requests_due; a Limit of zero or less means no limit.
func (t *tx) ListCreateAccountRequests(ctx context.Context, q org.CreateAccountQuery) ([]org.CreateAccountRequest, error) {
	query, args := listCreateAccountQuery(q)
	out, err := queryAll(ctx, t, scanCreateAccount, query, args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: list create account requests: %w", err)
	}
	return out, nil
}

func (t *tx) CountCreateAccountRequests(ctx context.Context, q org.CreateAccountQuery) (int, error) {
	var p params
	var n int
	if err := t.queryRow(ctx, `SELECT COUNT(*) FROM create_account_requests WHERE `+and(createAccountWhere(q, &p)),
		p...).Scan(&n); err != nil {
		return 0, fmt.Errorf("postgres: count create account requests: %w", err)
	}
	return n, nil
}

func listCreateAccountQuery(q org.CreateAccountQuery) (string, []any) {
	var p params
	where := append(createAccountWhere(q, &p), "seq > "+p.add(q.AfterSeq))
	order := "seq"
	if q.OrgID == "" {
		order = "completes_at, seq"
	}
	return `SELECT ` + createAccountColumns + ` FROM create_account_requests WHERE ` + and(where) +
		` ORDER BY ` + order + ` LIMIT ` + p.add(noLimit(q.Limit)), p
}

// createAccountWhere compares one state with =: the planner walks an index in order only
// under an equality, not under = ANY of a one-element array.
func createAccountWhere(q org.CreateAccountQuery, p *params) []string {
	var where []string
	if q.OrgID != "" {
		where = append(where, "org_id = "+p.add(q.OrgID))
	}
	switch len(q.States) {
	case 0:
	case 1:
		where = append(where, "state = "+p.add(q.States[0]))
	default:
		where = append(where, "state = ANY("+p.add(q.States)+")")
	}
	if !q.DueBy.IsZero() {
		where = append(where, "completes_at <= "+p.add(q.DueBy.UnixMilli()))
	}
	return where
}

// DeleteCreateAccountRequests removes an organization's requests, with DeleteOrganization.
func (t *tx) DeleteCreateAccountRequests(ctx context.Context, orgID string) error {
	if err := t.writable("delete create account requests of " + orgID); err != nil {
		return err
	}
	if _, err := t.exec(ctx, `DELETE FROM create_account_requests WHERE org_id = $1`, orgID); err != nil {
		return fmt.Errorf("postgres: delete create account requests of %s: %w", orgID, err)
	}
	return nil
}
