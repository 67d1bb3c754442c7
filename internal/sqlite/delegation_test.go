package sqlite

import (
	"strings"
	"testing"
	"time"

	"github.com/orgd/orgd/internal/org"
)

// TestDelegationQueryPlans pins the index each page and count of 0006_delegation.sql walks:
// no full scan of a table, and no sort where a page is read.
func TestDelegationQueryPlans(t *testing.T) {
	s := openMemory(t)
	now := time.Now()
	type plan struct {
		name, query string
		args        []any
		want        string
	}
	var plans []plan
	add := func(name, want string, q string, args []any) { plans = append(plans, plan{name, q, args, want}) }

	add("service access page", "PRIMARY KEY", listServiceAccessQuery, []any{"o-1", "a", 21})
	add("service access page in creation order", "service_access_org_seq", listServiceAccessBySeqQuery, []any{"o-1", 2, 21})
	q, a := listDelegatedAdminsQuery(org.DelegatedAdminQuery{OrgID: "o-1", AccountID: "1", After: "a", Limit: 21})
	add("services of an account", "PRIMARY KEY", q, a)
	q, a = listDelegatedAdminsQuery(org.DelegatedAdminQuery{OrgID: "o-1", ServicePrincipal: "sso", After: "1", Limit: 21})
	add("admins of a service", "delegated_admins_service", q, a)
	q, a = listDelegatedAdminsQuery(org.DelegatedAdminQuery{OrgID: "o-1", After: "1", Limit: 21})
	add("admins grouped by account", "PRIMARY KEY", q, a)
	q, a = listDelegatedAdminsQuery(org.DelegatedAdminQuery{OrgID: "o-1", AccountID: "1", Order: org.ByCreation, AfterSeq: 2, Limit: 21})
	add("services of an account in creation order", "delegated_admins_account_seq", q, a)
	q, a = listDelegatedAdminsQuery(org.DelegatedAdminQuery{OrgID: "o-1", ServicePrincipal: "sso", Order: org.ByCreation, AfterSeq: 2, Limit: 21})
	add("admins of a service in creation order", "delegated_admins_service_account_seq", q, a)
	q, a = listDelegatedAdminsQuery(org.DelegatedAdminQuery{OrgID: "o-1", Order: org.ByCreation, AfterSeq: 2, Limit: 21})
	add("admins grouped by account in creation order", "delegated_admins_org_account_seq", q, a)
	add("largest registration order of an account", "COVERING INDEX delegated_admins_account_seq", nextDelegatedAdminSeqQuery, []any{"o-1", "1"})
	add("place of a registered account", "PRIMARY KEY", delegatedAdminAccountSeqQuery, []any{"o-1", "1"})
	add("largest place among administrators", "COVERING INDEX delegated_admins_org_account_seq", nextDelegatedAdminAccountSeqQuery, []any{"o-1"})
	q, a = listTransfersQuery(org.TransferQuery{TargetOrgID: "o-1", AfterSeq: 3, Limit: 21})
	add("inbound transfers", "transfers_target ", q, a)
	q, a = listTransfersQuery(org.TransferQuery{SourceAccountID: "1", AfterSeq: 3, Limit: 21})
	add("outbound transfers", "transfers_source_account", q, a)
	q, a = countTransfersQuery(org.TransferQuery{TargetOrgID: "o-1", Statuses: []string{"REQUESTED"}, ExpiresAfter: now})
	add("count open inbound", "COVERING INDEX transfers_target_status", q, a)
	q, a = countTransfersQuery(org.TransferQuery{SourceOrgID: "o-1", Statuses: []string{"ACCEPTED"}})
	add("count accepted outbound", "COVERING INDEX transfers_source_status", q, a)

	for _, p := range plans {
		got := queryPlan(t, s, p.query, p.args)
		if !strings.Contains(got, p.want) {
			t.Errorf("%s: plan lacks %q:\n%s", p.name, p.want, got)
		}
		for _, line := range strings.Split(got, "\n") {
			if strings.HasPrefix(line, "SCAN ") {
				t.Errorf("%s: plan scans a table:\n%s", p.name, got)
			}
			if strings.Contains(line, "TEMP B-TREE") {
				t.Errorf("%s: plan sorts:\n%s", p.name, got)
			}
		}
	}
}
