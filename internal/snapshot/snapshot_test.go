package snapshot_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/orgd/orgd/internal/apitest"
	"github.com/orgd/orgd/internal/org"
	"github.com/orgd/orgd/internal/pgtest"
	"github.com/orgd/orgd/internal/server"
	"github.com/orgd/orgd/internal/snapshot"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

const (
	mgmt     = "111111111111" // all-features organization
	cbMgmt   = "222222222222" // consolidated-billing organization, then all features
	payer    = "333333333333" // organization that takes billing over (transfer)
	maxAccts = 12
)

var ctx = context.Background()

// start starts orgd on SQLite in memory ("memory") or PostgreSQL ("postgres"), with quotas
// that let the rich state fit and a transfer be offered.
func start(t *testing.T, store string) *apitest.Server {
	t.Helper()
	return apitest.Start(t, func(c *server.Config) {
		c.DB = "memory"
		if store == "postgres" {
			c.DB = pgtest.URL(t)
		}
	}, apitest.WithQuotas(func(q *org.Quotas) { q.MaxAccounts, q.MaxInboundTransfers = maxAccts, 5 }))
}

func must[T any](t *testing.T, what string) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return v
	}
}

// build makes a rich state through the API: nested OUs, members with tags in them, created
// accounts, invitations open, declined, canceled and expired, an all-features request and its
// approvals, policies of three types attached at several levels, trusted access, delegated
// administrators, a resource policy, a responsibility transfer, a declared role and a moved
// clock.
func build(t *testing.T, s *apitest.Server) {
	t.Helper()
	s.Register(map[string]any{"Id": mgmt, "Email": "Mgmt@example.com", "Name": "management"})
	s.Register(map[string]any{"Id": "999999999999", "Email": "alone@example.com", "Name": "standalone"})
	s.CreateOrganization(mgmt)
	c := s.Client(mgmt)
	root := must[*organizations.ListRootsOutput](t, "ListRoots")(c.ListRoots(ctx, &organizations.ListRootsInput{})).Roots[0].Id
	ou := func(parent *string, name string) *string {
		return must[*organizations.CreateOrganizationalUnitOutput](t, "CreateOU "+name)(c.CreateOrganizationalUnit(ctx,
			&organizations.CreateOrganizationalUnitInput{ParentId: parent, Name: aws.String(name),
				Tags: []types.Tag{{Key: aws.String("level"), Value: aws.String(name)}}})).OrganizationalUnit.Id
	}
	security := ou(root, "Security")
	workloads := ou(root, "Workloads")
	prod := ou(workloads, "Prod")
	ou(workloads, "Dev")
	for i, m := range []string{"100000000001", "100000000002", "100000000003"} {
		s.Join(mgmt, m)
		dest := []*string{security, prod, prod}[i]
		must[*organizations.MoveAccountOutput](t, "MoveAccount")(c.MoveAccount(ctx, &organizations.MoveAccountInput{AccountId: aws.String(m), SourceParentId: root, DestinationParentId: dest}))
		must[*organizations.TagResourceOutput](t, "TagResource")(c.TagResource(ctx, &organizations.TagResourceInput{ResourceId: aws.String(m),
			Tags: []types.Tag{{Key: aws.String("z"), Value: aws.String("last key first put")}, {Key: aws.String("a"), Value: aws.String(m)}}}))
	}
	must[*organizations.CreateAccountOutput](t, "CreateAccount")(c.CreateAccount(ctx, &organizations.CreateAccountInput{
		AccountName: aws.String("made"), Email: aws.String("made@example.com"), Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}}))
	// Invitations: one declined, one canceled, one left open, one that expires.
	declined := s.Invite(mgmt, "100000000004")
	must[*organizations.DeclineHandshakeOutput](t, "Decline")(s.Client("100000000004").DeclineHandshake(ctx, &organizations.DeclineHandshakeInput{HandshakeId: declined.Id}))
	canceled := s.Invite(mgmt, "100000000005")
	must[*organizations.CancelHandshakeOutput](t, "Cancel")(c.CancelHandshake(ctx, &organizations.CancelHandshakeInput{HandshakeId: canceled.Id}))
	s.Invite(mgmt, "100000000006")
	s.Advance(16 * 24 * time.Hour) // the open invitation expires
	s.Invite(mgmt, "100000000007")

	for _, typ := range []types.PolicyType{types.PolicyTypeServiceControlPolicy, types.PolicyTypeTagPolicy} {
		must[*organizations.EnablePolicyTypeOutput](t, "EnablePolicyType")(c.EnablePolicyType(ctx, &organizations.EnablePolicyTypeInput{RootId: root, PolicyType: typ}))
	}
	scp := must[*organizations.CreatePolicyOutput](t, "CreatePolicy")(c.CreatePolicy(ctx, &organizations.CreatePolicyInput{
		Name: aws.String("deny-leave"), Description: aws.String("no leaving"), Type: types.PolicyTypeServiceControlPolicy,
		Content: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"organizations:LeaveOrganization","Resource":"*"}]}`),
		Tags:    []types.Tag{{Key: aws.String("owner"), Value: aws.String("security")}}})).Policy.PolicySummary.Id
	tagPolicy := must[*organizations.CreatePolicyOutput](t, "CreatePolicy")(c.CreatePolicy(ctx, &organizations.CreatePolicyInput{
		Name: aws.String("cost-center"), Description: aws.String(""), Type: types.PolicyTypeTagPolicy,
		Content: aws.String(`{"tags":{"CostCenter":{"tag_key":{"@@assign":"CostCenter"}}}}`)})).Policy.PolicySummary.Id
	// Never enabled: a policy of a type need not be enabled to exist.
	must[*organizations.CreatePolicyOutput](t, "CreatePolicy")(c.CreatePolicy(ctx, &organizations.CreatePolicyInput{
		Name: aws.String("opt-out"), Description: aws.String("d"), Type: types.PolicyTypeAiservicesOptOutPolicy,
		Content: aws.String(`{"services":{"default":{"opt_out_policy":{"@@assign":"optOut"}}}}`)}))
	for _, target := range []*string{workloads, aws.String("100000000002"), root} {
		must[*organizations.AttachPolicyOutput](t, "AttachPolicy")(c.AttachPolicy(ctx, &organizations.AttachPolicyInput{PolicyId: scp, TargetId: target}))
	}
	must[*organizations.AttachPolicyOutput](t, "AttachPolicy")(c.AttachPolicy(ctx, &organizations.AttachPolicyInput{PolicyId: tagPolicy, TargetId: prod}))
	// Detached and attached again: it moves last among the workloads OU's SCPs.
	must[*organizations.DetachPolicyOutput](t, "DetachPolicy")(c.DetachPolicy(ctx, &organizations.DetachPolicyInput{PolicyId: aws.String("p-FullAWSAccess"), TargetId: workloads}))
	must[*organizations.AttachPolicyOutput](t, "AttachPolicy")(c.AttachPolicy(ctx, &organizations.AttachPolicyInput{PolicyId: aws.String("p-FullAWSAccess"), TargetId: workloads}))

	// Account 3 registered first, then 1, then 3 again: its registrations stay grouped.
	for _, d := range []struct{ service, account string }{{"securityhub.amazonaws.com", "100000000003"},
		{"guardduty.amazonaws.com", "100000000001"}, {"config.amazonaws.com", "100000000003"}} {
		must[*organizations.EnableAWSServiceAccessOutput](t, "EnableAWSServiceAccess")(c.EnableAWSServiceAccess(ctx,
			&organizations.EnableAWSServiceAccessInput{ServicePrincipal: aws.String(d.service)}))
		must[*organizations.RegisterDelegatedAdministratorOutput](t, "Register")(c.RegisterDelegatedAdministrator(ctx,
			&organizations.RegisterDelegatedAdministratorInput{AccountId: aws.String(d.account), ServicePrincipal: aws.String(d.service)}))
	}
	must[*organizations.PutResourcePolicyOutput](t, "PutResourcePolicy")(c.PutResourcePolicy(ctx, &organizations.PutResourcePolicyInput{
		Content: aws.String(`{"Version": "2012-10-17", "Statement": [{"Sid": "s", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::100000000001:root"}, "Action": "organizations:DescribeOrganization", "Resource": "*"}]}`),
		Tags:    []types.Tag{{Key: aws.String("rp"), Value: aws.String("yes")}}}))

	// A consolidated-billing organization moving to all features: ENABLE_ALL_FEATURES and
	// its APPROVE_ALL_FEATURES children.
	s.Register(map[string]any{"Id": cbMgmt, "Email": "cb@example.com"})
	must[*organizations.CreateOrganizationOutput](t, "CreateOrganization")(s.Client(cbMgmt).CreateOrganization(ctx,
		&organizations.CreateOrganizationInput{FeatureSet: types.OrganizationFeatureSetConsolidatedBilling}))
	s.Join(cbMgmt, "200000000001")
	must[*organizations.EnableAllFeaturesOutput](t, "EnableAllFeatures")(s.Client(cbMgmt).EnableAllFeatures(ctx, &organizations.EnableAllFeaturesInput{}))

	// The payer's organization offers to take over the consolidated-billing one's bills.
	s.CreateOrganization(payer)
	must[*organizations.InviteOrganizationToTransferResponsibilityOutput](t, "InviteOrganizationToTransferResponsibility")(
		s.Client(payer).InviteOrganizationToTransferResponsibility(ctx, &organizations.InviteOrganizationToTransferResponsibilityInput{
			Type: types.ResponsibilityTransferTypeBilling, Target: &types.HandshakeParty{Type: types.HandshakePartyTypeAccount, Id: aws.String(cbMgmt)},
			StartTimestamp: aws.Time(firstOfMonthAfterNext()),
			SourceName:     aws.String("billing"), Tags: []types.Tag{{Key: aws.String("tr"), Value: aws.String("1")}}}))

	s.Admin(http.MethodPost, "/_orgd/roles", map[string]any{"AccountId": "100000000001", "RoleName": "Auditor",
		"TrustedPrincipals": []string{mgmt}, "Tags": map[string]string{"team": "audit"}}, nil)
}

