// Package storetest is the conformance suite of org.Store: every implementation runs
// Run from its tests.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/orgd/orgd/internal/org"
)

// Run runs the suite. open must return a fresh, empty store for every call and close it
// with t.Cleanup.
func Run(t *testing.T, open func(t *testing.T) org.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s org.Store)
	}{
		{"Settings", testSettings},
		{"AccountRoundTrip", testAccountRoundTrip},
		{"AccountByEmail", testAccountByEmail},
		{"AccountEmailConflict", testAccountEmailConflict},
		{"ListAccounts", testListAccounts},
		{"CountAccounts", testCountAccounts},
		{"DeleteAccount", testDeleteAccount},
		{"CountClosures", testCountClosures},
		{"Organizations", testOrganizations}, {"ListOrganizations", testListOrganizations},
		{"OURoundTrip", testOURoundTrip},
		{"OUNameConflict", testOUNameConflict},
		{"ListOUs", testListOUs},
		{"CreateAccountRoundTrip", testCreateAccountRoundTrip},
		{"ListCreateAccountRequests", testListCreateAccountRequests},
		{"PolicyRoundTrip", testPolicyRoundTrip},
		{"PolicyNameConflict", testPolicyNameConflict},
		{"ListPolicies", testListPolicies},
		{"CreationOrder", testCreationOrder},
		{"CreationOrderOfLinks", testCreationOrderOfLinks},
		{"PolicyAttachments", testPolicyAttachments},
		{"EnabledPolicyTypes", testEnabledPolicyTypes},
		{"HandshakeRoundTrip", testHandshakeRoundTrip},
		{"HandshakeSeq", testHandshakeSeq},
		{"HandshakeFilters", testHandshakeFilters},
		{"HandshakeRecipientPaging", testHandshakeRecipientPaging},
		{"OpenInvitations", testOpenInvitations},
		{"RecentInvitations", testRecentInvitations},
		{"Tags", testTags},
		{"Outbox", testOutbox},
		{"Reset", testReset},
		{"UpdateRollback", testUpdateRollback},
		{"Panics", testPanics},
		{"ViewSeesCommitted", testViewSeesCommitted},
		{"ServiceAccess", testServiceAccess}, {"DelegatedAdmins", testDelegatedAdmins}, {"ResourcePolicy", testResourcePolicy}, {"Transfers", testTransfers}, {"DelegationReset", testDelegationReset},
		{"Roles", testRoles}, {"Sessions", testSessions},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, open(t))
		})
	}
}

// t0 is a millisecond-precise UTC instant, the precision stores keep.
var t0 = time.Date(2025, 3, 1, 10, 20, 30, 123_000_000, time.UTC)

func update(t *testing.T, s org.Store, fn func(ctx context.Context, tx org.Tx) error) {
	t.Helper()
	ctx := t.Context()
	if err := s.Update(ctx, func(tx org.Tx) error { return fn(ctx, tx) }); err != nil {
		t.Fatalf("Update: %v", err)
	}
}

func view(t *testing.T, s org.Store, fn func(ctx context.Context, tx org.Tx) error) {
	t.Helper()
	ctx := t.Context()
	if err := s.View(ctx, func(tx org.Tx) error { return fn(ctx, tx) }); err != nil {
		t.Fatalf("View: %v", err)
	}
}

func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: error %v, want %v", what, err, target)
	}
}

func must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// Settings.

func testSettings(t *testing.T, s org.Store) {
	view(t, s, func(ctx context.Context, tx org.Tx) error {
		_, err := tx.Setting(ctx, "missing")
		wantErr(t, "Setting(missing)", err, org.ErrNotFound)
		return nil
	})
	update(t, s, func(ctx context.Context, tx org.Tx) error {
		must(t, "PutSetting", tx.PutSetting(ctx, "a", "1"))
		must(t, "PutSetting", tx.PutSetting(ctx, "b", ""))
		must(t, "PutSetting", tx.PutSetting(ctx, "a", "2"))
		return nil
	})
	view(t, s, func(ctx context.Context, tx org.Tx) error {
		for key, want := range map[string]string{"a": "2", "b": ""} {
			got, err := tx.Setting(ctx, key)
			must(t, "Setting", err)
			if got != want {
				t.Errorf("Setting(%s) = %q, want %q", key, got, want)
			}
		}
		return nil
	})
}

// Accounts.

func member(id, email, orgID, parentID string) *org.Account {
	return &org.Account{
		ID: id, Email: email, Name: "name-" + id, SellerOfRecord: org.SellerAWS,
		PaymentInstrument: true, EmailVerified: true,
		OrgID: orgID, ParentID: parentID, JoinedMethod: "INVITED", JoinedAt: t0, State: "ACTIVE",
	}
}

func standalone(id, email string) *org.Account {
	return &org.Account{ID: id, Email: email, Name: "name-" + id, SellerOfRecord: org.SellerAWS, State: "ACTIVE"}
}

func checkAccount(t *testing.T, got, want *org.Account) {
	t.Helper()
	if !got.JoinedAt.Equal(want.JoinedAt) || got.JoinedAt.IsZero() != want.JoinedAt.IsZero() {
		t.Errorf("account %s: JoinedAt %v, want %v", want.ID, got.JoinedAt, want.JoinedAt)
	}
	if !got.ClosedAt.Equal(want.ClosedAt) || got.ClosedAt.IsZero() != want.ClosedAt.IsZero() {
		t.Errorf("account %s: ClosedAt %v, want %v", want.ID, got.ClosedAt, want.ClosedAt)
	}
	g, w := *got, *want
	g.JoinedAt, w.JoinedAt = time.Time{}, time.Time{}
	g.ClosedAt, w.ClosedAt = time.Time{}, time.Time{}
	if g != w {
		t.Errorf("account:\n got %+v\nwant %+v", g, w)
	}
}

func putAccounts(t *testing.T, s org.Store, as ...*org.Account) {
	t.Helper()
	update(t, s, func(ctx context.Context, tx org.Tx) error {
		for _, a := range as {
			must(t, "PutAccount "+a.ID, tx.PutAccount(ctx, a))
		}
		return nil
	})
}

func testAccountRoundTrip(t *testing.T, s org.Store) {
	view(t, s, func(ctx context.Context, tx org.Tx) error {
		_, err := tx.Account(ctx, "111111111111")
		wantErr(t, "Account(missing)", err, org.ErrNotFound)
		return nil
	})
	m := member("111111111111", "Member@Example.com", "o-aaaaaaaaaa", "r-aaaa")
	m.SellerOfRecord, m.PaymentInstrument, m.EmailVerified = org.SellerAISPL, false, true
	m.ClosedAt = t0.Add(time.Hour)
	sa := standalone("222222222222", "solo@example.com")
	sa.PaymentInstrument, sa.State = true, "SUSPENDED"
	putAccounts(t, s, m, sa)
	view(t, s, func(ctx context.Context, tx org.Tx) error {
		for _, want := range []*org.Account{m, sa} {
			got, err := tx.Account(ctx, want.ID)
			must(t, "Account", err)
			checkAccount(t, got, want)
			if !got.JoinedAt.IsZero() && got.JoinedAt.Location() != time.UTC {
				t.Errorf("JoinedAt location %v, want UTC", got.JoinedAt.Location())
			}
		}
		return nil
	})
	// Replacing overwrites every field; leaving the organization clears its fields.
	m2 := *m
	m2.Email, m2.Name, m2.PaymentInstrument, m2.EmailVerified = "new@example.com", "renamed", true, false
	m2.OrgID, m2.ParentID, m2.JoinedMethod, m2.JoinedAt, m2.State = "", "", "", time.Time{}, "ACTIVE"
	m2.ClosedAt = time.Time{}
	putAccounts(t, s, &m2)
	view(t, s, func(ctx context.Context, tx org.Tx) error {
		got, err := tx.Account(ctx, m.ID)
		must(t, "Account", err)
		checkAccount(t, got, &m2)
		return nil
	})
}

