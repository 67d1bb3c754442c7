package org_test

import (
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/orgd/orgd/internal/apitest"
)

// Tag policies enforced on Organizations' own resources: "Tag policy syntax and examples"
// (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_example-tag-policies.html),
// "Enforce tagging consistency"
// (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_tag-policies-enforcement.html)
// and the model's ConstraintViolationException reason TAG_POLICY_VIOLATION.

// tpCostCenter is the User Guide's example rule, enforced for the resource types given.
func tpCostCenter(enforcedFor string) string {
	return `{"tags":{"costcenter":{"tag_key":{"@@assign":"CostCenter"},"tag_value":{"@@assign":["100","200*"]},` +
		`"enforced_for":{"@@assign":["` + enforcedFor + `"]}}}}`
}

func tpTags(kv ...string) []types.Tag {
	tags := make([]types.Tag, 0, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		tags = append(tags, types.Tag{Key: aws.String(kv[i]), Value: aws.String(kv[i+1])})
	}
	return tags
}

func tpTag(c *organizations.Client, t *testing.T, id string, kv ...string) error {
	_, err := c.TagResource(t.Context(), &organizations.TagResourceInput{ResourceId: aws.String(id), Tags: tpTags(kv...)})
	return err
}

func tpRequireViolation(t *testing.T, err error) {
	t.Helper()
	apitest.RequireCode(t, err, "ConstraintViolationException", "TAG_POLICY_VIOLATION")
}

// tpOrg is polOrg with tag policies enabled and the policy content attached at the root.
func tpOrg(t *testing.T, content string) (*apitest.Server, *organizations.Client, string) {
	t.Helper()
	s, c, root := polOrg(t)
	polEnable(t, c, root, polTag)
	polAttach(t, c, polCreate(t, c, polTag, "costcenter", content), root)
	return s, c, root
}

func TestTagResourceBreakingAnEnforcedTagPolicyFailsAndWritesNothing(t *testing.T) {
	_, c, _ := tpOrg(t, tpCostCenter("organizations:account"))
	oaTag(t, c, polMember, "Team", "blue")
	for _, tc := range []struct {
		name string
		kv   []string
	}{
		{"the key in another capitalization", []string{"costcenter", "100"}},
		{"a value not allowed", []string{"CostCenter", "300"}},
		{"a value the wildcard does not match", []string{"CostCenter", "1200"}},
		// One bad tag fails the request: the good one beside it is not written either.
		{"a bad tag beside a good one", []string{"Owner", "alice", "CostCenter", "300"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tpRequireViolation(t, tpTag(c, t, polMember, tc.kv...))
			if got := oaTags(t, c, polMember); !slices.Equal(got, []string{"Team=blue"}) {
				t.Errorf("tags after the refused call = %v, want only Team=blue", got)
			}
		})
	}
	// Compliant: an allowed value, one the wildcard 200* matches, keys the policy does not name.
	for _, kv := range [][]string{{"CostCenter", "100"}, {"CostCenter", "2001"}, {"Owner", "alice", "costcentre", "x"}} {
		if err := tpTag(c, t, polMember, kv...); err != nil {
			t.Errorf("TagResource %v: %v", kv, err)
		}
	}
	if got, want := oaTags(t, c, polMember), []string{"CostCenter=2001", "Owner=alice", "Team=blue", "costcentre=x"}; !slices.Equal(got, want) {
		t.Errorf("tags = %v, want %v", got, want)
	}
}

// A rule judges only the resource types its enforced_for names; other resources may carry a
// non-compliant tag, as in AWS.
func TestTagPolicyNotEnforcedForTheResourceTypeAllowsTheTag(t *testing.T) {
	_, c, root := tpOrg(t, tpCostCenter("organizations:ou"))
	ou := polOU(t, c, root, "Eng")
	p := polCreate(t, c, polSCP, "scp", polDenyS3)
	for _, id := range []string{polMember, polMgmt, root, p} {
		if err := tpTag(c, t, id, "CostCenter", "300"); err != nil {
			t.Errorf("TagResource %s CostCenter=300: %v", id, err)
		}
	}
	tpRequireViolation(t, tpTag(c, t, ou, "CostCenter", "300"))
	if got := oaTags(t, c, ou); len(got) != 0 {
		t.Errorf("OU tags after the refused call = %v", got)
	}
	if err := tpTag(c, t, ou, "CostCenter", "100"); err != nil {
		t.Errorf("TagResource %s CostCenter=100: %v", ou, err)
	}
}

