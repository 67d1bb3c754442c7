package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/orgd/orgd/internal/server"
	"github.com/orgd/orgd/internal/testenv"
)

// jsClient is the node project of the JavaScript SDK's end-to-end flow.
var jsClient = filepath.Join("..", "..", "clients", "js")

// TestJavaScriptSDK runs clients/js/e2e.mjs, the AWS SDK for JavaScript v3's end-to-end flow
// (organization, nested OUs, an account creation polled to SUCCEEDED, an invitation accepted
// by the invitee, a paginator, typed errors, MoveAccount), against a fresh orgd: open, as
// the README's first session runs it, and with every signature verified, which proves the
// SDK's SigV4 signing passes orgd's check.
func TestJavaScriptSDK(t *testing.T) {
	node, err := exec.LookPath("node")
	testenv.Require(t, "node (Node.js 20 or later) on the PATH", err == nil)
	_, err = os.Stat(filepath.Join(jsClient, "node_modules", "@aws-sdk", "client-organizations", "package.json"))
	testenv.Require(t, "clients/js's node modules (npm ci in clients/js)", err == nil)

	const secret = "javascript-sdk-secret"
	for _, mode := range []string{server.ModeOpen, server.ModeVerified} {
		t.Run(mode, func(t *testing.T) {
			args := []string{"--db", "memory", "--create-account-delay", "1h"}
			if mode == server.ModeVerified {
				// The script's access keys are its accounts' ids, as in open mode.
				creds := filepath.Join(t.TempDir(), "credentials.json")
				writeFile(t, creds, `{"Credentials": [
					{"AccessKeyId": "111111111111", "SecretAccessKey": "`+secret+`", "AccountId": "111111111111"},
					{"AccessKeyId": "222222222222", "SecretAccessKey": "`+secret+`", "AccountId": "222222222222"}]}`)
				args = append(args, "--credentials", creds)
			}
			url := startOrgd(t, args...)
			if h := health(t, url); h.Mode != mode {
				t.Fatalf("orgd serve %v runs %q, want %q", args, h.Mode, mode)
			}

			// A safeguard against a hung script, far above the few seconds it takes.
			ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, node, "e2e.mjs")
			cmd.Dir = jsClient
			// No AWS configuration of the machine's user may reach the SDK: the script
			// configures everything it uses.
			cmd.Env = append(os.Environ(), "ORGD_ENDPOINT="+url, "ORGD_SECRET_ACCESS_KEY="+secret,
				"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null",

				"AWS_EC2_METADATA_DISABLED=true")
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Run(); err != nil {
				t.Fatalf("node e2e.mjs: %v\n%s", err, out.String())
			}
			if !bytes.Contains(out.Bytes(), []byte("\nall checks passed\n")) {
				t.Fatalf("node e2e.mjs exited 0 without passing its checks:\n%s", out.String())
			}
			t.Logf("node e2e.mjs:\n%s", out.String())
		})
	}
}
