package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/orgd/orgd/internal/mail"
	"github.com/orgd/orgd/internal/model"
	"github.com/orgd/orgd/internal/org"
	"github.com/orgd/orgd/internal/server"
)

// DefaultListen is where orgd serves unless told otherwise.
const DefaultListen = "127.0.0.1:9323"

// Main is the program: Run executes one subcommand; for serve it blocks until ctx is done and
// then shuts the server down. Tests run it in-process.
type Main struct {
	Stdout, Stderr io.Writer
	// Stdin is where reset reads its confirmation, when StdinTerminal says a person may be
	// there to give it.
	Stdin         io.Reader
	StdinTerminal bool
	// Listening, when set, is called with the address once the server accepts connections.
	Listening func(addr string)
	srv       *server.Server
}

// NewMain returns a Main writing to the process's standard streams.
func NewMain() *Main {
	return &Main{Stdout: os.Stdout, Stderr: os.Stderr, Stdin: os.Stdin,
		StdinTerminal: terminal(os.Stdin)}
}

const usage = `usage: orgd <command> [flags]

commands:
  serve      start the server
  accounts   list accounts (every page, or --after TOKEN for one), "accounts add" to register
             one, "accounts get ID" to show one, "accounts remove ID" to forget a standalone one
  roles      list roles, or "roles add" to declare one that STS's AssumeRole can assume
  outbox     list the e-mails orgd would have sent (every page, or --after TOKEN for one)
  reset      wipe all state, back to the bootstrap organization when serve has --bootstrap
             (asks first on a terminal; --yes does not)
  export     write the whole state as a snapshot (JSON) to stdout or --out FILE
  import     restore a snapshot FILE into an empty store (the server's, or --db's)
  bootstrap  build the organization of a bootstrap file (YAML or JSON) in an empty store
  mirror     copy a real organization (read-only calls, paced) into an empty orgd, --db or --out FILE
  clock      show the server's clock, or move it with --advance
  simulate   ask the policy simulator whether a principal may call actions, and why
  impact     show what a proposed SCP change would deny or allow, to which accounts
  health     ask a running orgd whether it is alive (a container's health check)
  version    print orgd's version (also: orgd --version)

"orgd <command> -h" shows a command's flags. The client commands reach orgd at --endpoint
(HOST:PORT or a URL; env ORGD_ENDPOINT; default http://127.0.0.1:9323).`

// Run runs the subcommand named by args[0]. A command's -h is a success.
func (m *Main) Run(ctx context.Context, args []string) error {
	if err := m.run(ctx, args); !errors.Is(err, flag.ErrHelp) {
		return err
	}
	return nil
}

func (m *Main) run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return errors.New(usage)
	}
	switch args[0] {
	case "serve":
		return m.serve(ctx, args[1:])
	case "accounts":
		return m.accounts(ctx, args[1:])
	case "roles":
		return m.roles(ctx, args[1:])
	case "outbox":
		return m.list(ctx, "outbox", args[1:], "/_orgd/outbox", "Messages")
	case "reset":
		return m.reset(ctx, args[1:])
	case "bootstrap":
		return m.bootstrap(ctx, args[1:])
	case "clock":
		return m.clock(ctx, args[1:])
	case "export":
		return m.export(ctx, args[1:])
	case "import":
		return m.importSnapshot(ctx, args[1:])
	case "mirror":
		return m.mirror(ctx, args[1:])
	case "simulate":
		return m.simulate(ctx, args[1:])
	case "impact":
		return m.impact(ctx, args[1:])
	case "health":
		return m.health(ctx, args[1:])
	case "version", "-version", "--version":
		fmt.Fprintln(m.Stdout, "orgd", Version())
		return nil
	case "-h", "-help", "--help", "help":
		fmt.Fprintln(m.Stdout, usage)
		return nil
	}
	return fmt.Errorf("unknown command %q\n%s", args[0], usage)
}

// Close releases what Run opened.
func (m *Main) Close() error {
	if m.srv != nil {
		return m.srv.Close()
	}
	return nil
}