func testAccountByEmail(t *testing.T, s org.Store) {
	a := standalone("111111111111", "Alice.Smith@Example.COM")
	b := standalone("222222222222", "bob@example.com")
	putAccounts(t, s, a, b)
	view(t, s, func(ctx context.Context, tx org.Tx) error {
		for _, email := range []string{"Alice.Smith@Example.COM", "alice.smith@example.com", "ALICE.SMITH@EXAMPLE.COM"} {
			got, err := tx.AccountByEmail(ctx, email)
			must(t, "AccountByEmail "+email, err)
			checkAccount(t, got, a)
		}
		got, err := tx.AccountByEmail(ctx, "BOB@example.com")
		must(t, "AccountByEmail", err)
		checkAccount(t, got, b)
		_, err = tx.AccountByEmail(ctx, "carol@example.com")
		wantErr(t, "AccountByEmail(missing)", err, org.ErrNotFound)
		_, err = tx.AccountByEmail(ctx, "")
		wantErr(t, "AccountByEmail(\"\")", err, org.ErrNotFound)
		return nil
	})
	// After a change of address the old one finds nothing.
	a.Email = "alice@example.net"
	putAccounts(t, s, a)
	view(t, s, func(ctx context.Context, tx org.Tx) error {
		_, err := tx.AccountByEmail(ctx, "alice.smith@example.com")
		wantErr(t, "AccountByEmail(old)", err, org.ErrNotFound)
		got, err := tx.AccountByEmail(ctx, "ALICE@example.net")
		must(t, "AccountByEmail(new)", err)
		checkAccount(t, got, a)
		return nil
	})
}

func testAccountEmailConflict(t *testing.T, s org.Store) {
	a := standalone("111111111111", "shared@example.com")
	putAccounts(t, s, a)
	ctx := t.Context()
	b := standalone("222222222222", "SHARED@Example.com")
	err := s.Update(ctx, func(tx org.Tx) error { return tx.PutAccount(ctx, b) })
	wantErr(t, "PutAccount(taken e-mail)", err, org.ErrConflict)
	// Replacing an account with its own e-mail, in any case, is no conflict.
	a.Email, a.Name = "Shared@EXAMPLE.com", "renamed"
	putAccounts(t, s, a)
	// Within one transaction: the conflict fails the put and leaves the rows as they were.
	update(t, s, func(ctx context.Context, tx org.Tx) error {
		wantErr(t, "PutAccount(taken e-mail)", tx.PutAccount(ctx, b), org.ErrConflict)
		_, err := tx.Account(ctx, b.ID)
		wantErr(t, "Account(conflicting)", err, org.ErrNotFound)
		got, err := tx.AccountByEmail(ctx, "shared@example.com")
		must(t, "AccountByEmail", err)
		checkAccount(t, got, a)
		return nil
	})
	// Once a gives the address up, b can take it.
	a.Email = "other@example.com"
	putAccounts(t, s, a, b)
	view(t, s, func(ctx context.Context, tx org.Tx) error {
		got, err := tx.AccountByEmail(ctx, "shared@example.com")
		must(t, "AccountByEmail", err)
		checkAccount(t, got, b)
		return nil
	})
}

func accountIDs(as []org.Account) []string {
	ids := make([]string, len(as))
	for i, a := range as {
		ids[i] = a.ID
	}
	return ids
}

func testListAccounts(t *testing.T, s org.Store) {
	const o1, o2, r1, ou1, r2 = "o-1111111111", "o-2222222222", "r-1111", "ou-1111-11111111", "r-2222"
	// Inserted out of order on purpose.
	accounts := []*org.Account{
		member("000000000009", "a9@example.com", o1, ou1),
		member("000000000003", "a3@example.com", o1, r1),
		member("000000000007", "a7@example.com", o2, r2),
		member("000000000001", "a1@example.com", o1, r1),
		standalone("000000000005", "a5@example.com"),
		member("000000000004", "a4@example.com", o1, ou1),
		member("000000000002", "a2@example.com", o1, r1),
		standalone("000000000008", "a8@example.com"),
		member("000000000006", "a6@example.com", o2, r2),
	}
	putAccounts(t, s, accounts...)
	all := []string{"000000000001", "000000000002", "000000000003", "000000000004", "000000000005",
		"000000000006", "000000000007", "000000000008", "000000000009"}
	cases := []struct {
		q    org.AccountQuery
		want []string
	}{
		{org.AccountQuery{}, all},
		{org.AccountQuery{OrgID: o1}, []string{"000000000001", "000000000002", "000000000003", "000000000004", "000000000009"}},
		{org.AccountQuery{OrgID: o2}, []string{"000000000006", "000000000007"}},
		{org.AccountQuery{OrgID: "o-nonexistent"}, nil},
		{org.AccountQuery{OrgID: o1, ParentID: r1}, []string{"000000000001", "000000000002", "000000000003"}},
		{org.AccountQuery{OrgID: o1, ParentID: ou1}, []string{"000000000004", "000000000009"}},
		{org.AccountQuery{OrgID: o1, ParentID: r2}, nil},
		{org.AccountQuery{OrgID: o1, AfterID: "000000000002"}, []string{"000000000003", "000000000004", "000000000009"}},
		{org.AccountQuery{AfterID: "000000000007"}, []string{"000000000008", "000000000009"}},
		{org.AccountQuery{AfterID: "000000000009"}, nil},
	}
	view(t, s, func(ctx context.Context, tx org.Tx) error {
		for _, c := range cases {
			q := c.q
			q.Limit = 100
			got, err := tx.ListAccounts(ctx, q)
			must(t, "ListAccounts", err)
			if ids := accountIDs(got); !slices.Equal(ids, c.want) {
				t.Errorf("ListAccounts(%+v) = %v, want %v", q, ids, c.want)
			}
			// Paging with AfterID and Limit visits the same accounts.
			for _, limit := range []int{1, 2, 3} {
				var ids []string
				q := c.q
				q.Limit = limit
				for page := 0; ; page++ {
					got, err := tx.ListAccounts(ctx, q)
					must(t, "ListAccounts", err)
					if len(got) > limit {
						t.Fatalf("ListAccounts(%+v) returned %d > Limit", q, len(got))
					}
					ids = append(ids, accountIDs(got)...)
					if len(got) < limit || page > len(all) {
						break
					}
					q.AfterID = got[len(got)-1].ID
				}
				if !slices.Equal(ids, c.want) {
					t.Errorf("ListAccounts(%+v) by pages of %d = %v, want %v", c.q, limit, ids, c.want)
				}
			}
		}
		// Rows come back complete.
		got, err := tx.ListAccounts(ctx, org.AccountQuery{OrgID: o2, Limit: 1})
		must(t, "ListAccounts", err)
		if len(got) != 1 {
			t.Fatalf("ListAccounts: %d accounts, want 1", len(got))
		}
		checkAccount(t, &got[0], accounts[8])
		return nil
	})
}

func testCountAccounts(t *testing.T, s org.Store) {
	const o1, o2 = "o-1111111111", "o-2222222222"
	update(t, s, func(ctx context.Context, tx org.Tx) error {
		for i, o := range []string{o1, o2} {
			must(t, "PutOrganization", tx.PutOrganization(ctx, &org.Organization{ID: o, FeatureSet: "ALL",
				ManagementAccountID: "00000000000" + string(rune('1'+i)), RootID: "r-" + o[2:6], CreatedAt: t0}))
		}
		return nil
	})
	putAccounts(t, s,
		member("000000000001", "a1@example.com", o1, "r-1111"),
		member("000000000002", "a2@example.com", o1, "ou-1111-11111111"),
		member("000000000003", "a3@example.com", o2, "r-2222"),
		standalone("000000000004", "a4@example.com"),
	)
	view(t, s, func(ctx context.Context, tx org.Tx) error {
		for orgID, want := range map[string]int{o1: 2, o2: 1, "o-3333333333": 0} {
			n, err := tx.CountAccounts(ctx, orgID)
			must(t, "CountAccounts", err)
			if n != want {
				t.Errorf("CountAccounts(%s) = %d, want %d", orgID, n, want)
			}
		}
		return nil
	})
	counts := func(step string, want map[string]int) {
		t.Helper()
		view(t, s, func(ctx context.Context, tx org.Tx) error {
			for orgID, w := range want {
				n, err := tx.CountAccounts(ctx, orgID)
				must(t, "CountAccounts", err)
				if n != w {
					t.Errorf("%s: CountAccounts(%q) = %d, want %d", step, orgID, n, w)
				}
			}
			return nil
		})
	}
	// Leaving the organization takes an account out of the count; writing a member again
	// changes nothing; moving to another organization moves the count.
	putAccounts(t, s, standalone("000000000002", "a2@example.com"))
	counts("after leaving", map[string]int{o1: 1, o2: 1, "": 4})
	putAccounts(t, s, member("000000000001", "renamed@example.com", o1, "r-1111"))
	counts("after rewriting a member", map[string]int{o1: 1, o2: 1})
	putAccounts(t, s, member("000000000001", "renamed@example.com", o2, "r-2222"))
	counts("after moving", map[string]int{o1: 0, o2: 2})
}

