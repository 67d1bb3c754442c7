package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/orgd/orgd/internal/apitest"
	"github.com/orgd/orgd/internal/org"
)

// runErr runs an orgd client subcommand against url, which must fail, and returns its error.
func runErr(t *testing.T, url string, args ...string) error {
	t.Helper()
	m := NewMain()
	m.Stdout, m.Stderr = io.Discard, io.Discard
	err := m.Run(t.Context(), append(args[:len(args):len(args)], "--endpoint", url))
	if err == nil {
		t.Fatalf("orgd %s succeeded", strings.Join(args, " "))
	}
	return err
}

type accountsOut struct {
	Accounts []struct{ Id, Email, Name, OrganizationId, State string }
	Next     *string
}

func decode[T any](t *testing.T, out string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("printed %q: %v", out, err)
	}
	return v
}

// TestListsPageAll: past the admin API's page of 1,000, "accounts" and "outbox" print every
// entry by default, and one page (with its Next) with --after; a bad token is an error.
func TestListsPageAll(t *testing.T) {
	db := filepath.Join(t.TempDir(), "orgd.db")
	apitest.SeedFile(t, db, func(ctx context.Context, tx org.Tx) error {
		for i := range 1001 {
			id := fmt.Sprintf("6%011d", i)
			a := &org.Account{ID: id, Email: id + "@example.com", Name: "account-" + id, SellerOfRecord: org.SellerAWS, State: "ACTIVE"}
			if err := tx.PutAccount(ctx, a); err != nil {
				return err
			}
		}
		return nil
	})
	apitest.SeedOutbox(t, db, 1001)
	url := startOrgd(t, "--db", db)

	all := decode[accountsOut](t, run(t, url, "accounts"))
	if len(all.Accounts) != 1001 || all.Accounts[0].Id != "600000000000" || all.Accounts[1000].Id != "600000001000" || all.Next != nil {
		t.Errorf("accounts: %d accounts, Next %v", len(all.Accounts), all.Next)
	}
	first := decode[accountsOut](t, run(t, url, "accounts", "--after", ""))
	if len(first.Accounts) != 1000 || first.Next == nil || *first.Next != "600000000999" {
		t.Fatalf("accounts --after \"\": %d accounts, Next %v", len(first.Accounts), first.Next)
	}
	second := decode[accountsOut](t, run(t, url, "accounts", "--after", *first.Next))
	if len(second.Accounts) != 1 || second.Accounts[0].Id != "600000001000" || second.Next != nil {
		t.Errorf("accounts --after %s: %+v", *first.Next, second)
	}

	type outboxOut struct {
		Messages []struct {
			Seq int64
			To  string
		}
		Next *string
	}
	mail := decode[outboxOut](t, run(t, url, "outbox"))
	if len(mail.Messages) != 1001 || mail.Messages[1000].To != "1001@example.com" || mail.Next != nil {
		t.Errorf("outbox: %d messages, Next %v", len(mail.Messages), mail.Next)
	}
	page := decode[outboxOut](t, run(t, url, "outbox", "--after", fmt.Sprint(mail.Messages[999].Seq)))
	if len(page.Messages) != 1 || page.Messages[0].To != "1001@example.com" {
		t.Errorf("outbox --after: %+v", page)
	}

	for _, args := range [][]string{{"accounts", "--after", "nope"}, {"accounts", "--after", "6000"}, {"outbox", "--after", "-1"}, {"outbox", "--after", "last"}} {
		err := runErr(t, url, args...)
		if !strings.Contains(err.Error(), "400") || !strings.Contains(err.Error(), "InvalidInputException") || !strings.Contains(err.Error(), "after must be") {
			t.Errorf("orgd %s: %v, want a 400 naming after", strings.Join(args, " "), err)
		}
	}
}