func defaultDataDir() string {
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "orgd")
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".local", "share", "orgd")
	}
	return "orgd-data"
}

func (m *Main) serve(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	q := org.DefaultQuotas()
	listen := fs.String("listen", DefaultListen, "address to listen on, HOST:PORT")
	dataDir := fs.String("data-dir", defaultDataDir(), "directory of the default SQLite database")
	db := fs.String("db", "", `SQLite database file, "memory" to keep nothing on disk, or a postgres:// URL shared by replicas (default DATA-DIR/orgd.db)`)
	syncMode := fs.String("sync", "full", "durability of an SQLite database file: full (an acknowledged write survives a power loss) or normal (it survives a crash of orgd; the last writes may be lost on power loss)")
	creds := fs.String("credentials", "", `JSON file of access keys, their secrets and accounts: {"Credentials": [{"AccessKeyId", "SecretAccessKey", "AccountId", "UserName"}]}; with it every request's signature is verified, without it any key is accepted unverified`)
	insecureOpen := fs.Bool("insecure-open", false, "serve on a non-loopback address without --credentials: anyone who reaches orgd can act as any account")
	adminToken := fs.String("admin-token", "", "bearer token the admin API (and /metrics) requires; off loopback, without one, orgd generates one into DIR/admin-token beside the database")
	var publicHosts hostList
	fs.Var(&publicHosts, "public-host", "a name clients reach orgd by, which requests' Host header may give (repeat, or separate by commas); NAME:PORT for one port only")
	maxConns := fs.Int("max-connections", 1024, "connections served at once; more wait until one closes")
	defAccount := fs.String("default-account", org.DefaultAccountID, "account of callers whose access key names none")
	fs.IntVar(&q.MaxAccounts, "max-accounts", q.MaxAccounts, "quota: accounts per organization, open invitations included")
	fs.IntVar(&q.InvitationsPerDay, "invitations-per-day", q.InvitationsPerDay, "quota: invitations per organization in 24 hours (AWS allows max of this and max-accounts)")
	fs.IntVar(&q.MaxOUs, "max-ous", q.MaxOUs, "quota: organizational units per organization")
	fs.IntVar(&q.MaxInboundTransfers, "max-inbound-transfers", q.MaxInboundTransfers, "quota: responsibility transfers an organization may take over (AWS's default is 0)")
	createDelay := fs.Duration("create-account-delay", 0, "how long CreateAccount requests stay IN_PROGRESS on the server's clock (0: done at once)")
	closeDelay := fs.Duration("close-account-delay", 0, "how long closed accounts stay PENDING_CLOSURE on the server's clock (0: SUSPENDED at once)")
	featureLabel := fs.String("all-features-label", "FULL", "ORGANIZATION_FEATURE_SET value of invitations from all-features organizations (FULL or ALL)")
	logLevel := fs.String("log-level", "info", "info (one line per request, admin calls included), debug (and the HTTP server's own messages), warn (only what an operator should act on) or error")
	logFormat := fs.String("log-format", "text", "text (key=value lines) or json (one JSON object a line)")
	smtpURL := fs.String("smtp", "", "deliver the outbox's e-mail through this SMTP server: smtp://[user:pass@]host:port (STARTTLS when offered) or smtps://... (TLS); credentials only over TLS or to loopback")
	publicURL := fs.String("public-url", "", "base URL of the console links in e-mails (default http://LISTEN)")
	mailFrom := fs.String("mail-from", mail.DefaultFrom, "sender address of the e-mails orgd delivers")
	compatName := fs.String("compat", "", "compatibility profile: moto (for suites written against moto: CreateAccount done in the call, no account/OU/invitation quotas or waits, lists in creation order); default AWS's behaviour")
	bootstrapFile := fs.String("bootstrap", "", "YAML or JSON file of the organization to build when the store is empty, and again after every reset (see examples/landing-zone.yaml)")
	if err := m.parseServeFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("serve takes no arguments, only flags: %q", fs.Args())
	}
	spec, err := loadBootstrap(*bootstrapFile)
	if err != nil {
		return err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	// Refuse values the domain would take literally and misbehave on: a zero quota blocks
	// every invitation, a default account that is no 12-digit id cannot own an
	// organization, and the feature-set label must be one of the two AWS's samples show.
	if q.MaxAccounts < 1 {
		return fmt.Errorf("--max-accounts must be at least 1 (the management account), not %d", q.MaxAccounts)
	}
	if q.InvitationsPerDay < 0 {
		return fmt.Errorf("--invitations-per-day must not be negative, not %d", q.InvitationsPerDay)
	}
	if q.MaxOUs < 0 || q.MaxInboundTransfers < 0 {
		return fmt.Errorf("--max-ous and --max-inbound-transfers must not be negative")
	}
	if *createDelay < 0 || *closeDelay < 0 {
		return fmt.Errorf("--create-account-delay and --close-account-delay must not be negative")
	}
	if !model.IsAccountID(*defAccount) {
		return fmt.Errorf("--default-account must be a 12-digit account id, not %q", *defAccount)
	}
	if *featureLabel != "FULL" && *featureLabel != "ALL" {
		return fmt.Errorf("--all-features-label must be FULL or ALL, not %q", *featureLabel)
	}
	compat, err := org.ParseCompat(*compatName)
	if err != nil {
		return fmt.Errorf("--compat (or %s): %w", envName("compat"), err)
	}
	if compat == org.CompatMoto && *createDelay > 0 {
		return fmt.Errorf("--compat moto creates accounts inside the CreateAccount call: it takes no --create-account-delay")
	}
	if *maxConns < 1 {
		return fmt.Errorf("--max-connections must be at least 1, not %d", *maxConns)
	}
	// Secure by default: open mode lets any access key act as any account, which only the
	// machine's own users may be trusted with.
	loopback, listenName := loopbackAddr(*listen)
	if !loopback && *creds == "" && !*insecureOpen {
		return fmt.Errorf("--listen %s is not a loopback address, and without verified signatures anyone who reaches orgd could act as any account: "+
			"give --credentials FILE (or ORGD_CREDENTIALS) to verify them, or --insecure-open to serve open anyway", *listen)
	}
	if listenName != "" {
		publicHosts = append(publicHosts, listenName)
	}
	base, err := consoleBase(*publicURL, *listen)
	if err != nil {
		return err
	}
	var logger *slog.Logger
	switch *logFormat {
	case "text":
		logger = slog.New(slog.NewTextHandler(m.Stderr, &slog.HandlerOptions{Level: level}))
	case "json":
		logger = slog.New(slog.NewJSONHandler(m.Stderr, &slog.HandlerOptions{Level: level}))
	default:
		return fmt.Errorf("--log-format must be text or json, not %q", *logFormat)
	}
	if *db == "" {
		if err := os.MkdirAll(*dataDir, 0o755); err != nil {
			return fmt.Errorf("create data directory: %w", err)
		}
		*db = filepath.Join(*dataDir, "orgd.db")
	}
	cfg := server.Config{
		DB:              *db,
		Sync:            *syncMode,
		Exclusive:       true,
		CredentialsFile: *creds,
		InsecureOpen:    !loopback && *insecureOpen,
		AdminToken:      *adminToken,
		PublicHosts:     publicHosts,
		Logger:          logger,
		Metrics:         true,
		Bootstrap:       spec,
		Org: org.Config{Quotas: q, DefaultAccountID: *defAccount, AllFeaturesLabel: *featureLabel,
			CreateAccountDelay: *createDelay, CloseAccountDelay: *closeDelay, Compat: compat, PublicURL: base},
	}
	// Off loopback the admin API, which can rewrite any state, always needs a token: one
	// made now unless given, in a file only this user can read, where the client commands
	// look for it. The file is written once the store has opened (and locked its file), so
	// a start refused because another orgd serves the database leaves that one's token.
	tokenFile := ""
	if !loopback && cfg.AdminToken == "" {
		tokenFile = filepath.Join(tokenDir(*db, *dataDir), adminTokenFile)
		if cfg.AdminToken, err = newAdminToken(); err != nil {
			return err
		}
	}
	srv, err := server.New(ctx, cfg)
	if err != nil {
		return err
	}
	m.srv = srv
	var deliverer *mail.Deliverer
	if *smtpURL != "" {
		if deliverer, err = mail.New(srv.Service, mail.Options{Server: *smtpURL, From: *mailFrom, Log: logger, OnDelivery: srv.Metrics.SMTPDelivery}); err != nil {
			return fmt.Errorf("--smtp: %w", err)
		}
	}
	if tokenFile != "" {
		if err := writeAdminToken(tokenFile, cfg.AdminToken); err != nil {
			return err
		}
	}
	if compat != "" {
		logger.Info("compatibility profile on", "compat", string(compat), "changes", compat.Changes())
	}
	attrs := []any{"db", redacted(*db), "mode", cfg.Mode()}
	if tokenFile != "" {
		attrs = append(attrs, "admin_token_file", tokenFile)
	}
	// The durability the database file actually runs with, as SQLite reports it.
	mode, err := srv.Synchronous(ctx)
	if err != nil {
		return err
	}
	if mode != "" {
		attrs = append(attrs, "sync", mode)
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	// Every phase of a connection has a deadline, so a client that stalls (or trickles a
	// byte at a time) loses its connection instead of holding it, and the cap bounds how
	// many it can hold meanwhile. Requests are small (the API reads at most a few MB) and
	// answered in milliseconds: the bounds leave room for a slow network, not for waiting.
	hs := &http.Server{
		Handler:           srv.Handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelDebug),
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(server.LimitListener(ln, *maxConns)) }()
	switch cfg.Mode() {
	case server.ModeVerified:
		logger.Info("orgd verifies every request's SigV4 signature", "keys", len(srv.Resolver.Keys))
	case server.ModeOpen:
		logger.Info("orgd serves open on loopback: any access key acts as its account, signatures are not verified")
	case server.ModeInsecureOpen:
		logger.Warn(server.InsecureOpenWarning)
	}
	mailDone := make(chan struct{})
	mailCtx, stopMail := context.WithCancel(ctx)
	defer func() { stopMail(); <-mailDone }()
	if deliverer != nil {
		go func() { defer close(mailDone); _ = deliverer.Run(mailCtx) }()
		logger.Info("orgd delivers its e-mail over SMTP", "server", redacted(*smtpURL), "from", *mailFrom)
	} else {
		close(mailDone)
	}
	logger.Info("orgd serving", append([]any{"addr", ln.Addr().String()}, attrs...)...)
	if m.Listening != nil {
		m.Listening(ln.Addr().String())
	}
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	logger.Info("orgd shutting down")
	// Requests in flight get a moment to finish; a client that holds its connection past
	// it is cut off, so shutdown never waits on a stalled one.
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := hs.Shutdown(shutdownCtx); err != nil {
		logger.Warn("connections still open at the shutdown deadline: closing them", "err", err)
		if err := hs.Close(); err != nil {
			return fmt.Errorf("shutdown: %w", err)
		}
	}
	return nil
}

