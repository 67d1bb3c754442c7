package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/orgd/orgd/internal/org"
)

// Organizational units.

const ouColumns = `id, org_id, parent_id, name, path, depth, created_at`

// ouSelect is what scanOU reads: the columns and the creation order.
const ouSelect = ouColumns + `, seq`

func scanOU(row scanner, u *org.OU) error {
	var created *int64
	if err := row.Scan(&u.ID, &u.OrgID, &u.ParentID, &u.Name, &u.Path, &u.Depth, &created, &u.Seq); err != nil {
		return err
	}
	u.CreatedAt = fromMS(created)
	return nil
}

func (t *tx) OU(ctx context.Context, id string) (*org.OU, error) {
	var u org.OU
	err := scanOU(t.queryRow(ctx, `SELECT `+ouSelect+` FROM ous WHERE id = $1`, id), &u)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("postgres: OU %s: %w", id, org.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: OU %s: %w", id, err)
	}
	return &u, nil
}

// PutOU upserts the OU unless a sibling has its name; see PutAccount.
func (t *tx) PutOU(ctx context.Context, u *org.OU) error {
	if err := t.writable("put OU " + u.ID); err != nil {
		return err
	}
	// An insert takes seq's default, the next number of creation_seq; an update keeps it.
	err := t.queryRow(ctx, `INSERT INTO ous (`+ouColumns+`)
		SELECT $1::text, $2::text, $3::text, $4::text, $5::text, $6::integer, $7::bigint
		WHERE NOT EXISTS (SELECT 1 FROM ous WHERE parent_id = $3 AND name = $4 AND id <> $1)
		ON CONFLICT (id) DO UPDATE SET org_id = excluded.org_id, parent_id = excluded.parent_id,
			name = excluded.name, path = excluded.path, depth = excluded.depth,
			created_at = excluded.created_at
		RETURNING seq`,
		u.ID, u.OrgID, u.ParentID, u.Name, u.Path, u.Depth, msOrNull(u.CreatedAt)).Scan(&u.Seq)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("postgres: put OU %s: name %q is taken under %s: %w", u.ID, u.Name, u.ParentID, org.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("postgres: put OU %s: %w", u.ID, err)
	}
	return nil
}

func (t *tx) DeleteOU(ctx context.Context, id string) error {
	return t.execExpectRow(ctx, "delete OU "+id, `DELETE FROM ous WHERE id = $1`, id)
}

// ListOUs pages on ous_org or ous_org_parent, in creation order on ous_org_parent_seq; a
// Limit of zero or less means no limit.
func (t *tx) ListOUs(ctx context.Context, q org.OUQuery) ([]org.OU, error) {
	query, args := listOUsQuery(q)
	out, err := queryAll(ctx, t, scanOU, query, args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: list OUs: %w", err)
	}
	return out, nil
}

func (t *tx) CountOUs(ctx context.Context, q org.OUQuery) (int, error) {
	query, args := countOUsQuery(q)
	var n int
	if err := t.queryRow(ctx, query, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("postgres: count OUs: %w", err)
	}
	return n, nil
}

func countOUsQuery(q org.OUQuery) (string, []any) {
	var p params
	return `SELECT COUNT(*) FROM ous WHERE ` + and(ouWhere(q, &p)), p
}

func listOUsQuery(q org.OUQuery) (string, []any) {
	var p params
	if q.Order == org.ByCreation {
		where := append(ouWhere(q, &p), "seq > "+p.add(q.AfterSeq))
		return `SELECT ` + ouSelect + ` FROM ous WHERE ` + and(where) + ` ORDER BY seq LIMIT ` + p.add(noLimit(q.Limit)), p
	}
	where := append(ouWhere(q, &p), "id > "+p.add(q.AfterID))
	return `SELECT ` + ouSelect + ` FROM ous WHERE ` + and(where) + ` ORDER BY id LIMIT ` + p.add(noLimit(q.Limit)), p
}

func ouWhere(q org.OUQuery, p *params) []string {
	where := []string{"org_id = " + p.add(q.OrgID)}
	if q.ParentID != "" {
		where = append(where, "parent_id = "+p.add(q.ParentID))
	}
	return where
}

// DeleteOUs removes every OU of an organization, with DeleteOrganization.
func (t *tx) DeleteOUs(ctx context.Context, orgID string) error {
	if err := t.writable("delete OUs of " + orgID); err != nil {
		return err
	}
	if _, err := t.exec(ctx, `DELETE FROM ous WHERE org_id = $1`, orgID); err != nil {
		return fmt.Errorf("postgres: delete OUs of %s: %w", orgID, err)
	}
	return nil
}
