package org_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/orgd/orgd/internal/apitest"
	"github.com/orgd/orgd/internal/org"
)

// Partitions (issue 10): an organization lives in the partition of the region its creator
// signed for, every ARN of it names that partition, and callers of another partition do not
// see it.

const (
	ptMgmt   = "111111111111"
	ptMember = "222222222222"
	ptOther  = "333333333333" // management account of a second organization (the transfer's source)
	ptGuest  = "444444444444" // an invited account
)

// ptRegions are a region of each partition the tests cover, with the partition.
var ptRegions = []struct{ region, partition string }{
	{"us-east-1", "aws"},
	{"cn-north-1", "aws-cn"},
	{"us-gov-west-1", "aws-us-gov"},
	{"us-isob-east-1", "aws-iso-b"},
}

// ptARN is what an ARN of the organization's resources must read: the partition, then the
// management account (or "aws" for AWS-managed policies), then the resource. With partition
// aws it is the form orgd answered before partitions, byte for byte.
func ptARN(partition, account, resource string) string {
	return "arn:" + partition + ":organizations::" + account + ":" + resource
}

// ptCheck fails the test unless every ARN is the one wanted.
func ptCheck(t *testing.T, what, got, want string) {
	t.Helper()
	if got != want {
		t.Errorf("%s: ARN %q, want %q", what, got, want)
	}
}

