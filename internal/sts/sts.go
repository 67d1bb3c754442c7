// Package sts serves AWS STS's query protocol on orgd's endpoint: a form-encoded POST (or a
// GET with the same query) naming Action and Version=2011-06-15, XML answers, XML errors.
// It decodes, checks each parameter against the shapes of botocore's sts model, calls the
// domain and encodes; the rules of roles and sessions live in internal/org.
package sts

import (
	"context"
	"crypto/rand"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/orgd/orgd/internal/model"
	"github.com/orgd/orgd/internal/org"
	"github.com/orgd/orgd/internal/sigv4"
)

// Version is the only API version of STS.
const Version = "2011-06-15"

// namespace is the model's xmlNamespace: every answer's root element carries it.
const namespace = "https://sts.amazonaws.com/doc/2011-06-15/"

// maxBody bounds request bodies: the largest parameters (a session policy, 50 tags, 10
// policy ARNs) take a few tens of kilobytes.
const maxBody = 1 << 20

// API is what the handler calls: the domain's STS operations.
type API interface {
	AssumeRole(ctx context.Context, in org.AssumeRoleInput) (*org.AssumeRoleOutput, error)
	GetSessionToken(ctx context.Context, durationSeconds int) (*org.Credentials, error)
	GetCallerIdentity(ctx context.Context) (*org.CallerIdentity, error)
}

// Handler serves STS.
type Handler struct {
	API      API
	Resolver *sigv4.Resolver
	Logger   *slog.Logger // nil discards the logs
	// Observe, when set, hears of every answered request: its action ("" when it names none
	// of STS's), error code ("" on success), status and duration. orgd's metrics count them.
	Observe func(op, code string, status int, d time.Duration)
}

// Error is an STS error answer: its code, AWS's message and the HTTP status.
type Error struct {
	Code    string
	Message string
	Status  int
	Detail  string // for the log only
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

func validation(msg string) *Error {
	return &Error{Code: "ValidationError", Message: msg, Status: http.StatusBadRequest}
}

// ServeHTTP answers one request and logs it in one line, as awsjson does.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	reqID := requestID()
	w.Header().Set("x-amzn-RequestId", reqID)
	action, account := "", ""
	out, err := func() (any, error) {
		body, err := readBody(w, r)
		if err != nil {
			return nil, err
		}
		params, err := formValues(r, body)
		if err != nil {
			return nil, err
		}
		action = params.Get("Action")
		id, err := h.Resolver.Identify(r, body)
		account = id.AccountID
		if err != nil {
			return nil, authError(err)
		}
		op, err := lookup(action, params)
		if err != nil {
			return nil, err
		}
		if err := check(op, params); err != nil {
			return nil, err
		}
		ctx := org.WithCaller(r.Context(), org.Caller{AccountID: id.AccountID, AccessKeyID: id.AccessKeyID,
			Partition: id.Partition, Principal: id.Principal, Region: id.Region,
			SourceIP: org.RemoteIP(r.RemoteAddr), SecureTransport: r.TLS != nil})
		return op.call(ctx, h, params)
	}()
	if err == nil {
		b, merr := xml.Marshal(envelope(action, out, reqID))
		if merr == nil {
			w.Header().Set("Content-Type", "text/xml")
			w.Header().Set("Content-Length", strconv.Itoa(len(b)))
			w.Write(b)
			h.done(r, action, account, reqID, http.StatusOK, nil, slog.LevelInfo, time.Since(start))
			return
		}
		err = fmt.Errorf("sts: encode %s: %w", action, merr)
	}
	e, level := stsError(err)
	writeError(w, e, reqID)
	h.done(r, action, account, reqID, e.Status, e, level, time.Since(start))
}

// done reports an answered request to Observe and logs it: a failure with its detail, and
// at Info level when the client went away, whatever the store said.
func (h *Handler) done(r *http.Request, action, account, reqID string, status int, e *Error, level slog.Level, d time.Duration) {
	code := ""
	if e != nil {
		code = e.Code
	}
	if h.Observe != nil {
		known := action
		if _, ok := operations[action]; !ok {
			known = "" // a name the caller made up must not become a time series
		}
		h.Observe(known, code, status, d)
	}
	detail := ""
	if e != nil {
		detail = e.Detail
	}
	if level == slog.LevelError && r.Context().Err() != nil {
		level, detail = slog.LevelInfo, "the client went away: "+detail
	}
	h.logger().LogAttrs(context.Background(), level, "request", slog.String("api", "sts"), slog.String("op", action),
		slog.String("account", account), slog.Int("status", status), slog.String("code", code),
		slog.String("detail", detail), slog.Duration("duration", d), slog.String("request_id", reqID))
}

func (h *Handler) logger() *slog.Logger {
	if h.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return h.Logger
}