// testDeleteAccount: a deleted account is gone by id and by e-mail, frees its address, leaves
// the counts and lists, and deleting it again (or one never stored) is ErrNotFound.
func testDeleteAccount(t *testing.T, s org.Store) {
	const o1 = "o-1111111111"
	update(t, s, func(ctx context.Context, tx org.Tx) error {
		return tx.PutOrganization(ctx, &org.Organization{ID: o1, FeatureSet: "ALL",
			ManagementAccountID: "000000000001", RootID: "r-1111", CreatedAt: t0})
	})
	putAccounts(t, s,
		member("000000000001", "m1@example.com", o1, "r-1111"),
		standalone("000000000002", "solo@example.com"),
	)
	// Read first, so that a store keeping rows in memory has them to forget.
	view(t, s, func(ctx context.Context, tx org.Tx) error {
		_, err := tx.Account(ctx, "000000000002")
		must(t, "Account", err)
		return nil
	})
	update(t, s, func(ctx context.Context, tx org.Tx) error {
		must(t, "DeleteAccount(standalone)", tx.DeleteAccount(ctx, "000000000002"))
		_, err := tx.Account(ctx, "000000000002")
		wantErr(t, "Account(deleted) in the transaction", err, org.ErrNotFound)
		return nil
	})
	view(t, s, func(ctx context.Context, tx org.Tx) error {
		_, err := tx.Account(ctx, "000000000002")
		wantErr(t, "Account(deleted)", err, org.ErrNotFound)
		_, err = tx.AccountByEmail(ctx, "solo@example.com")
		wantErr(t, "AccountByEmail(deleted)", err, org.ErrNotFound)
		all, err := tx.ListAccounts(ctx, org.AccountQuery{Limit: 10})
		must(t, "ListAccounts", err)
		if got := accountIDs(all); len(got) != 1 || got[0] != "000000000001" {
			t.Errorf("ListAccounts after deleting = %v, want [000000000001]", got)
		}
		n, err := tx.CountAccounts(ctx, "")
		must(t, "CountAccounts", err)
		if n != 1 {
			t.Errorf("CountAccounts(\"\") = %d, want 1", n)
		}
		return nil
	})
	// The address is free again.
	putAccounts(t, s, standalone("000000000003", "SOLO@example.com"))
	// A member's row goes too (the store knows no rule), and its organization's count with it.
	update(t, s, func(ctx context.Context, tx org.Tx) error {
		must(t, "DeleteAccount(member)", tx.DeleteAccount(ctx, "000000000001"))
		wantErr(t, "DeleteAccount(again)", tx.DeleteAccount(ctx, "000000000001"), org.ErrNotFound)
		wantErr(t, "DeleteAccount(never stored)", tx.DeleteAccount(ctx, "999999999999"), org.ErrNotFound)
		return nil
	})
	view(t, s, func(ctx context.Context, tx org.Tx) error {
		n, err := tx.CountAccounts(ctx, o1)
		must(t, "CountAccounts", err)
		if n != 0 {
			t.Errorf("CountAccounts(%s) after deleting its member = %d, want 0", o1, n)
		}
		members, err := tx.ListAccounts(ctx, org.AccountQuery{OrgID: o1, Limit: 10})
		must(t, "ListAccounts", err)
		if len(members) != 0 {
			t.Errorf("ListAccounts(%s) after deleting its member = %v, want none", o1, accountIDs(members))
		}
		return nil
	})
}

func testCountClosures(t *testing.T, s org.Store) {
	const o1 = "o-1111111111"
	closed := func(id string, at time.Time) *org.Account {
		a := member(id, id+"@example.com", o1, "r-1111")
		a.ClosedAt = at
		return a
	}
	putAccounts(t, s,
		closed("000000000001", t0),
		closed("000000000002", t0.Add(time.Hour)),
		closed("000000000003", t0.Add(2*time.Hour)),
		member("000000000004", "a4@example.com", o1, "r-1111"),
		member("000000000005", "a5@example.com", "o-2222222222", "r-2222"),
	)
	view(t, s, func(ctx context.Context, tx org.Tx) error {
		for since, want := range map[time.Time]int{t0.Add(-time.Second): 3, t0: 2, t0.Add(90 * time.Minute): 1, t0.Add(2 * time.Hour): 0} {
			n, err := tx.CountClosures(ctx, o1, since)
			must(t, "CountClosures", err)
			if n != want {
				t.Errorf("CountClosures(%s, %v) = %d, want %d", o1, since, n, want)
			}
		}
		return nil
	})
}

// Organizations.

func checkOrganization(t *testing.T, got, want *org.Organization) {
	t.Helper()
	if !got.CreatedAt.Equal(want.CreatedAt) {
		t.Errorf("organization %s: CreatedAt %v, want %v", want.ID, got.CreatedAt, want.CreatedAt)
	}
	g, w := *got, *want
	g.CreatedAt, w.CreatedAt = time.Time{}, time.Time{}
	if g != w {
		t.Errorf("organization:\n got %+v\nwant %+v", g, w)
	}
}

func testOrganizations(t *testing.T, s org.Store) {
	o := &org.Organization{ID: "o-1111111111", FeatureSet: "ALL", ManagementAccountID: "111111111111",
		RootID: "r-1111", Partition: "aws", CreatedAt: t0}
	other := &org.Organization{ID: "o-2222222222", FeatureSet: "CONSOLIDATED_BILLING",
		ManagementAccountID: "222222222222", RootID: "r-2222", Partition: "aws-cn", CreatedAt: t0.Add(time.Hour)}
	view(t, s, func(ctx context.Context, tx org.Tx) error {
		_, err := tx.Organization(ctx, o.ID)
		wantErr(t, "Organization(missing)", err, org.ErrNotFound)
		return nil
	})
	update(t, s, func(ctx context.Context, tx org.Tx) error {
		must(t, "PutOrganization", tx.PutOrganization(ctx, o))
		must(t, "PutOrganization", tx.PutOrganization(ctx, other))
		return nil
	})
	view(t, s, func(ctx context.Context, tx org.Tx) error {
		for _, want := range []*org.Organization{o, other} {
			got, err := tx.Organization(ctx, want.ID)
			must(t, "Organization", err)
			checkOrganization(t, got, want)
		}
		return nil
	})
	// Root ids are unique: tags and OU ids hang on them.
	err := s.Update(t.Context(), func(tx org.Tx) error {
		return tx.PutOrganization(t.Context(), &org.Organization{ID: "o-3333333333", FeatureSet: "ALL",
			ManagementAccountID: "333333333333", RootID: o.RootID, CreatedAt: t0})
	})
	wantErr(t, "PutOrganization with a taken root id", err, org.ErrConflict)
	// Every column is replaced, the partition too (the domain never moves one; a store
	// must not keep a stale value for it all the same), and the SCP version, which a
	// cache of SCP levels relies on (issue 12).
	o.FeatureSet, o.Partition, o.SCPVersion = "CONSOLIDATED_BILLING", "aws-us-gov", 7
	update(t, s, func(ctx context.Context, tx org.Tx) error {
		return tx.PutOrganization(ctx, o)
	})
	update(t, s, func(ctx context.Context, tx org.Tx) error {
		got, err := tx.Organization(ctx, o.ID)
		must(t, "Organization", err)
		checkOrganization(t, got, o)
		must(t, "DeleteOrganization", tx.DeleteOrganization(ctx, o.ID))
		_, err = tx.Organization(ctx, o.ID)
		wantErr(t, "Organization(deleted)", err, org.ErrNotFound)
		wantErr(t, "DeleteOrganization(deleted)", tx.DeleteOrganization(ctx, o.ID), org.ErrNotFound)
		wantErr(t, "DeleteOrganization(missing)", tx.DeleteOrganization(ctx, "o-9999999999"), org.ErrNotFound)
		return nil
	})
	view(t, s, func(ctx context.Context, tx org.Tx) error {
		_, err := tx.Organization(ctx, o.ID)
		wantErr(t, "Organization(deleted)", err, org.ErrNotFound)
		got, err := tx.Organization(ctx, other.ID)
		must(t, "Organization(other)", err)
		checkOrganization(t, got, other)
		return nil
	})
}

