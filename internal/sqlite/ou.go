package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/orgd/orgd/internal/org"
)

// Organizational units.

const ouColumns = `id, org_id, parent_id, name, path, depth, created_at`

// ouSelect is what scanOU reads: the columns and the creation order.
const ouSelect = ouColumns + `, COALESCE(seq, 0)`

func scanOU(row scanner, u *org.OU) error {
	var created sql.NullInt64
	if err := row.Scan(&u.ID, &u.OrgID, &u.ParentID, &u.Name, &u.Path, &u.Depth, &created, &u.Seq); err != nil {
		return err
	}
	u.CreatedAt = fromMS(created)
	return nil
}

func (t *tx) OU(ctx context.Context, id string) (*org.OU, error) {
	cacheable := t.usable(kindOU, id)
	if cacheable {
		if u, ok := hit(t, t.cache.c.ous, id); ok {
			return &u, nil
		}
	}
	var u org.OU
	err := scanOU(t.queryRow(ctx, `SELECT `+ouSelect+` FROM ous WHERE id = ?`, id), &u)
	if err == nil && cacheable {
		put(t.cache.c, t.cache.seq, t.cache.c.ous, id, u)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("sqlite: OU %s: %w", id, org.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: OU %s: %w", id, err)
	}
	return &u, nil
}

func (t *tx) PutOU(ctx context.Context, u *org.OU) error {
	if err := t.writable("put OU " + u.ID); err != nil {
		return err
	}
	t.changed(kindOU, u.ID)
	// A new OU comes after its siblings (ous_org_parent_seq finds the largest seq).
	err := t.queryRow(ctx, `INSERT INTO ous (`+ouColumns+`, seq) VALUES (?, ?, ?, ?, ?, ?, ?,
			(`+nextOUSeqQuery+`))
		ON CONFLICT (id) DO UPDATE SET org_id = excluded.org_id, parent_id = excluded.parent_id,
			name = excluded.name, path = excluded.path, depth = excluded.depth,
			created_at = excluded.created_at
		RETURNING seq`,
		u.ID, u.OrgID, u.ParentID, u.Name, u.Path, u.Depth, msOrNull(u.CreatedAt), u.OrgID, u.ParentID).Scan(&u.Seq)
	if isUniqueViolation(err) {
		return fmt.Errorf("sqlite: put OU %s: name %q is taken under %s: %w", u.ID, u.Name, u.ParentID, org.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("sqlite: put OU %s: %w", u.ID, err)
	}
	return nil
}

func (t *tx) DeleteOU(ctx context.Context, id string) error {
	t.changed(kindOU, id)
	return t.execExpectRow(ctx, "delete OU "+id, `DELETE FROM ous WHERE id = ?`, id)
}

// ListOUs pages on ous_org or ous_org_parent, in creation order on ous_org_parent_seq; a
// Limit of zero or less means no limit.
func (t *tx) ListOUs(ctx context.Context, q org.OUQuery) ([]org.OU, error) {
	query, args := listOUsQuery(q)
	out, err := queryAll(ctx, t, scanOU, query, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list OUs: %w", err)
	}
	return out, nil
}

func (t *tx) CountOUs(ctx context.Context, q org.OUQuery) (int, error) {
	query, args := countOUsQuery(q)
	var n int
	if err := t.queryRow(ctx, query, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("sqlite: count OUs: %w", err)
	}
	return n, nil
}

func countOUsQuery(q org.OUQuery) (string, []any) {
	where, args := ouWhere(q)
	return `SELECT COUNT(*) FROM ous WHERE ` + strings.Join(where, " AND "), args
}

func listOUsQuery(q org.OUQuery) (string, []any) {
	where, args := ouWhere(q)
	if q.Order == org.ByCreation {
		where, args = append(where, "seq > ?"), append(args, q.AfterSeq, noLimit(q.Limit))
		return `SELECT ` + ouSelect + ` FROM ous WHERE ` + strings.Join(where, " AND ") + ` ORDER BY seq LIMIT ?`, args
	}
	where, args = append(where, "id > ?"), append(args, q.AfterID, noLimit(q.Limit))
	return `SELECT ` + ouSelect + ` FROM ous WHERE ` + strings.Join(where, " AND ") + ` ORDER BY id LIMIT ?`, args
}

func ouWhere(q org.OUQuery) ([]string, []any) {
	where, args := []string{"org_id = ?"}, []any{q.OrgID}
	if q.ParentID != "" {
		where, args = append(where, "parent_id = ?"), append(args, q.ParentID)
	}
	return where, args
}

// DeleteOUs removes every OU of an organization, with DeleteOrganization.
func (t *tx) DeleteOUs(ctx context.Context, orgID string) error {
	if err := t.writable("delete OUs of " + orgID); err != nil {
		return err
	}
	t.changed(kindAll, "") // rare (DeleteOrganization): not worth finding the OUs
	if _, err := t.exec(ctx, `DELETE FROM ous WHERE org_id = ?`, orgID); err != nil {
		return fmt.Errorf("sqlite: delete OUs of %s: %w", orgID, err)
	}
	return nil
}

// The creation numbers of new rows, kept in their own constants so that the query-plan test
// checks what the store runs: each is the largest of its siblings plus one, found on an index.
const (
	nextAccountSeqQuery = `SELECT COALESCE(MAX(seq), 0) + 1 FROM accounts WHERE org_id = ? AND seq IS NOT NULL`
	nextOUSeqQuery      = `SELECT COALESCE(MAX(seq), 0) + 1 FROM ous WHERE org_id = ? AND parent_id = ?`
	nextPolicySeqQuery  = `SELECT COALESCE(MAX(seq), 0) + 1 FROM policies WHERE org_id = ? AND type = ?`
)
