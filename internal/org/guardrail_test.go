package org_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"

	"github.com/orgd/orgd/internal/apitest"
	"github.com/orgd/orgd/internal/org"
	"github.com/orgd/orgd/internal/pgtest"
	"github.com/orgd/orgd/internal/server"
	"github.com/orgd/orgd/internal/sigv4"
)

// IAM enforcement on orgd's own API (guardrail.go). The texts are those of IAM's "Access
// denied error messages" page:
// https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html#access_denied_error_messages
// and the decisions follow the policy evaluation logic:
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html

const (
	denyLeave      = `{"Version":"2012-10-17","Statement":[{"Sid":"NoLeaving","Effect":"Deny","Action":"organizations:LeaveOrganization","Resource":"*"}]}`
	allowDescribes = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"organizations:Describe*","Resource":"*"}]}`
	allowAll       = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`
)

// requireDenied fails unless err is AccessDeniedException with exactly the message want.
func requireDenied(t *testing.T, err error, want string) {
	t.Helper()
	apitest.RequireCode(t, err, "AccessDeniedException", "")
	var apiErr smithy.APIError
	errors.As(err, &apiErr)
	if got := apiErr.ErrorMessage(); got != want {
		t.Fatalf("AccessDenied message\n got %q\nwant %q", got, want)
	}
}

// scpOrg is polOrg with SCPs enabled and polMember moved into an OU; it returns the OU.
func scpOrg(t *testing.T, cfg ...func(*server.Config)) (*apitest.Server, *organizations.Client, string, string) {
	t.Helper()
	s, c, root := polOrg(t, cfg...)
	polEnable(t, c, root, polSCP)
	ou, err := c.CreateOrganizationalUnit(t.Context(), &organizations.CreateOrganizationalUnitInput{ParentId: aws.String(root), Name: aws.String("Workloads")})
	if err != nil {
		t.Fatal(err)
	}
	ouID := aws.ToString(ou.OrganizationalUnit.Id)
	if _, err := c.MoveAccount(t.Context(), &organizations.MoveAccountInput{AccountId: aws.String(polMember),
		SourceParentId: aws.String(root), DestinationParentId: aws.String(ouID)}); err != nil {
		t.Fatal(err)
	}
	return s, c, root, ouID
}

func attach(t *testing.T, c *organizations.Client, policyID, target string) {
	t.Helper()
	if _, err := c.AttachPolicy(t.Context(), &organizations.AttachPolicyInput{PolicyId: aws.String(policyID), TargetId: aws.String(target)}); err != nil {
		t.Fatalf("AttachPolicy %s to %s: %v", policyID, target, err)
	}
}

func detach(t *testing.T, c *organizations.Client, policyID, target string) {
	t.Helper()
	if _, err := c.DetachPolicy(t.Context(), &organizations.DetachPolicyInput{PolicyId: aws.String(policyID), TargetId: aws.String(target)}); err != nil {
		t.Fatalf("DetachPolicy %s from %s: %v", policyID, target, err)
	}
}

// TestSCPDenyKeepsMemberInOrganization: the most common SCP there is. An explicit deny in an
// SCP on the member's OU answers AWS's sentence and the member stays; the management account
// is never restricted by SCPs, even by a deny at the root.
func TestSCPDenyKeepsMemberInOrganization(t *testing.T) {
	s, c, root, ou := scpOrg(t)
	deny := polCreate(t, c, polSCP, "NoLeaving", denyLeave)
	attach(t, c, deny, ou)
	_, err := s.Client(polMember).LeaveOrganization(t.Context(), &organizations.LeaveOrganizationInput{})
	requireDenied(t, err, "User: arn:aws:iam::"+polMember+":root is not authorized to perform: organizations:LeaveOrganization with an explicit deny in a service control policy")
	if _, err := s.Client(polMember).DescribeOrganization(t.Context(), &organizations.DescribeOrganizationInput{}); err != nil {
		t.Fatalf("the member is no longer in the organization: %v", err)
	}

	denyAll := polCreate(t, c, polSCP, "DenyOrganizations", `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"organizations:*","Resource":"*"}}`)
	attach(t, c, denyAll, root)
	if _, err := c.ListAccounts(t.Context(), &organizations.ListAccountsInput{}); err != nil {
		t.Fatalf("the management account is restricted by an SCP: %v", err)
	}
	_, err = s.Client(polMember).DescribeOrganization(t.Context(), &organizations.DescribeOrganizationInput{})
	requireDenied(t, err, "User: arn:aws:iam::"+polMember+":root is not authorized to perform: organizations:DescribeOrganization with an explicit deny in a service control policy")
}

