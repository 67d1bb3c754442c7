// Package awsjson serves the awsJson1.1 protocol: POST / with X-Amz-Target naming the
// operation, a JSON body in, a JSON body out, errors as {"__type", "Message", ...} with the
// X-Amzn-ErrorType header. It decodes, calls the API, encodes; it knows no business rule.
package awsjson

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/orgd/orgd/internal/model"
	"github.com/orgd/orgd/internal/org"
	"github.com/orgd/orgd/internal/sigv4"
)

// DefaultMaxBody bounds request bodies. The largest input the model allows is a 40,000
// character resource policy; a megabyte leaves room for JSON escaping and anything sane.
const DefaultMaxBody = 1 << 20

const contentType = "application/x-amz-json-1.1"

// Handler is the HTTP handler of the AWS API.
type Handler struct {
	API      model.API
	Resolver *sigv4.Resolver
	Logger   *slog.Logger // nil discards the logs
	MaxBody  int64        // 0 means DefaultMaxBody
	// Observe, when set, hears of every answered request: its operation ("" when the
	// target names none of the model's), error code ("" on success), status and duration.
	// orgd's metrics count them.
	Observe func(op, code string, status int, d time.Duration)
}

// logger is h.Logger or, for a Handler built without one, a logger that discards: a nil
// *slog.Logger panics when used, and did so in ServeHTTP's deferred log line.
func (h *Handler) logger() *slog.Logger {
	if h.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return h.Logger
}

// ServeHTTP answers one request and logs it in one line at Info level (an internal failure
// at Error level), a failure with the detail that AWS's fixed texts leave out: which id,
// which field, which limit. A client that went away before its answer is no failure of
// orgd's: its request is logged at Info level whatever the store said.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	reqID := requestID()
	w.Header().Set("x-amzn-RequestId", reqID)
	op, status := "", 0
	var caller org.Caller
	var failed *model.Error
	level := slog.LevelInfo
	logger := h.logger()
	defer func() {
		if p := recover(); p != nil {
			failed, level = &model.Error{Code: model.CodeServiceException, Detail: fmt.Sprint("panic: ", p)}, slog.LevelError
			status = writeError(w, op, failed)
		}
		d := time.Since(start)
		code := ""
		if failed != nil {
			code = failed.Code
		}
		if h.Observe != nil {
			known := op
			if _, ok := model.Lookup(op); !ok {
				known = "" // a name the caller made up must not become a time series
			}
			h.Observe(known, code, status, d)
		}
		if level == slog.LevelError && r.Context().Err() != nil {
			level = slog.LevelInfo
			failed.Detail = "the client went away: " + failed.Detail
		}
		if !logger.Enabled(context.Background(), level) {
			return
		}
		attrs := []slog.Attr{slog.String("api", "awsjson"), slog.String("op", op), slog.String("account", caller.AccountID), slog.Int("status", status),
			slog.String("code", code), slog.Duration("duration", d), slog.String("request_id", reqID)}
		if failed != nil {
			attrs = append(attrs, slog.String("principal", principalARN(caller)), slog.String("reason", failed.Reason),
				slog.String("detail", failed.Detail))
		}
		logger.LogAttrs(context.Background(), level, "request", attrs...)
	}()
	body, op, caller, err := h.decode(w, r)
	if err == nil {
		var out []byte
		if out, err = h.invoke(r.Context(), op, caller, body); err == nil {
			w.Header().Set("Content-Type", contentType)
			w.Header().Set("Content-Length", strconv.Itoa(len(out)))
			w.WriteHeader(http.StatusOK)
			w.Write(out)
			status = http.StatusOK
			return
		}
	}
	failed, level = apiError(err)
	status = writeError(w, op, failed)
}

// principalARN is the ARN of the caller's principal, for the log; "" before the caller is
// known.
func principalARN(c org.Caller) string {
	if c.Principal.Account == "" {
		return ""
	}
	partition := c.Partition
	if partition == "" {
		partition = org.PartitionAWS
	}
	return c.Principal.ARN(partition)
}

// apiError is err as the client sees it, and the level to log it at: an error that is not
// an answer of the API is orgd's own failure (a store error), which the client sees as AWS's
// internal error. (It is a function of its own so that errors.As's target escapes only on
// this path: the success path allocates nothing more.)
func apiError(err error) (*model.Error, slog.Level) {
	var e *model.Error
	if errors.As(err, &e) {
		return e, slog.LevelInfo
	}
	return &model.Error{Code: model.CodeServiceException, Detail: err.Error()}, slog.LevelError
}

