// Command orgd-bench measures orgd (on SQLite, in memory, on PostgreSQL) against moto's
// server and against a ceiling (a bare Go HTTP handler that answers a fixed body), on
// loopback, each server in its own process:
//
//	go run ./cmd/orgd-bench                       # everything, 5 s an operation
//	go run ./cmd/orgd-bench -duration 1s -sizes 100 -only DescribeOrganization,ListAccounts
//
// It prints requests/s and p50/p99 latency per operation and server, orgd's throughput as a
// ratio to moto's and the ceiling's measured in the same run, orgd's resident memory after
// the setup and its start-up time on the database it filled, and writes the same as JSON
// (-json) for comparison between commits. Every number comes from the run.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
	"unicode/utf8"
)

func main() {
	if isChild() {
		os.Exit(childMain())
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	m := NewMain()
	err := m.Run(ctx, os.Args[1:])
	stop()
	if cerr := m.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "orgd-bench:", err)
		os.Exit(1)
	}
}

// Main is the program; Close stops every server child Run started, also when Run failed.
type Main struct {
	Stdout, Stderr io.Writer
	tmp            string
	procs          []*proc
	profileDir     string // where Go children write CPU profiles (empty: none)
	pg             *pgDB  // orgd-postgres's schema, and its server when the bench started it
	// bodies holds orgd's answer to each operation, which the same-size ceiling repeats.
	bodies map[string][]byte
}

// NewMain returns a Main writing to the process's standard streams.
func NewMain() *Main { return &Main{Stdout: os.Stdout, Stderr: os.Stderr} }

// Close stops the children still running, drops orgd-postgres's schema (stopping the
// PostgreSQL server the bench started) and removes the temporary directory.
func (m *Main) Close() error {
	for _, p := range m.procs {
		p.stop()
	}
	m.procs = nil
	// After the children: a schema in use by orgd-postgres's connections cannot be dropped
	// until they close.
	err := m.pg.close(context.Background())
	m.pg = nil
	if m.tmp != "" {
		err = errors.Join(err, os.RemoveAll(m.tmp))
		m.tmp = ""
	}
	return err
}

type config struct {
	duration, warmup time.Duration
	conns            int
	jsonPath         string
	sizes            []int
	handshakes       int
	moto             string
	motoBudget       time.Duration
	memory           bool
	verified         bool
	postgres         string
	postgresBudget   time.Duration
	only             string
	profileDir       string
	sizedCeiling     bool
}

