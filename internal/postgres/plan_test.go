package postgres

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/orgd/orgd/internal/org"
)

// seedPlans fills the tables with a spread like a busy server's (many organizations, each
// with its accounts, OUs, handshakes, policies ...) and has PostgreSQL gather its
// statistics: the planner chooses an index by them, and on empty tables every index costs
// the same. Organization o-000001 is one of many.
func seedPlans(t *testing.T, s *Store) {
	t.Helper()
	for _, stmt := range []string{
		`INSERT INTO accounts (id, email, email_lower, name, seller, payment_instrument, email_verified,
			org_id, parent_id, state, closed_at)
		SELECT lpad(i::text, 12, '0'), i || '@example.com', i || '@example.com', 'a', 'AWS', true, true,
			'o-' || lpad((i % 200)::text, 6, '0'), 'ou-' || (i % 1000), 'ACTIVE',
			CASE WHEN i % 50 = 0 THEN i END
		FROM generate_series(1, 20000) AS i`,
		`INSERT INTO ous (id, org_id, parent_id, name, path, depth)
		SELECT 'ou-' || i, 'o-' || lpad((i % 200)::text, 6, '0'), 'r-' || (i % 200), 'n' || i, 'p', 1
		FROM generate_series(1, 4000) AS i`,
		`INSERT INTO create_account_requests (id, org_id, account_name, email, role_name, iam_billing, govcloud,
			state, requested_at, completes_at)
		SELECT 'car-' || i, 'o-' || lpad((i % 200)::text, 6, '0'), 'n', 'e', 'r', 'ALLOW', false,
			(ARRAY['SUCCEEDED', 'FAILED', 'IN_PROGRESS', 'SUCCEEDED'])[i % 4 + 1], i, i
		FROM generate_series(1, 8000) AS i`,
		`INSERT INTO handshakes (id, org_id, action, state, recipient_account_id, recipient_email, parent_id,
			requested_at, expires_at, visible_until)
		SELECT 'h-' || i, 'o-' || lpad((i % 200)::text, 6, '0'),
			(ARRAY['INVITE', 'INVITE', 'INVITE', 'ENABLE_ALL_FEATURES', 'APPROVE_ALL_FEATURES'])[i % 5 + 1],
			(ARRAY['OPEN', 'ACCEPTED', 'DECLINED', 'CANCELED', 'EXPIRED', 'REQUESTED'])[i % 6 + 1],
			CASE WHEN i % 2 = 0 THEN lpad((i % 5000)::text, 12, '0') END,
			CASE WHEN i % 2 = 1 THEN (i % 5000) || '@example.com' END,
			CASE WHEN i % 5 = 4 THEN 'h-' || (i - 1) END,
			i, i + 1000, i + 2000
		FROM generate_series(1, 30000) AS i`,
		`INSERT INTO policies (id, org_id, type, name, description, content)
		SELECT 'p-' || i, 'o-' || lpad((i % 200)::text, 6, '0'),
			(ARRAY['SERVICE_CONTROL_POLICY', 'TAG_POLICY', 'BACKUP_POLICY'])[i % 3 + 1], 'n' || i, '', '{}'
		FROM generate_series(1, 6000) AS i`,
		`INSERT INTO policy_attachments (org_id, policy_id, target_id, policy_type, target_type, seq)
		SELECT 'o-' || lpad((i % 200)::text, 6, '0'), 'p-' || (i % 6000), 't-' || i,
			(ARRAY['SERVICE_CONTROL_POLICY', 'TAG_POLICY', 'BACKUP_POLICY'])[i % 3 + 1], 'ACCOUNT', 1
		FROM generate_series(1, 20000) AS i`,
		`INSERT INTO policy_types (org_id, type, root_id, status)
		SELECT 'o-' || lpad(o::text, 6, '0'), ty, 'r', 'ENABLED'
		FROM generate_series(0, 199) AS o, unnest(ARRAY['SERVICE_CONTROL_POLICY', 'TAG_POLICY', 'BACKUP_POLICY']) AS ty`,
		`INSERT INTO service_access (org_id, service_principal)
		SELECT 'o-' || lpad((i % 200)::text, 6, '0'), 's' || i || '.amazonaws.com' FROM generate_series(1, 4000) AS i`,
		`INSERT INTO delegated_admins (org_id, account_id, service_principal, account_seq)
		SELECT 'o-' || lpad((i % 200)::text, 6, '0'), lpad((i % 4000)::text, 12, '0'), 's' || (i / 4000) || '.amazonaws.com', i % 4000
		FROM generate_series(1, 8000) AS i`,
		`INSERT INTO transfers (id, type, name, status, handshake_id, target_org_id, target_account_id, target_email,
			source_org_id, source_account_id, source_email, expires_at)
		SELECT 'rt-' || i, 'BILLING', 'n', (ARRAY['REQUESTED', 'ACCEPTED', 'DECLINED'])[i % 3 + 1], 'h-t' || i,
			'o-' || lpad((i % 200)::text, 6, '0'), 'a', 'e', 'o-' || lpad(((i + 7) % 200)::text, 6, '0'),
			lpad((i % 3000)::text, 12, '0'), 'e', i
		FROM generate_series(1, 4000) AS i`,
		`ANALYZE`,
	} {
		if _, err := s.pool.Exec(t.Context(), stmt); err != nil {
			t.Fatalf("seed: %v\n%s", err, stmt)
		}
	}
}

