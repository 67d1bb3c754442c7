package policy

import "testing"

// Policy variables in Resource and condition values:
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html
func TestPolicyVariables(t *testing.T) {
	tagged := func() *Context {
		c := NewContext()
		c.Set("aws:PrincipalTag/team", "blue")
		c.Set("aws:userid", "AIDAEXAMPLE")
		c.Set("s3:prefix", "home/alice/*")
		return c
	}
	tests := []struct {
		name     string
		doc      string
		resource string
		ctx      *Context
		want     Decision
	}{
		{"aws:username in Resource", stmt(`"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::home/${aws:username}/*"`), "arn:aws:s3:::home/alice/f", nil, Allowed},
		{"aws:username of someone else", stmt(`"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::home/${aws:username}/*"`), "arn:aws:s3:::home/bob/f", nil, ImplicitDeny},
		{"variables are not read in 2008-10-17", `{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::home/${aws:username}/*"}}`, "arn:aws:s3:::home/alice/f", nil, ImplicitDeny},
		{"a 2008-10-17 policy reads ${...} literally", `{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::home/${aws:username}/*"}}`, "arn:aws:s3:::home/${aws:username}/f", nil, Allowed},
		{"a principal tag in Resource", stmt(`"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::${aws:PrincipalTag/team}-data/*"`), "arn:aws:s3:::blue-data/x", tagged(), Allowed},
		{"a missing tag without default matches nothing", stmt(`"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::${aws:PrincipalTag/team}-data/*"`), "arn:aws:s3:::-data/x", nil, ImplicitDeny},
		{"a missing tag with a default", stmt(`"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::${aws:PrincipalTag/team, 'shared'}-data/*"`), "arn:aws:s3:::shared-data/x", nil, Allowed},
		{"the default is not used when the key has a value", stmt(`"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::${aws:PrincipalTag/team, 'shared'}-data/*"`), "arn:aws:s3:::shared-data/x", tagged(), ImplicitDeny},
		{"aws:PrincipalAccount", stmt(`"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::acct-${aws:PrincipalAccount}"`), "arn:aws:s3:::acct-111111111111", nil, Allowed},
		{"${*} is a literal star", stmt(`"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${*}"`), "arn:aws:s3:::b/*", nil, Allowed},
		{"${*} is not a wildcard", stmt(`"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${*}"`), "arn:aws:s3:::b/anything", nil, ImplicitDeny},
		{"${?} and ${$}", stmt(`"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${?}${$}"`), "arn:aws:s3:::b/?$", nil, Allowed},
		{"a substituted value's star is literal", stmt(`"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::${s3:prefix}"`), "arn:aws:s3:::home/alice/other", tagged(), ImplicitDeny},
		{"in a condition value", stmt(`"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/team":"${aws:PrincipalTag/team}"}}`), bucket,
			func() *Context { c := tagged(); c.Set("aws:ResourceTag/team", "blue"); return c }(), Allowed},
		{"in a condition value, other value", stmt(`"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/team":"${aws:PrincipalTag/team}"}}`), bucket,
			func() *Context { c := tagged(); c.Set("aws:ResourceTag/team", "red"); return c }(), ImplicitDeny},
		{"in a StringLike value", stmt(`"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringLike":{"s3:prefix":["home/${aws:username}/*"]}}`), bucket,
			func() *Context { c := NewContext(); c.Set("s3:prefix", "home/alice/docs"); return c }(), Allowed},
		{"aws:userid from the context", stmt(`"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${aws:userid}/*"`), "arn:aws:s3:::b/AIDAEXAMPLE/x", tagged(), Allowed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := identityDecision(t, tc.doc, aliceReq("s3:GetObject", tc.resource, tc.ctx)); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}
