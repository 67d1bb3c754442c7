package org

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/orgd/orgd/internal/iam"
	"github.com/orgd/orgd/internal/model"
	"github.com/orgd/orgd/internal/policy"
)

// IAM enforcement on orgd's own API (issue 12 §2): every Organizations operation a principal
// calls is decided by internal/policy before the domain's own checks (authz.go), as AWS
// decides it: the caller's identity policies, permissions boundary and session policy, and,
// for a member account, the SCPs on the path from the root down to it. An operation carrying
// Tags also needs organizations:TagResource. A denial is AccessDeniedException with AWS's
// sentence, and nothing is written.
//
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
// https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsorganizations.html

// defaultRegion is aws:RequestedRegion for a request that names none: Organizations' endpoint
// is us-east-1's.
const defaultRegion = "us-east-1"

// RemoteIP is the address of a connection's remote end (http.Request.RemoteAddr) without its
// port, for aws:SourceIp.
func RemoteIP(remoteAddr string) string {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		return remoteAddr
	}
	return host
}

// apiRequest is the operation a Service method serves, and its input, for the guardrail that
// membership (or the operation itself, when it runs without one) applies first.
type apiRequest struct {
	op string
	in any
}

type apiRequestKey struct{}

// guard marks ctx as a call of the API operation op with input in (nil for an operation
// without one). Calls that are not marked, the admin API's, are not IAM's to decide.
func guard(ctx context.Context, op string, in any) context.Context {
	return context.WithValue(ctx, apiRequestKey{}, &apiRequest{op: op, in: in})
}

// iamRequest is what one operation asks of IAM, read from its input: the ids of the resources
// it acts on (each an ARN for IAM; none: "*"), the tags it writes, and the values of
// Organizations' condition keys.
type iamRequest struct {
	ids              []string
	tags             []model.Tag
	tagKeys          []string // UntagResource's
	policyType       string
	servicePrincipal string
}