// TestSCPMustAllowAtEveryLevel: with FullAWSAccess detached from the OU and an allow list in
// its place, an action the list leaves out is denied although the root and the account
// allow it.
func TestSCPMustAllowAtEveryLevel(t *testing.T) {
	s, c, _, ou := scpOrg(t)
	attach(t, c, polCreate(t, c, polSCP, "DescribeOnly", allowDescribes), ou)
	detach(t, c, "p-FullAWSAccess", ou)
	member := s.Client(polMember)
	if _, err := member.DescribeOrganization(t.Context(), &organizations.DescribeOrganizationInput{}); err != nil {
		t.Fatalf("DescribeOrganization, which every level allows: %v", err)
	}
	_, err := member.LeaveOrganization(t.Context(), &organizations.LeaveOrganizationInput{})
	requireDenied(t, err, "User: arn:aws:iam::"+polMember+":root is not authorized to perform: organizations:LeaveOrganization because no service control policy allows the organizations:LeaveOrganization action")
}

// TestSCPChangesApplyAtOnce: the cache of SCP levels never outlives a change: attach a deny
// and the next call is denied, detach it and the next is allowed; so does moving the account
// out of the OU, and disabling the SCP type (after which AWS applies none).
func TestSCPChangesApplyAtOnce(t *testing.T) {
	s, c, root, ou := scpOrg(t)
	member := s.Client(polMember)
	describe := func() error {
		_, err := member.DescribeOrganization(t.Context(), &organizations.DescribeOrganizationInput{})
		return err
	}
	if err := describe(); err != nil {
		t.Fatal(err)
	}
	deny := polCreate(t, c, polSCP, "NoDescribe", `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"organizations:DescribeOrganization","Resource":"*"}}`)
	attach(t, c, deny, ou)
	requireDenied(t, describe(), "User: arn:aws:iam::"+polMember+":root is not authorized to perform: organizations:DescribeOrganization with an explicit deny in a service control policy")
	detach(t, c, deny, ou)
	if err := describe(); err != nil {
		t.Fatalf("after the deny was detached: %v", err)
	}
	attach(t, c, deny, ou)
	if _, err := c.MoveAccount(t.Context(), &organizations.MoveAccountInput{AccountId: aws.String(polMember),
		SourceParentId: aws.String(ou), DestinationParentId: aws.String(root)}); err != nil {
		t.Fatal(err)
	}
	if err := describe(); err != nil {
		t.Fatalf("after the account left the denying OU: %v", err)
	}
	// An update of the policy's content applies at once too.
	attach(t, c, deny, polMember)
	if err := describe(); err == nil {
		t.Fatal("the deny attached to the account did not apply")
	}
	if _, err := c.UpdatePolicy(t.Context(), &organizations.UpdatePolicyInput{PolicyId: aws.String(deny), Content: aws.String(denyLeave)}); err != nil {
		t.Fatal(err)
	}
	if err := describe(); err != nil {
		t.Fatalf("after the policy's content changed: %v", err)
	}
	if _, err := c.DisablePolicyType(t.Context(), &organizations.DisablePolicyTypeInput{RootId: aws.String(root), PolicyType: polSCP}); err != nil {
		t.Fatal(err)
	}
	if _, err := member.LeaveOrganization(t.Context(), &organizations.LeaveOrganizationInput{}); err != nil {
		t.Fatalf("LeaveOrganization with SCPs disabled: %v", err)
	}
}

// restricted starts a verified server whose credentials file declares the management
// account's root key and users with policies, and an organization with polMember.
func restricted(t *testing.T, users ...sigv4.Key) *apitest.Server {
	t.Helper()
	keys := append([]sigv4.Key{{AccessKeyID: polMgmt, AccountID: polMgmt}, {AccessKeyID: polMember, AccountID: polMember}}, users...)
	s := apitest.Start(t, apitest.WithCredentials(t, keys...))
	s.CreateOrganization(polMgmt)
	s.Join(polMgmt, polMember)
	return s
}

