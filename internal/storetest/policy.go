package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/orgd/orgd/internal/org"
)

func policy(id, orgID, typ, name string) *org.Policy {
	return &org.Policy{ID: id, OrgID: orgID, Type: typ, Name: name, Description: "about " + name,
		Content: `{"tags":{}}`, CreatedAt: t0, UpdatedAt: t0.Add(time.Minute)}
}

func attachment(orgID, policyID, targetID, typ, targetType string) *org.PolicyAttachment {
	return &org.PolicyAttachment{OrgID: orgID, PolicyID: policyID, TargetID: targetID, PolicyType: typ,
		TargetType: targetType, AttachedAt: t0}
}

func checkPolicy(t *testing.T, got, want *org.Policy) {
	t.Helper()
	if !got.CreatedAt.Equal(want.CreatedAt) || !got.UpdatedAt.Equal(want.UpdatedAt) {
		t.Errorf("policy %s: times %v/%v, want %v/%v", want.ID, got.CreatedAt, got.UpdatedAt, want.CreatedAt, want.UpdatedAt)
	}
	g, w := *got, *want
	g.CreatedAt, g.UpdatedAt, w.CreatedAt, w.UpdatedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	if g != w {
		t.Errorf("policy:\n got %+v\nwant %+v", g, w)
	}
}

func policyIDs(ps []org.Policy) []string {
	ids := make([]string, len(ps))
	for i, p := range ps {
		ids[i] = p.ID
	}
	return ids
}

func testPolicyRoundTrip(t *testing.T, s org.Store) {
	p := policy("p-aaaaaaaa", "o-1111111111", "TAG_POLICY", "Tags")
	p.Content = "{\n  \"tags\": {\"cost\": {\"tag_key\": {\"@@assign\": \"Cost\"}}}\n} ✓"
	p.Description = ""
	update(t, s, func(ctx context.Context, tx org.Tx) error {
		_, err := tx.Policy(ctx, p.ID)
		wantErr(t, "Policy before PutPolicy", err, org.ErrNotFound)
		must(t, "PutPolicy", tx.PutPolicy(ctx, p))
		return nil
	})
	view(t, s, func(ctx context.Context, tx org.Tx) error {
		got, err := tx.Policy(ctx, p.ID)
		must(t, "Policy", err)
		checkPolicy(t, got, p)
		return nil
	})
	// Replacing overwrites every field but the id.
	p2 := *p
	p2.Name, p2.Description, p2.Content, p2.UpdatedAt = "Renamed", "new", `{}`, t0.Add(time.Hour)
	update(t, s, func(ctx context.Context, tx org.Tx) error { return tx.PutPolicy(ctx, &p2) })
	view(t, s, func(ctx context.Context, tx org.Tx) error {
		got, err := tx.Policy(ctx, p.ID)
		must(t, "Policy", err)
		checkPolicy(t, got, &p2)
		return nil
	})
	update(t, s, func(ctx context.Context, tx org.Tx) error {
		must(t, "DeletePolicy", tx.DeletePolicy(ctx, p.ID))
		wantErr(t, "DeletePolicy again", tx.DeletePolicy(ctx, p.ID), org.ErrNotFound)
		_, err := tx.Policy(ctx, p.ID)
		wantErr(t, "Policy after DeletePolicy", err, org.ErrNotFound)
		return nil
	})
}

