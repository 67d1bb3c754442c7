package org

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/orgd/orgd/internal/model"
)

// Effective policies (spec §7.6): the management policies of a type that apply to an account,
// merged from the root down each OU on its path to the account itself, level by level, the
// policies of a level in the order they were attached. The inheritance operators decide how
// a level changes what it inherits; the result is plain JSON without operators.

// opSet is a set of value-setting operators, as @@operators_allowed_for_child_policies names.
type opSet uint8

const (
	opSetAssign opSet = 1 << iota
	opSetAppend
	opSetRemove
	opSetAll = opSetAssign | opSetAppend | opSetRemove
)

func childOperators(v any) opSet {
	list, _ := v.([]any)
	var set opSet
	for _, x := range list {
		switch x {
		case childOpsAll:
			return opSetAll
		case opAssign:
			set |= opSetAssign
		case opAppend:
			set |= opSetAppend
		case opRemove:
			set |= opSetRemove
		}
	}
	return set // @@none
}

// effNode is one setting of the merged document: a value set by the operators, or child
// settings.
type effNode struct {
	children map[string]*effNode
	value    any
	hasValue bool
	// allowed is what later levels may do to this setting and those below it: the
	// intersection of every @@operators_allowed_for_child_policies set on it so far.
	allowed opSet
	// contributors are the policies whose operators made the current value.
	contributors []string
}

func newEffNode() *effNode { return &effNode{children: map[string]*effNode{}, allowed: opSetAll} }

func (n *effNode) child(k string) *effNode {
	c, ok := n.children[k]
	if !ok {
		c = newEffNode()
		n.children[k] = c
	}
	return c
}

func (n *effNode) contribute(policyID string) {
	if !slices.Contains(n.contributors, policyID) {
		n.contributors = append(n.contributors, policyID)
	}
}

// merger merges a policy type's documents level by level.
type merger struct {
	root *effNode
	// assigned holds the settings a policy of the current level assigned: at one level the
	// policy attached first wins (spec §7.6 rule 4).
	assigned map[*effNode]bool
	// childOps collects the current level's child-control operators; they bind only the
	// levels below, so they take effect when the level ends.
	childOps map[*effNode]opSet
}

func newMerger() *merger {
	return &merger{root: newEffNode(), assigned: map[*effNode]bool{}, childOps: map[*effNode]opSet{}}
}

// apply merges one policy document at the current level.
func (m *merger) apply(policyType, policyID string, doc map[string]any) {
	m.applyNode(policyType, nil, m.root, doc, opSetAll, policyID)
}

func (m *merger) applyNode(policyType string, path []string, dst *effNode, src map[string]any, above opSet, policyID string) {
	allowed := above & dst.allowed
	// A tag's @@enforced_for is its enforced_for setting's @@assign (see validateNode) [INF].
	if v, ok := src[opEnforcedFor]; ok && policyType == model.PolicyTypeTagPolicy {
		m.applyNode(policyType, append(slices.Clip(path), "enforced_for"), dst.child("enforced_for"), map[string]any{opAssign: v}, allowed, policyID)
	}
	// A disallowed operation is ignored and the inherited value stays: it is no error.
	if v, ok := src[opAssign]; ok && allowed&opSetAssign != 0 && !m.assigned[dst] {
		dst.value, dst.hasValue, dst.contributors = v, true, []string{policyID}
		m.assigned[dst] = true
	}
	if v, ok := src[opAppend]; ok && allowed&opSetAppend != 0 {
		list, isList := dst.value.([]any)
		if !dst.hasValue || isList {
			for _, x := range asList(v) {
				if !slices.Contains(list, x) {
					list = append(list, x)
				}
			}
			dst.value, dst.hasValue = list, true
			dst.contribute(policyID)
		}
	}
	if v, ok := src[opRemove]; ok && allowed&opSetRemove != 0 {
		if list, isList := dst.value.([]any); isList {
			drop := asList(v)
			dst.value = slices.DeleteFunc(slices.Clone(list), func(x any) bool { return slices.Contains(drop, x) })
			dst.contribute(policyID)
		}
	}
	if v, ok := src[opChildOperators]; ok {
		set, seen := m.childOps[dst]
		if !seen {
			set = opSetAll
		}
		m.childOps[dst] = set & childOperators(v)
	}
	for _, k := range sortedKeys(src) {
		if strings.HasPrefix(k, "@@") {
			continue
		}
		if sub, ok := src[k].(map[string]any); ok {
			m.applyNode(policyType, append(slices.Clip(path), k), dst.child(k), sub, allowed, policyID)
		}
	}
}

func asList(v any) []any {
	if list, ok := v.([]any); ok {
		return list
	}
	return []any{v}
}

// endLevel applies the level's child-control operators to the levels below it.
func (m *merger) endLevel() {
	for n, set := range m.childOps {
		n.allowed &= set
	}
	clear(m.childOps)
	clear(m.assigned)
}

