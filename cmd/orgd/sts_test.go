package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/orgd/orgd/internal/testenv"
)

// awsCLIWith runs the aws CLI against orgd with the given credentials (a session token
// when token is not "") and returns what it printed, and its error output on failure.
func awsCLIWith(t *testing.T, endpoint, key, secret, token string, args ...string) ([]byte, error) {
	t.Helper()
	cmd := exec.Command("aws", append([]string{"--endpoint-url", endpoint, "--output", "json"}, args...)...)
	cmd.Env = append(os.Environ(),
		"AWS_ACCESS_KEY_ID="+key, "AWS_SECRET_ACCESS_KEY="+secret, "AWS_SESSION_TOKEN="+token, "AWS_DEFAULT_REGION=us-east-1",
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_EC2_METADATA_DISABLED=true",
		"AWS_PAGER=")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("aws %s: %v: %s", strings.Join(args, " "), err, stderr.String())
	}
	return out, nil
}

func decodeJSON(t *testing.T, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
}

// TestAssumeRoleWithAWSCLI is issue 11's landing-zone path with the aws CLI: the
// management account assumes OrganizationAccountAccessRole in an account it created, and
// the role's credentials act in that account: here, once the account has left, they accept
// another organization's invitation. Past its expiry on the server's clock the session is
// refused.
func TestAssumeRoleWithAWSCLI(t *testing.T) {
	requireAWSCLI(t)
	url := startOrgd(t, "--db", "memory")
	var who struct{ Account, Arn, UserId string }
	decodeJSON(t, awsCLI(t, url, "111111111111", "sts", "get-caller-identity"), &who)
	if who.Account != "111111111111" || who.Arn != "arn:aws:iam::111111111111:root" || who.UserId != "111111111111" {
		t.Fatalf("get-caller-identity: %+v", who)
	}
	awsCLI(t, url, "111111111111", "organizations", "create-organization")
	var created struct {
		CreateAccountStatus struct{ Id, AccountId string }
	}
	decodeJSON(t, awsCLI(t, url, "111111111111", "organizations", "create-account", "--email", "member@example.org", "--account-name", "member"), &created)
	decodeJSON(t, awsCLI(t, url, "111111111111", "organizations", "describe-create-account-status",
		"--create-account-request-id", created.CreateAccountStatus.Id), &created)
	member := created.CreateAccountStatus.AccountId

	// A created account may leave once AWS's waiting period is over.
	m := NewMain()
	m.Stdout = &bytes.Buffer{}
	if err := m.Run(context.Background(), []string{"clock", "--endpoint", url, "--advance", "97h"}); err != nil {
		t.Fatal(err)
	}
	awsCLI(t, url, "111111111111", "organizations", "remove-account-from-organization", "--account-id", member)
	awsCLI(t, url, "222222222222", "organizations", "create-organization")
	var invite struct{ Handshake struct{ Id string } }
	decodeJSON(t, awsCLI(t, url, "222222222222", "organizations", "invite-account-to-organization",
		"--target", "Id="+member+",Type=ACCOUNT"), &invite)

	var assumed struct {
		Credentials     struct{ AccessKeyId, SecretAccessKey, SessionToken, Expiration string }
		AssumedRoleUser struct{ AssumedRoleId, Arn string }
	}
	decodeJSON(t, awsCLI(t, url, "111111111111", "sts", "assume-role", "--role-arn",
		"arn:aws:iam::"+member+":role/OrganizationAccountAccessRole", "--role-session-name", "landing-zone"), &assumed)
	c := assumed.Credentials
	if want := "arn:aws:sts::" + member + ":assumed-role/OrganizationAccountAccessRole/landing-zone"; assumed.AssumedRoleUser.Arn != want {
		t.Fatalf("assume-role: %+v, want %s", assumed.AssumedRoleUser, want)
	}
	out, err := awsCLIWith(t, url, c.AccessKeyId, c.SecretAccessKey, c.SessionToken, "sts", "get-caller-identity")
	if err != nil {
		t.Fatal(err)
	}
	decodeJSON(t, out, &who)
	if who.Account != member || who.Arn != assumed.AssumedRoleUser.Arn {
		t.Fatalf("get-caller-identity as the role: %+v", who)
	}
	var accepted struct{ Handshake struct{ State string } }
	out, err = awsCLIWith(t, url, c.AccessKeyId, c.SecretAccessKey, c.SessionToken, "organizations", "accept-handshake", "--handshake-id", invite.Handshake.Id)
	if err != nil {
		t.Fatal(err)
	}
	decodeJSON(t, out, &accepted)
	if accepted.Handshake.State != "ACCEPTED" {
		t.Fatalf("accept-handshake: %s", out)
	}
	var org struct {
		Organization struct{ MasterAccountId string }
	}
	out, err = awsCLIWith(t, url, c.AccessKeyId, c.SecretAccessKey, c.SessionToken, "organizations", "describe-organization")
	if err != nil {
		t.Fatal(err)
	}
	if decodeJSON(t, out, &org); org.Organization.MasterAccountId != "222222222222" {
		t.Errorf("the member now belongs to %s", org.Organization.MasterAccountId)
	}

	if err := m.Run(context.Background(), []string{"clock", "--endpoint", url, "--advance", "1h"}); err != nil {
		t.Fatal(err)
	}
	_, err = awsCLIWith(t, url, c.AccessKeyId, c.SecretAccessKey, c.SessionToken, "sts", "get-caller-identity")
	if err == nil || !strings.Contains(err.Error(), "(ExpiredToken)") {
		t.Errorf("an expired session: %v, want ExpiredToken", err)
	}
	_, err = awsCLIWith(t, url, c.AccessKeyId, c.SecretAccessKey, c.SessionToken, "organizations", "describe-organization")
	if err == nil || !strings.Contains(err.Error(), "(ExpiredTokenException)") {
		t.Errorf("an expired session: %v, want ExpiredTokenException", err)
	}
}

