package org

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/orgd/orgd/internal/iam"
	"github.com/orgd/orgd/internal/model"
	"github.com/orgd/orgd/internal/policy"
)

// The resource-based delegation policy (spec §8.4): one IAM-style policy per organization,
// written by the management account, that lets member accounts call a fixed set of
// Organizations actions ("delegated administrator for Organizations").

// delegableActions are the 33 actions a delegation policy may grant (spec §8.4).
var delegableActions = []string{
	"AttachPolicy", "CreatePolicy", "DeletePolicy", "DescribeAccount", "DescribeCreateAccountStatus",
	"DescribeEffectivePolicy", "DescribeHandshake", "DescribeOrganization", "DescribeOrganizationalUnit",
	"DescribePolicy", "DescribeResourcePolicy", "DetachPolicy", "DisablePolicyType", "EnablePolicyType",
	"ListAccounts", "ListAccountsForParent", "ListAWSServiceAccessForOrganization", "ListChildren",
	"ListCreateAccountStatus", "ListDelegatedAdministrators", "ListDelegatedServicesForAccount",
	"ListHandshakesForAccount", "ListHandshakesForOrganization", "ListOrganizationalUnitsForParent",
	"ListParents", "ListPolicies", "ListPoliciesForTarget", "ListRoots", "ListTagsForResource",
	"ListTargetsForPolicy", "TagResource", "UntagResource", "UpdatePolicy",
}

// policyTypes are the values of the model's PolicyType enum, which the organizations:PolicyType
// condition key takes.
var policyTypes = []string{
	model.PolicyTypeServiceControlPolicy, model.PolicyTypeResourceControlPolicy, model.PolicyTypeTagPolicy,
	model.PolicyTypeBackupPolicy, model.PolicyTypeAiservicesOptOutPolicy, model.PolicyTypeChatbotPolicy,
	model.PolicyTypeDeclarativePolicyEc2, model.PolicyTypeSecurityhubPolicy, model.PolicyTypeInspectorPolicy,
	model.PolicyTypeUpgradeRolloutPolicy, model.PolicyTypeBedrockPolicy, model.PolicyTypeS3Policy,
	model.PolicyTypeNetworkSecurityDirectorPolicy,
}

const policyTypeKey = "organizations:PolicyType"

func newResourcePolicyID() string { return "rp-" + randomString(lowerAlnum, 8) }

func resourcePolicyARN(o *Organization, id string) string {
	return "arn:" + o.Partition + ":organizations::" + o.ManagementAccountID + ":resourcepolicy/" + o.ID + "/" + id
}

func resourcePolicyOutput(o *Organization, p *ResourcePolicy) *model.ResourcePolicy {
	return &model.ResourcePolicy{
		ResourcePolicySummary: &model.ResourcePolicySummary{Id: model.Ptr(p.ID), Arn: model.Ptr(resourcePolicyARN(o, p.ID))},
		Content:               model.Ptr(p.Content),
	}
}

func resourcePolicyNotFound() error {
	return model.Fail(model.CodeResourcePolicyNotFoundException, "", "We can't find a resource policy request with the parameter that you specified.")
}

// resourcePolicy returns the organization's delegation policy, or nil when it has none.
func (t *txn) resourcePolicy(o *Organization) (*ResourcePolicy, error) {
	p, err := t.ResourcePolicy(t.ctx, o.ID)
	if isNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("org: read resource policy of %s: %w", o.ID, err)
	}
	return p, nil
}

// PutResourcePolicy creates the organization's delegation policy or replaces its content.
func (s *Service) PutResourcePolicy(ctx context.Context, in *model.PutResourcePolicyRequest) (*model.PutResourcePolicyResponse, error) {
	ctx = guard(ctx, "PutResourcePolicy", in)
	return updateOut(s, ctx, model.PutResourcePolicyResponse{}, func(t *txn, out *model.PutResourcePolicyResponse) error {
		_, o, err := t.management()
		if err != nil {
			return err
		}
		// Delegating policy management only means something with all features [INF].
		if err := requireAllFeatures(o); err != nil {
			return err
		}
		if err := checkDelegationPolicy(*in.Content, o.Partition); err != nil {
			return err
		}
		p, err := t.resourcePolicy(o)
		if err != nil {
			return err
		}
		if p != nil && len(in.Tags) > 0 {
			// The model documents an exception without naming it; the reason is the one the
			// model spells (in another enum) for this case [INF].
			return invalidInput(model.CreateAccountFailureReasonUpdateExistingResourcePolicyWithTagsNotSupported,
				"You can add tags only when you create the resource policy; use TagResource on %s.", p.ID)
		}
		if err := checkNewTags(in.Tags); err != nil {
			return err
		}
		if p == nil {
			p = &ResourcePolicy{ID: newResourcePolicyID(), OrgID: o.ID, CreatedAt: t.now}
			if err := t.PutTags(t.ctx, p.ID, tagsFromModel(in.Tags)); err != nil {
				return fmt.Errorf("org: tag resource policy %s: %w", p.ID, err)
			}
		}
		p.Content, p.UpdatedAt = *in.Content, t.now
		if err := t.PutResourcePolicy(t.ctx, p); err != nil {
			return fmt.Errorf("org: write resource policy of %s: %w", o.ID, err)
		}
		out.ResourcePolicy = resourcePolicyOutput(o, p)
		return nil
	})
}

