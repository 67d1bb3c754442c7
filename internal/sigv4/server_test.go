package sigv4_test

// These tests run through a whole server, so they live in package sigv4_test: apitest
// imports the server, which imports sigv4.

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"

	"github.com/orgd/orgd/internal/apitest"
	"github.com/orgd/orgd/internal/model"
	"github.com/orgd/orgd/internal/server"
	"github.com/orgd/orgd/internal/sigv4"
)

// rawCall sends body to op with the given headers (and no others of note) and returns the
// status, the headers and the decoded body.
func rawCall(t *testing.T, url, op, body string, header map[string]string) (int, http.Header, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url+"/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Amz-Target", model.TargetPrefix+"."+op)
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("%s answered %d %q: %v", op, resp.StatusCode, raw, err)
	}
	return resp.StatusCode, resp.Header, m
}

func auth(key, region string) string {
	return "AWS4-HMAC-SHA256 Credential=" + key + "/20250101/" + region + "/organizations/aws4_request, " +
		"SignedHeaders=host;x-amz-date, Signature=0123456789abcdef"
}

func TestAuthenticationErrorsThroughServer(t *testing.T) {
	srv := apitest.Start(t)
	tests := []struct {
		name   string
		header map[string]string
		code   string
		status int
	}{
		// AWS's generic JSON-protocol answers (spec §1.3): 403 for a missing token.
		{"no Authorization", nil, "MissingAuthenticationTokenException", http.StatusForbidden},
		{"no Authorization, moto header", map[string]string{"x-moto-account-id": "111111111111"}, "MissingAuthenticationTokenException", http.StatusForbidden},
		{"SigV2", map[string]string{"Authorization": "AWS AKIAEXAMPLE:c2ln"}, "IncompleteSignatureException", http.StatusBadRequest},
		{"no signature", map[string]string{"Authorization": "AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20250101/us-east-1/organizations/aws4_request, SignedHeaders=host"}, "IncompleteSignatureException", http.StatusBadRequest},
		{"bad scope", map[string]string{"Authorization": auth("AKIAEXAMPLE", "us-east-1/extra")}, "IncompleteSignatureException", http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// CreateOrganization: had the request been attributed to anyone, it would succeed.
			status, h, body := rawCall(t, srv.URL, "CreateOrganization", `{}`, tt.header)
			if status != tt.status || body["__type"] != tt.code || h.Get("X-Amzn-ErrorType") != tt.code {
				t.Errorf("got %d %v (X-Amzn-ErrorType %q), want %d %s", status, body, h.Get("X-Amzn-ErrorType"), tt.status, tt.code)
			}
			if msg, _ := body["Message"].(string); msg == "" {
				t.Errorf("no Message in %v", body)
			}
		})
	}
	// Nothing was created by the refused requests, not even for the default account.
	_, err := srv.ClientWithKey("AKIANOACCOUNT").DescribeOrganization(t.Context(), &organizations.DescribeOrganizationInput{})
	apitest.RequireCode(t, err, "AWSOrganizationsNotInUseException", "")
	_, err = srv.Client("111111111111").DescribeOrganization(t.Context(), &organizations.DescribeOrganizationInput{})
	apitest.RequireCode(t, err, "AWSOrganizationsNotInUseException", "")
}

// TestUnsignedSDKRequest: an SDK with anonymous credentials sends no Authorization header and
// gets AWS's code for it.
func TestUnsignedSDKRequest(t *testing.T) {
	srv := apitest.Start(t)
	c := organizations.New(organizations.Options{
		BaseEndpoint: aws.String(srv.URL), Region: "us-east-1", RetryMaxAttempts: 1,
		HTTPClient: apitest.HTTPClient(), Credentials: aws.AnonymousCredentials{},
	})
	_, err := c.DescribeOrganization(t.Context(), &organizations.DescribeOrganizationInput{})
	apitest.RequireCode(t, err, "MissingAuthenticationTokenException", "")
}

