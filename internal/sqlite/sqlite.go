// Package sqlite is the SQLite implementation of org.Store, on the pure-Go modernc.org/sqlite
// driver.
//
// A file database runs in WAL mode with two connection pools: a writer pool of one connection
// whose transactions BEGIN IMMEDIATE (so writers queue in the pool instead of failing with
// SQLITE_BUSY on lock upgrade), and a query_only reader pool for View, whose transactions see
// one WAL snapshot and never block the writer. An in-memory database ("memory") is a
// private shared-cache database; it uses the single writer connection for View as well,
// because shared-cache readers on other connections would fail with SQLITE_LOCKED (not
// covered by busy_timeout) whenever a write transaction is open.
package sqlite

import (
	"context"
	"crypto/rand"
	"database/sql"
	"database/sql/driver"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/url"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	"modernc.org/sqlite"

	"github.com/orgd/orgd/internal/org"
)

// Memory is the dsn of an in-memory database, private to the Store that opens it.
const Memory = "memory"

// busyTimeoutMS is how long a connection waits for a lock another process holds.
const busyTimeoutMS = 10000

// Options tune the database.
type Options struct {
	// Synchronous is the synchronous pragma of the writer: "FULL" (the default; a committed
	// transaction survives a power loss) or "NORMAL" (in WAL mode, the last transactions may
	// be lost on power loss but the database stays consistent).
	Synchronous string
	// Exclusive makes this Store the only one that may open the file until it is closed (it
	// holds a lock on the file itself, whatever name reaches it; another Exclusive Store
	// fails to open), which lets it keep
	// the rows most calls read in memory. Other processes must not write the file meanwhile.
	// An in-memory database is always private and always cached.
	Exclusive bool
	// OnBatch, when set, hears the number of Updates each group commit runs together
	// (orgd's metrics).
	OnBatch func(n int)
}

// Store is an org.Store on one SQLite database.
type Store struct {
	w     *sql.DB // writer: one connection, BEGIN IMMEDIATE
	r     *sql.DB // readers for View; == w for an in-memory database
	wconn pool    // the writer's connection, pinned
	rconn pool    // the readers' connections, pinned; == wconn for an in-memory database
	// keep holds an in-memory database open: a shared-cache memory database disappears
	// when its last connection closes, and the pool may recycle its connection.
	keep driver.Conn
	// cache is nil unless the Store is the only writer of its database.
	cache *cache
	// lock is the file lock of an Exclusive Store.
	lock io.Closer
	// queue holds the Updates waiting to commit together.
	queue   writeQueue
	onBatch func(n int) // Options.OnBatch
	closed  atomic.Bool
}

var _ org.Store = (*Store)(nil)

