package org_test

import (
	"fmt"
	"regexp"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/orgd/orgd/internal/apitest"
)

// The resource-based delegation policy (spec §8.4) through the SDK.

var rpIDPattern = regexp.MustCompile(`^rp-[0-9a-z]{8}$`)

// rpPolicy is a delegation policy with one statement.
func rpPolicy(effect, principal, action, resource, condition string) string {
	c := ""
	if condition != "" {
		c = `, "Condition": ` + condition
	}
	return fmt.Sprintf(`{"Version": "2012-10-17", "Statement": [{"Sid": "s", "Effect": %q, "Principal": {"AWS": %q}, "Action": %s, "Resource": %q%s}]}`,
		effect, principal, action, resource, c)
}

func rpPut(s *apitest.Server, caller, content string, tags ...types.Tag) (*types.ResourcePolicy, error) {
	out, err := s.Client(caller).PutResourcePolicy(dlCtx, &organizations.PutResourcePolicyInput{Content: aws.String(content), Tags: tags})
	if err != nil {
		return nil, err
	}
	return out.ResourcePolicy, nil
}

func rpMustPut(t *testing.T, s *apitest.Server, content string) *types.ResourcePolicy {
	t.Helper()
	p, err := rpPut(s, dlMgmt, content)
	if err != nil {
		t.Fatalf("PutResourcePolicy: %v", err)
	}
	return p
}