func user(key, name string, tags map[string]string, boundary string, policies ...string) sigv4.Key {
	k := sigv4.Key{AccessKeyID: key, AccountID: polMgmt, UserName: name}
	for _, p := range policies {
		k.Policies = append(k.Policies, json.RawMessage(p))
	}
	if boundary != "" {
		k.PermissionsBoundary = json.RawMessage(boundary)
	}
	k.Tags = tags
	return k
}

// TestTaggedInvitationNeedsTagResource: the seed's rule. A user allowed to invite but not to
// tag cannot send a tagged invitation (nothing is sent) and can send an untagged one.
func TestTaggedInvitationNeedsTagResource(t *testing.T) {
	s := restricted(t, user("AKIAALICE", "alice", nil, "",
		`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":["organizations:InviteAccountToOrganization","organizations:ListHandshakesForOrganization"],"Resource":"*"}}`))
	alice := s.ClientWithKey("AKIAALICE")
	invite := func(tags ...types.Tag) error {
		_, err := alice.InviteAccountToOrganization(t.Context(), &organizations.InviteAccountToOrganizationInput{
			Target: &types.HandshakeParty{Type: types.HandshakePartyTypeAccount, Id: aws.String(polOutsider)}, Tags: tags})
		return err
	}
	err := invite(types.Tag{Key: aws.String("team"), Value: aws.String("platform")})
	requireDenied(t, err, "User: arn:aws:iam::"+polMgmt+":user/alice is not authorized to perform: organizations:TagResource because no identity-based policy allows the organizations:TagResource action")
	hs, err := alice.ListHandshakesForOrganization(t.Context(), &organizations.ListHandshakesForOrganizationInput{})
	if err != nil {
		t.Fatal(err)
	}
	// The invitation of polMember, accepted, is the only handshake.
	if len(hs.Handshakes) != 1 {
		t.Fatalf("a denied invitation was sent: %d handshakes", len(hs.Handshakes))
	}
	if err := invite(); err != nil {
		t.Fatalf("an untagged invitation: %v", err)
	}
}

// TestIdentityPolicyTexts: no allow, an explicit deny, and a boundary that does not allow,
// each with its sentence; the root user of the same account stays unrestricted.
func TestIdentityPolicyTexts(t *testing.T) {
	s := restricted(t,
		user("AKIAREADER", "reader", nil, "", allowDescribes,
			`{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"organizations:DescribeHandshake","Resource":"*"}}`),
		user("AKIABOUNDED", "bounded", nil, allowDescribes, allowAll))
	reader := s.ClientWithKey("AKIAREADER")
	if _, err := reader.DescribeOrganization(t.Context(), &organizations.DescribeOrganizationInput{}); err != nil {
		t.Fatal(err)
	}
	_, err := reader.ListAccounts(t.Context(), &organizations.ListAccountsInput{})
	requireDenied(t, err, "User: arn:aws:iam::"+polMgmt+":user/reader is not authorized to perform: organizations:ListAccounts because no identity-based policy allows the organizations:ListAccounts action")
	_, err = reader.DescribeHandshake(t.Context(), &organizations.DescribeHandshakeInput{HandshakeId: aws.String("h-0123456789")})
	requireDenied(t, err, "User: arn:aws:iam::"+polMgmt+":user/reader is not authorized to perform: organizations:DescribeHandshake with an explicit deny in an identity-based policy")
	_, err = reader.DescribeAccount(t.Context(), &organizations.DescribeAccountInput{AccountId: aws.String(polMember)})
	if err != nil {
		t.Fatalf("DescribeAccount, which Describe* allows: %v", err)
	}

	bounded := s.ClientWithKey("AKIABOUNDED")
	if _, err := bounded.DescribeOrganization(t.Context(), &organizations.DescribeOrganizationInput{}); err != nil {
		t.Fatal(err)
	}
	_, err = bounded.ListRoots(t.Context(), &organizations.ListRootsInput{})
	requireDenied(t, err, "User: arn:aws:iam::"+polMgmt+":user/bounded is not authorized to perform: organizations:ListRoots because no permissions boundary allows the organizations:ListRoots action")

	if _, err := s.Client(polMgmt).ListAccounts(t.Context(), &organizations.ListAccountsInput{}); err != nil {
		t.Fatalf("the root user: %v", err)
	}
}

