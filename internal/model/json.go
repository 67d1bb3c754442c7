package model

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// ---- encoding ----

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string: quotes and backslashes escaped, control characters
// as \u00XX, invalid UTF-8 as \ufffd. It does not escape HTML characters.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

func appendStringList(b []byte, l []string) []byte {
	b = append(b, '[')
	for i, s := range l {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, s)
	}
	return append(b, ']')
}

// appendTimestamp appends t as epoch seconds with up to millisecond precision and no trailing
// zeros in the fraction: 1481656459.257, 1481656459.25, 1481656459.
func appendTimestamp(b []byte, t time.Time) []byte {
	ms := t.UnixMilli()
	if ms < 0 {
		b = append(b, '-')
		ms = -ms
	}
	b = strconv.AppendInt(b, ms/1000, 10)
	frac := ms % 1000
	if frac == 0 {
		return b
	}
	b = append(b, '.', byte('0'+frac/100))
	if frac%100 != 0 {
		b = append(b, byte('0'+frac/10%10))
		if frac%10 != 0 {
			b = append(b, byte('0'+frac%10))
		}
	}
	return b
}

// closeObject finishes an object whose members were appended from start on, each with a
// leading comma: the first comma becomes the opening brace.
func closeObject(b []byte, start int) []byte {
	if len(b) == start {
		return append(b, '{', '}')
	}
	b[start] = '{'
	return append(b, '}')
}

// ---- decoding ----

// fieldPath names a member for error messages, e.g. Tags[2].Key. Paths are built on the stack
// as the decoders and validators descend and turned into strings only for an error.
type fieldPath struct {
	parent  *fieldPath
	name    string
	index   int
	indexed bool // index, not name, is the last element
}

func (p *fieldPath) String() string { return string(p.appendTo(nil)) }

func (p *fieldPath) appendTo(b []byte) []byte {
	if p == nil {
		return b
	}
	b = p.parent.appendTo(b)
	if p.indexed {
		b = append(b, '[')
		b = strconv.AppendInt(b, int64(p.index), 10)
		return append(b, ']')
	}
	if len(b) > 0 {
		b = append(b, '.')
	}
	return append(b, p.name...)
}

// inputDecoder is an input structure with a generated decoder.
type inputDecoder interface {
	decodeJSON(d *decoder, p *fieldPath) error
}

// maxDepth bounds the nesting of skipped values.
const maxDepth = 1000

// decoder is a strict JSON reader over a request body.
type decoder struct {
	data  []byte
	pos   int
	depth int
}

// decodeBody decodes a request body into in (nil: the operation has no input, the body must
// still be a JSON object). An empty or all-whitespace body counts as {}.
func decodeBody(body []byte, in inputDecoder) error {
	d := &decoder{data: body}
	d.ws()
	if d.pos == len(d.data) {
		return nil
	}
	if d.data[d.pos] != '{' {
		return serializationError("The request body must be a JSON object.")
	}
	var err error
	if in != nil {
		err = in.decodeJSON(d, nil)
	} else {
		err = d.object(nil, func([]byte) error { return d.skip() })
	}
	if err != nil {
		return err
	}
	d.ws()
	if d.pos != len(d.data) {
		return d.syntax("unexpected data after the top-level object")
	}
	return nil
}

// serializationError is a decoding error; the detail says where and what.
func serializationError(detail string) *Error {
	return &Error{Code: CodeSerializationException, Detail: detail}
}

func (d *decoder) syntax(what string) *Error {
	return serializationError(fmt.Sprintf("Malformed JSON at byte %d: %s.", d.pos, what))
}

// typeError reports a value of the wrong JSON type for the member at p.
func (d *decoder) typeError(p *fieldPath, want string) *Error {
	if p == nil {
		return serializationError("The request body must be a JSON object.")
	}
	return serializationError(fmt.Sprintf("Cannot decode %s: expected %s, found %s.", p.String(), want, d.kind()))
}

