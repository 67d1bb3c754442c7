package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/orgd/orgd/internal/org"
	"github.com/orgd/orgd/internal/postgres"
	"github.com/orgd/orgd/internal/server"
)

// The servers under test each run in their own process, so that the load generator's
// goroutines, allocations and garbage collections are not billed to the server (and the
// reverse). orgd and the ceiling are this very binary started again in a hidden child mode,
// chosen by the environment rather than by arguments so that the test binary, which has its
// own flags, can be re-executed the same way (see TestMain).
const (
	childEnv   = "ORGD_BENCH_CHILD" // "orgd" or "ceiling"
	childDBEnv = "ORGD_BENCH_DB"    // orgd's --db
	// childCredentialsEnv is orgd's --credentials (orgd-verified); empty runs it open.
	childCredentialsEnv = "ORGD_BENCH_CREDENTIALS"
	// childProfileEnv names the file a child writes its CPU profile to (-cpuprofile).
	childProfileEnv = "ORGD_BENCH_CPUPROFILE"
	// listeningPrefix starts the line a child writes on stdout once it accepts connections.
	listeningPrefix = "listening "
)

// ceilingBody is what the ceiling answers to every request: a DescribeOrganization answer of
// the size orgd sends, so that the bytes on the wire are comparable.
const ceilingBody = `{"Organization":{"Id":"o-k3x9q2m7ab","Arn":"arn:aws:organizations::111111111111:organization/o-k3x9q2m7ab",` +
	`"FeatureSet":"ALL","MasterAccountArn":"arn:aws:organizations::111111111111:account/o-k3x9q2m7ab/111111111111",` +
	`"MasterAccountId":"111111111111","MasterAccountEmail":"master@example.com",` +
	`"AvailablePolicyTypes":[{"Type":"SERVICE_CONTROL_POLICY","Status":"ENABLED"}]}}`

// isChild reports whether this process was started as a server child.
func isChild() bool { return os.Getenv(childEnv) != "" }

// childMain runs the server child named by the environment until its standard input closes
// (the parent closes it to stop the child, and the kernel closes it when the parent dies,
// so no child outlives the bench) and returns the exit code.
func childMain() int {
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		io.Copy(io.Discard, os.Stdin)
		cancel()
	}()
	if path := os.Getenv(childProfileEnv); path != "" {
		stop, err := startProfile(fmt.Sprintf(path, os.Getpid()))
		if err != nil {
			fmt.Fprintln(os.Stderr, "orgd-bench child:", err)
			return 1
		}
		defer stop()
	}
	var err error
	switch kind := os.Getenv(childEnv); kind {
	case "orgd":
		err = serveOrgd(ctx, os.Getenv(childDBEnv), os.Getenv(childCredentialsEnv))
	case "ceiling":
		err = serveCeiling(ctx)
	case "ceiling-sized":
		err = serveSizedCeiling(ctx)
	default:
		err = fmt.Errorf("unknown child kind %q", kind)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "orgd-bench child:", err)
		return 1
	}
	return 0
}

// benchQuotas are AWS's default quotas with the three that would stop a benchmark raised: the
// setup puts 100,000 accounts in one organization through CreateAccount, and the invitation
// cycle sends thousands of invitations a second. The quota checks still run on every request.
func benchQuotas() org.Quotas {
	q := org.DefaultQuotas()
	q.MaxAccounts = 100_000_000
	q.InvitationsPerDay = 100_000_000
	q.MaxConcurrentCreations = 100_000_000
	return q
}

