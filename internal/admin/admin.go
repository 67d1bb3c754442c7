// Package admin serves orgd's own API under /_orgd/: register, show and remove accounts, read the outbox,
// reset state, move the clock and check health. Since it can rewrite any state, it takes
// only requests a web page cannot send (JSON bodies), and a bearer token when one is set. It speaks plain JSON and reports errors in the same
// {"__type", "Message"} form as the AWS API.
package admin

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/orgd/orgd/internal/bootstrap"
	"github.com/orgd/orgd/internal/metrics"
	"github.com/orgd/orgd/internal/model"
	"github.com/orgd/orgd/internal/org"
	"github.com/orgd/orgd/internal/sigv4"
	"github.com/orgd/orgd/internal/snapshot"
)

// Handler serves the admin API for one Service.
type Handler struct {
	svc    *org.Service
	logger *slog.Logger
	opts   Options
	mux    *http.ServeMux

	// resetMu serializes resets, and guards bootstrapped: the state a reset restores when
	// the server has a bootstrap file (resetState).
	resetMu      sync.Mutex
	bootstrapped *snapshot.Document
}

// Options configure the admin API's protection and what its health check reports.
type Options struct {
	// Token, when set, is the bearer token every request but the health check must carry
	// (Authorization: Bearer TOKEN).
	Token string
	// Mode is how the AWS API authenticates callers, as the health check reports it:
	// "open", "verified" or "insecure-open".
	Mode string
	// Warnings are what the health check lists for an operator to act on.
	Warnings []string
	// Ready, when set, says whether the store answers and its schema is this program's
	// (the readiness check, /_orgd/ready): nil when it is, else why not.
	Ready func(ctx context.Context) error
	// Store, when set, is the store the service runs on: the snapshot endpoints
	// (/_orgd/export, /_orgd/import) read and write it whole.
	Store org.Store
	// Bootstrap, when set, is the organization a reset returns to (orgd serve --bootstrap);
	// see resetState.
	Bootstrap *bootstrap.Spec
	// Bootstrapped, when set, is the state Bootstrap built at start (snapshot.Export of it),
	// which a reset restores; without it the first reset builds the organization and keeps
	// its state.
	Bootstrapped *snapshot.Document
	// Observe, when set, hears of every answered request: its route ("POST
	// /_orgd/accounts"), error code ("" on success), status and duration. orgd's metrics
	// count them.
	Observe func(op, code string, status int, d time.Duration)
}

// New returns the admin API's handler; it answers /_orgd/ and /moto-api/reset.
func New(svc *org.Service, logger *slog.Logger, opts Options) *Handler {
	h := &Handler{svc: svc, logger: logger, opts: opts, mux: http.NewServeMux(), bootstrapped: opts.Bootstrapped}
	h.mux.HandleFunc("POST /_orgd/accounts", h.registerAccount)
	h.mux.HandleFunc("GET /_orgd/accounts", h.listAccounts)
	h.mux.HandleFunc("GET /_orgd/accounts/{id}", h.describeAccount)
	h.mux.HandleFunc("DELETE /_orgd/accounts/{id}", h.removeAccount)
	h.mux.HandleFunc("POST /_orgd/roles", h.declareRole)
	h.mux.HandleFunc("GET /_orgd/roles", h.listRoles)
	h.mux.HandleFunc("GET /_orgd/outbox", h.listOutbox)
	h.mux.HandleFunc("POST /_orgd/reset", h.reset)
	h.mux.HandleFunc("POST /_orgd/bootstrap", h.bootstrap)
	h.mux.HandleFunc("GET /_orgd/clock", h.clock)
	h.mux.HandleFunc("POST /_orgd/clock", h.advanceClock)
	h.mux.HandleFunc("POST /_orgd/simulate", h.simulate)
	h.mux.HandleFunc("POST /_orgd/impact", h.impact)
	h.mux.HandleFunc("GET /_orgd/export", h.export)
	h.mux.HandleFunc("POST /_orgd/import", h.importSnapshot)
	// moto's server resets all state here; suites written for moto call it between tests.
	h.mux.HandleFunc("POST /moto-api/reset", h.reset)
	// The mux would answer unknown paths and wrong methods in text/plain; the admin API
	// promises AWS-form errors throughout. The method patterns above are more specific than
	// these, so they still win. OPTIONS lands here too: a CORS preflight gets an error and
	// no Access-Control-* header, so no browser lets a page send what it asked about.
	for _, path := range []string{"/_orgd/accounts", "/_orgd/accounts/{id}", "/_orgd/roles", "/_orgd/outbox", "/_orgd/reset", "/_orgd/bootstrap", "/_orgd/clock", "/_orgd/simulate", "/_orgd/impact", "/_orgd/export", "/_orgd/import", "/moto-api/reset", healthPath, readyPath} {
		h.mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			h.fail(w, model.AdminAPI, &model.Error{Code: model.CodeUnknownOperationException, Status: http.StatusMethodNotAllowed,
				Detail: fmt.Sprintf("%s does not take %s", r.URL.Path, r.Method)})
		})
	}
	h.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		h.fail(w, model.AdminAPI, &model.Error{Code: model.CodeUnknownOperationException, Status: http.StatusNotFound,
			Detail: fmt.Sprintf("the admin API has no %s", r.URL.Path)})
	})
	return h
}

