package org_test

import (
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/orgd/orgd/internal/apitest"
	"github.com/orgd/orgd/internal/org"
	"github.com/orgd/orgd/internal/server"
)

// Accounts of the organization, account and tag tests (the oa prefix keeps these helpers
// apart from the handshake tests of the same package).
const (
	oaMgmt       = "111111111111" // management account of the organization under test
	oaMember     = "222222222222" // member of that organization
	oaMember2    = "222222222223" // second member
	oaStandalone = "444444444444" // an account in no organization
	oaOtherMgmt  = "555555555555" // management account of another organization
	oaOtherMbr   = "666666666666" // member of the other organization
)

var (
	oaOrgIDPattern  = regexp.MustCompile(`^o-[a-z0-9]{10}$`)
	oaRootIDPattern = regexp.MustCompile(`^r-[a-z0-9]{4}$`)
)

// oaStart starts a server for one test; the tests run in parallel, each with its own server.
func oaStart(t *testing.T, cfg ...func(*server.Config)) *apitest.Server {
	t.Helper()
	t.Parallel()
	return apitest.Start(t, cfg...)
}

// oaOrg creates an all-features organization managed by mgmt and joins the members to it.
func oaOrg(t *testing.T, s *apitest.Server, mgmt string, members ...string) *types.Organization {
	t.Helper()
	o := s.CreateOrganization(mgmt)
	for _, m := range members {
		s.Join(mgmt, m)
	}
	return o
}

// oaRoot returns the only root of mgmt's organization.
func oaRoot(t *testing.T, s *apitest.Server, mgmt string) types.Root {
	t.Helper()
	out, err := s.Client(mgmt).ListRoots(t.Context(), &organizations.ListRootsInput{})
	if err != nil {
		t.Fatalf("ListRoots as %s: %v", mgmt, err)
	}
	if len(out.Roots) != 1 {
		t.Fatalf("ListRoots as %s: %d roots, want 1", mgmt, len(out.Roots))
	}
	return out.Roots[0]
}

// oaAccountIDs returns the ids of accounts in the order listed.
func oaAccountIDs(accts []types.Account) []string {
	ids := make([]string, len(accts))
	for i, a := range accts {
		ids[i] = aws.ToString(a.Id)
	}
	return ids
}

// oaListAccountIDs lists every account of the caller's organization in one call.
func oaListAccountIDs(t *testing.T, s *apitest.Server, mgmt string) []string {
	t.Helper()
	out, err := s.Client(mgmt).ListAccounts(t.Context(), &organizations.ListAccountsInput{})
	if err != nil {
		t.Fatalf("ListAccounts as %s: %v", mgmt, err)
	}
	if out.NextToken != nil {
		t.Fatalf("ListAccounts as %s: unexpected NextToken on a short list", mgmt)
	}
	return oaAccountIDs(out.Accounts)
}

// oaRequireNotInOrganization checks that account is standalone: DescribeOrganization answers
// AWSOrganizationsNotInUseException.
func oaRequireNotInOrganization(t *testing.T, s *apitest.Server, account string) {
	t.Helper()
	_, err := s.Client(account).DescribeOrganization(t.Context(), &organizations.DescribeOrganizationInput{})
	apitest.RequireCode(t, err, "AWSOrganizationsNotInUseException", "")
}