// plain is the merged document without operators; settings that hold no value are left out.
func (n *effNode) plain() (any, bool) {
	if n.hasValue {
		return n.value, true
	}
	out := map[string]any{}
	for k, c := range n.children {
		if v, ok := c.plain(); ok {
			out[k] = v
		}
	}
	return out, len(out) > 0
}

// effSource is a policy attached at one level of an account's path.
type effSource struct {
	policy     *Policy
	doc        map[string]any
	attachedAt time.Time
}

// effective is an account's effective policy of one type.
type effective struct {
	found   bool // some policy of the type applies
	content string
	path    string // the account's path, o-…/r-…/ou-…/<account>/
	updated time.Time
	errors  []model.EffectivePolicyValidationError
}

// effectiveReader computes effective policies, remembering each target's attached policies
// and each OU's path so that the accounts of one parent share the work.
type effectiveReader struct {
	t       *txn
	o       *Organization
	e       *EnabledPolicyType
	sources map[string][]effSource
	paths   map[string]string // OU id → its path
}

func (t *txn) effectiveReader(o *Organization, e *EnabledPolicyType) *effectiveReader {
	return &effectiveReader{t: t, o: o, e: e, sources: map[string][]effSource{}, paths: map[string]string{}}
}

// levels returns the ids from the root down to the account, and the account's path.
func (r *effectiveReader) levels(a *Account) ([]string, string, error) {
	parentPath := rootPath(r.o)
	if a.ParentID != r.o.RootID {
		p, ok := r.paths[a.ParentID]
		if !ok {
			u, err := r.t.ou(r.o, a.ParentID)
			if err != nil {
				return nil, "", fmt.Errorf("org: parent of account %s: %w", a.ID, err)
			}
			p = u.Path
			r.paths[a.ParentID] = p
		}
		parentPath = p
	}
	path := parentPath + a.ID + "/"
	ids := strings.Split(strings.TrimSuffix(path, "/"), "/")[1:] // drop the organization
	return ids, path, nil
}

// attached returns the policies of the type attached to a target, in attachment order.
func (r *effectiveReader) attached(targetID string) ([]effSource, error) {
	if src, ok := r.sources[targetID]; ok {
		return src, nil
	}
	as, err := r.t.ListPolicyAttachments(r.t.ctx, PolicyAttachmentQuery{OrgID: r.o.ID, TargetID: targetID, PolicyType: r.e.Type})
	if err != nil {
		return nil, fmt.Errorf("org: policies of %s: %w", targetID, err)
	}
	src := make([]effSource, 0, len(as))
	for _, a := range as {
		p, err := r.t.attachedPolicy(r.o, a)
		if err != nil {
			return nil, err
		}
		doc, err := decodePolicyJSON(p.Content)
		m, ok := doc.(map[string]any)
		if err != nil || !ok {
			return nil, fmt.Errorf("org: policy %s holds a document that is not a JSON object", p.ID)
		}
		src = append(src, effSource{policy: p, doc: m, attachedAt: a.AttachedAt})
	}
	r.sources[targetID] = src
	return src, nil
}

// merge merges the policies of the type attached to the targets ids, the root first, level
// by level. found tells whether any applies; updated is the latest change among them.
func (r *effectiveReader) merge(ids []string) (root *effNode, found bool, updated time.Time, err error) {
	updated = r.e.EnabledAt
	m := newMerger()
	for _, id := range ids {
		src, err := r.attached(id)
		if err != nil {
			return nil, false, time.Time{}, err
		}
		for _, s := range src {
			found = true
			m.apply(r.e.Type, s.policy.ID, s.doc)
			updated = latest(updated, s.policy.UpdatedAt, s.attachedAt)
		}
		m.endLevel()
	}
	return m.root, found, updated, nil
}

func (r *effectiveReader) of(a *Account) (*effective, error) {
	ids, path, err := r.levels(a)
	if err != nil {
		return nil, err
	}
	root, found, updated, err := r.merge(ids)
	if err != nil {
		return nil, err
	}
	out := &effective{found: found, path: path, updated: updated}
	if !out.found {
		return out, nil
	}
	doc, _ := root.plain()
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("org: encode effective policy of %s: %w", a.ID, err)
	}
	out.content = string(b)
	out.errors = effectivePolicyErrors(r.e.Type, root)
	return out, nil
}

func latest(ts ...time.Time) time.Time {
	var max time.Time
	for _, t := range ts {
		if t.After(max) {
			max = t
		}
	}
	return max
}

