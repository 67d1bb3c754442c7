package postgres

import (
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/orgd/orgd/internal/org"
	"github.com/orgd/orgd/internal/pgtest"
)

var t0 = time.Date(2025, 3, 1, 10, 20, 30, 123_000_000, time.UTC)

// concurrently runs fn(w, i) for i < each in each of workers goroutines, and fails t with
// the errors they return.
func concurrently(t *testing.T, workers, each int, fn func(w, i int) error) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				if err := fn(w, i); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func putOrganization(t *testing.T, s *Store, id string) {
	t.Helper()
	ctx := t.Context()
	if err := s.Update(ctx, func(tx org.Tx) error {
		return tx.PutOrganization(ctx, &org.Organization{ID: id, FeatureSet: "ALL", ManagementAccountID: "999999999999",
			RootID: "r-" + id[2:6], CreatedAt: t0})
	}); err != nil {
		t.Fatal(err)
	}
}

// Read-modify-write transactions on one row lose no update: the ones that conflict run
// again, and none fails.
func TestConcurrentIncrements(t *testing.T) {
	s, err := Open(t.Context(), pgtest.URL(t), Options{MaxConns: 8})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := t.Context()
	const workers, each = 8, 25
	var runs atomic.Int64
	concurrently(t, workers, each, func(w, i int) error {
		return s.Update(ctx, func(tx org.Tx) error {
			runs.Add(1)
			n := 0
			if v, err := tx.Setting(ctx, "counter"); err == nil {
				n, _ = strconv.Atoi(v)
			} else if !errors.Is(err, org.ErrNotFound) {
				return err
			}
			if err := tx.PutTags(ctx, fmt.Sprint("r-", w), []org.Tag{{Key: fmt.Sprint(i), Value: "v"}}); err != nil {
				return err
			}
			return tx.PutSetting(ctx, "counter", strconv.Itoa(n+1))
		})
	})
	if v, err := setting(t, s, "counter"); err != nil || v != strconv.Itoa(workers*each) {
		t.Errorf("counter = %q, %v; want %d", v, err, workers*each)
	}
	t.Logf("%d increments took %d runs", workers*each, runs.Load())
	if runs.Load() == workers*each {
		t.Error("no transaction conflicted: the test did not test retries")
	}
}

// After ErrConflict the transaction goes on: the domain picks another root id or skips an
// attachment that exists, and what it writes next commits.
func TestConflictLeavesTransactionUsable(t *testing.T) {
	s := open(t)
	ctx := t.Context()
	const o1 = "o-1111111111"
	seedAttachment := &org.PolicyAttachment{OrgID: o1, PolicyID: "p-FullAWSAccess", TargetID: "r-1111",
		PolicyType: "SERVICE_CONTROL_POLICY", TargetType: "ROOT", AttachedAt: t0}
	if err := s.Update(ctx, func(tx org.Tx) error {
		return errors.Join(
			tx.PutAccount(ctx, &org.Account{ID: "111111111111", Email: "taken@example.com", State: "ACTIVE"}),
			tx.PutOrganization(ctx, &org.Organization{ID: o1, FeatureSet: "ALL", ManagementAccountID: "111111111111", RootID: "r-1111"}),
			tx.PutOU(ctx, &org.OU{ID: "ou-1111-aaaaaaaa", OrgID: o1, ParentID: "r-1111", Name: "Prod", Path: "p", Depth: 1}),
			tx.PutPolicy(ctx, &org.Policy{ID: "p-aaaaaaaa", OrgID: o1, Type: "TAG_POLICY", Name: "Tags"}),
			tx.PutPolicyAttachment(ctx, seedAttachment),
		)
	}); err != nil {
		t.Fatal(err)
	}
	conflicts := []struct {
		name string
		put  func(tx org.Tx) error
	}{
		{"e-mail", func(tx org.Tx) error {
			return tx.PutAccount(ctx, &org.Account{ID: "222222222222", Email: "TAKEN@example.com", State: "ACTIVE"})
		}},
		{"root id", func(tx org.Tx) error {
			return tx.PutOrganization(ctx, &org.Organization{ID: "o-2222222222", FeatureSet: "ALL", ManagementAccountID: "222222222222", RootID: "r-1111"})
		}},
		{"OU name", func(tx org.Tx) error {
			return tx.PutOU(ctx, &org.OU{ID: "ou-1111-bbbbbbbb", OrgID: o1, ParentID: "r-1111", Name: "Prod", Path: "p", Depth: 1})
		}},
		{"policy name", func(tx org.Tx) error {
			return tx.PutPolicy(ctx, &org.Policy{ID: "p-bbbbbbbb", OrgID: o1, Type: "TAG_POLICY", Name: "Tags"})
		}},
		{"attachment", func(tx org.Tx) error {
			a := *seedAttachment
			return tx.PutPolicyAttachment(ctx, &a)
		}},
	}
	runs := 0
	err := s.Update(ctx, func(tx org.Tx) error {
		runs++
		for _, c := range conflicts {
			if err := c.put(tx); !errors.Is(err, org.ErrConflict) {
				return fmt.Errorf("%s: %v, want ErrConflict", c.name, err)
			}
		}
		// The organization takes another root id, as CreateOrganization does.
		if err := tx.PutOrganization(ctx, &org.Organization{ID: "o-2222222222", FeatureSet: "ALL",
			ManagementAccountID: "222222222222", RootID: "r-2222"}); err != nil {
			return err
		}
		return tx.PutSetting(ctx, "after", "the conflicts")
	})
	if err != nil || runs != 1 {
		t.Fatalf("Update: %v after %d runs", err, runs)
	}
	if v, err := setting(t, s, "after"); err != nil || v != "the conflicts" {
		t.Errorf("write after the conflicts: %q, %v", v, err)
	}
	if err := s.View(ctx, func(tx org.Tx) error {
		_, err := tx.Organization(ctx, "o-2222222222")
		return err
	}); err != nil {
		t.Errorf("organization put after the conflicts: %v", err)
	}
}

