package model

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

// fakeAPI implements a few operations and records the inputs it saw.
type fakeAPI struct {
	Unimplemented
	invite   *InviteAccountToOrganizationRequest
	tagged   *TagResourceRequest
	transfer *InviteOrganizationToTransferResponsibilityRequest
	err      error
}

func (f *fakeAPI) InviteAccountToOrganization(_ context.Context, in *InviteAccountToOrganizationRequest) (*InviteAccountToOrganizationResponse, error) {
	f.invite = in
	if f.err != nil {
		return nil, f.err
	}
	return &InviteAccountToOrganizationResponse{Handshake: &Handshake{
		Id:     in.Target.Id,
		State:  Ptr(HandshakeStateOpen),
		Action: Ptr(ActionTypeInvite),
	}}, nil
}

func (f *fakeAPI) TagResource(_ context.Context, in *TagResourceRequest) error {
	f.tagged = in
	return f.err
}

func (f *fakeAPI) DescribeOrganization(context.Context) (*DescribeOrganizationResponse, error) {
	return &DescribeOrganizationResponse{Organization: &Organization{Id: Ptr("o-abcdefghij")}}, nil
}

func (f *fakeAPI) ListRoots(context.Context, *ListRootsRequest) (*ListRootsResponse, error) {
	return nil, nil
}

func (f *fakeAPI) InviteOrganizationToTransferResponsibility(_ context.Context, in *InviteOrganizationToTransferResponsibilityRequest) (*InviteOrganizationToTransferResponsibilityResponse, error) {
	f.transfer = in
	return &InviteOrganizationToTransferResponsibilityResponse{}, nil
}

func invoke(t *testing.T, api API, op, body string) ([]byte, error) {
	t.Helper()
	o, ok := Lookup(op)
	if !ok {
		t.Fatalf("Lookup(%q) failed", op)
	}
	return o.Invoke(context.Background(), api, []byte(body))
}

var _ API = Unimplemented{}
var _ API = (*fakeAPI)(nil)

