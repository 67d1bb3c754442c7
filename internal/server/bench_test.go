package server_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/orgd/orgd/internal/org"
	"github.com/orgd/orgd/internal/server"
)

// These benchmarks time one request through the whole handler (protocol, identity, domain,
// store) without the network, for profiling: go test -bench . -cpuprofile cpu.out.

const mgmt = "111111111111"

type bench struct {
	b        *testing.B
	h        http.Handler
	verified bool // the server has a credentials file: requests are signed with benchSecret
}

// benchSecret is the secret of every key of a verified bench server.
const benchSecret = "orgd-bench-secret"

func newBench(b *testing.B, db string) *bench { return newBenchMode(b, db, false, false) }

// newBenchMode starts a bench server; verified, with a credentials file in which mgmt's
// id is its access key; instrumented, as orgd serve runs it: metrics on, and every request
// logged at Info level (in JSON, to nowhere).
func newBenchMode(b *testing.B, db string, verified, instrumented bool) *bench {
	q := org.DefaultQuotas()
	q.MaxAccounts, q.InvitationsPerDay = 1_000_000, 1_000_000
	cfg := server.Config{DB: db, Exclusive: db != "memory", Org: org.Config{Quotas: q}}
	if instrumented {
		cfg.Metrics, cfg.Logger = true, slog.New(slog.NewJSONHandler(io.Discard, nil))
	}
	if verified {
		cfg.CredentialsFile = filepath.Join(b.TempDir(), "credentials.json")
		creds := `{"Credentials": [{"AccessKeyId": "` + mgmt + `", "SecretAccessKey": "` + benchSecret + `", "AccountId": "` + mgmt + `"}]}`
		if err := os.WriteFile(cfg.CredentialsFile, []byte(creds), 0o600); err != nil {
			b.Fatal(err)
		}
	}
	srv, err := server.New(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { srv.Close() })
	return &bench{b: b, h: srv.Handler, verified: verified}
}

// call sends one request as account and returns the decoded answer; it fails on any error.
func (x *bench) call(account, op, body string) map[string]any {
	rec := x.send(account, op, body)
	var out map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		x.b.Fatalf("%s: %v", op, err)
	}
	return out
}

// send is call without decoding the answer, for the timed loops.
func (x *bench) send(account, op, body string) *httptest.ResponseRecorder {
	return x.serve(x.request(account, op, body), op, body)
}

// request returns the headers of a request of op as account, signed as aws-sdk-go-v2 signs
// it (an open server reads the same headers, and checks nothing). The host is loopback's,
// which the server's Host guard accepts from a handler called without a connection.
func (x *bench) request(account, op, body string) http.Header {
	req := httptest.NewRequest(http.MethodPost, "http://localhost/", strings.NewReader(body))
	req.Header.Set("X-Amz-Target", "AWSOrganizationsV20161128."+op)
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	sum := sha256.Sum256([]byte(body))
	creds := aws.Credentials{AccessKeyID: account, SecretAccessKey: benchSecret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "organizations", "us-east-1", time.Now()); err != nil {
		x.b.Fatal(err)
	}
	return req.Header
}

// serve sends a request with header and body to the handler; it fails on any error.
func (x *bench) serve(header http.Header, op, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "http://localhost/", strings.NewReader(body))
	req.Header = header.Clone()
	rec := httptest.NewRecorder()
	x.h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		x.b.Fatalf("%s: %d %s", op, rec.Code, rec.Body)
	}
	return rec
}

// organization creates mgmt's organization with n created accounts and returns a member.
func (x *bench) organization(n int) string {
	x.call(mgmt, "CreateOrganization", `{}`)
	var member string
	for i := range n {
		st := x.call(mgmt, "CreateAccount", fmt.Sprintf(`{"Email":"a%d@example.org","AccountName":"a"}`, i))
		id := st["CreateAccountStatus"].(map[string]any)["Id"].(string)
		done := x.call(mgmt, "DescribeCreateAccountStatus", `{"CreateAccountRequestId":"`+id+`"}`)
		member = done["CreateAccountStatus"].(map[string]any)["AccountId"].(string)
	}
	return member
}