// Open opens (creating it if needed) the database at dsn, a file path or Memory, and applies
// the schema migrations it lacks.
func Open(ctx context.Context, dsn string, opts Options) (*Store, error) {
	readers := max(4, runtime.GOMAXPROCS(0))
	sync := strings.ToUpper(opts.Synchronous)
	switch sync {
	case "":
		sync = "FULL"
	case "FULL", "NORMAL":
	default:
		return nil, fmt.Errorf("sqlite: open: synchronous %q is neither FULL nor NORMAL", opts.Synchronous)
	}
	if dsn == "" {
		return nil, errors.New("sqlite: open: empty dsn")
	}
	common := url.Values{}
	common.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeoutMS))
	common.Add("_pragma", "foreign_keys(1)")

	s := &Store{onBatch: opts.OnBatch}
	if dsn == Memory {
		var b [12]byte
		if _, err := rand.Read(b[:]); err != nil {
			return nil, fmt.Errorf("sqlite: open memory: %w", err)
		}
		// mode=memory and cache=shared are SQLite URI parameters; the _ ones the driver's.
		base := "file:orgd-" + hex.EncodeToString(b[:]) + "?mode=memory&cache=shared&"
		keep, err := (&sqlite.Driver{}).Open(base + common.Encode())
		if err != nil {
			return nil, fmt.Errorf("sqlite: open memory: %w", err)
		}
		s.keep = keep
		s.cache = newCache()
		w := url.Values{"_txlock": {"immediate"}, "_pragma": common["_pragma"]}
		if s.w, err = openPool(base+w.Encode(), 1); err != nil {
			s.Close()
			return nil, fmt.Errorf("sqlite: open memory: %w", err)
		}
		s.r = s.w
	} else {
		// Everything that may refuse the file runs before anything writes to it.
		abs, err := resolveFile(dsn)
		if err != nil {
			return nil, fmt.Errorf("sqlite: open %s: %w", dsn, err)
		}
		if opts.Exclusive {
			if s.lock, err = lockFile(abs); err != nil {
				return nil, fmt.Errorf("sqlite: open %s: %w", dsn, err)
			}
			s.cache = newCache()
		}
		if err := checkFile(ctx, abs); err != nil {
			s.Close()
			return nil, fmt.Errorf("sqlite: open %s: %w", dsn, err)
		}
		base := "file:" + (&url.URL{Path: filepath.ToSlash(abs)}).EscapedPath() + "?"
		w := url.Values{"_txlock": {"immediate"}, "_pragma": common["_pragma"]}
		w.Add("_pragma", "journal_mode(WAL)")
		w.Add("_pragma", "synchronous("+sync+")")
		if s.w, err = openPool(base+w.Encode(), 1); err != nil {
			s.Close()
			return nil, fmt.Errorf("sqlite: open %s: %w", dsn, err)
		}
		// The writer connection must exist (and have switched the file to WAL) before a
		// query_only reader opens it.
		if err := s.w.PingContext(ctx); err != nil {
			s.Close()
			return nil, fmt.Errorf("sqlite: open %s: %w", dsn, err)
		}
		r := url.Values{"_pragma": common["_pragma"]}
		r.Add("_pragma", "query_only(1)")
		if s.r, err = openPool(base+r.Encode(), readers); err != nil {
			s.Close()
			return nil, fmt.Errorf("sqlite: open %s: %w", dsn, err)
		}
	}
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	// Pin the connections once the schema is in place.
	var err error
	if s.wconn, err = newPool(ctx, s.w, 1); err != nil {
		s.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", dsn, err)
	}
	s.rconn = s.wconn
	if s.r != s.w {
		if s.rconn, err = newPool(ctx, s.r, readers); err != nil {
			s.Close()
			return nil, fmt.Errorf("sqlite: open %s: %w", dsn, err)
		}
	}
	return s, nil
}

func openPool(dsn string, conns int) (*sql.DB, error) {
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	return db, nil
}

// Check runs SQLite's integrity check over the whole database: after a crash, it tells
// whether recovery left a consistent file.
func (s *Store) Check(ctx context.Context) error {
	// The writer's one connection is pinned in wconn; borrow it as a transaction would.
	c, err := s.wconn.get(ctx)
	if err != nil {
		return fmt.Errorf("sqlite: integrity check: %w", err)
	}
	defer s.wconn.put(c, false)
	rows, err := c.c.QueryContext(ctx, `PRAGMA integrity_check`)
	if err != nil {
		return fmt.Errorf("sqlite: integrity check: %w", err)
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return fmt.Errorf("sqlite: integrity check: %w", err)
		}
		if line != "ok" {
			problems = append(problems, line)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("sqlite: integrity check: %w", err)
	}
	if len(problems) > 0 {
		return fmt.Errorf("sqlite: integrity check: %s", strings.Join(problems, "; "))
	}
	return nil
}

