package sigv4

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/orgd/orgd/internal/iam"
	"github.com/orgd/orgd/internal/model"
)

// testNow is the real clock of the verifying resolvers in these tests.
var testNow = time.Date(2026, 11, 30, 2, 20, 0, 0, time.UTC)

const testSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"

func verifiedResolver(keys ...Key) *Resolver {
	m := map[string]Key{}
	for _, k := range keys {
		m[k.AccessKeyID] = k
	}
	return &Resolver{Keys: m, Now: func() time.Time { return testNow }}
}

var mgmtKey = Key{AccessKeyID: "AKIAMGMT", SecretAccessKey: testSecret, AccountID: "111111111111"}

// sdkRequest is an Organizations request as aws-sdk-go-v2's signer signs it, and the same
// request as the server receives it.
type sdkRequest struct {
	key, secret, token, service, region string
	at                                  time.Time
	body                                string
	header                              http.Header // sent besides the SDK's own
}

func (s sdkRequest) sign(t testing.TB) (*http.Request, []byte) {
	t.Helper()
	if s.service == "" {
		s.service = "organizations"
	}
	if s.region == "" {
		s.region = "us-east-1"
	}
	if s.at.IsZero() {
		s.at = testNow
	}
	if s.body == "" {
		s.body = "{}"
	}
	req, err := http.NewRequest(http.MethodPost, "http://127.0.0.1:8080/", strings.NewReader(s.body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "AWSOrganizationsV20161128.DescribeOrganization")
	req.Header.Set("Amz-Sdk-Invocation-Id", "0f4c9d7e-3c1a-4b8e-9d55-8f0f7a1e2b3c")
	for k, v := range s.header {
		req.Header[k] = v
	}
	sum := sha256.Sum256([]byte(s.body))
	creds := aws.Credentials{AccessKeyID: s.key, SecretAccessKey: s.secret, SessionToken: s.token}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), s.service, s.region, s.at); err != nil {
		t.Fatal(err)
	}
	return received(req, []byte(s.body)), []byte(s.body)
}

// received is req as net/http's server hands it to a handler.
func received(req *http.Request, body []byte) *http.Request {
	in := httptest.NewRequest(req.Method, req.URL.String(), bytes.NewReader(body))
	in.Header = req.Header.Clone()
	in.Header.Set("Content-Length", fmt.Sprint(len(body)))
	return in
}

// requireFailure fails unless err is a *Failure of kind; its built text, if any, must be of
// a form the catalogue recognises for the awsJson code of the kind.
func requireFailure(t *testing.T, err error, kind Kind) *Failure {
	t.Helper()
	var f *Failure
	if !errors.As(err, &f) || f.Kind != kind {
		t.Fatalf("got %v, want a %s failure", err, kind)
	}
	code := map[Kind]string{IncompleteSignature: model.CodeIncompleteSignatureException,
		SignatureMismatch: model.CodeInvalidSignatureException, SignatureExpired: model.CodeInvalidSignatureException}[kind]
	if f.Message != "" && !model.IsBuiltText(code, f.Message) {
		t.Errorf("%s text %q is not of a form the catalogue knows for %s", kind, f.Message, code)
	}
	if f.Detail == "" {
		t.Errorf("%s failure without a detail for the log", kind)
	}
	return f
}

// TestAWSTestSuite checks the canonical request, string to sign and key derivation against
// signatures published in AWS's SigV4 test suite (get-vanilla, get-vanilla-query-order-key-case).
func TestAWSTestSuite(t *testing.T) {
	tests := []struct{ name, url, signature string }{
		{"get-vanilla", "https://example.amazonaws.com/", "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
		{"get-vanilla-query-order-key-case", "https://example.amazonaws.com/?Param2=value2&Param1=value1", "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, tt.url, nil)
			r.Host = "example.amazonaws.com"
			r.Header.Set("X-Amz-Date", "20150830T123600Z")
			s := &signed{amzDate: "20150830T123600Z", Authorization: Authorization{AccessKeyID: "AKIDEXAMPLE",
				Date: "20150830", Region: "us-east-1", Service: "service", Terminator: "aws4_request",
				SignedHeaders: []string{"host", "x-amz-date"}, Signature: tt.signature}}
			rs := &Resolver{}
			if f := rs.verify(r, nil, s, testSecret); f != nil {
				t.Errorf("AWS's signature does not verify: %v", f)
			}
			s.Signature = strings.Replace(tt.signature, tt.signature[:1], "0", 1)
			if f := rs.verify(r, nil, s, testSecret); f == nil {
				t.Error("a changed signature verifies")
			}
		})
	}
}

