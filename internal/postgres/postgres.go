// Package postgres is the PostgreSQL implementation of org.Store, on a pgx connection pool.
//
// Several orgd processes may share one database: the database is the only state. Update
// runs at SERIALIZABLE, so that concurrent transactions commit only if some serial order of
// them gives the same result, and runs fn again when PostgreSQL cancels it for a conflict
// with another (a serialization failure, a deadlock): the domain is written for that. View
// runs at REPEATABLE READ, READ ONLY: one snapshot, which a read-only transaction can take
// without conflicting with anyone.
//
// Retries alone do not carry a steady stream of writes to the same rows: each conflict costs
// a run, and some writers lose maxAttempts times. Updates that carry one write key (the
// service's: the calling account) therefore queue behind one another, across processes,
// before they begin, and one that still conflicts, with a writer of another key, runs again
// alone among the keyed writers (see serialized).
package postgres

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/orgd/orgd/internal/org"
)

// Options tune the store.
type Options struct {
	// MaxConns bounds the connection pool, each replica's share of the server's
	// max_connections; zero keeps pgx's default (the greater of 4 and the number of CPUs)
	// or the URL's pool_max_conns.
	MaxConns int32
	// OnRetry, when set, hears of each transaction run again after a conflict (orgd's
	// metrics).
	OnRetry func()
}

// Store is an org.Store on one PostgreSQL database.
type Store struct {
	pool *pgxpool.Pool
	// schema is the schema the store's tables are in. Advisory locks are the whole
	// database's: a write key's lock names the schema too, so that stores on other schemas
	// of the database do not wait for this one's writers.
	schema  string
	writers keyLocks // this process's Updates that hold or await a write key
	onRetry func()   // Options.OnRetry
}

var _ org.Store = (*Store)(nil)

// IsURL reports whether dsn names a PostgreSQL database: a postgres:// or postgresql:// URL.
func IsURL(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// Open connects to the database at url and applies the schema migrations it lacks. The URL
// takes libpq's parameters (sslmode, search_path, ...) and pgx's pool ones (pool_max_conns).
func Open(ctx context.Context, url string, opts Options) (*Store, error) {
	if !IsURL(url) {
		// The URL may hold a password: it is not repeated.
		return nil, errors.New("postgres: open: the database is not a postgres:// or postgresql:// URL")
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	if opts.MaxConns > 0 {
		cfg.MaxConns = opts.MaxConns
	}
	// Pages must walk an index in its order and stop after Limit rows. A bitmap scan
	// reads every match in the table's order instead, to be sorted after: the planner
	// picks one when it expects few matches, and a prepared statement's generic plan
	// expects what an average organization holds, also for the largest. Without bitmap
	// scans, every query here has an index that serves it in order, and the planner takes
	// it. The URL may say otherwise.
	if _, ok := cfg.ConnConfig.RuntimeParams["enable_bitmapscan"]; !ok {
		cfg.ConnConfig.RuntimeParams["enable_bitmapscan"] = "off"
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	if err := migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, err
	}
	var schema string
	if err := pool.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: open: read the schema: %w", err)
	}
	return &Store{pool: pool, schema: schema, onRetry: opts.OnRetry}, nil
}

// Close closes the pool's connections, waiting for those in use.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// Ready reports whether the database answers a read and its schema is the one this
// program's migrations make: an error says why not. A replica of an older orgd, after a
// newer one migrated the database further, is not ready.
func (s *Store) Ready(ctx context.Context) error {
	ms, err := migrations()
	if err != nil {
		return fmt.Errorf("postgres: migrations: %w", err)
	}
	var version int
	if err := s.pool.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&version); err != nil {
		return fmt.Errorf("postgres: read schema version: %w", err)
	}
	if version != len(ms) {
		return fmt.Errorf("postgres: database schema version %d, this program's %d", version, len(ms))
	}
	return nil
}

// maxAttempts bounds the runs of one transaction that conflicts with others. Each conflict
// means another transaction committed, so the system moves on; the bound keeps a caller
// from waiting without end behind a hot row.
const maxAttempts = 10

// backoff is the pause before attempt (2, 3, ...): exponential from 1ms up to 100ms, with
// jitter so that the transactions that conflicted do not meet again at once.
func backoff(attempt int) time.Duration {
	d := min(time.Millisecond<<(attempt-1), 100*time.Millisecond)
	return d/2 + rand.N(d/2+1)
}

