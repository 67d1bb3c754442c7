package policy

import (
	"slices"
	"strings"
	"testing"
)

// Explain mode (the simulator's MatchedStatements and MissingContextValues, in the vocabulary
// of IAM's SimulatePrincipalPolicy:
// https://docs.aws.amazon.com/IAM/latest/APIReference/API_SimulatePrincipalPolicy.html).
func TestExplainListsMatchesAndMissingKeys(t *testing.T) {
	id := mustParse(t, `{"Version":"2012-10-17","Statement":[
		{"Sid":"All","Effect":"Allow","Action":"*","Resource":"*"},
		{"Sid":"Region","Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringNotEquals":{"aws:RequestedRegion":"eu-west-1"},"Bool":{"aws:SecureTransport":"true"}}},
		{"Sid":"Other","Effect":"Deny","Action":"ec2:*","Resource":"*","Condition":{"StringEquals":{"ec2:Region":"x"}}}]}`)
	id.ID = "inline-0"
	scps := levels(t, []string{fullAWS}, []string{fullAWS, denyLeave})
	r := Evaluate(devReq(leave), &Input{Identity: []*Policy{id}, SCPs: scps}, Options{Explain: true})
	if r.Decision != ExplicitDeny || r.DeniedBy != SCP {
		t.Fatalf("got %v by %v, want explicitDeny by SCP", r.Decision, r.DeniedBy)
	}
	want := []Match{
		{Type: SCP, Policy: "r-ab12-a", Target: "r-ab12", Effect: "Allow"},
		{Type: SCP, Policy: "ou-ab12-11111111-a", Target: "ou-ab12-11111111", Effect: "Allow"},
		{Type: SCP, Policy: "ou-ab12-11111111-b", Target: "ou-ab12-11111111", Sid: "NoLeave", Effect: "Deny"},
		{Type: Identity, Policy: "inline-0", Sid: "All", Effect: "Allow"},
	}
	if !slices.Equal(r.Matched, want) {
		t.Errorf("Matched = %+v\nwant %+v", r.Matched, want)
	}
	// The Region statement reads two absent keys; the ec2 statement is not about this action.
	if w := []string{"aws:RequestedRegion", "aws:SecureTransport"}; !slices.Equal(r.Missing, w) {
		t.Errorf("Missing = %v, want %v", r.Missing, w)
	}
	plain := Evaluate(devReq(leave), &Input{Identity: []*Policy{id}, SCPs: scps}, Options{})
	if plain.Matched != nil || plain.Missing != nil || plain.Decision != r.Decision {
		t.Errorf("without Explain: %+v", plain)
	}
}

// Unknown mode: a condition on an absent key is unknown, and the decision is conditional
// where it depends on one (Null and IfExists keep reading absence as absence).
func TestUnknownModeIsThreeValued(t *testing.T) {
	denyRegion := stmt(`"Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringNotEquals":{"aws:RequestedRegion":["eu-west-1"]}}`)
	allowTeam := stmt(`"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/team":"blue"}}`)
	allowIfExists := stmt(`"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEqualsIfExists":{"aws:PrincipalTag/team":"blue"}}`)
	allowNull := stmt(`"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Null":{"aws:PrincipalTag/team":"true"}}`)
	withRegion := func(r string) *Context { c := NewContext(); c.Set("aws:RequestedRegion", r); return c }
	tests := []struct {
		name string
		docs []string
		ctx  *Context
		want Decision
	}{
		{"a deny on an unknown key", []string{allowAll, denyRegion}, nil, Conditional},
		{"the key known: denied", []string{allowAll, denyRegion}, withRegion("us-east-1"), ExplicitDeny},
		{"the key known: allowed", []string{allowAll, denyRegion}, withRegion("eu-west-1"), Allowed},
		{"an allow on an unknown key", []string{allowTeam}, nil, Conditional},
		{"denied whatever the key", []string{allowTeam, stmt(`"Effect":"Deny","Action":"*","Resource":"*"`)}, nil, ExplicitDeny},
		{"allowed whatever the key", []string{allowAll, allowTeam}, nil, Allowed},
		{"IfExists reads absence as absence", []string{allowIfExists}, nil, Allowed},
		{"Null reads absence as absence", []string{allowNull}, nil, Allowed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var ps []*Policy
			for _, d := range tc.docs {
				ps = append(ps, mustParse(t, d))
			}
			req := devReq("s3:GetObject")
			req.Context = tc.ctx
			r := Evaluate(req, &Input{Identity: ps}, Options{Unknown: true})
			if r.Decision != tc.want {
				t.Errorf("got %v, want %v", r.Decision, tc.want)
			}
			// Without Unknown, absence is absence: never Conditional.
			if d := Evaluate(req, &Input{Identity: ps}, Options{}).Decision; d == Conditional {
				t.Errorf("plain mode gave %v", d)
			}
		})
	}
}