// Synchronous returns the synchronous setting the writer's connection runs with, as SQLite
// reports it (PRAGMA synchronous): "FULL" or "NORMAL", as Options asked, unless the setting
// never reached the connection. orgd serve logs it at start-up.
func (s *Store) Synchronous(ctx context.Context) (string, error) {
	c, err := s.wconn.get(ctx)
	if err != nil {
		return "", fmt.Errorf("sqlite: read synchronous: %w", err)
	}
	defer s.wconn.put(c, false)
	var level int
	if err := c.c.QueryRowContext(ctx, `PRAGMA synchronous`).Scan(&level); err != nil {
		return "", fmt.Errorf("sqlite: read synchronous: %w", err)
	}
	// SQLite's numbering of the levels (https://sqlite.org/pragma.html#pragma_synchronous).
	names := []string{"OFF", "NORMAL", "FULL", "EXTRA"}
	if level < 0 || level >= len(names) {
		return "", fmt.Errorf("sqlite: read synchronous: unknown level %d", level)
	}
	return names[level], nil
}

// Ready reports whether the store answers a read and its schema is the one this program's
// migrations make: an error says why not. A closed Store is not ready.
func (s *Store) Ready(ctx context.Context) error {
	if s.closed.Load() {
		return errors.New("sqlite: the store is closed")
	}
	ms, err := migrations()
	if err != nil {
		return fmt.Errorf("sqlite: migrations: %w", err)
	}
	// A reader's connection, as a View would take it: the writer may be busy with a batch.
	c, err := s.rconn.get(ctx)
	if err != nil {
		return fmt.Errorf("sqlite: read schema version: %w", err)
	}
	defer s.rconn.put(c, false)
	var version int
	if err := c.c.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&version); err != nil {
		return fmt.Errorf("sqlite: read schema version: %w", err)
	}
	if version != len(ms) {
		return fmt.Errorf("sqlite: database schema version %d, this program's %d", version, len(ms))
	}
	return nil
}

// Close closes the database; an in-memory database is gone afterwards.
func (s *Store) Close() error {
	s.closed.Store(true)
	var errs []error
	if s.rconn != nil && s.rconn != s.wconn {
		errs = append(errs, s.rconn.close())
	}
	if s.wconn != nil {
		errs = append(errs, s.wconn.close())
	}
	if s.r != nil && s.r != s.w {
		errs = append(errs, s.r.Close())
	}
	if s.w != nil {
		errs = append(errs, s.w.Close())
	}
	if s.lock != nil {
		errs = append(errs, s.lock.Close())
	}
	if s.keep != nil {
		errs = append(errs, s.keep.Close())
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("sqlite: close: %w", err)
	}
	return nil
}

// Update runs fn in a write transaction (BEGIN IMMEDIATE on the single writer connection).
// Update must not be called from inside fn, nor View for an in-memory database: the nested
// call would wait for the connection the outer transaction holds.
//
// Concurrent Updates commit together (group commit): whichever caller gets the writer
// connection runs every Update queued by then, each in a savepoint of one transaction, and
// commits once, so that one flush to the disk serves them all. Each fn still succeeds or
// fails alone, sees the writes of those before it, and its caller hears of it only once the
// transaction that holds its writes committed. A panic in fn rolls back fn's savepoint
// alone and reaches Update's caller, on its own goroutine, with the value fn panicked with.
func (s *Store) Update(ctx context.Context, fn func(org.Tx) error) error {
	w := &write{ctx: ctx, fn: fn, done: make(chan struct{})}
	s.queue.add(w)
	for {
		select {
		case <-w.done:
			return w.result()
		default:
		}
		// A batch takes at most maxBatch writes: one that ran others' may still have to run
		// its own, so a caller leads for as long as its write waits.
		select {
		case <-w.done:
			return w.result()
		case c := <-s.wconn:
			s.commitQueued(c)
		case <-ctx.Done():
			if s.queue.remove(w) {
				return fmt.Errorf("sqlite: begin: %w", ctx.Err())
			}
			<-w.done // a batch has it already: wait for its outcome
			return w.result()
		}
	}
}

// View runs fn in a read-only transaction on one snapshot. Write methods of its Tx fail.
func (s *Store) View(ctx context.Context, fn func(org.Tx) error) error {
	return view(ctx, s.rconn, s.cache, fn)
}

