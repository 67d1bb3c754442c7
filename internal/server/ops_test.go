package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/organizations"

	"github.com/orgd/orgd/internal/apitest"
	"github.com/orgd/orgd/internal/org"
	"github.com/orgd/orgd/internal/server"
)

// get fetches url with an optional bearer token and returns the status and the body.
func get(t *testing.T, url, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := apitest.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func withMetrics(c *server.Config) { c.Metrics = true }

// TestReadyWhileTheStoreAnswers: /_orgd/ready answers 200 without credentials while the
// store answers and its schema is this program's, and 503 with the reason once the store is
// closed; the health check stays as it was.
func TestReadyWhileTheStoreAnswers(t *testing.T) {
	srv := apitest.Start(t, func(c *server.Config) { c.AdminToken = "sekret" })
	status, body := get(t, srv.URL+"/_orgd/ready", "")
	if status != http.StatusOK || strings.TrimSpace(body) != `{"Status":"ready"}` {
		t.Fatalf("ready: %d %s", status, body)
	}
	srv.Server.Close()
	status, body = get(t, srv.URL+"/_orgd/ready", "")
	var out struct{ Status, Reason string }
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	if status != http.StatusServiceUnavailable || out.Status != "unavailable" || out.Reason == "" {
		t.Errorf("ready with the store closed: %d %s", status, body)
	}
	if strings.Contains(body, "sekret") || strings.Contains(body, "postgres://") {
		t.Errorf("ready shows a secret: %s", body)
	}
}

// TestMetricsCountRequests: after SDK calls, /metrics shows each request under its API,
// operation, outcome and code, the latency histogram, store transactions and the open
// handshakes read from the store.
func TestMetricsCountRequests(t *testing.T) {
	srv := apitest.Start(t, withMetrics)
	mgmt, member := "111111111111", "222222222222"
	srv.Register(map[string]any{"Id": member, "Email": "member@example.com"})
	srv.CreateOrganization(mgmt)
	srv.Invite(mgmt, member)
	ctx := t.Context()
	for range 2 {
		if _, err := srv.Client(mgmt).DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{}); err != nil {
			t.Fatal(err)
		}
	}
	_, err := srv.Client(mgmt).DescribeAccount(ctx, &organizations.DescribeAccountInput{AccountId: new("333333333333")})
	apitest.RequireCode(t, err, "AccountNotFoundException", "")
	srv.Server.Metrics.SMTPDelivery("sent")

	status, body := get(t, srv.URL+"/metrics", "")
	if status != http.StatusOK {
		t.Fatalf("/metrics: %d %s", status, body)
	}
	for _, want := range []string{
		`orgd_requests_total{api="awsjson",code="",operation="DescribeOrganization",outcome="success"} 2`,
		`orgd_requests_total{api="awsjson",code="",operation="CreateOrganization",outcome="success"} 1`,
		`orgd_requests_total{api="awsjson",code="AccountNotFoundException",operation="DescribeAccount",outcome="client_error"} 1`,
		`orgd_requests_total{api="admin",code="",operation="POST /_orgd/accounts",outcome="success"} 1`,
		`orgd_request_duration_seconds_count{api="awsjson",operation="DescribeOrganization"} 2`,
		`orgd_store_transaction_duration_seconds_count{kind="write"}`,
		`orgd_store_transaction_duration_seconds_count{kind="read"}`,
		`orgd_open_handshakes 1`,
		`orgd_smtp_deliveries_total{outcome="sent"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	// SQLite commits every Update in a group commit, of one here at least; PostgreSQL has
	// none.
	if sqliteStore := os.Getenv(apitest.EnvStore) != "postgres"; sqliteStore == strings.Contains(body, "orgd_store_group_commit_size_count 0\n") {
		t.Errorf("/metrics shows group commits: %v, want %v", !sqliteStore, sqliteStore)
	}
	if t.Failed() {
		t.Logf("/metrics:\n%s", grepOrgd(body))
	}
}

// grepOrgd is orgd's own lines of a scrape.
func grepOrgd(body string) string {
	var out []string
	for _, l := range strings.Split(body, "\n") {
		if strings.HasPrefix(l, "orgd_") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestMetricsFollowTheAdminToken: with an admin token (always off loopback), /metrics needs
// it; it takes only GET; without Config.Metrics there is no /metrics.
func TestMetricsFollowTheAdminToken(t *testing.T) {
	srv := apitest.Start(t, withMetrics, func(c *server.Config) { c.AdminToken = "sekret" })
	if status, _ := get(t, srv.URL+"/metrics", ""); status != http.StatusUnauthorized {
		t.Errorf("/metrics without the token: %d", status)
	}
	if status, _ := get(t, srv.URL+"/metrics", "wrong"); status != http.StatusUnauthorized {
		t.Errorf("/metrics with a wrong token: %d", status)
	}
	if status, body := get(t, srv.URL+"/metrics", "sekret"); status != http.StatusOK || !strings.Contains(body, "go_goroutines") {
		t.Errorf("/metrics with the token: %d", status)
	}
	resp, err := apitest.HTTPClient().Post(srv.URL+"/metrics", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /metrics: %d", resp.StatusCode)
	}
	bare := apitest.Start(t)
	if status, _ := get(t, bare.URL+"/metrics", ""); status == http.StatusOK {
		t.Errorf("/metrics without Config.Metrics: %d", status)
	}
}

// TestRequestLogLines: every request writes one JSON line at Info level, a success and a
// failure alike, with the operation, caller, status, error code and duration; admin calls
// too.
func TestRequestLogLines(t *testing.T) {
	var buf apitest.SyncBuffer
	srv := apitest.Start(t, func(c *server.Config) { c.Logger = slog.New(slog.NewJSONHandler(&buf, nil)) })
	mgmt := "111111111111"
	srv.CreateOrganization(mgmt)
	_, err := srv.Client(mgmt).DescribeAccount(t.Context(), &organizations.DescribeAccountInput{AccountId: new("333333333333")})
	apitest.RequireCode(t, err, "AccountNotFoundException", "")
	get(t, srv.URL+"/_orgd/clock", "")

	want := []map[string]any{
		{"level": "INFO", "api": "awsjson", "op": "CreateOrganization", "account": mgmt, "status": float64(200), "code": ""},
		{"level": "INFO", "api": "awsjson", "op": "DescribeAccount", "account": mgmt, "status": float64(400), "code": "AccountNotFoundException"},
		{"level": "INFO", "api": "admin", "op": "GET /_orgd/clock", "status": float64(200), "code": ""},
	}
	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var line map[string]any
		if err := json.Unmarshal([]byte(l), &line); err != nil {
			t.Fatalf("log line not JSON: %v: %s", err, l)
		}
		if line["msg"] == "request" {
			lines = append(lines, line)
		}
	}
	if len(lines) != len(want) {
		t.Fatalf("%d request lines, want %d:\n%s", len(lines), len(want), buf.String())
	}
	for i, w := range want {
		for k, v := range w {
			if lines[i][k] != v {
				t.Errorf("line %d: %s = %#v, want %#v", i, k, lines[i][k], v)
			}
		}
		if _, ok := lines[i]["duration"].(float64); !ok {
			t.Errorf("line %d has no duration: %v", i, lines[i])
		}
	}
}

// TestClientGoneIsNoError: a client that goes away while its request waits on the store
// is logged at Info level, not as orgd's error, though the store's answer is a failure.
func TestClientGoneIsNoError(t *testing.T) {
	var buf apitest.SyncBuffer
	entered := make(chan struct{}, 1)
	srv := apitest.Start(t, func(c *server.Config) {
		c.Logger = slog.New(slog.NewJSONHandler(&buf, nil))
		c.WrapStore = func(s org.Store) org.Store { return &stallingStore{Store: s, entered: entered} }
	})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		_, err := srv.Client("111111111111").DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
		done <- err
	}()
	<-entered
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("the client's call: %v", err)
	}
	// The server notices the closed connection and logs the request.
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(buf.String(), `"op":"DescribeOrganization"`) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	l := buf.String()
	if !strings.Contains(l, `"op":"DescribeOrganization"`) || !strings.Contains(l, "the client went away") {
		t.Fatalf("no line for the abandoned request:\n%s", l)
	}
	if strings.Contains(l, `"level":"ERROR"`) {
		t.Errorf("a client that went away logged as an error:\n%s", l)
	}
}

// stallingStore's Views wait for their caller to go away, then fail as a store does.
type stallingStore struct {
	org.Store
	entered chan struct{}
}

func (s *stallingStore) View(ctx context.Context, fn func(org.Tx) error) error {
	if _, ok := org.CallerFrom(ctx); !ok {
		return s.Store.View(ctx, fn)
	}
	select {
	case s.entered <- struct{}{}:
	default:
	}
	<-ctx.Done()
	return errors.New("store: begin: " + ctx.Err().Error())
}

// TestConsoleRequestsInMetricsAndLog: a console page is counted under the console's API and
// its route (not the path the caller chose), and logged in one request line.
func TestConsoleRequestsInMetricsAndLog(t *testing.T) {
	var buf apitest.SyncBuffer
	srv := apitest.Start(t, withMetrics, func(c *server.Config) { c.Logger = slog.New(slog.NewJSONHandler(&buf, nil)) })
	if status, body := get(t, srv.URL+"/console/signin", ""); status != http.StatusOK {
		t.Fatalf("GET /console/signin: %d %s", status, body)
	}
	if status, _ := get(t, srv.URL+"/console/no/such/page", ""); status != http.StatusNotFound {
		t.Errorf("GET /console/no/such/page: %d, want 404", status)
	}
	_, body := get(t, srv.URL+"/metrics", "")
	for _, want := range []string{
		`orgd_requests_total{api="console",code="",operation="GET /console/signin",outcome="success"} 1`,
		`orgd_requests_total{api="console",code="",operation="/console/",outcome="client_error"} 1`,
		`orgd_request_duration_seconds_count{api="console",operation="GET /console/signin"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s\n%s", want, grepOrgd(body))
		}
	}
	var found bool
	for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var line map[string]any
		if err := json.Unmarshal([]byte(l), &line); err != nil {
			t.Fatalf("log line not JSON: %v: %s", err, l)
		}
		if line["msg"] == "request" && line["api"] == "console" && line["op"] == "GET /console/signin" {
			found = true
			if line["level"] != "INFO" || line["status"] != float64(200) || line["code"] != "" {
				t.Errorf("console request line: %v", line)
			}
			if _, ok := line["duration"].(float64); !ok {
				t.Errorf("console request line has no duration: %v", line)
			}
		}
	}
	if !found {
		t.Errorf("no request line for GET /console/signin:\n%s", buf.String())
	}
}
