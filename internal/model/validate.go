package model

import (
	"regexp"
	"unicode/utf8"
)

// stringRule holds the constraints of a string shape.
type stringRule struct {
	min, max       int
	hasMin, hasMax bool
	enum           func(string) bool // nil: not an enum
	enumReason     string
	pattern        *regexp.Regexp // fully anchored; nil: any string
	patternReason  string         // the Reason of a value that does not match pattern
}

// intRule holds the constraints of an integer shape.
type intRule struct {
	min, max       int64
	hasMin, hasMax bool
}

// IsAccountID reports whether s matches the AccountId shape's pattern, 12 digits. It lives in
// model, which imports no other orgd package, so that the domain, sigv4 (which must not import
// the domain) and the command line share one check.
func IsAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// invalid is a validation error; the detail names the member and the rule it breaks.
func invalid(reason, detailFormat string, args ...any) *Error {
	return Fail(CodeInvalidInputException, reason, detailFormat, args...)
}

// missing is the error of an absent required member.
func missing(p *fieldPath) error {
	return invalid(InvalidInputExceptionReasonInputRequired, "%s is required.", p.String())
}

// noNUL refuses a string with a NUL character (\u0000 in JSON), whatever its shape: the
// model's patterns exclude control characters from names, ids and tags, and where a shape
// has no pattern (notes, names of OUs and policies, policy content, tokens) orgd still
// refuses it, the same on every store, since PostgreSQL's text cannot hold one. AWS's answer
// is not known; INVALID_PATTERN is the one a patterned shape gives.
func noNUL[T string | []byte](p *fieldPath, s T) error {
	for i := range len(s) {
		if s[i] == 0 {
			return invalid(InvalidInputExceptionReasonInvalidPattern, "%s contains a NUL character.", p.String())
		}
	}
	return nil
}

// checkString checks s against r: length in code points, then enum, then pattern, after
// refusing NUL (see noNUL).
func checkString(p *fieldPath, s string, r *stringRule) error {
	if err := noNUL(p, s); err != nil {
		return err
	}
	if r.hasMin || r.hasMax {
		// A string has at most len(s) and at least len(s)/UTFMax code points: count them
		// only when the byte length cannot decide.
		n := len(s)
		if r.hasMax && n > r.max || r.hasMin && n >= r.min && n < utf8.UTFMax*r.min {
			n = utf8.RuneCountInString(s)
		}
		if r.hasMin && n < r.min {
			return invalid(InvalidInputExceptionReasonMinLengthExceeded, "%s is shorter than the minimum length of %d.", p.String(), r.min)
		}
		if r.hasMax && n > r.max {
			return invalid(InvalidInputExceptionReasonMaxLengthExceeded, "%s exceeds the maximum length of %d.", p.String(), r.max)
		}
	}
	if r.enum != nil && !r.enum(s) {
		return invalid(r.enumReason, "%s is not one of the values of its enum.", p.String())
	}
	if r.pattern != nil && !r.pattern.MatchString(s) {
		return invalid(r.patternReason, "%s does not match the pattern %s.", p.String(), r.pattern)
	}
	return nil
}

// checkInt checks v against r.
func checkInt(p *fieldPath, v int64, r *intRule) error {
	if r.hasMin && v < r.min {
		return invalid(InvalidInputExceptionReasonMinValueExceeded, "The value for %s must be at least %d.", p.String(), r.min)
	}
	if r.hasMax && v > r.max {
		return invalid(InvalidInputExceptionReasonMaxValueExceeded, "The value for %s must be at most %d.", p.String(), r.max)
	}
	return nil
}

// Validate checks an operation's input against the model's constraints, as Invoke does before
// it calls the API: for orgd's own callers, which build an input instead of decoding one.
func Validate(in interface{ validate(*fieldPath) error }) error { return in.validate(nil) }
