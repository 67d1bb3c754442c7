// Package server assembles orgd: the store, the domain service, the AWS API and the admin
// API behind one http.Handler. The command and the end-to-end tests both start it this way.
package server

import (
	"context"
	"crypto/subtle"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/orgd/orgd/internal/admin"
	"github.com/orgd/orgd/internal/awsjson"
	"github.com/orgd/orgd/internal/bootstrap"
	"github.com/orgd/orgd/internal/console"
	"github.com/orgd/orgd/internal/metrics"
	"github.com/orgd/orgd/internal/model"
	"github.com/orgd/orgd/internal/org"
	"github.com/orgd/orgd/internal/postgres"
	"github.com/orgd/orgd/internal/sigv4"
	"github.com/orgd/orgd/internal/snapshot"
	"github.com/orgd/orgd/internal/sqlite"
	"github.com/orgd/orgd/internal/sts"
)

// Config configures a Server.
type Config struct {
	// DB is a postgres:// (or postgresql://) URL, an SQLite file path, or "memory" for a
	// store that keeps nothing on disk.
	DB string
	// Sync is the durability of a file database: "FULL" (the default) or "NORMAL"; see
	// sqlite.Options.
	Sync string
	// Exclusive locks the database file for this server alone, which lets it keep the rows
	// most calls read in memory (see sqlite.Options); orgd serve sets it.
	Exclusive bool
	// CredentialsFile maps access keys to accounts and secrets (see sigv4.Load); with one,
	// every request's signature is verified. Optional: without one, orgd runs open (any
	// access key, no verification; see sigv4.Resolver).
	CredentialsFile string
	// AdminToken, when set, is the bearer token the admin API requires (see admin.Options).
	AdminToken string
	// InsecureOpen says the server listens beyond loopback without verifying callers: the
	// health check then warns.
	InsecureOpen bool
	// PublicHosts are the names, besides the address a request arrives on and loopback,
	// that its Host header may give: a name with a port matches that port only, a bare
	// name any port (see guard).
	PublicHosts []string
	// Org configures the domain: quotas, default account, clock.
	Org org.Config
	// WrapStore, when set, wraps the opened store: tests use it to change how the store
	// runs transactions.
	WrapStore func(org.Store) org.Store
	Logger    *slog.Logger
	// Bootstrap, when set, is the organization to build in an empty store at start, and
	// again after every reset (see bootstrapAtStart).
	Bootstrap *bootstrap.Spec
	// Metrics turns on orgd's metrics (Server.Metrics), which /metrics serves (to callers
	// with the admin token when one is set, as the admin API).
	Metrics bool
}

// Server is a running orgd without its listener.
type Server struct {
	Handler http.Handler
	Service *org.Service
	// Resolver identifies the callers of every protocol; Verified says whether it checks
	// signatures, and Keys holds the credentials file's keys.
	Resolver *sigv4.Resolver
	// Metrics is nil unless Config.Metrics: the mail deliverer reports through it.
	Metrics *metrics.Metrics
	store   org.Store
	db      string // Config.DB
}