// Handshakes.

// normResources turns empty nested lists into nil, the normal form stores may return.
func normResources(rs []org.Resource) []org.Resource {
	if len(rs) == 0 {
		return nil
	}
	out := make([]org.Resource, len(rs))
	for i, r := range rs {
		out[i] = r
		out[i].Resources = normResources(r.Resources)
	}
	return out
}

func normHandshake(h org.Handshake) org.Handshake {
	h.RequestedAt, h.ExpiresAt, h.ClosedAt, h.VisibleUntil = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	if len(h.Parties) == 0 {
		h.Parties = nil
	}
	if len(h.Tags) == 0 {
		h.Tags = nil
	}
	h.Resources = normResources(h.Resources)
	return h
}

func checkHandshake(t *testing.T, got, want *org.Handshake) {
	t.Helper()
	for _, f := range []struct {
		name string
		g, w time.Time
	}{
		{"RequestedAt", got.RequestedAt, want.RequestedAt},
		{"ExpiresAt", got.ExpiresAt, want.ExpiresAt},
		{"ClosedAt", got.ClosedAt, want.ClosedAt},
		{"VisibleUntil", got.VisibleUntil, want.VisibleUntil},
	} {
		if !f.g.Equal(f.w) || f.g.IsZero() != f.w.IsZero() {
			t.Errorf("handshake %s: %s %v, want %v", want.ID, f.name, f.g, f.w)
		}
	}
	if g, w := normHandshake(*got), normHandshake(*want); !reflect.DeepEqual(g, w) {
		t.Errorf("handshake:\n got %+v\nwant %+v", g, w)
	}
}

func invitation(id, orgID string) *org.Handshake {
	return &org.Handshake{
		ID: id, OrgID: orgID, ManagementAccountID: "999999999999", Partition: "aws", Action: "INVITE", State: "OPEN",
		RequestedAt: t0, ExpiresAt: t0.Add(15 * 24 * time.Hour), VisibleUntil: t0.Add(45 * 24 * time.Hour),
	}
}

func putHandshakes(t *testing.T, s org.Store, hs ...*org.Handshake) {
	t.Helper()
	update(t, s, func(ctx context.Context, tx org.Tx) error {
		for _, h := range hs {
			must(t, "PutHandshake "+h.ID, tx.PutHandshake(ctx, h))
		}
		return nil
	})
}

func testHandshakeRoundTrip(t *testing.T, s org.Store) {
	view(t, s, func(ctx context.Context, tx org.Tx) error {
		_, err := tx.Handshake(ctx, "h-missing")
		wantErr(t, "Handshake(missing)", err, org.ErrNotFound)
		return nil
	})
	full := invitation("h-0000000001", "o-1111111111")
	full.Partition = "aws-iso-b"
	full.RecipientEmail = "invitee@example.com"
	full.Parties = []org.Party{{ID: "o-1111111111", Type: "ORGANIZATION"}, {ID: "invitee@example.com", Type: "EMAIL"}}
	full.Resources = []org.Resource{
		{Type: "ORGANIZATION", Value: "o-1111111111", Resources: []org.Resource{
			{Type: "MASTER_EMAIL", Value: "boss@example.com"},
			{Type: "MASTER_NAME", Value: "boss"},
			{Type: "ORGANIZATION_FEATURE_SET", Value: "ALL", Resources: []org.Resource{{Type: "NOTES", Value: "deep"}}},
		}},
		{Type: "EMAIL", Value: "invitee@example.com"},
		{Type: "NOTES", Value: "Welcome \"aboard\" — ünïcode ✓"},
	}
	full.Tags = []org.Tag{{Key: "team", Value: "blue"}, {Key: "cost", Value: ""}}
	closed := invitation("h-0000000002", "o-1111111111")
	closed.RecipientAccountID, closed.State = "222222222222", "ACCEPTED"
	closed.ClosedAt, closed.VisibleUntil = t0.Add(time.Hour), t0.Add(time.Hour+30*24*time.Hour)
	child := &org.Handshake{ID: "h-0000000003", OrgID: "o-1111111111", ManagementAccountID: "999999999999",
		Action: "APPROVE_ALL_FEATURES", State: "REQUESTED", RecipientAccountID: "333333333333", ParentID: "h-0000000004",
		RequestedAt: t0, ExpiresAt: t0.Add(90 * 24 * time.Hour), VisibleUntil: t0.Add(120 * 24 * time.Hour),
		Parties: []org.Party{}, Resources: []org.Resource{}, Tags: []org.Tag{}}
	putHandshakes(t, s, full, closed, child)
	view(t, s, func(ctx context.Context, tx org.Tx) error {
		for _, want := range []*org.Handshake{full, closed, child} {
			got, err := tx.Handshake(ctx, want.ID)
			must(t, "Handshake", err)
			checkHandshake(t, got, want)
			if got.RequestedAt.Location() != time.UTC {
				t.Errorf("RequestedAt location %v, want UTC", got.RequestedAt.Location())
			}
		}
		// Lists return the same rows.
		got, err := tx.ListHandshakes(ctx, org.HandshakeQuery{Limit: 10})
		must(t, "ListHandshakes", err)
		if len(got) != 3 {
			t.Fatalf("ListHandshakes: %d handshakes, want 3", len(got))
		}
		for i, want := range []*org.Handshake{full, closed, child} {
			checkHandshake(t, &got[i], want)
		}
		return nil
	})
}

func testHandshakeSeq(t *testing.T, s org.Store) {
	a, b, c := invitation("h-a", "o-1"), invitation("h-b", "o-1"), invitation("h-c", "o-1")
	putHandshakes(t, s, a, b)
	putHandshakes(t, s, c)
	if !(a.Seq > 0 && a.Seq < b.Seq && b.Seq < c.Seq) {
		t.Fatalf("Seqs %d, %d, %d: want increasing and positive", a.Seq, b.Seq, c.Seq)
	}
	// Replacing keeps the Seq, whatever Seq the caller passes, and sets it on the struct.
	want := a.Seq
	a2 := *a
	a2.Seq, a2.State, a2.ClosedAt, a2.VisibleUntil = 0, "CANCELED", t0.Add(time.Minute), t0.Add(30*24*time.Hour)
	a2.Tags = []org.Tag{{Key: "k", Value: "v"}}
	putHandshakes(t, s, &a2)
	if a2.Seq != want {
		t.Errorf("replaced handshake Seq %d, want %d", a2.Seq, want)
	}
	d := invitation("h-d", "o-1")
	putHandshakes(t, s, d)
	if d.Seq <= c.Seq {
		t.Errorf("Seq after a replace %d, want > %d", d.Seq, c.Seq)
	}
	view(t, s, func(ctx context.Context, tx org.Tx) error {
		got, err := tx.Handshake(ctx, "h-a")
		must(t, "Handshake", err)
		checkHandshake(t, got, &a2)
		hs, err := tx.ListHandshakes(ctx, org.HandshakeQuery{Limit: 10})
		must(t, "ListHandshakes", err)
		if ids := handshakeIDs(hs); !slices.Equal(ids, []string{"h-a", "h-b", "h-c", "h-d"}) {
			t.Errorf("ListHandshakes = %v, want the insertion order", ids)
		}
		return nil
	})
}

func handshakeIDs(hs []org.Handshake) []string {
	ids := make([]string, len(hs))
	for i, h := range hs {
		ids[i] = h.ID
	}
	return ids
}

