package org

import "testing"

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
