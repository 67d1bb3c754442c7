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

// checkString checks s against r: length in code points, then enum, then pattern.
func checkString(p *fieldPath, s string, r *stringRule) error {
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