func TestVerifySDKSigned(t *testing.T) {
	alice := Key{AccessKeyID: "AKIAALICE", SecretAccessKey: "alice-secret", AccountID: "222222222222", UserName: "alice"}
	rs := verifiedResolver(mgmtKey, alice)
	for _, region := range []string{"us-east-1", "cn-north-1", "local"} {
		for _, service := range []string{"organizations", "sts"} {
			r, body := sdkRequest{key: "AKIAMGMT", secret: testSecret, region: region, service: service}.sign(t)
			id, err := rs.Identify(r, body)
			if err != nil {
				t.Fatalf("%s/%s: %v", region, service, err)
			}
			want := Identity{AccountID: "111111111111", AccessKeyID: "AKIAMGMT", Region: region, Partition: Partition(region),
				Principal: iam.Principal{Account: "111111111111", Kind: iam.Root}}
			if id != want {
				t.Errorf("%s/%s: Identify = %+v, want %+v", region, service, id, want)
			}
		}
	}
	r, body := sdkRequest{key: "AKIAALICE", secret: "alice-secret"}.sign(t)
	id, err := rs.Identify(r, body)
	if err != nil || id.Principal != alice.Principal() || id.AccountID != "222222222222" {
		t.Errorf("user key: Identify = %+v, %v; want alice of 222222222222", id, err)
	}
	// Headers the client adds after signing are not part of the signature.
	r, body = sdkRequest{key: "AKIAMGMT", secret: testSecret}.sign(t)
	r.Header.Set("User-Agent", "changed after signing")
	r.Header.Set("X-Forwarded-For", "10.0.0.1")
	if _, err := rs.Identify(r, body); err != nil {
		t.Errorf("unsigned headers changed: %v", err)
	}
	// Values are trimmed and their inner spaces collapsed, by the client and the server alike.
	r, body = sdkRequest{key: "AKIAMGMT", secret: testSecret, header: http.Header{"X-Amz-User-Agent": {"  aws-sdk   go  "}}}.sign(t)
	r.Header.Set("X-Amz-User-Agent", "aws-sdk go")
	if _, err := rs.Identify(r, body); err != nil {
		t.Errorf("a value that differs only in spaces: %v", err)
	}
	// A header of several values is signed with its values joined by commas.
	r, body = sdkRequest{key: "AKIAMGMT", secret: testSecret, header: http.Header{"X-Amz-Meta": {"a", "b"}}}.sign(t)
	if _, err := rs.Identify(r, body); err != nil {
		t.Errorf("a header of two values: %v", err)
	}
}