// firstOfMonthAfterNext is a valid transfer start: the first of a month, more than a day away.
func firstOfMonthAfterNext() time.Time {
	now := time.Now().UTC()
	return time.Date(now.Year(), now.Month()+2, 1, 0, 0, 0, 0, time.UTC)
}

// export returns the server's snapshot as GET /_orgd/export answers it.
func export(t *testing.T, s *apitest.Server) []byte {
	t.Helper()
	code, body := call(t, s, http.MethodGet, "/_orgd/export", nil)
	if code != http.StatusOK {
		t.Fatalf("export: %d %s", code, body)
	}
	return body
}

func call(t *testing.T, s *apitest.Server, method, path string, body []byte) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, out
}

func importDoc(t *testing.T, s *apitest.Server, doc []byte) {
	t.Helper()
	if code, body := call(t, s, http.MethodPost, "/_orgd/import", doc); code != http.StatusOK {
		t.Fatalf("import: %d %s", code, body)
	}
}

// requireSame fails with the first line that differs.
func requireSame(t *testing.T, what string, got, want []byte) {
	t.Helper()
	if bytes.Equal(got, want) {
		return
	}
	g, w := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := range min(len(g), len(w)) {
		if g[i] != w[i] {
			t.Fatalf("%s: line %d is %q, want %q", what, i+1, g[i], w[i])
		}
	}
	t.Fatalf("%s: %d lines, want %d", what, len(g), len(w))
}