// DescribeResourcePolicy answers the policy to the management account, a delegated
// administrator, or a member the policy itself grants DescribeResourcePolicy.
func (s *Service) DescribeResourcePolicy(ctx context.Context) (*model.DescribeResourcePolicyResponse, error) {
	ctx = guard(ctx, "DescribeResourcePolicy", nil)
	return viewOut(s, ctx, model.DescribeResourcePolicyResponse{}, func(t *txn, out *model.DescribeResourcePolicyResponse) error {
		a, o, err := t.membership()
		if err != nil {
			return err
		}
		p, err := t.resourcePolicy(o)
		if err != nil {
			return err
		}
		allowed := a.ID == o.ManagementAccountID
		if !allowed {
			if allowed, err = t.isDelegatedAdministrator(o, a.ID); err != nil {
				return err
			}
		}
		if !allowed && p != nil {
			if allowed, err = t.resourcePolicyAllows(o, a.ID, "DescribeResourcePolicy", resourcePolicyARN(o, p.ID)); err != nil {
				return err
			}
		}
		if !allowed {
			return accessDenied()
		}
		if p == nil {
			return resourcePolicyNotFound()
		}
		out.ResourcePolicy = resourcePolicyOutput(o, p)
		return nil
	})
}

// DeleteResourcePolicy deletes the policy and its tags.
func (s *Service) DeleteResourcePolicy(ctx context.Context) error {
	ctx = guard(ctx, "DeleteResourcePolicy", nil)
	return s.update(ctx, func(t *txn) error {
		_, o, err := t.management()
		if err != nil {
			return err
		}
		p, err := t.resourcePolicy(o)
		if err != nil {
			return err
		}
		if p == nil {
			return resourcePolicyNotFound()
		}
		if err := t.DeleteAllTags(t.ctx, p.ID); err != nil {
			return fmt.Errorf("org: delete tags of %s: %w", p.ID, err)
		}
		if err := t.DeleteResourcePolicy(t.ctx, o.ID); err != nil {
			return fmt.Errorf("org: delete resource policy of %s: %w", o.ID, err)
		}
		return nil
	})
}

// resourcePolicyAllows evaluates the organization's delegation policy for a member account
// calling an Organizations action (e.g. "AttachPolicy" or "organizations:AttachPolicy") on a
// resource ARN ("*" for actions that name no resource). The organizations:PolicyType
// condition key takes the type a policy ARN names; use resourcePolicyAllowsType when the
// request carries the type otherwise (AttachPolicy's target, CreatePolicy).
func (t *txn) resourcePolicyAllows(o *Organization, accountID, action, resourceARN string) (bool, error) {
	return t.resourcePolicyAllowsType(o, accountID, action, resourceARN, policyTypeOfARN(resourceARN))
}

// resourcePolicyAllowsType is resourcePolicyAllows with the request's policy type ("" when it
// has none). The policy is evaluated by internal/policy as a resource-based policy: an Allow
// must name the caller as principal (its account, root user, user or role) and match the
// action, the resource and its conditions; a matching Deny wins. Only members of o are
// granted anything, and only the delegable actions.
func (t *txn) resourcePolicyAllowsType(o *Organization, accountID, action, resourceARN, policyType string) (bool, error) {
	action = strings.TrimPrefix(action, "organizations:")
	if !isDelegable(action) {
		return false, nil
	}
	p, err := t.resourcePolicy(o)
	if err != nil || p == nil {
		return false, err
	}
	a, err := t.account(accountID)
	if err != nil {
		return false, err
	}
	if a.OrgID != o.ID {
		return false, nil
	}
	doc, err := t.svc.policies.get(p.ID, p.Content, 0)
	if err != nil {
		// A stored policy passed validation; one that no longer parses grants nothing.
		return false, nil
	}
	part := t.caller.partition()
	principal := iam.Principal{Account: accountID, Kind: iam.Root}
	if accountID == t.caller.AccountID {
		principal = t.caller.principal()
	}
	req := policy.Request{Action: "organizations:" + action, Resource: resourceARN,
		PrincipalARN: principal.ARN(part), PrincipalAccount: accountID, Context: policy.NewContext()}
	if principal.Kind == iam.AssumedRole {
		req.RoleARN = "arn:" + part + ":iam::" + accountID + ":role/" + principal.Name
	}
	req.Context.Set("aws:PrincipalAccount", accountID)
	req.Context.Set("aws:PrincipalArn", principalARN(principal, part))
	req.Context.Set("aws:PrincipalOrgID", o.ID)
	if policyType != "" {
		req.Context.Set(policyTypeKey, policyType)
	}
	// The caller's identity policies and SCPs were decided by the guardrail before the
	// operation began; here the delegation policy decides, across accounts, for a caller
	// whose identity allows all.
	req.ResourceAccount = o.ManagementAccountID
	res := policy.Evaluate(&req, &policy.Input{Identity: t.svc.admin, ResourcePolicy: doc}, policy.Options{})
	return res.Decision == policy.Allowed, nil
}