func TestTagPolicyEnforcedForEachOrganizationsResourceType(t *testing.T) {
	for _, typ := range []string{"organizations:root", "organizations:policy", "organizations:ALL_SUPPORTED"} {
		t.Run(typ, func(t *testing.T) {
			_, c, root := tpOrg(t, tpCostCenter(typ))
			id := root
			if typ == "organizations:policy" {
				id = polCreate(t, c, polSCP, "scp", polDenyS3)
			}
			tpRequireViolation(t, tpTag(c, t, id, "COSTCENTER", "100"))
			if err := tpTag(c, t, id, "CostCenter", "100"); err != nil {
				t.Errorf("TagResource %s CostCenter=100: %v", id, err)
			}
		})
	}
}

// Every operation that writes tags checks them before it writes anything.
func TestCreateWithTagsBreakingAnEnforcedTagPolicyCreatesNothing(t *testing.T) {
	s, c, root := tpOrg(t, tpCostCenter("organizations:ALL_SUPPORTED"))
	bad, good := tpTags("CostCenter", "300"), tpTags("CostCenter", "100")
	accounts := func() int {
		out, err := c.ListAccounts(t.Context(), &organizations.ListAccountsInput{})
		if err != nil {
			t.Fatal(err)
		}
		return len(out.Accounts)
	}
	statuses := func() int {
		out, err := c.ListCreateAccountStatus(t.Context(), &organizations.ListCreateAccountStatusInput{})
		if err != nil {
			t.Fatal(err)
		}
		return len(out.CreateAccountStatuses)
	}
	children := func() int {
		out, err := c.ListChildren(t.Context(), &organizations.ListChildrenInput{ParentId: aws.String(root), ChildType: types.ChildTypeOrganizationalUnit})
		if err != nil {
			t.Fatal(err)
		}
		return len(out.Children)
	}
	handshakes := func() int {
		out, err := c.ListHandshakesForOrganization(t.Context(), &organizations.ListHandshakesForOrganizationInput{})
		if err != nil {
			t.Fatal(err)
		}
		return len(out.Handshakes)
	}
	nAccounts, nStatuses, nOUs, nHandshakes, nPolicies := accounts(), statuses(), children(), handshakes(), len(polListPolicies(t, c, polSCP, 20))

	createAccount := func(name string, tags []types.Tag) error {
		_, err := c.CreateAccount(t.Context(), &organizations.CreateAccountInput{AccountName: aws.String(name), Email: aws.String(name + "@example.org"), Tags: tags})
		return err
	}
	createGov := func(name string, tags []types.Tag) error {
		_, err := c.CreateGovCloudAccount(t.Context(), &organizations.CreateGovCloudAccountInput{AccountName: aws.String(name), Email: aws.String(name + "@example.org"), Tags: tags})
		return err
	}
	createOU := func(name string, tags []types.Tag) error {
		_, err := c.CreateOrganizationalUnit(t.Context(), &organizations.CreateOrganizationalUnitInput{ParentId: aws.String(root), Name: aws.String(name), Tags: tags})
		return err
	}
	createPolicy := func(name string, tags []types.Tag) error {
		_, err := c.CreatePolicy(t.Context(), &organizations.CreatePolicyInput{Type: polSCP, Name: aws.String(name),
			Description: aws.String(name), Content: aws.String(polDenyS3), Tags: tags})
		return err
	}
	invite := func(_ string, tags []types.Tag) error {
		_, err := c.InviteAccountToOrganization(t.Context(), &organizations.InviteAccountToOrganizationInput{
			Target: &types.HandshakeParty{Type: types.HandshakePartyTypeAccount, Id: aws.String(polOutsider)}, Tags: tags})
		return err
	}
	ops := []struct {
		name string
		call func(string, []types.Tag) error
	}{
		{"CreateAccount", createAccount}, {"CreateGovCloudAccount", createGov}, {"CreateOrganizationalUnit", createOU},
		{"CreatePolicy", createPolicy}, {"InviteAccountToOrganization", invite},
	}
	for _, op := range ops {
		tpRequireViolation(t, op.call("refused", bad))
	}
	if accounts() != nAccounts || statuses() != nStatuses || children() != nOUs || handshakes() != nHandshakes ||
		len(polListPolicies(t, c, polSCP, 20)) != nPolicies {
		t.Fatalf("a refused call wrote: accounts %d→%d, creation statuses %d→%d, OUs %d→%d, handshakes %d→%d, SCPs %d→%d",
			nAccounts, accounts(), nStatuses, statuses(), nOUs, children(), nHandshakes, handshakes(), nPolicies, len(polListPolicies(t, c, polSCP, 20)))
	}
	for _, op := range ops {
		if err := op.call("accepted", good); err != nil {
			t.Errorf("%s with compliant tags: %v", op.name, err)
		}
	}
	// The invitation's tags land on the account when it joins.
	h, err := s.Client(polOutsider).ListHandshakesForAccount(t.Context(), &organizations.ListHandshakesForAccountInput{})
	if err != nil || len(h.Handshakes) != 1 {
		t.Fatalf("ListHandshakesForAccount: %+v, %v", h, err)
	}
	if _, err := s.Client(polOutsider).AcceptHandshake(t.Context(), &organizations.AcceptHandshakeInput{HandshakeId: h.Handshakes[0].Id}); err != nil {
		t.Fatal(err)
	}
	if got := oaTags(t, c, polOutsider); !slices.Equal(got, []string{"CostCenter=100"}) {
		t.Errorf("tags of the account that joined = %v", got)
	}
}

