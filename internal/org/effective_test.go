package org_test

import (
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/orgd/orgd/internal/apitest"
)

const (
	effTag = types.EffectivePolicyTypeTagPolicy
	effAI  = types.EffectivePolicyTypeAiservicesOptOutPolicy
)

func effDescribe(t *testing.T, c *organizations.Client, typ types.EffectivePolicyType, target string) (*types.EffectivePolicy, error) {
	in := &organizations.DescribeEffectivePolicyInput{PolicyType: typ}
	if target != "" {
		in.TargetId = aws.String(target)
	}
	out, err := c.DescribeEffectivePolicy(t.Context(), in)
	if err != nil {
		return nil, err
	}
	return out.EffectivePolicy, nil
}

func effContent(t *testing.T, c *organizations.Client, typ types.EffectivePolicyType, target string) string {
	t.Helper()
	p, err := effDescribe(t, c, typ, target)
	if err != nil {
		t.Fatalf("DescribeEffectivePolicy %s %s: %v", typ, target, err)
	}
	return aws.ToString(p.PolicyContent)
}

func effMove(t *testing.T, c *organizations.Client, account, from, to string) {
	t.Helper()
	if _, err := c.MoveAccount(t.Context(), &organizations.MoveAccountInput{AccountId: aws.String(account),
		SourceParentId: aws.String(from), DestinationParentId: aws.String(to)}); err != nil {
		t.Fatalf("MoveAccount %s: %v", account, err)
	}
}

// The worked example of the User Guide's inheritance page: the root assigns two values, an OU
// appends one, the account removes two.
func TestDescribeEffectivePolicyTagWorkedExample(t *testing.T) {
	s, c, root := polOrg(t)
	ou := polOU(t, c, root, "Marketing")
	effMove(t, c, polMember, root, ou)
	polEnable(t, c, root, polTag)
	rootPolicy := polCreate(t, c, polTag, "root", `{"tags":{"costcenter":{"tag_key":{"@@assign":"CostCenter"},"tag_value":{"@@assign":["Development","Support"]}}}}`)
	ouPolicy := polCreate(t, c, polTag, "ou", `{"tags":{"costcenter":{"tag_value":{"@@append":["Marketing"]}}}}`)
	acctPolicy := polCreate(t, c, polTag, "account", `{"tags":{"costcenter":{"tag_value":{"@@remove":["Development","Marketing"]}}}}`)
	polAttach(t, c, rootPolicy, root)
	polAttach(t, c, ouPolicy, ou)

	// Management policies at the root apply to the management account too.
	if got, want := effContent(t, c, effTag, ""), `{"tags":{"costcenter":{"tag_key":"CostCenter","tag_value":["Development","Support"]}}}`; got != want {
		t.Errorf("management account's effective policy = %s, want %s", got, want)
	}
	if got, want := effContent(t, c, effTag, polMember), `{"tags":{"costcenter":{"tag_key":"CostCenter","tag_value":["Development","Support","Marketing"]}}}`; got != want {
		t.Errorf("after the OU's append = %s, want %s", got, want)
	}
	polAttach(t, c, acctPolicy, polMember)
	want := `{"tags":{"costcenter":{"tag_key":"CostCenter","tag_value":["Support"]}}}`
	p, err := effDescribe(t, c, effTag, polMember)
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(p.PolicyContent) != want || aws.ToString(p.TargetId) != polMember || p.PolicyType != effTag || p.LastUpdatedTimestamp == nil {
		t.Errorf("effective policy = %+v %s, want %s", p, aws.ToString(p.PolicyContent), want)
	}
	// The member reads its own without a TargetId, and may name itself.
	if got := effContent(t, s.Client(polMember), effTag, ""); got != want {
		t.Errorf("member's own effective policy = %s, want %s", got, want)
	}
	if got := effContent(t, s.Client(polMember), effTag, polMember); got != want {
		t.Errorf("member naming itself = %s, want %s", got, want)
	}
}

