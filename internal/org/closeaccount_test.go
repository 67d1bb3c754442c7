package org_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/orgd/orgd/internal/apitest"
	"github.com/orgd/orgd/internal/org"
	"github.com/orgd/orgd/internal/server"
)

const clMgmt = "111111111111"

func clState(t *testing.T, c *organizations.Client, id string) (types.AccountState, types.AccountStatus) {
	t.Helper()
	out, err := c.DescribeAccount(context.Background(), &organizations.DescribeAccountInput{AccountId: aws.String(id)})
	if err != nil {
		t.Fatalf("describe %s: %v", id, err)
	}
	return out.Account.State, out.Account.Status
}

func clClose(c *organizations.Client, id string) error {
	_, err := c.CloseAccount(context.Background(), &organizations.CloseAccountInput{AccountId: aws.String(id)})
	return err
}

func TestCloseAccountMovesThroughPendingClosureSuspendedClosed(t *testing.T) {
	s := apitest.Start(t, func(c *server.Config) { c.Org.CloseAccountDelay = 10 * time.Minute })
	s.CreateOrganization(clMgmt)
	s.Join(clMgmt, "222222222222")
	c := s.Client(clMgmt)
	if err := clClose(c, "222222222222"); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		advance time.Duration
		state   types.AccountState
		status  types.AccountStatus
	}{
		{0, types.AccountStatePendingClosure, types.AccountStatusPendingClosure},
		{10*time.Minute + time.Second, types.AccountStateSuspended, types.AccountStatusSuspended},
		{89 * 24 * time.Hour, types.AccountStateSuspended, types.AccountStatusSuspended},
		{24 * time.Hour, types.AccountStateClosed, ""}, // Status has no CLOSED value
	}
	for _, st := range steps {
		s.Advance(st.advance)
		state, status := clState(t, c, "222222222222")
		if state != st.state || status != st.status {
			t.Errorf("after +%v: State %s Status %q, want %s %q", st.advance, state, status, st.state, st.status)
		}
	}
	// A closed account is still listed, and still counts as a member.
	accts, err := c.ListAccounts(context.Background(), &organizations.ListAccountsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(accts.Accounts) != 2 {
		t.Errorf("ListAccounts lists %d accounts, want 2", len(accts.Accounts))
	}
}

func TestCloseAccountSuspendsAtOnceByDefault(t *testing.T) {
	s := apitest.Start(t)
	s.CreateOrganization(clMgmt)
	s.Join(clMgmt, "222222222222")
	c := s.Client(clMgmt)
	if err := clClose(c, "222222222222"); err != nil {
		t.Fatal(err)
	}
	if state, _ := clState(t, c, "222222222222"); state != types.AccountStateSuspended {
		t.Errorf("State %s, want SUSPENDED", state)
	}
}

func TestCloseAccountErrors(t *testing.T) {
	s := apitest.Start(t)
	s.CreateOrganization(clMgmt)
	s.Join(clMgmt, "222222222222")
	s.Join(clMgmt, "333333333333")
	c := s.Client(clMgmt)
	apitest.RequireCode(t, clClose(c, clMgmt), "ConstraintViolationException", "CANNOT_CLOSE_MANAGEMENT_ACCOUNT")
	apitest.RequireCode(t, clClose(c, "444444444444"), "AccountNotFoundException", "")
	apitest.RequireCode(t, clClose(s.Client("333333333333"), "222222222222"), "AccessDeniedException", "")
	apitest.RequireCode(t, clClose(s.Client("555555555555"), "222222222222"), "AWSOrganizationsNotInUseException", "")
	if err := clClose(c, "222222222222"); err != nil {
		t.Fatal(err)
	}
	apitest.RequireCode(t, clClose(c, "222222222222"), "AccountAlreadyClosedException", "")
}

func TestCloseAccountAllowsThreeInProgress(t *testing.T) {
	s := apitest.Start(t, func(c *server.Config) { c.Org.CloseAccountDelay = time.Hour })
	s.CreateOrganization(clMgmt)
	ids := []string{"222222222222", "333333333333", "444444444444", "555555555555"}
	for _, id := range ids {
		s.Join(clMgmt, id)
	}
	c := s.Client(clMgmt)
	for _, id := range ids[:3] {
		if err := clClose(c, id); err != nil {
			t.Fatal(err)
		}
	}
	apitest.RequireCode(t, clClose(c, ids[3]), "ConstraintViolationException", "CLOSE_ACCOUNT_REQUESTS_LIMIT_EXCEEDED")
	s.Advance(time.Hour + time.Second)
	if err := clClose(c, ids[3]); err != nil {
		t.Fatalf("after the first closures finished: %v", err)
	}
}