func TestValidation(t *testing.T) {
	long := func(s string, n int) string { return strings.Repeat(s, n) }
	const tag = `{"Key":"k","Value":"v"}`
	tests := []struct {
		name, op, body string
		reason, msg    string // reason "" means the input is valid
	}{
		{"required", "AcceptHandshake", `{}`, InvalidInputExceptionReasonInputRequired, "HandshakeId is required."},
		{"null is absent", "AcceptHandshake", `{"HandshakeId":null}`, InvalidInputExceptionReasonInputRequired, "HandshakeId"},
		{"member names are case-sensitive", "AcceptHandshake", `{"handshakeId":"h-12345678"}`, InvalidInputExceptionReasonInputRequired, "HandshakeId"},
		{"pattern", "AcceptHandshake", `{"HandshakeId":"h-ABCDEFGH"}`, InvalidInputExceptionReasonInvalidPattern, "HandshakeId does not match the pattern"},
		{"length before pattern", "AcceptHandshake", `{"HandshakeId":"` + long("!", 35) + `"}`, InvalidInputExceptionReasonMaxLengthExceeded, "HandshakeId exceeds the maximum length of 34."},
		{"valid handshake id", "AcceptHandshake", `{"HandshakeId":"h-12345678"}`, "", ""},
		{"nested required", "InviteAccountToOrganization", `{"Target":{"Type":"ACCOUNT"}}`, InvalidInputExceptionReasonInputRequired, "Target.Id is required."},
		{"nested enum", "InviteAccountToOrganization", `{"Target":{"Id":"111111111111","Type":"account"}}`, InvalidInputExceptionReasonInvalidEnum, "Target.Type"},
		{"min length", "InviteAccountToOrganization", `{"Target":{"Id":"","Type":"ACCOUNT"}}`, InvalidInputExceptionReasonMinLengthExceeded, "Target.Id is shorter than the minimum length of 1."},
		{"64 two-byte characters fit", "InviteAccountToOrganization", `{"Target":{"Id":"` + long("é", 64) + `","Type":"EMAIL"}}`, "", ""},
		{"65 two-byte characters do not", "InviteAccountToOrganization", `{"Target":{"Id":"` + long("é", 65) + `","Type":"EMAIL"}}`, InvalidInputExceptionReasonMaxLengthExceeded, "Target.Id exceeds the maximum length of 64."},
		{"1024 three-byte notes fit", "InviteAccountToOrganization", `{"Target":{"Id":"a@b.c","Type":"EMAIL"},"Notes":"` + long("€", 1024) + `"}`, "", ""},
		{"1025 notes do not", "InviteAccountToOrganization", `{"Target":{"Id":"a@b.c","Type":"EMAIL"},"Notes":"` + long("€", 1025) + `"}`, InvalidInputExceptionReasonMaxLengthExceeded, "Notes exceeds the maximum length of 1024."},
		{"first member wins", "InviteAccountToOrganization", `{"Notes":"` + long("x", 2000) + `"}`, InvalidInputExceptionReasonInputRequired, "Target is required."},
		{"list element path", "InviteAccountToOrganization", `{"Target":{"Id":"a@b.c","Type":"EMAIL"},"Tags":[` + tag + `,` + tag + `,{"Key":"` + long("k", 129) + `","Value":"v"}]}`, InvalidInputExceptionReasonMaxLengthExceeded, "Tags[2].Key exceeds the maximum length of 128."},
		{"list element required", "InviteAccountToOrganization", `{"Target":{"Id":"a@b.c","Type":"EMAIL"},"Tags":[{"Key":"k"}]}`, InvalidInputExceptionReasonInputRequired, "Tags[0].Value"},
		{"tag key with letters of any script", "TagResource", `{"ResourceId":"111111111111","Tags":[{"Key":"Ключ_é:ü/=+-@ 1","Value":"Wert 値"}]}`, "", ""},
		{"tag key with a forbidden character", "TagResource", `{"ResourceId":"111111111111","Tags":[{"Key":"key!","Value":"v"}]}`, InvalidInputExceptionReasonInvalidPattern, "Tags[0].Key"},
		{"empty tag value", "TagResource", `{"ResourceId":"111111111111","Tags":[{"Key":"k","Value":""}]}`, "", ""},
		{"empty required list is present", "TagResource", `{"ResourceId":"111111111111","Tags":[]}`, "", ""},
		{"string list element", "UntagResource", `{"ResourceId":"111111111111","TagKeys":["a",""]}`, InvalidInputExceptionReasonMinLengthExceeded, "TagKeys[1] is shorter"},
		{"taggable resource anchoring", "UntagResource", `{"ResourceId":"p-12345678zz!","TagKeys":["a"]}`, InvalidInputExceptionReasonInvalidPattern, "ResourceId"},
		// The model documents narrower Reasons for a policy target id and a policy id.
		{"policy target id", "AttachPolicy", `{"PolicyId":"p-12345678","TargetId":"ou-x"}`, InvalidInputExceptionReasonInvalidPatternTargetId, "TargetId"},
		{"policy target id in a list", "ListPoliciesForTarget", `{"TargetId":"123","Filter":"TAG_POLICY"}`, InvalidInputExceptionReasonInvalidPatternTargetId, "TargetId"},
		{"policy target id of an effective policy", "DescribeEffectivePolicy", `{"PolicyType":"TAG_POLICY","TargetId":"r-"}`, InvalidInputExceptionReasonInvalidPatternTargetId, "TargetId"},
		{"policy id", "DescribePolicy", `{"PolicyId":"p-1"}`, InvalidInputExceptionReasonInvalidSyntaxPolicyId, "PolicyId"},
		{"policy id of a detachment", "DetachPolicy", `{"PolicyId":"policy","TargetId":"r-abcd"}`, InvalidInputExceptionReasonInvalidSyntaxPolicyId, "PolicyId"},
		{"child id account", "ListParents", `{"ChildId":"123456789012"}`, "", ""},
		{"child id ou", "ListParents", `{"ChildId":"ou-abcd-12345678"}`, "", ""},
		{"child id anchoring trap", "ListParents", `{"ChildId":"123456789012xyz"}`, InvalidInputExceptionReasonInvalidPattern, "ChildId"},
		{"child id prefix trap", "ListParents", `{"ChildId":"xou-abcd-12345678"}`, InvalidInputExceptionReasonInvalidPattern, "ChildId"},
		{"create account name ascii", "CreateAccount", `{"Email":"juan@example.com","AccountName":"Juan ~ Test"}`, "", ""},
		{"create account name \\u pattern", "CreateAccount", `{"Email":"juan@example.com","AccountName":"Juañ"}`, InvalidInputExceptionReasonInvalidPattern, "AccountName"},
		{"create account name length first", "CreateAccount", `{"Email":"juan@example.com","AccountName":""}`, InvalidInputExceptionReasonMinLengthExceeded, "AccountName"},
		{"email pattern", "CreateAccount", `{"Email":"juan@example","AccountName":"Juan"}`, InvalidInputExceptionReasonInvalidPattern, "Email"},
		{"enum of a top-level member", "CreateAccount", `{"Email":"juan@example.com","AccountName":"Juan","IamUserAccessToBilling":"MAYBE"}`, InvalidInputExceptionReasonInvalidEnum, "IamUserAccessToBilling"},
		{"policy type enum", "EnablePolicyType", `{"RootId":"r-abcd","PolicyType":"NOPE"}`, InvalidInputExceptionReasonInvalidEnumPolicyType, "PolicyType"},
		{"policy type ok", "EnablePolicyType", `{"RootId":"r-abcd","PolicyType":"SERVICE_CONTROL_POLICY"}`, "", ""},
		{"max results 0", "ListAccounts", `{"MaxResults":0}`, InvalidInputExceptionReasonMinValueExceeded, "The value for MaxResults must be at least 1."},
		{"max results 21", "ListAccounts", `{"MaxResults":21}`, InvalidInputExceptionReasonMaxValueExceeded, "The value for MaxResults must be at most 20."},
		{"max results 20", "ListAccounts", `{"MaxResults":20}`, "", ""},
		{"max results 1", "ListAccounts", `{"MaxResults":1}`, "", ""},
		{"nested filter enum", "ListHandshakesForAccount", `{"Filter":{"ActionType":"INVITED"}}`, InvalidInputExceptionReasonInvalidEnum, "Filter.ActionType"},
		{"no input at all", "DescribeOrganization", ``, "", ""},
	}
	// Valid input reaches the API: the operations fakeAPI implements succeed, the others
	// answer Unimplemented's NotImplementedException, and no other error will do.
	implemented := map[string]bool{"InviteAccountToOrganization": true, "TagResource": true,
		"DescribeOrganization": true, "ListRoots": true, "InviteOrganizationToTransferResponsibility": true}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := &fakeAPI{}
			_, err := invoke(t, api, tt.op, tt.body)
			if tt.reason == "" {
				var e *Error
				switch {
				case implemented[tt.op] && err != nil:
					t.Fatalf("valid input: err = %v, want success", err)
				case !implemented[tt.op] && (!errors.As(err, &e) || e.Code != "NotImplementedException"):
					t.Fatalf("valid input: err = %v, want the API's NotImplementedException", err)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v, want an *Error", err)
			}
			if e.Code != CodeInvalidInputException || e.Reason != tt.reason || !strings.Contains(e.Detail, tt.msg) {
				t.Fatalf("err = %+v, want InvalidInputException %s containing %q", e, tt.reason, tt.msg)
			}
			if e.HTTPStatus() != http.StatusBadRequest {
				t.Errorf("status %d", e.HTTPStatus())
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name, op, body string
		msg            string // part of the SerializationException message
	}{
		{"array body", "ListRoots", `[]`, "must be a JSON object"},
		{"string body", "ListRoots", `"x"`, "must be a JSON object"},
		{"number body", "ListRoots", `1`, "must be a JSON object"},
		{"null body", "ListRoots", `null`, "must be a JSON object"},
		{"array body without input", "DescribeOrganization", `[]`, "must be a JSON object"},
		{"trailing garbage", "ListRoots", `{} x`, "after the top-level object"},
		{"two objects", "ListRoots", `{}{}`, "after the top-level object"},
		{"trailing garbage without input", "DeleteOrganization", `{}]`, "after the top-level object"},
		{"trailing comma", "AcceptHandshake", `{"HandshakeId":"h-12345678",}`, "expected a member name"},
		{"missing colon", "AcceptHandshake", `{"HandshakeId" "h-12345678"}`, "expected ':'"},
		{"unterminated object", "AcceptHandshake", `{"HandshakeId":"h-12345678"`, "expected ',' or '}'"},
		{"unterminated string", "AcceptHandshake", `{"HandshakeId":"h-1234`, "unterminated string"},
		{"bad escape", "AcceptHandshake", `{"HandshakeId":"h-\x"}`, "invalid escape"},
		{"raw control character", "AcceptHandshake", "{\"HandshakeId\":\"h-\n\"}", "control character"},
		{"bad literal", "AcceptHandshake", `{"HandshakeId":nul}`, "invalid literal"},
		{"bad number in unknown member", "AcceptHandshake", `{"Other":01}`, "expected ',' or '}'"},
		{"number for a string", "AcceptHandshake", `{"HandshakeId":5}`, "HandshakeId: expected a string, found a number"},
		{"object for a string", "AcceptHandshake", `{"HandshakeId":{}}`, "HandshakeId: expected a string, found an object"},
		{"string for an integer", "ListAccounts", `{"MaxResults":"5"}`, "MaxResults: expected an integer, found a string"},
		{"fractional integer", "ListAccounts", `{"MaxResults":1.5}`, "MaxResults"},
		{"integer out of int32 range", "ListAccounts", `{"MaxResults":3000000000}`, "MaxResults"},
		{"huge exponent", "ListAccounts", `{"MaxResults":1e400}`, "MaxResults"},
		{"object for a list", "TagResource", `{"ResourceId":"111111111111","Tags":{}}`, "Tags: expected an array, found an object"},
		{"string for a structure", "InviteAccountToOrganization", `{"Target":"111111111111"}`, "Target: expected an object, found a string"},
		{"wrong type deep in a list", "TagResource", `{"ResourceId":"111111111111","Tags":[{"Key":"a","Value":"b"},{"Key":1}]}`, "Tags[1].Key"},
		{"null list element", "TagResource", `{"ResourceId":"111111111111","Tags":[null]}`, "Tags[0]: expected an object, found null"},
		{"number in a string list", "UntagResource", `{"ResourceId":"111111111111","TagKeys":["a",2]}`, "TagKeys[1]: expected a string"},
		{"bool for a timestamp", "TerminateResponsibilityTransfer", `{"Id":"rt-12345678","EndTimestamp":true}`, "EndTimestamp"},
		{"bad timestamp string", "TerminateResponsibilityTransfer", `{"Id":"rt-12345678","EndTimestamp":"yesterday"}`, "EndTimestamp"},
		{"deep nesting", "ListRoots", `{"x":` + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + `}`, "nesting too deep"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := invoke(t, &fakeAPI{}, tt.op, tt.body)
			var e *Error
			if !errors.As(err, &e) || e.Code != "SerializationException" || !strings.Contains(e.Detail, tt.msg) {
				t.Fatalf("err = %v, want SerializationException containing %q", err, tt.msg)
			}
			if e.HTTPStatus() != http.StatusBadRequest {
				t.Errorf("status %d", e.HTTPStatus())
			}
		})
	}
}