// consoleBase is the base of the console links in e-mails: --public-url, or the listen
// address. A listen address on port 0 names no port a reader could open, so without
// --public-url its e-mails carry no link.
func consoleBase(publicURL, listen string) (string, error) {
	if publicURL == "" {
		host, port, err := net.SplitHostPort(listen)
		if err != nil || port == "0" {
			return "", nil
		}
		if host == "" {
			host = "localhost"
		}
		return "http://" + net.JoinHostPort(host, port), nil
	}
	u, err := url.Parse(publicURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", fmt.Errorf("--public-url must be an http:// or https:// URL without query or credentials, not %q", publicURL)
	}
	return strings.TrimSuffix(u.String(), "/"), nil
}

// shutdownGrace is how long shutdown waits for requests in flight.
const shutdownGrace = 5 * time.Second

// loopbackAddr reports whether a --listen address is on loopback only: 127.0.0.0/8, ::1 or
// localhost. An empty host (all interfaces) is not, nor is a name, which orgd does not
// resolve: what it resolves to may change. name is the host when it is a name, which
// requests' Host header may then give.
func loopbackAddr(listen string) (loopback bool, name string) {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return false, ""
	}
	if ip := net.ParseIP(host); ip != nil {
		return ip.IsLoopback(), ""
	}
	if host == "" {
		return false, ""
	}
	return strings.EqualFold(host, "localhost"), host
}

