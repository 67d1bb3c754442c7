package org

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/orgd/orgd/internal/model"
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
		if _, err := parseDelegationPolicy(*in.Content, o.Partition); err != nil {
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
// has none). An Allow statement must name the account as principal and match the action, the
// resource and its conditions; a matching Deny wins. Only members of o are granted anything,
// and only the delegable actions.
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
	doc, err := parseDelegationPolicy(p.Content, o.Partition)
	if err != nil {
		// A stored policy passed validation; one that no longer parses grants nothing.
		return false, nil
	}
	allowed := false
	for _, st := range doc {
		if !st.applies(accountID, "organizations:"+action, resourceARN, policyType) {
			continue
		}
		if st.deny {
			return false, nil
		}
		allowed = true
	}
	return allowed, nil
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

// delegationStatement is one statement of a parsed delegation policy.
type delegationStatement struct {
	deny       bool
	accounts   []string // account ids the Principal names
	actions    []string // patterns, organizations:… with * and ? wildcards
	resources  []string // patterns with * and ? wildcards
	conditions []condition
}

type condition struct {
	operator string
	key      string
	values   []string
}

// applies reports whether the statement covers the request.
func (st *delegationStatement) applies(accountID, action, resource, policyType string) bool {
	if !containsFunc(st.accounts, func(a string) bool { return a == accountID }) ||
		!containsFunc(st.actions, func(p string) bool { return wildcardMatch(strings.ToLower(p), strings.ToLower(action)) }) ||
		!containsFunc(st.resources, func(p string) bool { return wildcardMatch(p, resource) }) {
		return false
	}
	for _, c := range st.conditions {
		if !c.holds(policyType) {
			return false
		}
	}
	return true
}

// holds evaluates a condition. Only organizations:PolicyType with StringEquals and
// StringLike (and their IfExists forms) is understood; any other operator or key does not
// hold, so an Allow it guards grants nothing and a Deny it guards denies nothing [INF].
func (c *condition) holds(policyType string) bool {
	if !strings.EqualFold(c.key, policyTypeKey) {
		return false
	}
	op, ifExists := strings.CutSuffix(c.operator, "IfExists")
	if policyType == "" {
		return ifExists && (op == "StringEquals" || op == "StringLike")
	}
	switch op {
	case "StringEquals":
		return containsFunc(c.values, func(v string) bool { return v == policyType })
	case "StringLike":
		return containsFunc(c.values, func(v string) bool { return wildcardMatch(v, policyType) })
	}
	return false
}

func containsFunc(xs []string, f func(string) bool) bool {
	for _, x := range xs {
		if f(x) {
			return true
		}
	}
	return false
}

// wildcardMatch matches s against an IAM pattern: * is any run of characters, ? any one.
func wildcardMatch(pattern, s string) bool {
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == s[i]):
			p++
			i++
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case star >= 0:
			p, mark = star+1, mark+1
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
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

// parseDelegationPolicy checks a delegation policy and returns its statements. NotPrincipal,
// NotAction and NotResource are refused, as AWS does from 2026-06-30 (spec §8.4); each answers
// the reason of the element it negates [INF]. Principals are of partition, the organization's.
func parseDelegationPolicy(content, partition string) ([]delegationStatement, error) {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal([]byte(content), &doc); err != nil {
		return nil, policyJSONError("The resource policy is not valid JSON: %v.", err)
	}
	for k := range doc {
		if k != "Version" && k != "Id" && k != "Statement" {
			return nil, policyJSONError("The resource policy has an unknown element %s.", k)
		}
	}
	if v, ok := doc["Version"]; ok {
		var version string
		if json.Unmarshal(v, &version) != nil || (version != "2012-10-17" && version != "2008-10-17") {
			return nil, policyJSONError("The resource policy's Version must be 2012-10-17.")
		}
	}
	raw, ok := doc["Statement"]
	if !ok {
		return nil, policyJSONError("The resource policy has no Statement.")
	}
	var stmts []map[string]json.RawMessage
	if trimmed := bytes.TrimSpace(raw); len(trimmed) > 0 && trimmed[0] == '{' {
		var one map[string]json.RawMessage
		if err := json.Unmarshal(raw, &one); err != nil {
			return nil, policyJSONError("The resource policy's Statement is not valid: %v.", err)
		}
		stmts = append(stmts, one)
	} else if err := json.Unmarshal(raw, &stmts); err != nil || len(stmts) == 0 {
		return nil, policyJSONError("The resource policy's Statement must be an object or a non-empty list of objects.")
	}
	out := make([]delegationStatement, 0, len(stmts))
	for _, raw := range stmts {
		st, err := parseStatement(raw, partition)
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, nil
}

func parseStatement(raw map[string]json.RawMessage, partition string) (delegationStatement, error) {
	var st delegationStatement
	switch {
	case raw["NotPrincipal"] != nil:
		return st, invalidInput(model.InvalidInputExceptionReasonInvalidPrincipal, "A resource policy can't use NotPrincipal.")
	case raw["NotAction"] != nil:
		return st, invalidInput(model.InvalidInputExceptionReasonUnsupportedActionInResourcePolicy, "A resource policy can't use NotAction.")
	case raw["NotResource"] != nil:
		return st, invalidInput(model.InvalidInputExceptionReasonUnsupportedResourceInResourcePolicy, "A resource policy can't use NotResource.")
	}
	for k := range raw {
		if !statementElements[k] {
			return st, policyJSONError("A statement has an unknown element %s.", k)
		}
	}
	var effect string
	if json.Unmarshal(raw["Effect"], &effect) != nil || (effect != "Allow" && effect != "Deny") {
		return st, policyJSONError("A statement's Effect must be Allow or Deny.")
	}
	st.deny = effect == "Deny"

	var err error
	if st.accounts, err = parsePrincipal(raw["Principal"], partition); err != nil {
		return st, err
	}
	if st.actions, err = stringOrList(raw["Action"]); err != nil || len(st.actions) == 0 {
		return st, policyJSONError("A statement's Action must be a string or a list of strings.")
	}
	for _, a := range st.actions {
		if !delegableAction(a) {
			return st, invalidInput(model.InvalidInputExceptionReasonUnsupportedActionInResourcePolicy,
				"The action %s can't be delegated with a resource policy.", a)
		}
	}
	if st.resources, err = stringOrList(raw["Resource"]); err != nil || len(st.resources) == 0 {
		return st, policyJSONError("A statement's Resource must be a string or a list of strings.")
	}
	for _, r := range st.resources {
		if r != "*" && !organizationsARN.MatchString(r) {
			return st, invalidInput(model.InvalidInputExceptionReasonUnsupportedResourceInResourcePolicy,
				"The resource %s is not an AWS Organizations resource.", r)
		}
	}
	if c, ok := raw["Condition"]; ok {
		if st.conditions, err = parseConditions(c); err != nil {
			return st, err
		}
	}
	return st, nil
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
		return wildcardMatch(strings.ToLower(name), strings.ToLower(a))
	})
}

