package org

import (
	"fmt"
	"strings"

	"github.com/orgd/orgd/internal/model"
)

// Tag policies enforced on Organizations' own resources.
//
// A tag policy's rule for a tag (tags.<id>) names the key's capitalization (tag_key; without
// it the id in lower case), optionally the values allowed (tag_value, where * matches any run
// of characters, as in AWS's "300*"), and the resource types whose tagging it enforces
// (enforced_for). A rule judges only the tags present: a resource without the key is not
// non-compliant, so removing a tag never violates a policy, and a tag whose key no rule names
// is always accepted. Nor does a rule judge what its enforced_for leaves out: such tags are
// non-compliant yet written, as AWS writes them ("Tag policy syntax and examples",
// https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_example-tag-policies.html;
// "Enforce tagging consistency",
// https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_tag-policies-enforcement.html).

// The resource types of Organizations that enforced_for can name ("Services and resource
// types that support enforcement",
// https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_supported-resources-enforcement.html).
// The resource policy (rp-) and responsibility transfers (rt-) are not among them.
const (
	tagTypeAccount = "organizations:account"
	tagTypeOU      = "organizations:ou"
	tagTypePolicy  = "organizations:policy"
	tagTypeRoot    = "organizations:root"
	// tagTypesAll names every type of the service that supports enforcement; the older
	// documentation spelled it organizations:*, which orgd still reads as the same [INF].
	tagTypesAll       = "organizations:ALL_SUPPORTED"
	tagTypesAllLegacy = "organizations:*"
)

// tagTarget is a resource about to be tagged: its enforced_for type and the account whose
// effective tag policy judges its tags. The model's TAG_POLICY_VIOLATION names "the tag
// policy that's in effect for the account": an account's own for an account; for a root, an
// OU or a policy, which the management account owns (their ARNs carry its id), the
// management account's [INF]. No account is one about to join under the root (a created or
// invited account): only the root's policies apply to it, for nothing can be attached to it
// before it joins.
type tagTarget struct {
	resourceType string
	accountID    string
}

// enforceTagPolicy fails with TAG_POLICY_VIOLATION when a tag breaks a rule of the target's
// effective tag policy that is enforced for its type; nothing is written yet, and the error
// undoes the transaction. It reads nothing when no tags are written.
func (t *txn) enforceTagPolicy(o *Organization, target tagTarget, tags []model.Tag) error {
	if len(tags) == 0 {
		return nil
	}
	e, err := t.enabledPolicyType(o, model.PolicyTypeTagPolicy)
	if err != nil || e == nil {
		return err
	}
	r := t.effectiveReader(o, e)
	ids, who := []string{o.RootID}, "the account that joins"
	if target.accountID != "" {
		a, err := t.account(target.accountID)
		if err != nil {
			return err
		}
		if ids, _, err = r.levels(a); err != nil {
			return err
		}
		who = "account " + a.ID
	}
	root, found, _, err := r.merge(ids)
	if err != nil || !found {
		return err
	}
	for _, rule := range tagRules(root) {
		if !rule.enforcedFor(target.resourceType) {
			continue
		}
		for _, tag := range tags {
			if msg := rule.violation(*tag.Key, *tag.Value); msg != "" {
				return constraintViolation(model.ConstraintViolationExceptionReasonTagPolicyViolation,
					"%s under the effective tag policy of %s, enforced for %s.", msg, who, target.resourceType)
			}
		}
	}
	return nil
}

// tagRule is one tag of an effective tag policy.
type tagRule struct {
	key         string   // the capitalization required
	values      []string // the values allowed; nil allows any
	enforced    []string // enforced_for
	valuesGiven bool
}

// tagRules reads the rules of a merged tag policy. A tag whose tag_key is not its id up to
// case is an error ListEffectivePolicyValidationErrors reports (see effectivePolicyErrors):
// AWS calls such a policy "not being fully enforced", so orgd enforces no rule of that tag
// [INF].
func tagRules(root *effNode) []tagRule {
	tags := root.children[tagPolicyTagsKey]
	if tags == nil {
		return nil
	}
	var out []tagRule
	for _, id := range sortedNodeKeys(tags) {
		n := tags.children[id]
		rule := tagRule{key: strings.ToLower(id)}
		if k := n.children["tag_key"]; k != nil && k.hasValue {
			s, ok := k.value.(string)
			if !ok || !strings.EqualFold(s, id) {
				continue
			}
			rule.key = s
		}
		if v := n.children["tag_value"]; v != nil && v.hasValue {
			rule.values, rule.valuesGiven = stringsOf(v.value), true
		}
		if f := n.children["enforced_for"]; f != nil && f.hasValue {
			rule.enforced = stringsOf(f.value)
		}
		if len(rule.enforced) > 0 {
			out = append(out, rule)
		}
	}
	return out
}

// stringsOf reads a setting that holds a string or a list of them; validation admits only
// those.
func stringsOf(v any) []string {
	var out []string
	for _, x := range asList(v) {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func (r tagRule) enforcedFor(resourceType string) bool {
	for _, f := range r.enforced {
		if f == resourceType || f == tagTypesAll || f == tagTypesAllLegacy {
			return true
		}
	}
	return false
}

// violation tells why a tag breaks the rule, or "" when it complies or the rule does not
// name its key.
func (r tagRule) violation(key, value string) string {
	if !strings.EqualFold(key, r.key) {
		return ""
	}
	if key != r.key {
		return fmt.Sprintf("The tag key %s must be capitalized %s", key, r.key)
	}
	if !r.valuesGiven {
		return ""
	}
	for _, allowed := range r.values {
		if tagValueMatch(allowed, value) {
			return ""
		}
	}
	return fmt.Sprintf("The value %q of the tag key %s is none of %q", value, key, r.values)
}

// tagValueMatch matches s against pattern, where * stands for any run of characters and
// everything else for itself, case-sensitively (tag values are). Unlike IAM's patterns, ?
// is no wildcard: the tag policy documentation names only *.
func tagValueMatch(pattern, s string) bool {
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return pattern == s
	}
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	last := parts[len(parts)-1]
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(s, p)
		if i < 0 {
			return false
		}
		s = s[i+len(p):]
	}
	return strings.HasSuffix(s, last)
}

// tagTargetOf is the target TagResource names by id, already known to be taggable in o; ok
// is false for the resources tag policies cannot enforce on.
func tagTargetOf(o *Organization, id string) (target tagTarget, ok bool) {
	switch {
	case model.IsAccountID(id):
		return tagTarget{resourceType: tagTypeAccount, accountID: id}, true
	case id == o.RootID:
		target.resourceType = tagTypeRoot
	case strings.HasPrefix(id, "ou-"):
		target.resourceType = tagTypeOU
	case strings.HasPrefix(id, "p-"):
		target.resourceType = tagTypePolicy
	default:
		return tagTarget{}, false
	}
	target.accountID = o.ManagementAccountID
	return target, true
}
