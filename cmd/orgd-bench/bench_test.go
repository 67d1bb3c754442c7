package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// TestMain lets the bench re-execute the test binary as a server child, as it re-executes
// its own binary when run as a command.
func TestMain(m *testing.M) {
	if isChild() {
		os.Exit(childMain())
	}
	os.Exit(m.Run())
}

// TestBenchEndToEnd runs the whole bench briefly on the servers it starts and checks that
// orgd did every operation without an error. It asserts no speed: only that the numbers are
// there.
func TestBenchEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts servers and measures for several seconds")
	}
	out := filepath.Join(t.TempDir(), "bench.json")
	var stdout, stderr bytes.Buffer
	m := &Main{Stdout: &stdout, Stderr: &stderr}
	err := m.Run(context.Background(), []string{"-duration", "200ms", "-sizes", "100", "-moto=false", "-memory", "-json", out})
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
	wantOps := []string{"DescribeOrganization", "ListAccounts/100", "DescribeHandshake", "TagResource", "InviteAccept", "CreateAccount"}
	got := map[[2]string]Result{}
	for _, r := range rep.Results {
		got[[2]string{r.Op, r.Server}] = r
	}
	for _, server := range []string{"orgd", "orgd-memory", "ceiling", "ceiling-sized"} {
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
		if s.Name == "orgd" && (s.RestartMs <= 0 || s.RSSAfterSetupKB <= 0) {
			t.Errorf("orgd: restart %vms, resident memory %d kB: not measured", s.RestartMs, s.RSSAfterSetupKB)
		}
	}
	for _, r := range rep.Ratios {
		if r.Server == "orgd" && r.Versus == "ceiling" && r.Ratio <= 0 {
			t.Errorf("%s: ratio to the ceiling %v", r.Op, r.Ratio)
		}
	}
}