// iamRequestOf reads a request as the Service Authorization Reference lists, for each action,
// its resource types and condition keys.
func iamRequestOf(in any) iamRequest {
	var r iamRequest
	id := func(ids ...*string) {
		for _, p := range ids {
			if p != nil && *p != "" {
				r.ids = append(r.ids, *p)
			}
		}
	}
	switch in := in.(type) {
	case *model.AcceptHandshakeRequest:
		id(in.HandshakeId)
	case *model.AttachPolicyRequest:
		id(in.PolicyId, in.TargetId)
	case *model.CancelHandshakeRequest:
		id(in.HandshakeId)
	case *model.CloseAccountRequest:
		id(in.AccountId)
	case *model.CreateAccountRequest:
		r.tags = in.Tags
	case *model.CreateGovCloudAccountRequest:
		r.tags = in.Tags
	case *model.CreateOrganizationalUnitRequest:
		id(in.ParentId)
		r.tags = in.Tags
	case *model.CreatePolicyRequest:
		r.tags, r.policyType = in.Tags, deref(in.Type)
	case *model.DeclineHandshakeRequest:
		id(in.HandshakeId)
	case *model.DeleteOrganizationalUnitRequest:
		id(in.OrganizationalUnitId)
	case *model.DeletePolicyRequest:
		id(in.PolicyId)
	case *model.DeregisterDelegatedAdministratorRequest:
		id(in.AccountId)
		r.servicePrincipal = deref(in.ServicePrincipal)
	case *model.DescribeAccountRequest:
		id(in.AccountId)
	case *model.DescribeEffectivePolicyRequest:
		id(in.TargetId)
		r.policyType = deref(in.PolicyType)
	case *model.DescribeHandshakeRequest:
		id(in.HandshakeId)
	case *model.DescribeOrganizationalUnitRequest:
		id(in.OrganizationalUnitId)
	case *model.DescribePolicyRequest:
		id(in.PolicyId)
	case *model.DetachPolicyRequest:
		id(in.PolicyId, in.TargetId)
	case *model.DisableAWSServiceAccessRequest:
		r.servicePrincipal = deref(in.ServicePrincipal)
	case *model.DisablePolicyTypeRequest:
		id(in.RootId)
		r.policyType = deref(in.PolicyType)
	case *model.EnableAWSServiceAccessRequest:
		r.servicePrincipal = deref(in.ServicePrincipal)
	case *model.EnablePolicyTypeRequest:
		id(in.RootId)
		r.policyType = deref(in.PolicyType)
	case *model.InviteAccountToOrganizationRequest:
		r.tags = in.Tags
	case *model.InviteOrganizationToTransferResponsibilityRequest:
		r.tags = in.Tags
	case *model.ListAccountsForParentRequest:
		id(in.ParentId)
	case *model.ListChildrenRequest:
		id(in.ParentId)
	case *model.ListDelegatedAdministratorsRequest:
		r.servicePrincipal = deref(in.ServicePrincipal)
	case *model.ListDelegatedServicesForAccountRequest:
		id(in.AccountId)
	case *model.ListOrganizationalUnitsForParentRequest:
		id(in.ParentId)
	case *model.ListParentsRequest:
		id(in.ChildId)
	case *model.ListPoliciesRequest:
		r.policyType = deref(in.Filter)
	case *model.ListPoliciesForTargetRequest:
		id(in.TargetId)
		r.policyType = deref(in.Filter)
	case *model.ListTagsForResourceRequest:
		id(in.ResourceId)
	case *model.ListTargetsForPolicyRequest:
		id(in.PolicyId)
	case *model.MoveAccountRequest:
		id(in.AccountId, in.SourceParentId, in.DestinationParentId)
	case *model.PutResourcePolicyRequest:
		r.tags = in.Tags
	case *model.RegisterDelegatedAdministratorRequest:
		id(in.AccountId)
		r.servicePrincipal = deref(in.ServicePrincipal)
	case *model.RemoveAccountFromOrganizationRequest:
		id(in.AccountId)
	case *model.TagResourceRequest:
		id(in.ResourceId)
		r.tags = in.Tags
	case *model.UntagResourceRequest:
		id(in.ResourceId)
		r.tagKeys = in.TagKeys
	case *model.UpdateOrganizationalUnitRequest:
		id(in.OrganizationalUnitId)
	case *model.UpdatePolicyRequest:
		id(in.PolicyId)
	}
	return r
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// guardrail decides the call that t.ctx marks (see guard) for the caller, whose account is a
// and organization o (nil for a standalone account). It runs once per transaction, before
// any other check of the operation, and costs nothing for a caller without declared
// policies to whom no SCP applies.
func (t *txn) guardrail(a *Account, o *Organization) error {
	req, ok := t.ctx.Value(apiRequestKey{}).(*apiRequest)
	if !ok || t.guarded {
		return nil
	}
	t.guarded = true
	r := iamRequestOf(req.in)
	ev, err := t.callerEvaluation(a, o, &r, nil)
	if err != nil || ev == nil {
		return err
	}
	resources := []string{"*"}
	if len(r.ids) > 0 {
		resources = resources[:0]
		for _, id := range r.ids {
			arn, err := t.iamARNOf(o, id)
			if err != nil {
				return err
			}
			resources = append(resources, arn)
			// A request on a policy has that policy's type as organizations:PolicyType
			// (AttachPolicy's, DescribePolicy's, UpdatePolicy's, ...).
			if pt := policyTypeOfARN(arn); pt != "" && r.policyType == "" {
				r.policyType = pt
				ev.req.Context.Set(policyTypeKey, pt)
			}
		}
	}
	for i, arn := range resources {
		id := ""
		if len(r.ids) > 0 {
			id = r.ids[i]
		}
		if err := ev.decide("organizations:"+req.op, arn, id); err != nil {
			return err
		}
	}
	// Tags written along with a resource need organizations:TagResource too (the Service
	// Authorization Reference lists it as a dependent action of each operation taking Tags):
	// the resource does not exist yet, so its ARN is "*".
	if len(r.tags) > 0 && req.op != "TagResource" {
		if err := ev.decide("organizations:TagResource", "*", ""); err != nil {
			return err
		}
	}
	return nil
}

// callerEvaluation prepares the decisions of the caller's request r: its account a in
// organization o (nil for none), its identity policies, boundary and session policy, the
// SCPs of its account, and rcps, the RCP levels of the resource's account (nil for none). It
// returns nil when there is nothing to decide: an administrator of its account whom no SCP
// or RCP restricts.
func (t *txn) callerEvaluation(a *Account, o *Organization, r *iamRequest, rcps *chain) (*evaluation, error) {
	p := t.caller.principal()
	pp, session, err := t.callerPolicies(p)
	if err != nil {
		return nil, err
	}
	var ch *chain
	// The management account's administrators, the common caller, need no chain: no SCP
	// applies to them, and nothing else reads one.
	if o != nil && (pp.Declared || session != nil || rcps != nil || a.ID != o.ManagementAccountID) {
		if ch, err = t.policyChain(o, a, model.PolicyTypeServiceControlPolicy); err != nil {
			return nil, err
		}
	}
	if !pp.Declared && session == nil && (ch == nil || ch.levels == nil) && (rcps == nil || rcps.levels == nil) {
		return nil, nil
	}
	part := t.caller.partition()
	in := policy.Input{Session: session}
	if pp.Declared {
		in.Identity, in.Boundary = pp.Identity, pp.Boundary
	} else {
		// An administrator of its account, as with IAM's AdministratorAccess.
		in.Identity = t.svc.admin
	}
	if ch != nil {
		in.SCPs = ch.levels
	}
	if rcps != nil {
		in.RCPs = rcps.levels
	}
	in.PrincipalIsManagement = o != nil && o.ManagementAccountID == a.ID
	ev := &evaluation{t: t, o: o, in: &in, req: policy.Request{
		PrincipalARN:     p.ARN(part),
		PrincipalAccount: p.Account,
	}}
	if p.Kind == iam.AssumedRole {
		ev.req.RoleARN = "arn:" + part + ":iam::" + p.Account + ":role/" + p.Name
	}
	ev.newContext = func() *policy.Context { return t.requestContext(p, pp.Tags, o, ch, r) }
	ev.req.Context = ev.newContext()
	ev.readsResourceTags = ch != nil && ch.readsResourceTags
	for _, ps := range [][]*policy.Policy{in.Identity, {in.Boundary}, in.Session} {
		for _, p := range ps {
			ev.readsResourceTags = ev.readsResourceTags || t.svc.policies.readsResourceTags(p)
		}
	}
	return ev, nil
}

// assumeRoleAllowed decides sts:AssumeRole on role for the caller: STS, unlike
// GetCallerIdentity, is subject to the caller's identity policies and its account's SCPs,
// and to the RCPs of the role's account (STS is a service RCPs support). It answers STS's
// AccessDenied with IAM's sentence.
// https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html
func (t *txn) assumeRoleAllowed(role *Role, roleARN string) error {
	a, o, err := t.callerAccount()
	if err != nil {
		return err
	}
	var rcps *chain
	owner, err := t.account(role.AccountID)
	if err != nil {
		return err
	}
	if owner.OrgID != "" {
		ro, err := t.Organization(t.ctx, owner.OrgID)
		if err != nil {
			return fmt.Errorf("org: read organization %s of account %s: %w", owner.OrgID, owner.ID, err)
		}
		if rcps, err = t.policyChain(ro, owner, model.PolicyTypeResourceControlPolicy); err != nil {
			return err
		}
	}
	ev, err := t.callerEvaluation(a, o, &iamRequest{}, rcps)
	if err != nil || ev == nil {
		return err
	}
	// The role's trust, AssumeRole's resource-based policy, is decided by trusts: here the
	// request is decided as if in the role's account, where identity policies alone grant.
	ev.in.ResourceInManagement = rcps != nil && rcps.management
	var denied *model.Error
	if err := ev.decide("sts:AssumeRole", roleARN, ""); errors.As(err, &denied) {
		return stsAccessDenied("%s", denied.Text)
	} else if err != nil {
		return err
	}
	return nil
}

// evaluation decides the actions of one request.
type evaluation struct {
	t   *txn
	o   *Organization
	in  *policy.Input
	req policy.Request
	// readsResourceTags: a policy of the request reads aws:ResourceTag/*, which newContext's
	// context lacks.
	readsResourceTags bool
	newContext        func() *policy.Context
}

// decide evaluates action on the resource arn (of the resource id, "" for none), answering
// AWS's AccessDenied sentence when it is denied.
func (ev *evaluation) decide(action, arn, id string) error {
	ev.req.Action, ev.req.Resource = action, arn
	if err := ev.resourceTags(id); err != nil {
		return err
	}
	res := policy.Evaluate(&ev.req, ev.in, policy.Options{})
	if res.Decision == policy.Allowed {
		return nil
	}
	msg := "User: " + ev.req.PrincipalARN + " is not authorized to perform: " + action
	if arn != "*" {
		msg += " on resource: " + arn
	}
	if reason := policy.Reason(res, action); reason != "" {
		msg += " " + reason
	}
	return &model.Error{Code: model.CodeAccessDeniedException, Detail: msg, Text: msg}
}

// resourceTags sets aws:ResourceTag/* to the tags of the resource id (none for "") when a
// policy of the request reads them: they cost a read of the store.
func (ev *evaluation) resourceTags(id string) error {
	if !ev.readsResourceTags {
		return nil
	}
	// Each resource has its own tags: the context starts again without the previous one's.
	ev.req.Context = ev.newContext()
	if id == "" || ev.o == nil || !isTaggableID(ev.o, id) {
		return nil
	}
	tags, err := ev.t.Tags(ev.t.ctx, id, ByID)
	if err != nil {
		return fmt.Errorf("org: read tags of %s: %w", id, err)
	}
	for _, tag := range tags {
		ev.req.Context.Set("aws:ResourceTag/"+tag.Key, tag.Value)
	}
	return nil
}

func isTaggableID(o *Organization, id string) bool {
	return model.IsAccountID(id) || id == o.RootID || strings.HasPrefix(id, "ou-") || strings.HasPrefix(id, "p-") || strings.HasPrefix(id, "rp-")
}

// iamARNOf is arnOf for IAM, which also names handshakes; without an organization every id
// is "*".
func (t *txn) iamARNOf(o *Organization, id string) (string, error) {
	if strings.HasPrefix(id, "h-") {
		h, err := t.Handshake(t.ctx, id)
		if isNotFound(err) {
			return "*", nil
		}
		if err != nil {
			return "", fmt.Errorf("org: read handshake %s: %w", id, err)
		}
		return handshakeARN(h), nil
	}
	if o == nil {
		return "*", nil
	}
	return t.arnOf(o, id)
}

// requestContext builds the condition keys AWS sets for an Organizations request. The keys
// that cost a read (aws:ResourceTag/*) are set per resource, and only when a policy reads them
// (resourceTags).
func (t *txn) requestContext(p iam.Principal, principalTags map[string]string, o *Organization, ch *chain, r *iamRequest) *policy.Context {
	c := policy.NewContext()
	var orgID, orgPath string
	if o != nil {
		orgID = o.ID
		if ch != nil {
			orgPath = ch.orgPath
		}
	}
	principalContext(c, p, t.caller.partition(), principalTags, orgID, orgPath, t.now)
	region := t.caller.Region
	if region == "" {
		region = defaultRegion
	}
	c.Set("aws:RequestedRegion", region)
	c.Set("aws:SecureTransport", strconv.FormatBool(t.caller.SecureTransport))
	if t.caller.SourceIP != "" {
		c.Set("aws:SourceIp", t.caller.SourceIP)
	}
	if len(r.tags) > 0 {
		keys := make([]string, len(r.tags))
		for i, tag := range r.tags {
			keys[i] = deref(tag.Key)
			c.Set("aws:RequestTag/"+keys[i], deref(tag.Value))
		}
		c.Set("aws:TagKeys", keys...)
	}
	if r.tagKeys != nil {
		c.Set("aws:TagKeys", r.tagKeys...)
	}
	if r.policyType != "" {
		c.Set(policyTypeKey, r.policyType)
	}
	if r.servicePrincipal != "" {
		c.Set("organizations:ServicePrincipal", r.servicePrincipal)
	}
	return c
}

// principalContext sets the condition keys AWS puts in every request of principal p, whatever
// the service: who it is, its tags, its organization (orgID "" for none) and its account's
// path in it, and the time (now, the server's clock). Enforcement and the simulator share
// them.
func principalContext(c *policy.Context, p iam.Principal, partition string, tags map[string]string, orgID, orgPath string, now time.Time) {
	c.Set("aws:PrincipalArn", principalARN(p, partition))
	c.Set("aws:PrincipalAccount", p.Account)
	c.Set("aws:PrincipalIsAWSService", "false")
	// A principal orgd knows only by its ARN (the simulator's) has no unique id to show.
	if p.Kind == iam.Root || p.ID != "" {
		c.Set("aws:userid", p.UserID())
	}
	switch p.Kind {
	case iam.User:
		c.Set("aws:PrincipalType", "User")
		c.Set("aws:username", p.Name)
	case iam.AssumedRole:
		c.Set("aws:PrincipalType", "AssumedRole")
	default:
		c.Set("aws:PrincipalType", "Account")
	}
	for k, v := range tags {
		c.Set("aws:PrincipalTag/"+k, v)
	}
	if orgID != "" {
		c.Set("aws:PrincipalOrgID", orgID)
		if orgPath != "" {
			c.Set("aws:PrincipalOrgPaths", orgPath)
		}
	}
	c.Set("aws:CurrentTime", now.UTC().Format("2006-01-02T15:04:05Z"))
	c.Set("aws:EpochTime", strconv.FormatInt(now.Unix(), 10))
}

// principalARN is aws:PrincipalArn: a session's is its role's ARN, as AWS documents.
func principalARN(p iam.Principal, partition string) string {
	if p.Kind == iam.AssumedRole {
		return "arn:" + partition + ":iam::" + p.Account + ":role/" + p.Name
	}
	return p.ARN(partition)
}

// chain is what one member account's requests read of its organization: the SCP (or RCP)
// levels from the root down to the account (nil when they do not apply: the type is
// disabled at the root, or the account is the management account), and its
// aws:PrincipalOrgPaths.
type chain struct {
	levels            []policy.Level
	orgPath           string
	readsResourceTags bool
	management        bool // the account is the organization's management account
}

// chainKey names a chain: the organization (its creation time too, so that a new one reusing
// an id after a reset cannot read another's), the organization's SCP version, the account.
type chainKey struct {
	org        string
	created    int64
	version    int64
	account    string
	policyType string
}

// chainCache keeps chains, bounded: past maxCachedChains it forgets an arbitrary one per
// insertion. Entries of older versions are never read again and age out that way.
type chainCache struct {
	mu sync.RWMutex
	m  map[chainKey]*chain
}

const maxCachedChains = 8192

func (c *chainCache) get(k chainKey) *chain {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.m[k]
}

func (c *chainCache) put(k chainKey, ch *chain) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[chainKey]*chain{}
	}
	if len(c.m) >= maxCachedChains {
		for old := range c.m {
			delete(c.m, old)
			break
		}
	}
	c.m[k] = ch
}