// New opens the store and builds the handlers.
func New(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Org.DefaultAccountID == "" {
		cfg.Org.DefaultAccountID = org.DefaultAccountID
	}
	resolver := &sigv4.Resolver{DefaultAccount: cfg.Org.DefaultAccountID}
	if cfg.CredentialsFile != "" {
		creds, err := sigv4.Load(cfg.CredentialsFile)
		if err != nil {
			return nil, err
		}
		resolver.Keys = creds.Keys
		for _, r := range creds.Roles {
			// Load checked that the documents are objects or strings: Documents cannot fail.
			policies, boundary, _ := r.Documents()
			cfg.Org.Roles = append(cfg.Org.Roles, org.RoleDeclaration{AccountID: r.AccountID, RoleName: r.RoleName,
				TrustedPrincipals: r.TrustedPrincipals, MaxSessionDuration: r.MaxSessionDuration,
				Policies: policies, PermissionsBoundary: boundary, Tags: r.Tags})
		}
		for _, k := range creds.Keys {
			if k.UserName == "" {
				continue
			}
			policies, boundary, _ := k.Documents()
			cfg.Org.Users = append(cfg.Org.Users, org.UserDeclaration{AccessKeyID: k.AccessKeyID, AccountID: k.AccountID,
				UserName: k.UserName, Policies: policies, PermissionsBoundary: boundary, Tags: k.Tags})
		}
	}
	var m *metrics.Metrics
	var store org.Store // set before the handler can serve a scrape
	if cfg.Metrics {
		m = metrics.New(metrics.Options{Logger: cfg.Logger, OpenHandshakes: func(ctx context.Context) (int, error) {
			return openHandshakes(ctx, store)
		}})
	}
	store, err := openStore(ctx, cfg, m)
	if err != nil {
		return nil, err
	}
	st := store
	if cfg.WrapStore != nil {
		st = cfg.WrapStore(st)
	}
	if m != nil {
		st = m.WrapStore(st)
	}
	svc, err := org.New(ctx, st, cfg.Org)
	if err != nil {
		store.Close()
		return nil, err
	}
	var bootstrapped *snapshot.Document
	if cfg.Bootstrap != nil {
		if bootstrapped, err = bootstrapAtStart(ctx, svc, st, cfg.Bootstrap, cfg.Logger); err != nil {
			store.Close()
			return nil, err
		}
	}
	// Temporary credentials (STS) live in the store, where the domain service finds them.
	resolver.Sessions = svc
	api := &awsjson.Handler{API: svc, Resolver: resolver, Logger: cfg.Logger}
	stsAPI := &sts.Handler{API: svc, Resolver: resolver, Logger: cfg.Logger}
	// The console's forms are form-encoded POSTs, as STS's requests are: its paths route first.
	conOpts := console.Options{Clock: cfg.Mode() != ModeVerified && cfg.AdminToken == "", Logger: cfg.Logger}
	admOpts := admin.Options{Token: cfg.AdminToken, Mode: cfg.Mode(), Warnings: cfg.Warnings(), Ready: store.(readier).Ready, Store: st,
		Bootstrap: cfg.Bootstrap, Bootstrapped: bootstrapped}
	var metricsHandler http.Handler = http.NotFoundHandler()
	if m != nil {
		api.Observe, stsAPI.Observe, admOpts.Observe = m.Recorder("awsjson"), m.Recorder("sts"), m.Recorder("admin")
		conOpts.Observe = m.Recorder("console")
		metricsHandler = metricsGuard(m.Handler(), cfg.AdminToken)
	}
	con := console.New(svc, resolver, conOpts)
	adm := admin.New(svc, cfg.Logger, admOpts)
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/console" || strings.HasPrefix(r.URL.Path, "/console/"):
			con.ServeHTTP(w, r)
		case r.URL.Path == "/metrics":
			metricsHandler.ServeHTTP(w, r)
		case strings.HasPrefix(r.URL.Path, "/_orgd/") || strings.HasPrefix(r.URL.Path, "/moto-api/"):
			adm.ServeHTTP(w, r)
		case isSTS(r):
			stsAPI.ServeHTTP(w, r)
		default:
			api.ServeHTTP(w, r)
		}
	})
	return &Server{Handler: newGuard(handler, cfg.PublicHosts, cfg.Logger), Service: svc, Resolver: resolver, Metrics: m,
		store: store, db: cfg.DB}, nil
}

// readier is what both stores offer the readiness check (see sqlite.Store.Ready).
type readier interface {
	Ready(ctx context.Context) error
}

var (
	_ readier = (*sqlite.Store)(nil)
	_ readier = (*postgres.Store)(nil)
)

// metricsGuard serves /metrics to GET and HEAD, and when the admin API has a token (always
// off loopback), only with it: the metrics name no secret, but they show the API's traffic
// and error codes, which the admin API's rule keeps to its operators. Prometheus sends the
// token with its authorization setting.
func metricsGuard(h http.Handler, token string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "/metrics takes GET", http.StatusMethodNotAllowed)
			return
		}
		if token != "" {
			got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
				w.Header().Set("WWW-Authenticate", `Bearer realm="orgd"`)
				http.Error(w, "/metrics needs the admin token (Authorization: Bearer TOKEN)", http.StatusUnauthorized)
				return
			}
		}
		h.ServeHTTP(w, r)
	})
}