// Transactions that insert one unique key at once, each after finding it free, end with one
// row: the others run again, see it, and get ErrConflict.
func TestUniqueKeysUnderConcurrency(t *testing.T) {
	s := open(t)
	ctx := t.Context()
	const workers = 6
	var ouWins, emailWins atomic.Int64
	concurrently(t, workers, 1, func(w, _ int) error {
		err := s.Update(ctx, func(tx org.Tx) error {
			return tx.PutOU(ctx, &org.OU{ID: fmt.Sprintf("ou-1111-%08d", w), OrgID: "o-1111111111",
				ParentID: "r-1111", Name: "Same name", Path: "p", Depth: 1})
		})
		switch {
		case err == nil:
			ouWins.Add(1)
		case !errors.Is(err, org.ErrConflict):
			return fmt.Errorf("PutOU %d: %w", w, err)
		}
		err = s.Update(ctx, func(tx org.Tx) error {
			return tx.PutAccount(ctx, &org.Account{ID: fmt.Sprintf("%012d", w), Email: "same@example.com", State: "ACTIVE"})
		})
		switch {
		case err == nil:
			emailWins.Add(1)
		case !errors.Is(err, org.ErrConflict):
			return fmt.Errorf("PutAccount %d: %w", w, err)
		}
		return nil
	})
	if ouWins.Load() != 1 || emailWins.Load() != 1 {
		t.Errorf("%d OUs and %d accounts took one name and one e-mail, want one each", ouWins.Load(), emailWins.Load())
	}
}

// A quota check that reads a trigger-kept counter and then inserts holds under concurrency:
// each insert moves the organization's row that the others read, so they cannot all pass.
func TestQuotaHoldsUnderConcurrency(t *testing.T) {
	s := open(t)
	ctx := t.Context()
	const o1, quota, workers = "o-1111111111", 5, 12
	putOrganization(t, s, o1)
	errFull := errors.New("quota reached")
	var sent, refused atomic.Int64
	concurrently(t, workers, 1, func(w, _ int) error {
		err := s.Update(ctx, func(tx org.Tx) error {
			n, err := tx.CountOpenInvitations(ctx, o1)
			if err != nil {
				return err
			}
			if n >= quota {
				return errFull
			}
			return tx.PutHandshake(ctx, &org.Handshake{ID: fmt.Sprint("h-", w), OrgID: o1, Action: "INVITE",
				State: "OPEN", RequestedAt: t0, ExpiresAt: t0.Add(time.Hour)})
		})
		switch {
		case err == nil:
			sent.Add(1)
		case errors.Is(err, errFull):
			refused.Add(1)
		default:
			return err
		}
		return nil
	})
	if sent.Load() != quota || refused.Load() != workers-quota {
		t.Errorf("%d invitations sent and %d refused, want %d and %d", sent.Load(), refused.Load(), quota, workers-quota)
	}
	var open, rows int
	scan(t, s, `SELECT open_invitations FROM organizations WHERE id = $1`, []any{o1}, &open)
	scan(t, s, `SELECT COUNT(*) FROM handshakes WHERE org_id = $1`, []any{o1}, &rows)
	if open != quota || rows != quota {
		t.Errorf("open_invitations = %d over %d rows, want %d", open, rows, quota)
	}
}

