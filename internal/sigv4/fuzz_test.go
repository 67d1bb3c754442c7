package sigv4

import (
	"errors"
	"net/http"
	"strings"
	"testing"
)

// FuzzParseAuthorization: no header makes the parser panic; what it accepts has every part,
// and what it refuses is an IncompleteSignature failure whose text, if built, is of AWS's
// forms.
func FuzzParseAuthorization(f *testing.F) {
	for _, seed := range []string{
		validHeader, "", "AWS4-HMAC-SHA256", "AWS AKIA:c2ln", "Bearer x.y.z",
		"AWS4-HMAC-SHA256 Credential=/////, SignedHeaders=;, Signature==",
		"AWS4-HMAC-SHA256 Credential=a/b/c/d/e,,, SignedHeaders=host Signature=\x00",
		"AWS4-HMAC-SHA256\tCredential=a/b/c/d/e, SignedHeaders=host, Signature=s",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, h string) {
		a, err := ParseAuthorization(h)
		if err != nil {
			var fl *Failure
			if !errors.As(err, &fl) || fl.Kind != IncompleteSignature {
				t.Fatalf("ParseAuthorization(%q): %v, want an IncompleteSignature failure", h, err)
			}
			requireFailure(t, err, IncompleteSignature)
			return
		}
		if a.AccessKeyID == "" || a.Signature == "" || len(a.SignedHeaders) == 0 || strings.Contains(a.AccessKeyID, "/") {
			t.Fatalf("ParseAuthorization(%q) = %+v: a part is missing", h, a)
		}
	})
}

// FuzzVerify: a request signed by aws-sdk-go-v2 with any body and any extra header verifies,
// and changing any one byte of its signature, its body or a signed header's value makes it
// fail (a change the canonical form undoes, such as one space for another at the value's
// edge, excepted).
func FuzzVerify(f *testing.F) {
	f.Add([]byte(`{"MaxResults":20}`), "x-amz-user-agent", "aws-cli/2.15 md/Botocore", uint(3), uint8(0))
	f.Add([]byte(`{}`), "amz-sdk-request", "attempt=1; max=3", uint(0), uint8(1))
	f.Add([]byte(""), "x-custom", "  a   b  ", uint(9), uint8(2))
	rs := verifiedResolver(mgmtKey)
	f.Fuzz(func(t *testing.T, body []byte, name, value string, at uint, what uint8) {
		if !validHeaderName(name) || !validHeaderValue(value) || len(body) == 0 {
			return
		}
		switch strings.ToLower(name) {
		case "authorization", "host", "content-length", "x-amz-date", "x-amz-security-token", "user-agent", "expect", "transfer-encoding", "x-amzn-trace-id":
			return // the SDK or net/http owns these
		}
		r, b := sdkRequest{key: "AKIAMGMT", secret: testSecret, body: string(body), header: http.Header{http.CanonicalHeaderKey(name): {value}}}.sign(t)
		if _, err := rs.Identify(r, b); err != nil {
			t.Fatalf("signed request with %s: %q fails: %v", name, value, err)
		}
		switch what % 3 {
		case 0:
			auth := r.Header.Get("Authorization")
			i := strings.LastIndex(auth, "Signature=") + len("Signature=") + int(at%64)
			r.Header.Set("Authorization", auth[:i]+flip(auth[i])+auth[i+1:])
		case 1:
			b = append([]byte(nil), b...)
			i := int(at % uint(len(b)))
			b[i] ^= 0x01
		case 2:
			v := r.Header.Get(name)
			if strings.TrimSpace(v) == "" {
				return
			}
			i := int(at % uint(len(v)))
			changed := v[:i] + flip(v[i]) + v[i+1:]
			if string(appendTrimmed(nil, changed)) == string(appendTrimmed(nil, v)) || !validHeaderValue(changed) {
				return
			}
			r.Header.Set(name, changed)
		}
		if _, err := rs.Identify(r, b); err == nil {
			t.Fatalf("a request changed (case %d at %d) still verifies", what%3, at)
		}
	})
}

// flip changes one byte to another printable one.
func flip(c byte) string {
	if c == 'a' {
		return "b"
	}
	return "a"
}

func validHeaderName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// validHeaderValue: printable ASCII and spaces, what a header can carry on the wire.
func validHeaderValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}
