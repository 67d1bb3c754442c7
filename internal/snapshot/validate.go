package snapshot

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/orgd/orgd/internal/model"
	"github.com/orgd/orgd/internal/org"
)

// The id shapes of the Organizations model, which every id in a document must have: an id of
// another shape could not be named in a call.
var (
	orgIDPattern       = regexp.MustCompile(`^o-[a-z0-9]{10,32}$`)
	rootIDPattern      = regexp.MustCompile(`^r-[0-9a-z]{4,32}$`)
	ouIDPattern        = regexp.MustCompile(`^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$`)
	policyIDPattern    = regexp.MustCompile(`^p-[0-9a-zA-Z_]{8,128}$`)
	rpIDPattern        = regexp.MustCompile(`^rp-[0-9a-zA-Z_]{4,128}$`)
	handshakeIDPattern = regexp.MustCompile(`^h-[0-9a-z]{8,32}$`)
	carIDPattern       = regexp.MustCompile(`^car-[a-z0-9]{8,32}$`)
	transferIDPattern  = regexp.MustCompile(`^rt-[0-9a-z]{8,32}$`)
	partitionPattern   = regexp.MustCompile(`^aws(-[a-z]+)*$`)
)

// The enums a document's fields take their values from.
var (
	featureSets      = []string{model.OrganizationFeatureSetAll, model.OrganizationFeatureSetConsolidatedBilling}
	accountStates    = []string{model.AccountStatePendingActivation, model.AccountStateActive, model.AccountStateSuspended, model.AccountStatePendingClosure, model.AccountStateClosed}
	joinedMethods    = []string{model.AccountJoinedMethodInvited, model.AccountJoinedMethodCreated}
	sellers          = []string{org.SellerAWS, org.SellerAISPL}
	policyTypeStates = []string{model.PolicyTypeStatusEnabled, model.PolicyTypeStatusPendingEnable, model.PolicyTypeStatusPendingDisable}
	createStates     = []string{model.CreateAccountStateInProgress, model.CreateAccountStateSucceeded, model.CreateAccountStateFailed}
	billingAccess    = []string{model.IAMUserAccessToBillingAllow, model.IAMUserAccessToBillingDeny}
	actions          = []string{model.ActionTypeInvite, model.ActionTypeEnableAllFeatures, model.ActionTypeApproveAllFeatures, model.ActionTypeAddOrganizationsServiceLinkedRole, model.ActionTypeTransferResponsibility}
	handshakeStates  = []string{model.HandshakeStateRequested, model.HandshakeStateOpen, model.HandshakeStateCanceled, model.HandshakeStateAccepted, model.HandshakeStateDeclined, model.HandshakeStateExpired}
	partyTypes       = []string{model.HandshakePartyTypeAccount, model.HandshakePartyTypeOrganization, model.HandshakePartyTypeEmail}
	resourceTypes    = []string{model.HandshakeResourceTypeAccount, model.HandshakeResourceTypeOrganization, model.HandshakeResourceTypeOrganizationFeatureSet,
		model.HandshakeResourceTypeEmail, model.HandshakeResourceTypeMasterEmail, model.HandshakeResourceTypeMasterName, model.HandshakeResourceTypeNotes,
		model.HandshakeResourceTypeParentHandshake, model.HandshakeResourceTypeResponsibilityTransfer, model.HandshakeResourceTypeTransferStartTimestamp,
		model.HandshakeResourceTypeTransferType, model.HandshakeResourceTypeManagementAccount, model.HandshakeResourceTypeManagementEmail,
		model.HandshakeResourceTypeManagementName}
	transferStates = []string{model.ResponsibilityTransferStatusRequested, model.ResponsibilityTransferStatusDeclined, model.ResponsibilityTransferStatusCanceled,
		model.ResponsibilityTransferStatusExpired, model.ResponsibilityTransferStatusAccepted, model.ResponsibilityTransferStatusWithdrawn}
	transferTypes = []string{model.ResponsibilityTransferTypeBilling}
)

