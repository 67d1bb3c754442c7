package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/orgd/orgd/internal/org"
)

// Trusted access, delegated administrators, the delegation policy and transfers.

func testServiceAccess(t *testing.T, s org.Store) {
	const o1, o2 = "o-1111111111", "o-2222222222"
	update(t, s, func(ctx context.Context, tx org.Tx) error {
		_, err := tx.ServiceAccess(ctx, o1, "sso.amazonaws.com")
		wantErr(t, "ServiceAccess(missing)", err, org.ErrNotFound)
		wantErr(t, "DeleteServiceAccess(missing)", tx.DeleteServiceAccess(ctx, o1, "sso.amazonaws.com"), org.ErrNotFound)
		for _, p := range []string{"sso.amazonaws.com", "backup.amazonaws.com", "ram.amazonaws.com"} {
			must(t, "PutServiceAccess", tx.PutServiceAccess(ctx, &org.ServiceAccess{OrgID: o1, ServicePrincipal: p, EnabledAt: t0}))
		}
		must(t, "PutServiceAccess", tx.PutServiceAccess(ctx, &org.ServiceAccess{OrgID: o2, ServicePrincipal: "sso.amazonaws.com", EnabledAt: t0}))
		// Replacing keeps one row with the new date.
		must(t, "PutServiceAccess", tx.PutServiceAccess(ctx, &org.ServiceAccess{OrgID: o1, ServicePrincipal: "ram.amazonaws.com", EnabledAt: t0.Add(time.Hour)}))
		return nil
	})
	view(t, s, func(ctx context.Context, tx org.Tx) error {
		got, err := tx.ServiceAccess(ctx, o1, "ram.amazonaws.com")
		must(t, "ServiceAccess", err)
		if got.OrgID != o1 || got.ServicePrincipal != "ram.amazonaws.com" || !got.EnabledAt.Equal(t0.Add(time.Hour)) {
			t.Errorf("ServiceAccess = %+v", got)
		}
		all, err := tx.ListServiceAccess(ctx, org.ServiceAccessQuery{OrgID: o1})
		must(t, "ListServiceAccess", err)
		want := []string{"backup.amazonaws.com", "ram.amazonaws.com", "sso.amazonaws.com"}
		if ps := principals(all); !slices.Equal(ps, want) {
			t.Errorf("ListServiceAccess = %v, want %v", ps, want)
		}
		page, err := tx.ListServiceAccess(ctx, org.ServiceAccessQuery{OrgID: o1, After: "backup.amazonaws.com", Limit: 1})
		must(t, "ListServiceAccess", err)
		if ps := principals(page); !slices.Equal(ps, []string{"ram.amazonaws.com"}) {
			t.Errorf("ListServiceAccess(after backup, 1) = %v", ps)
		}
		return nil
	})
	// In creation order a replacement keeps its place.
	checkOrder(t, s, "ListServiceAccess", []string{"sso.amazonaws.com", "backup.amazonaws.com", "ram.amazonaws.com"},
		func(ctx context.Context, tx org.Tx, after int64, limit int) ([]string, int64, error) {
			as, err := tx.ListServiceAccess(ctx, org.ServiceAccessQuery{OrgID: o1, Order: org.ByCreation, AfterSeq: after, Limit: limit})
			if err != nil || len(as) == 0 {
				return nil, 0, err
			}
			return principals(as), as[len(as)-1].Seq, nil
		})
	update(t, s, func(ctx context.Context, tx org.Tx) error {
		must(t, "DeleteServiceAccess", tx.DeleteServiceAccess(ctx, o1, "sso.amazonaws.com"))
		_, err := tx.ServiceAccess(ctx, o1, "sso.amazonaws.com")
		wantErr(t, "ServiceAccess(deleted)", err, org.ErrNotFound)
		must(t, "DeleteServiceAccesses", tx.DeleteServiceAccesses(ctx, o1))
		left, err := tx.ListServiceAccess(ctx, org.ServiceAccessQuery{OrgID: o1})
		must(t, "ListServiceAccess", err)
		if len(left) != 0 {
			t.Errorf("after DeleteServiceAccesses: %v", principals(left))
		}
		other, err := tx.ListServiceAccess(ctx, org.ServiceAccessQuery{OrgID: o2})
		must(t, "ListServiceAccess", err)
		if len(other) != 1 {
			t.Errorf("DeleteServiceAccesses(%s) touched %s: %v", o1, o2, principals(other))
		}
		return nil
	})
}

