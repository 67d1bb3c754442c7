package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/orgd/orgd/internal/testenv"
)

// TestMotoEraSuite is issue 10's end-to-end check of the moto profile: a suite written the
// way moto's users write them (testdata/moto_era_suite.py: boto3, 30 accounts whose ids are
// read from CreateAccount's answer without polling, lists compared in insertion order over
// pages) passes against `orgd serve --compat moto`, run as a process of its own. Without
// python3 and boto3 it is skipped, except under CI=true, where it fails.
func TestMotoEraSuite(t *testing.T) {
	err := exec.Command("python3", "-c", "import boto3").Run()
	testenv.Require(t, fmt.Sprintf("python3 with boto3 (%v)", err), err == nil)
	_, url, _ := startChild(t, "--db", "memory", "--compat", "moto")
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "python3", "testdata/moto_era_suite.py")
	cmd.Env = append(os.Environ(), "ORGD_ENDPOINT="+url,
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_EC2_METADATA_DISABLED=true")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("the moto-era suite failed against orgd serve --compat moto: %v\n%s", err, out.String())
	}
	// The script ran its tests, not nothing.
	if !strings.Contains(out.String(), "PASS test_create_30_accounts_without_polling") || strings.Contains(out.String(), "FAIL") {
		t.Errorf("unexpected output:\n%s", out.String())
	}
}

// TestServeCompat: ORGD_COMPAT=moto turns the profile on as --compat does, serve logs one
// line that says so and what it changes, and CreateAccount then answers SUCCEEDED.
func TestServeCompat(t *testing.T) {
	t.Setenv("ORGD_COMPAT", "moto")
	ctx := t.Context()
	url, logs, stop := serveOrgdLogs(t, "--listen", "127.0.0.1:0", "--db", "memory")
	c := client(url, "111111111111")
	if _, err := c.CreateOrganization(ctx, &organizations.CreateOrganizationInput{}); err != nil {
		t.Fatal(err)
	}
	out, err := c.CreateAccount(ctx, &organizations.CreateAccountInput{Email: aws.String("a@example.com"), AccountName: aws.String("a")})
	if err != nil {
		t.Fatal(err)
	}
	if st := out.CreateAccountStatus; st.State != types.CreateAccountStateSucceeded || st.AccountId == nil {
		t.Errorf("CreateAccount under ORGD_COMPAT=moto answered %+v", *st)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	l := logs.String()
	if n := strings.Count(l, "compatibility profile on"); n != 1 || !strings.Contains(l, "compat=moto") || !strings.Contains(l, "creation order") {
		t.Errorf("start-up log lacks the one profile line:\n%s", l)
	}
}

// TestServeRefusesUnknownCompatEnv: an unknown profile in ORGD_COMPAT stops serve before it
// listens, with a message that names the variable and the known profiles.
func TestServeRefusesUnknownCompatEnv(t *testing.T) {
	t.Setenv("ORGD_COMPAT", "localstack")
	m := NewMain()
	m.Stderr = &bytes.Buffer{}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	listened := false
	m.Listening = func(string) { listened = true; cancel() }
	err := m.Run(ctx, []string{"serve", "--listen", "127.0.0.1:0", "--db", "memory"})
	m.Close()
	if err == nil || listened || !strings.Contains(err.Error(), "ORGD_COMPAT") || !strings.Contains(err.Error(), "moto") {
		t.Errorf("ORGD_COMPAT=localstack: err %v, listened %v; want an error naming ORGD_COMPAT and the known profiles", err, listened)
	}
}