func TestDecodeValues(t *testing.T) {
	decode := func(t *testing.T, body string, in inputDecoder) {
		t.Helper()
		if err := decodeBody([]byte(body), in); err != nil {
			t.Fatalf("decode %s: %v", body, err)
		}
	}
	t.Run("escapes and unknown members", func(t *testing.T) {
		var in InviteAccountToOrganizationRequest
		decode(t, `{"Unknown":{"a":[1,-2.5e3,true,false,null,"\"x"]},"Target":{"Id":"h-\u0031\u00322\ud83d\ude00\n\"\\\/","Type":"EMAIL"},"Not\u0065s":"a\ud800b","Tags":[]}`, &in)
		if got := *in.Target.Id; got != "h-122😀\n\"\\/" {
			t.Errorf("Target.Id = %q", got)
		}
		if got := *in.Notes; got != "a\uFFFDb" {
			t.Errorf("escaped member name / lone surrogate: Notes = %q", got)
		}
		if in.Tags == nil || len(in.Tags) != 0 {
			t.Errorf("Tags = %#v, want an empty non-nil slice", in.Tags)
		}
	})
	t.Run("invalid UTF-8 becomes U+FFFD", func(t *testing.T) {
		var in InviteAccountToOrganizationRequest
		decode(t, "{\"Notes\":\"a\xffb\"}", &in)
		if *in.Notes != "a\uFFFDb" {
			t.Errorf("Notes = %q", *in.Notes)
		}
	})
	t.Run("null and last duplicate win", func(t *testing.T) {
		var in InviteAccountToOrganizationRequest
		decode(t, `{"Notes":"x","Notes":null,"Target":{"Id":"a"},"Target":null}`, &in)
		if in.Notes != nil || in.Target != nil {
			t.Errorf("got %+v", in)
		}
	})
	t.Run("integral float for an integer", func(t *testing.T) {
		var in ListAccountsRequest
		decode(t, `{"MaxResults":5.0}`, &in)
		if *in.MaxResults != 5 {
			t.Errorf("MaxResults = %d", *in.MaxResults)
		}
	})
	t.Run("whitespace body", func(t *testing.T) {
		var in ListAccountsRequest
		decode(t, " \n\t ", &in)
		decode(t, "", &in)
		if in.MaxResults != nil {
			t.Errorf("got %+v", in)
		}
	})
	for _, c := range []struct {
		json string
		want time.Time
	}{
		{`1767225600`, time.Unix(1767225600, 0)},
		{`1767225600.257`, time.Unix(1767225600, 257e6)},
		{`1767225600.5`, time.Unix(1767225600, 5e8)},
		{`1.7672256e9`, time.Unix(1767225600, 0)},
		{`"2026-01-01T00:00:00Z"`, time.Unix(1767225600, 0)},
		{`"2026-01-01T01:00:00.25+01:00"`, time.Unix(1767225600, 25e7)},
	} {
		t.Run("timestamp "+c.json, func(t *testing.T) {
			var in TerminateResponsibilityTransferRequest
			decode(t, `{"Id":"rt-12345678","EndTimestamp":`+c.json+`}`, &in)
			if !in.EndTimestamp.Equal(c.want) {
				t.Errorf("EndTimestamp = %v, want %v", in.EndTimestamp, c.want)
			}
		})
	}
}