func principals(as []org.ServiceAccess) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.ServicePrincipal
	}
	return out
}

func testDelegatedAdmins(t *testing.T, s org.Store) {
	const o1, o2 = "o-1111111111", "o-2222222222"
	const a1, a2, a3 = "000000000001", "000000000002", "000000000003"
	const sso, ram = "sso.amazonaws.com", "ram.amazonaws.com"
	update(t, s, func(ctx context.Context, tx org.Tx) error {
		_, err := tx.DelegatedAdmin(ctx, o1, a1, sso)
		wantErr(t, "DelegatedAdmin(missing)", err, org.ErrNotFound)
		wantErr(t, "DeleteDelegatedAdmin(missing)", tx.DeleteDelegatedAdmin(ctx, o1, a1, sso), org.ErrNotFound)
		for _, d := range []org.DelegatedAdmin{
			{OrgID: o1, AccountID: a2, ServicePrincipal: sso, EnabledAt: t0.Add(2 * time.Hour)},
			{OrgID: o1, AccountID: a2, ServicePrincipal: ram, EnabledAt: t0.Add(time.Hour)},
			{OrgID: o1, AccountID: a1, ServicePrincipal: ram, EnabledAt: t0},
			{OrgID: o1, AccountID: a3, ServicePrincipal: ram, EnabledAt: t0},
			{OrgID: o2, AccountID: a1, ServicePrincipal: sso, EnabledAt: t0},
		} {
			must(t, "PutDelegatedAdmin", tx.PutDelegatedAdmin(ctx, &d))
		}
		return nil
	})
	view(t, s, func(ctx context.Context, tx org.Tx) error {
		got, err := tx.DelegatedAdmin(ctx, o1, a2, sso)
		must(t, "DelegatedAdmin", err)
		if got.AccountID != a2 || got.ServicePrincipal != sso || !got.EnabledAt.Equal(t0.Add(2*time.Hour)) {
			t.Errorf("DelegatedAdmin = %+v", got)
		}
		cases := []struct {
			q     org.DelegatedAdminQuery
			want  []string // account/principal pairs
			count int
		}{
			{org.DelegatedAdminQuery{OrgID: o1, AccountID: a2}, []string{a2 + "/" + ram, a2 + "/" + sso}, 2},
			{org.DelegatedAdminQuery{OrgID: o1, AccountID: a2, After: ram}, []string{a2 + "/" + sso}, 2},
			{org.DelegatedAdminQuery{OrgID: o1, ServicePrincipal: ram}, []string{a1 + "/" + ram, a2 + "/" + ram, a3 + "/" + ram}, 3},
			{org.DelegatedAdminQuery{OrgID: o1, ServicePrincipal: ram, After: a1, Limit: 1}, []string{a2 + "/" + ram}, 3},
			{org.DelegatedAdminQuery{OrgID: o1}, []string{a1 + "/", a2 + "/", a3 + "/"}, 4},
			{org.DelegatedAdminQuery{OrgID: o1, After: a2}, []string{a3 + "/"}, 4},
			{org.DelegatedAdminQuery{OrgID: o2}, []string{a1 + "/"}, 1},
			{org.DelegatedAdminQuery{OrgID: "o-3333333333"}, nil, 0},
		}
		for _, c := range cases {
			ds, err := tx.ListDelegatedAdmins(ctx, c.q)
			must(t, "ListDelegatedAdmins", err)
			var got []string
			for _, d := range ds {
				got = append(got, d.AccountID+"/"+d.ServicePrincipal)
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("ListDelegatedAdmins(%+v) = %v, want %v", c.q, got, c.want)
			}
			n, err := tx.CountDelegatedAdmins(ctx, c.q)
			must(t, "CountDelegatedAdmins", err)
			if n != c.count {
				t.Errorf("CountDelegatedAdmins(%+v) = %d, want %d", c.q, n, c.count)
			}
		}
		// One row per account carries its earliest registration.
		ds, err := tx.ListDelegatedAdmins(ctx, org.DelegatedAdminQuery{OrgID: o1, After: a1, Limit: 1})
		must(t, "ListDelegatedAdmins", err)
		if len(ds) != 1 || ds[0].AccountID != a2 || !ds[0].EnabledAt.Equal(t0.Add(time.Hour)) {
			t.Errorf("grouped row of %s = %+v, want its first date %v", a2, ds, t0.Add(time.Hour))
		}
		return nil
	})
	update(t, s, func(ctx context.Context, tx org.Tx) error {
		must(t, "DeleteDelegatedAdmin", tx.DeleteDelegatedAdmin(ctx, o1, a1, ram))
		must(t, "DeleteDelegatedAdmins(account)", tx.DeleteDelegatedAdmins(ctx, o1, a2))
		n, err := tx.CountDelegatedAdmins(ctx, org.DelegatedAdminQuery{OrgID: o1})
		must(t, "CountDelegatedAdmins", err)
		if n != 1 {
			t.Errorf("after deletes: %d registrations in %s, want 1", n, o1)
		}
		must(t, "DeleteDelegatedAdmins(org)", tx.DeleteDelegatedAdmins(ctx, o1, ""))
		for orgID, want := range map[string]int{o1: 0, o2: 1} {
			n, err := tx.CountDelegatedAdmins(ctx, org.DelegatedAdminQuery{OrgID: orgID})
			must(t, "CountDelegatedAdmins", err)
			if n != want {
				t.Errorf("after DeleteDelegatedAdmins(%s): %d in %s, want %d", o1, n, orgID, want)
			}
		}
		return nil
	})
}

