package policy

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Condition operators, as https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
// describes them, and the set operators of
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html.

type family uint8

const (
	famString family = iota + 1
	famStringIC
	famStringLike
	famNumeric
	famDate
	famBool
	famBinary
	famIP
	famARN
	famNull
)

type comparison uint8

const (
	cmpEq comparison = iota
	cmpLt
	cmpLe
	cmpGt
	cmpGe
)

type setOp uint8

const (
	setNone setOp = iota
	setForAll
	setForAny
)

type opDef struct {
	fam family
	cmp comparison
	neg bool
}

// operators maps each base operator name (without ForAllValues:/ForAnyValue: and IfExists)
// to what it does. ArnEquals and ArnLike are the same operator, as are ArnNotEquals and
// ArnNotLike: AWS documents both with wildcards matched per ARN segment.
var operators = map[string]opDef{
	"StringEquals":              {fam: famString},
	"StringNotEquals":           {fam: famString, neg: true},
	"StringEqualsIgnoreCase":    {fam: famStringIC},
	"StringNotEqualsIgnoreCase": {fam: famStringIC, neg: true},
	"StringLike":                {fam: famStringLike},
	"StringNotLike":             {fam: famStringLike, neg: true},
	"NumericEquals":             {fam: famNumeric},
	"NumericNotEquals":          {fam: famNumeric, neg: true},
	"NumericLessThan":           {fam: famNumeric, cmp: cmpLt},
	"NumericLessThanEquals":     {fam: famNumeric, cmp: cmpLe},
	"NumericGreaterThan":        {fam: famNumeric, cmp: cmpGt},
	"NumericGreaterThanEquals":  {fam: famNumeric, cmp: cmpGe},
	"DateEquals":                {fam: famDate},
	"DateNotEquals":             {fam: famDate, neg: true},
	"DateLessThan":              {fam: famDate, cmp: cmpLt},
	"DateLessThanEquals":        {fam: famDate, cmp: cmpLe},
	"DateGreaterThan":           {fam: famDate, cmp: cmpGt},
	"DateGreaterThanEquals":     {fam: famDate, cmp: cmpGe},
	"Bool":                      {fam: famBool},
	"BinaryEquals":              {fam: famBinary},
	"IpAddress":                 {fam: famIP},
	"NotIpAddress":              {fam: famIP, neg: true},
	"ArnEquals":                 {fam: famARN},
	"ArnLike":                   {fam: famARN},
	"ArnNotEquals":              {fam: famARN, neg: true},
	"ArnNotLike":                {fam: famARN, neg: true},
	"Null":                      {fam: famNull},
}

// condition is one (operator, key) pair of a Condition block with its values.
type condition struct {
	op string // as written
	opDef
	set      setOp
	ifExists bool
	name     string // the key as written
	key      string // folded to lower case
	values   []cvalue
	// hasVars: some value holds a policy variable and is parsed per decision.
	hasVars bool
}

// cvalue is one policy value, pre-parsed for its operator's family.
type cvalue struct {
	raw  string
	ok   bool // raw parses for the family (Validate refuses values that do not)
	g    glob
	arn  arnPattern
	num  float64
	t    int64 // Unix nanoseconds
	pfx  netip.Prefix
	bin  string // BinaryEquals: the value re-encoded as canonical base64
	b    bool
	tmpl *template
}

// parseOperator splits ForAllValues:/ForAnyValue: and IfExists off an operator name.
func parseOperator(name string) (def opDef, set setOp, ifExists bool, ok bool) {
	base := name
	if b, found := strings.CutPrefix(base, "ForAllValues:"); found {
		base, set = b, setForAll
	} else if b, found := strings.CutPrefix(base, "ForAnyValue:"); found {
		base, set = b, setForAny
	}
	if b, found := strings.CutSuffix(base, "IfExists"); found && b != "Null" {
		base, ifExists = b, true
	}
	def, ok = operators[base]
	if ok && def.fam == famNull && set != setNone {
		ok = false
	}
	return def, set, ifExists, ok
}