// kind names the JSON value at the current position.
func (d *decoder) kind() string {
	if d.pos >= len(d.data) {
		return "the end of the body"
	}
	switch c := d.data[d.pos]; {
	case c == '{':
		return "an object"
	case c == '[':
		return "an array"
	case c == '"':
		return "a string"
	case c == 't' || c == 'f':
		return "a boolean"
	case c == 'n':
		return "null"
	case c == '-' || (c >= '0' && c <= '9'):
		return "a number"
	}
	return "an invalid character"
}

func (d *decoder) ws() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

func (d *decoder) peek() byte {
	d.ws()
	if d.pos < len(d.data) {
		return d.data[d.pos]
	}
	return 0
}

// literal consumes word (true, false, null) at the current position.
func (d *decoder) literal(word string) error {
	if string(d.data[d.pos:min(len(d.data), d.pos+len(word))]) != word {
		return d.syntax("invalid literal")
	}
	d.pos += len(word)
	return nil
}

// null consumes a null if one comes next.
func (d *decoder) null() bool {
	if d.peek() == 'n' && d.literal("null") == nil {
		return true
	}
	return false
}

// object reads an object, calling fn for each member with the decoded key; fn must consume
// the member's value.
func (d *decoder) object(p *fieldPath, fn func(key []byte) error) error {
	if d.peek() != '{' {
		if d.pos >= len(d.data) || !startsValue(d.data[d.pos]) {
			return d.syntax("expected a value")
		}
		return d.typeError(p, "an object")
	}
	d.pos++
	if d.peek() == '}' {
		d.pos++
		return nil
	}
	for {
		if d.peek() != '"' {
			return d.syntax("expected a member name")
		}
		key, err := d.stringBytes()
		if err != nil {
			return err
		}
		if d.peek() != ':' {
			return d.syntax("expected ':' after a member name")
		}
		d.pos++
		if d.peek() == 0 {
			return d.syntax("unexpected end of the body")
		}
		if err := fn(key); err != nil {
			return err
		}
		switch d.peek() {
		case ',':
			d.pos++
		case '}':
			d.pos++
			return nil
		default:
			return d.syntax("expected ',' or '}' in an object")
		}
	}
}

// array reads an array, calling fn for each element; fn must consume the element.
func (d *decoder) array(p *fieldPath, fn func(i int) error) error {
	if d.peek() != '[' {
		if d.pos >= len(d.data) || !startsValue(d.data[d.pos]) {
			return d.syntax("expected a value")
		}
		return d.typeError(p, "an array")
	}
	d.pos++
	if d.peek() == ']' {
		d.pos++
		return nil
	}
	for i := 0; ; i++ {
		if d.peek() == 0 {
			return d.syntax("unexpected end of the body")
		}
		if err := fn(i); err != nil {
			return err
		}
		switch d.peek() {
		case ',':
			d.pos++
		case ']':
			d.pos++
			return nil
		default:
			return d.syntax("expected ',' or ']' in an array")
		}
	}
}

func startsValue(c byte) bool {
	switch c {
	case '{', '[', '"', 't', 'f', 'n', '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return true
	}
	return false
}

// str decodes a string member; null leaves it absent.
func (d *decoder) str(p *fieldPath, dst **string) error {
	switch c := d.peek(); {
	case c == '"':
		b, err := d.stringBytes()
		if err != nil {
			return err
		}
		if err := noNUL(p, b); err != nil {
			return err
		}
		s := string(b)
		*dst = &s
		return nil
	case c == 'n':
		if err := d.literal("null"); err != nil {
			return err
		}
		*dst = nil
		return nil
	case startsValue(c):
		return d.typeError(p, "a string")
	}
	return d.syntax("expected a value")
}

// strList decodes a list of strings; null leaves it absent, null elements are refused.
func (d *decoder) strList(p *fieldPath, dst *[]string) error {
	if d.null() {
		*dst = nil
		return nil
	}
	l := []string{}
	err := d.array(p, func(i int) error {
		if d.peek() != '"' {
			if !startsValue(d.peek()) {
				return d.syntax("expected a value")
			}
			return d.typeError(&fieldPath{parent: p, index: i, indexed: true}, "a string")
		}
		b, err := d.stringBytes()
		if err != nil {
			return err
		}
		if err := noNUL(&fieldPath{parent: p, index: i, indexed: true}, b); err != nil {
			return err
		}
		l = append(l, string(b))
		return nil
	})
	if err != nil {
		return err
	}
	*dst = l
	return nil
}

