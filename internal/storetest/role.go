package storetest

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/orgd/orgd/internal/iam"
	"github.com/orgd/orgd/internal/org"
)

// IAM roles and STS's temporary credentials.

func testRoles(t *testing.T, s org.Store) {
	const a1, a2 = "111111111111", "222222222222"
	admin := org.Role{AccountID: a1, Name: "Admin", ID: "AROAAAAAAAAAAAAAAAAAA", TrustedPrincipals: []string{"333333333333",
		"arn:aws:iam::444444444444:role/ops/Deployer"}, MaxSessionDuration: 7200, CreatedAt: t0,
		Policies:            []string{`{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`, `{"Statement":[]}`},
		PermissionsBoundary: `{"Statement":{"Effect":"Allow","Action":"organizations:*","Resource":"*"}}`,
		Tags:                map[string]string{"team": "platform", "Cost-Center": ""}}
	update(t, s, func(ctx context.Context, tx org.Tx) error {
		_, err := tx.Role(ctx, a1, "Admin")
		wantErr(t, "Role(missing)", err, org.ErrNotFound)
		r := admin
		must(t, "PutRole", tx.PutRole(ctx, &r))
		must(t, "PutRole", tx.PutRole(ctx, &org.Role{AccountID: a1, Name: "Zeta", ID: "AROAZ", TrustedPrincipals: []string{a2}, MaxSessionDuration: 3600, CreatedAt: t0}))
		must(t, "PutRole", tx.PutRole(ctx, &org.Role{AccountID: a2, Name: "Admin", ID: "AROA2", TrustedPrincipals: []string{a1}, MaxSessionDuration: 3600, CreatedAt: t0}))
		return nil
	})
	view(t, s, func(ctx context.Context, tx org.Tx) error {
		// IAM compares role names case-insensitively.
		got, err := tx.Role(ctx, a1, "ADMIN")
		must(t, "Role", err)
		if !reflect.DeepEqual(*got, admin) {
			t.Errorf("Role = %+v, want %+v", *got, admin)
		}
		rs, err := tx.ListRoles(ctx, a1)
		must(t, "ListRoles", err)
		if len(rs) != 2 || rs[0].Name != "Admin" || rs[1].Name != "Zeta" {
			t.Errorf("ListRoles(%s) = %+v", a1, rs)
		}
		all, err := tx.ListRoles(ctx, "")
		must(t, "ListRoles", err)
		if len(all) != 3 || all[2].AccountID != a2 {
			t.Errorf("ListRoles(all) = %+v", all)
		}
		return nil
	})
	// A role put again under another case replaces the one row.
	update(t, s, func(ctx context.Context, tx org.Tx) error {
		must(t, "PutRole", tx.PutRole(ctx, &org.Role{AccountID: a1, Name: "admin", ID: admin.ID, TrustedPrincipals: []string{a2}, MaxSessionDuration: 3600, CreatedAt: t0}))
		return nil
	})
	view(t, s, func(ctx context.Context, tx org.Tx) error {
		rs, err := tx.ListRoles(ctx, a1)
		must(t, "ListRoles", err)
		// The replacement declared no policies, boundary nor tags: none are left.
		if len(rs) != 2 || rs[0].Name != "admin" || !reflect.DeepEqual(rs[0].TrustedPrincipals, []string{a2}) || rs[0].MaxSessionDuration != 3600 ||
			rs[0].Policies != nil || rs[0].PermissionsBoundary != "" || rs[0].Tags != nil {
			t.Errorf("ListRoles after a replacement = %+v", rs)
		}
		return nil
	})
	update(t, s, func(ctx context.Context, tx org.Tx) error { return tx.Reset(ctx) })
	view(t, s, func(ctx context.Context, tx org.Tx) error {
		rs, err := tx.ListRoles(ctx, "")
		must(t, "ListRoles", err)
		if len(rs) != 0 {
			t.Errorf("ListRoles after Reset = %+v", rs)
		}
		return nil
	})
}

func testSessions(t *testing.T, s org.Store) {
	sess := func(key string, expires time.Time) *org.Session {
		s := &org.Session{AccessKeyID: key, SecretAccessKey: "secret-" + key, SessionToken: "token-" + key,
			Principal: iam.Principal{Account: "111111111111", Kind: iam.AssumedRole, Name: "Admin", Session: "alice", ID: "AROAX"},
			IssuedAt:  t0, ExpiresAt: expires, Chained: key == "ASIA2"}
		if key == "ASIA2" {
			s.Policy = `{"Statement":{"Effect":"Allow","Action":"organizations:List*","Resource":"*"}}`
			s.Tags = map[string]string{"project": "x"}
		}
		return s
	}
	update(t, s, func(ctx context.Context, tx org.Tx) error {
		_, err := tx.Session(ctx, "ASIA1")
		wantErr(t, "Session(missing)", err, org.ErrNotFound)
		for i, key := range []string{"ASIA1", "ASIA2", "ASIA3", "ASIA4"} {
			must(t, "PutSession", tx.PutSession(ctx, sess(key, t0.Add(time.Duration(i+1)*time.Hour))))
		}
		wantErr(t, "PutSession(existing key)", tx.PutSession(ctx, sess("ASIA1", t0)), org.ErrConflict)
		return nil
	})
	view(t, s, func(ctx context.Context, tx org.Tx) error {
		got, err := tx.Session(ctx, "ASIA2")
		must(t, "Session", err)
		if want := sess("ASIA2", t0.Add(2*time.Hour)); !reflect.DeepEqual(got, want) {
			t.Errorf("Session = %+v, want %+v", got, want)
		}
		got, err = tx.Session(ctx, "ASIA1")
		must(t, "Session", err)
		if got.Chained || !got.ExpiresAt.Equal(t0.Add(time.Hour)) {
			t.Errorf("Session(ASIA1) = %+v: the conflicting put changed it", got)
		}
		return nil
	})
	// Sessions expired by t0+3h: ASIA1..3, removed the earliest first, at most limit a call.
	update(t, s, func(ctx context.Context, tx org.Tx) error {
		n, err := tx.DeleteExpiredSessions(ctx, t0.Add(3*time.Hour), 2)
		must(t, "DeleteExpiredSessions", err)
		if n != 2 {
			t.Errorf("DeleteExpiredSessions removed %d, want 2", n)
		}
		return nil
	})
	present := func(ctx context.Context, tx org.Tx) []string {
		var out []string
		for _, key := range []string{"ASIA1", "ASIA2", "ASIA3", "ASIA4"} {
			if _, err := tx.Session(ctx, key); err == nil {
				out = append(out, key)
			}
		}
		return out
	}
	view(t, s, func(ctx context.Context, tx org.Tx) error {
		if got := present(ctx, tx); !reflect.DeepEqual(got, []string{"ASIA3", "ASIA4"}) {
			t.Errorf("after a first pruning: %v, want [ASIA3 ASIA4]", got)
		}
		return nil
	})
	update(t, s, func(ctx context.Context, tx org.Tx) error {
		n, err := tx.DeleteExpiredSessions(ctx, t0.Add(3*time.Hour), 2)
		must(t, "DeleteExpiredSessions", err)
		if n != 1 {
			t.Errorf("DeleteExpiredSessions removed %d, want 1", n)
		}
		if got := present(ctx, tx); !reflect.DeepEqual(got, []string{"ASIA4"}) {
			t.Errorf("after a second pruning: %v, want [ASIA4]", got)
		}
		must(t, "Reset", tx.Reset(ctx))
		if got := present(ctx, tx); len(got) != 0 {
			t.Errorf("after Reset: %v", got)
		}
		return nil
	})
}
