package org

import (
	"context"
	"time"
)

// Trusted access, delegated administrators, the resource-based delegation policy and
// responsibility transfers (spec §8.2–§8.5): their rows and the Tx methods that keep them.

// ServiceAccess is an AWS service principal with trusted access to an organization.
type ServiceAccess struct {
	OrgID            string
	ServicePrincipal string
	EnabledAt        time.Time
	Seq              int64 // creation order within the organization, assigned by PutServiceAccess on insert
}

// ServiceAccessQuery selects the trusted accesses of one organization: by principal after
// After, or with Order ByCreation by Seq after AfterSeq (Limit <= 0: no limit).
type ServiceAccessQuery struct {
	OrgID    string
	Order    ListOrder
	After    string
	AfterSeq int64
	Limit    int
}

// DelegatedAdmin is a member account registered as delegated administrator of one service.
type DelegatedAdmin struct {
	OrgID            string
	AccountID        string
	ServicePrincipal string // "" in the one-row-per-account listing (see DelegatedAdminQuery)
	EnabledAt        time.Time
	// Seq orders the account's registrations (the order they were made); AccountSeq orders
	// the organization's administrators by their first registration: every registration of
	// an account carries the same, kept while the account has any (moto keeps one entry per
	// account, appended at its first registration). PutDelegatedAdmin assigns both on insert.
	Seq        int64
	AccountSeq int64
}

