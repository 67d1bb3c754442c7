package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/orgd/orgd/internal/apitest"
)

// terraformMirror is the directory that holds a filesystem mirror of the hashicorp/aws
// provider (its registry.terraform.io directory's parent): Terraform cannot download it on
// this project's machines, so the test points a CLI configuration of its own at the
// mirror. $ORGD_TERRAFORM_MIRROR names it, else the first /opt/*/ that has one.
func terraformMirror() string {
	if dir := os.Getenv("ORGD_TERRAFORM_MIRROR"); dir != "" {
		return dir
	}
	found, _ := filepath.Glob("/opt/*/registry.terraform.io/hashicorp/aws")
	if len(found) == 0 {
		return ""
	}
	return filepath.Dir(filepath.Dir(filepath.Dir(found[0])))
}

// terraformConfig is the organization a landing-zone module typically starts with. The
// provider keeps its checks: it validates the credentials and asks STS for the account id
// (no skip_credentials_validation, no skip_requesting_account_id), which orgd answers.
const terraformConfig = `
terraform {
  required_providers {
    aws = { source = "hashicorp/aws" }
  }
}

variable "endpoint" { type = string }

provider "aws" {
  region                  = "us-east-1"
  access_key              = "AKIAMANAGEMENT000001"
  secret_key              = "management-secret"
  skip_metadata_api_check = true
  endpoints {
    organizations = var.endpoint
    sts           = var.endpoint
  }
}

data "aws_caller_identity" "me" {}

resource "aws_organizations_organization" "org" {
  feature_set          = "ALL"
  enabled_policy_types = ["SERVICE_CONTROL_POLICY"]
}

resource "aws_organizations_organizational_unit" "workloads" {
  name      = "Workloads"
  parent_id = aws_organizations_organization.org.roots[0].id
}

resource "aws_organizations_account" "dev" {
  name              = "dev"
  email             = "dev@example.com"
  parent_id         = aws_organizations_organizational_unit.workloads.id
  close_on_deletion = true
  tags              = { team = "platform" }
}

resource "aws_organizations_policy" "deny_leave" {
  # A policy needs the organization (Terraform cannot see that from the arguments).
  depends_on = [aws_organizations_organization.org]
  name       = "DenyLeave"
  content = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Deny", Action = "organizations:LeaveOrganization", Resource = "*" }]
  })
}

resource "aws_organizations_policy_attachment" "workloads" {
  policy_id = aws_organizations_policy.deny_leave.id
  target_id = aws_organizations_organizational_unit.workloads.id
}

output "account_id" { value = data.aws_caller_identity.me.account_id }
output "caller_arn" { value = data.aws_caller_identity.me.arn }
output "dev_id"     { value = aws_organizations_account.dev.id }
`

