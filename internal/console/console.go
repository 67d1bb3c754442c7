// Package console is orgd's web console: server-rendered pages (html/template, embedded CSS,
// no JavaScript) through which a person signs in as an account and sees and does what the
// API lets that account see and do. Every page acts through org.Service with the signed-in
// account as the caller, so the domain's authorization is the console's.
//
// Security: the session is a random id in an HttpOnly, SameSite=Strict cookie scoped to
// /console (Secure over TLS) and kept in this process's memory; every POST carries the
// session's CSRF token, checked in constant time, and a POST whose Origin or Referer names
// another origin is refused; GET never changes state.
package console

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/orgd/orgd/internal/iam"
	"github.com/orgd/orgd/internal/metrics"
	"github.com/orgd/orgd/internal/model"
	"github.com/orgd/orgd/internal/org"
	"github.com/orgd/orgd/internal/sigv4"
)

//go:embed templates static
var files embed.FS

// Authenticator checks the credentials typed into the sign-in form: *sigv4.Resolver, whose
// keys and temporary credentials are those the API verifies.
type Authenticator interface {
	// Verified reports whether the server checks credentials; without, the sign-in page is
	// a chooser of accounts.
	Verified() bool
	// Authenticate returns the identity of an access key whose secret (and session token)
	// match, and the expiry of temporary credentials on the server's clock; a wrong key or
	// secret is a *sigv4.Failure.
	Authenticate(ctx context.Context, accessKeyID, secretAccessKey, sessionToken string) (sigv4.Identity, time.Time, error)
}

// Options configures a Handler.
type Options struct {
	// Clock shows the admin's clock page (see it, move it forward): orgd sets it in open
	// mode without an admin token, where the admin API would let anyone move it too.
	Clock  bool
	Logger *slog.Logger
	// SessionTTL is how long a sign-in lasts; 0 means DefaultSessionTTL.
	SessionTTL time.Duration
	// Observe, when set, hears of every answered request: its route ("GET
	// /console/accounts/{id}"), the API's error code when an operation failed ("" otherwise),
	// status and duration. orgd's metrics count them, as they count the APIs' requests.
	Observe func(op, code string, status int, d time.Duration)
}

// DefaultSessionTTL is how long a console session lasts unless temporary credentials
// expire sooner.
const DefaultSessionTTL = 8 * time.Hour

// Cookie names. The sign-in cookie carries the sign-in form's CSRF token before there is a
// session (a page of another site could otherwise sign a browser in as its own account).
const (
	sessionCookie = "orgd_console"
	signinCookie  = "orgd_console_signin"
	csrfField     = "csrf"
)

// Handler serves /console/.
type Handler struct {
	svc    *org.Service
	auth   Authenticator
	opts   Options
	mux    *http.ServeMux
	pages  map[string]*template.Template
	static http.Handler

	mu       sync.Mutex
	sessions map[string]*session
}

// session is one signed-in browser. Its fields never change after sign-in but flash, which
// mu guards.
type session struct {
	id      string
	caller  org.Caller
	csrf    string
	expires time.Time
	flash   flash
}

// flash is the outcome of the last POST, shown once by the page it redirected to.
type flash struct {
	Message string
	Error   bool
}

// New returns the console over svc, signing in with auth.
func New(svc *org.Service, auth Authenticator, opts Options) *Handler {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.SessionTTL == 0 {
		opts.SessionTTL = DefaultSessionTTL
	}
	h := &Handler{svc: svc, auth: auth, opts: opts, mux: http.NewServeMux(), pages: map[string]*template.Template{},
		sessions: map[string]*session{}}
	static, _ := fs.Sub(files, "static")
	h.static = http.StripPrefix("/console/static/", http.FileServerFS(static))
	for _, name := range []string{"signin", "tree", "account", "policies", "policy", "handshakes", "handshake", "outbox", "clock", "error"} {
		h.pages[name] = template.Must(template.New("layout.html").Funcs(funcs).ParseFS(files, "templates/layout.html", "templates/hs.html", "templates/"+name+".html"))
	}
	h.routes()
	return h
}