// The effective tag policy is merged from the root down: an OU's @@append widens the values
// for the accounts under it only.
func TestTagPolicyEnforcementFollowsInheritance(t *testing.T) {
	s, c, root := tpOrg(t, `{"tags":{"costcenter":{"tag_key":{"@@assign":"CostCenter"},"tag_value":{"@@assign":["100"]},"enforced_for":{"@@assign":["organizations:account"]}}}}`)
	s.Join(polMgmt, polMember2)
	ou := polOU(t, c, root, "Lab")
	effMove(t, c, polMember, root, ou)
	polAttach(t, c, polCreate(t, c, polTag, "lab", `{"tags":{"costcenter":{"tag_value":{"@@append":["300"]}}}}`), ou)

	if err := tpTag(c, t, polMember, "CostCenter", "300"); err != nil {
		t.Errorf("TagResource in the OU that appends 300: %v", err)
	}
	tpRequireViolation(t, tpTag(c, t, polMember2, "CostCenter", "300"))
	if err := tpTag(c, t, polMember2, "CostCenter", "100"); err != nil {
		t.Errorf("TagResource under the root with the root's value: %v", err)
	}
}

// A root, an OU or a policy is judged by the management account's effective tag policy: one
// attached to the management account binds them, one attached to a member does not.
func TestTagPolicyOfTheManagementAccountJudgesOrganizationResources(t *testing.T) {
	_, c, root := polOrg(t)
	polEnable(t, c, root, polTag)
	p := polCreate(t, c, polTag, "ou", tpCostCenter("organizations:ou"))
	polAttach(t, c, p, polMember)
	ou := polOU(t, c, root, "Free")
	if err := tpTag(c, t, ou, "CostCenter", "300"); err != nil {
		t.Errorf("with the policy on a member only: %v", err)
	}
	polAttach(t, c, p, polMgmt)
	tpRequireViolation(t, tpTag(c, t, ou, "CostCenter", "999"))
	if got := oaTags(t, c, ou); !slices.Equal(got, []string{"CostCenter=300"}) {
		t.Errorf("OU tags = %v", got)
	}
}