// listAll pages through q with q.Limit = limit, checking each page's bound.
func listAll(t *testing.T, ctx context.Context, tx org.Tx, q org.HandshakeQuery, limit int) []string {
	t.Helper()
	q.Limit = limit
	var ids []string
	for page := 0; page < 1000; page++ {
		hs, err := tx.ListHandshakes(ctx, q)
		must(t, "ListHandshakes", err)
		if len(hs) > limit {
			t.Fatalf("ListHandshakes(%+v) returned %d > Limit", q, len(hs))
		}
		for i, h := range hs {
			if h.Seq <= q.AfterSeq || (i > 0 && h.Seq <= hs[i-1].Seq) {
				t.Fatalf("ListHandshakes(%+v): Seq %d out of order", q, h.Seq)
			}
		}
		ids = append(ids, handshakeIDs(hs)...)
		if len(hs) < limit {
			return ids
		}
		q.AfterSeq = hs[len(hs)-1].Seq
	}
	t.Fatalf("ListHandshakes(%+v) does not end", q)
	return nil
}

func testHandshakeFilters(t *testing.T, s org.Store) {
	const o1, o2, a1, a2, mgmt = "o-1111111111", "o-2222222222", "111111111111", "222222222222", "999999999999"
	const day = 24 * time.Hour
	hs := []*org.Handshake{
		{ID: "h1", OrgID: o1, Action: "INVITE", State: "OPEN", RecipientAccountID: a1,
			RequestedAt: t0, ExpiresAt: t0.Add(10 * day), VisibleUntil: t0.Add(40 * day)},
		{ID: "h2", OrgID: o1, Action: "INVITE", State: "ACCEPTED", RecipientEmail: "b@example.com",
			RequestedAt: t0.Add(time.Hour), ExpiresAt: t0.Add(10*day + time.Hour), ClosedAt: t0.Add(2 * time.Hour), VisibleUntil: t0.Add(32 * day)},
		{ID: "h3", OrgID: o2, Action: "INVITE", State: "OPEN", RecipientAccountID: a1, RecipientEmail: "a1@example.com",
			RequestedAt: t0.Add(2 * time.Hour), ExpiresAt: t0.Add(2 * day), VisibleUntil: t0.Add(32 * day)},
		{ID: "h4", OrgID: o2, Action: "INVITE", State: "OPEN", RecipientEmail: "a1@example.com",
			RequestedAt: t0.Add(3 * time.Hour), ExpiresAt: t0.Add(day), VisibleUntil: t0.Add(31 * day)},
		{ID: "h5", OrgID: o1, Action: "ENABLE_ALL_FEATURES", State: "OPEN", RecipientAccountID: mgmt,
			RequestedAt: t0.Add(4 * time.Hour), ExpiresAt: t0.Add(90 * day), VisibleUntil: t0.Add(120 * day)},
		{ID: "h6", OrgID: o1, Action: "APPROVE_ALL_FEATURES", State: "REQUESTED", RecipientAccountID: a1, ParentID: "h5",
			RequestedAt: t0.Add(5 * time.Hour), ExpiresAt: t0.Add(90 * day), VisibleUntil: t0.Add(120 * day)},
		{ID: "h7", OrgID: o1, Action: "APPROVE_ALL_FEATURES", State: "ACCEPTED", RecipientAccountID: a2, ParentID: "h5",
			RequestedAt: t0.Add(5 * time.Hour), ExpiresAt: t0.Add(90 * day), ClosedAt: t0.Add(6 * time.Hour), VisibleUntil: t0.Add(36 * day)},
		{ID: "h8", OrgID: o1, Action: "INVITE", State: "CANCELED", RecipientAccountID: a2,
			RequestedAt: t0.Add(6 * time.Hour), ExpiresAt: t0.Add(10 * day), ClosedAt: t0.Add(7 * time.Hour), VisibleUntil: t0.Add(7 * time.Hour)},
	}
	for _, h := range hs {
		h.ManagementAccountID, h.Partition = mgmt, "aws"
	}
	// o2 is an organization of aws-cn.
	hs[2].Partition, hs[3].Partition = "aws-cn", "aws-cn"
	putHandshakes(t, s, hs...)
	open := []string{"OPEN", "REQUESTED"}
	cases := []struct {
		name string
		q    org.HandshakeQuery
		want []string
	}{
		{"none", org.HandshakeQuery{}, []string{"h1", "h2", "h3", "h4", "h5", "h6", "h7", "h8"}},
		{"org1", org.HandshakeQuery{OrgID: o1}, []string{"h1", "h2", "h5", "h6", "h7", "h8"}},
		{"org2", org.HandshakeQuery{OrgID: o2}, []string{"h3", "h4"}},
		{"unknown org", org.HandshakeQuery{OrgID: "o-3333333333"}, nil},
		{"recipient account", org.HandshakeQuery{RecipientAccountID: a1}, []string{"h1", "h3", "h6"}},
		{"recipient e-mail", org.HandshakeQuery{RecipientEmail: "a1@example.com"}, []string{"h3", "h4"}},
		{"recipient e-mail any case", org.HandshakeQuery{RecipientEmail: "A1@Example.COM"}, []string{"h3", "h4"}},
		{"recipient account or e-mail", org.HandshakeQuery{RecipientAccountID: a1, RecipientEmail: "A1@example.com"},
			[]string{"h1", "h3", "h4", "h6"}},
		{"recipient or, org2", org.HandshakeQuery{OrgID: o2, RecipientAccountID: a1, RecipientEmail: "a1@example.com"},
			[]string{"h3", "h4"}},
		{"recipient or, open", org.HandshakeQuery{RecipientAccountID: a1, RecipientEmail: "a1@example.com",
			States: open, ExpiresAfter: t0.Add(day + time.Hour), VisibleAfter: t0.Add(day)}, []string{"h1", "h3", "h6"}},
		{"partition", org.HandshakeQuery{Partition: "aws-cn"}, []string{"h3", "h4"}},
		{"partition, none", org.HandshakeQuery{Partition: "aws-us-gov"}, nil},
		{"recipient or, partition", org.HandshakeQuery{RecipientAccountID: a1, RecipientEmail: "a1@example.com", Partition: "aws"},
			[]string{"h1", "h6"}},
		{"recipient or, other partition", org.HandshakeQuery{RecipientAccountID: a1, RecipientEmail: "a1@example.com", Partition: "aws-cn"},
			[]string{"h3", "h4"}},
		{"recipient e-mail, partition", org.HandshakeQuery{RecipientEmail: "a1@example.com", Partition: "aws"}, nil},
		{"recipient or, action", org.HandshakeQuery{RecipientAccountID: a2, RecipientEmail: "b@example.com", Action: "INVITE"},
			[]string{"h2", "h8"}},
		{"action", org.HandshakeQuery{Action: "INVITE"}, []string{"h1", "h2", "h3", "h4", "h8"}},
		{"org and action", org.HandshakeQuery{OrgID: o1, Action: "APPROVE_ALL_FEATURES"}, []string{"h6", "h7"}},
		{"parent", org.HandshakeQuery{ParentID: "h5"}, []string{"h6", "h7"}},
		{"parent and recipient", org.HandshakeQuery{ParentID: "h5", RecipientAccountID: a1}, []string{"h6"}},
		{"parent not accepted", org.HandshakeQuery{ParentID: "h5", NotStates: []string{"ACCEPTED"}}, []string{"h6"}},
		{"states", org.HandshakeQuery{States: []string{"OPEN"}}, []string{"h1", "h3", "h4", "h5"}},
		{"states two", org.HandshakeQuery{States: open}, []string{"h1", "h3", "h4", "h5", "h6"}},
		{"not states", org.HandshakeQuery{NotStates: []string{"ACCEPTED"}}, []string{"h1", "h3", "h4", "h5", "h6", "h8"}},
		{"not states two", org.HandshakeQuery{NotStates: []string{"ACCEPTED", "CANCELED"}}, []string{"h1", "h3", "h4", "h5", "h6"}},
		{"states and not states", org.HandshakeQuery{States: open, NotStates: []string{"REQUESTED"}}, []string{"h1", "h3", "h4", "h5"}},
		{"expires after (strict)", org.HandshakeQuery{ExpiresAfter: t0.Add(day)}, []string{"h1", "h2", "h3", "h5", "h6", "h7", "h8"}},
		{"visible after", org.HandshakeQuery{VisibleAfter: t0.Add(day)}, []string{"h1", "h2", "h3", "h4", "h5", "h6", "h7"}},
		{"visible after (strict)", org.HandshakeQuery{VisibleAfter: t0.Add(7 * time.Hour)}, []string{"h1", "h2", "h3", "h4", "h5", "h6", "h7"}},
		{"open invitations", org.HandshakeQuery{OrgID: o1, Action: "INVITE", States: open, ExpiresAfter: t0.Add(day)}, []string{"h1"}},
		{"open invitations org2 later", org.HandshakeQuery{OrgID: o2, Action: "INVITE", States: open, ExpiresAfter: t0.Add(day + time.Hour)}, []string{"h3"}},
		{"org paged from a visible bound", org.HandshakeQuery{OrgID: o1, VisibleAfter: t0.Add(day), Action: "INVITE"}, []string{"h1", "h2"}},
		{"nothing matches", org.HandshakeQuery{OrgID: o1, RecipientEmail: "a1@example.com"}, nil},
	}
	view(t, s, func(ctx context.Context, tx org.Tx) error {
		for _, c := range cases {
			q := c.q
			q.Limit = 100
			got, err := tx.ListHandshakes(ctx, q)
			must(t, "ListHandshakes", err)
			if ids := handshakeIDs(got); !slices.Equal(ids, c.want) {
				t.Errorf("%s: ListHandshakes = %v, want %v", c.name, ids, c.want)
			}
			for _, limit := range []int{1, 2, 3} {
				if ids := listAll(t, ctx, tx, c.q, limit); !slices.Equal(ids, c.want) {
					t.Errorf("%s: ListHandshakes by pages of %d = %v, want %v", c.name, limit, ids, c.want)
				}
			}
			// AfterSeq starts after a handshake.
			if len(c.want) > 1 {
				q.AfterSeq = got[0].Seq
				after, err := tx.ListHandshakes(ctx, q)
				must(t, "ListHandshakes", err)
				if ids := handshakeIDs(after); !slices.Equal(ids, c.want[1:]) {
					t.Errorf("%s: ListHandshakes after %s = %v, want %v", c.name, got[0].ID, ids, c.want[1:])
				}
			}
			// CountHandshakes ignores AfterSeq and Limit.
			q.AfterSeq, q.Limit = 1<<40, 1
			n, err := tx.CountHandshakes(ctx, q)
			must(t, "CountHandshakes", err)
			if n != len(c.want) {
				t.Errorf("%s: CountHandshakes = %d, want %d", c.name, n, len(c.want))
			}
		}
		return nil
	})
}