func isDelegable(action string) bool {
	for _, a := range delegableActions {
		if strings.EqualFold(a, action) {
			return true
		}
	}
	return false
}

// policyARNType finds the policy type in a customer (…:policy/o-…/<type>/p-…) or AWS-managed
// (…:policy/<type>/p-…) policy ARN.
var policyARNType = regexp.MustCompile(`^arn:[^:]+:organizations::[^:]+:policy/(?:o-[a-z0-9]+/)?([a-z0-9_]+)/p-[0-9a-zA-Z_]+$`)

func policyTypeOfARN(arn string) string {
	m := policyARNType.FindStringSubmatch(arn)
	if m == nil {
		return ""
	}
	return strings.ToUpper(m[1])
}

func containsFunc(xs []string, f func(string) bool) bool {
	for _, x := range xs {
		if f(x) {
			return true
		}
	}
	return false
}

// Validation of the document, with the model's InvalidInputException reasons.

var (
	iamPrincipalARN   = regexp.MustCompile(`^arn:(aws[a-z-]*):iam::(\d{12}):(root|role/.+|user/.+)$`)
	organizationsARN  = regexp.MustCompile(`^arn:(aws[a-z-]*|\*):organizations::([0-9]{12}|aws|\*)?:.+$`)
	statementElements = map[string]bool{"Sid": true, "Effect": true, "Principal": true, "Action": true, "Resource": true, "Condition": true}
)

func policyJSONError(format string, args ...any) error {
	return invalidInput(model.InvalidInputExceptionReasonInvalidResourcePolicyJson, format, args...)
}

// checkDelegationPolicy checks a delegation policy: orgd's checks, with the reasons of the
// model, then internal/policy's for a resource-based policy. NotPrincipal,
// NotAction and NotResource are refused, as AWS does from 2026-06-30 (spec §8.4); each answers
// the reason of the element it negates [INF]. Principals are of partition, the organization's.
func checkDelegationPolicy(content, partition string) error {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal([]byte(content), &doc); err != nil {
		return policyJSONError("The resource policy is not valid JSON: %v.", err)
	}
	for k := range doc {
		if k != "Version" && k != "Id" && k != "Statement" {
			return policyJSONError("The resource policy has an unknown element %s.", k)
		}
	}
	if v, ok := doc["Version"]; ok {
		var version string
		if json.Unmarshal(v, &version) != nil || (version != "2012-10-17" && version != "2008-10-17") {
			return policyJSONError("The resource policy's Version must be 2012-10-17.")
		}
	}
	raw, ok := doc["Statement"]
	if !ok {
		return policyJSONError("The resource policy has no Statement.")
	}
	var stmts []map[string]json.RawMessage
	if trimmed := bytes.TrimSpace(raw); len(trimmed) > 0 && trimmed[0] == '{' {
		var one map[string]json.RawMessage
		if err := json.Unmarshal(raw, &one); err != nil {
			return policyJSONError("The resource policy's Statement is not valid: %v.", err)
		}
		stmts = append(stmts, one)
	} else if err := json.Unmarshal(raw, &stmts); err != nil || len(stmts) == 0 {
		return policyJSONError("The resource policy's Statement must be an object or a non-empty list of objects.")
	}
	for _, raw := range stmts {
		if err := checkStatement(raw, partition); err != nil {
			return err
		}
	}
	// What orgd's checks let through must also be a resource-based policy IAM accepts (an
	// unknown condition operator, a malformed value).
	p, err := policy.Parse(content)
	if err == nil {
		err = policy.Validate(policy.Resource, p)
	}
	if err != nil {
		return policyJSONError("The resource policy is not valid: %v", err)
	}
	return nil
}

