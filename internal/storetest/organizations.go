package storetest

import (
	"context"
	"slices"
	"testing"

	"github.com/orgd/orgd/internal/org"
)

// testListOrganizations: every organization, by id, in pages after an id; a limit of zero
// or less is no limit.
func testListOrganizations(t *testing.T, s org.Store) {
	ids := []string{"o-cccccccccc", "o-aaaaaaaaaa", "o-bbbbbbbbbb"}
	update(t, s, func(ctx context.Context, tx org.Tx) error {
		for i, id := range ids {
			must(t, "PutOrganization", tx.PutOrganization(ctx, &org.Organization{ID: id, FeatureSet: "ALL",
				ManagementAccountID: "11111111111" + string(rune('1'+i)), RootID: "r-" + id[2:6], Partition: "aws",
				CreatedAt: t0, SCPVersion: int64(i)}))
		}
		return nil
	})
	view(t, s, func(ctx context.Context, tx org.Tx) error {
		all, err := tx.ListOrganizations(ctx, "", 0)
		must(t, "ListOrganizations", err)
		var got []string
		for _, o := range all {
			got = append(got, o.ID)
		}
		if want := []string{"o-aaaaaaaaaa", "o-bbbbbbbbbb", "o-cccccccccc"}; !slices.Equal(got, want) {
			t.Fatalf("ListOrganizations = %v, want %v", got, want)
		}
		want, err := tx.Organization(ctx, "o-cccccccccc")
		must(t, "Organization", err)
		checkOrganization(t, &all[2], want)
		page, err := tx.ListOrganizations(ctx, "o-aaaaaaaaaa", 1)
		must(t, "ListOrganizations(page)", err)
		if len(page) != 1 || page[0].ID != "o-bbbbbbbbbb" {
			t.Fatalf("ListOrganizations after o-aaaaaaaaaa, limit 1 = %+v", page)
		}
		rest, err := tx.ListOrganizations(ctx, "o-cccccccccc", 10)
		must(t, "ListOrganizations(end)", err)
		if len(rest) != 0 {
			t.Fatalf("ListOrganizations after the last = %+v", rest)
		}
		return nil
	})
}
