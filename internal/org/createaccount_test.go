package org_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/orgd/orgd/internal/apitest"
	"github.com/orgd/orgd/internal/model"
	"github.com/orgd/orgd/internal/org"
	"github.com/orgd/orgd/internal/server"
)

const caMgmt = "111111111111"

func caCreate(t *testing.T, c *organizations.Client, email, name string) *types.CreateAccountStatus {
	t.Helper()
	out, err := c.CreateAccount(context.Background(), &organizations.CreateAccountInput{
		Email: aws.String(email), AccountName: aws.String(name)})
	if err != nil {
		t.Fatalf("create account %s: %v", email, err)
	}
	return out.CreateAccountStatus
}

func caDescribe(t *testing.T, c *organizations.Client, id *string) *types.CreateAccountStatus {
	t.Helper()
	out, err := c.DescribeCreateAccountStatus(context.Background(), &organizations.DescribeCreateAccountStatusInput{CreateAccountRequestId: id})
	if err != nil {
		t.Fatalf("describe create account status %s: %v", aws.ToString(id), err)
	}
	return out.CreateAccountStatus
}

func TestCreateAccountJoinsTheRootAsCreated(t *testing.T) {
	s := apitest.Start(t)
	s.CreateOrganization(caMgmt)
	c := s.Client(caMgmt)
	ctx := context.Background()
	out, err := c.CreateAccount(ctx, &organizations.CreateAccountInput{
		Email: aws.String("new@example.org"), AccountName: aws.String("Workload"),
		Tags: []types.Tag{{Key: aws.String("env"), Value: aws.String("dev")}}})
	if err != nil {
		t.Fatal(err)
	}
	st := out.CreateAccountStatus
	if !regexp.MustCompile(`^car-[0-9a-f]{32}$`).MatchString(aws.ToString(st.Id)) {
		t.Errorf("Id = %q", aws.ToString(st.Id))
	}
	// CreateAccount answers before the account exists.
	if st.State != types.CreateAccountStateInProgress || aws.ToString(st.AccountName) != "Workload" ||
		st.RequestedTimestamp == nil || st.AccountId != nil || st.CompletedTimestamp != nil {
		t.Errorf("CreateAccount answered %+v", *st)
	}
	done := caDescribe(t, c, st.Id)
	if done.State != types.CreateAccountStateSucceeded || done.CompletedTimestamp == nil || done.FailureReason != "" {
		t.Fatalf("DescribeCreateAccountStatus = %+v", *done)
	}
	id := aws.ToString(done.AccountId)
	if !regexp.MustCompile(`^\d{12}$`).MatchString(id) {
		t.Fatalf("AccountId = %q", id)
	}
	acct, err := c.DescribeAccount(ctx, &organizations.DescribeAccountInput{AccountId: aws.String(id)})
	if err != nil {
		t.Fatal(err)
	}
	a := acct.Account
	if a.JoinedMethod != types.AccountJoinedMethodCreated || aws.ToString(a.Email) != "new@example.org" ||
		aws.ToString(a.Name) != "Workload" || a.State != types.AccountStateActive {
		t.Errorf("DescribeAccount = %+v", *a)
	}
	parents, err := c.ListParents(ctx, &organizations.ListParentsInput{ChildId: aws.String(id)})
	if err != nil {
		t.Fatal(err)
	}
	if len(parents.Parents) != 1 || parents.Parents[0].Type != types.ParentTypeRoot {
		t.Errorf("ListParents = %+v", parents.Parents)
	}
	tags, err := c.ListTagsForResource(ctx, &organizations.ListTagsForResourceInput{ResourceId: aws.String(id)})
	if err != nil {
		t.Fatal(err)
	}
	if len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Key) != "env" || aws.ToString(tags.Tags[0].Value) != "dev" {
		t.Errorf("tags = %+v", tags.Tags)
	}
	// The new account acts as a member of the organization.
	org, err := s.Client(id).DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(org.Organization.MasterAccountId) != caMgmt {
		t.Errorf("the new account sees organization %+v", *org.Organization)
	}
}