func parseConditions(s *statement, v any, vars bool) *Error {
	block, ok := v.(map[string]any)
	if !ok {
		return errorf("Condition must be an object of condition operators.")
	}
	for _, opName := range sortedKeys(block) {
		keys, ok := block[opName].(map[string]any)
		if !ok {
			return errorf("Condition operator %s must be an object of condition keys.", opName)
		}
		def, set, ifExists, known := parseOperator(opName)
		if !known {
			s.unknownOps = append(s.unknownOps, opName)
			continue
		}
		for _, key := range sortedKeys(keys) {
			vals, err := conditionValues(opName, key, keys[key])
			if err != nil {
				return err
			}
			c := condition{op: opName, opDef: def, set: set, ifExists: ifExists, name: key, key: lowerASCII(key)}
			for _, raw := range vals {
				cv := cvalue{raw: raw}
				if vars && c.fam != famNull {
					cv.tmpl = parseTemplate(raw)
				}
				if cv.tmpl != nil {
					c.hasVars = true
					cv.ok = true
				} else {
					cv = compileValue(c.fam, raw, nil)
				}
				c.values = append(c.values, cv)
			}
			s.conds = append(s.conds, c)
		}
	}
	return nil
}

// conditionValues reads a condition's value: a string, number or boolean, or an array of
// them (JSON numbers and booleans are read as the strings they spell, as AWS does).
func conditionValues(op, key string, v any) ([]string, *Error) {
	one := func(x any) (string, bool) {
		switch t := x.(type) {
		case string:
			return t, true
		case json.Number:
			return t.String(), true
		case bool:
			return strconv.FormatBool(t), true
		}
		return "", false
	}
	if arr, ok := v.([]any); ok {
		out := make([]string, 0, len(arr))
		for _, x := range arr {
			s, ok := one(x)
			if !ok {
				return nil, errorf("the values of %s in %s must be strings, numbers or booleans.", key, op)
			}
			out = append(out, s)
		}
		return out, nil
	}
	s, ok := one(v)
	if !ok {
		return nil, errorf("the values of %s in %s must be strings, numbers or booleans.", key, op)
	}
	return []string{s}, nil
}

// compileValue parses one policy value for its family; lit marks literal characters of a
// rendered template (see template.render).
func compileValue(fam family, raw string, lit []bool) cvalue {
	cv := cvalue{raw: raw, ok: true}
	switch fam {
	case famStringLike:
		cv.g = newGlob(raw, lit)
	case famARN:
		cv.arn = newARNPattern(raw, lit)
	case famNumeric:
		cv.num, cv.ok = parseNumber(raw)
	case famDate:
		cv.t, cv.ok = parseDate(raw)
	case famBool, famNull:
		cv.b, cv.ok = parseBool(raw)
	case famIP:
		cv.pfx, cv.ok = parseCIDR(raw)
	case famBinary:
		b, err := base64.StdEncoding.DecodeString(raw)
		cv.ok = err == nil
		cv.bin = base64.StdEncoding.EncodeToString(b)
	}
	return cv
}

func parseNumber(s string) (float64, bool) {
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil && !math.IsNaN(f) && !math.IsInf(f, 0)
}

func parseBool(s string) (bool, bool) {
	switch {
	case equalFold(s, "true"):
		return true, true
	case equalFold(s, "false"):
		return false, true
	}
	return false, false
}

// dateLayouts are the ISO 8601 forms AWS documents for Date operators and aws:CurrentTime;
// a date without a zone is UTC.
var dateLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04:05",
	"2006-01-02T15:04",
	"2006-01-02",
	"20060102T150405Z07:00",
}

// parseDate reads ISO 8601 or epoch seconds (aws:EpochTime; AWS accepts either form in a
// Date operator).
func parseDate(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	if isDigits(s) || (s[0] == '-' && isDigits(s[1:])) {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n > math.MaxInt64/1_000_000_000 || n < math.MinInt64/1_000_000_000 {
			return 0, false
		}
		return n * 1e9, true
	}
	for _, layout := range dateLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UnixNano(), true
		}
	}
	return 0, false
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// parseCIDR reads a CIDR block or a bare address (a block of one), IPv4 or IPv6.
func parseCIDR(s string) (netip.Prefix, bool) {
	if strings.IndexByte(s, '/') >= 0 {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, false
		}
		a := p.Addr().Unmap()
		bits := p.Bits()
		if p.Addr().Is4In6() {
			bits -= 96
			if bits < 0 {
				bits = 0
			}
		}
		return netip.PrefixFrom(a, bits).Masked(), true
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, false
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), true
}

