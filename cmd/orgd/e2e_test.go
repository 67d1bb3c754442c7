package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orgd/orgd/internal/apitest"
	"github.com/orgd/orgd/internal/testenv"
)

// startOrgd runs `orgd serve` in-process on a free port and returns its URL; the test's
// cleanup stops it.
func startOrgd(t *testing.T, args ...string) string {
	t.Helper()
	url, stop := serveOrgd(t, append([]string{"--listen", "127.0.0.1:0"}, args...)...)
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("orgd serve: %v", err)
		}
	})
	return url
}

// serveOrgd runs `orgd serve args...` in-process and returns its URL and a function that
// stops it as SIGINT would (by cancelling Run's context), closes it and returns Run's error.
// stop may be called more than once; the test's cleanup calls it too.
func serveOrgd(t *testing.T, args ...string) (url string, stop func() error) {
	t.Helper()
	url, _, stop = serveOrgdLogs(t, args...)
	return url, stop
}

// serveOrgdLogs is serveOrgd that also returns what the server logs.
func serveOrgdLogs(t *testing.T, args ...string) (url string, logs *apitest.SyncBuffer, stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	m := NewMain()
	logs = &apitest.SyncBuffer{}
	m.Stderr = logs
	// Registered first, so that it runs last, once the server stopped.
	t.Cleanup(func() { failOnServerErrors(t, logs.String()) })
	addr := make(chan string, 1)
	m.Listening = func(a string) { addr <- a }
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx, append([]string{"serve"}, args...)) }()
	var once sync.Once
	var runErr error
	stop = func() error {
		once.Do(func() {
			cancel()
			runErr = <-done
			if err := m.Close(); runErr == nil {
				runErr = err
			}
		})
		return runErr
	}
	t.Cleanup(func() { stop() })
	select {
	case a := <-addr:
		return "http://" + a, logs, stop
	case err := <-done:
		t.Fatalf("orgd serve stopped: %v\n%s", err, logs.String())
	case <-time.After(10 * time.Second):
		t.Fatalf("orgd did not start\n%s", logs.String())
	}
	return "", nil, nil
}

// failOnServerErrors fails t with each error orgd logged: orgd logs errors only for what it
// answers ServiceException (an internal error, a panic), a bug whatever the test checks.
func failOnServerErrors(t *testing.T, logs string) {
	t.Helper()
	for _, line := range strings.Split(logs, "\n") {
		if strings.Contains(line, "level=ERROR") {
			t.Errorf("orgd logged: %s", line)
		}
	}
}

// requireAWSCLI skips t (fails it under CI) when the aws CLI is not installed.
func requireAWSCLI(t *testing.T) {
	t.Helper()
	_, err := exec.LookPath("aws")
	testenv.Require(t, "the aws CLI (aws on the PATH)", err == nil)
}

// awsCLI runs the aws CLI against orgd as the given account and returns what it printed.
func awsCLI(t *testing.T, endpoint, account string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command("aws", append([]string{"--endpoint-url", endpoint, "--output", "json"}, args...)...)
	cmd.Env = append(os.Environ(),
		"AWS_ACCESS_KEY_ID="+account, "AWS_SECRET_ACCESS_KEY=secret", "AWS_DEFAULT_REGION=us-east-1",
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_EC2_METADATA_DISABLED=true",
		"AWS_PAGER=")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return out
}

// TestSeedExampleWithAWSCLI reproduces the AWS CLI documentation's example of
// invite-account-to-organization: bill@amazon.com's management account invites juan.
func TestSeedExampleWithAWSCLI(t *testing.T) {
	requireAWSCLI(t)
	url := startOrgd(t, "--db", "memory")

	m := NewMain()
	m.Stdout = &bytes.Buffer{}
	if err := m.Run(context.Background(), []string{"accounts", "add", "--endpoint", url,
		"--id", "111111111111", "--email", "bill@amazon.com", "--name", "Org Master Account"}); err != nil {
		t.Fatal(err)
	}
	var created struct {
		Organization struct{ Id, MasterAccountId, FeatureSet string }
	}
	if err := json.Unmarshal(awsCLI(t, url, "111111111111", "organizations", "create-organization"), &created); err != nil {
		t.Fatal(err)
	}
	orgID := created.Organization.Id
	if !regexp.MustCompile(`^o-[a-z0-9]{10}$`).MatchString(orgID) || created.Organization.MasterAccountId != "111111111111" || created.Organization.FeatureSet != "ALL" {
		t.Fatalf("create-organization answered %+v", created.Organization)
	}

	out := awsCLI(t, url, "111111111111", "organizations", "invite-account-to-organization",
		"--target", `{"Type": "EMAIL", "Id": "juan@example.com"}`,
		"--notes", "This is a request for Juan's account to join Bill's organization.")
	var got struct {
		Handshake struct {
			Action, Arn, Id, State                  string
			ExpirationTimestamp, RequestedTimestamp float64
			Parties                                 []map[string]any
			Resources                               []map[string]any
		}
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("decode %s: %v", out, err)
	}
	h := got.Handshake
	if !regexp.MustCompile(`^h-[0-9a-f]{32}$`).MatchString(h.Id) {
		t.Errorf("Id = %q", h.Id)
	}
	if want := "arn:aws:organizations::111111111111:handshake/" + orgID + "/invite/" + h.Id; h.Arn != want {
		t.Errorf("Arn = %q, want %q", h.Arn, want)
	}
	if h.Action != "INVITE" || h.State != "OPEN" {
		t.Errorf("Action, State = %s, %s", h.Action, h.State)
	}
	if d := h.ExpirationTimestamp - h.RequestedTimestamp; d < 1295999.999 || d > 1296000.001 {
		t.Errorf("expires %v s after it was requested, want 15 days", d)
	}
	if age := float64(time.Now().Unix()) - h.RequestedTimestamp; age < -5 || age > 60 {
		t.Errorf("RequestedTimestamp %v is not now", h.RequestedTimestamp)
	}
	wantParties := []map[string]any{{"Id": orgID, "Type": "ORGANIZATION"}, {"Id": "juan@example.com", "Type": "EMAIL"}}
	wantResources := []map[string]any{
		{"Type": "ORGANIZATION", "Value": orgID, "Resources": []any{
			map[string]any{"Type": "MASTER_EMAIL", "Value": "bill@amazon.com"},
			map[string]any{"Type": "MASTER_NAME", "Value": "Org Master Account"},
			map[string]any{"Type": "ORGANIZATION_FEATURE_SET", "Value": "FULL"},
		}},
		{"Type": "EMAIL", "Value": "juan@example.com"},
		{"Type": "NOTES", "Value": "This is a request for Juan's account to join Bill's organization."},
	}
	if a, b := mustJSON(t, h.Parties), mustJSON(t, wantParties); a != b {
		t.Errorf("Parties = %s\nwant      %s", a, b)
	}
	if a, b := mustJSON(t, h.Resources), mustJSON(t, wantResources); a != b {
		t.Errorf("Resources = %s\nwant        %s", a, b)
	}

	// The invitation e-mail went to juan through the outbox.
	var outbox bytes.Buffer
	m.Stdout = &outbox
	if err := m.Run(context.Background(), []string{"outbox", "--endpoint", url}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"To": "juan@example.com"`, h.Id, "Org Master Account", "bill@amazon.com", "Juan's account"} {
		if !strings.Contains(outbox.String(), want) {
			t.Errorf("outbox lacks %q:\n%s", want, outbox.String())
		}
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
