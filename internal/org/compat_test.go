package org_test

import (
	"fmt"
	"path/filepath"
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

// The moto profile (org.CompatMoto, issue 10): what it changes, and that without it
// everything stays AWS's.

const motoMgmt = "111111111111"

func motoOrg(t *testing.T) (*apitest.Server, *organizations.Client, string) {
	t.Helper()
	s := apitest.Start(t, apitest.WithCompat(org.CompatMoto))
	s.CreateOrganization(motoMgmt)
	c := s.Client(motoMgmt)
	roots, err := c.ListRoots(t.Context(), &organizations.ListRootsInput{})
	if err != nil || len(roots.Roots) != 1 {
		t.Fatalf("ListRoots: %v", err)
	}
	return s, c, aws.ToString(roots.Roots[0].Id)
}

// motoCreate creates an account and returns its id, read from CreateAccount's own answer.
func motoCreate(t *testing.T, c *organizations.Client, name string) string {
	t.Helper()
	st := caCreate(t, c, name+"@example.com", name)
	if st.State != types.CreateAccountStateSucceeded || st.AccountId == nil {
		t.Fatalf("CreateAccount %s answered %s, AccountId %v", name, st.State, st.AccountId)
	}
	return aws.ToString(st.AccountId)
}

func TestMotoCreateAccountAnswersSucceeded(t *testing.T) {
	_, c, root := motoOrg(t)
	ctx := t.Context()
	st := caCreate(t, c, "dev@example.com", "dev")
	if st.State != types.CreateAccountStateSucceeded || st.AccountId == nil || st.CompletedTimestamp == nil ||
		st.RequestedTimestamp == nil || st.FailureReason != "" || aws.ToString(st.AccountName) != "dev" {
		t.Fatalf("CreateAccount answered %+v", *st)
	}
	id := aws.ToString(st.AccountId)
	acct, err := c.DescribeAccount(ctx, &organizations.DescribeAccountInput{AccountId: aws.String(id)})
	if err != nil {
		t.Fatalf("DescribeAccount of the answered id: %v", err)
	}
	if aws.ToString(acct.Account.Email) != "dev@example.com" || acct.Account.JoinedMethod != types.AccountJoinedMethodCreated {
		t.Errorf("DescribeAccount = %+v", *acct.Account)
	}
	if d := caDescribe(t, c, st.Id); d.State != types.CreateAccountStateSucceeded || aws.ToString(d.AccountId) != id {
		t.Errorf("DescribeCreateAccountStatus = %+v", *d)
	}
	parents, err := c.ListParents(ctx, &organizations.ListParentsInput{ChildId: aws.String(id)})
	if err != nil || aws.ToString(parents.Parents[0].Id) != root {
		t.Errorf("ListParents = %+v, %v; want the root", parents, err)
	}

	gov, err := c.CreateGovCloudAccount(ctx, &organizations.CreateGovCloudAccountInput{
		Email: aws.String("gov@example.com"), AccountName: aws.String("gov")})
	if err != nil {
		t.Fatal(err)
	}
	if g := gov.CreateAccountStatus; g.State != types.CreateAccountStateSucceeded || g.AccountId == nil || g.GovCloudAccountId == nil {
		t.Errorf("CreateGovCloudAccount answered %+v", *g)
	}

	// A failure keeps AWS's FAILED status and reason (moto has none), answered at once too.
	dup := caCreate(t, c, "DEV@example.com", "again")
	if dup.State != types.CreateAccountStateFailed || dup.FailureReason != types.CreateAccountFailureReasonEmailAlreadyExists ||
		dup.AccountId != nil || dup.CompletedTimestamp == nil {
		t.Errorf("CreateAccount with a taken e-mail answered %+v", *dup)
	}
}

func TestMotoHasNoAccountOUOrInvitationQuotas(t *testing.T) {
	s, c, _ := motoOrg(t)
	ctx := t.Context()
	q := org.DefaultQuotas()
	// More accounts than the account quota, created one after the other.
	for i := range q.MaxAccounts + 2 {
		motoCreate(t, c, fmt.Sprintf("acct%02d", i))
	}
	// More invitations in a day than the daily limit, all left open: more open invitations
	// than the account quota, on top of an organization already over it.
	invites := max(q.InvitationsPerDay, q.MaxAccounts) + 2
	for i := range invites {
		s.Invite(motoMgmt, fmt.Sprintf("2000000000%02d", i))
	}
	// An invited account can still join.
	if _, err := s.Client("200000000000").AcceptHandshake(ctx, &organizations.AcceptHandshakeInput{
		HandshakeId: firstHandshakeFor(t, s, "200000000000")}); err != nil {
		t.Fatalf("AcceptHandshake over the quota: %v", err)
	}
	accts := listAllAccounts(t, c, 20)
	if want := 1 + q.MaxAccounts + 2 + 1; len(accts) != want {
		t.Errorf("ListAccounts: %d accounts, want %d", len(accts), want)
	}
	// OUs past a quota set low, which a profile without the check ignores.
	s2 := apitest.Start(t, apitest.WithCompat(org.CompatMoto), apitest.WithQuotas(func(q *org.Quotas) { q.MaxOUs = 1 }))
	s2.CreateOrganization(motoMgmt)
	c2 := s2.Client(motoMgmt)
	roots, err := c2.ListRoots(ctx, &organizations.ListRootsInput{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if _, err := c2.CreateOrganizationalUnit(ctx, &organizations.CreateOrganizationalUnitInput{
			ParentId: roots.Roots[0].Id, Name: aws.String(fmt.Sprintf("ou%d", i))}); err != nil {
			t.Fatalf("CreateOrganizationalUnit %d past MaxOUs 1: %v", i, err)
		}
	}
}

func firstHandshakeFor(t *testing.T, s *apitest.Server, account string) *string {
	t.Helper()
	out, err := s.Client(account).ListHandshakesForAccount(t.Context(), &organizations.ListHandshakesForAccountInput{})
	if err != nil || len(out.Handshakes) == 0 {
		t.Fatalf("ListHandshakesForAccount as %s: %v, %d", account, err, len(out.Handshakes))
	}
	return out.Handshakes[0].Id
}

func TestMotoCreatedAccountMayLeaveAtOnce(t *testing.T) {
	s, c, _ := motoOrg(t)
	ctx := t.Context()
	removed, leaver := motoCreate(t, c, "removed"), motoCreate(t, c, "leaver")
	if _, err := c.RemoveAccountFromOrganization(ctx, &organizations.RemoveAccountFromOrganizationInput{AccountId: aws.String(removed)}); err != nil {
		t.Fatalf("RemoveAccountFromOrganization of a just-created account: %v", err)
	}
	if _, err := s.Client(leaver).LeaveOrganization(ctx, &organizations.LeaveOrganizationInput{}); err != nil {
		t.Fatalf("LeaveOrganization of a just-created account: %v", err)
	}
	if accts := listAllAccounts(t, c, 20); len(accts) != 1 {
		t.Errorf("ListAccounts after both left: %v", accts)
	}
}

// listAllAccounts pages through ListAccounts with MaxResults n and returns the ids.
func listAllAccounts(t *testing.T, c *organizations.Client, n int32) []string {
	t.Helper()
	return pageAll(t, "ListAccounts", func(token *string) ([]string, *string, error) {
		out, err := c.ListAccounts(t.Context(), &organizations.ListAccountsInput{MaxResults: aws.Int32(n), NextToken: token})
		if err != nil {
			return nil, nil, err
		}
		var ids []string
		for _, a := range out.Accounts {
			ids = append(ids, aws.ToString(a.Id))
		}
		return ids, out.NextToken, nil
	})
}

// pageAll follows a list's NextTokens and returns what every page held.
func pageAll(t *testing.T, what string, page func(token *string) ([]string, *string, error)) []string {
	t.Helper()
	var all []string
	var token *string
	for range 1000 {
		ids, next, err := page(token)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		all = append(all, ids...)
		if next == nil {
			return all
		}
		token = next
	}
	t.Fatalf("%s: no end after 1000 pages", what)
	return nil
}

func TestMotoListsInCreationOrder(t *testing.T) {
	s, c, root := motoOrg(t)
	ctx := t.Context()
	mk := func(parent, name string) string {
		out, err := c.CreateOrganizationalUnit(ctx, &organizations.CreateOrganizationalUnitInput{ParentId: aws.String(parent), Name: aws.String(name)})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.OrganizationalUnit.Id)
	}
	ous := []string{mk(root, "zeta"), mk(root, "alpha"), mk(root, "mid"), mk(root, "beta"), mk(root, "omega")}
	want := []string{motoMgmt}
	var created []string
	for i := range 7 {
		id := motoCreate(t, c, fmt.Sprintf("member%d", i))
		want, created = append(want, id), append(created, id)
	}
	s.Join(motoMgmt, "222222222222") // joins after the created ones
	want = append(want, "222222222222")
	// A move keeps an account's place: moto sorts by creation time.
	for _, id := range created[1:4] {
		if _, err := c.MoveAccount(ctx, &organizations.MoveAccountInput{AccountId: aws.String(id),
			SourceParentId: aws.String(root), DestinationParentId: aws.String(ous[0])}); err != nil {
			t.Fatal(err)
		}
	}
	if sorted := slices.Sorted(slices.Values(created)); slices.Equal(sorted, created) {
		t.Log("the created ids happen to be in id order; the order checks prove less")
	}
	check := func(what string, got, want []string) {
		t.Helper()
		if !slices.Equal(got, want) {
			t.Errorf("%s = %v, want creation order %v", what, got, want)
		}
	}
	for _, n := range []int32{1, 2, 3, 20} {
		check(fmt.Sprintf("ListAccounts (MaxResults %d)", n), listAllAccounts(t, c, n), want)
	}
	underRoot := append([]string{motoMgmt, created[0]}, append(created[4:], "222222222222")...)
	check("ListAccountsForParent(root)", pageAll(t, "ListAccountsForParent", func(token *string) ([]string, *string, error) {
		out, err := c.ListAccountsForParent(ctx, &organizations.ListAccountsForParentInput{ParentId: aws.String(root), MaxResults: aws.Int32(2), NextToken: token})
		if err != nil {
			return nil, nil, err
		}
		var ids []string
		for _, a := range out.Accounts {
			ids = append(ids, aws.ToString(a.Id))
		}
		return ids, out.NextToken, nil
	}), underRoot)
	children := func(parent string, typ types.ChildType) []string {
		return pageAll(t, "ListChildren", func(token *string) ([]string, *string, error) {
			out, err := c.ListChildren(ctx, &organizations.ListChildrenInput{ParentId: aws.String(parent), ChildType: typ, MaxResults: aws.Int32(2), NextToken: token})
			if err != nil {
				return nil, nil, err
			}
			var ids []string
			for _, ch := range out.Children {
				ids = append(ids, aws.ToString(ch.Id))
			}
			return ids, out.NextToken, nil
		})
	}
	check("ListChildren(OU, ACCOUNT)", children(ous[0], types.ChildTypeAccount), created[1:4])
	check("ListChildren(root, ORGANIZATIONAL_UNIT)", children(root, types.ChildTypeOrganizationalUnit), ous)
	check("ListOrganizationalUnitsForParent", pageAll(t, "ListOrganizationalUnitsForParent", func(token *string) ([]string, *string, error) {
		out, err := c.ListOrganizationalUnitsForParent(ctx, &organizations.ListOrganizationalUnitsForParentInput{ParentId: aws.String(root), MaxResults: aws.Int32(2), NextToken: token})
		if err != nil {
			return nil, nil, err
		}
		var ids []string
		for _, u := range out.OrganizationalUnits {
			ids = append(ids, aws.ToString(u.Id))
		}
		return ids, out.NextToken, nil
	}), ous)

	// Policies: the AWS-managed one first (it exists from the start), then as created; the
	// type must still be enabled before a policy is attached, as in AWS.
	polEnable(t, c, root, types.PolicyTypeServiceControlPolicy)
	policies := []string{"p-FullAWSAccess"}
	for _, name := range []string{"zz", "aa", "mm", "bb"} {
		policies = append(policies, polCreate(t, c, types.PolicyTypeServiceControlPolicy, name, polDenyS3))
	}
	check("ListPolicies", pageAll(t, "ListPolicies", func(token *string) ([]string, *string, error) {
		out, err := c.ListPolicies(ctx, &organizations.ListPoliciesInput{Filter: types.PolicyTypeServiceControlPolicy, MaxResults: aws.Int32(2), NextToken: token})
		if err != nil {
			return nil, nil, err
		}
		var ids []string
		for _, p := range out.Policies {
			ids = append(ids, aws.ToString(p.Id))
		}
		return ids, out.NextToken, nil
	}), policies)
	for _, p := range []string{policies[3], policies[1], policies[2]} {
		if _, err := c.AttachPolicy(ctx, &organizations.AttachPolicyInput{PolicyId: aws.String(p), TargetId: aws.String(ous[1])}); err != nil {
			t.Fatal(err)
		}
	}
	check("ListPoliciesForTarget", pageAll(t, "ListPoliciesForTarget", func(token *string) ([]string, *string, error) {
		out, err := c.ListPoliciesForTarget(ctx, &organizations.ListPoliciesForTargetInput{TargetId: aws.String(ous[1]),
			Filter: types.PolicyTypeServiceControlPolicy, MaxResults: aws.Int32(2), NextToken: token})
		if err != nil {
			return nil, nil, err
		}
		var ids []string
		for _, p := range out.Policies {
			ids = append(ids, aws.ToString(p.Id))
		}
		return ids, out.NextToken, nil
	}), []string{"p-FullAWSAccess", policies[3], policies[1], policies[2]})

	tag := func(pairs ...string) {
		var tags []types.Tag
		for i := 0; i < len(pairs); i += 2 {
			tags = append(tags, types.Tag{Key: aws.String(pairs[i]), Value: aws.String(pairs[i+1])})
		}
		if _, err := c.TagResource(ctx, &organizations.TagResourceInput{ResourceId: aws.String(ous[2]), Tags: tags}); err != nil {
			t.Fatal(err)
		}
	}
	tag("zz", "1", "aa", "2")
	tag("mm", "3", "aa", "changed") // a new value keeps its key's place, as in moto's dict
	tags, err := c.ListTagsForResource(ctx, &organizations.ListTagsForResourceInput{ResourceId: aws.String(ous[2])})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, tg := range tags.Tags {
		keys = append(keys, aws.ToString(tg.Key)+"="+aws.ToString(tg.Value))
	}
	check("ListTagsForResource", keys, []string{"zz=1", "aa=changed", "mm=3"})

	services := []string{"sso.amazonaws.com", "backup.amazonaws.com", "ram.amazonaws.com"}
	for _, sp := range services {
		if _, err := c.EnableAWSServiceAccess(ctx, &organizations.EnableAWSServiceAccessInput{ServicePrincipal: aws.String(sp)}); err != nil {
			t.Fatal(err)
		}
	}
	check("ListAWSServiceAccessForOrganization", pageAll(t, "ListAWSServiceAccessForOrganization", func(token *string) ([]string, *string, error) {
		out, err := c.ListAWSServiceAccessForOrganization(ctx, &organizations.ListAWSServiceAccessForOrganizationInput{MaxResults: aws.Int32(2), NextToken: token})
		if err != nil {
			return nil, nil, err
		}
		var ids []string
		for _, sp := range out.EnabledServicePrincipals {
			ids = append(ids, aws.ToString(sp.ServicePrincipal))
		}
		return ids, out.NextToken, nil
	}), services)

	check("ListCreateAccountStatus", pageAll(t, "ListCreateAccountStatus", func(token *string) ([]string, *string, error) {
		out, err := c.ListCreateAccountStatus(ctx, &organizations.ListCreateAccountStatusInput{MaxResults: aws.Int32(3), NextToken: token})
		if err != nil {
			return nil, nil, err
		}
		var ids []string
		for _, st := range out.CreateAccountStatuses {
			ids = append(ids, aws.ToString(st.AccountId))
		}
		return ids, out.NextToken, nil
	}), created)
}

func TestWithoutProfileCreateAccountAndQuotasStayAWS(t *testing.T) {
	s := apitest.Start(t)
	s.CreateOrganization(motoMgmt)
	c := s.Client(motoMgmt)
	ctx := t.Context()
	st := caCreate(t, c, "dev@example.com", "dev")
	if st.State != types.CreateAccountStateInProgress || st.AccountId != nil || st.CompletedTimestamp != nil {
		t.Errorf("CreateAccount answered %+v, want IN_PROGRESS without an account id", *st)
	}
	id := aws.ToString(caDescribe(t, c, st.Id).AccountId)
	_, err := c.RemoveAccountFromOrganization(ctx, &organizations.RemoveAccountFromOrganizationInput{AccountId: aws.String(id)})
	apitest.RequireCode(t, err, "ConstraintViolationException", "WAIT_PERIOD_ACTIVE")
	for i := 2; i < org.DefaultQuotas().MaxAccounts; i++ {
		caCreate(t, c, fmt.Sprintf("a%d@example.com", i), fmt.Sprintf("a%d", i))
	}
	_, err = c.CreateAccount(ctx, &organizations.CreateAccountInput{Email: aws.String("over@example.com"), AccountName: aws.String("over")})
	apitest.RequireCode(t, err, "ConstraintViolationException", "ACCOUNT_NUMBER_LIMIT_EXCEEDED")
	_, err = c.InviteAccountToOrganization(ctx, &organizations.InviteAccountToOrganizationInput{
		Target: &types.HandshakeParty{Type: types.HandshakePartyTypeAccount, Id: aws.String("222222222222")}})
	apitest.RequireCode(t, err, "HandshakeConstraintViolationException", "ACCOUNT_NUMBER_LIMIT_EXCEEDED")
	// Lists stay in id order.
	accts := listAllAccounts(t, c, 3)
	if !slices.IsSorted(accts) || len(accts) != org.DefaultQuotas().MaxAccounts {
		t.Errorf("ListAccounts = %v, want %d accounts by id", accts, org.DefaultQuotas().MaxAccounts)
	}
}

func TestMotoLinkListsInCreationOrder(t *testing.T) {
	s, c, root := motoOrg(t)
	ctx := t.Context()
	const a9, a3, a5 = "999999999999", "333333333333", "555555555555"
	for _, id := range []string{a9, a3, a5} { // joined out of id order on purpose
		s.Join(motoMgmt, id)
	}
	out, err := c.CreateOrganizationalUnit(ctx, &organizations.CreateOrganizationalUnitInput{ParentId: aws.String(root), Name: aws.String("ou")})
	if err != nil {
		t.Fatal(err)
	}
	ou := aws.ToString(out.OrganizationalUnit.Id)
	check := func(what string, got, want []string) {
		t.Helper()
		if !slices.Equal(got, want) {
			t.Errorf("%s = %v, want creation order %v", what, got, want)
		}
	}

	// ListTargetsForPolicy: as attached; detaching and attaching again goes last (moto
	// appends to the policy's list).
	polEnable(t, c, root, types.PolicyTypeServiceControlPolicy)
	p := polCreate(t, c, types.PolicyTypeServiceControlPolicy, "p", polDenyS3)
	attach := func(target string) {
		t.Helper()
		if _, err := c.AttachPolicy(ctx, &organizations.AttachPolicyInput{PolicyId: aws.String(p), TargetId: aws.String(target)}); err != nil {
			t.Fatal(err)
		}
	}
	for _, target := range []string{a9, root, a3, ou} {
		attach(target)
	}
	if _, err := c.DetachPolicy(ctx, &organizations.DetachPolicyInput{PolicyId: aws.String(p), TargetId: aws.String(root)}); err != nil {
		t.Fatal(err)
	}
	attach(root)
	for _, n := range []int32{1, 2, 20} {
		check(fmt.Sprintf("ListTargetsForPolicy (MaxResults %d)", n), pageAll(t, "ListTargetsForPolicy", func(token *string) ([]string, *string, error) {
			out, err := c.ListTargetsForPolicy(ctx, &organizations.ListTargetsForPolicyInput{PolicyId: aws.String(p), MaxResults: aws.Int32(n), NextToken: token})
			if err != nil {
				return nil, nil, err
			}
			var ids []string
			for _, tg := range out.Targets {
				ids = append(ids, aws.ToString(tg.TargetId))
			}
			return ids, out.NextToken, nil
		}), []string{a9, a3, ou, root})
	}

	// Delegated administrators: one entry per account at its first registration, kept while
	// it administers anything; an account's services as registered.
	const cfg, stacksets, multi = "config.amazonaws.com", "member.org.stacksets.cloudformation.amazonaws.com", "config-multiaccountsetup.amazonaws.com"
	for _, sp := range []string{cfg, stacksets, multi} {
		if _, err := c.EnableAWSServiceAccess(ctx, &organizations.EnableAWSServiceAccessInput{ServicePrincipal: aws.String(sp)}); err != nil {
			t.Fatal(err)
		}
	}
	register := func(account, principal string) {
		t.Helper()
		if _, err := c.RegisterDelegatedAdministrator(ctx, &organizations.RegisterDelegatedAdministratorInput{
			AccountId: aws.String(account), ServicePrincipal: aws.String(principal)}); err != nil {
			t.Fatal(err)
		}
	}
	deregister := func(account, principal string) {
		t.Helper()
		if _, err := c.DeregisterDelegatedAdministrator(ctx, &organizations.DeregisterDelegatedAdministratorInput{
			AccountId: aws.String(account), ServicePrincipal: aws.String(principal)}); err != nil {
			t.Fatal(err)
		}
	}
	admins := func(principal string) []string {
		t.Helper()
		in := &organizations.ListDelegatedAdministratorsInput{MaxResults: aws.Int32(1)}
		if principal != "" {
			in.ServicePrincipal = aws.String(principal)
		}
		return pageAll(t, "ListDelegatedAdministrators", func(token *string) ([]string, *string, error) {
			in.NextToken = token
			out, err := c.ListDelegatedAdministrators(ctx, in)
			if err != nil {
				return nil, nil, err
			}
			var ids []string
			for _, d := range out.DelegatedAdministrators {
				ids = append(ids, aws.ToString(d.Id))
			}
			return ids, out.NextToken, nil
		})
	}
	services := func(account string) []string {
		t.Helper()
		return pageAll(t, "ListDelegatedServicesForAccount", func(token *string) ([]string, *string, error) {
			out, err := c.ListDelegatedServicesForAccount(ctx, &organizations.ListDelegatedServicesForAccountInput{
				AccountId: aws.String(account), MaxResults: aws.Int32(1), NextToken: token})
			if err != nil {
				return nil, nil, err
			}
			var ps []string
			for _, d := range out.DelegatedServices {
				ps = append(ps, aws.ToString(d.ServicePrincipal))
			}
			return ps, out.NextToken, nil
		})
	}
	register(a9, stacksets)
	register(a3, multi)
	register(a9, cfg)
	register(a5, stacksets)
	register(a3, stacksets)
	check("ListDelegatedAdministrators", admins(""), []string{a9, a3, a5})
	check("ListDelegatedAdministrators(stacksets)", admins(stacksets), []string{a9, a3, a5})
	check("ListDelegatedAdministrators(config)", admins(cfg), []string{a9})
	check("ListDelegatedServicesForAccount", services(a9), []string{stacksets, cfg})
	check("ListDelegatedServicesForAccount", services(a3), []string{multi, stacksets})
	// a9 keeps its place while it administers anything, and a service registered again goes
	// last among its own; a3, once it administers nothing, goes last.
	deregister(a9, stacksets)
	register(a9, stacksets)
	deregister(a3, multi)
	deregister(a3, stacksets)
	register(a3, stacksets)
	check("ListDelegatedAdministrators", admins(""), []string{a9, a5, a3})
	check("ListDelegatedAdministrators(stacksets)", admins(stacksets), []string{a9, a5, a3})
	check("ListDelegatedServicesForAccount", services(a9), []string{cfg, stacksets})
	check("ListDelegatedServicesForAccount", services(a3), []string{stacksets})
}

// Without the profile a join leaves an account without a place in creation order (which
// spares every join two indexes); a server started with the profile on the same database
// first gives those accounts their places, in the order they joined.
func TestMotoProfileOrdersAccountsThatJoinedWithoutIt(t *testing.T) {
	db := filepath.Join(t.TempDir(), "orgd.db")
	plain := apitest.Start(t, func(c *server.Config) { c.DB = db })
	plain.CreateOrganization(motoMgmt)
	joined := []string{motoMgmt}
	for _, id := range []string{"333333333333", "222222222222", "444444444444"} {
		plain.Advance(time.Second) // a join time of its own: the order does not rest on the ids
		plain.Join(motoMgmt, id)
		joined = append(joined, id)
	}
	moto := apitest.Start(t, func(c *server.Config) { c.DB = db }, apitest.WithCompat(org.CompatMoto))
	if got := listAllAccounts(t, moto.Client(motoMgmt), 1); !slices.Equal(got, joined) {
		t.Errorf("ListAccounts with the profile = %v, want the order they joined %v", got, joined)
	}
	// An account that joins now comes after them.
	moto.Join(motoMgmt, "555555555555")
	joined = append(joined, "555555555555")
	if got := listAllAccounts(t, moto.Client(motoMgmt), 2); !slices.Equal(got, joined) {
		t.Errorf("ListAccounts after one more join = %v, want %v", got, joined)
	}
}