// effectivePolicyErrors validates a merged document. AWS does not publish its checks; orgd
// reports the values the type's service could not apply [INF]:
//   - AI services opt-out: an opt_out_policy other than optIn or optOut (case-sensitive);
//   - tags: a tag_key that is not its tag's id up to case (the id is the key in lower case,
//     tag_key its capitalization).
//
// The error code is INVALID_VALUE; the model's only example code is ELEMENTS_TOO_MANY [INF].
func effectivePolicyErrors(policyType string, root *effNode) []model.EffectivePolicyValidationError {
	var out []model.EffectivePolicyValidationError
	add := func(path, msg string, n *effNode) {
		out = append(out, model.EffectivePolicyValidationError{
			ErrorCode: model.Ptr("INVALID_VALUE"), ErrorMessage: model.Ptr(msg),
			PathToError: model.Ptr(path), ContributingPolicies: slices.Clone(n.contributors),
		})
	}
	switch policyType {
	case model.PolicyTypeAiservicesOptOutPolicy:
		services := root.children[aiOptOutServicesKey]
		if services == nil {
			return nil
		}
		for _, svc := range sortedNodeKeys(services) {
			n := services.children[svc].children["opt_out_policy"]
			if n == nil || !n.hasValue {
				continue
			}
			if v, _ := n.value.(string); v != "optIn" && v != "optOut" {
				add(aiOptOutServicesKey+"."+svc+".opt_out_policy",
					fmt.Sprintf("The opt_out_policy of %s is %v; it must be optIn or optOut.", svc, n.value), n)
			}
		}
	case model.PolicyTypeTagPolicy:
		tags := root.children[tagPolicyTagsKey]
		if tags == nil {
			return nil
		}
		for _, id := range sortedNodeKeys(tags) {
			n := tags.children[id].children["tag_key"]
			if n == nil || !n.hasValue {
				continue
			}
			if v, _ := n.value.(string); !strings.EqualFold(v, id) {
				add(tagPolicyTagsKey+"."+id+".tag_key",
					fmt.Sprintf("The tag_key %v does not match the tag %s apart from capitalization.", n.value, id), n)
			}
		}
	}
	return out
}