func TestCreateAccountFailsWhenTheEmailIsTaken(t *testing.T) {
	s := apitest.Start(t)
	s.CreateOrganization(caMgmt)
	s.Register(map[string]any{"Id": "222222222222", "Email": "taken@example.org"})
	c := s.Client(caMgmt)
	for _, email := range []string{"Taken@Example.org", "333333333333@example.com"} {
		st := caDescribe(t, c, caCreate(t, c, email, "dup").Id)
		if st.State != types.CreateAccountStateFailed || st.FailureReason != types.CreateAccountFailureReasonEmailAlreadyExists ||
			st.AccountId != nil || st.CompletedTimestamp == nil {
			t.Errorf("%s: status %+v, want FAILED EMAIL_ALREADY_EXISTS", email, *st)
		}
	}
	// Two requests for one new address: the first takes it.
	first := caCreate(t, c, "once@example.org", "a")
	second := caCreate(t, c, "once@example.org", "b")
	if st := caDescribe(t, c, first.Id); st.State != types.CreateAccountStateSucceeded {
		t.Errorf("first request %+v", *st)
	}
	if st := caDescribe(t, c, second.Id); st.FailureReason != types.CreateAccountFailureReasonEmailAlreadyExists {
		t.Errorf("second request %+v", *st)
	}
}