// TestSTSWithBoto3 runs boto3's sts client once: a declared role (orgd roles add) assumed
// by the account it trusts, GetCallerIdentity with its credentials, and AccessDenied with
// AWS's text for an account it does not trust.
func TestSTSWithBoto3(t *testing.T) {
	err := exec.Command("python3", "-c", "import boto3").Run()
	testenv.Require(t, fmt.Sprintf("python3 with boto3 (%v)", err), err == nil)
	url := startOrgd(t, "--db", "memory")
	m := NewMain()
	m.Stdout = &bytes.Buffer{}
	if err := m.Run(context.Background(), []string{"roles", "add", "--endpoint", url, "--account", "222222222222",
		"--name", "Deploy", "--trust", "111111111111", "--max-session-duration", "7200"}); err != nil {
		t.Fatal(err)
	}
	list := &bytes.Buffer{}
	m.Stdout = list
	if err := m.Run(context.Background(), []string{"roles", "--endpoint", url, "--account", "222222222222"}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(list.String(), `"RoleName": "Deploy"`) {
		t.Fatalf("orgd roles: %s", list)
	}
	script := `
import sys, boto3, botocore
url = sys.argv[1]
def client(key, secret="s", token=None):
    return boto3.client("sts", endpoint_url=url, region_name="us-east-1", aws_access_key_id=key,
                        aws_secret_access_key=secret, aws_session_token=token)
out = client("111111111111").assume_role(RoleArn="arn:aws:iam::222222222222:role/Deploy",
                                         RoleSessionName="ci", DurationSeconds=7200)
c = out["Credentials"]
who = client(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"]).get_caller_identity()
print(who["Arn"])
try:
    client("333333333333").assume_role(RoleArn="arn:aws:iam::222222222222:role/Deploy", RoleSessionName="x1")
except botocore.exceptions.ClientError as e:
    print(e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"], e.response["Error"]["Message"])
`
	cmd := exec.Command("python3", "-c", script, url)
	cmd.Env = append(os.Environ(), "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_EC2_METADATA_DISABLED=true")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("boto3: %v\n%s", err, out)
	}
	want := "arn:aws:sts::222222222222:assumed-role/Deploy/ci\n" +
		"AccessDenied 403 User: arn:aws:iam::333333333333:root is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::222222222222:role/Deploy\n"
	if string(out) != want {
		t.Errorf("boto3 printed\n%s\nwant\n%s", out, want)
	}
}
