package org_test

import (
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/smithy-go"

	"github.com/orgd/orgd/internal/apitest"
	"github.com/orgd/orgd/internal/org"
)

// TestAWSErrorTexts provokes each error whose text AWS is known to send (or the model
// documents) through the SDK and compares the message with AWS's text, written out here:
// users' tests compare these strings exactly, so nothing may be appended to them.
func TestAWSErrorTexts(t *testing.T) {
	const (
		mgmt, member, outsider = "460000000001", "460000000002", "460000000009"
		scp                    = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`
		principal              = "securityhub.amazonaws.com"
	)
	// Two accounts fill the organization: the next creation exceeds the account quota.
	s := apitest.Start(t, apitest.WithQuotas(func(q *org.Quotas) { q.MaxAccounts = 3 }))
	s.CreateOrganization(mgmt)
	s.Join(mgmt, member)
	c, ctx := s.Client(mgmt), t.Context()
	roots, err := c.ListRoots(ctx, &organizations.ListRootsInput{})
	if err != nil {
		t.Fatal(err)
	}
	root := aws.ToString(roots.Roots[0].Id)
	if _, err := c.EnablePolicyType(ctx, &organizations.EnablePolicyTypeInput{RootId: &root, PolicyType: types.PolicyTypeServiceControlPolicy}); err != nil {
		t.Fatal(err)
	}
	tagPolicy, err := c.CreatePolicy(ctx, &organizations.CreatePolicyInput{Type: types.PolicyTypeTagPolicy, Name: aws.String("tags"),
		Description: aws.String("d"), Content: aws.String(`{"tags":{"cc":{"tag_key":{"@@assign":"CC"}}}}`)})
	if err != nil {
		t.Fatal(err)
	}
	created, err := c.CreateAccount(ctx, &organizations.CreateAccountInput{Email: aws.String("new@example.com"), AccountName: aws.String("new")})
	if err != nil {
		t.Fatal(err)
	}
	status, err := c.DescribeCreateAccountStatus(ctx, &organizations.DescribeCreateAccountStatusInput{CreateAccountRequestId: created.CreateAccountStatus.Id})
	if err != nil || status.CreateAccountStatus.AccountId == nil {
		t.Fatalf("DescribeCreateAccountStatus: %v", err)
	}
	newAccount := status.CreateAccountStatus.AccountId
	if _, err := c.EnableAWSServiceAccess(ctx, &organizations.EnableAWSServiceAccessInput{ServicePrincipal: aws.String(principal)}); err != nil {
		t.Fatal(err)
	}
	register := func() error {
		_, err := c.RegisterDelegatedAdministrator(ctx, &organizations.RegisterDelegatedAdministratorInput{AccountId: aws.String(member), ServicePrincipal: aws.String(principal)})
		return err
	}
	if err := register(); err != nil {
		t.Fatal(err)
	}

	const unknownPolicy = "p-0000000000"
	tests := []struct {
		name         string
		call         func() error
		code, reason string
		text         string
	}{
		{"DescribeAccount of an unknown account", func() error {
			_, err := c.DescribeAccount(ctx, &organizations.DescribeAccountInput{AccountId: aws.String("999999999999")})
			return err
		}, "AccountNotFoundException", "", "You specified an account that doesn't exist."},
		{"DescribePolicy of an unknown policy", func() error {
			_, err := c.DescribePolicy(ctx, &organizations.DescribePolicyInput{PolicyId: aws.String(unknownPolicy)})
			return err
		}, "PolicyNotFoundException", "", "You specified a policy that doesn't exist."},
		{"ListTargetsForPolicy of an unknown policy", func() error {
			_, err := c.ListTargetsForPolicy(ctx, &organizations.ListTargetsForPolicyInput{PolicyId: aws.String(unknownPolicy)})
			return err
		}, "PolicyNotFoundException", "", "You specified a policy that doesn't exist."},
		{"AttachPolicy of an unknown policy", func() error {
			_, err := c.AttachPolicy(ctx, &organizations.AttachPolicyInput{PolicyId: aws.String(unknownPolicy), TargetId: &root})
			return err
		}, "PolicyNotFoundException", "", "You specified a policy that doesn't exist."},
		{"DetachPolicy of an unknown policy", func() error {
			_, err := c.DetachPolicy(ctx, &organizations.DetachPolicyInput{PolicyId: aws.String(unknownPolicy), TargetId: &root})
			return err
		}, "PolicyNotFoundException", "", "You specified a policy that doesn't exist."},
		{"UpdatePolicy of an unknown policy", func() error {
			_, err := c.UpdatePolicy(ctx, &organizations.UpdatePolicyInput{PolicyId: aws.String(unknownPolicy), Name: aws.String("x")})
			return err
		}, "PolicyNotFoundException", "", "We can't find a policy with the PolicyId that you specified."},
		{"DeletePolicy of an unknown policy", func() error {
			_, err := c.DeletePolicy(ctx, &organizations.DeletePolicyInput{PolicyId: aws.String(unknownPolicy)})
			return err
		}, "PolicyNotFoundException", "", "We can't find a policy with the PolicyId that you specified."},
		{"an account id off its pattern", func() error {
			_, err := c.DescribeAccount(ctx, &organizations.DescribeAccountInput{AccountId: aws.String("12345")})
			return err
		}, "InvalidInputException", "INVALID_PATTERN", "You provided a value that does not match the required pattern."},
		{"a policy target id off its pattern", func() error {
			_, err := c.AttachPolicy(ctx, &organizations.AttachPolicyInput{PolicyId: tagPolicy.Policy.PolicySummary.Id, TargetId: aws.String("ou-x")})
			return err
		}, "InvalidInputException", "INVALID_PATTERN_TARGET_ID", "You specified a policy target ID that doesn't match the required pattern."},
		{"a policy id off its pattern", func() error {
			_, err := c.DescribePolicy(ctx, &organizations.DescribePolicyInput{PolicyId: aws.String("p-1")})
			return err
		}, "InvalidInputException", "INVALID_SYNTAX_POLICY_ID", "You specified an invalid policy ID."},
		{"an invalid enum value", func() error {
			_, err := c.ListChildren(ctx, &organizations.ListChildrenInput{ParentId: &root, ChildType: "ROOT"})
			return err
		}, "InvalidInputException", "INVALID_ENUM", "You specified an invalid value."},
		{"a NextToken orgd did not hand out", func() error {
			_, err := c.ListAccounts(ctx, &organizations.ListAccountsInput{NextToken: aws.String("not-a-token")})
			return err
		}, "InvalidInputException", "INVALID_NEXT_TOKEN", "Get the value for the NextToken parameter from the response to a previous call of the operation."},
		{"an unrecognized service principal", func() error {
			_, err := c.EnableAWSServiceAccess(ctx, &organizations.EnableAWSServiceAccessInput{ServicePrincipal: aws.String("nothing.example.com")})
			return err
		}, "InvalidInputException", "UNRECOGNIZED_SERVICE_PRINCIPAL", "You specified an unrecognized service principal."},
		{"CreateAccount with a reserved role name", func() error {
			_, err := c.CreateAccount(ctx, &organizations.CreateAccountInput{Email: aws.String("r@example.com"), AccountName: aws.String("r"),
				RoleName: aws.String("AWSServiceRoleForOrganizations")})
			return err
		}, "InvalidInputException", "INVALID_ROLE_NAME", "You provided a role name that isn't valid."},
		{"CreateGovCloudAccount with a reserved role name", func() error {
			_, err := c.CreateGovCloudAccount(ctx, &organizations.CreateGovCloudAccountInput{Email: aws.String("g@example.com"), AccountName: aws.String("g"),
				RoleName: aws.String("AWSServiceRoleForX")})
			return err
		}, "InvalidInputException", "INVALID_ROLE_NAME", "You provided a role name that isn't valid."},
		{"CreateAccount beyond the account quota", func() error {
			_, err := c.CreateAccount(ctx, &organizations.CreateAccountInput{Email: aws.String("four@example.com"), AccountName: aws.String("four")})
			return err
		}, "ConstraintViolationException", "ACCOUNT_NUMBER_LIMIT_EXCEEDED", "You have exceeded the allowed number of AWS accounts."},
		{"a created account leaving before four days", func() error {
			_, err := c.RemoveAccountFromOrganization(ctx, &organizations.RemoveAccountFromOrganizationInput{AccountId: newAccount})
			return err
		}, "ConstraintViolationException", "WAIT_PERIOD_ACTIVE", "After you create an Amazon Web Services account, you must wait until at least four days after the account was created."},
		{"attaching a policy of a type not enabled", func() error {
			_, err := c.AttachPolicy(ctx, &organizations.AttachPolicyInput{PolicyId: tagPolicy.Policy.PolicySummary.Id, TargetId: &root})
			return err
		}, "PolicyTypeNotEnabledException", "", "This operation can be performed only for enabled policy types."},
		{"enabling an enabled policy type", func() error {
			_, err := c.EnablePolicyType(ctx, &organizations.EnablePolicyTypeInput{RootId: &root, PolicyType: types.PolicyTypeServiceControlPolicy})
			return err
		}, "PolicyTypeAlreadyEnabledException", "", "The specified policy type is already enabled."},
		{"an unknown root", func() error {
			_, err := c.EnablePolicyType(ctx, &organizations.EnablePolicyTypeInput{RootId: aws.String("r-zzzz"), PolicyType: types.PolicyTypeTagPolicy})
			return err
		}, "RootNotFoundException", "", "You specified a root that doesn't exist."},
		{"an unknown policy target", func() error {
			_, err := c.ListPoliciesForTarget(ctx, &organizations.ListPoliciesForTargetInput{TargetId: aws.String("ou-zzzz-zzzzzzzz"), Filter: types.PolicyTypeServiceControlPolicy})
			return err
		}, "TargetNotFoundException", "", "You specified a target that doesn't exist."},
		{"a malformed policy document", func() error {
			_, err := c.CreatePolicy(ctx, &organizations.CreatePolicyInput{Type: types.PolicyTypeServiceControlPolicy, Name: aws.String("bad"),
				Description: aws.String("d"), Content: aws.String(`{"Statement":"nope"}`)})
			return err
		}, "MalformedPolicyDocumentException", "", "The provided policy document does not meet the requirements of the specified policy type."},
		{"a caller outside any organization", func() error {
			_, err := s.Client(outsider).DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
			return err
		}, "AWSOrganizationsNotInUseException", "", "Your account is not a member of an organization."},
		{"CreateOrganization from a member of one", func() error {
			_, err := s.Client(member).CreateOrganization(ctx, &organizations.CreateOrganizationInput{})
			return err
		}, "AlreadyInOrganizationException", "", "The AWS account is already a member of an organization."},
		{"a member calling a management operation", func() error {
			_, err := s.Client(member).CreateAccount(ctx, &organizations.CreateAccountInput{Email: aws.String("m@example.com"), AccountName: aws.String("m")})
			return err
		}, "AccessDeniedException", "", "You don't have permissions to access this resource."},
		{"registering the management account as delegated administrator", func() error {
			_, err := c.RegisterDelegatedAdministrator(ctx, &organizations.RegisterDelegatedAdministratorInput{AccountId: aws.String(mgmt), ServicePrincipal: aws.String(principal)})
			return err
		}, "ConstraintViolationException", "CANNOT_REGISTER_MASTER_AS_DELEGATED_ADMINISTRATOR", "You cannot register master account/yourself as delegated administrator for your organization."},
		{"registering a delegated administrator twice", register,
			"AccountAlreadyRegisteredException", "", "The provided account is already a delegated administrator for your organization."},
		{"deregistering an account that is no delegated administrator", func() error {
			_, err := c.DeregisterDelegatedAdministrator(ctx, &organizations.DeregisterDelegatedAdministratorInput{AccountId: newAccount, ServicePrincipal: aws.String(principal)})
			return err
		}, "AccountNotRegisteredException", "", "The provided account is not a registered delegated administrator for your organization."},
		{"an unknown handshake", func() error {
			_, err := c.DescribeHandshake(ctx, &organizations.DescribeHandshakeInput{HandshakeId: aws.String("h-00000000")})
			return err
		}, "HandshakeNotFoundException", "", "We can't find a handshake with the HandshakeId that you specified."},
		{"an unknown OU", func() error {
			_, err := c.DescribeOrganizationalUnit(ctx, &organizations.DescribeOrganizationalUnitInput{OrganizationalUnitId: aws.String("ou-zzzz-zzzzzzzz")})
			return err
		}, "OrganizationalUnitNotFoundException", "", "We can't find an OU with the OrganizationalUnitId that you specified."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			apitest.RequireCode(t, err, tt.code, tt.reason)
			var apiErr smithy.APIError
			if errors.As(err, &apiErr); apiErr.ErrorMessage() != tt.text {
				t.Errorf("message %q, want AWS's %q", apiErr.ErrorMessage(), tt.text)
			}
		})
	}
	// Closing an account twice: the second answer is AWS's text for an account already closed.
	closeNew := func() error {
		_, err := c.CloseAccount(ctx, &organizations.CloseAccountInput{AccountId: newAccount})
		return err
	}
	if err := closeNew(); err != nil {
		t.Fatalf("CloseAccount: %v", err)
	}
	err = closeNew()
	apitest.RequireCode(t, err, "AccountAlreadyClosedException", "")
	var apiErr smithy.APIError
	if errors.As(err, &apiErr); apiErr.ErrorMessage() != "The provided account is already closed." {
		t.Errorf("message %q, want AWS's", apiErr.ErrorMessage())
	}
}