// hostList is a flag that collects names, repeated or separated by commas.
type hostList []string

func (l *hostList) String() string { return strings.Join(*l, ",") }

func (l *hostList) Set(v string) error {
	for _, h := range strings.Split(v, ",") {
		if h = strings.TrimSpace(h); h != "" {
			*l = append(*l, h)
		}
	}
	return nil
}

// clientFlags are the flags of the commands that call the admin API.
type clientFlags struct {
	endpoint, token, dataDir *string
}

// addClientFlags adds --endpoint, --admin-token and --data-dir to a client command's flags.
func addClientFlags(fs *flag.FlagSet) clientFlags {
	def := os.Getenv("ORGD_ENDPOINT")
	if def == "" {
		def = "http://" + DefaultListen
	}
	return clientFlags{
		endpoint: fs.String("endpoint", def, "orgd's URL, or HOST:PORT for http://HOST:PORT (env ORGD_ENDPOINT)"),
		token:    fs.String("admin-token", os.Getenv("ORGD_ADMIN_TOKEN"), "the admin API's bearer token (env ORGD_ADMIN_TOKEN; default: the one orgd serve wrote into DATA-DIR/"+adminTokenFile+")"),
		dataDir:  fs.String("data-dir", defaultDataDir(), "the data directory of orgd serve, where it writes a generated admin token"),
	}
}

