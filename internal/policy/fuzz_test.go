package policy

import "testing"

// FuzzParse: whatever the document, Parse returns a policy or an *Error, and Validate and
// Evaluate (in every mode) on what it returns never panic.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		allowAll, denyLeave, rcpDenyExternal,
		stmt(`"Effect":"Allow","Action":"s3:Get*","Resource":"arn:aws:s3:::home/${aws:username, 'x'}/${*}"`),
		stmt(`"Effect":"Deny","NotAction":["a:b","c:?"],"NotResource":"arn:aws:iam::*:role/*","Condition":{"ForAllValues:StringLike":{"aws:TagKeys":["a*"]},"DateGreaterThanIfExists":{"aws:CurrentTime":"2020-01-01"},"IpAddress":{"aws:SourceIp":["::1/128","10.0.0.0/8"]}}`),
		stmt(`"Effect":"Deny","NotPrincipal":{"AWS":["111111111111","arn:aws:iam::1:root"],"Service":"s3.amazonaws.com"},"Action":"*","Condition":{"NumericLessThan":{"n":[1,2.5]},"Bool":{"b":true},"Null":{"k":"false"},"BinaryEquals":{"x":"QQ=="}}`),
		`{"Statement":{"Effect":"Allow","Action":"*","Resource":"${"}}`,
	} {
		f.Add(seed)
	}
	ctx := NewContext()
	ctx.Set("aws:TagKeys", "a", "b")
	ctx.Set("aws:SourceIp", "10.1.2.3")
	ctx.Set("aws:CurrentTime", "2026-01-01T00:00:00Z")
	ctx.Set("aws:PrincipalTag/team", "*")
	ctx.Set("n", "1.5")
	req := &Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::home/alice/x", PrincipalARN: alice, PrincipalAccount: "111111111111", ResourceAccount: "333333333333", Context: ctx}
	f.Fuzz(func(t *testing.T, doc string) {
		p, err := Parse(doc)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("Parse returned %T, want *Error", err)
			}
			return
		}
		for typ := Identity; typ <= RCP; typ++ {
			_ = Validate(typ, p)
		}
		_ = p.Statements()
		in := &Input{Identity: []*Policy{p}, Boundary: p, Session: []*Policy{p}, ResourcePolicy: p,
			SCPs: []Level{{Target: "r-1", Policies: []*Policy{p}}}, RCPs: []Level{{Target: "r-1", Policies: []*Policy{p}}}}
		for _, opt := range []Options{{}, {Explain: true}, {Unknown: true}, {Explain: true, Unknown: true}} {
			r := Evaluate(req, in, opt)
			_ = Reason(r, req.Action)
		}
	})
}
