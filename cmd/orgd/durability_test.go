package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"

	"github.com/orgd/orgd/internal/apitest"
	"github.com/orgd/orgd/internal/pgtest"
	"github.com/orgd/orgd/internal/sqlite"
)

// childArgsEnv, when set, makes the test binary run as orgd with these arguments (separated
// by newlines), so that a test can run orgd as a process of its own and kill it.
const childArgsEnv = "ORGD_TEST_CHILD_ARGS"

func TestMain(m *testing.M) {
	if args := os.Getenv(childArgsEnv); args != "" {
		os.Args = append([]string{"orgd"}, strings.Split(args, "\n")...)
		main()
		os.Exit(0)
	}
	// The replica tests share one PostgreSQL server, which Main stops at the end.
	pgtest.Main(m)
}

// childWait bounds each wait for a child orgd: to answer after its start, for the writers'
// first writes. It is no measure of speed: past it the test has no hope of going on.
const childWait = time.Minute

// startChild runs orgd serve with args as a child process listening on a free port, and
// waits until it answers. It returns what the child logged so far with it.
func startChild(t *testing.T, args ...string) (*exec.Cmd, string, *apitest.SyncBuffer) {
	t.Helper()
	addr := freePort(t)
	args = append([]string{"serve", "--listen", addr}, args...)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childArgsEnv+"="+strings.Join(args, "\n"))
	logs := &apitest.SyncBuffer{}
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
		failOnServerErrors(t, logs.String())
		if t.Failed() {
			t.Logf("orgd %v logged:\n%s", args, logs.String())
		}
	})
	url := "http://" + addr
	c := client(url, "111111111111")
	for deadline := time.Now().Add(childWait); ; time.Sleep(20 * time.Millisecond) {
		_, err := c.DescribeOrganization(context.Background(), &organizations.DescribeOrganizationInput{})
		var apiErr interface{ ErrorCode() string }
		if err == nil || errors.As(err, &apiErr) {
			return cmd, url, logs
		}
		select {
		case <-exited:
			t.Fatalf("orgd %v exited before it answered: %v\n%s", args, cmd.ProcessState, logs.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("orgd %v did not answer: %v", args, err)
		}
	}
}

// requireSync fails t unless orgd's start-up line says its database runs with synchronous
// mode (read back from SQLite, see server.Synchronous): --sync reached the database.
func requireSync(t *testing.T, logs *apitest.SyncBuffer, mode string) {
	t.Helper()
	var line string
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, `msg="orgd serving"`) {
			line = l
		}
	}
	if !strings.Contains(line, " sync="+mode) {
		t.Fatalf("orgd's start-up line %q, want sync=%s", line, mode)
	}
}

// TestKillDuringWritesLosesNothingAcknowledged: orgd is killed with SIGKILL in the middle of
// a write load; started again on the same database, it has every write it acknowledged, and
// SQLite finds the file consistent. Both --sync modes promise this much (a power loss is
// where they differ, and no test here can cut the power); that each reaches the database is
// checked on the server's start-up line.
func TestKillDuringWritesLosesNothingAcknowledged(t *testing.T) {
	for _, mode := range []string{"full", "normal"} {
		t.Run("sync "+mode, func(t *testing.T) { killDuringWrites(t, mode) })
	}
}

func killDuringWrites(t *testing.T, syncMode string) {
	db := filepath.Join(t.TempDir(), "orgd.db")
	cmd, url, logs := startChild(t, "--db", db, "--max-ous", "1000000", "--sync", syncMode)
	requireSync(t, logs, strings.ToUpper(syncMode))
	mgmt := client(url, "111111111111")
	if _, err := mgmt.CreateOrganization(t.Context(), &organizations.CreateOrganizationInput{}); err != nil {
		t.Fatal(err)
	}
	roots, err := mgmt.ListRoots(t.Context(), &organizations.ListRootsInput{})
	if err != nil {
		t.Fatal(err)
	}
	root := roots.Roots[0].Id

	// Eight writers create OUs until the process dies under them; each remembers the names
	// orgd acknowledged. A writer's error before the kill ends the test; after it, it is the
	// server going away.
	const writers, before = 8, 20
	acked := make([][]string, writers)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var killed atomic.Bool
	var wg sync.WaitGroup
	started := make(chan struct{}, writers)
	failed := make(chan error, writers)
	for w := range writers {
		wg.Go(func() {
			c := client(url, "111111111111")
			for i := 0; ; i++ {
				name := fmt.Sprintf("w%d-%d", w, i)
				_, err := c.CreateOrganizationalUnit(ctx, &organizations.CreateOrganizationalUnitInput{
					ParentId: root, Name: aws.String(name)})
				if err != nil {
					if !killed.Load() && ctx.Err() == nil {
						failed <- fmt.Errorf("writer %d, before the kill: CreateOrganizationalUnit %s: %w", w, name, err)
					}
					return
				}
				acked[w] = append(acked[w], name)
				if i == before {
					started <- struct{}{}
				}
			}
		})
	}
	deadline := time.After(childWait)
	for range writers {
		select {
		case <-started:
		case err := <-failed:
			cancel()
			wg.Wait()
			t.Fatal(err)
		case <-deadline:
			cancel()
			wg.Wait()
			t.Fatalf("the writers did not all write %d OUs in %v", before+1, childWait)
		}
	}
	killed.Store(true)
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	wg.Wait() // each writer's next call fails on the dead server
	select {
	case err := <-failed:
		t.Fatal(err)
	default:
	}

	store, err := sqlite.Open(t.Context(), db, sqlite.Options{})
	if err != nil {
		t.Fatalf("open the database after the kill: %v", err)
	}
	if err := store.Check(t.Context()); err != nil {
		t.Errorf("after the kill: %v", err)
	}
	store.Close()

	_, url, logs = startChild(t, "--db", db, "--max-ous", "1000000")
	requireSync(t, logs, "FULL") // the default
	have := map[string]bool{}
	p := organizations.NewListOrganizationalUnitsForParentPaginator(client(url, "111111111111"),
		&organizations.ListOrganizationalUnitsForParentInput{ParentId: root})
	for p.HasMorePages() {
		out, err := p.NextPage(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range out.OrganizationalUnits {
			have[aws.ToString(u.Name)] = true
		}
	}
	total := 0
	for _, names := range acked {
		total += len(names)
		for _, n := range names {
			if !have[n] {
				t.Errorf("acknowledged OU %s is gone after the restart", n)
			}
		}
	}
	if total < writers*(before+1) {
		t.Fatalf("only %d writes were acknowledged", total)
	}
	t.Logf("%d acknowledged writes, %d OUs after the restart", total, len(have))
}
