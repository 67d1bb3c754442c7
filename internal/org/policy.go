package org

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/orgd/orgd/internal/model"
)

// Policies (spec §7.2–7.4). Customer policies are rows; the two AWS-managed policies exist in
// every all-features organization without one. A policy of a type can be attached only while
// the type is enabled in the root; enabling SCPs or RCPs attaches their AWS-managed policy
// everywhere, and disabling any type detaches every policy of it.

// policyKind is what AWS documents per policy type [UG]; the quotas that changed over time
// come from Quotas.
type policyKind struct {
	management   bool   // has effective policies (DescribeEffectivePolicy)
	maxSize      int    // characters of Content; 0: Quotas.MaxSCPSize
	maxPerTarget int    // direct attachments to one target; 0: Quotas.MaxSCPsPerTarget
	minPerTarget int    // while the type is enabled
	managedID    string // the AWS-managed policy enabling the type attaches everywhere
	topKey       string // the single top-level key of a management policy, where documented
}

// policyKinds: the newest types (INSPECTOR … NETWORK_SECURITY_DIRECTOR) have no published
// quotas or top-level key; they reuse the management-policy defaults (spec §12) [INF].
var policyKinds = map[string]policyKind{
	model.PolicyTypeServiceControlPolicy:          {minPerTarget: 1, managedID: fullAWSAccessID},
	model.PolicyTypeResourceControlPolicy:         {maxSize: 5120, maxPerTarget: 5, minPerTarget: 1, managedID: rcpFullAWSAccessID},
	model.PolicyTypeDeclarativePolicyEc2:          {management: true, maxSize: 10000, maxPerTarget: 10, topKey: "ec2_attributes"},
	model.PolicyTypeBackupPolicy:                  {management: true, maxSize: 10000, maxPerTarget: 10, topKey: "plans"},
	model.PolicyTypeTagPolicy:                     {management: true, maxSize: 10000, maxPerTarget: 10, topKey: tagPolicyTagsKey},
	model.PolicyTypeChatbotPolicy:                 {management: true, maxSize: 10000, maxPerTarget: 5, topKey: "chatbot"},
	model.PolicyTypeAiservicesOptOutPolicy:        {management: true, maxSize: 2500, maxPerTarget: 5, topKey: aiOptOutServicesKey},
	model.PolicyTypeSecurityhubPolicy:             {management: true, maxSize: 10000, maxPerTarget: 10, topKey: "securityhub"},
	model.PolicyTypeInspectorPolicy:               {management: true, maxSize: 10000, maxPerTarget: 10},
	model.PolicyTypeUpgradeRolloutPolicy:          {management: true, maxSize: 10000, maxPerTarget: 10},
	model.PolicyTypeBedrockPolicy:                 {management: true, maxSize: 10000, maxPerTarget: 10},
	model.PolicyTypeS3Policy:                      {management: true, maxSize: 10000, maxPerTarget: 10},
	model.PolicyTypeNetworkSecurityDirectorPolicy: {management: true, maxSize: 10000, maxPerTarget: 10},
}

func (s *Service) maxPolicySize(policyType string) int {
	if n := policyKinds[policyType].maxSize; n > 0 {
		return n
	}
	return s.cfg.Quotas.MaxSCPSize
}

func (s *Service) maxPoliciesPerTarget(policyType string) int {
	if n := policyKinds[policyType].maxPerTarget; n > 0 {
		return n
	}
	return s.cfg.Quotas.MaxSCPsPerTarget
}

func (s *Service) maxPolicies(policyType string) int {
	switch policyType {
	case model.PolicyTypeServiceControlPolicy:
		return s.cfg.Quotas.MaxServiceControlPolicies
	case model.PolicyTypeResourceControlPolicy:
		return s.cfg.Quotas.MaxResourceControlPolicies
	}
	return s.cfg.Quotas.MaxManagementPolicies
}

// The AWS-managed policies (spec §7.5). Their ARNs name the account "aws" and no
// organization, in the organization's partition; their text is AWS's.
const (
	fullAWSAccessID    = "p-FullAWSAccess"
	rcpFullAWSAccessID = "p-RCPFullAWSAccess"
)

var awsManagedPolicies = map[string]Policy{
	fullAWSAccessID: {
		ID: fullAWSAccessID, Type: model.PolicyTypeServiceControlPolicy, Name: "FullAWSAccess",
		Description: "Allows access to every operation",
		Content:     `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`,
	},
	rcpFullAWSAccessID: {
		ID: rcpFullAWSAccessID, Type: model.PolicyTypeResourceControlPolicy, Name: "RCPFullAWSAccess",
		Description: "Allows access to every operation",
		Content:     `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`,
	},
}