func testPolicyNameConflict(t *testing.T, s org.Store) {
	const o1, o2 = "o-1111111111", "o-2222222222"
	update(t, s, func(ctx context.Context, tx org.Tx) error {
		must(t, "PutPolicy", tx.PutPolicy(ctx, policy("p-aaaaaaaa", o1, "TAG_POLICY", "Shared")))
		// The same name in another type, another organization or another case is no clash.
		must(t, "PutPolicy other type", tx.PutPolicy(ctx, policy("p-bbbbbbbb", o1, "BACKUP_POLICY", "Shared")))
		must(t, "PutPolicy other org", tx.PutPolicy(ctx, policy("p-cccccccc", o2, "TAG_POLICY", "Shared")))
		must(t, "PutPolicy other case", tx.PutPolicy(ctx, policy("p-dddddddd", o1, "TAG_POLICY", "shared")))
		return nil
	})
	err := s.Update(t.Context(), func(tx org.Tx) error {
		return tx.PutPolicy(t.Context(), policy("p-eeeeeeee", o1, "TAG_POLICY", "Shared"))
	})
	wantErr(t, "PutPolicy duplicate name", err, org.ErrConflict)
	err = s.Update(t.Context(), func(tx org.Tx) error {
		return tx.PutPolicy(t.Context(), policy("p-dddddddd", o1, "TAG_POLICY", "Shared"))
	})
	wantErr(t, "rename onto another policy's name", err, org.ErrConflict)
	view(t, s, func(ctx context.Context, tx org.Tx) error {
		_, err := tx.Policy(ctx, "p-eeeeeeee")
		wantErr(t, "Policy(conflicting)", err, org.ErrNotFound)
		got, err := tx.Policy(ctx, "p-dddddddd")
		must(t, "Policy", err)
		if got.Name != "shared" {
			t.Errorf("policy renamed to %q by a failed put", got.Name)
		}
		return nil
	})
}

func testListPolicies(t *testing.T, s org.Store) {
	const o1, o2 = "o-1111111111", "o-2222222222"
	p5 := policy("p-00000005", o2, "TAG_POLICY", "e")
	update(t, s, func(ctx context.Context, tx org.Tx) error {
		for _, p := range []*org.Policy{
			policy("p-00000004", o1, "TAG_POLICY", "d"),
			policy("p-00000002", o1, "TAG_POLICY", "b"),
			policy("p-00000003", o1, "SERVICE_CONTROL_POLICY", "c"),
			policy("p-00000001", o1, "TAG_POLICY", "a"),
			p5,
		} {
			must(t, "PutPolicy", tx.PutPolicy(ctx, p))
		}
		return nil
	})
	cases := []struct {
		q    org.PolicyQuery
		want []string
	}{
		{org.PolicyQuery{OrgID: o1, Type: "TAG_POLICY"}, []string{"p-00000001", "p-00000002", "p-00000004"}},
		{org.PolicyQuery{OrgID: o1, Type: "SERVICE_CONTROL_POLICY"}, []string{"p-00000003"}},
		{org.PolicyQuery{OrgID: o1, Type: "BACKUP_POLICY"}, nil},
		{org.PolicyQuery{OrgID: o1, Type: "TAG_POLICY", AfterID: "p-00000001"}, []string{"p-00000002", "p-00000004"}},
		{org.PolicyQuery{OrgID: o1, Type: "TAG_POLICY", Limit: 2}, []string{"p-00000001", "p-00000002"}},
		{org.PolicyQuery{OrgID: o2, Type: "TAG_POLICY"}, []string{"p-00000005"}},
	}
	view(t, s, func(ctx context.Context, tx org.Tx) error {
		for _, c := range cases {
			got, err := tx.ListPolicies(ctx, c.q)
			must(t, "ListPolicies", err)
			if ids := policyIDs(got); !slices.Equal(ids, c.want) {
				t.Errorf("ListPolicies(%+v) = %v, want %v", c.q, ids, c.want)
			}
			if c.q.AfterID == "" && c.q.Limit == 0 {
				n, err := tx.CountPolicies(ctx, c.q)
				must(t, "CountPolicies", err)
				if n != len(c.want) {
					t.Errorf("CountPolicies(%+v) = %d, want %d", c.q, n, len(c.want))
				}
			}
		}
		got, err := tx.ListPolicies(ctx, org.PolicyQuery{OrgID: o2, Type: "TAG_POLICY"})
		must(t, "ListPolicies", err)
		checkPolicy(t, &got[0], p5) // PutPolicy assigned its Seq
		return nil
	})
	update(t, s, func(ctx context.Context, tx org.Tx) error { return tx.DeletePolicies(ctx, o1) })
	view(t, s, func(ctx context.Context, tx org.Tx) error {
		for typ, want := range map[string]int{"TAG_POLICY": 0, "SERVICE_CONTROL_POLICY": 0} {
			n, err := tx.CountPolicies(ctx, org.PolicyQuery{OrgID: o1, Type: typ})
			must(t, "CountPolicies", err)
			if n != want {
				t.Errorf("after DeletePolicies: CountPolicies(%s) = %d", typ, n)
			}
		}
		_, err := tx.Policy(ctx, "p-00000005")
		must(t, "Policy of the other organization", err)
		return nil
	})
}

