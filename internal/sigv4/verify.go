package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The texts AWS builds from a request's values for its authentication failures (the
// awsJson services' IncompleteSignatureException and InvalidSignatureException), as real
// answers quote them. model.IsBuiltText recognises each form.
const (
	textRequires     = "Authorization header requires '%s' parameter. "
	textRequiresDate = "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
	textNoEqualSign  = "'%s' not a valid key=value pair (missing equal-sign) in Authorization header: '%s'."
	textCredential   = "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '%s'"
	textHostUnsigned = "'Host' must be a 'SignedHeader' in the AWS Authorization."
	textService      = "Credential should be scoped to correct service: '%s'. "
	textTerminator   = "Credential should be scoped with a valid terminator: 'aws4_request', not '%s'. "
	textScopeDate    = "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != '%s', from '%s'."
	textExpired      = "Signature expired: %s is now earlier than %s (%s - 5 min.)"
	textNotYet       = "Signature not yet current: %s is still later than %s (%s + 5 min.)"
)

// maxPresignExpires is the longest X-Amz-Expires AWS accepts: seven days.
const maxPresignExpires = 7 * 24 * time.Hour

// signed is what a request says about its signature, from its Authorization header or its
// presigned query.
type signed struct {
	Authorization
	date      time.Time // the request's date (X-Amz-Date, else Date)
	amzDate   string    // the date as the string to sign carries it
	token     string    // X-Amz-Security-Token
	presigned bool
	expires   time.Duration // a presigned URL's X-Amz-Expires
}

// ParseAuthorization parses the value of an Authorization header. Its error is a *Failure of
// kind IncompleteSignature with AWS's text for what is wrong.
func ParseAuthorization(h string) (Authorization, error) {
	a, f := parseAuthorization(h, false)
	if f != nil {
		return a, f
	}
	return a, nil
}

// parseAuthorization parses an Authorization header as AWS reads it: the algorithm, then
// key=value components separated by commas or spaces. AWS's text for a header that lacks
// parts names each missing one, the date header too when dateMissing, and repeats the header.
func parseAuthorization(h string, dateMissing bool) (Authorization, *Failure) {
	var a Authorization
	trimmed := strings.TrimSpace(h)
	alg, rest, _ := strings.Cut(trimmed, " ")
	var credential, signedHeaders string
	for rest != "" {
		part := rest
		if i := strings.IndexAny(rest, ", \t"); i >= 0 {
			part, rest = rest[:i], rest[i+1:]
		} else {
			rest = ""
		}
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return Authorization{}, fail(IncompleteSignature, fmt.Sprintf(textNoEqualSign, part, h), "authorization component %q is not key=value", part)
		}
		switch k {
		case "Credential":
			credential = v
		case "SignedHeaders":
			signedHeaders = v
		case "Signature":
			a.Signature = v
		}
	}
	var missing strings.Builder
	for _, p := range [][2]string{{"Credential", credential}, {"Signature", a.Signature}, {"SignedHeaders", signedHeaders}} {
		if p[1] == "" {
			missing.WriteString(fmt.Sprintf(textRequires, p[0]))
		}
	}
	if dateMissing {
		missing.WriteString(textRequiresDate)
	}
	if missing.Len() > 0 {
		return Authorization{}, fail(IncompleteSignature, missing.String()+"Authorization="+h, "authorization header lacks parts")
	}
	if alg != Algorithm {
		// orgd's fixed text: AWS's for another algorithm is not known.
		return Authorization{}, fail(IncompleteSignature, "", "authorization algorithm %q is not %s", alg, Algorithm)
	}
	if strings.Count(credential, "/") != 4 {
		return Authorization{}, fail(IncompleteSignature, fmt.Sprintf(textCredential, credential), "credential %q is not AKID/date/region/service/aws4_request", credential)
	}
	a.AccessKeyID, rest, _ = strings.Cut(credential, "/")
	a.Date, rest, _ = strings.Cut(rest, "/")
	a.Region, rest, _ = strings.Cut(rest, "/")
	a.Service, a.Terminator, _ = strings.Cut(rest, "/")
	if a.AccessKeyID == "" {
		return Authorization{}, fail(IncompleteSignature, "", "credential %q names no access key", credential)
	}
	a.SignedHeaders = strings.Split(signedHeaders, ";")
	return a, nil
}

