package bootstrap_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/orgd/orgd/internal/apitest"
	"github.com/orgd/orgd/internal/bootstrap"
	"github.com/orgd/orgd/internal/model"
	"github.com/orgd/orgd/internal/org"
)

func TestMain(m *testing.M) { apitest.Main(m) }

const mgmt = "123456789012"

const head = `management: {id: "123456789012", email: m@example.com, name: M}
enabledPolicyTypes: [SERVICE_CONTROL_POLICY, TAG_POLICY]
organizationalUnits:
  - name: Workloads
    accounts:
      - {id: "111111111111", email: a@example.com, name: A, tags: {CostCenter: "100"}}
`

func parse(t *testing.T, doc string) *bootstrap.Spec {
	t.Helper()
	spec, err := bootstrap.Parse("b.yaml", []byte(doc), func(string) ([]byte, error) { return nil, errors.New("no files") })
	if err != nil {
		t.Fatal(err)
	}
	return spec
}

// requireEmpty fails unless the store holds no account and the management account is in no
// organization.
func requireEmpty(t *testing.T, s *apitest.Server) {
	t.Helper()
	if empty, err := bootstrap.Empty(context.Background(), s.Server.Service); err != nil || !empty {
		t.Fatalf("the store is not empty after a failed bootstrap (%v)", err)
	}
	_, err := s.Client(mgmt).DescribeOrganization(context.Background(), &organizations.DescribeOrganizationInput{})
	apitest.RequireCode(t, err, "AWSOrganizationsNotInUseException", "")
}

// A file that breaks one of the API's rules fails with AWS's exception and message and the
// line of the entry, and leaves the store empty, as it was.
func TestApplyFailsWithTheRuleAndTheLine(t *testing.T) {
	for _, tc := range []struct {
		name, doc, want, code string
	}{
		{"duplicate OU name under one parent", head + "  - name: Workloads\n",
			"b.yaml:7: CreateOrganizationalUnit Workloads: DuplicateOrganizationalUnitException: An OU with the same name already exists.", model.CodeDuplicateOrganizationalUnitException},
		{"an SCP that is not JSON", head + "policies:\n  - name: Broken\n    type: SERVICE_CONTROL_POLICY\n    description: d\n    content: '{\"Version\": \"2012-10-17\", '\n",
			"b.yaml:8: CreatePolicy Broken: MalformedPolicyDocumentException: ", model.CodeMalformedPolicyDocumentException},
		{"a policy type not enabled", head + "policies:\n  - name: B\n    type: BACKUP_POLICY\n    content: '{}'\n    attachments: [/]\n",
			"b.yaml:11: AttachPolicy B to /: PolicyTypeNotEnabledException: ", model.CodePolicyTypeNotEnabledException},
		{"a tag the tag policy refuses", head + `policies:
  - name: Tags
    type: TAG_POLICY
    content: '{"tags":{"costcenter":{"tag_key":{"@@assign":"CostCenter"},"tag_value":{"@@assign":["200"]},"enforced_for":{"@@assign":["organizations:account"]}}}}'
    attachments: [/]
`, "b.yaml:6: CreateAccount 111111111111: ConstraintViolationException (TAG_POLICY_VIOLATION): ", model.CodeConstraintViolationException},
		{"a delegated administrator without trusted access", head + "delegatedAdministrators:\n  - {account: \"111111111111\", servicePrincipal: guardduty.amazonaws.com}\n",
			"b.yaml:8: RegisterDelegatedAdministrator 111111111111 for guardduty.amazonaws.com: ConstraintViolationException (SERVICE_ACCESS_NOT_ENABLED): ", model.CodeConstraintViolationException},
		{"an account e-mail taken", head + "accounts:\n  - {id: \"222222222222\", email: A@example.com, name: B}\n",
			"b.yaml:8: CreateAccount 222222222222: the account creation FAILED with the reason EMAIL_ALREADY_EXISTS", ""},
		{"a model constraint", head + "  - name: \"\"\n", "b.yaml:7: organizational unit: name must not be empty", "parse"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := apitest.Start(t)
			spec, err := bootstrap.Parse("b.yaml", []byte(tc.doc), nil)
			if tc.code == "parse" {
				if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
					t.Fatalf("err = %v, want %q", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			err = bootstrap.Apply(context.Background(), s.Server.Service, spec)
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("err = %v\nwant it to begin %q", err, tc.want)
			}
			var me *model.Error
			if tc.code != "" && (!errors.As(err, &me) || me.Code != tc.code) {
				t.Errorf("err = %v, want the rule %s", err, tc.code)
			}
			requireEmpty(t, s)
		})
	}
}