// managedPolicyOf returns the AWS-managed policy of a type, if it has one.
func managedPolicyOf(policyType string) (Policy, bool) {
	p, ok := awsManagedPolicies[policyKinds[policyType].managedID]
	return p, ok
}

func isAWSManaged(id string) bool {
	_, ok := awsManagedPolicies[id]
	return ok
}

func newPolicyID() string { return "p-" + randomString(lowerAlnum, 8) }

func policyARN(o *Organization, p *Policy) string {
	segment := strings.ToLower(p.Type)
	if isAWSManaged(p.ID) {
		return "arn:" + o.Partition + ":organizations::aws:policy/" + segment + "/" + p.ID
	}
	return "arn:" + o.Partition + ":organizations::" + o.ManagementAccountID + ":policy/" + o.ID + "/" + segment + "/" + p.ID
}

func policySummary(o *Organization, p *Policy) *model.PolicySummary {
	return &model.PolicySummary{
		Id:          model.Ptr(p.ID),
		Arn:         model.Ptr(policyARN(o, p)),
		Name:        model.Ptr(p.Name),
		Description: model.Ptr(p.Description),
		Type:        model.Ptr(p.Type),
		AwsManaged:  model.Ptr(isAWSManaged(p.ID)),
	}
}

func policyOutput(o *Organization, p *Policy) *model.Policy {
	return &model.Policy{PolicySummary: policySummary(o, p), Content: model.Ptr(p.Content)}
}

func policyNotFound(id string) error {
	return model.Fail(model.CodePolicyNotFoundException, "", "We can't find a policy with the PolicyId that you specified: %s.", id)
}

func targetNotFound(id string) error {
	return model.Fail(model.CodeTargetNotFoundException, "", "We can't find a root, OU, account, or policy with the TargetId that you specified: %s.", id)
}

func policyTypeNotEnabled(policyType string) error {
	return model.Fail(model.CodePolicyTypeNotEnabledException, "", "The policy type %s is not enabled in the root of this organization.", policyType)
}

func policyTypeNotAvailable() error {
	return model.Fail(model.CodePolicyTypeNotAvailableForOrganizationException, "",
		"You can't use policies in an organization that has only consolidated billing features. You must first enable all features.")
}

// policy returns a policy the organization can use: one of its own, or an AWS-managed one
// when the organization has all features (a consolidated-billing organization has no policy
// type, so it has no AWS-managed policy either [INF]).
func (t *txn) policy(o *Organization, id string) (*Policy, error) {
	if p, ok := awsManagedPolicies[id]; ok && o.FeatureSet == model.OrganizationFeatureSetAll {
		return &p, nil
	}
	p, err := t.Policy(t.ctx, id)
	if isNotFound(err) || (err == nil && p.OrgID != o.ID) {
		return nil, policyNotFound(id)
	}
	if err != nil {
		return nil, fmt.Errorf("org: read policy %s: %w", id, err)
	}
	return p, nil
}

// authorizedPolicy reads the policy id names once the caller may take action on it; the check
// comes first, so a caller without the right is denied whether or not the policy exists.
func (t *txn) authorizedPolicy(action, id string) (*Organization, *Policy, error) {
	_, o, err := t.authorize(action, id, "")
	if err != nil {
		return nil, nil, err
	}
	p, err := t.policy(o, id)
	if err != nil {
		return nil, nil, err
	}
	return o, p, nil
}

// attachedPolicy reads the policy of an attachment; one that is gone is orgd's fault
// (ServiceException), not the caller's, so PolicyNotFound is not passed on.
func (t *txn) attachedPolicy(o *Organization, a PolicyAttachment) (*Policy, error) {
	p, err := t.policy(o, a.PolicyID)
	var me *model.Error
	if errors.As(err, &me) {
		return nil, fmt.Errorf("org: policy %s attached to %s: %s", a.PolicyID, a.TargetID, me)
	}
	return p, err
}

// policyTarget is a root, OU or account of an organization, as PolicyTargetSummary shows it.
type policyTarget struct {
	ID, Type, Name, ARN string
}

func (pt policyTarget) output() model.PolicyTargetSummary {
	return model.PolicyTargetSummary{TargetId: model.Ptr(pt.ID), Arn: model.Ptr(pt.ARN), Name: model.Ptr(pt.Name), Type: model.Ptr(pt.Type)}
}

// target resolves a policy target id of organization o; ok is false when it names none.
func (t *txn) target(o *Organization, id string) (pt policyTarget, ok bool, err error) {
	switch {
	case id == o.RootID:
		return policyTarget{ID: id, Type: model.TargetTypeRoot, Name: "Root", ARN: rootARN(o)}, true, nil
	case strings.HasPrefix(id, "ou-"):
		u, err := t.ou(o, id)
		if isNotFound(err) {
			return pt, false, nil
		}
		if err != nil {
			return pt, false, err
		}
		return policyTarget{ID: id, Type: model.TargetTypeOrganizationalUnit, Name: u.Name, ARN: ouARN(o, id)}, true, nil
	case model.IsAccountID(id):
		a, err := t.account(id)
		if err != nil || a.OrgID != o.ID {
			return pt, false, err
		}
		return policyTarget{ID: id, Type: model.TargetTypeAccount, Name: a.Name, ARN: accountARN(o, id)}, true, nil
	}
	return pt, false, nil
}