// ResourcePolicy is an organization's resource-based delegation policy; there is at most one.
type ResourcePolicy struct {
	ID        string // rp-…
	OrgID     string
	Content   string // as sent: AWS answers the document byte for byte
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Transfer is a responsibility transfer. The inviter is the Target (the organization that
// takes the responsibility over, which sees the transfer as inbound); the invited management
// account is the Source (outbound). Its Status follows its handshake while REQUESTED: a
// REQUESTED transfer past ExpiresAt is EXPIRED without a write (see transferStatus).
type Transfer struct {
	ID     string // rt-…
	Seq    int64  // insertion order, assigned by the store; lists page on it
	Type   string // BILLING
	Name   string
	Status string

	HandshakeID string

	TargetOrgID     string
	TargetAccountID string // the inviter's management account
	TargetEmail     string

	SourceOrgID     string // set when the invitation is accepted
	SourceAccountID string // the invited account, resolved when the invitation is sent
	SourceEmail     string

	StartAt   time.Time
	EndAt     time.Time // zero until the transfer is terminated
	ExpiresAt time.Time // when the invitation's handshake expires
	CreatedAt time.Time
}

// DelegatedAdminQuery selects delegated administrators of one organization.
//
// With AccountID set it returns that account's registrations ordered by ServicePrincipal,
// After being a service principal; else with ServicePrincipal set the service's
// administrators ordered by AccountID, After being an account id; else one row per account
// (ServicePrincipal empty, EnabledAt its earliest registration) ordered by AccountID. With
// Order ByCreation each orders by creation instead and pages on AfterSeq: an account's
// registrations by Seq, administrators by AccountSeq.
type DelegatedAdminQuery struct {
	OrgID            string
	AccountID        string
	ServicePrincipal string
	Order            ListOrder
	After            string // exclusive lower bound on the order key (ByID); "" starts at the beginning
	AfterSeq         int64  // exclusive lower bound on Seq or AccountSeq (ByCreation)
	Limit            int
}

// TransferQuery selects transfers. Zero-valued fields do not filter: the API sets one of
// TargetOrgID, SourceOrgID and SourceAccountID; a snapshot sets none, to read every transfer.
type TransferQuery struct {
	TargetOrgID     string // inbound transfers of an organization
	SourceOrgID     string // outbound transfers of an organization (accepted ones)
	SourceAccountID string // transfers offered to or accepted by an account
	Statuses        []string
	ExpiresAfter    time.Time // expires_at > ExpiresAfter
	AfterSeq        int64
	Limit           int
}

// delegationTx holds the Tx methods of this file's rows. Every method wraps store failures
// with context; the errors named are those a caller tests with errors.Is.
type delegationTx interface {
	// ServiceAccess returns the trusted access of principal in the organization, or
	// ErrNotFound.
	ServiceAccess(ctx context.Context, orgID, principal string) (*ServiceAccess, error)
	// PutServiceAccess inserts or replaces the trusted access of a.ServicePrincipal; an insert
	// assigns a.Seq, greater than that of the organization's others, a replacement keeps it.
	PutServiceAccess(ctx context.Context, a *ServiceAccess) error
	// DeleteServiceAccess removes a trusted access; ErrNotFound if there was none.
	DeleteServiceAccess(ctx context.Context, orgID, principal string) error
	// ListServiceAccess returns up to q.Limit trusted accesses of the organization as
	// ServiceAccessQuery says.
	ListServiceAccess(ctx context.Context, q ServiceAccessQuery) ([]ServiceAccess, error)
	// DeleteServiceAccesses removes every trusted access of an organization.
	DeleteServiceAccesses(ctx context.Context, orgID string) error

	// DelegatedAdmin returns one registration, or ErrNotFound.
	DelegatedAdmin(ctx context.Context, orgID, accountID, principal string) (*DelegatedAdmin, error)
	// PutDelegatedAdmin inserts or replaces a registration; an insert assigns d.Seq and
	// d.AccountSeq (see DelegatedAdmin), a replacement keeps them.
	PutDelegatedAdmin(ctx context.Context, d *DelegatedAdmin) error
	// DeleteDelegatedAdmin removes one registration; ErrNotFound if there was none.
	DeleteDelegatedAdmin(ctx context.Context, orgID, accountID, principal string) error
	// DeleteDelegatedAdmins removes every registration of an account in the organization, or
	// of the whole organization when accountID is "".
	DeleteDelegatedAdmins(ctx context.Context, orgID, accountID string) error
	// ListDelegatedAdmins returns up to q.Limit registrations as DelegatedAdminQuery says
	// (q.Limit <= 0: no limit).
	ListDelegatedAdmins(ctx context.Context, q DelegatedAdminQuery) ([]DelegatedAdmin, error)
	// CountDelegatedAdmins counts the registrations matching q.OrgID, q.AccountID and
	// q.ServicePrincipal (After and Limit are ignored).
	CountDelegatedAdmins(ctx context.Context, q DelegatedAdminQuery) (int, error)

	// ResourcePolicy returns the organization's delegation policy, or ErrNotFound.
	ResourcePolicy(ctx context.Context, orgID string) (*ResourcePolicy, error)
	// PutResourcePolicy inserts or replaces the organization's delegation policy.
	PutResourcePolicy(ctx context.Context, p *ResourcePolicy) error
	// DeleteResourcePolicy removes the organization's delegation policy; ErrNotFound if there
	// was none.
	DeleteResourcePolicy(ctx context.Context, orgID string) error

	// Transfer returns the transfer with this id, or ErrNotFound.
	Transfer(ctx context.Context, id string) (*Transfer, error)
	// TransferByHandshake returns the transfer a TRANSFER_RESPONSIBILITY handshake offers, or
	// ErrNotFound.
	TransferByHandshake(ctx context.Context, handshakeID string) (*Transfer, error)
	// PutTransfer inserts a transfer (assigning tr.Seq, increasing with every insert) or, when
	// one with tr.ID exists, replaces it keeping its Seq.
	PutTransfer(ctx context.Context, tr *Transfer) error
	// ListTransfers returns up to q.Limit transfers matching q ordered by Seq, after
	// q.AfterSeq (q.Limit <= 0: no limit).
	ListTransfers(ctx context.Context, q TransferQuery) ([]Transfer, error)
	// CountTransfers counts the transfers matching q (AfterSeq and Limit are ignored).
	CountTransfers(ctx context.Context, q TransferQuery) (int, error)
}