// Per-type validation: the IAM grammar
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html), SCP
// syntax (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_syntax.html)
// and RCP syntax (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps_syntax.html).
func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		typ  Type
		doc  string
		want string // "" = valid
	}{
		{"SCP FullAWSAccess", SCP, fullAWS, ""},
		{"SCP deny with conditions", SCP, stmt(`"Effect":"Deny","Action":["organizations:LeaveOrganization","ec2:*"],"Resource":"*","Condition":{"StringNotEquals":{"aws:RequestedRegion":"eu-west-1"}}`), ""},
		{"SCP without Resource", SCP, stmt(`"Effect":"Deny","Action":"s3:*"`), ""},
		{"SCP with Principal", SCP, stmt(`"Effect":"Deny","Principal":"*","Action":"*","Resource":"*"`), "must not have a Principal"},
		{"SCP with NotPrincipal", SCP, stmt(`"Effect":"Deny","NotPrincipal":{"AWS":"111111111111"},"Action":"*","Resource":"*"`), "must not have a Principal"},
		{"unknown operator", SCP, stmt(`"Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringEqualz":{"k":"v"}}`), "condition operator StringEqualz is not supported"},
		{"Null with a set operator", SCP, stmt(`"Effect":"Deny","Action":"*","Resource":"*","Condition":{"ForAllValues:Null":{"k":"true"}}`), "not supported"},
		{"bad number", SCP, stmt(`"Effect":"Deny","Action":"*","Resource":"*","Condition":{"NumericLessThan":{"k":"ten"}}`), "not a valid number"},
		{"bad date", SCP, stmt(`"Effect":"Deny","Action":"*","Resource":"*","Condition":{"DateLessThan":{"aws:CurrentTime":"soon"}}`), "not a valid date"},
		{"bad CIDR", SCP, stmt(`"Effect":"Deny","Action":"*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/33"}}`), "not a valid IP address"},
		{"bad boolean", SCP, stmt(`"Effect":"Deny","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"yes"}}`), "not a valid boolean"},
		{"bad base64", SCP, stmt(`"Effect":"Deny","Action":"*","Resource":"*","Condition":{"BinaryEquals":{"k":"!!"}}`), "not a valid base64"},
		{"a variable in a typed value is checked per request", SCP, stmt(`"Effect":"Deny","Action":"*","Resource":"*","Condition":{"NumericLessThan":{"k":"${aws:PrincipalTag/n}"}}`), ""},
		{"action without a service", SCP, stmt(`"Effect":"Deny","Action":"LeaveOrganization","Resource":"*"`), "must be * or service:action"},
		{"action with a space", SCP, stmt(`"Effect":"Deny","Action":"s3:Get Object","Resource":"*"`), "must be * or service:action"},
		{"malformed ARN", SCP, stmt(`"Effect":"Deny","Action":"s3:*","Resource":"arn:aws:s3"`), "must be * or an ARN"},
		{"not an ARN", SCP, stmt(`"Effect":"Deny","Action":"s3:*","Resource":"bucket"`), "must be * or an ARN"},
		{"ARN with wildcards", SCP, stmt(`"Effect":"Deny","Action":"s3:*","Resource":"arn:*:s3:::*"`), ""},
		{"identity policy needs Resource", Identity, stmt(`"Effect":"Allow","Action":"s3:*"`), "Resource or NotResource"},
		{"identity policy with Principal", Identity, stmt(`"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"`), "must not have a Principal"},
		{"resource policy needs Principal", Resource, stmt(`"Effect":"Allow","Action":"s3:*","Resource":"*"`), "must have a Principal"},
		{"NotPrincipal with Allow", Resource, stmt(`"Effect":"Allow","NotPrincipal":{"AWS":"1"},"Action":"s3:*","Resource":"*"`), "only be used with Effect Deny"},
		{"RCP perimeter", RCP, rcpDenyExternal, ""},
		{"Sid with a space", SCP, stmt(`"Sid":"no leave","Effect":"Deny","Action":"*","Resource":"*"`), "only letters and digits"},
		{"Sid with a space in a bucket policy", Resource, stmt(`"Sid":"public read","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"`), ""},
		{"duplicate Sids", SCP, `{"Statement":[{"Sid":"A","Effect":"Deny","Action":"*","Resource":"*"},{"Sid":"A","Effect":"Deny","Action":"*","Resource":"*"}]}`, "must be unique"},
		{"RCP with Allow", RCP, stmt(`"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"`), "must have Effect Deny"},
		{"RCP with a named principal", RCP, stmt(`"Effect":"Deny","Principal":{"AWS":"111111111111"},"Action":"s3:*","Resource":"*"`), "Principal \"*\""},
		{"RCP without Principal", RCP, stmt(`"Effect":"Deny","Action":"s3:*","Resource":"*"`), "Principal \"*\""},
		{"RCP with NotAction", RCP, stmt(`"Effect":"Deny","Principal":"*","NotAction":"s3:*","Resource":"*"`), "NotAction"},
		{"RCP with an unsupported service", RCP, stmt(`"Effect":"Deny","Principal":"*","Action":"ec2:*","Resource":"*"`), "do not support"},
		{"RCP with all actions", RCP, stmt(`"Effect":"Deny","Principal":"*","Action":"*","Resource":"*"`), "reserved for RCPFullAWSAccess"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := Validate(tc.typ, mustParse(t, tc.doc))
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("Validate: %v, want nil", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("Validate: %v, want an error containing %q", err, tc.want)
			}
			if _, ok := err.(*Error); err != nil && !ok {
				t.Errorf("Validate returned %T, want *Error", err)
			}
		})
	}
}

// An IfExists condition on an absent key is satisfied, and its key is still reported missing:
// the simulator's caller learns the decision rested on the key's absence.
func TestExplainReportsIfExistsKeys(t *testing.T) {
	p := mustParse(t, stmt(`"Effect":"Allow","Action":"*","Resource":"*","Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"true"},"Null":{"aws:TokenIssueTime":"true"}}`))
	r := Evaluate(devReq(leave), &Input{Identity: []*Policy{p}}, Options{Explain: true})
	if r.Decision != Allowed || !slices.Equal(r.Missing, []string{"aws:MultiFactorAuthPresent"}) {
		t.Errorf("got %v, Missing %v; want allowed, [aws:MultiFactorAuthPresent]", r.Decision, r.Missing)
	}
}
