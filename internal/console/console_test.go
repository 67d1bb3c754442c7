package console_test

import (
	"context"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/orgd/orgd/internal/apitest"
	"github.com/orgd/orgd/internal/sigv4"
)

const (
	bill = "111111111111"
	juan = "222222222222"
	// seedNotes are the seed invitation's notes, with HTML a page must show as text.
	seedNotes = `<b>Bill's</b> org <script>alert(1)</script>`
)

// seed starts orgd with the README's first session: Bill's organization has invited Juan
// by e-mail, with seedNotes. It returns the server, the organization's root and the handshake.
func seed(t *testing.T) (*apitest.Server, string, string) {
	t.Helper()
	s := apitest.Start(t)
	root, h := seedOn(t, s)
	return s, root, h
}

func seedOn(t *testing.T, s *apitest.Server) (string, string) {
	t.Helper()
	s.Register(map[string]any{"Id": bill, "Email": "bill@amazon.com", "Name": "Org Master Account"})
	s.Register(map[string]any{"Id": juan, "Email": "juan@example.com", "Name": "Juan"})
	s.CreateOrganization(bill)
	ctx := context.Background()
	out, err := s.Client(bill).InviteAccountToOrganization(ctx, &organizations.InviteAccountToOrganizationInput{
		Target: &types.HandshakeParty{Type: types.HandshakePartyTypeEmail, Id: aws.String("juan@example.com")},
		Notes:  aws.String(seedNotes),
	})
	if err != nil {
		t.Fatalf("invite Juan: %v", err)
	}
	roots, err := s.Client(bill).ListRoots(ctx, &organizations.ListRootsInput{})
	if err != nil {
		t.Fatalf("list roots: %v", err)
	}
	return aws.ToString(roots.Roots[0].Id), aws.ToString(out.Handshake.Id)
}

// user is a browser without JavaScript: a cookie jar and forms.
type user struct {
	t    *testing.T
	base string
	c    *http.Client
}

func newUser(t *testing.T, base string) *user {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &user{t: t, base: base, c: &http.Client{Jar: jar}}
}

// do sends a request (following redirects, as a browser does) and returns the final status,
// body and URL.
func (u *user) do(method, path string, form url.Values, header http.Header) (int, string, string) {
	u.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u.base+path, body)
	if err != nil {
		u.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := u.c.Do(req)
	if err != nil {
		u.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		u.t.Fatal(err)
	}
	return resp.StatusCode, string(raw), resp.Request.URL.RequestURI()
}

func (u *user) get(path string) (int, string, string) { return u.do(http.MethodGet, path, nil, nil) }

var csrfInput = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf is the CSRF token of the forms on a page.
func (u *user) csrf(page string) string {
	u.t.Helper()
	m := csrfInput.FindStringSubmatch(page)
	if m == nil {
		u.t.Fatalf("no CSRF token on the page:\n%s", page)
	}
	return m[1]
}

// signIn signs in through the form; fields are the form's values besides the token.
func (u *user) signIn(next string, fields url.Values) (int, string, string) {
	u.t.Helper()
	_, page, _ := u.get("/console/signin?next=" + url.QueryEscape(next))
	fields.Set("csrf", u.csrf(page))
	fields.Set("next", next)
	return u.do(http.MethodPost, "/console/signin", fields, nil)
}

func TestInvitationLinkLeadsThroughSignInToTheEscapedNotes(t *testing.T) {
	s, _, h := seed(t)
	juanU := newUser(t, s.URL)
	status, page, at := juanU.get("/console/handshakes/" + h)
	if status != http.StatusOK || !strings.HasPrefix(at, "/console/signin?") || !strings.Contains(page, juan) {
		t.Fatalf("before sign-in: %d at %s, want the sign-in page offering Juan's account:\n%s", status, at, page)
	}
	status, page, at = juanU.signIn("/console/handshakes/"+h, url.Values{"account": {juan}})
	if status != http.StatusOK || at != "/console/handshakes/"+h {
		t.Fatalf("after sign-in: %d at %s, want the invitation", status, at)
	}
	if want := html.EscapeString(seedNotes); !strings.Contains(page, want) {
		t.Errorf("the page does not show the notes escaped (%s):\n%s", want, page)
	}
	if strings.Contains(page, "<b>Bill") || strings.Contains(page, "<script>") {
		t.Errorf("the page carries the notes' HTML as markup:\n%s", page)
	}
	if !strings.Contains(page, `/handshakes/`+h+`/accept"`) || strings.Contains(page, `/cancel"`) {
		t.Errorf("Juan, the recipient, should be offered Accept and Decline, not Cancel:\n%s", page)
	}
}

func TestFormWithoutCSRFTokenIsRefusedAndChangesNothing(t *testing.T) {
	s, root, _ := seed(t)
	billU := newUser(t, s.URL)
	_, page, _ := billU.signIn("/console/", url.Values{"account_id": {bill}})
	token := billU.csrf(page)
	for _, tc := range []struct {
		name   string
		form   url.Values
		header http.Header
	}{
		{"no token", url.Values{"parent": {root}, "name": {"Sneaky"}}, nil},
		{"wrong token", url.Values{"parent": {root}, "name": {"Sneaky"}, "csrf": {token + "x"}}, nil},
		{"another site's Referer", url.Values{"parent": {root}, "name": {"Sneaky"}, "csrf": {token}},
			http.Header{"Referer": {"http://evil.example/page"}}},
	} {
		if status, page, _ := billU.do(http.MethodPost, "/console/ous", tc.form, tc.header); status != http.StatusForbidden {
			t.Errorf("%s: %d, want 403:\n%s", tc.name, status, page)
		}
	}
	requireOUs(t, s, root, 0)
	status, page, _ := billU.do(http.MethodPost, "/console/ous", url.Values{"parent": {root}, "name": {"Workloads"}, "csrf": {token}}, nil)
	if status != http.StatusOK || !strings.Contains(page, "Workloads") {
		t.Fatalf("with the token: %d:\n%s", status, page)
	}
	requireOUs(t, s, root, 1)
}