func TestEncode(t *testing.T) {
	ts := func(sec, ms int64) *time.Time { v := time.Unix(sec, ms*1e6); return &v }
	tests := []struct {
		name string
		v    interface{ AppendJSON([]byte) []byte }
		want string
	}{
		{"all nil", &Handshake{}, `{}`},
		{"nil receiver", (*Handshake)(nil), `{}`},
		{"empty list kept, nil list omitted", &Handshake{Id: Ptr("h-1"), Parties: []HandshakeParty{}}, `{"Id":"h-1","Parties":[]}`},
		{"model member order", &HandshakeParty{Type: Ptr("EMAIL"), Id: Ptr("a@b.c")}, `{"Id":"a@b.c","Type":"EMAIL"}`},
		{"timestamp millis", &Handshake{RequestedTimestamp: ts(1481656459, 257)}, `{"RequestedTimestamp":1481656459.257}`},
		{"timestamp trims zeros", &Handshake{RequestedTimestamp: ts(1481656459, 250), ExpirationTimestamp: ts(1481656459, 200)}, `{"RequestedTimestamp":1481656459.25,"ExpirationTimestamp":1481656459.2}`},
		{"timestamp whole", &Handshake{RequestedTimestamp: ts(1481656459, 0)}, `{"RequestedTimestamp":1481656459}`},
		{"timestamp sub-millisecond dropped", &Handshake{RequestedTimestamp: Ptr(time.Unix(1481656459, 999_999))}, `{"RequestedTimestamp":1481656459}`},
		{"timestamp millis with zeros", &Handshake{RequestedTimestamp: ts(1481656459, 7)}, `{"RequestedTimestamp":1481656459.007}`},
		{"timestamp before 1970", &Handshake{RequestedTimestamp: ts(-1, 500)}, `{"RequestedTimestamp":-0.5}`},
		{"escaping", &Tag{Key: Ptr("q\"b\\n\n\t\x01\x7f<&>é😀"), Value: Ptr("bad\xffutf8")}, `{"Key":"q\"b\\n\u000a\u0009\u0001` + "\x7f<&>é😀" + `","Value":"bad\ufffdutf8"}`},
		{"nested lists", &Handshake{Resources: []HandshakeResource{{Value: Ptr("o-1"), Type: Ptr("ORGANIZATION"), Resources: []HandshakeResource{{Value: Ptr("x")}, {}}}}},
			`{"Resources":[{"Value":"o-1","Type":"ORGANIZATION","Resources":[{"Value":"x"},{}]}]}`},
		{"string list", &UntagResourceRequest{TagKeys: []string{"a", "b"}}, `{"TagKeys":["a","b"]}`},
		{"bool and int", &PolicySummary{AwsManaged: Ptr(false)}, `{"AwsManaged":false}`},
		{"int", &ListAccountsRequest{MaxResults: Ptr(int32(20))}, `{"MaxResults":20}`},
		{"appends to existing bytes", &Tag{}, `{}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(tt.v.AppendJSON(nil))
			if got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
			if !json.Valid([]byte(got)) {
				t.Errorf("invalid JSON %s", got)
			}
			prefixed := string(tt.v.AppendJSON([]byte("xy")))
			if prefixed != "xy"+tt.want {
				t.Errorf("with prefix: %s", prefixed)
			}
		})
	}
}

// The escaping must agree with encoding/json on what a string decodes to.
func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "plain", "\"\\/\b\f\n\r\t", "\x00\x1f\x7f", "é😀", "\xff\xfe", "a\xed\xa0\x80b", "\u2028<>&"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		enc := appendString(nil, s)
		var got string
		if err := json.Unmarshal(enc, &got); err != nil {
			t.Fatalf("%q encodes to invalid JSON %s: %v", s, enc, err)
		}
		ref, _ := json.Marshal(s)
		var want string
		json.Unmarshal(ref, &want)
		if got != want {
			t.Fatalf("%q: decodes to %q, encoding/json says %q", s, got, want)
		}
	})
}

func TestInvoke(t *testing.T) {
	t.Run("output encoded", func(t *testing.T) {
		api := &fakeAPI{}
		out, err := invoke(t, api, "InviteAccountToOrganization", `{"Target":{"Type":"ACCOUNT","Id":"222222222222"},"Notes":"hi"}`)
		if err != nil {
			t.Fatal(err)
		}
		if want := `{"Handshake":{"Id":"222222222222","State":"OPEN","Action":"INVITE"}}`; string(out) != want {
			t.Errorf("out = %s, want %s", out, want)
		}
		if *api.invite.Notes != "hi" || *api.invite.Target.Type != HandshakePartyTypeAccount {
			t.Errorf("input = %+v", api.invite)
		}
	})
	t.Run("no output", func(t *testing.T) {
		api := &fakeAPI{}
		out, err := invoke(t, api, "TagResource", `{"ResourceId":"111111111111","Tags":[{"Key":"k","Value":"v"}]}`)
		if err != nil || string(out) != "{}" {
			t.Fatalf("out = %s, err = %v", out, err)
		}
		if *api.tagged.Tags[0].Key != "k" {
			t.Errorf("input = %+v", api.tagged)
		}
	})
	t.Run("no input", func(t *testing.T) {
		for _, body := range []string{``, `{}`, `{"ignored":[1]}`} {
			out, err := invoke(t, &fakeAPI{}, "DescribeOrganization", body)
			if err != nil || string(out) != `{"Organization":{"Id":"o-abcdefghij"}}` {
				t.Fatalf("body %q: out = %s, err = %v", body, out, err)
			}
		}
	})
	t.Run("nil output", func(t *testing.T) {
		out, err := invoke(t, &fakeAPI{}, "ListRoots", `{}`)
		if err != nil || string(out) != "{}" {
			t.Fatalf("out = %s, err = %v", out, err)
		}
	})
	t.Run("input timestamp reaches the API", func(t *testing.T) {
		api := &fakeAPI{}
		_, err := invoke(t, api, "InviteOrganizationToTransferResponsibility",
			`{"Type":"BILLING","Target":{"Id":"222222222222","Type":"ACCOUNT"},"StartTimestamp":1767225600,"SourceName":"billing"}`)
		if err != nil {
			t.Fatal(err)
		}
		if !api.transfer.StartTimestamp.Equal(time.Unix(1767225600, 0)) {
			t.Errorf("StartTimestamp = %v", api.transfer.StartTimestamp)
		}
	})
	t.Run("API errors unchanged", func(t *testing.T) {
		want := Fail(CodeHandshakeConstraintViolationException, HandshakeConstraintViolationExceptionReasonAccountNumberLimitExceeded, "full")
		_, err := invoke(t, &fakeAPI{err: want}, "InviteAccountToOrganization", `{"Target":{"Type":"ACCOUNT","Id":"222222222222"}}`)
		if err != want {
			t.Fatalf("err = %v, want the API's error", err)
		}
		plain := errors.New("boom")
		if _, err := invoke(t, &fakeAPI{err: plain}, "TagResource", `{"ResourceId":"111111111111","Tags":[]}`); err != plain {
			t.Fatalf("err = %v, want the API's error", err)
		}
	})
	t.Run("unimplemented", func(t *testing.T) {
		_, err := invoke(t, &fakeAPI{}, "DeleteOrganization", `{}`)
		var e *Error
		if !errors.As(err, &e) || e.Code != "NotImplementedException" || e.HTTPStatus() != 501 ||
			e.Detail != "DeleteOrganization" {
			t.Fatalf("err = %#v", err)
		}
	})
	t.Run("validation before the API", func(t *testing.T) {
		api := &fakeAPI{}
		if _, err := invoke(t, api, "InviteAccountToOrganization", `{}`); err == nil || api.invite != nil {
			t.Fatalf("err = %v, api called: %v", err, api.invite != nil)
		}
	})
}

func TestOperationTable(t *testing.T) {
	if len(OperationNames) != 63 {
		t.Errorf("%d operations, want 63", len(OperationNames))
	}
	for _, name := range OperationNames {
		op, ok := Lookup(name)
		if !ok || op.Name != name {
			t.Errorf("Lookup(%q) = %v, %v", name, op, ok)
		}
		if len(OperationErrors[name]) == 0 {
			t.Errorf("no errors for %s", name)
		}
		// Every operation answers NotImplemented through Unimplemented, whatever its signature.
		_, err := op.Invoke(context.Background(), Unimplemented{}, nil)
		var e *Error
		if errors.As(err, &e) && e.Code == "SerializationException" {
			t.Errorf("%s: empty body refused: %v", name, err)
		}
	}
	if len(OperationErrors) != 63 {
		t.Errorf("OperationErrors has %d entries", len(OperationErrors))
	}
	if _, ok := Lookup(TargetPrefix + ".ListRoots"); ok {
		t.Error("Lookup accepts the target prefix")
	}
	if _, ok := Lookup("listRoots"); ok {
		t.Error("Lookup is case-insensitive")
	}
	if _, err := (Operation{Name: "X"}).Invoke(context.Background(), Unimplemented{}, nil); err == nil {
		t.Error("zero Operation invoked")
	}
	if TargetPrefix != "AWSOrganizationsV20161128" {
		t.Error(TargetPrefix)
	}
	if got := OperationErrors["AcceptHandshake"]; got[0] != "AccessDeniedException" {
		t.Errorf("AcceptHandshake errors = %v", got)
	}
}

func TestError(t *testing.T) {
	tests := []struct {
		err    *Error
		status int
		json   string
		text   string
	}{
		{Fail(CodeServiceException, "", "store: %s", "disk full"), 500,
			`{"__type":"ServiceException","Message":"Organizations can't complete your request because of an internal service error."}`, "ServiceException: store: disk full"},
		{Fail(CodeInvalidInputException, InvalidInputExceptionReasonInvalidPattern, "Bad %s.", "Id"), 400,
			`{"__type":"InvalidInputException","Message":"You provided a value that does not match the required pattern.","Reason":"INVALID_PATTERN"}`, "InvalidInputException (INVALID_PATTERN): Bad Id."},
		{Fail(CodeAccessDeniedException, "", "%s", "100% \"denied\""), 400,
			`{"__type":"AccessDeniedException","Message":"You don't have permissions to access this resource."}`, `AccessDeniedException: 100% "denied"`},
		{&Error{Code: CodeAccountNotFoundException}, 400,
			`{"__type":"AccountNotFoundException","Message":"You specified an account that doesn't exist."}`, "AccountNotFoundException: You specified an account that doesn't exist."},
		{&Error{Code: "Throttling", Status: 429}, 429, `{"__type":"Throttling","Message":""}`, "Throttling: "},
		{NotImplemented("X"), 501, `{"__type":"NotImplementedException","Message":"orgd does not implement this operation yet."}`, "NotImplementedException: X"},
	}
	for _, tt := range tests {
		if got := tt.err.HTTPStatus(); got != tt.status {
			t.Errorf("%s: status %d, want %d", tt.err.Code, got, tt.status)
		}
		if got := string(tt.err.AppendJSON(nil, "")); got != tt.json {
			t.Errorf("%s: JSON %s, want %s", tt.err.Code, got, tt.json)
		}
		if got := tt.err.Error(); got != tt.text {
			t.Errorf("Error() = %q, want %q", got, tt.text)
		}
	}
	if CodeHandshakeNotFoundException != "HandshakeNotFoundException" || !isFault(CodeServiceException) || isFault(CodeAccessDeniedException) {
		t.Error("exception constants")
	}
}

func TestEnumConstants(t *testing.T) {
	for got, want := range map[string]string{
		ActionTypeInvite:               "INVITE",
		HandshakeStateOpen:             "OPEN",
		PolicyTypeServiceControlPolicy: "SERVICE_CONTROL_POLICY",
		HandshakeConstraintViolationExceptionReasonAccountNumberLimitExceeded: "ACCOUNT_NUMBER_LIMIT_EXCEEDED",
		InvalidInputExceptionReasonInvalidPattern:                             "INVALID_PATTERN",
	} {
		if got != want {
			t.Errorf("%s != %s", got, want)
		}
	}
}

var sinkBytes []byte

func BenchmarkEncodeHandshake(b *testing.B) {
	now := time.Unix(1795523461, 257e6)
	h := &Handshake{
		Id:  Ptr("h-4c9e0a1f4f3c4b8e9d2a7b6c5d4e3f21"),
		Arn: Ptr("arn:aws:organizations::111111111111:handshake/o-k3x9q2m7ab/invite/h-4c9e0a1f4f3c4b8e9d2a7b6c5d4e3f21"),
		Parties: []HandshakeParty{
			{Id: Ptr("o-k3x9q2m7ab"), Type: Ptr(HandshakePartyTypeOrganization)},
			{Id: Ptr("juan@example.com"), Type: Ptr(HandshakePartyTypeEmail)},
		},
		State:               Ptr(HandshakeStateOpen),
		RequestedTimestamp:  &now,
		ExpirationTimestamp: Ptr(now.Add(15 * 24 * time.Hour)),
		Action:              Ptr(ActionTypeInvite),
		Resources: []HandshakeResource{
			{Value: Ptr("o-k3x9q2m7ab"), Type: Ptr(HandshakeResourceTypeOrganization), Resources: []HandshakeResource{
				{Value: Ptr("bill@amazon.com"), Type: Ptr(HandshakeResourceTypeMasterEmail)},
				{Value: Ptr("Org Master Account"), Type: Ptr(HandshakeResourceTypeMasterName)},
				{Value: Ptr("FULL"), Type: Ptr(HandshakeResourceTypeOrganizationFeatureSet)},
			}},
			{Value: Ptr("juan@example.com"), Type: Ptr(HandshakeResourceTypeEmail)},
			{Value: Ptr("This is a request for Juan's account to join Bill's organization."), Type: Ptr(HandshakeResourceTypeNotes)},
		},
	}
	buf := make([]byte, 0, 1024)
	b.ReportAllocs()
	for b.Loop() {
		sinkBytes = h.AppendJSON(buf[:0])
	}
	b.SetBytes(int64(len(sinkBytes)))
}

func BenchmarkDecodeValidateInviteAccountToOrganization(b *testing.B) {
	body := []byte(`{"Target":{"Type":"EMAIL","Id":"juan@example.com"},"Notes":"This is a request for Juan's account to join Bill's organization.","Tags":[{"Key":"team","Value":"platform"},{"Key":"cost-center","Value":"1234"}]}`)
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		in := new(InviteAccountToOrganizationRequest)
		if err := decodeBody(body, in); err != nil {
			b.Fatal(err)
		}
		if err := in.validate(nil); err != nil {
			b.Fatal(err)
		}
	}
}

// TestEveryModelErrorHasAText checks that every exception the model lists for an operation
// has a text in the catalogue, for that operation.
func TestEveryModelErrorHasAText(t *testing.T) {
	for _, op := range OperationNames {
		for _, code := range OperationErrors[op] {
			if Message(op, code, "") == "" {
				t.Errorf("%s %s: no text", op, code)
			}
		}
	}
	for k, sentences := range modelReasonTexts {
		for _, s := range sentences {
			if s == "" || !strings.HasSuffix(s, ".") || strings.ContainsAny(s, "<>") {
				t.Errorf("%v: model sentence %q", k, s)
			}
		}
	}
}

// TestMessageLookup pins the order of the catalogue: an operation's own text, then AWS's
// known texts, then the model's sentence for the Reason, then the code's text.
func TestMessageLookup(t *testing.T) {
	for _, tt := range []struct{ op, code, reason, want string }{
		{"DescribePolicy", CodePolicyNotFoundException, "", "You specified a policy that doesn't exist."},
		{"UpdatePolicy", CodePolicyNotFoundException, "", "We can't find a policy with the PolicyId that you specified."},
		{"", CodeInvalidInputException, InvalidInputExceptionReasonInvalidPattern, "You provided a value that does not match the required pattern."},
		{"", CodeInvalidInputException, InvalidInputExceptionReasonInvalidRoleName, "You provided a role name that isn't valid."},
		{"", CodeInvalidInputException, "NOT_A_REASON", "The requested operation failed because you provided invalid values for one or more of the request parameters."},
		{"RegisterDelegatedAdministrator", CodeConstraintViolationException, ConstraintViolationExceptionReasonServiceAccessNotEnabled,
			"You attempted to register a delegated administrator before you enabled service access."},
		{"EnablePolicyType", CodeConstraintViolationException, ConstraintViolationExceptionReasonServiceAccessNotEnabled,
			"You attempted to enable a policy type before you enabled service access."},
		{"", CodeHandshakeConstraintViolationException, HandshakeConstraintViolationExceptionReasonAccountNumberLimitExceeded,
			"You attempted to exceed the limit on the number of accounts in an organization."},
		{"", CodeConstraintViolationException, ConstraintViolationExceptionReasonAccountNumberLimitExceeded,
			"You have exceeded the allowed number of AWS accounts."},
		{AdminAdvanceClock, CodeInvalidInputException, InvalidInputExceptionReasonMinValueExceeded, "The clock only moves forward."},
		{"", "NoSuchCode", "", ""},
	} {
		if got := Message(tt.op, tt.code, tt.reason); got != tt.want {
			t.Errorf("Message(%q, %q, %q) = %q, want %q", tt.op, tt.code, tt.reason, got, tt.want)
		}
	}
}

// TestIsBuiltText: the forms of AWS's built authentication texts are recognised for their
// code only, and nothing else passes for one.
func TestIsBuiltText(t *testing.T) {
	tests := []struct {
		code, text string
		want       bool
	}{
		{CodeInvalidSignatureException, "Signature expired: 20261130T020000Z is now earlier than 20261130T021500Z (20261130T022000Z - 5 min.)", true},
		{CodeInvalidSignatureException, "Signature not yet current: 20261130T022600Z is still later than 20261130T022500Z (20261130T022000Z + 5 min.)", true},
		{CodeInvalidSignatureException, "Credential should be scoped to correct service: 'organizations'. ", true},
		{CodeIncompleteSignatureException, "Authorization header requires 'Signature' parameter. Authorization=AWS4-HMAC-SHA256 Credential=a/b/c/d/e", true},
		{CodeIncompleteSignatureException, "'x' not a valid key=value pair (missing equal-sign) in Authorization header: 'AWS x'.", true},
		// Another code, another text, a text with something appended.
		{CodeUnrecognizedClientException, "Signature expired: 20261130T020000Z is now earlier than 20261130T021500Z (20261130T022000Z - 5 min.)", false},
		{CodeInvalidSignatureException, Message("", CodeInvalidSignatureException, ""), false},
		{CodeInvalidSignatureException, "Signature expired: 20261130T020000Z is now earlier than 20261130T021500Z (20261130T022000Z - 5 min.) (request 42)", false},
		{CodeInvalidInputException, "Authorization header requires 'Signature' parameter. Authorization=x", false},
	}
	for _, tt := range tests {
		if got := IsBuiltText(tt.code, tt.text); got != tt.want {
			t.Errorf("IsBuiltText(%s, %q) = %v, want %v", tt.code, tt.text, got, tt.want)
		}
	}
}

// TestErrorText: an Error's built Text goes on the wire in place of the catalogue's.
func TestErrorText(t *testing.T) {
	e := &Error{Code: CodeInvalidSignatureException, Text: "Signature expired: 20261130T020000Z is now earlier than 20261130T021500Z (20261130T022000Z - 5 min.)"}
	want := `{"__type":"InvalidSignatureException","Message":"Signature expired: 20261130T020000Z is now earlier than 20261130T021500Z (20261130T022000Z - 5 min.)"}`
	if got := string(e.AppendJSON(nil, "DescribeOrganization")); got != want {
		t.Errorf("AppendJSON = %s, want %s", got, want)
	}
	e.Text = ""
	if got := string(e.AppendJSON(nil, "DescribeOrganization")); !strings.Contains(got, "The request signature we calculated does not match") {
		t.Errorf("without Text: %s", got)
	}
}