// With the type disabled no tag policy is in effect, so nothing is checked.
func TestTagPolicyNotEnforcedWhenTheTypeIsDisabled(t *testing.T) {
	_, c, root := tpOrg(t, tpCostCenter("organizations:account"))
	tpRequireViolation(t, tpTag(c, t, polMember, "CostCenter", "300"))
	if _, err := c.DisablePolicyType(t.Context(), &organizations.DisablePolicyTypeInput{RootId: aws.String(root), PolicyType: polTag}); err != nil {
		t.Fatal(err)
	}
	if err := tpTag(c, t, polMember, "CostCenter", "300"); err != nil {
		t.Errorf("TagResource with tag policies disabled: %v", err)
	}
}

// Tag policies judge the tags present: removing one never breaks them, and tags written
// before a policy stay.
func TestUntagResourceIsNeverATagPolicyViolation(t *testing.T) {
	_, c, root := polOrg(t)
	oaTag(t, c, polMember, "CostCenter", "300")
	oaTag(t, c, polMember, "costcenter", "100")
	polEnable(t, c, root, polTag)
	polAttach(t, c, polCreate(t, c, polTag, "cc", tpCostCenter("organizations:account")), root)
	if _, err := c.UntagResource(t.Context(), &organizations.UntagResourceInput{ResourceId: aws.String(polMember), TagKeys: []string{"costcenter"}}); err != nil {
		t.Fatalf("UntagResource: %v", err)
	}
	if got := oaTags(t, c, polMember); !slices.Equal(got, []string{"CostCenter=300"}) {
		t.Errorf("tags = %v", got)
	}
}

// ListAccountsWithInvalidEffectivePolicy and ListEffectivePolicyValidationErrors report
// effective policies that fail validation, not resources whose tags break a valid one
// (AWS reports those through the Resource Groups Tagging API's ComplianceDetails,
// https://docs.aws.amazon.com/resourcegroupstagging/latest/APIReference/API_ComplianceDetails.html;
// the reports' own page speaks of an effective policy that "fails validation checks",
// https://docs.aws.amazon.com/organizations/latest/APIReference/API_ListAccountsWithInvalidEffectivePolicy.html). A tag
// whose tag_key is not its id is such a failure, and orgd enforces none of its rule.
func TestTagPolicyReports(t *testing.T) {
	_, c, root := polOrg(t)
	oaTag(t, c, polMember, "CostCenter", "300")
	polEnable(t, c, root, polTag)
	polAttach(t, c, polCreate(t, c, polTag, "cc", tpCostCenter("organizations:account")), root)
	list, err := c.ListAccountsWithInvalidEffectivePolicy(t.Context(), &organizations.ListAccountsWithInvalidEffectivePolicyInput{PolicyType: effTag})
	if err != nil || len(list.Accounts) != 0 {
		t.Errorf("accounts with invalid tag policies = %+v, %v; want none for a non-compliant tag", list, err)
	}

	bad := polCreate(t, c, polTag, "team", `{"tags":{"team":{"tag_key":{"@@assign":"Owner"},"tag_value":{"@@assign":["a"]},"enforced_for":{"@@assign":["organizations:account"]}}}}`)
	polAttach(t, c, bad, polMember)
	list, err = c.ListAccountsWithInvalidEffectivePolicy(t.Context(), &organizations.ListAccountsWithInvalidEffectivePolicyInput{PolicyType: effTag})
	if err != nil || len(list.Accounts) != 1 || aws.ToString(list.Accounts[0].Id) != polMember {
		t.Fatalf("accounts with invalid tag policies = %+v, %v; want %s", list, err, polMember)
	}
	errs, err := c.ListEffectivePolicyValidationErrors(t.Context(), &organizations.ListEffectivePolicyValidationErrorsInput{AccountId: aws.String(polMember), PolicyType: effTag})
	if err != nil || len(errs.EffectivePolicyValidationErrors) != 1 || aws.ToString(errs.EffectivePolicyValidationErrors[0].PathToError) != "tags.team.tag_key" {
		t.Fatalf("validation errors = %+v, %v", errs, err)
	}
	for _, kv := range [][]string{{"Owner", "b"}, {"team", "b"}} {
		if err := tpTag(c, t, polMember, kv...); err != nil {
			t.Errorf("TagResource %v under the invalid rule: %v", kv, err)
		}
	}
	// The valid rule beside it is still enforced.
	tpRequireViolation(t, tpTag(c, t, polMember, "CostCenter", "400"))
}