func (h *Handler) routes() {
	m := h.mux
	m.Handle("GET /console/static/", h.static)
	m.HandleFunc("GET /console/signin", h.signinPage)
	m.HandleFunc("POST /console/signin", h.signin)
	m.HandleFunc("POST /console/signout", h.signed(h.signout))
	m.HandleFunc("GET /console/{$}", h.signed(h.tree))
	m.HandleFunc("POST /console/ous", h.signed(h.createOU))
	m.HandleFunc("POST /console/ous/rename", h.signed(h.renameOU))
	m.HandleFunc("POST /console/accounts/move", h.signed(h.moveAccount))
	m.HandleFunc("GET /console/accounts/{id}", h.signed(h.account))
	m.HandleFunc("GET /console/policies", h.signed(h.policies))
	m.HandleFunc("GET /console/policies/{id}", h.signed(h.policy))
	m.HandleFunc("GET /console/handshakes", h.signed(h.handshakes))
	m.HandleFunc("GET /console/handshakes/{id}", h.signed(h.handshake))
	m.HandleFunc("POST /console/handshakes/{id}/{action}", h.signed(h.handshakeAction))
	m.HandleFunc("GET /console/outbox", h.signed(h.outbox))
	if h.opts.Clock {
		m.HandleFunc("GET /console/clock", h.signed(h.clock))
		m.HandleFunc("POST /console/clock", h.signed(h.advanceClock))
	}
	m.HandleFunc("/console", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/console/", http.StatusSeeOther)
	})
	m.HandleFunc("/console/", func(w http.ResponseWriter, r *http.Request) {
		h.render(w, r, http.StatusNotFound, "error", nil, view{Title: "Not found", Flash: flash{Message: "There is no such page.", Error: true}})
	})
}

// ServeHTTP serves the request and logs it in one line, as the APIs do.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := &recorder{StatusWriter: metrics.StatusWriter{ResponseWriter: w}}
	start := time.Now()
	r = r.WithContext(context.WithValue(r.Context(), recorderKey{}, rec))
	h.serve(rec, r)
	d := time.Since(start)
	if rec.Status == 0 {
		rec.Status = http.StatusOK
	}
	// The mux sets the route it chose (a fixed set); a request refused before it has none,
	// and the path the caller chose must not become a time series.
	if h.opts.Observe != nil {
		h.opts.Observe(r.Pattern, rec.code, rec.Status, d)
	}
	h.opts.Logger.LogAttrs(context.Background(), slog.LevelInfo, "request", slog.String("api", "console"),
		slog.String("op", r.Method+" "+r.URL.Path), slog.Int("status", rec.Status), slog.String("code", rec.code),
		slog.Duration("duration", d))
}

// recorder keeps the status and the failed operation's error code for the request's log
// line and metrics.
type recorder struct {
	metrics.StatusWriter
	code string
}

// recorderKey finds the request's recorder in its context, where failure notes the code.
type recorderKey struct{}

// serve refuses a cross-origin POST before any handler runs, then routes.
func (h *Handler) serve(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Frame-Options", "DENY")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'none'; frame-ancestors 'none'; form-action 'self'")
	w.Header().Set("Referrer-Policy", "same-origin")
	if r.Method == http.MethodPost && !sameOrigin(r) {
		h.forbidden(w, r, "This form was sent from another site.")
		return
	}
	h.mux.ServeHTTP(w, r)
}

// sameOrigin reports whether a request's Origin, or without one its Referer, names the host
// it was sent to; a request with neither passes (the CSRF token still guards it).
func sameOrigin(r *http.Request) bool {
	src := r.Header.Get("Origin")
	if src == "" {
		src = r.Header.Get("Referer")
	}
	if src == "" {
		return true
	}
	u, err := url.Parse(src)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && strings.EqualFold(u.Host, r.Host)
}

// signed wraps a page that needs a session: without one, the browser goes through sign-in
// and back; a POST must carry the session's CSRF token.
func (h *Handler) signed(next func(http.ResponseWriter, *http.Request, *session)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s := h.session(r)
		if s == nil {
			if r.Method != http.MethodGet {
				h.forbidden(w, r, "Your console session has ended: sign in again.")
				return
			}
			http.Redirect(w, r, "/console/signin?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		if r.Method == http.MethodPost && !tokenMatches(r.PostFormValue(csrfField), s.csrf) {
			h.forbidden(w, r, "The form's CSRF token is missing or wrong: reload the page and try again.")
			return
		}
		caller := s.caller
		caller.SourceIP, caller.SecureTransport = org.RemoteIP(r.RemoteAddr), r.TLS != nil
		next(w, r.WithContext(org.WithCaller(r.Context(), caller)), s)
	}
}

