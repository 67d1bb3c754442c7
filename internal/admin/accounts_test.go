package admin_test

import (
	"net/http"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/orgd/orgd/internal/admin"
	"github.com/orgd/orgd/internal/apitest"
	"github.com/orgd/orgd/internal/model"
	"github.com/orgd/orgd/internal/server"
)

// TestListAccountsRefusesBadAfter: an after token that is not an account id is an error
// naming it, not an empty page a caller would take for the end of the list.
func TestListAccountsRefusesBadAfter(t *testing.T) {
	srv := apitest.Start(t)
	register(t, srv, `{"Id":"`+member+`"}`)
	for _, after := range []string{"last", "1234", "1234567890123", "12345678901a", "-12345678901", "+12345678901", "%20123456789012", "600000000996%00"} {
		a := do(t, srv, http.MethodGet, "/_orgd/accounts?after="+after, "")
		a.op = model.AdminListAccounts
		a.requireError(t, http.StatusBadRequest, model.CodeInvalidInputException, model.InvalidInputExceptionReasonInvalidPattern)
	}
	// A well-formed id need not be stored: keyset paging goes on after it.
	if l := listAccounts(t, srv, "?after=100000000000"); len(l.Accounts) != 1 || l.Accounts[0].Id != member {
		t.Errorf("?after= an id not stored: %+v", l)
	}
}

// TestOutboxPages: past 1,000 messages the outbox names the next page's ?after=, and refuses
// a token that is not a sequence number.
func TestOutboxPages(t *testing.T) {
	db := filepath.Join(t.TempDir(), "orgd.db")
	apitest.SeedOutbox(t, db, 1001)
	srv := apitest.Start(t, func(c *server.Config) { c.DB = db })
	var first, second struct {
		Messages []admin.Message
		Next     string
	}
	do(t, srv, http.MethodGet, "/_orgd/outbox", "").ok(t, &first)
	if len(first.Messages) != 1000 || first.Next != strconv.FormatInt(first.Messages[999].Seq, 10) {
		t.Fatalf("first page: %d messages, Next %q", len(first.Messages), first.Next)
	}
	do(t, srv, http.MethodGet, "/_orgd/outbox?after="+first.Next, "").ok(t, &second)
	if len(second.Messages) != 1 || second.Messages[0].To != "1001@example.com" || second.Next != "" {
		t.Errorf("second page: %+v, Next %q", second.Messages, second.Next)
	}
	for _, after := range []string{"last", "-1", "+1", "1.5", "1e3", "0x10", "99999999999999999999", "%201"} {
		do(t, srv, http.MethodGet, "/_orgd/outbox?after="+after, "").requireError(t, http.StatusBadRequest, model.CodeInvalidInputException, model.InvalidInputExceptionReasonInvalidPattern)
	}
}

func describe(t *testing.T, srv *apitest.Server, id string) answer {
	t.Helper()
	a := do(t, srv, http.MethodGet, "/_orgd/accounts/"+id, "")
	a.op = model.AdminDescribeAccount
	return a
}

func remove(t *testing.T, srv *apitest.Server, id string) answer {
	t.Helper()
	a := do(t, srv, http.MethodDelete, "/_orgd/accounts/"+id, "")
	a.op = model.AdminRemoveAccount
	return a
}

// TestDescribeAccount: one stored account, with its organization when a member; an id the
// store has never held is not found, and a malformed one is refused.
func TestDescribeAccount(t *testing.T) {
	srv := apitest.Start(t)
	srv.Register(map[string]any{"Id": mgmt, "Email": "bill@amazon.com", "Name": "Bill"})
	o := srv.CreateOrganization(mgmt)
	var got admin.Account
	describe(t, srv, mgmt).ok(t, &got)
	if got.Id != mgmt || got.Email != "bill@amazon.com" || got.Name != "Bill" || got.OrganizationId != aws.ToString(o.Id) || got.State != "ACTIVE" || got.ParentId == "" {
		t.Errorf("GET /_orgd/accounts/%s = %+v", mgmt, got)
	}
	describe(t, srv, "999999999999").requireError(t, http.StatusNotFound, model.CodeAccountNotFoundException, "")
	describe(t, srv, "12345").requireError(t, http.StatusBadRequest, model.CodeInvalidInputException, model.InvalidInputExceptionReasonInvalidPattern)
}

