// Package snapshot saves orgd's whole state as one versioned JSON document and restores it
// into an empty store (issue 14 §2). Export reads through org.Store in one read transaction;
// Import checks the document against the rules the API keeps (ids, references, enums, policy
// grammar) and writes it in one transaction, so a refused document writes nothing.
//
// A document lists everything in the order the store keeps it (creation order where lists
// page on it, ids elsewhere), and Import writes it in that order, so that the places the
// store assigns on insert (Seq) come out in the same order: export, import and export again
// gives the same bytes. The Seq numbers themselves are not in the document: only their
// order is observable.
//
// Deliberately left out: the pagination key (a secret, and each server keeps its own: tokens
// from before an import are not valid after it), live STS sessions (secrets that expire
// anyway), the outbox (e-mails already due to be sent, not state a test starts from), the
// IAM users of the credentials file (configuration, not state) and the organizations' SCP
// version (a cache key: Import starts it afresh so that no cache of any replica is stale).
package snapshot

import (
	"time"

	"github.com/orgd/orgd/internal/org"
)

// Format names a snapshot document; Version is the newest version this orgd reads and the one
// it writes. A later version that adds what older readers cannot ignore bumps it.
const (
	Format  = "orgd-snapshot"
	Version = 1
)

// Document is the whole state of one orgd.
type Document struct {
	// Format is always Format, and Version the document's version: Import refuses a newer
	// one, naming both versions.
	Format  string `json:"format"`
	Version int    `json:"version"`
	// Settings are the server's settings that are state rather than configuration.
	Settings Settings `json:"settings"`
	// Organizations, by id, each with everything that belongs to it.
	Organizations []Organization `json:"organizations"`
	// Accounts are the standalone accounts (members are their organization's), by id: the
	// registered ones and those that left an organization.
	Accounts []Account `json:"accounts"`
	// Handshakes, in the order they were sent, of every state; a handshake outlives the
	// organization that sent it until its VisibleUntil.
	Handshakes []Handshake `json:"handshakes"`
	// Transfers are the responsibility transfers, in the order they were offered.
	Transfers []Transfer `json:"transfers"`
	// Roles are the IAM roles STS can assume (declared through the admin API or the
	// credentials file, or made by CreateAccount), by account and name.
	Roles []Role `json:"roles"`
}

// Settings are the server-wide settings a snapshot keeps.
type Settings struct {
	// ClockOffsetMillis is how far the admin clock has moved the server's time ahead of
	// the real clock (orgd clock --advance), in milliseconds.
	ClockOffsetMillis int64 `json:"clockOffsetMillis"`
}

// Tag is a tag of a resource; a resource's tags are listed in the order their keys were
// first put, the order the moto profile lists them in.
type Tag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Organization is an organization with its root and everything in it. Its ARNs are made of
// its Partition, ManagementAccountID, ID and RootID, and its resources' ids.
type Organization struct {
	ID                  string    `json:"id"`                  // o-…
	FeatureSet          string    `json:"featureSet"`          // ALL or CONSOLIDATED_BILLING
	Partition           string    `json:"partition"`           // aws, aws-cn, aws-us-gov, …
	ManagementAccountID string    `json:"managementAccountId"` // one of Accounts
	RootID              string    `json:"rootId"`              // r-…
	CreatedAt           time.Time `json:"createdAt"`
	RootTags            []Tag     `json:"rootTags,omitempty"`
	// EnabledPolicyTypes are the policy types enabled in the root, by type.
	EnabledPolicyTypes []EnabledPolicyType `json:"enabledPolicyTypes,omitempty"`
	// TrustedServices are the service principals with trusted access, in the order it was
	// enabled.
	TrustedServices []TrustedService `json:"trustedServices,omitempty"`
	// OUs lists the organizational units depth first, each after its parent, siblings in
	// the order they were created.
	OUs []OU `json:"ous,omitempty"`
	// Accounts are the members, in the order they joined (the management account too).
	Accounts []Account `json:"accounts"`
	// Policies are the customer-managed policies, by type and then in creation order. The
	// AWS-managed ones (p-FullAWSAccess, p-RCPFullAWSAccess) have no entry.
	Policies []Policy `json:"policies,omitempty"`
	// Attachments are the policies attached to the root, OUs and accounts, in an order
	// consistent with both the order of each target's policies of a type (the order the
	// effective-policy merge applies them in) and of each policy's targets.
	Attachments []Attachment `json:"attachments,omitempty"`
	// DelegatedAdministrators are the registrations, grouped by account in the order each
	// account was first registered, and in registration order within an account.
	DelegatedAdministrators []DelegatedAdministrator `json:"delegatedAdministrators,omitempty"`
	// ResourcePolicy is the organization's resource-based delegation policy, if it has one.
	ResourcePolicy *ResourcePolicy `json:"resourcePolicy,omitempty"`
	// CreateAccountStatuses are the CreateAccount and CreateGovCloudAccount requests, in
	// the order they were made.
	CreateAccountStatuses []CreateAccountStatus `json:"createAccountStatuses,omitempty"`
}