func TestVerifyFailures(t *testing.T) {
	rs := verifiedResolver(mgmtKey)
	ok := sdkRequest{key: "AKIAMGMT", secret: testSecret}
	tests := []struct {
		name   string
		req    sdkRequest
		change func(r *http.Request, body []byte) []byte // nil: none
		kind   Kind
		text   string // the exact built text; "" the protocol's fixed one
	}{
		{"wrong secret", sdkRequest{key: "AKIAMGMT", secret: "wrong"}, nil, SignatureMismatch, ""},
		{"changed body", ok, func(_ *http.Request, b []byte) []byte { return []byte(`{"x":1}`) }, SignatureMismatch, ""},
		{"changed signed header", ok, func(r *http.Request, b []byte) []byte {
			r.Header.Set("X-Amz-Target", "AWSOrganizationsV20161128.DeleteOrganization")
			return b
		}, SignatureMismatch, ""},
		{"changed host", ok, func(r *http.Request, b []byte) []byte { r.Host = "127.0.0.1:9090"; return b }, SignatureMismatch, ""},
		{"changed path", ok, func(r *http.Request, b []byte) []byte { r.URL.Path = "/other"; return b }, SignatureMismatch, ""},
		{"added query", ok, func(r *http.Request, b []byte) []byte { r.URL.RawQuery = "a=b"; return b }, SignatureMismatch, ""},
		{"unknown key", sdkRequest{key: "AKIAOTHER", secret: testSecret}, nil, UnknownKey, ""},
		{"session token with a long-term key", sdkRequest{key: "AKIAMGMT", secret: testSecret, token: "tok"}, nil, UnknownKey, ""},
		{"six minutes old", sdkRequest{key: "AKIAMGMT", secret: testSecret, at: testNow.Add(-6 * time.Minute)}, nil, SignatureExpired,
			"Signature expired: 20261130T021400Z is now earlier than 20261130T021500Z (20261130T022000Z - 5 min.)"},
		{"six minutes ahead", sdkRequest{key: "AKIAMGMT", secret: testSecret, at: testNow.Add(6 * time.Minute)}, nil, SignatureExpired,
			"Signature not yet current: 20261130T022600Z is still later than 20261130T022500Z (20261130T022000Z + 5 min.)"},
		{"service s3", sdkRequest{key: "AKIAMGMT", secret: testSecret, service: "s3"}, nil, SignatureMismatch,
			"Credential should be scoped to correct service: 'organizations'. "},
		{"scope of another day", ok, func(r *http.Request, b []byte) []byte {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "/20261130/", "/20261129/", 1))
			return b
		}, SignatureMismatch, "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20261129' != '20261130', from '20261130T022000Z'."},
		{"another terminator", ok, func(r *http.Request, b []byte) []byte {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "/aws4_request", "/aws4_reply", 1))
			return b
		}, SignatureMismatch, "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws4_reply'. "},
		{"no date", ok, func(r *http.Request, b []byte) []byte { r.Header.Del("X-Amz-Date"); return b }, IncompleteSignature, ""},
		{"host not signed", ok, func(r *http.Request, b []byte) []byte {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "SignedHeaders=amz-sdk-invocation-id;content-length;content-type;host;", "SignedHeaders=amz-sdk-invocation-id;content-length;content-type;", 1))
			return b
		}, IncompleteSignature, "'Host' must be a 'SignedHeader' in the AWS Authorization."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, body := tt.req.sign(t)
			if tt.change != nil {
				body = tt.change(r, body)
			}
			id, err := rs.Identify(r, body)
			if id != (Identity{}) {
				t.Errorf("a refused request has the identity %+v", id)
			}
			f := requireFailure(t, err, tt.kind)
			if tt.text != "" && f.Message != tt.text {
				t.Errorf("text %q, want %q", f.Message, tt.text)
			}
			if tt.name == "no date" && !strings.HasPrefix(f.Message, "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=AWS4-HMAC-SHA256 ") {
				t.Errorf("no date: text %q", f.Message)
			}
		})
	}
}

// TestVerifyDateHeader: a client that sends Date instead of X-Amz-Date signs that date.
func TestVerifyDateHeader(t *testing.T) {
	rs := verifiedResolver(mgmtKey)
	body := []byte("{}")
	r := httptest.NewRequest(http.MethodPost, "http://orgd.test/", bytes.NewReader(body))
	r.Header.Set("Date", testNow.Format(http.TimeFormat))
	s := &signed{amzDate: testNow.Format(timeFormat), Authorization: Authorization{AccessKeyID: "AKIAMGMT", Date: "20261130",
		Region: "us-east-1", Service: "organizations", Terminator: "aws4_request", SignedHeaders: []string{"date", "host"}}}
	canonical := canonicalRequest(r, body, s)
	sum := sha256.Sum256(canonical)
	toSign := "AWS4-HMAC-SHA256\n20261130T022000Z\n20261130/us-east-1/organizations/aws4_request\n" + hex.EncodeToString(sum[:])
	key := hmacSHA256(hmacSHA256(hmacSHA256(hmacSHA256([]byte("AWS4"+testSecret), "20261130"), "us-east-1"), "organizations"), "aws4_request")
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIAMGMT/20261130/us-east-1/organizations/aws4_request, SignedHeaders=date;host, Signature="+
		hex.EncodeToString(hmacSHA256(key, toSign)))
	if _, err := rs.Identify(r, body); err != nil {
		t.Errorf("signed with a Date header: %v", err)
	}
}

