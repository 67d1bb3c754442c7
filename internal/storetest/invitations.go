package storetest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/orgd/orgd/internal/org"
)

func testOpenInvitations(t *testing.T, s org.Store) {
	const o1, o2 = "o-1111111111", "o-2222222222"
	expiring := func(id, orgID string, expires time.Time) *org.Handshake {
		h := invitation(id, orgID)
		h.ExpiresAt = expires
		return h
	}
	update(t, s, func(ctx context.Context, tx org.Tx) error {
		for i, o := range []string{o1, o2} {
			must(t, "PutOrganization", tx.PutOrganization(ctx, &org.Organization{ID: o, FeatureSet: "ALL",
				ManagementAccountID: "00000000000" + string(rune('1'+i)), RootID: "r-" + o[2:6], CreatedAt: t0}))
		}
		accepted := invitation("h-accepted", o1)
		accepted.State = "ACCEPTED"
		requested := expiring("h-requested", o1, t0.Add(3*time.Hour))
		requested.State = "REQUESTED"
		all := []*org.Handshake{
			expiring("h-1", o1, t0.Add(time.Hour)), expiring("h-2", o1, t0.Add(2*time.Hour)), requested, accepted,
			expiring("h-other", o2, t0.Add(time.Hour)),
		}
		// Handshakes of other actions do not count.
		all = append(all, &org.Handshake{ID: "h-all", OrgID: o1, Action: "ENABLE_ALL_FEATURES", State: "OPEN",
			RequestedAt: t0, ExpiresAt: t0.Add(time.Hour), VisibleUntil: t0.Add(time.Hour)})
		for _, h := range all {
			must(t, "PutHandshake", tx.PutHandshake(ctx, h))
		}
		return nil
	})
	counts := func(step string, want map[string]int) {
		t.Helper()
		view(t, s, func(ctx context.Context, tx org.Tx) error {
			for o, w := range want {
				n, err := tx.CountOpenInvitations(ctx, o)
				must(t, "CountOpenInvitations", err)
				if n != w {
					t.Errorf("%s: CountOpenInvitations(%s) = %d, want %d", step, o, n, w)
				}
			}
			return nil
		})
	}
	counts("sent", map[string]int{o1: 3, o2: 1, "o-3333333333": 0})

	// Expiring stores EXPIRED on what expired by then, in one organization.
	update(t, s, func(ctx context.Context, tx org.Tx) error {
		ids, err := tx.ExpireHandshakes(ctx, o1, t0.Add(time.Hour), 1)
		must(t, "ExpireHandshakes", err)
		if fmt.Sprint(ids) != "[h-1]" {
			t.Errorf("ExpireHandshakes(%s) = %v, want [h-1]", o1, ids)
		}
		h, err := tx.Handshake(ctx, "h-1")
		must(t, "Handshake", err)
		if h.State != "EXPIRED" {
			t.Errorf("expired invitation stored %s", h.State)
		}
		h, err = tx.Handshake(ctx, "h-all")
		must(t, "Handshake", err)
		if h.State != "OPEN" {
			t.Errorf("an ENABLE_ALL_FEATURES handshake was expired: %s", h.State)
		}
		return nil
	})
	counts("expired", map[string]int{o1: 2, o2: 1})

	// Closing one, and opening one, move the count.
	update(t, s, func(ctx context.Context, tx org.Tx) error {
		h, err := tx.Handshake(ctx, "h-2")
		must(t, "Handshake", err)
		h.State = "CANCELED"
		must(t, "PutHandshake", tx.PutHandshake(ctx, h))
		must(t, "PutHandshake", tx.PutHandshake(ctx, expiring("h-3", o1, t0.Add(time.Hour))))
		return nil
	})
	counts("closed one, sent one", map[string]int{o1: 2, o2: 1})

	// Without an organization, a sweep takes what expired in any, of any action, first
	// expired first, limit at a time, each once.
	var swept []string
	for range 3 {
		update(t, s, func(ctx context.Context, tx org.Tx) error {
			ids, err := tx.ExpireHandshakes(ctx, "", t0.Add(3*time.Hour), 2)
			must(t, "ExpireHandshakes", err)
			if len(ids) > 2 {
				t.Errorf("a sweep limited to 2 expired %v", ids)
			}
			slices.Sort(ids)
			swept = append(swept, ids...)
			return nil
		})
	}
	if len(swept) < 2 || slices.Contains(swept[:2], "h-requested") {
		t.Errorf("sweeps expired %v: the first, of 2, must take two of those that expired at t0+1h, not h-requested (t0+3h)", swept)
	}
	slices.Sort(swept)
	if fmt.Sprint(swept) != "[h-3 h-all h-other h-requested]" {
		t.Errorf("sweeps expired %v, want each of h-3 h-all h-other h-requested once", swept)
	}
	counts("swept", map[string]int{o1: 0, o2: 0})
}

// CountRecentInvitations agrees with a count of the invitations themselves, window after
// window, as invitations are sent, accepted and the window start moves (back too).
func testRecentInvitations(t *testing.T, s org.Store) {
	const o1 = "o-1111111111"
	type inv struct {
		at       time.Duration // after t0
		accepted bool
	}
	sent := map[string]*inv{}
	update(t, s, func(ctx context.Context, tx org.Tx) error {
		return tx.PutOrganization(ctx, &org.Organization{ID: o1, FeatureSet: "ALL", ManagementAccountID: "000000000001", RootID: "r-1111", CreatedAt: t0})
	})
	send := func(id string, at time.Duration) {
		h := invitation(id, o1)
		h.RequestedAt = t0.Add(at)
		update(t, s, func(ctx context.Context, tx org.Tx) error { return tx.PutHandshake(ctx, h) })
		sent[id] = &inv{at: at}
	}
	accept := func(id string) {
		update(t, s, func(ctx context.Context, tx org.Tx) error {
			h, err := tx.Handshake(ctx, id)
			must(t, "Handshake", err)
			h.State = "ACCEPTED"
			return tx.PutHandshake(ctx, h)
		})
		sent[id].accepted = true
	}
	check := func(since time.Duration) {
		t.Helper()
		want := 0
		for _, i := range sent {
			if !i.accepted && i.at > since {
				want++
			}
		}
		update(t, s, func(ctx context.Context, tx org.Tx) error {
			n, err := tx.CountRecentInvitations(ctx, o1, t0.Add(since))
			must(t, "CountRecentInvitations", err)
			if n != want {
				t.Errorf("CountRecentInvitations(t0%+v) = %d, want %d", since, n, want)
			}
			return nil
		})
	}
	for i := range 10 {
		send(fmt.Sprint("h-", i), time.Duration(i)*time.Hour)
	}
	check(-time.Hour)
	check(2*time.Hour + 30*time.Minute)
	accept("h-5")
	accept("h-1") // before the window: no change
	check(3 * time.Hour)
	send("h-10", 10*time.Hour)
	check(3 * time.Hour)
	check(8 * time.Hour)
	check(time.Hour) // back
	check(20 * time.Hour)
	send("h-11", 21*time.Hour)
	check(20 * time.Hour)
}
