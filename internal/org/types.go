package org

import "time"

// Account is an AWS account as orgd knows it: standalone (OrgID empty) or a member of one
// organization. Every 12-digit id is an account; one the store has no row for is a standalone
// account with default attributes (see defaultAccount).
type Account struct {
	ID             string
	Email          string
	Name           string
	SellerOfRecord string // SellerAWS or SellerAISPL

	// Flags that real AWS keeps elsewhere and that the handshake rules consult.
	PaymentInstrument bool // has a payment method (PAYMENT_INSTRUMENT_REQUIRED)
	EmailVerified     bool // owner verified the e-mail (MANAGEMENT_ACCOUNT_EMAIL_NOT_VERIFIED)

	OrgID        string
	ParentID     string // the root or OU the account sits under, when OrgID is set
	JoinedMethod string // INVITED or CREATED
	JoinedAt     time.Time
	State        string // AccountState: ACTIVE, SUSPENDED, ...
	// ClosedAt is when CloseAccount was called; the closure states follow from it (see
	// accountState).
	ClosedAt time.Time
	// Seq is the order in which the account joined its organization, assigned by the store
	// whenever PutAccount stores a new OrgID (greater than that of every account already in
	// the organization); lists in creation order page on it. Meaningless while standalone.
	Seq int64
}

// Sellers of record: accounts of different sellers cannot share an organization.
const (
	SellerAWS   = "AWS"
	SellerAISPL = "AISPL"
)

// Organization is an organization with its single root.
type Organization struct {
	ID                  string
	FeatureSet          string // ALL or CONSOLIDATED_BILLING
	ManagementAccountID string
	RootID              string
	// Partition is the AWS partition (aws, aws-cn, aws-us-gov, ...) the organization was
	// created in: every ARN of it names it, and only callers signing for a region of it see
	// the organization.
	Partition string
	CreatedAt time.Time
	// SCPVersion counts the changes that alter which SCPs or RCPs apply to which account
	// (attach and detach of any policy, an update of a policy's content, moves, OUs deleted,
	// a policy type enabled or disabled, accounts leaving): a write that makes one bumps it in
	// its own transaction, so that parsed levels cached under it are never stale, on any
	// replica.
	SCPVersion int64
}

// Handshake is a request between an organization and an account (invitation, all-features
// approval). Parties and Resources are kept as sent so later reads answer what was offered.
type Handshake struct {
	ID    string
	Seq   int64 // insertion order, assigned by the store; lists page on it
	OrgID string
	// ManagementAccountID is the sender organization's management account when the handshake
	// was sent; it is part of the handshake's ARN, which must not change if the org is deleted.
	ManagementAccountID string
	// Partition is the sender organization's partition, kept for the same reason; only
	// callers of that partition see the handshake.
	Partition string
	Action    string
	// State is the stored state; an OPEN or REQUESTED handshake past ExpiresAt is EXPIRED
	// without a write (see effectiveState).
	State string

	RecipientAccountID string // set for ACCOUNT targets and for all-features handshakes
	RecipientEmail     string // lower-cased, set for EMAIL targets
	ParentID           string // the ENABLE_ALL_FEATURES handshake of an APPROVE_ALL_FEATURES child

	Parties   []Party
	Resources []Resource
	Tags      []Tag // attached to the account when an invitation is accepted

	RequestedAt  time.Time
	ExpiresAt    time.Time
	ClosedAt     time.Time // zero while OPEN or REQUESTED
	VisibleUntil time.Time // after this the handshake is gone (HandshakeNotFoundException)
}

// Party is a HandshakeParty.
type Party struct {
	ID   string `json:"Id"`
	Type string `json:"Type"`
}

// Resource is a HandshakeResource; resources nest (the ORGANIZATION resource of an
// invitation carries the management account's e-mail and name).
type Resource struct {
	Type      string     `json:"Type"`
	Value     string     `json:"Value"`
	Resources []Resource `json:"Resources,omitempty"`
}