// TestRoundTrip: a rich state built through the API exports, imports into an empty store and
// exports again to the same bytes, on SQLite and on PostgreSQL, and across the two.
func TestRoundTrip(t *testing.T) {
	for _, from := range []string{"memory", "postgres"} {
		t.Run(from, func(t *testing.T) {
			src := start(t, from)
			build(t, src)
			first := export(t, src)
			var doc snapshot.Document
			if err := json.Unmarshal(first, &doc); err != nil {
				t.Fatal(err)
			}
			checkRich(t, &doc)
			for _, to := range []string{"memory", "postgres"} {
				dst := start(t, to)
				importDoc(t, dst, first)
				requireSame(t, from+" → "+to, export(t, dst), first)
			}
		})
	}
}

// checkRich fails unless the document holds what build made: a round trip of less proves
// less.
func checkRich(t *testing.T, doc *snapshot.Document) {
	t.Helper()
	if len(doc.Organizations) != 3 || doc.Settings.ClockOffsetMillis != (16*24*time.Hour).Milliseconds() {
		t.Fatalf("%d organizations, clock offset %d", len(doc.Organizations), doc.Settings.ClockOffsetMillis)
	}
	var o *snapshot.Organization
	for i := range doc.Organizations {
		if doc.Organizations[i].ManagementAccountID == mgmt {
			o = &doc.Organizations[i]
		}
	}
	states := map[string]int{}
	for _, h := range doc.Handshakes {
		states[h.Action+"/"+h.State]++
	}
	if o == nil || len(o.OUs) != 4 || len(o.Accounts) != 5 || len(o.Policies) != 3 || len(o.Attachments) < 8 ||
		len(o.DelegatedAdministrators) != 3 || o.ResourcePolicy == nil || len(o.CreateAccountStatuses) != 1 ||
		len(o.TrustedServices) != 3 || len(o.EnabledPolicyTypes) != 2 || len(doc.Accounts) != 1 || len(doc.Transfers) != 1 ||
		len(doc.Roles) == 0 || states["INVITE/DECLINED"] != 1 || states["INVITE/CANCELED"] != 1 ||
		states["APPROVE_ALL_FEATURES/OPEN"] == 0 || states["ENABLE_ALL_FEATURES/REQUESTED"] != 1 || states["INVITE/EXPIRED"] != 1 {
		t.Fatalf("the document lacks some of the state built: %+v\nhandshakes %v", o, states)
	}
}

