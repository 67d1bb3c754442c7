package apitest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/orgd/orgd/internal/pgtest"
)

// Main runs the tests of a package whose API tests use Start; call it from TestMain:
//
//	func TestMain(m *testing.M) { apitest.Main(m) }
//
// With EnvStore set, the tests run on that store. Unset, as `go test ./...` runs them, they
// run on each store: on the in-memory one in this process, and on every other at the same
// time in a run of this test binary of its own, with the same flags and EnvStore set. A rule
// that one store breaks (a transaction's isolation, the row cache, a PostgreSQL trigger)
// thus fails the suite's one command. Each run's output follows this one's, under a header.
func Main(m *testing.M) {
	if os.Getenv(EnvStore) != "" {
		pgtest.Main(m)
	}
	type run struct {
		store string
		out   bytes.Buffer
		err   error
	}
	var runs []*run
	var wg sync.WaitGroup
	for _, store := range Stores[1:] {
		r := &run{store: store}
		runs = append(runs, r)
		cmd := exec.Command(os.Args[0], childArgs(os.Args[1:])...)
		cmd.Env = append(os.Environ(), EnvStore+"="+store)
		cmd.Stdout, cmd.Stderr = &r.out, &r.out
		wg.Go(func() { r.err = cmd.Run() })
	}
	code := pgtest.Run(m)
	wg.Wait()
	for _, r := range runs {
		fmt.Printf("\n=== apitest: the tests again with %s=%s\n%s", EnvStore, r.store, r.out.Bytes())
		if r.err != nil {
			fmt.Printf("--- apitest: %s=%s: %v\n", EnvStore, r.store, r.err)
			code = max(code, 1)
		}
	}
	os.Exit(code)
}

// childArgs are the flags of this run for a run on another store: the same tests, the same
// verbosity and timeout, but none of the files a run writes (go test's cache log, profiles,
// coverage), which the runs would overwrite, and no benchmarks, which measure one store.
func childArgs(args []string) []string {
	var out []string
	for _, a := range args {
		name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		switch strings.TrimPrefix(name, "test.") {
		case "testlogfile", "coverprofile", "gocoverdir", "cpuprofile", "memprofile", "blockprofile",
			"mutexprofile", "trace", "outputdir", "bench", "fuzz":
			continue
		}
		out = append(out, a)
	}
	return out
}
