package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"
)

const landingZone = "../../examples/landing-zone.yaml"

// checkLandingZone checks, through the SDK as the management account, the organization that
// examples/landing-zone.yaml describes: the OU tree with the accounts in it (ids kept), tags,
// the SCPs and the tag policy where they are attached, the effective tag policy, the
// delegated administrator and the standalone account.
func checkLandingZone(t *testing.T, url string) {
	t.Helper()
	ctx := context.Background()
	c := client(url, "123456789012")
	roots, err := c.ListRoots(ctx, &organizations.ListRootsInput{})
	if err != nil {
		t.Fatal(err)
	}
	root := aws.ToString(roots.Roots[0].Id)
	if got := enabledTypes(roots.Roots[0]); got != "SERVICE_CONTROL_POLICY TAG_POLICY" {
		t.Errorf("enabled policy types %s", got)
	}
	// The tree: OU path → the accounts directly in it.
	tree := map[string][]string{}
	var walk func(parent, path string)
	walk = func(parent, path string) {
		accts, err := c.ListAccountsForParent(ctx, &organizations.ListAccountsForParentInput{ParentId: aws.String(parent)})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range accts.Accounts {
			tree[path] = append(tree[path], aws.ToString(a.Id)+" "+aws.ToString(a.Name)+" "+string(a.JoinedMethod))
		}
		ous, err := c.ListOrganizationalUnitsForParent(ctx, &organizations.ListOrganizationalUnitsForParentInput{ParentId: aws.String(parent)})
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range ous.OrganizationalUnits {
			p := strings.TrimPrefix(path+"/"+aws.ToString(u.Name), "/")
			tree[p] = nil // an empty OU is in the tree too
			walk(aws.ToString(u.Id), p)
		}
	}
	walk(root, "")
	want := map[string][]string{
		"":               {"123456789012 Management INVITED"},
		"Security":       {"111111111111 Log Archive CREATED", "222222222222 Audit CREATED"},
		"Infrastructure": {"333333333333 Network CREATED"},
		"Workloads":      nil,
		"Workloads/Prod": {"444444444444 App Prod CREATED"},
		"Workloads/Dev":  {"555555555555 App Dev CREATED"},
		"Sandbox":        {"666666666666 Sandbox INVITED"},
		"Suspended":      nil,
	}
	if len(tree) != len(want) {
		t.Errorf("OUs %v, want %v", tree, want)
	}
	for path, accts := range want {
		if got, ok := tree[path]; !ok || !slices.Equal(got, accts) {
			t.Errorf("%q holds %v, want %v", path, got, accts)
		}
	}
	tags, err := c.ListTagsForResource(ctx, &organizations.ListTagsForResourceInput{ResourceId: aws.String("444444444444")})
	if err != nil || len(tags.Tags) != 2 || aws.ToString(tags.Tags[0].Key) != "CostCenter" || aws.ToString(tags.Tags[1].Value) != "prod" {
		t.Errorf("tags of App Prod: %+v, %v", tags, err)
	}
	// The SCPs that apply to App Prod: FullAWSAccess and the deny-leave on the root, the
	// region SCP on Workloads.
	attached := func(target string) []string {
		out, err := c.ListPoliciesForTarget(ctx, &organizations.ListPoliciesForTargetInput{TargetId: aws.String(target), Filter: types.PolicyTypeServiceControlPolicy})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, p := range out.Policies {
			names = append(names, aws.ToString(p.Name))
		}
		slices.Sort(names)
		return names
	}
	if got := attached(root); !slices.Equal(got, []string{"DenyLeaveOrganization", "FullAWSAccess"}) {
		t.Errorf("SCPs on the root: %v", got)
	}
	ous, _ := c.ListOrganizationalUnitsForParent(ctx, &organizations.ListOrganizationalUnitsForParentInput{ParentId: aws.String(root)})
	for _, u := range ous.OrganizationalUnits {
		want := []string{"FullAWSAccess"}
		if n := aws.ToString(u.Name); n == "Workloads" || n == "Sandbox" {
			want = []string{"DenyOutsideAllowedRegions", "FullAWSAccess"}
		}
		if got := attached(aws.ToString(u.Id)); !slices.Equal(got, want) {
			t.Errorf("SCPs on %s: %v, want %v", aws.ToString(u.Name), got, want)
		}
	}
	eff, err := c.DescribeEffectivePolicy(ctx, &organizations.DescribeEffectivePolicyInput{PolicyType: types.EffectivePolicyTypeTagPolicy, TargetId: aws.String("444444444444")})
	if err != nil || !strings.Contains(aws.ToString(eff.EffectivePolicy.PolicyContent), `"tag_key":"CostCenter","tag_value":["100","200","300"]`) {
		t.Errorf("effective tag policy of App Prod: %s, %v", aws.ToString(eff.EffectivePolicy.PolicyContent), err)
	}
	admins, err := c.ListDelegatedAdministrators(ctx, &organizations.ListDelegatedAdministratorsInput{ServicePrincipal: aws.String("guardduty.amazonaws.com")})
	if err != nil || len(admins.DelegatedAdministrators) != 1 || aws.ToString(admins.DelegatedAdministrators[0].Id) != "222222222222" {
		t.Errorf("delegated administrators of GuardDuty: %+v, %v", admins, err)
	}
	// The standalone account is in no organization: it can create one of its own.
	_, err = client(url, "999999999999").DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
	requireCode(t, err, "AWSOrganizationsNotInUseException")
}

