package main

import (
	"encoding/json"
	"errors"
	"io"
	"net"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/organizations"
)

// TestServeFlagsFromEnvironment: every serve flag may come from ORGD_<NAME>; the command
// line wins. Here the log format comes from the environment, and the log level the
// environment sets is overridden by the flag.
func TestServeFlagsFromEnvironment(t *testing.T) {
	t.Setenv("ORGD_LOG_FORMAT", "json")
	t.Setenv("ORGD_LOG_LEVEL", "error")
	url, logs, stop := serveOrgdLogs(t, "--listen", "127.0.0.1:0", "--db", "memory", "--log-level", "info")
	if _, err := client(url, "111111111111").CreateOrganization(t.Context(), &organizations.CreateOrganizationInput{}); err != nil {
		t.Fatal(err)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, l := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var line map[string]any
		if err := json.Unmarshal([]byte(l), &line); err != nil {
			t.Fatalf("ORGD_LOG_FORMAT=json, yet a line is not JSON: %v: %s", err, l)
		}
		if line["msg"] == "request" && line["op"] == "CreateOrganization" && line["level"] == "INFO" && line["status"] == float64(200) {
			found = true
		}
	}
	if !found {
		t.Errorf("--log-level info (over ORGD_LOG_LEVEL=error) logged no request line:\n%s", logs.String())
	}
}

// TestServeRefusesBadEnvironment: a variable whose value its flag refuses stops serve and
// names the variable.
func TestServeRefusesBadEnvironment(t *testing.T) {
	t.Setenv("ORGD_MAX_ACCOUNTS", "ten")
	m := NewMain()
	var stderr strings.Builder
	m.Stderr = &stderr
	err := m.Run(t.Context(), []string{"serve", "--listen", "127.0.0.1:0", "--db", "memory"})
	m.Close()
	var ue *UsageError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "ORGD_MAX_ACCOUNTS") {
		t.Errorf("serve with ORGD_MAX_ACCOUNTS=ten: %v", err)
	}
}

// TestBinaryVersionHelpAndUsage runs the built binary: the version stamped with -ldflags,
// serve --help on standard output with the environment variables and exit 0, and an
// unknown flag one error line and a short usage with exit 2.
func TestBinaryVersionHelpAndUsage(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "orgd")
	build := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-ldflags", "-X main.version=v1.2.3-test", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	run := func(args ...string) (stdout, stderr string, code int) {
		var o, e strings.Builder
		cmd := exec.Command(bin, args...)
		cmd.Stdout, cmd.Stderr = &o, &e
		err := cmd.Run()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return o.String(), e.String(), code
	}
	for _, args := range [][]string{{"version"}, {"--version"}} {
		if out, _, code := run(args...); code != 0 || strings.TrimSpace(out) != "orgd v1.2.3-test" {
			t.Errorf("orgd %s: exit %d, %q", args[0], code, out)
		}
	}
	out, _, code := run("serve", "--help")
	if code != 0 || !strings.Contains(out, "-listen") || !strings.Contains(out, "(env ORGD_LISTEN)") || !strings.Contains(out, "(env ORGD_ADMIN_TOKEN)") {
		t.Errorf("orgd serve --help: exit %d\n%s", code, out)
	}
	_, errOut, code := run("serve", "--bogus")
	lines := strings.Split(strings.TrimSpace(errOut), "\n")
	if code != 2 || len(lines) != 2 || !strings.Contains(lines[0], "-bogus") || !strings.HasPrefix(lines[1], "usage: orgd serve [flags]") {
		t.Errorf("orgd serve --bogus: exit %d\n%s", code, errOut)
	}
}

// TestVersionWithoutStamp: an unstamped build reports the module's version or "devel".
func TestVersionWithoutStamp(t *testing.T) {
	if v := Version(); v == "" {
		t.Errorf("Version() is empty")
	}
	m := NewMain()
	var out strings.Builder
	m.Stdout = &out
	if err := m.Run(t.Context(), []string{"--version"}); err != nil || !strings.HasPrefix(out.String(), "orgd ") {
		t.Errorf("orgd --version: %v %q", err, out.String())
	}
}

// TestHealthCommand: orgd health (a FROM-scratch container's health check) prints a running
// orgd's health and succeeds; with no orgd at the endpoint it fails.
func TestHealthCommand(t *testing.T) {
	url, _ := serveOrgd(t, "--listen", "127.0.0.1:0", "--db", "memory")
	if out := run(t, url, "health"); !strings.Contains(out, `"Mode": "open"`) {
		t.Errorf("orgd health printed %q, want the health answer naming the mode", out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()
	m := NewMain()
	m.Stdout, m.Stderr = io.Discard, io.Discard
	if err := m.Run(t.Context(), []string{"health", "--endpoint", closed}); err == nil {
		t.Errorf("orgd health succeeded against %s, where nothing listens", closed)
	}
}
