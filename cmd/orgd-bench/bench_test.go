package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/orgd/orgd/internal/pgtest"
)

// TestMain lets the bench re-execute the test binary as a server child, as it re-executes
// its own binary when run as a command, and stops the PostgreSQL server of pgtest.URL after
// the tests (the bench stops the one it starts itself).
func TestMain(m *testing.M) {
	if isChild() {
		os.Exit(childMain())
	}
	pgtest.Main(m)
}

// TestBenchEndToEnd runs the whole bench briefly on the servers it starts and checks that
// orgd did every operation without an error, on PostgreSQL too when there is one (as pgtest
// finds it: ORGD_TEST_POSTGRES_URL, else a local installation). It asserts no speed: only
// that the numbers are there.
func TestBenchEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts servers and measures for several seconds")
	}
	if u := os.Getenv(pgtest.EnvURL); u != "" {
		t.Setenv(postgresEnv, u)
	}
	// auto leaves orgd-postgres out without PostgreSQL; true makes that an error, which a
	// CI job that must run the PostgreSQL tests wants.
	pgMode := "auto"
	if pgtest.Required() {
		pgMode = "true"
	}
	out := filepath.Join(t.TempDir(), "bench.json")
	var stdout, stderr bytes.Buffer
	m := &Main{Stdout: &stdout, Stderr: &stderr}
	err := m.Run(context.Background(), []string{"-duration", "200ms", "-sizes", "100", "-moto=false", "-memory",
		"-postgres", pgMode, "-json", out})
	if cerr := m.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatalf("bench: %v\nstderr:\n%s", err, stderr.String())
	}
	t.Log(stdout.String())
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var rep Report
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatal(err)
	}
	wantOps := []string{"DescribeOrganization", "ListAccounts/100", "MemberDescribeOrganization", "MemberDescribeOrganization/SCPs",
		"DescribeHandshake", "TagResource", "InviteAccept", "CreateAccount"}
	got := map[[2]string]Result{}
	for _, r := range rep.Results {
		got[[2]string{r.Op, r.Server}] = r
	}
	servers := []string{"orgd", "orgd-memory", "ceiling", "ceiling-sized"}
	if _, ok := got[[2]string{"DescribeOrganization", "orgd-postgres"}]; ok {
		servers = append(servers, "orgd-postgres")
	} else {
		t.Logf("SKIPPED: the orgd-postgres column, which needs initdb and postgres (Debian package postgresql) or %s: %s",
			pgtest.EnvURL, strings.Join(rep.Notes, "; "))
	}
	for _, server := range servers {
		for _, op := range wantOps {
			r, ok := got[[2]string{op, server}]
			switch {
			case !ok:
				t.Errorf("%s on %s: no result", op, server)
			case r.NA || r.Errors != 0 || r.OK == 0 || r.PerSecond <= 0:
				t.Errorf("%s on %s: %d ok, %d errors, %.1f/s, n/a %v, first error %q", op, server, r.OK, r.Errors, r.PerSecond, r.NA, r.FirstError)
			}
		}
	}
	for _, s := range rep.Servers {
		if (s.Name == "orgd" || s.Name == "orgd-postgres") && (s.RestartMs <= 0 || s.RSSAfterSetupKB <= 0 || s.DBBytes <= 0) {
			t.Errorf("%s: restart %vms, resident memory %d kB, database %d bytes: not measured", s.Name, s.RestartMs, s.RSSAfterSetupKB, s.DBBytes)
		}
	}
	// The verified column measures the read operations, all of them without an error (its
	// client signs with the keys of its credentials file), and its ratio to orgd.
	reads := []string{"DescribeOrganization", "ListAccounts/100", "MemberDescribeOrganization", "MemberDescribeOrganization/SCPs", "DescribeHandshake"}
	for _, op := range reads {
		r, ok := got[[2]string{op, "orgd-verified"}]
		if !ok || r.NA || r.Errors != 0 || r.OK == 0 {
			t.Errorf("%s on orgd-verified: %+v (measured: %v)", op, r, ok)
		}
	}
	for _, op := range []string{"TagResource", "InviteAccept", "CreateAccount"} {
		if r, ok := got[[2]string{op, "orgd-verified"}]; ok {
			t.Errorf("orgd-verified measured the write %s: %+v", op, r)
		}
	}
	ratios := map[[2]string]int{}
	for _, r := range rep.Ratios {
		if (r.Versus == "ceiling" || r.Server == "orgd-verified" && r.Versus == "orgd") && r.Ratio > 0 {
			ratios[[2]string{r.Server, r.Versus}]++
		}
	}
	if n := ratios[[2]string{"orgd-verified", "orgd"}]; n != len(reads) {
		t.Errorf("orgd-verified: %d positive ratios to orgd, want one per read operation (%d)", n, len(reads))
	}
	for _, server := range servers {
		if strings.HasPrefix(server, "orgd") && ratios[[2]string{server, "ceiling"}] != len(wantOps) {
			t.Errorf("%s: %d positive ratios to the ceiling, want one per operation (%d)", server, ratios[[2]string{server, "ceiling"}], len(wantOps))
		}
	}
}

// The bench's schema is fresh, sized, and dropped at the end, leaving the rest of the
// server as it found it.
func TestPostgresSchemaDropped(t *testing.T) {
	server := pgtest.URL(t)
	ctx := t.Context()
	d, note, err := openPostgres(ctx, server)
	if err != nil || d == nil {
		t.Fatalf("openPostgres: %v (note %q)", err, note)
	}
	if d.stop != nil {
		t.Error("a server given by URL is not the bench's to stop")
	}
	c, err := pgx.Connect(ctx, d.url)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	var schema string
	if _, err := c.Exec(ctx, `CREATE TABLE t (x text); INSERT INTO t SELECT repeat('x', 1000) FROM generate_series(1, 100)`); err != nil {
		t.Fatal(err)
	}
	if err := c.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil || schema != d.schema {
		t.Fatalf("orgd's URL selects schema %q (%v), want %q", schema, err, d.schema)
	}
	if n, err := d.size(ctx); err != nil || n <= 0 {
		t.Errorf("size %d, %v", n, err)
	}
	if err := d.close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := d.close(ctx); err != nil {
		t.Errorf("second close: %v", err)
	}
	var n int
	if err := c.QueryRow(ctx, `SELECT COUNT(*) FROM pg_namespace WHERE nspname = $1`, schema).Scan(&n); err != nil || n != 0 {
		t.Errorf("schema %s after close: %d (%v)", schema, n, err)
	}
}
