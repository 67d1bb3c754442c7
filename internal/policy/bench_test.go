package policy

import (
	"fmt"
	"testing"
	"time"
)

// benchCase is one request of BenchmarkEvaluate's mix, with the policies bearing on it.
type benchCase struct {
	req  *Request
	in   *Input
	want Decision
}

// benchMix builds a realistic mix: identity policies with conditions, a permissions
// boundary, a bucket policy, three levels of SCPs and two of RCPs; allowed, explicitly and
// implicitly denied, same-account and cross-account requests.
func benchMix(b testing.TB) []benchCase {
	parse := func(id, doc string) *Policy {
		p := mustParse(b, doc)
		p.ID = id
		return p
	}
	identity := []*Policy{
		parse("p-identity-1", `{"Version":"2012-10-17","Statement":[
			{"Sid":"S3","Effect":"Allow","Action":["s3:GetObject","s3:PutObject","s3:List*"],"Resource":["arn:aws:s3:::data-*/*","arn:aws:s3:::data-*"]},
			{"Sid":"Orgs","Effect":"Allow","Action":["organizations:Describe*","organizations:List*"],"Resource":"*"},
			{"Sid":"EC2Team","Effect":"Allow","Action":"ec2:*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/team":["blue","green"]}}},
			{"Sid":"Office","Effect":"Deny","Action":"*","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":["10.0.0.0/8","2001:db8::/32"]},"BoolIfExists":{"aws:ViaAWSService":"false"}}}]}`),
		parse("p-identity-2", `{"Version":"2012-10-17","Statement":[
			{"Sid":"Tags","Effect":"Allow","Action":"organizations:TagResource","Resource":"*","Condition":{"ForAnyValue:StringEquals":{"aws:TagKeys":["cost-center","owner"]}}},
			{"Sid":"Leave","Effect":"Allow","Action":"organizations:LeaveOrganization","Resource":"*"}]}`),
	}
	boundary := parse("p-boundary", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":["s3:*","ec2:*","organizations:*"],"Resource":"*"},
		{"Effect":"Deny","Action":"iam:*","Resource":"*"}]}`)
	bucketPol := parse("bucket-policy", `{"Version":"2012-10-17","Statement":[
		{"Sid":"Partners","Effect":"Allow","Principal":{"AWS":["222222222222","444444444444"]},"Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::data-shared","arn:aws:s3:::data-shared/*"],
		 "Condition":{"ArnLike":{"aws:PrincipalArn":["arn:aws:iam::*:role/Dev","arn:aws:iam::*:user/*"]}}},
		{"Sid":"TLS","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`)
	full := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`
	scps := []Level{
		{Target: "r-ab12", Policies: []*Policy{parse("p-FullAWSAccess", full)}},
		{Target: "ou-ab12-11111111", Policies: []*Policy{parse("p-FullAWSAccess", full),
			parse("p-region", `{"Version":"2012-10-17","Statement":{"Sid":"DenyRegions","Effect":"Deny","NotAction":["iam:*","organizations:*","sts:*"],"Resource":"*",
				"Condition":{"StringNotEquals":{"aws:RequestedRegion":["eu-west-1","eu-central-1"]},"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/Admin"}}}}`)}},
		{Target: "222222222222", Policies: []*Policy{parse("p-FullAWSAccess", full),
			parse("p-guard", `{"Version":"2012-10-17","Statement":[
				{"Sid":"NoLeave","Effect":"Deny","Action":"organizations:LeaveOrganization","Resource":"*"},
				{"Sid":"Window","Effect":"Deny","Action":"ec2:TerminateInstances","Resource":"*","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2027-01-01T00:00:00Z"}}},
				{"Sid":"TagKeys","Effect":"Deny","Action":"organizations:TagResource","Resource":"*","Condition":{"ForAnyValue:StringEquals":{"aws:TagKeys":["forbidden"]}}}]}`)}},
	}
	rcpFull := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}}`
	rcps := []Level{
		{Target: "r-ab12", Policies: []*Policy{parse("p-RCPFullAWSAccess", rcpFull)}},
		{Target: "333333333333", Policies: []*Policy{parse("p-RCPFullAWSAccess", rcpFull), parse("p-perimeter", rcpDenyExternal)}},
	}
	ctx := func(region, ip string, tags ...string) *Context {
		c := NewContext()
		c.Set("aws:PrincipalTag/team", "blue")
		c.Set("aws:RequestedRegion", region)
		c.Set("aws:SourceIp", ip)
		c.Set("aws:SecureTransport", "true")
		c.Set("aws:CurrentTime", time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC).Format(time.RFC3339))
		c.Set("aws:PrincipalArn", devRole)
		c.Set("aws:PrincipalOrgID", "o-abc")
		c.Set("aws:PrincipalAccount", member)
		if tags != nil {
			c.Set("aws:TagKeys", tags...)
		}
		return c
	}
	req := func(action, resource, owner string, c *Context) *Request {
		return &Request{Action: action, Resource: resource, PrincipalARN: memberDev, PrincipalAccount: member, RoleARN: devRole, ResourceAccount: owner, Context: c}
	}
	same := &Input{Identity: identity, Boundary: boundary, SCPs: scps}
	cross := &Input{Identity: identity, Boundary: boundary, ResourcePolicy: bucketPol, SCPs: scps, RCPs: rcps}
	return []benchCase{
		{req("s3:GetObject", "arn:aws:s3:::data-shared/report.csv", owner, ctx("eu-west-1", "10.1.2.3")), cross, Allowed},
		{req("s3:PutObject", "arn:aws:s3:::data-shared/report.csv", owner, ctx("eu-west-1", "10.1.2.3")), cross, ImplicitDeny},
		{req("s3:GetObject", "arn:aws:s3:::data-mine/x", "", ctx("eu-west-1", "2001:db8::7")), same, Allowed},
		{req("ec2:RunInstances", "*", "", ctx("eu-central-1", "10.9.9.9")), same, Allowed},
		{req("ec2:RunInstances", "*", "", ctx("us-east-1", "10.9.9.9")), same, ExplicitDeny},
		{req("organizations:DescribeOrganization", "*", "", ctx("us-east-1", "10.0.0.1")), same, Allowed},
		{req("organizations:LeaveOrganization", "*", "", ctx("eu-west-1", "10.0.0.1")), same, ExplicitDeny},
		{req("organizations:TagResource", "*", "", ctx("eu-west-1", "10.0.0.1", "owner", "cost-center")), same, Allowed},
		{req("s3:GetObject", "arn:aws:s3:::data-mine/x", "", ctx("eu-west-1", "192.0.2.1")), same, ExplicitDeny},
		{req("iam:CreateUser", "*", "", ctx("eu-west-1", "10.0.0.1")), same, ExplicitDeny},
		{req("sts:GetCallerIdentity", "*", "", ctx("eu-west-1", "10.0.0.1")), same, ImplicitDeny},
	}
}

