package storetest

import (
	"context"
	"slices"
	"testing"

	"github.com/orgd/orgd/internal/org"
)

func ou(id, orgID, parentID, name string, depth int) *org.OU {
	return &org.OU{ID: id, OrgID: orgID, ParentID: parentID, Name: name,
		Path: orgID + "/" + parentID + "/" + id + "/", Depth: depth, CreatedAt: t0}
}

func ouIDs(us []org.OU) []string {
	ids := make([]string, len(us))
	for i, u := range us {
		ids[i] = u.ID
	}
	return ids
}

func testOURoundTrip(t *testing.T, s org.Store) {
	want := ou("ou-1111-aaaaaaaa", "o-1111111111", "r-1111", "Engineering", 1)
	update(t, s, func(ctx context.Context, tx org.Tx) error {
		_, err := tx.OU(ctx, want.ID)
		wantErr(t, "OU before PutOU", err, org.ErrNotFound)
		must(t, "PutOU", tx.PutOU(ctx, want))
		return nil
	})
	view(t, s, func(ctx context.Context, tx org.Tx) error {
		got, err := tx.OU(ctx, want.ID)
		must(t, "OU", err)
		if *got != *want {
			t.Errorf("OU = %+v, want %+v", *got, *want)
		}
		return nil
	})
	// Renaming replaces the row.
	update(t, s, func(ctx context.Context, tx org.Tx) error {
		renamed := *want
		renamed.Name = "Platform"
		must(t, "PutOU rename", tx.PutOU(ctx, &renamed))
		got, err := tx.OU(ctx, want.ID)
		must(t, "OU", err)
		if got.Name != "Platform" {
			t.Errorf("renamed OU has name %q", got.Name)
		}
		return nil
	})
	update(t, s, func(ctx context.Context, tx org.Tx) error {
		must(t, "DeleteOU", tx.DeleteOU(ctx, want.ID))
		wantErr(t, "DeleteOU again", tx.DeleteOU(ctx, want.ID), org.ErrNotFound)
		_, err := tx.OU(ctx, want.ID)
		wantErr(t, "OU after DeleteOU", err, org.ErrNotFound)
		return nil
	})
}

func testOUNameConflict(t *testing.T, s org.Store) {
	update(t, s, func(ctx context.Context, tx org.Tx) error {
		must(t, "PutOU", tx.PutOU(ctx, ou("ou-1111-aaaaaaaa", "o-1111111111", "r-1111", "Prod", 1)))
		// The same name under another parent, and another case, are different names.
		must(t, "PutOU other parent", tx.PutOU(ctx, ou("ou-1111-bbbbbbbb", "o-1111111111", "ou-1111-aaaaaaaa", "Prod", 2)))
		must(t, "PutOU other case", tx.PutOU(ctx, ou("ou-1111-cccccccc", "o-1111111111", "r-1111", "prod", 1)))
		return nil
	})
	err := s.Update(t.Context(), func(tx org.Tx) error {
		return tx.PutOU(t.Context(), ou("ou-1111-dddddddd", "o-1111111111", "r-1111", "Prod", 1))
	})
	wantErr(t, "PutOU duplicate name", err, org.ErrConflict)
	err = s.Update(t.Context(), func(tx org.Tx) error {
		return tx.PutOU(t.Context(), ou("ou-1111-cccccccc", "o-1111111111", "r-1111", "Prod", 1))
	})
	wantErr(t, "rename onto a sibling's name", err, org.ErrConflict)
}

func testListOUs(t *testing.T, s org.Store) {
	const o1, o2, r1 = "o-1111111111", "o-2222222222", "r-1111"
	update(t, s, func(ctx context.Context, tx org.Tx) error {
		for _, u := range []*org.OU{
			ou("ou-1111-00000004", o1, r1, "d", 1),
			ou("ou-1111-00000002", o1, r1, "b", 1),
			ou("ou-1111-00000003", o1, "ou-1111-00000002", "c", 2),
			ou("ou-1111-00000001", o1, r1, "a", 1),
			ou("ou-2222-00000005", o2, "r-2222", "e", 1),
		} {
			must(t, "PutOU", tx.PutOU(ctx, u))
		}
		return nil
	})
	cases := []struct {
		q    org.OUQuery
		want []string
	}{
		{org.OUQuery{OrgID: o1}, []string{"ou-1111-00000001", "ou-1111-00000002", "ou-1111-00000003", "ou-1111-00000004"}},
		{org.OUQuery{OrgID: o1, ParentID: r1}, []string{"ou-1111-00000001", "ou-1111-00000002", "ou-1111-00000004"}},
		{org.OUQuery{OrgID: o1, ParentID: "ou-1111-00000002"}, []string{"ou-1111-00000003"}},
		{org.OUQuery{OrgID: o1, ParentID: r1, AfterID: "ou-1111-00000001"}, []string{"ou-1111-00000002", "ou-1111-00000004"}},
		{org.OUQuery{OrgID: o2}, []string{"ou-2222-00000005"}},
		{org.OUQuery{OrgID: "o-nonexistent"}, nil},
	}
	view(t, s, func(ctx context.Context, tx org.Tx) error {
		for _, c := range cases {
			got, err := tx.ListOUs(ctx, c.q)
			must(t, "ListOUs", err)
			if ids := ouIDs(got); !slices.Equal(ids, c.want) {
				t.Errorf("ListOUs(%+v) = %v, want %v", c.q, ids, c.want)
			}
			if c.q.AfterID == "" {
				n, err := tx.CountOUs(ctx, c.q)
				must(t, "CountOUs", err)
				if n != len(c.want) {
					t.Errorf("CountOUs(%+v) = %d, want %d", c.q, n, len(c.want))
				}
			}
		}
		q := org.OUQuery{OrgID: o1, Limit: 2}
		got, err := tx.ListOUs(ctx, q)
		must(t, "ListOUs", err)
		if ids := ouIDs(got); !slices.Equal(ids, []string{"ou-1111-00000001", "ou-1111-00000002"}) {
			t.Errorf("ListOUs(%+v) = %v", q, ids)
		}
		return nil
	})
	update(t, s, func(ctx context.Context, tx org.Tx) error {
		must(t, "DeleteOUs", tx.DeleteOUs(ctx, o1))
		return nil
	})
	view(t, s, func(ctx context.Context, tx org.Tx) error {
		for _, o := range []string{o1, o2} {
			n, err := tx.CountOUs(ctx, org.OUQuery{OrgID: o})
			must(t, "CountOUs", err)
			if want := map[string]int{o1: 0, o2: 1}[o]; n != want {
				t.Errorf("after DeleteOUs(%s): CountOUs(%s) = %d, want %d", o1, o, n, want)
			}
		}
		return nil
	})
}
