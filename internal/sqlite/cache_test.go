package sqlite

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orgd/orgd/internal/org"
	"github.com/orgd/orgd/internal/storetest"
)

// The conformance suite against a file store that caches rows (Exclusive).
func TestStoreFileExclusive(t *testing.T) {
	storetest.Run(t, func(t *testing.T) org.Store {
		return openFileOpts(t, filepath.Join(t.TempDir(), "orgd.db"), Options{Exclusive: true})
	})
}

// Only one Exclusive store may have a file; the lock goes with Close.
func TestExclusiveLocksTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "orgd.db")
	s, err := Open(t.Context(), path, Options{Exclusive: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Open(t.Context(), path, Options{Exclusive: true}); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Errorf("second exclusive Open: %v, want an in-use error", err)
	}
	s.Close()
	openFileOpts(t, path, Options{Exclusive: true})
}

// Readers never see a cached row older than one they have already seen, nor a row older
// than the last commit once the writer is done: the cache follows every commit.
func TestCacheFollowsCommits(t *testing.T) {
	for name, open := range map[string]func(t *testing.T) *Store{
		"memory": func(t *testing.T) *Store { return openMemory(t) },
		"file": func(t *testing.T) *Store {
			return openFileOpts(t, filepath.Join(t.TempDir(), "orgd.db"), Options{Exclusive: true})
		},
	} {
		t.Run(name, func(t *testing.T) {
			s := open(t)
			ctx := context.Background()
			const id, writes = "111111111111", 300
			put := func(i int) error {
				return s.Update(ctx, func(tx org.Tx) error {
					return tx.PutAccount(ctx, &org.Account{ID: id, Email: "a@example.com", Name: fmt.Sprintf("%06d", i),
						SellerOfRecord: org.SellerAWS, State: "ACTIVE"})
				})
			}
			if err := put(0); err != nil {
				t.Fatal(err)
			}
			read := func() string {
				var name string
				if err := s.View(ctx, func(tx org.Tx) error {
					a, err := tx.Account(ctx, id)
					if err == nil {
						name = a.Name
					}
					return err
				}); err != nil {
					t.Error(err)
				}
				return name
			}
			var wg sync.WaitGroup
			done := make(chan struct{})
			for range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					last := ""
					for {
						select {
						case <-done:
							return
						default:
						}
						if got := read(); got < last {
							t.Errorf("read %s after %s", got, last)
							return
						} else {
							last = got
						}
					}
				}()
			}
			for i := 1; i <= writes; i++ {
				if err := put(i); err != nil {
					t.Fatal(err)
				}
			}
			close(done)
			wg.Wait()
			if got, want := read(), fmt.Sprintf("%06d", writes); got != want {
				t.Errorf("after the last commit: %s, want %s", got, want)
			}
			// A write transaction reads its own writes, not the cache.
			if err := s.Update(ctx, func(tx org.Tx) error {
				if _, err := tx.Account(ctx, id); err != nil { // cached
					return err
				}
				if err := tx.PutAccount(ctx, &org.Account{ID: id, Email: "a@example.com", Name: "mine",
					SellerOfRecord: org.SellerAWS, State: "ACTIVE"}); err != nil {
					return err
				}
				a, err := tx.Account(ctx, id)
				if err == nil && a.Name != "mine" {
					t.Errorf("the writer read %s after writing mine", a.Name)
				}
				return fmt.Errorf("roll back")
			}); err == nil {
				t.Fatal("the update did not fail")
			}
			if got, want := read(), fmt.Sprintf("%06d", writes); got != want {
				t.Errorf("after a rolled-back write: %s, want %s", got, want)
			}
		})
	}
}