func compareOrdered[T int64 | float64](cmp comparison, have, want T) bool {
	switch cmp {
	case cmpLt:
		return have < want
	case cmpLe:
		return have <= want
	case cmpGt:
		return have > want
	case cmpGe:
		return have >= want
	}
	return have == want
}

// matchValue reports whether one context value matches one of the policy values under the
// positive form of the operator (negation is applied by the caller).
func (c *condition) matchValue(e *evaluator, v string) bool {
	switch c.fam {
	case famNumeric:
		n, ok := parseNumber(v)
		if !ok {
			return false
		}
		for i := range c.values {
			pv := c.value(e, i)
			if pv.ok && compareOrdered(c.cmp, n, pv.num) {
				return true
			}
		}
		return false
	case famDate:
		t, ok := parseDate(v)
		if !ok {
			return false
		}
		for i := range c.values {
			pv := c.value(e, i)
			if pv.ok && compareOrdered(c.cmp, t, pv.t) {
				return true
			}
		}
		return false
	case famIP:
		a, err := netip.ParseAddr(v)
		if err != nil {
			return false
		}
		a = a.Unmap()
		for i := range c.values {
			pv := c.value(e, i)
			if pv.ok && pv.pfx.Contains(a) {
				return true
			}
		}
		return false
	}
	for i := range c.values {
		pv := c.value(e, i)
		if !pv.ok {
			continue
		}
		switch c.fam {
		case famString:
			if pv.raw == v {
				return true
			}
		case famStringIC:
			if strings.EqualFold(pv.raw, v) {
				return true
			}
		case famStringLike:
			if pv.g.match(v, false) {
				return true
			}
		case famARN:
			if pv.arn.match(v) {
				return true
			}
		case famBool:
			if b, ok := parseBool(v); ok && b == pv.b {
				return true
			}
		case famBinary:
			if v == pv.bin {
				return true
			}
			if b, err := base64.StdEncoding.DecodeString(v); err == nil {
				if p, err := base64.StdEncoding.DecodeString(pv.bin); err == nil && bytes.Equal(b, p) {
					return true
				}
			}
		}
	}
	return false
}

// value returns policy value i, rendering its variables for this request when it has any.
// A variable without a value gives a value that matches nothing (ok false).
func (c *condition) value(e *evaluator, i int) *cvalue {
	cv := &c.values[i]
	if cv.tmpl == nil {
		return cv
	}
	s, lit, ok := cv.tmpl.render(e)
	if !ok {
		return &cvalue{raw: cv.raw}
	}
	out := compileValue(c.fam, s, lit)
	return &out
}

// eval decides the condition for the request: AWS's rules for absent keys, IfExists, Null
// and the set operators.
func (c *condition) eval(e *evaluator) tri {
	vals, present := e.lookup(c.key)
	if c.fam == famNull {
		absent := !present || len(vals) == 0
		for i := range c.values {
			if c.values[i].ok && c.values[i].b == absent {
				return yes
			}
		}
		return no
	}
	if !present {
		// The simulator lists every key a statement reads and the request lacks, also
		// under IfExists, where its absence is what decided.
		e.missing(c.name)
		if c.ifExists {
			return yes
		}
		if e.opt.Unknown {
			return unknown
		}
		switch c.set {
		case setForAll:
			return yes // no value in the request fails to match
		case setForAny:
			return no
		}
		if c.neg {
			return yes
		}
		return no
	}
	switch c.set {
	case setForAll:
		for _, v := range vals {
			if c.matchValue(e, v) == c.neg {
				return no
			}
		}
		return yes
	case setForAny:
		for _, v := range vals {
			if c.matchValue(e, v) != c.neg {
				return yes
			}
		}
		return no
	}
	any := false
	for _, v := range vals {
		if c.matchValue(e, v) {
			any = true
			break
		}
	}
	if any != c.neg {
		return yes
	}
	return no
}
