package org_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/orgd/orgd/internal/apitest"
	"github.com/orgd/orgd/internal/org"
	"github.com/orgd/orgd/internal/server"
)

const (
	polMgmt     = "410000000001"
	polMember   = "410000000002"
	polMember2  = "410000000003"
	polOutsider = "410000000009"

	polSCP = types.PolicyTypeServiceControlPolicy
	polRCP = types.PolicyTypeResourceControlPolicy
	polTag = types.PolicyTypeTagPolicy
	polAI  = types.PolicyTypeAiservicesOptOutPolicy

	polDenyS3  = `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:*","Resource":"*"}]}`
	polTagDoc  = `{"tags":{"costcenter":{"tag_key":{"@@assign":"CostCenter"}}}}`
	polRCPDeny = `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*"}]}`
)

// polOrg starts a server with an all-features organization of polMgmt with polMember.
func polOrg(t *testing.T, cfg ...func(*server.Config)) (*apitest.Server, *organizations.Client, string) {
	t.Helper()
	s := apitest.Start(t, cfg...)
	s.CreateOrganization(polMgmt)
	s.Join(polMgmt, polMember)
	c := s.Client(polMgmt)
	roots, err := c.ListRoots(t.Context(), &organizations.ListRootsInput{})
	if err != nil || len(roots.Roots) != 1 {
		t.Fatalf("ListRoots: %v", err)
	}
	return s, c, aws.ToString(roots.Roots[0].Id)
}

func polEnable(t *testing.T, c *organizations.Client, root string, typ types.PolicyType) *types.Root {
	t.Helper()
	out, err := c.EnablePolicyType(t.Context(), &organizations.EnablePolicyTypeInput{RootId: aws.String(root), PolicyType: typ})
	if err != nil {
		t.Fatalf("EnablePolicyType %s: %v", typ, err)
	}
	return out.Root
}

func polCreateErr(c *organizations.Client, t *testing.T, typ types.PolicyType, name, content string) (*types.Policy, error) {
	out, err := c.CreatePolicy(t.Context(), &organizations.CreatePolicyInput{
		Type: typ, Name: aws.String(name), Description: aws.String("about " + name), Content: aws.String(content),
	})
	if err != nil {
		return nil, err
	}
	return out.Policy, nil
}

func polCreate(t *testing.T, c *organizations.Client, typ types.PolicyType, name, content string) string {
	t.Helper()
	p, err := polCreateErr(c, t, typ, name, content)
	if err != nil {
		t.Fatalf("CreatePolicy %s %s: %v", typ, name, err)
	}
	return aws.ToString(p.PolicySummary.Id)
}

func polAttach(t *testing.T, c *organizations.Client, policy, target string) {
	t.Helper()
	if _, err := c.AttachPolicy(t.Context(), &organizations.AttachPolicyInput{PolicyId: aws.String(policy), TargetId: aws.String(target)}); err != nil {
		t.Fatalf("AttachPolicy %s to %s: %v", policy, target, err)
	}
}

func polAttachErr(t *testing.T, c *organizations.Client, policy, target string) error {
	_, err := c.AttachPolicy(t.Context(), &organizations.AttachPolicyInput{PolicyId: aws.String(policy), TargetId: aws.String(target)})
	return err
}

func polDetachErr(t *testing.T, c *organizations.Client, policy, target string) error {
	_, err := c.DetachPolicy(t.Context(), &organizations.DetachPolicyInput{PolicyId: aws.String(policy), TargetId: aws.String(target)})
	return err
}

// polForTarget lists a target's policies of a type page by page, pageSize at a time.
func polForTarget(t *testing.T, c *organizations.Client, target string, typ types.PolicyType, pageSize int32) []string {
	t.Helper()
	var ids []string
	in := &organizations.ListPoliciesForTargetInput{TargetId: aws.String(target), Filter: typ, MaxResults: aws.Int32(pageSize)}
	for range 100 {
		out, err := c.ListPoliciesForTarget(t.Context(), in)
		if err != nil {
			t.Fatalf("ListPoliciesForTarget %s: %v", target, err)
		}
		if len(out.Policies) > int(pageSize) {
			t.Fatalf("ListPoliciesForTarget returned %d > MaxResults %d", len(out.Policies), pageSize)
		}
		for _, p := range out.Policies {
			ids = append(ids, aws.ToString(p.Id))
		}
		if out.NextToken == nil {
			return ids
		}
		in.NextToken = out.NextToken
	}
	t.Fatal("ListPoliciesForTarget never ends")
	return nil
}

// polTargets lists the targets of a policy as id:type, page by page.
func polTargets(t *testing.T, c *organizations.Client, policy string, pageSize int32) []string {
	t.Helper()
	var ids []string
	in := &organizations.ListTargetsForPolicyInput{PolicyId: aws.String(policy), MaxResults: aws.Int32(pageSize)}
	for range 100 {
		out, err := c.ListTargetsForPolicy(t.Context(), in)
		if err != nil {
			t.Fatalf("ListTargetsForPolicy %s: %v", policy, err)
		}
		if len(out.Targets) > int(pageSize) {
			t.Fatalf("ListTargetsForPolicy returned %d > MaxResults %d", len(out.Targets), pageSize)
		}
		for _, tg := range out.Targets {
			ids = append(ids, aws.ToString(tg.TargetId)+":"+string(tg.Type))
		}
		if out.NextToken == nil {
			return ids
		}
		in.NextToken = out.NextToken
	}
	t.Fatal("ListTargetsForPolicy never ends")
	return nil
}