func TestPutResourcePolicyCreatesThenReplaces(t *testing.T) {
	s := dlOrg(t, dlAlice)
	o, err := s.Client(dlMgmt).DescribeOrganization(dlCtx, &organizations.DescribeOrganizationInput{})
	if err != nil {
		t.Fatal(err)
	}
	content := rpPolicy("Allow", dlAlice, `["organizations:Describe*", "organizations:List*"]`, "*", "")
	p, err := rpPut(s, dlMgmt, content, types.Tag{Key: aws.String("team"), Value: aws.String("platform")})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(p.ResourcePolicySummary.Id)
	if !rpIDPattern.MatchString(id) {
		t.Errorf("Id %q does not look like rp-xxxxxxxx", id)
	}
	wantARN := "arn:aws:organizations::" + dlMgmt + ":resourcepolicy/" + aws.ToString(o.Organization.Id) + "/" + id
	if got := aws.ToString(p.ResourcePolicySummary.Arn); got != wantARN {
		t.Errorf("Arn %s, want %s", got, wantARN)
	}
	if aws.ToString(p.Content) != content {
		t.Errorf("Content %q, want it byte for byte %q", aws.ToString(p.Content), content)
	}
	// Replacing keeps the policy's id; tags are for its creation only.
	replaced := "  " + rpPolicy("Allow", "arn:aws:iam::"+dlAlice+":root", `"organizations:ListRoots"`, "*", "") + "\n"
	p2 := rpMustPut(t, s, replaced)
	if aws.ToString(p2.ResourcePolicySummary.Id) != id || aws.ToString(p2.Content) != replaced {
		t.Errorf("replaced policy %+v, want id %s and the new content", p2.ResourcePolicySummary, id)
	}
	_, err = rpPut(s, dlMgmt, replaced, types.Tag{Key: aws.String("k"), Value: aws.String("v")})
	apitest.RequireCode(t, err, "InvalidInputException", "UPDATE_EXISTING_RESOURCE_POLICY_WITH_TAGS_NOT_SUPPORTED")
	d, err := s.Client(dlMgmt).DescribeResourcePolicy(dlCtx, &organizations.DescribeResourcePolicyInput{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(d.ResourcePolicy.Content) != replaced || aws.ToString(d.ResourcePolicy.ResourcePolicySummary.Arn) != wantARN {
		t.Errorf("DescribeResourcePolicy = %+v", d.ResourcePolicy)
	}
}

func TestPutResourcePolicyCallerAndTags(t *testing.T) {
	s := dlOrg(t, dlAlice)
	content := rpPolicy("Allow", dlAlice, `"organizations:ListRoots"`, "*", "")
	_, err := rpPut(s, dlAlice, content)
	apitest.RequireCode(t, err, "AccessDeniedException", "")
	_, err = rpPut(s, dlCarol, content)
	apitest.RequireCode(t, err, "AWSOrganizationsNotInUseException", "")
	_, err = rpPut(s, dlMgmt, content, types.Tag{Key: aws.String("aws:x"), Value: aws.String("v")})
	apitest.RequireCode(t, err, "InvalidInputException", "INVALID_SYSTEM_TAGS_PARAMETER")
	// A rejected first put created nothing.
	_, err = s.Client(dlMgmt).DescribeResourcePolicy(dlCtx, &organizations.DescribeResourcePolicyInput{})
	apitest.RequireCode(t, err, "ResourcePolicyNotFoundException", "")
}

func TestPutResourcePolicyValidation(t *testing.T) {
	s := dlOrg(t, dlAlice)
	list := `"organizations:ListAccounts"`
	cases := []struct {
		name, content, reason string
	}{
		{"not JSON", `{"Statement": [`, "INVALID_RESOURCE_POLICY_JSON"},
		{"no statement", `{"Version": "2012-10-17"}`, "INVALID_RESOURCE_POLICY_JSON"},
		{"bad effect", rpPolicy("Maybe", dlAlice, list, "*", ""), "INVALID_RESOURCE_POLICY_JSON"},
		{"bad version", `{"Version": "2020-01-01", "Statement": []}`, "INVALID_RESOURCE_POLICY_JSON"},
		{"wildcard principal", rpPolicy("Allow", "*", list, "*", ""), "INVALID_PRINCIPAL"},
		{"service principal", `{"Statement": {"Effect": "Allow", "Principal": {"Service": "sso.amazonaws.com"}, "Action": "organizations:ListAccounts", "Resource": "*"}}`, "INVALID_PRINCIPAL"},
		{"short account id", rpPolicy("Allow", "12345", list, "*", ""), "INVALID_PRINCIPAL"},
		{"principal of another partition", rpPolicy("Allow", "arn:aws-cn:iam::"+dlAlice+":root", list, "*", ""), "INVALID_PRINCIPAL"},
		{"not delegable", rpPolicy("Allow", dlAlice, `"organizations:CreateAccount"`, "*", ""), "UNSUPPORTED_ACTION_IN_RESOURCE_POLICY"},
		{"other service", rpPolicy("Allow", dlAlice, `"s3:GetObject"`, "*", ""), "UNSUPPORTED_ACTION_IN_RESOURCE_POLICY"},
		{"wildcard matching nothing delegable", rpPolicy("Allow", dlAlice, `"organizations:Leave*"`, "*", ""), "UNSUPPORTED_ACTION_IN_RESOURCE_POLICY"},
		{"NotAction", `{"Statement": {"Effect": "Allow", "Principal": {"AWS": "` + dlAlice + `"}, "NotAction": "organizations:ListAccounts", "Resource": "*"}}`, "UNSUPPORTED_ACTION_IN_RESOURCE_POLICY"},
		{"other resource", rpPolicy("Allow", dlAlice, list, "arn:aws:s3:::bucket", ""), "UNSUPPORTED_RESOURCE_IN_RESOURCE_POLICY"},
		{"unknown policy type", rpPolicy("Allow", dlAlice, `"organizations:CreatePolicy"`, "*", `{"StringEquals": {"organizations:PolicyType": "NO_SUCH_POLICY"}}`), "UNSUPPORTED_POLICY_TYPE_IN_RESOURCE_POLICY"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := rpPut(s, dlMgmt, c.content)
			apitest.RequireCode(t, err, "InvalidInputException", c.reason)
		})
	}
	// What the User Guide's examples use is accepted.
	for _, ok := range []string{
		rpPolicy("Allow", "arn:aws:iam::"+dlAlice+":root", `["organizations:Describe*", "organizations:List*"]`, "*", ""),
		rpPolicy("Allow", dlAlice, `["organizations:CreatePolicy", "organizations:UpdatePolicy", "organizations:DeletePolicy", "organizations:AttachPolicy", "organizations:DetachPolicy"]`,
			"arn:aws:organizations::"+dlMgmt+":policy/o-*/tag_policy/*", `{"StringLikeIfExists": {"organizations:PolicyType": ["TAG_POLICY", "BACKUP_*"]}}`),
		rpPolicy("Deny", "arn:aws:iam::"+dlAlice+":role/Admin", `"organizations:TagResource"`, "arn:aws:organizations::"+dlMgmt+":account/o-*/*", ""),
	} {
		if _, err := rpPut(s, dlMgmt, ok); err != nil {
			t.Errorf("PutResourcePolicy(%s): %v", ok, err)
		}
	}
}

func TestDescribeResourcePolicyCallers(t *testing.T) {
	s := dlOrg(t, dlAlice, dlBob, dlCarol)
	describe := func(caller string) error {
		_, err := s.Client(caller).DescribeResourcePolicy(dlCtx, &organizations.DescribeResourcePolicyInput{})
		return err
	}
	apitest.RequireCode(t, describe(dlMgmt), "ResourcePolicyNotFoundException", "")
	apitest.RequireCode(t, describe(dlAlice), "AccessDeniedException", "")
	apitest.RequireCode(t, describe("777777777777"), "AWSOrganizationsNotInUseException", "")
	rpMustPut(t, s, rpPolicy("Allow", dlBob, `"organizations:DescribeResourcePolicy"`, "*", ""))
	// A delegated administrator reads it; so does the member the policy grants it to.
	dlEnable(t, s, dlSSO)
	dlMustRegister(t, s, dlCarol, dlSSO)
	for _, caller := range []string{dlMgmt, dlBob, dlCarol} {
		if err := describe(caller); err != nil {
			t.Errorf("DescribeResourcePolicy as %s: %v", caller, err)
		}
	}
	apitest.RequireCode(t, describe(dlAlice), "AccessDeniedException", "")
}

func TestDeleteResourcePolicy(t *testing.T) {
	s := dlOrg(t, dlAlice)
	mgmt := s.Client(dlMgmt)
	_, err := mgmt.DeleteResourcePolicy(dlCtx, &organizations.DeleteResourcePolicyInput{})
	apitest.RequireCode(t, err, "ResourcePolicyNotFoundException", "")
	first := rpMustPut(t, s, rpPolicy("Allow", dlAlice, `"organizations:ListRoots"`, "*", ""))
	_, err = s.Client(dlAlice).DeleteResourcePolicy(dlCtx, &organizations.DeleteResourcePolicyInput{})
	apitest.RequireCode(t, err, "AccessDeniedException", "")
	if _, err := mgmt.DeleteResourcePolicy(dlCtx, &organizations.DeleteResourcePolicyInput{}); err != nil {
		t.Fatal(err)
	}
	_, err = mgmt.DescribeResourcePolicy(dlCtx, &organizations.DescribeResourcePolicyInput{})
	apitest.RequireCode(t, err, "ResourcePolicyNotFoundException", "")
	// A new policy is a new resource, and may have tags again.
	second, err := rpPut(s, dlMgmt, rpPolicy("Allow", dlAlice, `"organizations:ListRoots"`, "*", ""), types.Tag{Key: aws.String("k"), Value: aws.String("v")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(second.ResourcePolicySummary.Id) == aws.ToString(first.ResourcePolicySummary.Id) {
		t.Errorf("a policy created after a delete reuses the id %s", aws.ToString(first.ResourcePolicySummary.Id))
	}
}

// The evaluation, seen through the reads that consult it (ListDelegatedAdministrators and
// ListAWSServiceAccessForOrganization are delegable and name no resource).
func TestResourcePolicyGrantsDenyWinsConditions(t *testing.T) {
	s := dlOrg(t, dlAlice, dlBob)
	canList := func(caller string) error {
		_, err := s.Client(caller).ListDelegatedAdministrators(dlCtx, &organizations.ListDelegatedAdministratorsInput{})
		return err
	}
	canListAccess := func(caller string) error {
		_, err := s.Client(caller).ListAWSServiceAccessForOrganization(dlCtx, &organizations.ListAWSServiceAccessForOrganizationInput{})
		return err
	}
	rpMustPut(t, s, rpPolicy("Allow", "arn:aws:iam::"+dlAlice+":root", `"organizations:List*"`, "*", ""))
	if err := canList(dlAlice); err != nil {
		t.Errorf("granted List* on *: %v", err)
	}
	apitest.RequireCode(t, canList(dlBob), "AccessDeniedException", "")

	// An explicit Deny wins over the Allow.
	rpMustPut(t, s, `{"Version": "2012-10-17", "Statement": [
		{"Effect": "Allow", "Principal": {"AWS": ["`+dlAlice+`", "`+dlBob+`"]}, "Action": "organizations:List*", "Resource": "*"},
		{"Effect": "Deny", "Principal": {"AWS": "`+dlBob+`"}, "Action": "organizations:ListDelegated*", "Resource": "*"}]}`)
	if err := canList(dlAlice); err != nil {
		t.Errorf("Alice, allowed: %v", err)
	}
	apitest.RequireCode(t, canList(dlBob), "AccessDeniedException", "")
	if err := canListAccess(dlBob); err != nil {
		t.Errorf("Bob, allowed ListAWSServiceAccessForOrganization and not denied it: %v", err)
	}

	// A resource pattern other than * does not cover an action without a resource.
	rpMustPut(t, s, rpPolicy("Allow", dlAlice, `"organizations:List*"`, "arn:aws:organizations::"+dlMgmt+":*", ""))
	apitest.RequireCode(t, canList(dlAlice), "AccessDeniedException", "")

	// organizations:PolicyType: absent from these requests, so StringEquals does not hold and
	// StringEqualsIfExists does.
	rpMustPut(t, s, rpPolicy("Allow", dlAlice, `"organizations:List*"`, "*", `{"StringEquals": {"organizations:PolicyType": "TAG_POLICY"}}`))
	apitest.RequireCode(t, canList(dlAlice), "AccessDeniedException", "")
	rpMustPut(t, s, rpPolicy("Allow", dlAlice, `"organizations:List*"`, "*", `{"StringEqualsIfExists": {"organizations:PolicyType": "TAG_POLICY"}}`))
	if err := canList(dlAlice); err != nil {
		t.Errorf("StringEqualsIfExists without a policy type: %v", err)
	}
	// Other condition keys are not understood and do not hold.
	rpMustPut(t, s, rpPolicy("Allow", dlAlice, `"organizations:List*"`, "*", `{"StringEquals": {"aws:PrincipalTag/team": "x"}}`))
	apitest.RequireCode(t, canList(dlAlice), "AccessDeniedException", "")
}

// Needs the lead's wiring: rp- ids are taggable, and PutResourcePolicy's tags show there.
func TestResourcePolicyTagsWired(t *testing.T) {
	s := dlOrg(t)
	p, err := rpPut(s, dlMgmt, rpPolicy("Allow", dlAlice, `"organizations:ListRoots"`, "*", ""), types.Tag{Key: aws.String("team"), Value: aws.String("platform")})
	if err != nil {
		t.Fatal(err)
	}
	out, err := s.Client(dlMgmt).ListTagsForResource(dlCtx, &organizations.ListTagsForResourceInput{ResourceId: p.ResourcePolicySummary.Id})
	if err != nil {
		t.Fatalf("ListTagsForResource(%s): %v", aws.ToString(p.ResourcePolicySummary.Id), err)
	}
	if len(out.Tags) != 1 || aws.ToString(out.Tags[0].Key) != "team" || aws.ToString(out.Tags[0].Value) != "platform" {
		t.Errorf("tags of the resource policy: %+v", out.Tags)
	}
}
