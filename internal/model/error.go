package model

import (
	"fmt"
	"net/http"
)

// Error is an error answered to the client in AWS's JSON error format.
type Error struct {
	Code    string // the __type, e.g. "InvalidInputException"
	Message string
	Reason  string // omitted from JSON when empty
	Status  int    // HTTP status; 0 means derive: 500 for the model's fault shapes, else 400
}

func (e *Error) Error() string {
	if e.Reason != "" {
		return e.Code + " (" + e.Reason + "): " + e.Message
	}
	return e.Code + ": " + e.Message
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

// AppendJSON appends the error body: {"__type":Code,"Message":...,"Reason":...}.
func (e *Error) AppendJSON(b []byte) []byte {
	b = append(b, `{"__type":`...)
	b = appendString(b, e.Code)
	b = append(b, `,"Message":`...)
	b = appendString(b, e.Message)
	if e.Reason != "" {
		b = append(b, `,"Reason":`...)
		b = appendString(b, e.Reason)
	}
	return append(b, '}')
}

// Errorf returns an Error with the code, the reason (may be empty) and the message formatted
// as fmt.Sprintf does.
func Errorf(code, reason, format string, args ...any) *Error {
	return &Error{Code: code, Reason: reason, Message: fmt.Sprintf(format, args...)}
}

// NotImplemented is the error of operations orgd does not implement yet.
func NotImplemented(op string) *Error {
	return &Error{Code: "NotImplementedException", Status: http.StatusNotImplemented,
		Message: "orgd does not implement " + op + " yet"}
}
