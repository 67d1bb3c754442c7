package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/orgd/orgd/internal/org"
)

// putAccountsInOrder is putAccounts in an Update that asks for creation order, as the moto
// profile's do.
func putAccountsInOrder(t *testing.T, s org.Store, as ...*org.Account) {
	t.Helper()
	ctx := org.WithCreationOrder(t.Context())
	err := s.Update(ctx, func(tx org.Tx) error {
		for _, a := range as {
			must(t, "PutAccount "+a.ID, tx.PutAccount(ctx, a))
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
}

// testCreationOrder checks the ByCreation order of ListAccounts, ListOUs and ListPolicies
// (the moto profile's): accounts in the order they joined their organization (a move keeps
// the place, leaving and joining again goes last), OUs and policies in the order they were
// inserted (a replacement keeps the place), each paged on AfterSeq.
func testCreationOrder(t *testing.T, s org.Store) {
	const o1, o2, r1, ou1 = "o-1111111111", "o-2222222222", "r-1111", "ou-1111-11111111"
	// Ids out of order on purpose, so that creation order differs from id order.
	a9, a3, a5 := member("000000000009", "a9@example.com", o1, r1), member("000000000003", "a3@example.com", o1, r1), standalone("000000000005", "a5@example.com")
	a7, a1 := member("000000000007", "a7@example.com", o2, "r-2222"), member("000000000001", "a1@example.com", o1, ou1)
	putAccountsInOrder(t, s, a9, a3, a5, a7)
	putAccountsInOrder(t, s, a1)
	a5.OrgID, a5.ParentID, a5.JoinedMethod, a5.JoinedAt = o1, r1, "INVITED", t0 // joins after a1
	a3.ParentID, a3.Name = ou1, "moved"                                         // keeps its place
	putAccountsInOrder(t, s, a5, a3)
	view(t, s, func(ctx context.Context, tx org.Tx) error {
		got, err := tx.Account(ctx, a5.ID)
		must(t, "Account", err)
		checkAccount(t, got, a5) // PutAccount assigned a5.Seq
		return nil
	})
	checkAccountOrder(t, s, org.AccountQuery{OrgID: o1}, "000000000009", "000000000003", "000000000001", "000000000005")
	checkAccountOrder(t, s, org.AccountQuery{OrgID: o1, ParentID: ou1}, "000000000003", "000000000001")
	checkAccountOrder(t, s, org.AccountQuery{OrgID: o2}, "000000000007")
	// a9 leaves and joins again: it goes last.
	a9.OrgID, a9.ParentID = "", ""
	putAccountsInOrder(t, s, a9)
	checkAccountOrder(t, s, org.AccountQuery{OrgID: o1}, "000000000003", "000000000001", "000000000005")
	a9.OrgID, a9.ParentID = o1, r1
	putAccountsInOrder(t, s, a9)
	checkAccountOrder(t, s, org.AccountQuery{OrgID: o1}, "000000000003", "000000000001", "000000000005", "000000000009")
	checkAccountOrder(t, s, org.AccountQuery{OrgID: o1, ParentID: r1}, "000000000005", "000000000009")

	// Without WithCreationOrder a join leaves the account without a place (Seq 0), so that
	// joins outside the moto profile do not keep the order's indexes; NumberAccounts gives the
	// members without one their places after the others, in the order they joined.
	b2, b4 := member("000000000042", "b2@example.com", o1, r1), member("000000000024", "b4@example.com", o1, r1)
	b2.JoinedAt, b4.JoinedAt = t0.Add(2*time.Second), t0.Add(time.Second)
	putAccounts(t, s, b2, b4)
	if b2.Seq != 0 || b4.Seq != 0 {
		t.Errorf("joined without creation order: Seq %d and %d, want 0", b2.Seq, b4.Seq)
	}
	checkAccountOrder(t, s, org.AccountQuery{OrgID: o1}, "000000000003", "000000000001", "000000000005", "000000000009")
	update(t, s, func(ctx context.Context, tx org.Tx) error { return tx.NumberAccounts(ctx) })
	checkAccountOrder(t, s, org.AccountQuery{OrgID: o1}, "000000000003", "000000000001", "000000000005", "000000000009", "000000000024", "000000000042")
	checkAccountOrder(t, s, org.AccountQuery{OrgID: o1, ParentID: r1}, "000000000005", "000000000009", "000000000024", "000000000042")
	view(t, s, func(ctx context.Context, tx org.Tx) error {
		got, err := tx.Account(ctx, b4.ID)
		must(t, "Account", err)
		if got.Seq == 0 {
			t.Errorf("after NumberAccounts: %s has no place", b4.ID)
		}
		return nil
	})

	update(t, s, func(ctx context.Context, tx org.Tx) error {
		for _, u := range []*org.OU{
			ou("ou-1111-00000004", o1, r1, "d", 1),
			ou("ou-1111-00000002", o1, r1, "b", 1),
			ou("ou-1111-00000003", o1, "ou-1111-00000002", "c", 2),
			ou("ou-1111-00000001", o1, r1, "a", 1),
		} {
			must(t, "PutOU", tx.PutOU(ctx, u))
		}
		// A replacement (UpdateOrganizationalUnit) keeps its place.
		renamed := ou("ou-1111-00000004", o1, r1, "z", 1)
		must(t, "PutOU", tx.PutOU(ctx, renamed))
		got, err := tx.OU(ctx, renamed.ID)
		must(t, "OU", err)
		if *got != *renamed {
			t.Errorf("OU = %+v, want %+v (PutOU assigns Seq)", *got, *renamed)
		}
		return nil
	})
	checkOrder(t, s, "ListOUs", []string{"ou-1111-00000004", "ou-1111-00000002", "ou-1111-00000001"},
		func(ctx context.Context, tx org.Tx, after int64, limit int) ([]string, int64, error) {
			us, err := tx.ListOUs(ctx, org.OUQuery{OrgID: o1, ParentID: r1, Order: org.ByCreation, AfterSeq: after, Limit: limit})
			if err != nil || len(us) == 0 {
				return nil, 0, err
			}
			return ouIDs(us), us[len(us)-1].Seq, nil
		})

	update(t, s, func(ctx context.Context, tx org.Tx) error {
		for _, p := range []*org.Policy{
			policy("p-00000004", o1, "TAG_POLICY", "d"),
			policy("p-00000002", o1, "TAG_POLICY", "b"),
			policy("p-00000003", o1, "SERVICE_CONTROL_POLICY", "c"),
			policy("p-00000001", o1, "TAG_POLICY", "a"),
			policy("p-00000005", o2, "TAG_POLICY", "e"),
		} {
			must(t, "PutPolicy", tx.PutPolicy(ctx, p))
		}
		// An update keeps its place.
		p := policy("p-00000004", o1, "TAG_POLICY", "renamed")
		must(t, "PutPolicy", tx.PutPolicy(ctx, p))
		got, err := tx.Policy(ctx, p.ID)
		must(t, "Policy", err)
		checkPolicy(t, got, p)
		return nil
	})
	checkOrder(t, s, "ListPolicies", []string{"p-00000004", "p-00000002", "p-00000001"},
		func(ctx context.Context, tx org.Tx, after int64, limit int) ([]string, int64, error) {
			ps, err := tx.ListPolicies(ctx, org.PolicyQuery{OrgID: o1, Type: "TAG_POLICY", Order: org.ByCreation, AfterSeq: after, Limit: limit})
			if err != nil || len(ps) == 0 {
				return nil, 0, err
			}
			return policyIDs(ps), ps[len(ps)-1].Seq, nil
		})
}

func checkAccountOrder(t *testing.T, s org.Store, q org.AccountQuery, want ...string) {
	t.Helper()
	q.Order = org.ByCreation
	checkOrder(t, s, "ListAccounts", want, func(ctx context.Context, tx org.Tx, after int64, limit int) ([]string, int64, error) {
		q := q
		q.AfterSeq, q.Limit = after, limit
		as, err := tx.ListAccounts(ctx, q)
		if err != nil || len(as) == 0 {
			return nil, 0, err
		}
		return accountIDs(as), as[len(as)-1].Seq, nil
	})
}

// checkOrder lists whole (Limit 0) and by pages of 1, 2 and 3, each page after the last Seq
// of the one before, and wants the same ids each time.
func checkOrder(t *testing.T, s org.Store, what string, want []string, list func(ctx context.Context, tx org.Tx, after int64, limit int) ([]string, int64, error)) {
	t.Helper()
	view(t, s, func(ctx context.Context, tx org.Tx) error {
		for _, limit := range []int{0, 1, 2, 3} {
			var ids []string
			var after int64
			for page := 0; page <= len(want); page++ {
				got, last, err := list(ctx, tx, after, limit)
				must(t, what, err)
				if limit > 0 && len(got) > limit {
					t.Fatalf("%s: %d rows > Limit %d", what, len(got), limit)
				}
				ids, after = append(ids, got...), last
				if limit == 0 || len(got) < limit {
					break
				}
			}
			if !slices.Equal(ids, want) {
				t.Errorf("%s in creation order, pages of %d: %v, want %v", what, limit, ids, want)
			}
		}
		return nil
	})
}

// testCreationOrderOfLinks checks the ByCreation order of a policy's attachments and of
// delegated administrators (the moto profile's): a policy's targets in the order they were
// attached (detaching and attaching again goes last), an account's registrations in the
// order they were made, and administrators, with or without a service, in the order of their
// account's first registration, kept while the account has any (moto keeps one entry per
// account).
func testCreationOrderOfLinks(t *testing.T, s org.Store) {
	const o1, o2, scp = "o-1111111111", "o-2222222222", "SERVICE_CONTROL_POLICY"
	const p1, root, ou1, a9, a3 = "p-00000001", "r-1111", "ou-1111-00000001", "000000000009", "000000000003"
	first := attachment(o1, p1, a9, scp, "ACCOUNT")
	update(t, s, func(ctx context.Context, tx org.Tx) error {
		for _, a := range []*org.PolicyAttachment{
			first,
			attachment(o1, "p-00000002", root, scp, "ROOT"),
			attachment(o1, p1, root, scp, "ROOT"),
			attachment(o2, p1, "r-2222", scp, "ROOT"),
			attachment(o1, p1, ou1, scp, "ORGANIZATIONAL_UNIT"),
			attachment(o1, p1, a3, scp, "ACCOUNT"),
		} {
			must(t, "PutPolicyAttachment", tx.PutPolicyAttachment(ctx, a))
		}
		got, err := tx.PolicyAttachment(ctx, o1, p1, a9)
		must(t, "PolicyAttachment", err)
		if got.PolicySeq <= 0 || got.PolicySeq != first.PolicySeq {
			t.Errorf("PolicyAttachment PolicySeq %d, PutPolicyAttachment assigned %d", got.PolicySeq, first.PolicySeq)
		}
		return nil
	})
	targets := func(ctx context.Context, tx org.Tx, after int64, limit int) ([]string, int64, error) {
		as, err := tx.ListPolicyAttachments(ctx, org.PolicyAttachmentQuery{OrgID: o1, PolicyID: p1, Order: org.ByCreation, AfterSeq: after, Limit: limit})
		if err != nil || len(as) == 0 {
			return nil, 0, err
		}
		return attachmentTargets(as), as[len(as)-1].PolicySeq, nil
	}
	checkOrder(t, s, "ListPolicyAttachments", []string{a9, root, ou1, a3}, targets)
	update(t, s, func(ctx context.Context, tx org.Tx) error {
		must(t, "DeletePolicyAttachment", tx.DeletePolicyAttachment(ctx, o1, p1, root))
		return tx.PutPolicyAttachment(ctx, attachment(o1, p1, root, scp, "ROOT"))
	})
	checkOrder(t, s, "ListPolicyAttachments", []string{a9, ou1, a3, root}, targets)

	const a5, sso, ram, backup = "000000000005", "sso.amazonaws.com", "ram.amazonaws.com", "backup.amazonaws.com"
	register := func(ds ...org.DelegatedAdmin) {
		t.Helper()
		update(t, s, func(ctx context.Context, tx org.Tx) error {
			for _, d := range ds {
				d.EnabledAt = t0
				must(t, "PutDelegatedAdmin", tx.PutDelegatedAdmin(ctx, &d))
				if d.Seq <= 0 || d.AccountSeq <= 0 {
					t.Errorf("PutDelegatedAdmin(%s, %s) assigned Seq %d, AccountSeq %d", d.AccountID, d.ServicePrincipal, d.Seq, d.AccountSeq)
				}
			}
			return nil
		})
	}
	deregister := func(account string, principals ...string) {
		t.Helper()
		update(t, s, func(ctx context.Context, tx org.Tx) error {
			for _, p := range principals {
				must(t, "DeleteDelegatedAdmin", tx.DeleteDelegatedAdmin(ctx, o1, account, p))
			}
			return nil
		})
	}
	admins := func(principal string, want ...string) {
		t.Helper()
		checkOrder(t, s, "ListDelegatedAdmins "+principal, want, func(ctx context.Context, tx org.Tx, after int64, limit int) ([]string, int64, error) {
			ds, err := tx.ListDelegatedAdmins(ctx, org.DelegatedAdminQuery{OrgID: o1, ServicePrincipal: principal, Order: org.ByCreation, AfterSeq: after, Limit: limit})
			if err != nil || len(ds) == 0 {
				return nil, 0, err
			}
			var ids []string
			for _, d := range ds {
				ids = append(ids, d.AccountID)
			}
			return ids, ds[len(ds)-1].AccountSeq, nil
		})
	}
	services := func(account string, want ...string) {
		t.Helper()
		checkOrder(t, s, "ListDelegatedAdmins of "+account, want, func(ctx context.Context, tx org.Tx, after int64, limit int) ([]string, int64, error) {
			ds, err := tx.ListDelegatedAdmins(ctx, org.DelegatedAdminQuery{OrgID: o1, AccountID: account, Order: org.ByCreation, AfterSeq: after, Limit: limit})
			if err != nil || len(ds) == 0 {
				return nil, 0, err
			}
			var ps []string
			for _, d := range ds {
				ps = append(ps, d.ServicePrincipal)
			}
			return ps, ds[len(ds)-1].Seq, nil
		})
	}
	register(
		org.DelegatedAdmin{OrgID: o1, AccountID: a9, ServicePrincipal: sso},
		org.DelegatedAdmin{OrgID: o1, AccountID: a3, ServicePrincipal: ram},
		org.DelegatedAdmin{OrgID: o2, AccountID: a5, ServicePrincipal: ram},
		org.DelegatedAdmin{OrgID: o1, AccountID: a9, ServicePrincipal: ram},
		org.DelegatedAdmin{OrgID: o1, AccountID: a5, ServicePrincipal: sso},
		org.DelegatedAdmin{OrgID: o1, AccountID: a3, ServicePrincipal: backup},
		org.DelegatedAdmin{OrgID: o1, AccountID: a9, ServicePrincipal: sso}, // a replacement keeps both places
	)
	admins("", a9, a3, a5)
	admins(ram, a9, a3)
	admins(sso, a9, a5)
	services(a9, sso, ram)
	services(a3, ram, backup)
	// a9 keeps its place while it administers anything; its service registered again goes
	// last among its own. a3, once it administers nothing, goes last.
	deregister(a9, sso)
	register(org.DelegatedAdmin{OrgID: o1, AccountID: a9, ServicePrincipal: sso})
	deregister(a3, ram, backup)
	register(org.DelegatedAdmin{OrgID: o1, AccountID: a3, ServicePrincipal: ram})
	admins("", a9, a5, a3)
	admins(ram, a9, a3)
	services(a9, ram, sso)
	services(a3, ram)
}
