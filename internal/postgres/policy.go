package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/orgd/orgd/internal/org"
)

// Policies, policy attachments and enabled policy types.

const policyColumns = `id, org_id, type, name, description, content, created_at, updated_at`

// policySelect is what scanPolicy reads: the columns and the creation order.
const policySelect = policyColumns + `, seq`

func scanPolicy(row scanner, p *org.Policy) error {
	var created, updated *int64
	if err := row.Scan(&p.ID, &p.OrgID, &p.Type, &p.Name, &p.Description, &p.Content, &created, &updated, &p.Seq); err != nil {
		return err
	}
	p.CreatedAt, p.UpdatedAt = fromMS(created), fromMS(updated)
	return nil
}

func (t *tx) Policy(ctx context.Context, id string) (*org.Policy, error) {
	var p org.Policy
	err := scanPolicy(t.queryRow(ctx, `SELECT `+policySelect+` FROM policies WHERE id = $1`, id), &p)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("postgres: policy %s: %w", id, org.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: policy %s: %w", id, err)
	}
	return &p, nil
}

// PutPolicy upserts the policy unless another of its organization and type has its name;
// see PutAccount.
func (t *tx) PutPolicy(ctx context.Context, p *org.Policy) error {
	if err := t.writable("put policy " + p.ID); err != nil {
		return err
	}
	// An insert takes seq's default, the next number of creation_seq; an update keeps it.
	err := t.queryRow(ctx, `INSERT INTO policies (`+policyColumns+`)
		SELECT $1::text, $2::text, $3::text, $4::text, $5::text, $6::text, $7::bigint, $8::bigint
		WHERE NOT EXISTS (SELECT 1 FROM policies WHERE org_id = $2 AND type = $3 AND name = $4 AND id <> $1)
		ON CONFLICT (id) DO UPDATE SET org_id = excluded.org_id, type = excluded.type,
			name = excluded.name, description = excluded.description, content = excluded.content,
			created_at = excluded.created_at, updated_at = excluded.updated_at
		RETURNING seq`,
		p.ID, p.OrgID, p.Type, p.Name, p.Description, p.Content, msOrNull(p.CreatedAt), msOrNull(p.UpdatedAt)).Scan(&p.Seq)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("postgres: put policy %s: name %q is taken for %s: %w", p.ID, p.Name, p.Type, org.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("postgres: put policy %s: %w", p.ID, err)
	}
	return nil
}

func (t *tx) DeletePolicy(ctx context.Context, id string) error {
	return t.execExpectRow(ctx, "delete policy "+id, `DELETE FROM policies WHERE id = $1`, id)
}

// ListPolicies pages on policies_org_type, in creation order on policies_org_type_seq; a
// Limit of zero or less means no limit.
func (t *tx) ListPolicies(ctx context.Context, q org.PolicyQuery) ([]org.Policy, error) {
	query, args := listPoliciesQuery(q)
	out, err := queryAll(ctx, t, scanPolicy, query, args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: list policies: %w", err)
	}
	return out, nil
}

func listPoliciesQuery(q org.PolicyQuery) (string, []any) {
	if q.Order == org.ByCreation {
		return `SELECT ` + policySelect + ` FROM policies WHERE org_id = $1 AND type = $2 AND seq > $3 ORDER BY seq LIMIT $4`,
			[]any{q.OrgID, q.Type, q.AfterSeq, noLimit(q.Limit)}
	}
	return `SELECT ` + policySelect + ` FROM policies WHERE org_id = $1 AND type = $2 AND id > $3 ORDER BY id LIMIT $4`,
		[]any{q.OrgID, q.Type, q.AfterID, noLimit(q.Limit)}
}

const countPoliciesQuery = `SELECT COUNT(*) FROM policies WHERE org_id = $1 AND type = $2`

func (t *tx) CountPolicies(ctx context.Context, q org.PolicyQuery) (int, error) {
	var n int
	if err := t.queryRow(ctx, countPoliciesQuery, q.OrgID, q.Type).Scan(&n); err != nil {
		return 0, fmt.Errorf("postgres: count policies: %w", err)
	}
	return n, nil
}