// testHandshakeRecipientPaging pages the handshakes an account receives at its id or its
// e-mail when the two sources interleave unevenly and some handshakes match both.
func testHandshakeRecipientPaging(t *testing.T, s org.Store) {
	const me, email = "111111111111", "me@example.com"
	var hs []*org.Handshake
	var want []string
	for i := range 40 {
		h := invitation(fmt.Sprintf("h-%03d", i), "o-1111111111")
		mine := true
		switch {
		case i < 12: // a run of account-targeted ones
			h.RecipientAccountID = me
		case i < 20: // then e-mail ones
			h.RecipientEmail = email
		case i%5 == 0:
			h.RecipientAccountID, h.RecipientEmail = me, email
		case i%5 == 1:
			h.RecipientEmail = email
		case i%5 == 2:
			h.RecipientAccountID = me
		case i%5 == 3:
			h.RecipientAccountID = "222222222222"
			mine = false
		default:
			h.RecipientEmail = "other@example.com"
			mine = false
		}
		if mine {
			want = append(want, h.ID)
		}
		hs = append(hs, h)
	}
	putHandshakes(t, s, hs...)
	q := org.HandshakeQuery{RecipientAccountID: me, RecipientEmail: "Me@Example.com"}
	view(t, s, func(ctx context.Context, tx org.Tx) error {
		for _, limit := range []int{1, 3, 4, 7, 100} {
			if ids := listAll(t, ctx, tx, q, limit); !slices.Equal(ids, want) {
				t.Errorf("pages of %d = %v, want %v", limit, ids, want)
			}
		}
		n, err := tx.CountHandshakes(ctx, q)
		must(t, "CountHandshakes", err)
		if n != len(want) {
			t.Errorf("CountHandshakes = %d, want %d", n, len(want))
		}
		return nil
	})
}

// Tags.

func testTags(t *testing.T, s org.Store) {
	const r1, r2 = "111111111111", "r-1111"
	view(t, s, func(ctx context.Context, tx org.Tx) error {
		tags, err := tx.Tags(ctx, r1, org.ByID)
		must(t, "Tags(none)", err)
		if len(tags) != 0 {
			t.Errorf("Tags of an untagged resource = %v", tags)
		}
		return nil
	})
	check := func(ctx context.Context, tx org.Tx, id string, want []org.Tag, inOrder ...string) {
		t.Helper()
		got, err := tx.Tags(ctx, id, org.ByID)
		must(t, "Tags", err)
		if len(got) != len(want) || (len(want) > 0 && !reflect.DeepEqual(got, want)) {
			t.Errorf("Tags(%s) = %v, want %v", id, got, want)
		}
		// ByCreation: in the order the keys were first put (a new value keeps the place).
		if inOrder != nil {
			got, err := tx.Tags(ctx, id, org.ByCreation)
			must(t, "Tags(ByCreation)", err)
			var keys []string
			for _, tag := range got {
				keys = append(keys, tag.Key)
			}
			if !slices.Equal(keys, inOrder) || len(got) != len(want) {
				t.Errorf("Tags(%s, ByCreation) = %v, want keys %v", id, got, inOrder)
			}
		}
		n, err := tx.CountTags(ctx, id)
		must(t, "CountTags", err)
		if n != len(want) {
			t.Errorf("CountTags(%s) = %d, want %d", id, n, len(want))
		}
	}
	update(t, s, func(ctx context.Context, tx org.Tx) error {
		must(t, "PutTags", tx.PutTags(ctx, r1, []org.Tag{{Key: "zeta", Value: "1"}, {Key: "alpha", Value: "2"}, {Key: "Mid", Value: ""}}))
		must(t, "PutTags", tx.PutTags(ctx, r2, []org.Tag{{Key: "alpha", Value: "root"}}))
		must(t, "PutTags(none)", tx.PutTags(ctx, r2, nil))
		// Within the transaction the writes are visible.
		check(ctx, tx, r1, []org.Tag{{Key: "Mid", Value: ""}, {Key: "alpha", Value: "2"}, {Key: "zeta", Value: "1"}}, "zeta", "alpha", "Mid")
		return nil
	})
	update(t, s, func(ctx context.Context, tx org.Tx) error {
		// Upsert: replaces the value of a key it has, adds the others, keeps the rest.
		return tx.PutTags(ctx, r1, []org.Tag{{Key: "alpha", Value: "changed"}, {Key: "beta", Value: "new"}})
	})
	view(t, s, func(ctx context.Context, tx org.Tx) error {
		check(ctx, tx, r1, []org.Tag{{Key: "Mid", Value: ""}, {Key: "alpha", Value: "changed"}, {Key: "beta", Value: "new"}, {Key: "zeta", Value: "1"}},
			"zeta", "alpha", "Mid", "beta")
		check(ctx, tx, r2, []org.Tag{{Key: "alpha", Value: "root"}})
		return nil
	})
	update(t, s, func(ctx context.Context, tx org.Tx) error {
		must(t, "DeleteTags", tx.DeleteTags(ctx, r1, []string{"alpha", "missing", "ZETA"}))
		must(t, "DeleteTags(none)", tx.DeleteTags(ctx, r1, nil))
		must(t, "DeleteTags(untagged)", tx.DeleteTags(ctx, "r-none", []string{"x"}))
		return nil
	})
	view(t, s, func(ctx context.Context, tx org.Tx) error {
		check(ctx, tx, r1, []org.Tag{{Key: "Mid", Value: ""}, {Key: "beta", Value: "new"}, {Key: "zeta", Value: "1"}}, "zeta", "Mid", "beta")
		check(ctx, tx, r2, []org.Tag{{Key: "alpha", Value: "root"}})
		return nil
	})
	update(t, s, func(ctx context.Context, tx org.Tx) error {
		// A key deleted and put again comes last.
		must(t, "DeleteTags", tx.DeleteTags(ctx, r1, []string{"zeta"}))
		return tx.PutTags(ctx, r1, []org.Tag{{Key: "zeta", Value: "again"}})
	})
	view(t, s, func(ctx context.Context, tx org.Tx) error {
		check(ctx, tx, r1, []org.Tag{{Key: "Mid", Value: ""}, {Key: "beta", Value: "new"}, {Key: "zeta", Value: "again"}}, "Mid", "beta", "zeta")
		return nil
	})
	update(t, s, func(ctx context.Context, tx org.Tx) error {
		must(t, "DeleteAllTags", tx.DeleteAllTags(ctx, r1))
		must(t, "DeleteAllTags(untagged)", tx.DeleteAllTags(ctx, "r-none"))
		return nil
	})
	view(t, s, func(ctx context.Context, tx org.Tx) error {
		check(ctx, tx, r1, nil)
		check(ctx, tx, r2, []org.Tag{{Key: "alpha", Value: "root"}})
		return nil
	})
}