// TestConditionKeysOfTheRequest: aws:RequestedRegion (the signature's region),
// aws:PrincipalTag (declared tags) and aws:ResourceTag (the account's tags) decide.
func TestConditionKeysOfTheRequest(t *testing.T) {
	s := restricted(t,
		user("AKIAREGION", "regional", nil, "", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"organizations:*","Resource":"*",
			"Condition":{"StringEquals":{"aws:RequestedRegion":"us-east-1"}}}}`),
		user("AKIAPLATFORM", "platform", map[string]string{"team": "platform"}, "", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"organizations:*","Resource":"*",
			"Condition":{"StringEquals":{"aws:PrincipalTag/team":"platform"}}}}`),
		user("AKIAOTHER", "other", map[string]string{"team": "data"}, "", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"organizations:*","Resource":"*",
			"Condition":{"StringEquals":{"aws:PrincipalTag/team":"platform"}}}}`),
		user("AKIAGUARDED", "guarded", nil, "", allowAll, `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"organizations:DescribeAccount","Resource":"*",
			"Condition":{"StringEquals":{"aws:ResourceTag/protected":"true"}}}}`))
	ctx := t.Context()
	if _, err := s.ClientIn("AKIAREGION", "us-east-1").ListRoots(ctx, &organizations.ListRootsInput{}); err != nil {
		t.Fatalf("in us-east-1: %v", err)
	}
	_, err := s.ClientIn("AKIAREGION", "eu-west-1").ListRoots(ctx, &organizations.ListRootsInput{})
	requireDenied(t, err, "User: arn:aws:iam::"+polMgmt+":user/regional is not authorized to perform: organizations:ListRoots because no identity-based policy allows the organizations:ListRoots action")

	if _, err := s.ClientWithKey("AKIAPLATFORM").ListRoots(ctx, &organizations.ListRootsInput{}); err != nil {
		t.Fatalf("tagged team=platform: %v", err)
	}
	_, err = s.ClientWithKey("AKIAOTHER").ListRoots(ctx, &organizations.ListRootsInput{})
	requireDenied(t, err, "User: arn:aws:iam::"+polMgmt+":user/other is not authorized to perform: organizations:ListRoots because no identity-based policy allows the organizations:ListRoots action")

	mgmt := s.Client(polMgmt)
	o, err := mgmt.DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mgmt.TagResource(ctx, &organizations.TagResourceInput{ResourceId: aws.String(polMember),
		Tags: []types.Tag{{Key: aws.String("protected"), Value: aws.String("true")}}}); err != nil {
		t.Fatal(err)
	}
	guarded := s.ClientWithKey("AKIAGUARDED")
	_, err = guarded.DescribeAccount(ctx, &organizations.DescribeAccountInput{AccountId: aws.String(polMember)})
	requireDenied(t, err, "User: arn:aws:iam::"+polMgmt+":user/guarded is not authorized to perform: organizations:DescribeAccount on resource: arn:aws:organizations::"+
		polMgmt+":account/"+aws.ToString(o.Organization.Id)+"/"+polMember+" with an explicit deny in an identity-based policy")
	if _, err := guarded.DescribeAccount(ctx, &organizations.DescribeAccountInput{AccountId: aws.String(polMgmt)}); err != nil {
		t.Fatalf("an untagged account: %v", err)
	}
}

// TestDeclaredRoleIsRestricted: a role declared through the admin API with a restricted
// policy, assumed through STS, acts with that policy alone; a bad document is refused with
// a message naming it.
func TestDeclaredRoleIsRestricted(t *testing.T) {
	s := restricted(t)
	s.Admin(http.MethodPost, "/_orgd/roles", map[string]any{"AccountId": polMgmt, "RoleName": "Auditor",
		"TrustedPrincipals": []string{polMgmt}, "Policies": []string{allowDescribes}}, nil)
	stsc := sts.New(sts.Options{BaseEndpoint: aws.String(s.URL), Region: "us-east-1", RetryMaxAttempts: 1, HTTPClient: apitest.HTTPClient(),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: polMgmt, SecretAccessKey: apitest.Secret}, nil
		})})
	out, err := stsc.AssumeRole(t.Context(), &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + polMgmt + ":role/Auditor"), RoleSessionName: aws.String("audit")})
	if err != nil {
		t.Fatal(err)
	}
	k := out.Credentials
	auditor := s.ClientWithSecret(aws.ToString(k.AccessKeyId), aws.ToString(k.SecretAccessKey), aws.ToString(k.SessionToken))
	if _, err := auditor.DescribeOrganization(t.Context(), &organizations.DescribeOrganizationInput{}); err != nil {
		t.Fatal(err)
	}
	_, err = auditor.ListAccounts(t.Context(), &organizations.ListAccountsInput{})
	requireDenied(t, err, "User: arn:aws:sts::"+polMgmt+":assumed-role/Auditor/audit is not authorized to perform: organizations:ListAccounts because no identity-based policy allows the organizations:ListAccounts action")

	raw := adminPost(t, s, "/_orgd/roles", map[string]any{"AccountId": polMgmt, "RoleName": "Broken",
		"TrustedPrincipals": []string{polMgmt}, "Policies": []string{allowDescribes, `{"Statement":{"Effect":"Perhaps","Action":"*","Resource":"*"}}`}})
	var e struct{ Message string }
	if err := json.Unmarshal(raw, &e); err != nil || !strings.HasPrefix(e.Message, "Policies[1] is not a valid policy: ") {
		t.Fatalf("a bad policy: %s", raw)
	}
}

// adminPost posts body to the admin API and returns the answer of a 400.
func adminPost(t *testing.T, s *apitest.Server, path string, body any) []byte {
	t.Helper()
	b, _ := json.Marshal(body)
	resp, err := apitest.HTTPClient().Post(s.URL+path, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("POST %s: %s %s, want 400", path, resp.Status, raw)
	}
	return raw
}

// TestSCPReplicasNeverStale: two servers on one PostgreSQL database (replicas): an SCP
// attached through one is enforced by the other on the next call, and so is its detachment,
// although each caches SCP levels (the version lives in the organization's row).
func TestSCPReplicasNeverStale(t *testing.T) {
	if os.Getenv(apitest.EnvStore) != "postgres" {
		t.Skipf("replicas share a PostgreSQL database: %s=postgres runs this", apitest.EnvStore)
	}
	url := pgtest.URL(t)
	onDB := func(c *server.Config) { c.DB = url }
	a, c, _, ou := scpOrg(t, onDB)
	b := apitest.Start(t, onDB)
	member := b.Client(polMember)
	describe := func() error {
		_, err := member.DescribeOrganization(t.Context(), &organizations.DescribeOrganizationInput{})
		return err
	}
	if err := describe(); err != nil { // fills replica b's cache
		t.Fatal(err)
	}
	deny := polCreate(t, c, polSCP, "NoDescribe", `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"organizations:DescribeOrganization","Resource":"*"}}`)
	attach(t, c, deny, ou)
	requireDenied(t, describe(), "User: arn:aws:iam::"+polMember+":root is not authorized to perform: organizations:DescribeOrganization with an explicit deny in a service control policy")
	detach(t, a.Client(polMgmt), deny, ou)
	if err := describe(); err != nil {
		t.Fatalf("replica b after the detachment through a: %v", err)
	}
}

// TestSCPContentValidatedAsIAM: CreatePolicy refuses an SCP the evaluator could not decide,
// an unknown condition operator, with MalformedPolicyDocumentException
// (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_syntax.html).
func TestSCPContentValidatedAsIAM(t *testing.T) {
	_, c, _ := polOrg(t)
	_, err := polCreateErr(c, t, polSCP, "Odd", `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"s3:*","Resource":"*",
		"Condition":{"StringEqualsPerhaps":{"aws:RequestedRegion":"eu-west-1"}}}}`)
	apitest.RequireCode(t, err, "MalformedPolicyDocumentException", "")
}

// BenchmarkMemberReadWithSCPs: DescribeOrganization by a member five levels deep (root,
// three OUs, the account), without SCPs and with five a level carrying conditions, through
// the SDK and the HTTP server (orgd-bench's MemberDescribeOrganization rows, in process).
func BenchmarkMemberReadWithSCPs(b *testing.B) {
	for _, enforced := range []bool{false, true} {
		name := "unenforced"
		if enforced {
			name = "SCPs"
		}
		b.Run(name, func(b *testing.B) {
			s := apitest.Start(b)
			s.CreateOrganization(polMgmt)
			s.Join(polMgmt, polMember)
			c := s.Client(polMgmt)
			ctx := b.Context()
			roots, err := c.ListRoots(ctx, &organizations.ListRootsInput{})
			if err != nil {
				b.Fatal(err)
			}
			levels := []string{aws.ToString(roots.Roots[0].Id)}
			for i := range 3 {
				ou, err := c.CreateOrganizationalUnit(ctx, &organizations.CreateOrganizationalUnitInput{ParentId: aws.String(levels[i]), Name: aws.String("level")})
				if err != nil {
					b.Fatal(err)
				}
				levels = append(levels, aws.ToString(ou.OrganizationalUnit.Id))
			}
			if _, err := c.MoveAccount(ctx, &organizations.MoveAccountInput{AccountId: aws.String(polMember),
				SourceParentId: aws.String(levels[0]), DestinationParentId: aws.String(levels[3])}); err != nil {
				b.Fatal(err)
			}
			if enforced {
				if _, err := c.EnablePolicyType(ctx, &organizations.EnablePolicyTypeInput{RootId: aws.String(levels[0]), PolicyType: polSCP}); err != nil {
					b.Fatal(err)
				}
				for l, target := range append(levels, polMember) {
					for i := range 4 {
						p, err := c.CreatePolicy(ctx, &organizations.CreatePolicyInput{Type: polSCP, Name: aws.String(fmt.Sprintf("g-%d-%d", l, i)),
							Description: aws.String("bench"), Content: aws.String(fmt.Sprintf(`{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*","Resource":"*",
								"Condition":{"StringEquals":{"aws:PrincipalTag/quarantine-%d":"true"},"StringNotEquals":{"aws:RequestedRegion":["us-east-1","eu-west-1"]}}}}`, i))})
						if err != nil {
							b.Fatal(err)
						}
						if _, err := c.AttachPolicy(ctx, &organizations.AttachPolicyInput{PolicyId: p.Policy.PolicySummary.Id, TargetId: aws.String(target)}); err != nil {
							b.Fatal(err)
						}
					}
				}
			}
			member := s.Client(polMember)
			b.ResetTimer()
			for b.Loop() {
				if _, err := member.DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// stsAs is an STS client signing as account's root user (its access key is the account id).
func stsAs(s *apitest.Server, key, secret, token string) *sts.Client {
	return sts.New(sts.Options{BaseEndpoint: aws.String(s.URL), Region: "us-east-1", RetryMaxAttempts: 1, HTTPClient: apitest.HTTPClient(),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: key, SecretAccessKey: secret, SessionToken: token}, nil
		})})
}

// requireSTSDenied fails unless err is STS's AccessDenied with exactly the message want.
func requireSTSDenied(t *testing.T, err error, want string) {
	t.Helper()
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "AccessDenied" || apiErr.ErrorMessage() != want {
		t.Fatalf("got %v\nwant AccessDenied %q", err, want)
	}
}

// TestAssumeRoleUnderSCPsAndRCPs: AssumeRole by a member's principal is subject to its SCPs;
// the role's account's RCPs apply to every caller, the management account's too (STS is a
// service RCPs support); GetCallerIdentity is never denied.
// https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html
func TestAssumeRoleUnderSCPsAndRCPs(t *testing.T) {
	s, c, root, ou := scpOrg(t)
	s.Admin(http.MethodPost, "/_orgd/roles", map[string]any{"AccountId": polMember, "RoleName": "Ops",
		"TrustedPrincipals": []string{polMember, polMgmt}}, nil)
	roleARN := "arn:aws:iam::" + polMember + ":role/Ops"
	assume := func(caller string) error {
		_, err := stsAs(s, caller, apitest.Secret, "").AssumeRole(t.Context(), &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("s1")})
		return err
	}
	if err := assume(polMember); err != nil {
		t.Fatal(err)
	}
	deny := polCreate(t, c, polSCP, "NoRoles", `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":["sts:AssumeRole","sts:GetCallerIdentity"],"Resource":"*"}}`)
	attach(t, c, deny, ou)
	requireSTSDenied(t, assume(polMember), "User: arn:aws:iam::"+polMember+":root is not authorized to perform: sts:AssumeRole on resource: "+roleARN+" with an explicit deny in a service control policy")
	if _, err := stsAs(s, polMember, apitest.Secret, "").GetCallerIdentity(t.Context(), &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatalf("GetCallerIdentity under a denying SCP: %v", err)
	}
	detach(t, c, deny, ou)

	polEnable(t, c, root, polRCP)
	if err := assume(polMgmt); err != nil {
		t.Fatal(err)
	}
	rcp := polCreate(t, c, polRCP, "NoAssume", `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Principal":"*","Action":"sts:AssumeRole","Resource":"*"}}`)
	attach(t, c, rcp, polMember)
	requireSTSDenied(t, assume(polMgmt), "User: arn:aws:iam::"+polMgmt+":root is not authorized to perform: sts:AssumeRole on resource: "+roleARN+" with an explicit deny in a resource control policy")
}

