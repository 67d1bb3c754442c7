package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"
)

// maxCachedStmts bounds each connection's prepared-statement cache. The statements are the
// fixed ones and the handshake queries, whose filter combinations are few in practice.
const maxCachedStmts = 256

// conn is a connection pinned out of a database/sql pool with its prepared statements.
//
// Store runs transactions with BEGIN/COMMIT statements on pinned connections rather than
// through sql.Tx: a sql.Tx re-prepares statements, and modernc's parse of a statement costs
// about as much as running it. A pinned connection keeps each statement prepared for its
// lifetime.
type conn struct {
	db    *sql.DB // the pool it came from, to replace it
	c     *sql.Conn
	stmts map[string]*sql.Stmt
}

func newConn(ctx context.Context, db *sql.DB) (*conn, error) {
	c, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	return &conn{db: db, c: c, stmts: make(map[string]*sql.Stmt)}, nil
}

// stmt returns the prepared statement of query, preparing it the first time.
func (c *conn) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := c.stmts[query]; ok {
		return st, nil
	}
	st, err := c.c.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if len(c.stmts) >= maxCachedStmts {
		for q, old := range c.stmts {
			old.Close()
			delete(c.stmts, q)
		}
	}
	c.stmts[query] = st
	return st, nil
}

func (c *conn) close() error {
	for _, st := range c.stmts {
		st.Close()
	}
	c.stmts = nil
	return c.c.Close()
}

// discard closes c for good. close alone gives the driver's connection back to the
// database/sql pool as it is, a transaction perhaps still open, for the next db.Conn to get;
// an error of driver.ErrBadConn from Raw makes the pool close it instead.
func (c *conn) discard() {
	for _, st := range c.stmts {
		st.Close()
	}
	c.stmts = nil
	c.c.Raw(func(any) error { return driver.ErrBadConn })
}

// pool hands out pinned connections, one transaction at a time each.
type pool chan *conn

func newPool(ctx context.Context, db *sql.DB, n int) (pool, error) {
	p := make(pool, n)
	for range n {
		c, err := newConn(ctx, db)
		if err != nil {
			p.close()
			return nil, err
		}
		p <- c
	}
	return p, nil
}

func (p pool) get(ctx context.Context) (*conn, error) {
	select {
	case c := <-p:
		return c, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// put returns c to the pool; broken replaces it with a fresh connection first, so a
// transaction that could not be ended cleanly leaves no state behind.
func (p pool) put(c *conn, broken bool) {
	if broken {
		c.discard()
		fresh, err := newConn(context.Background(), c.db)
		if err != nil {
			// The pool shrinks by one; database/sql will have reported the failure.
			// Keep the broken connection rather than deadlock later: its next use fails.
			fresh = &conn{db: c.db, c: c.c, stmts: make(map[string]*sql.Stmt)}
		}
		c = fresh
	}
	p <- c
}

// close closes the connections now in the pool (those in use are closed with their pool's
// sql.DB).
func (p pool) close() error {
	var errs []error
	for {
		select {
		case c := <-p:
			errs = append(errs, c.close())
		default:
			return errors.Join(errs...)
		}
	}
}

// begin starts a transaction; a write transaction takes the write lock at once (IMMEDIATE),
// so it waits under busy_timeout at BEGIN rather than failing when it first writes.
func (c *conn) begin(ctx context.Context, immediate bool) error {
	q := "BEGIN"
	if immediate {
		q = "BEGIN IMMEDIATE"
	}
	st, err := c.stmt(ctx, q)
	if err != nil {
		return err
	}
	_, err = st.ExecContext(ctx)
	return err
}

// snapshot takes the snapshot of a deferred transaction: its first read of a table does.
func (c *conn) snapshot(ctx context.Context) error {
	st, err := c.stmt(ctx, `SELECT 1 FROM settings LIMIT 1`)
	if err != nil {
		return err
	}
	var one int
	if err := st.QueryRowContext(ctx).Scan(&one); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	return nil
}

// settings reads every setting; as the first read of a deferred transaction, it also takes
// its snapshot.
func (c *conn) settings(ctx context.Context) (map[string]string, error) {
	st, err := c.stmt(ctx, `SELECT key, value FROM settings`)
	if err != nil {
		return nil, err
	}
	rows, err := st.QueryContext(ctx)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return nil, err
		}
		out[k] = v
	}
	return out, rows.Err()
}

// rollback ends any open transaction; it reports whether the connection is clean after.
func (c *conn) rollback() bool {
	err := c.exec(context.Background(), "ROLLBACK")
	return err == nil || strings.Contains(err.Error(), "no transaction is active")
}

// exec runs a statement without arguments: COMMIT, ROLLBACK, SAVEPOINT and the like.
func (c *conn) exec(ctx context.Context, q string) error {
	st, err := c.stmt(ctx, q)
	if err != nil {
		return err
	}
	if _, err = st.ExecContext(ctx); err != nil {
		return fmt.Errorf("%s: %w", q, err)
	}
	return nil
}
