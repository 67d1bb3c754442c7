package policy

import "strings"

// Policy variables (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html):
// only in policies of Version 2012-10-17, only in Resource/NotResource and condition values.
// ${key} is replaced by the request's value of the condition key; ${*}, ${?} and ${$} stand
// for the literal characters; ${key, 'default'} supplies a value when the key has none. A
// variable with no value and no default makes its Resource entry or condition value match
// nothing.

// template is a string with variables, split into literal text and variables at Parse.
type template struct {
	parts []tpart
}

type tpart struct {
	text    string // literal text (wildcards active) when key == "" && !literal
	literal bool   // text is ${*}, ${?} or ${$}: a literal character, never a wildcard
	key     string // the variable's condition key, folded to lower case
	def     string
	hasDef  bool
}

// parseTemplate returns nil when s holds no variable.
func parseTemplate(s string) *template {
	if !strings.Contains(s, "${") {
		return nil
	}
	t := &template{}
	for len(s) > 0 {
		i := strings.Index(s, "${")
		if i < 0 {
			t.parts = append(t.parts, tpart{text: s})
			break
		}
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			// An unclosed ${ is plain text, as it is in a policy without variables.
			t.parts = append(t.parts, tpart{text: s})
			break
		}
		if i > 0 {
			t.parts = append(t.parts, tpart{text: s[:i]})
		}
		inner := strings.TrimSpace(s[i+2 : i+end])
		s = s[i+end+1:]
		switch inner {
		case "*", "?", "$":
			t.parts = append(t.parts, tpart{text: inner, literal: true})
			continue
		}
		p := tpart{key: inner}
		if k, d, ok := strings.Cut(inner, ","); ok {
			d = strings.TrimSpace(d)
			if len(d) >= 2 && d[0] == '\'' && d[len(d)-1] == '\'' {
				p.key, p.def, p.hasDef = strings.TrimSpace(k), d[1:len(d)-1], true
			}
		}
		p.key = lowerASCII(p.key)
		t.parts = append(t.parts, p)
	}
	return t
}

// render substitutes the variables. lit marks the bytes of the result that are literal
// (substituted values and ${*}-style characters): a * or ? there is no wildcard. ok is false
// when a variable has no value and no default.
func (t *template) render(e *evaluator) (s string, lit []bool, ok bool) {
	var b strings.Builder
	for _, p := range t.parts {
		switch {
		case p.key == "" && !p.literal:
			b.WriteString(p.text)
			for range len(p.text) {
				lit = append(lit, false)
			}
			continue
		case p.literal:
			b.WriteString(p.text)
			lit = append(lit, true)
			continue
		}
		v, found := e.variable(p.key)
		if !found {
			if !p.hasDef {
				return "", nil, false
			}
			v = p.def
		}
		b.WriteString(v)
		for range len(v) {
			lit = append(lit, true)
		}
	}
	return b.String(), lit, true
}