// mustTarget is target with TargetNotFoundException.
func (t *txn) mustTarget(o *Organization, id string) (policyTarget, error) {
	pt, ok, err := t.target(o, id)
	if err == nil && !ok {
		err = targetNotFound(id)
	}
	return pt, err
}

// enabledPolicyType reports whether a policy type is enabled in the organization's root.
func (t *txn) enabledPolicyType(o *Organization, policyType string) (*EnabledPolicyType, error) {
	types, err := t.EnabledPolicyTypes(t.ctx, o.ID)
	if err != nil {
		return nil, fmt.Errorf("org: policy types of %s: %w", o.ID, err)
	}
	for i := range types {
		if types[i].Type == policyType {
			return &types[i], nil
		}
	}
	return nil, nil
}

// rootPolicyTypes is Root.PolicyTypes: the types enabled in the organization's root. ListRoots
// and Enable/DisablePolicyType answer it.
func (t *txn) rootPolicyTypes(o *Organization) ([]model.PolicyTypeSummary, error) {
	types, err := t.EnabledPolicyTypes(t.ctx, o.ID)
	if err != nil {
		return nil, fmt.Errorf("org: policy types of %s: %w", o.ID, err)
	}
	out := make([]model.PolicyTypeSummary, 0, len(types))
	for _, e := range types {
		out = append(out, model.PolicyTypeSummary{Type: model.Ptr(e.Type), Status: model.Ptr(e.Status)})
	}
	return out, nil
}

func (t *txn) rootOutput(o *Organization) (*model.Root, error) {
	types, err := t.rootPolicyTypes(o)
	if err != nil {
		return nil, err
	}
	return &model.Root{Id: model.Ptr(o.RootID), Arn: model.Ptr(rootARN(o)), Name: model.Ptr("Root"), PolicyTypes: types}, nil
}

// checkPolicyContent applies the size limit, counted in characters as sent (the console
// strips whitespace, the API does not), and the type's grammar.
func (s *Service) checkPolicyContent(policyType, content string) error {
	if n, limit := utf8.RuneCountInString(content), s.maxPolicySize(policyType); n > limit {
		return constraintViolation(model.ConstraintViolationExceptionReasonPolicyContentLimitExceeded,
			"The policy document has %d characters; a %s can have at most %d.", n, policyType, limit)
	}
	return validatePolicyContent(policyType, content)
}

// putPolicy writes a policy, turning the store's name conflict into DuplicatePolicyException.
func (t *txn) putPolicy(p *Policy) error {
	err := t.PutPolicy(t.ctx, p)
	if errors.Is(err, ErrConflict) {
		return model.Fail(model.CodeDuplicatePolicyException, "", "A policy with the same name already exists.")
	}
	if err != nil {
		return fmt.Errorf("org: write policy %s: %w", p.ID, err)
	}
	return nil
}

// CreatePolicy creates a customer policy. Its type need not be enabled: only attaching needs
// that.
func (s *Service) CreatePolicy(ctx context.Context, in *model.CreatePolicyRequest) (*model.CreatePolicyResponse, error) {
	ctx = guard(ctx, "CreatePolicy", in)
	return updateOut(s, ctx, model.CreatePolicyResponse{}, func(t *txn, out *model.CreatePolicyResponse) error {
		_, o, err := t.authorize("CreatePolicy", "", *in.Type)
		if err != nil {
			return err
		}
		if o.FeatureSet != model.OrganizationFeatureSetAll {
			return policyTypeNotAvailable()
		}
		if err := checkNewTags(in.Tags); err != nil {
			return err
		}
		if err := s.checkPolicyContent(*in.Type, *in.Content); err != nil {
			return err
		}
		if err := t.enforceTagPolicy(o, tagTarget{resourceType: tagTypePolicy, accountID: o.ManagementAccountID}, in.Tags); err != nil {
			return err
		}
		n, err := t.CountPolicies(t.ctx, PolicyQuery{OrgID: o.ID, Type: *in.Type})
		if err != nil {
			return fmt.Errorf("org: count policies of %s: %w", o.ID, err)
		}
		if limit := s.maxPolicies(*in.Type); n >= limit {
			return constraintViolation(model.ConstraintViolationExceptionReasonPolicyNumberLimitExceeded,
				"The organization already has its quota of %d policies of type %s.", limit, *in.Type)
		}
		id, err := t.newPolicyID()
		if err != nil {
			return err
		}
		p := &Policy{ID: id, OrgID: o.ID, Type: *in.Type, Name: *in.Name, Description: *in.Description,
			Content: *in.Content, CreatedAt: t.now, UpdatedAt: t.now}
		if err := t.putPolicy(p); err != nil {
			return err
		}
		if err := t.PutTags(t.ctx, p.ID, tagsFromModel(in.Tags)); err != nil {
			return fmt.Errorf("org: tag policy %s: %w", p.ID, err)
		}
		out.Policy = policyOutput(o, p)
		return nil
	})
}