// The counters the triggers keep equal a count of the rows after concurrent transactions
// send, cancel, accept and expire invitations, move accounts in and out, and move the daily
// window.
func TestCountersUnderConcurrency(t *testing.T) {
	s := open(t)
	ctx := t.Context()
	const o1, o2 = "o-1111111111", "o-2222222222"
	putOrganization(t, s, o1)
	putOrganization(t, s, o2)
	const workers, each = 6, 15
	var wg sync.WaitGroup
	wg.Go(func() {
		concurrently(t, workers, each, func(w, i int) error {
			id := fmt.Sprintf("h-%d-%02d", w, i)
			h := &org.Handshake{ID: id, OrgID: []string{o1, o2}[i%2], Action: "INVITE", State: "OPEN",
				RequestedAt: t0.Add(time.Duration(i) * time.Minute), ExpiresAt: t0.Add(time.Duration(i%4) * time.Hour)}
			a := &org.Account{ID: fmt.Sprintf("%06d%06d", w, i), Email: id + "@example.com", State: "ACTIVE",
				OrgID: h.OrgID, ParentID: "r-" + h.OrgID[2:6]}
			if err := s.Update(ctx, func(tx org.Tx) error {
				return errors.Join(tx.PutHandshake(ctx, h), tx.PutAccount(ctx, a))
			}); err != nil {
				return err
			}
			// Close some: cancel, accept (the account joined), or leave the organization.
			return s.Update(ctx, func(tx org.Tx) error {
				got, err := tx.Handshake(ctx, id)
				if err != nil {
					return err
				}
				switch i % 3 {
				case 0:
					got.State = "CANCELED"
				case 1:
					got.State = "ACCEPTED"
				default:
					left := *a
					left.OrgID, left.ParentID = "", ""
					return tx.PutAccount(ctx, &left)
				}
				return tx.PutHandshake(ctx, got)
			})
		})
	})
	// Alongside, the window start moves, and expired invitations are expired.
	wg.Go(func() {
		concurrently(t, 1, 20, func(_, k int) error {
			return s.Update(ctx, func(tx org.Tx) error {
				o := []string{o1, o2}[k%2]
				if _, err := tx.ExpireHandshakes(ctx, o, t0.Add(time.Duration(k)*5*time.Minute), 0); err != nil {
					return err
				}
				_, err := tx.CountRecentInvitations(ctx, o, t0.Add(time.Duration(k)*30*time.Second))
				return err
			})
		})
	})
	wg.Wait()
	for _, o := range []string{o1, o2} {
		var members, open, day, from int64
		scan(t, s, `SELECT members, open_invitations, invites_day, invites_day_from FROM organizations WHERE id = $1`,
			[]any{o}, &members, &open, &day, &from)
		var wantMembers, wantOpen, wantDay int64
		scan(t, s, `SELECT COUNT(*) FROM accounts WHERE org_id = $1`, []any{o}, &wantMembers)
		scan(t, s, `SELECT COUNT(*) FROM handshakes WHERE org_id = $1 AND action = 'INVITE'
			AND state IN ('OPEN', 'REQUESTED')`, []any{o}, &wantOpen)
		scan(t, s, `SELECT COUNT(*) FROM handshakes WHERE org_id = $1 AND action = 'INVITE'
			AND state <> 'ACCEPTED' AND requested_at > $2`, []any{o, from}, &wantDay)
		if members != wantMembers || open != wantOpen || day != wantDay {
			t.Errorf("%s: members %d, open invitations %d, invitations in the day %d; the rows count %d, %d, %d",
				o, members, open, day, wantMembers, wantOpen, wantDay)
		}
		if wantMembers == 0 || wantOpen == 0 || wantDay == 0 {
			t.Errorf("%s: counted %d members, %d open, %d in the day: the test counts nothing", o, wantMembers, wantOpen, wantDay)
		}
	}
}
