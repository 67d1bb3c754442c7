package server_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/organizations"

	"github.com/orgd/orgd/internal/apitest"
	"github.com/orgd/orgd/internal/model"
)

// TestForeignHostReachesNoAPI: through DNS rebinding a page's requests carry its own name as
// the Host; in open mode any access key works, so the AWS API refuses them as the admin API
// does, and so it does a foreign Origin.
func TestForeignHostReachesNoAPI(t *testing.T) {
	srv := apitest.Start(t)
	port := srv.URL[strings.LastIndex(srv.URL, ":")+1:]
	for _, tt := range []struct{ host, origin string }{
		{"evil.example:" + port, ""},
		{"evil.example:" + port, "http://evil.example:" + port},
		{"", "http://evil.example"},
		{"", "null"},
	} {
		req, err := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader("{}"))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-Amz-Target", "AWSOrganizationsV20161128.CreateOrganization")
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=111111111111/20250101/us-east-1/organizations/aws4_request, SignedHeaders=host, Signature=00")
		if tt.host != "" {
			req.Host = tt.host
		}
		if tt.origin != "" {
			req.Header.Set("Origin", tt.origin)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var body struct{ Message string }
		json.Unmarshal(raw, &body)
		if resp.StatusCode != http.StatusForbidden || resp.Header.Get("X-Amzn-ErrorType") != model.CodeAccessDeniedException ||
			body.Message != model.Message(model.ForeignRequest, model.CodeAccessDeniedException, "") {
			t.Errorf("Host %q Origin %q: %d %s", tt.host, tt.origin, resp.StatusCode, raw)
		}
		for k := range resp.Header {
			if strings.HasPrefix(k, "Access-Control-") {
				t.Errorf("answer carries %s", k)
			}
		}
	}
	// None of them created the organization.
	_, err := srv.Client("111111111111").DescribeOrganization(t.Context(), &organizations.DescribeOrganizationInput{})
	apitest.RequireCode(t, err, "AWSOrganizationsNotInUseException", "")
}
