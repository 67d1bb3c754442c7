// Package org is orgd's domain: the rules of AWS Organizations, who may call what, and the
// transactions that apply them. It knows neither HTTP nor SQL: requests arrive as the model's
// input types with the caller in the context, and state lives behind the Store interface.
package org

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"time"

	"github.com/orgd/orgd/internal/iam"
	"github.com/orgd/orgd/internal/model"
	"github.com/orgd/orgd/internal/policy"
)

// Clock tells the time; tests inject their own. The admin clock offset is added on top, and
// lives in the store so that every replica sees the same time.
type Clock interface {
	Now() time.Time
}

// SystemClock is the wall clock.
type SystemClock struct{}

// Now returns the current time.
func (SystemClock) Now() time.Time { return time.Now() }

// Quotas are AWS's service quotas. Defaults are AWS's; every one is configurable so that users
// and benchmarks can raise them (the checks themselves always run).
type Quotas struct {
	// MaxAccounts is the accounts-per-organization quota: members plus open invitations.
	MaxAccounts int
	// MaxOUs is the organizational units per organization quota.
	MaxOUs int
	// CreatedAccountWait is how long a created account must stay before it may leave or be
	// removed (WAIT_PERIOD_ACTIVE).
	CreatedAccountWait time.Duration
	// MaxConcurrentCreations bounds the CreateAccount requests in progress at once.
	MaxConcurrentCreations int
	// InvitationsPerDay bounds invitations sent in 24 hours; AWS allows max(20, MaxAccounts).
	InvitationsPerDay int
	// InvitationLifetime is how long an INVITE handshake stays open.
	InvitationLifetime time.Duration
	// AllFeaturesLifetime is how long an ENABLE_ALL_FEATURES request and its approvals stay open.
	AllFeaturesLifetime time.Duration
	// ClosedHandshakeVisibility is how long a closed handshake can still be read.
	ClosedHandshakeVisibility time.Duration
	// MaxInboundTransfers bounds the responsibility transfers an organization takes over:
	// open invitations it sent and accepted transfers. AWS's default is 0 (raised on
	// request, up to 1,000), so out of the box no organization can send an invitation.
	MaxInboundTransfers int
	// MaxOutboundTransfers bounds the accepted transfers of an organization's own
	// responsibility (AWS: 1, not adjustable).
	MaxOutboundTransfers int
	// MaxTransferChainLength bounds how many transfers can follow one another (AWS: 1,
	// adjustable to 2).
	MaxTransferChainLength int
	// MaxTransfersInChain bounds the inbound transfers of the organizations along a chain
	// (AWS: 1,000).
	MaxTransfersInChain int
	// MaxServiceControlPolicies, MaxResourceControlPolicies and MaxManagementPolicies are the
	// policies-per-organization quotas: of SCPs, of RCPs, and of each management policy type.
	// AWS-managed policies do not count.
	MaxServiceControlPolicies  int
	MaxResourceControlPolicies int
	MaxManagementPolicies      int
	// MaxSCPSize and MaxSCPsPerTarget are the SCP document size (characters) and the SCPs
	// attached directly to one root, OU or account; AWS raised them from 5,120 and 5 to
	// 10,240 and 10, so they are settings (spec §12).
	MaxSCPSize       int
	MaxSCPsPerTarget int
	// MaxAllFeaturesMigrationSize is the largest organization, in accounts, that
	// EnableAllFeatures accepts (AWS: 5,000; ALL_FEATURES_MIGRATION_ORGANIZATION_SIZE_LIMIT_EXCEEDED).
	MaxAllFeaturesMigrationSize int
	// MinClosuresPer30Days and MaxClosuresPer30Days bound the accounts an organization may
	// close in any 30 days, which is otherwise a fifth of its members (AWS: 250 and 1,000,
	// not adjustable; spec §6.6).
	MinClosuresPer30Days int
	MaxClosuresPer30Days int
}

