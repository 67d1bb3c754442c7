package mirror

import (
	"cmp"
	"net/http"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/orgd/orgd/internal/apitest"
	"github.com/orgd/orgd/internal/snapshot"
)

// TestMirrorOfAnOrganizationBuiltThroughTheAPI: an organization built call by call, as a team
// builds one (random OU and policy ids, accounts made by CreateAccount), mirrors into an
// export equal to the source's once what the API cannot reveal is set aside: the creation
// times withoutUnrevealed blanks, the order things were made in (the mirror has the API's
// order, by id), and what a mirror does not copy (create-account statuses, roles).
func TestMirrorOfAnOrganizationBuiltThroughTheAPI(t *testing.T) {
	s := apitest.Start(t)
	c, ctx := s.Client(management), t.Context()
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(c.CreateOrganization(ctx, &organizations.CreateOrganizationInput{}))
	roots, err := c.ListRoots(ctx, &organizations.ListRootsInput{})
	if err != nil {
		t.Fatal(err)
	}
	root := roots.Roots[0].Id
	for _, pt := range []types.PolicyType{types.PolicyTypeServiceControlPolicy, types.PolicyTypeTagPolicy} {
		must(c.EnablePolicyType(ctx, &organizations.EnablePolicyTypeInput{RootId: root, PolicyType: pt}))
	}
	ou := func(parent *string, name string) *string {
		out, err := c.CreateOrganizationalUnit(ctx, &organizations.CreateOrganizationalUnitInput{ParentId: parent, Name: aws.String(name),
			Tags: []types.Tag{{Key: aws.String("level"), Value: aws.String(name)}}})
		if err != nil {
			t.Fatal(err)
		}
		return out.OrganizationalUnit.Id
	}
	workloads := ou(root, "Workloads")
	prod, dev := ou(workloads, "Prod"), ou(workloads, "Dev")
	team := ou(prod, "TeamA")
	security := ou(root, "Security")
	var accounts []*string
	for i, parent := range []*string{team, dev, security, prod} {
		out, err := c.CreateAccount(ctx, &organizations.CreateAccountInput{Email: aws.String(string(rune('a'+i)) + "@example.com"),
			AccountName: aws.String("acct-" + string(rune('a'+i))), Tags: []types.Tag{{Key: aws.String("CostCenter"), Value: aws.String("42")}}})
		if err != nil {
			t.Fatal(err)
		}
		st, err := c.DescribeCreateAccountStatus(ctx, &organizations.DescribeCreateAccountStatusInput{CreateAccountRequestId: out.CreateAccountStatus.Id})
		if err != nil || st.CreateAccountStatus.AccountId == nil {
			t.Fatalf("account creation: %v %+v", err, st)
		}
		id := st.CreateAccountStatus.AccountId
		must(c.MoveAccount(ctx, &organizations.MoveAccountInput{AccountId: id, SourceParentId: root, DestinationParentId: parent}))
		accounts = append(accounts, id)
	}
	scp, err := c.CreatePolicy(ctx, &organizations.CreatePolicyInput{Type: types.PolicyTypeServiceControlPolicy, Name: aws.String("deny-leave"),
		Description: aws.String("no leaving"), Tags: []types.Tag{{Key: aws.String("owner"), Value: aws.String("platform")}},
		Content: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"organizations:LeaveOrganization","Resource":"*"}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	tagPolicy, err := c.CreatePolicy(ctx, &organizations.CreatePolicyInput{Type: types.PolicyTypeTagPolicy, Name: aws.String("cost-center"),
		Description: aws.String("tags"), Content: aws.String(`{"tags":{"costcenter":{"tag_key":{"@@assign":"CostCenter"}}}}`)})
	if err != nil {
		t.Fatal(err)
	}
	for _, target := range []*string{workloads, accounts[2]} {
		must(c.AttachPolicy(ctx, &organizations.AttachPolicyInput{PolicyId: scp.Policy.PolicySummary.Id, TargetId: target}))
	}
	must(c.AttachPolicy(ctx, &organizations.AttachPolicyInput{PolicyId: tagPolicy.Policy.PolicySummary.Id, TargetId: root}))
	must(c.EnableAWSServiceAccess(ctx, &organizations.EnableAWSServiceAccessInput{ServicePrincipal: aws.String("guardduty.amazonaws.com")}))
	must(c.RegisterDelegatedAdministrator(ctx, &organizations.RegisterDelegatedAdministratorInput{AccountId: accounts[2],
		ServicePrincipal: aws.String("guardduty.amazonaws.com")}))

	m, err := New(source(s.URL, 1000))
	if err != nil {
		t.Fatal(err)
	}
	got, err := m.Read(ctx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var want snapshot.Document
	s.Admin(http.MethodGet, "/_orgd/export", nil, &want)
	if n := len(want.Organizations[0].CreateAccountStatuses); n != 4 || len(want.Roles) == 0 {
		t.Fatalf("the source holds %d create-account statuses and %d roles, want 4 and the accounts' roles", n, len(want.Roles))
	}
	mirror := exported(t, got)
	for _, doc := range []*snapshot.Document{&want, mirror} {
		withoutUnrevealed(doc)
		doc.Roles = nil
		o := &doc.Organizations[0]
		o.CreateAccountStatuses = nil
		slices.SortFunc(o.OUs, func(a, b snapshot.OU) int { return cmp.Compare(a.ID, b.ID) })
		slices.SortFunc(o.Accounts, func(a, b snapshot.Account) int { return cmp.Compare(a.ID, b.ID) })
		slices.SortFunc(o.Policies, func(a, b snapshot.Policy) int { return cmp.Compare(a.ID, b.ID) })
		slices.SortFunc(o.Attachments, func(a, b snapshot.Attachment) int {
			return cmp.Or(cmp.Compare(a.PolicyID, b.PolicyID), cmp.Compare(a.TargetID, b.TargetID))
		})
	}
	wa, err := snapshot.Marshal(&want)
	if err != nil {
		t.Fatal(err)
	}
	gb, err := snapshot.Marshal(mirror)
	if err != nil {
		t.Fatal(err)
	}
	if string(wa) != string(gb) {
		t.Fatalf("the mirror of an organization built through the API differs from it:\n%s", firstDifference(string(wa), string(gb)))
	}
}