// readSigned reads a request's authentication: its Authorization header or, without one, a
// presigned URL's query (X-Amz-Algorithm ...). Verified, it also needs the request's date.
func readSigned(r *http.Request, verified bool) (*signed, *Failure) {
	if h := r.Header.Get("Authorization"); h != "" {
		s := &signed{token: r.Header.Get("X-Amz-Security-Token")}
		s.date, s.amzDate = requestDate(r.Header.Get("X-Amz-Date"), r.Header.Get("Date"))
		a, f := parseAuthorization(h, verified && s.amzDate == "")
		if f != nil {
			return nil, f
		}
		s.Authorization = a
		return s, nil
	}
	q := r.URL.Query()
	if !q.Has("X-Amz-Algorithm") {
		return nil, fail(MissingToken, "", "no Authorization header and no X-Amz-Algorithm query parameter")
	}
	return readPresigned(q, verified)
}

// readPresigned reads the authentication of a presigned URL (EKS's GetCallerIdentity
// tokens are such URLs).
func readPresigned(q url.Values, verified bool) (*signed, *Failure) {
	s := &signed{presigned: true, token: q.Get("X-Amz-Security-Token")}
	s.date, s.amzDate = requestDate(q.Get("X-Amz-Date"), "")
	// The query's parts are those of an Authorization header; parsing one built from them
	// gives the same answers for a missing or malformed part.
	h := q.Get("X-Amz-Algorithm") + " Credential=" + q.Get("X-Amz-Credential") +
		", SignedHeaders=" + q.Get("X-Amz-SignedHeaders") + ", Signature=" + q.Get("X-Amz-Signature")
	a, f := parseAuthorization(h, verified && s.amzDate == "")
	if f != nil {
		// AWS's texts name the parts of a header; the client sent none, and AWS's texts for
		// a query are not known: the protocol's fixed text.
		f.Message = ""
		return nil, f
	}
	s.Authorization = a
	if verified {
		secs, err := strconv.Atoi(q.Get("X-Amz-Expires"))
		if err != nil || secs < 1 || time.Duration(secs)*time.Second > maxPresignExpires {
			return nil, fail(IncompleteSignature, "", "X-Amz-Expires %q is not 1 to 604800 seconds", q.Get("X-Amz-Expires"))
		}
		s.expires = time.Duration(secs) * time.Second
	}
	return s, nil
}

// requestDate parses the request's date: X-Amz-Date in ISO 8601's basic format, else the
// HTTP Date header. amzDate is "" when neither is a date.
func requestDate(amz, date string) (time.Time, string) {
	if amz != "" {
		if t, err := time.Parse(timeFormat, amz); err == nil {
			return t, amz
		}
		return time.Time{}, ""
	}
	if date != "" {
		if t, err := http.ParseTime(date); err == nil {
			return t.UTC(), t.UTC().Format(timeFormat)
		}
	}
	return time.Time{}, ""
}

// checkScope checks the credential scope as AWS does: the terminator, the service (AWS
// names the one it expected) and the date, which must be the request's day. Any region is
// accepted.
func (s *signed) checkScope(service string) *Failure {
	switch {
	case s.Terminator != "aws4_request":
		return fail(SignatureMismatch, fmt.Sprintf(textTerminator, s.Terminator), "credential scope terminator %q", s.Terminator)
	case s.Service != "organizations" && s.Service != "sts":
		return fail(SignatureMismatch, fmt.Sprintf(textService, service), "credential scope service %q is neither organizations nor sts", s.Service)
	// amzDate is in ISO 8601's basic format: its first eight characters are the day.
	case s.Date != s.amzDate[:8]:
		return fail(SignatureMismatch, fmt.Sprintf(textScopeDate, s.Date, s.amzDate[:8], s.amzDate),
			"credential scope date %q is not the request's day %s", s.Date, s.amzDate)
	}
	if !slices.Contains(s.SignedHeaders, "host") {
		return fail(IncompleteSignature, textHostUnsigned, "host is not a signed header: %v", s.SignedHeaders)
	}
	return nil
}

// checkTime checks the request's date against now: within five minutes either way, and a
// presigned URL not past its X-Amz-Expires.
func (s *signed) checkTime(now time.Time) *Failure {
	now = now.UTC()
	if s.presigned && now.After(s.date.Add(s.expires)) {
		// AWS's text for an expired presigned URL is not known: the protocol's fixed one.
		return fail(SignatureExpired, "", "presigned URL of %s expired after %s", s.amzDate, s.expires)
	}
	if !s.presigned && s.date.Before(now.Add(-Skew)) {
		return fail(SignatureExpired, fmt.Sprintf(textExpired, s.amzDate, now.Add(-Skew).Format(timeFormat), now.Format(timeFormat)),
			"request date %s is over 5 minutes before %s", s.amzDate, now.Format(timeFormat))
	}
	if s.date.After(now.Add(Skew)) {
		return fail(SignatureExpired, fmt.Sprintf(textNotYet, s.amzDate, now.Add(Skew).Format(timeFormat), now.Format(timeFormat)),
			"request date %s is over 5 minutes after %s", s.amzDate, now.Format(timeFormat))
	}
	return nil
}

