package policy

import "testing"

const (
	member    = "222222222222"
	memberDev = "arn:aws:sts::222222222222:assumed-role/Dev/alice"
	devRole   = "arn:aws:iam::222222222222:role/Dev"
	leave     = "organizations:LeaveOrganization"
	fullAWS   = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`
	denyLeave = `{"Version":"2012-10-17","Statement":{"Sid":"NoLeave","Effect":"Deny","Action":"organizations:LeaveOrganization","Resource":"*"}}`
)

func devReq(action string) *Request {
	return &Request{Action: action, Resource: "*", PrincipalARN: memberDev, PrincipalAccount: member, RoleARN: devRole}
}

func levels(t testing.TB, docs ...[]string) []Level {
	t.Helper()
	var out []Level
	for i, lv := range docs {
		l := Level{Target: []string{"r-ab12", "ou-ab12-11111111", "ou-ab12-22222222", member}[i]}
		for j, d := range lv {
			p := mustParse(t, d)
			p.ID = l.Target + "-" + string(rune('a'+j))
			l.Policies = append(l.Policies, p)
		}
		out = append(out, l)
	}
	return out
}

// SCPs: every level from the root down to the account must allow, an explicit deny at any
// level denies, and the management account and service-linked roles are outside them.
// https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html
func TestSCPLevels(t *testing.T) {
	admin := []*Policy{mustParse(t, allowAll)}
	tests := []struct {
		name   string
		scps   [][]string
		mgmt   bool
		req    *Request
		want   Decision
		by     Type
		reason string
	}{
		{"full access at every level", [][]string{{fullAWS}, {fullAWS}, {fullAWS}}, false, devReq(leave), Allowed, 0, ""},
		{"deny at the OU", [][]string{{fullAWS}, {fullAWS, denyLeave}, {fullAWS}}, false, devReq(leave), ExplicitDeny, SCP, "with an explicit deny in a service control policy"},
		{"deny at the account", [][]string{{fullAWS}, {fullAWS}, {fullAWS, denyLeave}}, false, devReq(leave), ExplicitDeny, SCP, "with an explicit deny in a service control policy"},
		{"deny spares other actions", [][]string{{fullAWS}, {fullAWS, denyLeave}}, false, devReq("organizations:DescribeOrganization"), Allowed, 0, ""},
		{"a level without an allow", [][]string{{fullAWS}, {denyLeave}, {fullAWS}}, false, devReq("organizations:DescribeOrganization"), ImplicitDeny, SCP,
			"because no service control policy allows the organizations:DescribeOrganization action"},
		{"an allow at one level is not enough", [][]string{{fullAWS}, {stmt(`"Effect":"Allow","Action":"s3:*","Resource":"*"`)}}, false, devReq(leave), ImplicitDeny, SCP,
			"because no service control policy allows the organizations:LeaveOrganization action"},
		{"management account", [][]string{{fullAWS}, {denyLeave}}, true, devReq(leave), Allowed, 0, ""},
		{"service-linked role session without its role ARN", [][]string{{fullAWS}, {denyLeave}}, false, &Request{Action: leave, Resource: "*",
			PrincipalARN: "arn:aws:sts::222222222222:assumed-role/AWSServiceRoleForOrganizations/x", PrincipalAccount: member}, Allowed, 0, ""},
		{"service-linked role", [][]string{{fullAWS}, {denyLeave}}, false, &Request{Action: leave, Resource: "*",
			PrincipalARN: "arn:aws:sts::222222222222:assumed-role/AWSServiceRoleForOrganizations/x", PrincipalAccount: member,
			RoleARN: "arn:aws:iam::222222222222:role/aws-service-role/organizations.amazonaws.com/AWSServiceRoleForOrganizations"}, Allowed, 0, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := &Input{Identity: admin, SCPs: levels(t, tc.scps...), PrincipalIsManagement: tc.mgmt}
			r := Evaluate(tc.req, in, Options{})
			if r.Decision != tc.want || r.DeniedBy != tc.by {
				t.Fatalf("got %v by %v, want %v by %v", r.Decision, r.DeniedBy, tc.want, tc.by)
			}
			if got := Reason(r, tc.req.Action); got != tc.reason {
				t.Errorf("Reason = %q, want %q", got, tc.reason)
			}
			if r.AllowedByOrganizations != (tc.want == Allowed) {
				t.Errorf("AllowedByOrganizations = %v", r.AllowedByOrganizations)
			}
		})
	}
}

// With no SCP levels (a standalone account) SCPs do not apply; identity policies decide.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
func TestIdentityPoliciesDecideWithoutSCPs(t *testing.T) {
	r := Evaluate(devReq(leave), &Input{}, Options{})
	if r.Decision != ImplicitDeny || r.DeniedBy != Identity || Reason(r, leave) != "because no identity-based policy allows the organizations:LeaveOrganization action" {
		t.Errorf("no policy: %+v %q", r, Reason(r, leave))
	}
	r = Evaluate(devReq(leave), &Input{Identity: []*Policy{mustParse(t, allowAll), mustParse(t, denyLeave)}}, Options{})
	if r.Decision != ExplicitDeny || Reason(r, leave) != "with an explicit deny in an identity-based policy" {
		t.Errorf("identity deny: %+v %q", r, Reason(r, leave))
	}
}

const (
	owner     = "333333333333"
	ownBucket = "arn:aws:s3:::owned/key"
	getObject = "s3:GetObject"
	allowS3   = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}`
	allowEC2  = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"ec2:*","Resource":"*"}}`
)

func bucketPolicy(principal string) string {
	return stmt(`"Effect":"Allow","Principal":` + principal + `,"Action":"s3:GetObject","Resource":"arn:aws:s3:::owned/*"`)
}

// Resource-based, identity-based, boundary and session policies, in one account and across
// accounts:
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html,
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html,
// https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html (a
// resource-based policy naming the user's ARN, or the session's, is not limited by an implicit
// deny in the boundary; naming the role's ARN it is),
// https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies.html#policies_session
// (likewise for session policies).
func TestPolicyTypesCombine(t *testing.T) {
	user := "arn:aws:iam::222222222222:user/bob"
	userReq := &Request{Action: getObject, Resource: ownBucket, PrincipalARN: user, PrincipalAccount: member}
	sessReq := &Request{Action: getObject, Resource: ownBucket, PrincipalARN: memberDev, PrincipalAccount: member, RoleARN: devRole}
	cross := func(r Request) *Request { r.ResourceAccount = owner; return &r }
	p := func(docs ...string) []*Policy {
		var out []*Policy
		for _, d := range docs {
			out = append(out, mustParse(t, d))
		}
		return out
	}
	one := func(d string) *Policy { return mustParse(t, d) }
	tests := []struct {
		name string
		req  *Request
		in   *Input
		want Decision
		by   Type
	}{
		{"same account: identity allows", userReq, &Input{Identity: p(allowS3)}, Allowed, 0},
		{"same account: resource policy alone allows the user", userReq, &Input{ResourcePolicy: one(bucketPolicy(`{"AWS":"` + user + `"}`))}, Allowed, 0},
		{"same account: resource policy naming the account delegates to identity policies", userReq, &Input{ResourcePolicy: one(bucketPolicy(`{"AWS":"222222222222"}`))}, ImplicitDeny, Identity},
		{"same account: account root ARN likewise", userReq, &Input{ResourcePolicy: one(bucketPolicy(`{"AWS":"arn:aws:iam::222222222222:root"}`)), Identity: p(allowS3)}, Allowed, 0},
		{"same account: resource policy for another principal", userReq, &Input{ResourcePolicy: one(bucketPolicy(`{"AWS":"arn:aws:iam::222222222222:user/carol"}`))}, ImplicitDeny, Identity},
		{"same account: resource policy deny wins", userReq, &Input{Identity: p(allowS3), ResourcePolicy: one(stmt(`"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*"`))}, ExplicitDeny, Resource},
		{"boundary must allow identity grants", userReq, &Input{Identity: p(allowS3), Boundary: one(allowEC2)}, ImplicitDeny, Boundary},
		{"boundary allows", userReq, &Input{Identity: p(allowS3), Boundary: one(allowS3)}, Allowed, 0},
		{"boundary deny", userReq, &Input{Identity: p(allowS3), Boundary: one(stmt(`"Effect":"Deny","Action":"s3:*","Resource":"*"`))}, ExplicitDeny, Boundary},
		{"resource policy naming the user is not limited by the boundary", userReq, &Input{Boundary: one(allowEC2), ResourcePolicy: one(bucketPolicy(`{"AWS":"` + user + `"}`))}, Allowed, 0},
		{"resource policy naming the role is limited by the boundary", sessReq, &Input{Boundary: one(allowEC2), ResourcePolicy: one(bucketPolicy(`{"AWS":"` + devRole + `"}`))}, ImplicitDeny, Boundary},
		{"resource policy naming the role grants without identity policies", sessReq, &Input{ResourcePolicy: one(bucketPolicy(`{"AWS":"` + devRole + `"}`))}, Allowed, 0},
		{"resource policy naming the session is not limited by the boundary", sessReq, &Input{Boundary: one(allowEC2), ResourcePolicy: one(bucketPolicy(`{"AWS":"` + memberDev + `"}`))}, Allowed, 0},
		{"session policy must allow", sessReq, &Input{Identity: p(allowS3), Session: p(allowEC2)}, ImplicitDeny, Session},
		{"session policies: any of them allows", sessReq, &Input{Identity: p(allowS3), Session: p(allowEC2, allowS3)}, Allowed, 0},
		{"session policy deny", sessReq, &Input{Identity: p(allowS3), Session: p(stmt(`"Effect":"Deny","Action":"*","Resource":"*"`))}, ExplicitDeny, Session},
		{"session policy limits a resource policy naming the role", sessReq, &Input{Session: p(allowEC2), ResourcePolicy: one(bucketPolicy(`{"AWS":"` + devRole + `"}`))}, ImplicitDeny, Session},
		{"session policy does not limit a resource policy naming the session", sessReq, &Input{Session: p(allowEC2), ResourcePolicy: one(bucketPolicy(`{"AWS":"` + memberDev + `"}`))}, Allowed, 0},
		{"an empty session policy list allows nothing", sessReq, &Input{Identity: p(allowS3), Session: []*Policy{}}, ImplicitDeny, Session},
		{"cross-account: both sides allow", cross(*userReq), &Input{Identity: p(allowS3), ResourcePolicy: one(bucketPolicy(`{"AWS":"222222222222"}`))}, Allowed, 0},
		{"cross-account: identity alone is not enough", cross(*userReq), &Input{Identity: p(allowS3)}, ImplicitDeny, Resource},
		{"cross-account: resource policy alone is not enough", cross(*userReq), &Input{ResourcePolicy: one(bucketPolicy(`{"AWS":"` + user + `"}`))}, ImplicitDeny, Identity},
		{"cross-account: resource policy for another account", cross(*userReq), &Input{Identity: p(allowS3), ResourcePolicy: one(bucketPolicy(`{"AWS":"444444444444"}`))}, ImplicitDeny, Resource},
		{"cross-account: boundary still applies", cross(*userReq), &Input{Identity: p(allowS3), Boundary: one(allowEC2), ResourcePolicy: one(bucketPolicy(`"*"`))}, ImplicitDeny, Boundary},
		{"NotPrincipal deny spares the named principal", userReq, &Input{Identity: p(allowS3), ResourcePolicy: one(stmt(`"Effect":"Deny","NotPrincipal":{"AWS":"` + user + `"},"Action":"s3:*","Resource":"*"`))}, Allowed, 0},
		{"NotPrincipal deny hits the others", userReq, &Input{Identity: p(allowS3), ResourcePolicy: one(stmt(`"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::222222222222:user/carol"},"Action":"s3:*","Resource":"*"`))}, ExplicitDeny, Resource},
		{"NotPrincipal deny always denies a principal with a boundary", userReq, &Input{Identity: p(allowS3), Boundary: one(allowS3), ResourcePolicy: one(stmt(`"Effect":"Deny","NotPrincipal":{"AWS":"` + user + `"},"Action":"s3:*","Resource":"*"`))}, ExplicitDeny, Resource},
		{"a service principal named by the resource policy", &Request{Action: getObject, Resource: ownBucket, ServicePrincipal: "cloudtrail.amazonaws.com", PrincipalAccount: member},
			&Input{ResourcePolicy: one(bucketPolicy(`{"Service":"cloudtrail.amazonaws.com"}`))}, Allowed, 0},
		{"a service principal not named", &Request{Action: getObject, Resource: ownBucket, ServicePrincipal: "config.amazonaws.com", PrincipalAccount: member},
			&Input{ResourcePolicy: one(bucketPolicy(`{"Service":"cloudtrail.amazonaws.com"}`))}, ImplicitDeny, Resource},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := Evaluate(tc.req, tc.in, Options{})
			if r.Decision != tc.want || r.DeniedBy != tc.by {
				t.Errorf("got %v by %v, want %v by %v", r.Decision, r.DeniedBy, tc.want, tc.by)
			}
		})
	}
}

const rcpDenyExternal = `{"Version":"2012-10-17","Statement":{"Sid":"Perimeter","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*",
	"Condition":{"StringNotEqualsIfExists":{"aws:PrincipalOrgID":"o-abc"},"BoolIfExists":{"aws:PrincipalIsAWSService":"false"}}}}`

// RCPs: every level of the resource's account must allow; they do not apply to resources of
// the management account nor to service-linked roles; a service principal is subject to them
// (AWS's RCP examples exempt service principals with aws:PrincipalIsAWSService themselves).
// https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html,
// https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps_evaluation.html
func TestRCPLevels(t *testing.T) {
	rcpFull := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}}`
	ctx := func(org string) *Context {
		c := NewContext()
		c.Set("aws:PrincipalOrgID", org)
		return c
	}
	req := func(org string) *Request {
		return &Request{Action: getObject, Resource: ownBucket, PrincipalARN: "arn:aws:iam::555555555555:user/x", PrincipalAccount: "555555555555", ResourceAccount: owner, Context: ctx(org)}
	}
	grant := mustParse(t, bucketPolicy(`"*"`))
	admin := []*Policy{mustParse(t, allowAll)}
	tests := []struct {
		name string
		req  *Request
		rcps [][]string
		mgmt bool
		want Decision
		by   Type
	}{
		{"inside the organization", req("o-abc"), [][]string{{rcpFull}, {rcpFull, rcpDenyExternal}}, false, Allowed, 0},
		{"outside the organization", req("o-other"), [][]string{{rcpFull}, {rcpFull, rcpDenyExternal}}, false, ExplicitDeny, RCP},
		{"a level without RCPFullAWSAccess", req("o-abc"), [][]string{{rcpFull}, {rcpDenyExternal}}, false, ImplicitDeny, RCP},
		{"resources of the management account", req("o-other"), [][]string{{rcpFull}, {rcpFull, rcpDenyExternal}}, true, Allowed, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := Evaluate(tc.req, &Input{Identity: admin, ResourcePolicy: grant, RCPs: levels(t, tc.rcps...), ResourceInManagement: tc.mgmt}, Options{})
			if r.Decision != tc.want || r.DeniedBy != tc.by {
				t.Errorf("got %v by %v, want %v by %v", r.Decision, r.DeniedBy, tc.want, tc.by)
			}
		})
	}
	r := Evaluate(req("o-other"), &Input{Identity: admin, ResourcePolicy: grant, RCPs: levels(t, []string{rcpFull, rcpDenyExternal})}, Options{})
	if want := "with an explicit deny in a resource control policy"; Reason(r, getObject) != want {
		t.Errorf("Reason = %q, want %q", Reason(r, getObject), want)
	}
}