// TestVerifyPresigned: a presigned URL (EKS's GetCallerIdentity token) verifies, and is
// refused once past its X-Amz-Expires or changed.
func TestVerifyPresigned(t *testing.T) {
	rs := verifiedResolver(mgmtKey)
	req, _ := http.NewRequest(http.MethodGet, "https://127.0.0.1:8080/?Action=GetCallerIdentity&Version=2011-06-15", nil)
	query := req.URL.Query()
	query.Set("X-Amz-Expires", "60")
	req.URL.RawQuery = query.Encode()
	sum := sha256.Sum256(nil)
	uri, _, err := v4.NewSigner().PresignHTTP(context.Background(), aws.Credentials{AccessKeyID: "AKIAMGMT", SecretAccessKey: testSecret},
		req, hex.EncodeToString(sum[:]), "sts", "us-east-1", testNow)
	if err != nil {
		t.Fatal(err)
	}
	get := func(u string) *http.Request {
		r := httptest.NewRequest(http.MethodGet, u, nil)
		r.Host = "127.0.0.1:8080"
		return r
	}
	id, err := rs.Identify(get(uri), nil)
	if err != nil || id.AccountID != "111111111111" {
		t.Fatalf("presigned URL: %+v, %v", id, err)
	}
	if _, err := rs.Identify(get(strings.Replace(uri, "GetCallerIdentity", "GetSessionToken", 1)), nil); err == nil {
		t.Error("a changed presigned URL verifies")
	} else {
		requireFailure(t, err, SignatureMismatch)
	}
	u, _ := url.Parse(uri)
	q := u.Query()
	q.Del("X-Amz-Signature")
	u.RawQuery = q.Encode()
	_, err = rs.Identify(get(u.String()), nil)
	if f := requireFailure(t, err, IncompleteSignature); f.Message != "" {
		t.Errorf("a presigned URL without a signature: text %q, want the fixed one (it has no header to name)", f.Message)
	}
	later := verifiedResolver(mgmtKey)
	later.Now = func() time.Time { return testNow.Add(61 * time.Second) }
	_, err = later.Identify(get(uri), nil)
	requireFailure(t, err, SignatureExpired)
}

// fakeSessions is a store of one temporary key.
type fakeSessions struct {
	secret Secret
	now    time.Time
}

func (f *fakeSessions) Session(_ context.Context, key string) (Secret, error) {
	if key != f.secret.AccessKeyID {
		return Secret{}, ErrUnknownKey
	}
	return f.secret, nil
}

func (f *fakeSessions) Now(context.Context) (time.Time, error) { return f.now, nil }

func TestTemporaryCredentials(t *testing.T) {
	role := iam.Principal{Account: "333333333333", Kind: iam.AssumedRole, Name: "OrganizationAccountAccessRole", Session: "s", ID: "AROAEXAMPLE"}
	sessions := &fakeSessions{now: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), secret: Secret{AccessKeyID: "ASIATEMP", SecretAccessKey: "temp-secret",
		SessionToken: "token-1", Expires: time.Date(2030, 1, 1, 1, 0, 0, 0, time.UTC), Principal: role}}
	verified := verifiedResolver(mgmtKey)
	verified.Sessions = sessions
	open := &Resolver{DefaultAccount: "123456789012", Sessions: sessions}
	for name, rs := range map[string]*Resolver{"verified": verified, "open": open} {
		t.Run(name, func(t *testing.T) {
			r, body := sdkRequest{key: "ASIATEMP", secret: "temp-secret", token: "token-1"}.sign(t)
			r.Header.Set("x-moto-account-id", "444444444444")
			id, err := rs.Identify(r, body)
			if err != nil || id.Principal != role || id.AccountID != "333333333333" {
				t.Fatalf("Identify = %+v, %v; want the role session in 333333333333", id, err)
			}
			r, body = sdkRequest{key: "ASIATEMP", secret: "temp-secret", token: "token-2"}.sign(t)
			_, err = rs.Identify(r, body)
			requireFailure(t, err, UnknownKey)
			r, body = sdkRequest{key: "ASIATEMP", secret: "temp-secret"}.sign(t)
			_, err = rs.Identify(r, body)
			requireFailure(t, err, UnknownKey)

			sessions.now = sessions.secret.Expires
			defer func() { sessions.now = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC) }()
			r, body = sdkRequest{key: "ASIATEMP", secret: "temp-secret", token: "token-1"}.sign(t)
			_, err = rs.Identify(r, body)
			requireFailure(t, err, ExpiredToken)
		})
	}
	// Verified, the temporary key's own secret signs.
	r, body := sdkRequest{key: "ASIATEMP", secret: "wrong", token: "token-1"}.sign(t)
	_, err := verified.Identify(r, body)
	requireFailure(t, err, SignatureMismatch)
	// An ASIA key the store does not know is unknown, verified.
	r, body = sdkRequest{key: "ASIAOTHER", secret: "temp-secret", token: "token-1"}.sign(t)
	_, err = verified.Identify(r, body)
	requireFailure(t, err, UnknownKey)
}