// queryPlan returns PostgreSQL's plan for a query, sequential scans disabled: the question
// is which index serves the query, and whether in the order a page needs. With generic, it
// is the plan for any parameters, which PostgreSQL may settle on for a statement prepared
// once and run many times, as pgx's are.
func queryPlan(t *testing.T, s *Store, query string, args []any, generic bool) string {
	t.Helper()
	var lines []string
	err := pgx.BeginFunc(t.Context(), s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(t.Context(), "SET LOCAL enable_seqscan = off"); err != nil {
			return err
		}
		explain := "EXPLAIN " + query
		if generic {
			if _, err := tx.Exec(t.Context(), "SET LOCAL plan_cache_mode = force_generic_plan"); err != nil {
				return err
			}
			if _, err := tx.Exec(t.Context(), "PREPARE planned AS "+query); err != nil {
				return err
			}
			// EXECUTE takes its arguments as SQL: a utility statement has no parameters.
			lits := make([]string, len(args))
			for i, a := range args {
				lits[i] = literal(a)
			}
			explain, args = "EXPLAIN EXECUTE planned("+strings.Join(lits, ", ")+")", nil
		}
		rows, err := tx.Query(t.Context(), explain, args...)
		if err != nil {
			return err
		}
		lines, err = pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		if generic {
			_, err = tx.Exec(t.Context(), "DEALLOCATE planned")
		}
		return err
	})
	if err != nil {
		t.Fatalf("EXPLAIN %s: %v", query, err)
	}
	return strings.Join(lines, "\n")
}

// literal renders a statement argument as SQL.
func literal(v any) string {
	switch v := v.(type) {
	case nil:
		return "NULL"
	case string:
		return "'" + strings.ReplaceAll(v, "'", "''") + "'"
	case []string:
		lits := make([]string, len(v))
		for i, s := range v {
			lits[i] = literal(s)
		}
		return "ARRAY[" + strings.Join(lits, ", ") + "]"
	default:
		return fmt.Sprint(v)
	}
}