// Reason's sentences for every policy type, as AWS's access denied messages word them:
// https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html
func TestReasonSentences(t *testing.T) {
	tests := []struct {
		r    Result
		want string
	}{
		{Result{Decision: ExplicitDeny, DeniedBy: SCP}, "with an explicit deny in a service control policy"},
		{Result{Decision: ImplicitDeny, DeniedBy: SCP}, "because no service control policy allows the s3:GetObject action"},
		{Result{Decision: ExplicitDeny, DeniedBy: RCP}, "with an explicit deny in a resource control policy"},
		{Result{Decision: ExplicitDeny, DeniedBy: Identity}, "with an explicit deny in an identity-based policy"},
		{Result{Decision: ImplicitDeny, DeniedBy: Identity}, "because no identity-based policy allows the s3:GetObject action"},
		{Result{Decision: ExplicitDeny, DeniedBy: Boundary}, "with an explicit deny in a permissions boundary"},
		{Result{Decision: ImplicitDeny, DeniedBy: Boundary}, "because no permissions boundary allows the s3:GetObject action"},
		{Result{Decision: ExplicitDeny, DeniedBy: Session}, "with an explicit deny in a session policy"},
		{Result{Decision: ImplicitDeny, DeniedBy: Session}, "because no session policy allows the s3:GetObject action"},
		{Result{Decision: ExplicitDeny, DeniedBy: Resource}, "with an explicit deny in a resource-based policy"},
		{Result{Decision: ImplicitDeny, DeniedBy: Resource}, "because no resource-based policy allows the s3:GetObject action"},
		{Result{Decision: Allowed}, ""},
	}
	for _, tc := range tests {
		if got := Reason(tc.r, getObject); got != tc.want {
			t.Errorf("Reason(%v by %v) = %q, want %q", tc.r.Decision, tc.r.DeniedBy, got, tc.want)
		}
	}
}

// When several policy types deny, the AccessDenied message names the first in AWS's
// evaluation order: Organizations' policies before the account's own.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
func TestExplicitDenyNamesTheFirstType(t *testing.T) {
	deny := mustParse(t, denyLeave)
	in := &Input{Identity: []*Policy{mustParse(t, allowAll), deny}, Boundary: deny, SCPs: levels(t, []string{fullAWS, denyLeave})}
	for _, opt := range []Options{{}, {Explain: true}} {
		r := Evaluate(devReq(leave), in, opt)
		if r.Decision != ExplicitDeny || r.DeniedBy != SCP || r.AllowedByOrganizations || r.AllowedByBoundary && opt.Explain {
			t.Errorf("%+v: got %+v, want an explicit deny by the SCP", opt, r)
		}
	}
	in.SCPs = nil
	if r := Evaluate(devReq(leave), in, Options{}); r.DeniedBy != Identity {
		t.Errorf("without SCPs: denied by %v, want the identity policy", r.DeniedBy)
	}
}