// newPolicyID picks an id no policy has.
func (t *txn) newPolicyID() (string, error) {
	for {
		id := newPolicyID()
		_, err := t.Policy(t.ctx, id)
		if isNotFound(err) {
			return id, nil
		}
		if err != nil {
			return "", fmt.Errorf("org: check policy id %s: %w", id, err)
		}
	}
}

// DescribePolicy returns a policy, AWS-managed ones included.
func (s *Service) DescribePolicy(ctx context.Context, in *model.DescribePolicyRequest) (*model.DescribePolicyResponse, error) {
	ctx = guard(ctx, "DescribePolicy", in)
	return viewOut(s, ctx, model.DescribePolicyResponse{}, func(t *txn, out *model.DescribePolicyResponse) error {
		o, p, err := t.authorizedPolicy("DescribePolicy", *in.PolicyId)
		if err != nil {
			return err
		}
		out.Policy = policyOutput(o, p)
		return nil
	})
}

func immutablePolicy(id string) error {
	return invalidInput(model.InvalidInputExceptionReasonImmutablePolicy, "The AWS-managed policy %s can't be changed or deleted.", id)
}

// UpdatePolicy changes a customer policy's name, description or content; its type is fixed.
func (s *Service) UpdatePolicy(ctx context.Context, in *model.UpdatePolicyRequest) (*model.UpdatePolicyResponse, error) {
	ctx = guard(ctx, "UpdatePolicy", in)
	return updateOut(s, ctx, model.UpdatePolicyResponse{}, func(t *txn, out *model.UpdatePolicyResponse) error {
		o, p, err := t.authorizedPolicy("UpdatePolicy", *in.PolicyId)
		if err != nil {
			return err
		}
		if isAWSManaged(p.ID) {
			return immutablePolicy(p.ID)
		}
		changed := false
		if in.Content != nil && *in.Content != p.Content {
			if err := s.checkPolicyContent(p.Type, *in.Content); err != nil {
				return err
			}
			p.Content, changed = *in.Content, true
			if err := t.changedSCPs(o.ID); err != nil {
				return err
			}
		}
		if in.Name != nil && *in.Name != p.Name {
			p.Name, changed = *in.Name, true
		}
		if in.Description != nil && *in.Description != p.Description {
			p.Description, changed = *in.Description, true
		}
		if changed {
			p.UpdatedAt = t.now
			if err := t.putPolicy(p); err != nil {
				return err
			}
		}
		out.Policy = policyOutput(o, p)
		return nil
	})
}

// DeletePolicy deletes a customer policy that is attached nowhere.
func (s *Service) DeletePolicy(ctx context.Context, in *model.DeletePolicyRequest) error {
	ctx = guard(ctx, "DeletePolicy", in)
	return s.update(ctx, func(t *txn) error {
		o, p, err := t.authorizedPolicy("DeletePolicy", *in.PolicyId)
		if err != nil {
			return err
		}
		if isAWSManaged(p.ID) {
			return immutablePolicy(p.ID)
		}
		used, err := t.ListPolicyAttachments(t.ctx, PolicyAttachmentQuery{OrgID: o.ID, PolicyID: p.ID, Limit: 1})
		if err != nil {
			return fmt.Errorf("org: targets of policy %s: %w", p.ID, err)
		}
		if len(used) > 0 {
			return model.Fail(model.CodePolicyInUseException, "",
				"The policy %s is attached to one or more entities. You must detach it from all roots, OUs, and accounts before you can delete it.", p.ID)
		}
		if err := t.DeleteAllTags(t.ctx, p.ID); err != nil {
			return fmt.Errorf("org: delete tags of %s: %w", p.ID, err)
		}
		if err := t.Tx.DeletePolicy(t.ctx, p.ID); err != nil {
			return fmt.Errorf("org: delete policy %s: %w", p.ID, err)
		}
		return nil
	})
}