func TestCreateOrganizationReturnsAWSShape(t *testing.T) {
	s := oaStart(t)
	s.Register(map[string]any{"Id": oaMgmt, "Email": "bill@amazon.com", "Name": "Org Master Account"})
	o := s.CreateOrganization(oaMgmt)

	id := aws.ToString(o.Id)
	if !oaOrgIDPattern.MatchString(id) {
		t.Errorf("Id = %q, want o- and 10 lowercase letters or digits", id)
	}
	checks := []struct{ name, got, want string }{
		{"Arn", aws.ToString(o.Arn), "arn:aws:organizations::" + oaMgmt + ":organization/" + id},
		{"MasterAccountArn", aws.ToString(o.MasterAccountArn), "arn:aws:organizations::" + oaMgmt + ":account/" + id + "/" + oaMgmt},
		{"MasterAccountId", aws.ToString(o.MasterAccountId), oaMgmt},
		{"MasterAccountEmail", aws.ToString(o.MasterAccountEmail), "bill@amazon.com"},
		{"FeatureSet", string(o.FeatureSet), "ALL"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}

	// A second organization gets an id of its own.
	other := s.CreateOrganization(oaOtherMgmt)
	if aws.ToString(other.Id) == id {
		t.Errorf("two organizations share the id %s", id)
	}
	if got := aws.ToString(other.MasterAccountEmail); got != oaOtherMgmt+"@example.com" {
		t.Errorf("MasterAccountEmail of an unregistered account = %q, want %s@example.com", got, oaOtherMgmt)
	}
}

func TestCreateOrganizationFeatureSet(t *testing.T) {
	scp := []types.PolicyTypeSummary{{Type: types.PolicyTypeServiceControlPolicy, Status: types.PolicyTypeStatusEnabled}}
	for _, tc := range []struct {
		name      string
		in        types.OrganizationFeatureSet
		want      types.OrganizationFeatureSet
		available []types.PolicyTypeSummary
	}{
		{"default is ALL", "", types.OrganizationFeatureSetAll, scp},
		{"ALL", types.OrganizationFeatureSetAll, types.OrganizationFeatureSetAll, scp},
		{"CONSOLIDATED_BILLING", types.OrganizationFeatureSetConsolidatedBilling, types.OrganizationFeatureSetConsolidatedBilling, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := oaStart(t)
			c := s.Client(oaMgmt)
			out, err := c.CreateOrganization(t.Context(), &organizations.CreateOrganizationInput{FeatureSet: tc.in})
			if err != nil {
				t.Fatal(err)
			}
			// Both the creation answer and a later description agree.
			desc, err := c.DescribeOrganization(t.Context(), &organizations.DescribeOrganizationInput{})
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range []*types.Organization{out.Organization, desc.Organization} {
				if o.FeatureSet != tc.want {
					t.Errorf("FeatureSet = %q, want %q", o.FeatureSet, tc.want)
				}
				if !oaPolicyTypesEqual(o.AvailablePolicyTypes, tc.available) {
					t.Errorf("AvailablePolicyTypes = %+v, want %+v", o.AvailablePolicyTypes, tc.available)
				}
			}
		})
	}
}

func oaPolicyTypesEqual(a, b []types.PolicyTypeSummary) bool {
	return slices.EqualFunc(a, b, func(x, y types.PolicyTypeSummary) bool {
		return x.Type == y.Type && x.Status == y.Status
	})
}

func TestCreateOrganizationInvalidFeatureSet(t *testing.T) {
	s := oaStart(t)
	_, err := s.Client(oaMgmt).CreateOrganization(t.Context(), &organizations.CreateOrganizationInput{FeatureSet: "SOME"})
	apitest.RequireCode(t, err, "InvalidInputException", "INVALID_ENUM")
	oaRequireNotInOrganization(t, s, oaMgmt)
}

func TestCreateOrganizationAlreadyInOrganization(t *testing.T) {
	for _, tc := range []struct{ name, caller string }{
		{"management account", oaMgmt},
		{"member account", oaMember},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := oaStart(t)
			o := oaOrg(t, s, oaMgmt, oaMember)
			_, err := s.Client(tc.caller).CreateOrganization(t.Context(), &organizations.CreateOrganizationInput{})
			apitest.RequireCode(t, err, "AlreadyInOrganizationException", "")
			// The caller is still in its organization.
			desc, err := s.Client(tc.caller).DescribeOrganization(t.Context(), &organizations.DescribeOrganizationInput{})
			if err != nil {
				t.Fatal(err)
			}
			if aws.ToString(desc.Organization.Id) != aws.ToString(o.Id) {
				t.Errorf("caller is now in %s, want %s", aws.ToString(desc.Organization.Id), aws.ToString(o.Id))
			}
		})
	}
}

