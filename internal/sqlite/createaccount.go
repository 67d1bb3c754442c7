package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/orgd/orgd/internal/org"
)

// CreateAccount requests.

const createAccountColumns = `seq, id, org_id, account_name, email, role_name, iam_billing, tags, govcloud,
	state, COALESCE(account_id, ''), COALESCE(govcloud_account_id, ''), COALESCE(failure_reason, ''),
	requested_at, completes_at, completed_at`

func scanCreateAccount(row scanner, r *org.CreateAccountRequest) error {
	var tags sql.NullString
	var govcloud int
	var requested, completes, completed sql.NullInt64
	if err := row.Scan(&r.Seq, &r.ID, &r.OrgID, &r.AccountName, &r.Email, &r.RoleName, &r.IAMUserAccessToBilling,
		&tags, &govcloud, &r.State, &r.AccountID, &r.GovCloudAccountID, &r.FailureReason,
		&requested, &completes, &completed); err != nil {
		return err
	}
	var err error
	if r.Tags, err = fromJSON[org.Tag](tags); err != nil {
		return fmt.Errorf("tags: %w", err)
	}
	r.GovCloud = govcloud != 0
	r.RequestedAt, r.CompletesAt, r.CompletedAt = fromMS(requested), fromMS(completes), fromMS(completed)
	return nil
}

func (t *tx) CreateAccountRequest(ctx context.Context, id string) (*org.CreateAccountRequest, error) {
	var r org.CreateAccountRequest
	err := scanCreateAccount(t.queryRow(ctx, `SELECT `+createAccountColumns+` FROM create_account_requests WHERE id = ?`, id), &r)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("sqlite: create account request %s: %w", id, org.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: create account request %s: %w", id, err)
	}
	return &r, nil
}

func (t *tx) PutCreateAccountRequest(ctx context.Context, r *org.CreateAccountRequest) error {
	if err := t.writable("put create account request " + r.ID); err != nil {
		return err
	}
	tags, err := jsonOrNull(r.Tags)
	if err != nil {
		return fmt.Errorf("sqlite: put create account request %s: tags: %w", r.ID, err)
	}
	err = t.queryRow(ctx, `INSERT INTO create_account_requests (id, org_id, account_name, email, role_name,
			iam_billing, tags, govcloud, state, account_id, govcloud_account_id, failure_reason,
			requested_at, completes_at, completed_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET org_id = excluded.org_id, account_name = excluded.account_name,
			email = excluded.email, role_name = excluded.role_name, iam_billing = excluded.iam_billing,
			tags = excluded.tags, govcloud = excluded.govcloud, state = excluded.state,
			account_id = excluded.account_id, govcloud_account_id = excluded.govcloud_account_id,
			failure_reason = excluded.failure_reason, requested_at = excluded.requested_at,
			completes_at = excluded.completes_at, completed_at = excluded.completed_at
		RETURNING seq`,
		r.ID, r.OrgID, r.AccountName, r.Email, r.RoleName, r.IAMUserAccessToBilling, tags, boolInt(r.GovCloud),
		r.State, strOrNull(r.AccountID), strOrNull(r.GovCloudAccountID), strOrNull(r.FailureReason),
		msOrNull(r.RequestedAt), msOrNull(r.CompletesAt), msOrNull(r.CompletedAt)).Scan(&r.Seq)
	if err != nil {
		return fmt.Errorf("sqlite: put create account request %s: %w", r.ID, err)
	}
	return nil
}

// ListCreateAccountRequests pages on create_account_requests_org(_state), or finds due
// requests on create_account_requests_due; a Limit of zero or less means no limit.
func (t *tx) ListCreateAccountRequests(ctx context.Context, q org.CreateAccountQuery) ([]org.CreateAccountRequest, error) {
	query, args := listCreateAccountQuery(q)
	out, err := queryAll(ctx, t, scanCreateAccount, query, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list create account requests: %w", err)
	}
	return out, nil
}

func (t *tx) CountCreateAccountRequests(ctx context.Context, q org.CreateAccountQuery) (int, error) {
	where, args := createAccountWhere(q)
	var n int
	if err := t.queryRow(ctx, `SELECT COUNT(*) FROM create_account_requests WHERE `+where, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("sqlite: count create account requests: %w", err)
	}
	return n, nil
}

func listCreateAccountQuery(q org.CreateAccountQuery) (string, []any) {
	where, args := createAccountWhere(q)
	order := "seq"
	if q.OrgID == "" {
		order = "completes_at, seq"
	}
	return `SELECT ` + createAccountColumns + ` FROM create_account_requests WHERE ` + where +
		` AND seq > ? ORDER BY ` + order + ` LIMIT ?`, append(args, q.AfterSeq, noLimit(q.Limit))
}

func createAccountWhere(q org.CreateAccountQuery) (string, []any) {
	where, args := []string{"1 = 1"}, []any{}
	if q.OrgID != "" {
		where, args = append(where, "org_id = ?"), append(args, q.OrgID)
	}
	if len(q.States) > 0 {
		where = append(where, "state IN (?"+strings.Repeat(", ?", len(q.States)-1)+")")
		for _, s := range q.States {
			args = append(args, s)
		}
	}
	if !q.DueBy.IsZero() {
		where, args = append(where, "completes_at <= ?"), append(args, q.DueBy.UnixMilli())
	}
	return strings.Join(where, " AND "), args
}

// DeleteCreateAccountRequests removes an organization's requests, with DeleteOrganization.
func (t *tx) DeleteCreateAccountRequests(ctx context.Context, orgID string) error {
	if err := t.writable("delete create account requests of " + orgID); err != nil {
		return err
	}
	if _, err := t.exec(ctx, `DELETE FROM create_account_requests WHERE org_id = ?`, orgID); err != nil {
		return fmt.Errorf("sqlite: delete create account requests of %s: %w", orgID, err)
	}
	return nil
}