func attachmentPolicies(as []org.PolicyAttachment) []string {
	ids := make([]string, len(as))
	for i, a := range as {
		ids[i] = a.PolicyID
	}
	return ids
}

func attachmentTargets(as []org.PolicyAttachment) []string {
	ids := make([]string, len(as))
	for i, a := range as {
		ids[i] = a.TargetID
	}
	return ids
}

func testPolicyAttachments(t *testing.T, s org.Store) {
	const o1, o2, root, ou1, acct = "o-1111111111", "o-2222222222", "r-1111", "ou-1111-aaaaaaaa", "111111111111"
	const scp, tag = "SERVICE_CONTROL_POLICY", "TAG_POLICY"
	want := attachment(o1, "p-FullAWSAccess", root, scp, "ROOT")
	update(t, s, func(ctx context.Context, tx org.Tx) error {
		_, err := tx.PolicyAttachment(ctx, o1, want.PolicyID, root)
		wantErr(t, "PolicyAttachment before attaching", err, org.ErrNotFound)
		must(t, "PutPolicyAttachment", tx.PutPolicyAttachment(ctx, want))
		wantErr(t, "PutPolicyAttachment twice", tx.PutPolicyAttachment(ctx, attachment(o1, "p-FullAWSAccess", root, scp, "ROOT")), org.ErrConflict)
		for _, a := range []*org.PolicyAttachment{
			attachment(o1, "p-00000003", root, scp, "ROOT"),
			attachment(o1, "p-00000001", root, scp, "ROOT"),
			attachment(o1, "p-00000002", root, tag, "ROOT"),
			attachment(o1, "p-FullAWSAccess", ou1, scp, "ORGANIZATIONAL_UNIT"),
			attachment(o1, "p-FullAWSAccess", acct, scp, "ACCOUNT"),
			attachment(o1, "p-00000001", acct, scp, "ACCOUNT"),
			attachment(o2, "p-FullAWSAccess", "r-2222", scp, "ROOT"),
		} {
			must(t, "PutPolicyAttachment", tx.PutPolicyAttachment(ctx, a))
		}
		return nil
	})
	if want.Seq <= 0 {
		t.Fatalf("PutPolicyAttachment assigned Seq %d", want.Seq)
	}
	view(t, s, func(ctx context.Context, tx org.Tx) error {
		got, err := tx.PolicyAttachment(ctx, o1, want.PolicyID, root)
		must(t, "PolicyAttachment", err)
		if !got.AttachedAt.Equal(t0) {
			t.Errorf("AttachedAt %v, want %v", got.AttachedAt, t0)
		}
		got.AttachedAt = want.AttachedAt
		if *got != *want {
			t.Errorf("PolicyAttachment = %+v, want %+v", *got, *want)
		}
		_, err = tx.PolicyAttachment(ctx, o2, want.PolicyID, root)
		wantErr(t, "PolicyAttachment in another organization", err, org.ErrNotFound)
		// A target's policies of one type come in attachment order.
		as, err := tx.ListPolicyAttachments(ctx, org.PolicyAttachmentQuery{OrgID: o1, TargetID: root, PolicyType: scp})
		must(t, "ListPolicyAttachments", err)
		if ids := attachmentPolicies(as); !slices.Equal(ids, []string{"p-FullAWSAccess", "p-00000003", "p-00000001"}) {
			t.Errorf("root's SCPs = %v, want attachment order", ids)
		}
		page, err := tx.ListPolicyAttachments(ctx, org.PolicyAttachmentQuery{OrgID: o1, TargetID: root, PolicyType: scp, AfterSeq: as[0].Seq, Limit: 1})
		must(t, "ListPolicyAttachments", err)
		if ids := attachmentPolicies(page); !slices.Equal(ids, []string{"p-00000003"}) {
			t.Errorf("root's SCPs after the first, 1 = %v", ids)
		}
		// A policy's targets come by target id.
		as, err = tx.ListPolicyAttachments(ctx, org.PolicyAttachmentQuery{OrgID: o1, PolicyID: "p-FullAWSAccess"})
		must(t, "ListPolicyAttachments", err)
		if ids := attachmentTargets(as); !slices.Equal(ids, []string{acct, ou1, root}) {
			t.Errorf("targets of FullAWSAccess = %v", ids)
		}
		as, err = tx.ListPolicyAttachments(ctx, org.PolicyAttachmentQuery{OrgID: o1, PolicyID: "p-FullAWSAccess", AfterTargetID: acct, Limit: 1})
		must(t, "ListPolicyAttachments", err)
		if ids := attachmentTargets(as); !slices.Equal(ids, []string{ou1}) {
			t.Errorf("targets of FullAWSAccess after %s, 1 = %v", acct, ids)
		}
		for _, c := range []struct {
			q    org.PolicyAttachmentQuery
			want int
		}{
			{org.PolicyAttachmentQuery{OrgID: o1, TargetID: root, PolicyType: scp}, 3},
			{org.PolicyAttachmentQuery{OrgID: o1, TargetID: root, PolicyType: tag}, 1},
			{org.PolicyAttachmentQuery{OrgID: o1, TargetID: root}, 4},
			{org.PolicyAttachmentQuery{OrgID: o1, TargetID: acct, PolicyType: scp}, 2},
			{org.PolicyAttachmentQuery{OrgID: o2, TargetID: root}, 0},
		} {
			n, err := tx.CountPolicyAttachments(ctx, c.q)
			must(t, "CountPolicyAttachments", err)
			if n != c.want {
				t.Errorf("CountPolicyAttachments(%+v) = %d, want %d", c.q, n, c.want)
			}
		}
		return nil
	})
	// Detaching and attaching again moves a policy last.
	update(t, s, func(ctx context.Context, tx org.Tx) error {
		must(t, "DeletePolicyAttachment", tx.DeletePolicyAttachment(ctx, o1, "p-FullAWSAccess", root))
		wantErr(t, "DeletePolicyAttachment again", tx.DeletePolicyAttachment(ctx, o1, "p-FullAWSAccess", root), org.ErrNotFound)
		must(t, "PutPolicyAttachment", tx.PutPolicyAttachment(ctx, attachment(o1, "p-FullAWSAccess", root, scp, "ROOT")))
		as, err := tx.ListPolicyAttachments(ctx, org.PolicyAttachmentQuery{OrgID: o1, TargetID: root, PolicyType: scp})
		must(t, "ListPolicyAttachments", err)
		if ids := attachmentPolicies(as); !slices.Equal(ids, []string{"p-00000003", "p-00000001", "p-FullAWSAccess"}) {
			t.Errorf("root's SCPs after re-attaching = %v", ids)
		}
		return nil
	})
	// Bulk detaching: one target, one type, a whole organization.
	update(t, s, func(ctx context.Context, tx org.Tx) error {
		must(t, "DeletePolicyAttachments(target)", tx.DeletePolicyAttachments(ctx, org.PolicyAttachmentQuery{OrgID: o1, TargetID: acct}))
		n, err := tx.CountPolicyAttachments(ctx, org.PolicyAttachmentQuery{OrgID: o1, TargetID: acct})
		must(t, "CountPolicyAttachments", err)
		if n != 0 {
			t.Errorf("account keeps %d attachments", n)
		}
		must(t, "DeletePolicyAttachments(type)", tx.DeletePolicyAttachments(ctx, org.PolicyAttachmentQuery{OrgID: o1, PolicyType: scp}))
		for target, want := range map[string]int{root: 1, ou1: 0} {
			n, err := tx.CountPolicyAttachments(ctx, org.PolicyAttachmentQuery{OrgID: o1, TargetID: target})
			must(t, "CountPolicyAttachments", err)
			if n != want {
				t.Errorf("after detaching SCPs, %s has %d attachments, want %d", target, n, want)
			}
		}
		must(t, "DeletePolicyAttachments(org)", tx.DeletePolicyAttachments(ctx, org.PolicyAttachmentQuery{OrgID: o1}))
		n, err = tx.CountPolicyAttachments(ctx, org.PolicyAttachmentQuery{OrgID: o1, TargetID: root})
		must(t, "CountPolicyAttachments", err)
		if n != 0 {
			t.Errorf("root keeps %d attachments", n)
		}
		n, err = tx.CountPolicyAttachments(ctx, org.PolicyAttachmentQuery{OrgID: o2, TargetID: "r-2222"})
		must(t, "CountPolicyAttachments", err)
		if n != 1 {
			t.Errorf("other organization's root has %d attachments, want 1", n)
		}
		return nil
	})
}