// A store that holds accounts is left alone.
func TestApplyRefusesAStoreThatHoldsAccounts(t *testing.T) {
	s := apitest.Start(t)
	s.Register(map[string]any{"Id": "999999999999", "Email": "x@example.com"})
	err := bootstrap.Apply(context.Background(), s.Server.Service, parse(t, head))
	if !errors.Is(err, bootstrap.ErrNotEmpty) {
		t.Fatalf("err = %v", err)
	}
	accts, _ := s.Server.Service.Accounts(context.Background(), "", 10)
	if len(accts) != 1 {
		t.Errorf("the store holds %d accounts", len(accts))
	}
}

// Invited accounts keep their id and join INVITED, with their tags; created ones join CREATED.
func TestApplyJoinsCreatedAndInvited(t *testing.T) {
	s := apitest.Start(t)
	doc := head + "      - {id: \"222222222222\", email: b@example.com, name: B, joined: invited, tags: {k: v}}\n"
	if err := bootstrap.Apply(context.Background(), s.Server.Service, parse(t, doc)); err != nil {
		t.Fatal(err)
	}
	c := s.Client(mgmt)
	for id, want := range map[string]types.AccountJoinedMethod{"111111111111": types.AccountJoinedMethodCreated, "222222222222": types.AccountJoinedMethodInvited} {
		out, err := c.DescribeAccount(context.Background(), &organizations.DescribeAccountInput{AccountId: aws.String(id)})
		if err != nil || out.Account.JoinedMethod != want {
			t.Errorf("account %s: %+v, %v; want joined %s", id, out, err, want)
		}
	}
	tags, err := c.ListTagsForResource(context.Background(), &organizations.ListTagsForResourceInput{ResourceId: aws.String("222222222222")})
	if err != nil || len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Key) != "k" {
		t.Errorf("tags of the invited account: %+v, %v", tags, err)
	}
}

// adminPost posts body to the admin API and returns the status and the decoded answer.
func adminPost(t *testing.T, s *apitest.Server, path string, body any) (int, map[string]string) {
	t.Helper()
	b, _ := json.Marshal(body)
	resp, err := http.Post(s.URL+path, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	out := map[string]string{}
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%s answered %s", path, raw)
	}
	return resp.StatusCode, out
}