// Concurrent Updates commit together, yet each stands alone: a failing or panicking one
// leaves no write behind and takes none of the others with it; a panic reaches its own
// caller with its value.
func TestGroupCommitKeepsUpdatesApart(t *testing.T) {
	for name, s := range map[string]*Store{
		"memory": openMemory(t),
		"file":   openFileOpts(t, filepath.Join(t.TempDir(), "orgd.db"), Options{Exclusive: true}),
	} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			const n = 64
			errs := make([]error, n)
			panics := make([]any, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					defer func() { panics[i] = recover() }()
					errs[i] = s.Update(ctx, func(tx org.Tx) error {
						if err := tx.PutSetting(ctx, fmt.Sprint("k", i), "v"); err != nil {
							return err
						}
						if err := tx.PutAccount(ctx, &org.Account{ID: fmt.Sprintf("%012d", i), Email: fmt.Sprintf("a%d@example.com", i),
							SellerOfRecord: org.SellerAWS, State: "ACTIVE"}); err != nil {
							return err
						}
						switch i % 4 {
						case 1:
							return fmt.Errorf("fail %d", i)
						case 2:
							panic(fmt.Sprint("boom ", i))
						}
						return nil
					})
				}()
			}
			wg.Wait()
			for i, err := range errs {
				switch i % 4 {
				case 1:
					if err == nil || err.Error() != fmt.Sprint("fail ", i) {
						t.Errorf("update %d: %v, want its own error", i, err)
					}
				case 2:
					if panics[i] != fmt.Sprint("boom ", i) {
						t.Errorf("update %d: recovered %v, want its own panic", i, panics[i])
					}
				default:
					if err != nil || panics[i] != nil {
						t.Errorf("update %d: %v, panic %v", i, err, panics[i])
					}
				}
			}
			if err := s.View(ctx, func(tx org.Tx) error {
				for i := range n {
					_, serr := tx.Setting(ctx, fmt.Sprint("k", i))
					_, aerr := tx.Account(ctx, fmt.Sprintf("%012d", i))
					kept := i%4 == 0 || i%4 == 3
					if kept != (serr == nil) || kept != (aerr == nil) {
						t.Errorf("update %d: setting %v, account %v; kept %v", i, serr, aerr, kept)
					}
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// A cached handshake goes out as a copy: what a caller does to it does not reach the cache,
// and a write replaces it.
func TestCachedHandshakesAreCopies(t *testing.T) {
	s := openMemory(t)
	ctx := context.Background()
	h := &org.Handshake{ID: "h-1", OrgID: "o-1111111111", Action: "INVITE", State: "OPEN",
		Parties:   []org.Party{{ID: "o-1111111111", Type: "ORGANIZATION"}},
		Resources: []org.Resource{{Type: "ORGANIZATION", Value: "o-1111111111", Resources: []org.Resource{{Type: "MASTER_NAME", Value: "bill"}}}},
		Tags:      []org.Tag{{Key: "k", Value: "v"}}}
	if err := s.Update(ctx, func(tx org.Tx) error { return tx.PutHandshake(ctx, h) }); err != nil {
		t.Fatal(err)
	}
	read := func() *org.Handshake {
		var got *org.Handshake
		if err := s.View(ctx, func(tx org.Tx) error {
			var err error
			got, err = tx.Handshake(ctx, "h-1")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return got
	}
	for range 3 { // the later reads come from the cache
		got := read()
		if got.State != "OPEN" || got.Resources[0].Resources[0].Value != "bill" || got.Parties[0].Type != "ORGANIZATION" || got.Tags[0].Value != "v" {
			t.Fatalf("read %+v", got)
		}
		got.Resources[0].Resources[0].Value = "mallory"
		got.Resources = append(got.Resources, org.Resource{Type: "ACCOUNT", Value: "1"})
		got.Parties[0].Type, got.Tags[0].Value = "EMAIL", "w"
	}
	h.State = "ACCEPTED"
	if err := s.Update(ctx, func(tx org.Tx) error { return tx.PutHandshake(ctx, h) }); err != nil {
		t.Fatal(err)
	}
	if got := read(); got.State != "ACCEPTED" || len(got.Resources) != 1 {
		t.Errorf("after the write: %+v", got)
	}
}

// More writes than one batch takes all complete, whoever leads.
func TestGroupCommitBeyondOneBatch(t *testing.T) {
	s := openMemory(t)
	ctx := context.Background()
	const n = 5 * maxBatch
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- s.Update(ctx, func(tx org.Tx) error { return tx.PutSetting(ctx, fmt.Sprint("k", i), "v") })
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := s.View(ctx, func(tx org.Tx) error {
		for i := range n {
			if _, err := tx.Setting(ctx, fmt.Sprint("k", i)); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// A View that reads only cached rows (and the cached settings) needs no connection: it
// succeeds while every reader connection is taken. One that needs a statement waits for one.
func TestViewOnTheCacheAlone(t *testing.T) {
	s := openFileOpts(t, filepath.Join(t.TempDir(), "orgd.db"), Options{Exclusive: true})
	ctx := context.Background()
	const id = "111111111111"
	if err := s.Update(ctx, func(tx org.Tx) error {
		if err := tx.PutSetting(ctx, "k", "v"); err != nil {
			return err
		}
		return tx.PutAccount(ctx, &org.Account{ID: id, Email: "a@example.com", Name: "a", SellerOfRecord: org.SellerAWS, State: "ACTIVE"})
	}); err != nil {
		t.Fatal(err)
	}
	read := func(ctx context.Context, tags bool) (string, error) {
		var got string
		err := s.View(ctx, func(tx org.Tx) error {
			a, err := tx.Account(ctx, id)
			if err != nil {
				return err
			}
			v, err := tx.Setting(ctx, "k")
			if err != nil {
				return err
			}
			got = a.Name + "/" + v
			if tags {
				_, err = tx.Tags(ctx, id, org.ByID)
			}
			return err
		})
		return got, err
	}
	if got, err := read(ctx, false); err != nil || got != "a/v" { // fills the cache
		t.Fatalf("first read: %q, %v", got, err)
	}
	var taken []*conn
	for range cap(s.rconn) {
		taken = append(taken, <-s.rconn)
	}
	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	if got, err := read(short, false); err != nil || got != "a/v" {
		t.Errorf("cached read with every connection taken: %q, %v", got, err)
	}
	if _, err := read(short, true); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("a read needing a statement with every connection taken: %v, want the deadline", err)
	}
	for _, c := range taken {
		s.rconn <- c
	}
	if got, err := read(ctx, true); err != nil || got != "a/v" {
		t.Errorf("after the connections came back: %q, %v", got, err)
	}
}

// A View that has answered a read from the cache and then needs a statement, after a commit
// came in between, runs again: it never mixes the cached state with the newer snapshot. One
// that had read nothing from the cache yet just goes on, on the newer snapshot.
func TestViewRunsAgainWhenTheSnapshotMoves(t *testing.T) {
	for name, open := range map[string]func(t *testing.T) *Store{
		"memory": func(t *testing.T) *Store { return openMemory(t) },
		"file": func(t *testing.T) *Store {
			return openFileOpts(t, filepath.Join(t.TempDir(), "orgd.db"), Options{Exclusive: true})
		},
	} {
		t.Run(name, func(t *testing.T) {
			s := open(t)
			ctx := context.Background()
			const id = "111111111111"
			write := func(v string) {
				if err := s.Update(ctx, func(tx org.Tx) error {
					if err := tx.PutAccount(ctx, &org.Account{ID: id, Email: "a@example.com", Name: v,
						SellerOfRecord: org.SellerAWS, State: "ACTIVE"}); err != nil {
						return err
					}
					return tx.PutTags(ctx, id, []org.Tag{{Key: "k", Value: v}})
				}); err != nil {
					t.Fatal(err)
				}
			}
			write("1")
			for _, cachedFirst := range []bool{true, false} {
				if err := s.View(ctx, func(tx org.Tx) error { _, err := tx.Account(ctx, id); return err }); err != nil {
					t.Fatal(err) // the account and the settings are cached now
				}
				runs, next := 0, map[bool]string{true: "2", false: "3"}[cachedFirst]
				var name, tag string
				if err := s.View(ctx, func(tx org.Tx) error {
					runs++
					if cachedFirst {
						a, err := tx.Account(ctx, id)
						if err != nil {
							return err
						}
						name = a.Name
					}
					if runs == 1 {
						write(next) // commits while this View holds no connection yet
					}
					if !cachedFirst {
						a, err := tx.Account(ctx, id)
						if err != nil {
							return err
						}
						name = a.Name
					}
					tags, err := tx.Tags(ctx, id, org.ByID)
					if err != nil {
						return err
					}
					tag = tags[0].Value
					return nil
				}); err != nil {
					t.Fatal(err)
				}
				if name != next || tag != next {
					t.Errorf("cached read first %v: account %s, tag %s; want both %s", cachedFirst, name, tag, next)
				}
				if want := map[bool]int{true: 2, false: 1}[cachedFirst]; runs != want {
					t.Errorf("cached read first %v: the View ran %d times, want %d", cachedFirst, runs, want)
				}
			}
		})
	}
}

// An organization's members in the cache follow every commit: through random moves of
// accounts between two organizations and none, with several writes to a commit, a cached
// store pages each organization exactly as a store without a cache does.
func TestCachedMembersFollowCommits(t *testing.T) {
	for name, open := range map[string]func(t *testing.T) *Store{
		"memory": func(t *testing.T) *Store { return openMemory(t) },
		"file": func(t *testing.T) *Store {
			return openFileOpts(t, filepath.Join(t.TempDir(), "orgd.db"), Options{Exclusive: true})
		},
	} {
		t.Run(name, func(t *testing.T) {
			cached := open(t)
			plain := openFileOpts(t, filepath.Join(t.TempDir(), "plain.db"), Options{})
			ctx := context.Background()
			r := rand.New(rand.NewPCG(3, 4))
			orgs := []string{"o-aaaaaaaaaa", "o-bbbbbbbbbb", ""}
			put := func(s *Store, ids []string, orgIDs []string) {
				if err := s.Update(ctx, func(tx org.Tx) error {
					for i, id := range ids {
						a := &org.Account{ID: id, Email: id + "@example.com", Name: "a", SellerOfRecord: org.SellerAWS,
							State: "ACTIVE", OrgID: orgIDs[i]}
						if a.OrgID != "" {
							a.ParentID = "r-" + a.OrgID[2:6]
						}
						if err := tx.PutAccount(ctx, a); err != nil {
							return err
						}
					}
					return nil
				}); err != nil {
					t.Fatal(err)
				}
			}
			list := func(s *Store, q org.AccountQuery) []string {
				var ids []string
				if err := s.View(ctx, func(tx org.Tx) error {
					accts, err := tx.ListAccounts(ctx, q)
					for _, a := range accts {
						ids = append(ids, a.ID+"@"+a.OrgID)
					}
					return err
				}); err != nil {
					t.Fatal(err)
				}
				return ids
			}
			id := func() string { return fmt.Sprintf("%012d", r.IntN(400)) }
			for step := range 300 {
				n := 1 + r.IntN(4)
				ids, orgIDs := make([]string, n), make([]string, n)
				for i := range ids {
					ids[i], orgIDs[i] = id(), orgs[r.IntN(len(orgs))]
				}
				put(cached, ids, orgIDs)
				put(plain, ids, orgIDs)
				for range 3 {
					q := org.AccountQuery{OrgID: orgs[r.IntN(2)], Limit: r.IntN(25)}
					if r.IntN(2) == 0 {
						q.AfterID = id()
					}
					if got, want := list(cached, q), list(plain, q); !slices.Equal(got, want) {
						t.Fatalf("step %d, %+v: cached store lists %v, want %v", step, q, got, want)
					}
				}
			}
		})
	}
}