func testResourcePolicy(t *testing.T, s org.Store) {
	const o1 = "o-1111111111"
	p := &org.ResourcePolicy{ID: "rp-abcd1234", OrgID: o1, Content: `{"Version":"2012-10-17"}`, CreatedAt: t0, UpdatedAt: t0}
	update(t, s, func(ctx context.Context, tx org.Tx) error {
		_, err := tx.ResourcePolicy(ctx, o1)
		wantErr(t, "ResourcePolicy(missing)", err, org.ErrNotFound)
		wantErr(t, "DeleteResourcePolicy(missing)", tx.DeleteResourcePolicy(ctx, o1), org.ErrNotFound)
		must(t, "PutResourcePolicy", tx.PutResourcePolicy(ctx, p))
		return nil
	})
	update(t, s, func(ctx context.Context, tx org.Tx) error {
		got, err := tx.ResourcePolicy(ctx, o1)
		must(t, "ResourcePolicy", err)
		if got.ID != p.ID || got.Content != p.Content || !got.CreatedAt.Equal(t0) || !got.UpdatedAt.Equal(t0) {
			t.Errorf("ResourcePolicy = %+v, want %+v", got, p)
		}
		// Content comes back byte for byte, and a replacement keeps one policy.
		q := *p
		q.Content, q.UpdatedAt = "{ \"Statement\" : [] }\n", t0.Add(time.Minute)
		must(t, "PutResourcePolicy(replace)", tx.PutResourcePolicy(ctx, &q))
		got, err = tx.ResourcePolicy(ctx, o1)
		must(t, "ResourcePolicy", err)
		if got.Content != q.Content || !got.UpdatedAt.Equal(q.UpdatedAt) {
			t.Errorf("replaced ResourcePolicy = %+v, want %+v", got, q)
		}
		must(t, "DeleteResourcePolicy", tx.DeleteResourcePolicy(ctx, o1))
		_, err = tx.ResourcePolicy(ctx, o1)
		wantErr(t, "ResourcePolicy(deleted)", err, org.ErrNotFound)
		return nil
	})
}

