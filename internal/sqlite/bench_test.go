package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/orgd/orgd/internal/org"
)

// benchStores runs fn against a file store (FULL and NORMAL synchronous) and a memory store.
func benchStores(b *testing.B, fn func(b *testing.B, s *Store)) {
	for _, c := range []struct {
		name string
		dsn  func(b *testing.B) string
		opts Options
	}{
		{"file-full", func(b *testing.B) string { return filepath.Join(b.TempDir(), "orgd.db") }, Options{Synchronous: "FULL"}},
		{"file-normal", func(b *testing.B) string { return filepath.Join(b.TempDir(), "orgd.db") }, Options{Synchronous: "NORMAL"}},
		{"memory", func(*testing.B) string { return Memory }, Options{}},
	} {
		b.Run(c.name, func(b *testing.B) {
			s, err := Open(context.Background(), c.dsn(b), c.opts)
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			fn(b, s)
		})
	}
}

func benchAccount(i int, orgID string) *org.Account {
	id := fmt.Sprintf("%012d", 100000000000+i)
	return &org.Account{ID: id, Email: id + "@example.com", Name: "account-" + id, SellerOfRecord: org.SellerAWS,
		PaymentInstrument: true, EmailVerified: true, OrgID: orgID, ParentID: "r-1111",
		JoinedMethod: "INVITED", JoinedAt: time.UnixMilli(1700000000000).UTC(), State: "ACTIVE"}
}

func seedAccounts(b *testing.B, s *Store, n int, orgID string) {
	b.Helper()
	ctx := context.Background()
	err := s.Update(ctx, func(tx org.Tx) error {
		for i := range n {
			if err := tx.PutAccount(ctx, benchAccount(i, orgID)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}

func BenchmarkAccountRead(b *testing.B) {
	benchStores(b, func(b *testing.B, s *Store) {
		seedAccounts(b, s, 1000, "o-1111111111")
		ctx := context.Background()
		i := 0
		for b.Loop() {
			id := fmt.Sprintf("%012d", 100000000000+i%1000)
			i++
			err := s.View(ctx, func(tx org.Tx) error {
				_, err := tx.Account(ctx, id)
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkAccountReadParallel(b *testing.B) {
	benchStores(b, func(b *testing.B, s *Store) {
		seedAccounts(b, s, 1000, "o-1111111111")
		ctx := context.Background()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				id := fmt.Sprintf("%012d", 100000000000+i%1000)
				i++
				if err := s.View(ctx, func(tx org.Tx) error {
					_, err := tx.Account(ctx, id)
					return err
				}); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// BenchmarkPutTags is one durable write transaction per iteration.
func BenchmarkPutTags(b *testing.B) {
	benchStores(b, func(b *testing.B, s *Store) {
		ctx := context.Background()
		i := 0
		for b.Loop() {
			tag := org.Tag{Key: fmt.Sprintf("k%d", i%50), Value: fmt.Sprint(i)}
			i++
			if err := s.Update(ctx, func(tx org.Tx) error {
				return tx.PutTags(ctx, "111111111111", []org.Tag{tag})
			}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkListAccountsPage reads a page of 20 from an organization of 100,000 accounts,
// at positions spread over the whole organization.
func BenchmarkListAccountsPage(b *testing.B) {
	const n = 100000
	benchStores(b, func(b *testing.B, s *Store) {
		seedAccounts(b, s, n/2, "o-2222222222") // another organization's accounts interleave
		ctx := context.Background()
		err := s.Update(ctx, func(tx org.Tx) error {
			for i := n / 2; i < n/2+n; i++ {
				if err := tx.PutAccount(ctx, benchAccount(i, "o-1111111111")); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		i := 0
		for b.Loop() {
			after := fmt.Sprintf("%012d", 100000000000+n/2+(i*7919)%(n-21))
			i++
			err := s.View(ctx, func(tx org.Tx) error {
				as, err := tx.ListAccounts(ctx, org.AccountQuery{OrgID: "o-1111111111", ParentID: "r-1111", AfterID: after, Limit: 21})
				if err == nil && len(as) == 0 {
					err = fmt.Errorf("empty page after %s", after)
				}
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkListHandshakesRecipient reads a page of 20 of the handshakes an account received at
// its id or its e-mail, among 20,000 handshakes to 1,000 recipients.
func BenchmarkListHandshakesRecipient(b *testing.B) {
	benchStores(b, func(b *testing.B, s *Store) {
		ctx := context.Background()
		t0 := time.UnixMilli(1700000000000).UTC()
		err := s.Update(ctx, func(tx org.Tx) error {
			for i := range 20000 {
				r := i % 1000
				h := &org.Handshake{ID: fmt.Sprintf("h-%010d", i), OrgID: fmt.Sprintf("o-%010d", i%50),
					ManagementAccountID: "999999999999", Action: "INVITE", State: "OPEN",
					Parties:     []org.Party{{ID: "o-1", Type: "ORGANIZATION"}, {ID: "x", Type: "ACCOUNT"}},
					Resources:   []org.Resource{{Type: "ORGANIZATION", Value: "o-1", Resources: []org.Resource{{Type: "MASTER_EMAIL", Value: "m@example.com"}}}},
					RequestedAt: t0, ExpiresAt: t0.Add(15 * 24 * time.Hour), VisibleUntil: t0.Add(45 * 24 * time.Hour)}
				if i%2000 < 1000 {
					h.RecipientAccountID = fmt.Sprintf("%012d", r)
				} else {
					h.RecipientEmail = fmt.Sprintf("%012d@example.com", r)
				}
				if err := tx.PutHandshake(ctx, h); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		q := org.HandshakeQuery{RecipientAccountID: "000000000007", RecipientEmail: "000000000007@example.com",
			VisibleAfter: t0, Limit: 21}
		for b.Loop() {
			err := s.View(ctx, func(tx org.Tx) error {
				hs, err := tx.ListHandshakes(ctx, q)
				if err == nil && len(hs) != 20 {
					err = fmt.Errorf("page of %d, want 20", len(hs))
				}
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}