// polListPolicies lists the policies of a type page by page.
func polListPolicies(t *testing.T, c *organizations.Client, typ types.PolicyType, pageSize int32) []string {
	t.Helper()
	var ids []string
	in := &organizations.ListPoliciesInput{Filter: typ, MaxResults: aws.Int32(pageSize)}
	for range 100 {
		out, err := c.ListPolicies(t.Context(), in)
		if err != nil {
			t.Fatalf("ListPolicies %s: %v", typ, err)
		}
		for _, p := range out.Policies {
			ids = append(ids, aws.ToString(p.Id))
		}
		if out.NextToken == nil {
			return ids
		}
		in.NextToken = out.NextToken
	}
	t.Fatal("ListPolicies never ends")
	return nil
}

func polOU(t *testing.T, c *organizations.Client, parent, name string) string {
	t.Helper()
	out, err := c.CreateOrganizationalUnit(t.Context(), &organizations.CreateOrganizationalUnitInput{ParentId: aws.String(parent), Name: aws.String(name)})
	if err != nil {
		t.Fatalf("CreateOrganizationalUnit %s: %v", name, err)
	}
	return aws.ToString(out.OrganizationalUnit.Id)
}

// polCreateAccount creates an account and returns its id once the request has settled.
func polCreateAccount(t *testing.T, c *organizations.Client, name string) string {
	t.Helper()
	out, err := c.CreateAccount(t.Context(), &organizations.CreateAccountInput{AccountName: aws.String(name), Email: aws.String(name + "@example.org")})
	if err != nil {
		t.Fatalf("CreateAccount %s: %v", name, err)
	}
	st, err := c.DescribeCreateAccountStatus(t.Context(), &organizations.DescribeCreateAccountStatusInput{CreateAccountRequestId: out.CreateAccountStatus.Id})
	if err != nil || st.CreateAccountStatus.State != types.CreateAccountStateSucceeded {
		t.Fatalf("DescribeCreateAccountStatus: %v %+v", err, st)
	}
	return aws.ToString(st.CreateAccountStatus.AccountId)
}

func polRequireTypes(t *testing.T, root *types.Root, want ...types.PolicyType) {
	t.Helper()
	var got []string
	for _, pt := range root.PolicyTypes {
		if pt.Status != types.PolicyTypeStatusEnabled {
			t.Errorf("policy type %s has status %s", pt.Type, pt.Status)
		}
		got = append(got, string(pt.Type))
	}
	var w []string
	for _, x := range want {
		w = append(w, string(x))
	}
	slices.Sort(w)
	if !slices.Equal(got, w) {
		t.Fatalf("root policy types = %v, want %v", got, w)
	}
}