// decode finds the operation, reads the body (refusing oversized bodies before reading
// them) and then the caller, whose signature covers the body.
func (h *Handler) decode(w http.ResponseWriter, r *http.Request) (body []byte, op string, caller org.Caller, err error) {
	target := r.Header.Get("X-Amz-Target")
	name, ok := strings.CutPrefix(target, model.TargetPrefix+".")
	if r.Method != http.MethodPost || !ok {
		return nil, "", caller, model.Fail(model.CodeUnknownOperationException, "", "%s %q is not an operation of %s", r.Method, target, model.TargetPrefix)
	}
	if _, ok := model.Lookup(name); !ok {
		return nil, name, caller, model.Fail(model.CodeUnknownOperationException, "", "unknown operation %s", name)
	}
	limit := h.MaxBody
	if limit == 0 {
		limit = DefaultMaxBody
	}
	if r.ContentLength > limit {
		return nil, name, caller, tooLarge(limit)
	}
	body, err = io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var maxErr *http.MaxBytesError
	if errors.As(err, &maxErr) {
		return nil, name, caller, tooLarge(limit)
	}
	if err != nil {
		return nil, name, caller, model.Fail(model.CodeSerializationException, "", "read the request body: %v", err)
	}
	id, err := h.Resolver.Identify(r, body)
	if err != nil {
		var f *sigv4.Failure
		if errors.As(err, &f) {
			return nil, name, caller, authError(f)
		}
		return nil, name, caller, err
	}
	caller = org.Caller{AccountID: id.AccountID, AccessKeyID: id.AccessKeyID, Partition: id.Partition, Principal: id.Principal,
		Region: id.Region, SourceIP: org.RemoteIP(r.RemoteAddr), SecureTransport: r.TLS != nil}
	return body, name, caller, nil
}

// authErrors are the awsJson codes of sigv4's failures and the statuses AWS's JSON services
// answer them with (real answers: 400 for a bad or expired signature, an unknown key and an
// expired token alike; 403 for a request without authentication).
var authErrors = map[sigv4.Kind]struct {
	code   string
	status int
}{
	sigv4.MissingToken:        {model.CodeMissingAuthenticationTokenException, http.StatusForbidden},
	sigv4.IncompleteSignature: {model.CodeIncompleteSignatureException, http.StatusBadRequest},
	sigv4.SignatureMismatch:   {model.CodeInvalidSignatureException, http.StatusBadRequest},
	sigv4.SignatureExpired:    {model.CodeInvalidSignatureException, http.StatusBadRequest},
	sigv4.UnknownKey:          {model.CodeUnrecognizedClientException, http.StatusBadRequest},
	sigv4.ExpiredToken:        {model.CodeExpiredTokenException, http.StatusBadRequest},
}

// authError is f as awsJson answers it, with AWS's text where AWS builds it from the request.
func authError(f *sigv4.Failure) *model.Error {
	e := authErrors[f.Kind]
	return &model.Error{Code: e.code, Status: e.status, Detail: f.Detail, Text: f.Message}
}

func (h *Handler) invoke(ctx context.Context, name string, caller org.Caller, body []byte) ([]byte, error) {
	op, _ := model.Lookup(name)
	ctx = org.WithCaller(ctx, caller)
	return op.Invoke(ctx, h.API, body)
}

func tooLarge(limit int64) error {
	return &model.Error{Code: model.CodeRequestEntityTooLargeException, Status: http.StatusRequestEntityTooLarge,
		Detail: fmt.Sprintf("the request body exceeds %d bytes", limit)}
}

// writeError sends e in AWS's JSON error format, with the catalogue's text for the operation,
// and returns the status sent. Clients read the code from X-Amzn-ErrorType first
// (aws-sdk-go-v2) or from __type (botocore): both carry the same bare shape name.
func writeError(w http.ResponseWriter, op string, e *model.Error) int {
	body := e.AppendJSON(nil, op)
	status := e.HTTPStatus()
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("X-Amzn-ErrorType", e.Code)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
	return status
}

// requestID returns a random UUID (version 4), the form AWS's request ids take.
func requestID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	const hex = "0123456789abcdef"
	out := make([]byte, 0, 36)
	for i, c := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out = append(out, '-')
		}
		out = append(out, hex[c>>4], hex[c&0x0f])
	}
	return string(out)
}
