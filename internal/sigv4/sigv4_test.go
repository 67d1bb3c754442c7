package sigv4

import (
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/orgd/orgd/internal/iam"
)

const validHeader = "AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20250101/us-east-1/organizations/aws4_request, " +
	"SignedHeaders=content-type;host;x-amz-date;x-amz-target, " +
	"Signature=fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024"

func TestParseAuthorization(t *testing.T) {
	valid := Authorization{
		AccessKeyID: "AKIAEXAMPLE", Date: "20250101", Region: "us-east-1", Service: "organizations", Terminator: "aws4_request",
		SignedHeaders: []string{"content-type", "host", "x-amz-date", "x-amz-target"},
		Signature:     "fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024",
	}
	withRegion := func(r string) Authorization { a := valid; a.Region = r; return a }
	tests := []struct {
		name   string
		header string
		want   Authorization // zero: an error is expected
	}{
		{"valid", validHeader, valid},
		{"no spaces after commas", strings.ReplaceAll(validHeader, ", ", ","), valid},
		{"surrounding and extra spaces", "  " + strings.ReplaceAll(validHeader, ", ", " ,  ") + " ", valid},
		{"components in another order",
			"AWS4-HMAC-SHA256 Signature=fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024, " +
				"SignedHeaders=content-type;host;x-amz-date;x-amz-target, Credential=AKIAEXAMPLE/20250101/us-east-1/organizations/aws4_request",
			valid},
		{"any region", strings.Replace(validHeader, "us-east-1", "ap-southeast-2", 1), withRegion("ap-southeast-2")},
		{"a region AWS does not have", strings.Replace(validHeader, "us-east-1", "mars-north-1", 1), withRegion("mars-north-1")},
		{"12-digit access key", strings.Replace(validHeader, "AKIAEXAMPLE", "111111111111", 1),
			func() Authorization { a := valid; a.AccessKeyID = "111111111111"; return a }()},

		{"empty", "", Authorization{}},
		{"algorithm only", "AWS4-HMAC-SHA256", Authorization{}},
		{"algorithm and a space", "AWS4-HMAC-SHA256 ", Authorization{}},
		{"wrong algorithm", strings.Replace(validHeader, "SHA256", "SHA512", 1), Authorization{}},
		{"SigV4a", strings.Replace(validHeader, "AWS4-HMAC-SHA256", "AWS4-ECDSA-P256-SHA256", 1), Authorization{}},
		{"SigV2", "AWS AKIAEXAMPLE:c2lnbmF0dXJl", Authorization{}},
		{"bearer token", "Bearer abc.def.ghi", Authorization{}},
		{"lower-case algorithm", strings.Replace(validHeader, "AWS4-HMAC-SHA256", "aws4-hmac-sha256", 1), Authorization{}},
		{"missing Credential", "AWS4-HMAC-SHA256 SignedHeaders=host, Signature=abc", Authorization{}},
		{"missing SignedHeaders", "AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20250101/us-east-1/organizations/aws4_request, Signature=abc", Authorization{}},
		{"missing Signature", "AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20250101/us-east-1/organizations/aws4_request, SignedHeaders=host", Authorization{}},
		{"empty Signature", strings.Replace(validHeader, "Signature=fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024", "Signature=", 1), Authorization{}},
		{"component without =", validHeader + ", Garbage", Authorization{}},
		// AWS reads components separated by commas or spaces: an empty one is no component.
		{"trailing comma", validHeader + ",", valid},
		{"spaces only between components", strings.ReplaceAll(validHeader, ", ", " "), valid},
		{"scope of four parts", strings.Replace(validHeader, "/organizations/aws4_request", "/aws4_request", 1), Authorization{}},
		{"scope of six parts", strings.Replace(validHeader, "/aws4_request", "/aws4_request/x", 1), Authorization{}},
		// The terminator is the scope's to check (verified mode), as the service and date are.
		{"another terminator", strings.Replace(validHeader, "aws4_request", "aws4_requests", 1),
			func() Authorization { a := valid; a.Terminator = "aws4_requests"; return a }()},
		{"scope without access key", strings.Replace(validHeader, "AKIAEXAMPLE/", "/", 1), Authorization{}},
		{"bare access key", strings.Replace(validHeader, "/20250101/us-east-1/organizations/aws4_request", "", 1), Authorization{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseAuthorization(tt.header)
			if tt.want.AccessKeyID == "" {
				if err == nil {
					t.Fatalf("ParseAuthorization(%q) = %+v, want an error", tt.header, got)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseAuthorization(%q): %v", tt.header, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseAuthorization(%q)\n got %+v\nwant %+v", tt.header, got, tt.want)
			}
		})
	}
}

