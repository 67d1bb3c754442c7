package org

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/orgd/orgd/internal/iam"
	"github.com/orgd/orgd/internal/model"
	"github.com/orgd/orgd/internal/sigv4"
)

// IAM roles and STS (issue 11): the roles that AssumeRole assumes, the temporary credentials
// it and GetSessionToken issue, and who a caller is (GetCallerIdentity, GetAccessKeyInfo).
// A created account gets the role its CreateAccount request names (settleCreation); other
// roles are declared through the admin API or the credentials file.

// STSError is an answer of STS that is not a success. Unlike Organizations' fixed texts,
// STS's messages name the caller and the role, so the message travels with the error.
type STSError struct {
	Code    string // AccessDenied, ValidationError, MalformedPolicyDocument, ...
	Message string // AWS's text, sent as it is
	Status  int
}

func (e *STSError) Error() string { return e.Code + ": " + e.Message }

func stsValidation(format string, args ...any) error {
	return &STSError{Code: "ValidationError", Message: fmt.Sprintf(format, args...), Status: http.StatusBadRequest}
}

func stsAccessDenied(format string, args ...any) error {
	return &STSError{Code: "AccessDenied", Message: fmt.Sprintf(format, args...), Status: http.StatusForbidden}
}

// IAM's limits on roles and sessions (IAM's CreateRole and STS's AssumeRole in the model).
const (
	defaultMaxSessionDuration = 3600
	minMaxSessionDuration     = 3600
	maxMaxSessionDuration     = 43200
	// defaultRoleDuration is AssumeRole's DurationSeconds when omitted.
	defaultRoleDuration = 3600
	// chainedRoleDuration caps the sessions a role session obtains (role chaining).
	chainedRoleDuration = 3600
	// GetSessionToken's default, and its cap for the root user.
	defaultSessionTokenDuration = 43200
	rootSessionTokenDuration    = 3600
	// packedPolicyLimit is the packed size of session policies that PackedPolicySize is a
	// percentage of; AWS does not document its packing, so orgd counts characters.
	packedPolicyLimit = 2048
	// expiredSessionRetention is how long expired credentials are kept, answering
	// ExpiredToken rather than an unknown key, before a write prunes them.
	expiredSessionRetention = 24 * time.Hour
	// prunedPerIssue bounds the expired sessions one issue of credentials removes.
	prunedPerIssue = 16
)

var (
	roleNamePattern = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)
	// A trusted principal: an account, its root user, a user or a role (with a path).
	trustedARNPattern = regexp.MustCompile(`^arn:([a-z-]+):iam::(\d{12}):(root|(user|role)/(?:[\x21-\x7e]+/)?([\w+=,.@-]{1,64}))$`)
	// A role ARN: arn:PARTITION:iam::ID:role/PATH/NAME.
	roleARNPattern = regexp.MustCompile(`^arn:([a-z-]+):iam::(\d{12}):role/(?:[\x21-\x7e]*/)?([\w+=,.@-]{1,64})$`)
)

// IAM's unique ids: a prefix and 17 characters of this alphabet.
const iamIDAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

func newRoleID() string { return "AROA" + randomString(iamIDAlphabet, 17) }

// RoleDeclaration is a role the admin API or the credentials file declares, with its
// identity policies, permissions boundary and principal tags (see PrincipalPolicies).
type RoleDeclaration struct {
	AccountID           string
	RoleName            string
	TrustedPrincipals   []string
	MaxSessionDuration  int // 0: 3600
	Policies            []string
	PermissionsBoundary string
	Tags                map[string]string
}

// checkRole checks a declaration, its documents parsed and validated as IAM would.
func (s *Service) checkRole(d *RoleDeclaration) error {
	if err := d.check(); err != nil {
		return err
	}
	if err := checkPrincipalTags(d.Tags); err != nil {
		return err
	}
	_, err := s.declaredPolicies(d.Policies, d.PermissionsBoundary, d.Tags)
	return err
}