func requireOUs(t *testing.T, s *apitest.Server, root string, want int) {
	t.Helper()
	out, err := s.Client(bill).ListOrganizationalUnitsForParent(context.Background(), &organizations.ListOrganizationalUnitsForParentInput{ParentId: &root})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.OrganizationalUnits) != want {
		t.Fatalf("the root has %d OUs, want %d", len(out.OrganizationalUnits), want)
	}
}

func TestGetNeverChangesState(t *testing.T) {
	s, _, h := seed(t)
	juanU := newUser(t, s.URL)
	juanU.signIn("/console/", url.Values{"account": {juan}})
	for _, action := range []string{"accept", "decline", "cancel"} {
		// Only POST routes to the actions: a GET finds no page.
		if status, _, _ := juanU.get("/console/handshakes/" + h + "/" + action); status != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", action, status)
		}
	}
	out, err := s.Client(juan).DescribeHandshake(context.Background(), &organizations.DescribeHandshakeInput{HandshakeId: &h})
	if err != nil {
		t.Fatal(err)
	}
	if out.Handshake.State != types.HandshakeStateOpen {
		t.Fatalf("after GETs the handshake is %s, want OPEN", out.Handshake.State)
	}
}

func TestDomainErrorIsShownWithAWSText(t *testing.T) {
	s, _, _ := seed(t)
	billU := newUser(t, s.URL)
	_, page, _ := billU.signIn("/console/", url.Values{"account_id": {bill}})
	status, page, at := billU.do(http.MethodPost, "/console/ous/rename",
		url.Values{"ou": {"ou-abcd-12345678"}, "name": {"X"}, "csrf": {billU.csrf(page)}}, nil)
	if status != http.StatusOK || at != "/console/" || !strings.Contains(page, "OrganizationalUnitNotFoundException: ") {
		t.Fatalf("%d at %s, want the tree with the domain's error:\n%s", status, at, page)
	}
}

func TestMemberSeesOnlyWhatTheAPILetsIt(t *testing.T) {
	s, _, h := seed(t)
	if _, err := s.Client(juan).AcceptHandshake(context.Background(), &organizations.AcceptHandshakeInput{HandshakeId: &h}); err != nil {
		t.Fatal(err)
	}
	juanU := newUser(t, s.URL)
	status, page, _ := juanU.signIn("/console/", url.Values{"account": {juan}})
	if status != http.StatusOK || !strings.Contains(page, "AccessDeniedException: ") || strings.Contains(page, `data-account="`+bill+`"`) {
		t.Fatalf("a member's tree: %d, want AWS's refusal and no accounts:\n%s", status, page)
	}
}

func TestVerifiedSignInChecksTheSecret(t *testing.T) {
	s := apitest.Start(t, apitest.WithCredentials(t, sigv4.Key{AccessKeyID: "AKIABILL", AccountID: bill}))
	u := newUser(t, s.URL)
	status, page, _ := u.signIn("/console/", url.Values{"access_key_id": {"AKIABILL"}, "secret_access_key": {"wrong"}})
	if status != http.StatusUnauthorized || strings.Contains(page, "signed-in-account") {
		t.Fatalf("wrong secret: %d, want 401 and no session:\n%s", status, page)
	}
	if status, _, at := u.get("/console/"); !strings.HasPrefix(at, "/console/signin") {
		t.Fatalf("after a refused sign-in, /console/ answered %d at %s, want the sign-in page", status, at)
	}
	status, page, _ = u.signIn("/console/", url.Values{"access_key_id": {"AKIABILL"}, "secret_access_key": {apitest.Secret}})
	if status != http.StatusOK || !strings.Contains(page, `<b id="signed-in-account">`+bill+`</b>`) {
		t.Fatalf("right secret: %d, want Bill signed in:\n%s", status, page)
	}
	if strings.Contains(page, "/console/clock") {
		t.Errorf("verified mode shows the admin's clock:\n%s", page)
	}
	_, page, _ = u.get("/console/")
	if status, _, at := u.do(http.MethodPost, "/console/signout", url.Values{"csrf": {u.csrf(page)}}, nil); status != http.StatusOK || !strings.HasPrefix(at, "/console/signin") {
		t.Fatalf("sign-out: %d at %s", status, at)
	}
	if _, _, at := u.get("/console/"); !strings.HasPrefix(at, "/console/signin") {
		t.Fatalf("after sign-out /console/ is at %s, want sign-in", at)
	}
}

func TestSignInReturnsOnlyToConsolePaths(t *testing.T) {
	s := apitest.Start(t)
	for next, want := range map[string]string{
		"/console/handshakes/h-12345678": "/console/handshakes/h-12345678",
		"//evil.example/console/":        "/console/",
		"https://evil.example/console/":  "/console/",
		"/console/../_orgd/reset":        "/console/",
		`/console/\evil`:                 "/console/",
		"/_orgd/outbox":                  "/console/",
	} {
		u := newUser(t, s.URL)
		// The redirect's target answers 200 (the invitation page shows its error).
		_, _, at := u.signIn(next, url.Values{"account_id": {bill}})
		if at != want {
			t.Errorf("next=%q: landed on %s, want %s", next, at, want)
		}
	}
}