// TestRemoveStandaloneAccountOnly: a standalone account is removed (its e-mail freed, its
// declared roles kept); a member, the management account, an account an open invitation
// is addressed to, an unknown id and a malformed one are refused, and nothing changes.
func TestRemoveStandaloneAccountOnly(t *testing.T) {
	const solo, invited, left = "333333333333", "444444444444", "555555555555"
	srv := apitest.Start(t)
	srv.Register(map[string]any{"Id": mgmt, "Email": "bill@amazon.com"})
	srv.Register(map[string]any{"Id": solo, "Email": "solo@example.net", "Name": "Solo"})
	srv.Register(map[string]any{"Id": invited, "Email": "invited@example.net"})
	srv.Admin(http.MethodPost, "/_orgd/roles", map[string]any{"AccountId": solo, "RoleName": "Admin", "TrustedPrincipals": []string{mgmt}}, nil)
	srv.CreateOrganization(mgmt)
	srv.Join(mgmt, member)
	srv.Join(mgmt, left)
	if _, err := srv.Client(left).LeaveOrganization(t.Context(), &organizations.LeaveOrganizationInput{}); err != nil {
		t.Fatal(err)
	}
	// An invitation by e-mail addresses the account as much as one by id.
	h, err := srv.Client(mgmt).InviteAccountToOrganization(t.Context(), &organizations.InviteAccountToOrganizationInput{
		Target: &types.HandshakeParty{Type: types.HandshakePartyTypeEmail, Id: aws.String("Invited@example.net")},
	})
	if err != nil {
		t.Fatal(err)
	}

	remove(t, srv, mgmt).requireError(t, http.StatusBadRequest, model.CodeMasterCannotLeaveOrganizationException, "")
	remove(t, srv, member).requireError(t, http.StatusBadRequest, model.CodeAlreadyInOrganizationException, "")
	remove(t, srv, invited).requireError(t, http.StatusBadRequest, model.CodeConflictException, "")
	remove(t, srv, "999999999999").requireError(t, http.StatusNotFound, model.CodeAccountNotFoundException, "")
	remove(t, srv, "12345678901a").requireError(t, http.StatusBadRequest, model.CodeInvalidInputException, model.InvalidInputExceptionReasonInvalidPattern)
	for _, id := range []string{mgmt, member, invited} {
		describe(t, srv, id).ok(t, nil)
	}

	var removed admin.Account
	remove(t, srv, solo).ok(t, &removed)
	if removed.Id != solo || removed.Email != "solo@example.net" || removed.Name != "Solo" {
		t.Errorf("DELETE answered %+v, want the account as it was", removed)
	}
	describe(t, srv, solo).requireError(t, http.StatusNotFound, model.CodeAccountNotFoundException, "")
	remove(t, srv, solo).requireError(t, http.StatusNotFound, model.CodeAccountNotFoundException, "")
	for _, a := range listAccounts(t, srv, "").Accounts {
		if a.Id == solo {
			t.Errorf("the removed account is still listed: %+v", a)
		}
	}
	// Its address is free for another account; its roles stay with its id.
	register(t, srv, `{"Id":"666666666666","Email":"solo@example.net"}`)
	var roles struct{ Roles []admin.Role }
	srv.Admin(http.MethodGet, "/_orgd/roles?account="+solo, nil, &roles)
	if len(roles.Roles) != 1 || roles.Roles[0].RoleName != "Admin" {
		t.Errorf("roles of the removed account: %+v", roles.Roles)
	}
	// An account that left its organization is standalone: it goes.
	remove(t, srv, left).ok(t, nil)

	// Once the invitation is canceled, its addressee can go too.
	if _, err := srv.Client(mgmt).CancelHandshake(t.Context(), &organizations.CancelHandshakeInput{HandshakeId: h.Handshake.Id}); err != nil {
		t.Fatal(err)
	}
	remove(t, srv, invited).ok(t, nil)
}
