package admin_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/orgd/orgd/internal/admin"
	"github.com/orgd/orgd/internal/apitest"
	"github.com/orgd/orgd/internal/model"
	"github.com/orgd/orgd/internal/org"
)

const (
	mgmt   = "111111111111"
	member = "222222222222"
)

// answer is a raw admin API answer.
type answer struct {
	op     string // the admin operation the request names (model.AdminAPI for none)
	status int
	header http.Header
	raw    []byte
}

func do(t *testing.T, srv *apitest.Server, method, path, body string) answer {
	t.Helper()
	h := http.Header{}
	if body != "" {
		h.Set("Content-Type", "application/json")
	}
	return doWith(t, srv, method, path, body, h)
}

// doWith sends a request with the given headers; a "Host" among them sets the request's Host.
func doWith(t *testing.T, srv *apitest.Server, method, path, body string, header http.Header) answer {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		if k == "Host" {
			req.Host = v[0]
			continue
		}
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	op := model.AdminAPI
	switch {
	case method == http.MethodPost && path == "/_orgd/accounts":
		op = model.AdminRegisterAccount
	case method == http.MethodGet && strings.HasPrefix(path, "/_orgd/accounts?"):
		op = model.AdminListAccounts
	case method == http.MethodGet && strings.HasPrefix(path, "/_orgd/accounts/"):
		op = model.AdminDescribeAccount
	case method == http.MethodDelete && strings.HasPrefix(path, "/_orgd/accounts/"):
		op = model.AdminRemoveAccount
	case method == http.MethodGet && strings.HasPrefix(path, "/_orgd/outbox"):
		op = model.AdminListOutbox
	case method == http.MethodPost && path == "/_orgd/clock":
		op = model.AdminAdvanceClock
	}
	return answer{op, resp.StatusCode, resp.Header, raw}
}

// ok decodes a 200 answer into out.
func (a answer) ok(t *testing.T, out any) {
	t.Helper()
	if a.status != http.StatusOK {
		t.Fatalf("status %d: %s", a.status, a.raw)
	}
	if ct := a.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
	if out != nil {
		if err := json.Unmarshal(a.raw, out); err != nil {
			t.Fatalf("decode %s: %v", a.raw, err)
		}
	}
}

// requireError fails unless a is an error in AWS's JSON form with the code, Reason ("" for
// none) and status.
func (a answer) requireError(t *testing.T, status int, code, reason string) {
	t.Helper()
	var body map[string]any
	if err := json.Unmarshal(a.raw, &body); err != nil {
		t.Fatalf("status %d, body %q is not JSON", a.status, a.raw)
	}
	if a.status != status || body["__type"] != code || a.header.Get("X-Amzn-ErrorType") != code {
		t.Fatalf("got %d %s (X-Amzn-ErrorType %q), want %d %s", a.status, a.raw, a.header.Get("X-Amzn-ErrorType"), status, code)
	}
	if r, _ := body["Reason"].(string); r != reason {
		t.Errorf("Reason = %q, want %q (%s)", r, reason, a.raw)
	}
	if m, _ := body["Message"].(string); m == "" || m != model.Message(a.op, code, reason) {
		t.Errorf("Message in %s, want the catalogue's %q", a.raw, model.Message(a.op, code, reason))
	}
}

type accountList struct {
	Accounts []admin.Account
	Next     string
}

func listAccounts(t *testing.T, srv *apitest.Server, query string) accountList {
	t.Helper()
	var l accountList
	do(t, srv, http.MethodGet, "/_orgd/accounts"+query, "").ok(t, &l)
	return l
}

func register(t *testing.T, srv *apitest.Server, body string) admin.Account {
	t.Helper()
	var a admin.Account
	do(t, srv, http.MethodPost, "/_orgd/accounts", body).ok(t, &a)
	return a
}