// TestIncompleteTexts: AWS's texts name what an Authorization header lacks.
func TestIncompleteTexts(t *testing.T) {
	const cred = "Credential=AKIAMGMT/20261130/us-east-1/organizations/aws4_request"
	tests := []struct{ header, text string }{
		{"AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host;x-amz-date",
			"Authorization header requires 'Signature' parameter. Authorization=AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host;x-amz-date"},
		{"AWS4-HMAC-SHA256 " + cred + ", Signature=abc",
			"Authorization header requires 'SignedHeaders' parameter. Authorization=AWS4-HMAC-SHA256 " + cred + ", Signature=abc"},
		{"AWS4-HMAC-SHA256 SignedHeaders=host, Signature=abc",
			"Authorization header requires 'Credential' parameter. Authorization=AWS4-HMAC-SHA256 SignedHeaders=host, Signature=abc"},
		{"AWS4-HMAC-SHA256",
			"Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization=AWS4-HMAC-SHA256"},
		{"AWS4-HMAC-SHA256 Credential= AKIAMGMT/20261130/us-east-1/organizations/aws4_request, SignedHeaders=host, Signature=abc",
			"'AKIAMGMT/20261130/us-east-1/organizations/aws4_request' not a valid key=value pair (missing equal-sign) in Authorization header: 'AWS4-HMAC-SHA256 Credential= AKIAMGMT/20261130/us-east-1/organizations/aws4_request, SignedHeaders=host, Signature=abc'."},
		{"AWS4-HMAC-SHA256 Credential=AKIAMGMT/20261130/organizations/aws4_request, SignedHeaders=host, Signature=abc",
			"Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got 'AKIAMGMT/20261130/organizations/aws4_request'"},
		{"AWS AKIAMGMT:c2ln", "'AKIAMGMT:c2ln' not a valid key=value pair (missing equal-sign) in Authorization header: 'AWS AKIAMGMT:c2ln'."},
		{"AWS4-HMAC-SHA512 " + cred + ", SignedHeaders=host, Signature=abc", ""},
	}
	for _, tt := range tests {
		_, err := ParseAuthorization(tt.header)
		f := requireFailure(t, err, IncompleteSignature)
		if f.Message != tt.text || f.Status != http.StatusBadRequest {
			t.Errorf("ParseAuthorization(%q):\n text %q (%d)\n want %q", tt.header, f.Message, f.Status, tt.text)
		}
	}
}

// TestKeyCacheBounded: the derived keys kept stay under the bound, and a key derived again
// after a reset is the same.
func TestKeyCacheBounded(t *testing.T) {
	var c keyCache
	first := c.get("secret", "20261130", "us-east-1", "organizations")
	for i := range 3 * keyCacheMax {
		c.get(fmt.Sprint("secret", i), "20261130", "us-east-1", "organizations")
		if len(c.m) > keyCacheMax {
			t.Fatalf("%d keys cached, over the bound %d", len(c.m), keyCacheMax)
		}
	}
	if again := c.get("secret", "20261130", "us-east-1", "organizations"); !bytes.Equal(first, again) {
		t.Error("the key derived again differs")
	}
}

// BenchmarkIdentify times identifying one SDK-signed request, open and verified: the cost
// verification adds to every request.
func BenchmarkIdentify(b *testing.B) {
	for _, mode := range []struct {
		name string
		rs   *Resolver
	}{{"open", &Resolver{DefaultAccount: "123456789012"}}, {"verified", verifiedResolver(mgmtKey)}} {
		b.Run(mode.name, func(b *testing.B) {
			r, body := sdkRequest{key: "AKIAMGMT", secret: testSecret, body: `{"MaxResults":20}`}.sign(b)
			for b.Loop() {
				if _, err := mode.rs.Identify(r, body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