func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if r.ContentLength > maxBody {
		return nil, &Error{Code: "RequestEntityTooLarge", Message: "Request body too large.", Status: http.StatusRequestEntityTooLarge,
			Detail: fmt.Sprintf("the request body exceeds %d bytes", maxBody)}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return nil, &Error{Code: "RequestEntityTooLarge", Message: "Request body too large.", Status: http.StatusRequestEntityTooLarge,
			Detail: fmt.Sprintf("the request body exceeds %d bytes", maxBody)}
	}
	if err != nil {
		return nil, &Error{Code: "MalformedQueryString", Message: "The request body could not be read.", Status: http.StatusBadRequest, Detail: err.Error()}
	}
	return body, nil
}

// formValues are the query's parameters with the form body's over them: AWS takes either.
func formValues(r *http.Request, body []byte) (url.Values, error) {
	params, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, &Error{Code: "MalformedQueryString", Message: "The query string is malformed.", Status: http.StatusBadRequest, Detail: err.Error()}
	}
	if r.Method == http.MethodPost {
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, &Error{Code: "MalformedQueryString", Message: "The request body is not a valid form.", Status: http.StatusBadRequest, Detail: err.Error()}
		}
		for k, v := range form {
			params[k] = v
		}
	}
	return params, nil
}

// authError maps the resolver's failure to STS's codes, which differ from awsJson's.
func authError(err error) error {
	var f *sigv4.Failure
	if !errors.As(err, &f) {
		return err
	}
	e := &Error{Status: f.Status, Detail: f.Detail}
	switch f.Kind {
	case sigv4.MissingToken:
		e.Code, e.Message = "MissingAuthenticationToken", "Request is missing Authentication Token"
	case sigv4.IncompleteSignature:
		e.Code, e.Message = "IncompleteSignature", "The request signature does not conform to AWS standards."
	// STS's codes differ from the JSON services', its texts for these three do not: the
	// catalogue's.
	case sigv4.SignatureMismatch, sigv4.SignatureExpired:
		e.Code, e.Message = "SignatureDoesNotMatch", model.Message("", model.CodeInvalidSignatureException, "")
	case sigv4.UnknownKey:
		e.Code, e.Message = "InvalidClientTokenId", model.Message("", model.CodeUnrecognizedClientException, "")
	case sigv4.ExpiredToken:
		e.Code, e.Message = "ExpiredToken", model.Message("", model.CodeExpiredTokenException, "")
	default:
		return err
	}
	// Where AWS builds the text from the request (the signature's times, the part of the
	// header that is missing), the resolver did.
	if f.Message != "" {
		e.Message = f.Message
	}
	return e
}

// stsError is err as the client sees it, and the level to log it at: the domain's STS
// answers and Organizations-style errors (a busy store) are the client's, anything else
// is orgd's own failure.
func stsError(err error) (*Error, slog.Level) {
	var e *Error
	if errors.As(err, &e) {
		return e, slog.LevelInfo
	}
	var se *org.STSError
	if errors.As(err, &se) {
		return &Error{Code: se.Code, Message: se.Message, Status: se.Status, Detail: se.Message}, slog.LevelInfo
	}
	var me *model.Error
	if errors.As(err, &me) {
		return &Error{Code: me.Code, Message: model.Message("", me.Code, me.Reason), Status: me.HTTPStatus(), Detail: me.Detail}, slog.LevelInfo
	}
	return &Error{Code: "InternalFailure", Message: "The request processing has failed because of an unknown error, exception or failure.",
		Status: http.StatusInternalServerError, Detail: err.Error()}, slog.LevelError
}

// errorResponse is the query protocol's error document.
type errorResponse struct {
	XMLName xml.Name `xml:"https://sts.amazonaws.com/doc/2011-06-15/ ErrorResponse"`
	Error   struct {
		Type    string
		Code    string
		Message string
	}
	RequestID string `xml:"RequestId"`
}

func writeError(w http.ResponseWriter, e *Error, reqID string) {
	var doc errorResponse
	doc.Error.Type, doc.Error.Code, doc.Error.Message, doc.RequestID = "Sender", e.Code, e.Message, reqID
	if e.Status >= 500 {
		doc.Error.Type = "Receiver"
	}
	b, _ := xml.Marshal(doc) // strings only: it cannot fail
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(e.Status)
	w.Write(b)
}

// response is an answer's document: <ActionResponse xmlns=…><ActionResult>…</ActionResult>
// <ResponseMetadata><RequestId>…</RequestId></ResponseMetadata></ActionResponse>. Result is
// the operation's result struct, whose XMLName names it ActionResult.
type response struct {
	XMLName  xml.Name
	Xmlns    string `xml:"xmlns,attr"`
	Result   any
	Metadata struct {
		RequestID string `xml:"RequestId"`
	} `xml:"ResponseMetadata"`
}

func envelope(action string, out any, reqID string) response {
	doc := response{XMLName: xml.Name{Local: action + "Response"}, Xmlns: namespace, Result: out}
	doc.Metadata.RequestID = reqID
	return doc
}

// requestID returns a random UUID (version 4), the form AWS's request ids take.
func requestID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// timestamp is the model's dateType as the query protocol writes it: ISO 8601 in UTC.
func timestamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }
