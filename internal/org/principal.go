package org

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/orgd/orgd/internal/iam"
	"github.com/orgd/orgd/internal/model"
	"github.com/orgd/orgd/internal/policy"
)

// Principals' declared permissions (issue 12): the identity policies, permissions boundary
// and principal tags that the credentials file declares for an IAM user (per access key) and
// that a role carries (credentials file, admin API). A principal that declares no policies is
// an administrator of its account, as the root user and OrganizationAccountAccessRole are.

// UserDeclaration is an IAM user the credentials file declares through one of its access
// keys, with the user's permissions.
type UserDeclaration struct {
	AccessKeyID         string
	AccountID           string
	UserName            string
	Policies            []string // identity policy documents
	PermissionsBoundary string   // "" for none
	Tags                map[string]string
}

// PrincipalPolicies are the permissions a principal declares, parsed. Declared is false for
// a principal without identity policies: an administrator of its account, whose requests only
// SCPs (and RCPs) restrict.
type PrincipalPolicies struct {
	Identity []*policy.Policy
	Boundary *policy.Policy
	Tags     map[string]string
	Declared bool
}

// declaredPolicies parses and validates a principal's documents; the error names the one at
// fault (Policies[i] or PermissionsBoundary), as a MalformedPolicyDocumentException.
func (s *Service) declaredPolicies(docs []string, boundary string, tags map[string]string) (PrincipalPolicies, error) {
	out := PrincipalPolicies{Tags: tags, Declared: len(docs) > 0}
	for i, doc := range docs {
		p, err := s.policies.get(fmt.Sprintf("inline-%d", i), doc, policy.Identity)
		if err != nil {
			return PrincipalPolicies{}, malformedDeclared(fmt.Sprintf("Policies[%d]", i), err)
		}
		out.Identity = append(out.Identity, p)
	}
	if boundary != "" {
		p, err := s.policies.get("boundary", boundary, policy.Boundary)
		if err != nil {
			return PrincipalPolicies{}, malformedDeclared("PermissionsBoundary", err)
		}
		out.Boundary = p
	}
	return out, nil
}

// malformedDeclared is the admin API's answer to a declared document that is not a valid
// policy: its text names the document and says what is wrong with it (model.IsBuiltText).
func malformedDeclared(which string, err error) error {
	msg := which + " is not a valid policy: " + err.Error()
	return &model.Error{Code: model.CodeMalformedPolicyDocumentException, Detail: msg, Text: msg}
}

// checkTags checks principal tags as IAM's TagRole and TagUser do: at most 50, keys of 1 to
// 128 characters and values of at most 256.
func checkPrincipalTags(tags map[string]string) error {
	if len(tags) > 50 {
		return invalidInput(model.InvalidInputExceptionReasonMaxValueExceeded, "%d tags; a principal has at most 50", len(tags))
	}
	for k, v := range tags {
		if k == "" || len(k) > 128 || len(v) > 256 {
			return invalidInput(model.InvalidInputExceptionReasonMaxLengthExceeded, "tag %q=%q: keys are 1 to 128 characters, values at most 256", k, v)
		}
	}
	return nil
}

// declareUsers parses the credentials file's users. A user declared through several access
// keys must declare the same permissions with each: IAM attaches policies to the user.
func (s *Service) declareUsers(users []UserDeclaration) error {
	s.users = make(map[string]PrincipalPolicies, len(users))
	seen := map[string]string{}
	for _, u := range users {
		key := u.AccountID + "/" + u.UserName
		pp, err := s.declaredPolicies(u.Policies, u.PermissionsBoundary, u.Tags)
		if err == nil {
			err = checkPrincipalTags(u.Tags)
		}
		if err != nil {
			return fmt.Errorf("org: user %s of %s (access key %s): %w", u.UserName, u.AccountID, u.AccessKeyID, err)
		}
		sig := fmt.Sprintf("%q %q %v", u.Policies, u.PermissionsBoundary, u.Tags)
		if prev, ok := seen[key]; ok && prev != sig {
			return fmt.Errorf("org: user %s of %s: access key %s declares other policies, boundary or tags than another key of the user", u.UserName, u.AccountID, u.AccessKeyID)
		}
		seen[key] = sig
		s.users[key] = pp
	}
	return nil
}

var principalARNPattern = regexp.MustCompile(`^arn:[a-z-]+:(iam|sts)::(\d{12}):(root|user/(?:[\x21-\x7e]*/)?([\w+=,.@-]{1,64})|role/(?:[\x21-\x7e]*/)?([\w+=,.@-]{1,64})|assumed-role/([\w+=,.@-]{1,64})/[\w+=,.@-]{2,64})$`)

// PrincipalPolicies returns the declared permissions of a principal: an IAM user (the
// credentials file's), a role or one of its sessions (the role's), or an account's root user
// (none: an administrator). A user the credentials file does not declare has none either; a
// role that does not exist is ErrNotFound.
func (s *Service) PrincipalPolicies(ctx context.Context, principalARN string) (PrincipalPolicies, error) {
	m := principalARNPattern.FindStringSubmatch(principalARN)
	if m == nil || (m[1] == "sts") != (m[6] != "") {
		return PrincipalPolicies{}, invalidInput(model.InvalidInputExceptionReasonInvalidPattern, "%q is not the ARN of a root user, user, role or assumed-role session", principalARN)
	}
	account := m[2]
	switch {
	case m[3] == "root":
		return PrincipalPolicies{}, nil
	case m[4] != "":
		return s.users[account+"/"+m[4]], nil
	}
	role := m[5] + m[6]
	var out PrincipalPolicies
	err := s.store.View(ctx, func(tx Tx) error {
		r, err := tx.Role(ctx, account, role)
		if err != nil {
			return fmt.Errorf("org: role %s of %s: %w", role, account, err)
		}
		out, err = s.rolePolicies(r)
		return err
	})
	return out, err
}