// check validates a declaration as IAM's CreateRole would.
func (d *RoleDeclaration) check() error {
	if !model.IsAccountID(d.AccountID) {
		return invalidInput(model.InvalidInputExceptionReasonInvalidPattern, "AccountId must be 12 digits, not %q.", d.AccountID)
	}
	if !roleNamePattern.MatchString(d.RoleName) {
		return invalidInput(model.InvalidInputExceptionReasonInvalidRoleName, "RoleName %q must be 1 to 64 of [\\w+=,.@-].", d.RoleName)
	}
	if d.MaxSessionDuration == 0 {
		d.MaxSessionDuration = defaultMaxSessionDuration
	}
	if d.MaxSessionDuration < minMaxSessionDuration || d.MaxSessionDuration > maxMaxSessionDuration {
		return invalidInput(model.InvalidInputExceptionReasonMaxValueExceeded, "MaxSessionDuration must be from %d to %d seconds, not %d.",
			minMaxSessionDuration, maxMaxSessionDuration, d.MaxSessionDuration)
	}
	if len(d.TrustedPrincipals) == 0 {
		return invalidInput(model.InvalidInputExceptionReasonInputRequired, "Role %s trusts no principal.", d.RoleName)
	}
	for _, p := range d.TrustedPrincipals {
		if !model.IsAccountID(p) && !trustedARNPattern.MatchString(p) {
			return invalidInput(model.InvalidInputExceptionReasonInvalidPattern,
				"Trusted principal %q is not an account id nor an arn:PARTITION:iam::ID:root, user/NAME or role/NAME ARN.", p)
		}
	}
	return nil
}

// DeclareRole creates a role, or replaces the trust, the session limit and the permissions of the account's
// role of that name, which keeps its id: declaring the same role twice changes nothing.
func (s *Service) DeclareRole(ctx context.Context, d RoleDeclaration) (*Role, error) {
	if err := s.checkRole(&d); err != nil {
		return nil, err
	}
	var out *Role
	err := s.update(ctx, func(t *txn) error {
		var err error
		out, err = t.declareRole(d)
		return err
	})
	return out, err
}

func (t *txn) declareRole(d RoleDeclaration) (*Role, error) {
	r, err := t.Role(t.ctx, d.AccountID, d.RoleName)
	switch {
	case isNotFound(err):
		r = &Role{AccountID: d.AccountID, Name: d.RoleName, ID: newRoleID(), CreatedAt: t.now}
	case err != nil:
		return nil, fmt.Errorf("org: read role %s of %s: %w", d.RoleName, d.AccountID, err)
	}
	r.TrustedPrincipals, r.MaxSessionDuration = d.TrustedPrincipals, d.MaxSessionDuration
	r.Policies, r.PermissionsBoundary, r.Tags = d.Policies, d.PermissionsBoundary, d.Tags
	if err := t.PutRole(t.ctx, r); err != nil {
		return nil, fmt.Errorf("org: put role %s of %s: %w", r.Name, r.AccountID, err)
	}
	return r, nil
}

// declareRoles applies the configuration's roles (the credentials file's).
func (t *txn) declareRoles(ds []RoleDeclaration) error {
	for _, d := range ds {
		if _, err := t.declareRole(d); err != nil {
			return err
		}
	}
	return nil
}

// createAccountRole creates, in an account CreateAccount made, the role its request names,
// trusting the organization's management account, as AWS does.
func (t *txn) createAccountRole(accountID, roleName, managementAccountID string) error {
	_, err := t.declareRole(RoleDeclaration{AccountID: accountID, RoleName: roleName,
		TrustedPrincipals: []string{managementAccountID}, MaxSessionDuration: defaultMaxSessionDuration})
	return err
}

// Roles lists the roles of an account, or of every account when accountID is "".
func (s *Service) Roles(ctx context.Context, accountID string) ([]Role, error) {
	var out []Role
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		out, err = tx.ListRoles(ctx, accountID)
		return err
	})
	return out, err
}

// Credentials are temporary credentials as STS returns them.
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
	Expiration      time.Time
}

// AssumeRoleInput is AssumeRole's request, its shape already checked against the model.
type AssumeRoleInput struct {
	RoleArn         string
	RoleSessionName string
	DurationSeconds int // 0: the default
	Policy          string
	PolicyArns      []string
	SourceIdentity  string
}

