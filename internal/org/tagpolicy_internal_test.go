package org

import (
	"context"
	"testing"

	"github.com/orgd/orgd/internal/model"
)

// A tag policy's tag_value may hold * wildcards, as the User Guide's "300*" does ("Tag
// policy syntax and examples",
// https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_example-tag-policies.html);
// values are case-sensitive and ? is no wildcard.
func TestTagValueMatch(t *testing.T) {
	for _, tc := range []struct {
		pattern, value string
		want           bool
	}{
		{"100", "100", true},
		{"100", "1000", false},
		{"100", "", false},
		{"", "", true},
		{"*", "", true},
		{"*", "anything", true},
		{"300*", "300", true},
		{"300*", "3001", true},
		{"300*", "1300", false},
		{"*-prod", "eu-prod", true},
		{"*-prod", "eu-prod-2", false},
		{"a*b*c", "abc", true},
		{"a*b*c", "axxbyyc", true},
		{"a*b*c", "acb", false},
		{"ab*ba", "aba", false},
		{"Prod", "prod", false},
		{"p?od", "prod", false},
		{"p?od", "p?od", true},
	} {
		if got := tagValueMatch(tc.pattern, tc.value); got != tc.want {
			t.Errorf("tagValueMatch(%q, %q) = %v, want %v", tc.pattern, tc.value, got, tc.want)
		}
	}
}

// readsOnly is a transaction that answers EnabledPolicyTypes with types and counts the
// calls; any other read reaches the nil Tx inside it and panics.
type readsOnly struct {
	Tx
	types []EnabledPolicyType
	reads int
}

func (r *readsOnly) EnabledPolicyTypes(context.Context, string) ([]EnabledPolicyType, error) {
	r.reads++
	return r.types, nil
}

// The tag-policy check costs nothing on a call that writes no tags, and one read of the
// enabled policy types when tag policies are not enabled.
func TestEnforceTagPolicyReadsNothingWithoutTagsOrTagPolicies(t *testing.T) {
	o := &Organization{ID: "o-abcdefghij", RootID: "r-abcd", ManagementAccountID: "111111111111"}
	tx := &readsOnly{types: []EnabledPolicyType{{OrgID: o.ID, Type: model.PolicyTypeServiceControlPolicy}}}
	tn := &txn{Tx: tx, ctx: t.Context()}
	target := tagTarget{resourceType: tagTypeAccount, accountID: "222222222222"}
	if err := tn.enforceTagPolicy(o, target, nil); err != nil || tx.reads != 0 {
		t.Errorf("no tags: err %v after %d reads, want none", err, tx.reads)
	}
	tags := []model.Tag{{Key: model.Ptr("CostCenter"), Value: model.Ptr("300")}}
	if err := tn.enforceTagPolicy(o, target, tags); err != nil || tx.reads != 1 {
		t.Errorf("tag policies disabled: err %v after %d reads, want 1", err, tx.reads)
	}
}