// DeletePolicies removes every policy of an organization, with DeleteOrganization.
func (t *tx) DeletePolicies(ctx context.Context, orgID string) error {
	if err := t.writable("delete policies of " + orgID); err != nil {
		return err
	}
	if _, err := t.exec(ctx, `DELETE FROM policies WHERE org_id = $1`, orgID); err != nil {
		return fmt.Errorf("postgres: delete policies of %s: %w", orgID, err)
	}
	return nil
}

// Attachments.

// attachmentColumns are those an insert sets; policy_seq takes its default (creation_seq)
// and is read with them (attachmentSelect).
const (
	attachmentColumns = `org_id, policy_id, target_id, policy_type, target_type, seq, attached_at`
	attachmentSelect  = attachmentColumns + `, policy_seq`
)

func scanAttachment(row scanner, a *org.PolicyAttachment) error {
	var attached *int64
	if err := row.Scan(&a.OrgID, &a.PolicyID, &a.TargetID, &a.PolicyType, &a.TargetType, &a.Seq, &attached, &a.PolicySeq); err != nil {
		return err
	}
	a.AttachedAt = fromMS(attached)
	return nil
}

func (t *tx) PolicyAttachment(ctx context.Context, orgID, policyID, targetID string) (*org.PolicyAttachment, error) {
	var a org.PolicyAttachment
	err := scanAttachment(t.queryRow(ctx, `SELECT `+attachmentSelect+` FROM policy_attachments
		WHERE org_id = $1 AND policy_id = $2 AND target_id = $3`, orgID, policyID, targetID), &a)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("postgres: attachment of %s to %s: %w", policyID, targetID, org.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: attachment of %s to %s: %w", policyID, targetID, err)
	}
	return &a, nil
}

// putAttachmentQuery inserts an attachment one past the target's last of the type (MAX on
// policy_attachments_target is one index probe), or nothing when the policy is attached
// already. Two transactions that attach to one target at once both pick the same seq; the
// second to insert fails on the unique index and runs again (see retryable).
const putAttachmentQuery = `INSERT INTO policy_attachments (` + attachmentColumns + `)
	SELECT $1::text, $2::text, $3::text, $4::text, $5::text, COALESCE(MAX(seq), 0) + 1, $6::bigint
		FROM policy_attachments WHERE org_id = $1 AND target_id = $3 AND policy_type = $4
	ON CONFLICT (org_id, policy_id, target_id) DO NOTHING
	RETURNING seq, policy_seq`

func (t *tx) PutPolicyAttachment(ctx context.Context, a *org.PolicyAttachment) error {
	what := "attach " + a.PolicyID + " to " + a.TargetID
	if err := t.writable(what); err != nil {
		return err
	}
	err := t.queryRow(ctx, putAttachmentQuery,
		a.OrgID, a.PolicyID, a.TargetID, a.PolicyType, a.TargetType, msOrNull(a.AttachedAt)).Scan(&a.Seq, &a.PolicySeq)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("postgres: %s: already attached: %w", what, org.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("postgres: %s: %w", what, err)
	}
	return nil
}

func (t *tx) DeletePolicyAttachment(ctx context.Context, orgID, policyID, targetID string) error {
	return t.execExpectRow(ctx, "detach "+policyID+" from "+targetID,
		`DELETE FROM policy_attachments WHERE org_id = $1 AND policy_id = $2 AND target_id = $3`, orgID, policyID, targetID)
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
		return nil, fmt.Errorf("postgres: list policy attachments: %w", err)
	}
	return out, nil
}

func listAttachmentsQuery(q org.PolicyAttachmentQuery) (string, []any, error) {
	if q.PolicyID != "" && q.Order == org.ByCreation {
		return `SELECT ` + attachmentSelect + ` FROM policy_attachments
			WHERE org_id = $1 AND policy_id = $2 AND policy_seq > $3 ORDER BY policy_seq LIMIT $4`,
			[]any{q.OrgID, q.PolicyID, q.AfterSeq, noLimit(q.Limit)}, nil
	}
	if q.PolicyID != "" {
		return `SELECT ` + attachmentSelect + ` FROM policy_attachments
			WHERE org_id = $1 AND policy_id = $2 AND target_id > $3 ORDER BY target_id LIMIT $4`,
			[]any{q.OrgID, q.PolicyID, q.AfterTargetID, noLimit(q.Limit)}, nil
	}
	if q.TargetID == "" || q.PolicyType == "" {
		return "", nil, errors.New("postgres: list policy attachments: need a policy, or a target and a policy type")
	}
	return `SELECT ` + attachmentSelect + ` FROM policy_attachments
		WHERE org_id = $1 AND target_id = $2 AND policy_type = $3 AND seq > $4 ORDER BY seq LIMIT $5`,
		[]any{q.OrgID, q.TargetID, q.PolicyType, q.AfterSeq, noLimit(q.Limit)}, nil
}

