// Package pgtest gives each test a PostgreSQL database of its own.
//
// The server is the one ORGD_TEST_POSTGRES_URL names, when set; otherwise a private server
// that the package starts once per test binary, from the binaries of a local installation
// (initdb and postgres on PATH or under /usr/lib/postgresql/*/bin, as Debian's postgresql
// package installs them), in a temporary directory on a free loopback port. Without either,
// tests that ask for a database are skipped, loudly; with ORGD_TEST_POSTGRES_REQUIRED set, or
// under CI=true (see testenv), they fail instead, so that a CI job cannot pass without
// running them.
//
// Each test gets a fresh schema, which its URL selects with search_path, so that the code
// under test sees an empty database: creating a schema costs under a millisecond, where a
// fresh database costs about 100ms (a copy of the template and a checkpoint).
//
// StartPrivate, which starts the tests' private server, also serves programs that need a
// throwaway server of their own: orgd-bench measures orgd on one.
package pgtest

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/orgd/orgd/internal/testenv"
)

// EnvURL names a server to use instead of a private one: a postgres:// URL of a database
// in which the role may create schemas.
const EnvURL = "ORGD_TEST_POSTGRES_URL"

// EnvRequired, when set to anything, turns the skip of a test without PostgreSQL into a
// failure, as CI=true does.
const EnvRequired = "ORGD_TEST_POSTGRES_REQUIRED"

// Required reports whether a test without PostgreSQL fails rather than skips: EnvRequired
// is set, or the tests run under CI (testenv.CI).
func Required() bool { return os.Getenv(EnvRequired) != "" || testenv.CI() }

// ErrNotInstalled is what StartPrivate's error wraps when there is no local installation to
// start a server from: the one condition under which a test is skipped rather than failed.
var ErrNotInstalled = errors.New("no initdb and postgres on PATH or under /usr/lib/postgresql/*/bin")

// skipMessage says what a skipped test needed.
const skipMessage = "SKIPPED: PostgreSQL tests need initdb and postgres (Debian package postgresql) or " + EnvURL

// server is the one server of the test binary. It is package state because a test binary
// has one life: Main starts nothing, the first URL starts the server, and Main stops it
// after the last test.
var server struct {
	running atomic.Bool // Main is running the tests
	once    sync.Once
	base    *url.URL      // the database whose schemas the tests get
	admin   *pgxpool.Pool // creates and drops the schemas
	skip    string        // why there is no server, when there is none
	err     error         // why the server failed to start
	stop    func()        // stops a private server and removes its directory
}

// Main runs the tests of a package whose tests call URL, and then stops the private server
// if one was started. Call it from TestMain:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
//
// A test binary killed before Main returns (a timeout, a crash) cannot stop its server: on
// Linux the kernel does (a parent-death signal), and the next private server's start
// removes the directory left behind.
func Main(m *testing.M) { os.Exit(Run(m)) }

// Run is Main without the exit: it returns m.Run's code, for a TestMain that has more to do.
func Run(m *testing.M) int {
	server.running.Store(true)
	code := m.Run()
	if server.admin != nil {
		server.admin.Close()
	}
	if server.stop != nil {
		server.stop()
	}
	return code
}

// URL returns the postgres:// URL of a fresh, empty database for t, dropped when t ends. It
// skips t when no PostgreSQL is available (fails it when Required).
func URL(t testing.TB) string {
	t.Helper()
	if !server.running.Load() {
		t.Fatal("pgtest: the package's TestMain must call pgtest.Main, which stops the server")
	}
	server.once.Do(start)
	if server.skip != "" {
		if Required() {
			t.Fatalf("pgtest: %s or %s=true is set, but: %s", EnvRequired, testenv.EnvCI, server.skip)
		}
		t.Skip(server.skip)
	}
	if server.err != nil {
		t.Fatal(server.err)
	}
	schema := "orgd_test_" + strings.ToLower(rand.Text())
	ctx := context.Background()
	if _, err := server.admin.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("pgtest: create schema: %v", err)
	}
	t.Cleanup(func() {
		if _, err := server.admin.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("pgtest: drop schema %s: %v", schema, err)
		}
	})
	u := *server.base
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// start finds or starts the server and sets server's fields; it runs once.
func start() {
	raw := os.Getenv(EnvURL)
	if raw == "" {
		var err error
		raw, server.stop, err = StartPrivate(Options{})
		if errors.Is(err, ErrNotInstalled) {
			server.skip = skipMessage
			fmt.Fprintf(os.Stderr, "pgtest: %s (%v)\n", skipMessage, err)
			return
		}
		if err != nil {
			server.err = err
			return
		}
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		server.err = fmt.Errorf("pgtest: %s is not a postgres:// URL", EnvURL)
		return
	}
	server.base = u
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if server.admin, err = pgxpool.New(ctx, raw); err == nil {
		err = server.admin.Ping(ctx)
	}
	if err != nil {
		server.err = fmt.Errorf("pgtest: connect to %s: %w", u.Redacted(), err)
	}
}

// binDir returns the directory that holds initdb and postgres of one installation: the
// one initdb on PATH belongs to, else Debian's, newest version first.
func binDir() (string, error) {
	var dirs []string
	if p, err := exec.LookPath("initdb"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real
		}
		dirs = append(dirs, filepath.Dir(p))
	}
	debian, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	version := func(dir string) int {
		n, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
		return n
	}
	slices.SortFunc(debian, func(a, b string) int { return cmp.Compare(version(b), version(a)) })
	dirs = append(dirs, debian...)
	for _, dir := range dirs {
		if executable(filepath.Join(dir, "initdb")) && executable(filepath.Join(dir, "postgres")) {
			return dir, nil
		}
	}
	return "", ErrNotInstalled
}

