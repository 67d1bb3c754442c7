package sts_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/orgd/orgd/internal/apitest"
	"github.com/orgd/orgd/internal/pgtest"
	"github.com/orgd/orgd/internal/server"
)

// The tests run on every store (see apitest.Main).
func TestMain(m *testing.M) { apitest.Main(m) }

const mgmt = "111111111111"

func creds(key, secret, token string) aws.CredentialsProviderFunc {
	return func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: key, SecretAccessKey: secret, SessionToken: token}, nil
	}
}

// stsClient is aws-sdk-go-v2's STS client on url with the given credentials.
func stsClient(url string, key, secret, token string) *sts.Client {
	return sts.New(sts.Options{BaseEndpoint: aws.String(url), Region: "us-east-1", RetryMaxAttempts: 1,
		HTTPClient: apitest.HTTPClient(), Credentials: creds(key, secret, token)})
}

// orgClient is an Organizations client on url with the given credentials.
func orgClient(url string, c *sts.AssumeRoleOutput) *organizations.Client {
	k := c.Credentials
	return organizations.New(organizations.Options{BaseEndpoint: aws.String(url), Region: "us-east-1", RetryMaxAttempts: 1,
		HTTPClient:  apitest.HTTPClient(),
		Credentials: creds(aws.ToString(k.AccessKeyId), aws.ToString(k.SecretAccessKey), aws.ToString(k.SessionToken))})
}

// sessionSTS is an STS client signing with temporary credentials.
func sessionSTS(url string, c *sts.AssumeRoleOutput) *sts.Client {
	k := c.Credentials
	return stsClient(url, aws.ToString(k.AccessKeyId), aws.ToString(k.SecretAccessKey), aws.ToString(k.SessionToken))
}

// requireSTS fails unless err is STS's code with exactly the message (when msg is not "").
func requireSTS(t *testing.T, err error, code, msg string) {
	t.Helper()
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("got %v, want %s", err, code)
	}
	if apiErr.ErrorCode() != code || (msg != "" && apiErr.ErrorMessage() != msg) {
		t.Fatalf("got %s %q, want %s %q", apiErr.ErrorCode(), apiErr.ErrorMessage(), code, msg)
	}
}

// member creates mgmt's organization and one account with CreateAccount (roleName "" omits
// RoleName) and returns the account's id.
func member(t *testing.T, srv *apitest.Server, roleName string) string {
	t.Helper()
	c := srv.Client(mgmt)
	ctx := t.Context()
	if _, err := c.CreateOrganization(ctx, &organizations.CreateOrganizationInput{}); err != nil {
		t.Fatal(err)
	}
	in := &organizations.CreateAccountInput{Email: aws.String("member@example.org"), AccountName: aws.String("member")}
	if roleName != "" {
		in.RoleName = aws.String(roleName)
	}
	st, err := c.CreateAccount(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	done, err := c.DescribeCreateAccountStatus(ctx, &organizations.DescribeCreateAccountStatusInput{CreateAccountRequestId: st.CreateAccountStatus.Id})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(done.CreateAccountStatus.AccountId)
}

func assume(t *testing.T, c *sts.Client, roleArn string, seconds int32) *sts.AssumeRoleOutput {
	t.Helper()
	in := &sts.AssumeRoleInput{RoleArn: aws.String(roleArn), RoleSessionName: aws.String("alice")}
	if seconds > 0 {
		in.DurationSeconds = aws.Int32(seconds)
	}
	out, err := c.AssumeRole(t.Context(), in)
	if err != nil {
		t.Fatalf("AssumeRole %s: %v", roleArn, err)
	}
	return out
}

func roleARN(account, name string) string { return "arn:aws:iam::" + account + ":role/" + name }

func TestGetCallerIdentity(t *testing.T) {
	file := filepath.Join(t.TempDir(), "credentials.json")
	if err := os.WriteFile(file, []byte(`{"Credentials": [
		{"AccessKeyId": "`+mgmt+`", "SecretAccessKey": "s", "AccountId": "`+mgmt+`"},
		{"AccessKeyId": "AKIAALICE0000000", "SecretAccessKey": "s", "AccountId": "222222222222", "UserName": "alice"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := apitest.Start(t, func(c *server.Config) { c.CredentialsFile = file })
	tests := []struct {
		key, account, arn, userID string
	}{
		{mgmt, mgmt, "arn:aws:iam::111111111111:root", mgmt},
		{"AKIAALICE0000000", "222222222222", "arn:aws:iam::222222222222:user/alice", "AIDA"},
	}
	for _, tt := range tests {
		out, err := stsClient(srv.URL, tt.key, "s", "").GetCallerIdentity(t.Context(), &sts.GetCallerIdentityInput{})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(out.Account) != tt.account || aws.ToString(out.Arn) != tt.arn || !strings.HasPrefix(aws.ToString(out.UserId), tt.userID) {
			t.Errorf("key %s: GetCallerIdentity = %s %s %s, want %s %s %s…", tt.key,
				aws.ToString(out.Account), aws.ToString(out.Arn), aws.ToString(out.UserId), tt.account, tt.arn, tt.userID)
		}
	}
}

// TestAssumeRoleIntoCreatedAccount: the management account assumes the role CreateAccount
// made, and the credentials act as that role's session in the member account.
func TestAssumeRoleIntoCreatedAccount(t *testing.T) {
	srv := apitest.Start(t)
	m := member(t, srv, "")
	out := assume(t, stsClient(srv.URL, mgmt, "s", ""), roleARN(m, "OrganizationAccountAccessRole"), 0)
	k := out.Credentials
	if key := aws.ToString(k.AccessKeyId); !strings.HasPrefix(key, "ASIA") || len(key) != 20 || len(aws.ToString(k.SecretAccessKey)) != 40 || aws.ToString(k.SessionToken) == "" {
		t.Errorf("credentials %+v", k)
	}
	now := clock(t, srv)
	if d := aws.ToTime(k.Expiration).Sub(now); d < time.Hour-time.Minute || d > time.Hour {
		t.Errorf("Expiration %v is %v after the server's now, want an hour", aws.ToTime(k.Expiration), d)
	}
	wantARN := "arn:aws:sts::" + m + ":assumed-role/OrganizationAccountAccessRole/alice"
	if arn := aws.ToString(out.AssumedRoleUser.Arn); arn != wantARN || !strings.HasPrefix(aws.ToString(out.AssumedRoleUser.AssumedRoleId), "AROA") {
		t.Errorf("AssumedRoleUser = %s %s", arn, aws.ToString(out.AssumedRoleUser.AssumedRoleId))
	}
	who, err := sessionSTS(srv.URL, out).GetCallerIdentity(t.Context(), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(who.Account) != m || aws.ToString(who.Arn) != wantARN || aws.ToString(who.UserId) != aws.ToString(out.AssumedRoleUser.AssumedRoleId) {
		t.Errorf("GetCallerIdentity with the role's credentials = %s %s %s", aws.ToString(who.Account), aws.ToString(who.Arn), aws.ToString(who.UserId))
	}
	// In Organizations the session is the member: it sees the organization, and is refused
	// what only the management account may do.
	c := orgClient(srv.URL, out)
	desc, err := c.DescribeOrganization(t.Context(), &organizations.DescribeOrganizationInput{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(desc.Organization.MasterAccountId) != mgmt {
		t.Errorf("the member sees an organization managed by %s", aws.ToString(desc.Organization.MasterAccountId))
	}
	_, err = c.ListAccounts(t.Context(), &organizations.ListAccountsInput{})
	apitest.RequireCode(t, err, "AccessDeniedException", "")
	// The session token must come with the key.
	_, err = stsClient(srv.URL, aws.ToString(k.AccessKeyId), aws.ToString(k.SecretAccessKey), "forged").GetCallerIdentity(t.Context(), &sts.GetCallerIdentityInput{})
	requireSTS(t, err, "InvalidClientTokenId", "The security token included in the request is invalid.")
}

// TestRoleNameOfCreateAccount: the role takes CreateAccount's RoleName.
func TestRoleNameOfCreateAccount(t *testing.T) {
	srv := apitest.Start(t)
	m := member(t, srv, "Landing")
	c := stsClient(srv.URL, mgmt, "s", "")
	assume(t, c, roleARN(m, "Landing"), 0)
	_, err := c.AssumeRole(t.Context(), &sts.AssumeRoleInput{RoleArn: aws.String(roleARN(m, "OrganizationAccountAccessRole")), RoleSessionName: aws.String("alice")})
	requireSTS(t, err, "AccessDenied", "User: arn:aws:iam::111111111111:root is not authorized to perform: sts:AssumeRole on resource: "+roleARN(m, "OrganizationAccountAccessRole"))
}

func TestAssumeRoleAccessDenied(t *testing.T) {
	srv := apitest.Start(t)
	m := member(t, srv, "")
	role := roleARN(m, "OrganizationAccountAccessRole")
	_, err := stsClient(srv.URL, "333333333333", "s", "").AssumeRole(t.Context(), &sts.AssumeRoleInput{RoleArn: aws.String(role), RoleSessionName: aws.String("mallory")})
	requireSTS(t, err, "AccessDenied", "User: arn:aws:iam::333333333333:root is not authorized to perform: sts:AssumeRole on resource: "+role)
	missing := roleARN(m, "Missing")
	_, err = stsClient(srv.URL, mgmt, "s", "").AssumeRole(t.Context(), &sts.AssumeRoleInput{RoleArn: aws.String(missing), RoleSessionName: aws.String("alice")})
	requireSTS(t, err, "AccessDenied", "User: arn:aws:iam::111111111111:root is not authorized to perform: sts:AssumeRole on resource: "+missing)
}

func TestAssumeRoleDuration(t *testing.T) {
	srv := apitest.Start(t)
	m := member(t, srv, "")
	srv.Admin(http.MethodPost, "/_orgd/roles", map[string]any{"AccountId": m, "RoleName": "Long",
		"TrustedPrincipals": []string{"arn:aws:iam::" + mgmt + ":root"}, "MaxSessionDuration": 43200}, nil)
	c := stsClient(srv.URL, mgmt, "s", "")
	tests := []struct {
		role    string
		seconds int32
		code    string
		msg     string
	}{
		{"OrganizationAccountAccessRole", 900, "", ""},
		{"OrganizationAccountAccessRole", 3600, "", ""},
		{"OrganizationAccountAccessRole", 3601, "ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."},
		{"Long", 43200, "", ""},
		{"Long", 899, "ValidationError", "1 validation error detected: Value '899' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900"},
		{"Long", 43201, "ValidationError", "1 validation error detected: Value '43201' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to 43200"},
	}
	for _, tt := range tests {
		out, err := c.AssumeRole(t.Context(), &sts.AssumeRoleInput{RoleArn: aws.String(roleARN(m, tt.role)),
			RoleSessionName: aws.String("alice"), DurationSeconds: aws.Int32(tt.seconds)})
		if tt.code != "" {
			requireSTS(t, err, tt.code, tt.msg)
			continue
		}
		if err != nil {
			t.Fatalf("%s for %d s: %v", tt.role, tt.seconds, err)
		}
		if d := aws.ToTime(out.Credentials.Expiration).Sub(clock(t, srv)); d > time.Duration(tt.seconds)*time.Second || d < time.Duration(tt.seconds-60)*time.Second {
			t.Errorf("%s for %d s expires in %v", tt.role, tt.seconds, d)
		}
	}
}

// TestRoleChaining: a role session may assume a role that trusts it, for an hour at most.
func TestRoleChaining(t *testing.T) {
	srv := apitest.Start(t)
	m := member(t, srv, "")
	srv.Admin(http.MethodPost, "/_orgd/roles", map[string]any{"AccountId": "444444444444", "RoleName": "Next",
		"TrustedPrincipals": []string{roleARN(m, "OrganizationAccountAccessRole")}, "MaxSessionDuration": 43200}, nil)
	first := assume(t, stsClient(srv.URL, mgmt, "s", ""), roleARN(m, "OrganizationAccountAccessRole"), 0)
	c := sessionSTS(srv.URL, first)
	_, err := c.AssumeRole(t.Context(), &sts.AssumeRoleInput{RoleArn: aws.String(roleARN("444444444444", "Next")),
		RoleSessionName: aws.String("bob"), DurationSeconds: aws.Int32(3601)})
	requireSTS(t, err, "ValidationError", "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
	second := assume(t, c, roleARN("444444444444", "Next"), 3600)
	if arn := aws.ToString(second.AssumedRoleUser.Arn); arn != "arn:aws:sts::444444444444:assumed-role/Next/alice" {
		t.Errorf("chained session %s", arn)
	}
	// The management account's root is not the member's role: it is not trusted by Next.
	_, err = stsClient(srv.URL, mgmt, "s", "").AssumeRole(t.Context(), &sts.AssumeRoleInput{RoleArn: aws.String(roleARN("444444444444", "Next")), RoleSessionName: aws.String("x1")})
	requireSTS(t, err, "AccessDenied", "")
}

// TestSessionExpires: past Expiration on the server's clock, the key answers ExpiredToken
// on STS and ExpiredTokenException on Organizations.
func TestSessionExpires(t *testing.T) {
	srv := apitest.Start(t)
	m := member(t, srv, "")
	out := assume(t, stsClient(srv.URL, mgmt, "s", ""), roleARN(m, "OrganizationAccountAccessRole"), 900)
	if _, err := sessionSTS(srv.URL, out).GetCallerIdentity(t.Context(), &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatal(err)
	}
	srv.Advance(15 * time.Minute)
	_, err := sessionSTS(srv.URL, out).GetCallerIdentity(t.Context(), &sts.GetCallerIdentityInput{})
	requireSTS(t, err, "ExpiredToken", "The security token included in the request is expired")
	var re interface{ HTTPStatusCode() int }
	if !errors.As(err, &re) || re.HTTPStatusCode() != http.StatusForbidden {
		t.Errorf("ExpiredToken with status %v, want 403", err)
	}
	_, err = orgClient(srv.URL, out).DescribeOrganization(t.Context(), &organizations.DescribeOrganizationInput{})
	apitest.RequireCode(t, err, "ExpiredTokenException", "")
}

func TestGetSessionToken(t *testing.T) {
	file := filepath.Join(t.TempDir(), "credentials.json")
	if err := os.WriteFile(file, []byte(`{"Credentials": [
		{"AccessKeyId": "`+mgmt+`", "SecretAccessKey": "s", "AccountId": "`+mgmt+`"},
		{"AccessKeyId": "AKIAALICE0000000", "SecretAccessKey": "s", "AccountId": "222222222222", "UserName": "alice"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := apitest.Start(t, func(c *server.Config) { c.CredentialsFile = file })
	now := clock(t, srv)
	tests := []struct {
		key     string
		seconds int32
		want    time.Duration
	}{
		{"AKIAALICE0000000", 0, 12 * time.Hour},
		{"AKIAALICE0000000", 129600, 36 * time.Hour},
		{mgmt, 0, time.Hour},    // the root user's sessions last an hour
		{mgmt, 7200, time.Hour}, // at most
		{mgmt, 900, time.Minute * 15},
	}
	for _, tt := range tests {
		in := &sts.GetSessionTokenInput{}
		if tt.seconds > 0 {
			in.DurationSeconds = aws.Int32(tt.seconds)
		}
		out, err := stsClient(srv.URL, tt.key, "s", "").GetSessionToken(t.Context(), in)
		if err != nil {
			t.Fatal(err)
		}
		if d := aws.ToTime(out.Credentials.Expiration).Sub(now); d < tt.want-time.Second || d > tt.want+time.Minute {
			t.Errorf("%s for %d s: expires in %v, want %v", tt.key, tt.seconds, d, tt.want)
		}
		// The session acts as the user who asked.
		k := out.Credentials
		who, err := stsClient(srv.URL, aws.ToString(k.AccessKeyId), aws.ToString(k.SecretAccessKey), aws.ToString(k.SessionToken)).
			GetCallerIdentity(t.Context(), &sts.GetCallerIdentityInput{})
		if err != nil {
			t.Fatal(err)
		}
		if tt.key == mgmt && aws.ToString(who.Arn) != "arn:aws:iam::111111111111:root" ||
			tt.key != mgmt && aws.ToString(who.Arn) != "arn:aws:iam::222222222222:user/alice" {
			t.Errorf("session of %s is %s", tt.key, aws.ToString(who.Arn))
		}
		_, err = stsClient(srv.URL, aws.ToString(k.AccessKeyId), aws.ToString(k.SecretAccessKey), aws.ToString(k.SessionToken)).
			GetSessionToken(t.Context(), &sts.GetSessionTokenInput{})
		requireSTS(t, err, "AccessDenied", "Cannot call GetSessionToken with session credentials")
	}
}

func TestGetAccessKeyInfo(t *testing.T) {
	srv := apitest.Start(t)
	m := member(t, srv, "")
	out := assume(t, stsClient(srv.URL, mgmt, "s", ""), roleARN(m, "OrganizationAccountAccessRole"), 0)
	c := stsClient(srv.URL, "333333333333", "s", "")
	for key, want := range map[string]string{aws.ToString(out.Credentials.AccessKeyId): m, "AKIAUNKNOWN00000": "123456789012"} {
		info, err := c.GetAccessKeyInfo(t.Context(), &sts.GetAccessKeyInfoInput{AccessKeyId: aws.String(key)})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(info.Account) != want {
			t.Errorf("GetAccessKeyInfo(%s) = %s, want %s", key, aws.ToString(info.Account), want)
		}
	}
	_, err := c.GetAccessKeyInfo(t.Context(), &sts.GetAccessKeyInfoInput{AccessKeyId: aws.String("AKIA-short")})
	requireSTS(t, err, "ValidationError", "")
}

// raw sends an STS request as the form says and returns the status and the body.
func raw(t *testing.T, method, url, form string, header map[string]string) (int, string) {
	t.Helper()
	var body io.Reader
	if method == http.MethodPost {
		body = strings.NewReader(form)
	} else {
		url += "/?" + form
	}
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestQueryProtocol(t *testing.T) {
	srv := apitest.Start(t)
	signed := map[string]string{"Authorization": "AWS4-HMAC-SHA256 Credential=111111111111/20260101/us-east-1/sts/aws4_request, SignedHeaders=host;x-amz-date, Signature=00"}
	tests := []struct {
		name, method, form string
		header             map[string]string
		status             int
		want               string // a part of the body
	}{
		{"POST", http.MethodPost, "Action=GetCallerIdentity&Version=2011-06-15", signed, 200,
			`<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><UserId>111111111111</UserId><Account>111111111111</Account><Arn>arn:aws:iam::111111111111:root</Arn></GetCallerIdentityResult><ResponseMetadata><RequestId>`},
		{"GET", http.MethodGet, "Action=GetCallerIdentity&Version=2011-06-15", signed, 200, `<Arn>arn:aws:iam::111111111111:root</Arn>`},
		{"unknown action", http.MethodPost, "Action=Nope&Version=2011-06-15", signed, 400,
			`<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>Could not find operation Nope for version 2011-06-15</Message></Error><RequestId>`},
		{"no version", http.MethodPost, "Action=GetCallerIdentity", signed, 400, `<Message>Could not find operation GetCallerIdentity for version NO_VERSION_SPECIFIED</Message>`},
		{"wrong version", http.MethodPost, "Action=GetCallerIdentity&Version=2020-01-01", signed, 400, `<Code>InvalidAction</Code>`},
		{"no action", http.MethodPost, "Version=2011-06-15", signed, 400, `<Code>MissingAction</Code>`},
		{"unsigned", http.MethodPost, "Action=GetCallerIdentity&Version=2011-06-15", nil, 403,
			`<Code>MissingAuthenticationToken</Code><Message>Request is missing Authentication Token</Message>`},
		{"SigV2", http.MethodPost, "Action=GetCallerIdentity&Version=2011-06-15", map[string]string{"Authorization": "AWS AKIA:c2ln"}, 400, `<Code>IncompleteSignature</Code>`},
		{"missing parameters", http.MethodPost, "Action=AssumeRole&Version=2011-06-15&RoleSessionName=a", signed, 400,
			`<Code>ValidationError</Code><Message>2 validation errors detected: Value null at &#39;roleArn&#39; failed to satisfy constraint: Member must not be null; ` +
				`Value &#39;a&#39; at &#39;roleSessionName&#39; failed to satisfy constraint: Member must have length greater than or equal to 2</Message>`},
		{"bad session name", http.MethodPost, "Action=AssumeRole&Version=2011-06-15&RoleArn=arn:aws:iam::222222222222:role/R&RoleSessionName=a%20b", signed, 400,
			`Member must satisfy regular expression pattern: [\w+=,.@-]*`},
		{"bad form", http.MethodPost, "Action=%zz", signed, 400, `<Code>MalformedQueryString</Code>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := raw(t, tt.method, srv.URL, tt.form, tt.header)
			if status != tt.status || !strings.Contains(body, tt.want) {
				t.Errorf("got %d %s\nwant %d with %s", status, body, tt.status, tt.want)
			}
		})
	}
}

// TestAdminRoles: roles declared through the admin API are listed, and declaring one
// again keeps its id.
func TestAdminRoles(t *testing.T) {
	srv := apitest.Start(t)
	decl := map[string]any{"AccountId": "222222222222", "RoleName": "Deploy", "TrustedPrincipals": []string{mgmt}}
	var first, again struct{ RoleId, Arn string }
	srv.Admin(http.MethodPost, "/_orgd/roles", decl, &first)
	decl["MaxSessionDuration"] = 7200
	srv.Admin(http.MethodPost, "/_orgd/roles", decl, &again)
	if !strings.HasPrefix(first.RoleId, "AROA") || len(first.RoleId) != 21 || again.RoleId != first.RoleId || first.Arn != roleARN("222222222222", "Deploy") {
		t.Errorf("declared %+v, then %+v", first, again)
	}
	var list struct {
		Roles []struct {
			RoleName           string
			MaxSessionDuration int
		}
	}
	srv.Admin(http.MethodGet, "/_orgd/roles?account=222222222222", nil, &list)
	if len(list.Roles) != 1 || list.Roles[0].RoleName != "Deploy" || list.Roles[0].MaxSessionDuration != 7200 {
		t.Errorf("roles %+v", list.Roles)
	}
	assume(t, stsClient(srv.URL, mgmt, "s", ""), roleARN("222222222222", "Deploy"), 7200)
	for _, bad := range []map[string]any{
		{"AccountId": "2222", "RoleName": "R", "TrustedPrincipals": []string{mgmt}},
		{"AccountId": "222222222222", "RoleName": "no spaces", "TrustedPrincipals": []string{mgmt}},
		{"AccountId": "222222222222", "RoleName": "R", "TrustedPrincipals": []string{"arn:aws:s3:::bucket"}},
		{"AccountId": "222222222222", "RoleName": "R", "TrustedPrincipals": []string{}},
		{"AccountId": "222222222222", "RoleName": "R", "TrustedPrincipals": []string{mgmt}, "MaxSessionDuration": 100},
	} {
		status, body := adminPost(t, srv.URL+"/_orgd/roles", bad)
		if status != http.StatusBadRequest || !strings.Contains(body, `"__type":"InvalidInputException"`) {
			t.Errorf("POST %v: %d %s", bad, status, body)
		}
	}
}

// TestCredentialsFileRoles: the credentials file's roles exist from the start, and again
// after a reset.
func TestCredentialsFileRoles(t *testing.T) {
	file := filepath.Join(t.TempDir(), "credentials.json")
	if err := os.WriteFile(file, []byte(`{"Credentials": [{"AccessKeyId": "`+mgmt+`", "SecretAccessKey": "s", "AccountId": "`+mgmt+`"}], "Roles": [
		{"AccountId": "222222222222", "RoleName": "Ops", "TrustedPrincipals": ["111111111111"], "MaxSessionDuration": 7200}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := apitest.Start(t, func(c *server.Config) { c.CredentialsFile = file })
	c := stsClient(srv.URL, mgmt, "s", "")
	assume(t, c, roleARN("222222222222", "Ops"), 7200)
	srv.Admin(http.MethodPost, "/_orgd/reset", struct{}{}, nil)
	assume(t, c, roleARN("222222222222", "Ops"), 7200)
}

// TestSessionsSurviveRestart: roles and sessions live in the store, so a server started
// anew on the same database file, or a second server on the same PostgreSQL database, knows
// them.
func TestSessionsSurviveRestart(t *testing.T) {
	if os.Getenv(apitest.EnvStore) != "" && os.Getenv(apitest.EnvStore) != "memory" {
		t.Skip("the test opens its own databases; the in-memory run covers it")
	}
	t.Run("file", func(t *testing.T) {
		db := filepath.Join(t.TempDir(), "orgd.db")
		first := startOn(t, db)
		out := assumeDeclared(t, first.URL)
		first.Close()
		second := startOn(t, db)
		checkSession(t, second.URL, out)
	})
	t.Run("postgres", func(t *testing.T) {
		db := pgtest.URL(t)
		first, second := startOn(t, db), startOn(t, db)
		out := assumeDeclared(t, first.URL)
		checkSession(t, second.URL, out)
	})
}

func startOn(t *testing.T, db string) *httptest.Server {
	t.Helper()
	s, err := server.New(t.Context(), server.Config{DB: db})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s.Handler)
	t.Cleanup(func() {
		hs.Close()
		s.Close()
	})
	return hs
}

func assumeDeclared(t *testing.T, url string) *sts.AssumeRoleOutput {
	t.Helper()
	status, body := adminPost(t, url+"/_orgd/roles", map[string]any{"AccountId": "222222222222", "RoleName": "Ops", "TrustedPrincipals": []string{mgmt}})
	if status != http.StatusOK {
		t.Fatalf("declare role: %d %s", status, body)
	}
	return assume(t, stsClient(url, mgmt, "s", ""), roleARN("222222222222", "Ops"), 0)
}

func checkSession(t *testing.T, url string, out *sts.AssumeRoleOutput) {
	t.Helper()
	who, err := sessionSTS(url, out).GetCallerIdentity(t.Context(), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(who.Arn) != "arn:aws:sts::222222222222:assumed-role/Ops/alice" {
		t.Errorf("the other server sees %s", aws.ToString(who.Arn))
	}
	// And the role itself: a new session of it.
	assume(t, stsClient(url, mgmt, "s", ""), roleARN("222222222222", "Ops"), 0)
}

func adminPost(t *testing.T, url string, body any) (int, string) {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(url, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw)
}

// clock is the server's time.
func clock(t *testing.T, srv *apitest.Server) time.Time {
	t.Helper()
	var c struct{ Now time.Time }
	srv.Admin(http.MethodGet, "/_orgd/clock", nil, &c)
	return c.Now
}