// ListPolicies lists the organization's policies of one type: the AWS-managed one first,
// then the customer policies by id (in creation order under the moto profile, where the
// AWS-managed one is the first created).
func (s *Service) ListPolicies(ctx context.Context, in *model.ListPoliciesRequest) (*model.ListPoliciesResponse, error) {
	ctx = guard(ctx, "ListPolicies", in)
	return viewOut(s, ctx, model.ListPoliciesResponse{Policies: []model.PolicySummary{}}, func(t *txn, out *model.ListPoliciesResponse) error {
		_, o, err := t.authorize("ListPolicies", "", *in.Filter)
		if err != nil {
			return err
		}
		scope := "ListPolicies|" + t.caller.AccountID + "|" + o.ID + "|" + *in.Filter + s.orderScope()
		if s.creationOrder() {
			page, next, err := seqPageOf(s, scope, in.NextToken, in.MaxResults, func(afterSeq int64, limit int) ([]Policy, error) {
				var ps []Policy
				// The token holds the last Seq listed: 0 is the AWS-managed policy's.
				if managed, ok := managedPolicyOf(*in.Filter); ok && in.NextToken == nil && o.FeatureSet == model.OrganizationFeatureSetAll {
					ps = append(ps, managed)
				}
				customer, err := t.ListPolicies(t.ctx, PolicyQuery{OrgID: o.ID, Type: *in.Filter, Order: ByCreation, AfterSeq: afterSeq, Limit: limit - len(ps)})
				if err != nil {
					return nil, fmt.Errorf("org: list policies of %s: %w", o.ID, err)
				}
				return append(ps, customer...), nil
			}, func(p Policy) int64 { return p.Seq })
			out.NextToken = next
			for i := range page {
				out.Policies = append(out.Policies, *policySummary(o, &page[i]))
			}
			return err
		}
		page, next, err := pageOf(s, scope, in.NextToken, in.MaxResults, func(after string, limit int) ([]Policy, error) {
			var ps []Policy
			// The token holds the last id listed: "" before the AWS-managed policy, its id after it.
			if managed, ok := managedPolicyOf(*in.Filter); ok && after == "" && o.FeatureSet == model.OrganizationFeatureSetAll {
				ps = append(ps, managed)
			}
			if isAWSManaged(after) {
				after = ""
			}
			customer, err := t.ListPolicies(t.ctx, PolicyQuery{OrgID: o.ID, Type: *in.Filter, AfterID: after, Limit: limit - len(ps)})
			if err != nil {
				return nil, fmt.Errorf("org: list policies of %s: %w", o.ID, err)
			}
			return append(ps, customer...), nil
		}, func(p Policy) string { return p.ID })
		if err != nil {
			return err
		}
		out.NextToken = next
		for i := range page {
			out.Policies = append(out.Policies, *policySummary(o, &page[i]))
		}
		return nil
	})
}

// ListPoliciesForTarget lists the policies of one type attached directly to a target, in the
// order they were attached.
func (s *Service) ListPoliciesForTarget(ctx context.Context, in *model.ListPoliciesForTargetRequest) (*model.ListPoliciesForTargetResponse, error) {
	ctx = guard(ctx, "ListPoliciesForTarget", in)
	return viewOut(s, ctx, model.ListPoliciesForTargetResponse{Policies: []model.PolicySummary{}}, func(t *txn, out *model.ListPoliciesForTargetResponse) error {
		_, o, err := t.authorize("ListPoliciesForTarget", *in.TargetId, *in.Filter)
		if err != nil {
			return err
		}
		pt, err := t.mustTarget(o, *in.TargetId)
		if err != nil {
			return err
		}
		scope := "ListPoliciesForTarget|" + t.caller.AccountID + "|" + o.ID + "|" + pt.ID + "|" + *in.Filter
		as, next, err := seqPageOf(s, scope, in.NextToken, in.MaxResults, func(afterSeq int64, limit int) ([]PolicyAttachment, error) {
			as, err := t.ListPolicyAttachments(t.ctx, PolicyAttachmentQuery{OrgID: o.ID, TargetID: pt.ID, PolicyType: *in.Filter, AfterSeq: afterSeq, Limit: limit})
			if err != nil {
				return nil, fmt.Errorf("org: policies of %s: %w", pt.ID, err)
			}
			return as, nil
		}, func(a PolicyAttachment) int64 { return a.Seq })
		if err != nil {
			return err
		}
		out.NextToken = next
		for _, a := range as {
			p, err := t.attachedPolicy(o, a)
			if err != nil {
				return err
			}
			out.Policies = append(out.Policies, *policySummary(o, p))
		}
		return nil
	})
}