// rolePolicies parses a stored role's documents, which were valid when declared.
func (s *Service) rolePolicies(r *Role) (PrincipalPolicies, error) {
	pp, err := s.declaredPolicies(r.Policies, r.PermissionsBoundary, r.Tags)
	if err != nil {
		return PrincipalPolicies{}, fmt.Errorf("org: role %s of %s: %w", r.Name, r.AccountID, err)
	}
	return pp, nil
}

// callerPolicies returns the declared permissions of the caller, and the session policy of
// an assumed-role session (nil without one), with its session tags over the role's tags.
func (t *txn) callerPolicies(p iam.Principal) (PrincipalPolicies, []*policy.Policy, error) {
	switch p.Kind {
	case iam.User:
		return t.svc.users[p.Account+"/"+p.Name], nil, nil
	case iam.AssumedRole:
	default:
		return PrincipalPolicies{}, nil, nil
	}
	r, err := t.Role(t.ctx, p.Account, p.Name)
	if isNotFound(err) {
		// A role is never deleted while sessions of it live; a session of none has no rights.
		return PrincipalPolicies{Declared: true}, nil, nil
	}
	if err != nil {
		return PrincipalPolicies{}, nil, fmt.Errorf("org: read role %s of %s: %w", p.Name, p.Account, err)
	}
	pp, err := t.svc.rolePolicies(r)
	if err != nil {
		return PrincipalPolicies{}, nil, err
	}
	sess, err := t.Session(t.ctx, t.caller.AccessKeyID)
	if isNotFound(err) {
		return pp, nil, nil
	}
	if err != nil {
		return PrincipalPolicies{}, nil, fmt.Errorf("org: read session %s: %w", t.caller.AccessKeyID, err)
	}
	var session []*policy.Policy
	if sess.Policy != "" {
		sp, err := t.svc.policies.get("session", sess.Policy, policy.Session)
		if err != nil {
			return PrincipalPolicies{}, nil, fmt.Errorf("org: session policy of %s: %w", sess.AccessKeyID, err)
		}
		session = []*policy.Policy{sp}
	}
	if len(sess.Tags) > 0 {
		tags := make(map[string]string, len(pp.Tags)+len(sess.Tags))
		for k, v := range pp.Tags {
			tags[k] = v
		}
		// A session tag replaces the role's tag of the same key, compared as IAM compares
		// tag keys: case-insensitively.
		for k, v := range sess.Tags {
			for rk := range tags {
				if strings.EqualFold(rk, k) {
					delete(tags, rk)
				}
			}
			tags[k] = v
		}
		pp.Tags = tags
	}
	return pp, session, nil
}

// policyCache keeps parsed policies by id, type and content, so that a document is parsed
// once however many requests it decides. It is bounded: past maxCachedPolicies it forgets an
// arbitrary entry per insertion.
type policyCache struct {
	mu    sync.RWMutex
	m     map[policyKey]policyEntry
	reads map[*policy.Policy]bool // see readsResourceTags
}

type policyKey struct {
	id, content string
	t           policy.Type
}

type policyEntry struct {
	p   *policy.Policy
	err error
}

const maxCachedPolicies = 4096

// get returns the document parsed and validated as a policy of type t, with id as its ID.
// A zero t parses without validating: the SCPs stored before orgd validated them as IAM
// does decide requests as they parse.
func (c *policyCache) get(id, content string, t policy.Type) (*policy.Policy, error) {
	k := policyKey{id: id, content: content, t: t}
	c.mu.RLock()
	e, ok := c.m[k]
	c.mu.RUnlock()
	if ok {
		return e.p, e.err
	}
	p, err := policy.Parse(content)
	if err == nil && t != 0 {
		err = policy.Validate(t, p)
	}
	if err == nil {
		p.ID = id
	} else {
		p = nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[policyKey]policyEntry{}
	}
	if len(c.m) >= maxCachedPolicies {
		for old := range c.m {
			delete(c.m, old)
			break
		}
	}
	c.m[k] = policyEntry{p: p, err: err}
	return p, err
}

// readsResourceTags reports whether a policy's conditions read aws:ResourceTag/* (nil: no).
func (c *policyCache) readsResourceTags(p *policy.Policy) bool {
	if p == nil {
		return false
	}
	c.mu.RLock()
	r, ok := c.reads[p]
	c.mu.RUnlock()
	if ok {
		return r
	}
	for _, st := range p.Statements() {
		for _, k := range st.ConditionKeys {
			if len(k) >= len("aws:ResourceTag/") && strings.EqualFold(k[:len("aws:ResourceTag/")], "aws:ResourceTag/") {
				r = true
			}
		}
	}
	c.mu.Lock()
	if c.reads == nil || len(c.reads) >= maxCachedPolicies {
		c.reads = map[*policy.Policy]bool{}
	}
	c.reads[p] = r
	c.mu.Unlock()
	return r
}
