package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/smithy-go"

	"github.com/orgd/orgd/internal/apitest"
	"github.com/orgd/orgd/internal/pgtest"
)

// The tests in this file run two orgd processes on one PostgreSQL database, as replicas
// behind a load balancer would, and send the calls of a race to both at once.

const replicaMgmt = "111111111111"

// replicas starts two orgd processes on one fresh PostgreSQL database with the extra
// flags, and returns their URLs.
func replicas(t *testing.T, flags ...string) [2]string {
	t.Helper()
	db := pgtest.URL(t)
	var urls [2]string
	for i := range urls {
		_, urls[i], _ = startChild(t, append([]string{"--db", db}, flags...)...)
	}
	return urls
}

// register registers an account through the admin API of the replica at url.
func register(t *testing.T, url, id string) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"Id": id, "Email": id + "@example.com"})
	resp, err := http.Post(url+"/_orgd/accounts", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("register %s: HTTP %d", id, resp.StatusCode)
	}
}

// race runs n calls at once, the even ones on the first replica and the odd ones on the
// second, and returns each call's error.
func race(urls [2]string, n int, call func(i int, url string) error) []error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = call(i, urls[i%2])
		}()
	}
	close(start)
	wg.Wait()
	return errs
}

// outcome counts the successes of a race and fails t on an error whose code is not one of
// allowed (or whose Reason is not reason, when reason is set).
func outcome(t *testing.T, what string, errs []error, reason string, allowed ...string) int {
	t.Helper()
	won := 0
	for _, err := range errs {
		if err == nil {
			won++
			continue
		}
		var apiErr smithy.APIError
		if !errors.As(err, &apiErr) {
			t.Errorf("%s: %v", what, err)
			continue
		}
		ok := false
		for _, code := range allowed {
			ok = ok || apiErr.ErrorCode() == code
		}
		if !ok {
			t.Errorf("%s: %s (%v), want one of %v", what, apiErr.ErrorCode(), err, allowed)
		} else if got := apitest.Reason(err); reason != "" && got != reason {
			t.Errorf("%s: %v with reason %q, want reason %s", what, err, got, reason)
		}
	}
	return won
}

func replicaRoot(t *testing.T, c *organizations.Client) string {
	t.Helper()
	roots, err := c.ListRoots(context.Background(), &organizations.ListRootsInput{})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(roots.Roots[0].Id)
}

