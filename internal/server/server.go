// Package server assembles orgd: the store, the domain service, the AWS API and the admin
// API behind one http.Handler. The command and the end-to-end tests both start it this way.
package server

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/orgd/orgd/internal/admin"
	"github.com/orgd/orgd/internal/awsjson"
	"github.com/orgd/orgd/internal/org"
	"github.com/orgd/orgd/internal/postgres"
	"github.com/orgd/orgd/internal/sigv4"
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
	// CredentialsFile maps access keys to accounts (see sigv4.LoadKeys); optional.
	CredentialsFile string
	// Org configures the domain: quotas, default account, clock.
	Org org.Config
	// WrapStore, when set, wraps the opened store: tests use it to change how the store
	// runs transactions.
	WrapStore func(org.Store) org.Store
	Logger    *slog.Logger
}

// Server is a running orgd without its listener.
type Server struct {
	Handler http.Handler
	Service *org.Service
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
		keys, err := sigv4.LoadKeys(cfg.CredentialsFile)
		if err != nil {
			return nil, err
		}
		resolver.Keys = keys
		roles, err := sigv4.LoadRoles(cfg.CredentialsFile)
		if err != nil {
			return nil, err
		}
		for _, r := range roles {
			cfg.Org.Roles = append(cfg.Org.Roles, org.RoleDeclaration{AccountID: r.AccountID, RoleName: r.RoleName,
				TrustedPrincipals: r.TrustedPrincipals, MaxSessionDuration: r.MaxSessionDuration})
		}
	}
	store, err := openStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	st := store
	if cfg.WrapStore != nil {
		st = cfg.WrapStore(st)
	}
	svc, err := org.New(ctx, st, cfg.Org)
	if err != nil {
		store.Close()
		return nil, err
	}
	resolver.Sessions = svc
	api := &awsjson.Handler{API: svc, Resolver: resolver, Logger: cfg.Logger}
	stsAPI := &sts.Handler{API: svc, Resolver: resolver, Logger: cfg.Logger}
	adm := admin.New(svc, cfg.Logger)
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasPrefix(r.URL.Path, "/_orgd/") || strings.HasPrefix(r.URL.Path, "/moto-api/"):
			adm.ServeHTTP(w, r)
		case isSTS(r):
			stsAPI.ServeHTTP(w, r)
		default:
			api.ServeHTTP(w, r)
		}
	})
	return &Server{Handler: handler, Service: svc, store: store, db: cfg.DB}, nil
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

// openStore opens the PostgreSQL database a postgres:// URL names, or else the SQLite one.
func openStore(ctx context.Context, cfg Config) (org.Store, error) {
	if postgres.IsURL(cfg.DB) {
		// The store's errors never repeat the URL, which may hold a password.
		return postgres.Open(ctx, cfg.DB, postgres.Options{})
	}
	store, err := sqlite.Open(ctx, cfg.DB, sqlite.Options{Synchronous: cfg.Sync, Exclusive: cfg.Exclusive})
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
