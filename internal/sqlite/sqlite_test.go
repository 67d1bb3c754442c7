package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orgd/orgd/internal/migration"
	"github.com/orgd/orgd/internal/org"
	"github.com/orgd/orgd/internal/storetest"
)

func openFile(t testing.TB, path string) *Store {
	t.Helper()
	s, err := Open(context.Background(), path, Options{})
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func openMemory(t testing.TB) *Store {
	t.Helper()
	s, err := Open(context.Background(), Memory, Options{})
	if err != nil {
		t.Fatalf("Open(memory): %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// withWriter lends fn the writer's pinned connection, outside any transaction.
func withWriter(t testing.TB, s *Store, fn func(c *sql.Conn) error) error {
	t.Helper()
	c, err := s.wconn.get(context.Background())
	if err != nil {
		return err
	}
	defer s.wconn.put(c, false)
	return fn(c.c)
}

func rawScan(t testing.TB, s *Store, query string, args []any, dest ...any) error {
	t.Helper()
	return withWriter(t, s, func(c *sql.Conn) error {
		return c.QueryRowContext(context.Background(), query, args...).Scan(dest...)
	})
}

func TestStoreFile(t *testing.T) {
	storetest.Run(t, func(t *testing.T) org.Store {
		return openFile(t, filepath.Join(t.TempDir(), "orgd.db"))
	})
}

func TestStoreMemory(t *testing.T) {
	storetest.Run(t, func(t *testing.T) org.Store { return openMemory(t) })
}

func TestOpenOptions(t *testing.T) {
	ctx := t.Context()
	if _, err := Open(ctx, Memory, Options{Synchronous: "SOMETIMES"}); err == nil {
		t.Error("Open accepted synchronous SOMETIMES")
	}
	if _, err := Open(ctx, "", Options{}); err == nil {
		t.Error("Open accepted an empty dsn")
	}
	for _, sync := range []struct{ opt, want string }{{"", "2"}, {"FULL", "2"}, {"normal", "1"}} {
		s := openFileOpts(t, filepath.Join(t.TempDir(), "orgd.db"), Options{Synchronous: sync.opt})
		var got, mode, fk string
		if err := rawScan(t, s, `PRAGMA synchronous`, nil, &got); err != nil {
			t.Fatal(err)
		}
		name, err := s.Synchronous(ctx)
		if wantName := map[string]string{"2": "FULL", "1": "NORMAL"}[sync.want]; err != nil || name != wantName {
			t.Errorf("Synchronous() with %q = %q, %v; want %s", sync.opt, name, err, wantName)
		}
		if err := rawScan(t, s, `PRAGMA journal_mode`, nil, &mode); err != nil {
			t.Fatal(err)
		}
		if err := rawScan(t, s, `PRAGMA foreign_keys`, nil, &fk); err != nil {
			t.Fatal(err)
		}
		if got != sync.want || mode != "wal" || fk != "1" {
			t.Errorf("Synchronous %q: synchronous=%s journal_mode=%s foreign_keys=%s", sync.opt, got, mode, fk)
		}
	}
}

func openFileOpts(t *testing.T, path string, opts Options) *Store {
	t.Helper()
	s, err := Open(t.Context(), path, opts)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// A path with URI-special characters opens the file it names.
func TestOpenOddPath(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a dir?with#odd%chars")
	path := filepath.Join(dir, "orgd.db")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	s := openFile(t, path)
	putSetting(t, s, "k", "v")
	s.Close()
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("database file not at %s: %v", path, err)
	}
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

func migrationCount(t *testing.T, s *Store) int {
	t.Helper()
	var n int
	if err := rawScan(t, s, `SELECT COUNT(*) FROM schema_migrations`, nil, &n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestMigrationsApplyOnce(t *testing.T) {
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "orgd.db")
	s := openFile(t, path)
	if n := migrationCount(t, s); n != len(ms) {
		t.Fatalf("%d migrations recorded, want %d", n, len(ms))
	}
	var applied int64
	if err := rawScan(t, s, `SELECT applied_at FROM schema_migrations WHERE version = 1`, nil, &applied); err != nil {
		t.Fatal(err)
	}
	putSetting(t, s, "survives", "restart")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = openFile(t, path)
	if n := migrationCount(t, s); n != len(ms) {
		t.Fatalf("after reopening, %d migrations recorded, want %d", n, len(ms))
	}
	var again int64
	if err := rawScan(t, s, `SELECT applied_at FROM schema_migrations WHERE version = 1`, nil, &again); err != nil {
		t.Fatal(err)
	}
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
	if n := migrationCount(t, s); n != len(ms) {
		t.Errorf("after Reset, %d migrations recorded, want %d", n, len(ms))
	}
	if _, err := setting(t, s, "survives"); !errors.Is(err, org.ErrNotFound) {
		t.Errorf("after Reset, setting: %v", err)
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "orgd.db")
	s := openFile(t, path)
	if err := withWriter(t, s, func(c *sql.Conn) error {
		_, err := c.ExecContext(t.Context(), `INSERT INTO schema_migrations VALUES (9999, 0)`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if s, err := Open(t.Context(), path, Options{}); err == nil {
		s.Close()
		t.Fatal("Open accepted a database from a newer version")
	}
}

func TestMemoryStoresIndependent(t *testing.T) {
	a, b := openMemory(t), openMemory(t)
	putSetting(t, a, "k", "a")
	if _, err := setting(t, b, "k"); !errors.Is(err, org.ErrNotFound) {
		t.Fatalf("second memory store sees the first's setting: %v", err)
	}
	putSetting(t, b, "k", "b")
	if v, _ := setting(t, a, "k"); v != "a" {
		t.Errorf("first store's setting = %q, want a", v)
	}
	// A closed memory store is gone; a new one starts empty.
	a.Close()
	c := openMemory(t)
	if _, err := setting(t, c, "k"); !errors.Is(err, org.ErrNotFound) {
		t.Errorf("new memory store not empty: %v", err)
	}
}

// The in-memory database outlives its writer connection being recycled.
func TestMemorySurvivesIdleConnections(t *testing.T) {
	s := openMemory(t)
	putSetting(t, s, "k", "v")
	c, err := s.wconn.get(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	s.wconn.put(c, true) // closes the connection and pins a new one
	s.w.SetMaxIdleConns(0)
	if v, err := setting(t, s, "k"); err != nil || v != "v" {
		t.Fatalf("after the pool closed its connection: %q, %v", v, err)
	}
}

func TestViewIsReadOnly(t *testing.T) {
	for name, s := range map[string]*Store{"file": openFile(t, filepath.Join(t.TempDir(), "orgd.db")), "memory": openMemory(t)} {
		ctx := t.Context()
		err := s.View(ctx, func(tx org.Tx) error { return tx.PutSetting(ctx, "k", "v") })
		if err == nil {
			t.Errorf("%s: a write in View succeeded", name)
		}
		if _, err := setting(t, s, "k"); !errors.Is(err, org.ErrNotFound) {
			t.Errorf("%s: View wrote: %v", name, err)
		}
	}
}

func TestConcurrentUpdates(t *testing.T) {
	for name, s := range map[string]*Store{"file": openFile(t, filepath.Join(t.TempDir(), "orgd.db")), "memory": openMemory(t)} {
		t.Run(name, func(t *testing.T) {
			ctx := t.Context()
			const workers, each = 8, 40
			var wg sync.WaitGroup
			errs := make(chan error, workers*each)
			for w := range workers {
				wg.Go(func() {
					for i := range each {
						err := s.Update(ctx, func(tx org.Tx) error {
							// Read-modify-write: lost updates would show in the final count.
							n := 0
							if v, err := tx.Setting(ctx, "counter"); err == nil {
								fmt.Sscan(v, &n)
							} else if !errors.Is(err, org.ErrNotFound) {
								return err
							}
							if err := tx.PutTags(ctx, fmt.Sprintf("r-%d", w), []org.Tag{{Key: fmt.Sprint(i), Value: "v"}}); err != nil {
								return err
							}
							return tx.PutSetting(ctx, "counter", fmt.Sprint(n+1))
						})
						if err != nil {
							errs <- err
						}
					}
				})
				// Readers run alongside.
				wg.Go(func() {
					for range each {
						if err := s.View(ctx, func(tx org.Tx) error {
							_, err := tx.Tags(ctx, fmt.Sprintf("r-%d", w), org.ByID)
							return err
						}); err != nil {
							errs <- err
						}
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			if v, err := setting(t, s, "counter"); err != nil || v != fmt.Sprint(workers*each) {
				t.Errorf("counter = %q, %v; want %d", v, err, workers*each)
			}
		})
	}
}

// A second Store on the same file (another process, in effect) waits for the first's write
// lock instead of failing.
func TestTwoStoresOneFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "orgd.db")
	a, b := openFile(t, path), openFile(t, path)
	ctx := t.Context()
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i, s := range []*Store{a, b} {
		wg.Go(func() {
			for j := range 20 {
				if err := s.Update(ctx, func(tx org.Tx) error {
					return tx.PutSetting(ctx, fmt.Sprintf("%d-%d", i, j), "v")
				}); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestUpdateContextCanceled(t *testing.T) {
	s := openMemory(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	err := s.Update(ctx, func(tx org.Tx) error { return tx.PutSetting(ctx, "k", "v") })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Update with a canceled context: %v", err)
	}
}

// queryPlan returns SQLite's plan for a query, one line per step.
func queryPlan(t *testing.T, s *Store, query string, args []any) string {
	t.Helper()
	var lines []string
	err := withWriter(t, s, func(c *sql.Conn) error {
		rows, err := c.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+query, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id, parent, notused int
			var detail string
			if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
				return err
			}
			lines = append(lines, detail)
		}
		return rows.Err()
	})
	if err != nil {
		t.Fatalf("EXPLAIN %s: %v", query, err)
	}
	return strings.Join(lines, "\n")
}

// TestQueryPlans pins the index each hot query uses: pages walk an index in order (no
// "TEMP B-TREE" sort, no full "SCAN"), counts use the covering quota indexes. Every
// statement is the store's own, a constant or the builder its method runs, so that a change
// of the SQL changes what this test plans. (An organization's member count is no statement:
// triggers keep it in organizations.members.)
func TestQueryPlans(t *testing.T) {
	s := openMemory(t)
	now := time.Now()
	open := []string{"OPEN", "REQUESTED"}
	type plan struct {
		name        string
		query       string
		args        []any
		want        []string // substrings the plan must contain
		noSortNoScn bool
	}
	var plans []plan
	add := func(name string, q string, args []any, noSort bool, want ...string) {
		plans = append(plans, plan{name, q, args, want, noSort})
	}
	lq := func(q org.AccountQuery) (string, []any) { return listAccountsQuery(q, accountColumns) }
	hq := func(q org.HandshakeQuery) (string, []any) { return listHandshakesQuery(q) }
	cq := func(q org.HandshakeQuery) (string, []any) { return countHandshakesQuery(q) }

	q, a := lq(org.AccountQuery{OrgID: "o-1", AfterID: "1", Limit: 20})
	add("accounts of org", q, a, true, "accounts_org ")
	q, a = lq(org.AccountQuery{OrgID: "o-1", ParentID: "r-1", AfterID: "1", Limit: 20})
	add("accounts of parent", q, a, true, "accounts_org_parent")
	q, a = listAccountsQuery(org.AccountQuery{OrgID: "o-1", AfterID: "1", Limit: 20}, "id")
	add("account ids of org", q, a, true, "COVERING INDEX accounts_org ")
	q, a = listAccountsQuery(org.AccountQuery{OrgID: "o-1", ParentID: "r-1", AfterID: "1", Limit: 20}, "id")
	add("account ids of parent", q, a, true, "COVERING INDEX accounts_org_parent")
	q, a = lq(org.AccountQuery{AfterID: "1", Limit: 20})
	add("all accounts", q, a, true, "PRIMARY KEY")
	q, a = lq(org.AccountQuery{OrgID: "o-1", Order: org.ByCreation, AfterSeq: 3, Limit: 20})
	add("accounts of org in creation order", q, a, true, "accounts_org_seq")
	q, a = lq(org.AccountQuery{OrgID: "o-1", ParentID: "r-1", Order: org.ByCreation, AfterSeq: 3, Limit: 20})
	add("accounts of parent in creation order", q, a, true, "accounts_org_parent_seq")
	q, a = listAccountsQuery(org.AccountQuery{OrgID: "o-1", Order: org.ByCreation, AfterSeq: 3, Limit: 20}, "id")
	add("account ids of org in creation order", q, a, true, "COVERING INDEX accounts_org_seq")
	add("largest account seq", nextAccountSeqQuery, []any{"o-1"}, true, "COVERING INDEX accounts_org_seq")
	add("count closures", countClosuresQuery, []any{"o-1", 5}, true, "COVERING INDEX accounts_org_closed")
	add("account by e-mail", accountByEmailQuery, []any{"a"}, true, "sqlite_autoindex_accounts")

	q, a = listOUsQuery(org.OUQuery{OrgID: "o-1", ParentID: "r-1", AfterID: "ou-1", Limit: 21})
	add("OUs of parent", q, a, true, "ous_org_parent")
	q, a = listOUsQuery(org.OUQuery{OrgID: "o-1", ParentID: "r-1", Order: org.ByCreation, AfterSeq: 2, Limit: 21})
	add("OUs of parent in creation order", q, a, true, "ous_org_parent_seq")
	add("largest OU seq", nextOUSeqQuery, []any{"o-1", "r-1"}, true, "COVERING INDEX ous_org_parent_seq")
	q, a = countOUsQuery(org.OUQuery{OrgID: "o-1"})
	add("count OUs", q, a, true, "COVERING INDEX ous_org")

	q, a = listCreateAccountQuery(org.CreateAccountQuery{OrgID: "o-1", AfterSeq: 3, Limit: 21})
	add("create account requests of org", q, a, true, "create_account_requests_org")
	q, a = listCreateAccountQuery(org.CreateAccountQuery{OrgID: "o-1", States: []string{"FAILED"}, AfterSeq: 3, Limit: 21})
	add("create account requests of org in a state", q, a, true, "create_account_requests_org_state")
	q, a = listCreateAccountQuery(org.CreateAccountQuery{States: []string{"IN_PROGRESS"}, DueBy: now, Limit: 100})
	add("due create account requests", q, a, true, "create_account_requests_due")

	q, a = hq(org.HandshakeQuery{OrgID: "o-1", VisibleAfter: now, Limit: 21})
	add("org handshakes", q, a, true, "handshakes_org ")
	q, a = hq(org.HandshakeQuery{OrgID: "o-1", Action: "INVITE", VisibleAfter: now, AfterSeq: 5, Limit: 21})
	add("org handshakes of an action", q, a, true, "handshakes_org ")
	q, a = hq(org.HandshakeQuery{OrgID: "o-1", Action: "INVITE", States: open, ExpiresAfter: now, Limit: 100})
	add("open org handshakes (each)", q, a, true, "handshakes_org ")
	q, a = hq(org.HandshakeQuery{RecipientAccountID: "1", RecipientEmail: "a@b", VisibleAfter: now, Limit: 21})
	add("recipient handshakes", q, a, false, "handshakes_recipient_account", "handshakes_recipient_email")
	q, a = hq(org.HandshakeQuery{RecipientAccountID: "1", Action: "INVITE", VisibleAfter: now, Limit: 21})
	add("recipient account handshakes", q, a, true, "handshakes_recipient_account")
	q, a = hq(org.HandshakeQuery{ParentID: "h-1", NotStates: []string{"ACCEPTED"}, Limit: 100})
	add("children", q, a, true, "handshakes_parent")
	q, a = hq(org.HandshakeQuery{ParentID: "h-1", RecipientAccountID: "1", States: open, ExpiresAfter: now, Limit: 100})
	add("child of a recipient", q, a, true, "handshakes_recipient_account")

	add("invitations leaving the daily window", invitationsBetweenQuery, []any{"o-1", 1, 5}, true, "COVERING INDEX handshakes_org_state_requested")
	add("invitations that expired", expireInvitationsQuery, []any{"o-1", 5}, true, "INDEX handshakes_org_open ")
	q, a = cq(org.HandshakeQuery{OrgID: "o-1", Action: "INVITE", States: open, ExpiresAfter: now})
	add("count open invitations", q, a, true, "COVERING INDEX handshakes_org_open")
	q, a = cq(org.HandshakeQuery{OrgID: "o-1", RecipientAccountID: "1", RecipientEmail: "a@b", States: open, ExpiresAfter: now})
	add("count duplicate invitations", q, a, false, "handshakes_recipient_account", "handshakes_recipient_email")

	q, a = listPoliciesQuery(org.PolicyQuery{OrgID: "o-1", Type: "TAG_POLICY", AfterID: "p-1", Limit: 21})
	add("policies of a type", q, a, true, "SEARCH policies USING INDEX policies_org_type")
	q, a = listPoliciesQuery(org.PolicyQuery{OrgID: "o-1", Type: "TAG_POLICY", Order: org.ByCreation, AfterSeq: 1, Limit: 21})
	add("policies of a type in creation order", q, a, true, "SEARCH policies USING INDEX policies_org_type_seq")
	add("largest policy seq", nextPolicySeqQuery, []any{"o-1", "TAG_POLICY"}, true, "COVERING INDEX policies_org_type_seq")
	add("count policies", countPoliciesQuery, []any{"o-1", "TAG_POLICY"}, true, "SEARCH policies USING COVERING INDEX")
	add("policies of an organization (delete)", deletePoliciesQuery, []any{"o-1"}, true, "SEARCH policies USING INDEX policies_org_type")
	q, a, _ = listAttachmentsQuery(org.PolicyAttachmentQuery{OrgID: "o-1", PolicyID: "p-1", AfterTargetID: "1", Limit: 21})
	add("targets of a policy", q, a, true, "SEARCH policy_attachments USING PRIMARY KEY")
	q, a, _ = listAttachmentsQuery(org.PolicyAttachmentQuery{OrgID: "o-1", PolicyID: "p-1", Order: org.ByCreation, AfterSeq: 2, Limit: 21})
	add("targets of a policy in attachment order", q, a, true, "SEARCH policy_attachments USING INDEX policy_attachments_policy_seq")
	add("largest attachment order of a policy", nextTargetOfPolicySeqQuery, []any{"o-1", "p-1"}, true, "SEARCH policy_attachments USING COVERING INDEX policy_attachments_policy_seq")
	q, a, _ = listAttachmentsQuery(org.PolicyAttachmentQuery{OrgID: "o-1", TargetID: "r-1", PolicyType: "TAG_POLICY", AfterSeq: 2, Limit: 21})
	add("policies of a target", q, a, true, "SEARCH policy_attachments USING INDEX policy_attachments_target")
	q, a = countAttachmentsQuery(org.PolicyAttachmentQuery{OrgID: "o-1", TargetID: "r-1", PolicyType: "TAG_POLICY"})
	add("count attachments of a target", q, a, true, "SEARCH policy_attachments USING COVERING INDEX policy_attachments_target")
	add("next attachment order", nextSeqQuery, []any{"o-1", "r-1", "TAG_POLICY"}, true, "SEARCH policy_attachments USING COVERING INDEX policy_attachments_target")
	q, a = deleteAttachmentsQuery(org.PolicyAttachmentQuery{OrgID: "o-1", TargetID: "r-1"})
	add("detach all from a target", q, a, true, "SEARCH policy_attachments USING INDEX policy_attachments_target")
	q, a = deleteAttachmentsQuery(org.PolicyAttachmentQuery{OrgID: "o-1", PolicyType: "TAG_POLICY"})
	add("detach a type", q, a, true, "SEARCH policy_attachments USING INDEX policy_attachments_type")
	add("enabled policy types", enabledPolicyTypesQuery, []any{"o-1"}, true, "SEARCH policy_types USING PRIMARY KEY")

	for _, p := range plans {
		got := queryPlan(t, s, p.query, p.args)
		for _, w := range p.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: plan lacks %q:\n%s", p.name, w, got)
			}
		}
		for _, line := range strings.Split(got, "\n") {
			if strings.HasPrefix(line, "SCAN handshakes") || strings.HasPrefix(line, "SCAN accounts") || strings.HasPrefix(line, "SCAN ous") || strings.HasPrefix(line, "SCAN create_account_requests") {
				t.Errorf("%s: plan scans a table:\n%s", p.name, got)
			}
			if p.noSortNoScn && strings.Contains(line, "TEMP B-TREE") {
				t.Errorf("%s: plan sorts:\n%s", p.name, got)
			}
		}
		if testing.Verbose() {
			t.Logf("%s:\n%s", p.name, got)
		}
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
	path := filepath.Join(t.TempDir(), "orgd.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	stmts := []string{`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)`}
	for _, m := range ms[:i] {
		stmts = append(stmts, m.SQL, fmt.Sprintf(`INSERT INTO schema_migrations VALUES (%d, 0)`, m.Version))
	}
	stmts = append(stmts,
		`INSERT INTO organizations (id, feature_set, management_account_id, root_id, created_at)
			VALUES ('o-1111111111', 'ALL', '111111111111', 'r-1111', 0)`,
		`INSERT INTO handshakes (id, org_id, management_account_id, action, state, requested_at, expires_at, visible_until)
			VALUES ('h-1', 'o-1111111111', '111111111111', 'INVITE', 'OPEN', 0, 1, 2)`)
	for _, q := range stmts {
		if _, err := db.ExecContext(t.Context(), q); err != nil {
			db.Close()
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	s := openFile(t, path)
	if n := migrationCount(t, s); n != len(ms) {
		t.Fatalf("%d migrations recorded, want %d", n, len(ms))
	}
	storetest.CheckMigratedPartitions(t, s)
}