// openHandshakes counts the handshakes stored OPEN or REQUESTED in every organization, for
// the metrics' gauge: one COUNT query per scrape.
func openHandshakes(ctx context.Context, store org.Store) (int, error) {
	var n int
	err := store.View(ctx, func(tx org.Tx) error {
		var err error
		n, err = tx.CountHandshakes(ctx, org.HandshakeQuery{States: []string{model.HandshakeStateOpen, model.HandshakeStateRequested}})
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("count open handshakes: %w", err)
	}
	return n, nil
}

// The modes of a server, as the health check reports them.
const (
	ModeOpen         = "open"          // on loopback; any access key acts as its account
	ModeVerified     = "verified"      // every request's signature is checked
	ModeInsecureOpen = "insecure-open" // beyond loopback, and yet any access key works
)

// InsecureOpenWarning is the warning of a server in ModeInsecureOpen.
const InsecureOpenWarning = "orgd listens beyond loopback without verifying signatures (--insecure-open): anyone who reaches it can act as any account"

// Mode is how the server authenticates callers.
func (c *Config) Mode() string {
	switch {
	case c.CredentialsFile != "":
		return ModeVerified
	case c.InsecureOpen:
		return ModeInsecureOpen
	}
	return ModeOpen
}

// Warnings are the warnings the mode calls for.
func (c *Config) Warnings() []string {
	if c.Mode() == ModeInsecureOpen {
		return []string{InsecureOpenWarning}
	}
	return nil
}

// isSTS reports whether a request is for STS's query protocol rather than Organizations'
// awsJson: no X-Amz-Target, and a form body, an Action in the query, or a signature scoped
// to the sts service.
func isSTS(r *http.Request) bool {
	if r.Header.Get("X-Amz-Target") != "" {
		return false
	}
	if mt, _, _ := strings.Cut(r.Header.Get("Content-Type"), ";"); strings.EqualFold(strings.TrimSpace(mt), "application/x-www-form-urlencoded") {
		return true
	}
	if r.URL.Query().Has("Action") {
		return true
	}
	return strings.Contains(r.Header.Get("Authorization"), "/sts/aws4_request")
}

// OpenStore opens the store orgd serve would open for db (an SQLite file, or a postgres://
// URL), migrated, without serving it: orgd import --db writes a snapshot into it. An SQLite
// file is locked for this process alone, so a server running on it makes this fail.
func OpenStore(ctx context.Context, db string) (org.Store, error) {
	return openStore(ctx, Config{DB: db, Sync: "full", Exclusive: true}, nil)
}

// openStore opens the PostgreSQL database a postgres:// URL names, or else the SQLite one,
// reporting retries and group commits to m when it is not nil.
func openStore(ctx context.Context, cfg Config, m *metrics.Metrics) (org.Store, error) {
	if postgres.IsURL(cfg.DB) {
		opts := postgres.Options{}
		if m != nil {
			opts.OnRetry = m.Retry
		}
		// The store's errors never repeat the URL, which may hold a password.
		return postgres.Open(ctx, cfg.DB, opts)
	}
	opts := sqlite.Options{Synchronous: cfg.Sync, Exclusive: cfg.Exclusive}
	if m != nil {
		opts.OnBatch = m.Batch
	}
	store, err := sqlite.Open(ctx, cfg.DB, opts)
	if err != nil {
		return nil, fmt.Errorf("server: open store %s: %w", cfg.DB, err)
	}
	return store, nil
}

// Synchronous returns the synchronous setting of an SQLite database file as SQLite reports
// it (see sqlite.Store.Synchronous), or "" for a store that has none to report: in memory,
// or PostgreSQL.
func (s *Server) Synchronous(ctx context.Context) (string, error) {
	file, ok := s.store.(*sqlite.Store)
	if !ok || s.db == sqlite.Memory {
		return "", nil
	}
	return file.Synchronous(ctx)
}

// Close closes the store.
func (s *Server) Close() error { return s.store.Close() }
