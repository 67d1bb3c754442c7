package admin_test

import (
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/orgd/orgd/internal/apitest"
	"github.com/orgd/orgd/internal/catalog"
	"github.com/orgd/orgd/internal/org"
	"github.com/orgd/orgd/internal/server"
	"github.com/orgd/orgd/internal/sigv4"
)

// The simulator (POST /_orgd/simulate) and the impact analysis (POST /_orgd/impact) of
// issue 12 §3 and §4, against the real service. The decisions follow AWS's policy evaluation
// logic: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
// and, for SCPs, https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html

const (
	gMgmt = "510000000001"
	gA1   = "510000000011" // in ouA
	gA2   = "510000000012" // in ouA
	gA3   = "510000000013" // in ouA1, under ouA
	gB1   = "510000000021" // in ouB
	gR1   = "510000000031" // under the root
	gOut  = "510000000099" // in no organization

	denyLeave = `{"Version":"2012-10-17","Statement":[{"Sid":"NoLeave","Effect":"Deny","Action":"organizations:LeaveOrganization","Resource":"*"}]}`
	denyS3    = `{"Version":"2012-10-17","Statement":[{"Sid":"NoS3","Effect":"Deny","Action":"s3:*","Resource":"*"}]}`
	allowAll  = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`
	// denyRegion is AWS's documented region guardrail: everything but the global services
	// outside eu-west-1
	// (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_examples_general.html).
	denyRegion = `{"Version":"2012-10-17","Statement":[{"Sid":"DenyOutsideEU","Effect":"Deny",
		"NotAction":["iam:*","organizations:*","sts:*","support:*","cloudfront:*","route53:*","budgets:*"],
		"Resource":"*","Condition":{"StringNotEquals":{"aws:RequestedRegion":["eu-west-1"]}}}]}`
)

// guardOrg is an organization with SCPs enabled: ouA (gA1, gA2) holding ouA1 (gA3), ouB
// (gB1), and gR1 under the root.
type guardOrg struct {
	s                    *apitest.Server
	c                    *organizations.Client
	root, ouA, ouA1, ouB string
}

func newGuardOrg(t *testing.T, cfg ...func(*server.Config)) *guardOrg {
	t.Helper()
	s := apitest.Start(t, cfg...)
	s.CreateOrganization(gMgmt)
	g := &guardOrg{s: s, c: s.Client(gMgmt)}
	roots, err := g.c.ListRoots(t.Context(), &organizations.ListRootsInput{})
	if err != nil {
		t.Fatal(err)
	}
	g.root = aws.ToString(roots.Roots[0].Id)
	if _, err := g.c.EnablePolicyType(t.Context(), &organizations.EnablePolicyTypeInput{RootId: aws.String(g.root), PolicyType: types.PolicyTypeServiceControlPolicy}); err != nil {
		t.Fatal(err)
	}
	g.ouA, g.ouB = g.ou(t, g.root, "A"), g.ou(t, g.root, "B")
	g.ouA1 = g.ou(t, g.ouA, "A1")
	for id, parent := range map[string]string{gA1: g.ouA, gA2: g.ouA, gA3: g.ouA1, gB1: g.ouB, gR1: g.root} {
		s.Join(gMgmt, id)
		if parent == g.root {
			continue
		}
		if _, err := g.c.MoveAccount(t.Context(), &organizations.MoveAccountInput{AccountId: aws.String(id), SourceParentId: aws.String(g.root), DestinationParentId: aws.String(parent)}); err != nil {
			t.Fatal(err)
		}
	}
	return g
}

func (g *guardOrg) ou(t *testing.T, parent, name string) string {
	t.Helper()
	out, err := g.c.CreateOrganizationalUnit(t.Context(), &organizations.CreateOrganizationalUnitInput{ParentId: aws.String(parent), Name: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.OrganizationalUnit.Id)
}

// scp creates an SCP and attaches it to the targets.
func (g *guardOrg) scp(t *testing.T, name, content string, targets ...string) string {
	t.Helper()
	out, err := g.c.CreatePolicy(t.Context(), &organizations.CreatePolicyInput{Name: aws.String(name), Description: aws.String(name),
		Type: types.PolicyTypeServiceControlPolicy, Content: aws.String(content)})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(out.Policy.PolicySummary.Id)
	for _, target := range targets {
		if _, err := g.c.AttachPolicy(t.Context(), &organizations.AttachPolicyInput{PolicyId: aws.String(id), TargetId: aws.String(target)}); err != nil {
			t.Fatal(err)
		}
	}
	return id
}

// post sends a JSON body to the admin API and returns the status and the answer.
func post(t *testing.T, s *apitest.Server, path string, body any) (int, []byte) {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	a := do(t, s, http.MethodPost, path, string(b))
	return a.status, a.raw
}

func simulate(t *testing.T, s *apitest.Server, body map[string]any) []org.EvaluationResult {
	t.Helper()
	status, raw := post(t, s, "/_orgd/simulate", body)
	if status != http.StatusOK {
		t.Fatalf("simulate: %d %s", status, raw)
	}
	var out org.SimulationResult
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	return out.EvaluationResults
}

// requireField fails unless the answer is a 400 whose message starts with the field.
func requireField(t *testing.T, status int, raw []byte, code, field string) {
	t.Helper()
	var e struct {
		Type    string `json:"__type"`
		Message string
	}
	if err := json.Unmarshal(raw, &e); err != nil || status != http.StatusBadRequest || e.Type != code || !strings.HasPrefix(e.Message, field+": ") {
		t.Errorf("got %d %s, want 400 %s naming %s", status, raw, code, field)
	}
}

func rootARN(account string) string { return "arn:aws:iam::" + account + ":root" }

// TestSimulateSCPsFromTheStore: an SCP denying LeaveOrganization on ouA denies a member of
// ouA (explicitDeny, with the statement that did it), not a member elsewhere, and never the
// management account, to which SCPs do not apply.
func TestSimulateSCPsFromTheStore(t *testing.T) {
	g := newGuardOrg(t)
	deny := g.scp(t, "no-leave", denyLeave, g.ouA)
	actions := []string{"organizations:LeaveOrganization", "s3:GetObject"}

	rs := simulate(t, g.s, map[string]any{"CallerArn": rootARN(gA3), "ActionNames": actions})
	if len(rs) != 2 || rs[0].EvalDecision != "explicitDeny" || rs[1].EvalDecision != "allowed" {
		t.Fatalf("member of ouA1: %+v", rs)
	}
	want := org.MatchedStatement{SourcePolicyType: "SERVICE_CONTROL_POLICY", SourcePolicyId: deny, TargetId: g.ouA, Sid: "NoLeave", Effect: "Deny"}
	if !slices.Contains(rs[0].MatchedStatements, want) {
		t.Errorf("LeaveOrganization matched %+v, want %+v among them", rs[0].MatchedStatements, want)
	}
	if rs[0].OrganizationsDecisionDetail.AllowedByOrganizations || !rs[1].OrganizationsDecisionDetail.AllowedByOrganizations {
		t.Errorf("AllowedByOrganizations: %+v, %+v", rs[0].OrganizationsDecisionDetail, rs[1].OrganizationsDecisionDetail)
	}
	// FullAWSAccess allows at every level: the root's, ouA's, ouA1's and the account's own.
	for _, target := range []string{g.root, g.ouA, g.ouA1, gA3} {
		if !slices.ContainsFunc(rs[1].MatchedStatements, func(m org.MatchedStatement) bool {
			return m.SourcePolicyId == "p-FullAWSAccess" && m.TargetId == target && m.Effect == "Allow"
		}) {
			t.Errorf("s3:GetObject: no FullAWSAccess match at %s: %+v", target, rs[1].MatchedStatements)
		}
	}
	for _, caller := range []string{rootARN(gB1), rootARN(gMgmt), "arn:aws:iam::" + gMgmt + ":user/alice"} {
		if rs := simulate(t, g.s, map[string]any{"CallerArn": caller, "ActionNames": actions}); rs[0].EvalDecision != "allowed" {
			t.Errorf("%s: LeaveOrganization %s, want allowed", caller, rs[0].EvalDecision)
		}
	}
}

// TestSimulateGivenSCPsReplaceTheStored: given levels replace the organization's, so a change
// can be tried first; an SCP must allow at every level, so an OU level allowing only S3 makes
// everything else an implicit deny.
func TestSimulateGivenSCPsReplaceTheStored(t *testing.T) {
	g := newGuardOrg(t)
	onlyS3 := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`
	body := map[string]any{
		"CallerArn": rootARN(gA1), "ActionNames": []string{"ec2:RunInstances", "s3:PutObject"},
		"ServiceControlPolicies": []map[string]any{
			{"TargetId": g.root, "Policies": []any{json.RawMessage(allowAll)}},
			{"TargetId": g.ouA, "Policies": []any{onlyS3}}, // a string holding the document
		},
	}
	rs := simulate(t, g.s, body)
	if rs[0].EvalDecision != "implicitDeny" || rs[0].OrganizationsDecisionDetail.AllowedByOrganizations || rs[1].EvalDecision != "allowed" {
		t.Errorf("with given SCPs: %+v", rs)
	}
	// The store's SCPs (FullAWSAccess everywhere) allow both.
	delete(body, "ServiceControlPolicies")
	if rs := simulate(t, g.s, body); rs[0].EvalDecision != "allowed" || rs[1].EvalDecision != "allowed" {
		t.Errorf("with the store's SCPs: %+v", rs)
	}
}

