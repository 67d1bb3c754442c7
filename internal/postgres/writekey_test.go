package postgres

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/orgd/orgd/internal/org"
	"github.com/orgd/orgd/internal/pgtest"
)

// durableURL returns the URL of a database on a server that flushes each commit to the disk,
// as a production one does: the flush holds each transaction open longer, so concurrent
// ones overlap, and conflict, as they do in production. The server is the test's own, which
// takes a second or two to start; with pgtest.EnvURL set it is that server, durable or not.
func durableURL(t *testing.T) string {
	t.Helper()
	if os.Getenv(pgtest.EnvURL) == "" {
		url, stop, err := pgtest.StartPrivate(pgtest.Options{Durable: true})
		if err == nil {
			t.Cleanup(stop)
			return url
		}
		if !errors.Is(err, pgtest.ErrNotInstalled) {
			t.Fatal(err)
		}
	}
	return pgtest.URL(t) // skips, or fails, as the other tests do
}

func openOn(t *testing.T, url string, opts Options) *Store {
	t.Helper()
	s, err := Open(t.Context(), url, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// tagOnce is TagResource's transaction: count the resource's tags, refuse past a quota,
// add one. Every writer reads the range of tags every other writer inserts into: at
// SERIALIZABLE, concurrent ones conflict. It returns how many times fn ran.
func tagOnce(ctx context.Context, s *Store, resource, key string) (runs int, err error) {
	const quota = 1000 // not reached: the check is there for its read
	err = s.Update(ctx, func(tx org.Tx) error {
		runs++
		n, err := tx.CountTags(ctx, resource)
		if err != nil {
			return err
		}
		if n+1 > quota {
			return fmt.Errorf("%s has %d tags: quota reached", resource, n)
		}
		return tx.PutTags(ctx, resource, []org.Tag{{Key: key, Value: "v"}})
	})
	return runs, err
}

// Writers do not fail for conflicts when they carry write keys. On a durable server, 16
// writers in two processes each count a resource's tags and add one: with one key, every
// write succeeds at its first run; with a key of its own, each succeeds by its second,
// which runs alone. Without keys, the same load runs transactions again, and may fail.
func TestWriteKeysSpareConflicts(t *testing.T) {
	url := durableURL(t)
	replicas := []*Store{openOn(t, url, Options{}), openOn(t, url, Options{})}
	const workers, each, writes = 16, 20, 16 * 20
	// load runs the writes on resource, each with the ctx that keyed gives it, and returns
	// the runs they took, the most one took, and how many failed.
	// load runs the writes on resource, each with the ctx that keyed gives it, and returns
	// the runs they took, the most one took, and how many failed.
	load := func(resource string, keyed func(w, i int) context.Context) (runs, most, failed int) {
		perWrite, errs := make([]int, writes), make([]error, writes)
		var wg sync.WaitGroup
		for w := range workers {
			s := replicas[w%len(replicas)]
			wg.Go(func() {
				for i := range each {
					n := w*each + i
					perWrite[n], errs[n] = tagOnce(keyed(w, i), s, resource, fmt.Sprintf("k-%03d", n))
				}
			})
		}
		wg.Wait()
		for n := range writes {
			runs += perWrite[n]
			most = max(most, perWrite[n])
			if errs[n] != nil {
				failed++
				t.Logf("%s: %v", resource, errs[n])
			}
		}
		var tags int
		scan(t, replicas[0], `SELECT COUNT(*) FROM tags WHERE resource_id = $1`, []any{resource}, &tags)
		if tags != writes-failed {
			t.Errorf("%s: %d tags after %d writes of which %d failed", resource, tags, writes, failed)
		}
		for i, s := range replicas {
			if n := len(s.writers.keys); n != 0 {
				t.Errorf("%s: replica %d keeps %d keys after its writes", resource, i, n)
			}
		}
		t.Logf("%s: %d writes took %d runs, at most %d each; %d failed", resource, writes, runs, most, failed)
		return runs, most, failed
	}

	ctx := t.Context()
	oneKey := org.WithWriteKey(ctx, "111111111111")
	if runs, _, failed := load("r-one-key", func(int, int) context.Context { return oneKey }); failed != 0 || runs != writes {
		t.Errorf("with one write key, %d writes took %d runs and %d failed: want each to succeed at its first", writes, runs, failed)
	}
	if _, most, failed := load("r-own-keys", func(w, i int) context.Context {
		return org.WithWriteKey(ctx, fmt.Sprintf("%06d%06d", w, i))
	}); failed != 0 || most > 2 {
		t.Errorf("with a key each, the writes took up to %d runs and %d failed: want each to succeed by its second", most, failed)
	}
	// Not asserted: how often transactions conflict depends on the machine.
	load("r-no-key", func(int, int) context.Context { return ctx })
}

// lockSessions counts the sessions that hold (granted) or await the advisory lock lock.
func lockSessions(t *testing.T, s *Store, lock int64, granted bool) int {
	t.Helper()
	var n int
	scan(t, s, `SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 1
		AND classid = $1 AND objid = $2 AND granted = $3`,
		[]any{uint32(uint64(lock) >> 32), uint32(lock), granted}, &n)
	return n
}

// waitFor polls cond until it holds, failing t after 10s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("still waiting for %s after 10s", what)
		}
	}
}