// write is one Update waiting in the queue.
type write struct {
	ctx  context.Context
	fn   func(org.Tx) error
	err  error
	done chan struct{}
	// panicked holds what fn panicked with, when it did: fn may run on another caller's
	// goroutine, which must go on with the batch, so the panic is recovered there and
	// raised again on the Update's own (see result).
	panicked   bool
	panicValue any
}

// result is the Update's outcome once w is done: fn's panic, raised again, or the error.
func (w *write) result() error {
	if w.panicked {
		panic(w.panicValue)
	}
	return w.err
}

// writeQueue holds the Updates waiting for the writer connection.
type writeQueue struct {
	mu      sync.Mutex
	pending []*write
}

func (q *writeQueue) add(w *write) {
	q.mu.Lock()
	q.pending = append(q.pending, w)
	q.mu.Unlock()
}

// remove takes w out of the queue, unless a batch took it already.
func (q *writeQueue) remove(w *write) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	for i, p := range q.pending {
		if p == w {
			q.pending = append(q.pending[:i], q.pending[i+1:]...)
			return true
		}
	}
	return false
}

// maxBatch bounds the Updates of one transaction, so that a long queue does not hold the
// write lock (and the first caller's answer) for long.
const maxBatch = 64

func (q *writeQueue) take() []*write {
	q.mu.Lock()
	defer q.mu.Unlock()
	n := min(len(q.pending), maxBatch)
	batch := q.pending[:n:n]
	q.pending = q.pending[n:]
	return batch
}

// commitQueued runs the queued Updates in one transaction on c, the writer connection, which
// it puts back.
func (s *Store) commitQueued(c *conn) {
	broken := true
	defer func() { s.wconn.put(c, broken) }()
	batch := s.queue.take()
	if len(batch) == 0 {
		broken = false
		return
	}
	if s.onBatch != nil {
		s.onBatch(len(batch))
	}
	if err := s.runBatch(c, batch); err != nil {
		// Nothing of the batch committed: the writes that had not failed on their own fail
		// with the transaction.
		broken = !c.rollback()
		for _, w := range batch {
			if w.err == nil {
				w.err = err
			}
		}
	} else {
		broken = false
	}
	for _, w := range batch {
		close(w.done)
	}
}

// runBatch runs batch in one transaction and commits it, setting the error of each write
// whose fn failed. An error it returns is the transaction's: none of batch committed.
func (s *Store) runBatch(c *conn, batch []*write) error {
	ctx := context.Background() // the transaction outlives any one caller's context
	if err := c.begin(ctx, true); err != nil {
		return fmt.Errorf("sqlite: begin: %w", err)
	}
	dirty := map[cacheKey]struct{}{}
	var settings map[string]string
	if s.cache != nil {
		// The writer is the only one: the cache holds the committed settings, if any.
		seq := s.cache.load()
		var ok bool
		if settings, ok = s.cache.settingsAt(seq); !ok {
			var err error
			if settings, err = c.settings(ctx); err != nil {
				return fmt.Errorf("sqlite: begin: %w", err)
			}
			s.cache.putSettings(seq, maps.Clone(settings))
		}
	}
	for _, w := range batch {
		if err := w.ctx.Err(); err != nil {
			w.err = fmt.Errorf("sqlite: begin: %w", err)
			continue
		}
		if err := c.exec(ctx, "SAVEPOINT w"); err != nil {
			return fmt.Errorf("sqlite: savepoint: %w", err)
		}
		t := &tx{c: c, settings: maps.Clone(settings)}
		if s.cache != nil {
			t.cache = cached{c: s.cache, seq: s.cache.load(), ok: true, dirty: dirty}
		}
		if call(w, t); w.err != nil {
			if err := c.exec(ctx, "ROLLBACK TO w"); err != nil {
				return fmt.Errorf("sqlite: rollback to savepoint: %w", err)
			}
		} else {
			settings = t.settings
		}
		if err := c.exec(ctx, "RELEASE w"); err != nil {
			return fmt.Errorf("sqlite: release savepoint: %w", err)
		}
	}
	if len(dirty) == 0 {
		if err := c.exec(ctx, "COMMIT"); err != nil {
			return fmt.Errorf("sqlite: commit: %w", err)
		}
		return nil
	}
	s.cache.beginCommit()
	var orgOf map[string]string // nil (drop the members) unless read after the commit
	defer func() { s.cache.endCommit(dirty, orgOf) }()
	if err := c.exec(ctx, "COMMIT"); err != nil {
		return fmt.Errorf("sqlite: commit: %w", err)
	}
	if s.cache.indexed() {
		// Readers wait for the cache until endCommit: read where the accounts went.
		var err error
		if orgOf, err = accountOrgs(ctx, c, dirty); err != nil {
			orgOf = nil // the members are dropped, and loaded again when needed
		}
	}
	return nil
}