// TestAnyRegion: clients given --endpoint-url sign for whatever region they are configured
// for (spec §1.1); every one is accepted. The service is global within a partition: every
// region of the organization's partition sees it, a region of another partition does not.
func TestAnyRegion(t *testing.T) {
	srv := apitest.Start(t)
	var orgID string
	for _, region := range []string{"us-east-1", "eu-west-3", "cn-northwest-1", "us-gov-west-1", "local"} {
		c := srv.ClientIn("111111111111", region)
		if orgID == "" {
			out, err := c.CreateOrganization(t.Context(), &organizations.CreateOrganizationInput{})
			if err != nil {
				t.Fatalf("region %s: %v", region, err)
			}
			orgID = aws.ToString(out.Organization.Id)
			continue
		}
		out, err := c.DescribeOrganization(t.Context(), &organizations.DescribeOrganizationInput{})
		if sigv4.Partition(region) != "aws" {
			apitest.RequireCode(t, err, "AWSOrganizationsNotInUseException", "")
			continue
		}
		if err != nil {
			t.Fatalf("region %s: %v", region, err)
		}
		if got := aws.ToString(out.Organization.Id); got != orgID {
			t.Errorf("region %s sees organization %s, want %s", region, got, orgID)
		}
	}
}

// TestCallerOpenMode checks the open resolver's order end to end: who DescribeOrganization's
// caller is decides whether it sees the organization.
func TestCallerOpenMode(t *testing.T) {
	srv := apitest.Start(t, func(c *server.Config) { c.Org.DefaultAccountID = "999999999999" })
	srv.CreateOrganization("111111111111")
	tests := []struct {
		name    string
		header  map[string]string
		inOrgAs string // the MasterAccountId seen; "" means not in an organization
	}{
		{"12-digit key", map[string]string{"Authorization": auth("111111111111", "us-east-1")}, "111111111111"},
		{"another 12-digit key", map[string]string{"Authorization": auth("333333333333", "us-east-1")}, ""},
		{"x-moto-account-id beats the key", map[string]string{"Authorization": auth("111111111111", "us-east-1"), "x-moto-account-id": "333333333333"}, ""},
		{"x-moto-account-id names the management account", map[string]string{"Authorization": auth("AKIAOTHER", "us-east-1"), "x-moto-account-id": "111111111111"}, "111111111111"},
		{"default account", map[string]string{"Authorization": auth("AKIAOTHER", "us-east-1")}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, _, body := rawCall(t, srv.URL, "DescribeOrganization", `{}`, tt.header)
			switch {
			case tt.inOrgAs == "" && (status != 400 || body["__type"] != "AWSOrganizationsNotInUseException"):
				t.Errorf("got %d %v, want AWSOrganizationsNotInUseException", status, body)
			case tt.inOrgAs != "" && (status != 200 || body["Organization"].(map[string]any)["MasterAccountId"] != tt.inOrgAs):
				t.Errorf("got %d %v, want the organization of %s", status, body, tt.inOrgAs)
			}
		})
	}
	// The default account is --default-account's: it can create its own organization.
	status, _, body := rawCall(t, srv.URL, "CreateOrganization", `{}`, map[string]string{"Authorization": auth("AKIAOTHER", "eu-central-1")})
	if status != 200 || body["Organization"].(map[string]any)["MasterAccountId"] != "999999999999" {
		t.Errorf("default account's CreateOrganization: %d %v", status, body)
	}
}

// TestBadCredentialsFileStopsServer: a server does not start on a credentials file it cannot
// use.
func TestBadCredentialsFileStopsServer(t *testing.T) {
	creds := filepath.Join(t.TempDir(), "credentials.json")
	if err := os.WriteFile(creds, []byte(`{"Credentials": [{"AccessKeyId": "AKIA", "AccountId": "1"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(t.Context(), server.Config{DB: "memory", CredentialsFile: creds})
	if err == nil {
		srv.Close()
		t.Fatal("server.New accepted a credentials file with a bad account id")
	}
}