func attachmentWhere(q org.PolicyAttachmentQuery, p *params) string {
	where := []string{"org_id = " + p.add(q.OrgID)}
	if q.TargetID != "" {
		where = append(where, "target_id = "+p.add(q.TargetID))
	}
	if q.PolicyType != "" {
		where = append(where, "policy_type = "+p.add(q.PolicyType))
	}
	return and(where)
}

func countAttachmentsQuery(q org.PolicyAttachmentQuery) (string, []any) {
	var p params
	return `SELECT COUNT(*) FROM policy_attachments WHERE ` + attachmentWhere(q, &p), p
}

func (t *tx) CountPolicyAttachments(ctx context.Context, q org.PolicyAttachmentQuery) (int, error) {
	query, args := countAttachmentsQuery(q)
	var n int
	if err := t.queryRow(ctx, query, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("postgres: count policy attachments: %w", err)
	}
	return n, nil
}

func deleteAttachmentsQuery(q org.PolicyAttachmentQuery) (string, []any) {
	var p params
	return `DELETE FROM policy_attachments WHERE ` + attachmentWhere(q, &p), p
}

func (t *tx) DeletePolicyAttachments(ctx context.Context, q org.PolicyAttachmentQuery) error {
	if err := t.writable("delete policy attachments of " + q.OrgID); err != nil {
		return err
	}
	query, args := deleteAttachmentsQuery(q)
	if _, err := t.exec(ctx, query, args...); err != nil {
		return fmt.Errorf("postgres: delete policy attachments of %s: %w", q.OrgID, err)
	}
	return nil
}

// Enabled policy types.

const enabledPolicyTypesQuery = `SELECT org_id, type, root_id, status, enabled_at FROM policy_types
	WHERE org_id = $1 ORDER BY type`

func (t *tx) EnabledPolicyTypes(ctx context.Context, orgID string) ([]org.EnabledPolicyType, error) {
	out, err := queryAll(ctx, t, func(r scanner, e *org.EnabledPolicyType) error {
		var enabled *int64
		if err := r.Scan(&e.OrgID, &e.Type, &e.RootID, &e.Status, &enabled); err != nil {
			return err
		}
		e.EnabledAt = fromMS(enabled)
		return nil
	}, enabledPolicyTypesQuery, orgID)
	if err != nil {
		return nil, fmt.Errorf("postgres: policy types of %s: %w", orgID, err)
	}
	return out, nil
}

func (t *tx) PutEnabledPolicyType(ctx context.Context, e *org.EnabledPolicyType) error {
	if err := t.writable("enable policy type " + e.Type); err != nil {
		return err
	}
	_, err := t.exec(ctx, `INSERT INTO policy_types (org_id, type, root_id, status, enabled_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (org_id, type) DO UPDATE SET root_id = excluded.root_id, status = excluded.status,
			enabled_at = excluded.enabled_at`,
		e.OrgID, e.Type, e.RootID, e.Status, msOrNull(e.EnabledAt))
	if err != nil {
		return fmt.Errorf("postgres: enable policy type %s in %s: %w", e.Type, e.OrgID, err)
	}
	return nil
}

func (t *tx) DeleteEnabledPolicyType(ctx context.Context, orgID, policyType string) error {
	return t.execExpectRow(ctx, "disable policy type "+policyType+" in "+orgID,
		`DELETE FROM policy_types WHERE org_id = $1 AND type = $2`, orgID, policyType)
}

func (t *tx) DeleteEnabledPolicyTypes(ctx context.Context, orgID string) error {
	if err := t.writable("delete policy types of " + orgID); err != nil {
		return err
	}
	if _, err := t.exec(ctx, `DELETE FROM policy_types WHERE org_id = $1`, orgID); err != nil {
		return fmt.Errorf("postgres: delete policy types of %s: %w", orgID, err)
	}
	return nil
}