// TestSessionPolicyAndTags: AssumeRole's Policy restricts the session within the role's
// permissions; its session tags become aws:PrincipalTag, over the role's tag of the same
// key; PolicyArns, which orgd cannot resolve, are refused.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies.html#policies_session
func TestSessionPolicyAndTags(t *testing.T) {
	s := restricted(t)
	s.Admin(http.MethodPost, "/_orgd/roles", map[string]any{"AccountId": polMgmt, "RoleName": "Team",
		"TrustedPrincipals": []string{polMgmt}, "Tags": map[string]string{"team": "red"},
		"Policies": []string{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"organizations:*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/team":"blue"}}}}`}}, nil)
	s.Admin(http.MethodPost, "/_orgd/roles", map[string]any{"AccountId": polMgmt, "RoleName": "Admin", "TrustedPrincipals": []string{polMgmt}}, nil)
	root := stsAs(s, polMgmt, apitest.Secret, "")
	session := func(in *sts.AssumeRoleInput) *organizations.Client {
		t.Helper()
		out, err := root.AssumeRole(t.Context(), in)
		if err != nil {
			t.Fatal(err)
		}
		k := out.Credentials
		return s.ClientWithSecret(aws.ToString(k.AccessKeyId), aws.ToString(k.SecretAccessKey), aws.ToString(k.SessionToken))
	}
	team := aws.String("arn:aws:iam::" + polMgmt + ":role/Team")
	_, err := session(&sts.AssumeRoleInput{RoleArn: team, RoleSessionName: aws.String("red")}).ListRoots(t.Context(), &organizations.ListRootsInput{})
	requireDenied(t, err, "User: arn:aws:sts::"+polMgmt+":assumed-role/Team/red is not authorized to perform: organizations:ListRoots because no identity-based policy allows the organizations:ListRoots action")
	blue := session(&sts.AssumeRoleInput{RoleArn: team, RoleSessionName: aws.String("blue"), Tags: []ststypes.Tag{{Key: aws.String("Team"), Value: aws.String("blue")}}})
	if _, err := blue.ListRoots(t.Context(), &organizations.ListRootsInput{}); err != nil {
		t.Fatalf("a session tagged team=blue: %v", err)
	}

	narrow := session(&sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + polMgmt + ":role/Admin"), RoleSessionName: aws.String("narrow"), Policy: aws.String(allowDescribes)})
	if _, err := narrow.DescribeOrganization(t.Context(), &organizations.DescribeOrganizationInput{}); err != nil {
		t.Fatal(err)
	}
	_, err = narrow.ListAccounts(t.Context(), &organizations.ListAccountsInput{})
	requireDenied(t, err, "User: arn:aws:sts::"+polMgmt+":assumed-role/Admin/narrow is not authorized to perform: organizations:ListAccounts because no session policy allows the organizations:ListAccounts action")

	_, err = root.AssumeRole(t.Context(), &sts.AssumeRoleInput{RoleArn: team, RoleSessionName: aws.String("arns"),
		PolicyArns: []ststypes.PolicyDescriptorType{{Arn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")}}})
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "ValidationError" {
		t.Fatalf("PolicyArns: %v, want ValidationError", err)
	}
}

// TestBadDeclaredPolicyKeepsOrgdFromStarting: a credentials file declaring a policy that is
// not one stops the server at start, naming the user and the document.
func TestBadDeclaredPolicyKeepsOrgdFromStarting(t *testing.T) {
	path := filepath.Join(t.TempDir(), "credentials.json")
	raw := `{"Credentials": [{"AccessKeyId": "AKIABAD", "SecretAccessKey": "s", "AccountId": "` + polMgmt + `", "UserName": "bad",
		"Policies": [{"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}, {"Statement": {"Effect": "Sometimes", "Action": "*", "Resource": "*"}}]}]}`
	if err := os.WriteFile(path, []byte(raw), 0o600); err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(t.Context(), server.Config{DB: "memory", CredentialsFile: path})
	if err == nil {
		srv.Close()
		t.Fatal("orgd started with a bad policy")
	}
	if msg := err.Error(); !strings.Contains(msg, "user bad of "+polMgmt) || !strings.Contains(msg, "Policies[1] is not a valid policy") {
		t.Errorf("the error does not name the user and the document: %v", err)
	}
}

// TestPrincipalPolicies: the simulator's view of declared permissions: a credentials-file
// user's, a role's and its sessions' (the role's), none for a root user; a role that does not
// exist is an error.
func TestPrincipalPolicies(t *testing.T) {
	s := restricted(t, user("AKIAREADER", "reader", map[string]string{"team": "red"}, allowAll, allowDescribes))
	s.Admin(http.MethodPost, "/_orgd/roles", map[string]any{"AccountId": polMember, "RoleName": "Ops",
		"TrustedPrincipals": []string{polMgmt}, "Policies": []string{allowDescribes, allowAll}}, nil)
	svc := s.Server.Service
	ctx := t.Context()
	pp, err := svc.PrincipalPolicies(ctx, "arn:aws:iam::"+polMgmt+":user/reader")
	if err != nil || !pp.Declared || len(pp.Identity) != 1 || pp.Boundary == nil || pp.Tags["team"] != "red" {
		t.Errorf("user: %+v, %v", pp, err)
	}
	for _, arn := range []string{"arn:aws:iam::" + polMember + ":role/Ops", "arn:aws:iam::" + polMember + ":role/path/Ops",
		"arn:aws:sts::" + polMember + ":assumed-role/Ops/session"} {
		pp, err := svc.PrincipalPolicies(ctx, arn)
		if err != nil || !pp.Declared || len(pp.Identity) != 2 || pp.Boundary != nil {
			t.Errorf("%s: %+v, %v", arn, pp, err)
		}
	}
	if pp, err := svc.PrincipalPolicies(ctx, "arn:aws:iam::"+polMember+":root"); err != nil || pp.Declared {
		t.Errorf("root: %+v, %v", pp, err)
	}
	if _, err := svc.PrincipalPolicies(ctx, "arn:aws:iam::"+polMember+":role/Nobody"); !errors.Is(err, org.ErrNotFound) {
		t.Errorf("a role that does not exist: %v, want ErrNotFound", err)
	}
	if _, err := svc.PrincipalPolicies(ctx, "arn:aws:s3:::bucket"); err == nil {
		t.Error("an ARN of no principal: no error")
	}
}

// TestPolicyTypeOfAPolicy: a request on a policy carries its type as organizations:PolicyType
// (the Service Authorization Reference lists the key for DescribePolicy, UpdatePolicy, ...).
func TestPolicyTypeOfAPolicy(t *testing.T) {
	s := restricted(t, user("AKIATAGS", "tags", nil, "", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"organizations:*","Resource":"*",
		"Condition":{"StringEquals":{"organizations:PolicyType":"TAG_POLICY"}}}}`))
	c := s.Client(polMgmt)
	roots, err := c.ListRoots(t.Context(), &organizations.ListRootsInput{})
	if err != nil {
		t.Fatal(err)
	}
	polEnable(t, c, aws.ToString(roots.Roots[0].Id), polTag)
	tagPolicy := polCreate(t, c, polTag, "Tags", polTagDoc)
	scp := polCreate(t, c, polSCP, "Scp", denyLeave)
	tags := s.ClientWithKey("AKIATAGS")
	if _, err := tags.DescribePolicy(t.Context(), &organizations.DescribePolicyInput{PolicyId: aws.String(tagPolicy)}); err != nil {
		t.Fatalf("a tag policy: %v", err)
	}
	_, err = tags.DescribePolicy(t.Context(), &organizations.DescribePolicyInput{PolicyId: aws.String(scp)})
	apitest.RequireCode(t, err, "AccessDeniedException", "")
}
