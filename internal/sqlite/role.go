package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/orgd/orgd/internal/iam"
	"github.com/orgd/orgd/internal/org"
)

// IAM roles and STS's temporary credentials.

const roleColumns = `account_id, name, id, trusted, max_session_duration, created_at, policies, boundary, tags`

func scanRole(row scanner, r *org.Role) error {
	var trusted, policies, tags string
	var created sql.NullInt64
	if err := row.Scan(&r.AccountID, &r.Name, &r.ID, &trusted, &r.MaxSessionDuration, &created, &policies, &r.PermissionsBoundary, &tags); err != nil {
		return err
	}
	r.CreatedAt = fromMS(created)
	return r.SetJSON(org.RoleJSON{Trusted: trusted, Policies: policies, Tags: tags})
}

func (t *tx) Role(ctx context.Context, accountID, name string) (*org.Role, error) {
	var r org.Role
	err := scanRole(t.queryRow(ctx, `SELECT `+roleColumns+` FROM roles WHERE account_id = ? AND name_key = ?`,
		accountID, strings.ToLower(name)), &r)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("sqlite: role %s of %s: %w", name, accountID, org.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: role %s of %s: %w", name, accountID, err)
	}
	return &r, nil
}

func (t *tx) PutRole(ctx context.Context, r *org.Role) error {
	if err := t.writable("put role " + r.Name); err != nil {
		return err
	}
	cols, err := r.JSON()
	if err != nil {
		return fmt.Errorf("sqlite: put role %s of %s: %w", r.Name, r.AccountID, err)
	}
	_, err = t.exec(ctx, `INSERT INTO roles (account_id, name_key, `+roleColumns[len("account_id, "):]+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (account_id, name_key) DO UPDATE SET name = excluded.name, id = excluded.id,
			trusted = excluded.trusted, max_session_duration = excluded.max_session_duration,
			created_at = excluded.created_at, policies = excluded.policies, boundary = excluded.boundary,
			tags = excluded.tags`,
		r.AccountID, strings.ToLower(r.Name), r.Name, r.ID, cols.Trusted, r.MaxSessionDuration, msOrNull(r.CreatedAt),
		cols.Policies, r.PermissionsBoundary, cols.Tags)
	if err != nil {
		return fmt.Errorf("sqlite: put role %s of %s: %w", r.Name, r.AccountID, err)
	}
	return nil
}

func (t *tx) ListRoles(ctx context.Context, accountID string) ([]org.Role, error) {
	query, args := `SELECT `+roleColumns+` FROM roles ORDER BY account_id, name_key`, []any(nil)
	if accountID != "" {
		query, args = `SELECT `+roleColumns+` FROM roles WHERE account_id = ? ORDER BY name_key`, []any{accountID}
	}
	out, err := queryAll(ctx, t, scanRole, query, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list roles of %q: %w", accountID, err)
	}
	return out, nil
}

func (t *tx) Session(ctx context.Context, accessKeyID string) (*org.Session, error) {
	var s org.Session
	var kind string
	var issued, expires int64
	var sessionTags string
	err := t.queryRow(ctx, `SELECT secret_access_key, session_token, account_id, principal_kind, principal_name,
		principal_session, principal_id, issued_at, expires_at, chained, session_policy, session_tags FROM sessions WHERE access_key_id = ?`,
		accessKeyID).Scan(&s.SecretAccessKey, &s.SessionToken, &s.Principal.Account, &kind, &s.Principal.Name,
		&s.Principal.Session, &s.Principal.ID, &issued, &expires, &s.Chained, &s.Policy, &sessionTags)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("sqlite: session %s: %w", accessKeyID, org.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: session %s: %w", accessKeyID, err)
	}
	if s.Tags, err = org.DecodeTags(sessionTags); err != nil {
		return nil, fmt.Errorf("sqlite: session %s: %w", accessKeyID, err)
	}
	s.AccessKeyID, s.Principal.Kind = accessKeyID, iam.Kind(kind)
	s.IssuedAt, s.ExpiresAt = time.UnixMilli(issued).UTC(), time.UnixMilli(expires).UTC()
	return &s, nil
}

func (t *tx) PutSession(ctx context.Context, s *org.Session) error {
	if err := t.writable("put session " + s.AccessKeyID); err != nil {
		return err
	}
	tags, err := org.EncodeTags(s.Tags)
	if err != nil {
		return fmt.Errorf("sqlite: put session %s: %w", s.AccessKeyID, err)
	}
	res, err := t.exec(ctx, `INSERT INTO sessions (access_key_id, secret_access_key, session_token, account_id,
		principal_kind, principal_name, principal_session, principal_id, issued_at, expires_at, chained, session_policy,
		session_tags)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (access_key_id) DO NOTHING`,
		s.AccessKeyID, s.SecretAccessKey, s.SessionToken, s.Principal.Account, string(s.Principal.Kind),
		s.Principal.Name, s.Principal.Session, s.Principal.ID, s.IssuedAt.UnixMilli(), s.ExpiresAt.UnixMilli(), s.Chained,
		s.Policy, tags)
	if err != nil {
		return fmt.Errorf("sqlite: put session %s: %w", s.AccessKeyID, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("sqlite: put session %s: %w", s.AccessKeyID, err)
	} else if n == 0 {
		return fmt.Errorf("sqlite: put session %s: %w", s.AccessKeyID, org.ErrConflict)
	}
	return nil
}

// DeleteExpiredSessions takes the earliest expired sessions on sessions_expires_at.
func (t *tx) DeleteExpiredSessions(ctx context.Context, before time.Time, limit int) (int, error) {
	if err := t.writable("delete expired sessions"); err != nil {
		return 0, err
	}
	res, err := t.exec(ctx, `DELETE FROM sessions WHERE access_key_id IN (
		SELECT access_key_id FROM sessions WHERE expires_at <= ? ORDER BY expires_at LIMIT ?)`,
		before.UnixMilli(), noLimit(limit))
	if err != nil {
		return 0, fmt.Errorf("sqlite: delete expired sessions: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("sqlite: delete expired sessions: %w", err)
	}
	return int(n), nil
}
