package policy

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
)

// Policy is a parsed policy document: immutable after Parse (except ID, which the caller may
// set before sharing it), safe for concurrent use, compiled for fast evaluation.
type Policy struct {
	ID      string // caller's name for it (p-xxxxxxxx, an ARN, "inline-0"); shown in matches
	Version string // "2012-10-17", "2008-10-17" or "" (no variables in 2008-10-17 / absent)

	stmts []statement
}

// Error is a problem with a document; Msg is a sentence that can be shown to the user.
type Error struct{ Msg string }

func (e *Error) Error() string { return e.Msg }

func errorf(format string, args ...any) *Error { return &Error{Msg: fmt.Sprintf(format, args...)} }

// StatementInfo describes one statement for display (simulator, impact).
type StatementInfo struct {
	Sid, Effect   string
	ConditionKeys []string // the keys its conditions read, as written, sorted, no duplicates
}

// Statements lists the statements for display.
func (p *Policy) Statements() []StatementInfo {
	out := make([]StatementInfo, len(p.stmts))
	for i := range p.stmts {
		s := &p.stmts[i]
		out[i] = StatementInfo{Sid: s.sid, Effect: s.effect()}
		for _, c := range s.conds {
			if !slices.Contains(out[i].ConditionKeys, c.name) {
				out[i].ConditionKeys = append(out[i].ConditionKeys, c.name)
			}
		}
		slices.Sort(out[i].ConditionKeys)
	}
	return out
}

// statement is one compiled statement. The raw document is kept per element only where
// Validate needs it (rawResources, rawActions, ops).
type statement struct {
	sid  string
	deny bool

	notAction bool
	actions   []actionPattern

	hasResource bool // false: the element is absent, every resource matches
	notResource bool
	resources   []resourcePattern

	hasPrincipal bool
	notPrincipal bool
	principal    principalSet

	conds []condition
	// unknownOps are condition operators Parse could not read; the statement never matches
	// (Validate refuses them).
	unknownOps []string
}

func (s *statement) effect() string {
	if s.deny {
		return "Deny"
	}
	return "Allow"
}

// actionPattern is one entry of Action/NotAction, folded to lower case and split at the
// service prefix so that most entries are decided by comparing the prefix.
type actionPattern struct {
	raw     string
	all     bool   // "*"
	service string // lower case; "" when the entry has no colon
	name    glob   // the part after the colon (or the whole entry when it has none)
}

func newActionPattern(raw string) actionPattern {
	a := actionPattern{raw: raw}
	if raw == "*" {
		a.all = true
		return a
	}
	l := lowerASCII(raw)
	if i := strings.IndexByte(l, ':'); i >= 0 {
		a.service = l[:i]
		a.name = newGlob(l[i+1:], nil)
	} else {
		a.name = newGlob(l, nil)
	}
	return a
}

// match compares case-insensitively: AWS action names are not case-sensitive. service and
// name are the request's action split at its colon (service "" when it has none).
func (a *actionPattern) match(action, service, name string) bool {
	switch {
	case a.all:
		return true
	case a.service == "":
		return a.name.match(action, true)
	case !equalFold(a.service, service):
		return false
	}
	return a.name.match(name, true)
}

// resourcePattern is one entry of Resource/NotResource; ARNs are case-sensitive.
type resourcePattern struct {
	raw  string
	arn  arnPattern
	tmpl *template // set when the entry holds policy variables (2012-10-17 only)
}

// principalSet is a Principal/NotPrincipal element.
type principalSet struct {
	all      bool     // "*" or {"AWS": "*"}
	aws      []string // account IDs and ARNs
	services []string
	other    []string // Federated, CanonicalUser
}

