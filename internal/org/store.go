package org

import (
	"context"
	"errors"
	"time"
)

// Errors every Store implementation returns; callers test them with errors.Is.
var (
	// ErrNotFound means the requested row does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict means a write would break a uniqueness rule (an account e-mail already taken).
	ErrConflict = errors.New("conflict")
	// ErrBusy means the store gave up on a transaction that kept conflicting with
	// concurrent ones (a store shared by several replicas retries a few times first); the
	// call may succeed if made again.
	ErrBusy = errors.New("transaction kept conflicting with concurrent ones")
)

// Store keeps orgd's state. It is deliberately thin: it reads and writes rows and knows no
// business rule; every rule lives in Service, which runs each API call inside one transaction.
type Store interface {
	// Update runs fn in one read-write transaction and commits it when fn returns nil.
	// Any error from fn rolls the transaction back and is returned unchanged; a panic in
	// fn rolls it back too and reaches Update's caller, on the caller's goroutine, with
	// fn's value, leaving other Updates and the store as they were. A store may
	// run fn more than once (a transaction to retry): fn must leave nothing behind but
	// what its last run produced.
	//
	// A store that runs transactions concurrently may serialize the Updates whose ctx
	// carries the same write key (WithWriteKey): writes that would touch the same rows then
	// wait for one another instead of conflicting and running again. The key is a hint for
	// speed only: an Update is correct whatever key it carries, or none. fn must not wait
	// for another Update with its own key, which would wait for fn.
	Update(ctx context.Context, fn func(Tx) error) error
	// View runs fn in a read-only transaction that sees one consistent snapshot. Like
	// Update's, its fn may run more than once, and its panic reaches View's caller.
	View(ctx context.Context, fn func(Tx) error) error
	Close() error
}

type writeKeyKey struct{}

// WithWriteKey returns a context whose Updates carry key: a store may serialize the
// Updates that carry the same key (see Store.Update).
func WithWriteKey(ctx context.Context, key string) context.Context {
	return context.WithValue(ctx, writeKeyKey{}, key)
}

type creationOrderKey struct{}

// WithCreationOrder returns a context whose Updates give an account that joins an
// organization its place in the organization's creation order (Account.Seq), which lists in
// creation order read. Without it a store leaves the place empty (Seq 0), which spares each
// join the upkeep of two indexes: only the moto profile lists in that order, and it numbers
// the accounts left without a place when it starts (Tx.NumberAccounts).
func WithCreationOrder(ctx context.Context) context.Context {
	return context.WithValue(ctx, creationOrderKey{}, true)
}

// CreationOrder reports whether ctx asks for accounts' places in creation order.
func CreationOrder(ctx context.Context) bool {
	on, _ := ctx.Value(creationOrderKey{}).(bool)
	return on
}

// WriteKey returns the key stored by WithWriteKey.
func WriteKey(ctx context.Context) (string, bool) {
	key, ok := ctx.Value(writeKeyKey{}).(string)
	return key, ok
}