func (m *Main) accounts(ctx context.Context, args []string) error {
	if len(args) > 0 {
		switch args[0] {
		case "get":
			return m.account(ctx, "accounts get ID", args[1:], http.MethodGet)
		case "remove":
			return m.account(ctx, "accounts remove ID", args[1:], http.MethodDelete)
		}
	}
	if len(args) == 0 || args[0] != "add" {
		return m.list(ctx, "accounts", args, "/_orgd/accounts", "Accounts")
	}
	fs := flag.NewFlagSet("accounts add", flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	cf := addClientFlags(fs)
	id := fs.String("id", "", "12-digit account id (required)")
	email := fs.String("email", "", "the account owner's e-mail address")
	name := fs.String("name", "", "account name")
	seller := fs.String("seller", "", "seller of record: AWS or AISPL")
	noPayment := fs.Bool("no-payment-instrument", false, "the account has no payment method")
	unverified := fs.Bool("unverified-email", false, "the owner has not verified the e-mail address")
	if err := m.parseFlagsOnly(fs, args[1:]); err != nil {
		return err
	}
	body := map[string]any{"Id": *id, "Email": *email, "Name": *name, "SellerOfRecord": *seller}
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "no-payment-instrument":
			body["PaymentInstrument"] = !*noPayment
		case "unverified-email":
			body["EmailVerified"] = !*unverified
		}
	})
	return m.request(ctx, cf, http.MethodPost, "/_orgd/accounts", body)
}