// healthPath and readyPath are the liveness and readiness checks, which orchestrators
// probe without a token.
const (
	healthPath = "/_orgd/health"
	readyPath  = "/_orgd/ready"
)

// ServeHTTP answers the health and readiness checks to anyone, and everything else only to
// requests a web page cannot make (a JSON body) carrying the token when one is set. The
// server in front has already refused a foreign Host or Origin (internal/server). Every
// request is logged in one line at Info level (an internal failure at Error level).
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := &recorder{StatusWriter: metrics.StatusWriter{ResponseWriter: w}, level: slog.LevelInfo}
	start := time.Now()
	h.serve(rec, r)
	d := time.Since(start)
	// The mux sets the route it chose; the checks and refusals before it have none.
	op := r.Pattern
	if op == "" {
		op = r.Method + " " + r.URL.Path
		if r.URL.Path != healthPath && r.URL.Path != readyPath {
			op = "" // a path the caller chose must not become a time series
		}
	}
	if rec.Status == 0 {
		rec.Status = http.StatusOK
	}
	if h.opts.Observe != nil {
		h.opts.Observe(op, rec.code, rec.Status, d)
	}
	if rec.level == slog.LevelError && r.Context().Err() != nil {
		rec.level, rec.detail = slog.LevelInfo, "the client went away: "+rec.detail
	}
	h.logger.LogAttrs(context.Background(), rec.level, "request", slog.String("api", "admin"),
		slog.String("op", r.Method+" "+r.URL.Path), slog.Int("status", rec.Status), slog.String("code", rec.code),
		slog.String("detail", rec.detail), slog.Duration("duration", d))
}

// recorder keeps what the request's line in the log and its metrics need: the status, and
// for a failure its code and detail.
type recorder struct {
	metrics.StatusWriter
	code, detail string
	level        slog.Level
}

// failed notes a failure for the request's log line.
func (rw *recorder) failed(code, detail string, level slog.Level) {
	rw.code, rw.detail, rw.level = code, detail, level
}

func (h *Handler) serve(w *recorder, r *http.Request) {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		switch r.URL.Path {
		case healthPath:
			h.health(w, r)
			return
		case readyPath:
			h.ready(w, r)
			return
		}
	}
	if h.opts.Token != "" {
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		switch {
		case !ok || token == "":
			w.Header().Set("WWW-Authenticate", `Bearer realm="orgd"`)
			h.fail(w, model.AdminAPI, &model.Error{Code: model.CodeMissingAuthenticationTokenException, Status: http.StatusUnauthorized,
				Detail: fmt.Sprintf("%s %s without a bearer token", r.Method, r.URL.Path)})
			return
		case subtle.ConstantTimeCompare([]byte(token), []byte(h.opts.Token)) != 1:
			h.fail(w, model.AdminAPI, &model.Error{Code: model.CodeAccessDeniedException, Status: http.StatusForbidden,
				Detail: fmt.Sprintf("%s %s with a bearer token that is not the admin token", r.Method, r.URL.Path)})
			return
		}
	}
	// A page may send text/plain, form and multipart bodies to any address without a
	// preflight; application/json needs one, which orgd never grants. An empty body carries
	// nothing to refuse (moto-era suites POST /moto-api/reset without one), and a page's
	// empty POST still carries an Origin, which the server refuses.
	if r.ContentLength != 0 {
		mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if err != nil || mt != "application/json" {
			h.fail(w, model.AdminAPI, &model.Error{Code: model.CodeUnsupportedMediaTypeException, Status: http.StatusUnsupportedMediaType,
				Detail: fmt.Sprintf("%s %s with a body of Content-Type %q", r.Method, r.URL.Path, r.Header.Get("Content-Type"))})
			return
		}
	}
	h.mux.ServeHTTP(w, r)
}