// TestTerraformAppliesAnOrganization runs Terraform's AWS provider against orgd with
// signatures verified: apply, a plan that finds nothing to change, and destroy.
func TestTerraformAppliesAnOrganization(t *testing.T) {
	tf, err := exec.LookPath("terraform")
	if err != nil {
		t.Skip("SKIPPED: terraform is not on the PATH")
	}
	mirror := terraformMirror()
	if _, err := os.Stat(filepath.Join(mirror, "registry.terraform.io", "hashicorp", "aws")); mirror == "" || err != nil {
		t.Skip("SKIPPED: no filesystem mirror of the hashicorp/aws provider (set ORGD_TERRAFORM_MIRROR)")
	}
	dir := t.TempDir()
	creds := filepath.Join(dir, "credentials.json")
	writeFile(t, creds, `{"Credentials": [{"AccessKeyId": "AKIAMANAGEMENT000001", "SecretAccessKey": "management-secret",
		"AccountId": "111111111111", "UserName": "terraform"}]}`)
	url := startOrgd(t, "--db", filepath.Join(dir, "orgd.db"), "--credentials", creds)

	work := filepath.Join(dir, "tf")
	writeFile(t, filepath.Join(work, "main.tf"), terraformConfig)
	cliConfig := filepath.Join(dir, "terraformrc")
	writeFile(t, cliConfig, fmt.Sprintf(`provider_installation {
  filesystem_mirror {
    path    = %q
    include = ["registry.terraform.io/hashicorp/aws"]
  }
  direct {
    exclude = ["registry.terraform.io/hashicorp/aws"]
  }
}
`, mirror))
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(tf, args...)
		cmd.Dir = work
		cmd.Env = append(os.Environ(), "TF_CLI_CONFIG_FILE="+cliConfig, "TF_IN_AUTOMATION=1",
			"TF_VAR_endpoint="+url, "CHECKPOINT_DISABLE=1", "AWS_CONFIG_FILE=/dev/null",
			"AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_EC2_METADATA_DISABLED=true",
			"TF_DATA_DIR="+filepath.Join(dir, "tfdata"))
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("terraform %s: %v\n%s\n%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
		}
		return stdout.String()
	}
	run("init", "-input=false", "-no-color")
	run("apply", "-input=false", "-no-color", "-auto-approve")

	var outputs map[string]struct{ Value string }
	if err := json.Unmarshal([]byte(run("output", "-json")), &outputs); err != nil {
		t.Fatal(err)
	}
	if got := outputs["account_id"].Value; got != "111111111111" {
		t.Errorf("aws_caller_identity account_id = %q, want 111111111111", got)
	}
	if got := outputs["caller_arn"].Value; got != "arn:aws:iam::111111111111:user/terraform" {
		t.Errorf("aws_caller_identity arn = %q", got)
	}

	// What Terraform built, as another client sees it.
	c := verifiedClient(url, "AKIAMANAGEMENT000001", "management-secret")
	ctx := context.Background()
	dev := outputs["dev_id"].Value
	acct, err := c.DescribeAccount(ctx, &organizations.DescribeAccountInput{AccountId: &dev})
	if err != nil {
		t.Fatal(err)
	}
	if *acct.Account.Name != "dev" || *acct.Account.Email != "dev@example.com" || acct.Account.State != types.AccountStateActive {
		t.Errorf("the account Terraform created: %+v", acct.Account)
	}
	parents, err := c.ListParents(ctx, &organizations.ListParentsInput{ChildId: &dev})
	if err != nil {
		t.Fatal(err)
	}
	if len(parents.Parents) != 1 || parents.Parents[0].Type != types.ParentTypeOrganizationalUnit {
		t.Fatalf("parents of %s: %+v, want the Workloads OU", dev, parents.Parents)
	}
	policies, err := c.ListPoliciesForTarget(ctx, &organizations.ListPoliciesForTargetInput{
		TargetId: parents.Parents[0].Id, Filter: types.PolicyTypeServiceControlPolicy})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range policies.Policies {
		names = append(names, *p.Name)
	}
	slices.Sort(names)
	if strings.Join(names, ",") != "DenyLeave,FullAWSAccess" {
		t.Errorf("SCPs on the OU: %v, want DenyLeave and FullAWSAccess", names)
	}

	// A second plan finds orgd's answers equal to what Terraform wrote: no drift.
	if out := run("plan", "-input=false", "-no-color", "-detailed-exitcode"); !strings.Contains(out, "No changes") {
		t.Errorf("plan after apply wants changes:\n%s", out)
	}
	// Destroying the account closes it (close_on_deletion). The organization itself cannot
	// be destroyed while the closed account is a member, as on AWS.
	run("destroy", "-input=false", "-no-color", "-auto-approve", "-target=aws_organizations_account.dev")
	acct, err = c.DescribeAccount(ctx, &organizations.DescribeAccountInput{AccountId: &dev})
	if err != nil {
		t.Fatal(err)
	}
	if acct.Account.State != types.AccountStateSuspended {
		t.Errorf("after destroy the account is %s, want SUSPENDED (closed)", acct.Account.State)
	}
}

// verifiedClient is an Organizations client of the orgd at url signing with a key and its
// secret.
func verifiedClient(url, accessKey, secret string) *organizations.Client {
	return organizations.New(organizations.Options{
		BaseEndpoint: aws.String(url), Region: "us-east-1", RetryMaxAttempts: 1,
		HTTPClient: apitest.HTTPClient(),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: accessKey, SecretAccessKey: secret}, nil
		}),
	})
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
