package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"
)

// The deny-region guardrail of AWS's SCP examples
// (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_examples_general.html).
const cliDenyRegion = `{"Version":"2012-10-17","Statement":[{"Sid":"DenyOutsideEU","Effect":"Deny",
  "NotAction":["iam:*","organizations:*","sts:*","support:*"],"Resource":"*",
  "Condition":{"StringNotEquals":{"aws:RequestedRegion":["eu-west-1"]}}}]}`

// TestSimulateAndImpactCommands: orgd simulate and orgd impact against a served orgd, with
// flags, an input file that flags override, both outputs, and errors that name the field.
func TestSimulateAndImpactCommands(t *testing.T) {
	url := startOrgd(t, "--db", "memory")
	const mgmt, member = "710000000001", "710000000002"
	c := client(url, mgmt)
	ctx := t.Context()
	if _, err := c.CreateOrganization(ctx, &organizations.CreateOrganizationInput{}); err != nil {
		t.Fatal(err)
	}
	roots, err := c.ListRoots(ctx, &organizations.ListRootsInput{})
	if err != nil {
		t.Fatal(err)
	}
	root := aws.ToString(roots.Roots[0].Id)
	if _, err := c.EnablePolicyType(ctx, &organizations.EnablePolicyTypeInput{RootId: &root, PolicyType: types.PolicyTypeServiceControlPolicy}); err != nil {
		t.Fatal(err)
	}
	ou, err := c.CreateOrganizationalUnit(ctx, &organizations.CreateOrganizationalUnitInput{ParentId: &root, Name: aws.String("Sandbox")})
	if err != nil {
		t.Fatal(err)
	}
	sandbox := aws.ToString(ou.OrganizationalUnit.Id)
	h, err := c.InviteAccountToOrganization(ctx, &organizations.InviteAccountToOrganizationInput{Target: &types.HandshakeParty{Type: types.HandshakePartyTypeAccount, Id: aws.String(member)}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client(url, member).AcceptHandshake(ctx, &organizations.AcceptHandshakeInput{HandshakeId: h.Handshake.Id}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.MoveAccount(ctx, &organizations.MoveAccountInput{AccountId: aws.String(member), SourceParentId: &root, DestinationParentId: &sandbox}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	region := write("eu-only.json", cliDenyRegion)
	full := write("full.json", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)

	// simulate: the proposed levels given as flags, the region fixed by --context.
	out := run(t, url, "simulate", "--caller", "arn:aws:iam::"+member+":root", "--action", "ec2:RunInstances", "--action", "iam:CreateUser",
		"--scp", root+"="+full, "--scp", sandbox+"="+full, "--scp", sandbox+"="+region, "--context", "aws:RequestedRegion=ap-south-1", "--output", "table")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "ACTION") ||
		!strings.Contains(lines[1], "ec2:RunInstances") || !strings.Contains(lines[1], "explicitDeny") || !strings.Contains(lines[1], "#DenyOutsideEU") ||
		!strings.Contains(lines[2], "iam:CreateUser") || !strings.Contains(lines[2], "allowed") {
		t.Errorf("simulate --output table:\n%s", out)
	}
	// --input holds the request; the flags win over it.
	input := write("sim.json", `{"CallerArn":"arn:aws:iam::`+mgmt+`:root","ActionNames":["s3:GetObject"],
		"ContextEntries":[{"ContextKeyName":"aws:RequestedRegion","ContextKeyValues":["eu-west-1"]}]}`)
	out = run(t, url, "simulate", "--input", input, "--caller", "arn:aws:iam::"+member+":user/alice", "--policy", full)
	var sim struct {
		EvaluationResults []struct{ EvalActionName, EvalDecision string }
	}
	if err := json.Unmarshal([]byte(out), &sim); err != nil || len(sim.EvaluationResults) != 1 ||
		sim.EvaluationResults[0].EvalActionName != "s3:GetObject" || sim.EvaluationResults[0].EvalDecision != "allowed" {
		t.Errorf("simulate --input: %v\n%s", err, out)
	}

	// impact: the guardrail proposed for the sandbox, as a table and as JSON.
	out = run(t, url, "impact", "--attach", region+"="+sandbox, "--output", "table")
	if !strings.Contains(out, "1 of 1 accounts affected") || !strings.Contains(out, sandbox+"/") || !strings.Contains(out, member) || strings.Contains(out, mgmt) {
		t.Errorf("impact --output table:\n%s", out)
	}
	out = run(t, url, "impact", "--attach", region+"="+sandbox, "--context", "aws:RequestedRegion=eu-west-1", "--detail", "summary")
	var imp struct {
		OrganizationalUnits []any
		ActionsEvaluated    int
	}
	if err := json.Unmarshal([]byte(out), &imp); err != nil || len(imp.OrganizationalUnits) != 0 || imp.ActionsEvaluated == 0 {
		t.Errorf("impact in eu-west-1: %v\n%s", err, out)
	}

	// Errors name the field; bad flags are refused before any request.
	m := NewMain()
	m.Stdout, m.Stderr = &bytes.Buffer{}, &bytes.Buffer{}
	err = m.Run(ctx, []string{"impact", "--endpoint", url, "--detach", "p-FullAWSAccess=" + sandbox})
	if err == nil || !strings.Contains(err.Error(), "Changes[0].Detach") {
		t.Errorf("impact --detach of the last SCP: %v", err)
	}
	err = m.Run(ctx, []string{"simulate", "--endpoint", url, "--caller", "bob", "--action", "s3:GetObject"})
	if err == nil || !strings.Contains(err.Error(), "CallerArn") {
		t.Errorf("simulate --caller bob: %v", err)
	}
	for _, args := range [][]string{
		{"simulate", "--context", "novalue"},
		{"simulate", "--output", "yaml"},
		{"simulate", "--scp", "r-ab12"},
		{"impact", "--move", "710000000002"},
		{"impact", "extra"},
	} {
		if err := m.Run(ctx, append(args, "--endpoint", url)); err == nil {
			t.Errorf("orgd %s succeeded", strings.Join(args, " "))
		}
	}
}