// Tx is one transaction. Methods return ErrNotFound for a missing row where documented and wrap
// any other failure with context. Slices returned are owned by the caller.
type Tx interface {
	delegationTx
	roleTx
	// Setting returns a server-wide setting, or ErrNotFound.
	Setting(ctx context.Context, key string) (string, error)
	PutSetting(ctx context.Context, key, value string) error

	// Account returns the account with this 12-digit id, or ErrNotFound.
	Account(ctx context.Context, id string) (*Account, error)
	// AccountByEmail finds an account by e-mail, case-insensitively, or returns ErrNotFound.
	AccountByEmail(ctx context.Context, email string) (*Account, error)
	// PutAccount inserts or replaces an account, assigning a.Seq (see Account.Seq). It
	// returns ErrConflict when another account already has the same e-mail (compared
	// case-insensitively).
	PutAccount(ctx context.Context, a *Account) error
	// DeleteAccount removes an account's row, or returns ErrNotFound when there is none. It
	// removes nothing else: what refers to the account is the caller's to settle first.
	DeleteAccount(ctx context.Context, id string) error
	// ListAccounts returns up to q.Limit accounts ordered by ID, starting after q.AfterID,
	// or, with q.Order ByCreation (q.OrgID set), in the order they joined (Seq) after q.AfterSeq.
	ListAccounts(ctx context.Context, q AccountQuery) ([]Account, error)
	// NumberAccounts gives the members that have no place in their organization's creation
	// order (they joined by an Update without WithCreationOrder) the places after the others,
	// in the order they joined (JoinedAt, then ID).
	NumberAccounts(ctx context.Context) error
	// CountAccounts returns how many accounts belong to the organization: those that joined
	// it while its row existed (an organization is stored before its first account joins).
	// orgID "" counts every account the store holds. It costs O(1), not O(members).
	CountAccounts(ctx context.Context, orgID string) (int, error)
	// CountClosures counts the organization's accounts whose ClosedAt is after since.
	CountClosures(ctx context.Context, orgID string, since time.Time) (int, error)

	// Organization returns the organization with this id, or ErrNotFound.
	Organization(ctx context.Context, id string) (*Organization, error)
	// PutOrganization inserts or replaces an organization. It returns ErrConflict when another
	// organization has the same root id.
	PutOrganization(ctx context.Context, o *Organization) error
	// DeleteOrganization removes the organization row; it returns ErrNotFound if there was none.
	DeleteOrganization(ctx context.Context, id string) error
	// ListOrganizations returns up to limit organizations ordered by ID, after afterID
	// (limit <= 0: no limit). Only a snapshot reads every organization; the API reads one.
	ListOrganizations(ctx context.Context, afterID string, limit int) ([]Organization, error)

	// OU returns the organizational unit with this id, or ErrNotFound.
	OU(ctx context.Context, id string) (*OU, error)
	// PutOU inserts or replaces an OU; an insert assigns u.Seq, greater than that of every
	// OU under the same parent, a replacement keeps it. It returns ErrConflict when another
	// OU under the same parent has the same name (compared exactly).
	PutOU(ctx context.Context, u *OU) error
	// DeleteOU removes an OU; it returns ErrNotFound if there was none.
	DeleteOU(ctx context.Context, id string) error
	// DeleteOUs removes every OU of an organization.
	DeleteOUs(ctx context.Context, orgID string) error
	// ListOUs returns up to q.Limit OUs matching q ordered by ID, starting after q.AfterID,
	// or, with q.Order ByCreation (q.ParentID set), by Seq after q.AfterSeq.
	ListOUs(ctx context.Context, q OUQuery) ([]OU, error)
	// CountOUs counts the OUs matching q (AfterID and Limit are ignored).
	CountOUs(ctx context.Context, q OUQuery) (int, error)

	// CreateAccountRequest returns the CreateAccount request with this id, or ErrNotFound.
	CreateAccountRequest(ctx context.Context, id string) (*CreateAccountRequest, error)
	// PutCreateAccountRequest inserts a request (assigning r.Seq, increasing with every insert)
	// or, when one with r.ID exists, replaces it keeping its Seq.
	PutCreateAccountRequest(ctx context.Context, r *CreateAccountRequest) error
	// ListCreateAccountRequests returns up to q.Limit requests matching q after q.AfterSeq,
	// ordered by Seq within an organization, or by CompletesAt when q.OrgID is empty.
	ListCreateAccountRequests(ctx context.Context, q CreateAccountQuery) ([]CreateAccountRequest, error)
	// CountCreateAccountRequests counts the requests matching q (AfterSeq and Limit are ignored).
	CountCreateAccountRequests(ctx context.Context, q CreateAccountQuery) (int, error)
	// DeleteCreateAccountRequests removes every request of an organization.
	DeleteCreateAccountRequests(ctx context.Context, orgID string) error

	// Handshake returns the handshake with this id, or ErrNotFound.
	Handshake(ctx context.Context, id string) (*Handshake, error)
	// PutHandshake inserts a handshake (assigning h.Seq, increasing with every insert) or, when
	// one with h.ID exists, replaces it keeping its Seq.
	PutHandshake(ctx context.Context, h *Handshake) error
	// ListHandshakes returns up to q.Limit handshakes matching q ordered by Seq, after q.AfterSeq.
	ListHandshakes(ctx context.Context, q HandshakeQuery) ([]Handshake, error)
	// ExpireHandshakes stores EXPIRED on handshakes still stored OPEN or REQUESTED whose
	// ExpiresAt is at or before now, and returns their ids: with orgID, every such INVITE
	// handshake of that organization; without, up to limit such handshakes of any kind and
	// organization, those that expired first. It costs what expired since the last call, not
	// what is open.
	ExpireHandshakes(ctx context.Context, orgID string, now time.Time, limit int) ([]string, error)
	// CountOpenInvitations counts the organization's INVITE handshakes stored OPEN or
	// REQUESTED, at the cost of one row read (an organization is stored before its first
	// invitation).
	CountOpenInvitations(ctx context.Context, orgID string) (int, error)
	// CountRecentInvitations counts the organization's INVITE handshakes requested after
	// since that were not accepted. Calls with a since that only grows cost what left the
	// window since the last call; it writes, so it runs in write transactions only.
	CountRecentInvitations(ctx context.Context, orgID string, since time.Time) (int, error)
	// CountHandshakes counts the handshakes matching q (AfterSeq and Limit are ignored).
	CountHandshakes(ctx context.Context, q HandshakeQuery) (int, error)

	// Tags returns the tags of a resource ordered by key, or with ByCreation in the order
	// their keys were first put (none is not an error).
	Tags(ctx context.Context, resourceID string, order ListOrder) ([]Tag, error)
	// CountTags returns how many tags a resource has (none is not an error).
	CountTags(ctx context.Context, resourceID string) (int, error)
	// PutTags adds tags to a resource, replacing the value of keys it already has (which keep
	// their place in the ByCreation order).
	PutTags(ctx context.Context, resourceID string, tags []Tag) error
	// DeleteTags removes the given keys from a resource; keys it does not have are ignored.
	DeleteTags(ctx context.Context, resourceID string, keys []string) error
	// DeleteAllTags removes every tag of a resource.
	DeleteAllTags(ctx context.Context, resourceID string) error

	// Policy returns the customer-managed policy with this id, or ErrNotFound.
	Policy(ctx context.Context, id string) (*Policy, error)
	// PutPolicy inserts or replaces a policy; an insert assigns p.Seq, greater than that of
	// every policy of the organization and type, a replacement keeps it. It returns
	// ErrConflict when another policy of the same organization and type has the same name
	// (compared exactly).
	PutPolicy(ctx context.Context, p *Policy) error
	// DeletePolicy removes a policy; it returns ErrNotFound if there was none.
	DeletePolicy(ctx context.Context, id string) error
	// ListPolicies returns up to q.Limit policies of q.OrgID and q.Type ordered by ID,
	// starting after q.AfterID, or, with q.Order ByCreation, by Seq after q.AfterSeq.
	ListPolicies(ctx context.Context, q PolicyQuery) ([]Policy, error)
	// CountPolicies counts the policies of q.OrgID and q.Type (AfterID and Limit are ignored).
	CountPolicies(ctx context.Context, q PolicyQuery) (int, error)
	// DeletePolicies removes every policy of an organization.
	DeletePolicies(ctx context.Context, orgID string) error

	// PolicyAttachment returns the attachment of a policy to a target, or ErrNotFound.
	PolicyAttachment(ctx context.Context, orgID, policyID, targetID string) (*PolicyAttachment, error)
	// PutPolicyAttachment inserts an attachment, assigning a.Seq greater than that of every
	// attachment of the same target and policy type, and a.PolicySeq greater than that of
	// every attachment of the policy. It returns ErrConflict when the policy
	// is already attached to the target.
	PutPolicyAttachment(ctx context.Context, a *PolicyAttachment) error
	// DeletePolicyAttachment removes an attachment; it returns ErrNotFound if there was none.
	DeletePolicyAttachment(ctx context.Context, orgID, policyID, targetID string) error
	// ListPolicyAttachments returns up to q.Limit attachments of q.OrgID. With q.PolicyID it
	// returns that policy's attachments ordered by TargetID after q.AfterTargetID, or with
	// q.Order ByCreation in the order they were attached (PolicySeq) after q.AfterSeq; otherwise
	// q.TargetID and q.PolicyType must be set and it returns the target's attachments of the
	// type in attachment order (Seq), after q.AfterSeq.
	ListPolicyAttachments(ctx context.Context, q PolicyAttachmentQuery) ([]PolicyAttachment, error)
	// CountPolicyAttachments counts the attachments of q.OrgID to q.TargetID, of q.PolicyType
	// when set (the After fields and Limit are ignored).
	CountPolicyAttachments(ctx context.Context, q PolicyAttachmentQuery) (int, error)
	// DeletePolicyAttachments removes the attachments of q.OrgID matching q.TargetID and
	// q.PolicyType, each when set (q.PolicyID, the After fields and Limit are ignored).
	DeletePolicyAttachments(ctx context.Context, q PolicyAttachmentQuery) error

	// EnabledPolicyTypes returns the policy types enabled in an organization's root, ordered
	// by type (none is not an error).
	EnabledPolicyTypes(ctx context.Context, orgID string) ([]EnabledPolicyType, error)
	// PutEnabledPolicyType inserts or replaces an enabled policy type.
	PutEnabledPolicyType(ctx context.Context, e *EnabledPolicyType) error
	// DeleteEnabledPolicyType removes an enabled policy type; it returns ErrNotFound if the
	// type was not enabled.
	DeleteEnabledPolicyType(ctx context.Context, orgID, policyType string) error
	// DeleteEnabledPolicyTypes removes every enabled policy type of an organization.
	DeleteEnabledPolicyTypes(ctx context.Context, orgID string) error

	// AddOutbox appends a message to the outbox, assigning m.Seq (increasing); it is stored
	// pending, due at once, whatever m.Delivery holds.
	AddOutbox(ctx context.Context, m *OutboxMessage) error
	// ListOutbox returns up to limit messages with Seq > afterSeq, ordered by Seq.
	ListOutbox(ctx context.Context, afterSeq int64, limit int) ([]OutboxMessage, error)
	// ClaimOutbox takes up to limit pending messages due at now (NextAttemptAt at or before
	// it), ordered by Seq: it moves their NextAttemptAt to until and counts an attempt, so
	// that no other claim takes them before until, and returns them as stored after.
	ClaimOutbox(ctx context.Context, now, until time.Time, limit int) ([]OutboxMessage, error)
	// SetDelivery stores a message's delivery state; ErrNotFound if there is no such message.
	SetDelivery(ctx context.Context, seq int64, d Delivery) error

	// Reset deletes every row of every table, settings included.
	Reset(ctx context.Context) error
}