// Health is the health check's answer.
type Health struct {
	Status   string // "ok", or "unavailable" when the store does not answer
	Mode     string
	Warnings []string
	Reason   string `json:",omitempty"` // why the store does not answer
}

// health answers 200 while the store answers a cheap read, else 503. It shows the mode and
// the warnings an operator should see, nothing secret: no token, no database URL.
func (h *Handler) health(w http.ResponseWriter, r *http.Request) {
	out := Health{Status: "ok", Mode: h.opts.Mode, Warnings: h.opts.Warnings}
	if out.Warnings == nil {
		out.Warnings = []string{}
	}
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	status := http.StatusOK
	if _, err := h.svc.Now(ctx); err != nil {
		h.logger.Warn("health check: the store does not answer", "err", err)
		out.Status, out.Reason, status = "unavailable", "the store does not answer a read: "+err.Error(), http.StatusServiceUnavailable
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(out)
}

// Readiness is the readiness check's answer.
type Readiness struct {
	Status string // "ready", or "unavailable"
	Reason string `json:",omitempty"` // why not ready
}

// ready answers 200 when the store answers and its schema is this program's, else 503 with
// the reason. Like health, it shows nothing secret: the stores' errors never repeat a
// database URL.
func (h *Handler) ready(w http.ResponseWriter, r *http.Request) {
	out, status := Readiness{Status: "ready"}, http.StatusOK
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	var err error
	if h.opts.Ready != nil {
		err = h.opts.Ready(ctx)
	} else {
		_, err = h.svc.Now(ctx)
	}
	if err != nil {
		h.logger.Warn("readiness check: not ready", "err", err)
		out, status = Readiness{Status: "unavailable", Reason: err.Error()}, http.StatusServiceUnavailable
		if rec, ok := w.(*recorder); ok {
			rec.failed("", out.Reason, slog.LevelInfo)
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(out)
}

// Account is an account as the admin API shows it.
type Account struct {
	Id                string
	Email             string
	Name              string
	SellerOfRecord    string
	PaymentInstrument bool
	EmailVerified     bool
	OrganizationId    string     `json:",omitempty"`
	ParentId          string     `json:",omitempty"`
	JoinedMethod      string     `json:",omitempty"`
	JoinedTimestamp   *time.Time `json:",omitempty"`
	State             string
}

func accountJSON(a *org.Account) Account {
	out := Account{
		Id: a.ID, Email: a.Email, Name: a.Name, SellerOfRecord: a.SellerOfRecord,
		PaymentInstrument: a.PaymentInstrument, EmailVerified: a.EmailVerified,
		OrganizationId: a.OrgID, ParentId: a.ParentID, JoinedMethod: a.JoinedMethod, State: a.State,
	}
	if !a.JoinedAt.IsZero() {
		out.JoinedTimestamp = &a.JoinedAt
	}
	return out
}

// Registration is the body of POST /_orgd/accounts. Omitted flags keep their value (true for
// a new account).
type Registration struct {
	Id                string
	Email             string
	Name              string
	SellerOfRecord    string
	PaymentInstrument *bool
	EmailVerified     *bool
}

func (h *Handler) registerAccount(w http.ResponseWriter, r *http.Request) {
	var reg Registration
	if !h.decode(w, r, model.AdminRegisterAccount, &reg) {
		return
	}
	a, err := h.svc.RegisterAccount(r.Context(), org.AccountRegistration{
		ID: reg.Id, Email: reg.Email, Name: reg.Name, SellerOfRecord: reg.SellerOfRecord,
		PaymentInstrument: reg.PaymentInstrument, EmailVerified: reg.EmailVerified,
	})
	if err != nil {
		h.fail(w, model.AdminRegisterAccount, err)
		return
	}
	h.reply(w, accountJSON(a))
}

const maxPage = 1000

// listAccounts answers a page of accounts by id, after ?after=ID. The token is an account id
// (the last of the page before, which Next gives): keyset paging, so a page is right even
// when the account it names was removed meanwhile. Anything but 12 digits is refused rather
// than answered with an empty page, which a caller could not tell from the end.
func (h *Handler) listAccounts(w http.ResponseWriter, r *http.Request) {
	after := r.URL.Query().Get("after")
	if after != "" && !model.IsAccountID(after) {
		h.fail(w, model.AdminListAccounts, model.Fail(model.CodeInvalidInputException, model.InvalidInputExceptionReasonInvalidPattern, "after=%q is not a 12-digit account id", after))
		return
	}
	accts, err := h.svc.Accounts(r.Context(), after, maxPage)
	if err != nil {
		h.fail(w, model.AdminListAccounts, err)
		return
	}
	out := struct {
		Accounts []Account
		Next     string `json:",omitempty"` // pass as ?after= for the next page
	}{Accounts: []Account{}}
	for i := range accts {
		out.Accounts = append(out.Accounts, accountJSON(&accts[i]))
	}
	if len(accts) == maxPage {
		out.Next = accts[len(accts)-1].ID
	}
	h.reply(w, out)
}

// describeAccount answers the account the store holds with this id.
func (h *Handler) describeAccount(w http.ResponseWriter, r *http.Request) {
	a, err := h.svc.StoredAccount(r.Context(), r.PathValue("id"))
	if err != nil {
		h.fail(w, model.AdminDescribeAccount, err)
		return
	}
	h.reply(w, accountJSON(a))
}

// removeAccount forgets a standalone account (org.Service.RemoveAccount has the rule) and
// answers the account as it was.
func (h *Handler) removeAccount(w http.ResponseWriter, r *http.Request) {
	a, err := h.svc.RemoveAccount(r.Context(), r.PathValue("id"))
	if err != nil {
		h.fail(w, model.AdminRemoveAccount, err)
		return
	}
	h.reply(w, accountJSON(a))
}

// Role is a role as the admin API shows it, and the body of POST /_orgd/roles (which
// ignores RoleId and CreateDate). Its identity policies and permissions boundary are JSON
// objects, or strings holding one, as in the credentials file (sigv4.Declared).
type Role struct {
	AccountId          string
	RoleName           string
	RoleId             string `json:",omitempty"`
	Arn                string `json:",omitempty"`
	TrustedPrincipals  []string
	MaxSessionDuration int        `json:",omitempty"`
	CreateDate         *time.Time `json:",omitempty"`
	sigv4.Declared
}

func roleJSON(r *org.Role) Role {
	out := Role{AccountId: r.AccountID, RoleName: r.Name, RoleId: r.ID, Arn: "arn:aws:iam::" + r.AccountID + ":role/" + r.Name,
		TrustedPrincipals: r.TrustedPrincipals, MaxSessionDuration: r.MaxSessionDuration, CreateDate: &r.CreatedAt}
	// The stored documents are JSON objects: each was parsed as a policy when declared.
	for _, p := range r.Policies {
		out.Policies = append(out.Policies, json.RawMessage(p))
	}
	if r.PermissionsBoundary != "" {
		out.PermissionsBoundary = json.RawMessage(r.PermissionsBoundary)
	}
	out.Tags = r.Tags
	return out
}

// declareRole creates a role, or replaces the trust and session limit of an existing one.
func (h *Handler) declareRole(w http.ResponseWriter, r *http.Request) {
	var req Role
	if !h.decode(w, r, model.AdminDeclareRole, &req) {
		return
	}
	policies, boundary, err := req.Documents()
	if err != nil {
		h.fail(w, model.AdminDeclareRole, model.Fail(model.CodeMalformedPolicyDocumentException, "", "%v", err))
		return
	}
	role, err := h.svc.DeclareRole(r.Context(), org.RoleDeclaration{AccountID: req.AccountId, RoleName: req.RoleName,
		TrustedPrincipals: req.TrustedPrincipals, MaxSessionDuration: req.MaxSessionDuration,
		Policies: policies, PermissionsBoundary: boundary, Tags: req.Tags})
	if err != nil {
		h.fail(w, model.AdminDeclareRole, err)
		return
	}
	h.reply(w, roleJSON(role))
}

// listRoles lists the roles of ?account=ID, or of every account.
func (h *Handler) listRoles(w http.ResponseWriter, r *http.Request) {
	account := r.URL.Query().Get("account")
	if account != "" && !model.IsAccountID(account) {
		h.fail(w, model.AdminAPI, model.Fail(model.CodeInvalidInputException, model.InvalidInputExceptionReasonInvalidPattern, "account=%q is not 12 digits", account))
		return
	}
	roles, err := h.svc.Roles(r.Context(), account)
	if err != nil {
		h.fail(w, model.AdminAPI, err)
		return
	}
	out := struct{ Roles []Role }{Roles: []Role{}}
	for i := range roles {
		out.Roles = append(out.Roles, roleJSON(&roles[i]))
	}
	h.reply(w, out)
}

// Message is an outbox entry as the admin API shows it.
type Message struct {
	Seq         int64
	HandshakeId string
	To          string
	Subject     string
	Body        string
	CreatedAt   time.Time
	// The delivery over SMTP: State is pending, delivered or failed; LastAnswer the mail
	// server's last answer (or why it could not be reached); NextAttemptAt when a pending
	// message is tried next.
	State         string
	Attempts      int
	NextAttemptAt *time.Time `json:",omitempty"`
	LastAnswer    string     `json:",omitempty"`
	SentAt        *time.Time `json:",omitempty"`
}

// listOutbox answers a page of the outbox in sequence order, after ?after=SEQ (the Next of
// the page before). A token that is not a sequence number (digits only: no sign, no
// space) is refused rather than answered with an empty page.
func (h *Handler) listOutbox(w http.ResponseWriter, r *http.Request) {
	var after int64
	if v := r.URL.Query().Get("after"); v != "" {
		u, err := strconv.ParseUint(v, 10, 63)
		if err != nil {
			h.fail(w, model.AdminListOutbox, model.Fail(model.CodeInvalidInputException, model.InvalidInputExceptionReasonInvalidPattern, "after=%q is not a sequence number", v))
			return
		}
		after = int64(u)
	}
	msgs, err := h.svc.Outbox(r.Context(), after, maxPage)
	if err != nil {
		h.fail(w, model.AdminListOutbox, err)
		return
	}
	out := struct {
		Messages []Message
		Next     string `json:",omitempty"` // pass as ?after= for the next page
	}{Messages: []Message{}}
	for _, m := range msgs {
		msg := Message{Seq: m.Seq, HandshakeId: m.HandshakeID, To: m.To, Subject: m.Subject, Body: m.Body, CreatedAt: m.CreatedAt,
			State: m.State, Attempts: m.Attempts, LastAnswer: m.LastAnswer}
		if !m.SentAt.IsZero() {
			msg.SentAt = &m.SentAt
		}
		if m.State == org.MailPending && !m.NextAttemptAt.IsZero() {
			msg.NextAttemptAt = &m.NextAttemptAt
		}
		out.Messages = append(out.Messages, msg)
	}
	if len(msgs) == maxPage {
		out.Next = strconv.FormatInt(msgs[len(msgs)-1].Seq, 10)
	}
	h.reply(w, out)
}

// reset wipes the state and, with a bootstrap file, builds it again. {"Empty": true} leaves the
// store empty even then, for an import (which wants an empty store) to fill. The body is
// optional: moto-era suites POST /moto-api/reset without one.
func (h *Handler) reset(w http.ResponseWriter, r *http.Request) {
	var req struct{ Empty bool }
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<10))
	if err == nil && len(bytes.TrimSpace(body)) > 0 {
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		err = dec.Decode(&req)
	}
	if err != nil {
		h.fail(w, model.AdminAPI, model.Fail(model.CodeSerializationException, "", "%s %s: %v", r.Method, r.URL.Path, err))
		return
	}
	if err := h.resetState(r.Context(), req.Empty); err != nil {
		h.fail(w, model.AdminAPI, err)
		return
	}
	h.reply(w, struct{}{})
}

type clockJSON struct{ Now time.Time }

func (h *Handler) clock(w http.ResponseWriter, r *http.Request) {
	now, err := h.svc.Now(r.Context())
	if err != nil {
		h.fail(w, model.AdminAPI, err)
		return
	}
	h.reply(w, clockJSON{Now: now})
}

func (h *Handler) advanceClock(w http.ResponseWriter, r *http.Request) {
	var req struct{ Advance string }
	if !h.decode(w, r, model.AdminAdvanceClock, &req) {
		return
	}
	d, err := time.ParseDuration(req.Advance)
	if err != nil {
		h.fail(w, model.AdminAdvanceClock, model.Fail(model.CodeInvalidInputException, model.InvalidInputExceptionReasonInvalidPattern, "Advance: %v", err))
		return
	}
	now, err := h.svc.AdvanceClock(r.Context(), d)
	if err != nil {
		h.fail(w, model.AdminAdvanceClock, err)
		return
	}
	h.reply(w, clockJSON{Now: now})
}

// simulate answers the policy simulator (issue 12 §3): org.SimulationRequest in,
// org.SimulationResult out.
func (h *Handler) simulate(w http.ResponseWriter, r *http.Request) {
	var req org.SimulationRequest
	if !h.decodeNamed(w, r, &req) {
		return
	}
	out, err := h.svc.Simulate(r.Context(), &req)
	if err != nil {
		h.failInput(w, err)
		return
	}
	h.reply(w, out)
}

// impact answers the impact analysis of a proposed SCP change (issue 12 §4).
func (h *Handler) impact(w http.ResponseWriter, r *http.Request) {
	var req org.ImpactRequest
	if !h.decodeNamed(w, r, &req) {
		return
	}
	out, err := h.svc.Impact(r.Context(), &req)
	if err != nil {
		h.failInput(w, err)
		return
	}
	h.reply(w, out)
}

// decodeNamed is decode for the simulator and the impact analysis, whose errors name the
// field at fault (see org.InputError).
func (h *Handler) decodeNamed(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		return true
	}
	field := "body"
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		field = te.Field
		err = fmt.Errorf("a JSON %s does not fit here", te.Value)
	}
	h.failMessage(w, model.CodeSerializationException, field+": "+strings.TrimPrefix(err.Error(), "json: "), err)
	return false
}