func TestRegisterAccount(t *testing.T) {
	srv := apitest.Start(t)

	// Only the id: the defaults of an account orgd has not seen.
	got := register(t, srv, `{"Id":"`+member+`"}`)
	want := admin.Account{Id: member, Email: member + "@example.com", Name: "account-" + member,
		SellerOfRecord: "AWS", PaymentInstrument: true, EmailVerified: true, State: "ACTIVE"}
	if got != want {
		t.Errorf("registered %+v, want %+v", got, want)
	}

	got = register(t, srv, `{"Id":"`+mgmt+`","Email":"bill@amazon.com","Name":"Org Master Account","SellerOfRecord":"AISPL","PaymentInstrument":false,"EmailVerified":false}`)
	want = admin.Account{Id: mgmt, Email: "bill@amazon.com", Name: "Org Master Account", SellerOfRecord: "AISPL", State: "ACTIVE"}
	if got != want {
		t.Errorf("registered %+v, want %+v", got, want)
	}

	// An update changes only the fields given.
	got = register(t, srv, `{"Id":"`+mgmt+`","Name":"Bill"}`)
	want.Name = "Bill"
	if got != want {
		t.Errorf("after renaming: %+v, want %+v", got, want)
	}
	got = register(t, srv, `{"Id":"`+mgmt+`","PaymentInstrument":true,"SellerOfRecord":"AWS"}`)
	want.PaymentInstrument, want.SellerOfRecord = true, "AWS"
	if got != want {
		t.Errorf("after adding a payment instrument: %+v, want %+v", got, want)
	}
	got = register(t, srv, `{"Id":"`+mgmt+`","EmailVerified":true}`)
	want.EmailVerified = true
	if got != want {
		t.Errorf("after verifying: %+v, want %+v", got, want)
	}

	// GET shows the same, by id.
	l := listAccounts(t, srv, "")
	if len(l.Accounts) != 2 || l.Accounts[0] != want || l.Accounts[1].Id != member || l.Next != "" {
		t.Errorf("GET /_orgd/accounts = %+v", l)
	}

	// The AWS API sees the registration.
	out, err := srv.Client(mgmt).CreateOrganization(t.Context(), &organizations.CreateOrganizationInput{})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(out.Organization.MasterAccountEmail); got != "bill@amazon.com" {
		t.Errorf("MasterAccountEmail = %q", got)
	}
	// Membership shows in the admin view and survives an update of the attributes.
	register(t, srv, `{"Id":"`+mgmt+`","Name":"Bill again"}`)
	a := listAccounts(t, srv, "").Accounts[0]
	if a.OrganizationId != aws.ToString(out.Organization.Id) || a.JoinedMethod == "" || a.JoinedTimestamp == nil || a.ParentId == "" {
		t.Errorf("management account after CreateOrganization: %+v", a)
	}
}

// TestRegisteredFlagsTakeEffect: PaymentInstrument false makes an invitation to the account
// fail as README says.
func TestRegisteredFlagsTakeEffect(t *testing.T) {
	srv := apitest.Start(t)
	srv.CreateOrganization(mgmt)
	register(t, srv, `{"Id":"`+member+`","PaymentInstrument":false}`)
	_, err := srv.Client(mgmt).InviteAccountToOrganization(t.Context(), &organizations.InviteAccountToOrganizationInput{
		Target: &types.HandshakeParty{Type: types.HandshakePartyTypeAccount, Id: aws.String(member)},
	})
	apitest.RequireCode(t, err, "HandshakeConstraintViolationException", "PAYMENT_INSTRUMENT_REQUIRED")
}

