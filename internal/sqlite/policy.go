package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/orgd/orgd/internal/org"
)

// Policies, policy attachments and enabled policy types.

// isKeyViolation reports a UNIQUE or PRIMARY KEY violation: a WITHOUT ROWID table reports
// a duplicate key as the latter.
func isKeyViolation(err error) bool {
	var e *sqlite.Error
	return errors.As(err, &e) && (e.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || e.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY)
}

const policyColumns = `id, org_id, type, name, description, content, created_at, updated_at`

// policySelect is what scanPolicy reads: the columns and the creation order.
const policySelect = policyColumns + `, COALESCE(seq, 0)`

func scanPolicy(row scanner, p *org.Policy) error {
	var created, updated sql.NullInt64
	if err := row.Scan(&p.ID, &p.OrgID, &p.Type, &p.Name, &p.Description, &p.Content, &created, &updated, &p.Seq); err != nil {
		return err
	}
	p.CreatedAt, p.UpdatedAt = fromMS(created), fromMS(updated)
	return nil
}

func (t *tx) Policy(ctx context.Context, id string) (*org.Policy, error) {
	var p org.Policy
	err := scanPolicy(t.queryRow(ctx, `SELECT `+policySelect+` FROM policies WHERE id = ?`, id), &p)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("sqlite: policy %s: %w", id, org.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: policy %s: %w", id, err)
	}
	return &p, nil
}