// parsePrincipal accepts {"AWS": id-or-ARN or a list of them}, where each names a 12-digit
// account, its root user (arn:aws:iam::<id>:root), or one of its roles or users. orgd knows
// callers only by account, so a role or user stands for its account [INF]. An ARN of another
// partition than the organization's names an account that cannot be a member of it, and is
// refused [INF].
func parsePrincipal(raw json.RawMessage, partition string) ([]string, error) {
	bad := func() ([]string, error) {
		return nil, invalidInput(model.InvalidInputExceptionReasonInvalidPrincipal,
			"A statement's Principal must name AWS accounts: {\"AWS\": \"111122223333\"} or arn:aws:iam::111122223333:root.")
	}
	var m map[string]json.RawMessage
	if raw == nil || json.Unmarshal(raw, &m) != nil || len(m) != 1 || m["AWS"] == nil {
		return bad()
	}
	ids, err := stringOrList(m["AWS"])
	if err != nil || len(ids) == 0 {
		return bad()
	}
	accounts := make([]string, len(ids))
	for i, id := range ids {
		if model.IsAccountID(id) {
			accounts[i] = id
		} else if sub := iamPrincipalARN.FindStringSubmatch(id); sub != nil && sub[1] == partition {
			accounts[i] = sub[2]
		} else {
			return bad()
		}
	}
	return accounts, nil
}

// parseConditions reads {"Operator": {"key": value or [values]}}. Values of
// organizations:PolicyType must be policy types (wildcards allowed with StringLike).
func parseConditions(raw json.RawMessage) ([]condition, error) {
	var ops map[string]map[string]json.RawMessage
	if err := json.Unmarshal(raw, &ops); err != nil {
		return nil, policyJSONError("A statement's Condition is not valid: %v.", err)
	}
	var out []condition
	for op, keys := range ops {
		for key, v := range keys {
			values, err := stringOrList(v)
			if err != nil {
				return nil, policyJSONError("The values of the condition %s %s must be strings.", op, key)
			}
			if strings.EqualFold(key, policyTypeKey) {
				for _, val := range values {
					if !strings.ContainsAny(val, "*?") && !containsFunc(policyTypes, func(p string) bool { return p == val }) {
						return nil, invalidInput(model.InvalidInputExceptionReasonUnsupportedPolicyTypeInResourcePolicy,
							"The policy type %s is not supported in a resource policy.", val)
					}
				}
			}
			out = append(out, condition{operator: op, key: key, values: values})
		}
	}
	return out, nil
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
