// Package apitest starts a real orgd server for tests and hands out official
// aws-sdk-go-v2 Organizations clients, one per account.
package apitest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/smithy-go"

	"github.com/orgd/orgd/internal/model"
	"github.com/orgd/orgd/internal/org"
	"github.com/orgd/orgd/internal/pgtest"
	"github.com/orgd/orgd/internal/server"
	"github.com/orgd/orgd/internal/sigv4"
)

// Server is an orgd serving on a loopback port for one test.
type Server struct {
	t      testing.TB
	URL    string
	Server *server.Server
	// AdminToken is the admin API's bearer token, which Admin sends: the configuration's.
	AdminToken string
}

// EnvStore selects the store Start opens, so that a package's API tests run on it:
// "memory" (the default), "file" (a database file in a temporary directory, opened as orgd
// serve opens it: the row cache, group commit, synchronous=FULL) or "postgres" (a fresh
// PostgreSQL database, see pgtest; the package's TestMain must then call pgtest.Main, or
// Main). Main runs a package's tests on each store when it is unset.
const EnvStore = "ORGD_TEST_STORE"

// Stores are the values of EnvStore.
var Stores = []string{"memory", "file", "postgres"}

// Start starts orgd on an in-memory store unless cfg or EnvStore says otherwise; cfg may
// adjust the configuration (quotas, database file, credentials) before the server starts.
func Start(t testing.TB, cfg ...func(*server.Config)) *Server {
	t.Helper()
	// The server logs errors only for what it answers ServiceException (an internal error,
	// a panic): a bug, which fails the test. A test that provokes one on purpose sets its
	// own Logger.
	c := server.Config{DB: "memory", Logger: slog.New(slog.NewTextHandler(logWriter{t}, &slog.HandlerOptions{Level: slog.LevelError}))}
	switch store := os.Getenv(EnvStore); store {
	case "", "memory":
	case "file":
		// As orgd serve opens its default database (cmd/orgd).
		c.DB, c.Exclusive, c.Sync = filepath.Join(t.TempDir(), "orgd.db"), true, "full"
	case "postgres":
		c.DB = pgtest.URL(t)
	default:
		t.Fatalf("apitest: %s=%q: want one of %v", EnvStore, store, Stores)
	}
	db := c.DB
	for _, f := range cfg {
		f(&c)
	}
	if c.DB != db {
		// A test that names its own database file opens it from two servers at once (a
		// restart, a change of quotas), which an exclusive store refuses.
		c.Exclusive = false
	}
	srv, err := server.New(context.Background(), c)
	if err != nil {
		t.Fatalf("start orgd: %v", err)
	}
	hs := httptest.NewServer(srv.Handler)
	t.Cleanup(func() {
		hs.Close()
		srv.Close()
	})
	return &Server{t: t, URL: hs.URL, Server: srv, AdminToken: c.AdminToken}
}

// HTTPClient is the HTTP client for SDK clients in tests (their Options.HTTPClient): it
// keeps connections to reuse across clients, and sends request bodies as bodyReads says.
func HTTPClient() *http.Client { return httpClient }

var httpClient = &http.Client{Transport: bodyReads{&http.Transport{MaxIdleConnsPerHost: 16}}}

// bodyReads sends requests with a body that offers only Read. The SDK wraps each request
// body in a reader whose WriteTo answers io.EOF once the SDK has closed it, which it does
// as soon as the response arrives; net/http may still be draining the body at that moment
// (through WriteTo), takes the io.EOF for a failed write, and closes the connection while
// the SDK reads the response: "deserialization failed ... use of closed network
// connection" in about one test run in a thousand. Through Read, a closed body is a clean
// end of file.
type bodyReads struct{ next http.RoundTripper }

func (b bodyReads) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil && req.Body != http.NoBody {
		req = req.Clone(req.Context())
		req.Body = readOnly{req.Body}
	}
	return b.next.RoundTrip(req)
}

// readOnly hides every method of a request body but Read and Close.
type readOnly struct{ io.ReadCloser }

// logWriter fails a test with each line the server logs.
type logWriter struct{ t testing.TB }

func (w logWriter) Write(p []byte) (int, error) {
	w.t.Errorf("orgd logged: %s", strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

// WithQuotas returns a configuration option that changes the quotas.
func WithQuotas(f func(*org.Quotas)) func(*server.Config) {
	return func(c *server.Config) {
		q := org.DefaultQuotas()
		f(&q)
		c.Org.Quotas = q
	}
}

// WithCompat returns a configuration option that starts the server with a compatibility
// profile (org.CompatMoto).
func WithCompat(c org.Compat) func(*server.Config) {
	return func(cfg *server.Config) { cfg.Org.Compat = c }
}

// WithCredentials returns a configuration option that starts the server verified, with a
// credentials file of keys (see sigv4.Load). A key without a SecretAccessKey gets Secret,
// the secret of the clients Client and ClientWithKey build.
func WithCredentials(t testing.TB, keys ...sigv4.Key) func(*server.Config) {
	t.Helper()
	for i := range keys {
		if keys[i].SecretAccessKey == "" {
			keys[i].SecretAccessKey = Secret
		}
	}
	raw, err := json.Marshal(sigv4.File{Credentials: keys})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "credentials.json")
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	return func(c *server.Config) { c.CredentialsFile = path }
}

// Secret is the secret access key of the clients Client, ClientWithKey and ClientIn build.
const Secret = "orgd-test-secret"

// Client returns an Organizations client whose access key is the account id, so it acts as
// that account. It never retries, so every error reaches the test.
func (s *Server) Client(account string) *organizations.Client {
	return s.ClientWithKey(account)
}

// ClientWithSecret returns a client signing with the given access key, secret and session
// token (empty for a long-term key); opts may change its options further (its HTTP client's
// transport, its signer's clock).
func (s *Server) ClientWithSecret(accessKey, secret, sessionToken string, opts ...func(*organizations.Options)) *organizations.Client {
	return organizations.New(organizations.Options{
		BaseEndpoint:     aws.String(s.URL),
		Region:           "us-east-1",
		RetryMaxAttempts: 1,
		HTTPClient:       httpClient,
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: accessKey, SecretAccessKey: secret, SessionToken: sessionToken}, nil
		}),
	}, opts...)
}