func (m *Main) parse(args []string) (*config, error) {
	fs := flag.NewFlagSet("orgd-bench", flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	cfg := &config{}
	fs.DurationVar(&cfg.duration, "duration", 5*time.Second, "measured time per operation and server")
	fs.DurationVar(&cfg.warmup, "warmup", 0, "unmeasured time before each measurement (default duration/5, at most 1s)")
	fs.IntVar(&cfg.conns, "conns", 8, "concurrent keep-alive connections (and setup workers)")
	fs.IntVar(&cfg.handshakes, "handshakes", -1, "open invitations orgd holds when its resident memory is measured (default: the largest -sizes)")
	fs.StringVar(&cfg.jsonPath, "json", "bench.json", "file to write the results to as JSON (empty: none)")
	sizes := fs.String("sizes", "100,10000,100000", "organization sizes for ListAccounts, comma-separated")
	fs.StringVar(&cfg.moto, "moto", "auto", "benchmark moto_server: auto (when on PATH), true or false")
	fs.DurationVar(&cfg.motoBudget, "moto-budget", 2*time.Minute, "time moto may spend creating the ListAccounts organizations; larger sizes that would not fit are skipped")
	// Off by default: the memory column repeats the whole setup, and filling the
	// 100,000-account organization through CreateAccount takes orgd minutes.
	fs.BoolVar(&cfg.memory, "memory", true, "also benchmark orgd with --db memory (repeats the setup)")
	fs.BoolVar(&cfg.verified, "verified", true, "also benchmark orgd verifying every signature (--credentials with a key for each account the bench acts as, the orgd column's kind of database; repeats the setup): the read operations, next to the orgd column")
	fs.StringVar(&cfg.postgres, "postgres", "auto", "benchmark orgd with --db postgres://: auto (the server $"+postgresEnv+
		" names, else a private one when initdb and postgres are installed, else none), true (the same, but none is an error), false, or a postgres:// URL; the bench runs in a schema of its own there")
	fs.DurationVar(&cfg.postgresBudget, "postgres-budget", 2*time.Minute, "time orgd-postgres may spend creating the ListAccounts organizations; larger sizes that would not fit are skipped (0: no limit)")
	fs.BoolVar(&cfg.sizedCeiling, "sized-ceiling", true, "also measure a ceiling that answers each operation with orgd's own answer to it (same bytes on the wire)")
	fs.StringVar(&cfg.profileDir, "cpuprofile", "", "directory where orgd and the ceiling each write a CPU profile of their whole run (NAME-PID.pprof)")
	fs.StringVar(&cfg.only, "only", "", "comma-separated operations to run (e.g. DescribeOrganization,ListAccounts/100; ListAccounts selects every size)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("orgd-bench takes only flags, not %q", fs.Args())
	}
	warmSet := false
	fs.Visit(func(f *flag.Flag) { warmSet = warmSet || f.Name == "warmup" })
	if !warmSet {
		cfg.warmup = min(cfg.duration/5, time.Second)
	}
	if cfg.duration <= 0 || cfg.warmup < 0 || cfg.conns < 1 {
		return nil, errors.New("-duration and -conns must be positive, -warmup not negative")
	}
	for s := range strings.SplitSeq(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 || n > 10_000_000 {
			return nil, fmt.Errorf("-sizes: %q is no organization size (1 to 10,000,000 accounts)", s)
		}
		if !slices.Contains(cfg.sizes, n) {
			cfg.sizes = append(cfg.sizes, n)
		}
	}
	// Smaller organizations first: moto's budget estimate uses the previous size's rate.
	slices.Sort(cfg.sizes)
	if cfg.handshakes < 0 {
		cfg.handshakes = cfg.sizes[len(cfg.sizes)-1]
	}
	switch cfg.moto {
	case "auto", "true", "false":
	default:
		return nil, fmt.Errorf("-moto must be auto, true or false, not %q", cfg.moto)
	}
	if !validPostgres(cfg.postgres) {
		// Not quoted: a URL may hold a password.
		return nil, errors.New("-postgres must be auto, true, false, off or a postgres:// URL")
	}
	return cfg, nil
}

// Report is the JSON the bench writes.
type Report struct {
	Started    time.Time       `json:"started"`
	Go         string          `json:"go"`
	OS         string          `json:"os"`
	CPUs       int             `json:"cpus"`
	Duration   string          `json:"duration"`
	Warmup     string          `json:"warmup"`
	Conns      int             `json:"conns"`
	Sizes      []int           `json:"sizes"`
	Operations []string        `json:"operations"`
	Servers    []*ServerReport `json:"servers"`
	Results    []Result        `json:"results"`
	Ratios     []Ratio         `json:"ratios"`
	Notes      []string        `json:"notes,omitempty"`
}

// ServerReport is what the bench learnt about one server besides throughput.
type ServerReport struct {
	Name    string `json:"name"`
	Command string `json:"command"`
	// ReadyMs is the time from starting the process on an empty store until it answered
	// (moto, which announces nothing, is polled every 50ms).
	ReadyMs float64 `json:"ready_ms"`
	// Setup lists the setup steps, in order, with what they took.
	Setup        []SetupStep `json:"setup,omitempty"`
	SetupSeconds float64     `json:"setup_seconds"`
	// RSSAfterSetupKB is VmRSS once every setup step is done, before the measurements.
	RSSAfterSetupKB int64 `json:"rss_after_setup_kb,omitempty"`
	// DBBytes is the database after the runs: the SQLite file and its WAL, or the
	// PostgreSQL schema's tables and indexes (stores that outlive the process only).
	DBBytes int64 `json:"db_bytes,omitempty"`
	// RestartMs is the time from starting a new process on the filled database until it
	// answered (stores that outlive the process only).
	RestartMs float64 `json:"restart_ms,omitempty"`
	// RSSAfterRestartKB is VmRSS of that new process once it answered.
	RSSAfterRestartKB int64  `json:"rss_after_restart_kb,omitempty"`
	Error             string `json:"error,omitempty"`
}

// SetupStep is the setup of one operation on one server.
type SetupStep struct {
	Op      string  `json:"op"`
	Seconds float64 `json:"seconds"`
	// Retried counts the requests sent again after ConcurrentModificationException.
	Retried int64  `json:"retried,omitempty"`
	Error   string `json:"error,omitempty"`
	Skipped bool   `json:"skipped,omitempty"`
}

// Result is one operation on one server.
type Result struct {
	Op     string `json:"op"`
	Server string `json:"server"`
	Unit   string `json:"unit"`
	// OK and Errors count units; PerSecond is successful units per second of the window.
	OK        int     `json:"ok"`
	Errors    int     `json:"errors"`
	Seconds   float64 `json:"seconds"`
	PerSecond float64 `json:"per_second"`
	P50Ms     float64 `json:"p50_ms"`
	P99Ms     float64 `json:"p99_ms"`
	// NA marks a result that does not measure the operation: its setup failed or was
	// skipped, or the server answered errors; FirstError says why.
	NA         bool   `json:"na"`
	FirstError string `json:"first_error,omitempty"`
}

// Ratio is Server's throughput divided by Versus's on one operation.
type Ratio struct {
	Op     string  `json:"op"`
	Server string  `json:"server"`
	Versus string  `json:"versus"`
	Ratio  float64 `json:"ratio"`
}

// serverSpec says how to start one server.
type serverSpec struct {
	name, command string
	start         func(ctx context.Context) (*proc, error)
	// dbBytes, for a store that outlives the process, is its size on disk; the bench then
	// restarts the server on the filled store. nil otherwise.
	dbBytes func(ctx context.Context) (int64, error)
	// done, when set, releases what the server used once it is measured (orgd-postgres's
	// PostgreSQL), so that it takes no CPU from the servers measured after it.
	done func(ctx context.Context) error
	// remoteStore marks a server whose store is another process's (PostgreSQL): its memory
	// does not grow with what the store holds.
	remoteStore bool
	opaque      bool
	sized       bool // opaque, answering each operation with orgd's answer to it
	// budget bounds the time the ListAccounts organizations may take to fill (0: none);
	// budgetFlag is the flag that sets it, for the notes.
	budget     time.Duration
	budgetFlag string
	required   bool // a failure to start fails the run
	// readsOnly marks a server measured on the read operations alone (orgd-verified: the
	// accounts the write cycles create have no keys to sign with).
	readsOnly bool
}

// Run runs the whole benchmark.
func (m *Main) Run(ctx context.Context, args []string) error {
	cfg, err := m.parse(args)
	if err != nil {
		return err
	}
	ops, err := selectOps(operations(cfg.sizes), cfg.only)
	if err != nil {
		return err
	}
	if m.tmp, err = os.MkdirTemp("", "orgd-bench-"); err != nil {
		return err
	}
	if cfg.profileDir != "" {
		if m.profileDir, err = filepath.Abs(cfg.profileDir); err != nil {
			return err
		}
		if err := os.MkdirAll(m.profileDir, 0o755); err != nil {
			return err
		}
	}
	rep := &Report{Started: time.Now().UTC(), Go: runtime.Version(), OS: runtime.GOOS + "/" + runtime.GOARCH,
		CPUs: runtime.NumCPU(), Duration: cfg.duration.String(), Warmup: cfg.warmup.String(),
		Conns: cfg.conns, Sizes: cfg.sizes}
	for _, op := range ops {
		rep.Operations = append(rep.Operations, op.name)
	}
	specs, err := m.servers(ctx, cfg, rep)
	if err != nil {
		return err
	}
	for _, spec := range specs {
		sr, results, err := m.bench(ctx, cfg, spec, ops)
		if err != nil {
			return err
		}
		rep.Servers = append(rep.Servers, sr)
		rep.Results = append(rep.Results, results...)
		if spec.done != nil {
			// The measurements are taken: a failure here costs a note, not the run.
			if err := spec.done(ctx); err != nil {
				note := spec.name + ": " + err.Error()
				rep.Notes = append(rep.Notes, note)
				fmt.Fprintln(m.Stderr, note)
			}
		}
	}
	rep.Ratios = ratios(rep)
	m.print(rep)
	if cfg.jsonPath != "" {
		raw, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(cfg.jsonPath, append(raw, '\n'), 0o644); err != nil {
			return err
		}
		abs, _ := filepath.Abs(cfg.jsonPath)
		fmt.Fprintf(m.Stdout, "\nresults written to %s\n", abs)
	}
	return nil
}

// servers lists the servers this run measures, noting in rep the ones it leaves out. It
// starts the PostgreSQL server orgd-postgres needs now, so that a broken one fails the run
// before anything is measured.
func (m *Main) servers(ctx context.Context, cfg *config, rep *Report) ([]serverSpec, error) {
	db := filepath.Join(m.tmp, "orgd.db")
	specs := []serverSpec{{
		name: "orgd", command: "orgd serve --db " + db, required: true,
		start: func(ctx context.Context) (*proc, error) {
			return m.startChild(ctx, "orgd", "orgd", childDBEnv+"="+db)
		},
		dbBytes: func(context.Context) (int64, error) {
			var n int64
			for _, suffix := range []string{"", "-wal"} {
				if fi, err := os.Stat(db + suffix); err == nil {
					n += fi.Size()
				}
			}
			return n, nil
		},
	}}
	if cfg.verified {
		vdb := filepath.Join(m.tmp, "orgd-verified.db")
		creds, err := m.writeCredentials(cfg.sizes)
		if err != nil {
			return nil, err
		}
		specs = append(specs, serverSpec{name: "orgd-verified", command: "orgd serve --db " + vdb + " --credentials " + creds,
			required: true, readsOnly: true,
			start: func(ctx context.Context) (*proc, error) {
				return m.startChild(ctx, "orgd-verified", "orgd", childDBEnv+"="+vdb, childCredentialsEnv+"="+creds)
			}})
	}
	if cfg.memory {
		specs = append(specs, serverSpec{name: "orgd-memory", command: "orgd serve --db memory", required: true,
			start: func(ctx context.Context) (*proc, error) {
				return m.startChild(ctx, "orgd-memory", "orgd", childDBEnv+"=memory")
			}})
	}
	pg, note, err := openPostgres(ctx, cfg.postgres)
	if err != nil {
		return nil, err
	}
	if note != "" {
		rep.Notes = append(rep.Notes, note)
		fmt.Fprintln(m.Stderr, note)
	}
	if pg != nil {
		m.pg = pg
		where := "private server, fsync on"
		if pg.stop == nil {
			where = pg.redacted()
		}
		specs = append(specs, serverSpec{name: "orgd-postgres", required: true,
			command: fmt.Sprintf("orgd serve --db postgres://... (schema %s, %s)", pg.schema, where),
			budget:  cfg.postgresBudget, budgetFlag: "-postgres-budget", remoteStore: true,
			start: func(ctx context.Context) (*proc, error) {
				return m.startChild(ctx, "orgd-postgres", "orgd", childDBEnv+"="+pg.url)
			},
			dbBytes: pg.size,
			done:    pg.close,
		})
	}
	useMoto := cfg.moto == "true"
	if cfg.moto == "auto" {
		if _, err := exec.LookPath("moto_server"); err != nil {
			note := "moto: moto_server is not on PATH; its column is left out"
			rep.Notes = append(rep.Notes, note)
			fmt.Fprintln(m.Stderr, note)
		} else {
			useMoto = true
		}
	}
	if useMoto {
		specs = append(specs, serverSpec{name: "moto", command: "moto_server -H 127.0.0.1 -p PORT",
			budget: cfg.motoBudget, budgetFlag: "-moto-budget", required: cfg.moto == "true",
			start: func(ctx context.Context) (*proc, error) { return startMoto(ctx, m.tmp) }})
	}
	specs = append(specs, serverSpec{name: "ceiling", command: "net/http handler answering a fixed DescribeOrganization body",
		opaque: true, required: true,
		start: func(ctx context.Context) (*proc, error) {
			return m.startChild(ctx, "ceiling", "ceiling")
		}})
	if cfg.sizedCeiling {
		specs = append(specs, serverSpec{name: "ceiling-sized", command: "the ceiling answering each operation with orgd's answer to it",
			opaque: true, sized: true, required: true,
			start: func(ctx context.Context) (*proc, error) {
				return m.startChild(ctx, "ceiling-sized", "ceiling-sized")
			}})
	}
	return specs, nil
}

// startTimed starts spec's server and waits until it answers a signed request (an error
// answer counts: on an empty store DescribeOrganization has no organization to describe).
func (m *Main) startTimed(ctx context.Context, spec serverSpec) (*proc, time.Duration, error) {
	t0 := time.Now()
	p, err := spec.start(ctx)
	if err != nil {
		return nil, 0, err
	}
	m.procs = append(m.procs, p)
	c := newClient(p.url, 1)
	defer c.close()
	err = c.call(ctx, "DescribeOrganization", mgmtBase, struct{}{}, nil)
	if _, answered := err.(*apiError); err != nil && !answered {
		return p, 0, fmt.Errorf("%s does not answer: %w%s", spec.name, err, p.logTail())
	}
	return p, time.Since(t0), nil
}

// bench sets up and measures every operation on one server, one server at a time so that
// no other server competes for the CPUs, and stops it.
func (m *Main) bench(ctx context.Context, cfg *config, spec serverSpec, ops []operation) (*ServerReport, []Result, error) {
	sr := &ServerReport{Name: spec.name, Command: spec.command}
	fmt.Fprintf(m.Stderr, "%s: starting\n", spec.name)
	p, ready, err := m.startTimed(ctx, spec)
	if err != nil {
		if spec.required || ctx.Err() != nil {
			return nil, nil, err
		}
		sr.Error = err.Error()
		fmt.Fprintf(m.Stderr, "%s: %v; its column is n/a\n", spec.name, err)
		var results []Result
		for _, op := range ops {
			results = append(results, Result{Op: op.name, Server: spec.name, Unit: op.unit, NA: true, FirstError: "server did not start: " + err.Error()})
		}
		return sr, results, nil
	}
	defer p.stop()
	sr.ReadyMs = ms(ready)
	c := newClient(p.url, cfg.conns)
	defer c.close()

	if spec.readsOnly {
		ops = slices.DeleteFunc(slices.Clone(ops), func(op operation) bool { return !op.read })
	}
	f := newFixture(spec.name, c, cfg.conns, spec.opaque)
	f.setupBudget, f.budgetFlag = spec.budget, spec.budgetFlag
	setupErr := map[string]error{}
	setupStart := time.Now()
	for _, op := range ops {
		if op.setup == nil || spec.opaque {
			continue
		}
		t0, logOff, retried := time.Now(), p.logSize(), f.conflicts.Load()
		err := op.setup(ctx, f)
		err = explain(err, p, logOff)
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		step := SetupStep{Op: op.name, Seconds: time.Since(t0).Seconds(), Retried: f.conflicts.Load() - retried}
		if err != nil {
			setupErr[op.name] = err
			step.Error, step.Skipped = err.Error(), errors.Is(err, errSkipped)
			fmt.Fprintf(m.Stderr, "%s: setup of %s: %v\n", spec.name, op.name, err)
		} else if step.Seconds >= 1 {
			fmt.Fprintf(m.Stderr, "%s: setup of %s took %.1fs\n", spec.name, op.name, step.Seconds)
		}
		sr.Setup = append(sr.Setup, step)
	}
	// orgd's memory is measured holding as many open invitations as its largest organization
	// has accounts (moto has no invitations; the ceiling holds nothing).
	if strings.HasPrefix(spec.name, "orgd") && !spec.readsOnly && cfg.handshakes > 0 {
		step := SetupStep{Op: fmt.Sprintf("Handshakes/%d", cfg.handshakes)}
		t0 := time.Now()
		if spec.remoteStore {
			// Sending them would cost PostgreSQL's write rate (minutes for 100,000, as the
			// ListAccounts setup shows) to measure nothing.
			step.Skipped, step.Error = true, "the store holds them, not orgd's process, whose memory they do not change"
		} else if err := f.openInvitations(ctx, cfg.handshakes); err != nil {
			step.Error = err.Error()
		}
		step.Seconds = time.Since(t0).Seconds()
		if step.Error != "" {
			fmt.Fprintf(m.Stderr, "%s: setup of %s: %s\n", spec.name, step.Op, step.Error)
		} else {
			fmt.Fprintf(m.Stderr, "%s: setup of %s took %.1fs\n", spec.name, step.Op, step.Seconds)
		}
		sr.Setup = append(sr.Setup, step)
	}
	sr.SetupSeconds = time.Since(setupStart).Seconds()
	if rss, err := p.rssKB(); err == nil {
		sr.RSSAfterSetupKB = rss
	}

	var seq atomic.Int64
	var results []Result
	for _, op := range ops {
		r := Result{Op: op.name, Server: spec.name, Unit: op.unit}
		if err := setupErr[op.name]; err != nil {
			r.NA, r.FirstError = true, "setup: "+err.Error()
			results = append(results, r)
			continue
		}
		if spec.sized {
			body, ok := m.bodies[op.name]
			if !ok {
				r.NA, r.FirstError = true, "orgd gave no answer to repeat"
				results = append(results, r)
				continue
			}
			if err := setBody(ctx, p.url, body); err != nil {
				return nil, nil, fmt.Errorf("%s: %w", spec.name, err)
			}
		}
		fmt.Fprintf(m.Stderr, "%s: %s\n", spec.name, op.name)
		logOff := p.logSize()
		s := measure(ctx, c, cfg.conns, cfg.warmup, cfg.duration, &seq, op.run(f))
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		r.OK, r.Errors, r.Seconds, r.FirstError = s.ok, s.errors, s.elapsed.Seconds(), s.firstError
		if s.errors > 0 && strings.Contains(s.firstError, "HTTP 500") {
			if why := p.logExceptionSince(logOff); why != "" {
				r.FirstError += " [server log: " + why + "]"
			}
		}
		r.PerSecond = float64(s.ok) / s.elapsed.Seconds()
		if last := c.last.Swap(nil); spec.name == "orgd" && last != nil {
			if m.bodies == nil {
				m.bodies = map[string][]byte{}
			}
			m.bodies[op.name] = *last
		}
		r.P50Ms, r.P99Ms = ms(percentile(s.latencies, 0.50)), ms(percentile(s.latencies, 0.99))
		// A server that fails more than one unit in a hundred is not doing the operation,
		// however fast it answers: moto answers at once for operations it lacks.
		r.NA = s.ok == 0 || s.errors*100 > s.ok+s.errors
		results = append(results, r)
	}

	if spec.dbBytes != nil {
		if err := m.restart(ctx, spec, p, sr); err != nil {
			return nil, nil, err
		}
	}
	return sr, results, nil
}

// setBody tells the same-size ceiling at base what to answer next.
func setBody(ctx context.Context, base string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+sizedBodyPath, bytes.NewReader(body))
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("setting the body: HTTP %d", resp.StatusCode)
	}
	return nil
}