func TestCreateOrganizationRequiresPaymentInstrument(t *testing.T) {
	s := oaStart(t)
	s.Register(map[string]any{"Id": oaMgmt, "PaymentInstrument": false})
	_, err := s.Client(oaMgmt).CreateOrganization(t.Context(), &organizations.CreateOrganizationInput{})
	apitest.RequireCode(t, err, "ConstraintViolationException", "MASTER_ACCOUNT_PAYMENT_INSTRUMENT_REQUIRED")
	oaRequireNotInOrganization(t, s, oaMgmt)

	// Once the account has a payment method it can create the organization.
	s.Register(map[string]any{"Id": oaMgmt, "PaymentInstrument": true})
	s.CreateOrganization(oaMgmt)
}

func TestCreateOrganizationListsManagementAccountAsInvited(t *testing.T) {
	s := oaStart(t)
	s.Register(map[string]any{"Id": oaMgmt, "Email": "bill@amazon.com", "Name": "Org Master Account"})
	before := time.Now().Add(-time.Second)
	o := s.CreateOrganization(oaMgmt)
	after := time.Now().Add(time.Second)

	out, err := s.Client(oaMgmt).ListAccounts(t.Context(), &organizations.ListAccountsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Accounts) != 1 {
		t.Fatalf("ListAccounts = %v, want only the management account", oaAccountIDs(out.Accounts))
	}
	a := out.Accounts[0]
	if aws.ToString(a.Id) != oaMgmt || aws.ToString(a.Email) != "bill@amazon.com" || aws.ToString(a.Name) != "Org Master Account" {
		t.Errorf("account = %s %s %s, want %s bill@amazon.com Org Master Account", aws.ToString(a.Id), aws.ToString(a.Email), aws.ToString(a.Name), oaMgmt)
	}
	if a.JoinedMethod != types.AccountJoinedMethodInvited {
		t.Errorf("JoinedMethod = %q, want INVITED", a.JoinedMethod)
	}
	if a.JoinedTimestamp == nil || a.JoinedTimestamp.Before(before) || a.JoinedTimestamp.After(after) {
		t.Errorf("JoinedTimestamp = %v, want the creation time (%v..%v)", a.JoinedTimestamp, before, after)
	}
	if got, want := aws.ToString(a.Arn), aws.ToString(o.MasterAccountArn); got != want {
		t.Errorf("Arn = %q, want the organization's MasterAccountArn %q", got, want)
	}
	// It sits in the root.
	root := oaRoot(t, s, oaMgmt)
	parents, err := s.Client(oaMgmt).ListParents(t.Context(), &organizations.ListParentsInput{ChildId: aws.String(oaMgmt)})
	if err != nil {
		t.Fatal(err)
	}
	if len(parents.Parents) != 1 || aws.ToString(parents.Parents[0].Id) != aws.ToString(root.Id) {
		t.Errorf("parents of the management account = %+v, want the root %s", parents.Parents, aws.ToString(root.Id))
	}
}

func TestDescribeOrganizationVisibleToEveryMember(t *testing.T) {
	s := oaStart(t)
	s.Register(map[string]any{"Id": oaMgmt, "Email": "bill@amazon.com"})
	created := oaOrg(t, s, oaMgmt, oaMember)
	for _, caller := range []string{oaMgmt, oaMember} {
		out, err := s.Client(caller).DescribeOrganization(t.Context(), &organizations.DescribeOrganizationInput{})
		if err != nil {
			t.Fatalf("DescribeOrganization as %s: %v", caller, err)
		}
		o := out.Organization
		if aws.ToString(o.Id) != aws.ToString(created.Id) || aws.ToString(o.Arn) != aws.ToString(created.Arn) ||
			aws.ToString(o.MasterAccountId) != oaMgmt || aws.ToString(o.MasterAccountEmail) != "bill@amazon.com" ||
			aws.ToString(o.MasterAccountArn) != aws.ToString(created.MasterAccountArn) || o.FeatureSet != types.OrganizationFeatureSetAll {
			t.Errorf("DescribeOrganization as %s = %+v, want %+v", caller, o, created)
		}
	}
}