func transfer(id, target, sourceAccount, status string, expires time.Time) *org.Transfer {
	return &org.Transfer{
		ID: id, Type: "BILLING", Name: "name-" + id, Status: status, HandshakeID: "h-" + id,
		TargetOrgID: target, TargetAccountID: "000000000001", TargetEmail: "t@example.com",
		SourceAccountID: sourceAccount, SourceEmail: sourceAccount + "@example.com",
		StartAt: t0.Add(30 * 24 * time.Hour), ExpiresAt: expires, CreatedAt: t0,
	}
}

func transferIDs(trs []org.Transfer) []string {
	ids := make([]string, len(trs))
	for i, tr := range trs {
		ids[i] = tr.ID
	}
	return ids
}

func testTransfers(t *testing.T, s org.Store) {
	const o1, o2 = "o-1111111111", "o-2222222222"
	const src1, src2 = "000000000005", "000000000006"
	soon, later := t0.Add(time.Hour), t0.Add(48*time.Hour)
	trs := []*org.Transfer{
		transfer("rt-00000001", o1, src1, "REQUESTED", soon),
		transfer("rt-00000002", o1, src2, "REQUESTED", later),
		transfer("rt-00000003", o2, src1, "ACCEPTED", soon),
		transfer("rt-00000004", o1, src1, "DECLINED", soon),
	}
	trs[2].SourceOrgID, trs[2].EndAt = "o-5555555555", t0.Add(60*24*time.Hour)
	update(t, s, func(ctx context.Context, tx org.Tx) error {
		_, err := tx.Transfer(ctx, "rt-00000001")
		wantErr(t, "Transfer(missing)", err, org.ErrNotFound)
		_, err = tx.TransferByHandshake(ctx, "h-rt-00000001")
		wantErr(t, "TransferByHandshake(missing)", err, org.ErrNotFound)
		var last int64
		for _, tr := range trs {
			must(t, "PutTransfer", tx.PutTransfer(ctx, tr))
			if tr.Seq <= last {
				t.Errorf("PutTransfer %s: Seq %d after %d", tr.ID, tr.Seq, last)
			}
			last = tr.Seq
		}
		return nil
	})
	view(t, s, func(ctx context.Context, tx org.Tx) error {
		for _, want := range []*org.Transfer{trs[0], trs[2]} {
			got, err := tx.Transfer(ctx, want.ID)
			must(t, "Transfer", err)
			checkTransfer(t, got, want)
			got, err = tx.TransferByHandshake(ctx, want.HandshakeID)
			must(t, "TransferByHandshake", err)
			checkTransfer(t, got, want)
		}
		cases := []struct {
			q    org.TransferQuery
			want []string
		}{
			{org.TransferQuery{TargetOrgID: o1}, []string{"rt-00000001", "rt-00000002", "rt-00000004"}},
			{org.TransferQuery{TargetOrgID: o1, AfterSeq: trs[0].Seq, Limit: 1}, []string{"rt-00000002"}},
			{org.TransferQuery{SourceAccountID: src1}, []string{"rt-00000001", "rt-00000003", "rt-00000004"}},
			{org.TransferQuery{SourceOrgID: "o-5555555555", Statuses: []string{"ACCEPTED"}}, []string{"rt-00000003"}},
			{org.TransferQuery{TargetOrgID: o1, Statuses: []string{"REQUESTED"}, ExpiresAfter: t0.Add(2 * time.Hour)}, []string{"rt-00000002"}},
			{org.TransferQuery{TargetOrgID: o1, SourceAccountID: src1, Statuses: []string{"REQUESTED", "DECLINED"}}, []string{"rt-00000001", "rt-00000004"}},
		}
		for _, c := range cases {
			got, err := tx.ListTransfers(ctx, c.q)
			must(t, "ListTransfers", err)
			if ids := transferIDs(got); !slices.Equal(ids, c.want) {
				t.Errorf("ListTransfers(%+v) = %v, want %v", c.q, ids, c.want)
			}
			if c.q.AfterSeq == 0 && c.q.Limit == 0 {
				n, err := tx.CountTransfers(ctx, c.q)
				must(t, "CountTransfers", err)
				if n != len(c.want) {
					t.Errorf("CountTransfers(%+v) = %d, want %d", c.q, n, len(c.want))
				}
			}
		}
		return nil
	})
	// Replacing keeps the Seq.
	update(t, s, func(ctx context.Context, tx org.Tx) error {
		seq := trs[0].Seq
		tr := *trs[0]
		tr.Status, tr.SourceOrgID, tr.Name = "ACCEPTED", "o-6666666666", "renamed"
		must(t, "PutTransfer(replace)", tx.PutTransfer(ctx, &tr))
		if tr.Seq != seq {
			t.Errorf("replaced transfer has Seq %d, want %d", tr.Seq, seq)
		}
		got, err := tx.Transfer(ctx, tr.ID)
		must(t, "Transfer", err)
		checkTransfer(t, got, &tr)
		return nil
	})
}

