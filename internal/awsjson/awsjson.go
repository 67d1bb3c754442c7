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
}

// logger is h.Logger or, for a Handler built without one, a logger that discards: a nil
// *slog.Logger panics when used, and did so in ServeHTTP's deferred log line.
func (h *Handler) logger() *slog.Logger {
	if h.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return h.Logger
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	reqID := requestID()
	w.Header().Set("x-amzn-RequestId", reqID)
	op, account, status := "", "", 0
	logger := h.logger()
	defer func() {
		if p := recover(); p != nil {
			logger.Error("panic serving request", "op", op, "request_id", reqID, "panic", p)
			status = writeError(w, model.Errorf(model.CodeServiceException, "", "Internal error (request %s).", reqID))
		}
		logger.Debug("request", "op", op, "account", account, "status", status,
			"duration", time.Since(start), "request_id", reqID)
	}()
	body, op, caller, err := h.decode(w, r)
	account = caller.AccountID
	if err != nil {
		status = writeError(w, err)
		return
	}
	out, err := h.invoke(r.Context(), op, caller, body)
	if err != nil {
		var apiErr *model.Error
		if !errors.As(err, &apiErr) {
			logger.Error("operation failed", "op", op, "request_id", reqID, "err", err)
			err = model.Errorf(model.CodeServiceException, "", "Internal error (request %s).", reqID)
		}
		status = writeError(w, err)
		return
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(out)))
	w.WriteHeader(http.StatusOK)
	w.Write(out)
	status = http.StatusOK
}

// decode finds the operation and the caller and reads the body, refusing oversized bodies
// before reading them.
func (h *Handler) decode(w http.ResponseWriter, r *http.Request) (body []byte, op string, caller org.Caller, err error) {
	target := r.Header.Get("X-Amz-Target")
	name, ok := strings.CutPrefix(target, model.TargetPrefix+".")
	if r.Method != http.MethodPost || !ok {
		return nil, "", caller, &model.Error{Code: "UnknownOperationException", Message: fmt.Sprintf("Unknown operation %q.", target)}
	}
	if _, ok := model.Lookup(name); !ok {
		return nil, name, caller, &model.Error{Code: "UnknownOperationException", Message: fmt.Sprintf("Unknown operation %s.", name)}
	}
	id, err := h.Resolver.Identify(r)
	caller = org.Caller{AccountID: id.AccountID, AccessKeyID: id.AccessKeyID, Partition: id.Partition}
	if err != nil {
		var f *sigv4.Failure
		if errors.As(err, &f) {
			return nil, name, caller, &model.Error{Code: f.Code, Message: f.Message, Status: f.Status}
		}
		return nil, name, caller, err
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
		return nil, name, caller, &model.Error{Code: "SerializationException", Message: "Could not read the request body: " + err.Error()}
	}
	return body, name, caller, nil
}

func (h *Handler) invoke(ctx context.Context, name string, caller org.Caller, body []byte) ([]byte, error) {
	op, _ := model.Lookup(name)
	ctx = org.WithCaller(ctx, caller)
	return op.Invoke(ctx, h.API, body)
}

func tooLarge(limit int64) error {
	return &model.Error{Code: "RequestEntityTooLargeException", Status: http.StatusRequestEntityTooLarge,
		Message: fmt.Sprintf("The request body exceeds %d bytes.", limit)}
}

// writeError sends err in AWS's JSON error format and returns the status sent. Clients read
// the code from X-Amzn-ErrorType first (aws-sdk-go-v2) or from __type (botocore): both carry
// the same bare shape name.
func writeError(w http.ResponseWriter, err error) int {
	var e *model.Error
	if !errors.As(err, &e) {
		e = model.Errorf(model.CodeServiceException, "", "Internal error.")
	}
	body := e.AppendJSON(nil)
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
