package storetest

import (
	"context"
	"slices"
	"testing"

	"github.com/orgd/orgd/internal/org"
)

// testCreationOrder checks the ByCreation order of ListAccounts, ListOUs and ListPolicies
// (the moto profile's): accounts in the order they joined their organization (a move keeps
// the place, leaving and joining again goes last), OUs and policies in the order they were
// inserted (a replacement keeps the place), each paged on AfterSeq.
func testCreationOrder(t *testing.T, s org.Store) {
	const o1, o2, r1, ou1 = "o-1111111111", "o-2222222222", "r-1111", "ou-1111-11111111"
	// Ids out of order on purpose, so that creation order differs from id order.
	a9, a3, a5 := member("000000000009", "a9@example.com", o1, r1), member("000000000003", "a3@example.com", o1, r1), standalone("000000000005", "a5@example.com")
	a7, a1 := member("000000000007", "a7@example.com", o2, "r-2222"), member("000000000001", "a1@example.com", o1, ou1)
	putAccounts(t, s, a9, a3, a5, a7)
	putAccounts(t, s, a1)
	a5.OrgID, a5.ParentID, a5.JoinedMethod, a5.JoinedAt = o1, r1, "INVITED", t0 // joins after a1
	a3.ParentID, a3.Name = ou1, "moved"                                         // keeps its place
	putAccounts(t, s, a5, a3)
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
	putAccounts(t, s, a9)
	checkAccountOrder(t, s, org.AccountQuery{OrgID: o1}, "000000000003", "000000000001", "000000000005")
	a9.OrgID, a9.ParentID = o1, r1
	putAccounts(t, s, a9)
	checkAccountOrder(t, s, org.AccountQuery{OrgID: o1}, "000000000003", "000000000001", "000000000005", "000000000009")
	checkAccountOrder(t, s, org.AccountQuery{OrgID: o1, ParentID: r1}, "000000000005", "000000000009")

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