// int32 decodes an integer member: a JSON number with an integral value in int32's range.
func (d *decoder) int32(p *fieldPath, dst **int32) error {
	switch c := d.peek(); {
	case c == 'n':
		if err := d.literal("null"); err != nil {
			return err
		}
		*dst = nil
		return nil
	case c == '-' || (c >= '0' && c <= '9'):
		num, err := d.number()
		if err != nil {
			return err
		}
		n, err := strconv.ParseInt(string(num), 10, 32)
		if err != nil {
			f, ferr := strconv.ParseFloat(string(num), 64)
			if ferr != nil || f != math.Trunc(f) || f < math.MinInt32 || f > math.MaxInt32 {
				return serializationError(fmt.Sprintf("Cannot decode %s: %s is not a 32-bit integer.", p.String(), num))
			}
			n = int64(f)
		}
		v := int32(n)
		*dst = &v
		return nil
	case startsValue(c):
		return d.typeError(p, "an integer")
	}
	return d.syntax("expected a value")
}

// boolean decodes a boolean member.
func (d *decoder) boolean(p *fieldPath, dst **bool) error {
	switch c := d.peek(); {
	case c == 'n':
		if err := d.literal("null"); err != nil {
			return err
		}
		*dst = nil
		return nil
	case c == 't' || c == 'f':
		v := c == 't'
		word := "false"
		if v {
			word = "true"
		}
		if err := d.literal(word); err != nil {
			return err
		}
		*dst = &v
		return nil
	case startsValue(c):
		return d.typeError(p, "a boolean")
	}
	return d.syntax("expected a value")
}

// timestamp decodes a timestamp member: epoch seconds as a JSON number, or an RFC 3339 string.
func (d *decoder) timestamp(p *fieldPath, dst **time.Time) error {
	switch c := d.peek(); {
	case c == 'n':
		if err := d.literal("null"); err != nil {
			return err
		}
		*dst = nil
		return nil
	case c == '"':
		b, err := d.stringBytes()
		if err != nil {
			return err
		}
		t, err := time.Parse(time.RFC3339Nano, string(b))
		if err != nil {
			return serializationError(fmt.Sprintf("Cannot decode %s: %q is not an RFC 3339 timestamp.", p.String(), b))
		}
		*dst = &t
		return nil
	case c == '-' || (c >= '0' && c <= '9'):
		num, err := d.number()
		if err != nil {
			return err
		}
		t, ok := epochSeconds(string(num))
		if !ok {
			return serializationError(fmt.Sprintf("Cannot decode %s: %s is not a timestamp in epoch seconds.", p.String(), num))
		}
		*dst = &t
		return nil
	case startsValue(c):
		return d.typeError(p, "a timestamp")
	}
	return d.syntax("expected a value")
}