// TestARNsCarryThePartition walks the operations that answer ARNs, in one region of each
// partition, and checks every ARN they answer.
func TestARNsCarryThePartition(t *testing.T) {
	for _, rc := range ptRegions {
		t.Run(rc.partition, func(t *testing.T) {
			t.Parallel()
			s := apitest.Start(t, apitest.WithQuotas(func(q *org.Quotas) { q.MaxInboundTransfers = 1 }))
			ctx := t.Context()
			p := rc.partition
			mgmt := s.ClientIn(ptMgmt, rc.region)

			created, err := mgmt.CreateOrganization(ctx, &organizations.CreateOrganizationInput{})
			if err != nil {
				t.Fatal(err)
			}
			o := created.Organization
			orgID := aws.ToString(o.Id)
			ptCheck(t, "CreateOrganization Arn", aws.ToString(o.Arn), ptARN(p, ptMgmt, "organization/"+orgID))
			ptCheck(t, "CreateOrganization MasterAccountArn", aws.ToString(o.MasterAccountArn), ptARN(p, ptMgmt, "account/"+orgID+"/"+ptMgmt))
			described, err := mgmt.DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
			if err != nil {
				t.Fatal(err)
			}
			ptCheck(t, "DescribeOrganization Arn", aws.ToString(described.Organization.Arn), ptARN(p, ptMgmt, "organization/"+orgID))
			ptCheck(t, "DescribeOrganization MasterAccountArn", aws.ToString(described.Organization.MasterAccountArn), ptARN(p, ptMgmt, "account/"+orgID+"/"+ptMgmt))

			roots, err := mgmt.ListRoots(ctx, &organizations.ListRootsInput{})
			if err != nil {
				t.Fatal(err)
			}
			rootID := aws.ToString(roots.Roots[0].Id)
			ptCheck(t, "ListRoots", aws.ToString(roots.Roots[0].Arn), ptARN(p, ptMgmt, "root/"+orgID+"/"+rootID))
			enabled, err := mgmt.EnablePolicyType(ctx, &organizations.EnablePolicyTypeInput{RootId: aws.String(rootID), PolicyType: types.PolicyTypeServiceControlPolicy})
			if err != nil {
				t.Fatal(err)
			}
			ptCheck(t, "EnablePolicyType", aws.ToString(enabled.Root.Arn), ptARN(p, ptMgmt, "root/"+orgID+"/"+rootID))

			// An invitation, described by its recipient in the same partition, accepted.
			member := s.ClientIn(ptMember, rc.region)
			inv, err := mgmt.InviteAccountToOrganization(ctx, &organizations.InviteAccountToOrganizationInput{
				Target: &types.HandshakeParty{Type: types.HandshakePartyTypeAccount, Id: aws.String(ptMember)}})
			if err != nil {
				t.Fatal(err)
			}
			hID := aws.ToString(inv.Handshake.Id)
			wantH := ptARN(p, ptMgmt, "handshake/"+orgID+"/invite/"+hID)
			ptCheck(t, "InviteAccountToOrganization", aws.ToString(inv.Handshake.Arn), wantH)
			dh, err := member.DescribeHandshake(ctx, &organizations.DescribeHandshakeInput{HandshakeId: inv.Handshake.Id})
			if err != nil {
				t.Fatal(err)
			}
			ptCheck(t, "DescribeHandshake", aws.ToString(dh.Handshake.Arn), wantH)
			listed, err := member.ListHandshakesForAccount(ctx, &organizations.ListHandshakesForAccountInput{})
			if err != nil || len(listed.Handshakes) != 1 {
				t.Fatalf("ListHandshakesForAccount: %+v, %v; want the invitation", listed, err)
			}
			ptCheck(t, "ListHandshakesForAccount", aws.ToString(listed.Handshakes[0].Arn), wantH)
			if _, err := member.AcceptHandshake(ctx, &organizations.AcceptHandshakeInput{HandshakeId: inv.Handshake.Id}); err != nil {
				t.Fatal(err)
			}

			accounts, err := mgmt.ListAccounts(ctx, &organizations.ListAccountsInput{})
			if err != nil {
				t.Fatal(err)
			}
			if len(accounts.Accounts) != 2 {
				t.Fatalf("ListAccounts: %d accounts, want 2", len(accounts.Accounts))
			}
			for _, a := range accounts.Accounts {
				ptCheck(t, "ListAccounts", aws.ToString(a.Arn), ptARN(p, ptMgmt, "account/"+orgID+"/"+aws.ToString(a.Id)))
			}
			da, err := mgmt.DescribeAccount(ctx, &organizations.DescribeAccountInput{AccountId: aws.String(ptMember)})
			if err != nil {
				t.Fatal(err)
			}
			ptCheck(t, "DescribeAccount", aws.ToString(da.Account.Arn), ptARN(p, ptMgmt, "account/"+orgID+"/"+ptMember))

			ou, err := mgmt.CreateOrganizationalUnit(ctx, &organizations.CreateOrganizationalUnitInput{ParentId: aws.String(rootID), Name: aws.String("team")})
			if err != nil {
				t.Fatal(err)
			}
			ouID := aws.ToString(ou.OrganizationalUnit.Id)
			ptCheck(t, "CreateOrganizationalUnit", aws.ToString(ou.OrganizationalUnit.Arn), ptARN(p, ptMgmt, "ou/"+orgID+"/"+ouID))

			pol, err := mgmt.CreatePolicy(ctx, &organizations.CreatePolicyInput{Type: types.PolicyTypeServiceControlPolicy,
				Name: aws.String("deny-nothing"), Description: aws.String("d"),
				Content: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)})
			if err != nil {
				t.Fatal(err)
			}
			polID := aws.ToString(pol.Policy.PolicySummary.Id)
			wantPol := ptARN(p, ptMgmt, "policy/"+orgID+"/service_control_policy/"+polID)
			ptCheck(t, "CreatePolicy", aws.ToString(pol.Policy.PolicySummary.Arn), wantPol)
			policies, err := mgmt.ListPolicies(ctx, &organizations.ListPoliciesInput{Filter: types.PolicyTypeServiceControlPolicy})
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]string{
				"p-FullAWSAccess": ptARN(p, "aws", "policy/service_control_policy/p-FullAWSAccess"),
				polID:             wantPol,
			}
			if len(policies.Policies) != len(want) {
				t.Errorf("ListPolicies: %d policies, want %d", len(policies.Policies), len(want))
			}
			for _, sp := range policies.Policies {
				ptCheck(t, "ListPolicies "+aws.ToString(sp.Id), aws.ToString(sp.Arn), want[aws.ToString(sp.Id)])
			}
			targets, err := mgmt.ListTargetsForPolicy(ctx, &organizations.ListTargetsForPolicyInput{PolicyId: aws.String("p-FullAWSAccess")})
			if err != nil {
				t.Fatal(err)
			}
			wantTargets := map[string]string{
				rootID:   ptARN(p, ptMgmt, "root/"+orgID+"/"+rootID),
				ouID:     ptARN(p, ptMgmt, "ou/"+orgID+"/"+ouID),
				ptMgmt:   ptARN(p, ptMgmt, "account/"+orgID+"/"+ptMgmt),
				ptMember: ptARN(p, ptMgmt, "account/"+orgID+"/"+ptMember),
			}
			if len(targets.Targets) != len(wantTargets) {
				t.Errorf("ListTargetsForPolicy: %d targets, want %d", len(targets.Targets), len(wantTargets))
			}
			for _, tg := range targets.Targets {
				ptCheck(t, "ListTargetsForPolicy "+aws.ToString(tg.TargetId), aws.ToString(tg.Arn), wantTargets[aws.ToString(tg.TargetId)])
			}

			// The delegation policy: its own ARN, and resources named in the partition's
			// ARNs grant what they name.
			rp, err := mgmt.PutResourcePolicy(ctx, &organizations.PutResourcePolicyInput{Content: aws.String(fmt.Sprintf(
				`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:%s:iam::%s:root"},"Action":"organizations:DescribeOrganizationalUnit","Resource":%q}]}`,
				p, ptMember, ptARN(p, ptMgmt, "ou/"+orgID+"/*")))})
			if err != nil {
				t.Fatal(err)
			}
			rpID := aws.ToString(rp.ResourcePolicy.ResourcePolicySummary.Id)
			// A principal of another partition is another account.
			otherPartition := "aws-cn"
			if p == otherPartition {
				otherPartition = "aws"
			}
			_, err = mgmt.PutResourcePolicy(ctx, &organizations.PutResourcePolicyInput{Content: aws.String(fmt.Sprintf(
				`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:%s:iam::%s:root"},"Action":"organizations:ListAccounts","Resource":"*"}]}`,
				otherPartition, ptMember))})
			apitest.RequireCode(t, err, "InvalidInputException", "INVALID_PRINCIPAL")
			ptCheck(t, "PutResourcePolicy", aws.ToString(rp.ResourcePolicy.ResourcePolicySummary.Arn), ptARN(p, ptMgmt, "resourcepolicy/"+orgID+"/"+rpID))
			drp, err := mgmt.DescribeResourcePolicy(ctx, &organizations.DescribeResourcePolicyInput{})
			if err != nil {
				t.Fatal(err)
			}
			ptCheck(t, "DescribeResourcePolicy", aws.ToString(drp.ResourcePolicy.ResourcePolicySummary.Arn), ptARN(p, ptMgmt, "resourcepolicy/"+orgID+"/"+rpID))
			dou, err := member.DescribeOrganizationalUnit(ctx, &organizations.DescribeOrganizationalUnitInput{OrganizationalUnitId: aws.String(ouID)})
			if err != nil {
				t.Fatalf("DescribeOrganizationalUnit as the delegated member: %v", err)
			}
			ptCheck(t, "DescribeOrganizationalUnit", aws.ToString(dou.OrganizationalUnit.Arn), ptARN(p, ptMgmt, "ou/"+orgID+"/"+ouID))

			if _, err := mgmt.EnableAWSServiceAccess(ctx, &organizations.EnableAWSServiceAccessInput{ServicePrincipal: aws.String("sso.amazonaws.com")}); err != nil {
				t.Fatal(err)
			}
			if _, err := mgmt.RegisterDelegatedAdministrator(ctx, &organizations.RegisterDelegatedAdministratorInput{
				AccountId: aws.String(ptMember), ServicePrincipal: aws.String("sso.amazonaws.com")}); err != nil {
				t.Fatal(err)
			}
			admins, err := mgmt.ListDelegatedAdministrators(ctx, &organizations.ListDelegatedAdministratorsInput{})
			if err != nil || len(admins.DelegatedAdministrators) != 1 {
				t.Fatalf("ListDelegatedAdministrators: %+v, %v; want one", admins, err)
			}
			ptCheck(t, "ListDelegatedAdministrators", aws.ToString(admins.DelegatedAdministrators[0].Arn), ptARN(p, ptMgmt, "account/"+orgID+"/"+ptMember))

			// A responsibility transfer between two organizations of the partition.
			other := s.ClientIn(ptOther, rc.region)
			otherOrg, err := other.CreateOrganization(ctx, &organizations.CreateOrganizationInput{})
			if err != nil {
				t.Fatal(err)
			}
			now := time.Now().UTC()
			start := time.Date(now.Year(), now.Month()+2, 1, 0, 0, 0, 0, time.UTC)
			ti, err := mgmt.InviteOrganizationToTransferResponsibility(ctx, &organizations.InviteOrganizationToTransferResponsibilityInput{
				Type: types.ResponsibilityTransferTypeBilling, Target: &types.HandshakeParty{Type: types.HandshakePartyTypeAccount, Id: aws.String(ptOther)},
				StartTimestamp: aws.Time(start), SourceName: aws.String("bill")})
			if err != nil {
				t.Fatal(err)
			}
			th := ti.Handshake
			ptCheck(t, "InviteOrganizationToTransferResponsibility", aws.ToString(th.Arn),
				ptARN(p, ptMgmt, "handshake/"+orgID+"/transfer_responsibility/"+aws.ToString(th.Id)))
			if _, err := other.AcceptHandshake(ctx, &organizations.AcceptHandshakeInput{HandshakeId: th.Id}); err != nil {
				t.Fatal(err)
			}
			var trID string
			for _, r := range th.Resources {
				if r.Type == types.HandshakeResourceTypeResponsibilityTransfer {
					trID = aws.ToString(r.Value)
				}
			}
			in, err := mgmt.DescribeResponsibilityTransfer(ctx, &organizations.DescribeResponsibilityTransferInput{Id: aws.String(trID)})
			if err != nil {
				t.Fatal(err)
			}
			ptCheck(t, "DescribeResponsibilityTransfer (inbound)", aws.ToString(in.ResponsibilityTransfer.Arn),
				ptARN(p, ptMgmt, "transfer/"+orgID+"/billing/inbound/"+trID))
			out, err := other.DescribeResponsibilityTransfer(ctx, &organizations.DescribeResponsibilityTransferInput{Id: aws.String(trID)})
			if err != nil {
				t.Fatal(err)
			}
			ptCheck(t, "DescribeResponsibilityTransfer (outbound)", aws.ToString(out.ResponsibilityTransfer.Arn),
				ptARN(p, ptOther, "transfer/"+aws.ToString(otherOrg.Organization.Id)+"/billing/outbound/"+trID))
		})
	}
}

