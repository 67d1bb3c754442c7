package admin_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/organizations"

	"github.com/orgd/orgd/internal/admin"
	"github.com/orgd/orgd/internal/apitest"
	"github.com/orgd/orgd/internal/model"
	"github.com/orgd/orgd/internal/org"
	"github.com/orgd/orgd/internal/server"
)

// endpoints are every admin endpoint, each with a body that would change state where it
// takes one.
var endpoints = []struct{ method, path, body string }{
	{http.MethodPost, "/_orgd/accounts", `{"Id":"` + mgmt + `","Email":"mallory@evil.example"}`},
	{http.MethodGet, "/_orgd/accounts", ""},
	{http.MethodGet, "/_orgd/accounts/" + standaloneID, ""},
	{http.MethodDelete, "/_orgd/accounts/" + standaloneID, ""},
	{http.MethodPost, "/_orgd/roles", `{"AccountId":"` + mgmt + `","RoleName":"Backdoor","TrustedPrincipals":["666666666666"]}`},
	{http.MethodGet, "/_orgd/roles", ""},
	{http.MethodGet, "/_orgd/outbox", ""},
	{http.MethodPost, "/_orgd/reset", "{}"},
	{http.MethodPost, "/_orgd/bootstrap", `{"Name":"b.yaml","Content":"management: {id: \"` + mgmt + `\", email: m@evil.example, name: M}"}`},
	{http.MethodGet, "/_orgd/clock", ""},
	{http.MethodPost, "/_orgd/clock", `{"Advance":"876000h"}`},
	{http.MethodPost, "/moto-api/reset", "{}"},
	{http.MethodGet, "/_orgd/export", ""},
	{http.MethodPost, "/_orgd/import", `{"format":"orgd-snapshot","version":1,"settings":{"clockOffsetMillis":3600000000},"organizations":[],"accounts":[{"id":"666666666666","email":"x@evil.example","name":"x","sellerOfRecord":"AWS","paymentInstrument":true,"emailVerified":true,"state":"ACTIVE"}],"handshakes":[],"transfers":[],"roles":[]}`},
}

// standaloneID is a standalone account setUp registers, which DELETE could remove.
const standaloneID = "999999999999"

// requireUnchanged fails unless what a refused request must leave is as it was: the registered e-mail, the
// standalone account, the organization, the clock, and the roles (none).
func requireUnchanged(t *testing.T, srv *apitest.Server) {
	t.Helper()
	l := listAccounts(t, srv, "")
	if len(l.Accounts) != 2 || l.Accounts[0].Email != "bill@amazon.com" || l.Accounts[1].Id != standaloneID {
		t.Errorf("accounts after refused requests: %+v", l.Accounts)
	}
	if _, err := srv.Client(mgmt).DescribeOrganization(t.Context(), &organizations.DescribeOrganizationInput{}); err != nil {
		t.Errorf("organization after refused requests: %v", err)
	}
	if d := getClock(t, srv).Sub(time.Now()); d > time.Hour {
		t.Errorf("refused requests moved the clock %v ahead", d)
	}
	var roles struct{ Roles []map[string]any }
	srv.Admin(http.MethodGet, "/_orgd/roles?account="+mgmt, nil, &roles)
	if len(roles.Roles) != 0 {
		t.Errorf("refused requests declared roles: %v", roles.Roles)
	}
}

func setUp(t *testing.T, srv *apitest.Server) {
	t.Helper()
	srv.Register(map[string]any{"Id": mgmt, "Email": "bill@amazon.com"})
	srv.Register(map[string]any{"Id": standaloneID})
	srv.CreateOrganization(mgmt)
}