// AssumeRoleOutput is AssumeRole's answer.
type AssumeRoleOutput struct {
	Credentials      Credentials
	AssumedRoleID    string // ROLEID:SESSION
	AssumedRoleArn   string
	PackedPolicySize int // -1 without session policies
	SourceIdentity   string
}

// AssumeRole issues credentials of a session of the role RoleArn names, when the role
// exists and trusts the caller (AWS's rules: the duration within the role's limit, and
// within an hour for role chaining).
func (s *Service) AssumeRole(ctx context.Context, in AssumeRoleInput) (*AssumeRoleOutput, error) {
	return updateOut(s, ctx, AssumeRoleOutput{PackedPolicySize: -1}, func(t *txn, out *AssumeRoleOutput) error {
		caller := t.caller.principal()
		part := t.caller.partition()
		m := roleARNPattern.FindStringSubmatch(in.RoleArn)
		if m == nil {
			return stsValidation("%s is not a valid role ARN.", in.RoleArn)
		}
		denied := stsAccessDenied("User: %s is not authorized to perform: sts:AssumeRole on resource: %s", caller.ARN(part), in.RoleArn)
		if m[1] != part {
			return denied
		}
		role, err := t.Role(t.ctx, m[2], m[3])
		if isNotFound(err) {
			return denied
		} else if err != nil {
			return fmt.Errorf("org: read role %s of %s: %w", m[3], m[2], err)
		}
		if !trusts(role, caller, part) {
			return denied
		}
		chained := caller.Kind == iam.AssumedRole
		d := in.DurationSeconds
		switch {
		case d == 0:
			d = defaultRoleDuration
		case chained && d > chainedRoleDuration:
			return stsValidation("The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
		case d > role.MaxSessionDuration:
			return stsValidation("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
		}
		if in.Policy != "" || len(in.PolicyArns) > 0 {
			if in.Policy != "" && !json.Valid([]byte(in.Policy)) {
				return &STSError{Code: "MalformedPolicyDocument", Message: "The policy is not in the valid JSON format.", Status: http.StatusBadRequest}
			}
			packed := len(in.Policy)
			for _, a := range in.PolicyArns {
				packed += len(a)
			}
			out.PackedPolicySize = (packed*100 + packedPolicyLimit - 1) / packedPolicyLimit
			if out.PackedPolicySize > 100 {
				return &STSError{Code: "PackedPolicyTooLarge", Message: fmt.Sprintf(
					"Packed policy consumes %d%% of allotted space, please use smaller policy.", out.PackedPolicySize), Status: http.StatusBadRequest}
			}
		}
		p := iam.Principal{Account: role.AccountID, Kind: iam.AssumedRole, Name: role.Name, Session: in.RoleSessionName, ID: role.ID}
		creds, err := t.issue(p, d, chained)
		if err != nil {
			return err
		}
		out.Credentials, out.AssumedRoleID, out.AssumedRoleArn = creds, p.UserID(), p.ARN(part)
		out.SourceIdentity = in.SourceIdentity
		return nil
	})
}

// trusts reports whether a role trusts a principal: a trusted account (or its root user)
// trusts every principal of the account, a trusted user or role ARN that principal (a role:
// its sessions).
func trusts(r *Role, p iam.Principal, partition string) bool {
	for _, tp := range r.TrustedPrincipals {
		if tp == p.Account {
			return true
		}
		m := trustedARNPattern.FindStringSubmatch(tp)
		if m == nil || m[1] != partition || m[2] != p.Account {
			continue
		}
		switch {
		case m[3] == "root":
			return true
		case m[4] == "user" && p.Kind == iam.User && m[5] == p.Name:
			return true
		case m[4] == "role" && p.Kind == iam.AssumedRole && strings.EqualFold(m[5], p.Name):
			return true
		}
	}
	return false
}

// principal is the caller's principal; a caller that names none is its account's root user.
func (c Caller) principal() iam.Principal {
	p := c.Principal
	if p.Kind == "" {
		p = iam.Principal{Account: c.AccountID, Kind: iam.Root}
	}
	return p
}

// GetSessionToken issues temporary credentials of the calling user or root user;
// durationSeconds 0 is the default.
func (s *Service) GetSessionToken(ctx context.Context, durationSeconds int) (*Credentials, error) {
	return updateOut(s, ctx, Credentials{}, func(t *txn, out *Credentials) error {
		p := t.caller.principal()
		session, err := t.isSession(t.caller.AccessKeyID)
		if err != nil {
			return err
		}
		if p.Kind == iam.AssumedRole || session {
			return stsAccessDenied("Cannot call GetSessionToken with session credentials")
		}
		d := durationSeconds
		if d == 0 {
			d = defaultSessionTokenDuration
		}
		// The root user's sessions last an hour at most, whatever it asks for.
		if p.Kind == iam.Root && d > rootSessionTokenDuration {
			d = rootSessionTokenDuration
		}
		creds, err := t.issue(p, d, false)
		*out = creds
		return err
	})
}

func (t *txn) isSession(accessKeyID string) (bool, error) {
	if !strings.HasPrefix(accessKeyID, sigv4.TemporaryKeyPrefix) {
		return false, nil
	}
	_, err := t.Session(t.ctx, accessKeyID)
	if isNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("org: read session %s: %w", accessKeyID, err)
	}
	return true, nil
}

// issue stores new temporary credentials of p lasting seconds, and prunes a few long
// expired ones.
func (t *txn) issue(p iam.Principal, seconds int, chained bool) (Credentials, error) {
	if _, err := t.DeleteExpiredSessions(t.ctx, t.now.Add(-expiredSessionRetention), prunedPerIssue); err != nil {
		return Credentials{}, fmt.Errorf("org: prune expired sessions: %w", err)
	}
	token := make([]byte, 240)
	rand.Read(token)
	s := &Session{
		AccessKeyID:     sigv4.TemporaryKeyPrefix + randomString(iamIDAlphabet, 16),
		SecretAccessKey: randomString(secretAlphabet, 40),
		SessionToken:    base64.StdEncoding.EncodeToString(token),
		Principal:       p,
		IssuedAt:        t.now,
		ExpiresAt:       t.now.Add(time.Duration(seconds) * time.Second),
		Chained:         chained,
	}
	if err := t.PutSession(t.ctx, s); err != nil {
		return Credentials{}, fmt.Errorf("org: store session %s: %w", s.AccessKeyID, err)
	}
	return Credentials{AccessKeyID: s.AccessKeyID, SecretAccessKey: s.SecretAccessKey, SessionToken: s.SessionToken, Expiration: s.ExpiresAt}, nil
}

// secretAlphabet is that of AWS's secret access keys (base64's).
const secretAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

// CallerIdentity is GetCallerIdentity's answer.
type CallerIdentity struct {
	Account string
	Arn     string
	UserID  string
}

// GetCallerIdentity tells the caller who it is; any caller may ask, as on AWS.
func (s *Service) GetCallerIdentity(ctx context.Context) (*CallerIdentity, error) {
	c, _ := CallerFrom(ctx)
	p := c.principal()
	return &CallerIdentity{Account: p.Account, Arn: p.ARN(c.partition()), UserID: p.UserID()}, nil
}

// Session returns the temporary credentials of an access key, or sigv4.ErrUnknownKey; with
// Now it makes the Service the sigv4.Sessions that verifies them.
func (s *Service) Session(ctx context.Context, accessKeyID string) (sigv4.Secret, error) {
	var out sigv4.Secret
	err := s.store.View(ctx, func(tx Tx) error {
		sess, err := tx.Session(ctx, accessKeyID)
		if err != nil {
			return err
		}
		out = sigv4.Secret{AccessKeyID: sess.AccessKeyID, SecretAccessKey: sess.SecretAccessKey,
			SessionToken: sess.SessionToken, Expires: sess.ExpiresAt, Principal: sess.Principal}
		return nil
	})
	if errors.Is(err, ErrNotFound) {
		return sigv4.Secret{}, sigv4.ErrUnknownKey
	}
	if err != nil {
		return sigv4.Secret{}, fmt.Errorf("org: read session %s: %w", accessKeyID, err)
	}
	return out, nil
}

var _ sigv4.Sessions = (*Service)(nil)