// verify computes the signature of r as the client must have, with secret, and compares it
// with the one r carries in constant time.
func (rs *Resolver) verify(r *http.Request, body []byte, s *signed, secret string) *Failure {
	canonical := canonicalRequest(r, body, s)
	sum := sha256.Sum256(canonical)
	// HMAC-SHA256(signing key, string to sign), written out so that the string to sign is
	// built right after the key's inner pad, in one buffer, and nothing is allocated.
	key := rs.keys.get(secret, s.Date, s.Region, s.Service)
	var pad [sha256.BlockSize]byte
	for i := range pad {
		pad[i] = 0x36
	}
	for i, k := range key {
		pad[i] ^= k
	}
	toSign := make([]byte, 0, 256)
	toSign = append(toSign, pad[:]...)
	toSign = append(toSign, Algorithm+"\n"...)
	toSign = append(toSign, s.amzDate...)
	toSign = append(toSign, '\n')
	toSign = append(toSign, s.Date...)
	toSign = append(toSign, '/')
	toSign = append(toSign, s.Region...)
	toSign = append(toSign, '/')
	toSign = append(toSign, s.Service...)
	toSign = append(toSign, '/')
	toSign = append(toSign, s.Terminator...)
	toSign = append(toSign, '\n')
	toSign = hex.AppendEncode(toSign, sum[:])
	inner := sha256.Sum256(toSign)
	var outer [sha256.BlockSize + sha256.Size]byte
	for i := range sha256.BlockSize {
		outer[i] = pad[i] ^ (0x36 ^ 0x5c)
	}
	copy(outer[sha256.BlockSize:], inner[:])
	mac := sha256.Sum256(outer[:])
	var wantBuf [2 * sha256.Size]byte
	want := hex.AppendEncode(wantBuf[:0], mac[:])
	if subtle.ConstantTimeCompare(want, []byte(s.Signature)) != 1 {
		// The canonical request itself may hold a session token: its hash and the signed
		// headers are what a client's debug log can be compared with.
		return fail(SignatureMismatch, "", "signature of access key %q does not match (signed headers %s, canonical request's SHA-256 %x)",
			s.AccessKeyID, strings.Join(s.SignedHeaders, ";"), sum)
	}
	return nil
}

// canonicalRequest is SigV4's canonical request of r (the rules of every service but S3):
// method, the path URI-encoded once more, the query's parameters encoded and sorted, each
// signed header with its values trimmed and inner spaces collapsed, the signed header list,
// and the hex SHA-256 of the body.
func canonicalRequest(r *http.Request, body []byte, s *signed) []byte {
	b := make([]byte, 0, 512)
	b = append(b, r.Method...)
	b = append(b, '\n')
	path := r.URL.EscapedPath()
	if path == "" {
		path = "/"
	}
	b = appendEscaped(b, path, true)
	b = append(b, '\n')
	b = appendQuery(b, r.URL.RawQuery, s.presigned)
	b = append(b, '\n')
	for _, name := range s.SignedHeaders {
		b = append(b, name...)
		b = append(b, ':')
		b = appendHeaderValue(b, r, name)
		b = append(b, '\n')
	}
	b = append(b, '\n')
	for i, name := range s.SignedHeaders {
		if i > 0 {
			b = append(b, ';')
		}
		b = append(b, name...)
	}
	b = append(b, '\n')
	sum := sha256.Sum256(body)
	return hex.AppendEncode(b, sum[:])
}

// appendHeaderValue appends the canonical value of header name: its values, each trimmed and
// with inner runs of spaces collapsed to one, joined by commas. Host is the request's Host
// (net/http takes it out of the header map), and Content-Length the length net/http read.
func appendHeaderValue(b []byte, r *http.Request, name string) []byte {
	lower := strings.ToLower(name)
	if lower == "host" {
		return appendTrimmed(b, r.Host)
	}
	key, ok := canonicalNames[lower]
	if !ok {
		key = http.CanonicalHeaderKey(name)
	}
	values := r.Header[key]
	if len(values) == 0 && lower == "content-length" && r.ContentLength >= 0 {
		return strconv.AppendInt(b, r.ContentLength, 10)
	}
	for i, v := range values {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendTrimmed(b, v)
	}
	return b
}