func executable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

// account is the unprivileged user a private server runs as when the tests run as root:
// initdb and postgres refuse to run as root.
type account struct{ uid, gid int }

func unprivileged() (*account, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, err1 := strconv.Atoi(u.Uid)
		gid, err2 := strconv.Atoi(u.Gid)
		if err1 == nil && err2 == nil && uid != 0 {
			return &account{uid, gid}, nil
		}
	}
	return nil, errors.New("running as root, and there is no postgres or nobody user to run the server as")
}

// Options tune a private server.
type Options struct {
	// Durable keeps PostgreSQL's default durability: a commit is acknowledged once it is
	// flushed to the disk. Tests leave it off (their cluster dies with them, and flushes
	// would only slow them down); a benchmark that compares orgd's stores turns it on, as
	// the SQLite store flushes each commit too.
	Durable bool
}

// StartPrivate initdbs a cluster in a temporary directory and starts its server on a free
// loopback port, as an unprivileged user when this process runs as root (initdb and postgres
// refuse to run as root), from the installation binDir finds. It returns the URL of the
// postgres database, as the superuser postgres (trust authentication: the server listens on
// loopback only), and the function that stops the server and removes the directory; the
// caller must call it. On Linux the server also dies with the process that started it.
// Without an installation, the error wraps ErrNotInstalled.
func StartPrivate(opts Options) (url string, stop func(), err error) {
	bin, err := binDir()
	if err != nil {
		return "", nil, fmt.Errorf("pgtest: start a private server: %w", err)
	}
	if url, stop, err = startPrivate(bin, opts); err != nil {
		return "", nil, fmt.Errorf("pgtest: start a private server from %s: %w", bin, err)
	}
	return url, stop, nil
}

func startPrivate(bin string, opts Options) (string, func(), error) {
	as, err := unprivileged()
	if err != nil {
		return "", nil, err
	}
	sweep()
	dir, err := os.MkdirTemp("", fmt.Sprintf("orgd-pgtest-%d-", os.Getpid()))
	if err != nil {
		return "", nil, err
	}
	fail := func(err error) (string, func(), error) {
		os.RemoveAll(dir)
		return "", nil, err
	}
	if as != nil {
		if err := os.Chown(dir, as.uid, as.gid); err != nil {
			return fail(err)
		}
	}
	data := filepath.Join(dir, "data")
	// Trust authentication: the server listens on loopback only, for this process.
	initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres", "--auth=trust",
		"--no-sync", "--no-locale", "--encoding=UTF8")
	initdb.Dir = dir
	initdb.SysProcAttr = sysProcAttr(as)
	if out, err := initdb.CombinedOutput(); err != nil {
		return fail(fmt.Errorf("initdb: %w\n%s", err, out))
	}
	var errs []error
	for range 3 { // the free port may be taken before the server binds it
		port, err := freePort()
		if err != nil {
			return fail(err)
		}
		stop, err := runPostgres(bin, dir, data, port, as, opts)
		if err == nil {
			return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port), func() {
				stop()
				os.RemoveAll(dir)
			}, nil
		}
		errs = append(errs, err)
	}
	return fail(errors.Join(errs...))
}

// sweep removes the directories of private servers whose process died before it could (a
// test binary's timeout, a kill): each directory is named after the process that made it,
// whose server the kernel stopped when it died.
func sweep() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), "orgd-pgtest-*-*"))
	for _, dir := range dirs {
		pid, _, ok := strings.Cut(strings.TrimPrefix(filepath.Base(dir), "orgd-pgtest-"), "-")
		if n, err := strconv.Atoi(pid); ok && err == nil && n != os.Getpid() && !alive(n) {
			os.RemoveAll(dir)
		}
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// runPostgres starts the server and waits until it accepts connections.
func runPostgres(bin, dir, data string, port int, as *account, opts Options) (stop func(), err error) {
	logPath := filepath.Join(dir, fmt.Sprintf("postgres-%d.log", port))
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logFile.Close() // the child has its own descriptor
	args := []string{"-D", data, "-p", strconv.Itoa(port), "-k", dir,
		"-c", "listen_addresses=127.0.0.1",
		"-c", "max_connections=300"} // parallel tests, each store with its pool
	if !opts.Durable {
		// A test cluster dies with its test binary: nothing in it is worth a flush.
		args = append(args, "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
	}
	cmd := exec.Command(filepath.Join(bin, "postgres"), args...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = sysProcAttr(as)
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		close(exited)
	}()
	stop = func() {
		// SIGQUIT is PostgreSQL's immediate shutdown (pg_ctl stop -m immediate): nothing
		// of a throwaway cluster is worth a checkpoint.
		cmd.Process.Signal(quitSignal)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	}
	url := fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable&connect_timeout=2", port)
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		c, err := pgx.Connect(ctx, url)
		cancel()
		if err == nil {
			c.Close(context.Background())
			return stop, nil
		}
		select {
		case <-exited:
			log, _ := os.ReadFile(logPath)
			return nil, fmt.Errorf("postgres exited on port %d: %s", port, log)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			stop()
			log, _ := os.ReadFile(logPath)
			return nil, fmt.Errorf("postgres on port %d not ready after 30s: %v\n%s", port, err, log)
		}
	}
}
