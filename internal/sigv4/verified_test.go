package sigv4_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/smithy-go"

	"github.com/orgd/orgd/internal/apitest"
	"github.com/orgd/orgd/internal/sigv4"
	"github.com/orgd/orgd/internal/testenv"
)

// startVerified starts a server with a credentials file: AKIAMGMT is 111111111111's root
// user, AKIAALICE the user alice of 222222222222, both with apitest.Secret.
func startVerified(t *testing.T) *apitest.Server {
	return apitest.Start(t, apitest.WithCredentials(t,
		sigv4.Key{AccessKeyID: "AKIAMGMT", AccountID: "111111111111"},
		sigv4.Key{AccessKeyID: "AKIAALICE", AccountID: "222222222222", UserName: "alice"}))
}

// roundTrip changes a request on its way to the server, after the SDK signed it.
type roundTrip func(*http.Request) *http.Request

func (f roundTrip) RoundTrip(r *http.Request) (*http.Response, error) {
	return apitest.HTTPClient().Transport.RoundTrip(f(r))
}

// through returns a client option that sends the client's requests through f.
func through(f roundTrip) func(*organizations.Options) {
	return func(o *organizations.Options) { o.HTTPClient = &http.Client{Transport: f} }
}

// body returns r's body, and r with a copy of it to send.
func body(r *http.Request) (*http.Request, []byte) {
	b, _ := io.ReadAll(r.Body)
	r.Body.Close()
	r = r.Clone(r.Context())
	r.Body = io.NopCloser(bytes.NewReader(b))
	return r, b
}

// resign signs r again as aws-sdk-go-v2's signer does, at the given time and for the given
// service: a client whose clock is wrong, or that signs for another service.
func resign(at func() time.Time, service string) roundTrip {
	return func(r *http.Request) *http.Request {
		r, b := body(r)
		r.Header.Del("Authorization")
		r.Header.Del("X-Amz-Date")
		sum := sha256.Sum256(b)
		creds := aws.Credentials{AccessKeyID: "AKIAMGMT", SecretAccessKey: apitest.Secret}
		if err := v4.NewSigner().SignHTTP(r.Context(), creds, r, hex.EncodeToString(sum[:]), service, "us-east-1", at()); err != nil {
			panic(err)
		}
		return r
	}
}

// requireText fails unless err is code with exactly text as its message.
func requireText(t *testing.T, err error, code, text string) {
	t.Helper()
	apitest.RequireCode(t, err, code, "")
	if msg := message(err); msg != text {
		t.Errorf("%s: message %q, want %q", code, msg, text)
	}
}

// message is the message of the API error err carries.
func message(err error) string {
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		return ""
	}
	return apiErr.ErrorMessage()
}