// ListTargetsForPolicy lists the roots, OUs and accounts a policy is attached to, by id, or
// in the order they were attached under the moto profile.
func (s *Service) ListTargetsForPolicy(ctx context.Context, in *model.ListTargetsForPolicyRequest) (*model.ListTargetsForPolicyResponse, error) {
	ctx = guard(ctx, "ListTargetsForPolicy", in)
	return viewOut(s, ctx, model.ListTargetsForPolicyResponse{Targets: []model.PolicyTargetSummary{}}, func(t *txn, out *model.ListTargetsForPolicyResponse) error {
		o, p, err := t.authorizedPolicy("ListTargetsForPolicy", *in.PolicyId)
		if err != nil {
			return err
		}
		scope := "ListTargetsForPolicy|" + t.caller.AccountID + "|" + o.ID + "|" + p.ID + s.orderScope()
		list := func(q PolicyAttachmentQuery) ([]PolicyAttachment, error) {
			as, err := t.ListPolicyAttachments(t.ctx, q)
			if err != nil {
				return nil, fmt.Errorf("org: targets of %s: %w", p.ID, err)
			}
			return as, nil
		}
		var as []PolicyAttachment
		var next *string
		if s.creationOrder() {
			// moto appends a target to the policy's list as it is attached.
			as, next, err = seqPageOf(s, scope, in.NextToken, in.MaxResults, func(afterSeq int64, limit int) ([]PolicyAttachment, error) {
				return list(PolicyAttachmentQuery{OrgID: o.ID, PolicyID: p.ID, Order: ByCreation, AfterSeq: afterSeq, Limit: limit})
			}, func(a PolicyAttachment) int64 { return a.PolicySeq })
		} else {
			as, next, err = pageOf(s, scope, in.NextToken, in.MaxResults, func(after string, limit int) ([]PolicyAttachment, error) {
				return list(PolicyAttachmentQuery{OrgID: o.ID, PolicyID: p.ID, AfterTargetID: after, Limit: limit})
			}, func(a PolicyAttachment) string { return a.TargetID })
		}
		if err != nil {
			return err
		}
		out.NextToken = next
		for _, a := range as {
			// A target leaves its attachments behind only if a hook was missed: that is
			// orgd's fault (ServiceException), not the caller's.
			pt, ok, err := t.target(o, a.TargetID)
			if err != nil {
				return err
			}
			if !ok {
				return fmt.Errorf("org: policy %s is attached to %s, which is not in %s", p.ID, a.TargetID, o.ID)
			}
			out.Targets = append(out.Targets, pt.output())
		}
		return nil
	})
}

// AttachPolicy attaches a policy directly to a root, OU or account.
func (s *Service) AttachPolicy(ctx context.Context, in *model.AttachPolicyRequest) error {
	ctx = guard(ctx, "AttachPolicy", in)
	return s.update(ctx, func(t *txn) error {
		o, p, err := t.authorizedPolicy("AttachPolicy", *in.PolicyId)
		if err != nil {
			return err
		}
		pt, err := t.mustTarget(o, *in.TargetId)
		if err != nil {
			return err
		}
		if e, err := t.enabledPolicyType(o, p.Type); err != nil {
			return err
		} else if e == nil {
			return policyTypeNotEnabled(p.Type)
		}
		if _, err := t.PolicyAttachment(t.ctx, o.ID, p.ID, pt.ID); err == nil {
			return model.Fail(model.CodeDuplicatePolicyAttachmentException, "", "The policy %s is already attached to %s.", p.ID, pt.ID)
		} else if !isNotFound(err) {
			return fmt.Errorf("org: attachment of %s to %s: %w", p.ID, pt.ID, err)
		}
		n, err := t.CountPolicyAttachments(t.ctx, PolicyAttachmentQuery{OrgID: o.ID, TargetID: pt.ID, PolicyType: p.Type})
		if err != nil {
			return fmt.Errorf("org: count policies of %s: %w", pt.ID, err)
		}
		if limit := s.maxPoliciesPerTarget(p.Type); n >= limit {
			return constraintViolation(model.ConstraintViolationExceptionReasonMaxPolicyTypeAttachmentLimitExceeded,
				"%s already has %d policies of type %s attached, the most it can have.", pt.ID, n, p.Type)
		}
		return t.attach(o, p, pt.ID, pt.Type)
	})
}

func (t *txn) attach(o *Organization, p *Policy, targetID, targetType string) error {
	a := &PolicyAttachment{OrgID: o.ID, PolicyID: p.ID, TargetID: targetID, PolicyType: p.Type, TargetType: targetType, AttachedAt: t.now}
	if err := t.changedSCPs(o.ID); err != nil {
		return err
	}
	if err := t.PutPolicyAttachment(t.ctx, a); err != nil {
		return fmt.Errorf("org: attach %s to %s: %w", p.ID, targetID, err)
	}
	return nil
}