// TestAccountsGetRemove: "accounts get" shows one account; "accounts remove" forgets a
// standalone one, and refuses a member, the management account and an unknown id with the
// reason.
func TestAccountsGetRemove(t *testing.T) {
	const mgmt, member, solo = "111111111111", "222222222222", "333333333333"
	url := startOrgd(t, "--db", "memory")
	run(t, url, "accounts", "add", "--id", mgmt, "--email", "bill@amazon.com")
	run(t, url, "accounts", "add", "--id", solo, "--email", "solo@example.net", "--name", "Solo")
	c := client(url, mgmt)
	if _, err := c.CreateOrganization(t.Context(), &organizations.CreateOrganizationInput{}); err != nil {
		t.Fatal(err)
	}
	join(t, url, mgmt, member)

	got := decode[struct{ Id, Email, OrganizationId, State string }](t, run(t, url, "accounts", "get", mgmt))
	if got.Id != mgmt || got.Email != "bill@amazon.com" || !strings.HasPrefix(got.OrganizationId, "o-") || got.State != "ACTIVE" {
		t.Errorf("accounts get %s: %+v", mgmt, got)
	}
	// The id may also follow the flags.
	m := NewMain()
	var out bytes.Buffer
	m.Stdout, m.Stderr = &out, io.Discard
	if err := m.Run(t.Context(), []string{"accounts", "get", "--endpoint", url, solo}); err != nil || !strings.Contains(out.String(), `"Name": "Solo"`) {
		t.Errorf("accounts get --endpoint URL ID: %v, printed %s", err, out.String())
	}

	for id, want := range map[string]string{
		mgmt:           "MasterCannotLeaveOrganizationException",
		member:         "AlreadyInOrganizationException",
		"999999999999": "404 Not Found",
		"42":           "InvalidInputException",
	} {
		if err := runErr(t, url, "accounts", "remove", id); !strings.Contains(err.Error(), want) {
			t.Errorf("accounts remove %s: %v, want %s", id, err, want)
		}
	}
	if err := runErr(t, url, "accounts", "remove", member); !strings.Contains(err.Error(), "orgd removes standalone accounts only") {
		t.Errorf("accounts remove of a member does not say why: %v", err)
	}
	if err := runErr(t, url, "accounts", "get", "999999999999"); !strings.Contains(err.Error(), "AccountNotFoundException") {
		t.Errorf("accounts get of an unknown id: %v", err)
	}
	for _, args := range [][]string{{"accounts", "get"}, {"accounts", "remove", solo, member}} {
		var ue *UsageError
		if err := runErr(t, url, args...); !errors.As(err, &ue) {
			t.Errorf("orgd %s: %v, want a usage error", strings.Join(args, " "), err)
		}
	}

	removed := decode[struct{ Id, Email string }](t, run(t, url, "accounts", "remove", solo))
	if removed.Id != solo || removed.Email != "solo@example.net" {
		t.Errorf("accounts remove printed %+v", removed)
	}
	if out := run(t, url, "accounts"); strings.Contains(out, solo) || !strings.Contains(out, member) {
		t.Errorf("accounts after removing %s:\n%s", solo, out)
	}
}