// accountOrgs reads, outside any transaction, the organization of each account in dirty.
func accountOrgs(ctx context.Context, c *conn, dirty map[cacheKey]struct{}) (map[string]string, error) {
	var ids []string
	for k := range dirty {
		if k.kind == kindAccount {
			ids = append(ids, k.id)
		}
	}
	orgOf := make(map[string]string, len(ids))
	if len(ids) == 0 {
		return orgOf, nil
	}
	list, err := json.Marshal(ids)
	if err != nil {
		return nil, err
	}
	st, err := c.stmt(ctx, `SELECT id, COALESCE(org_id, '') FROM accounts WHERE id IN (SELECT value FROM json_each(?))`)
	if err != nil {
		return nil, err
	}
	rows, err := st.QueryContext(ctx, string(list))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for _, id := range ids {
		orgOf[id] = "" // an account no longer stored is in no organization
	}
	for rows.Next() {
		var id, orgID string
		if err := rows.Scan(&id, &orgID); err != nil {
			return nil, err
		}
		orgOf[id] = orgID
	}
	return orgOf, rows.Err()
}

// errPanicked is the error of a write whose fn panicked, which rolls its savepoint back
// like any error; its caller sees the panic instead (write.result).
var errPanicked = errors.New("sqlite: update panicked")

// call runs w's fn on t and sets w.err, recovering a panic into w.panicValue: fn may run on
// another caller's goroutine.
func call(w *write, t *tx) {
	defer func() {
		if p := recover(); p != nil {
			w.err, w.panicked, w.panicValue = errPanicked, true, p
		}
	}()
	w.err = w.fn(t)
}

func view(ctx context.Context, p pool, rows *cache, fn func(org.Tx) error) error {
	if rows != nil {
		// While the cache holds the settings, the View starts on the cache alone and takes
		// a connection and a snapshot only when it first needs a statement: a call that
		// reads only cached rows runs none.
		seq := rows.load()
		if settings, ok := rows.settingsAt(seq); ok {
			t := &tx{readOnly: true, pool: p, settings: settings, cache: cached{c: rows, seq: seq, ok: true}}
			err := func() error {
				defer t.end()
				return fn(t)
			}()
			if !t.moved {
				return err
			}
			// A commit came between the cached reads and the snapshot: run again, on
			// the snapshot from the start.
		}
	}
	c, err := p.get(ctx)
	if err != nil {
		return fmt.Errorf("sqlite: begin: %w", err)
	}
	// However the View ends, fn's panic included, its transaction ends before the
	// connection goes back; one that cannot be rolled back is replaced.
	defer func() { p.put(c, !c.rollback()) }()
	if err := c.begin(ctx, false); err != nil {
		return fmt.Errorf("sqlite: begin: %w", err)
	}
	t := &tx{c: c, readOnly: true}
	if rows != nil {
		// The snapshot starts with the first read, this one; the cache holds the snapshot's
		// rows only if no commit was under way or done around it.
		t.cache = cached{c: rows, seq: rows.load()}
		if t.settings, err = c.settings(ctx); err != nil {
			return fmt.Errorf("sqlite: begin: %w", err)
		}
		t.cache.ok = t.cache.seq%2 == 0 && rows.load() == t.cache.seq
		if t.cache.ok {
			rows.putSettings(t.cache.seq, t.settings)
		}
	}
	return fn(t)
}
