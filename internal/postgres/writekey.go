package postgres

import (
	"context"
	"fmt"
	"hash/fnv"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/orgd/orgd/internal/org"
)

// serialized is Update for a ctx that carries a write key: it runs fn once the Updates with
// the same key, in this process and in the others on the database, have ended.
//
// Writers of one organization read and write the same rows (its counters, a resource's
// tags): at SERIALIZABLE, concurrent ones conflict, and under a steady load from one account
// some keep losing until they spend maxAttempts. Queued one behind another, they never
// overlap, so they never conflict with each other.
//
// The queue must form before the transaction's snapshot: PostgreSQL takes it at the first
// statement, so a lock taken inside the transaction would leave the snapshot as stale as
// before. Hence two locks ahead of BEGIN: first this process's, so that its queued writers
// wait without a connection (the pool is small, and readers need its connections), then a
// session advisory lock on one connection, for the writers of other processes, kept across
// the transaction's attempts.
//
// Writers of different keys may still conflict: the accounts that accept invitations to one
// organization at once, each its own key, all move the organization's counters. A writer
// that conflicted therefore runs its next attempts alone among keyed writers: each holds a
// share of the store's retry lock while it runs, and the one that conflicted waits for the
// whole lock. Its second attempt then meets no conflict but with writers that carry no key
// (a few of the admin API's), and the bounded retry stays the rule for those.
func (s *Store) serialized(ctx context.Context, key string, fn func(org.Tx) error) error {
	unlock, err := s.writers.lock(ctx, key)
	if err != nil {
		return fmt.Errorf("postgres: wait for the writes of key %s: %w", key, err)
	}
	defer unlock()
	c, err := s.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("postgres: begin: %w", err)
	}
	// Deferred before the locks are taken, because a lock statement that fails may leave the
	// session a lock: the key's, when the retry lock's failed. The unlock releases it; when
	// ctx interrupted the statement, pgx closed the connection, and discarding it does. A
	// panic in fn comes here too, after run rolled its transaction back.
	defer func() {
		if _, err := c.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock_all()`); err != nil {
			// The session may still hold its locks, and would keep them in the pool.
			// Update's answer stays the transaction's: a failed unlock says nothing of it,
			// and a closed session holds no lock.
			discard(ctx, c)
			return
		}
		c.Release()
	}()
	// A batch runs its statements in order, in one round trip. The key's lock comes first:
	// a writer that held a share of the retry lock while it queued for its key would keep
	// the retrier that holds the key waiting for it, for ever.
	keyLock, retryLock := s.writeLock(key), s.retryLock()
	b := &pgx.Batch{}
	b.Queue(`SELECT pg_advisory_lock($1)`, keyLock)
	b.Queue(`SELECT pg_advisory_lock_shared($1)`, retryLock)
	if err := c.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("postgres: wait for the writes of key %s in other processes: %w", key, err)
	}
	alone := false
	return s.retry(ctx, c, writeOptions, fn, func() error {
		if alone {
			return nil
		}
		// The share goes first: two retriers that each kept theirs while waiting for the
		// whole lock would wait for each other.
		b := &pgx.Batch{}
		b.Queue(`SELECT pg_advisory_unlock_shared($1)`, retryLock)
		b.Queue(`SELECT pg_advisory_lock($1)`, retryLock)
		if err := c.SendBatch(ctx, b).Close(); err != nil {
			return fmt.Errorf("postgres: wait for the other writers to retry alone: %w", err)
		}
		alone = true
		return nil
	})
}

// discard closes a connection instead of giving it back to the pool: its session may hold
// advisory locks, and a closed session holds none.
func discard(ctx context.Context, c *pgxpool.Conn) {
	c.Hijack().Close(context.WithoutCancel(ctx))
}

// writeLock is the key of the advisory lock of write key key, and retryLock that of the
// store's retry lock: hashes of what they lock and the store's schema. Their top bit is set,
// so they are negative and cannot be migrationLock. Two keys that share a lock (a 2^-63
// chance) only wait for each other more than they need to.
func (s *Store) writeLock(key string) int64 { return s.lockID("key", key) }

func (s *Store) retryLock() int64 { return s.lockID("retry", "") }

func (s *Store) lockID(kind, key string) int64 {
	h := fnv.New64a()
	for _, part := range []string{kind, s.schema, key} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	return int64(h.Sum64() | 1<<63)
}

// keyLocks is a mutex per key, for the keys that are held or awaited: an entry goes when
// its last holder or waiter leaves, so the map holds no more than the Updates in flight.
// The zero value is ready to use.
type keyLocks struct {
	mu   sync.Mutex
	keys map[string]*keyLock
}

type keyLock struct {
	// token holds a value while the key is held. A channel rather than a sync.Mutex: a
	// waiter must be able to give up when its ctx ends.
	token chan struct{}
	refs  int // holders and waiters
}

// lock waits until key is free or ctx ends, and returns the function that frees it.
func (l *keyLocks) lock(ctx context.Context, key string) (unlock func(), err error) {
	l.mu.Lock()
	k := l.keys[key]
	if k == nil {
		if l.keys == nil {
			l.keys = map[string]*keyLock{}
		}
		k = &keyLock{token: make(chan struct{}, 1)}
		l.keys[key] = k
	}
	k.refs++
	l.mu.Unlock()
	select {
	case k.token <- struct{}{}:
		return func() {
			<-k.token
			l.leave(key, k)
		}, nil
	case <-ctx.Done():
		l.leave(key, k)
		return nil, ctx.Err()
	}
}

// leave drops a holder or waiter of k, and k itself when it was the last.
func (l *keyLocks) leave(key string, k *keyLock) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if k.refs--; k.refs == 0 {
		delete(l.keys, key)
	}
}