// join invites member to mgmt's organization and accepts, through the AWS API.
func join(t *testing.T, url, mgmt, member string) {
	t.Helper()
	inv, err := client(url, mgmt).InviteAccountToOrganization(t.Context(), &organizations.InviteAccountToOrganizationInput{
		Target: &types.HandshakeParty{Type: types.HandshakePartyTypeAccount, Id: aws.String(member)}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client(url, member).AcceptHandshake(t.Context(), &organizations.AcceptHandshakeInput{HandshakeId: inv.Handshake.Id}); err != nil {
		t.Fatal(err)
	}
}

func TestEndpointURL(t *testing.T) {
	for in, want := range map[string]string{
		"127.0.0.1:9323":            "http://127.0.0.1:9323",
		"localhost:9323":            "http://localhost:9323",
		"[::1]:9323":                "http://[::1]:9323",
		"orgd.internal":             "http://orgd.internal",
		"http://127.0.0.1:9323/":    "http://127.0.0.1:9323",
		"https://orgd.example/orgd": "https://orgd.example/orgd",
	} {
		if got, err := endpointURL(in); err != nil || got != want {
			t.Errorf("endpointURL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "ftp://orgd.example", "http://", "orgd.example:9323?x=1", "http://orgd.example/#top", "127.0.0.1:port"} {
		if got, err := endpointURL(in); err == nil {
			t.Errorf("endpointURL(%q) = %q, want an error", in, got)
		}
	}
}

// TestEndpointHostPort: --endpoint takes HOST:PORT without a scheme.
func TestEndpointHostPort(t *testing.T) {
	url := startOrgd(t, "--db", "memory")
	run(t, strings.TrimPrefix(url, "http://"), "accounts", "add", "--id", "222222222222")
	if out := run(t, strings.TrimPrefix(url, "http://"), "accounts"); !strings.Contains(out, "222222222222") {
		t.Errorf("accounts at HOST:PORT:\n%s", out)
	}
}

// TestConnectionRefused: against a port nothing listens on, a client command fails with one
// line that says so and how to start orgd, not the dialer's error.
func TestConnectionRefused(t *testing.T) {
	addr := freePort(t)
	for _, args := range [][]string{{"accounts"}, {"outbox"}, {"clock"}, {"reset"}} {
		err := runErr(t, addr, args...)
		msg := err.Error()
		if !strings.Contains(msg, "orgd does not answer at http://"+addr) || !strings.Contains(msg, `"orgd serve"`) || !strings.Contains(msg, "--endpoint") ||
			strings.Contains(msg, "\n") || strings.Contains(msg, "dial tcp") {
			t.Errorf("orgd %s: %q", args[0], msg)
		}
	}
}

// failingReader fails the test that reads it.
type failingReader struct{ t *testing.T }

func (r failingReader) Read([]byte) (int, error) {
	r.t.Error("read stdin, which it must not")
	return 0, io.EOF
}

func TestConfirm(t *testing.T) {
	for in, want := range map[string]bool{
		"y\n": true, "yes\n": true, " YES \n": true, "Y": true,
		"n\n": false, "no\n": false, "\n": false, "": false, "yess\n": false, "n\ny\n": false,
	} {
		var out bytes.Buffer
		got, err := confirm(strings.NewReader(in), &out, true, "Wipe? [y/N] ")
		if err != nil || got != want {
			t.Errorf("answer %q: %v, %v; want %v", in, got, err, want)
		}
		if out.String() != "Wipe? [y/N] " {
			t.Errorf("asked %q", out.String())
		}
	}
	// Off a terminal nothing is asked, nor read.
	var out bytes.Buffer
	if got, err := confirm(failingReader{t}, &out, false, "Wipe? [y/N] "); err != nil || !got || out.Len() != 0 {
		t.Errorf("off a terminal: %v, %v, asked %q", got, err, out.String())
	}
}

// TestResetAsksOnATerminal: on a terminal, reset answered "n" changes nothing; "y" and
// --yes (which reads nothing) reset.
func TestResetAsksOnATerminal(t *testing.T) {
	url := startOrgd(t, "--db", "memory")
	reset := func(stdin io.Reader, args ...string) (string, error) {
		m := NewMain()
		var out, errOut bytes.Buffer
		m.Stdout, m.Stderr, m.Stdin, m.StdinTerminal = &out, &errOut, stdin, true
		err := m.Run(t.Context(), append([]string{"reset", "--endpoint", url}, args...))
		return errOut.String(), err
	}
	run(t, url, "accounts", "add", "--id", "222222222222")
	asked, err := reset(strings.NewReader("n\n"))
	if err == nil || !strings.Contains(err.Error(), "nothing changed") || !strings.Contains(asked, "Wipe all of the state of the orgd at "+url+"? [y/N]") {
		t.Errorf("reset answered n: %v, asked %q", err, asked)
	}
	if out := run(t, url, "accounts"); !strings.Contains(out, "222222222222") {
		t.Fatalf("reset answered n wiped the state:\n%s", out)
	}
	if _, err := reset(strings.NewReader("y\n")); err != nil {
		t.Fatalf("reset answered y: %v", err)
	}
	if out := run(t, url, "accounts"); strings.Contains(out, "222222222222") {
		t.Errorf("reset answered y left the state:\n%s", out)
	}
	run(t, url, "accounts", "add", "--id", "222222222222")
	if asked, err := reset(failingReader{t}, "--yes"); err != nil || asked != "" {
		t.Fatalf("reset --yes: %v, asked %q", err, asked)
	}
	if out := run(t, url, "accounts"); strings.Contains(out, "222222222222") {
		t.Errorf("reset --yes left the state:\n%s", out)
	}
}
