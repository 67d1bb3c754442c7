package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/orgd/orgd/internal/org"
)

func creation(id, orgID, state string, completes time.Time) *org.CreateAccountRequest {
	return &org.CreateAccountRequest{ID: id, OrgID: orgID, AccountName: "name " + id, Email: id + "@example.com",
		RoleName: "OrganizationAccountAccessRole", IAMUserAccessToBilling: "ALLOW", State: state,
		RequestedAt: t0, CompletesAt: completes}
}

func creationIDs(rs []org.CreateAccountRequest) []string {
	ids := make([]string, len(rs))
	for i, r := range rs {
		ids[i] = r.ID
	}
	return ids
}

func testCreateAccountRoundTrip(t *testing.T, s org.Store) {
	want := creation("car-1", "o-1111111111", "IN_PROGRESS", t0.Add(time.Minute))
	want.Tags = []org.Tag{{Key: "k", Value: "v"}}
	want.GovCloud = true
	update(t, s, func(ctx context.Context, tx org.Tx) error {
		_, err := tx.CreateAccountRequest(ctx, "car-1")
		wantErr(t, "CreateAccountRequest before Put", err, org.ErrNotFound)
		must(t, "PutCreateAccountRequest", tx.PutCreateAccountRequest(ctx, want))
		return nil
	})
	if want.Seq == 0 {
		t.Fatal("PutCreateAccountRequest assigned no Seq")
	}
	seq := want.Seq
	update(t, s, func(ctx context.Context, tx org.Tx) error {
		got, err := tx.CreateAccountRequest(ctx, "car-1")
		must(t, "CreateAccountRequest", err)
		if !slices.Equal(got.Tags, want.Tags) || got.Seq != seq || got.AccountName != want.AccountName ||
			got.Email != want.Email || got.RoleName != want.RoleName || got.IAMUserAccessToBilling != "ALLOW" ||
			!got.GovCloud || got.State != "IN_PROGRESS" || !got.RequestedAt.Equal(t0) ||
			!got.CompletesAt.Equal(want.CompletesAt) || !got.CompletedAt.IsZero() {
			t.Errorf("CreateAccountRequest = %+v, want %+v", *got, *want)
		}
		// Settling replaces the row and keeps its Seq.
		got.State, got.AccountID, got.GovCloudAccountID, got.CompletedAt = "SUCCEEDED", "000000000001", "000000000002", t0.Add(time.Hour)
		must(t, "PutCreateAccountRequest settle", tx.PutCreateAccountRequest(ctx, got))
		if got.Seq != seq {
			t.Errorf("replacing changed Seq from %d to %d", seq, got.Seq)
		}
		return nil
	})
	view(t, s, func(ctx context.Context, tx org.Tx) error {
		got, err := tx.CreateAccountRequest(ctx, "car-1")
		must(t, "CreateAccountRequest", err)
		if got.State != "SUCCEEDED" || got.AccountID != "000000000001" || got.GovCloudAccountID != "000000000002" ||
			!got.CompletedAt.Equal(t0.Add(time.Hour)) || got.FailureReason != "" {
			t.Errorf("settled request = %+v", *got)
		}
		return nil
	})
}

func testListCreateAccountRequests(t *testing.T, s org.Store) {
	const o1, o2 = "o-1111111111", "o-2222222222"
	update(t, s, func(ctx context.Context, tx org.Tx) error {
		for _, r := range []*org.CreateAccountRequest{
			creation("car-a", o1, "SUCCEEDED", t0),
			creation("car-b", o1, "IN_PROGRESS", t0.Add(3*time.Minute)),
			creation("car-c", o2, "IN_PROGRESS", t0.Add(time.Minute)),
			creation("car-d", o1, "FAILED", t0),
			creation("car-e", o1, "IN_PROGRESS", t0.Add(2*time.Minute)),
		} {
			must(t, "PutCreateAccountRequest", tx.PutCreateAccountRequest(ctx, r))
		}
		return nil
	})
	cases := []struct {
		q    org.CreateAccountQuery
		want []string
	}{
		{org.CreateAccountQuery{OrgID: o1}, []string{"car-a", "car-b", "car-d", "car-e"}},
		{org.CreateAccountQuery{OrgID: o1, States: []string{"IN_PROGRESS"}}, []string{"car-b", "car-e"}},
		{org.CreateAccountQuery{OrgID: o1, States: []string{"SUCCEEDED", "FAILED"}}, []string{"car-a", "car-d"}},
		{org.CreateAccountQuery{OrgID: o2}, []string{"car-c"}},
		// Due requests of every organization, soonest first.
		{org.CreateAccountQuery{States: []string{"IN_PROGRESS"}, DueBy: t0.Add(2 * time.Minute)}, []string{"car-c", "car-e"}},
		{org.CreateAccountQuery{States: []string{"IN_PROGRESS"}, DueBy: t0}, nil},
	}
	view(t, s, func(ctx context.Context, tx org.Tx) error {
		for _, c := range cases {
			got, err := tx.ListCreateAccountRequests(ctx, c.q)
			must(t, "ListCreateAccountRequests", err)
			if ids := creationIDs(got); !slices.Equal(ids, c.want) {
				t.Errorf("ListCreateAccountRequests(%+v) = %v, want %v", c.q, ids, c.want)
			}
			n, err := tx.CountCreateAccountRequests(ctx, c.q)
			must(t, "CountCreateAccountRequests", err)
			if n != len(c.want) {
				t.Errorf("CountCreateAccountRequests(%+v) = %d, want %d", c.q, n, len(c.want))
			}
		}
		// Pages continue after the last Seq.
		q := org.CreateAccountQuery{OrgID: o1, Limit: 2}
		first, err := tx.ListCreateAccountRequests(ctx, q)
		must(t, "ListCreateAccountRequests", err)
		q.AfterSeq = first[len(first)-1].Seq
		rest, err := tx.ListCreateAccountRequests(ctx, q)
		must(t, "ListCreateAccountRequests", err)
		if ids := append(creationIDs(first), creationIDs(rest)...); !slices.Equal(ids, []string{"car-a", "car-b", "car-d", "car-e"}) {
			t.Errorf("pages of 2 = %v", ids)
		}
		return nil
	})
	update(t, s, func(ctx context.Context, tx org.Tx) error {
		must(t, "DeleteCreateAccountRequests", tx.DeleteCreateAccountRequests(ctx, o1))
		return nil
	})
	view(t, s, func(ctx context.Context, tx org.Tx) error {
		got, err := tx.ListCreateAccountRequests(ctx, org.CreateAccountQuery{})
		must(t, "ListCreateAccountRequests", err)
		if ids := creationIDs(got); !slices.Equal(ids, []string{"car-c"}) {
			t.Errorf("after DeleteCreateAccountRequests(%s): %v", o1, ids)
		}
		return nil
	})
}