// header returns a valid Authorization header whose access key is key.
func header(key string) string {
	return strings.Replace(validHeader, "AKIAEXAMPLE", key, 1)
}

// TestResolverOrder: in open mode the account is x-moto-account-id's, else a 12-digit key's,
// else the default account; the principal is the account's root user.
func TestResolverOrder(t *testing.T) {
	r := &Resolver{DefaultAccount: "123456789012"}
	tests := []struct {
		name, key, moto, want string
	}{
		{"x-moto-account-id beats a 12-digit key", "222222222222", "555555555555", "555555555555"},
		{"x-moto-account-id beats the default", "AKIAOTHER", "555555555555", "555555555555"},
		{"an x-moto-account-id that is no account id is ignored", "222222222222", "5555", "222222222222"},
		{"12-digit key", "222222222222", "", "222222222222"},
		{"13-digit key is not an account", "2222222222223", "", "123456789012"},
		{"11-digit key is not an account", "22222222222", "", "123456789012"},
		{"default account", "AKIAOTHER", "", "123456789012"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, "http://orgd/", nil)
			req.Header.Set("Authorization", header(tt.key))
			if tt.moto != "" {
				req.Header.Set("x-moto-account-id", tt.moto)
			}
			id, err := r.Identify(req, nil)
			if err != nil {
				t.Fatal(err)
			}
			root := iam.Principal{Account: tt.want, Kind: iam.Root}
			if id.AccountID != tt.want || id.AccessKeyID != tt.key || id.Principal != root {
				t.Errorf("Identify = %+v; want account %s, key %s, its root user", id, tt.want, tt.key)
			}
		})
	}
}

func TestResolverFailures(t *testing.T) {
	r := &Resolver{DefaultAccount: "123456789012"}
	tests := []struct {
		name, auth, moto string
		kind             Kind
		status           int
	}{
		{"no Authorization", "", "", MissingToken, http.StatusForbidden},
		// x-moto-account-id names the account only of signed requests.
		{"no Authorization, moto header", "", "111111111111", MissingToken, http.StatusForbidden},
		{"malformed", "AWS4-HMAC-SHA256 Credential=x", "", IncompleteSignature, http.StatusBadRequest},
		{"malformed, moto header", "Basic dXNlcjpwdw==", "111111111111", IncompleteSignature, http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, "http://orgd/", nil)
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			if tt.moto != "" {
				req.Header.Set("x-moto-account-id", tt.moto)
			}
			id, err := r.Identify(req, nil)
			account := id.AccountID
			var f *Failure
			if !errors.As(err, &f) {
				t.Fatalf("Identify = %q, %v; want a *Failure", account, err)
			}
			if f.Kind != tt.kind || f.Status != tt.status || f.Detail == "" || account != "" {
				t.Errorf("Failure = %+v, account %q; want %s %d with a detail", f, account, tt.kind, tt.status)
			}
		})
	}
}

func writeFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "credentials.json")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoad(t *testing.T) {
	path := writeFile(t, `{"Credentials": [
		{"AccessKeyId": "AKIAEXAMPLE", "SecretAccessKey": "secret1", "AccountId": "111111111111"},
		{"AccessKeyId": "AKIAOTHER", "SecretAccessKey": "secret2", "AccountId": "222222222222", "UserName": "alice"}
	]}`)
	creds, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	keys := creds.Keys
	want := map[string]Key{
		"AKIAEXAMPLE": {AccessKeyID: "AKIAEXAMPLE", SecretAccessKey: "secret1", AccountID: "111111111111"},
		"AKIAOTHER":   {AccessKeyID: "AKIAOTHER", SecretAccessKey: "secret2", AccountID: "222222222222", UserName: "alice"},
	}
	if !reflect.DeepEqual(keys, want) {
		t.Errorf("Load = %+v, want %+v", keys, want)
	}

	creds, err = Load(writeFile(t, `{"Credentials": []}`))
	if err != nil || creds.Keys == nil || len(creds.Keys) != 0 {
		t.Errorf("empty list: %+v, %v; want an empty map (a verified server that knows no key)", creds, err)
	}
}

// TestDeclaredDocuments: a user's or a role's policies are JSON objects or strings holding
// one, returned as document texts.
func TestDeclaredDocuments(t *testing.T) {
	creds, err := Load(writeFile(t, `{"Credentials": [{"AccessKeyId": "AKIAALICE", "SecretAccessKey": "s", "AccountId": "111111111111", "UserName": "alice",
		"Policies": [{"Statement": []}, "{\"Statement\": {}}"], "PermissionsBoundary": "{}", "Tags": {"team": "red"}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	k := creds.Keys["AKIAALICE"]
	policies, boundary, err := k.Documents()
	if err != nil || !reflect.DeepEqual(policies, []string{`{"Statement": []}`, `{"Statement": {}}`}) || boundary != "{}" || k.Tags["team"] != "red" {
		t.Errorf("Documents = %q, %q, %v; tags %v", policies, boundary, err, k.Tags)
	}
}

// TestKeyPrincipal: a key without UserName is its account's root user; with one, that IAM
// user, with an id of IAM's form that depends on the key alone.
func TestKeyPrincipal(t *testing.T) {
	root := Key{AccessKeyID: "AKIAROOT", AccountID: "111111111111"}.Principal()
	if root != (iam.Principal{Account: "111111111111", Kind: iam.Root}) {
		t.Errorf("root key: %+v", root)
	}
	alice := Key{AccessKeyID: "AKIAALICE", AccountID: "111111111111", UserName: "alice"}
	p := alice.Principal()
	if p.Kind != iam.User || p.Name != "alice" || p.Account != "111111111111" || p.ARN("aws") != "arn:aws:iam::111111111111:user/alice" {
		t.Errorf("user key: %+v", p)
	}
	if !regexp.MustCompile(`^AIDA[A-Z2-7]{17}$`).MatchString(p.ID) || p.UserID() != p.ID {
		t.Errorf("user id %q is not of IAM's form", p.ID)
	}
	if again := alice.Principal(); again.ID != p.ID {
		t.Errorf("the user id changed: %s, then %s", p.ID, again.ID)
	}
	bob := Key{AccessKeyID: "AKIABOB", AccountID: "111111111111", UserName: "alice"}
	if bob.Principal().ID == p.ID {
		t.Errorf("two keys share the user id %s", p.ID)
	}
}

func TestLoadRefusesBadFiles(t *testing.T) {
	tests := []struct{ name, content string }{
		{"not JSON", `Credentials: AKIAEXAMPLE`},
		{"truncated", `{"Credentials": [{"AccessKeyId": "AKIAEXAMPLE"`},
		{"wrong type", `{"Credentials": {"AccessKeyId": "AKIAEXAMPLE"}}`},
		{"missing access key", `{"Credentials": [{"SecretAccessKey": "s", "AccountId": "111111111111"}]}`},
		{"missing account", `{"Credentials": [{"AccessKeyId": "AKIAEXAMPLE", "SecretAccessKey": "s"}]}`},
		{"missing secret", `{"Credentials": [{"AccessKeyId": "AKIAEXAMPLE", "AccountId": "111111111111"}]}`},
		{"empty secret", `{"Credentials": [{"AccessKeyId": "AKIAEXAMPLE", "SecretAccessKey": "", "AccountId": "111111111111"}]}`},
		{"user name with a slash", `{"Credentials": [{"AccessKeyId": "AKIAEXAMPLE", "SecretAccessKey": "s", "AccountId": "111111111111", "UserName": "a/b"}]}`},
		{"user name of 65 characters", `{"Credentials": [{"AccessKeyId": "AKIAEXAMPLE", "SecretAccessKey": "s", "AccountId": "111111111111", "UserName": "` + strings.Repeat("a", 65) + `"}]}`},
		{"account of 11 digits", `{"Credentials": [{"AccessKeyId": "AKIAEXAMPLE", "AccountId": "11111111111"}]}`},
		{"account with letters", `{"Credentials": [{"AccessKeyId": "AKIAEXAMPLE", "AccountId": "11111111111a"}]}`},
		{"one key, two accounts", `{"Credentials": [
			{"AccessKeyId": "AKIAEXAMPLE", "SecretAccessKey": "s", "AccountId": "111111111111"},
			{"AccessKeyId": "AKIAEXAMPLE", "SecretAccessKey": "s", "AccountId": "222222222222"}]}`},
		{"policies of the root user", `{"Credentials": [{"AccessKeyId": "AKIAEXAMPLE", "SecretAccessKey": "s", "AccountId": "111111111111", "Policies": [{"Statement": []}]}]}`},
		{"a policy that is a number", `{"Credentials": [{"AccessKeyId": "AKIAEXAMPLE", "SecretAccessKey": "s", "AccountId": "111111111111", "UserName": "a", "Policies": [42]}]}`},
		{"a role's boundary that is a list", `{"Credentials": [], "Roles": [{"AccountId": "111111111111", "RoleName": "R", "TrustedPrincipals": ["111111111111"], "PermissionsBoundary": []}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, tt.content)
			creds, err := Load(path)
			if err == nil {
				t.Fatalf("Load accepted %s: %+v", tt.content, creds)
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not name the file", err)
			}
		})
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.json")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v, want an error wrapping os.ErrNotExist", err)
	}
}

func TestPartition(t *testing.T) {
	tests := map[string]string{
		"us-east-1":       "aws",
		"eu-west-1":       "aws",
		"ap-southeast-5":  "aws",
		"":                "aws",
		"cn-north-1":      "aws-cn",
		"cn-northwest-1":  "aws-cn",
		"us-gov-west-1":   "aws-us-gov",
		"us-gov-east-1":   "aws-us-gov",
		"us-iso-east-1":   "aws-iso",
		"us-iso-west-1":   "aws-iso",
		"us-isob-east-1":  "aws-iso-b",
		"eu-isoe-west-1":  "aws-iso-e",
		"us-isof-south-1": "aws-iso-f",
		"us-isof-east-1":  "aws-iso-f",
		// A prefix counts only with its dash.
		"cnx-north-1":    "aws",
		"us-govx-west-1": "aws",
		"us-isoz-east-1": "aws",
	}
	for region, want := range tests {
		if got := Partition(region); got != want {
			t.Errorf("Partition(%q) = %q, want %q", region, got, want)
		}
	}
}

func TestIdentifyPartition(t *testing.T) {
	r := &Resolver{DefaultAccount: "123456789012"}
	for region, want := range map[string]string{"us-east-1": "aws", "cn-north-1": "aws-cn", "us-isob-east-1": "aws-iso-b"} {
		req, _ := http.NewRequest(http.MethodPost, "http://orgd/", nil)
		req.Header.Set("Authorization", strings.Replace(header("222222222222"), "/us-east-1/", "/"+region+"/", 1))
		id, err := r.Identify(req, nil)
		if err != nil || id.Partition != want || id.AccountID != "222222222222" {
			t.Errorf("region %s: Identify = %+v, %v; want partition %s", region, id, err, want)
		}
	}
}