// canonicalNames are the header names clients sign, as net/http keys them: looking them up
// costs no allocation (http.CanonicalHeaderKey allocates for a lower-case name).
var canonicalNames = map[string]string{
	"amz-sdk-invocation-id": "Amz-Sdk-Invocation-Id",
	"amz-sdk-request":       "Amz-Sdk-Request",
	"content-length":        "Content-Length",
	"content-type":          "Content-Type",
	"x-amz-content-sha256":  "X-Amz-Content-Sha256",
	"x-amz-date":            "X-Amz-Date",
	"x-amz-security-token":  "X-Amz-Security-Token",
	"x-amz-target":          "X-Amz-Target",
	"x-amz-user-agent":      "X-Amz-User-Agent",
}

// appendTrimmed appends v without leading and trailing white space and with each inner run
// of spaces as one space, as SigV4 defines it (inner tabs stay: aws-sdk-go-v2 keeps them).
func appendTrimmed(b []byte, v string) []byte {
	v = strings.TrimSpace(v)
	if !strings.Contains(v, "  ") {
		return append(b, v...)
	}
	for i := 0; i < len(v); i++ {
		if v[i] == ' ' && i > 0 && v[i-1] == ' ' {
			continue
		}
		b = append(b, v[i])
	}
	return b
}

// appendQuery appends the canonical query string: each parameter's name and value decoded,
// then URI-encoded, sorted by name and then value; a presigned URL's X-Amz-Signature is left
// out (it is what is signed).
func appendQuery(b []byte, raw string, presigned bool) []byte {
	if raw == "" {
		return b
	}
	var params [][2]string
	for p := range strings.SplitSeq(raw, "&") {
		if p == "" {
			continue
		}
		k, v, _ := strings.Cut(p, "=")
		k, v = unescape(k), unescape(v)
		if presigned && k == "X-Amz-Signature" {
			continue
		}
		params = append(params, [2]string{k, v})
	}
	slices.SortFunc(params, func(x, y [2]string) int {
		if c := strings.Compare(x[0], y[0]); c != 0 {
			return c
		}
		return strings.Compare(x[1], y[1])
	})
	for i, p := range params {
		if i > 0 {
			b = append(b, '&')
		}
		b = appendEscaped(b, p[0], false)
		b = append(b, '=')
		b = appendEscaped(b, p[1], false)
	}
	return b
}

// unescape decodes a query component as clients encode it ('+' is a space); a component that
// is not valid percent-encoding stays as it is.
func unescape(s string) string {
	if u, err := url.QueryUnescape(s); err == nil {
		return u
	}
	return s
}

// appendEscaped appends s URI-encoded as SigV4 wants: every byte but the unreserved
// characters (and, in a path, '/') as %XX in upper case.
func appendEscaped(b []byte, s string, path bool) []byte {
	const hexUpper = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
			c == '-' || c == '_' || c == '.' || c == '~' || path && c == '/' {
			b = append(b, c)
			continue
		}
		b = append(b, '%', hexUpper[c>>4], hexUpper[c&15])
	}
	return b
}

// keyCacheMax bounds the derived signing keys kept: a key a day for each access key,
// region and service in use. Past it the cache starts over, which costs one derivation
// (four HMACs) a key.
const keyCacheMax = 1024

// keyCache keeps derived signing keys, so that a request costs one HMAC instead of five.
type keyCache struct {
	mu sync.Mutex
	m  map[keyScope][]byte
}

type keyScope struct{ secret, date, region, service string }

// get returns the signing key of secret for the scope, derived as SigV4 derives it.
func (c *keyCache) get(secret, date, region, service string) []byte {
	k := keyScope{secret, date, region, service}
	c.mu.Lock()
	key, ok := c.m[k]
	c.mu.Unlock()
	if ok {
		return key
	}
	key = hmacSHA256([]byte("AWS4"+secret), date)
	key = hmacSHA256(key, region)
	key = hmacSHA256(key, service)
	key = hmacSHA256(key, "aws4_request")
	c.mu.Lock()
	if c.m == nil || len(c.m) >= keyCacheMax {
		c.m = make(map[keyScope][]byte)
	}
	c.m[k] = key
	c.mu.Unlock()
	return key
}

func hmacSHA256(key []byte, data string) []byte {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(data))
	return mac.Sum(nil)
}