var (
	writeOptions = pgx.TxOptions{IsoLevel: pgx.Serializable, AccessMode: pgx.ReadWrite}
	readOptions  = pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}
)

// Update runs fn in a SERIALIZABLE transaction, running it again (up to maxAttempts times)
// when PostgreSQL reports a conflict with a concurrent transaction. When ctx carries a write
// key, it first waits for the Updates with the same key, in every process on the database,
// to end (see serialized).
func (s *Store) Update(ctx context.Context, fn func(org.Tx) error) error {
	if key, ok := org.WriteKey(ctx); ok {
		return s.serialized(ctx, key, fn)
	}
	return s.retry(ctx, s.pool, writeOptions, fn, nil)
}

// View runs fn in a REPEATABLE READ, READ ONLY transaction: one snapshot. Write methods of
// its Tx fail. It runs fn again on the rare conflicts a reader meets (a hot standby's
// recovery cancelling its query).
func (s *Store) View(ctx context.Context, fn func(org.Tx) error) error {
	return s.retry(ctx, s.pool, readOptions, fn, nil)
}

// beginner starts transactions: the pool, on any of its connections, or one connection.
type beginner interface {
	BeginTx(ctx context.Context, opts pgx.TxOptions) (pgx.Tx, error)
}

// retry runs fn in transactions on db until one commits, one fails for another reason than
// a conflict, or maxAttempts have conflicted. beforeRetry, when not nil, runs before each
// attempt after the first; its error ends the retries.
func (s *Store) retry(ctx context.Context, db beginner, opts pgx.TxOptions, fn func(org.Tx) error, beforeRetry func() error) error {
	for attempt := 1; ; attempt++ {
		again, err := s.run(ctx, db, opts, fn)
		if !again {
			return err
		}
		if attempt == maxAttempts {
			return fmt.Errorf("postgres: transaction still conflicts after %d attempts: %w: %w", attempt, org.ErrBusy, err)
		}
		if s.onRetry != nil {
			s.onRetry()
		}
		select {
		case <-time.After(backoff(attempt + 1)):
		case <-ctx.Done():
			return fmt.Errorf("postgres: begin: %w", ctx.Err())
		}
		if beforeRetry != nil {
			if err := beforeRetry(); err != nil {
				return err
			}
		}
	}
}

// run runs fn in one transaction and commits it if fn succeeds. again reports that the
// transaction failed for a conflict and may succeed if run again; err is then the failure.
func (s *Store) run(ctx context.Context, db beginner, opts pgx.TxOptions, fn func(org.Tx) error) (again bool, err error) {
	if err := ctx.Err(); err != nil {
		return false, fmt.Errorf("postgres: begin: %w", err)
	}
	ptx, err := db.BeginTx(ctx, opts)
	if err != nil {
		return false, fmt.Errorf("postgres: begin: %w", err)
	}
	done := false
	defer func() {
		if !done { // fn failed or panicked
			ptx.Rollback(context.WithoutCancel(ctx))
		}
	}()
	t := &tx{tx: ptx, readOnly: opts.AccessMode == pgx.ReadOnly}
	if err := fn(t); err != nil {
		// A statement that failed for a conflict aborted the transaction, whatever fn made
		// of its error: fn's answer rests on a run that cannot commit.
		return retryable(t.failed), err
	}
	if t.failed != nil {
		// fn went on after a failed statement; PostgreSQL would roll the commit back.
		return retryable(t.failed), fmt.Errorf("postgres: commit after a failed statement: %w", t.failed)
	}
	done = true
	if err := ptx.Commit(ctx); err != nil {
		return retryable(err), fmt.Errorf("postgres: commit: %w", err)
	}
	return false, nil
}

// retryable reports a failure that running the transaction again may avoid.
//
// A unique violation is one: the store turns the violations that mean something to the
// domain into ErrConflict without an error from PostgreSQL (see tx.go), so one that
// reaches here comes from a concurrent transaction that took a key this one chose after
// reading that it was free (PostgreSQL's documentation advises retrying those too), or
// from an insert whose conflict check ran on a snapshot that had not seen the other's row.
// Running again, the check sees it.
func retryable(err error) bool {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return false
	}
	switch pe.Code {
	case "40001", // serialization_failure
		"40P01", // deadlock_detected
		"23505": // unique_violation
		return true
	}
	return false
}