// epochSeconds converts a JSON number of seconds since the epoch, exactly when it is written
// without an exponent.
func epochSeconds(num string) (time.Time, bool) {
	if !strings.ContainsAny(num, "eE") {
		whole, frac, _ := strings.Cut(num, ".")
		sec, err := strconv.ParseInt(whole, 10, 64)
		if err != nil || sec > 1<<40 || sec < -(1<<40) {
			return time.Time{}, false
		}
		var nsec int64
		for i := range 9 {
			nsec *= 10
			if i < len(frac) {
				nsec += int64(frac[i] - '0')
			}
		}
		if strings.HasPrefix(whole, "-") {
			nsec = -nsec
		}
		return time.Unix(sec, nsec).UTC(), true
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || math.IsInf(f, 0) || math.Abs(f) > 1<<40 {
		return time.Time{}, false
	}
	sec := math.Floor(f)
	return time.Unix(int64(sec), int64(math.Round((f-sec)*1e9))).UTC(), true
}

// number consumes a JSON number and returns its text.
func (d *decoder) number() ([]byte, error) {
	start := d.pos
	data := d.data
	i := d.pos
	if i < len(data) && data[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(data) && data[i] >= '0' && data[i] <= '9' {
			i++
			n++
		}
		return n
	}
	switch {
	case i < len(data) && data[i] == '0':
		i++
	case digits() == 0:
		d.pos = i
		return nil, d.syntax("invalid number")
	}
	if i < len(data) && data[i] == '.' {
		i++
		if digits() == 0 {
			d.pos = i
			return nil, d.syntax("invalid number")
		}
	}
	if i < len(data) && (data[i] == 'e' || data[i] == 'E') {
		i++
		if i < len(data) && (data[i] == '+' || data[i] == '-') {
			i++
		}
		if digits() == 0 {
			d.pos = i
			return nil, d.syntax("invalid number")
		}
	}
	d.pos = i
	return data[start:i], nil
}

// stringBytes consumes a JSON string and returns its decoded bytes. Without escapes or
// invalid UTF-8 the result aliases the body. Invalid UTF-8 and lone surrogates become U+FFFD.
func (d *decoder) stringBytes() ([]byte, error) {
	d.pos++ // opening quote
	start := d.pos
	data := d.data
	i := start
	for i < len(data) {
		c := data[i]
		if c == '"' {
			d.pos = i + 1
			return data[start:i], nil
		}
		if c == '\\' || c < 0x20 {
			break
		}
		if c < utf8.RuneSelf {
			i++
			continue
		}
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size == 1 {
			break
		}
		i += size
	}
	out := make([]byte, 0, i-start+16)
	out = append(out, data[start:i]...)
	for i < len(data) {
		c := data[i]
		switch {
		case c == '"':
			d.pos = i + 1
			return out, nil
		case c < 0x20:
			d.pos = i
			return nil, d.syntax("control character in a string")
		case c == '\\':
			if i+1 >= len(data) {
				d.pos = i
				return nil, d.syntax("unterminated string")
			}
			e := data[i+1]
			i += 2
			switch e {
			case '"', '\\', '/':
				out = append(out, e)
			case 'b':
				out = append(out, '\b')
			case 'f':
				out = append(out, '\f')
			case 'n':
				out = append(out, '\n')
			case 'r':
				out = append(out, '\r')
			case 't':
				out = append(out, '\t')
			case 'u':
				r, ok := hex4(data[i:])
				if !ok {
					d.pos = i
					return nil, d.syntax("invalid \\u escape")
				}
				i += 4
				if utf16.IsSurrogate(r) {
					r2, ok := rune(0), false
					if i+6 <= len(data) && data[i] == '\\' && data[i+1] == 'u' {
						r2, ok = hex4(data[i+2:])
					}
					if dec := utf16.DecodeRune(r, r2); ok && dec != utf8.RuneError {
						r = dec
						i += 6
					} else {
						r = utf8.RuneError
					}
				}
				out = utf8.AppendRune(out, r)
			default:
				d.pos = i - 1
				return nil, d.syntax("invalid escape in a string")
			}
		case c < utf8.RuneSelf:
			out = append(out, c)
			i++
		default:
			r, size := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && size == 1 {
				out = utf8.AppendRune(out, utf8.RuneError)
			} else {
				out = append(out, data[i:i+size]...)
			}
			i += size
		}
	}
	d.pos = i
	return nil, d.syntax("unterminated string")
}

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}

// skip consumes any JSON value, checking its syntax.
func (d *decoder) skip() error {
	switch c := d.peek(); c {
	case '{':
		if d.depth++; d.depth > maxDepth {
			return d.syntax("nesting too deep")
		}
		err := d.object(nil, func([]byte) error { return d.skip() })
		d.depth--
		return err
	case '[':
		if d.depth++; d.depth > maxDepth {
			return d.syntax("nesting too deep")
		}
		err := d.array(nil, func(int) error { return d.skip() })
		d.depth--
		return err
	case '"':
		_, err := d.stringBytes()
		return err
	case 't':
		return d.literal("true")
	case 'f':
		return d.literal("false")
	case 'n':
		return d.literal("null")
	case 0:
		return d.syntax("unexpected end of the body")
	}
	if c := d.data[d.pos]; c == '-' || (c >= '0' && c <= '9') {
		_, err := d.number()
		return err
	}
	return d.syntax("expected a value")
}