func TestRegisterAccountRejects(t *testing.T) {
	srv := apitest.Start(t)
	register(t, srv, `{"Id":"`+mgmt+`","Email":"bill@amazon.com","Name":"Bill"}`)
	const invalid = "InvalidInputException"
	tests := []struct {
		name, body, code, reason string
	}{
		{"no id", `{"Email":"x@example.com"}`, invalid, model.InvalidInputExceptionReasonInvalidPattern},
		{"short id", `{"Id":"1234"}`, invalid, model.InvalidInputExceptionReasonInvalidPattern},
		{"id with letters", `{"Id":"12345678901a"}`, invalid, model.InvalidInputExceptionReasonInvalidPattern},
		{"id of 13 digits", `{"Id":"1234567890123"}`, invalid, model.InvalidInputExceptionReasonInvalidPattern},
		{"e-mail without @", `{"Id":"` + mgmt + `","Email":"bill.amazon.com"}`, invalid, model.InvalidInputExceptionReasonInvalidPattern},
		{"e-mail without a dot in the domain", `{"Id":"` + mgmt + `","Email":"bill@amazon"}`, invalid, model.InvalidInputExceptionReasonInvalidPattern},
		{"e-mail with a space", `{"Id":"` + mgmt + `","Email":"bi ll@amazon.com"}`, invalid, model.InvalidInputExceptionReasonInvalidPattern},
		{"e-mail over 64", `{"Id":"` + mgmt + `","Email":"` + strings.Repeat("b", 60) + `@amazon.com"}`, invalid, model.InvalidInputExceptionReasonMaxLengthExceeded},
		{"e-mail under 6", `{"Id":"` + mgmt + `","Email":"b@a.c"}`, invalid, model.InvalidInputExceptionReasonMinLengthExceeded},
		{"name over 128", `{"Id":"` + mgmt + `","Name":"` + strings.Repeat("n", 129) + `"}`, invalid, model.InvalidInputExceptionReasonMaxLengthExceeded},
		{"unknown seller", `{"Id":"` + mgmt + `","SellerOfRecord":"AMAZON"}`, invalid, model.InvalidInputExceptionReasonInvalidEnum},
		{"seller in lower case", `{"Id":"` + mgmt + `","SellerOfRecord":"aisPL"}`, invalid, model.InvalidInputExceptionReasonInvalidEnum},
		{"e-mail of another account", `{"Id":"` + member + `","Email":"bill@amazon.com"}`, model.CodeConflictException, ""},
		{"unknown field", `{"Id":"` + mgmt + `","Mail":"x@example.com"}`, "SerializationException", ""},
		{"flag of the wrong type", `{"Id":"` + mgmt + `","PaymentInstrument":"no"}`, "SerializationException", ""},
		{"malformed JSON", `{"Id":`, "SerializationException", ""},
		{"no body", ``, "SerializationException", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			do(t, srv, http.MethodPost, "/_orgd/accounts", tt.body).requireError(t, http.StatusBadRequest, tt.code, tt.reason)
		})
	}
	// Nothing changed: the refused requests wrote nothing, not even partly.
	l := listAccounts(t, srv, "")
	want := admin.Account{Id: mgmt, Email: "bill@amazon.com", Name: "Bill", SellerOfRecord: "AWS", PaymentInstrument: true, EmailVerified: true, State: "ACTIVE"}
	if len(l.Accounts) != 1 || l.Accounts[0] != want {
		t.Errorf("accounts after refused registrations: %+v", l.Accounts)
	}
}