// checker validates a document, stopping at the first problem; ids records where each id
// was first seen, to name both places of a duplicate.
type checker struct {
	err    *Error
	ids    map[string]string
	emails map[string]string
}

func (c *checker) fail(path, format string, args ...any) {
	if c.err == nil {
		c.err = &Error{Path: path, Problem: fmt.Sprintf(format, args...)}
	}
}

// id checks an id's shape and that no other entry has it.
func (c *checker) id(path, id string, pattern *regexp.Regexp) {
	if pattern == nil && !model.IsAccountID(id) {
		c.fail(path, "%q is not an account id (12 digits)", id)
		return
	}
	if pattern != nil && !pattern.MatchString(id) {
		c.fail(path, "%q is not an id of this kind (%s)", id, pattern)
		return
	}
	if first, ok := c.ids[id]; ok {
		c.fail(path, "%s is listed twice (first at %s)", id, first)
		return
	}
	c.ids[id] = path
}

func (c *checker) enum(path, v string, values []string) {
	if !slices.Contains(values, v) {
		c.fail(path, "%q is not one of %s", v, strings.Join(values, ", "))
	}
}

func (c *checker) nonEmpty(path, v string) {
	if v == "" {
		c.fail(path, "is empty")
	}
}

func (c *checker) tags(path string, tags []Tag) {
	seen := map[string]bool{}
	for i, t := range tags {
		p := fmt.Sprintf("%s[%d].key", path, i)
		c.nonEmpty(p, t.Key)
		if seen[t.Key] {
			c.fail(p, "%q is listed twice", t.Key)
		}
		seen[t.Key] = true
	}
}

func (c *checker) account(path string, a *Account, member bool) {
	c.id(path+".id", a.ID, nil)
	if a.Email != "" {
		lower := strings.ToLower(a.Email)
		if first, ok := c.emails[lower]; ok {
			c.fail(path+".email", "%s is also the e-mail of %s (e-mails are unique, compared case-insensitively)", a.Email, first)
		}
		c.emails[lower] = path
	}
	c.enum(path+".sellerOfRecord", a.SellerOfRecord, sellers)
	c.enum(path+".state", a.State, accountStates)
	if member {
		c.enum(path+".joinedMethod", a.JoinedMethod, joinedMethods)
	} else if a.ParentID != "" || a.JoinedMethod != "" {
		c.fail(path, "a standalone account has no parentId or joinedMethod")
	}
	c.tags(path+".tags", a.Tags)
}

// validate checks what the store's rows must satisfy for the API to work on them: ids of
// their kind and unique, references to what exists, enum values, policy documents of their
// type's grammar.
func validate(doc *Document) error {
	c := &checker{ids: map[string]string{}, emails: map[string]string{}}
	for i := range doc.Organizations {
		c.organization(fmt.Sprintf("organizations[%d]", i), &doc.Organizations[i])
	}
	for i := range doc.Accounts {
		c.account(fmt.Sprintf("accounts[%d]", i), &doc.Accounts[i], false)
	}
	handshakes := map[string]bool{}
	for i, h := range doc.Handshakes {
		p := fmt.Sprintf("handshakes[%d]", i)
		c.id(p+".id", h.ID, handshakeIDPattern)
		c.enum(p+".action", h.Action, actions)
		c.enum(p+".state", h.State, handshakeStates)
		if !partitionPattern.MatchString(h.Partition) {
			c.fail(p+".partition", "%q is not an AWS partition", h.Partition)
		}
		if h.ParentID != "" && !handshakes[h.ParentID] {
			c.fail(p+".parentId", "%s is not a handshake listed before", h.ParentID)
		}
		for j, party := range h.Parties {
			c.enum(fmt.Sprintf("%s.parties[%d].type", p, j), party.Type, partyTypes)
		}
		c.resources(p+".resources", h.Resources)
		c.tags(p+".tags", h.Tags)
		handshakes[h.ID] = true
	}
	for i, tr := range doc.Transfers {
		p := fmt.Sprintf("transfers[%d]", i)
		c.id(p+".id", tr.ID, transferIDPattern)
		c.enum(p+".type", tr.Type, transferTypes)
		c.enum(p+".status", tr.Status, transferStates)
		if !handshakes[tr.HandshakeID] {
			c.fail(p+".handshakeId", "%s does not exist", tr.HandshakeID)
		}
		c.tags(p+".tags", tr.Tags)
	}
	roles := map[string]string{}
	for i, r := range doc.Roles {
		p := fmt.Sprintf("roles[%d]", i)
		if !model.IsAccountID(r.AccountID) {
			c.fail(p+".accountId", "%q is not an account id (12 digits)", r.AccountID)
		}
		c.nonEmpty(p+".name", r.Name)
		c.nonEmpty(p+".id", r.ID)
		key := r.AccountID + "/" + strings.ToLower(r.Name)
		if first, ok := roles[key]; ok {
			c.fail(p+".name", "account %s has another role of this name at %s (names compare case-insensitively)", r.AccountID, first)
		}
		roles[key] = p
	}
	if c.err != nil {
		return c.err
	}
	return nil
}