// ListOrder is the order in which a list query answers.
type ListOrder int

const (
	// ByID orders by id (a tag: by key) and pages after AfterID: the order AWS's lists are
	// observed in.
	ByID ListOrder = iota
	// ByCreation orders by the store's creation sequence (Seq) and pages after AfterSeq: the
	// order of the moto profile.
	ByCreation
)

// AccountQuery selects accounts for ListAccounts.
type AccountQuery struct {
	OrgID    string // "" selects every account the store knows, standalone or not
	ParentID string // "" selects any parent
	Order    ListOrder
	AfterID  string // exclusive lower bound on ID (ByID); "" starts at the beginning
	AfterSeq int64  // exclusive lower bound on Seq (ByCreation); 0 starts at the beginning
	Limit    int
}

// OUQuery selects the OUs of one organization.
type OUQuery struct {
	OrgID    string
	ParentID string // "" selects any parent
	Order    ListOrder
	AfterID  string
	AfterSeq int64
	Limit    int
}

// CreateAccountQuery selects CreateAccount requests. Zero-valued fields do not filter.
type CreateAccountQuery struct {
	OrgID    string
	States   []string  // state IN States
	DueBy    time.Time // completes_at <= DueBy
	AfterSeq int64
	Limit    int
}

// HandshakeQuery selects handshakes. Zero-valued fields do not filter.
type HandshakeQuery struct {
	OrgID string
	// RecipientAccountID and RecipientEmail select handshakes addressed to an account: when both
	// are set a handshake matches if either matches (an account receives invitations sent to
	// its id and to its e-mail). RecipientEmail is compared case-insensitively.
	RecipientAccountID string
	RecipientEmail     string
	Partition          string
	Action             string
	ParentID           string
	States             []string  // state IN States
	NotStates          []string  // state NOT IN NotStates
	ExpiresAfter       time.Time // expires_at > ExpiresAfter
	VisibleAfter       time.Time // visible_until > VisibleAfter
	AfterSeq           int64
	Limit              int
}

// PolicyQuery selects the policies of one type of one organization.
type PolicyQuery struct {
	OrgID    string
	Type     string
	Order    ListOrder
	AfterID  string
	AfterSeq int64
	Limit    int
}

// PolicyAttachmentQuery selects policy attachments of one organization; see
// Tx.ListPolicyAttachments for the combinations each method takes.
type PolicyAttachmentQuery struct {
	OrgID         string
	PolicyID      string
	TargetID      string
	PolicyType    string
	Order         ListOrder // with PolicyID: ByID pages on AfterTargetID, ByCreation on AfterSeq
	AfterTargetID string    // with PolicyID
	AfterSeq      int64     // with TargetID and PolicyType (Seq), or PolicyID ByCreation (PolicySeq)
	Limit         int
}

func isNotFound(err error) bool { return errors.Is(err, ErrNotFound) }