// Outbox.

func checkMessage(t *testing.T, got, want *org.OutboxMessage) {
	t.Helper()
	same := func(a, b time.Time) bool { return a.Equal(b) && a.IsZero() == b.IsZero() }
	if !same(got.CreatedAt, want.CreatedAt) || !same(got.SentAt, want.SentAt) || !same(got.NextAttemptAt, want.NextAttemptAt) {
		t.Errorf("message %d: created/sent/next %v/%v/%v, want %v/%v/%v", want.Seq, got.CreatedAt, got.SentAt, got.NextAttemptAt,
			want.CreatedAt, want.SentAt, want.NextAttemptAt)
	}
	g, w := *got, *want
	g.CreatedAt, g.SentAt, g.NextAttemptAt = time.Time{}, time.Time{}, time.Time{}
	w.CreatedAt, w.SentAt, w.NextAttemptAt = time.Time{}, time.Time{}, time.Time{}
	if g != w {
		t.Errorf("message:\n got %+v\nwant %+v", g, w)
	}
}

func testOutbox(t *testing.T, s org.Store) {
	var ms []*org.OutboxMessage
	for i := range 5 {
		ms = append(ms, &org.OutboxMessage{HandshakeID: fmt.Sprintf("h-%d", i), To: fmt.Sprintf("u%d@example.com", i),
			Subject: "Invitation", Body: "line 1\nline 2 ✓", CreatedAt: t0.Add(time.Duration(i) * time.Minute)})
	}
	update(t, s, func(ctx context.Context, tx org.Tx) error {
		for _, m := range ms[:3] {
			must(t, "AddOutbox", tx.AddOutbox(ctx, m))
		}
		return nil
	})
	update(t, s, func(ctx context.Context, tx org.Tx) error {
		for _, m := range ms[3:] {
			must(t, "AddOutbox", tx.AddOutbox(ctx, m))
		}
		return nil
	})
	for i := 1; i < len(ms); i++ {
		if ms[i].Seq <= ms[i-1].Seq || ms[0].Seq <= 0 {
			t.Fatalf("outbox Seqs not increasing: %d then %d", ms[i-1].Seq, ms[i].Seq)
		}
	}
	view(t, s, func(ctx context.Context, tx org.Tx) error {
		got, err := tx.ListOutbox(ctx, 0, 100)
		must(t, "ListOutbox", err)
		if len(got) != len(ms) {
			t.Fatalf("ListOutbox: %d messages, want %d", len(got), len(ms))
		}
		for i := range ms {
			checkMessage(t, &got[i], ms[i])
		}
		got, err = tx.ListOutbox(ctx, ms[1].Seq, 2)
		must(t, "ListOutbox", err)
		if len(got) != 2 || got[0].Seq != ms[2].Seq || got[1].Seq != ms[3].Seq {
			t.Errorf("ListOutbox(after %d, 2) = %+v, want messages 2 and 3", ms[1].Seq, got)
		}
		got, err = tx.ListOutbox(ctx, ms[4].Seq, 10)
		must(t, "ListOutbox", err)
		if len(got) != 0 {
			t.Errorf("ListOutbox(after the last) = %+v, want none", got)
		}
		return nil
	})
	for _, m := range ms {
		if m.State != org.MailPending || m.Attempts != 0 {
			t.Errorf("AddOutbox left message %d %s after %d attempts, want pending, none", m.Seq, m.State, m.Attempts)
		}
	}

	// Claims take the due pending messages in order and hide them until the lease ends.
	sent := t0.Add(time.Hour)
	lease := sent.Add(time.Minute)
	update(t, s, func(ctx context.Context, tx org.Tx) error {
		got, err := tx.ClaimOutbox(ctx, sent, lease, 2)
		must(t, "ClaimOutbox", err)
		if len(got) != 2 {
			t.Fatalf("ClaimOutbox(2) took %d messages, want 2", len(got))
		}
		for i := range got {
			ms[i].Attempts, ms[i].NextAttemptAt = 1, lease
			checkMessage(t, &got[i], ms[i])
		}
		return nil
	})
	update(t, s, func(ctx context.Context, tx org.Tx) error {
		must(t, "SetDelivery", tx.SetDelivery(ctx, ms[1].Seq, org.Delivery{State: org.MailDelivered, Attempts: 1, LastAnswer: "250 OK", SentAt: sent}))
		wantErr(t, "SetDelivery(unknown)", tx.SetDelivery(ctx, ms[4].Seq+1000, org.Delivery{State: org.MailDelivered}), org.ErrNotFound)
		must(t, "SetDelivery", tx.SetDelivery(ctx, ms[2].Seq, org.Delivery{State: org.MailFailed, Attempts: 1, LastAnswer: "550 no such user"}))
		retry := sent.Add(30 * time.Second)
		must(t, "SetDelivery", tx.SetDelivery(ctx, ms[3].Seq, org.Delivery{State: org.MailPending, Attempts: 1, NextAttemptAt: retry, LastAnswer: "421 busy"}))
		return nil
	})
	ms[1].Delivery = org.Delivery{State: org.MailDelivered, Attempts: 1, LastAnswer: "250 OK", SentAt: sent}
	ms[2].Delivery = org.Delivery{State: org.MailFailed, Attempts: 1, LastAnswer: "550 no such user"}
	ms[3].Delivery = org.Delivery{State: org.MailPending, Attempts: 1, NextAttemptAt: sent.Add(30 * time.Second), LastAnswer: "421 busy"}
	view(t, s, func(ctx context.Context, tx org.Tx) error {
		got, err := tx.ListOutbox(ctx, 0, 10)
		must(t, "ListOutbox", err)
		if len(got) != len(ms) {
			t.Fatalf("ListOutbox: %d messages, want %d", len(got), len(ms))
		}
		for i := range ms {
			checkMessage(t, &got[i], ms[i])
		}
		return nil
	})
	// Before the lease ends only message 4 is due, then message 3 at its retry time; at the
	// lease's end message 0 is due again (its deliverer died); delivered and failed ones never.
	update(t, s, func(ctx context.Context, tx org.Tx) error {
		for _, c := range []struct {
			at       time.Time
			want     *org.OutboxMessage
			attempts int
		}{{sent, ms[4], 1}, {sent.Add(30 * time.Second), ms[3], 2}, {lease, ms[0], 2}} {
			got, err := tx.ClaimOutbox(ctx, c.at, lease.Add(time.Hour), 10)
			must(t, "ClaimOutbox", err)
			if len(got) != 1 || got[0].Seq != c.want.Seq || got[0].Attempts != c.attempts {
				t.Errorf("ClaimOutbox at %v = %+v, want message %d on attempt %d alone", c.at, got, c.want.Seq, c.attempts)
			}
		}
		return nil
	})
}

// Reset, transactions.