func TestVerifiedThroughServer(t *testing.T) {
	srv := startVerified(t)
	ctx := t.Context()
	describe := &organizations.DescribeOrganizationInput{}

	// The right secret: the key acts as its account.
	out, err := srv.ClientWithKey("AKIAMGMT").CreateOrganization(ctx, &organizations.CreateOrganizationInput{})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(out.Organization.MasterAccountId); got != "111111111111" {
		t.Fatalf("AKIAMGMT created an organization managed by %s", got)
	}
	if _, err := srv.ClientWithKey("AKIAALICE").DescribeOrganization(ctx, describe); err == nil {
		t.Error("alice of 222222222222 sees 111111111111's organization")
	}

	t.Run("wrong secret", func(t *testing.T) {
		_, err := srv.ClientWithSecret("AKIAMGMT", "wrong", "").DescribeOrganization(ctx, describe)
		apitest.RequireCode(t, err, "InvalidSignatureException", "")
	})
	t.Run("tampered body", func(t *testing.T) {
		tamper := through(func(r *http.Request) *http.Request {
			r, b := body(r)
			b[len(b)-2] ^= 0x01 // inside the JSON object, before its closing brace
			r.Body = io.NopCloser(bytes.NewReader(b))
			return r
		})
		_, err := srv.ClientWithSecret("AKIAMGMT", apitest.Secret, "", tamper).ListAccounts(ctx, &organizations.ListAccountsInput{MaxResults: aws.Int32(5)})
		apitest.RequireCode(t, err, "InvalidSignatureException", "")
	})
	for name, skew := range map[string]time.Duration{"six minutes old": -6 * time.Minute, "six minutes ahead": 6 * time.Minute} {
		t.Run(name, func(t *testing.T) {
			var signedAt time.Time
			at := func() time.Time { signedAt = time.Now().UTC().Add(skew).Truncate(time.Second); return signedAt }
			_, err := srv.ClientWithSecret("AKIAMGMT", apitest.Secret, "", through(resign(at, "organizations"))).DescribeOrganization(ctx, describe)
			apitest.RequireCode(t, err, "InvalidSignatureException", "")
			prefix := "Signature expired: " + signedAt.Format("20060102T150405Z") + " is now earlier than "
			if skew > 0 {
				prefix = "Signature not yet current: " + signedAt.Format("20060102T150405Z") + " is still later than "
			}
			if msg := message(err); !strings.HasPrefix(msg, prefix) {
				t.Errorf("message %q, want AWS's text starting %q", msg, prefix)
			}
		})
	}
	t.Run("four minutes old", func(t *testing.T) {
		at := func() time.Time { return time.Now().Add(-4 * time.Minute) }
		if _, err := srv.ClientWithSecret("AKIAMGMT", apitest.Secret, "", through(resign(at, "organizations"))).DescribeOrganization(ctx, describe); err != nil {
			t.Errorf("within the skew: %v", err)
		}
	})
	t.Run("service s3", func(t *testing.T) {
		_, err := srv.ClientWithSecret("AKIAMGMT", apitest.Secret, "", through(resign(time.Now, "s3"))).DescribeOrganization(ctx, describe)
		requireText(t, err, "InvalidSignatureException", "Credential should be scoped to correct service: 'organizations'. ")
	})
	t.Run("unknown key", func(t *testing.T) {
		_, err := srv.ClientWithKey("AKIAOTHER").DescribeOrganization(ctx, describe)
		apitest.RequireCode(t, err, "UnrecognizedClientException", "")
		// A 12-digit key names no account when verified.
		_, err = srv.ClientWithKey("111111111111").DescribeOrganization(ctx, describe)
		apitest.RequireCode(t, err, "UnrecognizedClientException", "")
	})
	t.Run("no Authorization", func(t *testing.T) {
		c := organizations.New(organizations.Options{BaseEndpoint: aws.String(srv.URL), Region: "us-east-1", RetryMaxAttempts: 1,
			HTTPClient: apitest.HTTPClient(), Credentials: aws.AnonymousCredentials{}})
		_, err := c.DescribeOrganization(ctx, describe)
		apitest.RequireCode(t, err, "MissingAuthenticationTokenException", "")
	})
	t.Run("x-moto-account-id ignored", func(t *testing.T) {
		moto := through(func(r *http.Request) *http.Request {
			r = r.Clone(r.Context())
			r.Header.Set("x-moto-account-id", "111111111111")
			return r
		})
		_, err := srv.ClientWithSecret("AKIAALICE", apitest.Secret, "", moto).DescribeOrganization(ctx, describe)
		apitest.RequireCode(t, err, "AWSOrganizationsNotInUseException", "")
	})
	t.Run("unsigned headers changed", func(t *testing.T) {
		unsigned := through(func(r *http.Request) *http.Request {
			r = r.Clone(r.Context())
			r.Header.Set("User-Agent", "changed after signing")
			r.Header.Set("X-Forwarded-For", "10.1.2.3")
			return r
		})
		if _, err := srv.ClientWithSecret("AKIAMGMT", apitest.Secret, "", unsigned).DescribeOrganization(ctx, describe); err != nil {
			t.Errorf("unsigned headers changed: %v", err)
		}
	})
}

