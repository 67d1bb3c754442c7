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
	"errors"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"runtime"
	"strings"

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
	// holds a lock on DB-FILE.lock; another Exclusive Store fails to open), which lets it keep
	// the rows most calls read in memory. Other processes must not write the file meanwhile.
	// An in-memory database is always private and always cached.
	Exclusive bool
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

	s := &Store{}
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
		abs, err := filepath.Abs(dsn)
		if err != nil {
			return nil, fmt.Errorf("sqlite: open %s: %w", dsn, err)
		}
		if opts.Exclusive {
			if s.lock, err = lockFile(abs + ".lock"); err != nil {
				return nil, fmt.Errorf("sqlite: open %s: %w", dsn, err)
			}
			s.cache = newCache()
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

// Close closes the database; an in-memory database is gone afterwards.
func (s *Store) Close() error {
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
func (s *Store) Update(ctx context.Context, fn func(org.Tx) error) error {
	return run(ctx, s.wconn, false, s.cache, fn)
}

// View runs fn in a read-only transaction on one snapshot. Write methods of its Tx fail.
func (s *Store) View(ctx context.Context, fn func(org.Tx) error) error {
	return run(ctx, s.rconn, true, s.cache, fn)
}

func run(ctx context.Context, p pool, readOnly bool, rows *cache, fn func(org.Tx) error) error {
	c, err := p.get(ctx)
	if err != nil {
		return fmt.Errorf("sqlite: begin: %w", err)
	}
	broken := true // until the transaction is over; a panic in fn leaves it so
	defer func() { p.put(c, broken) }()
	if err := c.begin(ctx, !readOnly); err != nil {
		broken = !c.rollback()
		return fmt.Errorf("sqlite: begin: %w", err)
	}
	t := &tx{c: c, readOnly: readOnly}
	if rows != nil {
		t.cache = cached{c: rows, seq: rows.load(), ok: true}
		// A read transaction's snapshot starts with its first read, this one; the cache
		// holds the snapshot's rows only if no commit was under way or done around it.
		if t.settings, err = c.settings(ctx); err != nil {
			broken = !c.rollback()
			return fmt.Errorf("sqlite: begin: %w", err)
		}
		if readOnly {
			t.cache.ok = t.cache.seq%2 == 0 && rows.load() == t.cache.seq
		}
	}
	if err := fn(t); err != nil {
		broken = !c.rollback()
		return err
	}
	if readOnly {
		broken = !c.rollback()
		return nil
	}
	if len(t.cache.dirty) > 0 {
		rows.beginCommit()
		defer rows.endCommit(t.cache.dirty)
	}
	if err := c.end(ctx, "COMMIT"); err != nil {
		broken = !c.rollback()
		return fmt.Errorf("sqlite: commit: %w", err)
	}
	broken = false
	return nil
}