func checkTransfer(t *testing.T, got, want *org.Transfer) {
	t.Helper()
	for _, p := range [][2]time.Time{{got.StartAt, want.StartAt}, {got.EndAt, want.EndAt}, {got.ExpiresAt, want.ExpiresAt}, {got.CreatedAt, want.CreatedAt}} {
		if !p[0].Equal(p[1]) || p[0].IsZero() != p[1].IsZero() {
			t.Errorf("transfer %s: time %v, want %v", want.ID, p[0], p[1])
		}
	}
	g, w := *got, *want
	g.StartAt, g.EndAt, g.ExpiresAt, g.CreatedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	w.StartAt, w.EndAt, w.ExpiresAt, w.CreatedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	if g != w {
		t.Errorf("transfer:\n got %+v\nwant %+v", g, w)
	}
}

// testDelegationReset checks that Reset empties this file's tables too.
func testDelegationReset(t *testing.T, s org.Store) {
	const o1 = "o-1111111111"
	update(t, s, func(ctx context.Context, tx org.Tx) error {
		must(t, "PutServiceAccess", tx.PutServiceAccess(ctx, &org.ServiceAccess{OrgID: o1, ServicePrincipal: "sso.amazonaws.com", EnabledAt: t0}))
		must(t, "PutDelegatedAdmin", tx.PutDelegatedAdmin(ctx, &org.DelegatedAdmin{OrgID: o1, AccountID: "000000000002", ServicePrincipal: "sso.amazonaws.com", EnabledAt: t0}))
		must(t, "PutResourcePolicy", tx.PutResourcePolicy(ctx, &org.ResourcePolicy{ID: "rp-abcd1234", OrgID: o1, Content: "{}", CreatedAt: t0}))
		must(t, "PutTransfer", tx.PutTransfer(ctx, transfer("rt-00000001", o1, "000000000005", "REQUESTED", t0)))
		return tx.Reset(ctx)
	})
	view(t, s, func(ctx context.Context, tx org.Tx) error {
		as, err := tx.ListServiceAccess(ctx, org.ServiceAccessQuery{OrgID: o1})
		must(t, "ListServiceAccess", err)
		n, err := tx.CountDelegatedAdmins(ctx, org.DelegatedAdminQuery{OrgID: o1})
		must(t, "CountDelegatedAdmins", err)
		_, rpErr := tx.ResourcePolicy(ctx, o1)
		trs, err := tx.ListTransfers(ctx, org.TransferQuery{TargetOrgID: o1})
		must(t, "ListTransfers", err)
		if len(as) != 0 || n != 0 || len(trs) != 0 {
			t.Errorf("after Reset: %d service accesses, %d delegated admins, %d transfers", len(as), n, len(trs))
		}
		wantErr(t, "ResourcePolicy after Reset", rpErr, org.ErrNotFound)
		return nil
	})
}