func (m *Main) roles(ctx context.Context, args []string) error {
	add := len(args) > 0 && args[0] == "add"
	name := "roles"
	if add {
		name, args = "roles add", args[1:]
	}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	cf := addClientFlags(fs)
	account := fs.String("account", "", "12-digit account id of the role (required to add; filters the list)")
	var role, trust, boundary *string
	var maxSession *int
	var policies, tags repeated
	if add {
		role = fs.String("name", "", "role name (required)")
		trust = fs.String("trust", "", "comma-separated principals the role trusts: account ids, arn:aws:iam::ID:root, user or role ARNs (required)")
		maxSession = fs.Int("max-session-duration", 0, "longest session in seconds, 3600 to 43200 (default 3600)")
		fs.Var(&policies, "policy", "file of an identity policy of the role (repeatable; without any, the role administers its account)")
		boundary = fs.String("boundary", "", "file of the role's permissions boundary")
		fs.Var(&tags, "tag", "principal tag KEY=VALUE (repeatable)")
	}
	if err := m.parseFlagsOnly(fs, args); err != nil {
		return err
	}
	if !add {
		return m.request(ctx, cf, http.MethodGet, "/_orgd/roles?account="+url.QueryEscape(*account), nil)
	}
	trusted := []string{}
	for p := range strings.SplitSeq(*trust, ",") {
		if p = strings.TrimSpace(p); p != "" {
			trusted = append(trusted, p)
		}
	}
	body := map[string]any{"AccountId": *account, "RoleName": *role, "TrustedPrincipals": trusted, "MaxSessionDuration": *maxSession}
	// Each document is sent as the string it is: the server parses it and names the one at
	// fault.
	var docs []string
	for _, f := range policies {
		b, err := os.ReadFile(f)
		if err != nil {
			return fmt.Errorf("roles add: --policy: %w", err)
		}
		docs = append(docs, string(b))
	}
	if len(docs) > 0 {
		body["Policies"] = docs
	}
	if *boundary != "" {
		b, err := os.ReadFile(*boundary)
		if err != nil {
			return fmt.Errorf("roles add: --boundary: %w", err)
		}
		body["PermissionsBoundary"] = string(b)
	}
	if len(tags) > 0 {
		tagMap := map[string]string{}
		for _, kv := range tags {
			k, v, ok := strings.Cut(kv, "=")
			if !ok || k == "" {
				return fmt.Errorf("roles add: --tag %q: want KEY=VALUE", kv)
			}
			tagMap[k] = v
		}
		body["Tags"] = tagMap
	}
	return m.request(ctx, cf, http.MethodPost, "/_orgd/roles", body)
}

// repeated is a flag that may be given several times.
type repeated []string

func (r *repeated) String() string     { return strings.Join(*r, ",") }
func (r *repeated) Set(v string) error { *r = append(*r, v); return nil }

func (m *Main) clock(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("clock", flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	cf := addClientFlags(fs)
	advance := fs.String("advance", "", "move the clock forward by this Go duration, e.g. 384h")
	if err := m.parseFlagsOnly(fs, args); err != nil {
		return err
	}
	if *advance == "" {
		return m.request(ctx, cf, http.MethodGet, "/_orgd/clock", nil)
	}
	return m.request(ctx, cf, http.MethodPost, "/_orgd/clock", map[string]string{"Advance": *advance})
}

// request calls the admin API and prints its JSON answer, indented.
func (m *Main) request(ctx context.Context, cf clientFlags, method, path string, body any) error {
	raw, err := m.send(ctx, cf, method, path, body)
	if err != nil {
		return err
	}
	fmt.Fprintln(m.Stdout, indented(raw))
	return nil
}

// send calls the admin API and returns its answer; any status but 200 is an error that
// shows the answer.
func (m *Main) send(ctx context.Context, cf clientFlags, method, path string, body any) ([]byte, error) {
	endpoint, err := endpointURL(*cf.endpoint)
	if err != nil {
		return nil, err
	}
	token := *cf.token
	if token == "" {
		if token, err = readAdminToken(*cf.dataDir); err != nil {
			return nil, err
		}
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, endpoint+path, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, callError(endpoint, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("read answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, indented(raw))
	}
	return raw, nil
}

// indented is a JSON answer indented, or as it came when it is not JSON.
func indented(raw []byte) string {
	var out bytes.Buffer
	if json.Indent(&out, raw, "", "  ") != nil {
		return strings.TrimSpace(string(raw))
	}
	return strings.TrimSpace(out.String())
}

// redacted is the database as a log may show it: a URL's password is masked.
func redacted(db string) string {
	if u, err := url.Parse(db); err == nil && u.User != nil {
		return u.Redacted()
	}
	return db
}
