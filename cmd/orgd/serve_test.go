package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/smithy-go"

	"github.com/orgd/orgd/internal/apitest"
	"github.com/orgd/orgd/internal/org"
	"github.com/orgd/orgd/internal/sqlite"
)

// client is an Organizations client of the orgd at url signing with accessKey.
func client(url, accessKey string) *organizations.Client {
	return organizations.New(organizations.Options{
		BaseEndpoint: aws.String(url), Region: "us-east-1", RetryMaxAttempts: 1,
		HTTPClient: apitest.HTTPClient(),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: accessKey, SecretAccessKey: "x"}, nil
		}),
	})
}

// requireCode fails unless err is the AWS error code.
func requireCode(t *testing.T, err error, code string) {
	t.Helper()
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != code {
		t.Fatalf("got %v, want %s", err, code)
	}
}

// run runs an orgd client subcommand against url and returns what it printed.
func run(t *testing.T, url string, args ...string) string {
	t.Helper()
	m := NewMain()
	var out bytes.Buffer
	m.Stdout, m.Stderr = &out, &out
	// --endpoint goes last: flags end at the first word that is not one ("add").
	if err := m.Run(t.Context(), append(args[:len(args):len(args)], "--endpoint", url)); err != nil {
		t.Fatalf("orgd %s: %v", strings.Join(args, " "), err)
	}
	return out.String()
}

