package org

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/orgd/orgd/internal/iam"
)

// IAM roles and the temporary credentials STS issues (role.go): their rows and the Tx
// methods that keep them.

// Role is an IAM role that STS's AssumeRole can assume.
type Role struct {
	AccountID string
	Name      string // unique in its account, compared case-insensitively as IAM does
	ID        string // AROA…
	// TrustedPrincipals are who may assume the role: account ids, arn:…:iam::ID:root, and
	// user or role ARNs.
	TrustedPrincipals  []string
	MaxSessionDuration int // seconds
	CreatedAt          time.Time
	// Policies are the role's identity policies and PermissionsBoundary its boundary ("" for
	// none), as declared (JSON documents, checked when declared); Tags are its principal
	// tags. A role without Policies is an administrator of its account (see PrincipalPolicies).
	Policies            []string
	PermissionsBoundary string
	Tags                map[string]string
}

// Session is one set of temporary credentials: an access key STS issued, with its secret
// and session token, and the principal it acts as until ExpiresAt (on the server's clock).
type Session struct {
	AccessKeyID     string // ASIA…
	SecretAccessKey string
	SessionToken    string
	Principal       iam.Principal // its Account is the account the credentials act in
	IssuedAt        time.Time
	ExpiresAt       time.Time
	// Chained is true for credentials a role session obtained (role chaining), which AWS
	// limits to one hour.
	Chained bool
	// Policy is AssumeRole's inline session policy ("" for none), and Tags its session tags,
	// which override the role's principal tags of the same key.
	Policy string
	Tags   map[string]string
}

// roleTx holds the Tx methods of this file's rows. Every method wraps store failures with
// context; the errors named are those a caller tests with errors.Is.
type roleTx interface {
	// Role returns the account's role of this name, compared case-insensitively, or
	// ErrNotFound.
	Role(ctx context.Context, accountID, name string) (*Role, error)
	// PutRole inserts a role or replaces the account's role of the same name (compared
	// case-insensitively).
	PutRole(ctx context.Context, r *Role) error
	// ListRoles returns the roles of an account, or of every account when accountID is "",
	// ordered by account and name.
	ListRoles(ctx context.Context, accountID string) ([]Role, error)

	// Session returns the temporary credentials of an access key, or ErrNotFound.
	Session(ctx context.Context, accessKeyID string) (*Session, error)
	// PutSession inserts temporary credentials; ErrConflict when the access key exists.
	PutSession(ctx context.Context, s *Session) error
	// DeleteExpiredSessions removes up to limit sessions that expired at or before before,
	// the earliest first, and returns how many it removed. It costs what it removes, not
	// what the store holds.
	DeleteExpiredSessions(ctx context.Context, before time.Time, limit int) (int, error)
}

// RoleJSON is how both stores keep a role's lists and maps: JSON text columns, policies as
// an array ('[]' for none) and tags as an object ('{}' for none). Role.JSON and
// Role.SetJSON are the one encoding they share, and EncodeTags/DecodeTags a session's tags.
type RoleJSON struct {
	Trusted, Policies, Tags string
}

// JSON encodes the role's JSON columns.
func (r *Role) JSON() (RoleJSON, error) {
	trusted, err := json.Marshal(r.TrustedPrincipals)
	if err != nil {
		return RoleJSON{}, fmt.Errorf("encode trusted principals of %s: %w", r.Name, err)
	}
	policies := r.Policies
	if policies == nil {
		policies = []string{}
	}
	p, err := json.Marshal(policies)
	if err != nil {
		return RoleJSON{}, fmt.Errorf("encode policies of %s: %w", r.Name, err)
	}
	tags, err := EncodeTags(r.Tags)
	if err != nil {
		return RoleJSON{}, fmt.Errorf("tags of %s: %w", r.Name, err)
	}
	return RoleJSON{Trusted: string(trusted), Policies: string(p), Tags: tags}, nil
}

// SetJSON decodes the role's JSON columns. A role declared without policies or tags reads
// back as declared: nil, not empty.
func (r *Role) SetJSON(c RoleJSON) error {
	if err := json.Unmarshal([]byte(c.Trusted), &r.TrustedPrincipals); err != nil {
		return fmt.Errorf("trusted principals of %s: %w", r.Name, err)
	}
	if err := json.Unmarshal([]byte(c.Policies), &r.Policies); err != nil {
		return fmt.Errorf("policies of %s: %w", r.Name, err)
	}
	if len(r.Policies) == 0 {
		r.Policies = nil
	}
	tags, err := DecodeTags(c.Tags)
	if err != nil {
		return fmt.Errorf("tags of %s: %w", r.Name, err)
	}
	r.Tags = tags
	return nil
}

// EncodeTags encodes principal tags as the stores keep them: a JSON object, '{}' for none.
func EncodeTags(tags map[string]string) (string, error) {
	if tags == nil {
		tags = map[string]string{}
	}
	b, err := json.Marshal(tags)
	if err != nil {
		return "", fmt.Errorf("encode tags: %w", err)
	}
	return string(b), nil
}

// DecodeTags reads what EncodeTags wrote; none reads back as nil.
func DecodeTags(s string) (map[string]string, error) {
	var tags map[string]string
	if err := json.Unmarshal([]byte(s), &tags); err != nil {
		return nil, fmt.Errorf("decode tags: %w", err)
	}
	if len(tags) == 0 {
		return nil, nil
	}
	return tags, nil
}