// DetachPolicy detaches a policy from a target, keeping the minimum of its type attached.
func (s *Service) DetachPolicy(ctx context.Context, in *model.DetachPolicyRequest) error {
	ctx = guard(ctx, "DetachPolicy", in)
	return s.update(ctx, func(t *txn) error {
		o, p, err := t.authorizedPolicy("DetachPolicy", *in.PolicyId)
		if err != nil {
			return err
		}
		pt, err := t.mustTarget(o, *in.TargetId)
		if err != nil {
			return err
		}
		// Every resource keeps RCPFullAWSAccess while RCPs are enabled (spec §7.4).
		if p.ID == rcpFullAWSAccessID {
			return invalidInput(model.InvalidInputExceptionReasonNonDetachablePolicy, "The AWS-managed policy %s can't be detached.", p.ID)
		}
		if _, err := t.PolicyAttachment(t.ctx, o.ID, p.ID, pt.ID); isNotFound(err) {
			return model.Fail(model.CodePolicyNotAttachedException, "", "The policy %s is not attached to %s.", p.ID, pt.ID)
		} else if err != nil {
			return fmt.Errorf("org: attachment of %s to %s: %w", p.ID, pt.ID, err)
		}
		n, err := t.CountPolicyAttachments(t.ctx, PolicyAttachmentQuery{OrgID: o.ID, TargetID: pt.ID, PolicyType: p.Type})
		if err != nil {
			return fmt.Errorf("org: count policies of %s: %w", pt.ID, err)
		}
		if least := policyKinds[p.Type].minPerTarget; n <= least {
			return constraintViolation(model.ConstraintViolationExceptionReasonMinPolicyTypeAttachmentLimitExceeded,
				"%s must keep at least %d policy of type %s attached.", pt.ID, least, p.Type)
		}
		if err := t.DeletePolicyAttachment(t.ctx, o.ID, p.ID, pt.ID); err != nil {
			return fmt.Errorf("org: detach %s from %s: %w", p.ID, pt.ID, err)
		}
		return t.changedSCPs(o.ID)
	})
}

// checkRoot answers RootNotFoundException for anything but the organization's root.
func checkRoot(o *Organization, id string) error {
	if id != o.RootID {
		return model.Fail(model.CodeRootNotFoundException, "", "We can't find a root with the RootId that you specified: %s.", id)
	}
	return nil
}

// EnablePolicyType enables a policy type in the root. SCPs and RCPs start with their
// AWS-managed policy attached to the root, every OU and every account, so that enabling them
// restricts nothing.
func (s *Service) EnablePolicyType(ctx context.Context, in *model.EnablePolicyTypeRequest) (*model.EnablePolicyTypeResponse, error) {
	ctx = guard(ctx, "EnablePolicyType", in)
	return updateOut(s, ctx, model.EnablePolicyTypeResponse{}, func(t *txn, out *model.EnablePolicyTypeResponse) error {
		_, o, err := t.authorize("EnablePolicyType", *in.RootId, *in.PolicyType)
		if err != nil {
			return err
		}
		if o.FeatureSet != model.OrganizationFeatureSetAll {
			return policyTypeNotAvailable()
		}
		if err := checkRoot(o, *in.RootId); err != nil {
			return err
		}
		if e, err := t.enabledPolicyType(o, *in.PolicyType); err != nil {
			return err
		} else if e != nil {
			return model.Fail(model.CodePolicyTypeAlreadyEnabledException, "", "The policy type %s is already enabled in the root %s.", *in.PolicyType, o.RootID)
		}
		if service, ok := policyTypeServices[*in.PolicyType]; ok {
			enabled, err := t.serviceAccessEnabled(o, service)
			if err != nil {
				return err
			}
			if !enabled {
				return constraintViolation(model.ConstraintViolationExceptionReasonServiceAccessNotEnabled,
					"You must enable trusted access for %s before you can enable %s.", service, *in.PolicyType)
			}
		}
		// AWS reports PENDING_ENABLE while it propagates; orgd applies the change in this
		// transaction, so it is ENABLED at once, as AWS's samples show.
		e := &EnabledPolicyType{OrgID: o.ID, RootID: o.RootID, Type: *in.PolicyType, Status: model.PolicyTypeStatusEnabled, EnabledAt: t.now}
		if err := t.PutEnabledPolicyType(t.ctx, e); err != nil {
			return fmt.Errorf("org: enable %s in %s: %w", e.Type, o.ID, err)
		}
		if err := t.changedSCPs(o.ID); err != nil {
			return err
		}
		if managed, ok := managedPolicyOf(e.Type); ok {
			if err := t.attachEverywhere(o, &managed); err != nil {
				return err
			}
		}
		out.Root, err = t.rootOutput(o)
		return err
	})
}