// TestImportThenAPI: after an import the API answers as before it: pages of accounts,
// handshakes, and the account quota, which counts members and open invitations from
// counters the stores keep on the organization's row.
func TestImportThenAPI(t *testing.T) {
	src := start(t, "memory")
	build(t, src)
	doc := export(t, src)
	dst := start(t, "memory")
	importDoc(t, dst, doc)

	pagesOf := func(s *apitest.Server) []string {
		var ids []string
		p := organizations.NewListAccountsPaginator(s.Client(mgmt), &organizations.ListAccountsInput{MaxResults: aws.Int32(2)})
		for p.HasMorePages() {
			out := must[*organizations.ListAccountsOutput](t, "ListAccounts")(p.NextPage(ctx))
			for _, a := range out.Accounts {
				ids = append(ids, aws.ToString(a.Id)+" "+string(a.State)+" "+aws.ToString(a.Email))
			}
		}
		return ids
	}
	if got, want := pagesOf(dst), pagesOf(src); strings.Join(got, ",") != strings.Join(want, ",") || len(want) != 5 {
		t.Errorf("accounts after import %v, before %v", got, want)
	}
	handshakes := func(s *apitest.Server) string {
		out := must[*organizations.ListHandshakesForOrganizationOutput](t, "ListHandshakesForOrganization")(
			s.Client(mgmt).ListHandshakesForOrganization(ctx, &organizations.ListHandshakesForOrganizationInput{}))
		var b strings.Builder
		for _, h := range out.Handshakes {
			d := must[*organizations.DescribeHandshakeOutput](t, "DescribeHandshake")(s.Client(mgmt).DescribeHandshake(ctx,
				&organizations.DescribeHandshakeInput{HandshakeId: h.Id}))
			b.WriteString(aws.ToString(d.Handshake.Id) + " " + string(d.Handshake.State) + " " + aws.ToString(d.Handshake.Arn) + "\n")
		}
		return b.String()
	}
	if got, want := handshakes(dst), handshakes(src); got != want || strings.Count(want, "\n") < 4 {
		t.Errorf("handshakes after import:\n%s\nbefore:\n%s", got, want)
	}
	// The quota: as many more invitations go out after the import as before it.
	invitable := func(s *apitest.Server) int {
		for n := range 20 {
			_, err := s.Client(mgmt).InviteAccountToOrganization(ctx, &organizations.InviteAccountToOrganizationInput{
				Target: &types.HandshakeParty{Type: types.HandshakePartyTypeAccount, Id: aws.String("50000000000" + string(rune('0'+n%10)))}})
			var cv *types.HandshakeConstraintViolationException
			if errors.As(err, &cv) {
				return n
			}
			if err != nil {
				t.Fatalf("invite: %v", err)
			}
		}
		t.Fatal("the account quota never refused an invitation")
		return 0
	}
	if got, want := invitable(dst), invitable(src); got != want || want == 0 {
		t.Errorf("%d invitations fit under the quota after import, %d before", got, want)
	}
}