// TestBrowserRequestsRefused: what a web page can send to orgd (a body without a preflight,
// a foreign Origin, a rebound Host, a CORS preflight) reaches no admin endpoint, and
// changes nothing.
func TestBrowserRequestsRefused(t *testing.T) {
	srv := apitest.Start(t)
	setUp(t, srv)
	port := srv.URL[strings.LastIndex(srv.URL, ":")+1:]
	for _, ep := range endpoints {
		t.Run(ep.method+" "+ep.path, func(t *testing.T) {
			body := ep.body
			if body == "" {
				body = "{}"
			}
			// The content types a page may POST without a preflight.
			for _, ct := range []string{"text/plain", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", ""} {
				a := doWith(t, srv, ep.method, ep.path, body, http.Header{"Content-Type": {ct}})
				a.requireError(t, http.StatusUnsupportedMediaType, model.CodeUnsupportedMediaTypeException, "")
			}
			json := http.Header{"Content-Type": {"application/json"}}
			for _, origin := range []string{"http://evil.example", "null", "http://127.0.0.1:1", "https://localhost"} {
				h := json.Clone()
				h.Set("Origin", origin)
				a := doWith(t, srv, ep.method, ep.path, ep.body, h)
				a.op = model.ForeignRequest
				a.requireError(t, http.StatusForbidden, model.CodeAccessDeniedException, "")
			}
			// DNS rebinding: the page's own name, pointed at orgd's address.
			for _, host := range []string{"evil.example:" + port, "evil.example", "localhost.evil.example:" + port, "127.0.0.1:1", "10.0.0.1:" + port} {
				h := json.Clone()
				h.Set("Host", host)
				a := doWith(t, srv, ep.method, ep.path, ep.body, h)
				a.op = model.ForeignRequest
				a.requireError(t, http.StatusForbidden, model.CodeAccessDeniedException, "")
			}
			// A preflight gets no permission: no CORS header, no success.
			h := http.Header{"Origin": {"http://evil.example"}, "Access-Control-Request-Method": {ep.method}, "Access-Control-Request-Headers": {"content-type"}}
			a := doWith(t, srv, http.MethodOptions, ep.path, "", h)
			if a.status < 400 {
				t.Errorf("preflight answered %d", a.status)
			}
			for k := range a.header {
				if strings.HasPrefix(k, "Access-Control-") {
					t.Errorf("preflight answered %s", k)
				}
			}
		})
	}
	requireUnchanged(t, srv)

	// The server's own names are served: loopback with the port, and the request's own
	// origin.
	for _, host := range []string{"localhost:" + port, "127.0.0.1:" + port, "LOCALHOST:" + port} {
		h := http.Header{"Host": {host}, "Origin": {"http://" + host}}
		doWith(t, srv, http.MethodGet, "/_orgd/clock", "", h).ok(t, nil)
	}
	// No answer carries a CORS header, even a successful one with an Origin.
	a := doWith(t, srv, http.MethodGet, "/_orgd/clock", "", http.Header{"Origin": {strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)}, "Host": {"localhost:" + port}})
	for k := range a.header {
		if strings.HasPrefix(k, "Access-Control-") {
			t.Errorf("answer carries %s", k)
		}
	}
}

// TestPublicHost: a name given as a public host is served, on any port or the one named.
func TestPublicHost(t *testing.T) {
	srv := apitest.Start(t, func(c *server.Config) { c.PublicHosts = []string{"orgd.example", "other.example:8443"} })
	for host, want := range map[string]int{
		"orgd.example":       http.StatusOK,
		"ORGD.example.:9999": http.StatusOK,
		"other.example:8443": http.StatusOK,
		"other.example:8444": http.StatusForbidden,
		"other.example":      http.StatusForbidden,
		"evil.example":       http.StatusForbidden,
	} {
		if a := doWith(t, srv, http.MethodGet, "/_orgd/clock", "", http.Header{"Host": {host}}); a.status != want {
			t.Errorf("Host %s: %d %s, want %d", host, a.status, a.raw, want)
		}
	}
}