func testEnabledPolicyTypes(t *testing.T, s org.Store) {
	const o1, o2 = "o-1111111111", "o-2222222222"
	e := func(orgID, typ string) *org.EnabledPolicyType {
		return &org.EnabledPolicyType{OrgID: orgID, RootID: "r-" + orgID[2:6], Type: typ, Status: "ENABLED", EnabledAt: t0}
	}
	update(t, s, func(ctx context.Context, tx org.Tx) error {
		got, err := tx.EnabledPolicyTypes(ctx, o1)
		must(t, "EnabledPolicyTypes", err)
		if len(got) != 0 {
			t.Errorf("EnabledPolicyTypes of a new organization = %+v", got)
		}
		for _, x := range []*org.EnabledPolicyType{e(o1, "TAG_POLICY"), e(o1, "BACKUP_POLICY"), e(o1, "SERVICE_CONTROL_POLICY"), e(o2, "TAG_POLICY")} {
			must(t, "PutEnabledPolicyType", tx.PutEnabledPolicyType(ctx, x))
		}
		// Replacing is no error.
		must(t, "PutEnabledPolicyType again", tx.PutEnabledPolicyType(ctx, e(o1, "TAG_POLICY")))
		return nil
	})
	view(t, s, func(ctx context.Context, tx org.Tx) error {
		got, err := tx.EnabledPolicyTypes(ctx, o1)
		must(t, "EnabledPolicyTypes", err)
		var types []string
		for _, g := range got {
			types = append(types, g.Type)
			if !g.EnabledAt.Equal(t0) || g.RootID != "r-1111" || g.Status != "ENABLED" || g.OrgID != o1 {
				t.Errorf("EnabledPolicyType = %+v", g)
			}
		}
		if !slices.Equal(types, []string{"BACKUP_POLICY", "SERVICE_CONTROL_POLICY", "TAG_POLICY"}) {
			t.Errorf("EnabledPolicyTypes = %v, want by type", types)
		}
		return nil
	})
	update(t, s, func(ctx context.Context, tx org.Tx) error {
		must(t, "DeleteEnabledPolicyType", tx.DeleteEnabledPolicyType(ctx, o1, "TAG_POLICY"))
		wantErr(t, "DeleteEnabledPolicyType again", tx.DeleteEnabledPolicyType(ctx, o1, "TAG_POLICY"), org.ErrNotFound)
		got, err := tx.EnabledPolicyTypes(ctx, o1)
		must(t, "EnabledPolicyTypes", err)
		if len(got) != 2 {
			t.Errorf("after disabling one: %d types, want 2", len(got))
		}
		must(t, "DeleteEnabledPolicyTypes", tx.DeleteEnabledPolicyTypes(ctx, o1))
		got, err = tx.EnabledPolicyTypes(ctx, o1)
		must(t, "EnabledPolicyTypes", err)
		other, err := tx.EnabledPolicyTypes(ctx, o2)
		must(t, "EnabledPolicyTypes", err)
		if len(got) != 0 || len(other) != 1 {
			t.Errorf("after DeleteEnabledPolicyTypes(%s): %d and %d types, want 0 and 1", o1, len(got), len(other))
		}
		return nil
	})
}