// attachEverywhere attaches p to the root, every OU and every account of the organization.
func (t *txn) attachEverywhere(o *Organization, p *Policy) error {
	if err := t.attach(o, p, o.RootID, model.TargetTypeRoot); err != nil {
		return err
	}
	ous, err := t.ListOUs(t.ctx, OUQuery{OrgID: o.ID})
	if err != nil {
		return fmt.Errorf("org: OUs of %s: %w", o.ID, err)
	}
	for _, u := range ous {
		if err := t.attach(o, p, u.ID, model.TargetTypeOrganizationalUnit); err != nil {
			return err
		}
	}
	accts, err := t.ListAccounts(t.ctx, AccountQuery{OrgID: o.ID})
	if err != nil {
		return fmt.Errorf("org: accounts of %s: %w", o.ID, err)
	}
	for _, a := range accts {
		if err := t.attach(o, p, a.ID, model.TargetTypeAccount); err != nil {
			return err
		}
	}
	return nil
}

// DisablePolicyType disables a policy type in the root and detaches every policy of the type
// from every root, OU and account; the policies themselves remain.
func (s *Service) DisablePolicyType(ctx context.Context, in *model.DisablePolicyTypeRequest) (*model.DisablePolicyTypeResponse, error) {
	ctx = guard(ctx, "DisablePolicyType", in)
	return updateOut(s, ctx, model.DisablePolicyTypeResponse{}, func(t *txn, out *model.DisablePolicyTypeResponse) error {
		_, o, err := t.authorize("DisablePolicyType", *in.RootId, *in.PolicyType)
		if err != nil {
			return err
		}
		if err := checkRoot(o, *in.RootId); err != nil {
			return err
		}
		if e, err := t.enabledPolicyType(o, *in.PolicyType); err != nil {
			return err
		} else if e == nil {
			return policyTypeNotEnabled(*in.PolicyType)
		}
		if err := t.DeletePolicyAttachments(t.ctx, PolicyAttachmentQuery{OrgID: o.ID, PolicyType: *in.PolicyType}); err != nil {
			return fmt.Errorf("org: detach policies of type %s in %s: %w", *in.PolicyType, o.ID, err)
		}
		if err := t.DeleteEnabledPolicyType(t.ctx, o.ID, *in.PolicyType); err != nil {
			return fmt.Errorf("org: disable %s in %s: %w", *in.PolicyType, o.ID, err)
		}
		if err := t.changedSCPs(o.ID); err != nil {
			return err
		}
		out.Root, err = t.rootOutput(o)
		return err
	})
}

// Hooks for the operations that create and remove targets and organizations.

// attachDefaultPolicies attaches the AWS-managed policy of every enabled type that has one
// (SCPs, RCPs) to a new OU or an account joining the organization. targetType is a
// TargetType. Attaching what is already attached is no error.
func (t *txn) attachDefaultPolicies(o *Organization, targetID, targetType string) error {
	types, err := t.EnabledPolicyTypes(t.ctx, o.ID)
	if err != nil {
		return fmt.Errorf("org: policy types of %s: %w", o.ID, err)
	}
	for _, e := range types {
		managed, ok := managedPolicyOf(e.Type)
		if !ok {
			continue
		}
		if err := t.attach(o, &managed, targetID, targetType); err != nil && !errors.Is(err, ErrConflict) {
			return err
		}
	}
	return nil
}

// detachAllPolicies detaches every policy from a target: an account leaving the organization
// or an OU being deleted.
func (t *txn) detachAllPolicies(o *Organization, targetID string) error {
	if err := t.DeletePolicyAttachments(t.ctx, PolicyAttachmentQuery{OrgID: o.ID, TargetID: targetID}); err != nil {
		return fmt.Errorf("org: detach policies from %s: %w", targetID, err)
	}
	return t.changedSCPs(o.ID)
}

// deleteOrganizationPolicies removes an organization's policies with their tags, its
// attachments and its enabled policy types, for DeleteOrganization.
func (t *txn) deleteOrganizationPolicies(o *Organization) error {
	if err := t.DeletePolicyAttachments(t.ctx, PolicyAttachmentQuery{OrgID: o.ID}); err != nil {
		return fmt.Errorf("org: delete policy attachments of %s: %w", o.ID, err)
	}
	for policyType := range policyKinds {
		ps, err := t.ListPolicies(t.ctx, PolicyQuery{OrgID: o.ID, Type: policyType})
		if err != nil {
			return fmt.Errorf("org: policies of %s: %w", o.ID, err)
		}
		for _, p := range ps {
			if err := t.DeleteAllTags(t.ctx, p.ID); err != nil {
				return fmt.Errorf("org: delete tags of %s: %w", p.ID, err)
			}
		}
	}
	if err := t.DeletePolicies(t.ctx, o.ID); err != nil {
		return fmt.Errorf("org: delete policies of %s: %w", o.ID, err)
	}
	if err := t.DeleteEnabledPolicyTypes(t.ctx, o.ID); err != nil {
		return fmt.Errorf("org: delete policy types of %s: %w", o.ID, err)
	}
	return nil
}