// DefaultQuotas returns AWS's default quotas.
func DefaultQuotas() Quotas {
	return Quotas{
		MaxAccounts:                 10,
		MaxOUs:                      2000,
		MaxConcurrentCreations:      5,
		CreatedAccountWait:          4 * 24 * time.Hour,
		InvitationsPerDay:           20,
		InvitationLifetime:          15 * 24 * time.Hour,
		AllFeaturesLifetime:         90 * 24 * time.Hour,
		ClosedHandshakeVisibility:   30 * 24 * time.Hour,
		MaxInboundTransfers:         0,
		MaxOutboundTransfers:        1,
		MaxTransferChainLength:      1,
		MaxTransfersInChain:         1000,
		MaxServiceControlPolicies:   10000,
		MaxResourceControlPolicies:  2000,
		MaxManagementPolicies:       1000,
		MaxSCPSize:                  10240,
		MaxSCPsPerTarget:            10,
		MaxAllFeaturesMigrationSize: 5000,
		MinClosuresPer30Days:        250,
		MaxClosuresPer30Days:        1000,
	}
}

// Config configures a Service.
type Config struct {
	Quotas Quotas
	// DefaultAccountID is the account that callers with an unrecognised access key act as; it
	// is e-mail master@example.com, name master, until registered otherwise.
	DefaultAccountID string
	// AllFeaturesLabel is the ORGANIZATION_FEATURE_SET value an invitation shows for an
	// all-features organization. AWS's samples disagree (ALL once, FULL three times, including
	// the CLI transcript this project started from), so it is a setting; the default is FULL.
	AllFeaturesLabel string
	// CreateAccountDelay is how long a CreateAccount request stays IN_PROGRESS on the server's
	// clock; zero settles it in the call's own transaction, so tests need not wait.
	CreateAccountDelay time.Duration
	// CloseAccountDelay is how long a closed account stays PENDING_CLOSURE before it is
	// SUSPENDED (AWS takes minutes); zero suspends it at once.
	CloseAccountDelay time.Duration
	// Compat is the compatibility profile; "" is AWS's behaviour. CompatMoto settles every
	// account creation in its call, so it refuses a CreateAccountDelay.
	Compat Compat
	Clock  Clock
	// Roles are declared at start and again after a reset (the credentials file's).
	Roles []RoleDeclaration
	// Users are the credentials file's IAM users with their declared permissions.
	Users []UserDeclaration
	// PublicURL is the base of the console links in e-mails (http://host:port, no trailing
	// slash); "" leaves them out.
	PublicURL string
}

// DefaultAccountID is the account of callers whose access key names no account.
const DefaultAccountID = "123456789012"

// Service implements model.API with AWS's rules: every operation of the model, which the
// compiler checks below.
type Service struct {
	store    Store
	cfg      Config
	tokenKey []byte
	// users are the declared permissions of Config.Users, by "account/user name".
	users map[string]PrincipalPolicies
	// policies and chains cache what IAM enforcement parses and reads (guardrail.go); admin
	// is the identity policy of principals that declare none.
	policies policyCache
	chains   chainCache
	admin    []*policy.Policy
}

var _ model.API = (*Service)(nil)

// settings keys
const (
	settingClockOffset = "clock_offset_ms"
	settingTokenKey    = "next_token_key"
)