// serveOrgd builds the server as `orgd serve` does (cmd/orgd/orgd.go: server.New with the
// same Config fields, its logger at the default info level, the same http.Server settings),
// except for the quotas, on a listener of the kernel's choosing; with a credentials file it
// verifies every signature.
func serveOrgd(ctx context.Context, db, credentials string) error {
	if db == "" {
		return errors.New("no database given")
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	srv, err := server.New(ctx, server.Config{
		DB: db,
		// orgd serve locks a database file for itself, which lets it cache rows. A
		// PostgreSQL database is shared by replicas: nothing is locked, nothing cached
		// (server.New ignores the field there; false says so).
		Exclusive:       !postgres.IsURL(db),
		CredentialsFile: credentials,
		Logger:          logger,
		Org: org.Config{Quotas: benchQuotas(), DefaultAccountID: org.DefaultAccountID,
			AllFeaturesLabel: "FULL"},
	})
	if err != nil {
		return err
	}
	defer srv.Close()
	return serveUntilDone(ctx, srv.Handler)
}

// serveCeiling answers every request with ceilingBody without reading it: the most a Go HTTP
// server can do on this machine with this client, the ceiling of any server written in Go.
func serveCeiling(ctx context.Context) error {
	body := []byte(ceilingBody)
	length := strconv.Itoa(len(body))
	return serveUntilDone(ctx, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", "application/x-amz-json-1.1")
		h.Set("Content-Length", length)
		w.Write(body)
	}))
}

// sizedBodyPath is where the bench tells the same-size ceiling what to answer next.
const sizedBodyPath = "/_bench/body"

// serveSizedCeiling is the ceiling with a body the bench sets before each operation: orgd's
// own answer to it. Where orgd answers more bytes than the ceiling's fixed body (a page of
// accounts), it tells how much of the gap the bytes alone cost the client, the kernel and
// net/http. Apart from the one path comparison, it reads nothing either.
func serveSizedCeiling(ctx context.Context) error {
	var body atomic.Pointer[[]byte]
	empty := []byte("{}")
	body.Store(&empty)
	return serveUntilDone(ctx, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == sizedBodyPath {
			b, err := io.ReadAll(r.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			body.Store(&b)
			return
		}
		b := *body.Load()
		h := w.Header()
		h.Set("Content-Type", "application/x-amz-json-1.1")
		h.Set("Content-Length", strconv.Itoa(len(b)))
		w.Write(b)
	}))
}

func serveUntilDone(ctx context.Context, h http.Handler) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	fmt.Printf("%s%s\n", listeningPrefix, ln.Addr())
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return hs.Shutdown(sctx)
}

// proc is a server process the bench started.
type proc struct {
	name    string
	url     string
	cmd     *exec.Cmd
	stdin   io.Closer // closing it asks a Go child to shut down
	group   bool      // kill the whole process group (moto: a shim execs Python)
	logPath string
	done    chan struct{} // closed when the process has exited
	waitErr error
}

// startProfile writes a CPU profile of this process to path until the returned stop runs.
func startProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

// startChild starts this binary in child mode kind with the extra environment env and waits
// until it listens; with -cpuprofile the child profiles itself into NAME-PID.pprof there.
func (m *Main) startChild(ctx context.Context, name, kind string, env ...string) (*proc, error) {
	if m.profileDir != "" {
		// The PID is the child's own, filled in by the child: a restarted orgd must not
		// overwrite the profile of the run before it.
		env = append(env, childProfileEnv+"="+filepath.Join(m.profileDir, name+"-%d.pprof"))
	}
	return startChild(ctx, name, kind, m.tmp, env...)
}

// startChild starts this binary in child mode kind with the extra environment env and waits
// until it listens.
func startChild(ctx context.Context, name, kind, logDir string, env ...string) (*proc, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe)
	cmd.Env = append(append(os.Environ(), childEnv+"="+kind), env...)
	cmd.SysProcAttr = sysProcAttr()
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	p := &proc{name: name, cmd: cmd, stdin: stdin, done: make(chan struct{})}
	if err := p.logTo(logDir); err != nil {
		return nil, err
	}
	if err := p.start(); err != nil {
		return nil, err
	}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), listeningPrefix); ok {
				addr <- a
				break
			}
		}
		io.Copy(io.Discard, stdout)
	}()
	select {
	case a := <-addr:
		p.url = "http://" + a
		return p, nil
	case <-p.done:
		return nil, fmt.Errorf("%s exited before listening (%v)%s", name, p.waitErr, p.logTail())
	case <-time.After(60 * time.Second):
		p.stop()
		return nil, fmt.Errorf("%s did not listen within a minute%s", name, p.logTail())
	case <-ctx.Done():
		p.stop()
		return nil, ctx.Err()
	}
}