// An Update canceled while it waits, for its write key behind a writer of this process or
// of another, or to retry alone behind the writers of other keys, returns at once with the
// context's error, without running fn (again), and leaves nothing behind that delays the
// next writer.
func TestWriteKeyWaitCanceled(t *testing.T) {
	url := pgtest.URL(t)
	a, b := openOn(t, url, Options{}), openOn(t, url, Options{})
	const key, other = "111111111111", "222222222222"
	ctx := org.WithWriteKey(t.Context(), key)

	held, release, holderDone := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		holderDone <- a.Update(ctx, func(tx org.Tx) error {
			close(held)
			<-release
			return tx.PutSetting(ctx, "holder", "done")
		})
	}()
	<-held
	defer close(release) // on a failure below: the holder ends, and the test with it

	for _, c := range []struct {
		name    string
		s       *Store
		key     string
		runs    int // how many times fn runs before the wait
		waiting func() bool
	}{
		{"behind a writer of this process", a, key, 0, func() bool {
			a.writers.mu.Lock()
			defer a.writers.mu.Unlock()
			return a.writers.keys[key].refs == 2
		}},
		{"behind a writer of another process", b, key, 0, func() bool {
			return lockSessions(t, a, a.writeLock(key), false) == 1
		}},
		// The holder has a share of the retry lock: a writer that conflicted waits for it.
		{"to retry alone", b, other, 1, func() bool {
			return lockSessions(t, a, a.retryLock(), false) == 1
		}},
	} {
		wctx, cancel := context.WithCancel(org.WithWriteKey(ctx, c.key))
		done := make(chan error, 1)
		runs := 0
		go func() {
			done <- c.s.Update(wctx, func(otx org.Tx) error {
				if runs++; runs == 1 && c.runs == 1 {
					return raise(wctx, otx, "40001")
				}
				return nil
			})
		}()
		waitFor(t, c.name, c.waiting)
		cancel()
		select {
		case err := <-done:
			if !errors.Is(err, context.Canceled) || runs != c.runs {
				t.Errorf("%s: canceled Update returned %v after %d runs; want context.Canceled after %d", c.name, err, runs, c.runs)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: canceled Update still waits after 10s", c.name)
		}
	}

	release <- struct{}{}
	if err := <-holderDone; err != nil {
		t.Fatalf("holder: %v", err)
	}
	for _, s := range []*Store{a, b} {
		tctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := s.Update(tctx, func(tx org.Tx) error { return tx.PutSetting(tctx, "after", "the cancels") })
		cancel()
		if err != nil {
			t.Errorf("Update after the canceled waits: %v", err)
		}
	}
	if n := len(a.writers.keys) + len(b.writers.keys); n != 0 {
		t.Errorf("%d keys kept after the writes", n)
	}
}

// However fn ends (an error, a panic, its session killed under it), the write key is free
// when Update returns: no session holds its lock, another process's writer takes it, and
// the connection is back in the pool or gone.
func TestWriteKeyReleasedAfterFailure(t *testing.T) {
	url := pgtest.URL(t)
	// One connection: an Update that kept it, or left it holding the lock, blocks the next.
	a, b := openOn(t, url, Options{MaxConns: 1}), openOn(t, url, Options{})
	const key = "111111111111"
	ctx := org.WithWriteKey(t.Context(), key)
	errFn := errors.New("fn fails")

	for _, c := range []struct {
		name string
		fn   func(tx org.Tx) error
	}{
		{"error", func(tx org.Tx) error {
			if err := tx.PutSetting(ctx, "k", "v"); err != nil {
				return err
			}
			return errFn
		}},
		{"panic", func(tx org.Tx) error {
			tx.PutSetting(ctx, "k", "v")
			panic("fn panics")
		}},
		{"session killed", func(otx org.Tx) error {
			var pid int
			if err := otx.(*tx).queryRow(ctx, `SELECT pg_backend_pid()`).Scan(&pid); err != nil {
				return err
			}
			// The second argument waits until the session is gone.
			var gone bool
			scan(t, b, `SELECT pg_terminate_backend($1, 5000)`, []any{pid}, &gone)
			if !gone {
				t.Error("the session was not terminated")
			}
			return otx.PutSetting(ctx, "k", "v")
		}},
	} {
		var err error
		func() {
			defer func() {
				if p := recover(); p != nil {
					err = fmt.Errorf("panic: %v", p)
				}
			}()
			err = a.Update(ctx, c.fn)
		}()
		if err == nil {
			t.Errorf("%s: Update succeeded", c.name)
		}
		for _, lock := range []int64{a.writeLock(key), a.retryLock()} {
			if n := lockSessions(t, b, lock, true); n != 0 {
				t.Errorf("%s: %d sessions hold lock %#x after Update returned %v", c.name, n, lock, err)
			}
		}
		for _, s := range []*Store{b, a} {
			tctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			err := s.Update(tctx, func(tx org.Tx) error { return tx.PutSetting(tctx, "after", c.name) })
			cancel()
			if err != nil {
				t.Errorf("%s: the next Update with the key: %v", c.name, err)
			}
		}
		if _, err := setting(t, a, "k"); !errors.Is(err, org.ErrNotFound) {
			t.Errorf("%s: the failed Update's write is there: %v", c.name, err)
		}
	}
}

// The locks of two schemas of one database are distinct, and none is the migration's.
func TestWriteLocks(t *testing.T) {
	a, b := &Store{schema: "one"}, &Store{schema: "two"}
	locks := []int64{a.writeLock("k"), b.writeLock("k"), a.writeLock("l"), a.writeLock(""), a.retryLock(), b.retryLock()}
	seen := map[int64]bool{}
	for _, l := range locks {
		if seen[l] {
			t.Errorf("lock %#x taken twice in %#x", l, locks)
		}
		seen[l] = true
		if l >= 0 {
			t.Errorf("lock %#x is not negative, and might be the migration lock's", l)
		}
	}
}