// EnabledPolicyType is a policy type enabled in the root.
type EnabledPolicyType struct {
	Type      string    `json:"type"`
	Status    string    `json:"status"` // PolicyTypeStatus
	EnabledAt time.Time `json:"enabledAt"`
}

// TrustedService is a service principal with trusted access to the organization.
type TrustedService struct {
	ServicePrincipal string    `json:"servicePrincipal"`
	EnabledAt        time.Time `json:"enabledAt"`
}

// OU is an organizational unit; its path and depth follow from its parents.
type OU struct {
	ID        string    `json:"id"`       // ou-…
	ParentID  string    `json:"parentId"` // the root or an OU listed before
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"createdAt"`
	Tags      []Tag     `json:"tags,omitempty"`
}

// Account is an AWS account: a member (in its organization's Accounts, with ParentID,
// JoinedMethod and JoinedAt) or standalone (in Document.Accounts, without them).
type Account struct {
	ID                string    `json:"id"` // 12 digits
	Email             string    `json:"email"`
	Name              string    `json:"name"`
	SellerOfRecord    string    `json:"sellerOfRecord"` // AWS or AISPL
	PaymentInstrument bool      `json:"paymentInstrument"`
	EmailVerified     bool      `json:"emailVerified"`
	State             string    `json:"state"` // AccountState
	ParentID          string    `json:"parentId,omitempty"`
	JoinedMethod      string    `json:"joinedMethod,omitempty"` // INVITED or CREATED
	JoinedAt          time.Time `json:"joinedAt,omitzero"`
	// ClosedAt is when CloseAccount was called: the account's closure state (PENDING_CLOSURE,
	// SUSPENDED, CLOSED) follows from it and the server's clock.
	ClosedAt time.Time `json:"closedAt,omitzero"`
	Tags     []Tag     `json:"tags,omitempty"`
}

// Policy is a customer-managed policy.
type Policy struct {
	ID          string    `json:"id"` // p-…
	Type        string    `json:"type"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	Content     string    `json:"content"` // kept byte for byte, as AWS answers it
	CreatedAt   time.Time `json:"createdAt"`
	UpdatedAt   time.Time `json:"updatedAt"`
	Tags        []Tag     `json:"tags,omitempty"`
}

// Attachment is a policy attached to a target: the root, an OU or a member account. The
// policy is one of the organization's Policies or an AWS-managed one, of an enabled type.
type Attachment struct {
	PolicyID   string    `json:"policyId"`
	TargetID   string    `json:"targetId"`
	AttachedAt time.Time `json:"attachedAt"`
}

// DelegatedAdministrator is a member account registered as delegated administrator of a
// service.
type DelegatedAdministrator struct {
	AccountID        string    `json:"accountId"`
	ServicePrincipal string    `json:"servicePrincipal"`
	EnabledAt        time.Time `json:"enabledAt"`
}

// ResourcePolicy is the organization's resource-based delegation policy.
type ResourcePolicy struct {
	ID        string    `json:"id"`      // rp-…
	Content   string    `json:"content"` // kept byte for byte
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
	Tags      []Tag     `json:"tags,omitempty"`
}

// CreateAccountStatus is a CreateAccount or CreateGovCloudAccount request.
type CreateAccountStatus struct {
	ID                     string    `json:"id"` // car-…
	AccountName            string    `json:"accountName"`
	Email                  string    `json:"email"`
	RoleName               string    `json:"roleName"`
	IAMUserAccessToBilling string    `json:"iamUserAccessToBilling"`
	Tags                   []Tag     `json:"tags,omitempty"`
	GovCloud               bool      `json:"govCloud,omitempty"`
	State                  string    `json:"state"` // CreateAccountState
	AccountID              string    `json:"accountId,omitempty"`
	GovCloudAccountID      string    `json:"govCloudAccountId,omitempty"`
	FailureReason          string    `json:"failureReason,omitempty"`
	RequestedAt            time.Time `json:"requestedAt"`
	CompletesAt            time.Time `json:"completesAt"`
	CompletedAt            time.Time `json:"completedAt,omitzero"`
}

