package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orgd/orgd/internal/org"
	"github.com/orgd/orgd/internal/server"
)

// These benchmarks time one request through the whole handler (protocol, identity, domain,
// store) without the network, for profiling: go test -bench . -cpuprofile cpu.out.

const mgmt = "111111111111"

type bench struct {
	b *testing.B
	h http.Handler
}

func newBench(b *testing.B, db string) *bench {
	q := org.DefaultQuotas()
	q.MaxAccounts, q.InvitationsPerDay = 1_000_000, 1_000_000
	srv, err := server.New(context.Background(), server.Config{DB: db, Exclusive: db != "memory", Org: org.Config{Quotas: q}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { srv.Close() })
	return &bench{b: b, h: srv.Handler}
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
	req := httptest.NewRequest(http.MethodPost, "http://localhost/", strings.NewReader(body))
	req.Header.Set("X-Amz-Target", "AWSOrganizationsV20161128."+op)
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+account+
		"/20260101/us-east-1/organizations/aws4_request, SignedHeaders=host;x-amz-date, Signature=00")
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
