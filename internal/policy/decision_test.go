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