// TestSimulateIdentityBoundaryAndContext: given identity policies replace the caller's; a
// boundary caps them (AllowedByPermissionsBoundary); a condition on a key the request lacks
// is reported missing, and the key given in ContextEntries satisfies it.
func TestSimulateIdentityBoundaryAndContext(t *testing.T) {
	g := newGuardOrg(t)
	alice := "arn:aws:iam::" + gA1 + ":user/alice"
	identity := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"},
		{"Sid":"FromOffice","Effect":"Allow","Action":"ec2:*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}`
	boundary := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","ec2:*"],"Resource":"*"}]}`
	rs := simulate(t, g.s, map[string]any{
		"CallerArn": alice, "ActionNames": []string{"s3:GetObject", "s3:PutObject", "ec2:RunInstances", "iam:CreateUser"},
		"PolicyInputList": []any{json.RawMessage(identity)}, "PermissionsBoundaryPolicyInputList": []any{boundary},
	})
	got := []string{rs[0].EvalDecision, rs[1].EvalDecision, rs[2].EvalDecision, rs[3].EvalDecision}
	if !slices.Equal(got, []string{"allowed", "implicitDeny", "implicitDeny", "implicitDeny"}) {
		t.Errorf("decisions %v", got)
	}
	if !rs[0].PermissionsBoundaryDecisionDetail.AllowedByPermissionsBoundary || rs[1].PermissionsBoundaryDecisionDetail.AllowedByPermissionsBoundary {
		t.Errorf("boundary details: %+v, %+v", rs[0].PermissionsBoundaryDecisionDetail, rs[1].PermissionsBoundaryDecisionDetail)
	}
	if !slices.Equal(rs[2].MissingContextValues, []string{"aws:SourceIp"}) {
		t.Errorf("ec2:RunInstances missing %v, want [aws:SourceIp]", rs[2].MissingContextValues)
	}
	rs = simulate(t, g.s, map[string]any{
		"CallerArn": alice, "ActionNames": []string{"ec2:RunInstances"}, "PolicyInputList": []any{identity},
		"ContextEntries": []map[string]any{{"ContextKeyName": "aws:SourceIp", "ContextKeyValues": []string{"10.1.2.3"}, "ContextKeyType": "ip"}},
	})
	if rs[0].EvalDecision != "allowed" || len(rs[0].MissingContextValues) != 0 ||
		!slices.ContainsFunc(rs[0].MatchedStatements, func(m org.MatchedStatement) bool {
			return m.SourcePolicyType == "IDENTITY_POLICY" && m.SourcePolicyId == "PolicyInputList[0]" && m.Sid == "FromOffice"
		}) {
		t.Errorf("from the office: %+v", rs[0])
	}
}

// TestSimulateDeclaredPolicies: without PolicyInputList the simulator uses what orgd knows
// of the caller: a credentials-file user's policies, boundary and tags (a policy variable
// reads the tag), an undeclared principal's administrator rights, and no unknown role.
func TestSimulateDeclaredPolicies(t *testing.T) {
	var keys []sigv4.Key
	for _, id := range []string{gMgmt, gA1, gA2, gA3, gB1, gR1} {
		keys = append(keys, sigv4.Key{AccessKeyID: id, AccountID: id})
	}
	keys = append(keys, sigv4.Key{AccessKeyID: "AKIABOB", AccountID: gA1, UserName: "bob", Declared: sigv4.Declared{
		Policies: []json.RawMessage{json.RawMessage(`{"Version":"2012-10-17","Statement":[{"Sid":"TeamBucket","Effect":"Allow",
			"Action":"s3:GetObject","Resource":"arn:aws:s3:::${aws:PrincipalTag/team}-bucket/*"},
			{"Effect":"Allow","Action":"iam:CreateUser","Resource":"*"}]}`)},
		PermissionsBoundary: json.RawMessage(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`),
		Tags:                map[string]string{"team": "red"},
	}})
	g := newGuardOrg(t, apitest.WithCredentials(t, keys...))
	bob := "arn:aws:iam::" + gA1 + ":user/bob"
	rs := simulate(t, g.s, map[string]any{"CallerArn": bob, "ActionNames": []string{"s3:GetObject", "s3:PutObject"},
		"ResourceArns": []string{"arn:aws:s3:::red-bucket/key", "arn:aws:s3:::blue-bucket/key"}})
	var got []string
	for _, r := range rs {
		got = append(got, r.EvalActionName+" "+r.EvalResourceName+" "+r.EvalDecision)
	}
	want := []string{
		"s3:GetObject arn:aws:s3:::red-bucket/key allowed", "s3:PutObject arn:aws:s3:::red-bucket/key implicitDeny",
		"s3:GetObject arn:aws:s3:::blue-bucket/key implicitDeny", "s3:PutObject arn:aws:s3:::blue-bucket/key implicitDeny",
	}
	if !slices.Equal(got, want) {
		t.Errorf("bob's declared policies:\n got %q\nwant %q", got, want)
	}
	// The identity policy allows iam:CreateUser; the boundary does not.
	if rs := simulate(t, g.s, map[string]any{"CallerArn": bob, "ActionNames": []string{"iam:CreateUser"}}); rs[0].EvalDecision != "implicitDeny" ||
		rs[0].PermissionsBoundaryDecisionDetail.AllowedByPermissionsBoundary {
		t.Errorf("iam:CreateUser beyond the boundary: %+v", rs[0])
	}
	// A user the credentials file does not declare is an administrator of its account.
	if rs := simulate(t, g.s, map[string]any{"CallerArn": "arn:aws:iam::" + gA1 + ":user/carol", "ActionNames": []string{"iam:CreateUser"}}); rs[0].EvalDecision != "allowed" {
		t.Errorf("an undeclared user: %+v", rs[0])
	}
	status, raw := post(t, g.s, "/_orgd/simulate", map[string]any{"CallerArn": "arn:aws:sts::" + gA1 + ":assumed-role/Nobody/s1", "ActionNames": []string{"s3:GetObject"}})
	requireField(t, status, raw, "InvalidInputException", "CallerArn")
}

// TestSimulateCrossAccountAndRCPs: a principal reaching another account's resource needs the
// resource's policy too; an RCP on the resource's side denies whatever the principal's side
// allows.
func TestSimulateCrossAccountAndRCPs(t *testing.T) {
	g := newGuardOrg(t)
	alice := "arn:aws:iam::" + gOut + ":user/alice"
	object := "arn:aws:s3:::bucket/key"
	identity := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`
	grant := `{"Version":"2012-10-17","Statement":[{"Sid":"Alice","Effect":"Allow","Principal":{"AWS":"` + alice + `"},"Action":"s3:GetObject","Resource":"` + object + `"}]}`
	body := map[string]any{"CallerArn": alice, "ActionNames": []string{"s3:GetObject"}, "ResourceArns": []string{object},
		"ResourceOwner": gB1, "PolicyInputList": []any{identity}}
	if rs := simulate(t, g.s, body); rs[0].EvalDecision != "implicitDeny" {
		t.Errorf("without a resource policy: %+v", rs[0])
	}
	body["ResourcePolicy"] = grant
	rs := simulate(t, g.s, body)
	if rs[0].EvalDecision != "allowed" || rs[0].EvalResourceName != object ||
		!slices.ContainsFunc(rs[0].MatchedStatements, func(m org.MatchedStatement) bool { return m.SourcePolicyType == "RESOURCE_POLICY" && m.Sid == "Alice" }) {
		t.Errorf("with the resource policy: %+v", rs[0])
	}
	rcp := `{"Version":"2012-10-17","Statement":[{"Sid":"OrgOnly","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*",
		"Condition":{"StringNotEqualsIfExists":{"aws:PrincipalOrgID":"o-nothere00"}}}]}`
	body["ResourceControlPolicies"] = []map[string]any{{"TargetId": g.root, "Policies": []any{rcp}}}
	rs = simulate(t, g.s, body)
	if rs[0].EvalDecision != "explicitDeny" || rs[0].OrganizationsDecisionDetail.AllowedByOrganizations ||
		!slices.ContainsFunc(rs[0].MatchedStatements, func(m org.MatchedStatement) bool {
			return m.SourcePolicyType == "RESOURCE_CONTROL_POLICY" && m.TargetId == g.root && m.Sid == "OrgOnly"
		}) {
		t.Errorf("with an RCP: %+v", rs[0])
	}
	// The same RCP from the store, attached to the owner's OU: it binds the owner's
	// resources, not those of an account elsewhere in the organization.
	delete(body, "ResourceControlPolicies")
	if _, err := g.c.EnablePolicyType(t.Context(), &organizations.EnablePolicyTypeInput{RootId: aws.String(g.root), PolicyType: types.PolicyTypeResourceControlPolicy}); err != nil {
		t.Fatal(err)
	}
	out, err := g.c.CreatePolicy(t.Context(), &organizations.CreatePolicyInput{Name: aws.String("org-only"), Description: aws.String("org-only"),
		Type: types.PolicyTypeResourceControlPolicy, Content: aws.String(rcp)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.c.AttachPolicy(t.Context(), &organizations.AttachPolicyInput{PolicyId: out.Policy.PolicySummary.Id, TargetId: aws.String(g.ouB)}); err != nil {
		t.Fatal(err)
	}
	rs = simulate(t, g.s, body)
	if rs[0].EvalDecision != "explicitDeny" || !slices.ContainsFunc(rs[0].MatchedStatements, func(m org.MatchedStatement) bool {
		return m.SourcePolicyType == "RESOURCE_CONTROL_POLICY" && m.TargetId == g.ouB && m.SourcePolicyId == aws.ToString(out.Policy.PolicySummary.Id)
	}) {
		t.Errorf("with the stored RCP: %+v", rs[0])
	}
	body["ResourceOwner"] = gA1
	if rs := simulate(t, g.s, body); rs[0].EvalDecision != "allowed" {
		t.Errorf("a resource of an account outside ouB: %+v", rs[0])
	}
}

// TestSimulateRefusesBadInput: each mistake gets a 400 that names its field.
func TestSimulateRefusesBadInput(t *testing.T) {
	g := newGuardOrg(t)
	ok := map[string]any{"CallerArn": rootARN(gA1), "ActionNames": []string{"s3:GetObject"}}
	with := func(k string, v any) map[string]any {
		b := map[string]any{}
		for k, v := range ok {
			b[k] = v
		}
		b[k] = v
		return b
	}
	badEffect := `{"Version":"2012-10-17","Statement":[{"Effect":"Maybe","Action":"s3:*","Resource":"*"}]}`
	scpWithPrincipal := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*"}]}`
	for _, tt := range []struct {
		body        map[string]any
		code, field string
	}{
		{with("CallerArn", "alice"), "InvalidInputException", "CallerArn"},
		{with("ActionNames", []string{}), "InvalidInputException", "ActionNames"},
		{with("ActionNames", []string{"s3:GetObject", "s3:*"}), "InvalidInputException", "ActionNames[1]"},
		{with("ResourceArns", []string{"bucket"}), "InvalidInputException", "ResourceArns[0]"},
		{with("PolicyInputList", []any{allowAll, badEffect}), "InvalidInputException", "PolicyInputList[1]"},
		{with("PolicyInputList", []any{42}), "InvalidInputException", "PolicyInputList[0]"},
		{with("PermissionsBoundaryPolicyInputList", []any{allowAll, allowAll}), "InvalidInputException", "PermissionsBoundaryPolicyInputList"},
		{with("ServiceControlPolicies", []map[string]any{{"TargetId": "r-ab12", "Policies": []any{scpWithPrincipal}}}), "InvalidInputException", "ServiceControlPolicies[0].Policies[0]"},
		{with("ContextEntries", []map[string]any{{"ContextKeyName": "aws:SourceIp", "ContextKeyValues": []string{"x"}, "ContextKeyType": "ip"}}), "InvalidInputException", "ContextEntries[0].ContextKeyValues[0]"},
		{with("ContextEntries", []map[string]any{{"ContextKeyName": "k", "ContextKeyValues": []string{"x"}, "ContextKeyType": "text"}}), "InvalidInputException", "ContextEntries[0].ContextKeyType"},
		{with("Bogus", 1), "SerializationException", "body"},
		{with("ActionNames", "s3:GetObject"), "SerializationException", "ActionNames"},
	} {
		status, raw := post(t, g.s, "/_orgd/simulate", tt.body)
		requireField(t, status, raw, tt.code, tt.field)
	}
}

func impact(t *testing.T, s *apitest.Server, body map[string]any) org.ImpactResult {
	t.Helper()
	status, raw := post(t, s, "/_orgd/impact", body)
	if status != http.StatusOK {
		t.Fatalf("impact: %d %s", status, raw)
	}
	var out org.ImpactResult
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// affected maps each affected account to its parent and its effect.
func affected(r org.ImpactResult) map[string]org.ImpactEffect {
	effects := map[string]org.ImpactEffect{}
	for _, e := range r.Effects {
		effects[e.Id] = e
	}
	out := map[string]org.ImpactEffect{}
	for _, p := range r.OrganizationalUnits {
		for _, a := range p.Accounts {
			out[p.Id+"/"+a.AccountId] = effects[a.Effect]
		}
	}
	return out
}

func keys(m map[string]org.ImpactEffect) []string { return slices.Sorted(maps.Keys(m)) }

// TestImpactAttachDenyLeave: a deny-LeaveOrganization SCP proposed for ouA denies exactly that
// action to ouA's accounts and its child OU's, over the whole catalogue, and nothing else to
// anyone; ouA's two accounts share one evaluation.
func TestImpactAttachDenyLeave(t *testing.T) {
	g := newGuardOrg(t)
	r := impact(t, g.s, map[string]any{"Changes": []map[string]any{{"Attach": map[string]any{"Content": json.RawMessage(denyLeave), "Name": "no-leave", "TargetId": g.ouA}}}})
	if r.ActionsEvaluated != len(catalog.Actions()) || r.AccountsAnalysed != 5 {
		t.Errorf("evaluated %d actions (catalogue: %d) for %d accounts", r.ActionsEvaluated, len(catalog.Actions()), r.AccountsAnalysed)
	}
	got := affected(r)
	if want := slices.Sorted(slices.Values([]string{g.ouA + "/" + gA1, g.ouA + "/" + gA2, g.ouA1 + "/" + gA3})); !slices.Equal(keys(got), want) {
		t.Fatalf("affected %v, want %v", keys(got), want)
	}
	for k, e := range got {
		if !slices.Equal(e.NewlyDenied.Actions, []string{"organizations:LeaveOrganization"}) || e.NewlyAllowed.Count+e.NewlyConditional.Count != 0 ||
			e.NewlyDenied.ByService["organizations"] != 1 {
			t.Errorf("%s: %+v", k, e)
		}
	}
	if e := got[g.ouA+"/"+gA1]; !slices.Equal(e.Accounts, []string{gA1, gA2}) {
		t.Errorf("ouA's accounts do not share one effect: %v", e.Accounts)
	}
	if len(r.Effects) != 2 {
		t.Errorf("%d effects, want 2 (ouA's path and ouA1's)", len(r.Effects))
	}
}

// TestImpactDetachTheOnlyAllow: detaching FullAWSAccess from an OU whose only other SCP
// denies leaves no allow at that level, so everything not denied before is denied there
// (an SCP must allow at every level).
func TestImpactDetachTheOnlyAllow(t *testing.T) {
	g := newGuardOrg(t)
	g.scp(t, "no-s3", denyS3, g.ouB)
	r := impact(t, g.s, map[string]any{"Detail": "summary", "Changes": []map[string]any{{"Detach": map[string]any{"PolicyId": "p-FullAWSAccess", "TargetId": g.ouB}}}})
	got := affected(r)
	if !slices.Equal(keys(got), []string{g.ouB + "/" + gB1}) {
		t.Fatalf("affected %v", keys(got))
	}
	s3 := len(catalog.Match("s3:*"))
	e := got[g.ouB+"/"+gB1]
	if e.NewlyDenied.Count != r.ActionsEvaluated-s3 || e.NewlyDenied.ByService["s3"] != 0 || e.NewlyDenied.ByService["ec2"] == 0 || e.NewlyDenied.Actions != nil {
		t.Errorf("newly denied %d (want %d, s3 denied already), by service ec2 %d s3 %d, actions listed: %d",
			e.NewlyDenied.Count, r.ActionsEvaluated-s3, e.NewlyDenied.ByService["ec2"], e.NewlyDenied.ByService["s3"], len(e.NewlyDenied.Actions))
	}
}

// TestImpactDenyRegion: the region guardrail is conditional on aws:RequestedRegion until the
// request fixes it: denied in ap-south-1, unchanged in eu-west-1. Global services stay allowed.
func TestImpactDenyRegion(t *testing.T) {
	g := newGuardOrg(t)
	change := []map[string]any{{"Attach": map[string]any{"Content": denyRegion, "Name": "eu-only", "TargetId": g.ouB}}}
	regional := 0
	for _, a := range catalog.Actions() {
		switch a.Service {
		case "iam", "organizations", "sts", "support", "cloudfront", "route53", "budgets":
		default:
			regional++
		}
	}
	r := impact(t, g.s, map[string]any{"Changes": change, "Detail": "summary"})
	e, ok := affected(r)[g.ouB+"/"+gB1]
	if len(affected(r)) != 1 || !ok || e.NewlyConditional.Count != regional || e.NewlyDenied.Count != 0 ||
		!slices.Equal(e.NewlyConditional.ConditionKeys, []string{"aws:RequestedRegion"}) || e.NewlyConditional.ByService["iam"] != 0 {
		t.Errorf("without a region: %d accounts; %+v (want %d conditional on aws:RequestedRegion)", len(affected(r)), e, regional)
	}
	region := func(name string) []map[string]any {
		return []map[string]any{{"ContextKeyName": "aws:RequestedRegion", "ContextKeyValues": []string{name}}}
	}
	r = impact(t, g.s, map[string]any{"Changes": change, "Detail": "summary", "ContextEntries": region("ap-south-1")})
	if e := affected(r)[g.ouB+"/"+gB1]; e.NewlyDenied.Count != regional || e.NewlyConditional.Count != 0 {
		t.Errorf("in ap-south-1: %+v, want %d denied", e, regional)
	}
	r = impact(t, g.s, map[string]any{"Changes": change, "ContextEntries": region("eu-west-1")})
	if len(r.OrganizationalUnits) != 0 || len(r.Effects) != 0 {
		t.Errorf("in eu-west-1: %+v, want nothing affected", r.OrganizationalUnits)
	}
}

// TestImpactMoveAndActionsFilter: moving an account out of an OU that denies S3 allows S3
// again, shown under its new parent; an Actions filter restricts the analysis.
func TestImpactMoveAndActionsFilter(t *testing.T) {
	g := newGuardOrg(t)
	g.scp(t, "no-s3", denyS3, g.ouB)
	r := impact(t, g.s, map[string]any{"Actions": []string{"s3:Get*", "ec2:*"},
		"Changes": []map[string]any{{"Move": map[string]any{"AccountId": gB1, "DestinationParentId": g.ouA}}}})
	got := affected(r)
	gets := len(catalog.Match("s3:get*"))
	if e, ok := got[g.ouA+"/"+gB1]; len(got) != 1 || !ok || e.NewlyAllowed.Count != gets || e.NewlyDenied.Count != 0 || !slices.Contains(e.NewlyAllowed.Actions, "s3:GetObject") {
		t.Errorf("affected %v; %+v (want %d s3:Get* allowed)", keys(got), got[g.ouA+"/"+gB1], gets)
	}
	if r.ActionsEvaluated != gets+len(catalog.Match("ec2:*")) {
		t.Errorf("evaluated %d actions", r.ActionsEvaluated)
	}
}

// TestImpactNeverListsTheManagementAccount: a deny-everything SCP at the root changes every
// member's decisions, and not the management account's, to which SCPs do not apply.
func TestImpactNeverListsTheManagementAccount(t *testing.T) {
	g := newGuardOrg(t)
	denyAll := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}`
	r := impact(t, g.s, map[string]any{"Organization": gMgmt, "Detail": "summary", "Actions": []string{"organizations:*"},
		"Changes": []map[string]any{{"Attach": map[string]any{"Content": denyAll, "Name": "deny-all", "TargetId": g.root}}}})
	got := affected(r)
	if len(got) != 5 {
		t.Errorf("affected %v, want the 5 members", keys(got))
	}
	for k := range got {
		if strings.HasSuffix(k, gMgmt) {
			t.Errorf("the management account is affected: %s", k)
		}
	}
}

// TestImpactRefusesBadInput: each mistake gets a 400 that names its field, as the call the
// change stands for would fail.
func TestImpactRefusesBadInput(t *testing.T) {
	g := newGuardOrg(t)
	deny := g.scp(t, "no-s3", denyS3, g.ouB)
	attach := func(m map[string]any) map[string]any {
		return map[string]any{"Changes": []map[string]any{{"Attach": m}}}
	}
	for _, tt := range []struct {
		body        map[string]any
		code, field string
	}{
		{map[string]any{}, "InvalidInputException", "Changes"},
		{attach(map[string]any{"PolicyId": deny, "TargetId": "ou-zzzz-zzzzzzzz"}), "InvalidInputException", "Changes[0].Attach.TargetId"},
		{attach(map[string]any{"PolicyId": "p-nothere1", "TargetId": g.ouA}), "InvalidInputException", "Changes[0].Attach.PolicyId"},
		{attach(map[string]any{"PolicyId": deny, "TargetId": g.ouB}), "InvalidInputException", "Changes[0].Attach"},
		{attach(map[string]any{"Content": `{"Statement":[]`, "Name": "x", "TargetId": g.ouA}), "InvalidInputException", "Changes[0].Attach.Content"},
		{attach(map[string]any{"Content": denyS3, "TargetId": g.ouA}), "InvalidInputException", "Changes[0].Attach.Name"},
		{map[string]any{"Changes": []map[string]any{
			{"Attach": map[string]any{"PolicyId": deny, "TargetId": g.ouA}},
			{"Detach": map[string]any{"PolicyId": deny, "TargetId": g.root}},
		}}, "InvalidInputException", "Changes[1].Detach"},
		{map[string]any{"Changes": []map[string]any{{"Detach": map[string]any{"PolicyId": "p-FullAWSAccess", "TargetId": g.ouA}}}}, "InvalidInputException", "Changes[0].Detach"},
		{map[string]any{"Changes": []map[string]any{{"Update": map[string]any{"PolicyId": "p-FullAWSAccess", "Content": denyS3}}}}, "InvalidInputException", "Changes[0].Update.PolicyId"},
		{map[string]any{"Changes": []map[string]any{{"Move": map[string]any{"AccountId": gOut, "DestinationParentId": g.ouA}}}}, "InvalidInputException", "Changes[0].Move.AccountId"},
		{map[string]any{"Changes": []map[string]any{{"Move": map[string]any{"AccountId": gA1, "DestinationParentId": g.ouA}}}}, "InvalidInputException", "Changes[0].Move.DestinationParentId"},
		{map[string]any{"Changes": []map[string]any{{}}}, "InvalidInputException", "Changes[0]"},
		{map[string]any{"Detail": "all", "Changes": []map[string]any{{"Detach": map[string]any{"PolicyId": deny, "TargetId": g.ouB}}}}, "InvalidInputException", "Detail"},
		{map[string]any{"Actions": []string{}, "Changes": []map[string]any{{"Detach": map[string]any{"PolicyId": deny, "TargetId": g.ouB}}}}, "InvalidInputException", "Actions"},
		{map[string]any{"Actions": []string{"nosuchservice:*"}, "Changes": []map[string]any{{"Detach": map[string]any{"PolicyId": deny, "TargetId": g.ouB}}}}, "InvalidInputException", "Actions[0]"},
		{map[string]any{"Organization": gA1, "Changes": []map[string]any{{"Detach": map[string]any{"PolicyId": deny, "TargetId": g.ouB}}}}, "InvalidInputException", "Organization"},
		{map[string]any{"Changes": []map[string]any{{"Attach": map[string]any{"Bogus": 1}}}}, "SerializationException", "body"},
	} {
		status, raw := post(t, g.s, "/_orgd/impact", tt.body)
		requireField(t, status, raw, tt.code, tt.field)
	}
}

// TestImpactUpdate: narrowing an attached SCP's content from all of S3 to S3's deletions
// allows the rest of S3 again, wherever the policy is attached.
func TestImpactUpdate(t *testing.T) {
	g := newGuardOrg(t)
	deny := g.scp(t, "no-s3", denyS3, g.ouB, gR1)
	narrower := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:Delete*","Resource":"*"}]}`
	r := impact(t, g.s, map[string]any{"Actions": []string{"s3:*"},
		"Changes": []map[string]any{{"Update": map[string]any{"PolicyId": deny, "Content": narrower}}}})
	got := affected(r)
	want := len(catalog.Match("s3:*")) - len(catalog.Match("s3:Delete*"))
	if !slices.Equal(keys(got), slices.Sorted(slices.Values([]string{g.ouB + "/" + gB1, g.root + "/" + gR1}))) {
		t.Fatalf("affected %v", keys(got))
	}
	for k, e := range got {
		if e.NewlyAllowed.Count != want || e.NewlyDenied.Count != 0 || slices.Contains(e.NewlyAllowed.Actions, "s3:DeleteBucket") {
			t.Errorf("%s: %d allowed (want %d), %d denied", k, e.NewlyAllowed.Count, want, e.NewlyDenied.Count)
		}
	}
	// Changes apply in order: attached after its update, the policy brings its new content.
	r = impact(t, g.s, map[string]any{"Actions": []string{"s3:*"}, "Changes": []map[string]any{
		{"Update": map[string]any{"PolicyId": deny, "Content": narrower}},
		{"Attach": map[string]any{"PolicyId": deny, "TargetId": g.ouA1}},
	}})
	if e := affected(r)[g.ouA1+"/"+gA3]; e.NewlyDenied.Count != len(catalog.Match("s3:Delete*")) {
		t.Errorf("attached after its update: %d denied, want %d", e.NewlyDenied.Count, len(catalog.Match("s3:Delete*")))
	}
}