// New returns a Service on store. It makes sure the store holds the key that signs
// pagination tokens, so that every replica on one store accepts the others' tokens.
func New(ctx context.Context, store Store, cfg Config) (*Service, error) {
	if cfg.Clock == nil {
		cfg.Clock = SystemClock{}
	}
	if cfg.DefaultAccountID == "" {
		cfg.DefaultAccountID = DefaultAccountID
	}
	if cfg.AllFeaturesLabel == "" {
		cfg.AllFeaturesLabel = "FULL"
	}
	if cfg.Quotas == (Quotas{}) {
		cfg.Quotas = DefaultQuotas()
	}
	if _, err := ParseCompat(string(cfg.Compat)); err != nil {
		return nil, fmt.Errorf("org: %w", err)
	}
	if cfg.Compat == CompatMoto && cfg.CreateAccountDelay > 0 {
		return nil, fmt.Errorf("org: the %s profile creates accounts inside the call, so it takes no account creation delay (%v)", cfg.Compat, cfg.CreateAccountDelay)
	}
	s := &Service{store: store, cfg: cfg}
	admin, err := s.policies.get("administrator", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`, policy.Identity)
	if err != nil {
		return nil, fmt.Errorf("org: the administrator policy: %w", err)
	}
	s.admin = []*policy.Policy{admin}
	err = store.Update(ctx, func(tx Tx) error {
		key, err := tx.Setting(ctx, settingTokenKey)
		if errors.Is(err, ErrNotFound) {
			key = rand.Text()
			err = tx.PutSetting(ctx, settingTokenKey, key)
		}
		s.tokenKey = []byte(key)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("org: load token key: %w", err)
	}
	for i := range cfg.Roles {
		if err := s.checkRole(&cfg.Roles[i]); err != nil {
			return nil, fmt.Errorf("org: role %s of %s: %w", cfg.Roles[i].RoleName, cfg.Roles[i].AccountID, err)
		}
	}
	if err := s.declareUsers(cfg.Users); err != nil {
		return nil, err
	}
	if err := s.run(ctx, s.store.Update, func(t *txn) error { return t.declareRoles(cfg.Roles) }); err != nil {
		return nil, fmt.Errorf("org: declare roles: %w", err)
	}
	if s.creationOrder() {
		// Accounts that joined while the store served without the profile have no place in
		// creation order yet: they come after those that have one, as they joined.
		if err := s.run(ctx, s.store.Update, func(t *txn) error { return t.NumberAccounts(t.ctx) }); err != nil {
			return nil, fmt.Errorf("org: number accounts in creation order: %w", err)
		}
	}
	if cfg.CreateAccountDelay <= 0 {
		if err := s.run(ctx, s.store.Update, func(t *txn) error { return t.settleCreations(true) }); err != nil {
			return nil, fmt.Errorf("org: settle account creations: %w", err)
		}
	}
	return s, nil
}

// Caller is who sends a request: the account its access key maps to, and the AWS partition
// (aws, aws-cn, aws-us-gov, ...) of the region it signed for, which its organization must
// share (see membership); "" is aws. Principal is the root user, IAM user or role session
// that signed (its Account is AccountID); a zero Principal is the account's root user.
//
// The rest is what the wire tells of the request, for IAM's condition keys (guardrail.go):
// the region of the signature's credential scope (aws:RequestedRegion; "" is us-east-1,
// Organizations' own region), the client's address (aws:SourceIp: the connection's, never
// a header a client can write) and whether it came over TLS (aws:SecureTransport).
type Caller struct {
	AccountID       string
	AccessKeyID     string
	Partition       string
	Principal       iam.Principal
	Region          string
	SourceIP        string
	SecureTransport bool
}

// PartitionAWS is the commercial partition: the admin API's, and that of every organization
// stored before organizations had a partition.
const PartitionAWS = "aws"

// partition is the caller's partition, aws when it names none.
func (c Caller) partition() string {
	if c.Partition == "" {
		return PartitionAWS
	}
	return c.Partition
}

type callerKey struct{}

// adminWriteKey is the write key of the updates without a caller (the admin API's); no
// account id, which is 12 digits, can take it.
const adminWriteKey = "admin"

// WithCaller returns a context that carries the caller of a request.
func WithCaller(ctx context.Context, c Caller) context.Context {
	return context.WithValue(ctx, callerKey{}, c)
}

// CallerFrom returns the caller stored by WithCaller.
func CallerFrom(ctx context.Context) (Caller, bool) {
	c, ok := ctx.Value(callerKey{}).(Caller)
	return c, ok
}

// txn is one API call's transaction with the facts every rule needs: the time and the caller.
type txn struct {
	Tx
	ctx    context.Context
	svc    *Service
	now    time.Time
	caller Caller
	// guarded: the guardrail has decided this call; scpChanged: the transaction changed
	// which SCPs apply (guardrail.go).
	guarded, scpChanged bool
}

// update runs fn in one read-write transaction; view in a read-only one. Both first settle
// the account creations that are due, so that every call sees them complete (see
// settleCreations): an update in its own transaction, a view in one before its own when the
// probe finds any.
//
// Without a creation delay no request outlives its own transaction (New settles any that an
// earlier run with a delay left), so neither needs to look.
//
// An update carries its caller's account as the store's write key, adminWriteKey when there
// is no caller: an account's writes nearly all touch its organization's rows (its counters,
// a resource's tags), so concurrent ones would conflict, and a store that serializes them
// spares them the retries (see Store.Update).
func (s *Service) update(ctx context.Context, fn func(t *txn) error) error {
	key := adminWriteKey
	if c, ok := CallerFrom(ctx); ok {
		key = c.AccountID
	}
	ctx = WithWriteKey(ctx, key)
	if s.cfg.CreateAccountDelay <= 0 {
		return s.run(ctx, s.store.Update, fn)
	}
	return s.run(ctx, s.store.Update, func(t *txn) error {
		if err := t.settleCreations(false); err != nil {
			return err
		}
		return fn(t)
	})
}

func (s *Service) view(ctx context.Context, fn func(t *txn) error) error {
	if s.cfg.CreateAccountDelay <= 0 {
		return s.run(ctx, s.store.View, fn)
	}
	due := false
	err := s.run(ctx, s.store.View, func(t *txn) error {
		var err error
		if due, err = t.creationsDue(); err != nil || due {
			return err
		}
		return fn(t)
	})
	if err != nil || !due {
		return err
	}
	if err := s.update(ctx, func(*txn) error { return nil }); err != nil {
		return err
	}
	return s.run(ctx, s.store.View, fn)
}

// viewOut runs fn in a read transaction on a fresh copy of out and returns fn's output. The
// store may run fn more than once (a View whose snapshot moved, a write that must be
// retried), so fn keeps what it produces in out and nowhere else: each run starts anew.
func viewOut[T any](s *Service, ctx context.Context, out T, fn func(t *txn, out *T) error) (*T, error) {
	var res T
	err := s.view(ctx, func(t *txn) error {
		res = out
		return fn(t, &res)
	})
	return &res, err
}

// updateOut is viewOut for a write transaction.
func updateOut[T any](s *Service, ctx context.Context, out T, fn func(t *txn, out *T) error) (*T, error) {
	var res T
	err := s.update(ctx, func(t *txn) error {
		res = out
		return fn(t, &res)
	})
	return &res, err
}

func (s *Service) run(ctx context.Context, begin func(context.Context, func(Tx) error) error, fn func(t *txn) error) error {
	caller, _ := CallerFrom(ctx) // the admin API has no caller
	if s.creationOrder() {
		ctx = WithCreationOrder(ctx)
	}
	err := begin(ctx, func(tx Tx) error {
		now, err := s.now(ctx, tx)
		if err != nil {
			return err
		}
		return fn(&txn{Tx: tx, ctx: ctx, svc: s, now: now, caller: caller})
	})
	if errors.Is(err, ErrBusy) {
		// AWS's answer to calls that collide on one entity, which clients retry.
		return model.Fail(model.CodeConcurrentModificationException, "",
			"The request conflicted with concurrent changes to the same entities too often; try again later.")
	}
	return err
}

// now is the clock's time plus the admin offset, truncated to milliseconds because the wire
// format and the store keep milliseconds.
func (s *Service) now(ctx context.Context, tx Tx) (time.Time, error) {
	offset, err := clockOffset(ctx, tx)
	if err != nil {
		return time.Time{}, err
	}
	return s.cfg.Clock.Now().Add(offset).UTC().Truncate(time.Millisecond), nil
}

func clockOffset(ctx context.Context, tx Tx) (time.Duration, error) {
	v, err := tx.Setting(ctx, settingClockOffset)
	if errors.Is(err, ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("org: read clock offset: %w", err)
	}
	var ms int64
	if _, err := fmt.Sscan(v, &ms); err != nil {
		return 0, fmt.Errorf("org: bad clock offset %q: %w", v, err)
	}
	return time.Duration(ms) * time.Millisecond, nil
}