// TestAnotherPartitionSeesNoOrganization: an organization of aws-cn does not exist for its
// own accounts calling from another partition, and works from any region of its own.
func TestAnotherPartitionSeesNoOrganization(t *testing.T) {
	t.Parallel()
	s := apitest.Start(t)
	ctx := t.Context()
	cn := s.ClientIn(ptMgmt, "cn-north-1")
	if _, err := cn.CreateOrganization(ctx, &organizations.CreateOrganizationInput{}); err != nil {
		t.Fatal(err)
	}
	// From us-east-1 the organization is not there.
	_, err := s.Client(ptMgmt).InviteAccountToOrganization(ctx, &organizations.InviteAccountToOrganizationInput{
		Target: &types.HandshakeParty{Type: types.HandshakePartyTypeAccount, Id: aws.String(ptMember)}})
	apitest.RequireCode(t, err, "AWSOrganizationsNotInUseException", "")
	inv, err := cn.InviteAccountToOrganization(ctx, &organizations.InviteAccountToOrganizationInput{
		Target: &types.HandshakeParty{Type: types.HandshakePartyTypeAccount, Id: aws.String(ptMember)}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ClientIn(ptMember, "cn-northwest-1").AcceptHandshake(ctx, &organizations.AcceptHandshakeInput{HandshakeId: inv.Handshake.Id}); err != nil {
		t.Fatal(err)
	}

	for _, region := range []string{"us-east-1", "us-gov-west-1", "us-isob-east-1", "us-iso-east-1", "eu-isoe-west-1", "us-isof-south-1"} {
		for _, account := range []string{ptMgmt, ptMember} {
			c := s.ClientIn(account, region)
			_, err := c.DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
			apitest.RequireCode(t, err, "AWSOrganizationsNotInUseException", "")
			_, err = c.ListAccounts(ctx, &organizations.ListAccountsInput{})
			apitest.RequireCode(t, err, "AWSOrganizationsNotInUseException", "")
			_, err = c.ListRoots(ctx, &organizations.ListRootsInput{})
			apitest.RequireCode(t, err, "AWSOrganizationsNotInUseException", "")
			_, err = c.DescribeAccount(ctx, &organizations.DescribeAccountInput{AccountId: aws.String(ptMember)})
			apitest.RequireCode(t, err, "AWSOrganizationsNotInUseException", "")
			_, err = c.DescribeResourcePolicy(ctx, &organizations.DescribeResourcePolicyInput{})
			apitest.RequireCode(t, err, "AWSOrganizationsNotInUseException", "")
		}
		_, err := s.ClientIn(ptMgmt, region).DeleteOrganization(ctx, &organizations.DeleteOrganizationInput{})
		apitest.RequireCode(t, err, "AWSOrganizationsNotInUseException", "")
		_, err = s.ClientIn(ptMember, region).LeaveOrganization(ctx, &organizations.LeaveOrganizationInput{})
		apitest.RequireCode(t, err, "AWSOrganizationsNotInUseException", "")
		// The handshake the member accepted belongs to the aws-cn organization.
		_, err = s.ClientIn(ptMember, region).DescribeHandshake(ctx, &organizations.DescribeHandshakeInput{HandshakeId: inv.Handshake.Id})
		apitest.RequireCode(t, err, "HandshakeNotFoundException", "")
	}
	// orgd knows one account per 12 digits: one in an organization of aws-cn cannot create
	// another in aws.
	_, err = s.Client(ptMgmt).CreateOrganization(ctx, &organizations.CreateOrganizationInput{})
	apitest.RequireCode(t, err, "AlreadyInOrganizationException", "")

	// Any region of aws-cn sees the organization.
	out, err := s.ClientIn(ptMember, "cn-northwest-1").DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(out.Organization.MasterAccountId); got != ptMgmt {
		t.Errorf("DescribeOrganization from cn-northwest-1: management account %s, want %s", got, ptMgmt)
	}
}

// TestInvitationOfAnotherPartitionIsInvisible: an invitation from an aws-cn organization is
// neither listed, nor described, nor accepted, nor cancelled from aws; in aws-cn it is, and
// it keeps its ARN after its organization is deleted.
func TestInvitationOfAnotherPartitionIsInvisible(t *testing.T) {
	t.Parallel()
	s := apitest.Start(t)
	ctx := t.Context()
	cn := s.ClientIn(ptMgmt, "cn-north-1")
	created, err := cn.CreateOrganization(ctx, &organizations.CreateOrganizationInput{})
	if err != nil {
		t.Fatal(err)
	}
	orgID := aws.ToString(created.Organization.Id)
	inv, err := cn.InviteAccountToOrganization(ctx, &organizations.InviteAccountToOrganizationInput{
		Target: &types.HandshakeParty{Type: types.HandshakePartyTypeAccount, Id: aws.String(ptGuest)}})
	if err != nil {
		t.Fatal(err)
	}
	id := inv.Handshake.Id

	guest := s.Client(ptGuest) // us-east-1
	listed, err := guest.ListHandshakesForAccount(ctx, &organizations.ListHandshakesForAccountInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(listed.Handshakes) != 0 {
		t.Errorf("ListHandshakesForAccount from aws lists %d handshakes of aws-cn", len(listed.Handshakes))
	}
	_, err = guest.DescribeHandshake(ctx, &organizations.DescribeHandshakeInput{HandshakeId: id})
	apitest.RequireCode(t, err, "HandshakeNotFoundException", "")
	_, err = guest.AcceptHandshake(ctx, &organizations.AcceptHandshakeInput{HandshakeId: id})
	apitest.RequireCode(t, err, "HandshakeNotFoundException", "")
	_, err = guest.DeclineHandshake(ctx, &organizations.DeclineHandshakeInput{HandshakeId: id})
	apitest.RequireCode(t, err, "HandshakeNotFoundException", "")
	_, err = s.Client(ptMgmt).CancelHandshake(ctx, &organizations.CancelHandshakeInput{HandshakeId: id})
	apitest.RequireCode(t, err, "HandshakeNotFoundException", "")

	guestCN := s.ClientIn(ptGuest, "cn-north-1")
	listed, err = guestCN.ListHandshakesForAccount(ctx, &organizations.ListHandshakesForAccountInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(listed.Handshakes) != 1 || aws.ToString(listed.Handshakes[0].Id) != aws.ToString(id) {
		t.Fatalf("ListHandshakesForAccount from aws-cn: %+v, want the invitation", listed.Handshakes)
	}
	if _, err := guestCN.DeclineHandshake(ctx, &organizations.DeclineHandshakeInput{HandshakeId: id}); err != nil {
		t.Fatal(err)
	}
	if _, err := cn.DeleteOrganization(ctx, &organizations.DeleteOrganizationInput{}); err != nil {
		t.Fatal(err)
	}
	dh, err := guestCN.DescribeHandshake(ctx, &organizations.DescribeHandshakeInput{HandshakeId: id})
	if err != nil {
		t.Fatal(err)
	}
	ptCheck(t, "DescribeHandshake after DeleteOrganization", aws.ToString(dh.Handshake.Arn),
		ptARN("aws-cn", ptMgmt, "handshake/"+orgID+"/invite/"+aws.ToString(id)))

	// The account, standalone again, creates an organization in aws.
	again, err := s.Client(ptMgmt).CreateOrganization(ctx, &organizations.CreateOrganizationInput{})
	if err != nil {
		t.Fatal(err)
	}
	ptCheck(t, "CreateOrganization in aws", aws.ToString(again.Organization.Arn),
		ptARN("aws", ptMgmt, "organization/"+aws.ToString(again.Organization.Id)))
}

// TestMemberOfAnotherPartitionCannotJoin: orgd keeps one account per 12 digits, so a member of
// an aws-cn organization is in an organization when it answers an invitation of aws.
func TestMemberOfAnotherPartitionCannotJoin(t *testing.T) {
	t.Parallel()
	s := apitest.Start(t)
	ctx := t.Context()
	cn := s.ClientIn(ptMgmt, "cn-north-1")
	if _, err := cn.CreateOrganization(ctx, &organizations.CreateOrganizationInput{}); err != nil {
		t.Fatal(err)
	}
	inv, err := cn.InviteAccountToOrganization(ctx, &organizations.InviteAccountToOrganizationInput{
		Target: &types.HandshakeParty{Type: types.HandshakePartyTypeAccount, Id: aws.String(ptMember)}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ClientIn(ptMember, "cn-north-1").AcceptHandshake(ctx, &organizations.AcceptHandshakeInput{HandshakeId: inv.Handshake.Id}); err != nil {
		t.Fatal(err)
	}
	s.CreateOrganization(ptOther) // in aws
	h := s.Invite(ptOther, ptMember)
	_, err = s.Client(ptMember).AcceptHandshake(ctx, &organizations.AcceptHandshakeInput{HandshakeId: h.Id})
	apitest.RequireCode(t, err, "HandshakeConstraintViolationException", "ALREADY_IN_AN_ORGANIZATION")
	// The aws-cn management account cannot leave its organization for one of aws either.
	h = s.Invite(ptOther, ptMgmt)
	_, err = s.Client(ptMgmt).AcceptHandshake(ctx, &organizations.AcceptHandshakeInput{HandshakeId: h.Id})
	apitest.RequireCode(t, err, "MasterCannotLeaveOrganizationException", "")
}

// TestTransferChainStaysInItsPartition: the transfer chains of an account's organization in
// aws do not count against an invitation from aws-cn, where that account is in none.
func TestTransferChainStaysInItsPartition(t *testing.T) {
	t.Parallel()
	s := apitest.Start(t, apitest.WithQuotas(func(q *org.Quotas) { q.MaxInboundTransfers = 2 }))
	ctx := t.Context()
	const payer, paid, cnMgmt = ptOther, ptGuest, ptMgmt
	s.CreateOrganization(payer)
	s.CreateOrganization(paid)
	now := time.Now().UTC()
	start := time.Date(now.Year(), now.Month()+2, 1, 0, 0, 0, 0, time.UTC)
	invite := func(c *organizations.Client, target string) (*types.Handshake, error) {
		out, err := c.InviteOrganizationToTransferResponsibility(ctx, &organizations.InviteOrganizationToTransferResponsibilityInput{
			Type: types.ResponsibilityTransferTypeBilling, Target: &types.HandshakeParty{Type: types.HandshakePartyTypeAccount, Id: aws.String(target)},
			StartTimestamp: aws.Time(start), SourceName: aws.String("bill")})
		if err != nil {
			return nil, err
		}
		return out.Handshake, nil
	}
	// In aws, payer's organization pays for paid's: a chain of one, the quota.
	h, err := invite(s.Client(payer), paid)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Client(paid).AcceptHandshake(ctx, &organizations.AcceptHandshakeInput{HandshakeId: h.Id}); err != nil {
		t.Fatal(err)
	}
	// In aws, paying for payer's organization would make a chain of two.
	s.CreateOrganization(ptMember)
	_, err = invite(s.Client(ptMember), payer)
	apitest.RequireCode(t, err, "ConstraintViolationException", "RESPONSIBILITY_TRANSFER_MAX_LEVEL_VIOLATION")
	// In aws-cn, payer's account is in no organization: no chain.
	cn := s.ClientIn(cnMgmt, "cn-north-1")
	if _, err := cn.CreateOrganization(ctx, &organizations.CreateOrganizationInput{}); err != nil {
		t.Fatal(err)
	}
	if _, err := invite(cn, payer); err != nil {
		t.Fatalf("invitation from aws-cn: %v", err)
	}
}