// Many accepts of one invitation, through both replicas: exactly one wins, the others learn
// that the handshake is no longer open.
func TestReplicasOneAcceptWins(t *testing.T) {
	urls := replicas(t)
	const member = "222222222222"
	register(t, urls[0], member)
	ctx := context.Background()
	if _, err := client(urls[0], replicaMgmt).CreateOrganization(ctx, &organizations.CreateOrganizationInput{}); err != nil {
		t.Fatal(err)
	}
	inv, err := client(urls[1], replicaMgmt).InviteAccountToOrganization(ctx, &organizations.InviteAccountToOrganizationInput{
		Target: &types.HandshakeParty{Type: types.HandshakePartyTypeAccount, Id: aws.String(member)}})
	if err != nil {
		t.Fatal(err)
	}
	errs := race(urls, 12, func(_ int, url string) error {
		_, err := client(url, member).AcceptHandshake(ctx, &organizations.AcceptHandshakeInput{HandshakeId: inv.Handshake.Id})
		return err
	})
	if won := outcome(t, "AcceptHandshake", errs, "", "HandshakeAlreadyInStateException", "ConcurrentModificationException"); won != 1 {
		t.Errorf("%d accepts won, want 1", won)
	}
	accts, err := client(urls[1], replicaMgmt).ListAccounts(ctx, &organizations.ListAccountsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(accts.Accounts) != 2 {
		t.Errorf("the organization has %d accounts after the race, want 2", len(accts.Accounts))
	}
}

// Invitations sent at once through both replicas never exceed the account quota (members
// and open invitations), nor the daily invitation limit.
func TestReplicasInvitationsKeepQuotas(t *testing.T) {
	// 4 accounts (the management account and 3 more), 5 invitations a day.
	urls := replicas(t, "--max-accounts", "4", "--invitations-per-day", "5")
	ctx := context.Background()
	mgmt := client(urls[0], replicaMgmt)
	if _, err := mgmt.CreateOrganization(ctx, &organizations.CreateOrganizationInput{}); err != nil {
		t.Fatal(err)
	}
	invite := func(round int) []error {
		return race(urls, 12, func(i int, url string) error {
			target := fmt.Sprintf("3%02d%09d", round, i)
			_, err := client(url, replicaMgmt).InviteAccountToOrganization(ctx, &organizations.InviteAccountToOrganizationInput{
				Target: &types.HandshakeParty{Type: types.HandshakePartyTypeAccount, Id: aws.String(target)}})
			return err
		})
	}
	// The quota binds first: room for 3 open invitations.
	if won := outcome(t, "invitations within the account quota", invite(1), "ACCOUNT_NUMBER_LIMIT_EXCEEDED", "HandshakeConstraintViolationException"); won != 3 {
		t.Errorf("%d invitations sent, want 3 (4 accounts, the management account among them)", won)
	}
	open, err := mgmt.ListHandshakesForOrganization(ctx, &organizations.ListHandshakesForOrganizationInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range open.Handshakes {
		if _, err := mgmt.CancelHandshake(ctx, &organizations.CancelHandshakeInput{HandshakeId: h.Id}); err != nil {
			t.Fatal(err)
		}
	}
	// With the invitations canceled the quota has room for 3 again, but 3 of the day's 5
	// are spent: the daily limit binds.
	if won := outcome(t, "invitations within the daily limit", invite(2), "HANDSHAKE_RATE_LIMIT_EXCEEDED", "HandshakeConstraintViolationException"); won != 2 {
		t.Errorf("%d invitations sent, want 2 (5 a day, 3 sent before)", won)
	}
}

// Moves of one account from the root to different OUs at once: one wins, and the account
// ends under exactly one parent, the winner's destination.
func TestReplicasMoveAccountOnce(t *testing.T) {
	urls := replicas(t)
	const member = "222222222222"
	register(t, urls[0], member)
	ctx := context.Background()
	mgmt := client(urls[0], replicaMgmt)
	if _, err := mgmt.CreateOrganization(ctx, &organizations.CreateOrganizationInput{}); err != nil {
		t.Fatal(err)
	}
	root := replicaRoot(t, mgmt)
	inv, err := mgmt.InviteAccountToOrganization(ctx, &organizations.InviteAccountToOrganizationInput{
		Target: &types.HandshakeParty{Type: types.HandshakePartyTypeAccount, Id: aws.String(member)}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client(urls[1], member).AcceptHandshake(ctx, &organizations.AcceptHandshakeInput{HandshakeId: inv.Handshake.Id}); err != nil {
		t.Fatal(err)
	}
	const n = 8
	ous := make([]string, n)
	for i := range ous {
		ou, err := mgmt.CreateOrganizationalUnit(ctx, &organizations.CreateOrganizationalUnitInput{ParentId: &root, Name: aws.String(fmt.Sprint("ou", i))})
		if err != nil {
			t.Fatal(err)
		}
		ous[i] = aws.ToString(ou.OrganizationalUnit.Id)
	}
	var mu sync.Mutex
	winner := ""
	errs := race(urls, n, func(i int, url string) error {
		_, err := client(url, replicaMgmt).MoveAccount(ctx, &organizations.MoveAccountInput{
			AccountId: aws.String(member), SourceParentId: &root, DestinationParentId: &ous[i]})
		if err == nil {
			mu.Lock()
			winner = ous[i]
			mu.Unlock()
		}
		return err
	})
	if won := outcome(t, "MoveAccount", errs, "", "AccountNotFoundException", "ConcurrentModificationException"); won != 1 {
		t.Fatalf("%d moves won, want 1", won)
	}
	parents, err := client(urls[1], replicaMgmt).ListParents(ctx, &organizations.ListParentsInput{ChildId: aws.String(member)})
	if err != nil {
		t.Fatal(err)
	}
	if len(parents.Parents) != 1 || aws.ToString(parents.Parents[0].Id) != winner {
		t.Errorf("parents after the race: %+v, want only %s", parents.Parents, winner)
	}
	found := 0
	for _, p := range append([]string{root}, ous...) {
		under, err := mgmt.ListAccountsForParent(ctx, &organizations.ListAccountsForParentInput{ParentId: aws.String(p)})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range under.Accounts {
			if aws.ToString(a.Id) == member {
				found++
			}
		}
	}
	if found != 1 {
		t.Errorf("the account is listed under %d parents, want 1", found)
	}
}

// OUs of one name created at once under one parent: one is made.
func TestReplicasCreateOUOnce(t *testing.T) {
	urls := replicas(t)
	ctx := context.Background()
	mgmt := client(urls[0], replicaMgmt)
	if _, err := mgmt.CreateOrganization(ctx, &organizations.CreateOrganizationInput{}); err != nil {
		t.Fatal(err)
	}
	root := replicaRoot(t, mgmt)
	errs := race(urls, 10, func(_ int, url string) error {
		_, err := client(url, replicaMgmt).CreateOrganizationalUnit(ctx, &organizations.CreateOrganizationalUnitInput{
			ParentId: &root, Name: aws.String("Security")})
		return err
	})
	if won := outcome(t, "CreateOrganizationalUnit", errs, "", "DuplicateOrganizationalUnitException", "ConcurrentModificationException"); won != 1 {
		t.Errorf("%d creations won, want 1", won)
	}
	ous, err := client(urls[1], replicaMgmt).ListOrganizationalUnitsForParent(ctx, &organizations.ListOrganizationalUnitsForParentInput{ParentId: &root})
	if err != nil {
		t.Fatal(err)
	}
	if len(ous.OrganizationalUnits) != 1 {
		t.Errorf("%d OUs after the race, want 1", len(ous.OrganizationalUnits))
	}
}

// What one replica writes, the other reads at once: accounts registered through the admin
// API, the admin clock, the outbox, and the pages of a list (its NextToken is signed with a
// key both share).
func TestReplicasShareState(t *testing.T) {
	urls := replicas(t)
	ctx := context.Background()
	for i := range 3 {
		register(t, urls[0], fmt.Sprintf("2222222222%02d", i))
	}
	mgmt := [2]*organizations.Client{client(urls[0], replicaMgmt), client(urls[1], replicaMgmt)}
	if _, err := mgmt[1].CreateOrganization(ctx, &organizations.CreateOrganizationInput{}); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		id := fmt.Sprintf("2222222222%02d", i)
		if _, err := mgmt[i%2].InviteAccountToOrganization(ctx, &organizations.InviteAccountToOrganizationInput{
			Target: &types.HandshakeParty{Type: types.HandshakePartyTypeEmail, Id: aws.String(id + "@example.com")}}); err != nil {
			t.Fatalf("invite %s by e-mail (registered through the other replica): %v", id, err)
		}
	}
	// Pages: the first from one replica, the rest from the other.
	var ids []string
	page, err := mgmt[0].ListHandshakesForOrganization(ctx, &organizations.ListHandshakesForOrganizationInput{MaxResults: aws.Int32(2)})
	for err == nil {
		for _, h := range page.Handshakes {
			ids = append(ids, aws.ToString(h.Id))
		}
		if page.NextToken == nil {
			break
		}
		page, err = mgmt[1].ListHandshakesForOrganization(ctx, &organizations.ListHandshakesForOrganizationInput{MaxResults: aws.Int32(2), NextToken: page.NextToken})
	}
	if err != nil || len(ids) != 3 {
		t.Errorf("paging across replicas: %v, %d handshakes, want 3", err, len(ids))
	}
	// The invitation e-mails, written by both, are in one outbox.
	var outbox struct{ Messages []json.RawMessage }
	getJSON(t, urls[0]+"/_orgd/outbox", &outbox)
	if len(outbox.Messages) != 3 {
		t.Errorf("the outbox read through one replica holds %d messages, want 3", len(outbox.Messages))
	}
	// The clock advanced through one replica has moved for the other.
	resp, err := http.Post(urls[0]+"/_orgd/clock", "application/json", bytes.NewReader([]byte(`{"Advance":"360h"}`)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("advance the clock: HTTP %d", resp.StatusCode)
	}
	h, err := mgmt[1].DescribeHandshake(ctx, &organizations.DescribeHandshakeInput{HandshakeId: aws.String(ids[0])})
	if err != nil {
		t.Fatal(err)
	}
	if h.Handshake.State != types.HandshakeStateExpired {
		t.Errorf("after 15 days on the other replica's clock the invitation is %s, want EXPIRED", h.Handshake.State)
	}
}

func getJSON(t *testing.T, url string, out any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: HTTP %d", url, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}
