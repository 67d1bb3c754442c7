package postgres

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/orgd/orgd/internal/migration"
	"github.com/orgd/orgd/internal/org"
	"github.com/orgd/orgd/internal/pgtest"
	"github.com/orgd/orgd/internal/storetest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// open returns a Store on a fresh database, closed when t ends.
func open(t testing.TB) *Store {
	t.Helper()
	return openURL(t, pgtest.URL(t))
}

func openURL(t testing.TB, url string) *Store {
	t.Helper()
	s, err := Open(context.Background(), url, Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// scan runs query outside the store's transactions.
func scan(t testing.TB, s *Store, query string, args []any, dest ...any) {
	t.Helper()
	if err := s.pool.QueryRow(context.Background(), query, args...).Scan(dest...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) org.Store { return open(t) })
}

func putSetting(t testing.TB, s org.Store, key, value string) {
	t.Helper()
	ctx := context.Background()
	if err := s.Update(ctx, func(tx org.Tx) error { return tx.PutSetting(ctx, key, value) }); err != nil {
		t.Fatal(err)
	}
}

func setting(t testing.TB, s org.Store, key string) (string, error) {
	t.Helper()
	ctx := context.Background()
	var v string
	err := s.View(ctx, func(tx org.Tx) error {
		var err error
		v, err = tx.Setting(ctx, key)
		return err
	})
	return v, err
}

// versions returns how many times schema_migrations records each version.
func versions(t *testing.T, s *Store) map[int]int {
	t.Helper()
	rows, err := s.pool.Query(t.Context(), `SELECT version, COUNT(*) FROM schema_migrations GROUP BY version`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[int]int{}
	for rows.Next() {
		var v, n int
		if err := rows.Scan(&v, &n); err != nil {
			t.Fatal(err)
		}
		out[v] = n
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func checkVersions(t *testing.T, s *Store) {
	t.Helper()
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	got := versions(t, s)
	if len(got) != len(ms) {
		t.Errorf("schema_migrations holds %d versions, want %d", len(got), len(ms))
	}
	for _, m := range ms {
		if got[m.Version] != 1 {
			t.Errorf("version %d recorded %d times, want once", m.Version, got[m.Version])
		}
	}
}

// Replicas that start together on an empty database migrate it once: each waits for the
// migration lock and finds the work done.
func TestMigrationsRunOnceWhenOpensRace(t *testing.T) {
	url := pgtest.URL(t)
	const n = 4
	stores := make([]*Store, n)
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			stores[i], errs[i] = Open(t.Context(), url, Options{})
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Open %d: %v", i, err)
		}
		t.Cleanup(func() { stores[i].Close() })
	}
	checkVersions(t, stores[0])
	putSetting(t, stores[0], "k", "v")
	if v, err := setting(t, stores[n-1], "k"); err != nil || v != "v" {
		t.Errorf("another replica reads %q, %v", v, err)
	}
}

func TestMigrationsApplyOnce(t *testing.T) {
	url := pgtest.URL(t)
	s := openURL(t, url)
	checkVersions(t, s)
	var applied int64
	scan(t, s, `SELECT applied_at FROM schema_migrations WHERE version = 1`, nil, &applied)
	putSetting(t, s, "survives", "restart")
	s.Close()

	s = openURL(t, url)
	checkVersions(t, s)
	var again int64
	scan(t, s, `SELECT applied_at FROM schema_migrations WHERE version = 1`, nil, &again)
	if again != applied {
		t.Errorf("migration 1 re-applied: applied_at %d then %d", applied, again)
	}
	if v, err := setting(t, s, "survives"); err != nil || v != "restart" {
		t.Errorf("after reopening, setting = %q, %v", v, err)
	}
	// Reset keeps the migrations.
	ctx := t.Context()
	if err := s.Update(ctx, func(tx org.Tx) error { return tx.Reset(ctx) }); err != nil {
		t.Fatal(err)
	}
	checkVersions(t, s)
	if _, err := setting(t, s, "survives"); !errors.Is(err, org.ErrNotFound) {
		t.Errorf("after Reset, setting: %v", err)
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	url := pgtest.URL(t)
	s := openURL(t, url)
	if _, err := s.pool.Exec(t.Context(), `INSERT INTO schema_migrations VALUES (9999, 0)`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if s, err := Open(t.Context(), url, Options{}); err == nil {
		s.Close()
		t.Fatal("Open accepted a database from a newer version")
	}
}

func TestOpenRejects(t *testing.T) {
	ctx := t.Context()
	for _, dsn := range []string{"", "memory", "/var/lib/orgd/orgd.db", "host=localhost dbname=orgd"} {
		if s, err := Open(ctx, dsn, Options{}); err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded", dsn)
		}
	}
	// A server that is not there fails Open rather than the first transaction.
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if s, err := Open(ctx, "postgres://nobody:secret@127.0.0.1:1/orgd?connect_timeout=2", Options{}); err == nil {
		s.Close()
		t.Error("Open succeeded without a server")
	}
}

func TestMaxConns(t *testing.T) {
	s, err := Open(t.Context(), pgtest.URL(t), Options{MaxConns: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := s.pool.Config().MaxConns; got != 3 {
		t.Errorf("pool MaxConns = %d, want 3", got)
	}
}

func TestViewIsReadOnly(t *testing.T) {
	s := open(t)
	ctx := t.Context()
	err := s.View(ctx, func(tx org.Tx) error { return tx.PutSetting(ctx, "k", "v") })
	if !errors.Is(err, errReadOnly) {
		t.Errorf("a write in View: %v", err)
	}
	if _, err := setting(t, s, "k"); !errors.Is(err, org.ErrNotFound) {
		t.Errorf("View wrote: %v", err)
	}
}

func TestUpdateContextCanceled(t *testing.T) {
	s := open(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	err := s.Update(ctx, func(tx org.Tx) error { return tx.PutSetting(ctx, "k", "v") })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Update with a canceled context: %v", err)
	}
}

// raise fails a statement of the transaction with SQLSTATE code, as PostgreSQL fails one
// that conflicts with another transaction (40001) or breaks a rule.
func raise(ctx context.Context, otx org.Tx, code string) error {
	_, err := otx.(*tx).exec(ctx, `DO $$ BEGIN RAISE EXCEPTION 'raised by the test' USING ERRCODE = '`+code+`'; END $$`)
	return err
}

func sqlState(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// A transaction that fails for a conflict runs again, and what its last run wrote commits.
func TestUpdateRunsAgainAfterAConflict(t *testing.T) {
	s := open(t)
	ctx := t.Context()
	runs := 0
	err := s.Update(ctx, func(otx org.Tx) error {
		runs++
		if err := otx.PutSetting(ctx, "run", string(rune('0'+runs))); err != nil {
			return err
		}
		if runs < 3 {
			return raise(ctx, otx, "40001")
		}
		return nil
	})
	if err != nil || runs != 3 {
		t.Fatalf("Update: %v after %d runs, want success on the third", err, runs)
	}
	if v, err := setting(t, s, "run"); err != nil || v != "3" {
		t.Errorf("setting = %q, %v; want the third run's", v, err)
	}
}

// Retries are bounded: a transaction that keeps conflicting fails with the conflict.
func TestUpdateRetriesAreBounded(t *testing.T) {
	s := open(t)
	ctx := t.Context()
	for _, code := range []string{"40001", "40P01"} {
		runs := 0
		err := s.Update(ctx, func(otx org.Tx) error {
			runs++
			// fn's own error, whatever it makes of the failure, does not stop the retry.
			if err := raise(ctx, otx, code); err != nil {
				return errors.New("business rule failed on a conflicting read")
			}
			return nil
		})
		if !errors.Is(err, org.ErrBusy) || runs != maxAttempts {
			t.Errorf("%s: Update returned %v after %d runs, want an error after %d", code, err, runs, maxAttempts)
		}
	}
}

// Other failures are not retried, and fn's error comes back unchanged.
func TestUpdateDoesNotRetryOtherFailures(t *testing.T) {
	s := open(t)
	ctx := t.Context()
	runs := 0
	var fnErr error
	err := s.Update(ctx, func(otx org.Tx) error {
		runs++
		fnErr = raise(ctx, otx, "22012") // division_by_zero
		return fnErr
	})
	if runs != 1 || err != fnErr || sqlState(err) != "22012" {
		t.Errorf("Update returned %v after %d runs, want fn's error after one", err, runs)
	}
}

// fn that ignores a failed statement and returns nil does not make Update report success:
// PostgreSQL aborted the transaction, so nothing commits.
func TestUpdateAfterAnIgnoredFailure(t *testing.T) {
	s := open(t)
	ctx := t.Context()
	err := s.Update(ctx, func(otx org.Tx) error {
		if err := otx.PutSetting(ctx, "k", "v"); err != nil {
			return err
		}
		raise(ctx, otx, "22012")
		return nil
	})
	if sqlState(err) != "22012" {
		t.Errorf("Update = %v, want the ignored failure", err)
	}
	if _, err := setting(t, s, "k"); !errors.Is(err, org.ErrNotFound) {
		t.Errorf("the aborted transaction's write is there: %v", err)
	}
}

// A panicking fn rolls its transaction back and gives the connection back.
func TestUpdatePanics(t *testing.T) {
	s, err := Open(t.Context(), pgtest.URL(t), Options{MaxConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := t.Context()
	func() {
		defer func() {
			if recover() == nil {
				t.Error("the panic did not reach the caller")
			}
		}()
		s.Update(ctx, func(otx org.Tx) error {
			otx.PutSetting(ctx, "k", "v")
			panic("fn panics")
		})
	}()
	// The pool's one connection is usable, and the write is gone.
	if _, err := setting(t, s, "k"); !errors.Is(err, org.ErrNotFound) {
		t.Errorf("after the panic, setting: %v", err)
	}
}

// Reset keeps the identity sequences: numbers handed out before are never handed out again.
func TestResetKeepsSequences(t *testing.T) {
	s := open(t)
	ctx := t.Context()
	put := func() (hs, ms int64) {
		t.Helper()
		h := &org.Handshake{ID: "h-1", OrgID: "o-1", Action: "INVITE", State: "OPEN"}
		m := &org.OutboxMessage{HandshakeID: "h-1", To: "a@example.com"}
		if err := s.Update(ctx, func(tx org.Tx) error {
			if err := tx.PutHandshake(ctx, h); err != nil {
				return err
			}
			return tx.AddOutbox(ctx, m)
		}); err != nil {
			t.Fatal(err)
		}
		return h.Seq, m.Seq
	}
	h1, m1 := put()
	if err := s.Update(ctx, func(tx org.Tx) error { return tx.Reset(ctx) }); err != nil {
		t.Fatal(err)
	}
	h2, m2 := put()
	if h2 <= h1 || m2 <= m1 {
		t.Errorf("after Reset, handshake seq %d then %d, outbox seq %d then %d: want increasing", h1, h2, m1, m2)
	}
}

// TestPartitionMigration: a database made before organizations had a partition migrates,
// and its organizations and handshakes read as the commercial partition's.
func TestPartitionMigration(t *testing.T) {
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(ms, func(m migration.Migration) bool { return strings.HasSuffix(m.Name, "_partitions.sql") })
	if i < 0 {
		t.Fatal("no partitions migration")
	}
	url := pgtest.URL(t)
	ctx := t.Context()
	c, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	if _, err := c.Exec(ctx, `CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	for _, m := range ms[:i] {
		if err := apply(ctx, c, m); err != nil {
			t.Fatalf("migration %s: %v", m.Name, err)
		}
	}
	for _, q := range []string{
		`INSERT INTO organizations (id, feature_set, management_account_id, root_id, created_at)
			VALUES ('o-1111111111', 'ALL', '111111111111', 'r-1111', 0)`,
		`INSERT INTO handshakes (id, org_id, management_account_id, action, state, requested_at, expires_at, visible_until)
			VALUES ('h-1', 'o-1111111111', '111111111111', 'INVITE', 'OPEN', 0, 1, 2)`,
	} {
		if _, err := c.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}

	s := openURL(t, url)
	checkVersions(t, s)
	storetest.CheckMigratedPartitions(t, s)
}