func BenchmarkServeDescribeOrganization(b *testing.B) {
	x := newBench(b, "memory")
	x.organization(0)
	for b.Loop() {
		x.send(mgmt, "DescribeOrganization", `{}`)
	}
}

func BenchmarkServeListAccounts(b *testing.B) {
	x := newBench(b, "memory")
	x.organization(100)
	for b.Loop() {
		x.send(mgmt, "ListAccounts", `{"MaxResults":20}`)
	}
}

func BenchmarkServeTagResourceFile(b *testing.B) {
	x := newBench(b, filepath.Join(b.TempDir(), "orgd.db"))
	member := x.organization(1)
	i := 0
	for b.Loop() {
		x.send(mgmt, "TagResource", fmt.Sprintf(`{"ResourceId":"%s","Tags":[{"Key":"k%d","Value":"v"}]}`, member, i%40))
		i++
	}
}

func BenchmarkServeDescribeHandshake(b *testing.B) {
	x := newBench(b, "memory")
	x.organization(0)
	inv := x.call(mgmt, "InviteAccountToOrganization", `{"Target":{"Type":"ACCOUNT","Id":"222222222222"}}`)
	body := `{"HandshakeId":"` + inv["Handshake"].(map[string]any)["Id"].(string) + `"}`
	for b.Loop() {
		x.send(mgmt, "DescribeHandshake", body)
	}
}

// BenchmarkServeInviteAcceptFile times orgd-bench's InviteAccept cycle on a database file:
// the management account invites a new account, which accepts.
func BenchmarkServeInviteAcceptFile(b *testing.B) {
	x := newBench(b, filepath.Join(b.TempDir(), "orgd.db"))
	x.organization(0)
	i := 0
	for b.Loop() {
		account := fmt.Sprintf("3%011d", i)
		inv := x.call(mgmt, "InviteAccountToOrganization", `{"Target":{"Type":"ACCOUNT","Id":"`+account+`"}}`)
		x.send(account, "AcceptHandshake", `{"HandshakeId":"`+inv["Handshake"].(map[string]any)["Id"].(string)+`"}`)
		i++
	}
}

// The open/verified pairs time the read path with and without signature verification: the
// same request, signed once as aws-sdk-go-v2 signs it, is sent again and again (a verifying
// server checks it each time, as AWS does, within its five minutes), so that the difference
// is the server's cost of verifying alone. Issue 11's bar: at most 15% on the read path.

func benchRead(b *testing.B, verified bool, accounts int, op, body string) {
	benchReadMode(b, verified, false, accounts, op, body)
}

func benchReadMode(b *testing.B, verified, instrumented bool, accounts int, op, body string) {
	x := newBenchMode(b, "memory", verified, instrumented)
	x.organization(accounts)
	header := x.request(mgmt, op, body)
	for b.Loop() {
		x.serve(header, op, body)
	}
}

func BenchmarkReadDescribeOrganizationOpen(b *testing.B) {
	benchRead(b, false, 0, "DescribeOrganization", `{}`)
}

func BenchmarkReadDescribeOrganizationVerified(b *testing.B) {
	benchRead(b, true, 0, "DescribeOrganization", `{}`)
}

func BenchmarkReadListAccountsOpen(b *testing.B) {
	benchRead(b, false, 100, "ListAccounts", `{"MaxResults":20}`)
}

func BenchmarkReadListAccountsVerified(b *testing.B) {
	benchRead(b, true, 100, "ListAccounts", `{"MaxResults":20}`)
}

// The instrumented reads are the open ones as orgd serve runs them, with metrics and a log
// line per request: the difference is what operating orgd costs a request.

func BenchmarkReadDescribeOrganizationInstrumented(b *testing.B) {
	benchReadMode(b, false, true, 0, "DescribeOrganization", `{}`)
}

func BenchmarkReadListAccountsInstrumented(b *testing.B) {
	benchReadMode(b, false, true, 100, "ListAccounts", `{"MaxResults":20}`)
}
