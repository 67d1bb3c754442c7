package pgtest

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/orgd/orgd/internal/testenv"
)

func TestMain(m *testing.M) { Main(m) }

func connect(t *testing.T, url string) *pgx.Conn {
	t.Helper()
	c, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatalf("connect %s: %v", url, err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

// Each URL is an empty database of its own: a table made in one is not in the other.
func TestURLsAreFreshAndApart(t *testing.T) {
	a, b := connect(t, URL(t)), connect(t, URL(t))
	ctx := t.Context()
	for _, c := range []*pgx.Conn{a, b} {
		var n int
		if err := c.QueryRow(ctx, `SELECT COUNT(*) FROM pg_tables WHERE schemaname = current_schema()`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("fresh database holds %d tables", n)
		}
	}
	if _, err := a.Exec(ctx, `CREATE TABLE t (x int); INSERT INTO t VALUES (1)`); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Exec(ctx, `CREATE TABLE t (x int)`); err != nil {
		t.Fatalf("the other database has the table already: %v", err)
	}
	var n int
	if err := b.QueryRow(ctx, `SELECT COUNT(*) FROM t`).Scan(&n); err != nil || n != 0 {
		t.Errorf("the other database's table: %d rows, %v", n, err)
	}
}

// A dropped test database is gone once its test ends.
func TestURLDroppedAfterTest(t *testing.T) {
	var schema string
	ran := t.Run("inner", func(t *testing.T) {
		c := connect(t, URL(t))
		if err := c.QueryRow(t.Context(), `SELECT current_schema()`).Scan(&schema); err != nil {
			t.Fatal(err)
		}
		if schema == "" || schema == "public" {
			t.Fatalf("current schema %q, want the test's own", schema)
		}
	})
	if !ran || schema == "" { // the inner test failed, or was skipped without PostgreSQL
		t.SkipNow()
	}
	var n int
	if err := server.admin.QueryRow(t.Context(), `SELECT COUNT(*) FROM pg_namespace WHERE nspname = $1`, schema).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("schema %s outlived its test", schema)
	}
}

// A durable private server keeps PostgreSQL's flushes, which the tests' server turns off,
// and its stop removes its directory.
func TestStartPrivateDurable(t *testing.T) {
	url, stop, err := StartPrivate(Options{Durable: true})
	if errors.Is(err, ErrNotInstalled) && !Required() {
		t.Skip(skipMessage)
	}
	if err != nil {
		t.Fatal(err)
	}
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			stop()
		}
	})
	c, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	var fsync, dir string
	err = c.QueryRow(t.Context(), `SELECT current_setting('fsync'), current_setting('data_directory')`).Scan(&fsync, &dir)
	c.Close(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if fsync != "on" {
		t.Errorf("fsync = %s, want on", fsync)
	}
	stop()
	stopped = true
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("data directory %s after stop: %v", dir, err)
	}
}

// CI=true, as .ci/run sets it, makes PostgreSQL required as EnvRequired does.
func TestRequired(t *testing.T) {
	for _, c := range []struct {
		ci, required string
		want         bool
	}{{"", "", false}, {"false", "", false}, {"true", "", true}, {"", "1", true}} {
		t.Setenv(testenv.EnvCI, c.ci)
		t.Setenv(EnvRequired, c.required)
		if got := Required(); got != c.want {
			t.Errorf("CI=%q %s=%q: Required() = %v, want %v", c.ci, EnvRequired, c.required, got, c.want)
		}
	}
}