func enabledTypes(r types.Root) string {
	var out []string
	for _, p := range r.PolicyTypes {
		if p.Status == types.PolicyTypeStatusEnabled {
			out = append(out, string(p.Type))
		}
	}
	slices.Sort(out)
	return strings.Join(out, " ")
}

// orgd serve --bootstrap builds the example landing zone at start, and every reset
// (moto's /moto-api/reset, sent as moto-era suites send it) returns to it.
func TestServeBootstrapsTheExampleLandingZone(t *testing.T) {
	url := startOrgd(t, "--db", "memory", "--bootstrap", landingZone)
	checkLandingZone(t, url)
	c := client(url, "123456789012")
	ctx := context.Background()
	before := run(t, url, "export")
	if _, err := c.CreateOrganizationalUnit(ctx, &organizations.CreateOrganizationalUnitInput{ParentId: rootOf(t, c), Name: aws.String("Extra")}); err != nil {
		t.Fatal(err)
	}
	run(t, url, "clock", "--advance", "48h")
	for range 2 {
		resp, err := http.Post(url+"/moto-api/reset", "", nil)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("reset: %v %v", resp, err)
		}
		resp.Body.Close()
		checkLandingZone(t, url) // which finds no OU Extra
		// The same organization, not another one like it: the same ids (and times) after
		// every reset, the clock's offset gone.
		if after := run(t, url, "export"); after != before {
			t.Fatalf("export after a reset differs from the one after the bootstrap at start:\n%s", firstLineDiff(before, after))
		}
	}

	// A snapshot restores over the bootstrap: reset --empty leaves the store empty for the
	// import, which a bootstrapped store would refuse.
	saved := run(t, url, "export")
	run(t, url, "reset", "--empty", "--yes")
	if got := run(t, url, "export"); strings.Contains(got, `"id": "o-`) {
		t.Fatalf("reset --empty left an organization:\n%s", got)
	}
	file := filepath.Join(t.TempDir(), "lz.json")
	if err := os.WriteFile(file, []byte(saved), 0o600); err != nil {
		t.Fatal(err)
	}
	run(t, url, "import", file)
	if got := run(t, url, "export"); got != saved {
		t.Errorf("export after reset --empty and import differs from the one before:\n%s\nwant:\n%s", got, saved)
	}
	checkLandingZone(t, url)
}

func rootOf(t *testing.T, c *organizations.Client) *string {
	t.Helper()
	roots, err := c.ListRoots(context.Background(), &organizations.ListRootsInput{})
	if err != nil {
		t.Fatal(err)
	}
	return roots.Roots[0].Id
}