// TestIncompleteSignatureThroughServer: a malformed Authorization header gets AWS's text,
// naming each missing part, with 400.
func TestIncompleteSignatureThroughServer(t *testing.T) {
	srv := startVerified(t)
	now := time.Now().UTC()
	date := now.Format("20060102T150405Z")
	cred := "Credential=AKIAMGMT/" + now.Format("20060102") + "/us-east-1/organizations/aws4_request"
	tests := []struct{ name, header, date, text string }{
		{"no Credential", "AWS4-HMAC-SHA256 SignedHeaders=host;x-amz-date, Signature=00", date,
			"Authorization header requires 'Credential' parameter. Authorization=AWS4-HMAC-SHA256 SignedHeaders=host;x-amz-date, Signature=00"},
		{"no Signature", "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host;x-amz-date", date,
			"Authorization header requires 'Signature' parameter. Authorization=AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host;x-amz-date"},
		{"no SignedHeaders", "AWS4-HMAC-SHA256 " + cred + ", Signature=00", date,
			"Authorization header requires 'SignedHeaders' parameter. Authorization=AWS4-HMAC-SHA256 " + cred + ", Signature=00"},
		{"no date", "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host, Signature=00", "",
			"Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host, Signature=00"},
		{"no equal sign", "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders", date,
			"'SignedHeaders' not a valid key=value pair (missing equal-sign) in Authorization header: 'AWS4-HMAC-SHA256 " + cred + ", SignedHeaders'."},
		{"credential of four parts", "AWS4-HMAC-SHA256 Credential=AKIAMGMT/us-east-1/organizations/aws4_request, SignedHeaders=host, Signature=00", date,
			"Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got 'AKIAMGMT/us-east-1/organizations/aws4_request'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := map[string]string{"Authorization": tt.header}
			if tt.date != "" {
				h["X-Amz-Date"] = tt.date
			}
			status, hdr, body := rawCall(t, srv.URL, "DescribeOrganization", `{}`, h)
			if status != http.StatusBadRequest || hdr.Get("X-Amzn-ErrorType") != "IncompleteSignatureException" || body["Message"] != tt.text {
				t.Errorf("got %d %s %q\nwant 400 IncompleteSignatureException %q", status, hdr.Get("X-Amzn-ErrorType"), body["Message"], tt.text)
			}
		})
	}
}

// TestVerifiedStatuses: the statuses AWS's JSON services answer the authentication failures
// with.
func TestVerifiedStatuses(t *testing.T) {
	srv := startVerified(t)
	date := time.Now().UTC().Format("20060102T150405Z")
	cred := "AWS4-HMAC-SHA256 Credential=%s/" + date[:8] + "/us-east-1/organizations/aws4_request, SignedHeaders=host;x-amz-date, Signature=00"
	for _, tt := range []struct {
		key, code string
		status    int
	}{
		{"AKIAMGMT", "InvalidSignatureException", http.StatusBadRequest},
		{"AKIAOTHER", "UnrecognizedClientException", http.StatusBadRequest},
	} {
		status, h, _ := rawCall(t, srv.URL, "DescribeOrganization", `{}`, map[string]string{
			"Authorization": strings.Replace(cred, "%s", tt.key, 1), "X-Amz-Date": date})
		if status != tt.status || h.Get("X-Amzn-ErrorType") != tt.code {
			t.Errorf("key %s: %d %s, want %d %s", tt.key, status, h.Get("X-Amzn-ErrorType"), tt.status, tt.code)
		}
	}
	status, h, _ := rawCall(t, srv.URL, "DescribeOrganization", `{}`, nil)
	if status != http.StatusForbidden || h.Get("X-Amzn-ErrorType") != "MissingAuthenticationTokenException" {
		t.Errorf("no Authorization: %d %s", status, h.Get("X-Amzn-ErrorType"))
	}
}

// TestVerifiedBoto3: botocore, a second real signer, gets the same answers
// (testdata/verified_boto3.py): its signature verifies, and a wrong secret, a body changed
// after signing, a clock six minutes behind, an unknown key and an unsigned request each get
// AWS's code and text.
func TestVerifiedBoto3(t *testing.T) {
	err := exec.Command("python3", "-c", "import boto3, botocore.auth; botocore.auth.get_current_datetime").Run()
	testenv.Require(t, fmt.Sprintf("python3 with boto3 and a botocore whose signer reads get_current_datetime (%v)", err), err == nil)
	srv := startVerified(t)
	cmd := exec.CommandContext(t.Context(), "python3", "testdata/verified_boto3.py")
	cmd.Env = append(os.Environ(), "ORGD_ENDPOINT="+srv.URL, "ORGD_KEY=AKIAMGMT", "ORGD_SECRET="+apitest.Secret,
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_EC2_METADATA_DISABLED=true")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("boto3 against verified orgd: %v\n%s", err, out)
	}
	for _, c := range []string{"right secret", "wrong secret", "tampered body", "stale date", "unknown key", "unsigned"} {
		if !strings.Contains(string(out), "PASS "+c+"\n") {
			t.Errorf("case %q did not pass:\n%s", c, out)
		}
	}
}