func (c *checker) resources(path string, rs []Resource) {
	for i, r := range rs {
		p := fmt.Sprintf("%s[%d]", path, i)
		c.enum(p+".type", r.Type, resourceTypes)
		c.resources(p+".resources", r.Resources)
	}
}

func (c *checker) organization(p string, o *Organization) {
	c.id(p+".id", o.ID, orgIDPattern)
	c.id(p+".rootId", o.RootID, rootIDPattern)
	c.enum(p+".featureSet", o.FeatureSet, featureSets)
	if !partitionPattern.MatchString(o.Partition) {
		c.fail(p+".partition", "%q is not an AWS partition", o.Partition)
	}
	c.tags(p+".rootTags", o.RootTags)

	enabled := map[string]bool{}
	for i, e := range o.EnabledPolicyTypes {
		ep := fmt.Sprintf("%s.enabledPolicyTypes[%d]", p, i)
		c.enum(ep+".type", e.Type, org.PolicyTypes())
		c.enum(ep+".status", e.Status, policyTypeStates)
		if enabled[e.Type] {
			c.fail(ep+".type", "%s is listed twice", e.Type)
		}
		enabled[e.Type] = true
	}
	services := map[string]bool{}
	for i, s := range o.TrustedServices {
		sp := fmt.Sprintf("%s.trustedServices[%d].servicePrincipal", p, i)
		c.nonEmpty(sp, s.ServicePrincipal)
		if services[s.ServicePrincipal] {
			c.fail(sp, "%s is listed twice", s.ServicePrincipal)
		}
		services[s.ServicePrincipal] = true
	}

	// parents are the root and the OUs listed so far; names the names under each parent.
	parents := map[string]bool{o.RootID: true}
	names := map[string]bool{}
	for i, u := range o.OUs {
		up := fmt.Sprintf("%s.ous[%d]", p, i)
		c.id(up+".id", u.ID, ouIDPattern)
		if !parents[u.ParentID] {
			c.fail(up+".parentId", "%s does not exist (an OU comes after its parent)", u.ParentID)
		}
		c.nonEmpty(up+".name", u.Name)
		if names[u.ParentID+"/"+u.Name] {
			c.fail(up+".name", "%s already has an OU named %q", u.ParentID, u.Name)
		}
		names[u.ParentID+"/"+u.Name] = true
		c.tags(up+".tags", u.Tags)
		parents[u.ID] = true
	}

	members := map[string]bool{}
	for i := range o.Accounts {
		a := &o.Accounts[i]
		ap := fmt.Sprintf("%s.accounts[%d]", p, i)
		c.account(ap, a, true)
		if !parents[a.ParentID] {
			c.fail(ap+".parentId", "%s does not exist in %s", a.ParentID, o.ID)
		}
		members[a.ID] = true
	}
	if !members[o.ManagementAccountID] {
		c.fail(p+".managementAccountId", "%s is not one of the organization's accounts", o.ManagementAccountID)
	}

	policies := map[string]string{}
	policyNames := map[string]bool{}
	for i, pol := range o.Policies {
		pp := fmt.Sprintf("%s.policies[%d]", p, i)
		c.id(pp+".id", pol.ID, policyIDPattern)
		if _, managed := org.AWSManagedPolicyType(pol.ID); managed {
			c.fail(pp+".id", "%s is an AWS-managed policy, which has no entry", pol.ID)
		}
		c.enum(pp+".type", pol.Type, org.PolicyTypes())
		c.nonEmpty(pp+".name", pol.Name)
		if policyNames[pol.Type+"/"+pol.Name] {
			c.fail(pp+".name", "another %s is named %q", pol.Type, pol.Name)
		}
		policyNames[pol.Type+"/"+pol.Name] = true
		if slices.Contains(org.PolicyTypes(), pol.Type) {
			if err := org.CheckPolicyContent(pol.Type, pol.Content); err != nil {
				c.fail(pp+".content", "%v", err)
			}
		}
		c.tags(pp+".tags", pol.Tags)
		policies[pol.ID] = pol.Type
	}
	attached := map[string]bool{}
	for i, a := range o.Attachments {
		ap := fmt.Sprintf("%s.attachments[%d]", p, i)
		typ, ok := policies[a.PolicyID]
		if !ok {
			if typ, ok = org.AWSManagedPolicyType(a.PolicyID); ok && o.FeatureSet != model.OrganizationFeatureSetAll {
				ok = false
			}
		}
		switch {
		case !ok:
			c.fail(ap+".policyId", "%s is not a policy of %s", a.PolicyID, o.ID)
		case !enabled[typ]:
			c.fail(ap+".policyId", "%s is a %s, a type not enabled in %s", a.PolicyID, typ, o.ID)
		}
		if !parents[a.TargetID] && !members[a.TargetID] {
			c.fail(ap+".targetId", "%s is not the root, an OU or an account of %s", a.TargetID, o.ID)
		}
		if attached[a.PolicyID+"/"+a.TargetID] {
			c.fail(ap, "%s is attached to %s twice", a.PolicyID, a.TargetID)
		}
		attached[a.PolicyID+"/"+a.TargetID] = true
	}
	registered := map[string]bool{}
	for i, d := range o.DelegatedAdministrators {
		dp := fmt.Sprintf("%s.delegatedAdministrators[%d]", p, i)
		switch {
		case !members[d.AccountID]:
			c.fail(dp+".accountId", "%s is not an account of %s", d.AccountID, o.ID)
		case d.AccountID == o.ManagementAccountID:
			c.fail(dp+".accountId", "%s is the management account, which cannot be a delegated administrator", d.AccountID)
		}
		c.nonEmpty(dp+".servicePrincipal", d.ServicePrincipal)
		if registered[d.AccountID+"/"+d.ServicePrincipal] {
			c.fail(dp, "%s is registered for %s twice", d.AccountID, d.ServicePrincipal)
		}
		registered[d.AccountID+"/"+d.ServicePrincipal] = true
	}
	if rp := o.ResourcePolicy; rp != nil {
		c.id(p+".resourcePolicy.id", rp.ID, rpIDPattern)
		var v map[string]any
		if json.Unmarshal([]byte(rp.Content), &v) != nil {
			c.fail(p+".resourcePolicy.content", "is not a JSON object")
		}
		c.tags(p+".resourcePolicy.tags", rp.Tags)
	}
	for i, r := range o.CreateAccountStatuses {
		rp := fmt.Sprintf("%s.createAccountStatuses[%d]", p, i)
		c.id(rp+".id", r.ID, carIDPattern)
		c.enum(rp+".state", r.State, createStates)
		if r.IAMUserAccessToBilling != "" {
			c.enum(rp+".iamUserAccessToBilling", r.IAMUserAccessToBilling, billingAccess)
		}
		if r.State == model.CreateAccountStateSucceeded && !model.IsAccountID(r.AccountID) {
			c.fail(rp+".accountId", "a SUCCEEDED request names the account it created, not %q", r.AccountID)
		}
		c.tags(rp+".tags", r.Tags)
	}
}
