package awsjson_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/organizations"

	"github.com/orgd/orgd/internal/apitest"
	"github.com/orgd/orgd/internal/awsjson"
	"github.com/orgd/orgd/internal/model"
	"github.com/orgd/orgd/internal/org"
	"github.com/orgd/orgd/internal/sigv4"
)

const (
	mgmt    = "111111111111"
	member  = "222222222222"
	invitee = "333333333333"
	jsonCT  = "application/x-amz-json-1.1"
)

var uuidPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// authFor is an Authorization header as the SDKs send it, whose access key is the account.
func authFor(account string) string {
	return "AWS4-HMAC-SHA256 Credential=" + account + "/20250101/us-east-1/organizations/aws4_request, " +
		"SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=0123456789abcdef"
}

// response is a raw HTTP answer of the AWS API.
type response struct {
	op     string // the operation the request named, "" when it named none of the model's
	status int
	header http.Header
	raw    []byte
	body   map[string]any // decoded with UseNumber; nil when the body is not a JSON object
}

type request struct {
	method  string // POST unless set
	target  string // operation name; the full X-Amz-Target is built from it unless rawTarget
	raw     bool   // target is the complete X-Amz-Target value ("" sends none)
	account string // Authorization for this account; "" sends none
	body    io.Reader
	length  int64 // ContentLength: 0 derives it from body, -1 sends the body chunked
	header  map[string]string
}