func TestEffectivePolicyFollowsAttachmentOrder(t *testing.T) {
	_, c, root := polOrg(t)
	polEnable(t, c, root, polTag)
	upper := polCreate(t, c, polTag, "upper", `{"tags":{"project":{"tag_key":{"@@assign":"PROJECT"}}}}`)
	lower := polCreate(t, c, polTag, "lower", `{"tags":{"project":{"tag_key":{"@@assign":"project"}}}}`)
	polAttach(t, c, upper, root)
	polAttach(t, c, lower, root)
	if got, want := effContent(t, c, effTag, polMember), `{"tags":{"project":{"tag_key":"PROJECT"}}}`; got != want {
		t.Errorf("first attached wins: %s, want %s", got, want)
	}
	// Detaching and attaching again moves a policy last.
	if err := polDetachErr(t, c, upper, root); err != nil {
		t.Fatal(err)
	}
	polAttach(t, c, upper, root)
	if got, want := effContent(t, c, effTag, polMember), `{"tags":{"project":{"tag_key":"project"}}}`; got != want {
		t.Errorf("after re-attaching: %s, want %s", got, want)
	}
}

func TestEffectivePolicyChildControl(t *testing.T) {
	_, c, root := polOrg(t)
	polEnable(t, c, root, polAI)
	locked := polCreate(t, c, polAI, "locked", `{"services":{"default":{"opt_out_policy":{"@@assign":"optOut","@@operators_allowed_for_child_policies":["@@none"]}}}}`)
	optIn := polCreate(t, c, polAI, "optIn", `{"services":{"default":{"opt_out_policy":{"@@assign":"optIn"}},"lex":{"opt_out_policy":{"@@assign":"optIn"}}}}`)
	polAttach(t, c, locked, root)
	// The account's attempt to opt back in is ignored where the root forbids it, not refused.
	polAttach(t, c, optIn, polMember)
	want := `{"services":{"default":{"opt_out_policy":"optOut"},"lex":{"opt_out_policy":"optIn"}}}`
	if got := effContent(t, c, effAI, polMember); got != want {
		t.Errorf("effective = %s, want %s", got, want)
	}
}

func TestDescribeEffectivePolicyErrors(t *testing.T) {
	s, c, root := polOrg(t)
	ou := polOU(t, c, root, "OU")
	_, err := effDescribe(t, c, effTag, polMember)
	apitest.RequireCode(t, err, "EffectivePolicyNotFoundException", "") // type not enabled
	polEnable(t, c, root, polTag)
	_, err = effDescribe(t, c, effTag, polMember)
	apitest.RequireCode(t, err, "EffectivePolicyNotFoundException", "") // nothing attached
	polAttach(t, c, polCreate(t, c, polTag, "T", polTagDoc), ou)
	_, err = effDescribe(t, c, effTag, polMember)
	apitest.RequireCode(t, err, "EffectivePolicyNotFoundException", "") // not on the member's path
	for _, target := range []string{root, ou} {
		_, err = effDescribe(t, c, effTag, target)
		apitest.RequireCode(t, err, "InvalidInputException", "TARGET_NOT_SUPPORTED")
	}
	_, err = effDescribe(t, c, effTag, polOutsider)
	apitest.RequireCode(t, err, "TargetNotFoundException", "")
	_, err = effDescribe(t, s.Client(polMember), effTag, polMgmt)
	apitest.RequireCode(t, err, "AccessDeniedException", "")
	_, err = effDescribe(t, s.Client(polOutsider), effTag, "")
	apitest.RequireCode(t, err, "AWSOrganizationsNotInUseException", "")
	// SCPs have no effective policy: the type is not in the enum.
	_, err = effDescribe(t, c, types.EffectivePolicyType("SERVICE_CONTROL_POLICY"), polMember)
	apitest.RequireCode(t, err, "InvalidInputException", "")
}