func TestDescribeOrganizationStandaloneNotInUse(t *testing.T) {
	s := oaStart(t)
	oaOrg(t, s, oaMgmt)
	oaRequireNotInOrganization(t, s, oaStandalone)
}

func TestDeleteOrganizationNotEmptyWhileMembersExist(t *testing.T) {
	s := oaStart(t)
	o := oaOrg(t, s, oaMgmt, oaMember)
	_, err := s.Client(oaMgmt).DeleteOrganization(t.Context(), &organizations.DeleteOrganizationInput{})
	apitest.RequireCode(t, err, "OrganizationNotEmptyException", "")
	// Nothing changed.
	out, err := s.Client(oaMember).DescribeOrganization(t.Context(), &organizations.DescribeOrganizationInput{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.Organization.Id) != aws.ToString(o.Id) {
		t.Errorf("member is in %s, want %s", aws.ToString(out.Organization.Id), aws.ToString(o.Id))
	}
	if got := oaListAccountIDs(t, s, oaMgmt); !slices.Equal(got, []string{oaMgmt, oaMember}) {
		t.Errorf("accounts = %v, want both", got)
	}
}

func TestDeleteOrganizationLeavesManagementStandalone(t *testing.T) {
	s := oaStart(t)
	first := oaOrg(t, s, oaMgmt, oaMember)
	c := s.Client(oaMgmt)
	if _, err := c.RemoveAccountFromOrganization(t.Context(), &organizations.RemoveAccountFromOrganizationInput{AccountId: aws.String(oaMember)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteOrganization(t.Context(), &organizations.DeleteOrganizationInput{}); err != nil {
		t.Fatal(err)
	}
	oaRequireNotInOrganization(t, s, oaMgmt)
	_, err := c.ListAccounts(t.Context(), &organizations.ListAccountsInput{})
	apitest.RequireCode(t, err, "AWSOrganizationsNotInUseException", "")
	_, err = c.DeleteOrganization(t.Context(), &organizations.DeleteOrganizationInput{})
	apitest.RequireCode(t, err, "AWSOrganizationsNotInUseException", "")

	// The former management account can create a new organization, and invite its former member.
	second := oaOrg(t, s, oaMgmt, oaMember)
	if aws.ToString(second.Id) == aws.ToString(first.Id) {
		t.Errorf("the new organization reuses the id %s", aws.ToString(first.Id))
	}
	if got := oaListAccountIDs(t, s, oaMgmt); !slices.Equal(got, []string{oaMgmt, oaMember}) {
		t.Errorf("accounts of the new organization = %v", got)
	}
}

func TestDeleteOrganizationDropsItsTags(t *testing.T) {
	s := oaStart(t)
	oaOrg(t, s, oaMgmt)
	c := s.Client(oaMgmt)
	root := aws.ToString(oaRoot(t, s, oaMgmt).Id)
	for _, id := range []string{oaMgmt, root} {
		if _, err := c.TagResource(t.Context(), &organizations.TagResourceInput{
			ResourceId: aws.String(id), Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("core")}},
		}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.DeleteOrganization(t.Context(), &organizations.DeleteOrganizationInput{}); err != nil {
		t.Fatal(err)
	}
	oaOrg(t, s, oaMgmt)
	if got := oaTags(t, c, oaMgmt); len(got) != 0 {
		t.Errorf("tags of the management account in its new organization = %v, want none", got)
	}
}

func TestDeleteOrganizationCancelsOpenInvitations(t *testing.T) {
	s := oaStart(t)
	oaOrg(t, s, oaMgmt)
	h := s.Invite(oaMgmt, oaMember)
	if _, err := s.Client(oaMgmt).DeleteOrganization(t.Context(), &organizations.DeleteOrganizationInput{}); err != nil {
		t.Fatal(err)
	}
	c := s.Client(oaMember)
	out, err := c.ListHandshakesForAccount(t.Context(), &organizations.ListHandshakesForAccountInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, got := range out.Handshakes {
		if got.State == types.HandshakeStateOpen {
			t.Errorf("handshake %s is still OPEN after its organization was deleted", aws.ToString(got.Id))
		}
	}
	desc, err := c.DescribeHandshake(t.Context(), &organizations.DescribeHandshakeInput{HandshakeId: h.Id})
	if err != nil {
		t.Fatal(err)
	}
	if desc.Handshake.State != types.HandshakeStateCanceled {
		t.Errorf("invitation state = %q, want CANCELED", desc.Handshake.State)
	}
	// It can no longer be accepted: the invited account stays standalone.
	_, err = c.AcceptHandshake(t.Context(), &organizations.AcceptHandshakeInput{HandshakeId: h.Id})
	apitest.RequireCode(t, err, "InvalidHandshakeTransitionException", "")
	oaRequireNotInOrganization(t, s, oaMember)
}

func TestDeleteOrganizationMemberAccessDenied(t *testing.T) {
	s := oaStart(t)
	oaOrg(t, s, oaMgmt, oaMember)
	_, err := s.Client(oaMember).DeleteOrganization(t.Context(), &organizations.DeleteOrganizationInput{})
	apitest.RequireCode(t, err, "AccessDeniedException", "")
	if got := oaListAccountIDs(t, s, oaMgmt); !slices.Equal(got, []string{oaMgmt, oaMember}) {
		t.Errorf("accounts = %v, want both", got)
	}
}

func TestListRootsReturnsTheRoot(t *testing.T) {
	s := oaStart(t)
	o := oaOrg(t, s, oaMgmt)
	r := oaRoot(t, s, oaMgmt)
	id := aws.ToString(r.Id)
	if !oaRootIDPattern.MatchString(id) {
		t.Errorf("root Id = %q, want r- and 4 lowercase letters or digits", id)
	}
	if got, want := aws.ToString(r.Arn), "arn:aws:organizations::"+oaMgmt+":root/"+aws.ToString(o.Id)+"/"+id; got != want {
		t.Errorf("root Arn = %q, want %q", got, want)
	}
	if got := aws.ToString(r.Name); got != "Root" {
		t.Errorf("root Name = %q, want Root", got)
	}
	if r.PolicyTypes == nil || len(r.PolicyTypes) != 0 {
		t.Errorf("root PolicyTypes = %#v, want an empty list", r.PolicyTypes)
	}
	// The root is stable across calls.
	if again := oaRoot(t, s, oaMgmt); aws.ToString(again.Id) != id {
		t.Errorf("root id changed from %s to %s", id, aws.ToString(again.Id))
	}
}

func TestListRootsCallerMustBeManagement(t *testing.T) {
	s := oaStart(t)
	oaOrg(t, s, oaMgmt, oaMember)
	_, err := s.Client(oaMember).ListRoots(t.Context(), &organizations.ListRootsInput{})
	apitest.RequireCode(t, err, "AccessDeniedException", "")
	_, err = s.Client(oaStandalone).ListRoots(t.Context(), &organizations.ListRootsInput{})
	apitest.RequireCode(t, err, "AWSOrganizationsNotInUseException", "")
}

func TestListRootsInvalidNextToken(t *testing.T) {
	s := oaStart(t)
	oaOrg(t, s, oaMgmt, oaMember)
	c := s.Client(oaMgmt)
	// A token from a list that does page is foreign to ListRoots.
	page, err := c.ListAccounts(t.Context(), &organizations.ListAccountsInput{MaxResults: aws.Int32(1)})
	if err != nil {
		t.Fatal(err)
	}
	if page.NextToken == nil {
		t.Fatal("ListAccounts with MaxResults 1 over 2 accounts gave no NextToken")
	}
	for _, tok := range []string{"garbage", *page.NextToken} {
		_, err := c.ListRoots(t.Context(), &organizations.ListRootsInput{NextToken: aws.String(tok)})
		apitest.RequireCode(t, err, "InvalidInputException", "INVALID_NEXT_TOKEN")
	}
}

// The quotas the paging tests need: room for the management account and 25 members.
func oaManyAccounts(q *org.Quotas) { q.MaxAccounts = 30 }