func send(t *testing.T, url string, r request) response {
	t.Helper()
	method := r.method
	if method == "" {
		method = http.MethodPost
	}
	req, err := http.NewRequest(method, url+"/", r.body)
	if err != nil {
		t.Fatal(err)
	}
	if r.length != 0 {
		req.ContentLength = r.length
	}
	switch {
	case r.raw && r.target != "":
		req.Header.Set("X-Amz-Target", r.target)
	case !r.raw:
		req.Header.Set("X-Amz-Target", model.TargetPrefix+"."+r.target)
	}
	if r.account != "" {
		req.Header.Set("Authorization", authFor(r.account))
	}
	req.Header.Set("Content-Type", jsonCT)
	for k, v := range r.header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, r.target, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	out := response{status: resp.StatusCode, header: resp.Header, raw: raw}
	if _, ok := model.Lookup(r.target); ok && !r.raw {
		out.op = r.target
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	if dec.Decode(&m) == nil {
		out.body = m
	}
	return out
}

// call sends body to the operation as account.
func call(t *testing.T, url, account, op, body string) response {
	t.Helper()
	return send(t, url, request{target: op, account: account, body: strings.NewReader(body)})
}

// checkCommon checks what every answer carries: a request id and the protocol's content type.
func checkCommon(t *testing.T, r response) {
	t.Helper()
	if id := r.header.Get("x-amzn-RequestId"); !uuidPattern.MatchString(id) {
		t.Errorf("x-amzn-RequestId = %q, want a UUID", id)
	}
	if ct := r.header.Get("Content-Type"); ct != jsonCT {
		t.Errorf("Content-Type = %q, want %s", ct, jsonCT)
	}
}

// requireOK fails unless r is a 200 with a JSON object body.
func requireOK(t *testing.T, r response) {
	t.Helper()
	checkCommon(t, r)
	if r.status != http.StatusOK || r.body == nil {
		t.Fatalf("status %d, body %s; want 200 with a JSON object", r.status, r.raw)
	}
}

// requireError fails unless r is the AWS JSON error code with the status and Reason ("" for
// none), the catalogue's text for them as its Message, and nothing else in the body.
func requireError(t *testing.T, r response, status int, code, reason string) {
	t.Helper()
	checkCommon(t, r)
	if r.status != status {
		t.Errorf("status %d, want %d (%s)", r.status, status, r.raw)
	}
	if r.body == nil {
		t.Fatalf("error body %q is not a JSON object", r.raw)
	}
	if got := r.body["__type"]; got != code {
		t.Fatalf("__type = %v, want %s (%s)", got, code, r.raw)
	}
	if h := r.header.Get("X-Amzn-ErrorType"); h != code {
		t.Errorf("X-Amzn-ErrorType = %q, want it equal to __type %q", h, code)
	}
	if msg, ok := r.body["Message"].(string); !ok || msg == "" || msg != model.Message(r.op, code, reason) {
		t.Errorf("Message = %#v, want the catalogue's %q (%s)", r.body["Message"], model.Message(r.op, code, reason), r.raw)
	}
	want := 2
	if reason != "" {
		want = 3
		if got := r.body["Reason"]; got != reason {
			t.Errorf("Reason = %v, want %s (%s)", got, reason, r.raw)
		}
	} else if _, ok := r.body["Reason"]; ok {
		t.Errorf("unexpected Reason in %s", r.raw)
	}
	if len(r.body) != want {
		t.Errorf("error body %s has members beyond __type, Message and Reason", r.raw)
	}
}

func TestDispatchByTarget(t *testing.T) {
	srv := apitest.Start(t)
	r := call(t, srv.URL, mgmt, "CreateOrganization", `{"FeatureSet":"ALL"}`)
	requireOK(t, r)
	o := r.body["Organization"].(map[string]any)
	if o["MasterAccountId"] != mgmt || o["FeatureSet"] != "ALL" {
		t.Fatalf("CreateOrganization answered %s", r.raw)
	}
	r = call(t, srv.URL, mgmt, "DescribeOrganization", `{}`)
	requireOK(t, r)
	if got := r.body["Organization"].(map[string]any)["Id"]; got != o["Id"] {
		t.Errorf("DescribeOrganization Id = %v, want %v", got, o["Id"])
	}
	// The same operation as another account dispatches the same way but acts as that account.
	requireError(t, call(t, srv.URL, member, "DescribeOrganization", `{}`), 400, "AWSOrganizationsNotInUseException", "")
}

func TestUnknownOperation(t *testing.T) {
	srv := apitest.Start(t)
	tests := []struct {
		name string
		req  request
	}{
		{"unknown operation", request{target: "DescribeEverything", account: mgmt}},
		{"operation names are case-sensitive", request{target: "describeOrganization", account: mgmt}},
		{"wrong service prefix", request{raw: true, target: "AWSOrganizationsV20161127.DescribeOrganization", account: mgmt}},
		{"prefix only", request{raw: true, target: model.TargetPrefix + ".", account: mgmt}},
		{"no prefix", request{raw: true, target: "DescribeOrganization", account: mgmt}},
		{"missing target", request{raw: true, account: mgmt}},
		{"GET", request{method: http.MethodGet, target: "DescribeOrganization", account: mgmt}},
		{"PUT", request{method: http.MethodPut, target: "DescribeOrganization", account: mgmt, body: strings.NewReader("{}")}},
		// The operation is resolved before the caller: an unknown one is unknown to anyone.
		{"unknown without authorization", request{target: "DescribeEverything"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			requireError(t, send(t, srv.URL, tt.req), 400, "UnknownOperationException", "")
		})
	}
}

// TestUnknownOperationWritesNothing: an unknown target never reaches an operation, even when
// its body would be a valid CreateOrganization.
func TestUnknownOperationWritesNothing(t *testing.T) {
	srv := apitest.Start(t)
	requireError(t, send(t, srv.URL, request{method: http.MethodGet, target: "CreateOrganization", account: mgmt,
		body: strings.NewReader(`{}`)}), 400, "UnknownOperationException", "")
	requireError(t, call(t, srv.URL, mgmt, "DescribeOrganization", ``), 400, "AWSOrganizationsNotInUseException", "")
}

func TestSerializationErrors(t *testing.T) {
	srv := apitest.Start(t)
	tests := []struct{ name, op, body string }{
		{"truncated", "CreateOrganization", `{"FeatureSet":"ALL"`},
		{"not JSON", "CreateOrganization", `FeatureSet=ALL`},
		{"trailing garbage", "CreateOrganization", `{"FeatureSet":"ALL"} x`},
		{"two objects", "DescribeOrganization", `{}{}`},
		{"array body", "DescribeOrganization", `[]`},
		{"null body", "DescribeOrganization", `null`},
		{"string body", "ListAccounts", `"x"`},
		{"single quotes", "ListAccounts", `{'MaxResults': 5}`},
		{"enum as number", "CreateOrganization", `{"FeatureSet": 5}`},
		{"string as object", "AcceptHandshake", `{"HandshakeId": {"Id": "h-12345678"}}`},
		{"integer as string", "ListAccounts", `{"MaxResults": "x"}`},
		{"integer as numeric string", "ListAccounts", `{"MaxResults": "5"}`},
		{"integer with a fraction", "ListAccounts", `{"MaxResults": 5.5}`},
		{"integer out of int32", "ListAccounts", `{"MaxResults": 4294967296}`},
		{"structure as string", "InviteAccountToOrganization", `{"Target": "222222222222"}`},
		{"structure as array", "InviteAccountToOrganization", `{"Target": ["ACCOUNT", "222222222222"]}`},
		{"list as string", "UntagResource", `{"ResourceId": "222222222222", "TagKeys": "k"}`},
		{"list element of wrong type", "UntagResource", `{"ResourceId": "222222222222", "TagKeys": [1]}`},
		{"list of structures as object", "TagResource", `{"ResourceId": "222222222222", "Tags": {"Key": "k", "Value": "v"}}`},
		{"bad escape", "AcceptHandshake", `{"HandshakeId": "h-\x"}`},
		{"control character in a string", "AcceptHandshake", "{\"HandshakeId\": \"h-\n\"}"},
		{"unknown member with bad JSON", "DescribeOrganization", `{"x": [1,}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			requireError(t, call(t, srv.URL, mgmt, tt.op, tt.body), 400, "SerializationException", "")
		})
	}
	// None of the CreateOrganization attempts created anything.
	requireError(t, call(t, srv.URL, mgmt, "DescribeOrganization", `{}`), 400, "AWSOrganizationsNotInUseException", "")
}

// TestUnknownMembersIgnored: SDKs never send members the model lacks, but other clients may;
// like AWS, orgd ignores them (and nulls, which stand for absent members).
func TestUnknownMembersIgnored(t *testing.T) {
	srv := apitest.Start(t)
	requireOK(t, call(t, srv.URL, mgmt, "CreateOrganization", `{"FeatureSet":null,"Extra":{"a":[1,2,{"b":null}]}}`))
	r := call(t, srv.URL, mgmt, "DescribeOrganization", `{"Unused": true}`)
	requireOK(t, r)
	if fs := r.body["Organization"].(map[string]any)["FeatureSet"]; fs != "ALL" {
		t.Errorf("FeatureSet = %v, want ALL (the default when the member is null)", fs)
	}
}

func TestValidationReasons(t *testing.T) {
	srv := apitest.Start(t)
	target := `"Target":{"Type":"ACCOUNT","Id":"222222222222"}`
	tests := []struct{ name, op, body, reason string }{
		{"missing HandshakeId", "AcceptHandshake", `{}`, model.InvalidInputExceptionReasonInputRequired},
		{"absent body lacks HandshakeId", "DescribeHandshake", ``, model.InvalidInputExceptionReasonInputRequired},
		{"bad h- id", "AcceptHandshake", `{"HandshakeId":"h-NOT_VALID"}`, model.InvalidInputExceptionReasonInvalidPattern},
		{"short h- id", "DescribeHandshake", `{"HandshakeId":"h-1234567"}`, model.InvalidInputExceptionReasonInvalidPattern},
		{"bad FeatureSet", "CreateOrganization", `{"FeatureSet":"SOME"}`, model.InvalidInputExceptionReasonInvalidEnum},
		{"enums are case-sensitive", "CreateOrganization", `{"FeatureSet":"all"}`, model.InvalidInputExceptionReasonInvalidEnum},
		{"Notes over 1024", "InviteAccountToOrganization", `{` + target + `,"Notes":"` + strings.Repeat("n", 1025) + `"}`, model.InvalidInputExceptionReasonMaxLengthExceeded},
		{"MaxResults 0", "ListAccounts", `{"MaxResults":0}`, model.InvalidInputExceptionReasonMinValueExceeded},
		{"MaxResults 21", "ListAccounts", `{"MaxResults":21}`, model.InvalidInputExceptionReasonMaxValueExceeded},
		{"MaxResults negative", "ListHandshakesForAccount", `{"MaxResults":-1}`, model.InvalidInputExceptionReasonMinValueExceeded},
		{"account id with junk", "DescribeAccount", `{"AccountId":"123456789012xyz"}`, model.InvalidInputExceptionReasonMaxLengthExceeded},
		{"account id of 11 digits", "DescribeAccount", `{"AccountId":"12345678901"}`, model.InvalidInputExceptionReasonInvalidPattern},
		// The model writes ChildId as ^(A)|(B)$; orgd anchors both alternatives.
		{"half-anchored alternative", "ListParents", `{"ChildId":"123456789012x"}`, model.InvalidInputExceptionReasonInvalidPattern},
		{"missing nested member", "InviteAccountToOrganization", `{"Target":{"Type":"ACCOUNT"}}`, model.InvalidInputExceptionReasonInputRequired},
		{"empty tag key", "TagResource", `{"ResourceId":"222222222222","Tags":[{"Key":"","Value":"v"}]}`, model.InvalidInputExceptionReasonMinLengthExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			requireError(t, call(t, srv.URL, mgmt, tt.op, tt.body), 400, "InvalidInputException", tt.reason)
		})
	}
	// 1,024 characters of notes are allowed: validation passes and the caller's state decides.
	r := call(t, srv.URL, mgmt, "InviteAccountToOrganization", `{`+target+`,"Notes":"`+strings.Repeat("n", 1024)+`"}`)
	requireError(t, r, 400, "AWSOrganizationsNotInUseException", "")
}

// TestValidationErrorsWithSDK: the modelled Reasons reach aws-sdk-go-v2 as typed errors.
func TestValidationErrorsWithSDK(t *testing.T) {
	srv := apitest.Start(t)
	c := srv.Client(mgmt)
	_, err := c.ListAccounts(t.Context(), &organizations.ListAccountsInput{MaxResults: aws.Int32(21)})
	apitest.RequireCode(t, err, "InvalidInputException", model.InvalidInputExceptionReasonMaxValueExceeded)
	_, err = c.DescribeHandshake(t.Context(), &organizations.DescribeHandshakeInput{HandshakeId: aws.String("h-UPPERCASE")})
	apitest.RequireCode(t, err, "InvalidInputException", model.InvalidInputExceptionReasonInvalidPattern)
	_, err = c.DescribeOrganization(t.Context(), &organizations.DescribeOrganizationInput{})
	apitest.RequireCode(t, err, "AWSOrganizationsNotInUseException", "")
}

// padded returns a DescribeOrganization/CreateOrganization body of exactly n bytes: {} with
// whitespace inside.
func padded(n int) []byte {
	b := bytes.Repeat([]byte{' '}, n)
	b[0], b[n-1] = '{', '}'
	return b
}

// onlyReader hides Len so that net/http sends the body chunked, without a Content-Length.
type onlyReader struct{ io.Reader }

func TestBodyLimit(t *testing.T) {
	srv := apitest.Start(t)

	// Exactly the limit is fine.
	requireOK(t, send(t, srv.URL, request{target: "CreateOrganization", account: mgmt, body: bytes.NewReader(padded(awsjson.DefaultMaxBody))}))
	requireOK(t, call(t, srv.URL, mgmt, "DeleteOrganization", `{}`))

	over := padded(awsjson.DefaultMaxBody + 1)
	t.Run("Content-Length", func(t *testing.T) {
		r := send(t, srv.URL, request{target: "CreateOrganization", account: mgmt, body: bytes.NewReader(over)})
		requireError(t, r, http.StatusRequestEntityTooLarge, "RequestEntityTooLargeException", "")
	})
	t.Run("chunked", func(t *testing.T) {
		r := send(t, srv.URL, request{target: "CreateOrganization", account: mgmt, body: onlyReader{bytes.NewReader(over)}, length: -1})
		requireError(t, r, http.StatusRequestEntityTooLarge, "RequestEntityTooLargeException", "")
	})
	t.Run("chunked, much larger", func(t *testing.T) {
		huge := padded(8 * awsjson.DefaultMaxBody)
		r := send(t, srv.URL, request{target: "CreateOrganization", account: mgmt, body: onlyReader{bytes.NewReader(huge)}, length: -1})
		requireError(t, r, http.StatusRequestEntityTooLarge, "RequestEntityTooLargeException", "")
	})
	// Nothing was created by the refused requests.
	requireError(t, call(t, srv.URL, mgmt, "DescribeOrganization", `{}`), 400, "AWSOrganizationsNotInUseException", "")
}

func TestRequestIDOnEveryAnswer(t *testing.T) {
	srv := apitest.Start(t)
	seen := map[string]bool{}
	for _, r := range []response{
		call(t, srv.URL, mgmt, "CreateOrganization", `{}`),                                                    // success
		call(t, srv.URL, mgmt, "CreateOrganization", `{}`),                                                    // modelled error
		call(t, srv.URL, mgmt, "ListAccounts", `{"MaxResults":0}`),                                            // validation
		call(t, srv.URL, mgmt, "ListAccounts", `{`),                                                           // serialization
		send(t, srv.URL, request{target: "Nope", account: mgmt}),                                              // unknown operation
		send(t, srv.URL, request{target: "ListRoots"}),                                                        // no Authorization
		send(t, srv.URL, request{target: "ListRoots", header: map[string]string{"Authorization": "Basic x"}}), // malformed
		call(t, srv.URL, mgmt, "CreatePolicy", `{"Content":"{}","Description":"","Name":"n","Type":"SERVICE_CONTROL_POLICY"}`),
	} {
		id := r.header.Get("x-amzn-RequestId")
		if !uuidPattern.MatchString(id) {
			t.Errorf("answer %d %s: x-amzn-RequestId = %q, want a UUID", r.status, r.raw, id)
		}
		if seen[id] {
			t.Errorf("request id %s used twice", id)
		}
		seen[id] = true
	}
	// aws-sdk-go-v2 finds it too.
	out, err := srv.Client(mgmt).DescribeOrganization(t.Context(), &organizations.DescribeOrganizationInput{})
	if err != nil {
		t.Fatal(err)
	}
	if id, ok := awsmiddleware.GetRequestIDMetadata(out.ResultMetadata); !ok || !uuidPattern.MatchString(id) {
		t.Errorf("SDK request id = %q", id)
	}
}

// walkNoNull fails on any JSON null in v and returns the number of values seen.
func walkNoNull(t *testing.T, path string, v any) {
	t.Helper()
	switch v := v.(type) {
	case nil:
		t.Errorf("%s is null", path)
	case map[string]any:
		for k, x := range v {
			walkNoNull(t, path+"."+k, x)
		}
	case []any:
		for i, x := range v {
			walkNoNull(t, path+"["+strconv.Itoa(i)+"]", x)
		}
	}
}

// requireTimestamp fails unless v is a JSON number of epoch seconds with at most millisecond
// precision, and returns it.
func requireTimestamp(t *testing.T, name string, v any) float64 {
	t.Helper()
	n, ok := v.(json.Number)
	if !ok {
		t.Fatalf("%s = %#v, want a JSON number", name, v)
	}
	if !regexp.MustCompile(`^\d{10}(\.\d{1,3})?$`).MatchString(n.String()) {
		t.Errorf("%s = %s, want epoch seconds with up to three decimals", name, n)
	}
	f, err := n.Float64()
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestResponseBodies(t *testing.T) {
	srv := apitest.Start(t)
	srv.Register(map[string]any{"Id": mgmt, "Email": "bill@amazon.com", "Name": "Org Master Account"})

	r := call(t, srv.URL, mgmt, "CreateOrganization", `{"FeatureSet":"CONSOLIDATED_BILLING"}`)
	requireOK(t, r)
	if bytes.Contains(r.raw, []byte("null")) {
		t.Errorf("CreateOrganization body has a null: %s", r.raw)
	}
	walkNoNull(t, "CreateOrganization", r.body)
	o := r.body["Organization"].(map[string]any)
	for k, want := range map[string]any{"FeatureSet": "CONSOLIDATED_BILLING", "MasterAccountId": mgmt, "MasterAccountEmail": "bill@amazon.com"} {
		if o[k] != want {
			t.Errorf("Organization.%s = %v, want %v", k, o[k], want)
		}
	}
	// AvailablePolicyTypes is a list: present and empty in a consolidated-billing organization,
	// never null.
	if l, ok := o["AvailablePolicyTypes"].([]any); !ok || len(l) != 0 {
		t.Errorf("AvailablePolicyTypes = %#v, want []", o["AvailablePolicyTypes"])
	}

	r = call(t, srv.URL, mgmt, "DescribeAccount", `{"AccountId":"`+mgmt+`"}`)
	requireOK(t, r)
	walkNoNull(t, "DescribeAccount", r.body)
	a := r.body["Account"].(map[string]any)
	// AWS's sample shows the management account as INVITED, though it created the organization.
	if a["Id"] != mgmt || a["Email"] != "bill@amazon.com" || a["Name"] != "Org Master Account" || a["JoinedMethod"] != "INVITED" {
		t.Errorf("DescribeAccount answered %s", r.raw)
	}
	joined := requireTimestamp(t, "JoinedTimestamp", a["JoinedTimestamp"])
	if now := float64(time.Now().UnixMilli()) / 1000; math.Abs(joined-now) > 300 {
		t.Errorf("JoinedTimestamp = %v, not near now (%v)", joined, now)
	}

	r = call(t, srv.URL, mgmt, "InviteAccountToOrganization", `{"Target":{"Type":"ACCOUNT","Id":"`+member+`"}}`)
	requireOK(t, r)
	walkNoNull(t, "InviteAccountToOrganization", r.body)
	h := r.body["Handshake"].(map[string]any)
	req := requireTimestamp(t, "RequestedTimestamp", h["RequestedTimestamp"])
	exp := requireTimestamp(t, "ExpirationTimestamp", h["ExpirationTimestamp"])
	if d := exp - req; math.Abs(d-15*24*3600) > 0.001 {
		t.Errorf("invitation expires %v s after it was requested, want 15 days", d)
	}
	// Notes were not given: the NOTES resource is omitted, not null or empty.
	for _, res := range h["Resources"].([]any) {
		if res.(map[string]any)["Type"] == "NOTES" {
			t.Errorf("Resources has NOTES without notes: %s", r.raw)
		}
	}

	// An operation without output answers an empty object.
	r = call(t, srv.URL, mgmt, "TagResource", `{"ResourceId":"`+mgmt+`","Tags":[{"Key":"k","Value":""}]}`)
	requireOK(t, r)
	if len(r.body) != 0 {
		t.Errorf("TagResource answered %s, want {}", r.raw)
	}
	// An empty tag value is a value, not an absent member.
	r = call(t, srv.URL, mgmt, "ListTagsForResource", `{"ResourceId":"`+mgmt+`"}`)
	requireOK(t, r)
	if string(r.raw) != `{"Tags":[{"Key":"k","Value":""}]}` {
		t.Errorf("ListTagsForResource answered %s", r.raw)
	}
}

func TestEmptyAndAbsentBody(t *testing.T) {
	srv := apitest.Start(t)
	requireOK(t, call(t, srv.URL, mgmt, "CreateOrganization", ``))
	for name, body := range map[string]io.Reader{
		"absent":     nil,
		"empty":      strings.NewReader(""),
		"{}":         strings.NewReader("{}"),
		"whitespace": strings.NewReader(" \r\n\t{ }\n"),
	} {
		t.Run(name, func(t *testing.T) {
			r := send(t, srv.URL, request{target: "DescribeOrganization", account: mgmt, body: body})
			requireOK(t, r)
			if r.body["Organization"].(map[string]any)["MasterAccountId"] != mgmt {
				t.Errorf("DescribeOrganization answered %s", r.raw)
			}
		})
	}
	// Operations with input and no required member take an absent body as well.
	r := send(t, srv.URL, request{target: "ListAccounts", account: mgmt})
	requireOK(t, r)
	if l := r.body["Accounts"].([]any); len(l) != 1 {
		t.Errorf("ListAccounts answered %s", r.raw)
	}
}

// stubAPI answers DescribeOrganization as told and records the caller it saw.
type stubAPI struct {
	model.Unimplemented
	err    error
	panics bool
	caller org.Caller
}

func (s *stubAPI) DescribeOrganization(ctx context.Context) (*model.DescribeOrganizationResponse, error) {
	s.caller, _ = org.CallerFrom(ctx)
	if s.panics {
		panic("stub panics")
	}
	if s.err != nil {
		return nil, s.err
	}
	return &model.DescribeOrganizationResponse{Organization: &model.Organization{Id: model.Ptr("o-abcdefghij")}}, nil
}

// TestInternalErrors: errors that are not AWS errors, and panics, become ServiceException
// (500, the model's only fault) naming the request id, and leave the server serving. The
// Handler is used without a Logger, as a zero-configured embedding would.
func TestInternalErrors(t *testing.T) {
	api := &stubAPI{}
	hs := httptest.NewServer(&awsjson.Handler{API: api, Resolver: &sigv4.Resolver{DefaultAccount: "123456789012"}})
	t.Cleanup(hs.Close)

	requireOK(t, call(t, hs.URL, mgmt, "DescribeOrganization", `{}`))
	if api.caller.AccountID != mgmt || api.caller.AccessKeyID != mgmt {
		t.Errorf("caller = %+v, want account and access key %s", api.caller, mgmt)
	}

	api.err = errors.New("disk on fire")
	r := call(t, hs.URL, mgmt, "DescribeOrganization", `{}`)
	requireError(t, r, 500, "ServiceException", "")
	if msg := r.body["Message"].(string); strings.Contains(msg, "disk on fire") {
		t.Errorf("Message %q should hide the cause", msg)
	}

	api.err, api.panics = nil, true
	r = call(t, hs.URL, mgmt, "DescribeOrganization", `{}`)
	requireError(t, r, 500, "ServiceException", "")

	api.panics = false
	api.err = model.Fail(model.CodeConstraintViolationException, model.ConstraintViolationExceptionReasonWaitPeriodActive, "wait")
	requireError(t, call(t, hs.URL, mgmt, "DescribeOrganization", `{}`), 400, "ConstraintViolationException", model.ConstraintViolationExceptionReasonWaitPeriodActive)

	// Operations the API does not implement answer 501.
	requireError(t, call(t, hs.URL, mgmt, "ListRoots", `{}`), http.StatusNotImplemented, "NotImplementedException", "")

	// A smaller MaxBody is honoured.
	api.err = nil
	small := httptest.NewServer(&awsjson.Handler{API: api, Resolver: &sigv4.Resolver{DefaultAccount: "123456789012"}, MaxBody: 16})
	t.Cleanup(small.Close)
	requireOK(t, send(t, small.URL, request{target: "DescribeOrganization", account: mgmt, body: bytes.NewReader(padded(16))}))
	requireError(t, send(t, small.URL, request{target: "DescribeOrganization", account: mgmt, body: bytes.NewReader(padded(17))}),
		http.StatusRequestEntityTooLarge, "RequestEntityTooLargeException", "")
}

// opCall is a call of one operation with an input the model accepts, in the world world()
// builds: mgmt's all-features organization with member in it and an open invitation
// ({handshake}) to invitee; {root} is its root.
type opCall struct {
	as, body string
	ok       bool // the call must succeed
}

const tags = `"Tags":[{"Key":"k","Value":"v"}]`

var opCalls = map[string]opCall{
	"AcceptHandshake":                            {invitee, `{"HandshakeId":"{handshake}"}`, true},
	"AttachPolicy":                               {mgmt, `{"PolicyId":"p-FullAWSAccess","TargetId":"` + member + `"}`, false},
	"CancelHandshake":                            {mgmt, `{"HandshakeId":"{handshake}"}`, true},
	"CloseAccount":                               {mgmt, `{"AccountId":"` + member + `"}`, true},
	"CreateAccount":                              {mgmt, `{"Email":"new@example.com","AccountName":"new"}`, true},
	"CreateGovCloudAccount":                      {mgmt, `{"Email":"new@example.com","AccountName":"new"}`, true},
	"CreateOrganization":                         {"444444444444", `{"FeatureSet":"ALL"}`, true},
	"CreateOrganizationalUnit":                   {mgmt, `{"ParentId":"{root}","Name":"ou"}`, true},
	"CreatePolicy":                               {mgmt, `{"Content":"{}","Description":"","Name":"p","Type":"SERVICE_CONTROL_POLICY"}`, false},
	"DeclineHandshake":                           {invitee, `{"HandshakeId":"{handshake}"}`, true},
	"DeleteOrganization":                         {mgmt, `{}`, false}, // OrganizationNotEmptyException: member is in it
	"DeleteOrganizationalUnit":                   {mgmt, `{"OrganizationalUnitId":"ou-abcd-12345678"}`, false},
	"DeletePolicy":                               {mgmt, `{"PolicyId":"p-12345678"}`, false},
	"DeleteResourcePolicy":                       {mgmt, `{}`, false},
	"DeregisterDelegatedAdministrator":           {mgmt, `{"AccountId":"` + member + `","ServicePrincipal":"guardduty.amazonaws.com"}`, false},
	"DescribeAccount":                            {mgmt, `{"AccountId":"` + member + `"}`, true},
	"DescribeCreateAccountStatus":                {mgmt, `{"CreateAccountRequestId":"car-12345678"}`, false},
	"DescribeEffectivePolicy":                    {member, `{"PolicyType":"TAG_POLICY"}`, false},
	"DescribeHandshake":                          {mgmt, `{"HandshakeId":"{handshake}"}`, true},
	"DescribeOrganization":                       {member, `{}`, true},
	"DescribeOrganizationalUnit":                 {mgmt, `{"OrganizationalUnitId":"ou-abcd-12345678"}`, false},
	"DescribePolicy":                             {mgmt, `{"PolicyId":"p-FullAWSAccess"}`, true},
	"DescribeResourcePolicy":                     {mgmt, `{}`, false},
	"DescribeResponsibilityTransfer":             {mgmt, `{"Id":"rt-12345678"}`, false},
	"DetachPolicy":                               {mgmt, `{"PolicyId":"p-FullAWSAccess","TargetId":"{root}"}`, false},
	"DisableAWSServiceAccess":                    {mgmt, `{"ServicePrincipal":"guardduty.amazonaws.com"}`, true},
	"DisablePolicyType":                          {mgmt, `{"RootId":"{root}","PolicyType":"SERVICE_CONTROL_POLICY"}`, false},
	"EnableAWSServiceAccess":                     {mgmt, `{"ServicePrincipal":"guardduty.amazonaws.com"}`, true},
	"EnableAllFeatures":                          {mgmt, `{}`, false}, // the organization already has all features
	"EnablePolicyType":                           {mgmt, `{"RootId":"{root}","PolicyType":"TAG_POLICY"}`, true},
	"InviteAccountToOrganization":                {mgmt, `{"Target":{"Type":"ACCOUNT","Id":"444444444444"},"Notes":"hi",` + tags + `}`, true},
	"InviteOrganizationToTransferResponsibility": {mgmt, `{"Type":"BILLING","Target":{"Type":"ACCOUNT","Id":"444444444444"},"StartTimestamp":1893456000,"SourceName":"s"}`, false},
	"LeaveOrganization":                          {member, `{}`, true},
	"ListAWSServiceAccessForOrganization":        {mgmt, `{}`, true},
	"ListAccounts":                               {mgmt, `{"MaxResults":1}`, true},
	"ListAccountsForParent":                      {mgmt, `{"ParentId":"{root}"}`, true},
	"ListAccountsWithInvalidEffectivePolicy":     {mgmt, `{"PolicyType":"TAG_POLICY"}`, false}, // EffectivePolicyNotFoundException: TAG_POLICY is not enabled
	"ListChildren":                               {mgmt, `{"ParentId":"{root}","ChildType":"ACCOUNT"}`, true},
	"ListCreateAccountStatus":                    {mgmt, `{}`, true},
	"ListDelegatedAdministrators":                {mgmt, `{}`, true},
	"ListDelegatedServicesForAccount":            {mgmt, `{"AccountId":"` + member + `"}`, false},
	"ListEffectivePolicyValidationErrors":        {mgmt, `{"AccountId":"` + member + `","PolicyType":"TAG_POLICY"}`, false},
	"ListHandshakesForAccount":                   {invitee, `{}`, true},
	"ListHandshakesForOrganization":              {mgmt, `{"Filter":{"ActionType":"INVITE"}}`, true},
	"ListInboundResponsibilityTransfers":         {mgmt, `{"Type":"BILLING"}`, true},
	"ListOrganizationalUnitsForParent":           {mgmt, `{"ParentId":"{root}"}`, true},
	"ListOutboundResponsibilityTransfers":        {mgmt, `{"Type":"BILLING"}`, true},
	"ListParents":                                {mgmt, `{"ChildId":"` + member + `"}`, true},
	"ListPolicies":                               {mgmt, `{"Filter":"SERVICE_CONTROL_POLICY"}`, true},
	"ListPoliciesForTarget":                      {mgmt, `{"TargetId":"{root}","Filter":"SERVICE_CONTROL_POLICY"}`, true},
	"ListRoots":                                  {mgmt, `{}`, true},
	"ListTagsForResource":                        {mgmt, `{"ResourceId":"{root}"}`, true},
	"ListTargetsForPolicy":                       {mgmt, `{"PolicyId":"p-FullAWSAccess"}`, false},
	"MoveAccount":                                {mgmt, `{"AccountId":"` + member + `","SourceParentId":"{root}","DestinationParentId":"ou-abcd-12345678"}`, false},
	"PutResourcePolicy":                          {mgmt, `{"Content":"{}"}`, false},
	"RegisterDelegatedAdministrator":             {mgmt, `{"AccountId":"` + member + `","ServicePrincipal":"guardduty.amazonaws.com"}`, false},
	"RemoveAccountFromOrganization":              {mgmt, `{"AccountId":"` + member + `"}`, true},
	"TagResource":                                {mgmt, `{"ResourceId":"` + member + `",` + tags + `}`, true},
	"TerminateResponsibilityTransfer":            {mgmt, `{"Id":"rt-12345678"}`, false},
	"UntagResource":                              {mgmt, `{"ResourceId":"` + member + `","TagKeys":["k"]}`, true},
	"UpdateOrganizationalUnit":                   {mgmt, `{"OrganizationalUnitId":"ou-abcd-12345678","Name":"x"}`, false},
	"UpdatePolicy":                               {mgmt, `{"PolicyId":"p-12345678"}`, false},
	"UpdateResponsibilityTransfer":               {mgmt, `{"Id":"rt-12345678","Name":"x"}`, false},
}

// validationReasons are the Reasons of the model's generated input validation: opCalls must
// not trigger them.
var validationReasons = []string{
	model.InvalidInputExceptionReasonInputRequired, model.InvalidInputExceptionReasonInvalidPattern,
	model.InvalidInputExceptionReasonInvalidEnum, model.InvalidInputExceptionReasonMinLengthExceeded,
	model.InvalidInputExceptionReasonMaxLengthExceeded, model.InvalidInputExceptionReasonMinValueExceeded,
	model.InvalidInputExceptionReasonMaxValueExceeded,
}

// world starts a server with an organization, a member and an open invitation, and returns
// the replacer for {root} and {handshake}.
func world(t *testing.T) (*apitest.Server, *strings.Replacer) {
	t.Helper()
	srv := apitest.Start(t)
	srv.CreateOrganization(mgmt)
	srv.Join(mgmt, member)
	h := srv.Invite(mgmt, invitee)
	roots, err := srv.Client(mgmt).ListRoots(t.Context(), &organizations.ListRootsInput{})
	if err != nil {
		t.Fatal(err)
	}
	return srv, strings.NewReplacer("{root}", aws.ToString(roots.Roots[0].Id), "{handshake}", aws.ToString(h.Id))
}

// TestEveryOperationDispatches walks the model's 63 operations with valid inputs: each is known
// to the dispatcher and passes decoding and validation, and answers success or one of the
// errors the model lists for it - never NotImplementedException or ServiceException.
func TestEveryOperationDispatches(t *testing.T) {
	if n := len(model.OperationNames); n != 63 || len(opCalls) != 63 {
		t.Fatalf("the model has %d operations and opCalls %d, want 63", n, len(opCalls))
	}
	for _, op := range model.OperationNames {
		c, ok := opCalls[op]
		if !ok {
			t.Errorf("no call for %s", op)
			continue
		}
		t.Run(op, func(t *testing.T) {
			if _, ok := model.Lookup(op); !ok {
				t.Fatalf("model.Lookup(%q) fails", op)
			}
			srv, vars := world(t)
			body := vars.Replace(c.body)
			r := call(t, srv.URL, c.as, op, body)
			checkCommon(t, r)
			if r.status == http.StatusOK {
				if r.body == nil {
					t.Errorf("200 with body %q", r.raw)
				}
				return
			}
			code, _ := r.body["__type"].(string)
			if c.ok {
				t.Fatalf("%s as %s: %d %s, want success", body, c.as, r.status, r.raw)
			}
			reason, _ := r.body["Reason"].(string)
			switch {
			case code == "InvalidInputException" && slices.Contains(validationReasons, reason):
				t.Errorf("the input %s fails validation: %s", body, r.raw)
			case code != "ServiceException" && slices.Contains(model.OperationErrors[op], code):
				requireError(t, r, 400, code, reason)
			default:
				t.Errorf("%s as %s: %d %s", body, c.as, r.status, r.raw)
			}
		})
	}
}

// TestEveryRequestLogsOneLine: every request writes one line at Info level, the default: a
// successful one its operation, caller, status and duration, a failed one also its code and
// what AWS's fixed text leaves out (here the account that does not exist).
func TestEveryRequestLogsOneLine(t *testing.T) {
	var buf bytes.Buffer
	api := &stubAPI{}
	logger := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))
	hs := httptest.NewServer(&awsjson.Handler{API: api, Resolver: &sigv4.Resolver{DefaultAccount: "123456789012"}, Logger: logger})
	t.Cleanup(hs.Close)

	requireOK(t, call(t, hs.URL, mgmt, "DescribeOrganization", `{}`))
	var ok map[string]any
	if err := json.Unmarshal(buf.Bytes(), &ok); err != nil {
		t.Fatalf("a successful request's log is not one JSON line: %v: %s", err, buf.Bytes())
	}
	for k, want := range map[string]any{"level": "INFO", "msg": "request", "api": "awsjson", "op": "DescribeOrganization",
		"account": mgmt, "status": float64(200), "code": ""} {
		if ok[k] != want {
			t.Errorf("log %s = %#v, want %#v (%s)", k, ok[k], want, buf.Bytes())
		}
	}
	if d, _ := ok["duration"].(float64); d <= 0 {
		t.Errorf("log duration = %#v, want a positive number of nanoseconds", ok["duration"])
	}
	buf.Reset()

	api.err = model.Fail(model.CodeAccountNotFoundException, "", "account %s doesn't exist", "999999999999")
	r := call(t, hs.URL, mgmt, "DescribeOrganization", `{}`)
	requireError(t, r, 400, "AccountNotFoundException", "")
	if strings.Contains(string(r.raw), "999999999999") {
		t.Errorf("the detail reached the wire: %s", r.raw)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 1 {
		t.Fatalf("a failed request logged %d lines, want 1: %s", len(lines), buf.Bytes())
	}
	var line map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &line); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]any{
		"level": "INFO", "op": "DescribeOrganization", "account": mgmt, "principal": "arn:aws:iam::" + mgmt + ":root", "status": float64(400),
		"code": "AccountNotFoundException", "reason": "", "detail": "account 999999999999 doesn't exist",
		"request_id": r.header.Get("x-amzn-RequestId"),
	} {
		if line[k] != want {
			t.Errorf("log %s = %#v, want %#v (%s)", k, line[k], want, lines[0])
		}
	}

	// A Reason and a validation detail (the field) reach the log too.
	buf.Reset()
	r = call(t, hs.URL, mgmt, "DescribeAccount", `{"AccountId":"12"}`)
	requireError(t, r, 400, "InvalidInputException", "INVALID_PATTERN")
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("%v: %s", err, buf.Bytes())
	}
	if line["reason"] != "INVALID_PATTERN" || !strings.HasPrefix(line["detail"].(string), "AccountId ") || line["op"] != "DescribeAccount" {
		t.Errorf("log line %s", buf.Bytes())
	}
}
