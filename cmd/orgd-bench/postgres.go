package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/orgd/orgd/internal/pgtest"
	"github.com/orgd/orgd/internal/postgres"
)

// postgresEnv names the PostgreSQL server -postgres auto uses instead of starting one.
const postgresEnv = "ORGD_BENCH_POSTGRES_URL"

// pgDB is the schema orgd-postgres runs in: a fresh one per run, in the server -postgres
// names or in a private one the bench started. A schema rather than a database, because
// creating one needs no more than a role that may create tables (a database needs
// CREATEDB), and orgd's store takes it from the URL's search_path.
type pgDB struct {
	server string // the server's URL, as given, for creating and dropping the schema
	schema string
	url    string // orgd's --db: server with search_path set to schema
	// stop stops the private server; nil when the server is not the bench's.
	stop func()
}

// openPostgres resolves -postgres: nil and a note when the column is left out. A PostgreSQL
// that is there but does not work is an error, not a note: auto leaves the column out only
// when there is no PostgreSQL to use, as pgtest skips only then.
func openPostgres(ctx context.Context, mode string) (*pgDB, string, error) {
	d := &pgDB{server: mode}
	switch mode {
	case "false", "off":
		return nil, "", nil
	case "auto", "true":
		d.server = os.Getenv(postgresEnv)
		if d.server != "" {
			break
		}
		var err error
		// Durable, as the SQLite store flushes every commit: a server without flushes
		// would measure another guarantee.
		d.server, d.stop, err = pgtest.StartPrivate(pgtest.Options{Durable: true})
		if errors.Is(err, pgtest.ErrNotInstalled) && mode == "auto" {
			return nil, fmt.Sprintf("orgd-postgres: no %s, and %v; its column is left out", postgresEnv, pgtest.ErrNotInstalled), nil
		}
		if err != nil {
			return nil, "", fmt.Errorf("-postgres %s: %w (-postgres false leaves the column out)", mode, err)
		}
	}
	schema := "orgd_bench_" + strings.ToLower(rand.Text())
	u, err := url.Parse(d.server)
	if err != nil {
		d.close(ctx)
		// The URL may hold a password: it is not repeated.
		return nil, "", errors.New("-postgres: the server's URL does not parse")
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	d.url = u.String()
	if err := d.exec(ctx, "CREATE SCHEMA "+pgx.Identifier{schema}.Sanitize()); err != nil {
		d.close(ctx)
		return nil, "", fmt.Errorf("-postgres: create schema %s: %w", schema, err)
	}
	d.schema = schema // close drops it from now on
	return d, "", nil
}

// validPostgres reports whether -postgres's value is one it takes.
func validPostgres(mode string) bool {
	switch mode {
	case "auto", "true", "false", "off":
		return true
	}
	return postgres.IsURL(mode)
}

// redacted is the server's URL without its password, for the output.
func (d *pgDB) redacted() string {
	u, err := url.Parse(d.server)
	if err != nil {
		return "postgres://..."
	}
	return u.Redacted()
}

// exec runs one statement on a connection of its own: the bench talks to the server only to
// create, measure and drop the schema.
func (d *pgDB) exec(ctx context.Context, sql string) error {
	c, err := connect(ctx, d.server)
	if err != nil {
		return err
	}
	defer c.Close(context.WithoutCancel(ctx))
	_, err = c.Exec(ctx, sql)
	return err
}

func connect(ctx context.Context, server string) (*pgx.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, server)
	if err != nil {
		// pgx's error names the host and user, never the password.
		return nil, fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	return c, nil
}

// size is what the schema's tables hold on disk, their indexes and TOAST included: the
// counterpart of the SQLite file and its WAL (PostgreSQL's own WAL is the server's).
func (d *pgDB) size(ctx context.Context) (int64, error) {
	c, err := connect(ctx, d.server)
	if err != nil {
		return 0, err
	}
	defer c.Close(context.WithoutCancel(ctx))
	var n int64
	err = c.QueryRow(ctx, `SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0)::bigint
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = $1 AND c.relkind IN ('r', 'm')`, d.schema).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("size of schema %s: %w", d.schema, err)
	}
	return n, nil
}

// close drops the schema, unless the server is the bench's own (stopping it removes
// everything), and stops the server the bench started. It is safe to call more than once.
func (d *pgDB) close(ctx context.Context) error {
	if d == nil {
		return nil
	}
	if d.stop != nil {
		d.stop()
		d.stop, d.schema = nil, ""
		return nil
	}
	if d.schema == "" {
		return nil
	}
	schema := d.schema
	d.schema = ""
	// The run may have been interrupted: the drop must still happen.
	if err := d.exec(context.WithoutCancel(ctx), "DROP SCHEMA "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
		return fmt.Errorf("drop schema %s: %w", schema, err)
	}
	return nil
}