func TestListAccountsPages(t *testing.T) {
	srv := apitest.Start(t)
	if l := listAccounts(t, srv, ""); l.Accounts == nil || len(l.Accounts) != 0 || l.Next != "" {
		t.Fatalf("empty store: %+v", l)
	}
	// Registered out of order, listed by id.
	for _, id := range []string{"500000000000", "100000000000", "300000000000"} {
		register(t, srv, `{"Id":"`+id+`"}`)
	}
	ids := func(l accountList) string {
		var s []string
		for _, a := range l.Accounts {
			s = append(s, a.Id)
		}
		return strings.Join(s, ",")
	}
	for query, want := range map[string]string{
		"":                    "100000000000,300000000000,500000000000",
		"?after=100000000000": "300000000000,500000000000",
		"?after=200000000000": "300000000000,500000000000",
		"?after=500000000000": "",
	} {
		if got := ids(listAccounts(t, srv, query)); got != want {
			t.Errorf("GET /_orgd/accounts%s = %s, want %s", query, got, want)
		}
	}

	// A full page of 1,000 names the next page's ?after=.
	ctx := context.Background()
	for i := range 1000 {
		if _, err := srv.Server.Service.RegisterAccount(ctx, org.AccountRegistration{ID: fmt.Sprintf("6%011d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	first := listAccounts(t, srv, "")
	if len(first.Accounts) != 1000 || first.Next != first.Accounts[999].Id || first.Next != "600000000996" {
		t.Fatalf("first page: %d accounts, Next %q", len(first.Accounts), first.Next)
	}
	second := listAccounts(t, srv, "?after="+first.Next)
	if got := ids(second); got != "600000000997,600000000998,600000000999" || second.Next != "" {
		t.Errorf("second page: %s, Next %q", got, second.Next)
	}
}

type outbox struct {
	Messages []admin.Message
}

func TestOutbox(t *testing.T) {
	srv := apitest.Start(t)
	var o outbox
	do(t, srv, http.MethodGet, "/_orgd/outbox", "").ok(t, &o)
	if o.Messages == nil || len(o.Messages) != 0 {
		t.Fatalf("empty outbox: %+v", o)
	}

	srv.Register(map[string]any{"Id": mgmt, "Email": "bill@amazon.com", "Name": "Org Master Account"})
	srv.CreateOrganization(mgmt)
	h1 := srv.Invite(mgmt, member)
	h2, err := srv.Client(mgmt).InviteAccountToOrganization(t.Context(), &organizations.InviteAccountToOrganizationInput{
		Target: &types.HandshakeParty{Type: types.HandshakePartyTypeEmail, Id: aws.String("juan@example.com")},
		Notes:  aws.String("Join us, Juan."),
	})
	if err != nil {
		t.Fatal(err)
	}

	do(t, srv, http.MethodGet, "/_orgd/outbox", "").ok(t, &o)
	if len(o.Messages) != 2 {
		t.Fatalf("outbox holds %d messages, want 2: %+v", len(o.Messages), o.Messages)
	}
	m1, m2 := o.Messages[0], o.Messages[1]
	if m1.HandshakeId != aws.ToString(h1.Id) || m1.To != member+"@example.com" || m2.HandshakeId != aws.ToString(h2.Handshake.Id) || m2.To != "juan@example.com" {
		t.Errorf("messages: %+v", o.Messages)
	}
	if m1.Seq >= m2.Seq || m1.Subject == "" || !strings.Contains(m2.Body, "Join us, Juan.") || !strings.Contains(m2.Body, "bill@amazon.com") {
		t.Errorf("messages: %+v", o.Messages)
	}
	if m1.CreatedAt.IsZero() || m1.SentAt != nil || m1.State != "pending" || m1.Attempts != 0 || m1.NextAttemptAt != nil {
		t.Errorf("message 1 created %v, sent %v, %s after %d attempts; want created now, pending, never tried", m1.CreatedAt, m1.SentAt, m1.State, m1.Attempts)
	}

	do(t, srv, http.MethodGet, fmt.Sprintf("/_orgd/outbox?after=%d", m1.Seq), "").ok(t, &o)
	if len(o.Messages) != 1 || o.Messages[0].Seq != m2.Seq {
		t.Errorf("?after=%d: %+v", m1.Seq, o.Messages)
	}
	do(t, srv, http.MethodGet, fmt.Sprintf("/_orgd/outbox?after=%d", m2.Seq), "").ok(t, &o)
	if len(o.Messages) != 0 {
		t.Errorf("?after=%d: %+v", m2.Seq, o.Messages)
	}
	do(t, srv, http.MethodGet, "/_orgd/outbox?after=last", "").requireError(t, 400, "InvalidInputException", model.InvalidInputExceptionReasonInvalidPattern)
}

type clock struct{ Now time.Time }

func getClock(t *testing.T, srv *apitest.Server) time.Time {
	t.Helper()
	var c clock
	do(t, srv, http.MethodGet, "/_orgd/clock", "").ok(t, &c)
	return c.Now
}

func TestClock(t *testing.T) {
	srv := apitest.Start(t)
	start := getClock(t, srv)
	if d := time.Since(start); d < -time.Minute || d > time.Minute {
		t.Fatalf("the clock starts at %v, not now", start)
	}
	srv.CreateOrganization(mgmt)
	h := srv.Invite(mgmt, member)

	var c clock
	do(t, srv, http.MethodPost, "/_orgd/clock", `{"Advance":"384h"}`).ok(t, &c)
	if d := c.Now.Sub(start); d < 384*time.Hour || d > 384*time.Hour+time.Minute {
		t.Errorf("after advancing 384h the clock is %v ahead", d)
	}
	if now := getClock(t, srv); now.Before(c.Now) {
		t.Errorf("GET /_orgd/clock = %v, before the advanced %v", now, c.Now)
	}
	// 16 days on, the 15-day invitation has expired.
	out, err := srv.Client(mgmt).DescribeHandshake(t.Context(), &organizations.DescribeHandshakeInput{HandshakeId: h.Id})
	if err != nil {
		t.Fatal(err)
	}
	if out.Handshake.State != types.HandshakeStateExpired {
		t.Errorf("invitation after 16 days: %s, want EXPIRED", out.Handshake.State)
	}

	// Zero is a valid (empty) move; other units of Go's syntax add up.
	before := getClock(t, srv)
	do(t, srv, http.MethodPost, "/_orgd/clock", `{"Advance":"0s"}`).ok(t, &c)
	if d := c.Now.Sub(before); d < 0 || d > time.Minute {
		t.Errorf("advancing 0s moved the clock by %v", d)
	}
	do(t, srv, http.MethodPost, "/_orgd/clock", `{"Advance":"1h30m"}`).ok(t, &c)
	if d := c.Now.Sub(before); d < 90*time.Minute || d > 91*time.Minute {
		t.Errorf("advancing 1h30m moved the clock by %v", d)
	}
}

// TestClockRejects: an advance that is not a Go duration, or not whole milliseconds, is
// INVALID_PATTERN; a negative one is refused with MIN_VALUE_EXCEEDED (the clock only moves
// forward, so that expired invitations never come back to life), and one past a century in
// all with MAX_VALUE_EXCEEDED. None moves the clock.
func TestClockRejects(t *testing.T) {
	srv := apitest.Start(t)
	srv.Advance(time.Hour)
	before := getClock(t, srv)
	tests := []struct{ name, body, code, reason string }{
		{"no unit", `{"Advance":"384"}`, "InvalidInputException", model.InvalidInputExceptionReasonInvalidPattern},
		{"days are not a Go unit", `{"Advance":"16d"}`, "InvalidInputException", model.InvalidInputExceptionReasonInvalidPattern},
		{"words", `{"Advance":"two weeks"}`, "InvalidInputException", model.InvalidInputExceptionReasonInvalidPattern},
		{"empty", `{"Advance":""}`, "InvalidInputException", model.InvalidInputExceptionReasonInvalidPattern},
		{"missing", `{}`, "InvalidInputException", model.InvalidInputExceptionReasonInvalidPattern},
		{"overflowing", `{"Advance":"9999999999h"}`, "InvalidInputException", model.InvalidInputExceptionReasonInvalidPattern},
		{"negative", `{"Advance":"-1h"}`, "InvalidInputException", model.InvalidInputExceptionReasonMinValueExceeded},
		{"negative zero-ish", `{"Advance":"-1ns"}`, "InvalidInputException", model.InvalidInputExceptionReasonMinValueExceeded},
		{"finer than a millisecond", `{"Advance":"1ms500us"}`, "InvalidInputException", model.InvalidInputExceptionReasonInvalidPattern},
		{"beyond a century", `{"Advance":"876601h"}`, "InvalidInputException", model.InvalidInputExceptionReasonMaxValueExceeded},
		{"a number", `{"Advance":3600}`, "SerializationException", ""},
		{"unknown field", `{"Advance":"1h","By":"me"}`, "SerializationException", ""},
		{"no body", ``, "SerializationException", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			do(t, srv, http.MethodPost, "/_orgd/clock", tt.body).requireError(t, 400, tt.code, tt.reason)
		})
	}
	if d := getClock(t, srv).Sub(before); d < 0 || d > time.Minute {
		t.Errorf("refused advances moved the clock by %v", d)
	}
}

func TestReset(t *testing.T) {
	for _, path := range []string{"/_orgd/reset", "/moto-api/reset"} {
		t.Run(path, func(t *testing.T) {
			srv := apitest.Start(t)
			srv.Register(map[string]any{"Id": mgmt, "Email": "bill@amazon.com"})
			srv.CreateOrganization(mgmt)
			srv.Join(mgmt, member)
			srv.Invite(mgmt, "333333333333")
			srv.Advance(100 * time.Hour)
			var o outbox
			// The invitations to the member and to 333333333333, and the member's acceptance.
			do(t, srv, http.MethodGet, "/_orgd/outbox", "").ok(t, &o)
			if len(o.Messages) != 3 || len(listAccounts(t, srv, "").Accounts) < 2 {
				t.Fatalf("setup: outbox %d", len(o.Messages))
			}

			var empty map[string]any
			do(t, srv, http.MethodPost, path, "").ok(t, &empty)
			if len(empty) != 0 {
				t.Errorf("reset answered %v, want {}", empty)
			}

			// Organizations, accounts, handshakes, outbox and clock are gone.
			c := srv.Client(mgmt)
			_, err := c.DescribeOrganization(t.Context(), &organizations.DescribeOrganizationInput{})
			apitest.RequireCode(t, err, "AWSOrganizationsNotInUseException", "")
			_, err = srv.Client(member).DescribeOrganization(t.Context(), &organizations.DescribeOrganizationInput{})
			apitest.RequireCode(t, err, "AWSOrganizationsNotInUseException", "")
			hs, err := srv.Client("333333333333").ListHandshakesForAccount(t.Context(), &organizations.ListHandshakesForAccountInput{})
			if err != nil || len(hs.Handshakes) != 0 {
				t.Errorf("handshakes after reset: %v, %v", hs, err)
			}
			if l := listAccounts(t, srv, ""); len(l.Accounts) != 0 {
				t.Errorf("accounts after reset: %+v", l.Accounts)
			}
			do(t, srv, http.MethodGet, "/_orgd/outbox", "").ok(t, &o)
			if len(o.Messages) != 0 {
				t.Errorf("outbox after reset: %+v", o.Messages)
			}
			if d := time.Since(getClock(t, srv)); d < -time.Minute || d > time.Minute {
				t.Errorf("clock after reset is %v off real time", d)
			}
			// The registered e-mail is gone: the account is back to its defaults.
			out, err := c.CreateOrganization(t.Context(), &organizations.CreateOrganizationInput{})
			if err != nil {
				t.Fatal(err)
			}
			if got := aws.ToString(out.Organization.MasterAccountEmail); got != mgmt+"@example.com" {
				t.Errorf("MasterAccountEmail after reset = %q", got)
			}
		})
	}
}

// TestAdminErrorsInAWSForm: README promises errors in the AWS form for the whole admin API,
// unknown paths and wrong methods included.
func TestAdminErrorsInAWSForm(t *testing.T) {
	srv := apitest.Start(t)
	tests := []struct {
		method, path string
		status       int
	}{
		{http.MethodGet, "/_orgd/nothing", http.StatusNotFound},
		{http.MethodGet, "/_orgd/", http.StatusNotFound},
		{http.MethodPost, "/moto-api/other", http.StatusNotFound},
		{http.MethodGet, "/_orgd/reset", http.StatusMethodNotAllowed},
		{http.MethodDelete, "/_orgd/accounts", http.StatusMethodNotAllowed},
		{http.MethodPut, "/_orgd/clock", http.StatusMethodNotAllowed},
		{http.MethodGet, "/moto-api/reset", http.StatusMethodNotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			a := do(t, srv, tt.method, tt.path, "")
			a.requireError(t, tt.status, "UnknownOperationException", "")
			if ct := a.header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q", ct)
			}
		})
	}
}