func checkStatement(raw map[string]json.RawMessage, partition string) error {
	switch {
	case raw["NotPrincipal"] != nil:
		return invalidInput(model.InvalidInputExceptionReasonInvalidPrincipal, "A resource policy can't use NotPrincipal.")
	case raw["NotAction"] != nil:
		return invalidInput(model.InvalidInputExceptionReasonUnsupportedActionInResourcePolicy, "A resource policy can't use NotAction.")
	case raw["NotResource"] != nil:
		return invalidInput(model.InvalidInputExceptionReasonUnsupportedResourceInResourcePolicy, "A resource policy can't use NotResource.")
	}
	for k := range raw {
		if !statementElements[k] {
			return policyJSONError("A statement has an unknown element %s.", k)
		}
	}
	var effect string
	if json.Unmarshal(raw["Effect"], &effect) != nil || (effect != "Allow" && effect != "Deny") {
		return policyJSONError("A statement's Effect must be Allow or Deny.")
	}
	if err := checkPrincipal(raw["Principal"], partition); err != nil {
		return err
	}
	actions, err := stringOrList(raw["Action"])
	if err != nil || len(actions) == 0 {
		return policyJSONError("A statement's Action must be a string or a list of strings.")
	}
	for _, a := range actions {
		if !delegableAction(a) {
			return invalidInput(model.InvalidInputExceptionReasonUnsupportedActionInResourcePolicy,
				"The action %s can't be delegated with a resource policy.", a)
		}
	}
	resources, err := stringOrList(raw["Resource"])
	if err != nil || len(resources) == 0 {
		return policyJSONError("A statement's Resource must be a string or a list of strings.")
	}
	for _, r := range resources {
		if r != "*" && !organizationsARN.MatchString(r) {
			return invalidInput(model.InvalidInputExceptionReasonUnsupportedResourceInResourcePolicy,
				"The resource %s is not an AWS Organizations resource.", r)
		}
	}
	if c, ok := raw["Condition"]; ok {
		return checkConditions(c)
	}
	return nil
}

// delegableAction reports whether an action pattern is organizations:… and matches at least
// one delegable action; a wildcard such as organizations:List* grants only the delegable
// actions it matches [INF].
func delegableAction(pattern string) bool {
	service, name, ok := strings.Cut(pattern, ":")
	if !ok || !strings.EqualFold(service, "organizations") {
		return false
	}
	return containsFunc(delegableActions, func(a string) bool {
		return policy.MatchAction(name, a)
	})
}

// checkPrincipal accepts {"AWS": id-or-ARN or a list of them}, where each names a 12-digit
// account, its root user (arn:aws:iam::<id>:root), or one of its roles or users; the
// evaluator grants a role's ARN to that role's sessions and a user's to that user, as IAM
// reads a resource-based policy. An ARN of another
// partition than the organization's names an account that cannot be a member of it, and is
// refused [INF].
func checkPrincipal(raw json.RawMessage, partition string) error {
	bad := invalidInput(model.InvalidInputExceptionReasonInvalidPrincipal,
		"A statement's Principal must name AWS accounts: {\"AWS\": \"111122223333\"} or arn:aws:iam::111122223333:root.")
	var m map[string]json.RawMessage
	if raw == nil || json.Unmarshal(raw, &m) != nil || len(m) != 1 || m["AWS"] == nil {
		return bad
	}
	ids, err := stringOrList(m["AWS"])
	if err != nil || len(ids) == 0 {
		return bad
	}
	for _, id := range ids {
		if sub := iamPrincipalARN.FindStringSubmatch(id); !model.IsAccountID(id) && (sub == nil || sub[1] != partition) {
			return bad
		}
	}
	return nil
}

// checkConditions checks {"Operator": {"key": value or [values]}}. Values of
// organizations:PolicyType must be policy types (wildcards allowed with StringLike).
func checkConditions(raw json.RawMessage) error {
	var ops map[string]map[string]json.RawMessage
	if err := json.Unmarshal(raw, &ops); err != nil {
		return policyJSONError("A statement's Condition is not valid: %v.", err)
	}
	for op, keys := range ops {
		for key, v := range keys {
			values, err := stringOrList(v)
			if err != nil {
				return policyJSONError("The values of the condition %s %s must be strings.", op, key)
			}
			if strings.EqualFold(key, policyTypeKey) {
				for _, val := range values {
					if !strings.ContainsAny(val, "*?") && !containsFunc(policyTypes, func(p string) bool { return p == val }) {
						return invalidInput(model.InvalidInputExceptionReasonUnsupportedPolicyTypeInResourcePolicy,
							"The policy type %s is not supported in a resource policy.", val)
					}
				}
			}
		}
	}
	return nil
}

// stringOrList decodes an IAM element that is a string or a list of strings.
func stringOrList(raw json.RawMessage) ([]string, error) {
	if raw == nil {
		return nil, fmt.Errorf("missing")
	}
	var one string
	if err := json.Unmarshal(raw, &one); err == nil {
		return []string{one}, nil
	}
	var list []string
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, err
	}
	return list, nil
}
