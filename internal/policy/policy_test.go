package policy

import (
	"strings"
	"testing"
)

func mustParse(t testing.TB, doc string) *Policy {
	t.Helper()
	p, err := Parse(doc)
	if err != nil {
		t.Fatalf("Parse(%s): %v", doc, err)
	}
	return p
}

// stmt builds a one-statement 2012-10-17 policy from the statement's JSON members.
func stmt(members string) string {
	return `{"Version":"2012-10-17","Statement":{` + members + `}}`
}

const (
	alice    = "arn:aws:iam::111111111111:user/alice"
	bucket   = "arn:aws:s3:::bucket/key"
	allowAll = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`
)

func aliceReq(action, resource string, ctx *Context) *Request {
	return &Request{Action: action, Resource: resource, PrincipalARN: alice, PrincipalAccount: "111111111111", Context: ctx}
}

// identityDecision decides one request against a single identity policy.
func identityDecision(t testing.TB, doc string, req *Request) Decision {
	t.Helper()
	return Evaluate(req, &Input{Identity: []*Policy{mustParse(t, doc)}}, Options{}).Decision
}

// Action, NotAction, Resource, NotResource and wildcards:
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html,
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notaction.html,
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html,
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notresource.html.
func TestActionAndResourceMatching(t *testing.T) {
	tests := []struct {
		name     string
		doc      string
		action   string
		resource string
		want     Decision
	}{
		{"exact action", stmt(`"Effect":"Allow","Action":"s3:GetObject","Resource":"*"`), "s3:GetObject", bucket, Allowed},
		{"actions are case-insensitive", stmt(`"Effect":"Allow","Action":"S3:getobject","Resource":"*"`), "s3:GetObject", bucket, Allowed},
		{"other action", stmt(`"Effect":"Allow","Action":"s3:GetObject","Resource":"*"`), "s3:PutObject", bucket, ImplicitDeny},
		{"service wildcard", stmt(`"Effect":"Allow","Action":"s3:*","Resource":"*"`), "s3:PutObject", bucket, Allowed},
		{"service prefix only", stmt(`"Effect":"Allow","Action":"s3:*","Resource":"*"`), "s3x:PutObject", bucket, ImplicitDeny},
		{"star in name", stmt(`"Effect":"Allow","Action":"s3:Get*","Resource":"*"`), "s3:GetObjectAcl", bucket, Allowed},
		{"question mark is one character", stmt(`"Effect":"Allow","Action":"s3:Get?bject","Resource":"*"`), "s3:GetObject", bucket, Allowed},
		{"question mark is not zero characters", stmt(`"Effect":"Allow","Action":"s3:GetO?bject","Resource":"*"`), "s3:GetObject", bucket, ImplicitDeny},
		{"action array", stmt(`"Effect":"Allow","Action":["ec2:*","s3:GetObject"],"Resource":"*"`), "s3:GetObject", bucket, Allowed},
		{"NotAction allows the others", stmt(`"Effect":"Allow","NotAction":"iam:*","Resource":"*"`), "s3:GetObject", bucket, Allowed},
		{"NotAction excludes its own", stmt(`"Effect":"Allow","NotAction":"iam:*","Resource":"*"`), "iam:CreateUser", "*", ImplicitDeny},
		{"resource exact", stmt(`"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::bucket/key"`), "s3:GetObject", bucket, Allowed},
		{"resources are case-sensitive", stmt(`"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::Bucket/key"`), "s3:GetObject", bucket, ImplicitDeny},
		{"resource wildcard", stmt(`"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::bucket/*"`), "s3:GetObject", bucket, Allowed},
		{"resource wildcard spans slashes", stmt(`"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b*"`), "s3:GetObject", "arn:aws:s3:::bucket/a/b/c", Allowed},
		{"resource star does not cross ARN segments", stmt(`"Effect":"Allow","Action":"*","Resource":"arn:aws:iam::1*:user/alice"`), "iam:GetUser", "arn:aws:iam::1:x:user/alice", ImplicitDeny},
		{"resource segment wildcard", stmt(`"Effect":"Allow","Action":"*","Resource":"arn:aws:iam::*:user/*"`), "iam:GetUser", alice, Allowed},
		{"resource keeps colons in the resource part", stmt(`"Effect":"Allow","Action":"*","Resource":"arn:aws:logs:us-east-1:1:log-group:g:*"`), "logs:PutLogEvents", "arn:aws:logs:us-east-1:1:log-group:g:log-stream:s", Allowed},
		{"resource star and none", stmt(`"Effect":"Allow","Action":"*","Resource":"*"`), "organizations:ListRoots", "*", Allowed},
		{"ARN pattern does not match no resource", stmt(`"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::*"`), "organizations:ListRoots", "*", ImplicitDeny},
		{"NotResource allows the others", stmt(`"Effect":"Allow","Action":"s3:*","NotResource":"arn:aws:s3:::secret/*"`), "s3:GetObject", bucket, Allowed},
		{"NotResource excludes its own", stmt(`"Effect":"Allow","Action":"s3:*","NotResource":"arn:aws:s3:::bucket/*"`), "s3:GetObject", bucket, ImplicitDeny},
		{"deny wins", `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"s3:*","Resource":"*"}]}`, "s3:GetObject", bucket, ExplicitDeny},
		{"NotAction with Deny denies everything else", `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","NotAction":"s3:*","Resource":"*"}]}`, "ec2:RunInstances", "*", ExplicitDeny},
		{"NotAction with Deny spares its own", `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","NotAction":"s3:*","Resource":"*"}]}`, "s3:GetObject", bucket, Allowed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := identityDecision(t, tc.doc, aliceReq(tc.action, tc.resource, nil)); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

// The grammar: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html.
func TestParseRefusesBadGrammar(t *testing.T) {
	tests := []struct{ doc, want string }{
		{`[]`, "must be a JSON object"},
		{`{"Statement":[]}`, "at least one statement"},
		{`{"Version":"2013-01-01","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`, "Version"},
		{`{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"},"Foo":1}`, "unknown element Foo"},
		{`{"Statement":{"Effect":"Permit","Action":"*"}}`, "Effect must be Allow or Deny"},
		{`{"Statement":{"Action":"*"}}`, "must have an Effect"},
		{`{"Statement":{"Effect":"Allow","Resource":"*"}}`, "Action or a NotAction"},
		{`{"Statement":{"Effect":"Allow","Action":"*","NotAction":"*"}}`, "both Action and NotAction"},
		{`{"Statement":{"Effect":"Allow","Action":[]}}`, "empty array"},
		{`{"Statement":{"Effect":"Allow","Action":[1]}}`, "string or an array of strings"},
		{`{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","NotResource":"*"}}`, "both Resource and NotResource"},
		{`{"Statement":{"Effect":"Allow","Action":"*","Principal":"me"}}`, "Principal must be"},
		{`{"Statement":{"Effect":"Allow","Action":"*","Principal":{"Alien":"x"}}}`, "unknown principal type"},
		{`{"Statement":{"Effect":"Allow","Action":"*","Condition":[]}}`, "Condition must be an object"},
		{`{"Statement":{"Effect":"Allow","Action":"*","Condition":{"StringEquals":{"k":{"a":1}}}}}`, "strings, numbers or booleans"},
		{`{"Statement":{"Sid":"S1","Effect":"Allow"}}`, `Statement "S1"`},
		{`{"Statement":{"Effect":"Allow","Action":"*"}} x`, "data after"},
		{`{"Statement":`, "not valid JSON"},
	}
	for _, tc := range tests {
		_, err := Parse(tc.doc)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%s) = %v, want an error containing %q", tc.doc, err, tc.want)
		}
		if _, ok := err.(*Error); err != nil && !ok {
			t.Errorf("Parse(%s) returned %T, want *Error", tc.doc, err)
		}
	}
}

func TestStatementsDescribeConditions(t *testing.T) {
	p := mustParse(t, `{"Statement":[{"Sid":"A","Effect":"Deny","Action":"*","Resource":"*",
		"Condition":{"StringEquals":{"aws:RequestedRegion":"eu-west-1","aws:PrincipalTag/team":"x"},"Bool":{"aws:SecureTransport":false}}},
		{"Effect":"Allow","Action":"*","Resource":"*"}]}`)
	got := p.Statements()
	if len(got) != 2 || got[0].Sid != "A" || got[0].Effect != "Deny" || got[1].Effect != "Allow" || len(got[1].ConditionKeys) != 0 {
		t.Fatalf("Statements() = %+v", got)
	}
	if want := "aws:PrincipalTag/team,aws:RequestedRegion,aws:SecureTransport"; strings.Join(got[0].ConditionKeys, ",") != want {
		t.Errorf("ConditionKeys = %v, want %s", got[0].ConditionKeys, want)
	}
}