func sortedNodeKeys(n *effNode) []string {
	keys := make([]string, 0, len(n.children))
	for k := range n.children {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func effectivePolicyNotFound(policyType, accountID string) error {
	return model.Fail(model.CodeEffectivePolicyNotFoundException, "", "No effective policy of type %s applies to the account %s.", policyType, accountID)
}

// effectiveFor reads an account's effective policy of a type: EffectivePolicyNotFound when
// the type is not enabled or no policy of it applies.
func (t *txn) effectiveFor(o *Organization, a *Account, policyType string) (*effective, error) {
	e, err := t.enabledPolicyType(o, policyType)
	if err != nil {
		return nil, err
	}
	if e == nil {
		return nil, effectivePolicyNotFound(policyType, a.ID)
	}
	eff, err := t.effectiveReader(o, e).of(a)
	if err != nil {
		return nil, err
	}
	if !eff.found {
		return nil, effectivePolicyNotFound(policyType, a.ID)
	}
	return eff, nil
}

// DescribeEffectivePolicy returns an account's effective policy of a management type: the
// caller's own without a TargetId; the management account may name any account of the
// organization.
func (s *Service) DescribeEffectivePolicy(ctx context.Context, in *model.DescribeEffectivePolicyRequest) (*model.DescribeEffectivePolicyResponse, error) {
	ctx = guard(ctx, "DescribeEffectivePolicy", in)
	return viewOut(s, ctx, model.DescribeEffectivePolicyResponse{}, func(t *txn, out *model.DescribeEffectivePolicyResponse) error {
		caller, o, err := t.membership()
		if err != nil {
			return err
		}
		a := caller
		if in.TargetId != nil && *in.TargetId != caller.ID {
			id := *in.TargetId
			// Effective policies are an account's; a root or an OU has none (spec §7.6) [INF].
			if !model.IsAccountID(id) {
				return invalidInput(model.InvalidInputExceptionReasonTargetNotSupported,
					"You can only specify an account as the target of DescribeEffectivePolicy: %s.", id)
			}
			// A member account may read only its own effective policies [INF].
			if caller.ID != o.ManagementAccountID {
				return accessDenied()
			}
			if a, err = t.account(id); err != nil {
				return err
			}
			if a.OrgID != o.ID {
				return targetNotFound(id)
			}
		}
		eff, err := t.effectiveFor(o, a, *in.PolicyType)
		if err != nil {
			return err
		}
		out.EffectivePolicy = &model.EffectivePolicy{
			PolicyContent:        model.Ptr(eff.content),
			LastUpdatedTimestamp: model.Ptr(eff.updated),
			TargetId:             model.Ptr(a.ID),
			PolicyType:           model.Ptr(*in.PolicyType),
		}
		return nil
	})
}

// invalidScanBatch is how many accounts ListAccountsWithInvalidEffectivePolicy reads at a
// time while it looks for invalid ones.
const invalidScanBatch = 100

// ListAccountsWithInvalidEffectivePolicy lists, by id, the accounts whose effective policy of
// a type fails validation (see effectivePolicyErrors). A page reads accounts until it has
// one more invalid account than it returns, or reaches the last account: its cost grows with
// the accounts it passes, which the accounts quota bounds.
func (s *Service) ListAccountsWithInvalidEffectivePolicy(ctx context.Context, in *model.ListAccountsWithInvalidEffectivePolicyRequest) (*model.ListAccountsWithInvalidEffectivePolicyResponse, error) {
	ctx = guard(ctx, "ListAccountsWithInvalidEffectivePolicy", in)
	return viewOut(s, ctx, model.ListAccountsWithInvalidEffectivePolicyResponse{Accounts: []model.Account{}, PolicyType: in.PolicyType}, func(t *txn, out *model.ListAccountsWithInvalidEffectivePolicyResponse) error {
		_, o, err := t.authorize("ListAccountsWithInvalidEffectivePolicy", "", *in.PolicyType)
		if err != nil {
			return err
		}
		scope := "ListAccountsWithInvalidEffectivePolicy|" + t.caller.AccountID + "|" + o.ID + "|" + *in.PolicyType
		// The policy type is checked once the token is: a foreign token is refused first.
		invalid, next, err := pageOf(s, scope, in.NextToken, in.MaxResults, func(after string, limit int) ([]Account, error) {
			e, err := t.enabledPolicyType(o, *in.PolicyType)
			if err != nil {
				return nil, err
			}
			// With the type disabled no effective policy of it exists [INF].
			if e == nil {
				return nil, model.Fail(model.CodeEffectivePolicyNotFoundException, "", "The policy type %s is not enabled, so no account has an effective policy of it.", *in.PolicyType)
			}
			r := t.effectiveReader(o, e)
			var invalid []Account
			for len(invalid) < limit {
				accts, err := t.ListAccounts(t.ctx, AccountQuery{OrgID: o.ID, AfterID: after, Limit: invalidScanBatch})
				if err != nil {
					return nil, fmt.Errorf("org: list accounts of %s: %w", o.ID, err)
				}
				for i := range accts {
					eff, err := r.of(&accts[i])
					if err != nil {
						return nil, err
					}
					if eff.found && len(eff.errors) > 0 {
						invalid = append(invalid, accts[i])
						if len(invalid) == limit {
							break
						}
					}
				}
				if len(accts) < invalidScanBatch {
					break
				}
				after = accts[len(accts)-1].ID
			}
			return invalid, nil
		}, func(a Account) string { return a.ID })
		if err != nil {
			return err
		}
		out.NextToken = next
		out.Accounts, err = t.accountsOutput(o, invalid)
		return err
	})
}

// ListEffectivePolicyValidationErrors lists the validation errors of an account's effective
// policy of a type, ordered by the path of the setting at fault.
func (s *Service) ListEffectivePolicyValidationErrors(ctx context.Context, in *model.ListEffectivePolicyValidationErrorsRequest) (*model.ListEffectivePolicyValidationErrorsResponse, error) {
	ctx = guard(ctx, "ListEffectivePolicyValidationErrors", in)
	return viewOut(s, ctx, model.ListEffectivePolicyValidationErrorsResponse{
		AccountId: in.AccountId, PolicyType: in.PolicyType, EffectivePolicyValidationErrors: []model.EffectivePolicyValidationError{},
	}, func(t *txn, out *model.ListEffectivePolicyValidationErrorsResponse) error {
		_, o, err := t.authorize("ListEffectivePolicyValidationErrors", *in.AccountId, *in.PolicyType)
		if err != nil {
			return err
		}
		scope := "ListEffectivePolicyValidationErrors|" + t.caller.AccountID + "|" + o.ID + "|" + *in.AccountId + "|" + *in.PolicyType
		after, err := s.pageStart(scope, in.NextToken)
		if err != nil {
			return err
		}
		a, err := t.member(o, *in.AccountId)
		if err != nil {
			return err
		}
		eff, err := t.effectiveFor(o, a, *in.PolicyType)
		if err != nil {
			return err
		}
		out.Path, out.EvaluationTimestamp = model.Ptr(eff.path), model.Ptr(eff.updated)
		start := 0
		if after != "" {
			if _, err := fmt.Sscan(after, &start); err != nil {
				return fmt.Errorf("org: signed token holds %q: %w", after, err)
			}
		}
		errs := eff.errors[min(start, len(eff.errors)):]
		if n := pageSize(in.MaxResults); len(errs) > n {
			errs = errs[:n]
			out.NextToken = s.nextToken(scope, fmt.Sprint(start+n))
		}
		out.EffectivePolicyValidationErrors = append(out.EffectivePolicyValidationErrors, errs...)
		return nil
	})
}