// Parse parses a policy document (JSON text). It checks the grammar every policy shares and
// returns *Error saying what is wrong; per-type rules are Validate's.
func Parse(doc string) (*Policy, error) {
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, errorf("The policy document is not valid JSON: %v.", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errorf("The policy document has data after its JSON object.")
	}
	top, ok := v.(map[string]any)
	if !ok {
		return nil, errorf("The policy document must be a JSON object.")
	}
	p := &Policy{}
	for _, k := range sortedKeys(top) {
		switch k {
		case "Version":
			s, ok := top[k].(string)
			if !ok || (s != "2012-10-17" && s != "2008-10-17") {
				return nil, errorf("The policy's Version must be 2012-10-17 or 2008-10-17.")
			}
			p.Version = s
		case "Id":
			if _, ok := top[k].(string); !ok {
				return nil, errorf("The policy's Id must be a string.")
			}
		case "Statement":
		default:
			return nil, errorf("The policy document contains an unknown element %s.", k)
		}
	}
	raw, ok := top["Statement"]
	if !ok {
		return nil, errorf("The policy document must contain a Statement element.")
	}
	var list []any
	switch s := raw.(type) {
	case map[string]any:
		list = []any{s}
	case []any:
		list = s
	default:
		return nil, errorf("The policy's Statement must be an object or an array of objects.")
	}
	if len(list) == 0 {
		return nil, errorf("The policy's Statement must contain at least one statement.")
	}
	vars := p.Version == "2012-10-17"
	p.stmts = make([]statement, 0, len(list))
	for i, item := range list {
		m, ok := item.(map[string]any)
		if !ok {
			return nil, errorf("Statement %d must be a JSON object.", i+1)
		}
		s, err := parseStatement(m, vars)
		if err != nil {
			name := fmt.Sprintf("Statement %d", i+1)
			if sid, ok := m["Sid"].(string); ok && sid != "" {
				name = fmt.Sprintf("Statement %q", sid)
			}
			return nil, errorf("%s: %s", name, err.Msg)
		}
		p.stmts = append(p.stmts, s)
	}
	return p, nil
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func parseStatement(m map[string]any, vars bool) (statement, *Error) {
	var s statement
	for _, k := range sortedKeys(m) {
		switch k {
		case "Sid", "Effect", "Action", "NotAction", "Resource", "NotResource",
			"Principal", "NotPrincipal", "Condition":
		default:
			return s, errorf("unknown element %s.", k)
		}
	}
	if sid, ok := m["Sid"]; ok {
		str, ok := sid.(string)
		if !ok {
			return s, errorf("Sid must be a string.")
		}
		s.sid = str
	}
	switch m["Effect"] {
	case "Allow":
	case "Deny":
		s.deny = true
	case nil:
		return s, errorf("the statement must have an Effect.")
	default:
		return s, errorf("Effect must be Allow or Deny.")
	}

	act, hasAct := m["Action"]
	notAct, hasNotAct := m["NotAction"]
	switch {
	case hasAct && hasNotAct:
		return s, errorf("the statement must not have both Action and NotAction.")
	case !hasAct && !hasNotAct:
		return s, errorf("the statement must have an Action or a NotAction.")
	}
	elem := "Action"
	if hasNotAct {
		act, elem, s.notAction = notAct, "NotAction", true
	}
	list, err := stringList(elem, act)
	if err != nil {
		return s, err
	}
	for _, a := range list {
		s.actions = append(s.actions, newActionPattern(a))
	}

	res, hasRes := m["Resource"]
	notRes, hasNotRes := m["NotResource"]
	if hasRes && hasNotRes {
		return s, errorf("the statement must not have both Resource and NotResource.")
	}
	if hasRes || hasNotRes {
		s.hasResource = true
		elem := "Resource"
		if hasNotRes {
			res, elem, s.notResource = notRes, "NotResource", true
		}
		list, err := stringList(elem, res)
		if err != nil {
			return s, err
		}
		for _, r := range list {
			rp := resourcePattern{raw: r}
			if vars {
				rp.tmpl = parseTemplate(r)
			}
			if rp.tmpl == nil {
				rp.arn = newARNPattern(r, nil)
			}
			s.resources = append(s.resources, rp)
		}
	}

	pr, hasPr := m["Principal"]
	notPr, hasNotPr := m["NotPrincipal"]
	if hasPr && hasNotPr {
		return s, errorf("the statement must not have both Principal and NotPrincipal.")
	}
	if hasPr || hasNotPr {
		s.hasPrincipal = true
		elem := "Principal"
		if hasNotPr {
			pr, elem, s.notPrincipal = notPr, "NotPrincipal", true
		}
		ps, err := parsePrincipal(elem, pr)
		if err != nil {
			return s, err
		}
		s.principal = ps
	}

	if c, ok := m["Condition"]; ok {
		if err := parseConditions(&s, c, vars); err != nil {
			return s, err
		}
	}
	return s, nil
}

// stringList reads an element that is one string or an array of strings (never empty: IAM
// refuses "Action": [] as a statement without actions).
func stringList(elem string, v any) ([]string, *Error) {
	switch t := v.(type) {
	case string:
		return []string{t}, nil
	case []any:
		if len(t) == 0 {
			return nil, errorf("%s must not be an empty array.", elem)
		}
		out := make([]string, len(t))
		for i, x := range t {
			s, ok := x.(string)
			if !ok {
				return nil, errorf("%s must be a string or an array of strings.", elem)
			}
			out[i] = s
		}
		return out, nil
	}
	return nil, errorf("%s must be a string or an array of strings.", elem)
}

func parsePrincipal(elem string, v any) (principalSet, *Error) {
	var ps principalSet
	if s, ok := v.(string); ok {
		if s != "*" {
			return ps, errorf("%s must be \"*\" or an object such as {\"AWS\": ...}.", elem)
		}
		ps.all = true
		return ps, nil
	}
	m, ok := v.(map[string]any)
	if !ok || len(m) == 0 {
		return ps, errorf("%s must be \"*\" or an object such as {\"AWS\": ...}.", elem)
	}
	for _, k := range sortedKeys(m) {
		list, err := stringList(elem+"."+k, m[k])
		if err != nil {
			return ps, err
		}
		switch k {
		case "AWS":
			for _, a := range list {
				if a == "*" {
					ps.all = true
				}
			}
			ps.aws = append(ps.aws, list...)
		case "Service":
			ps.services = append(ps.services, list...)
		case "Federated", "CanonicalUser":
			ps.other = append(ps.other, list...)
		default:
			return ps, errorf("%s has an unknown principal type %s.", elem, k)
		}
	}
	return ps, nil
}
