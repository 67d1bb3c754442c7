package org_test

import (
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/orgd/orgd/internal/apitest"
)

const azSCP = `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:*","Resource":"*"}]}`

func azRoot(t *testing.T, s *apitest.Server) string {
	t.Helper()
	roots, err := s.Client(dlMgmt).ListRoots(dlCtx, &organizations.ListRootsInput{})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(roots.Roots[0].Id)
}

// A delegated administrator of any service may call the organization's read operations, and
// only those.
func TestDelegatedAdministratorReadsButDoesNotWrite(t *testing.T) {
	s := dlOrg(t, dlAlice, dlBob)
	root := azRoot(t, s)
	mgmt := s.Client(dlMgmt)
	ou, err := mgmt.CreateOrganizationalUnit(dlCtx, &organizations.CreateOrganizationalUnitInput{ParentId: aws.String(root), Name: aws.String("a")})
	if err != nil {
		t.Fatal(err)
	}
	dlEnable(t, s, dlSSO)
	dlMustRegister(t, s, dlAlice, dlSSO)
	alice := s.Client(dlAlice)
	reads := map[string]func() error{
		"ListRoots": func() error { _, err := alice.ListRoots(dlCtx, &organizations.ListRootsInput{}); return err },
		"DescribeAccount": func() error {
			_, err := alice.DescribeAccount(dlCtx, &organizations.DescribeAccountInput{AccountId: aws.String(dlBob)})
			return err
		},
		"ListAccountsForParent": func() error {
			_, err := alice.ListAccountsForParent(dlCtx, &organizations.ListAccountsForParentInput{ParentId: aws.String(root)})
			return err
		},
		"ListChildren": func() error {
			_, err := alice.ListChildren(dlCtx, &organizations.ListChildrenInput{ParentId: aws.String(root), ChildType: types.ChildTypeOrganizationalUnit})
			return err
		},
		"ListParents": func() error {
			_, err := alice.ListParents(dlCtx, &organizations.ListParentsInput{ChildId: ou.OrganizationalUnit.Id})
			return err
		},
		"DescribeOrganizationalUnit": func() error {
			_, err := alice.DescribeOrganizationalUnit(dlCtx, &organizations.DescribeOrganizationalUnitInput{OrganizationalUnitId: ou.OrganizationalUnit.Id})
			return err
		},
		"ListOrganizationalUnitsForParent": func() error {
			_, err := alice.ListOrganizationalUnitsForParent(dlCtx, &organizations.ListOrganizationalUnitsForParentInput{ParentId: aws.String(root)})
			return err
		},
		"ListPolicies": func() error {
			_, err := alice.ListPolicies(dlCtx, &organizations.ListPoliciesInput{Filter: types.PolicyTypeServiceControlPolicy})
			return err
		},
		"DescribePolicy": func() error {
			_, err := alice.DescribePolicy(dlCtx, &organizations.DescribePolicyInput{PolicyId: aws.String("p-FullAWSAccess")})
			return err
		},
		"ListCreateAccountStatus": func() error {
			_, err := alice.ListCreateAccountStatus(dlCtx, &organizations.ListCreateAccountStatusInput{})
			return err
		},
		"ListHandshakesForOrganization": func() error {
			_, err := alice.ListHandshakesForOrganization(dlCtx, &organizations.ListHandshakesForOrganizationInput{})
			return err
		},
		"ListTagsForResource": func() error {
			_, err := alice.ListTagsForResource(dlCtx, &organizations.ListTagsForResourceInput{ResourceId: aws.String(root)})
			return err
		},
	}
	for name, call := range reads {
		if err := call(); err != nil {
			t.Errorf("%s as delegated administrator: %v", name, err)
		}
	}
	writes := map[string]func() error{
		"CreateOrganizationalUnit": func() error {
			_, err := alice.CreateOrganizationalUnit(dlCtx, &organizations.CreateOrganizationalUnitInput{ParentId: aws.String(root), Name: aws.String("b")})
			return err
		},
		"TagResource": func() error {
			_, err := alice.TagResource(dlCtx, &organizations.TagResourceInput{ResourceId: aws.String(root), Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
			return err
		},
		"CreatePolicy": func() error {
			_, err := alice.CreatePolicy(dlCtx, &organizations.CreatePolicyInput{Type: types.PolicyTypeServiceControlPolicy,
				Name: aws.String("x"), Description: aws.String(""), Content: aws.String(azSCP)})
			return err
		},
		"InviteAccountToOrganization": func() error {
			_, err := alice.InviteAccountToOrganization(dlCtx, &organizations.InviteAccountToOrganizationInput{
				Target: &types.HandshakeParty{Type: types.HandshakePartyTypeAccount, Id: aws.String(dlCarol)}})
			return err
		},
		"CreateAccount": func() error {
			_, err := alice.CreateAccount(dlCtx, &organizations.CreateAccountInput{Email: aws.String("x@example.org"), AccountName: aws.String("x")})
			return err
		},
	}
	for name, call := range writes {
		if err := call(); err == nil {
			t.Errorf("%s as delegated administrator succeeded", name)
		} else {
			apitest.RequireCode(t, err, "AccessDeniedException", "")
		}
	}
	// A member that administers nothing reads nothing.
	_, err = s.Client(dlBob).ListAccounts(dlCtx, &organizations.ListAccountsInput{})
	apitest.RequireCode(t, err, "AccessDeniedException", "")
}

// The delegation policy grants a member exactly the actions, resources and policy types it
// names.
func TestResourcePolicyGrantsMemberActions(t *testing.T) {
	s := dlOrg(t, dlAlice, dlBob)
	root := azRoot(t, s)
	mgmt := s.Client(dlMgmt)
	if _, err := mgmt.EnablePolicyType(dlCtx, &organizations.EnablePolicyTypeInput{RootId: aws.String(root), PolicyType: types.PolicyTypeServiceControlPolicy}); err != nil {
		t.Fatal(err)
	}
	orgs, err := mgmt.DescribeOrganization(dlCtx, &organizations.DescribeOrganizationInput{})
	if err != nil {
		t.Fatal(err)
	}
	orgID := aws.ToString(orgs.Organization.Id)
	policy := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[
		{"Sid":"SCPs","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::%s:root"},
		 "Action":["organizations:CreatePolicy","organizations:DescribePolicy","organizations:UpdatePolicy","organizations:AttachPolicy"],
		 "Resource":"*",
		 "Condition":{"StringEquals":{"organizations:PolicyType":"SERVICE_CONTROL_POLICY"}}},
		{"Sid":"Accounts","Effect":"Allow","Principal":{"AWS":"%s"},
		 "Action":"organizations:DescribeAccount",
		 "Resource":"arn:aws:organizations::%s:account/%s/%s"}]}`, dlAlice, dlAlice, dlMgmt, orgID, dlBob)
	if _, err := mgmt.PutResourcePolicy(dlCtx, &organizations.PutResourcePolicyInput{Content: aws.String(policy)}); err != nil {
		t.Fatal(err)
	}
	alice := s.Client(dlAlice)
	created, err := alice.CreatePolicy(dlCtx, &organizations.CreatePolicyInput{Type: types.PolicyTypeServiceControlPolicy,
		Name: aws.String("delegated"), Description: aws.String(""), Content: aws.String(azSCP)})
	if err != nil {
		t.Fatalf("CreatePolicy granted by the delegation policy: %v", err)
	}
	if _, err := alice.AttachPolicy(dlCtx, &organizations.AttachPolicyInput{PolicyId: created.Policy.PolicySummary.Id, TargetId: aws.String(root)}); err != nil {
		t.Errorf("AttachPolicy granted by the delegation policy: %v", err)
	}
	if _, err := alice.DescribeAccount(dlCtx, &organizations.DescribeAccountInput{AccountId: aws.String(dlBob)}); err != nil {
		t.Errorf("DescribeAccount of the granted account: %v", err)
	}
	// Another policy type, another resource, an action not granted, another member.
	_, err = alice.CreatePolicy(dlCtx, &organizations.CreatePolicyInput{Type: types.PolicyTypeTagPolicy,
		Name: aws.String("tags"), Description: aws.String(""), Content: aws.String(`{"tags":{}}`)})
	apitest.RequireCode(t, err, "AccessDeniedException", "")
	_, err = alice.DescribeAccount(dlCtx, &organizations.DescribeAccountInput{AccountId: aws.String(dlMgmt)})
	apitest.RequireCode(t, err, "AccessDeniedException", "")
	_, err = alice.DeletePolicy(dlCtx, &organizations.DeletePolicyInput{PolicyId: created.Policy.PolicySummary.Id})
	apitest.RequireCode(t, err, "AccessDeniedException", "")
	_, err = alice.ListAccounts(dlCtx, &organizations.ListAccountsInput{})
	apitest.RequireCode(t, err, "AccessDeniedException", "")
	_, err = s.Client(dlBob).CreatePolicy(dlCtx, &organizations.CreatePolicyInput{Type: types.PolicyTypeServiceControlPolicy,
		Name: aws.String("bob"), Description: aws.String(""), Content: aws.String(azSCP)})
	apitest.RequireCode(t, err, "AccessDeniedException", "")
}

// SECURITYHUB_POLICY needs Security Hub's trusted access, which stays while the type is on.
func TestPolicyTypeNeedsItsServiceAccess(t *testing.T) {
	s := dlOrg(t)
	root := azRoot(t, s)
	mgmt := s.Client(dlMgmt)
	enable := func() error {
		_, err := mgmt.EnablePolicyType(dlCtx, &organizations.EnablePolicyTypeInput{RootId: aws.String(root), PolicyType: types.PolicyTypeSecurityhubPolicy})
		return err
	}
	apitest.RequireCode(t, enable(), "ConstraintViolationException", "SERVICE_ACCESS_NOT_ENABLED")
	dlEnable(t, s, "securityhub.amazonaws.com")
	if err := enable(); err != nil {
		t.Fatal(err)
	}
	_, err := mgmt.DisableAWSServiceAccess(dlCtx, &organizations.DisableAWSServiceAccessInput{ServicePrincipal: aws.String("securityhub.amazonaws.com")})
	apitest.RequireCode(t, err, "ConstraintViolationException", "POLICY_TYPE_ENABLED_FOR_THIS_SERVICE")
	if _, err := mgmt.DisablePolicyType(dlCtx, &organizations.DisablePolicyTypeInput{RootId: aws.String(root), PolicyType: types.PolicyTypeSecurityhubPolicy}); err != nil {
		t.Fatal(err)
	}
	if _, err := mgmt.DisableAWSServiceAccess(dlCtx, &organizations.DisableAWSServiceAccessInput{ServicePrincipal: aws.String("securityhub.amazonaws.com")}); err != nil {
		t.Errorf("disable trusted access once the policy type is off: %v", err)
	}
}