func TestCreatePolicyDescribeUpdateDelete(t *testing.T) {
	s, c, _ := polOrg(t)
	out, err := c.CreatePolicy(t.Context(), &organizations.CreatePolicyInput{
		Type: polTag, Name: aws.String("Cost centers"), Description: aws.String(""), Content: aws.String(polTagDoc),
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("finops")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	p := out.Policy
	id := aws.ToString(p.PolicySummary.Id)
	if len(id) != 10 || !strings.HasPrefix(id, "p-") || strings.ToLower(id) != id {
		t.Errorf("policy id %q, want p- and 8 lowercase letters or digits", id)
	}
	org, err := c.DescribeOrganization(t.Context(), &organizations.DescribeOrganizationInput{})
	if err != nil {
		t.Fatal(err)
	}
	wantARN := "arn:aws:organizations::" + polMgmt + ":policy/" + aws.ToString(org.Organization.Id) + "/tag_policy/" + id
	sum := p.PolicySummary
	if aws.ToString(sum.Arn) != wantARN || aws.ToString(sum.Name) != "Cost centers" || aws.ToString(sum.Description) != "" ||
		sum.Type != polTag || sum.AwsManaged || aws.ToString(p.Content) != polTagDoc {
		t.Errorf("CreatePolicy = %+v %s", *sum, aws.ToString(p.Content))
	}
	desc, err := c.DescribePolicy(t.Context(), &organizations.DescribePolicyInput{PolicyId: aws.String(id)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(desc.Policy.PolicySummary.Arn) != wantARN || aws.ToString(desc.Policy.Content) != polTagDoc {
		t.Errorf("DescribePolicy = %+v", desc.Policy)
	}
	// Content is kept exactly as sent, whitespace included.
	spaced := "{\n  \"tags\": {}\n}"
	up, err := c.UpdatePolicy(t.Context(), &organizations.UpdatePolicyInput{PolicyId: aws.String(id), Name: aws.String("Renamed"),
		Description: aws.String("new"), Content: aws.String(spaced)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(up.Policy.PolicySummary.Name) != "Renamed" || aws.ToString(up.Policy.PolicySummary.Description) != "new" ||
		aws.ToString(up.Policy.Content) != spaced || up.Policy.PolicySummary.Type != polTag {
		t.Errorf("UpdatePolicy = %+v", up.Policy)
	}
	// An update without changes answers the policy.
	up, err = c.UpdatePolicy(t.Context(), &organizations.UpdatePolicyInput{PolicyId: aws.String(id)})
	if err != nil || aws.ToString(up.Policy.PolicySummary.Name) != "Renamed" {
		t.Fatalf("UpdatePolicy(nothing) = %+v, %v", up, err)
	}
	if _, err := c.DeletePolicy(t.Context(), &organizations.DeletePolicyInput{PolicyId: aws.String(id)}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DescribePolicy(t.Context(), &organizations.DescribePolicyInput{PolicyId: aws.String(id)})
	apitest.RequireCode(t, err, "PolicyNotFoundException", "")
	_, err = c.DeletePolicy(t.Context(), &organizations.DeletePolicyInput{PolicyId: aws.String(id)})
	apitest.RequireCode(t, err, "PolicyNotFoundException", "")
	_ = s
}

func TestPolicyOperationsNeedTheManagementAccount(t *testing.T) {
	s, c, root := polOrg(t)
	id := polCreate(t, c, polTag, "T", polTagDoc)
	calls := map[string]func(c *organizations.Client) error{
		"CreatePolicy": func(c *organizations.Client) error { _, err := polCreateErr(c, t, polTag, "X", polTagDoc); return err },
		"DescribePolicy": func(c *organizations.Client) error {
			_, err := c.DescribePolicy(t.Context(), &organizations.DescribePolicyInput{PolicyId: aws.String(id)})
			return err
		},
		"UpdatePolicy": func(c *organizations.Client) error {
			_, err := c.UpdatePolicy(t.Context(), &organizations.UpdatePolicyInput{PolicyId: aws.String(id), Name: aws.String("Y")})
			return err
		},
		"DeletePolicy": func(c *organizations.Client) error {
			_, err := c.DeletePolicy(t.Context(), &organizations.DeletePolicyInput{PolicyId: aws.String(id)})
			return err
		},
		"ListPolicies": func(c *organizations.Client) error {
			_, err := c.ListPolicies(t.Context(), &organizations.ListPoliciesInput{Filter: polTag})
			return err
		},
		"ListPoliciesForTarget": func(c *organizations.Client) error {
			_, err := c.ListPoliciesForTarget(t.Context(), &organizations.ListPoliciesForTargetInput{TargetId: aws.String(root), Filter: polTag})
			return err
		},
		"ListTargetsForPolicy": func(c *organizations.Client) error {
			_, err := c.ListTargetsForPolicy(t.Context(), &organizations.ListTargetsForPolicyInput{PolicyId: aws.String(id)})
			return err
		},
		"AttachPolicy": func(c *organizations.Client) error { return polAttachErr(t, c, id, root) },
		"DetachPolicy": func(c *organizations.Client) error { return polDetachErr(t, c, id, root) },
		"EnablePolicyType": func(c *organizations.Client) error {
			_, err := c.EnablePolicyType(t.Context(), &organizations.EnablePolicyTypeInput{RootId: aws.String(root), PolicyType: polTag})
			return err
		},
		"DisablePolicyType": func(c *organizations.Client) error {
			_, err := c.DisablePolicyType(t.Context(), &organizations.DisablePolicyTypeInput{RootId: aws.String(root), PolicyType: polTag})
			return err
		},
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			apitest.RequireCode(t, call(s.Client(polMember)), "AccessDeniedException", "")
			apitest.RequireCode(t, call(s.Client(polOutsider)), "AWSOrganizationsNotInUseException", "")
		})
	}
}

func TestCreatePolicyRules(t *testing.T) {
	s, c, _ := polOrg(t, apitest.WithQuotas(func(q *org.Quotas) { q.MaxManagementPolicies = 2; q.MaxServiceControlPolicies = 1 }))
	t.Run("malformed", func(t *testing.T) {
		_, err := polCreateErr(c, t, polSCP, "Bad", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*"}]}`)
		apitest.RequireCode(t, err, "MalformedPolicyDocumentException", "")
		_, err = polCreateErr(c, t, polTag, "Bad", `not json`)
		apitest.RequireCode(t, err, "MalformedPolicyDocumentException", "")
		_, err = polCreateErr(c, t, polRCP, "Bad", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}]}`)
		apitest.RequireCode(t, err, "MalformedPolicyDocumentException", "")
	})
	t.Run("size limit per type", func(t *testing.T) {
		// AI opt-out policies hold at most 2,500 characters, whitespace included.
		pad := strings.Repeat(" ", 2500-len(`{"services":{}}`))
		if _, err := polCreateErr(c, t, polAI, "Fits", `{"services":{}}`+pad); err != nil {
			t.Fatalf("a policy of exactly 2,500 characters: %v", err)
		}
		_, err := polCreateErr(c, t, polAI, "Too big", `{"services":{}}`+pad+" ")
		apitest.RequireCode(t, err, "ConstraintViolationException", "POLICY_CONTENT_LIMIT_EXCEEDED")
		_, err = polCreateErr(c, t, polRCP, "Too big", polRCPDeny+strings.Repeat(" ", 5121-len(polRCPDeny)))
		apitest.RequireCode(t, err, "ConstraintViolationException", "POLICY_CONTENT_LIMIT_EXCEEDED")
	})
	t.Run("duplicate name", func(t *testing.T) {
		polCreate(t, c, polTag, "Shared", polTagDoc)
		_, err := polCreateErr(c, t, polTag, "Shared", polTagDoc)
		apitest.RequireCode(t, err, "DuplicatePolicyException", "")
		// The same name is free in another type.
		polCreate(t, c, polSCP, "Shared", polDenyS3)
	})
	t.Run("policies per type", func(t *testing.T) {
		// The SCP quota of 1 is used by Shared; the AWS-managed policy does not count.
		_, err := polCreateErr(c, t, polSCP, "Second", polDenyS3)
		apitest.RequireCode(t, err, "ConstraintViolationException", "POLICY_NUMBER_LIMIT_EXCEEDED")
		// Tag: Shared and one more make 2.
		polCreate(t, c, polTag, "Second", polTagDoc)
		_, err = polCreateErr(c, t, polTag, "Third", polTagDoc)
		apitest.RequireCode(t, err, "ConstraintViolationException", "POLICY_NUMBER_LIMIT_EXCEEDED")
	})
	t.Run("consolidated billing", func(t *testing.T) {
		cb := "410000000050"
		if _, err := s.Client(cb).CreateOrganization(t.Context(), &organizations.CreateOrganizationInput{FeatureSet: types.OrganizationFeatureSetConsolidatedBilling}); err != nil {
			t.Fatal(err)
		}
		_, err := polCreateErr(s.Client(cb), t, polTag, "T", polTagDoc)
		apitest.RequireCode(t, err, "PolicyTypeNotAvailableForOrganizationException", "")
		// A consolidated-billing organization has no AWS-managed policy either.
		_, err = s.Client(cb).DescribePolicy(t.Context(), &organizations.DescribePolicyInput{PolicyId: aws.String("p-FullAWSAccess")})
		apitest.RequireCode(t, err, "PolicyNotFoundException", "")
	})
}

// The RCP quota is its own: the organization's RCPs count against it (the AWS-managed
// RCPFullAWSAccess does not), and neither SCPs nor management policies do.
func TestResourceControlPolicyQuota(t *testing.T) {
	_, c, root := polOrg(t, apitest.WithQuotas(func(q *org.Quotas) { q.MaxResourceControlPolicies = 1 }))
	polEnable(t, c, root, polRCP)
	polCreate(t, c, polRCP, "First", polRCPDeny)
	_, err := polCreateErr(c, t, polRCP, "Second", polRCPDeny)
	apitest.RequireCode(t, err, "ConstraintViolationException", "POLICY_NUMBER_LIMIT_EXCEEDED")
	if got := polListPolicies(t, c, polRCP, 20); len(got) != 2 || got[0] != "p-RCPFullAWSAccess" {
		t.Errorf("RCPs = %v, want RCPFullAWSAccess and First", got)
	}
	polCreate(t, c, polSCP, "An SCP", polDenyS3)
	polCreate(t, c, polTag, "A tag policy", polTagDoc)
}

// A policy's size is counted in characters, as AWS documents it, not in bytes: a document of
// multi-byte characters whose bytes exceed the limit fits if its characters do not.
func TestPolicySizeCountsCharactersNotBytes(t *testing.T) {
	const limit = 200
	_, c, _ := polOrg(t, apitest.WithQuotas(func(q *org.Quotas) { q.MaxSCPSize = limit }))
	doc := func(chars int) string {
		const head, tail = `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/team":"`, `"}}}]}`
		return head + strings.Repeat("€", chars-len(head)-len(tail)) + tail
	}
	fits := doc(limit)
	if n := len(fits); n <= limit {
		t.Fatalf("the document has %d bytes; the test needs more than %d", n, limit)
	}
	id := polCreate(t, c, polSCP, "Euros", fits)
	_, err := polCreateErr(c, t, polSCP, "One more", doc(limit+1))
	apitest.RequireCode(t, err, "ConstraintViolationException", "POLICY_CONTENT_LIMIT_EXCEEDED")
	_, err = c.UpdatePolicy(t.Context(), &organizations.UpdatePolicyInput{PolicyId: aws.String(id), Content: aws.String(doc(limit + 1))})
	apitest.RequireCode(t, err, "ConstraintViolationException", "POLICY_CONTENT_LIMIT_EXCEEDED")
	d, err := c.DescribePolicy(t.Context(), &organizations.DescribePolicyInput{PolicyId: aws.String(id)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(d.Policy.Content) != fits {
		t.Errorf("the refused update changed the content to %q", aws.ToString(d.Policy.Content))
	}
	if got := polListPolicies(t, c, polSCP, 20); len(got) != 2 {
		t.Errorf("SCPs = %v, want FullAWSAccess and Euros", got)
	}
}

func TestUpdatePolicyRules(t *testing.T) {
	_, c, _ := polOrg(t)
	id := polCreate(t, c, polTag, "One", polTagDoc)
	polCreate(t, c, polTag, "Two", polTagDoc)
	_, err := c.UpdatePolicy(t.Context(), &organizations.UpdatePolicyInput{PolicyId: aws.String(id), Name: aws.String("Two")})
	apitest.RequireCode(t, err, "DuplicatePolicyException", "")
	_, err = c.UpdatePolicy(t.Context(), &organizations.UpdatePolicyInput{PolicyId: aws.String(id), Content: aws.String(`{"plans":{}}`)})
	apitest.RequireCode(t, err, "MalformedPolicyDocumentException", "")
	_, err = c.UpdatePolicy(t.Context(), &organizations.UpdatePolicyInput{PolicyId: aws.String(id), Content: aws.String(`{"tags":{}}` + strings.Repeat(" ", 10000))})
	apitest.RequireCode(t, err, "ConstraintViolationException", "POLICY_CONTENT_LIMIT_EXCEEDED")
	for _, managed := range []string{"p-FullAWSAccess", "p-RCPFullAWSAccess"} {
		_, err = c.UpdatePolicy(t.Context(), &organizations.UpdatePolicyInput{PolicyId: aws.String(managed), Name: aws.String("Mine")})
		apitest.RequireCode(t, err, "InvalidInputException", "IMMUTABLE_POLICY")
	}
	_, err = c.UpdatePolicy(t.Context(), &organizations.UpdatePolicyInput{PolicyId: aws.String("p-00000000"), Name: aws.String("X")})
	apitest.RequireCode(t, err, "PolicyNotFoundException", "")
	// The failed updates changed nothing.
	d, err := c.DescribePolicy(t.Context(), &organizations.DescribePolicyInput{PolicyId: aws.String(id)})
	if err != nil || aws.ToString(d.Policy.PolicySummary.Name) != "One" || aws.ToString(d.Policy.Content) != polTagDoc {
		t.Fatalf("DescribePolicy = %+v, %v", d, err)
	}
}

func TestDeletePolicyRules(t *testing.T) {
	_, c, root := polOrg(t)
	polEnable(t, c, root, polTag)
	id := polCreate(t, c, polTag, "T", polTagDoc)
	polAttach(t, c, id, polMember)
	_, err := c.DeletePolicy(t.Context(), &organizations.DeletePolicyInput{PolicyId: aws.String(id)})
	apitest.RequireCode(t, err, "PolicyInUseException", "")
	_, err = c.DeletePolicy(t.Context(), &organizations.DeletePolicyInput{PolicyId: aws.String("p-FullAWSAccess")})
	apitest.RequireCode(t, err, "InvalidInputException", "IMMUTABLE_POLICY")
	if err := polDetachErr(t, c, id, polMember); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeletePolicy(t.Context(), &organizations.DeletePolicyInput{PolicyId: aws.String(id)}); err != nil {
		t.Fatalf("DeletePolicy after detaching: %v", err)
	}
}

func TestDescribeAWSManagedPolicies(t *testing.T) {
	_, c, _ := polOrg(t)
	for id, want := range map[string]struct {
		typ                types.PolicyType
		arn, name, content string
	}{
		"p-FullAWSAccess": {polSCP, "arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess", "FullAWSAccess",
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`},
		"p-RCPFullAWSAccess": {polRCP, "arn:aws:organizations::aws:policy/resource_control_policy/p-RCPFullAWSAccess", "RCPFullAWSAccess",
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`},
	} {
		out, err := c.DescribePolicy(t.Context(), &organizations.DescribePolicyInput{PolicyId: aws.String(id)})
		if err != nil {
			t.Fatalf("DescribePolicy %s: %v", id, err)
		}
		sum := out.Policy.PolicySummary
		if aws.ToString(sum.Id) != id || sum.Type != want.typ || aws.ToString(sum.Arn) != want.arn || aws.ToString(sum.Name) != want.name ||
			!sum.AwsManaged || aws.ToString(out.Policy.Content) != want.content {
			t.Errorf("DescribePolicy %s = %+v %s", id, *sum, aws.ToString(out.Policy.Content))
		}
	}
}

func TestListPoliciesPagesAWSManagedFirst(t *testing.T) {
	_, c, _ := polOrg(t)
	var ids []string
	for i := range 3 {
		ids = append(ids, polCreate(t, c, polSCP, fmt.Sprint("scp", i), polDenyS3))
	}
	slices.Sort(ids)
	polCreate(t, c, polTag, "tag", polTagDoc)
	want := append([]string{"p-FullAWSAccess"}, ids...)
	for _, size := range []int32{1, 2, 3, 20} {
		if got := polListPolicies(t, c, polSCP, size); !slices.Equal(got, want) {
			t.Errorf("ListPolicies(SCP) by %d = %v, want %v", size, got, want)
		}
	}
	if got := polListPolicies(t, c, polBackup(), 20); len(got) != 0 {
		t.Errorf("ListPolicies(BACKUP) = %v, want none", got)
	}
	out, err := c.ListPolicies(t.Context(), &organizations.ListPoliciesInput{Filter: polSCP, MaxResults: aws.Int32(1)})
	if err != nil || out.NextToken == nil {
		t.Fatalf("ListPolicies: %v", err)
	}
	// A token of another list is refused.
	_, err = c.ListPolicies(t.Context(), &organizations.ListPoliciesInput{Filter: polTag, NextToken: out.NextToken})
	apitest.RequireCode(t, err, "InvalidInputException", "INVALID_NEXT_TOKEN")
}

func polBackup() types.PolicyType { return types.PolicyTypeBackupPolicy }

func TestEnableSCPAttachesFullAWSAccessEverywhere(t *testing.T) {
	_, c, root := polOrg(t)
	ou := polOU(t, c, root, "Prod")
	child := polOU(t, c, ou, "Web")
	created := polCreateAccount(t, c, "vended")
	r := polEnable(t, c, root, polSCP)
	if aws.ToString(r.Id) != root || aws.ToString(r.Name) != "Root" || !strings.HasSuffix(aws.ToString(r.Arn), "/"+root) {
		t.Errorf("EnablePolicyType root = %+v", r)
	}
	polRequireTypes(t, r, polSCP)
	want := []string{created + ":ACCOUNT", polMgmt + ":ACCOUNT", polMember + ":ACCOUNT", ou + ":ORGANIZATIONAL_UNIT", child + ":ORGANIZATIONAL_UNIT", root + ":ROOT"}
	slices.Sort(want)
	for _, size := range []int32{1, 2, 20} {
		if got := polTargets(t, c, "p-FullAWSAccess", size); !slices.Equal(got, want) {
			t.Errorf("targets of FullAWSAccess by %d = %v, want %v", size, got, want)
		}
	}
	for _, target := range []string{root, ou, child, polMgmt, polMember, created} {
		if got := polForTarget(t, c, target, polSCP, 20); !slices.Equal(got, []string{"p-FullAWSAccess"}) {
			t.Errorf("SCPs of %s = %v, want FullAWSAccess", target, got)
		}
	}
	// The target summaries carry names and ARNs.
	out, err := c.ListTargetsForPolicy(t.Context(), &organizations.ListTargetsForPolicyInput{PolicyId: aws.String("p-FullAWSAccess")})
	if err != nil {
		t.Fatal(err)
	}
	for _, tg := range out.Targets {
		if aws.ToString(tg.TargetId) == ou && (aws.ToString(tg.Name) != "Prod" || !strings.Contains(aws.ToString(tg.Arn), ":ou/")) {
			t.Errorf("OU target = %+v", tg)
		}
		if aws.ToString(tg.TargetId) == created && (aws.ToString(tg.Name) != "vended" || !strings.Contains(aws.ToString(tg.Arn), ":account/")) {
			t.Errorf("account target = %+v", tg)
		}
	}
	// RCPs likewise, with their own AWS-managed policy.
	r = polEnable(t, c, root, polRCP)
	polRequireTypes(t, r, polSCP, polRCP)
	if got := polTargets(t, c, "p-RCPFullAWSAccess", 20); !slices.Equal(got, want) {
		t.Errorf("targets of RCPFullAWSAccess = %v, want %v", got, want)
	}
	// Management policy types attach nothing.
	polEnable(t, c, root, polTag)
	if got := polForTarget(t, c, root, polTag, 20); len(got) != 0 {
		t.Errorf("tag policies of the root after enabling = %v, want none", got)
	}
}

func TestEnablePolicyTypeRules(t *testing.T) {
	s, c, root := polOrg(t)
	polEnable(t, c, root, polTag)
	_, err := c.EnablePolicyType(t.Context(), &organizations.EnablePolicyTypeInput{RootId: aws.String(root), PolicyType: polTag})
	apitest.RequireCode(t, err, "PolicyTypeAlreadyEnabledException", "")
	_, err = c.EnablePolicyType(t.Context(), &organizations.EnablePolicyTypeInput{RootId: aws.String("r-zzzz"), PolicyType: polSCP})
	apitest.RequireCode(t, err, "RootNotFoundException", "")
	_, err = c.DisablePolicyType(t.Context(), &organizations.DisablePolicyTypeInput{RootId: aws.String("r-zzzz"), PolicyType: polTag})
	apitest.RequireCode(t, err, "RootNotFoundException", "")
	_, err = c.DisablePolicyType(t.Context(), &organizations.DisablePolicyTypeInput{RootId: aws.String(root), PolicyType: polSCP})
	apitest.RequireCode(t, err, "PolicyTypeNotEnabledException", "")
	_, err = c.EnablePolicyType(t.Context(), &organizations.EnablePolicyTypeInput{RootId: aws.String(root), PolicyType: "NO_SUCH_POLICY"})
	apitest.RequireCode(t, err, "InvalidInputException", "")

	cb := "410000000050"
	if _, err := s.Client(cb).CreateOrganization(t.Context(), &organizations.CreateOrganizationInput{FeatureSet: types.OrganizationFeatureSetConsolidatedBilling}); err != nil {
		t.Fatal(err)
	}
	roots, err := s.Client(cb).ListRoots(t.Context(), &organizations.ListRootsInput{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Client(cb).EnablePolicyType(t.Context(), &organizations.EnablePolicyTypeInput{RootId: roots.Roots[0].Id, PolicyType: polSCP})
	apitest.RequireCode(t, err, "PolicyTypeNotAvailableForOrganizationException", "")
}

func TestDisablePolicyTypeDetachesEveryPolicyOfTheType(t *testing.T) {
	_, c, root := polOrg(t)
	ou := polOU(t, c, root, "Prod")
	polEnable(t, c, root, polSCP)
	polEnable(t, c, root, polTag)
	scp := polCreate(t, c, polSCP, "DenyS3", polDenyS3)
	tag := polCreate(t, c, polTag, "T", polTagDoc)
	polAttach(t, c, scp, ou)
	polAttach(t, c, scp, polMember)
	polAttach(t, c, tag, root)
	out, err := c.DisablePolicyType(t.Context(), &organizations.DisablePolicyTypeInput{RootId: aws.String(root), PolicyType: polSCP})
	if err != nil {
		t.Fatal(err)
	}
	polRequireTypes(t, out.Root, polTag)
	for _, p := range []string{scp, "p-FullAWSAccess"} {
		if got := polTargets(t, c, p, 20); len(got) != 0 {
			t.Errorf("targets of %s after disabling SCPs = %v", p, got)
		}
	}
	// Other types keep their attachments, and the policies themselves remain.
	if got := polTargets(t, c, tag, 20); !slices.Equal(got, []string{root + ":ROOT"}) {
		t.Errorf("targets of the tag policy = %v", got)
	}
	if _, err := c.DescribePolicy(t.Context(), &organizations.DescribePolicyInput{PolicyId: aws.String(scp)}); err != nil {
		t.Errorf("DescribePolicy after disabling: %v", err)
	}
	err = polAttachErr(t, c, scp, ou)
	apitest.RequireCode(t, err, "PolicyTypeNotEnabledException", "")
	// Enabling again restores only FullAWSAccess.
	polEnable(t, c, root, polSCP)
	if got := polForTarget(t, c, ou, polSCP, 20); !slices.Equal(got, []string{"p-FullAWSAccess"}) {
		t.Errorf("SCPs of the OU after re-enabling = %v", got)
	}
}

func TestAttachPolicyRules(t *testing.T) {
	s, c, root := polOrg(t)
	ai := polCreate(t, c, polAI, "AI0", `{"services":{"default":{"opt_out_policy":{"@@assign":"optOut"}}}}`)
	apitest.RequireCode(t, polAttachErr(t, c, ai, root), "PolicyTypeNotEnabledException", "")
	polEnable(t, c, root, polAI)
	apitest.RequireCode(t, polAttachErr(t, c, "p-00000000", root), "PolicyNotFoundException", "")
	for _, target := range []string{"r-zzzz", "ou-zzzz-zzzzzzzz", polOutsider} {
		apitest.RequireCode(t, polAttachErr(t, c, ai, target), "TargetNotFoundException", "")
	}
	polAttach(t, c, ai, polMember)
	apitest.RequireCode(t, polAttachErr(t, c, ai, polMember), "DuplicatePolicyAttachmentException", "")
	// AI opt-out policies: at most 5 attached directly to one target.
	want := []string{ai}
	for i := 1; i < 5; i++ {
		id := polCreate(t, c, polAI, fmt.Sprint("AI", i), `{"services":{}}`)
		polAttach(t, c, id, polMember)
		want = append(want, id)
	}
	sixth := polCreate(t, c, polAI, "AI5", `{"services":{}}`)
	apitest.RequireCode(t, polAttachErr(t, c, sixth, polMember), "ConstraintViolationException", "MAX_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED")
	// Direct attachments only: the root can still take it.
	polAttach(t, c, sixth, root)
	// ListPoliciesForTarget answers in attachment order, page by page.
	for _, size := range []int32{1, 2, 5} {
		if got := polForTarget(t, c, polMember, polAI, size); !slices.Equal(got, want) {
			t.Errorf("AI policies of the member by %d = %v, want %v", size, got, want)
		}
	}
	apitest.RequireCode(t, polAttachErr(t, s.Client(polMember), ai, root), "AccessDeniedException", "")
	_, err := c.ListPoliciesForTarget(t.Context(), &organizations.ListPoliciesForTargetInput{TargetId: aws.String(polOutsider), Filter: polAI})
	apitest.RequireCode(t, err, "TargetNotFoundException", "")
	_, err = c.ListTargetsForPolicy(t.Context(), &organizations.ListTargetsForPolicyInput{PolicyId: aws.String("p-00000000")})
	apitest.RequireCode(t, err, "PolicyNotFoundException", "")
}

func TestSCPAttachmentLimitIsAQuota(t *testing.T) {
	_, c, root := polOrg(t, apitest.WithQuotas(func(q *org.Quotas) { q.MaxSCPsPerTarget = 2 }))
	polEnable(t, c, root, polSCP)
	a := polCreate(t, c, polSCP, "A", polDenyS3)
	b := polCreate(t, c, polSCP, "B", polDenyS3)
	polAttach(t, c, a, root) // FullAWSAccess and A
	apitest.RequireCode(t, polAttachErr(t, c, b, root), "ConstraintViolationException", "MAX_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED")
}

func TestDetachPolicyRules(t *testing.T) {
	_, c, root := polOrg(t)
	polEnable(t, c, root, polSCP)
	// Every target keeps at least one SCP.
	apitest.RequireCode(t, polDetachErr(t, c, "p-FullAWSAccess", polMember), "ConstraintViolationException", "MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED")
	deny := polCreate(t, c, polSCP, "DenyS3", polDenyS3)
	apitest.RequireCode(t, polDetachErr(t, c, deny, polMember), "PolicyNotAttachedException", "")
	polAttach(t, c, deny, polMember)
	if err := polDetachErr(t, c, "p-FullAWSAccess", polMember); err != nil {
		t.Fatalf("detaching FullAWSAccess once another SCP is attached: %v", err)
	}
	if got := polForTarget(t, c, polMember, polSCP, 20); !slices.Equal(got, []string{deny}) {
		t.Errorf("SCPs of the member = %v", got)
	}
	apitest.RequireCode(t, polDetachErr(t, c, deny, polMember), "ConstraintViolationException", "MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED")
	apitest.RequireCode(t, polDetachErr(t, c, deny, polOutsider), "TargetNotFoundException", "")
	apitest.RequireCode(t, polDetachErr(t, c, "p-00000000", polMember), "PolicyNotFoundException", "")
	// RCPFullAWSAccess stays wherever RCPs are enabled.
	polEnable(t, c, root, polRCP)
	rcp := polCreate(t, c, polRCP, "DenyInsecure", polRCPDeny)
	polAttach(t, c, rcp, root)
	apitest.RequireCode(t, polDetachErr(t, c, "p-RCPFullAWSAccess", root), "InvalidInputException", "NON_DETACHABLE_POLICY")
	if err := polDetachErr(t, c, rcp, root); err != nil {
		t.Fatalf("detaching a customer RCP: %v", err)
	}
}

func TestListPoliciesForTargetChecksItsToken(t *testing.T) {
	_, c, root := polOrg(t)
	polEnable(t, c, root, polSCP)
	polAttach(t, c, polCreate(t, c, polSCP, "A", polDenyS3), root)
	out, err := c.ListPoliciesForTarget(t.Context(), &organizations.ListPoliciesForTargetInput{TargetId: aws.String(root), Filter: polSCP, MaxResults: aws.Int32(1)})
	if err != nil || out.NextToken == nil || len(out.Policies) != 1 {
		t.Fatalf("ListPoliciesForTarget = %+v, %v", out, err)
	}
	_, err = c.ListPoliciesForTarget(t.Context(), &organizations.ListPoliciesForTargetInput{TargetId: aws.String(polMember), Filter: polSCP, NextToken: out.NextToken})
	apitest.RequireCode(t, err, "InvalidInputException", "INVALID_NEXT_TOKEN")
	_, err = c.ListTargetsForPolicy(t.Context(), &organizations.ListTargetsForPolicyInput{PolicyId: aws.String("p-FullAWSAccess"), NextToken: out.NextToken})
	apitest.RequireCode(t, err, "InvalidInputException", "INVALID_NEXT_TOKEN")
}

// The tests below need the lead's hooks: attachDefaultPolicies when an OU is created or an
// account joins, detachAllPolicies when an account leaves or an OU is deleted.

func TestNewOUGetsFullAWSAccessAfterEnable(t *testing.T) {
	_, c, root := polOrg(t)
	polEnable(t, c, root, polSCP)
	polEnable(t, c, root, polRCP)
	ou := polOU(t, c, root, "Later")
	if got := polForTarget(t, c, ou, polSCP, 20); !slices.Equal(got, []string{"p-FullAWSAccess"}) {
		t.Errorf("SCPs of a new OU = %v, want FullAWSAccess", got)
	}
	if got := polForTarget(t, c, ou, polRCP, 20); !slices.Equal(got, []string{"p-RCPFullAWSAccess"}) {
		t.Errorf("RCPs of a new OU = %v, want RCPFullAWSAccess", got)
	}
}

func TestNewAccountsGetFullAWSAccessAfterEnable(t *testing.T) {
	s, c, root := polOrg(t)
	polEnable(t, c, root, polSCP)
	created := polCreateAccount(t, c, "vended")
	s.Join(polMgmt, polMember2)
	for _, id := range []string{created, polMember2} {
		if got := polForTarget(t, c, id, polSCP, 20); !slices.Equal(got, []string{"p-FullAWSAccess"}) {
			t.Errorf("SCPs of new account %s = %v, want FullAWSAccess", id, got)
		}
	}
}

func TestLeavingAccountLosesItsPoliciesAfterEnable(t *testing.T) {
	s, c, root := polOrg(t)
	polEnable(t, c, root, polSCP)
	deny := polCreate(t, c, polSCP, "DenyS3", polDenyS3)
	polAttach(t, c, deny, polMember)
	if _, err := c.RemoveAccountFromOrganization(t.Context(), &organizations.RemoveAccountFromOrganizationInput{AccountId: aws.String(polMember)}); err != nil {
		t.Fatal(err)
	}
	if got := polTargets(t, c, deny, 20); len(got) != 0 {
		t.Errorf("targets of an SCP whose only account left = %v", got)
	}
	if _, err := c.DeletePolicy(t.Context(), &organizations.DeletePolicyInput{PolicyId: aws.String(deny)}); err != nil {
		t.Errorf("DeletePolicy after its account left: %v", err)
	}
	// Back in the organization, the account starts again from FullAWSAccess.
	s.Join(polMgmt, polMember)
	if got := polForTarget(t, c, polMember, polSCP, 20); !slices.Equal(got, []string{"p-FullAWSAccess"}) {
		t.Errorf("SCPs of the returning account = %v", got)
	}
}

func TestDeletedOULosesItsPoliciesAfterEnable(t *testing.T) {
	_, c, root := polOrg(t)
	ou := polOU(t, c, root, "Gone")
	polEnable(t, c, root, polSCP)
	deny := polCreate(t, c, polSCP, "DenyS3", polDenyS3)
	polAttach(t, c, deny, ou)
	if _, err := c.DeleteOrganizationalUnit(t.Context(), &organizations.DeleteOrganizationalUnitInput{OrganizationalUnitId: aws.String(ou)}); err != nil {
		t.Fatal(err)
	}
	if got := polTargets(t, c, deny, 20); len(got) != 0 {
		t.Errorf("targets of an SCP whose OU was deleted = %v", got)
	}
	for _, tg := range polTargets(t, c, "p-FullAWSAccess", 20) {
		if strings.HasPrefix(tg, ou) {
			t.Errorf("FullAWSAccess still attached to the deleted OU")
		}
	}
}

func TestPoliciesAreTaggable(t *testing.T) {
	_, c, _ := polOrg(t)
	out, err := c.CreatePolicy(t.Context(), &organizations.CreatePolicyInput{
		Type: polSCP, Name: aws.String("tagged"), Description: aws.String(""), Content: aws.String(polDenyS3),
		Tags: []types.Tag{{Key: aws.String("owner"), Value: aws.String("sec")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	id := out.Policy.PolicySummary.Id
	if _, err := c.TagResource(t.Context(), &organizations.TagResourceInput{ResourceId: id,
		Tags: []types.Tag{{Key: aws.String("env"), Value: aws.String("prod")}}}); err != nil {
		t.Fatal(err)
	}
	tags, err := c.ListTagsForResource(t.Context(), &organizations.ListTagsForResourceInput{ResourceId: id})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tag := range tags.Tags {
		got = append(got, aws.ToString(tag.Key)+"="+aws.ToString(tag.Value))
	}
	if !slices.Equal(got, []string{"env=prod", "owner=sec"}) {
		t.Errorf("tags = %v", got)
	}
	// AWS-managed policies belong to AWS, not to the organization.
	_, err = c.TagResource(t.Context(), &organizations.TagResourceInput{ResourceId: aws.String("p-FullAWSAccess"),
		Tags: []types.Tag{{Key: aws.String("env"), Value: aws.String("prod")}}})
	apitest.RequireCode(t, err, "TargetNotFoundException", "")
	if _, err := c.DeletePolicy(t.Context(), &organizations.DeletePolicyInput{PolicyId: id}); err != nil {
		t.Fatal(err)
	}
	_, err = c.ListTagsForResource(t.Context(), &organizations.ListTagsForResourceInput{ResourceId: id})
	apitest.RequireCode(t, err, "TargetNotFoundException", "")
}