func TestCreateAccountIsAsynchronousWithADelay(t *testing.T) {
	s := apitest.Start(t, func(c *server.Config) { c.Org.CreateAccountDelay = time.Hour })
	s.CreateOrganization(caMgmt)
	c := s.Client(caMgmt)
	ctx := context.Background()
	st := caCreate(t, c, "slow@example.org", "slow")
	if got := caDescribe(t, c, st.Id); got.State != types.CreateAccountStateInProgress || got.AccountId != nil {
		t.Fatalf("before the delay: %+v", *got)
	}
	accts, err := c.ListAccounts(ctx, &organizations.ListAccountsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(accts.Accounts) != 1 {
		t.Errorf("ListAccounts before the delay has %d accounts, want the management account only", len(accts.Accounts))
	}
	s.Advance(time.Hour)
	got := caDescribe(t, c, st.Id)
	if got.State != types.CreateAccountStateSucceeded || got.AccountId == nil {
		t.Fatalf("after the delay: %+v", *got)
	}
	if d := got.CompletedTimestamp.Sub(*got.RequestedTimestamp); d != time.Hour {
		t.Errorf("completed %v after it was requested, want 1h", d)
	}
	accts, err = c.ListAccounts(ctx, &organizations.ListAccountsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(accts.Accounts) != 2 {
		t.Errorf("ListAccounts after the delay has %d accounts, want 2", len(accts.Accounts))
	}
}

func TestCreateAccountAllowsFiveInFlight(t *testing.T) {
	s := apitest.Start(t, func(c *server.Config) {
		c.Org.CreateAccountDelay = time.Minute
		c.Org.Quotas = org.DefaultQuotas()
		c.Org.Quotas.MaxAccounts = 20
	})
	s.CreateOrganization(caMgmt)
	c := s.Client(caMgmt)
	for i := range 5 {
		caCreate(t, c, fmt.Sprintf("f%d@example.org", i), "f")
	}
	_, err := c.CreateAccount(context.Background(), &organizations.CreateAccountInput{
		Email: aws.String("f5@example.org"), AccountName: aws.String("f")})
	apitest.RequireCode(t, err, "TooManyRequestsException", "")
	s.Advance(time.Minute)
	caCreate(t, c, "f5@example.org", "f")
}

func TestCreateAccountCountsAgainstTheAccountQuota(t *testing.T) {
	s := apitest.Start(t, apitest.WithQuotas(func(q *org.Quotas) { q.MaxAccounts = 3 }))
	s.CreateOrganization(caMgmt)
	c := s.Client(caMgmt)
	caCreate(t, c, "q1@example.org", "q1")
	s.Invite(caMgmt, "222222222222") // an open invitation counts too
	_, err := c.CreateAccount(context.Background(), &organizations.CreateAccountInput{
		Email: aws.String("q2@example.org"), AccountName: aws.String("q2")})
	apitest.RequireCode(t, err, "ConstraintViolationException", "ACCOUNT_NUMBER_LIMIT_EXCEEDED")
	// Nor may an invitation take the place of an account being created.
	s2 := apitest.Start(t, func(c *server.Config) {
		c.Org.CreateAccountDelay = time.Minute
		c.Org.Quotas = org.DefaultQuotas()
		c.Org.Quotas.MaxAccounts = 2
	})
	s2.CreateOrganization(caMgmt)
	caCreate(t, s2.Client(caMgmt), "q3@example.org", "q3")
	_, err = s2.Client(caMgmt).InviteAccountToOrganization(context.Background(), &organizations.InviteAccountToOrganizationInput{
		Target: &types.HandshakeParty{Type: types.HandshakePartyTypeAccount, Id: aws.String("222222222222")}})
	apitest.RequireCode(t, err, "HandshakeConstraintViolationException", "ACCOUNT_NUMBER_LIMIT_EXCEEDED")
}

func TestCreateAccountRejectsBadTagsWithoutWriting(t *testing.T) {
	s := apitest.Start(t)
	s.CreateOrganization(caMgmt)
	c := s.Client(caMgmt)
	ctx := context.Background()
	_, err := c.CreateAccount(ctx, &organizations.CreateAccountInput{
		Email: aws.String("t@example.org"), AccountName: aws.String("t"),
		Tags: []types.Tag{{Key: aws.String("ok"), Value: aws.String("1")}, {Key: aws.String("aws:bad"), Value: aws.String("2")}}})
	apitest.RequireCode(t, err, "InvalidInputException", "INVALID_SYSTEM_TAGS_PARAMETER")
	list, err := c.ListCreateAccountStatus(ctx, &organizations.ListCreateAccountStatusInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.CreateAccountStatuses) != 0 {
		t.Errorf("a rejected request was recorded: %+v", list.CreateAccountStatuses)
	}
	_, err = c.CreateAccount(ctx, &organizations.CreateAccountInput{
		Email: aws.String("t@example.org"), AccountName: aws.String(strings.Repeat("n", 51))})
	apitest.RequireCode(t, err, "InvalidInputException", "MAX_LENGTH_EXCEEDED")
	_, err = c.CreateAccount(ctx, &organizations.CreateAccountInput{
		Email: aws.String("t@example.org"), AccountName: aws.String("t"), IamUserAccessToBilling: "MAYBE"})
	apitest.RequireCode(t, err, "InvalidInputException", "INVALID_ENUM")
}

func TestCreateAccountIsForTheManagementAccount(t *testing.T) {
	s := apitest.Start(t)
	s.CreateOrganization(caMgmt)
	s.Join(caMgmt, "222222222222")
	ctx := context.Background()
	in := &organizations.CreateAccountInput{Email: aws.String("m@example.org"), AccountName: aws.String("m")}
	_, err := s.Client("222222222222").CreateAccount(ctx, in)
	apitest.RequireCode(t, err, "AccessDeniedException", "")
	_, err = s.Client("333333333333").CreateAccount(ctx, in)
	apitest.RequireCode(t, err, "AWSOrganizationsNotInUseException", "")
	_, err = s.Client("222222222222").ListCreateAccountStatus(ctx, &organizations.ListCreateAccountStatusInput{})
	apitest.RequireCode(t, err, "AccessDeniedException", "")

	s.Register(map[string]any{"Id": caMgmt, "PaymentInstrument": false})
	_, err = s.Client(caMgmt).CreateAccount(ctx, in)
	apitest.RequireCode(t, err, "ConstraintViolationException", "MASTER_ACCOUNT_PAYMENT_INSTRUMENT_REQUIRED")
}

func TestDescribeCreateAccountStatusNotFound(t *testing.T) {
	s := apitest.Start(t)
	s.CreateOrganization(caMgmt)
	s.CreateOrganization("222222222222")
	theirs := caCreate(t, s.Client("222222222222"), "theirs@example.org", "theirs")
	c := s.Client(caMgmt)
	for _, id := range []string{"car-0123456789abcdef0123456789abcdef", aws.ToString(theirs.Id)} {
		_, err := c.DescribeCreateAccountStatus(context.Background(), &organizations.DescribeCreateAccountStatusInput{CreateAccountRequestId: aws.String(id)})
		apitest.RequireCode(t, err, "CreateAccountStatusNotFoundException", "")
	}
}

func TestListCreateAccountStatusFiltersAndPages(t *testing.T) {
	s := apitest.Start(t, apitest.WithQuotas(func(q *org.Quotas) { q.MaxAccounts = 20 }))
	s.CreateOrganization(caMgmt)
	s.Register(map[string]any{"Id": "222222222222", "Email": "taken@example.org"})
	c := s.Client(caMgmt)
	var succeeded []string
	for i := range 5 {
		succeeded = append(succeeded, aws.ToString(caCreate(t, c, fmt.Sprintf("l%d@example.org", i), "l").Id))
	}
	failed := aws.ToString(caCreate(t, c, "taken@example.org", "x").Id)
	list := func(states []types.CreateAccountState) []string {
		t.Helper()
		var ids []string
		p := organizations.NewListCreateAccountStatusPaginator(c, &organizations.ListCreateAccountStatusInput{
			States: states, MaxResults: aws.Int32(2)})
		for p.HasMorePages() {
			out, err := p.NextPage(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			for _, st := range out.CreateAccountStatuses {
				ids = append(ids, aws.ToString(st.Id))
			}
		}
		return ids
	}
	if got, want := list(nil), append(slices.Clone(succeeded), failed); !slices.Equal(got, want) {
		t.Errorf("all requests = %v, want %v", got, want)
	}
	if got := list([]types.CreateAccountState{types.CreateAccountStateSucceeded}); !slices.Equal(got, succeeded) {
		t.Errorf("SUCCEEDED = %v, want %v", got, succeeded)
	}
	if got := list([]types.CreateAccountState{types.CreateAccountStateFailed}); !slices.Equal(got, []string{failed}) {
		t.Errorf("FAILED = %v, want [%s]", got, failed)
	}
	if got := list([]types.CreateAccountState{types.CreateAccountStateInProgress}); len(got) != 0 {
		t.Errorf("IN_PROGRESS = %v, want none", got)
	}
	// A token belongs to its filter.
	out, err := c.ListCreateAccountStatus(context.Background(), &organizations.ListCreateAccountStatusInput{MaxResults: aws.Int32(1)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.ListCreateAccountStatus(context.Background(), &organizations.ListCreateAccountStatusInput{
		States: []types.CreateAccountState{types.CreateAccountStateFailed}, NextToken: out.NextToken})
	apitest.RequireCode(t, err, "InvalidInputException", "INVALID_NEXT_TOKEN")
}

func TestCreateGovCloudAccount(t *testing.T) {
	s := apitest.Start(t)
	s.CreateOrganization(caMgmt)
	c := s.Client(caMgmt)
	out, err := c.CreateGovCloudAccount(context.Background(), &organizations.CreateGovCloudAccountInput{
		Email: aws.String("gov@example.org"), AccountName: aws.String("gov")})
	if err != nil {
		t.Fatal(err)
	}
	st := caDescribe(t, c, out.CreateAccountStatus.Id)
	if st.State != types.CreateAccountStateSucceeded || st.AccountId == nil || st.GovCloudAccountId == nil ||
		aws.ToString(st.AccountId) == aws.ToString(st.GovCloudAccountId) {
		t.Fatalf("status %+v", *st)
	}
	// The GovCloud account is not a member of the organization; the commercial one is.
	_, err = c.DescribeAccount(context.Background(), &organizations.DescribeAccountInput{AccountId: st.GovCloudAccountId})
	apitest.RequireCode(t, err, "AccountNotFoundException", "")
	if _, err := c.DescribeAccount(context.Background(), &organizations.DescribeAccountInput{AccountId: st.AccountId}); err != nil {
		t.Fatal(err)
	}
}

// A request left in progress by a server with a creation delay completes when the database
// is served again without one.
func TestCreateAccountLeftInProgressSettlesAtStart(t *testing.T) {
	db := filepath.Join(t.TempDir(), "orgd.db")
	s := apitest.Start(t, func(c *server.Config) { c.DB, c.Org.CreateAccountDelay = db, time.Hour })
	s.CreateOrganization(caMgmt)
	st := caCreate(t, s.Client(caMgmt), "left@example.org", "left")
	// A second server on the same file, as after a restart.
	s = apitest.Start(t, func(c *server.Config) { c.DB = db })
	got := caDescribe(t, s.Client(caMgmt), st.Id)
	if got.State != types.CreateAccountStateSucceeded || got.AccountId == nil {
		t.Errorf("after a restart without delay: %+v", *got)
	}
}

// CreateGovCloudAccount also makes a standalone GovCloud account whose address is the
// commercial one with govcloud+ in front. That address clashes like the commercial one, in
// both orders: the request fails with EMAIL_ALREADY_EXISTS and creates neither account.
func TestCreateGovCloudAccountCompanionAddressMustBeFree(t *testing.T) {
	s := apitest.Start(t)
	s.CreateOrganization(caMgmt)
	c := s.Client(caMgmt)
	ctx := context.Background()
	requireFailed := func(st *types.CreateAccountStatus) {
		t.Helper()
		if st.State != types.CreateAccountStateFailed || st.FailureReason != types.CreateAccountFailureReasonEmailAlreadyExists ||
			st.AccountId != nil || st.GovCloudAccountId != nil {
			t.Errorf("status %+v, want FAILED EMAIL_ALREADY_EXISTS without accounts", *st)
		}
	}
	members := func() int {
		t.Helper()
		out, err := c.ListAccounts(ctx, &organizations.ListAccountsInput{})
		if err != nil {
			t.Fatal(err)
		}
		return len(out.Accounts)
	}

	// An account already has the companion address (in another case).
	s.Register(map[string]any{"Id": "222222222222", "Email": "GovCloud+Gov@Example.org"})
	out, err := c.CreateGovCloudAccount(ctx, &organizations.CreateGovCloudAccountInput{
		Email: aws.String("gov@example.org"), AccountName: aws.String("gov")})
	if err != nil {
		t.Fatal(err)
	}
	requireFailed(caDescribe(t, c, out.CreateAccountStatus.Id))
	if n := members(); n != 1 {
		t.Errorf("the organization has %d accounts after the failed request, want 1", n)
	}
	// The commercial address stayed free.
	if st := caDescribe(t, c, caCreate(t, c, "gov@example.org", "plain").Id); st.State != types.CreateAccountStateSucceeded {
		t.Errorf("CreateAccount gov@example.org after the failed request: %+v", *st)
	}

	// A GovCloud account made by an earlier request holds the companion address.
	out, err = c.CreateGovCloudAccount(ctx, &organizations.CreateGovCloudAccountInput{
		Email: aws.String("pair@example.org"), AccountName: aws.String("pair")})
	if err != nil {
		t.Fatal(err)
	}
	if st := caDescribe(t, c, out.CreateAccountStatus.Id); st.State != types.CreateAccountStateSucceeded {
		t.Fatalf("CreateGovCloudAccount pair@example.org: %+v", *st)
	}
	requireFailed(caDescribe(t, c, caCreate(t, c, "govcloud+pair@example.org", "clash").Id))
	out, err = c.CreateGovCloudAccount(ctx, &organizations.CreateGovCloudAccountInput{
		Email: aws.String("Pair@Example.org"), AccountName: aws.String("again")})
	if err != nil {
		t.Fatal(err)
	}
	requireFailed(caDescribe(t, c, out.CreateAccountStatus.Id))
	if n := members(); n != 3 {
		t.Errorf("the organization has %d accounts, want 3", n)
	}
}

// Two requests in flight at once, one for an address and one for a GovCloud pair whose
// companion is that address: whichever completes first takes it, the other fails.
func TestCreateGovCloudAccountCompanionAddressClashInFlight(t *testing.T) {
	for _, govFirst := range []bool{true, false} {
		t.Run(fmt.Sprint("GovCloud request first: ", govFirst), func(t *testing.T) {
			s := apitest.Start(t, func(c *server.Config) { c.Org.CreateAccountDelay = time.Hour })
			s.CreateOrganization(caMgmt)
			c := s.Client(caMgmt)
			gov := func() *string {
				out, err := c.CreateGovCloudAccount(context.Background(), &organizations.CreateGovCloudAccountInput{
					Email: aws.String("gov@example.org"), AccountName: aws.String("gov")})
				if err != nil {
					t.Fatal(err)
				}
				return out.CreateAccountStatus.Id
			}
			var first, second *string
			if govFirst {
				first = gov()
				second = caCreate(t, c, "govcloud+gov@example.org", "plain").Id
			} else {
				first = caCreate(t, c, "govcloud+gov@example.org", "plain").Id
				second = gov()
			}
			s.Advance(time.Hour)
			if st := caDescribe(t, c, first); st.State != types.CreateAccountStateSucceeded {
				t.Errorf("first request %+v, want SUCCEEDED", *st)
			}
			if st := caDescribe(t, c, second); st.State != types.CreateAccountStateFailed ||
				st.FailureReason != types.CreateAccountFailureReasonEmailAlreadyExists {
				t.Errorf("second request %+v, want FAILED EMAIL_ALREADY_EXISTS", *st)
			}
		})
	}
}

// The account quota is checked again when a creation completes: accounts that joined while
// it was in progress can fill the organization (here the operator lowered the quota, by
// serving the database again, after the request and the invitation went out). The request
// then fails with ACCOUNT_LIMIT_EXCEEDED and creates no account.
func TestCreateAccountFailsWithAccountLimitExceededWhenItCompletes(t *testing.T) {
	db := filepath.Join(t.TempDir(), "orgd.db")
	before := apitest.Start(t, func(c *server.Config) { c.DB, c.Org.CreateAccountDelay = db, time.Hour })
	before.CreateOrganization(caMgmt)
	st := caCreate(t, before.Client(caMgmt), "late@example.org", "late")
	inv := before.Invite(caMgmt, "222222222222")

	after := apitest.Start(t, func(c *server.Config) {
		c.DB, c.Org.CreateAccountDelay = db, time.Hour
		c.Org.Quotas = org.DefaultQuotas()
		c.Org.Quotas.MaxAccounts = 2
	})
	c := after.Client(caMgmt)
	if _, err := after.Client("222222222222").AcceptHandshake(context.Background(), &organizations.AcceptHandshakeInput{HandshakeId: inv.Id}); err != nil {
		t.Fatalf("accept: %v", err)
	}
	if got := caDescribe(t, c, st.Id); got.State != types.CreateAccountStateInProgress {
		t.Fatalf("before the delay: %+v", *got)
	}
	after.Advance(time.Hour)
	got := caDescribe(t, c, st.Id)
	if got.State != types.CreateAccountStateFailed || got.FailureReason != types.CreateAccountFailureReasonAccountLimitExceeded ||
		got.AccountId != nil || got.CompletedTimestamp == nil {
		t.Fatalf("after the delay: %+v, want FAILED ACCOUNT_LIMIT_EXCEEDED", *got)
	}
	accts, err := c.ListAccounts(context.Background(), &organizations.ListAccountsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(accts.Accounts) != 2 {
		t.Errorf("ListAccounts has %d accounts, want the management account and the invited one", len(accts.Accounts))
	}
}

// CreateAccountWithID (the bootstrap's entry point) keeps the id asked for, settles at once
// even with a creation delay, and applies CreateAccount's rules: only the management account
// may call it, the quota holds, a taken e-mail fails the request, a taken id is refused.
func TestCreateAccountWithIDKeepsTheIDAndCreateAccountsRules(t *testing.T) {
	s := apitest.Start(t, func(c *server.Config) { c.Org.CreateAccountDelay = time.Hour }, apitest.WithQuotas(func(q *org.Quotas) { q.MaxAccounts = 3 }))
	s.CreateOrganization(caMgmt)
	svc := s.Server.Service
	ctx := org.WithCaller(context.Background(), org.Caller{AccountID: caMgmt, AccessKeyID: caMgmt})
	in := func(email string) *model.CreateAccountRequest {
		return &model.CreateAccountRequest{Email: model.Ptr(email), AccountName: model.Ptr("Chosen"),
			Tags: []model.Tag{{Key: model.Ptr("env"), Value: model.Ptr("prod")}}}
	}
	st, err := svc.CreateAccountWithID(ctx, "000000000042", in("chosen@example.org"))
	if err != nil {
		t.Fatal(err)
	}
	if st.State == nil || *st.State != model.CreateAccountStateSucceeded || st.AccountId == nil || *st.AccountId != "000000000042" {
		t.Fatalf("status = %+v", st)
	}
	c := s.Client(caMgmt)
	acct, err := c.DescribeAccount(ctx, &organizations.DescribeAccountInput{AccountId: aws.String("000000000042")})
	if err != nil {
		t.Fatal(err)
	}
	if acct.Account.JoinedMethod != types.AccountJoinedMethodCreated || aws.ToString(acct.Account.Email) != "chosen@example.org" {
		t.Errorf("DescribeAccount = %+v", *acct.Account)
	}
	tags, err := c.ListTagsForResource(ctx, &organizations.ListTagsForResourceInput{ResourceId: aws.String("000000000042")})
	if err != nil || len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Value) != "prod" {
		t.Errorf("tags = %+v, %v", tags, err)
	}
	// The id is taken now, and so is the management account's.
	for _, id := range []string{"000000000042", caMgmt} {
		_, err = svc.CreateAccountWithID(ctx, id, in("other@example.org"))
		caRequireModelCode(t, err, "DuplicateAccountException", "")
	}
	// A taken e-mail fails the request as CreateAccount's would, with AWS's reason.
	st, err = svc.CreateAccountWithID(ctx, "000000000043", in("CHOSEN@example.org"))
	if err != nil || *st.State != model.CreateAccountStateFailed || aws.ToString(st.FailureReason) != model.CreateAccountFailureReasonEmailAlreadyExists {
		t.Errorf("taken e-mail: %+v, %v", st, err)
	}
	// The model's constraints, as the wire would check them.
	_, err = svc.CreateAccountWithID(ctx, "000000000044", &model.CreateAccountRequest{Email: model.Ptr("x"), AccountName: model.Ptr("X")})
	caRequireModelCode(t, err, "InvalidInputException", "MIN_LENGTH_EXCEEDED")
	_, err = svc.CreateAccountWithID(ctx, "12345", in("short@example.org"))
	caRequireModelCode(t, err, "InvalidInputException", "INVALID_PATTERN")
	// The quota: three accounts with the management account.
	if _, err = svc.CreateAccountWithID(ctx, "000000000045", in("third@example.org")); err != nil {
		t.Fatal(err)
	}
	_, err = svc.CreateAccountWithID(ctx, "000000000046", in("fourth@example.org"))
	caRequireModelCode(t, err, "ConstraintViolationException", "ACCOUNT_NUMBER_LIMIT_EXCEEDED")
	// Only the management account may create accounts.
	member := org.WithCaller(context.Background(), org.Caller{AccountID: "000000000042", AccessKeyID: "000000000042"})
	_, err = svc.CreateAccountWithID(member, "000000000047", in("member@example.org"))
	caRequireModelCode(t, err, "AccessDeniedException", "")
}

// caRequireModelCode fails unless err is the domain's error with the code and reason.
func caRequireModelCode(t *testing.T, err error, code, reason string) {
	t.Helper()
	var e *model.Error
	if !errors.As(err, &e) || e.Code != code || e.Reason != reason {
		t.Fatalf("got %v, want %s (%s)", err, code, reason)
	}
}