func (t *tx) PutPolicy(ctx context.Context, p *org.Policy) error {
	if err := t.writable("put policy " + p.ID); err != nil {
		return err
	}
	// A new policy comes after those of its type (policies_org_type_seq finds the largest seq).
	err := t.queryRow(ctx, `INSERT INTO policies (`+policyColumns+`, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?,
			(`+nextPolicySeqQuery+`))
		ON CONFLICT (id) DO UPDATE SET org_id = excluded.org_id, type = excluded.type,
			name = excluded.name, description = excluded.description, content = excluded.content,
			created_at = excluded.created_at, updated_at = excluded.updated_at
		RETURNING seq`,
		p.ID, p.OrgID, p.Type, p.Name, p.Description, p.Content, msOrNull(p.CreatedAt), msOrNull(p.UpdatedAt), p.OrgID, p.Type).Scan(&p.Seq)
	if isKeyViolation(err) {
		return fmt.Errorf("sqlite: put policy %s: name %q is taken for %s: %w", p.ID, p.Name, p.Type, org.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("sqlite: put policy %s: %w", p.ID, err)
	}
	return nil
}

func (t *tx) DeletePolicy(ctx context.Context, id string) error {
	return t.execExpectRow(ctx, "delete policy "+id, `DELETE FROM policies WHERE id = ?`, id)
}

// ListPolicies pages on policies_org_type, in creation order on policies_org_type_seq; a
// Limit of zero or less means no limit.
func (t *tx) ListPolicies(ctx context.Context, q org.PolicyQuery) ([]org.Policy, error) {
	query, args := listPoliciesQuery(q)
	out, err := queryAll(ctx, t, scanPolicy, query, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list policies: %w", err)
	}
	return out, nil
}

func listPoliciesQuery(q org.PolicyQuery) (string, []any) {
	if q.Order == org.ByCreation {
		return `SELECT ` + policySelect + ` FROM policies WHERE org_id = ? AND type = ? AND seq > ? ORDER BY seq LIMIT ?`,
			[]any{q.OrgID, q.Type, q.AfterSeq, noLimit(q.Limit)}
	}
	return `SELECT ` + policySelect + ` FROM policies WHERE org_id = ? AND type = ? AND id > ? ORDER BY id LIMIT ?`,
		[]any{q.OrgID, q.Type, q.AfterID, noLimit(q.Limit)}
}

const countPoliciesQuery = `SELECT COUNT(*) FROM policies WHERE org_id = ? AND type = ?`

func (t *tx) CountPolicies(ctx context.Context, q org.PolicyQuery) (int, error) {
	var n int
	if err := t.queryRow(ctx, countPoliciesQuery, q.OrgID, q.Type).Scan(&n); err != nil {
		return 0, fmt.Errorf("sqlite: count policies: %w", err)
	}
	return n, nil
}

// DeletePolicies removes every policy of an organization, with DeleteOrganization.
const deletePoliciesQuery = `DELETE FROM policies WHERE org_id = ?`

func (t *tx) DeletePolicies(ctx context.Context, orgID string) error {
	if err := t.writable("delete policies of " + orgID); err != nil {
		return err
	}
	if _, err := t.exec(ctx, deletePoliciesQuery, orgID); err != nil {
		return fmt.Errorf("sqlite: delete policies of %s: %w", orgID, err)
	}
	return nil
}

// Attachments.

const attachmentColumns = `org_id, policy_id, target_id, policy_type, target_type, seq, attached_at, policy_seq`

func scanAttachment(row scanner, a *org.PolicyAttachment) error {
	var attached, policySeq sql.NullInt64
	if err := row.Scan(&a.OrgID, &a.PolicyID, &a.TargetID, &a.PolicyType, &a.TargetType, &a.Seq, &attached, &policySeq); err != nil {
		return err
	}
	a.AttachedAt, a.PolicySeq = fromMS(attached), policySeq.Int64
	return nil
}

func (t *tx) PolicyAttachment(ctx context.Context, orgID, policyID, targetID string) (*org.PolicyAttachment, error) {
	var a org.PolicyAttachment
	err := scanAttachment(t.queryRow(ctx, `SELECT `+attachmentColumns+` FROM policy_attachments
		WHERE org_id = ? AND policy_id = ? AND target_id = ?`, orgID, policyID, targetID), &a)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("sqlite: attachment of %s to %s: %w", policyID, targetID, org.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: attachment of %s to %s: %w", policyID, targetID, err)
	}
	return &a, nil
}

// nextSeqQuery is the attachment order of a new attachment: one past the target's last of the
// type, an index probe on policy_attachments_target.
const nextSeqQuery = `SELECT COALESCE(MAX(seq), 0) + 1 FROM policy_attachments
	WHERE org_id = ? AND target_id = ? AND policy_type = ?`

// nextTargetOfPolicySeqQuery is the place of a new attachment among the policy's: one past
// its last, an index probe on policy_attachments_policy_seq.
const nextTargetOfPolicySeqQuery = `SELECT COALESCE(MAX(policy_seq), 0) + 1 FROM policy_attachments
	WHERE org_id = ? AND policy_id = ?`

func (t *tx) PutPolicyAttachment(ctx context.Context, a *org.PolicyAttachment) error {
	what := "attach " + a.PolicyID + " to " + a.TargetID
	if err := t.writable(what); err != nil {
		return err
	}
	var seq int64
	if err := t.queryRow(ctx, nextSeqQuery, a.OrgID, a.TargetID, a.PolicyType).Scan(&seq); err != nil {
		return fmt.Errorf("sqlite: %s: %w", what, err)
	}
	var policySeq int64
	err := t.queryRow(ctx, `INSERT INTO policy_attachments (`+attachmentColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, (`+nextTargetOfPolicySeqQuery+`))
		RETURNING policy_seq`,
		a.OrgID, a.PolicyID, a.TargetID, a.PolicyType, a.TargetType, seq, msOrNull(a.AttachedAt), a.OrgID, a.PolicyID).Scan(&policySeq)
	if isKeyViolation(err) {
		return fmt.Errorf("sqlite: %s: already attached: %w", what, org.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("sqlite: %s: %w", what, err)
	}
	a.Seq, a.PolicySeq = seq, policySeq
	return nil
}

func (t *tx) DeletePolicyAttachment(ctx context.Context, orgID, policyID, targetID string) error {
	return t.execExpectRow(ctx, "detach "+policyID+" from "+targetID,
		`DELETE FROM policy_attachments WHERE org_id = ? AND policy_id = ? AND target_id = ?`, orgID, policyID, targetID)
}

// ListPolicyAttachments pages on the primary key (a policy's targets), on
// policy_attachments_policy_seq (a policy's targets in attachment order) or on
// policy_attachments_target (a target's policies of a type, in attachment order); a Limit of
// zero or less means no limit.
func (t *tx) ListPolicyAttachments(ctx context.Context, q org.PolicyAttachmentQuery) ([]org.PolicyAttachment, error) {
	query, args, err := listAttachmentsQuery(q)
	if err != nil {
		return nil, err
	}
	out, err := queryAll(ctx, t, scanAttachment, query, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list policy attachments: %w", err)
	}
	return out, nil
}

func listAttachmentsQuery(q org.PolicyAttachmentQuery) (string, []any, error) {
	if q.PolicyID != "" && q.Order == org.ByCreation {
		return `SELECT ` + attachmentColumns + ` FROM policy_attachments
			WHERE org_id = ? AND policy_id = ? AND policy_seq > ? ORDER BY policy_seq LIMIT ?`,
			[]any{q.OrgID, q.PolicyID, q.AfterSeq, noLimit(q.Limit)}, nil
	}
	if q.PolicyID != "" {
		return `SELECT ` + attachmentColumns + ` FROM policy_attachments
			WHERE org_id = ? AND policy_id = ? AND target_id > ? ORDER BY target_id LIMIT ?`,
			[]any{q.OrgID, q.PolicyID, q.AfterTargetID, noLimit(q.Limit)}, nil
	}
	if q.TargetID == "" || q.PolicyType == "" {
		return "", nil, fmt.Errorf("sqlite: list policy attachments: need a policy, or a target and a policy type")
	}
	return `SELECT ` + attachmentColumns + ` FROM policy_attachments
		WHERE org_id = ? AND target_id = ? AND policy_type = ? AND seq > ? ORDER BY seq LIMIT ?`,
		[]any{q.OrgID, q.TargetID, q.PolicyType, q.AfterSeq, noLimit(q.Limit)}, nil
}

func attachmentWhere(q org.PolicyAttachmentQuery) ([]string, []any) {
	where, args := []string{"org_id = ?"}, []any{q.OrgID}
	if q.TargetID != "" {
		where, args = append(where, "target_id = ?"), append(args, q.TargetID)
	}
	if q.PolicyType != "" {
		where, args = append(where, "policy_type = ?"), append(args, q.PolicyType)
	}
	return where, args
}

func countAttachmentsQuery(q org.PolicyAttachmentQuery) (string, []any) {
	where, args := attachmentWhere(q)
	return `SELECT COUNT(*) FROM policy_attachments WHERE ` + strings.Join(where, " AND "), args
}

func (t *tx) CountPolicyAttachments(ctx context.Context, q org.PolicyAttachmentQuery) (int, error) {
	query, args := countAttachmentsQuery(q)
	var n int
	if err := t.queryRow(ctx, query, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("sqlite: count policy attachments: %w", err)
	}
	return n, nil
}

// deleteAttachmentsQuery names its index: without statistics, SQLite's planner prefers the
// primary key's org_id prefix for a DELETE, which walks the organization's every attachment.
func deleteAttachmentsQuery(q org.PolicyAttachmentQuery) (string, []any) {
	where, args := attachmentWhere(q)
	index := ""
	switch {
	case q.TargetID != "":
		index = " INDEXED BY policy_attachments_target"
	case q.PolicyType != "":
		index = " INDEXED BY policy_attachments_type"
	}
	return `DELETE FROM policy_attachments` + index + ` WHERE ` + strings.Join(where, " AND "), args
}

func (t *tx) DeletePolicyAttachments(ctx context.Context, q org.PolicyAttachmentQuery) error {
	if err := t.writable("delete policy attachments of " + q.OrgID); err != nil {
		return err
	}
	query, args := deleteAttachmentsQuery(q)
	if _, err := t.exec(ctx, query, args...); err != nil {
		return fmt.Errorf("sqlite: delete policy attachments of %s: %w", q.OrgID, err)
	}
	return nil
}

// Enabled policy types.

const enabledPolicyTypesQuery = `SELECT org_id, type, root_id, status, enabled_at FROM policy_types
	WHERE org_id = ? ORDER BY type`

func (t *tx) EnabledPolicyTypes(ctx context.Context, orgID string) ([]org.EnabledPolicyType, error) {
	out, err := queryAll(ctx, t, func(r scanner, e *org.EnabledPolicyType) error {
		var enabled sql.NullInt64
		if err := r.Scan(&e.OrgID, &e.Type, &e.RootID, &e.Status, &enabled); err != nil {
			return err
		}
		e.EnabledAt = fromMS(enabled)
		return nil
	}, enabledPolicyTypesQuery, orgID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: policy types of %s: %w", orgID, err)
	}
	return out, nil
}

func (t *tx) PutEnabledPolicyType(ctx context.Context, e *org.EnabledPolicyType) error {
	if err := t.writable("enable policy type " + e.Type); err != nil {
		return err
	}
	_, err := t.exec(ctx, `INSERT INTO policy_types (org_id, type, root_id, status, enabled_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (org_id, type) DO UPDATE SET root_id = excluded.root_id, status = excluded.status,
			enabled_at = excluded.enabled_at`,
		e.OrgID, e.Type, e.RootID, e.Status, msOrNull(e.EnabledAt))
	if err != nil {
		return fmt.Errorf("sqlite: enable policy type %s in %s: %w", e.Type, e.OrgID, err)
	}
	return nil
}

func (t *tx) DeleteEnabledPolicyType(ctx context.Context, orgID, policyType string) error {
	return t.execExpectRow(ctx, "disable policy type "+policyType+" in "+orgID,
		`DELETE FROM policy_types WHERE org_id = ? AND type = ?`, orgID, policyType)
}

func (t *tx) DeleteEnabledPolicyTypes(ctx context.Context, orgID string) error {
	if err := t.writable("delete policy types of " + orgID); err != nil {
		return err
	}
	if _, err := t.exec(ctx, `DELETE FROM policy_types WHERE org_id = ?`, orgID); err != nil {
		return fmt.Errorf("sqlite: delete policy types of %s: %w", orgID, err)
	}
	return nil
}