// ORGD_BOOTSTRAP works as --bootstrap; a store that holds accounts is left alone, and the
// log says so; `orgd bootstrap FILE` refuses it too.
func TestServeBootstrapLeavesAPopulatedStoreAlone(t *testing.T) {
	db := filepath.Join(t.TempDir(), "orgd.db")
	abs, err := filepath.Abs(landingZone)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("ORGD_BOOTSTRAP", abs)
	url, _, stop := serveOrgdLogs(t, "--listen", "127.0.0.1:0", "--db", db)
	c := client(url, "123456789012")
	if _, err := c.CreateOrganizationalUnit(context.Background(), &organizations.CreateOrganizationalUnitInput{ParentId: rootOf(t, c), Name: aws.String("Kept")}); err != nil {
		t.Fatal(err)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	url, logs, _ := serveOrgdLogs(t, "--listen", "127.0.0.1:0", "--db", db)
	if !strings.Contains(logs.String(), "the store holds accounts already: the bootstrap file is not applied") {
		t.Errorf("log:\n%s", logs)
	}
	c = client(url, "123456789012")
	ous, err := c.ListOrganizationalUnitsForParent(context.Background(),
		&organizations.ListOrganizationalUnitsForParentInput{ParentId: rootOf(t, c)})
	if err != nil || len(ous.OrganizationalUnits) != 6 {
		t.Errorf("OUs under the root: %+v, %v", ous, err)
	}
	m := NewMain()
	m.Stdout, m.Stderr = &bytes.Buffer{}, &bytes.Buffer{}
	err = m.Run(context.Background(), []string{"bootstrap", "--endpoint", url, landingZone})
	if err == nil || !strings.Contains(err.Error(), "ConflictException") {
		t.Errorf("orgd bootstrap on a populated store: %v", err)
	}
	// Started on a populated store, orgd builds the file at the first reset, and every later
	// reset returns to that same state (on an SQLite file here).
	run(t, url, "reset")
	first := run(t, url, "export")
	if strings.Contains(first, `"name": "Kept"`) || !strings.Contains(first, `"name": "Sandbox"`) {
		t.Fatalf("after the first reset the state is not the bootstrap file's:\n%s", first)
	}
	run(t, url, "reset")
	if again := run(t, url, "export"); again != first {
		t.Errorf("the second reset's state differs from the first's:\n%s", firstLineDiff(first, again))
	}
}

// orgd bootstrap FILE builds the file in a running orgd's empty store, policies' files
// included; serve refuses to start on an invalid file, naming its line.
func TestBootstrapCommand(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "lz.yaml")
	os.MkdirAll(filepath.Join(dir, "scp"), 0o755)
	os.WriteFile(filepath.Join(dir, "scp", "deny.json"), []byte(`{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"s3:*","Resource":"*"}}`), 0o644)
	os.WriteFile(file, []byte("management: {id: \"123456789012\", email: m@example.com, name: M}\nenabledPolicyTypes: [SERVICE_CONTROL_POLICY]\n"+
		"policies:\n  - {name: DenyS3, type: SERVICE_CONTROL_POLICY, file: scp/deny.json, attachments: [/]}\n"), 0o644)
	url := startOrgd(t, "--db", "memory")
	m := NewMain()
	m.Stdout, m.Stderr = &bytes.Buffer{}, &bytes.Buffer{}
	if err := m.Run(context.Background(), []string{"bootstrap", "--endpoint", url, file}); err != nil {
		t.Fatal(err)
	}
	c := client(url, "123456789012")
	out, err := c.ListPoliciesForTarget(context.Background(), &organizations.ListPoliciesForTargetInput{TargetId: rootOf(t, c), Filter: types.PolicyTypeServiceControlPolicy})
	if err != nil || len(out.Policies) != 2 {
		t.Errorf("SCPs on the root: %+v, %v", out, err)
	}

	os.WriteFile(file, []byte("management: {id: \"123456789012\", email: m@example.com, name: M}\norganizationalUnits:\n  - name: A\n  - name: A\n"), 0o644)
	m = NewMain()
	m.Stdout, m.Stderr = &bytes.Buffer{}, &bytes.Buffer{}
	err = m.Run(context.Background(), []string{"serve", "--db", "memory", "--listen", "127.0.0.1:0", "--bootstrap", file})
	if err == nil || !strings.Contains(err.Error(), file+":4: CreateOrganizationalUnit A: DuplicateOrganizationalUnitException") {
		t.Errorf("serve with an invalid bootstrap file: %v", err)
	}
	m.Close()
}