// failInput answers an org.InputError with its text, any other error as fail does.
func (h *Handler) failInput(w http.ResponseWriter, err error) {
	var ie *org.InputError
	if !errors.As(err, &ie) {
		h.fail(w, model.AdminAPI, err)
		return
	}
	h.failMessage(w, model.CodeInvalidInputException, ie.Error(), err)
}

// failMessage answers 400 with the admin API's error shape and a message of orgd's own.
func (h *Handler) failMessage(w http.ResponseWriter, code, msg string, err error) {
	h.failMessageStatus(w, http.StatusBadRequest, code, msg, err)
}

// failMessageStatus is failMessage with another status.
func (h *Handler) failMessageStatus(w http.ResponseWriter, status int, code, msg string, err error) {
	if rec, ok := w.(*recorder); ok {
		rec.failed(code, err.Error(), slog.LevelInfo)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-ErrorType", code)
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(struct {
		Type    string `json:"__type"`
		Message string
	}{code, msg})
}

func (h *Handler) decode(w http.ResponseWriter, r *http.Request, op string, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		h.fail(w, op, model.Fail(model.CodeSerializationException, "", "%s %s: %v", r.Method, r.URL.Path, err))
		return false
	}
	return true
}

func (h *Handler) reply(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

// fail answers err with the catalogue's text for the admin operation op, and notes its
// detail for the request's log line, as the AWS API logs it.
func (h *Handler) fail(w http.ResponseWriter, op string, err error) {
	var e *model.Error
	level := slog.LevelInfo
	if !errors.As(err, &e) {
		e, level = &model.Error{Code: model.CodeServiceException, Detail: err.Error()}, slog.LevelError
	}
	if rec, ok := w.(*recorder); ok {
		rec.failed(e.Code, strings.TrimSpace(e.Reason+" "+e.Detail), level)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-ErrorType", e.Code)
	w.WriteHeader(e.HTTPStatus())
	w.Write(e.AppendJSON(nil, op))
}