func TestCloseAccountQuotaIs250In30Days(t *testing.T) {
	s := apitest.Start(t, apitest.WithQuotas(func(q *org.Quotas) { q.MaxAccounts = 300 }))
	s.CreateOrganization(clMgmt)
	c := s.Client(clMgmt)
	ctx := context.Background()
	var ids []string
	for i := range 251 {
		st, err := c.CreateAccount(ctx, &organizations.CreateAccountInput{
			Email: aws.String(fmt.Sprintf("c%d@example.org", i)), AccountName: aws.String("c")})
		if err != nil {
			t.Fatal(err)
		}
		done, err := c.DescribeCreateAccountStatus(ctx, &organizations.DescribeCreateAccountStatusInput{CreateAccountRequestId: st.CreateAccountStatus.Id})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, aws.ToString(done.CreateAccountStatus.AccountId))
	}
	for _, id := range ids[:250] {
		if err := clClose(c, id); err != nil {
			t.Fatalf("close %s: %v", id, err)
		}
	}
	apitest.RequireCode(t, clClose(c, ids[250]), "ConstraintViolationException", "CLOSE_ACCOUNT_QUOTA_EXCEEDED")
	s.Advance(30 * 24 * time.Hour)
	if err := clClose(c, ids[250]); err != nil {
		t.Fatalf("30 days later: %v", err)
	}
}

// clMembers starts a server with the closure quota's bounds and an organization of n
// accounts, the management account included; it returns the member ids.
func clMembers(t *testing.T, n, minClosures, maxClosures int) (*apitest.Server, []string) {
	t.Helper()
	s := apitest.Start(t, apitest.WithQuotas(func(q *org.Quotas) {
		q.MaxAccounts, q.MinClosuresPer30Days, q.MaxClosuresPer30Days = n, minClosures, maxClosures
	}))
	s.CreateOrganization(clMgmt)
	ids := make([]string, n-1)
	for i := range ids {
		ids[i] = fmt.Sprintf("2%011d", i)
		s.Join(clMgmt, ids[i])
	}
	return s, ids
}

// The closure quota is a fifth of the members in any 30 days, within its bounds (AWS: at
// least 250, at most 1,000; TestCloseAccountQuotaIs250In30Days tests the floor itself).
func TestCloseAccountQuotaIsAFifthOfTheMembers(t *testing.T) {
	for _, tc := range []struct {
		name                   string
		members, min, max, may int
	}{
		{"above the floor", 15, 2, 1000, 3},
		{"at most the cap", 25, 2, 3, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, ids := clMembers(t, tc.members, tc.min, tc.max)
			c := s.Client(clMgmt)
			for _, id := range ids[:tc.may] {
				if err := clClose(c, id); err != nil {
					t.Fatalf("close %s: %v", id, err)
				}
			}
			apitest.RequireCode(t, clClose(c, ids[tc.may]), "ConstraintViolationException", "CLOSE_ACCOUNT_QUOTA_EXCEEDED")
			if state, _ := clState(t, c, ids[tc.may]); state != types.AccountStateActive {
				t.Errorf("the refused account is %s, want ACTIVE", state)
			}
			s.Advance(30 * 24 * time.Hour)
			if err := clClose(c, ids[tc.may]); err != nil {
				t.Fatalf("30 days later: %v", err)
			}
		})
	}
}

func TestCreatedAccountMustWaitFourDaysToLeave(t *testing.T) {
	s := apitest.Start(t)
	s.CreateOrganization(clMgmt)
	c := s.Client(clMgmt)
	ctx := context.Background()
	st, err := c.CreateAccount(ctx, &organizations.CreateAccountInput{Email: aws.String("w@example.org"), AccountName: aws.String("w")})
	if err != nil {
		t.Fatal(err)
	}
	done, err := c.DescribeCreateAccountStatus(ctx, &organizations.DescribeCreateAccountStatusInput{CreateAccountRequestId: st.CreateAccountStatus.Id})
	if err != nil {
		t.Fatal(err)
	}
	id := done.CreateAccountStatus.AccountId
	_, err = c.RemoveAccountFromOrganization(ctx, &organizations.RemoveAccountFromOrganizationInput{AccountId: id})
	apitest.RequireCode(t, err, "ConstraintViolationException", "WAIT_PERIOD_ACTIVE")
	_, err = s.Client(aws.ToString(id)).LeaveOrganization(ctx, &organizations.LeaveOrganizationInput{})
	apitest.RequireCode(t, err, "ConstraintViolationException", "WAIT_PERIOD_ACTIVE")
	s.Advance(4*24*time.Hour + time.Second)
	if _, err := c.RemoveAccountFromOrganization(ctx, &organizations.RemoveAccountFromOrganizationInput{AccountId: id}); err != nil {
		t.Fatalf("after 4 days: %v", err)
	}
}