func TestStateSurvivesRestart(t *testing.T) {
	db := filepath.Join(t.TempDir(), "state", "orgd.db")
	if err := os.MkdirAll(filepath.Dir(db), 0o755); err != nil {
		t.Fatal(err)
	}
	url, stop := serveOrgd(t, "--listen", "127.0.0.1:0", "--db", db)
	m := NewMain()
	m.Stdout = &bytes.Buffer{}
	if err := m.Run(t.Context(), []string{"accounts", "add", "--endpoint", url, "--id", "111111111111", "--email", "bill@amazon.com", "--name", "Bill"}); err != nil {
		t.Fatal(err)
	}
	created, err := client(url, "111111111111").CreateOrganization(t.Context(), &organizations.CreateOrganizationInput{})
	if err != nil {
		t.Fatal(err)
	}
	inv, err := client(url, "111111111111").InviteAccountToOrganization(t.Context(), &organizations.InviteAccountToOrganizationInput{
		Target: &types.HandshakeParty{Type: types.HandshakePartyTypeAccount, Id: aws.String("222222222222")},
	})
	if err != nil {
		t.Fatal(err)
	}
	run(t, url, "clock", "--advance", "240h")
	if err := stop(); err != nil {
		t.Fatalf("stopping orgd: %v", err)
	}
	if _, err := http.Get(url + "/_orgd/clock"); err == nil {
		t.Fatal("orgd still answers after its context was cancelled")
	}
	if fi, err := os.Stat(db); err != nil || fi.Size() == 0 {
		t.Fatalf("database file: %v", err)
	}

	url, _ = serveOrgd(t, "--listen", "127.0.0.1:0", "--db", db)
	out, err := client(url, "111111111111").DescribeOrganization(t.Context(), &organizations.DescribeOrganizationInput{})
	if err != nil {
		t.Fatalf("after restart: %v", err)
	}
	if aws.ToString(out.Organization.Id) != aws.ToString(created.Organization.Id) || aws.ToString(out.Organization.MasterAccountEmail) != "bill@amazon.com" {
		t.Errorf("after restart the organization is %+v, want %+v", out.Organization, created.Organization)
	}
	// The invitation, the outbox and the moved clock survived too: 10 days on, it is still
	// open, and 6 more days expire it.
	h, err := client(url, "222222222222").DescribeHandshake(t.Context(), &organizations.DescribeHandshakeInput{HandshakeId: inv.Handshake.Id})
	if err != nil || h.Handshake.State != types.HandshakeStateOpen {
		t.Fatalf("invitation after restart: %v %v", h, err)
	}
	if outbox := run(t, url, "outbox"); !strings.Contains(outbox, aws.ToString(inv.Handshake.Id)) {
		t.Errorf("outbox after restart lacks the invitation:\n%s", outbox)
	}
	run(t, url, "clock", "--advance", "144h")
	h, err = client(url, "222222222222").DescribeHandshake(t.Context(), &organizations.DescribeHandshakeInput{HandshakeId: inv.Handshake.Id})
	if err != nil || h.Handshake.State != types.HandshakeStateExpired {
		t.Errorf("invitation 16 days on: %v %v, want EXPIRED (the clock offset did not survive)", h, err)
	}
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func TestServeFlags(t *testing.T) {
	dir := t.TempDir()
	creds := filepath.Join(dir, "credentials.json")
	// The secret is client's.
	if err := os.WriteFile(creds, []byte(`{"Credentials": [{"AccessKeyId": "AKIAEXAMPLE", "SecretAccessKey": "x", "AccountId": "111111111111"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "flags.db")
	listen := freePort(t)
	url, _ := serveOrgd(t, "--listen", listen, "--db", db, "--max-accounts", "2", "--credentials", creds,
		"--all-features-label", "ALL")

	if url != "http://"+listen {
		t.Errorf("--listen %s: serving on %s", listen, url)
	}
	if _, err := os.Stat(db); err != nil {
		t.Errorf("--db %s: %v", db, err)
	}

	// --credentials: AKIAEXAMPLE is account 111111111111.
	mgmt := client(url, "AKIAEXAMPLE")
	created, err := mgmt.CreateOrganization(t.Context(), &organizations.CreateOrganizationInput{})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(created.Organization.MasterAccountId); got != "111111111111" {
		t.Errorf("--credentials: AKIAEXAMPLE acted as %s", got)
	}
	// --credentials verifies: a key the file does not hold is no one.
	_, err = client(url, "AKIANOBODY").CreateOrganization(t.Context(), &organizations.CreateOrganizationInput{})
	requireCode(t, err, "UnrecognizedClientException")

	// --max-accounts 2: the management account and one invitation fill the organization.
	inv, err := mgmt.InviteAccountToOrganization(t.Context(), &organizations.InviteAccountToOrganizationInput{
		Target: &types.HandshakeParty{Type: types.HandshakePartyTypeAccount, Id: aws.String("222222222222")},
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = mgmt.InviteAccountToOrganization(t.Context(), &organizations.InviteAccountToOrganizationInput{
		Target: &types.HandshakeParty{Type: types.HandshakePartyTypeAccount, Id: aws.String("333333333333")},
	})
	var hcv *types.HandshakeConstraintViolationException
	if !errors.As(err, &hcv) || hcv.Reason != types.HandshakeConstraintViolationExceptionReasonAccountNumberLimitExceeded {
		t.Errorf("--max-accounts 2, third account: %v, want ACCOUNT_NUMBER_LIMIT_EXCEEDED", err)
	}

	// --all-features-label ALL shows in the invitation.
	raw, _ := json.Marshal(inv.Handshake.Resources)
	if !strings.Contains(string(raw), `{"Resources":null,"Type":"ORGANIZATION_FEATURE_SET","Value":"ALL"}`) {
		t.Errorf("--all-features-label ALL: resources %s", raw)
	}
}

// TestServeLifecycleFlags: --create-account-delay, --close-account-delay and --max-ous reach
// the domain.
func TestServeLifecycleFlags(t *testing.T) {
	url, _ := serveOrgd(t, "--listen", "127.0.0.1:0", "--db", "memory",
		"--create-account-delay", "1h", "--close-account-delay", "1h", "--max-ous", "1", "--default-account", "999999999999")
	// --default-account: without --credentials, a key naming no account is 999999999999.
	other, err := client(url, "AKIANOBODY").CreateOrganization(t.Context(), &organizations.CreateOrganizationInput{})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(other.Organization.MasterAccountId); got != "999999999999" {
		t.Errorf("--default-account: AKIANOBODY acted as %s", got)
	}
	mgmt := client(url, "111111111111")
	if _, err := mgmt.CreateOrganization(t.Context(), &organizations.CreateOrganizationInput{}); err != nil {
		t.Fatal(err)
	}
	created, err := mgmt.CreateAccount(t.Context(), &organizations.CreateAccountInput{Email: aws.String("new@example.org"), AccountName: aws.String("new")})
	if err != nil {
		t.Fatal(err)
	}
	st, err := mgmt.DescribeCreateAccountStatus(t.Context(), &organizations.DescribeCreateAccountStatusInput{CreateAccountRequestId: created.CreateAccountStatus.Id})
	if err != nil {
		t.Fatal(err)
	}
	if st.CreateAccountStatus.State != types.CreateAccountStateInProgress {
		t.Errorf("--create-account-delay 1h: request is %s at once", st.CreateAccountStatus.State)
	}
	roots, err := mgmt.ListRoots(t.Context(), &organizations.ListRootsInput{})
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"", "ConstraintViolationException"} {
		_, err := mgmt.CreateOrganizationalUnit(t.Context(), &organizations.CreateOrganizationalUnitInput{
			ParentId: roots.Roots[0].Id, Name: aws.String(fmt.Sprint("ou", i))})
		if want == "" && err != nil {
			t.Fatal(err)
		}
		if want != "" {
			requireCode(t, err, want)
		}
	}
	inv, err := mgmt.InviteAccountToOrganization(t.Context(), &organizations.InviteAccountToOrganizationInput{
		Target: &types.HandshakeParty{Type: types.HandshakePartyTypeAccount, Id: aws.String("222222222222")}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client(url, "222222222222").AcceptHandshake(t.Context(), &organizations.AcceptHandshakeInput{HandshakeId: inv.Handshake.Id}); err != nil {
		t.Fatal(err)
	}
	if _, err := mgmt.CloseAccount(t.Context(), &organizations.CloseAccountInput{AccountId: aws.String("222222222222")}); err != nil {
		t.Fatal(err)
	}
	acct, err := mgmt.DescribeAccount(t.Context(), &organizations.DescribeAccountInput{AccountId: aws.String("222222222222")})
	if err != nil {
		t.Fatal(err)
	}
	if acct.Account.State != types.AccountStatePendingClosure {
		t.Errorf("--close-account-delay 1h: account is %s at once", acct.Account.State)
	}
}

// TestServeDataDir: without --db the database is DATA-DIR/orgd.db, created with its directory.
func TestServeDataDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b")
	serveOrgd(t, "--listen", "127.0.0.1:0", "--data-dir", dir)
	if _, err := os.Stat(filepath.Join(dir, "orgd.db")); err != nil {
		t.Errorf("--data-dir: %v", err)
	}
}

// TestServeLogLevelDebug: --log-level debug logs one line per request, naming the operation.
func TestServeLogLevelDebug(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	m := NewMain()
	logs := &apitest.SyncBuffer{}
	m.Stderr = logs
	addr := make(chan string, 1)
	m.Listening = func(a string) { addr <- a }
	done := make(chan error, 1)
	go func() {
		done <- m.Run(ctx, []string{"serve", "--listen", "127.0.0.1:0", "--db", "memory", "--log-level", "debug"})
	}()
	var url string
	select {
	case a := <-addr:
		url = "http://" + a
	case err := <-done:
		t.Fatalf("orgd serve stopped: %v\n%s", err, logs.String())
	}
	_, err := client(url, "111111111111").DescribeOrganization(t.Context(), &organizations.DescribeOrganizationInput{})
	requireCode(t, err, "AWSOrganizationsNotInUseException")
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	m.Close()
	if l := logs.String(); !strings.Contains(l, "op=DescribeOrganization") || !strings.Contains(l, "account=111111111111") || !strings.Contains(l, "status=400") {
		t.Errorf("debug log lacks the request line:\n%s", l)
	}
}

// TestServeRefusesBadFlags: serve stops with an error, before listening, on flags it cannot
// honour.
func TestServeRefusesBadFlags(t *testing.T) {
	dir := t.TempDir()
	badCreds := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(badCreds, []byte(`{"Credentials": [{"AccessKeyId": "AKIA", "AccountId": "42"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	noSecret := filepath.Join(dir, "nosecret.json")
	if err := os.WriteFile(noSecret, []byte(`{"Credentials": [{"AccessKeyId": "AKIA", "AccountId": "111111111111"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	tests := []struct {
		name string
		args []string
	}{
		{"missing credentials file", []string{"--credentials", filepath.Join(dir, "none.json")}},
		{"bad credentials file", []string{"--credentials", badCreds}},
		{"credentials file without a secret", []string{"--credentials", noSecret}},
		{"unknown log level", []string{"--log-level", "loud"}},
		{"unknown flag", []string{"--port", "9323"}},
		{"a stray argument", []string{"9323"}},
		{"max-accounts not a number", []string{"--max-accounts", "ten"}},
		{"max-accounts zero", []string{"--max-accounts", "0"}},
		{"invitations-per-day negative", []string{"--invitations-per-day", "-1"}},
		{"max-ous negative", []string{"--max-ous", "-1"}},
		{"unknown sync mode", []string{"--sync", "fast"}},
		{"create-account-delay negative", []string{"--create-account-delay", "-1s"}},
		{"close-account-delay not a duration", []string{"--close-account-delay", "soon"}},
		{"default account not an account id", []string{"--default-account", "master"}},
		{"unknown feature-set label", []string{"--all-features-label", "EVERYTHING"}},
		{"unknown compat profile", []string{"--compat", "localstack"}},
		{"moto profile with a creation delay", []string{"--compat", "moto", "--create-account-delay", "1m"}},
		{"address in use", []string{"--listen", busy.Addr().String()}},
		{"database in a missing directory", []string{"--db", filepath.Join(dir, "no", "such", "dir", "orgd.db")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := NewMain()
			var stderr bytes.Buffer
			m.Stderr = &stderr
			// Should serve start after all, stop it at once rather than hang the test.
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			listened := false
			m.Listening = func(string) { listened = true; cancel() }
			args := append([]string{"serve", "--listen", "127.0.0.1:0", "--db", "memory"}, tt.args...)
			err := m.Run(ctx, args)
			m.Close()
			if err == nil || listened {
				t.Errorf("orgd %s: err %v, listened %v; want an error before listening", strings.Join(args, " "), err, listened)
			}
		})
	}
}

// TestClientCommands runs the admin subcommands against a server.
func TestClientCommands(t *testing.T) {
	url := startOrgd(t, "--db", "memory")
	out := run(t, url, "accounts", "add", "--id", "222222222222", "--email", "juan@example.com", "--name", "Juan", "--seller", "AISPL", "--no-payment-instrument")
	var a struct {
		Id, Email, Name, SellerOfRecord  string
		PaymentInstrument, EmailVerified bool
	}
	if err := json.Unmarshal([]byte(out), &a); err != nil {
		t.Fatalf("accounts add printed %q: %v", out, err)
	}
	if a.Id != "222222222222" || a.Email != "juan@example.com" || a.Name != "Juan" || a.SellerOfRecord != "AISPL" || a.PaymentInstrument || !a.EmailVerified {
		t.Errorf("accounts add registered %+v", a)
	}
	// Flags not given leave the account as it is.
	run(t, url, "accounts", "add", "--id", "222222222222", "--unverified-email")
	if out := run(t, url, "accounts"); !strings.Contains(out, `"Email": "juan@example.com"`) || !strings.Contains(out, `"PaymentInstrument": false`) || !strings.Contains(out, `"EmailVerified": false`) {
		t.Errorf("accounts after an update:\n%s", out)
	}
	if out := run(t, url, "clock", "--advance", "1h"); !strings.Contains(out, `"Now"`) {
		t.Errorf("clock --advance printed %q", out)
	}
	run(t, url, "reset")
	if out := run(t, url, "accounts"); !strings.Contains(out, `"Accounts": []`) {
		t.Errorf("accounts after reset:\n%s", out)
	}

	// Errors of the admin API come back as errors naming the AWS code.
	m := NewMain()
	m.Stdout, m.Stderr = &bytes.Buffer{}, &bytes.Buffer{}
	err := m.Run(t.Context(), []string{"accounts", "add", "--endpoint", url, "--id", "42"})
	if err == nil || !strings.Contains(err.Error(), "InvalidInputException") {
		t.Errorf("accounts add --id 42: %v", err)
	}
	err = m.Run(t.Context(), []string{"clock", "--endpoint", url, "--advance", "-1h"})
	if err == nil || !strings.Contains(err.Error(), "MIN_VALUE_EXCEEDED") {
		t.Errorf("clock --advance -1h: %v", err)
	}
	// Words a command does not take are refused, not ignored: "accounts --endpoint URL add"
	// once listed the accounts instead of adding one.
	err = m.Run(t.Context(), []string{"accounts", "--endpoint", url, "add", "--id", "333333333333"})
	if err == nil {
		t.Error("accounts --endpoint URL add succeeded")
	}
	if out := run(t, url, "accounts"); strings.Contains(out, "333333333333") {
		t.Errorf("accounts --endpoint URL add registered the account:\n%s", out)
	}
	if err := m.Run(t.Context(), []string{"reset", "--endpoint", url, "now"}); err == nil {
		t.Error("reset now succeeded")
	}
	if err := m.Run(t.Context(), []string{"clock", "--endpoint", url, "384h"}); err == nil {
		t.Error("clock 384h (without --advance) succeeded")
	}
	if err := m.Run(t.Context(), []string{"frobnicate"}); err == nil {
		t.Error("an unknown command succeeded")
	}
	if err := m.Run(t.Context(), nil); err == nil {
		t.Error("no command succeeded")
	}
}

// TestServeMaxInboundTransfers: --max-inbound-transfers reaches the domain. AWS's default of
// 0 refuses every transfer invitation; with 1, one goes out and a second is refused.
func TestServeMaxInboundTransfers(t *testing.T) {
	// A transfer starts at midnight UTC more than a day away: the first of the month after next.
	now := time.Now().UTC()
	start := time.Date(now.Year(), now.Month()+2, 1, 0, 0, 0, 0, time.UTC)
	invite := func(url, from, to string) error {
		_, err := client(url, from).InviteOrganizationToTransferResponsibility(t.Context(), &organizations.InviteOrganizationToTransferResponsibilityInput{
			Type:           types.ResponsibilityTransferTypeBilling,
			Target:         &types.HandshakeParty{Type: types.HandshakePartyTypeAccount, Id: aws.String(to)},
			StartTimestamp: aws.Time(start),
			SourceName:     aws.String("bill"),
		})
		return err
	}
	requireInboundQuota := func(err error) {
		t.Helper()
		var cv *types.ConstraintViolationException
		if !errors.As(err, &cv) || cv.Reason != types.ConstraintViolationExceptionReasonResponsibilityTransferMaxInboundQuotaViolation {
			t.Errorf("got %v, want ConstraintViolationException RESPONSIBILITY_TRANSFER_MAX_INBOUND_QUOTA_VIOLATION", err)
		}
	}
	for _, quota := range []string{"", "1"} {
		args := []string{"--db", "memory"}
		if quota != "" {
			args = append(args, "--max-inbound-transfers", quota)
		}
		url := startOrgd(t, args...)
		for _, mgmt := range []string{"111111111111", "222222222222", "333333333333"} {
			if _, err := client(url, mgmt).CreateOrganization(t.Context(), &organizations.CreateOrganizationInput{}); err != nil {
				t.Fatal(err)
			}
		}
		err := invite(url, "111111111111", "222222222222")
		if quota == "" {
			requireInboundQuota(err)
			continue
		}
		if err != nil {
			t.Fatalf("--max-inbound-transfers 1, first invitation: %v", err)
		}
		requireInboundQuota(invite(url, "111111111111", "333333333333"))
	}
}

// TestServeLocksTheDatabaseFile: a second orgd serve on the same --db file refuses to start,
// saying why, and starts once the first has stopped.
func TestServeLocksTheDatabaseFile(t *testing.T) {
	db := filepath.Join(t.TempDir(), "orgd.db")
	_, stop := serveOrgd(t, "--listen", "127.0.0.1:0", "--db", db)
	m := NewMain()
	m.Stderr = &bytes.Buffer{}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	listened := false
	m.Listening = func(string) { listened = true; cancel() }
	err := m.Run(ctx, []string{"serve", "--listen", "127.0.0.1:0", "--db", db})
	m.Close()
	if err == nil || listened || !strings.Contains(err.Error(), "in use by another orgd") {
		t.Fatalf("second orgd serve on %s: err %v, listened %v; want an in-use error before listening", db, err, listened)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	serveOrgd(t, "--listen", "127.0.0.1:0", "--db", db)
}

// TestServeUsesTheRowCache: orgd serve on a file keeps the rows it reads in memory, which
// only the lock above makes sound. A write to the file from outside, which the lock exists
// to rule out, shows it: orgd keeps answering from its cache what the file no longer holds,
// until it is started again.
func TestServeUsesTheRowCache(t *testing.T) {
	db := filepath.Join(t.TempDir(), "orgd.db")
	url, stop := serveOrgd(t, "--listen", "127.0.0.1:0", "--db", db)
	const mgmt = "111111111111"
	run(t, url, "accounts", "add", "--id", mgmt, "--email", "before@example.org")
	if _, err := client(url, mgmt).CreateOrganization(t.Context(), &organizations.CreateOrganizationInput{}); err != nil {
		t.Fatal(err)
	}
	email := func(url string) string {
		t.Helper()
		out, err := client(url, mgmt).DescribeOrganization(t.Context(), &organizations.DescribeOrganizationInput{})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.Organization.MasterAccountEmail)
	}
	if got := email(url); got != "before@example.org" {
		t.Fatalf("MasterAccountEmail %q", got)
	}

	// Another store, without the lock, changes the address in the file.
	other, err := sqlite.Open(t.Context(), db, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	err = other.Update(t.Context(), func(tx org.Tx) error {
		a, err := tx.Account(t.Context(), mgmt)
		if err != nil {
			return err
		}
		a.Email = "after@example.org"
		return tx.PutAccount(t.Context(), a)
	})
	if cerr := other.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatalf("write from outside: %v", err)
	}

	if got := email(url); got != "before@example.org" {
		t.Errorf("after a write from outside, orgd answers %q: it read the file, not its row cache", got)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	url, _ = serveOrgd(t, "--listen", "127.0.0.1:0", "--db", db)
	if got := email(url); got != "after@example.org" {
		t.Errorf("after a restart orgd answers %q, want the address written from outside", got)
	}
}

// TestServeLogsMode: serve says at start whether it verifies signatures, and how many keys it
// verifies with; ORGD_CREDENTIALS gives the file as --credentials does.
func TestServeLogsMode(t *testing.T) {
	creds := filepath.Join(t.TempDir(), "credentials.json")
	if err := os.WriteFile(creds, []byte(`{"Credentials": [
		{"AccessKeyId": "AKIAEXAMPLE", "SecretAccessKey": "x", "AccountId": "111111111111"},
		{"AccessKeyId": "AKIAALICE", "SecretAccessKey": "x", "AccountId": "111111111111", "UserName": "alice"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ env, want, unwanted string }{
		{"", "orgd serves open on loopback: any access key acts as its account, signatures are not verified", "keys="},
		{creds, `msg="orgd verifies every request's SigV4 signature" keys=2`, "serves open"},
	} {
		t.Setenv("ORGD_CREDENTIALS", tt.env)
		url, logs, stop := serveOrgdLogs(t, "--listen", "127.0.0.1:0", "--db", "memory")
		_, err := client(url, "AKIANOBODY").DescribeOrganization(t.Context(), &organizations.DescribeOrganizationInput{})
		if err := stop(); err != nil {
			t.Fatal(err)
		}
		if tt.env != "" {
			// Verified: the env's file is in force.
			requireCode(t, err, "UnrecognizedClientException")
		}
		if l := logs.String(); !strings.Contains(l, tt.want) || strings.Contains(l, tt.unwanted) {
			t.Errorf("ORGD_CREDENTIALS=%q: start-up log lacks %q (or says %q):\n%s", tt.env, tt.want, tt.unwanted, l)
		}
	}
}