// policyChain returns account a's chain of policyType (SCPs or RCPs) in organization o, from
// the cache when o's SCP version (which RCP changes move too) has not moved since it was read. The version comes from the organization's row this
// transaction read, so a replica never uses a chain older than the store it reads. A chain
// read after this transaction changed the SCPs itself is not cached: the change may yet
// roll back.
func (t *txn) policyChain(o *Organization, a *Account, policyType string) (*chain, error) {
	k := chainKey{org: o.ID, created: o.CreatedAt.UnixMilli(), version: o.SCPVersion, account: a.ID, policyType: policyType}
	if ch := t.svc.chains.get(k); ch != nil && !t.scpChanged {
		return ch, nil
	}
	ch := &chain{orgPath: rootPath(o), management: a.ID == o.ManagementAccountID}
	if a.ParentID != "" && a.ParentID != o.RootID {
		u, err := t.ou(o, a.ParentID)
		if err != nil {
			return nil, fmt.Errorf("org: parent of account %s: %w", a.ID, err)
		}
		ch.orgPath = u.Path
	}
	e, err := t.enabledPolicyType(o, policyType)
	if err != nil {
		return nil, err
	}
	// AWS applies no SCP (RCP) with the type disabled, nor to the management account.
	if e != nil && a.ID != o.ManagementAccountID {
		ids := strings.Split(strings.TrimSuffix(ch.orgPath, "/"), "/")[1:] // drop the organization
		ids = append(ids, a.ID)
		ch.levels = make([]policy.Level, 0, len(ids))
		for _, id := range ids {
			as, err := t.ListPolicyAttachments(t.ctx, PolicyAttachmentQuery{OrgID: o.ID, TargetID: id, PolicyType: policyType})
			if err != nil {
				return nil, fmt.Errorf("org: %s of %s: %w", policyType, id, err)
			}
			lv := policy.Level{Target: id}
			for _, at := range as {
				p, err := t.attachedPolicy(o, at)
				if err != nil {
					return nil, err
				}
				// A stored SCP or RCP that does not parse allows nothing: at a level where it is
				// the only one, it denies all, as a policy that allows nothing does.
				parsed, err := t.svc.policies.get(p.ID, p.Content, 0)
				if err != nil {
					continue
				}
				lv.Policies = append(lv.Policies, parsed)
				ch.readsResourceTags = ch.readsResourceTags || t.svc.policies.readsResourceTags(parsed)
			}
			ch.levels = append(ch.levels, lv)
		}
	}
	if !t.scpChanged {
		t.svc.chains.put(k, ch)
	}
	return ch, nil
}

// changedSCPs records, in the organization's row and in this transaction, a change to which SCPs apply to
// which account (see Organization.SCPVersion). Once per transaction is enough: the cache keys
// on the version a transaction commits.
func (t *txn) changedSCPs(orgID string) error {
	if t.scpChanged {
		return nil
	}
	t.scpChanged = true
	o, err := t.Organization(t.ctx, orgID)
	if err != nil {
		return fmt.Errorf("org: read organization %s: %w", orgID, err)
	}
	o.SCPVersion++
	if err := t.PutOrganization(t.ctx, o); err != nil {
		return fmt.Errorf("org: bump the SCP version of %s: %w", orgID, err)
	}
	return nil
}