func tokenMatches(got, want string) bool {
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// session is the request's live session, or nil.
func (h *Handler) session(r *http.Request) *session {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	s := h.sessions[c.Value]
	if s != nil && time.Now().After(s.expires) {
		delete(h.sessions, c.Value)
		return nil
	}
	return s
}

// newSession signs caller in until expires, dropping expired sessions on the way.
func (h *Handler) newSession(w http.ResponseWriter, r *http.Request, caller org.Caller, expires time.Time) {
	s := &session{id: randomToken(), caller: caller, csrf: randomToken(), expires: expires}
	now := time.Now()
	h.mu.Lock()
	for id, old := range h.sessions {
		if now.After(old.expires) {
			delete(h.sessions, id)
		}
	}
	h.sessions[s.id] = s
	h.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: s.id, Path: "/console", Expires: expires,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
}

func randomToken() string {
	var b [32]byte
	rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// view is what every page's layout shows.
type view struct {
	Title   string
	Account string // the signed-in account, "" on the sign-in page
	ARN     string // the signed-in principal
	CSRF    string
	Clock   bool
	Flash   flash
	Data    any
}

// render writes a page; s may be nil (sign-in, errors without a session).
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, page string, s *session, v view) {
	if s != nil {
		v.Account, v.ARN, v.CSRF = s.caller.AccountID, s.caller.Principal.ARN(partition(s.caller)), s.csrf
		h.mu.Lock()
		if v.Flash.Message == "" {
			v.Flash = s.flash
		}
		s.flash = flash{}
		h.mu.Unlock()
	}
	v.Clock = h.opts.Clock
	var b strings.Builder
	if err := h.pages[page].Execute(&b, v); err != nil {
		h.opts.Logger.Error("console: render page", "page", page, "path", r.URL.Path, "err", err)
		http.Error(w, "orgd: the console failed to render this page", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write([]byte(b.String()))
}

func partition(c org.Caller) string {
	if c.Partition == "" {
		return org.PartitionAWS
	}
	return c.Partition
}

func (h *Handler) forbidden(w http.ResponseWriter, r *http.Request, msg string) {
	h.opts.Logger.Warn("console: request refused", "method", r.Method, "path", r.URL.Path, "remote", r.RemoteAddr, "reason", msg)
	h.render(w, r, http.StatusForbidden, "error", nil, view{Title: "Refused", Flash: flash{Message: msg, Error: true}})
}

// done ends a POST: the outcome (err's AWS text, or ok) is kept for the page it redirects to.
func (h *Handler) done(w http.ResponseWriter, r *http.Request, s *session, to, ok string, err error) {
	f := flash{Message: ok}
	if err != nil {
		f = h.failure(r, err)
	}
	h.mu.Lock()
	s.flash = f
	h.mu.Unlock()
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// failure is err as a person reads it: a domain error's code and AWS's text; anything else is
// orgd's own failure, logged with its detail and shown without it.
func (h *Handler) failure(r *http.Request, err error) flash {
	var e *model.Error
	if errors.As(err, &e) {
		h.opts.Logger.Info("console: request failed", "path", r.URL.Path, "code", e.Code, "reason", e.Reason, "detail", e.Detail)
		if rec, ok := r.Context().Value(recorderKey{}).(*recorder); ok {
			rec.code = e.Code
		}
		text := e.Text
		if text == "" {
			text = model.Message("", e.Code, e.Reason)
		}
		return flash{Message: e.Code + ": " + text, Error: true}
	}
	h.opts.Logger.Error("console: request failed", "path", r.URL.Path, "err", err)
	return flash{Message: "orgd failed to do this (an internal error, logged).", Error: true}
}

// invoke runs an API operation as the caller in ctx, through the model's decoding and
// validation exactly as the API runs it: a form's values get the answers a client's would.
func (h *Handler) invoke(ctx context.Context, op string, in interface{ AppendJSON([]byte) []byte }) error {
	o, _ := model.Lookup(op)
	_, err := o.Invoke(ctx, h.svc, in.AppendJSON(nil))
	return err
}

// localNext is the page a sign-in returns to: a local /console/ path, else the tree.
func localNext(next string) string {
	u, err := url.Parse(next)
	// A scheme or a host ("//evil.example/console/") leaves orgd; "/console/../x" and
	// backslashes (which browsers read as slashes) leave /console/ in other ways.
	if err != nil || u.Scheme != "" || u.Host != "" || u.Opaque != "" || strings.Contains(next, "\\") ||
		!strings.HasPrefix(u.Path, "/console/") || u.Path != "/console/" && path.Clean(u.Path) != u.Path {
		return "/console/"
	}
	return u.RequestURI()
}

type signinData struct {
	Verified bool
	Accounts []org.Account
	Next     string
	Token    string
}

func (h *Handler) signinPage(w http.ResponseWriter, r *http.Request) {
	h.signinForm(w, r, http.StatusOK, flash{})
}

// signinForm shows the sign-in form with a fresh token in the sign-in cookie.
func (h *Handler) signinForm(w http.ResponseWriter, r *http.Request, status int, f flash) {
	d := signinData{Verified: h.auth.Verified(), Next: localNext(r.FormValue("next")), Token: randomToken()}
	if !d.Verified {
		accounts, err := h.svc.Accounts(r.Context(), "", 1000)
		if err != nil {
			f = h.failure(r, err)
		}
		d.Accounts = accounts
	}
	http.SetCookie(w, &http.Cookie{Name: signinCookie, Value: d.Token, Path: "/console", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
	h.render(w, r, status, "signin", nil, view{Title: "Sign in", Flash: f, Data: d})
}

func (h *Handler) signin(w http.ResponseWriter, r *http.Request) {
	c, err := r.Cookie(signinCookie)
	if err != nil || !tokenMatches(r.PostFormValue(csrfField), c.Value) {
		h.forbidden(w, r, "The sign-in form's CSRF token is missing or wrong: reload the page and try again.")
		return
	}
	ttl := h.opts.SessionTTL
	var caller org.Caller
	if h.auth.Verified() {
		key := strings.TrimSpace(r.PostFormValue("access_key_id"))
		id, expires, err := h.auth.Authenticate(r.Context(), key, r.PostFormValue("secret_access_key"), strings.TrimSpace(r.PostFormValue("session_token")))
		var f *sigv4.Failure
		if errors.As(err, &f) {
			h.opts.Logger.Info("console: sign-in refused", "access_key", key, "remote", r.RemoteAddr, "detail", f.Detail)
			h.signinForm(w, r, http.StatusUnauthorized, flash{Message: "The access key or its secret is wrong, or the credentials expired.", Error: true})
			return
		}
		if err != nil {
			h.signinForm(w, r, http.StatusInternalServerError, h.failure(r, err))
			return
		}
		if !expires.IsZero() {
			// Temporary credentials expire on the server's clock, which the admin may have
			// moved: the session ends when the time left on that clock runs out.
			now, err := h.svc.Now(r.Context())
			if err != nil {
				h.signinForm(w, r, http.StatusInternalServerError, h.failure(r, err))
				return
			}
			ttl = min(ttl, expires.Sub(now))
		}
		caller = org.Caller{AccountID: id.AccountID, AccessKeyID: id.AccessKeyID, Partition: id.Partition, Principal: id.Principal}
	} else {
		account := strings.TrimSpace(r.PostFormValue("account"))
		if account == "" {
			account = strings.TrimSpace(r.PostFormValue("account_id"))
		}
		if !model.IsAccountID(account) {
			h.signinForm(w, r, http.StatusBadRequest, flash{Message: "An account id has 12 digits.", Error: true})
			return
		}
		// As an open-mode API request whose access key is the account id: the account's root.
		caller = org.Caller{AccountID: account, AccessKeyID: account, Partition: org.PartitionAWS,
			Principal: iam.Principal{Account: account, Kind: iam.Root}}
	}
	h.newSession(w, r, caller, time.Now().Add(ttl))
	http.SetCookie(w, &http.Cookie{Name: signinCookie, Path: "/console", MaxAge: -1})
	http.Redirect(w, r, localNext(r.PostFormValue("next")), http.StatusSeeOther)
}

func (h *Handler) signout(w http.ResponseWriter, r *http.Request, s *session) {
	h.mu.Lock()
	delete(h.sessions, s.id)
	h.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Path: "/console", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, "/console/signin", http.StatusSeeOther)
}

// hsView is a handshake with the session's CSRF token, for the forms that answer it.
type hsView struct {
	CSRF string
	H    shownHandshake
}

// funcs are the templates' helpers.
var funcs = template.FuncMap{
	"hsv": func(csrf string, h any) hsView {
		switch h := h.(type) {
		case shownHandshake:
			return hsView{CSRF: csrf, H: h}
		case *shownHandshake:
			return hsView{CSRF: csrf, H: *h}
		}
		return hsView{CSRF: csrf}
	},
	"deref": func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	},
	"time": func(t *time.Time) string {
		if t == nil || t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.RFC1123)
	},
}