// explain adds to an answer 500 the exception the server logged meanwhile, if any.
func explain(err error, p *proc, logOff int64) error {
	if err == nil || !strings.Contains(err.Error(), "HTTP 500") {
		return err
	}
	// The traceback may reach the log a moment after the answer.
	for range 10 {
		if why := p.logExceptionSince(logOff); why != "" {
			return fmt.Errorf("%w [server log: %s]", err, why)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return err
}

// restart stops orgd cleanly and times a new process on the same database until it answers:
// the start-up cost of a filled store (opening it, checking its migrations).
func (m *Main) restart(ctx context.Context, spec serverSpec, p *proc, sr *ServerReport) error {
	p.stop()
	n, err := spec.dbBytes(ctx)
	if err != nil {
		return fmt.Errorf("%s: %w", spec.name, err)
	}
	sr.DBBytes = n
	fmt.Fprintf(m.Stderr, "%s: restarting on the filled database\n", spec.name)
	p2, took, err := m.startTimed(ctx, spec)
	if err != nil {
		return fmt.Errorf("restart: %w", err)
	}
	defer p2.stop()
	sr.RestartMs = ms(took)
	if rss, err := p2.rssKB(); err == nil {
		sr.RSSAfterRestartKB = rss
	}
	return nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// ratios divides each orgd column's throughput by moto's and the ceiling's, where both
// measured the operation, and orgd-verified's by orgd's: what verifying signatures costs.
func ratios(rep *Report) []Ratio {
	byKey := map[[2]string]Result{}
	for _, r := range rep.Results {
		byKey[[2]string{r.Op, r.Server}] = r
	}
	var out []Ratio
	for _, op := range rep.Operations {
		for _, s := range []string{"orgd", "orgd-verified", "orgd-memory", "orgd-postgres"} {
			a, ok := byKey[[2]string{op, s}]
			if !ok || a.NA {
				continue
			}
			versus := []string{"moto", "ceiling", "ceiling-sized"}
			if s == "orgd-verified" {
				versus = append(versus, "orgd")
			}
			for _, v := range versus {
				if b, ok := byKey[[2]string{op, v}]; ok && !b.NA && b.PerSecond > 0 {
					out = append(out, Ratio{Op: op, Server: s, Versus: v, Ratio: a.PerSecond / b.PerSecond})
				}
			}
		}
	}
	return out
}

func (m *Main) print(rep *Report) {
	out := m.Stdout
	fmt.Fprintf(out, "\norgd-bench: %s, %s, %d CPUs; %d connections, %s per operation after %s warm-up\n\n",
		rep.Go, rep.OS, rep.CPUs, rep.Conns, rep.Duration, rep.Warmup)
	rows := [][]string{{"operation", "server", "per s", "p50", "p99", "ok", "errors"}}
	var notes []string
	for _, op := range rep.Operations {
		first := true
		for _, r := range rep.Results {
			if r.Op != op {
				continue
			}
			name := ""
			if first {
				name = op
				if r.Unit != "request" {
					name += " [" + r.Unit + "]"
				}
				first = false
			}
			if r.NA {
				rows = append(rows, []string{name, r.Server, "n/a", "", "", strconv.Itoa(r.OK), strconv.Itoa(r.Errors)})
				notes = append(notes, fmt.Sprintf("%s on %s: n/a: %s", op, r.Server, r.FirstError))
				continue
			}
			rows = append(rows, []string{name, r.Server, fmt.Sprintf("%.0f", r.PerSecond),
				fmt.Sprintf("%.2fms", r.P50Ms), fmt.Sprintf("%.2fms", r.P99Ms), strconv.Itoa(r.OK), strconv.Itoa(r.Errors)})
			if r.Errors > 0 {
				notes = append(notes, fmt.Sprintf("%s on %s: %d errors, the first: %s", op, r.Server, r.Errors, r.FirstError))
			}
		}
	}
	printTable(out, rows, 2)
	if len(notes) > 0 {
		fmt.Fprintln(out, "\nn/a and errors:")
		for _, n := range notes {
			fmt.Fprintln(out, "  "+n)
		}
	}

	if len(rep.Ratios) > 0 {
		fmt.Fprintln(out, "\norgd's throughput as a ratio (this run):")
		var cols []string
		for _, r := range rep.Ratios {
			if c := r.Server + "/" + r.Versus; !slices.Contains(cols, c) {
				cols = append(cols, c)
			}
		}
		slices.Sort(cols)
		rows := [][]string{append([]string{"operation"}, cols...)}
		for _, op := range rep.Operations {
			row := []string{op}
			for _, c := range cols {
				cell := "n/a"
				for _, r := range rep.Ratios {
					if r.Op == op && r.Server+"/"+r.Versus == c {
						cell = fmt.Sprintf("%.2f", r.Ratio)
					}
				}
				row = append(row, cell)
			}
			rows = append(rows, row)
		}
		printTable(out, rows, 1)
	}

	fmt.Fprintln(out, "\nservers:")
	for _, s := range rep.Servers {
		fmt.Fprintf(out, "  %s (%s)\n", s.Name, s.Command)
		if s.Error != "" {
			fmt.Fprintf(out, "    did not start: %s\n", s.Error)
			continue
		}
		fmt.Fprintf(out, "    answered %.0fms after start on an empty store\n", s.ReadyMs)
		if len(s.Setup) > 0 {
			// The steps that took time, and those that failed; the rest are single requests.
			var steps []string
			for _, st := range s.Setup {
				switch {
				case st.Skipped && !slices.Contains(rep.Operations, st.Op):
					// No n/a note in the table above says why.
					steps = append(steps, st.Op+" skipped: "+st.Error)
				case st.Skipped:
					steps = append(steps, st.Op+" skipped")
				case st.Error != "":
					steps = append(steps, st.Op+" failed")
				case st.Seconds >= 0.05 || st.Retried > 0:
					step := fmt.Sprintf("%s %.1fs", st.Op, st.Seconds)
					if st.Retried > 0 {
						step += fmt.Sprintf(" with %d retried after ConcurrentModificationException", st.Retried)
					}
					steps = append(steps, step)
				}
			}
			fmt.Fprintf(out, "    setup %.1fs", s.SetupSeconds)
			if len(steps) > 0 {
				fmt.Fprintf(out, " (%s)", strings.Join(steps, ", "))
			}
			fmt.Fprintln(out)
		}
		if s.RSSAfterSetupKB > 0 {
			fmt.Fprintf(out, "    resident memory after setup: %.1f MiB\n", float64(s.RSSAfterSetupKB)/1024)
		}
		if s.RestartMs > 0 {
			fmt.Fprintf(out, "    restart on the filled database (%.1f MiB): answered after %.0fms, %.1f MiB resident\n",
				float64(s.DBBytes)/(1<<20), s.RestartMs, float64(s.RSSAfterRestartKB)/1024)
		}
	}
	for _, n := range rep.Notes {
		fmt.Fprintln(out, "note: "+n)
	}
}

// printTable prints rows in columns, the first left columns aligned left (names) and the
// others right (numbers).
func printTable(w io.Writer, rows [][]string, left int) {
	var widths []int
	for _, row := range rows {
		for i, cell := range row {
			if i == len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], utf8.RuneCountInString(cell))
		}
	}
	for _, row := range rows {
		var b strings.Builder
		for i, cell := range row {
			pad := strings.Repeat(" ", widths[i]-utf8.RuneCountInString(cell))
			if i > 0 {
				b.WriteString("  ")
			}
			if i < left {
				b.WriteString(cell + pad)
			} else {
				b.WriteString(pad + cell)
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
}

// writeCredentials writes the credentials file of orgd-verified: a key for each account the
// bench signs as on the read path and in their setup (the key is the account id, as the
// client signs, and its secret the client's), and returns its path.
func (m *Main) writeCredentials(sizes []int) (string, error) {
	type key struct{ AccessKeyId, SecretAccessKey, AccountId string }
	accounts := []string{mgmtBase, mgmtInvite, mgmtCreate, mgmtMemory, mgmtSCP, memberSCP, mgmtPlain, memberPlain}
	for _, size := range sizes {
		accounts = append(accounts, listMgmt(size))
	}
	var f struct{ Credentials []key }
	for _, a := range accounts {
		f.Credentials = append(f.Credentials, key{a, clientSecret, a})
	}
	raw, err := json.Marshal(f)
	if err != nil {
		return "", err
	}
	path := filepath.Join(m.tmp, "credentials.json")
	return path, os.WriteFile(path, raw, 0o600)
}