// TestQueryPlans pins the index each hot query uses, in its custom plan and its generic
// one: pages walk an index in order (no Sort, but where a few pages are merged), and
// nothing scans a whole table. An index "a|b" may be either: the two serve the query alike.
// Every statement is the store's own, a constant or the builder its method runs, so that a
// change of the SQL changes what this test plans.
func TestQueryPlans(t *testing.T) {
	s := open(t)
	seedPlans(t, s)
	const o1 = "o-000001"
	now := int64(15000) // the seeded handshakes' times are their numbers
	at := time.UnixMilli(now)
	open := []string{"OPEN", "REQUESTED"}
	type plan struct {
		name  string
		query string
		args  []any
		sorts bool     // a Sort of a few pages is expected
		wants []string // indexes the plan must use
	}
	var plans []plan
	add := func(name, query string, args []any, sorts bool, wants ...string) {
		plans = append(plans, plan{name, query, args, sorts, wants})
	}
	var q string
	var a []any

	q, a = listAccountsQuery(org.AccountQuery{OrgID: o1, AfterID: "0", Limit: 20})
	add("accounts of org", q, a, false, "accounts_org|accounts_org_parent")
	q, a = listAccountsQuery(org.AccountQuery{OrgID: o1, ParentID: "ou-1", AfterID: "0", Limit: 20})
	add("accounts of parent", q, a, false, "accounts_org_parent")
	q, a = listAccountsQuery(org.AccountQuery{AfterID: "0", Limit: 20})
	add("all accounts", q, a, false, "accounts_pkey")
	q, a = listAccountsQuery(org.AccountQuery{OrgID: o1, Order: org.ByCreation, AfterSeq: 3, Limit: 20})
	add("accounts of org in creation order", q, a, false, "accounts_org_seq|accounts_org_parent_seq")
	q, a = listAccountsQuery(org.AccountQuery{OrgID: o1, ParentID: "ou-1", Order: org.ByCreation, AfterSeq: 3, Limit: 20})
	add("accounts of parent in creation order", q, a, false, "accounts_org_parent_seq")
	add("count closures", countClosuresQuery, []any{o1, 5}, false, "accounts_org_closed")
	add("account by e-mail", accountByEmailQuery, []any{"a"}, false, "accounts_email_lower_key")

	q, a = listOUsQuery(org.OUQuery{OrgID: o1, ParentID: "r-1", AfterID: "ou-1", Limit: 21})
	add("OUs of parent", q, a, false, "ous_org_parent|ous_parent_id_name_key")
	q, a = listOUsQuery(org.OUQuery{OrgID: o1, ParentID: "r-1", Order: org.ByCreation, AfterSeq: 2, Limit: 21})
	add("OUs of parent in creation order", q, a, false, "ous_org_parent_seq")
	q, a = countOUsQuery(org.OUQuery{OrgID: o1})
	add("count OUs", q, a, false, "ous_org|ous_org_parent|ous_org_parent_seq")

	q, a = listCreateAccountQuery(org.CreateAccountQuery{OrgID: o1, AfterSeq: 3, Limit: 21})
	add("create account requests of org", q, a, false, "create_account_requests_org")
	q, a = listCreateAccountQuery(org.CreateAccountQuery{OrgID: o1, States: []string{"FAILED"}, AfterSeq: 3, Limit: 21})
	add("create account requests of org in a state", q, a, false, "create_account_requests_org_state")
	q, a = listCreateAccountQuery(org.CreateAccountQuery{States: []string{"IN_PROGRESS"}, DueBy: at, Limit: 100})
	add("due create account requests", q, a, false, "create_account_requests_due")

	q, a = listHandshakesQuery(org.HandshakeQuery{OrgID: o1, VisibleAfter: at, Limit: 21})
	add("org handshakes", q, a, false, "handshakes_org")
	q, a = listHandshakesQuery(org.HandshakeQuery{OrgID: o1, Action: "INVITE", VisibleAfter: at, AfterSeq: 5, Limit: 21})
	add("org handshakes of an action", q, a, false, "handshakes_org")
	q, a = listHandshakesQuery(org.HandshakeQuery{OrgID: o1, Action: "INVITE", States: open, ExpiresAfter: at, Limit: 100})
	add("open org handshakes (each)", q, a, false, "handshakes_org")
	q, a = listHandshakesQuery(org.HandshakeQuery{RecipientAccountID: "1", RecipientEmail: "a@b", VisibleAfter: at, Limit: 21})
	add("recipient handshakes", q, a, true, "handshakes_recipient_account", "handshakes_recipient_email", "handshakes_pkey")
	q, a = listHandshakesQuery(org.HandshakeQuery{RecipientAccountID: "1", Action: "INVITE", VisibleAfter: at, Limit: 21})
	add("recipient account handshakes", q, a, false, "handshakes_recipient_account")
	q, a = listHandshakesQuery(org.HandshakeQuery{ParentID: "h-1", NotStates: []string{"ACCEPTED"}, Limit: 100})
	add("children", q, a, false, "handshakes_parent")
	q, a = listHandshakesQuery(org.HandshakeQuery{ParentID: "h-1", RecipientAccountID: "1", States: open, ExpiresAfter: at, Limit: 100})
	add("child of a recipient", q, a, false, "handshakes_recipient_account")
	q, a = listHandshakesQuery(org.HandshakeQuery{Limit: 100})
	add("every handshake", q, a, false, "handshakes_pkey")

	add("invitations leaving the daily window", invitationsBetweenQuery, []any{o1, now - 100, now}, false, "handshakes_org_state_requested")
	add("invitations that expired", expireInvitationsQuery, []any{o1, now}, false, "handshakes_org_open|handshakes_org_state_requested")
	q, a = countHandshakesQuery(org.HandshakeQuery{OrgID: o1, Action: "INVITE", States: open, ExpiresAfter: at})
	add("count open invitations", q, a, false, "handshakes_org_open|handshakes_org_state_requested")
	q, a = countHandshakesQuery(org.HandshakeQuery{OrgID: o1, RecipientAccountID: "1", RecipientEmail: "a@b", States: open, ExpiresAfter: at})
	add("count duplicate invitations", q, a, true, "handshakes_recipient_account", "handshakes_recipient_email")

	q, a = listPoliciesQuery(org.PolicyQuery{OrgID: o1, Type: "TAG_POLICY", AfterID: "p-1", Limit: 21})
	add("policies of a type", q, a, false, "policies_org_type")
	q, a = listPoliciesQuery(org.PolicyQuery{OrgID: o1, Type: "TAG_POLICY", Order: org.ByCreation, AfterSeq: 1, Limit: 21})
	add("policies of a type in creation order", q, a, false, "policies_org_type_seq")
	add("count policies", countPoliciesQuery, []any{o1, "TAG_POLICY"}, false, "policies_org_type|policies_org_id_type_name_key|policies_org_type_seq")
	q, a, _ = listAttachmentsQuery(org.PolicyAttachmentQuery{OrgID: o1, PolicyID: "p-1", AfterTargetID: "1", Limit: 21})
	add("targets of a policy", q, a, false, "policy_attachments_pkey")
	q, a, _ = listAttachmentsQuery(org.PolicyAttachmentQuery{OrgID: o1, PolicyID: "p-1", Order: org.ByCreation, AfterSeq: 2, Limit: 21})
	add("targets of a policy in attachment order", q, a, false, "policy_attachments_policy_seq")
	q, a, _ = listAttachmentsQuery(org.PolicyAttachmentQuery{OrgID: o1, TargetID: "t-1", PolicyType: "TAG_POLICY", AfterSeq: 2, Limit: 21})
	add("policies of a target", q, a, false, "policy_attachments_target")
	q, a = countAttachmentsQuery(org.PolicyAttachmentQuery{OrgID: o1, TargetID: "t-1", PolicyType: "TAG_POLICY"})
	add("count attachments of a target", q, a, false, "policy_attachments_target")
	add("next attachment order", putAttachmentQuery, []any{o1, "p-1", "t-1", "TAG_POLICY", "ROOT", 5}, false, "policy_attachments_target")
	q, a = deleteAttachmentsQuery(org.PolicyAttachmentQuery{OrgID: o1, TargetID: "t-1"})
	add("detach all from a target", q, a, false, "policy_attachments_target")
	q, a = deleteAttachmentsQuery(org.PolicyAttachmentQuery{OrgID: o1, PolicyType: "TAG_POLICY"})
	add("detach a type", q, a, false, "policy_attachments_type")
	add("enabled policy types", enabledPolicyTypesQuery, []any{o1}, false, "policy_types_pkey")

	add("service access page", listServiceAccessQuery, []any{o1, "a", 21}, false, "service_access_pkey")
	add("service access page in creation order", listServiceAccessBySeqQuery, []any{o1, 2, 21}, false, "service_access_org_seq")
	q, a = listDelegatedAdminsQuery(org.DelegatedAdminQuery{OrgID: o1, AccountID: "1", After: "a", Limit: 21})
	add("services of an account", q, a, false, "delegated_admins_pkey")
	// The pages start inside the fixture's account ids (an After past them all leaves every
	// index an estimate of no rows, and a tie picks among them). Grouping by account may walk
	// either index that begins with the account.
	q, a = listDelegatedAdminsQuery(org.DelegatedAdminQuery{OrgID: o1, ServicePrincipal: "s1.amazonaws.com", After: "000000000100", Limit: 21})
	add("admins of a service", q, a, false, "delegated_admins_service")
	q, a = listDelegatedAdminsQuery(org.DelegatedAdminQuery{OrgID: o1, After: "000000000100", Limit: 21})
	add("admins grouped by account", q, a, false, "delegated_admins_pkey|delegated_admins_account_seq")
	q, a = listDelegatedAdminsQuery(org.DelegatedAdminQuery{OrgID: o1, AccountID: "1", Order: org.ByCreation, AfterSeq: 2, Limit: 21})
	add("services of an account in creation order", q, a, false, "delegated_admins_account_seq")
	q, a = listDelegatedAdminsQuery(org.DelegatedAdminQuery{OrgID: o1, ServicePrincipal: "s1.amazonaws.com", Order: org.ByCreation, AfterSeq: 2, Limit: 21})
	add("admins of a service in creation order", q, a, false, "delegated_admins_service_account_seq")
	q, a = listDelegatedAdminsQuery(org.DelegatedAdminQuery{OrgID: o1, Order: org.ByCreation, AfterSeq: 2, Limit: 21})
	add("admins grouped by account in creation order", q, a, false, "delegated_admins_org_account_seq")
	add("place of a registered account", delegatedAdminAccountSeqQuery, []any{o1, "1"}, false, "delegated_admins_pkey|delegated_admins_account_seq")
	q, a = listTransfersQuery(org.TransferQuery{TargetOrgID: o1, AfterSeq: 3, Limit: 21})
	add("inbound transfers", q, a, false, "transfers_target")
	q, a = listTransfersQuery(org.TransferQuery{SourceAccountID: "1", AfterSeq: 3, Limit: 21})
	add("outbound transfers", q, a, false, "transfers_source_account")
	q, a = countTransfersQuery(org.TransferQuery{TargetOrgID: o1, Statuses: []string{"REQUESTED"}, ExpiresAfter: at})
	add("count open inbound", q, a, false, "transfers_target_status")
	q, a = countTransfersQuery(org.TransferQuery{SourceOrgID: o1, Statuses: []string{"ACCEPTED"}})
	add("count accepted outbound", q, a, false, "transfers_source_status")

	for _, p := range plans {
		for _, generic := range []bool{false, true} {
			got := queryPlan(t, s, p.query, p.args, generic)
			kind := map[bool]string{false: "custom", true: "generic"}[generic]
			for _, w := range p.wants {
				if !usesIndex(got, strings.Split(w, "|")) {
					t.Errorf("%s (%s plan): does not use %s:\n%s", p.name, kind, w, got)
				}
			}
			if strings.Contains(got, "Seq Scan") {
				t.Errorf("%s (%s plan): scans a table:\n%s", p.name, kind, got)
			}
			if !p.sorts && strings.Contains(got, "Sort") {
				t.Errorf("%s (%s plan): sorts:\n%s", p.name, kind, got)
			}
			if testing.Verbose() {
				t.Logf("%s (%s plan):\n%s", p.name, kind, got)
			}
		}
	}
}

// usesIndex reports whether plan scans one of the indexes.
func usesIndex(plan string, indexes []string) bool {
	for _, line := range strings.Split(plan, "\n") {
		for _, ix := range indexes {
			for _, scan := range []string{"Index Scan using ", "Index Only Scan using ", "Index Scan Backward using ",
				"Index Only Scan Backward using ", "Bitmap Index Scan on "} {
				if strings.Contains(line, scan+ix+" ") {
					return true
				}
			}
		}
	}
	return false
}