// TestImportRefusals: a document from a newer version, or an inconsistent one, is refused
// with a message naming the problem and where, and writes nothing; so is an import into a
// store that holds state.
func TestImportRefusals(t *testing.T) {
	src := start(t, "memory")
	build(t, src)
	good := export(t, src)
	dst := start(t, "memory")
	empty := export(t, dst)

	orgOf := func(d *snapshot.Document) *snapshot.Organization {
		for i := range d.Organizations {
			if d.Organizations[i].ManagementAccountID == mgmt {
				return &d.Organizations[i]
			}
		}
		t.Fatal("no organization of " + mgmt)
		return nil
	}
	cases := []struct {
		name   string
		edit   func(d *snapshot.Document)
		status int
		want   string
	}{
		{"newer version", func(d *snapshot.Document) { d.Version = snapshot.Version + 1 }, 400, "version: the document is version 2, newer than this orgd reads (version 1)"},
		{"another format", func(d *snapshot.Document) { d.Format = "terraform" }, 400, `format: "terraform" is not "orgd-snapshot"`},
		{"duplicate account", func(d *snapshot.Document) { d.Accounts = append(d.Accounts, orgOf(d).Accounts[1]) }, 400, "is listed twice (first at organizations["},
		{"duplicate e-mail", func(d *snapshot.Document) { d.Accounts[0].Email = strings.ToUpper(orgOf(d).Accounts[0].Email) }, 400, "accounts[0].email: "},
		{"missing parent", func(d *snapshot.Document) { orgOf(d).Accounts[3].ParentID = "ou-zzzz-zzzzzzzz" }, 400, ".accounts[3].parentId: ou-zzzz-zzzzzzzz does not exist"},
		{"OU before its parent", func(d *snapshot.Document) {
			o := orgOf(d)
			o.OUs[0], o.OUs[len(o.OUs)-1] = o.OUs[len(o.OUs)-1], o.OUs[0]
		}, 400, "an OU comes after its parent"},
		{"unknown attachment target", func(d *snapshot.Document) { orgOf(d).Attachments[0].TargetID = "100000000009" }, 400, ".attachments[0].targetId: 100000000009 is not the root, an OU or an account"},
		{"unknown attached policy", func(d *snapshot.Document) { orgOf(d).Attachments[0].PolicyID = "p-00000000" }, 400, ".attachments[0].policyId: p-00000000 is not a policy"},
		{"management account elsewhere", func(d *snapshot.Document) { orgOf(d).ManagementAccountID = "999999999999" }, 400, ".managementAccountId: 999999999999 is not one of the organization's accounts"},
		{"invalid policy", func(d *snapshot.Document) { orgOf(d).Policies[0].Content = `{"Statement": 3}` }, 400, ".policies[0].content: "},
		{"unknown account state", func(d *snapshot.Document) { orgOf(d).Accounts[0].State = "ASLEEP" }, 400, `.accounts[0].state: "ASLEEP" is not one of`},
		{"unknown handshake state", func(d *snapshot.Document) { d.Handshakes[0].State = "PONDERING" }, 400, `handshakes[0].state: "PONDERING" is not one of`},
		{"transfer without handshake", func(d *snapshot.Document) { d.Transfers[0].HandshakeID = "h-0000000000" }, 400, "transfers[0].handshakeId: h-0000000000 does not exist"},
		{"delegated management account", func(d *snapshot.Document) { orgOf(d).DelegatedAdministrators[0].AccountID = mgmt }, 400, "is the management account"},
		{"a later failure", func(d *snapshot.Document) { d.Roles = append(d.Roles, d.Roles[0]) }, 400, "].name: account 100000000001 has another role of this name"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var d snapshot.Document
			if err := json.Unmarshal(good, &d); err != nil {
				t.Fatal(err)
			}
			tc.edit(&d)
			body, err := snapshot.Marshal(&d)
			if err != nil {
				t.Fatal(err)
			}
			code, answer := call(t, dst, http.MethodPost, "/_orgd/import", body)
			var msg struct{ Message string }
			json.Unmarshal(answer, &msg)
			if code != tc.status || !strings.Contains(msg.Message, tc.want) {
				t.Errorf("import: %d %s, want %d and %q", code, answer, tc.status, tc.want)
			}
			requireSame(t, "the store after a refused import", export(t, dst), empty)
		})
	}
	t.Run("not JSON", func(t *testing.T) {
		code, answer := call(t, dst, http.MethodPost, "/_orgd/import", []byte(`{"format": "orgd-snapshot", "version": 1, "organizations": [`))
		if code != 400 || !strings.Contains(string(answer), "not a snapshot document") {
			t.Errorf("import of a truncated document: %d %s", code, answer)
		}
	})
	t.Run("unknown field", func(t *testing.T) {
		code, answer := call(t, dst, http.MethodPost, "/_orgd/import", []byte(`{"format": "orgd-snapshot", "version": 1, "organisations": []}`))
		if code != 400 || !strings.Contains(string(answer), `unknown field \"organisations\"`) {
			t.Errorf("import with a misspelt field: %d %s", code, answer)
		}
	})
	t.Run("non-empty store", func(t *testing.T) {
		before := export(t, src)
		code, answer := call(t, src, http.MethodPost, "/_orgd/import", good)
		if code != http.StatusConflict || !strings.Contains(string(answer), "the store is not empty: it holds organization o-") {
			t.Errorf("import into a store with state: %d %s", code, answer)
		}
		requireSame(t, "the store after a refused import", export(t, src), before)
	})
}