// Tag is a key-value pair on a resource.
type Tag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

// OutboxMessage is an e-mail that AWS would send, kept until a mailer delivers it.
type OutboxMessage struct {
	Seq         int64
	HandshakeID string
	To          string
	Subject     string
	Body        string
	CreatedAt   time.Time
	Delivery
}

// The states of an outbox message's delivery.
const (
	MailPending   = "pending"   // not delivered yet: due at NextAttemptAt
	MailDelivered = "delivered" // the SMTP server accepted it
	MailFailed    = "failed"    // the SMTP server refused it for good (a 5xx answer)
)

// Delivery is where an outbox message's delivery stands. Its times are the real clock's, not
// the admin clock's: a mail server does not live on orgd's moved clock.
type Delivery struct {
	State         string    // MailPending, MailDelivered or MailFailed
	Attempts      int       // delivery attempts begun (claims)
	NextAttemptAt time.Time // a pending message is not tried before; zero: at once
	LastAnswer    string    // the SMTP server's last answer, or why it could not be reached
	SentAt        time.Time // zero until delivered
}

// OU is an organizational unit. It never moves, so its Path (the organization, the root and
// every OU down to this one, as in Account.Paths) and Depth are fixed when it is created.
type OU struct {
	ID        string
	OrgID     string
	ParentID  string // the root or an OU
	Name      string
	Path      string // o-…/r-…/ou-…/ou-this/
	Depth     int    // 1 directly under the root
	CreatedAt time.Time
	Seq       int64 // creation order among its siblings, assigned by the store (Tx.PutOU)
}

// CreateAccountRequest is a CreateAccount or CreateGovCloudAccount call: IN_PROGRESS until
// CompletesAt, when the service settles it as SUCCEEDED (AccountID set) or FAILED
// (FailureReason set).
type CreateAccountRequest struct {
	ID                     string // car-…
	Seq                    int64  // insertion order, assigned by the store; lists page on it
	OrgID                  string
	AccountName            string
	Email                  string
	RoleName               string
	IAMUserAccessToBilling string
	Tags                   []Tag
	GovCloud               bool

	State             string
	AccountID         string
	GovCloudAccountID string
	FailureReason     string

	RequestedAt time.Time
	CompletesAt time.Time
	CompletedAt time.Time // zero while IN_PROGRESS
}

// Policy is a customer-managed policy. The AWS-managed policies (p-FullAWSAccess,
// p-RCPFullAWSAccess) exist in every all-features organization without a row (see
// awsManagedPolicies).
type Policy struct {
	ID          string // p- and 8 lowercase letters or digits
	OrgID       string
	Type        string // PolicyType
	Name        string
	Description string
	Content     string
	CreatedAt   time.Time
	UpdatedAt   time.Time
	Seq         int64 // creation order within its type, assigned by the store (Tx.PutPolicy); AWS-managed: 0
}

// PolicyAttachment is a policy attached directly to a root, an OU or an account.
type PolicyAttachment struct {
	OrgID      string
	PolicyID   string
	TargetID   string
	PolicyType string // the policy's type, so that a target's policies of one type are one range
	TargetType string // TargetType: ROOT, ORGANIZATIONAL_UNIT or ACCOUNT
	// Seq orders the target's attachments of one type: the store assigns one greater than
	// every other, so detaching and attaching again moves a policy last, as the
	// effective-policy merge requires.
	Seq int64
	// PolicySeq orders the policy's attachments (ListTargetsForPolicy under the moto
	// profile): the store assigns one greater than every other attachment of the policy.
	PolicySeq  int64
	AttachedAt time.Time
}

// EnabledPolicyType is a policy type enabled in an organization's root.
type EnabledPolicyType struct {
	OrgID     string
	RootID    string
	Type      string // PolicyType
	Status    string // PolicyTypeStatus; orgd enables at once, so ENABLED
	EnabledAt time.Time
}