func TestInvalidEffectivePolicies(t *testing.T) {
	s, c, root := polOrg(t)
	s.Join(polMgmt, polMember2)
	_, err := c.ListAccountsWithInvalidEffectivePolicy(t.Context(), &organizations.ListAccountsWithInvalidEffectivePolicyInput{PolicyType: effAI})
	apitest.RequireCode(t, err, "EffectivePolicyNotFoundException", "")
	polEnable(t, c, root, polAI)
	good := polCreate(t, c, polAI, "good", `{"services":{"default":{"opt_out_policy":{"@@assign":"optOut"}}}}`)
	bad := polCreate(t, c, polAI, "bad", `{"services":{"lex":{"opt_out_policy":{"@@assign":"maybe"}}}}`)
	polAttach(t, c, good, root)
	polAttach(t, c, bad, polMember)
	polAttach(t, c, bad, polMember2)

	var ids []string
	in := &organizations.ListAccountsWithInvalidEffectivePolicyInput{PolicyType: effAI, MaxResults: aws.Int32(1)}
	for range 10 {
		out, err := c.ListAccountsWithInvalidEffectivePolicy(t.Context(), in)
		if err != nil {
			t.Fatal(err)
		}
		if out.PolicyType != effAI || len(out.Accounts) > 1 {
			t.Fatalf("page = %+v", out)
		}
		for _, a := range out.Accounts {
			ids = append(ids, aws.ToString(a.Id))
		}
		if out.NextToken == nil {
			break
		}
		in.NextToken = out.NextToken
	}
	if !slices.Equal(ids, []string{polMember, polMember2}) {
		t.Errorf("accounts with invalid effective policies = %v", ids)
	}

	out, err := c.ListEffectivePolicyValidationErrors(t.Context(), &organizations.ListEffectivePolicyValidationErrorsInput{
		AccountId: aws.String(polMember), PolicyType: effAI})
	if err != nil {
		t.Fatal(err)
	}
	o, err := c.DescribeOrganization(t.Context(), &organizations.DescribeOrganizationInput{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.AccountId) != polMember || out.PolicyType != effAI || out.EvaluationTimestamp == nil ||
		aws.ToString(out.Path) != aws.ToString(o.Organization.Id)+"/"+root+"/"+polMember+"/" {
		t.Errorf("ListEffectivePolicyValidationErrors = %+v", out)
	}
	if len(out.EffectivePolicyValidationErrors) != 1 {
		t.Fatalf("errors = %+v, want one", out.EffectivePolicyValidationErrors)
	}
	e := out.EffectivePolicyValidationErrors[0]
	if aws.ToString(e.PathToError) != "services.lex.opt_out_policy" || aws.ToString(e.ErrorCode) == "" || aws.ToString(e.ErrorMessage) == "" ||
		!slices.Equal(e.ContributingPolicies, []string{bad}) {
		t.Errorf("validation error = %+v", e)
	}
	// A valid effective policy has no errors; an account outside the organization is unknown.
	out, err = c.ListEffectivePolicyValidationErrors(t.Context(), &organizations.ListEffectivePolicyValidationErrorsInput{
		AccountId: aws.String(polMgmt), PolicyType: effAI})
	if err != nil || len(out.EffectivePolicyValidationErrors) != 0 || out.NextToken != nil {
		t.Errorf("errors of a valid effective policy = %+v, %v", out, err)
	}
	_, err = c.ListEffectivePolicyValidationErrors(t.Context(), &organizations.ListEffectivePolicyValidationErrorsInput{
		AccountId: aws.String(polOutsider), PolicyType: effAI})
	apitest.RequireCode(t, err, "AccountNotFoundException", "")
	_, err = c.ListEffectivePolicyValidationErrors(t.Context(), &organizations.ListEffectivePolicyValidationErrorsInput{
		AccountId: aws.String(polMember), PolicyType: effTag})
	apitest.RequireCode(t, err, "EffectivePolicyNotFoundException", "")
	_, err = s.Client(polMember).ListAccountsWithInvalidEffectivePolicy(t.Context(), &organizations.ListAccountsWithInvalidEffectivePolicyInput{PolicyType: effAI})
	apitest.RequireCode(t, err, "AccessDeniedException", "")

	// Fixing the value clears the list.
	if _, err := c.UpdatePolicy(t.Context(), &organizations.UpdatePolicyInput{PolicyId: aws.String(bad),
		Content: aws.String(`{"services":{"lex":{"opt_out_policy":{"@@assign":"optIn"}}}}`)}); err != nil {
		t.Fatal(err)
	}
	list, err := c.ListAccountsWithInvalidEffectivePolicy(t.Context(), &organizations.ListAccountsWithInvalidEffectivePolicyInput{PolicyType: effAI})
	if err != nil || len(list.Accounts) != 0 || list.NextToken != nil {
		t.Errorf("after the fix: %+v, %v", list, err)
	}
}

func TestTagKeyMismatchIsAnInvalidEffectivePolicy(t *testing.T) {
	_, c, root := polOrg(t)
	polEnable(t, c, root, polTag)
	polAttach(t, c, polCreate(t, c, polTag, "T", `{"tags":{"team":{"tag_key":{"@@assign":"Owner"}}}}`), polMember)
	out, err := c.ListEffectivePolicyValidationErrors(t.Context(), &organizations.ListEffectivePolicyValidationErrorsInput{
		AccountId: aws.String(polMember), PolicyType: effTag})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.EffectivePolicyValidationErrors) != 1 || aws.ToString(out.EffectivePolicyValidationErrors[0].PathToError) != "tags.team.tag_key" {
		t.Errorf("errors = %+v", out.EffectivePolicyValidationErrors)
	}
}