// Handshake is a handshake as stored: State is the stored one, which an OPEN or REQUESTED
// handshake past ExpiresAt reads as EXPIRED without a write.
type Handshake struct {
	ID                  string     `json:"id"` // h-…
	OrganizationID      string     `json:"organizationId,omitempty"`
	ManagementAccountID string     `json:"managementAccountId,omitempty"`
	Partition           string     `json:"partition"`
	Action              string     `json:"action"` // ActionType
	State               string     `json:"state"`  // HandshakeState
	RecipientAccountID  string     `json:"recipientAccountId,omitempty"`
	RecipientEmail      string     `json:"recipientEmail,omitempty"`
	ParentID            string     `json:"parentId,omitempty"` // the ENABLE_ALL_FEATURES handshake of an approval
	Parties             []Party    `json:"parties,omitempty"`
	Resources           []Resource `json:"resources,omitempty"`
	Tags                []Tag      `json:"tags,omitempty"` // put on the account when it accepts
	RequestedAt         time.Time  `json:"requestedAt"`
	ExpiresAt           time.Time  `json:"expiresAt"`
	ClosedAt            time.Time  `json:"closedAt,omitzero"`
	VisibleUntil        time.Time  `json:"visibleUntil,omitzero"`
}

// Party is a HandshakeParty.
type Party struct {
	ID   string `json:"id"`
	Type string `json:"type"` // HandshakePartyType
}

// Resource is a HandshakeResource; resources nest.
type Resource struct {
	Type      string     `json:"type"` // HandshakeResourceType
	Value     string     `json:"value"`
	Resources []Resource `json:"resources,omitempty"`
}

// Transfer is a responsibility transfer.
type Transfer struct {
	ID              string    `json:"id"`   // rt-…
	Type            string    `json:"type"` // ResponsibilityTransferType
	Name            string    `json:"name"`
	Status          string    `json:"status"`      // ResponsibilityTransferStatus
	HandshakeID     string    `json:"handshakeId"` // one of Document.Handshakes
	TargetOrgID     string    `json:"targetOrganizationId"`
	TargetAccountID string    `json:"targetAccountId"`
	TargetEmail     string    `json:"targetEmail"`
	SourceOrgID     string    `json:"sourceOrganizationId,omitempty"`
	SourceAccountID string    `json:"sourceAccountId"`
	SourceEmail     string    `json:"sourceEmail"`
	StartAt         time.Time `json:"startAt,omitzero"`
	EndAt           time.Time `json:"endAt,omitzero"`
	ExpiresAt       time.Time `json:"expiresAt,omitzero"`
	CreatedAt       time.Time `json:"createdAt"`
	Tags            []Tag     `json:"tags,omitempty"`
}

// Role is an IAM role that STS's AssumeRole can assume.
type Role struct {
	AccountID          string    `json:"accountId"`
	Name               string    `json:"name"`
	ID                 string    `json:"id"` // AROA…
	TrustedPrincipals  []string  `json:"trustedPrincipals"`
	MaxSessionDuration int       `json:"maxSessionDuration"` // seconds
	CreatedAt          time.Time `json:"createdAt"`
	// Policies are its identity policy documents (none: it administers its account),
	// PermissionsBoundary its boundary ("" for none), Tags its principal tags.
	Policies            []string          `json:"policies,omitempty"`
	PermissionsBoundary string            `json:"permissionsBoundary,omitempty"`
	Tags                map[string]string `json:"tags,omitempty"`
}

func tagsOf(ts []org.Tag) []Tag {
	if len(ts) == 0 {
		return nil
	}
	out := make([]Tag, len(ts))
	for i, t := range ts {
		out[i] = Tag{Key: t.Key, Value: t.Value}
	}
	return out
}

func orgTags(ts []Tag) []org.Tag {
	if len(ts) == 0 {
		return nil
	}
	out := make([]org.Tag, len(ts))
	for i, t := range ts {
		out[i] = org.Tag{Key: t.Key, Value: t.Value}
	}
	return out
}

func partiesOf(ps []org.Party) []Party {
	var out []Party
	for _, p := range ps {
		out = append(out, Party{ID: p.ID, Type: p.Type})
	}
	return out
}

func orgParties(ps []Party) []org.Party {
	var out []org.Party
	for _, p := range ps {
		out = append(out, org.Party{ID: p.ID, Type: p.Type})
	}
	return out
}

func resourcesOf(rs []org.Resource) []Resource {
	var out []Resource
	for _, r := range rs {
		out = append(out, Resource{Type: r.Type, Value: r.Value, Resources: resourcesOf(r.Resources)})
	}
	return out
}

func orgResources(rs []Resource) []org.Resource {
	var out []org.Resource
	for _, r := range rs {
		out = append(out, org.Resource{Type: r.Type, Value: r.Value, Resources: orgResources(r.Resources)})
	}
	return out
}