// ClientWithKey returns a client signing with the given access key.
func (s *Server) ClientWithKey(accessKey string) *organizations.Client {
	return s.ClientIn(accessKey, "us-east-1")
}

// ClientIn returns a client whose access key is account (an account id, or any access key)
// signing for region, which places it in that region's partition (cn-north-1: aws-cn,
// us-gov-west-1: aws-us-gov, ...).
func (s *Server) ClientIn(accessKey, region string) *organizations.Client {
	return organizations.New(organizations.Options{
		BaseEndpoint:     aws.String(s.URL),
		Region:           region,
		RetryMaxAttempts: 1,
		HTTPClient:       httpClient,
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: accessKey, SecretAccessKey: Secret}, nil
		}),
	})
}

// Admin calls the admin API and decodes its JSON answer into out (when not nil).
func (s *Server) Admin(method, path string, body, out any) {
	s.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			s.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.URL+path, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if s.AdminToken != "" {
		req.Header.Set("Authorization", "Bearer "+s.AdminToken)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("admin %s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		s.t.Fatalf("admin %s %s: %s: %s", method, path, resp.Status, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			s.t.Fatalf("admin %s %s: decode %s: %v", method, path, raw, err)
		}
	}
}

// Register registers an account through the admin API; fields as POST /_orgd/accounts takes.
func (s *Server) Register(account map[string]any) {
	s.t.Helper()
	s.Admin(http.MethodPost, "/_orgd/accounts", account, nil)
}

// Advance moves the server's clock forward.
func (s *Server) Advance(d time.Duration) {
	s.t.Helper()
	s.Admin(http.MethodPost, "/_orgd/clock", map[string]string{"Advance": d.String()}, nil)
}

// RequireCode fails the test unless err is the AWS error code, with the Reason when reason
// is not empty, and carries as its message exactly the catalogue's text for the operation,
// code and Reason (model.Message): nothing appended, nothing of the request's values; or,
// for the authentication failures whose text AWS builds from the request, a text of one of
// AWS's forms (model.IsBuiltText).
func RequireCode(t testing.TB, err error, code, reason string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got success, want %s %s", code, reason)
	}
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("got %v, want API error %s", err, code)
	}
	if apiErr.ErrorCode() != code {
		t.Fatalf("got %s (%s), want %s", apiErr.ErrorCode(), apiErr.ErrorMessage(), code)
	}
	got := Reason(err)
	if reason != "" && got != reason {
		t.Fatalf("got %s Reason %q (%s), want Reason %q", code, got, apiErr.ErrorMessage(), reason)
	}
	var opErr *smithy.OperationError
	if !errors.As(err, &opErr) {
		t.Fatalf("%v names no operation", err)
	}
	want := model.Message(opErr.OperationName, code, got)
	if want == "" {
		t.Fatalf("the catalogue has no text for %s %s %s", opErr.OperationName, code, got)
	}
	if msg := apiErr.ErrorMessage(); msg != want && !model.IsBuiltText(code, msg) {
		t.Fatalf("%s answered %s %s with message %q, want the catalogue's %q", opErr.OperationName, code, got, msg, want)
	}
}

// Reason returns the Reason member of a modelled exception, or "" if it has none. The SDK
// gives each exception its own Reason type, so it is read by reflection.
func Reason(err error) string {
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		return ""
	}
	v := reflect.ValueOf(apiErr)
	for v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return ""
	}
	f := v.FieldByName("Reason")
	if !f.IsValid() || f.Kind() != reflect.String {
		return ""
	}
	return f.String()
}

// CreateOrganization makes account the management account of a new organization with all
// features and returns it.
func (s *Server) CreateOrganization(account string) *types.Organization {
	s.t.Helper()
	out, err := s.Client(account).CreateOrganization(context.Background(), &organizations.CreateOrganizationInput{})
	if err != nil {
		s.t.Fatalf("create organization as %s: %v", account, err)
	}
	return out.Organization
}

// Invite sends an invitation from mgmt's organization to the account member (by id).
func (s *Server) Invite(mgmt, member string) *types.Handshake {
	s.t.Helper()
	out, err := s.Client(mgmt).InviteAccountToOrganization(context.Background(), &organizations.InviteAccountToOrganizationInput{
		Target: &types.HandshakeParty{Type: types.HandshakePartyTypeAccount, Id: aws.String(member)},
	})
	if err != nil {
		s.t.Fatalf("invite %s as %s: %v", member, mgmt, err)
	}
	return out.Handshake
}

// Join invites member into mgmt's organization and accepts as member.
func (s *Server) Join(mgmt, member string) {
	s.t.Helper()
	h := s.Invite(mgmt, member)
	if _, err := s.Client(member).AcceptHandshake(context.Background(), &organizations.AcceptHandshakeInput{HandshakeId: h.Id}); err != nil {
		s.t.Fatalf("accept %s as %s: %v", aws.ToString(h.Id), member, err)
	}
}

// SyncBuffer is a bytes.Buffer a server's goroutines may write (its log) while a test reads
// it.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