// startMoto starts moto's server on a free port and polls until it answers: it prints
// nothing we could wait for reliably.
func startMoto(ctx context.Context, logDir string) (*proc, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command("moto_server", "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	cmd.SysProcAttr = sysProcAttr()
	cmd.SysProcAttr.Setpgid = true
	p := &proc{name: "moto", cmd: cmd, group: true, done: make(chan struct{}),
		url: fmt.Sprintf("http://127.0.0.1:%d", port)}
	if err := p.logTo(logDir); err != nil {
		return nil, err
	}
	if err := p.start(); err != nil {
		return nil, err
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(p.url + "/moto-api/data.json")
		if err == nil {
			resp.Body.Close()
			return p, nil
		}
		select {
		case <-p.done:
			return nil, fmt.Errorf("moto_server exited before answering (%v)%s", p.waitErr, p.logTail())
		case <-ctx.Done():
			p.stop()
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			p.stop()
			return nil, fmt.Errorf("moto_server did not answer within a minute%s", p.logTail())
		}
	}
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// logTo sends the process's standard error (and moto's standard output) to a file, so that a
// failing server can be diagnosed and its logging costs what it costs in production.
func (p *proc) logTo(dir string) error {
	f, err := os.CreateTemp(dir, p.name+"-*.log")
	if err != nil {
		return err
	}
	p.logPath = f.Name()
	p.cmd.Stderr = f
	if p.cmd.Stdout == nil && p.group {
		p.cmd.Stdout = f
	}
	return nil
}

func (p *proc) start() error {
	if err := p.cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", p.name, err)
	}
	go func() {
		p.waitErr = p.cmd.Wait()
		if f, ok := p.cmd.Stderr.(*os.File); ok {
			f.Close()
		}
		close(p.done)
	}()
	return nil
}

// stop ends the process: politely first (closing a Go child's stdin makes it shut its
// server and store down cleanly, which the restart timing relies on; moto gets SIGTERM),
// then SIGKILL after 10 seconds. It is safe to call more than once.
func (p *proc) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	if p.stdin != nil {
		p.stdin.Close()
	} else {
		p.signal(syscall.SIGTERM)
	}
	select {
	case <-p.done:
		return
	case <-time.After(10 * time.Second):
	}
	p.signal(syscall.SIGKILL)
	<-p.done
}

func (p *proc) signal(sig syscall.Signal) {
	if p.group {
		// A negative pid names the process group Setpgid gave the child.
		syscall.Kill(-p.cmd.Process.Pid, sig)
		return
	}
	p.cmd.Process.Signal(sig)
}

// rssKB is the process's resident memory, VmRSS in /proc/PID/status.
func (p *proc) rssKB() (int64, error) {
	raw, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(p.cmd.Process.Pid), "status"))
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		}
	}
	return 0, errors.New("no VmRSS in /proc status")
}

// logSize is the length of the process's log so far, to read what a later step logged.
func (p *proc) logSize() int64 {
	fi, err := os.Stat(p.logPath)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// exceptionLine matches the last line of a Python traceback, where moto's server says why
// it answered 500 (its HTML answer says only "Internal Server Error").
var exceptionLine = regexp.MustCompile(`^\w*(Error|Exception): .+`)

// logExceptionSince returns the last exception line the process logged after offset off.
func (p *proc) logExceptionSince(off int64) string {
	f, err := os.Open(p.logPath)
	if err != nil {
		return ""
	}
	defer f.Close()
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		return ""
	}
	last := ""
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); exceptionLine.MatchString(line) {
			last = line
		}
	}
	return last
}

// logTail is the end of the process's log, for error messages.
func (p *proc) logTail() string {
	raw, err := os.ReadFile(p.logPath)
	if err != nil || len(raw) == 0 {
		return ""
	}
	if len(raw) > 2000 {
		raw = raw[len(raw)-2000:]
	}
	return "; log " + p.logPath + " ends:\n" + string(raw)
}