func seed(t *testing.T, s org.Store) {
	t.Helper()
	update(t, s, func(ctx context.Context, tx org.Tx) error {
		must(t, "PutSetting", tx.PutSetting(ctx, "k", "v"))
		must(t, "PutAccount", tx.PutAccount(ctx, member("111111111111", "a@example.com", "o-1111111111", "r-1111")))
		must(t, "PutOrganization", tx.PutOrganization(ctx, &org.Organization{ID: "o-1111111111", FeatureSet: "ALL",
			ManagementAccountID: "111111111111", RootID: "r-1111", CreatedAt: t0}))
		must(t, "PutHandshake", tx.PutHandshake(ctx, invitation("h-1", "o-1111111111")))
		must(t, "PutTags", tx.PutTags(ctx, "r-1111", []org.Tag{{Key: "k", Value: "v"}}))
		must(t, "PutOU", tx.PutOU(ctx, ou("ou-1111-aaaaaaaa", "o-1111111111", "r-1111", "Prod", 1)))
		must(t, "PutCreateAccountRequest", tx.PutCreateAccountRequest(ctx, creation("car-1", "o-1111111111", "SUCCEEDED", t0)))
		must(t, "AddOutbox", tx.AddOutbox(ctx, &org.OutboxMessage{HandshakeID: "h-1", To: "a@example.com", CreatedAt: t0}))
		must(t, "PutPolicy", tx.PutPolicy(ctx, policy("p-aaaaaaaa", "o-1111111111", "TAG_POLICY", "Tags")))
		must(t, "PutPolicyAttachment", tx.PutPolicyAttachment(ctx, attachment("o-1111111111", "p-aaaaaaaa", "r-1111", "TAG_POLICY", "ROOT")))
		must(t, "PutEnabledPolicyType", tx.PutEnabledPolicyType(ctx, &org.EnabledPolicyType{OrgID: "o-1111111111",
			RootID: "r-1111", Type: "TAG_POLICY", Status: "ENABLED", EnabledAt: t0}))
		return nil
	})
}

// checkEmpty fails unless every kind of row seed writes is gone.
func checkEmpty(t *testing.T, ctx context.Context, tx org.Tx) {
	t.Helper()
	_, err := tx.Setting(ctx, "k")
	wantErr(t, "Setting", err, org.ErrNotFound)
	_, err = tx.Account(ctx, "111111111111")
	wantErr(t, "Account", err, org.ErrNotFound)
	_, err = tx.AccountByEmail(ctx, "a@example.com")
	wantErr(t, "AccountByEmail", err, org.ErrNotFound)
	_, err = tx.Organization(ctx, "o-1111111111")
	wantErr(t, "Organization", err, org.ErrNotFound)
	_, err = tx.Handshake(ctx, "h-1")
	wantErr(t, "Handshake", err, org.ErrNotFound)
	_, err = tx.OU(ctx, "ou-1111-aaaaaaaa")
	wantErr(t, "OU", err, org.ErrNotFound)
	_, err = tx.CreateAccountRequest(ctx, "car-1")
	wantErr(t, "CreateAccountRequest", err, org.ErrNotFound)
	accts, err := tx.ListAccounts(ctx, org.AccountQuery{Limit: 10})
	must(t, "ListAccounts", err)
	hs, err := tx.ListHandshakes(ctx, org.HandshakeQuery{Limit: 10})
	must(t, "ListHandshakes", err)
	tags, err := tx.Tags(ctx, "r-1111", org.ByID)
	must(t, "Tags", err)
	msgs, err := tx.ListOutbox(ctx, 0, 10)
	must(t, "ListOutbox", err)
	if len(accts)+len(hs)+len(tags)+len(msgs) != 0 {
		t.Errorf("rows left: %d accounts, %d handshakes, %d tags, %d messages", len(accts), len(hs), len(tags), len(msgs))
	}
	_, err = tx.Policy(ctx, "p-aaaaaaaa")
	wantErr(t, "Policy", err, org.ErrNotFound)
	_, err = tx.PolicyAttachment(ctx, "o-1111111111", "p-aaaaaaaa", "r-1111")
	wantErr(t, "PolicyAttachment", err, org.ErrNotFound)
	types, err := tx.EnabledPolicyTypes(ctx, "o-1111111111")
	must(t, "EnabledPolicyTypes", err)
	if len(types) != 0 {
		t.Errorf("enabled policy types left: %+v", types)
	}
}

func testReset(t *testing.T, s org.Store) {
	seed(t, s)
	update(t, s, func(ctx context.Context, tx org.Tx) error { return tx.Reset(ctx) })
	view(t, s, func(ctx context.Context, tx org.Tx) error {
		checkEmpty(t, ctx, tx)
		return nil
	})
	// The store works as before, and the freed e-mail and ids can be taken again.
	seed(t, s)
	view(t, s, func(ctx context.Context, tx org.Tx) error {
		_, err := tx.AccountByEmail(ctx, "A@example.com")
		must(t, "AccountByEmail", err)
		return nil
	})
}

type fnError struct{ msg string }

func (e *fnError) Error() string { return e.msg }

func testUpdateRollback(t *testing.T, s org.Store) {
	ctx := t.Context()
	sentinel := &fnError{"business rule says no"}
	err := s.Update(ctx, func(tx org.Tx) error {
		must(t, "PutSetting", tx.PutSetting(ctx, "k", "v"))
		must(t, "PutAccount", tx.PutAccount(ctx, member("111111111111", "a@example.com", "o-1111111111", "r-1111")))
		must(t, "PutOrganization", tx.PutOrganization(ctx, &org.Organization{ID: "o-1111111111", FeatureSet: "ALL",
			ManagementAccountID: "111111111111", RootID: "r-1111", CreatedAt: t0}))
		must(t, "PutHandshake", tx.PutHandshake(ctx, invitation("h-1", "o-1111111111")))
		must(t, "PutTags", tx.PutTags(ctx, "r-1111", []org.Tag{{Key: "k", Value: "v"}}))
		must(t, "PutOU", tx.PutOU(ctx, ou("ou-1111-aaaaaaaa", "o-1111111111", "r-1111", "Prod", 1)))
		must(t, "PutCreateAccountRequest", tx.PutCreateAccountRequest(ctx, creation("car-1", "o-1111111111", "SUCCEEDED", t0)))
		must(t, "AddOutbox", tx.AddOutbox(ctx, &org.OutboxMessage{HandshakeID: "h-1", To: "a@example.com", CreatedAt: t0}))
		return sentinel
	})
	if err != sentinel {
		t.Fatalf("Update returned %v (%T), want fn's error unchanged", err, err)
	}
	view(t, s, func(ctx context.Context, tx org.Tx) error {
		checkEmpty(t, ctx, tx)
		return nil
	})
	// A wrapped error stays inspectable.
	wrapped := fmt.Errorf("context: %w", org.ErrConflict)
	err = s.Update(ctx, func(tx org.Tx) error {
		must(t, "PutSetting", tx.PutSetting(ctx, "k", "v"))
		return wrapped
	})
	if err != wrapped || !errors.Is(err, org.ErrConflict) {
		t.Fatalf("Update returned %v, want %v", err, wrapped)
	}
	// A rolled-back update leaves earlier commits alone.
	seed(t, s)
	err = s.Update(ctx, func(tx org.Tx) error {
		must(t, "Reset", tx.Reset(ctx))
		return sentinel
	})
	var fe *fnError
	if !errors.As(err, &fe) || fe != sentinel {
		t.Fatalf("Update returned %v, want the fnError", err)
	}
	view(t, s, func(ctx context.Context, tx org.Tx) error {
		v, err := tx.Setting(ctx, "k")
		must(t, "Setting", err)
		if v != "v" {
			t.Errorf("Setting = %q after a rolled-back reset", v)
		}
		_, err = tx.Handshake(ctx, "h-1")
		must(t, "Handshake", err)
		return nil
	})
}

func testViewSeesCommitted(t *testing.T, s org.Store) {
	ctx := t.Context()
	// View returns fn's error as well.
	sentinel := errors.New("view failed")
	if err := s.View(ctx, func(org.Tx) error { return sentinel }); err != sentinel {
		t.Fatalf("View returned %v, want fn's error", err)
	}
	for i := range 3 {
		value := fmt.Sprint(i)
		update(t, s, func(ctx context.Context, tx org.Tx) error { return tx.PutSetting(ctx, "counter", value) })
		view(t, s, func(ctx context.Context, tx org.Tx) error {
			got, err := tx.Setting(ctx, "counter")
			must(t, "Setting", err)
			if got != value {
				t.Errorf("View sees %q after committing %q", got, value)
			}
			return nil
		})
	}
	// Views run concurrently with each other and see the last commit.
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			errs <- s.View(ctx, func(tx org.Tx) error {
				got, err := tx.Setting(ctx, "counter")
				if err == nil && got != "2" {
					err = fmt.Errorf("View sees %q, want 2", got)
				}
				return err
			})
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