func TestBenchmarkMixDecides(t *testing.T) {
	for i, c := range benchMix(t) {
		if r := Evaluate(c.req, c.in, Options{}); r.Decision != c.want {
			t.Errorf("case %d (%s): got %v by %v, want %v", i, c.req.Action, r.Decision, r.DeniedBy, c.want)
		}
	}
}

func TestEvaluateDoesNotAllocate(t *testing.T) {
	mix := benchMix(t)
	allocs := testing.AllocsPerRun(100, func() {
		for _, c := range mix {
			Evaluate(c.req, c.in, Options{})
		}
	})
	if allocs != 0 {
		t.Errorf("Evaluate allocated %v times per mix, want 0", allocs)
	}
}

// BenchmarkEvaluate decides the mix round-robin with policies parsed once; decisions/s is
// one core's throughput.
func BenchmarkEvaluate(b *testing.B) {
	mix := benchMix(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		c := &mix[i%len(mix)]
		Evaluate(c.req, c.in, Options{})
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "decisions/s")
}

// A parsed policy is shared by every request: concurrent decisions must agree with serial
// ones (run under -race to check the compiled form is only read).
func TestConcurrentEvaluate(t *testing.T) {
	mix := benchMix(t)
	done := make(chan error, 4)
	for range 4 {
		go func() {
			for i := range 200 {
				c := &mix[i%len(mix)]
				if r := Evaluate(c.req, c.in, Options{Explain: i%2 == 0}); r.Decision != c.want {
					done <- fmt.Errorf("%s: got %v, want %v", c.req.Action, r.Decision, c.want)
					return
				}
			}
			done <- nil
		}()
	}
	for range 4 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}
