package model

import (
	"fmt"
	"net/http"
)

// Error is an error answered to the client in AWS's JSON error format. Its message on the wire
// is the catalogue's text for the operation, code and reason (Message), never built from
// values: users' tests compare AWS's texts exactly. What helps a person find the cause (ids,
// field paths, limits and the flag that raises them) is in Detail, which orgd logs.
type Error struct {
	Code   string // the __type, e.g. "InvalidInputException"
	Reason string // omitted from JSON when empty
	Detail string // for the log, never sent
	Status int    // HTTP status; 0 means derive: 500 for the model's fault shapes, else 400
	// Text is the one exception to the fixed-text rule: a text AWS itself builds from the
	// request's values and sends in place of the catalogue's (the signature's times in
	// "Signature expired: ...", the part an Authorization header lacks). Only such texts
	// go here, each of a form IsBuiltText recognises.
	Text string
}

// Error is the code, the reason and the detail (or, without a detail, the catalogue's text):
// what a log line or a failing test wants to read.
func (e *Error) Error() string {
	s := e.Code
	if e.Reason != "" {
		s += " (" + e.Reason + ")"
	}
	if e.Detail != "" {
		return s + ": " + e.Detail
	}
	return s + ": " + Message("", e.Code, e.Reason)
}

// HTTPStatus is Status, or when that is 0, 500 for the exception shapes the model marks as
// faults and 400 for all others.
func (e *Error) HTTPStatus() int {
	switch {
	case e.Status != 0:
		return e.Status
	case isFault(e.Code):
		return http.StatusInternalServerError
	}
	return http.StatusBadRequest
}

// AppendJSON appends the error body as operation op answers it:
// {"__type":Code,"Message":Message(op, Code, Reason),"Reason":...}.
func (e *Error) AppendJSON(b []byte, op string) []byte {
	b = append(b, `{"__type":`...)
	b = appendString(b, e.Code)
	b = append(b, `,"Message":`...)
	if e.Text != "" {
		b = appendString(b, e.Text)
	} else {
		b = appendString(b, Message(op, e.Code, e.Reason))
	}
	if e.Reason != "" {
		b = append(b, `,"Reason":`...)
		b = appendString(b, e.Reason)
	}
	return append(b, '}')
}

// Fail returns an Error with the code, the reason (may be empty) and the detail formatted as
// fmt.Sprintf does (a format without arguments is taken as it is).
func Fail(code, reason, detailFormat string, args ...any) *Error {
	detail := detailFormat
	if len(args) > 0 {
		detail = fmt.Sprintf(detailFormat, args...)
	}
	return &Error{Code: code, Reason: reason, Detail: detail}
}

// NotImplemented is the error of operations orgd does not implement yet.
func NotImplemented(op string) *Error {
	return &Error{Code: CodeNotImplemented, Status: http.StatusNotImplemented, Detail: op}
}
