package org_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/orgd/orgd/internal/catalog"
	"github.com/orgd/orgd/internal/model"
	"github.com/orgd/orgd/internal/org"
	"github.com/orgd/orgd/internal/sqlite"
)

// BenchmarkImpact is issue 12's impact benchmark: 1,000 accounts in 50 OUs (10 under the
// root, 4 under each of them), 30 SCPs attached across the OUs besides FullAWSAccess, and
// one change (the region guardrail proposed for one top-level OU, which reaches 5 OUs and 100
// accounts), analysed over the full catalogue.
func BenchmarkImpact(b *testing.B) {
	ctx := context.Background()
	store, err := sqlite.Open(ctx, sqlite.Memory, sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	quotas := org.DefaultQuotas()
	quotas.MaxAccounts = 2000
	svc, err := org.New(ctx, store, org.Config{Quotas: quotas})
	if err != nil {
		b.Fatal(err)
	}
	const mgmt = "610000000000"
	as := org.WithCaller(ctx, org.Caller{AccountID: mgmt})
	must := func(err error) {
		b.Helper()
		if err != nil {
			b.Fatal(err)
		}
	}
	_, err = svc.CreateOrganization(as, &model.CreateOrganizationRequest{FeatureSet: model.Ptr(model.OrganizationFeatureSetAll)})
	must(err)
	roots, err := svc.ListRoots(as, &model.ListRootsRequest{})
	must(err)
	root := *roots.Roots[0].Id
	_, err = svc.EnablePolicyType(as, &model.EnablePolicyTypeRequest{RootId: &root, PolicyType: model.Ptr(model.PolicyTypeServiceControlPolicy)})
	must(err)
	ou := func(parent, name string) string {
		out, err := svc.CreateOrganizationalUnit(as, &model.CreateOrganizationalUnitRequest{ParentId: &parent, Name: &name})
		must(err)
		return *out.OrganizationalUnit.Id
	}
	var top, ous []string
	for i := range 10 {
		t := ou(root, fmt.Sprint("top-", i))
		top, ous = append(top, t), append(ous, t)
		for j := range 4 {
			ous = append(ous, ou(t, fmt.Sprint("team-", i, "-", j)))
		}
	}
	services := catalog.Services()
	for i := range 30 {
		doc := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Sid":"S%d","Effect":"Deny","Action":["%s:Delete*","%s:Put*"],"Resource":"*"}]}`,
			i, services[i*7%len(services)], services[(i*7+3)%len(services)])
		p, err := svc.CreatePolicy(as, &model.CreatePolicyRequest{Name: model.Ptr(fmt.Sprint("scp-", i)), Description: model.Ptr("bench"),
			Type: model.Ptr(model.PolicyTypeServiceControlPolicy), Content: &doc})
		must(err)
		for _, target := range []string{ous[i], ous[(i+17)%len(ous)]} {
			must(svc.AttachPolicy(as, &model.AttachPolicyRequest{PolicyId: p.Policy.PolicySummary.Id, TargetId: &target}))
		}
	}
	for i := range 1000 {
		out, err := svc.CreateAccount(as, &model.CreateAccountRequest{AccountName: model.Ptr(fmt.Sprint("acct-", i)), Email: model.Ptr(fmt.Sprint("acct-", i, "@example.org"))})
		must(err)
		st, err := svc.DescribeCreateAccountStatus(as, &model.DescribeCreateAccountStatusRequest{CreateAccountRequestId: out.CreateAccountStatus.Id})
		must(err)
		must(svc.MoveAccount(as, &model.MoveAccountRequest{AccountId: st.CreateAccountStatus.AccountId, SourceParentId: &root, DestinationParentId: &ous[i%len(ous)]}))
	}
	denyRegion := json.RawMessage(`{"Version":"2012-10-17","Statement":[{"Sid":"DenyOutsideEU","Effect":"Deny",
		"NotAction":["iam:*","organizations:*","sts:*","support:*","cloudfront:*","route53:*","budgets:*"],
		"Resource":"*","Condition":{"StringNotEquals":{"aws:RequestedRegion":["eu-west-1"]}}}]}`)
	req := &org.ImpactRequest{Detail: "summary", Changes: []org.ImpactChange{{Attach: &org.ImpactAttach{Content: denyRegion, Name: "eu-only", TargetId: top[0]}}}}
	out, err := svc.Impact(ctx, req)
	must(err)
	affected := 0
	for _, p := range out.OrganizationalUnits {
		affected += len(p.Accounts)
	}
	if affected != 100 || out.AccountsAnalysed != 1000 {
		b.Fatalf("%d of %d accounts affected, want 100 of 1000", affected, out.AccountsAnalysed)
	}
	for b.Loop() {
		if _, err := svc.Impact(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}