// POST /_orgd/bootstrap builds a file sent with its policies' files (JSON here), refuses a
// store that is not empty, and answers an invalid file with the line and the rule.
func TestAdminBootstrap(t *testing.T) {
	s := apitest.Start(t)
	src := bootstrap.Source{Name: "lz.json", Content: `{
  "management": {"id": "123456789012", "email": "m@example.com", "name": "M"},
  "organizationalUnits": [{"name": "Prod"}, {"name": "Prod"}]
}`}
	status, out := adminPost(t, s, "/_orgd/bootstrap", src)
	if status != http.StatusBadRequest || out["__type"] != model.CodeDuplicateOrganizationalUnitException || !strings.HasPrefix(out["Message"], "lz.json:3: CreateOrganizationalUnit Prod: ") {
		t.Errorf("duplicate OU: %d %v", status, out)
	}
	requireEmpty(t, s)
	src.Content = strings.Replace(src.Content, `{"name": "Prod"}]`, `{"name": "Dev"}],
  "enabledPolicyTypes": ["SERVICE_CONTROL_POLICY"],
  "policies": [{"name": "Deny", "type": "SERVICE_CONTROL_POLICY", "file": "scp/deny.json", "attachments": ["Dev"]}]`, 1)
	src.Files = map[string]string{"scp/deny.json": `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"s3:*","Resource":"*"}}`}
	if status, out = adminPost(t, s, "/_orgd/bootstrap", src); status != http.StatusOK {
		t.Fatalf("bootstrap: %d %v", status, out)
	}
	c := s.Client(mgmt)
	pols, err := c.ListPolicies(context.Background(), &organizations.ListPoliciesInput{Filter: types.PolicyTypeServiceControlPolicy})
	if err != nil || len(pols.Policies) != 2 { // with FullAWSAccess
		t.Errorf("policies %+v, %v", pols, err)
	}
	status, out = adminPost(t, s, "/_orgd/bootstrap", src)
	if status != http.StatusBadRequest || out["__type"] != model.CodeConflictException {
		t.Errorf("second bootstrap: %d %v", status, out)
	}
	status, out = adminPost(t, s, "/_orgd/bootstrap", map[string]string{"Content": "management: {id: 1}"})
	if status != http.StatusBadRequest || out["__type"] != model.CodeInvalidInputException || !strings.Contains(out["Message"], ":1: management account: id \"1\" is not 12 digits") {
		t.Errorf("invalid file: %d %v", status, out)
	}
}

// generated is a bootstrap file of n member accounts in ten OUs, with an SCP on each OU.
func generated(n int) string {
	var b strings.Builder
	b.WriteString("management: {id: \"100000000000\", email: m@example.com, name: M}\nenabledPolicyTypes: [SERVICE_CONTROL_POLICY]\norganizationalUnits:\n")
	for ou := range 10 {
		fmt.Fprintf(&b, "  - name: OU%d\n    accounts:\n", ou)
		for i := ou; i < n; i += 10 {
			fmt.Fprintf(&b, "      - {id: \"%012d\", email: a%d@example.com, name: A%d, tags: {Team: t%d}}\n", 200000000000+i, i, i, ou)
		}
	}
	b.WriteString("policies:\n")
	for ou := range 10 {
		fmt.Fprintf(&b, "  - {name: P%d, type: SERVICE_CONTROL_POLICY, content: '{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":\"Deny\",\"Action\":\"s3:*\",\"Resource\":\"*\"}}', attachments: [OU%d]}\n", ou, ou)
	}
	return b.String()
}

func benchmarkApply(b *testing.B, doc string) {
	spec, err := bootstrap.Parse("bench.yaml", []byte(doc), nil)
	if err != nil {
		b.Fatal(err)
	}
	s := apitest.Start(b, apitest.WithQuotas(func(q *org.Quotas) { q.MaxAccounts = 10000 }))
	ctx := context.Background()
	for b.Loop() {
		if err := bootstrap.Apply(ctx, s.Server.Service, spec); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if err := s.Server.Service.Reset(ctx); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}

// BenchmarkApplyLandingZone applies examples/landing-zone.yaml.
func BenchmarkApplyLandingZone(b *testing.B) {
	spec, err := bootstrap.Load("../../examples/landing-zone.yaml")
	if err != nil {
		b.Fatal(err)
	}
	s := apitest.Start(b)
	ctx := context.Background()
	for b.Loop() {
		if err := bootstrap.Apply(ctx, s.Server.Service, spec); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if err := s.Server.Service.Reset(ctx); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}

// BenchmarkApply1000Accounts applies a generated file of 1,000 accounts in ten OUs.
func BenchmarkApply1000Accounts(b *testing.B) { benchmarkApply(b, generated(1000)) }