// TestAdminToken: with a token set, every admin endpoint but the health check needs it, and
// takes it; a refused request changes nothing.
func TestAdminToken(t *testing.T) {
	const token = "0123456789abcdef"
	srv := apitest.Start(t, func(c *server.Config) { c.AdminToken = token })
	setUp(t, srv)
	for _, ep := range endpoints {
		t.Run(ep.method+" "+ep.path, func(t *testing.T) {
			h := http.Header{"Content-Type": {"application/json"}}
			a := doWith(t, srv, ep.method, ep.path, ep.body, h)
			a.requireError(t, http.StatusUnauthorized, model.CodeMissingAuthenticationTokenException, "")
			if a.header.Get("WWW-Authenticate") == "" {
				t.Errorf("401 without WWW-Authenticate")
			}
			for _, wrong := range []string{"Bearer 0123456789abcdeF", "Bearer " + token + "0", "Bearer ", "Basic " + token, token} {
				h.Set("Authorization", wrong)
				a := doWith(t, srv, ep.method, ep.path, ep.body, h)
				if a.status != http.StatusUnauthorized && a.status != http.StatusForbidden {
					t.Errorf("Authorization %q: %d %s", wrong, a.status, a.raw)
				}
			}
		})
	}
	requireUnchangedWithToken(t, srv, token)

	// The right token is taken.
	h := http.Header{"Content-Type": {"application/json"}, "Authorization": {"Bearer " + token}}
	doWith(t, srv, http.MethodPost, "/_orgd/clock", `{"Advance":"1h"}`, h).ok(t, nil)
	doWith(t, srv, http.MethodDelete, "/_orgd/accounts/"+standaloneID, "", h).ok(t, nil)
	doWith(t, srv, http.MethodPost, "/_orgd/reset", `{}`, h).ok(t, nil)
	if _, err := srv.Client(mgmt).DescribeOrganization(t.Context(), &organizations.DescribeOrganizationInput{}); err == nil {
		t.Error("reset with the token left the organization")
	}
	// The health check needs none.
	var hl admin.Health
	doWith(t, srv, http.MethodGet, "/_orgd/health", "", nil).ok(t, &hl)
	if hl.Status != "ok" || hl.Mode != server.ModeOpen {
		t.Errorf("health = %+v", hl)
	}
}

func requireUnchangedWithToken(t *testing.T, srv *apitest.Server, token string) {
	t.Helper()
	var l accountList
	srv.Admin(http.MethodGet, "/_orgd/accounts", nil, &l)
	if len(l.Accounts) != 2 || l.Accounts[0].Email != "bill@amazon.com" || l.Accounts[1].Id != standaloneID {
		t.Errorf("accounts after refused requests: %+v", l.Accounts)
	}
	if _, err := srv.Client(mgmt).DescribeOrganization(t.Context(), &organizations.DescribeOrganizationInput{}); err != nil {
		t.Errorf("organization after refused requests: %v", err)
	}
	var c struct{ Now time.Time }
	srv.Admin(http.MethodGet, "/_orgd/clock", nil, &c)
	if d := c.Now.Sub(time.Now()); d > time.Hour {
		t.Errorf("refused requests moved the clock %v ahead", d)
	}
}

// TestHealth: the health check reports the mode and its warnings, 200 while the store
// answers and 503 once it does not, and never asks for a token.
func TestHealth(t *testing.T) {
	var down atomic.Bool
	srv := apitest.Start(t, func(c *server.Config) {
		c.InsecureOpen, c.AdminToken = true, "secret-token"
		c.WrapStore = func(s org.Store) org.Store { return failingStore{s, &down} }
	})
	var h admin.Health
	a := doWith(t, srv, http.MethodGet, "/_orgd/health", "", nil)
	a.ok(t, &h)
	if h.Status != "ok" || h.Mode != server.ModeInsecureOpen || len(h.Warnings) != 1 || h.Warnings[0] != server.InsecureOpenWarning {
		t.Errorf("health = %+v", h)
	}
	if strings.Contains(string(a.raw), "secret-token") {
		t.Errorf("health shows the token: %s", a.raw)
	}
	down.Store(true)
	a = doWith(t, srv, http.MethodGet, "/_orgd/health", "", nil)
	if err := json.Unmarshal(a.raw, &h); err != nil || a.status != http.StatusServiceUnavailable || h.Status != "unavailable" || h.Reason == "" {
		t.Errorf("health with the store closed: %d %s", a.status, a.raw)
	}
	// Health takes no other method.
	a = doWith(t, srv, http.MethodPost, "/_orgd/health", "", nil)
	if a.status != http.StatusUnauthorized {
		t.Errorf("POST /_orgd/health: %d %s", a.status, a.raw)
	}
}

// failingStore fails every read once down is set, as a store whose database went away.
type failingStore struct {
	org.Store
	down *atomic.Bool
}

func (s failingStore) View(ctx context.Context, fn func(org.Tx) error) error {
	if s.down.Load() {
		return errors.New("database is gone")
	}
	return s.Store.View(ctx, fn)
}
