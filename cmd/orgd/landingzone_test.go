package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// awsCLIResult runs the aws CLI against orgd as the given account like awsCLI, but does not
// fail the test when the command fails: it returns what the CLI printed on stdout and stderr
// and its exit code, for the steps that expect an error.
func awsCLIResult(t *testing.T, endpoint, account string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command("aws", append([]string{"--endpoint-url", endpoint, "--output", "json"}, args...)...)
	cmd.Env = append(os.Environ(),
		"AWS_ACCESS_KEY_ID="+account, "AWS_SECRET_ACCESS_KEY=secret", "AWS_DEFAULT_REGION=us-east-1",
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_EC2_METADATA_DISABLED=true",
		"AWS_PAGER=")
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exitErr *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exitErr):
		code = exitErr.ExitCode()
	default:
		t.Fatalf("aws %s: %v", strings.Join(args, " "), err)
	}
	return out.String(), errOut.String(), code
}

// cliErrorRE matches the line the aws CLI prints for a service error.
var cliErrorRE = regexp.MustCompile(`An error occurred \(([A-Za-z]+)\) when calling the ([A-Za-z]+) operation: (.*)`)

// expectCLIError runs a command that must fail with the AWS error code and returns the full
// stderr (with --debug among args, it holds the response body, and so the error's Reason).
func expectCLIError(t *testing.T, endpoint, account, code string, args ...string) string {
	t.Helper()
	stdout, stderr, exit := awsCLIResult(t, endpoint, account, args...)
	if exit == 0 {
		t.Fatalf("aws %s succeeded, want %s:\n%s", strings.Join(args, " "), code, stdout)
	}
	m := cliErrorRE.FindStringSubmatch(stderr)
	if m == nil || m[1] != code {
		t.Fatalf("aws %s: exit %d, want error %s; stderr:\n%s", strings.Join(args, " "), exit, code, tail(stderr, 2000))
	}
	return stderr
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// TestLandingZoneWithAWSCLI builds a small landing zone with the aws CLI alone — OUs, SCPs,
// tag policies, a created and an invited account, a delegated administrator, tags — and
// checks what the organization reads back at each step.
func TestLandingZoneWithAWSCLI(t *testing.T) {
	requireAWSCLI(t)
	url := startOrgd(t, "--db", "memory")
	const mgmt, invited = "111111111111", "222222222222"

	// orgs runs `aws organizations args...` as account and decodes its JSON output into v
	// (when v is not nil).
	orgs := func(account string, v any, args ...string) {
		t.Helper()
		out := awsCLI(t, url, account, append([]string{"organizations"}, args...)...)
		if v == nil {
			return
		}
		if err := json.Unmarshal(out, v); err != nil {
			t.Fatalf("aws organizations %s: decode %q: %v", strings.Join(args, " "), out, err)
		}
	}
	type ou struct{ Id, Arn, Name, Path string }
	type account struct {
		Id, Arn, Email, Name, Status, State, JoinedMethod string
		Paths                                             []string
	}
	type policySummary struct {
		Id, Arn, Name, Description, Type string
		AwsManaged                       bool
	}

	// --- The organization -----------------------------------------------------------------
	var created struct {
		Organization struct{ Id, Arn, FeatureSet, MasterAccountId string }
	}
	orgs(mgmt, &created, "create-organization", "--feature-set", "ALL")
	org := created.Organization
	if !regexp.MustCompile(`^o-[a-z0-9]{10}$`).MatchString(org.Id) || org.FeatureSet != "ALL" || org.MasterAccountId != mgmt {
		t.Fatalf("create-organization answered %+v", org)
	}
	var roots struct {
		Roots []struct {
			Id, Arn, Name string
			PolicyTypes   []struct{ Type, Status string }
		}
	}
	orgs(mgmt, &roots, "list-roots")
	if len(roots.Roots) != 1 || !regexp.MustCompile(`^r-[a-z0-9]{4}$`).MatchString(roots.Roots[0].Id) {
		t.Fatalf("list-roots answered %+v", roots)
	}
	root := roots.Roots[0].Id
	if len(roots.Roots[0].PolicyTypes) != 0 {
		t.Errorf("a new root has policy types enabled: %+v", roots.Roots[0].PolicyTypes)
	}
	rootPath := org.Id + "/" + root + "/"

	// --- OUs: Workloads → Prod → Payments, and Security -------------------------------------
	createOU := func(parent, name string) ou {
		t.Helper()
		var out struct{ OrganizationalUnit ou }
		orgs(mgmt, &out, "create-organizational-unit", "--parent-id", parent, "--name", name)
		u := out.OrganizationalUnit
		if !regexp.MustCompile(`^ou-[a-z0-9]{4}-[a-z0-9]{8}$`).MatchString(u.Id) || u.Name != name {
			t.Fatalf("create-organizational-unit %s answered %+v", name, u)
		}
		if !strings.HasPrefix(u.Id, "ou-"+strings.TrimPrefix(root, "r-")+"-") {
			t.Errorf("OU id %s does not carry the root's %s", u.Id, root)
		}
		if want := "arn:aws:organizations::" + mgmt + ":ou/" + org.Id + "/" + u.Id; u.Arn != want {
			t.Errorf("OU %s Arn = %s, want %s", name, u.Arn, want)
		}
		return u
	}
	workloads := createOU(root, "Workloads")
	prod := createOU(workloads.Id, "Prod")
	payments := createOU(prod.Id, "Payments")
	security := createOU(root, "Security")

	wantPath := map[string]string{
		workloads.Id: rootPath + workloads.Id + "/",
		prod.Id:      rootPath + workloads.Id + "/" + prod.Id + "/",
		payments.Id:  rootPath + workloads.Id + "/" + prod.Id + "/" + payments.Id + "/",
		security.Id:  rootPath + security.Id + "/",
	}
	for _, u := range []ou{workloads, prod, payments, security} {
		var d struct{ OrganizationalUnit ou }
		orgs(mgmt, &d, "describe-organizational-unit", "--organizational-unit-id", u.Id)
		if d.OrganizationalUnit.Id != u.Id || d.OrganizationalUnit.Name != u.Name || d.OrganizationalUnit.Arn != u.Arn {
			t.Errorf("describe-organizational-unit %s = %+v, want %+v", u.Id, d.OrganizationalUnit, u)
		}
		if d.OrganizationalUnit.Path != wantPath[u.Id] {
			t.Errorf("OU %s Path = %q, want %q", u.Name, d.OrganizationalUnit.Path, wantPath[u.Id])
		}
	}

	// ousOf lists the names of the OUs under parent, sorted.
	ousOf := func(parent string) []string {
		t.Helper()
		var out struct{ OrganizationalUnits []ou }
		orgs(mgmt, &out, "list-organizational-units-for-parent", "--parent-id", parent)
		var names []string
		for _, u := range out.OrganizationalUnits {
			names = append(names, u.Name)
			if u.Path != wantPath[u.Id] {
				t.Errorf("list-organizational-units-for-parent %s: %s Path = %q, want %q", parent, u.Name, u.Path, wantPath[u.Id])
			}
		}
		slices.Sort(names)
		return names
	}
	for parent, want := range map[string][]string{
		root: {"Security", "Workloads"}, workloads.Id: {"Prod"}, prod.Id: {"Payments"}, payments.Id: nil, security.Id: nil,
	} {
		if got := ousOf(parent); !slices.Equal(got, want) {
			t.Errorf("list-organizational-units-for-parent %s = %v, want %v", parent, got, want)
		}
	}
	// parentOf answers list-parents: the one parent's id and type.
	parentOf := func(child string) (id, typ string) {
		t.Helper()
		var out struct{ Parents []struct{ Id, Type string } }
		orgs(mgmt, &out, "list-parents", "--child-id", child)
		if len(out.Parents) != 1 {
			t.Fatalf("list-parents %s = %+v, want one parent", child, out.Parents)
		}
		return out.Parents[0].Id, out.Parents[0].Type
	}
	for child, want := range map[string][2]string{
		workloads.Id: {root, "ROOT"}, prod.Id: {workloads.Id, "ORGANIZATIONAL_UNIT"},
		payments.Id: {prod.Id, "ORGANIZATIONAL_UNIT"}, security.Id: {root, "ROOT"}, mgmt: {root, "ROOT"},
	} {
		if id, typ := parentOf(child); id != want[0] || typ != want[1] {
			t.Errorf("list-parents %s = %s %s, want %s %s", child, id, typ, want[0], want[1])
		}
	}
	// childrenOf answers list-children: the sorted ids of parent's children of the type.
	childrenOf := func(parent, typ string) []string {
		t.Helper()
		var out struct{ Children []struct{ Id, Type string } }
		orgs(mgmt, &out, "list-children", "--parent-id", parent, "--child-type", typ)
		var ids []string
		for _, c := range out.Children {
			if c.Type != typ {
				t.Errorf("list-children %s %s: child %s has Type %s", parent, typ, c.Id, c.Type)
			}
			ids = append(ids, c.Id)
		}
		slices.Sort(ids)
		return ids
	}
	if got, want := childrenOf(root, "ORGANIZATIONAL_UNIT"), sorted(workloads.Id, security.Id); !slices.Equal(got, want) {
		t.Errorf("list-children root OUs = %v, want %v", got, want)
	}
	if got, want := childrenOf(prod.Id, "ORGANIZATIONAL_UNIT"), []string{payments.Id}; !slices.Equal(got, want) {
		t.Errorf("list-children Prod OUs = %v, want %v", got, want)
	}
	if got, want := childrenOf(root, "ACCOUNT"), []string{mgmt}; !slices.Equal(got, want) {
		t.Errorf("list-children root accounts = %v, want %v", got, want)
	}

	// --- SCPs ---------------------------------------------------------------------------------
	var enabled struct {
		Root struct {
			Id          string
			PolicyTypes []struct{ Type, Status string }
		}
	}
	orgs(mgmt, &enabled, "enable-policy-type", "--root-id", root, "--policy-type", "SERVICE_CONTROL_POLICY")
	if pt := enabled.Root.PolicyTypes; enabled.Root.Id != root || len(pt) != 1 || pt[0].Type != "SERVICE_CONTROL_POLICY" || pt[0].Status != "ENABLED" {
		t.Errorf("enable-policy-type SERVICE_CONTROL_POLICY answered %+v", enabled.Root)
	}
	// policiesFor lists the ids of the policies of the type attached directly to target.
	policiesFor := func(target, typ string) []string {
		t.Helper()
		var out struct{ Policies []policySummary }
		orgs(mgmt, &out, "list-policies-for-target", "--target-id", target, "--filter", typ)
		var ids []string
		for _, p := range out.Policies {
			if p.Type != typ {
				t.Errorf("list-policies-for-target %s --filter %s: %s has Type %s", target, typ, p.Id, p.Type)
			}
			ids = append(ids, p.Id)
		}
		slices.Sort(ids)
		return ids
	}
	for _, target := range []string{root, workloads.Id, prod.Id, payments.Id, security.Id, mgmt} {
		if got := policiesFor(target, "SERVICE_CONTROL_POLICY"); !slices.Equal(got, []string{"p-FullAWSAccess"}) {
			t.Errorf("SCPs of %s after enabling the type = %v, want [p-FullAWSAccess]", target, got)
		}
	}

	dir := t.TempDir()
	writePolicy := func(name, content string) string {
		t.Helper()
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return "file://" + path
	}
	denyLeave := `{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "DenyLeaveOrganization", "Effect": "Deny", "Action": "organizations:LeaveOrganization", "Resource": "*"}
  ]
}`
	var scp struct {
		Policy struct {
			PolicySummary policySummary
			Content       string
		}
	}
	orgs(mgmt, &scp, "create-policy", "--name", "DenyLeaveOrganization", "--description", "Members may not leave",
		"--type", "SERVICE_CONTROL_POLICY", "--content", writePolicy("deny-leave.json", denyLeave))
	denyID := scp.Policy.PolicySummary.Id
	if !regexp.MustCompile(`^p-[a-z0-9]{8}$`).MatchString(denyID) || scp.Policy.PolicySummary.Type != "SERVICE_CONTROL_POLICY" ||
		scp.Policy.PolicySummary.AwsManaged || scp.Policy.PolicySummary.Name != "DenyLeaveOrganization" {
		t.Fatalf("create-policy answered %+v", scp.Policy.PolicySummary)
	}
	if want := "arn:aws:organizations::" + mgmt + ":policy/" + org.Id + "/service_control_policy/" + denyID; scp.Policy.PolicySummary.Arn != want {
		t.Errorf("SCP Arn = %s, want %s", scp.Policy.PolicySummary.Arn, want)
	}
	var gotDoc, wantDoc any
	if err := json.Unmarshal([]byte(scp.Policy.Content), &gotDoc); err != nil {
		t.Fatalf("SCP Content %q: %v", scp.Policy.Content, err)
	}
	json.Unmarshal([]byte(denyLeave), &wantDoc)
	if mustJSON(t, gotDoc) != mustJSON(t, wantDoc) {
		t.Errorf("SCP Content = %s, want the file's %s", scp.Policy.Content, denyLeave)
	}

	orgs(mgmt, nil, "attach-policy", "--policy-id", denyID, "--target-id", workloads.Id)
	if got, want := policiesFor(workloads.Id, "SERVICE_CONTROL_POLICY"), sorted("p-FullAWSAccess", denyID); !slices.Equal(got, want) {
		t.Errorf("SCPs of Workloads = %v, want %v", got, want)
	}
	var targets struct {
		Targets []struct{ TargetId, Arn, Name, Type string }
	}
	orgs(mgmt, &targets, "list-targets-for-policy", "--policy-id", denyID)
	if len(targets.Targets) != 1 || targets.Targets[0].TargetId != workloads.Id || targets.Targets[0].Type != "ORGANIZATIONAL_UNIT" ||
		targets.Targets[0].Name != "Workloads" || targets.Targets[0].Arn != workloads.Arn {
		t.Errorf("list-targets-for-policy %s = %+v, want Workloads only", denyID, targets.Targets)
	}
	// Security has p-FullAWSAccess alone: detaching it would leave the OU without an SCP.
	// The CLI prints only the code and message; --debug shows the response body and its Reason.
	stderr := expectCLIError(t, url, mgmt, "ConstraintViolationException", "--debug",
		"organizations", "detach-policy", "--policy-id", "p-FullAWSAccess", "--target-id", security.Id)
	if !strings.Contains(stderr, `"Reason":"MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED"`) &&
		!strings.Contains(stderr, `"Reason": "MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED"`) {
		t.Errorf("detach-policy p-FullAWSAccess from Security: the error's Reason is not MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED:\n%s", tail(stderr, 2000))
	}
	if got := policiesFor(security.Id, "SERVICE_CONTROL_POLICY"); !slices.Equal(got, []string{"p-FullAWSAccess"}) {
		t.Errorf("SCPs of Security after the failed detach = %v", got)
	}
	// Workloads keeps one after losing p-FullAWSAccess, so that detach succeeds; put it back.
	orgs(mgmt, nil, "detach-policy", "--policy-id", "p-FullAWSAccess", "--target-id", workloads.Id)
	if got := policiesFor(workloads.Id, "SERVICE_CONTROL_POLICY"); !slices.Equal(got, []string{denyID}) {
		t.Errorf("SCPs of Workloads after detaching p-FullAWSAccess = %v, want [%s]", got, denyID)
	}
	orgs(mgmt, nil, "attach-policy", "--policy-id", "p-FullAWSAccess", "--target-id", workloads.Id)

	// --- A created account, moved to Payments --------------------------------------------------
	var car struct {
		CreateAccountStatus struct{ Id, State, AccountName, AccountId, FailureReason string }
	}
	orgs(mgmt, &car, "create-account", "--email", "payments-prod@example.com", "--account-name", "Payments Prod")
	if !regexp.MustCompile(`^car-[a-z0-9]{8,32}$`).MatchString(car.CreateAccountStatus.Id) || car.CreateAccountStatus.AccountName != "Payments Prod" {
		t.Fatalf("create-account answered %+v", car.CreateAccountStatus)
	}
	deadline := time.Now().Add(30 * time.Second)
	for car.CreateAccountStatus.State != "SUCCEEDED" {
		if car.CreateAccountStatus.State != "IN_PROGRESS" || time.Now().After(deadline) {
			t.Fatalf("account creation: %+v, want SUCCEEDED", car.CreateAccountStatus)
		}
		time.Sleep(200 * time.Millisecond)
		orgs(mgmt, &car, "describe-create-account-status", "--create-account-request-id", car.CreateAccountStatus.Id)
	}
	paymentsAcct := car.CreateAccountStatus.AccountId
	if !regexp.MustCompile(`^\d{12}$`).MatchString(paymentsAcct) || paymentsAcct == mgmt {
		t.Fatalf("created account id %q", paymentsAcct)
	}
	// accountsOf lists the accounts directly under parent.
	accountsOf := func(parent string) map[string]account {
		t.Helper()
		var out struct{ Accounts []account }
		orgs(mgmt, &out, "list-accounts-for-parent", "--parent-id", parent)
		m := map[string]account{}
		for _, a := range out.Accounts {
			m[a.Id] = a
		}
		return m
	}
	if a, ok := accountsOf(root)[paymentsAcct]; !ok || a.JoinedMethod != "CREATED" || a.Email != "payments-prod@example.com" || a.Name != "Payments Prod" {
		t.Errorf("the created account under the root: %+v (found %v)", a, ok)
	}
	// A new account gets the root's default SCP.
	if got := policiesFor(paymentsAcct, "SERVICE_CONTROL_POLICY"); !slices.Equal(got, []string{"p-FullAWSAccess"}) {
		t.Errorf("SCPs of the created account = %v, want [p-FullAWSAccess]", got)
	}
	orgs(mgmt, nil, "move-account", "--account-id", paymentsAcct, "--source-parent-id", root, "--destination-parent-id", payments.Id)
	if _, ok := accountsOf(root)[paymentsAcct]; ok {
		t.Errorf("the moved account is still under the root")
	}
	a, ok := accountsOf(payments.Id)[paymentsAcct]
	if !ok {
		t.Fatalf("list-accounts-for-parent Payments lacks %s", paymentsAcct)
	}
	if want := []string{wantPath[payments.Id] + paymentsAcct + "/"}; !slices.Equal(a.Paths, want) {
		t.Errorf("moved account Paths = %q, want %q", a.Paths, want)
	}
	if id, _ := parentOf(paymentsAcct); id != payments.Id {
		t.Errorf("list-parents of the moved account = %s, want Payments %s", id, payments.Id)
	}
	if got, want := childrenOf(payments.Id, "ACCOUNT"), []string{paymentsAcct}; !slices.Equal(got, want) {
		t.Errorf("list-children Payments accounts = %v, want %v", got, want)
	}

	// --- The tag policy ----------------------------------------------------------------------
	orgs(mgmt, &enabled, "enable-policy-type", "--root-id", root, "--policy-type", "TAG_POLICY")
	types := map[string]string{}
	for _, pt := range enabled.Root.PolicyTypes {
		types[pt.Type] = pt.Status
	}
	if types["TAG_POLICY"] != "ENABLED" || types["SERVICE_CONTROL_POLICY"] != "ENABLED" {
		t.Errorf("enable-policy-type TAG_POLICY: root policy types %v", types)
	}
	createTagPolicy := func(name, content string) string {
		t.Helper()
		var out struct {
			Policy struct{ PolicySummary policySummary }
		}
		orgs(mgmt, &out, "create-policy", "--name", name, "--description", name, "--type", "TAG_POLICY",
			"--content", writePolicy(name+".json", content))
		if out.Policy.PolicySummary.Type != "TAG_POLICY" {
			t.Fatalf("create-policy %s answered %+v", name, out.Policy.PolicySummary)
		}
		return out.Policy.PolicySummary.Id
	}
	rootTags := createTagPolicy("costcenter-root",
		`{"tags":{"costcenter":{"tag_key":{"@@assign":"CostCenter"},"tag_value":{"@@assign":["Development","Support"]}}}}`)
	prodTags := createTagPolicy("costcenter-prod", `{"tags":{"costcenter":{"tag_value":{"@@append":["Marketing"]}}}}`)
	orgs(mgmt, nil, "attach-policy", "--policy-id", rootTags, "--target-id", root)
	orgs(mgmt, nil, "attach-policy", "--policy-id", prodTags, "--target-id", prod.Id)
	if got := policiesFor(prod.Id, "TAG_POLICY"); !slices.Equal(got, []string{prodTags}) {
		t.Errorf("tag policies of Prod = %v, want [%s]", got, prodTags)
	}
	// effectiveTags returns the effective tag policy of the account, re-encoded.
	effectiveTags := func(target string) string {
		t.Helper()
		var out struct {
			EffectivePolicy struct{ PolicyContent, TargetId, PolicyType string }
		}
		orgs(mgmt, &out, "describe-effective-policy", "--policy-type", "TAG_POLICY", "--target-id", target)
		if out.EffectivePolicy.TargetId != target || out.EffectivePolicy.PolicyType != "TAG_POLICY" {
			t.Errorf("describe-effective-policy %s answered %+v", target, out.EffectivePolicy)
		}
		var doc any
		if err := json.Unmarshal([]byte(out.EffectivePolicy.PolicyContent), &doc); err != nil {
			t.Fatalf("effective policy of %s: %q: %v", target, out.EffectivePolicy.PolicyContent, err)
		}
		return mustJSON(t, doc)
	}
	// Payments inherits Prod's @@append: the operators are gone and the values merged in order.
	if got, want := effectiveTags(paymentsAcct), `{"tags":{"costcenter":{"tag_key":"CostCenter","tag_value":["Development","Support","Marketing"]}}}`; got != want {
		t.Errorf("effective tag policy of the Payments account = %s\nwant %s", got, want)
	}
	if got, want := effectiveTags(mgmt), `{"tags":{"costcenter":{"tag_key":"CostCenter","tag_value":["Development","Support"]}}}`; got != want {
		t.Errorf("effective tag policy of the management account = %s\nwant %s", got, want)
	}

	// --- An invited account, moved to Security ---------------------------------------------------
	var inv struct {
		Handshake struct{ Id, State, Action string }
	}
	orgs(mgmt, &inv, "invite-account-to-organization", "--target", "Type=ACCOUNT,Id="+invited)
	if inv.Handshake.State != "OPEN" || inv.Handshake.Action != "INVITE" {
		t.Fatalf("invite-account-to-organization answered %+v", inv.Handshake)
	}
	var pending struct {
		Handshakes []struct{ Id, State string }
	}
	orgs(invited, &pending, "list-handshakes-for-account")
	if len(pending.Handshakes) != 1 || pending.Handshakes[0].Id != inv.Handshake.Id {
		t.Errorf("list-handshakes-for-account as %s = %+v, want the invitation %s", invited, pending.Handshakes, inv.Handshake.Id)
	}
	var accepted struct {
		Handshake struct{ Id, State string }
	}
	orgs(invited, &accepted, "accept-handshake", "--handshake-id", inv.Handshake.Id)
	if accepted.Handshake.Id != inv.Handshake.Id || accepted.Handshake.State != "ACCEPTED" {
		t.Errorf("accept-handshake answered %+v", accepted.Handshake)
	}
	var all struct{ Accounts []account }
	orgs(mgmt, &all, "list-accounts")
	byID := map[string]account{}
	for _, a := range all.Accounts {
		byID[a.Id] = a
	}
	if len(byID) != 3 {
		t.Errorf("list-accounts shows %d accounts, want 3: %+v", len(byID), all.Accounts)
	}
	if a := byID[invited]; a.JoinedMethod != "INVITED" || a.State != "ACTIVE" || !slices.Equal(a.Paths, []string{rootPath + invited + "/"}) {
		t.Errorf("list-accounts: invited account %+v, want INVITED, ACTIVE, under the root", a)
	}
	if a := byID[mgmt]; a.Email != "111111111111@example.com" || !slices.Equal(a.Paths, []string{rootPath + mgmt + "/"}) {
		t.Errorf("list-accounts: management account %+v", a)
	}
	if a := byID[paymentsAcct]; a.JoinedMethod != "CREATED" || !slices.Equal(a.Paths, []string{wantPath[payments.Id] + paymentsAcct + "/"}) {
		t.Errorf("list-accounts: created account %+v", a)
	}
	orgs(mgmt, nil, "move-account", "--account-id", invited, "--source-parent-id", root, "--destination-parent-id", security.Id)
	var desc struct{ Account account }
	orgs(mgmt, &desc, "describe-account", "--account-id", invited)
	if want := []string{wantPath[security.Id] + invited + "/"}; !slices.Equal(desc.Account.Paths, want) {
		t.Errorf("describe-account %s Paths = %q, want %q", invited, desc.Account.Paths, want)
	}
	if got := accountsOf(security.Id); len(got) != 1 || got[invited].Id != invited {
		t.Errorf("list-accounts-for-parent Security = %+v, want only %s", got, invited)
	}
	// The invited account only has the SCPs inherited from the root and its OU.
	if got := policiesFor(invited, "SERVICE_CONTROL_POLICY"); !slices.Equal(got, []string{"p-FullAWSAccess"}) {
		t.Errorf("SCPs of the invited account = %v, want [p-FullAWSAccess]", got)
	}
	// Security has no tag policy of its own: the root's alone applies.
	if got, want := effectiveTags(invited), `{"tags":{"costcenter":{"tag_key":"CostCenter","tag_value":["Development","Support"]}}}`; got != want {
		t.Errorf("effective tag policy of the invited account = %s\nwant %s", got, want)
	}

	// --- A delegated administrator ---------------------------------------------------------------
	// Before the registration, a member may not read the organization's accounts.
	expectCLIError(t, url, invited, "AccessDeniedException", "organizations", "list-accounts")
	const service = "config.amazonaws.com"
	orgs(mgmt, nil, "enable-aws-service-access", "--service-principal", service)
	var access struct {
		EnabledServicePrincipals []struct{ ServicePrincipal string }
	}
	orgs(mgmt, &access, "list-aws-service-access-for-organization")
	if len(access.EnabledServicePrincipals) != 1 || access.EnabledServicePrincipals[0].ServicePrincipal != service {
		t.Errorf("list-aws-service-access-for-organization = %+v, want %s", access.EnabledServicePrincipals, service)
	}
	orgs(mgmt, nil, "register-delegated-administrator", "--account-id", invited, "--service-principal", service)
	var admins struct {
		DelegatedAdministrators []struct{ Id, Name, Email, JoinedMethod string }
	}
	orgs(mgmt, &admins, "list-delegated-administrators")
	if len(admins.DelegatedAdministrators) != 1 || admins.DelegatedAdministrators[0].Id != invited ||
		admins.DelegatedAdministrators[0].JoinedMethod != "INVITED" {
		t.Errorf("list-delegated-administrators = %+v, want %s", admins.DelegatedAdministrators, invited)
	}
	orgs(mgmt, &admins, "list-delegated-administrators", "--service-principal", service)
	if len(admins.DelegatedAdministrators) != 1 || admins.DelegatedAdministrators[0].Id != invited {
		t.Errorf("list-delegated-administrators --service-principal %s = %+v", service, admins.DelegatedAdministrators)
	}
	var services struct {
		DelegatedServices []struct{ ServicePrincipal string }
	}
	orgs(mgmt, &services, "list-delegated-services-for-account", "--account-id", invited)
	if len(services.DelegatedServices) != 1 || services.DelegatedServices[0].ServicePrincipal != service {
		t.Errorf("list-delegated-services-for-account %s = %+v, want %s", invited, services.DelegatedServices, service)
	}
	// The delegated administrator may now list the accounts; the created member still may not.
	var daAccounts struct{ Accounts []account }
	orgs(invited, &daAccounts, "list-accounts")
	if len(daAccounts.Accounts) != 3 {
		t.Errorf("list-accounts as the delegated administrator shows %d accounts, want 3", len(daAccounts.Accounts))
	}
	expectCLIError(t, url, paymentsAcct, "AccessDeniedException", "organizations", "list-accounts")

	// --- Tags on an OU -------------------------------------------------------------------------
	orgs(mgmt, nil, "tag-resource", "--resource-id", prod.Id, "--tags", "Key=Environment,Value=Production", "Key=CostCenter,Value=Support")
	var tags struct{ Tags []struct{ Key, Value string } }
	orgs(mgmt, &tags, "list-tags-for-resource", "--resource-id", prod.Id)
	gotTags := map[string]string{}
	for _, tg := range tags.Tags {
		gotTags[tg.Key] = tg.Value
	}
	if len(gotTags) != 2 || gotTags["Environment"] != "Production" || gotTags["CostCenter"] != "Support" {
		t.Errorf("list-tags-for-resource Prod = %+v", tags.Tags)
	}
	orgs(mgmt, nil, "untag-resource", "--resource-id", prod.Id, "--tag-keys", "CostCenter")
	tags.Tags = nil
	orgs(mgmt, &tags, "list-tags-for-resource", "--resource-id", prod.Id)
	if len(tags.Tags) != 1 || tags.Tags[0].Key != "Environment" {
		t.Errorf("list-tags-for-resource Prod after untag-resource = %+v", tags.Tags)
	}
	// Other OUs carry no tags.
	tags.Tags = nil
	orgs(mgmt, &tags, "list-tags-for-resource", "--resource-id", payments.Id)
	if len(tags.Tags) != 0 {
		t.Errorf("list-tags-for-resource Payments = %+v, want none", tags.Tags)
	}
}

func sorted(s ...string) []string {
	slices.Sort(s)
	return s
}
