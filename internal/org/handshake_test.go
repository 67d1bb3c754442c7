package org_test

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/orgd/orgd/internal/apitest"
	"github.com/orgd/orgd/internal/org"
	"github.com/orgd/orgd/internal/server"
)

// The handshake suite drives a real orgd through the official SDK client: invitations, the
// all-features approvals, who may act on what, the state machine, expiry on the admin clock,
// the quotas and every HandshakeConstraintViolationException reason (spec §5, §10, §11).

const (
	hsMgmt   = "111111111111" // management account of the organization under test
	hsAlice  = "222222222222"
	hsBob    = "333333333333"
	hsCarol  = "444444444444"
	hsOther  = "555555555555" // management account of a second organization
	hsDay    = 24 * time.Hour
	hsInvite = 15 * hsDay // INVITE lifetime
	hsAllFt  = 90 * hsDay // ENABLE_ALL_FEATURES lifetime
	hsClosed = 30 * hsDay // visibility of a closed handshake
)

// Error codes and reasons, spelled as AWS sends them.
const (
	hsAccessDenied   = "AccessDeniedException"
	hsNotFound       = "HandshakeNotFoundException"
	hsNotInUse       = "AWSOrganizationsNotInUseException"
	hsAlreadyInState = "HandshakeAlreadyInStateException"
	hsBadTransition  = "InvalidHandshakeTransitionException"
	hsDuplicate      = "DuplicateHandshakeException"
	hsConstraint     = "HandshakeConstraintViolationException"
	hsInvalidInput   = "InvalidInputException"
)

var hsCtx = context.Background()

var (
	hsIDPattern  = regexp.MustCompile(`^h-[0-9a-f]{32}$`)
	hsOrgPattern = regexp.MustCompile(`^o-[a-z0-9]{10}$`)
)

func hsTarget(typ types.HandshakePartyType, id string) *types.HandshakeParty {
	return &types.HandshakeParty{Type: typ, Id: aws.String(id)}
}

// hsSend invites target into mgmt's organization.
func hsSend(s *apitest.Server, mgmt string, typ types.HandshakePartyType, target string) (*types.Handshake, error) {
	out, err := s.Client(mgmt).InviteAccountToOrganization(hsCtx, &organizations.InviteAccountToOrganizationInput{Target: hsTarget(typ, target)})
	if err != nil {
		return nil, err
	}
	return out.Handshake, nil
}

func hsMustSend(t *testing.T, s *apitest.Server, mgmt string, typ types.HandshakePartyType, target string) *types.Handshake {
	t.Helper()
	h, err := hsSend(s, mgmt, typ, target)
	if err != nil {
		t.Fatalf("invite %s %s as %s: %v", typ, target, mgmt, err)
	}
	return h
}

func hsAccept(s *apitest.Server, caller string, id *string) (*types.Handshake, error) {
	out, err := s.Client(caller).AcceptHandshake(hsCtx, &organizations.AcceptHandshakeInput{HandshakeId: id})
	if err != nil {
		return nil, err
	}
	return out.Handshake, nil
}

func hsDecline(s *apitest.Server, caller string, id *string) (*types.Handshake, error) {
	out, err := s.Client(caller).DeclineHandshake(hsCtx, &organizations.DeclineHandshakeInput{HandshakeId: id})
	if err != nil {
		return nil, err
	}
	return out.Handshake, nil
}

func hsCancel(s *apitest.Server, caller string, id *string) (*types.Handshake, error) {
	out, err := s.Client(caller).CancelHandshake(hsCtx, &organizations.CancelHandshakeInput{HandshakeId: id})
	if err != nil {
		return nil, err
	}
	return out.Handshake, nil
}

func hsDescribe(s *apitest.Server, caller string, id *string) (*types.Handshake, error) {
	out, err := s.Client(caller).DescribeHandshake(hsCtx, &organizations.DescribeHandshakeInput{HandshakeId: id})
	if err != nil {
		return nil, err
	}
	return out.Handshake, nil
}

// hsMust fails the test when a step that sets up the rule under test fails:
// hsMust(call(...))(t) returns the call's result.
func hsMust[T any](v T, err error) func(t *testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// hsRequireState describes the handshake as caller and checks its state.
func hsRequireState(t *testing.T, s *apitest.Server, caller string, id *string, want types.HandshakeState) {
	t.Helper()
	h, err := hsDescribe(s, caller, id)
	if err != nil {
		t.Fatalf("describe %s as %s: %v", aws.ToString(id), caller, err)
	}
	if h.State != want {
		t.Fatalf("handshake %s (%s) is %s, want %s", aws.ToString(id), h.Action, h.State, want)
	}
}

// hsCreateOrganization creates an organization with the given feature set ("" for ALL).
func hsCreateOrganization(t *testing.T, s *apitest.Server, mgmt string, fs types.OrganizationFeatureSet) *types.Organization {
	t.Helper()
	out, err := s.Client(mgmt).CreateOrganization(hsCtx, &organizations.CreateOrganizationInput{FeatureSet: fs})
	if err != nil {
		t.Fatalf("create organization as %s: %v", mgmt, err)
	}
	return out.Organization
}

// hsListForAccount reads every page of ListHandshakesForAccount (pageSize 0: the default).
func hsListForAccount(t *testing.T, s *apitest.Server, caller string, f *types.HandshakeFilter, pageSize int32) []types.Handshake {
	t.Helper()
	var all []types.Handshake
	in := &organizations.ListHandshakesForAccountInput{Filter: f}
	if pageSize > 0 {
		in.MaxResults = aws.Int32(pageSize)
	}
	for range 100 {
		out, err := s.Client(caller).ListHandshakesForAccount(hsCtx, in)
		if err != nil {
			t.Fatalf("ListHandshakesForAccount as %s: %v", caller, err)
		}
		if pageSize > 0 && len(out.Handshakes) > int(pageSize) {
			t.Fatalf("page of %d handshakes, MaxResults %d", len(out.Handshakes), pageSize)
		}
		all = append(all, out.Handshakes...)
		if out.NextToken == nil {
			return all
		}
		in.NextToken = out.NextToken
	}
	t.Fatal("ListHandshakesForAccount never ends")
	return nil
}

// hsListForOrganization reads every page of ListHandshakesForOrganization.
func hsListForOrganization(t *testing.T, s *apitest.Server, caller string, f *types.HandshakeFilter, pageSize int32) []types.Handshake {
	t.Helper()
	var all []types.Handshake
	in := &organizations.ListHandshakesForOrganizationInput{Filter: f}
	if pageSize > 0 {
		in.MaxResults = aws.Int32(pageSize)
	}
	for range 100 {
		out, err := s.Client(caller).ListHandshakesForOrganization(hsCtx, in)
		if err != nil {
			t.Fatalf("ListHandshakesForOrganization as %s: %v", caller, err)
		}
		if pageSize > 0 && len(out.Handshakes) > int(pageSize) {
			t.Fatalf("page of %d handshakes, MaxResults %d", len(out.Handshakes), pageSize)
		}
		all = append(all, out.Handshakes...)
		if out.NextToken == nil {
			return all
		}
		in.NextToken = out.NextToken
	}
	t.Fatal("ListHandshakesForOrganization never ends")
	return nil
}

func hsIDs(hs []types.Handshake) []string {
	ids := make([]string, len(hs))
	for i, h := range hs {
		ids[i] = aws.ToString(h.Id)
	}
	return ids
}

func hsRequireIDs(t *testing.T, what string, got []types.Handshake, want ...*string) {
	t.Helper()
	w := make([]string, len(want))
	for i, id := range want {
		w[i] = aws.ToString(id)
	}
	if g := hsIDs(got); !slices.Equal(g, w) {
		t.Fatalf("%s = %v, want %v", what, g, w)
	}
}

// hsParties and hsResources render parties and (nested) resources in order, so a whole
// layout compares in one line.
func hsParties(ps []types.HandshakeParty) string {
	var b []string
	for _, p := range ps {
		b = append(b, string(p.Type)+"="+aws.ToString(p.Id))
	}
	return strings.Join(b, ", ")
}

func hsResources(rs []types.HandshakeResource) string {
	var b []string
	for _, r := range rs {
		s := string(r.Type) + "=" + aws.ToString(r.Value)
		if len(r.Resources) > 0 {
			s += "[" + hsResources(r.Resources) + "]"
		}
		b = append(b, s)
	}
	return strings.Join(b, ", ")
}

// hsNear compares wire timestamps: the SDK reads epoch seconds as a float and may land one
// millisecond short of the value the server wrote.
func hsNear(a, b time.Time) bool {
	d := a.Sub(b)
	return d >= -time.Millisecond && d <= time.Millisecond
}

type hsOutboxMessage struct {
	Seq         int64
	HandshakeId string
	To          string
	Subject     string
	Body        string
	CreatedAt   time.Time
}

func hsOutbox(s *apitest.Server) []hsOutboxMessage {
	var out struct{ Messages []hsOutboxMessage }
	s.Admin(http.MethodGet, "/_orgd/outbox", nil, &out)
	return out.Messages
}

// hsClock is a clock that stands still, so that only the admin clock (s.Advance) moves the
// server's time and expiry can be checked to the millisecond.
type hsClock struct{ now time.Time }

func (c hsClock) Now() time.Time { return c.now }

func hsFrozenClock(c *server.Config) {
	c.Org.Clock = hsClock{time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
}

func hsQuotas(maxAccounts, perDay int) func(*server.Config) {
	return apitest.WithQuotas(func(q *org.Quotas) { q.MaxAccounts, q.InvitationsPerDay = maxAccounts, perDay })
}

// --- InviteAccountToOrganization -------------------------------------------------------------

func TestInviteAccountToOrganizationResponseShape(t *testing.T) {
	cases := []struct {
		name       string
		featureSet types.OrganizationFeatureSet
		targetType types.HandshakePartyType
		target     string
		notes      *string
		wantFS     string // ORGANIZATION_FEATURE_SET: FULL for an all-features organization
	}{
		{"account target with notes", types.OrganizationFeatureSetAll, types.HandshakePartyTypeAccount, hsAlice, aws.String("Please join."), "FULL"},
		{"email target without notes", types.OrganizationFeatureSetAll, types.HandshakePartyTypeEmail, "juan@example.org", nil, "FULL"},
		{"consolidated billing organization", types.OrganizationFeatureSetConsolidatedBilling, types.HandshakePartyTypeAccount, hsAlice, nil, "CONSOLIDATED_BILLING"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := apitest.Start(t)
			s.Register(map[string]any{"Id": hsMgmt, "Email": "bill@example.com", "Name": "Org Master Account"})
			o := hsCreateOrganization(t, s, hsMgmt, tc.featureSet)
			orgID := aws.ToString(o.Id)
			if !hsOrgPattern.MatchString(orgID) {
				t.Fatalf("organization id %q", orgID)
			}
			out, err := s.Client(hsMgmt).InviteAccountToOrganization(hsCtx, &organizations.InviteAccountToOrganizationInput{
				Target: hsTarget(tc.targetType, tc.target), Notes: tc.notes,
			})
			if err != nil {
				t.Fatal(err)
			}
			h := out.Handshake
			id := aws.ToString(h.Id)
			if !hsIDPattern.MatchString(id) {
				t.Errorf("Id = %q, want h- and 32 hex digits", id)
			}
			if want := "arn:aws:organizations::" + hsMgmt + ":handshake/" + orgID + "/invite/" + id; aws.ToString(h.Arn) != want {
				t.Errorf("Arn = %q, want %q", aws.ToString(h.Arn), want)
			}
			if h.Action != types.ActionTypeInviteAccountToOrganization || h.State != types.HandshakeStateOpen {
				t.Errorf("Action, State = %s, %s; want INVITE, OPEN", h.Action, h.State)
			}
			if want := "ORGANIZATION=" + orgID + ", " + string(tc.targetType) + "=" + tc.target; hsParties(h.Parties) != want {
				t.Errorf("Parties = %s\nwant      %s", hsParties(h.Parties), want)
			}
			want := "ORGANIZATION=" + orgID + "[MASTER_EMAIL=bill@example.com, MASTER_NAME=Org Master Account, ORGANIZATION_FEATURE_SET=" + tc.wantFS + "], " +
				string(tc.targetType) + "=" + tc.target
			if tc.notes != nil {
				want += ", NOTES=" + *tc.notes
			}
			if got := hsResources(h.Resources); got != want {
				t.Errorf("Resources = %s\nwant        %s", got, want)
			}
			if h.RequestedTimestamp == nil || h.ExpirationTimestamp == nil {
				t.Fatalf("timestamps missing: %+v", h)
			}
			if d := h.ExpirationTimestamp.Sub(*h.RequestedTimestamp); d < hsInvite-time.Millisecond || d > hsInvite+time.Millisecond {
				t.Errorf("ExpirationTimestamp - RequestedTimestamp = %v, want 15 days", d)
			}
			if age := time.Since(*h.RequestedTimestamp); age < -time.Minute || age > time.Minute {
				t.Errorf("RequestedTimestamp %v is not now", h.RequestedTimestamp)
			}
			// DescribeHandshake answers the same handshake to the sender.
			d := hsMust(hsDescribe(s, hsMgmt, h.Id))(t)
			if aws.ToString(d.Arn) != aws.ToString(h.Arn) || hsResources(d.Resources) != want || hsParties(d.Parties) != hsParties(h.Parties) ||
				!hsNear(*d.RequestedTimestamp, *h.RequestedTimestamp) || !hsNear(*d.ExpirationTimestamp, *h.ExpirationTimestamp) {
				t.Errorf("DescribeHandshake = %+v, want the invitation %+v", d, h)
			}
		})
	}
}

func TestInviteAccountToOrganizationRejectsBadTargetOrCaller(t *testing.T) {
	s := apitest.Start(t)
	s.CreateOrganization(hsMgmt)
	s.Join(hsMgmt, hsBob)
	cases := []struct {
		name, caller string
		in           organizations.InviteAccountToOrganizationInput
		code, reason string
	}{
		{"member account", hsBob, organizations.InviteAccountToOrganizationInput{Target: hsTarget(types.HandshakePartyTypeAccount, hsAlice)}, hsAccessDenied, ""},
		{"standalone account", hsCarol, organizations.InviteAccountToOrganizationInput{Target: hsTarget(types.HandshakePartyTypeAccount, hsAlice)}, hsNotInUse, ""},
		{"organization target", hsMgmt, organizations.InviteAccountToOrganizationInput{Target: hsTarget(types.HandshakePartyTypeOrganization, "o-abcdefghij")}, hsInvalidInput, "INVALID_PARTY_TYPE_TARGET"},
		{"malformed e-mail", hsMgmt, organizations.InviteAccountToOrganizationInput{Target: hsTarget(types.HandshakePartyTypeEmail, "alice.example.org")}, hsInvalidInput, "INVALID_EMAIL_ADDRESS_TARGET"},
		{"malformed account id", hsMgmt, organizations.InviteAccountToOrganizationInput{Target: hsTarget(types.HandshakePartyTypeAccount, "12345")}, hsInvalidInput, "INVALID_PATTERN"},
		{"notes too long", hsMgmt, organizations.InviteAccountToOrganizationInput{Target: hsTarget(types.HandshakePartyTypeAccount, hsAlice), Notes: aws.String(strings.Repeat("n", 1025))}, hsInvalidInput, "MAX_LENGTH_EXCEEDED"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.Client(tc.caller).InviteAccountToOrganization(hsCtx, &tc.in)
			apitest.RequireCode(t, err, tc.code, tc.reason)
		})
	}
	// Nothing was sent but bob's invitation.
	if got := hsListForOrganization(t, s, hsMgmt, nil, 0); len(got) != 1 {
		t.Errorf("the organization sent %v", hsIDs(got))
	}
	// Notes of the maximum length are fine.
	_, err := s.Client(hsMgmt).InviteAccountToOrganization(hsCtx, &organizations.InviteAccountToOrganizationInput{
		Target: hsTarget(types.HandshakePartyTypeAccount, hsAlice), Notes: aws.String(strings.Repeat("n", 1024)),
	})
	if err != nil {
		t.Errorf("1,024 characters of notes: %v", err)
	}
}

func TestInviteByEmailMatchesAccountCaseInsensitively(t *testing.T) {
	s := apitest.Start(t)
	s.Register(map[string]any{"Id": hsAlice, "Email": "Juan.Carlos@Example.org"})
	s.CreateOrganization(hsMgmt)
	h := hsMustSend(t, s, hsMgmt, types.HandshakePartyTypeEmail, "juan.carlos@EXAMPLE.ORG")
	// The party keeps the address as the sender wrote it.
	if got := hsParties(h.Parties); !strings.HasSuffix(got, "EMAIL=juan.carlos@EXAMPLE.ORG") {
		t.Errorf("Parties = %s", got)
	}

	hsRequireIDs(t, "ListHandshakesForAccount(alice)", hsListForAccount(t, s, hsAlice, nil, 0), h.Id)
	hsRequireState(t, s, hsAlice, h.Id, types.HandshakeStateOpen)
	// Nobody else sees it: not an account with a similar address, not another account.
	s.Register(map[string]any{"Id": hsBob, "Email": "juan.carlos@example.com"})
	if got := hsListForAccount(t, s, hsBob, nil, 0); len(got) != 0 {
		t.Errorf("bob sees %v", hsIDs(got))
	}
	_, err := hsAccept(s, hsBob, h.Id)
	apitest.RequireCode(t, err, hsNotFound, "")

	acc := hsMust(hsAccept(s, hsAlice, h.Id))(t)
	if acc.State != types.HandshakeStateAccepted {
		t.Errorf("State = %s, want ACCEPTED", acc.State)
	}
	// Once accepted, the invitation names the account that took it.
	if got := hsResources(acc.Resources); !strings.HasSuffix(got, "EMAIL=juan.carlos@EXAMPLE.ORG, ACCOUNT="+hsAlice) {
		t.Errorf("Resources = %s, want the EMAIL then the resolved ACCOUNT", got)
	}
	a := hsMust(s.Client(hsMgmt).DescribeAccount(hsCtx, &organizations.DescribeAccountInput{AccountId: aws.String(hsAlice)}))(t)
	if aws.ToString(a.Account.Email) != "Juan.Carlos@Example.org" || a.Account.JoinedMethod != types.AccountJoinedMethodInvited {
		t.Errorf("joined account = %+v", a.Account)
	}
}

func TestInvitationTagsAttachedToAccountOnAccept(t *testing.T) {
	s := apitest.Start(t)
	s.CreateOrganization(hsMgmt)
	send := func(tags ...types.Tag) *types.Handshake {
		out, err := s.Client(hsMgmt).InviteAccountToOrganization(hsCtx, &organizations.InviteAccountToOrganizationInput{
			Target: hsTarget(types.HandshakePartyTypeAccount, hsAlice), Tags: tags,
		})
		if err != nil {
			t.Fatal(err)
		}
		return out.Handshake
	}
	// The tags of a declined invitation are never attached.
	first := send(types.Tag{Key: aws.String("declined"), Value: aws.String("yes")})
	hsMust(hsDecline(s, hsAlice, first.Id))(t)
	second := send(types.Tag{Key: aws.String("team"), Value: aws.String("blue")}, types.Tag{Key: aws.String("cost-center"), Value: aws.String("42")})
	hsMust(hsAccept(s, hsAlice, second.Id))(t)

	out := hsMust(s.Client(hsMgmt).ListTagsForResource(hsCtx, &organizations.ListTagsForResourceInput{ResourceId: aws.String(hsAlice)}))(t)
	var got []string
	for _, tag := range out.Tags {
		got = append(got, aws.ToString(tag.Key)+"="+aws.ToString(tag.Value))
	}
	slices.Sort(got)
	if want := []string{"cost-center=42", "team=blue"}; !slices.Equal(got, want) {
		t.Errorf("tags of the joined account = %v, want %v", got, want)
	}
}

func TestInvitationEmailWrittenToOutbox(t *testing.T) {
	s := apitest.Start(t)
	s.Register(map[string]any{"Id": hsMgmt, "Email": "bill@example.com", "Name": "Bill"})
	s.Register(map[string]any{"Id": hsAlice, "Email": "alice@example.org"})
	o := s.CreateOrganization(hsMgmt)
	byID, err := s.Client(hsMgmt).InviteAccountToOrganization(hsCtx, &organizations.InviteAccountToOrganizationInput{
		Target: hsTarget(types.HandshakePartyTypeAccount, hsAlice), Notes: aws.String("Welcome aboard, Alice."),
	})
	if err != nil {
		t.Fatal(err)
	}
	byEmail := hsMustSend(t, s, hsMgmt, types.HandshakePartyTypeEmail, "Nobody.Yet@example.net")

	msgs := hsOutbox(s)
	if len(msgs) != 2 {
		t.Fatalf("outbox holds %d messages, want 2: %+v", len(msgs), msgs)
	}
	cases := []struct {
		msg      hsOutboxMessage
		id, to   string
		contains []string
	}{
		// An invitation by account id goes to the account's e-mail address.
		{msgs[0], aws.ToString(byID.Handshake.Id), "alice@example.org", []string{"Welcome aboard, Alice.", "Bill", "bill@example.com"}},
		{msgs[1], aws.ToString(byEmail.Id), "Nobody.Yet@example.net", nil},
	}
	for _, c := range cases {
		if c.msg.HandshakeId != c.id || c.msg.To != c.to {
			t.Errorf("message %+v: want handshake %s to %s", c.msg, c.id, c.to)
		}
		if !strings.Contains(c.msg.Subject, aws.ToString(o.Id)) {
			t.Errorf("Subject %q does not name the organization %s", c.msg.Subject, aws.ToString(o.Id))
		}
		for _, want := range append(c.contains, c.id) {
			if !strings.Contains(c.msg.Body, want) {
				t.Errorf("body of the message to %s lacks %q:\n%s", c.to, want, c.msg.Body)
			}
		}
	}
	if msgs[0].Seq >= msgs[1].Seq {
		t.Errorf("outbox sequence %d then %d", msgs[0].Seq, msgs[1].Seq)
	}
	// A refused invitation sends nothing.
	_, err = hsSend(s, hsMgmt, types.HandshakePartyTypeAccount, hsAlice)
	apitest.RequireCode(t, err, hsDuplicate, "")
	if n := len(hsOutbox(s)); n != 2 {
		t.Errorf("outbox holds %d messages after a refused invitation, want 2", n)
	}
}

func TestAcceptHandshakePutsAccountUnderRootAsInvited(t *testing.T) {
	s := apitest.Start(t, hsFrozenClock)
	o := s.CreateOrganization(hsMgmt)
	h := s.Invite(hsMgmt, hsAlice)
	s.Advance(time.Hour)
	acc := hsMust(hsAccept(s, hsAlice, h.Id))(t)
	if acc.State != types.HandshakeStateAccepted || aws.ToString(acc.Id) != aws.ToString(h.Id) {
		t.Fatalf("AcceptHandshake = %s %s", aws.ToString(acc.Id), acc.State)
	}
	hsRequireState(t, s, hsMgmt, h.Id, types.HandshakeStateAccepted)

	c := s.Client(hsMgmt)
	roots := hsMust(c.ListRoots(hsCtx, &organizations.ListRootsInput{}))(t)
	rootID := aws.ToString(roots.Roots[0].Id)
	a := hsMust(c.DescribeAccount(hsCtx, &organizations.DescribeAccountInput{AccountId: aws.String(hsAlice)}))(t).Account
	if a.JoinedMethod != types.AccountJoinedMethodInvited || a.State != types.AccountStateActive {
		t.Errorf("JoinedMethod, State = %s, %s; want INVITED, ACTIVE", a.JoinedMethod, a.State)
	}
	if want := "arn:aws:organizations::" + hsMgmt + ":account/" + aws.ToString(o.Id) + "/" + hsAlice; aws.ToString(a.Arn) != want {
		t.Errorf("Arn = %q, want %q", aws.ToString(a.Arn), want)
	}
	// The account joined when it accepted, an hour after the invitation was sent.
	if a.JoinedTimestamp == nil || !hsNear(*a.JoinedTimestamp, acc.RequestedTimestamp.Add(time.Hour)) {
		t.Errorf("JoinedTimestamp = %v, want the time of acceptance (invitation sent %v)", a.JoinedTimestamp, acc.RequestedTimestamp)
	}
	parents := hsMust(c.ListParents(hsCtx, &organizations.ListParentsInput{ChildId: aws.String(hsAlice)}))(t)
	if len(parents.Parents) != 1 || aws.ToString(parents.Parents[0].Id) != rootID || parents.Parents[0].Type != types.ParentTypeRoot {
		t.Errorf("ListParents = %+v, want the root %s", parents.Parents, rootID)
	}
	listed := map[string]types.AccountJoinedMethod{}
	for _, a := range hsMust(c.ListAccounts(hsCtx, &organizations.ListAccountsInput{}))(t).Accounts {
		listed[aws.ToString(a.Id)] = a.JoinedMethod
	}
	if len(listed) != 2 || listed[hsAlice] != types.AccountJoinedMethodInvited {
		t.Errorf("ListAccounts = %v, want the management account and alice (INVITED)", listed)
	}
	under := hsMust(c.ListAccountsForParent(hsCtx, &organizations.ListAccountsForParentInput{ParentId: aws.String(rootID)}))(t)
	if !slices.ContainsFunc(under.Accounts, func(a types.Account) bool { return aws.ToString(a.Id) == hsAlice }) {
		t.Errorf("alice is not under the root")
	}
	// The member now sees its organization.
	d := hsMust(s.Client(hsAlice).DescribeOrganization(hsCtx, &organizations.DescribeOrganizationInput{}))(t)
	if aws.ToString(d.Organization.Id) != aws.ToString(o.Id) {
		t.Errorf("alice's organization = %s, want %s", aws.ToString(d.Organization.Id), aws.ToString(o.Id))
	}
}

func TestInvitationTagsValidatedWhenSent(t *testing.T) {
	s := apitest.Start(t)
	s.CreateOrganization(hsMgmt)
	tag := func(k string) types.Tag { return types.Tag{Key: aws.String(k), Value: aws.String("v")} }
	var many []types.Tag
	for i := range 51 {
		many = append(many, tag(fmt.Sprintf("k%02d", i)))
	}
	cases := []struct {
		name         string
		tags         []types.Tag
		code, reason string
	}{
		{"system tag key", []types.Tag{tag("aws:owner")}, hsInvalidInput, "INVALID_SYSTEM_TAGS_PARAMETER"},
		{"key twice", []types.Tag{tag("team"), tag("team")}, hsInvalidInput, "DUPLICATE_TAG_KEY"},
		{"51 tags", many, "ConstraintViolationException", "MAX_TAG_LIMIT_EXCEEDED"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.Client(hsMgmt).InviteAccountToOrganization(hsCtx, &organizations.InviteAccountToOrganizationInput{
				Target: hsTarget(types.HandshakePartyTypeAccount, hsAlice), Tags: tc.tags,
			})
			apitest.RequireCode(t, err, tc.code, tc.reason)
		})
	}
	// One bad tag fails the whole request: nothing was sent.
	if got := hsListForOrganization(t, s, hsMgmt, nil, 0); len(got) != 0 {
		t.Errorf("the organization sent %v", hsIDs(got))
	}
	if n := len(hsOutbox(s)); n != 0 {
		t.Errorf("outbox holds %d messages", n)
	}
}

// --- who may call what ------------------------------------------------------------------------

func TestHandshakeRecipientAcceptsDeclinesSenderCancels(t *testing.T) {
	s := apitest.Start(t)
	s.CreateOrganization(hsMgmt)
	s.Join(hsMgmt, hsBob) // a member of the sending organization, but no party to the invitation
	h := s.Invite(hsMgmt, hsAlice)

	type call func(s *apitest.Server, caller string, id *string) (*types.Handshake, error)
	accept, decline, cancel, describe := call(hsAccept), call(hsDecline), call(hsCancel), call(hsDescribe)
	unknown := aws.String("h-0123456789abcdef0123456789abcdef")
	cases := []struct {
		name   string
		caller string
		op     call
		id     *string
		code   string
	}{
		{"sender accepts", hsMgmt, accept, h.Id, hsAccessDenied},
		{"sender declines", hsMgmt, decline, h.Id, hsAccessDenied},
		{"recipient cancels", hsAlice, cancel, h.Id, hsAccessDenied},
		{"stranger describes", hsCarol, describe, h.Id, hsNotFound},
		{"stranger accepts", hsCarol, accept, h.Id, hsNotFound},
		{"stranger declines", hsCarol, decline, h.Id, hsNotFound},
		{"stranger cancels", hsCarol, cancel, h.Id, hsNotFound},
		{"fellow member describes", hsBob, describe, h.Id, hsNotFound},
		{"fellow member accepts", hsBob, accept, h.Id, hsNotFound},
		{"fellow member declines", hsBob, decline, h.Id, hsNotFound},
		{"fellow member cancels", hsBob, cancel, h.Id, hsNotFound},
		{"recipient accepts unknown handshake", hsAlice, accept, unknown, hsNotFound},
		{"sender cancels unknown handshake", hsMgmt, cancel, unknown, hsNotFound},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.op(s, tc.caller, tc.id)
			apitest.RequireCode(t, err, tc.code, "")
			hsRequireState(t, s, hsAlice, h.Id, types.HandshakeStateOpen)
		})
	}

	// Both parties may read it; the recipient says no, the sender withdraws another.
	hsRequireState(t, s, hsMgmt, h.Id, types.HandshakeStateOpen)
	if d := hsMust(hsDecline(s, hsAlice, h.Id))(t); d.State != types.HandshakeStateDeclined {
		t.Errorf("DeclineHandshake by the recipient: %s", d.State)
	}
	h2 := s.Invite(hsMgmt, hsCarol)
	if c := hsMust(hsCancel(s, hsMgmt, h2.Id))(t); c.State != types.HandshakeStateCanceled {
		t.Errorf("CancelHandshake by the sender: %s", c.State)
	}
	hsRequireState(t, s, hsCarol, h2.Id, types.HandshakeStateCanceled)
}

func TestListHandshakesForOrganizationOnlyManagementAccount(t *testing.T) {
	s := apitest.Start(t)
	s.CreateOrganization(hsMgmt)
	s.Join(hsMgmt, hsBob)
	h := s.Invite(hsMgmt, hsAlice)

	cases := []struct {
		name, caller, code string
	}{
		{"member", hsBob, hsAccessDenied},
		{"invited standalone account", hsAlice, hsNotInUse},
		{"unrelated standalone account", hsCarol, hsNotInUse},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.Client(tc.caller).ListHandshakesForOrganization(hsCtx, &organizations.ListHandshakesForOrganizationInput{})
			apitest.RequireCode(t, err, tc.code, "")
		})
	}
	all := hsListForOrganization(t, s, hsMgmt, nil, 0)
	if len(all) != 2 || aws.ToString(all[1].Id) != aws.ToString(h.Id) {
		t.Errorf("ListHandshakesForOrganization = %v, want bob's accepted invitation then %s", hsIDs(all), aws.ToString(h.Id))
	}
	// ListHandshakesForAccount is the recipient's list and works for a standalone account;
	// the sender does not find the invitations it sent there.
	hsRequireIDs(t, "ListHandshakesForAccount(alice)", hsListForAccount(t, s, hsAlice, nil, 0), h.Id)
	if got := hsListForAccount(t, s, hsMgmt, nil, 0); len(got) != 0 {
		t.Errorf("the sender's ListHandshakesForAccount = %v, want none", hsIDs(got))
	}
	if got := hsListForAccount(t, s, hsCarol, nil, 0); len(got) != 0 {
		t.Errorf("a stranger's ListHandshakesForAccount = %v, want none", hsIDs(got))
	}
}

// --- state machine ------------------------------------------------------------------------

func TestHandshakeClosedStateTransitions(t *testing.T) {
	type step struct {
		name  string
		state types.HandshakeState
		do    func(s *apitest.Server, id *string) error
	}
	ignore := func(_ *types.Handshake, err error) error { return err }
	closers := []step{
		{"accepted", types.HandshakeStateAccepted, func(s *apitest.Server, id *string) error { return ignore(hsAccept(s, hsAlice, id)) }},
		{"declined", types.HandshakeStateDeclined, func(s *apitest.Server, id *string) error { return ignore(hsDecline(s, hsAlice, id)) }},
		{"canceled", types.HandshakeStateCanceled, func(s *apitest.Server, id *string) error { return ignore(hsCancel(s, hsMgmt, id)) }},
		{"expired", types.HandshakeStateExpired, func(s *apitest.Server, id *string) error { s.Advance(hsInvite); return nil }},
	}
	// The operations, each by the party allowed to call it.
	ops := []step{
		{"accept", types.HandshakeStateAccepted, func(s *apitest.Server, id *string) error { return ignore(hsAccept(s, hsAlice, id)) }},
		{"decline", types.HandshakeStateDeclined, func(s *apitest.Server, id *string) error { return ignore(hsDecline(s, hsAlice, id)) }},
		{"cancel", types.HandshakeStateCanceled, func(s *apitest.Server, id *string) error { return ignore(hsCancel(s, hsMgmt, id)) }},
	}
	for _, closer := range closers {
		for _, op := range ops {
			// Asking for the state it is in is HandshakeAlreadyInState; any other move out of
			// a closed state is InvalidHandshakeTransition (spec §5.3).
			want := hsBadTransition
			if closer.state == op.state {
				want = hsAlreadyInState
			}
			t.Run(op.name+" after "+closer.name, func(t *testing.T) {
				s := apitest.Start(t)
				s.CreateOrganization(hsMgmt)
				h := s.Invite(hsMgmt, hsAlice)
				if err := closer.do(s, h.Id); err != nil {
					t.Fatalf("%s: %v", closer.name, err)
				}
				hsRequireState(t, s, hsAlice, h.Id, closer.state)
				apitest.RequireCode(t, op.do(s, h.Id), want, "")
				hsRequireState(t, s, hsMgmt, h.Id, closer.state)
			})
		}
	}
}

// --- expiry ---------------------------------------------------------------------------------

func TestInvitationExpiresAfter15Days(t *testing.T) {
	s := apitest.Start(t, hsFrozenClock, hsQuotas(2, 20))
	s.CreateOrganization(hsMgmt)
	h := s.Invite(hsMgmt, hsAlice)

	s.Advance(hsInvite - time.Millisecond)
	hsRequireState(t, s, hsAlice, h.Id, types.HandshakeStateOpen)
	// Still open, it still holds the organization's only free account slot.
	_, err := hsSend(s, hsMgmt, types.HandshakePartyTypeAccount, hsBob)
	apitest.RequireCode(t, err, hsConstraint, "ACCOUNT_NUMBER_LIMIT_EXCEEDED")

	s.Advance(time.Millisecond)
	for _, caller := range []string{hsAlice, hsMgmt} {
		hsRequireState(t, s, caller, h.Id, types.HandshakeStateExpired)
	}
	if got := hsListForAccount(t, s, hsAlice, nil, 0); len(got) != 1 || got[0].State != types.HandshakeStateExpired {
		t.Errorf("ListHandshakesForAccount = %+v, want the EXPIRED invitation", got)
	}
	d := hsMust(hsDescribe(s, hsAlice, h.Id))(t)
	if !hsNear(*d.ExpirationTimestamp, *h.ExpirationTimestamp) {
		t.Errorf("ExpirationTimestamp moved from %v to %v", h.ExpirationTimestamp, d.ExpirationTimestamp)
	}
	_, err = hsAccept(s, hsAlice, h.Id)
	apitest.RequireCode(t, err, hsBadTransition, "")
	// The expired invitation gave its slot back, and is no duplicate of a new one.
	hsMustSend(t, s, hsMgmt, types.HandshakePartyTypeAccount, hsAlice)
}

func TestAllFeaturesRequestExpiresAfter90Days(t *testing.T) {
	s := apitest.Start(t, hsFrozenClock)
	hsCreateOrganization(t, s, hsMgmt, types.OrganizationFeatureSetConsolidatedBilling)
	s.Join(hsMgmt, hsAlice)
	parent := hsMust(s.Client(hsMgmt).EnableAllFeatures(hsCtx, &organizations.EnableAllFeaturesInput{}))(t).Handshake
	if d := parent.ExpirationTimestamp.Sub(*parent.RequestedTimestamp); d < hsAllFt-time.Millisecond || d > hsAllFt+time.Millisecond {
		t.Errorf("ENABLE_ALL_FEATURES lives %v, want 90 days", d)
	}
	children := hsListForOrganization(t, s, hsMgmt, &types.HandshakeFilter{ParentHandshakeId: parent.Id}, 0)
	if len(children) != 1 {
		t.Fatalf("children = %v", hsIDs(children))
	}
	child := children[0]
	if !hsNear(*child.ExpirationTimestamp, *parent.ExpirationTimestamp) {
		t.Errorf("approval expires %v, request %v", child.ExpirationTimestamp, parent.ExpirationTimestamp)
	}

	s.Advance(hsAllFt - time.Millisecond)
	hsRequireState(t, s, hsMgmt, parent.Id, types.HandshakeStateRequested)
	hsRequireState(t, s, hsAlice, child.Id, types.HandshakeStateOpen)
	_, err := hsSend(s, hsMgmt, types.HandshakePartyTypeAccount, hsBob)
	apitest.RequireCode(t, err, hsConstraint, "INVITE_DISABLED_DURING_ENABLE_ALL_FEATURES")

	s.Advance(time.Millisecond)
	hsRequireState(t, s, hsMgmt, parent.Id, types.HandshakeStateExpired)
	hsRequireState(t, s, hsAlice, child.Id, types.HandshakeStateExpired)
	_, err = hsAccept(s, hsAlice, child.Id)
	apitest.RequireCode(t, err, hsBadTransition, "")
	_, err = hsAccept(s, hsMgmt, parent.Id)
	apitest.RequireCode(t, err, hsBadTransition, "")
	// Nothing is pending any more: invitations and a new request are allowed again.
	hsMustSend(t, s, hsMgmt, types.HandshakePartyTypeAccount, hsBob)
	if _, err := s.Client(hsMgmt).EnableAllFeatures(hsCtx, &organizations.EnableAllFeaturesInput{}); err != nil {
		t.Errorf("EnableAllFeatures after the first request expired: %v", err)
	}
	o := hsMust(s.Client(hsMgmt).DescribeOrganization(hsCtx, &organizations.DescribeOrganizationInput{}))(t).Organization
	if o.FeatureSet != types.OrganizationFeatureSetConsolidatedBilling {
		t.Errorf("FeatureSet = %s after an expired request", o.FeatureSet)
	}
}

func TestClosedHandshakeVisibleFor30DaysThenNotFound(t *testing.T) {
	cases := []struct {
		name    string
		close   func(t *testing.T, s *apitest.Server, id *string)
		visible time.Duration // from the invitation until it disappears
		state   types.HandshakeState
	}{
		{"declined", func(t *testing.T, s *apitest.Server, id *string) { hsMust(hsDecline(s, hsAlice, id))(t) }, hsClosed, types.HandshakeStateDeclined},
		{"canceled", func(t *testing.T, s *apitest.Server, id *string) { hsMust(hsCancel(s, hsMgmt, id))(t) }, hsClosed, types.HandshakeStateCanceled},
		{"accepted", func(t *testing.T, s *apitest.Server, id *string) { hsMust(hsAccept(s, hsAlice, id))(t) }, hsClosed, types.HandshakeStateAccepted},
		// An expired invitation closed when it expired, 15 days after it was sent.
		{"expired", func(*testing.T, *apitest.Server, *string) {}, hsInvite + hsClosed, types.HandshakeStateExpired},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := apitest.Start(t, hsFrozenClock)
			s.CreateOrganization(hsMgmt)
			h := s.Invite(hsMgmt, hsAlice)
			tc.close(t, s, h.Id)

			s.Advance(tc.visible - time.Millisecond)
			for _, caller := range []string{hsAlice, hsMgmt} {
				hsRequireState(t, s, caller, h.Id, tc.state)
			}
			hsRequireIDs(t, "ListHandshakesForAccount", hsListForAccount(t, s, hsAlice, nil, 0), h.Id)
			hsRequireIDs(t, "ListHandshakesForOrganization", hsListForOrganization(t, s, hsMgmt, nil, 0), h.Id)

			s.Advance(time.Millisecond)
			for _, caller := range []string{hsAlice, hsMgmt} {
				_, err := hsDescribe(s, caller, h.Id)
				apitest.RequireCode(t, err, hsNotFound, "")
			}
			_, err := hsAccept(s, hsAlice, h.Id)
			apitest.RequireCode(t, err, hsNotFound, "")
			_, err = hsCancel(s, hsMgmt, h.Id)
			apitest.RequireCode(t, err, hsNotFound, "")
			hsRequireIDs(t, "ListHandshakesForAccount", hsListForAccount(t, s, hsAlice, nil, 0))
			hsRequireIDs(t, "ListHandshakesForOrganization", hsListForOrganization(t, s, hsMgmt, nil, 0))
		})
	}
}

// --- DuplicateHandshakeException ------------------------------------------------------------

func TestDuplicateHandshakeSameTarget(t *testing.T) {
	const email = "alice@example.org"
	type target struct {
		typ types.HandshakePartyType
		id  string
	}
	byID := target{types.HandshakePartyTypeAccount, hsAlice}
	cases := []struct {
		name          string
		first, second target
	}{
		{"same account id", byID, byID},
		{"same email", target{types.HandshakePartyTypeEmail, email}, target{types.HandshakePartyTypeEmail, email}},
		{"same email in another case", target{types.HandshakePartyTypeEmail, email}, target{types.HandshakePartyTypeEmail, "ALICE@Example.ORG"}},
		{"id then email of the account", byID, target{types.HandshakePartyTypeEmail, "Alice@example.org"}},
		{"email then id of the account", target{types.HandshakePartyTypeEmail, email}, byID},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := apitest.Start(t)
			s.Register(map[string]any{"Id": hsAlice, "Email": email})
			s.CreateOrganization(hsMgmt)
			first := hsMustSend(t, s, hsMgmt, tc.first.typ, tc.first.id)
			_, err := hsSend(s, hsMgmt, tc.second.typ, tc.second.id)
			apitest.RequireCode(t, err, hsDuplicate, "")
			if n := len(hsListForOrganization(t, s, hsMgmt, nil, 0)); n != 1 {
				t.Errorf("the organization sent %d handshakes, want 1", n)
			}
			// Another organization may invite the same account at the same time.
			s.CreateOrganization(hsOther)
			hsMustSend(t, s, hsOther, tc.second.typ, tc.second.id)
			// Once the first is closed, the organization may invite again.
			hsMust(hsCancel(s, hsMgmt, first.Id))(t)
			hsMustSend(t, s, hsMgmt, tc.second.typ, tc.second.id)
		})
	}
}

// Two open invitations to one address that no account has yet: the second is a duplicate,
// whatever the address's case, and nothing of it is written (no handshake, no e-mail).
func TestDuplicateHandshakeToAnAddressNoAccountHas(t *testing.T) {
	s := apitest.Start(t)
	s.CreateOrganization(hsMgmt)
	first := hsMustSend(t, s, hsMgmt, types.HandshakePartyTypeEmail, "nobody.yet@example.org")
	for _, again := range []string{"nobody.yet@example.org", "Nobody.Yet@EXAMPLE.org"} {
		_, err := hsSend(s, hsMgmt, types.HandshakePartyTypeEmail, again)
		apitest.RequireCode(t, err, hsDuplicate, "")
	}
	hsRequireIDs(t, "the organization's handshakes", hsListForOrganization(t, s, hsMgmt, nil, 0), first.Id)
	var outbox struct {
		Messages []struct{ HandshakeId string }
	}
	s.Admin(http.MethodGet, "/_orgd/outbox", nil, &outbox)
	if len(outbox.Messages) != 1 || outbox.Messages[0].HandshakeId != aws.ToString(first.Id) {
		t.Errorf("outbox %+v, want the first invitation's e-mail only", outbox.Messages)
	}
	// Another address is no duplicate, and once the first invitation is closed the address
	// may be invited again.
	hsMustSend(t, s, hsMgmt, types.HandshakePartyTypeEmail, "someone.else@example.org")
	hsMust(hsCancel(s, hsMgmt, first.Id))(t)
	hsMustSend(t, s, hsMgmt, types.HandshakePartyTypeEmail, "Nobody.Yet@EXAMPLE.org")
}

// --- HandshakeConstraintViolationException --------------------------------------------------

// hsAccount returns the n-th test account id, 100000000001 and on.
func hsAccount(n int) string { return fmt.Sprintf("1%011d", n) }

func TestHandshakeConstraintAccountNumberLimitExceeded(t *testing.T) {
	t.Run("default quota counts open invitations", func(t *testing.T) {
		s := apitest.Start(t)
		s.CreateOrganization(hsMgmt)
		// The management account and nine open invitations fill the default quota of 10.
		var sent []*types.Handshake
		for i := 1; i <= 9; i++ {
			sent = append(sent, hsMustSend(t, s, hsMgmt, types.HandshakePartyTypeAccount, hsAccount(i)))
		}
		_, err := hsSend(s, hsMgmt, types.HandshakePartyTypeAccount, hsAccount(10))
		apitest.RequireCode(t, err, hsConstraint, "ACCOUNT_NUMBER_LIMIT_EXCEEDED")
		_, err = hsSend(s, hsMgmt, types.HandshakePartyTypeEmail, "someone@example.org")
		apitest.RequireCode(t, err, hsConstraint, "ACCOUNT_NUMBER_LIMIT_EXCEEDED")
		// Accepting keeps the count; cancelling and declining release a slot.
		hsMust(hsAccept(s, hsAccount(1), sent[0].Id))(t)
		_, err = hsSend(s, hsMgmt, types.HandshakePartyTypeAccount, hsAccount(10))
		apitest.RequireCode(t, err, hsConstraint, "ACCOUNT_NUMBER_LIMIT_EXCEEDED")
		hsMust(hsCancel(s, hsMgmt, sent[1].Id))(t)
		hsMustSend(t, s, hsMgmt, types.HandshakePartyTypeAccount, hsAccount(10))
		hsMust(hsDecline(s, hsAccount(3), sent[2].Id))(t)
		hsMustSend(t, s, hsMgmt, types.HandshakePartyTypeAccount, hsAccount(11))
		_, err = hsSend(s, hsMgmt, types.HandshakePartyTypeAccount, hsAccount(12))
		apitest.RequireCode(t, err, hsConstraint, "ACCOUNT_NUMBER_LIMIT_EXCEEDED")
	})
	t.Run("members and invitations against a lower quota", func(t *testing.T) {
		s := apitest.Start(t, hsQuotas(3, 20))
		s.CreateOrganization(hsMgmt)
		s.Join(hsMgmt, hsAlice)
		hsMustSend(t, s, hsMgmt, types.HandshakePartyTypeAccount, hsBob)
		_, err := hsSend(s, hsMgmt, types.HandshakePartyTypeAccount, hsCarol)
		apitest.RequireCode(t, err, hsConstraint, "ACCOUNT_NUMBER_LIMIT_EXCEEDED")
		// A member leaving frees its slot.
		if _, err := s.Client(hsAlice).LeaveOrganization(hsCtx, &organizations.LeaveOrganizationInput{}); err != nil {
			t.Fatal(err)
		}
		hsMustSend(t, s, hsMgmt, types.HandshakePartyTypeAccount, hsCarol)
	})
	t.Run("at accept time", func(t *testing.T) {
		// The quota is checked again when an invitation is accepted: the operator lowered it
		// (a second server on the same database) after the invitations went out.
		db := filepath.Join(t.TempDir(), "orgd.db")
		before := apitest.Start(t, func(c *server.Config) { c.DB = db })
		before.CreateOrganization(hsMgmt)
		a := before.Invite(hsMgmt, hsAlice)
		b := before.Invite(hsMgmt, hsBob)
		after := apitest.Start(t, func(c *server.Config) { c.DB = db }, hsQuotas(2, 20))
		hsMust(hsAccept(after, hsAlice, a.Id))(t)
		_, err := hsAccept(after, hsBob, b.Id)
		apitest.RequireCode(t, err, hsConstraint, "ACCOUNT_NUMBER_LIMIT_EXCEEDED")
		hsRequireState(t, after, hsBob, b.Id, types.HandshakeStateOpen)
	})
}

func TestHandshakeConstraintHandshakeRateLimitExceeded(t *testing.T) {
	// sendAndCancel sends an invitation that is withdrawn at once, so only the daily limit
	// can stop the next one.
	sendAndCancel := func(t *testing.T, s *apitest.Server, n int) {
		t.Helper()
		h := hsMustSend(t, s, hsMgmt, types.HandshakePartyTypeAccount, hsAccount(n))
		hsMust(hsCancel(s, hsMgmt, h.Id))(t)
	}
	cases := []struct {
		name                string
		maxAccounts, perDay int
		allowed             int // AWS allows max(InvitationsPerDay, MaxAccounts) a day
	}{
		{"invitations per day above the account quota", 2, 4, 4},
		{"account quota above invitations per day", 5, 2, 5},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := apitest.Start(t, hsFrozenClock, hsQuotas(tc.maxAccounts, tc.perDay))
			s.CreateOrganization(hsMgmt)
			for i := 1; i <= tc.allowed; i++ {
				sendAndCancel(t, s, i) // a cancel does not give the attempt back
			}
			_, err := hsSend(s, hsMgmt, types.HandshakePartyTypeAccount, hsAccount(99))
			apitest.RequireCode(t, err, hsConstraint, "HANDSHAKE_RATE_LIMIT_EXCEEDED")

			// The window is 24 hours from each invitation.
			s.Advance(hsDay - time.Millisecond)
			_, err = hsSend(s, hsMgmt, types.HandshakePartyTypeAccount, hsAccount(99))
			apitest.RequireCode(t, err, hsConstraint, "HANDSHAKE_RATE_LIMIT_EXCEEDED")
			s.Advance(time.Millisecond)
			hsMustSend(t, s, hsMgmt, types.HandshakePartyTypeAccount, hsAccount(99))
		})
	}
	t.Run("accepted invitations do not count", func(t *testing.T) {
		s := apitest.Start(t, hsQuotas(3, 1)) // three a day
		s.CreateOrganization(hsMgmt)
		s.Join(hsMgmt, hsAlice)
		sendAndCancel(t, s, 1)
		sendAndCancel(t, s, 2)
		sendAndCancel(t, s, 3) // the fourth invitation of the day, the third that counts
		_, err := hsSend(s, hsMgmt, types.HandshakePartyTypeAccount, hsAccount(4))
		apitest.RequireCode(t, err, hsConstraint, "HANDSHAKE_RATE_LIMIT_EXCEEDED")
	})
}

func TestHandshakeConstraintAlreadyInAnOrganization(t *testing.T) {
	t.Run("invite a member", func(t *testing.T) {
		s := apitest.Start(t)
		s.Register(map[string]any{"Id": hsAlice, "Email": "alice@example.org"})
		s.CreateOrganization(hsMgmt)
		s.Join(hsMgmt, hsAlice)
		for _, target := range []*types.HandshakeParty{
			hsTarget(types.HandshakePartyTypeAccount, hsAlice),
			hsTarget(types.HandshakePartyTypeEmail, "ALICE@example.org"),
			hsTarget(types.HandshakePartyTypeAccount, hsMgmt), // the management account itself
		} {
			_, err := hsSend(s, hsMgmt, target.Type, aws.ToString(target.Id))
			apitest.RequireCode(t, err, hsConstraint, "ALREADY_IN_AN_ORGANIZATION")
		}
	})
	t.Run("accept while in another organization", func(t *testing.T) {
		s := apitest.Start(t)
		s.CreateOrganization(hsMgmt)
		s.CreateOrganization(hsOther)
		mine := s.Invite(hsMgmt, hsAlice)
		theirs := s.Invite(hsOther, hsAlice)
		hsMust(hsAccept(s, hsAlice, theirs.Id))(t)
		_, err := hsAccept(s, hsAlice, mine.Id)
		apitest.RequireCode(t, err, hsConstraint, "ALREADY_IN_AN_ORGANIZATION")
		hsRequireState(t, s, hsAlice, mine.Id, types.HandshakeStateOpen)
		d := hsMust(s.Client(hsAlice).DescribeOrganization(hsCtx, &organizations.DescribeOrganizationInput{}))(t)
		if aws.ToString(d.Organization.MasterAccountId) != hsOther {
			t.Errorf("alice is in the organization of %s", aws.ToString(d.Organization.MasterAccountId))
		}
	})
	t.Run("management account of another organization accepts", func(t *testing.T) {
		// It must delete its own organization first.
		s := apitest.Start(t)
		s.CreateOrganization(hsMgmt)
		h := s.Invite(hsMgmt, hsOther)
		s.CreateOrganization(hsOther)
		_, err := hsAccept(s, hsOther, h.Id)
		apitest.RequireCode(t, err, "MasterCannotLeaveOrganizationException", "")
	})
}

func TestHandshakeConstraintOrganizationFromDifferentSellerOfRecord(t *testing.T) {
	t.Run("invite", func(t *testing.T) {
		cases := []struct {
			name         string
			mgmt, target string
		}{
			{"AWS organization invites AISPL account", "AWS", "AISPL"},
			{"AISPL organization invites AWS account", "AISPL", "AWS"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				s := apitest.Start(t)
				s.Register(map[string]any{"Id": hsMgmt, "SellerOfRecord": tc.mgmt})
				s.Register(map[string]any{"Id": hsAlice, "Email": "alice@example.in", "SellerOfRecord": tc.target})
				s.CreateOrganization(hsMgmt)
				for _, target := range []*types.HandshakeParty{
					hsTarget(types.HandshakePartyTypeAccount, hsAlice),
					hsTarget(types.HandshakePartyTypeEmail, "alice@example.in"),
				} {
					_, err := hsSend(s, hsMgmt, target.Type, aws.ToString(target.Id))
					apitest.RequireCode(t, err, hsConstraint, "ORGANIZATION_FROM_DIFFERENT_SELLER_OF_RECORD")
				}
				if got := hsListForOrganization(t, s, hsMgmt, nil, 0); len(got) != 0 {
					t.Errorf("refused invitations were recorded: %v", hsIDs(got))
				}
				// Accounts of the same seller may join.
				s.Register(map[string]any{"Id": hsBob, "SellerOfRecord": tc.mgmt})
				s.Join(hsMgmt, hsBob)
			})
		}
	})
	t.Run("accept", func(t *testing.T) {
		// An invitation to an address nobody has yet is checked when it is accepted.
		s := apitest.Start(t)
		s.CreateOrganization(hsMgmt)
		h := hsMustSend(t, s, hsMgmt, types.HandshakePartyTypeEmail, "priya@example.in")
		s.Register(map[string]any{"Id": hsAlice, "Email": "priya@example.in", "SellerOfRecord": "AISPL"})
		_, err := hsAccept(s, hsAlice, h.Id)
		apitest.RequireCode(t, err, hsConstraint, "ORGANIZATION_FROM_DIFFERENT_SELLER_OF_RECORD")
		hsRequireState(t, s, hsAlice, h.Id, types.HandshakeStateOpen)
	})
}

func TestHandshakeConstraintPaymentInstrumentRequired(t *testing.T) {
	t.Run("invite", func(t *testing.T) {
		s := apitest.Start(t)
		s.Register(map[string]any{"Id": hsAlice, "PaymentInstrument": false})
		s.CreateOrganization(hsMgmt)
		_, err := hsSend(s, hsMgmt, types.HandshakePartyTypeAccount, hsAlice)
		apitest.RequireCode(t, err, hsConstraint, "PAYMENT_INSTRUMENT_REQUIRED")
	})
	t.Run("accept", func(t *testing.T) {
		s := apitest.Start(t)
		s.CreateOrganization(hsMgmt)
		h := s.Invite(hsMgmt, hsAlice)
		s.Register(map[string]any{"Id": hsAlice, "PaymentInstrument": false})
		_, err := hsAccept(s, hsAlice, h.Id)
		apitest.RequireCode(t, err, hsConstraint, "PAYMENT_INSTRUMENT_REQUIRED")
		s.Register(map[string]any{"Id": hsAlice, "PaymentInstrument": true})
		hsMust(hsAccept(s, hsAlice, h.Id))(t)
	})
}

func TestHandshakeConstraintManagementAccountEmailNotVerified(t *testing.T) {
	t.Run("invite answers AccountOwnerNotVerified", func(t *testing.T) {
		s := apitest.Start(t)
		s.Register(map[string]any{"Id": hsMgmt, "EmailVerified": false})
		s.CreateOrganization(hsMgmt)
		_, err := hsSend(s, hsMgmt, types.HandshakePartyTypeAccount, hsAlice)
		apitest.RequireCode(t, err, "AccountOwnerNotVerifiedException", "")
		if n := len(hsOutbox(s)); n != 0 {
			t.Errorf("outbox holds %d messages", n)
		}
	})
	t.Run("accept", func(t *testing.T) {
		s := apitest.Start(t)
		s.CreateOrganization(hsMgmt)
		h := s.Invite(hsMgmt, hsAlice)
		s.Register(map[string]any{"Id": hsMgmt, "EmailVerified": false})
		_, err := hsAccept(s, hsAlice, h.Id)
		apitest.RequireCode(t, err, hsConstraint, "MANAGEMENT_ACCOUNT_EMAIL_NOT_VERIFIED")
		hsRequireState(t, s, hsAlice, h.Id, types.HandshakeStateOpen)
		// Once the management account verifies its address the invitation can be accepted.
		s.Register(map[string]any{"Id": hsMgmt, "EmailVerified": true})
		hsMust(hsAccept(s, hsAlice, h.Id))(t)
	})
}

func TestHandshakeConstraintAllFeaturesMigrationReasons(t *testing.T) {
	t.Run("ORGANIZATION_ALREADY_HAS_ALL_FEATURES", func(t *testing.T) {
		s := apitest.Start(t)
		s.CreateOrganization(hsMgmt)
		_, err := s.Client(hsMgmt).EnableAllFeatures(hsCtx, &organizations.EnableAllFeaturesInput{})
		apitest.RequireCode(t, err, hsConstraint, "ORGANIZATION_ALREADY_HAS_ALL_FEATURES")
	})
	t.Run("ORGANIZATION_IS_ALREADY_PENDING_ALL_FEATURES_MIGRATION and INVITE_DISABLED_DURING_ENABLE_ALL_FEATURES", func(t *testing.T) {
		s := apitest.Start(t)
		hsCreateOrganization(t, s, hsMgmt, types.OrganizationFeatureSetConsolidatedBilling)
		s.Join(hsMgmt, hsAlice)
		parent := hsMust(s.Client(hsMgmt).EnableAllFeatures(hsCtx, &organizations.EnableAllFeaturesInput{}))(t).Handshake
		_, err := s.Client(hsMgmt).EnableAllFeatures(hsCtx, &organizations.EnableAllFeaturesInput{})
		apitest.RequireCode(t, err, hsConstraint, "ORGANIZATION_IS_ALREADY_PENDING_ALL_FEATURES_MIGRATION")
		for _, target := range []*types.HandshakeParty{
			hsTarget(types.HandshakePartyTypeAccount, hsBob),
			hsTarget(types.HandshakePartyTypeEmail, "bob@example.org"),
		} {
			_, err = hsSend(s, hsMgmt, target.Type, aws.ToString(target.Id))
			apitest.RequireCode(t, err, hsConstraint, "INVITE_DISABLED_DURING_ENABLE_ALL_FEATURES")
		}
		// Cancelling the request ends the migration.
		hsMust(hsCancel(s, hsMgmt, parent.Id))(t)
		hsMustSend(t, s, hsMgmt, types.HandshakePartyTypeAccount, hsBob)
	})
}

// --- EnableAllFeatures ----------------------------------------------------------------------

// EnableAllFeatures refuses an organization larger than the standard migration takes (AWS:
// 5,000 accounts, a quota here) before it writes anything: the open invitations it would
// withdraw stay open and no request is made.
func TestEnableAllFeaturesOrganizationSizeLimit(t *testing.T) {
	s := apitest.Start(t, apitest.WithQuotas(func(q *org.Quotas) { q.MaxAllFeaturesMigrationSize = 2 }))
	hsCreateOrganization(t, s, hsMgmt, types.OrganizationFeatureSetConsolidatedBilling)
	s.Join(hsMgmt, hsAlice)
	s.Join(hsMgmt, hsBob)
	open := hsMustSend(t, s, hsMgmt, types.HandshakePartyTypeAccount, hsCarol)
	_, err := s.Client(hsMgmt).EnableAllFeatures(hsCtx, &organizations.EnableAllFeaturesInput{})
	apitest.RequireCode(t, err, "ConstraintViolationException", "ALL_FEATURES_MIGRATION_ORGANIZATION_SIZE_LIMIT_EXCEEDED")
	hsRequireState(t, s, hsCarol, open.Id, types.HandshakeStateOpen)
	if got := hsListForOrganization(t, s, hsMgmt, &types.HandshakeFilter{ActionType: types.ActionTypeEnableAllFeatures}, 0); len(got) != 0 {
		t.Errorf("requests = %v, want none", hsIDs(got))
	}
	// An organization of exactly the limit may.
	if _, err := s.Client(hsBob).LeaveOrganization(hsCtx, &organizations.LeaveOrganizationInput{}); err != nil {
		t.Fatal(err)
	}
	hsMust(s.Client(hsMgmt).EnableAllFeatures(hsCtx, &organizations.EnableAllFeaturesInput{}))(t)
}

func TestEnableAllFeaturesCallerMustBeManagement(t *testing.T) {
	s := apitest.Start(t)
	hsCreateOrganization(t, s, hsMgmt, types.OrganizationFeatureSetConsolidatedBilling)
	s.Join(hsMgmt, hsAlice)
	for _, tc := range []struct{ caller, code string }{{hsAlice, hsAccessDenied}, {hsCarol, hsNotInUse}} {
		_, err := s.Client(tc.caller).EnableAllFeatures(hsCtx, &organizations.EnableAllFeaturesInput{})
		apitest.RequireCode(t, err, tc.code, "")
	}
	if got := hsListForOrganization(t, s, hsMgmt, &types.HandshakeFilter{ActionType: types.ActionTypeEnableAllFeatures}, 0); len(got) != 0 {
		t.Errorf("requests = %v, want none", hsIDs(got))
	}
}

func TestEnableAllFeaturesApprovalsThenManagementAccepts(t *testing.T) {
	s := apitest.Start(t)
	o := hsCreateOrganization(t, s, hsMgmt, types.OrganizationFeatureSetConsolidatedBilling)
	orgID := aws.ToString(o.Id)
	s.Join(hsMgmt, hsAlice)
	s.Join(hsMgmt, hsBob)

	parent := hsMust(s.Client(hsMgmt).EnableAllFeatures(hsCtx, &organizations.EnableAllFeaturesInput{}))(t).Handshake
	pid := aws.ToString(parent.Id)
	if !hsIDPattern.MatchString(pid) || parent.Action != types.ActionTypeEnableAllFeatures || parent.State != types.HandshakeStateRequested {
		t.Errorf("EnableAllFeatures = %s %s %s, want a REQUESTED ENABLE_ALL_FEATURES handshake", pid, parent.Action, parent.State)
	}
	if want := "arn:aws:organizations::" + hsMgmt + ":handshake/" + orgID + "/enable_all_features/" + pid; aws.ToString(parent.Arn) != want {
		t.Errorf("Arn = %q, want %q", aws.ToString(parent.Arn), want)
	}
	if got, want := hsParties(parent.Parties), "ORGANIZATION="+orgID; got != want {
		t.Errorf("Parties = %s, want %s", got, want)
	}
	if got, want := hsResources(parent.Resources), "ORGANIZATION="+orgID; got != want {
		t.Errorf("Resources = %s, want %s", got, want)
	}

	children := hsListForOrganization(t, s, hsMgmt, &types.HandshakeFilter{ParentHandshakeId: parent.Id}, 0)
	if len(children) != 2 {
		t.Fatalf("APPROVE_ALL_FEATURES children = %v, want one per invited member", hsIDs(children))
	}
	child := map[string]*types.Handshake{}
	for i, c := range children {
		member := hsAlice
		if i == 1 {
			member = hsBob
		}
		if c.Action != types.ActionTypeApproveAllFeatures || c.State != types.HandshakeStateOpen {
			t.Errorf("child %s: %s %s, want APPROVE_ALL_FEATURES OPEN", aws.ToString(c.Id), c.Action, c.State)
		}
		if got, want := hsParties(c.Parties), "ORGANIZATION="+orgID+", ACCOUNT="+member; got != want {
			t.Errorf("child Parties = %s, want %s", got, want)
		}
		if got, want := hsResources(c.Resources), "PARENT_HANDSHAKE="+pid+", ORGANIZATION="+orgID+", ACCOUNT="+member; got != want {
			t.Errorf("child Resources = %s, want %s", got, want)
		}
		child[member] = &children[i]
	}
	// Each member finds its own approval, and only that.
	hsRequireIDs(t, "alice's APPROVE_ALL_FEATURES",
		hsListForAccount(t, s, hsAlice, &types.HandshakeFilter{ActionType: types.ActionTypeApproveAllFeatures}, 0), child[hsAlice].Id)
	_, err := hsAccept(s, hsAlice, child[hsBob].Id)
	apitest.RequireCode(t, err, hsNotFound, "")
	_, err = hsAccept(s, hsAlice, parent.Id)
	apitest.RequireCode(t, err, hsNotFound, "")

	// The management account cannot finish while approvals are owed.
	_, err = hsAccept(s, hsMgmt, parent.Id)
	apitest.RequireCode(t, err, hsBadTransition, "")
	hsMust(hsAccept(s, hsAlice, child[hsAlice].Id))(t)
	hsRequireState(t, s, hsMgmt, parent.Id, types.HandshakeStateRequested)
	_, err = hsAccept(s, hsMgmt, parent.Id)
	apitest.RequireCode(t, err, hsBadTransition, "")
	hsMust(hsAccept(s, hsBob, child[hsBob].Id))(t)
	hsRequireState(t, s, hsMgmt, parent.Id, types.HandshakeStateOpen)

	done := hsMust(hsAccept(s, hsMgmt, parent.Id))(t)
	if done.State != types.HandshakeStateAccepted {
		t.Errorf("accepted request is %s", done.State)
	}
	after := hsMust(s.Client(hsMgmt).DescribeOrganization(hsCtx, &organizations.DescribeOrganizationInput{}))(t).Organization
	if after.FeatureSet != types.OrganizationFeatureSetAll {
		t.Errorf("FeatureSet = %s, want ALL", after.FeatureSet)
	}
	// Invitations are allowed again and promise all features.
	h := hsMustSend(t, s, hsMgmt, types.HandshakePartyTypeAccount, hsCarol)
	if got := hsResources(h.Resources); !strings.Contains(got, "ORGANIZATION_FEATURE_SET=FULL") {
		t.Errorf("invitation Resources = %s", got)
	}
}

func TestEnableAllFeaturesWithoutInvitedMembersOpensAtOnce(t *testing.T) {
	s := apitest.Start(t)
	hsCreateOrganization(t, s, hsMgmt, types.OrganizationFeatureSetConsolidatedBilling)
	parent := hsMust(s.Client(hsMgmt).EnableAllFeatures(hsCtx, &organizations.EnableAllFeaturesInput{}))(t).Handshake
	if parent.State != types.HandshakeStateOpen {
		t.Errorf("State = %s, want OPEN: there is no approval to wait for", parent.State)
	}
	if got := hsListForOrganization(t, s, hsMgmt, &types.HandshakeFilter{ParentHandshakeId: parent.Id}, 0); len(got) != 0 {
		t.Errorf("children = %v, want none", hsIDs(got))
	}
	hsMust(hsAccept(s, hsMgmt, parent.Id))(t)
	o := hsMust(s.Client(hsMgmt).DescribeOrganization(hsCtx, &organizations.DescribeOrganizationInput{}))(t).Organization
	if o.FeatureSet != types.OrganizationFeatureSetAll {
		t.Errorf("FeatureSet = %s, want ALL", o.FeatureSet)
	}
}

func TestEnableAllFeaturesEndingRequestCancelsApprovals(t *testing.T) {
	cases := []struct {
		name  string
		end   func(s *apitest.Server, id *string) (*types.Handshake, error)
		state types.HandshakeState
	}{
		{"management account cancels", func(s *apitest.Server, id *string) (*types.Handshake, error) { return hsCancel(s, hsMgmt, id) }, types.HandshakeStateCanceled},
		{"management account declines", func(s *apitest.Server, id *string) (*types.Handshake, error) { return hsDecline(s, hsMgmt, id) }, types.HandshakeStateDeclined},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := apitest.Start(t)
			hsCreateOrganization(t, s, hsMgmt, types.OrganizationFeatureSetConsolidatedBilling)
			s.Join(hsMgmt, hsAlice)
			s.Join(hsMgmt, hsBob)
			parent := hsMust(s.Client(hsMgmt).EnableAllFeatures(hsCtx, &organizations.EnableAllFeaturesInput{}))(t).Handshake
			children := hsListForOrganization(t, s, hsMgmt, &types.HandshakeFilter{ParentHandshakeId: parent.Id}, 0)
			if len(children) != 2 {
				t.Fatalf("children = %v", hsIDs(children))
			}
			hsMust(hsAccept(s, hsAlice, children[0].Id))(t) // an approval already given stays so

			ended := hsMust(tc.end(s, parent.Id))(t)
			if ended.State != tc.state {
				t.Errorf("request is %s, want %s", ended.State, tc.state)
			}
			hsRequireState(t, s, hsAlice, children[0].Id, types.HandshakeStateAccepted)
			hsRequireState(t, s, hsBob, children[1].Id, types.HandshakeStateCanceled)
			_, err := hsAccept(s, hsBob, children[1].Id)
			apitest.RequireCode(t, err, hsBadTransition, "")
			o := hsMust(s.Client(hsMgmt).DescribeOrganization(hsCtx, &organizations.DescribeOrganizationInput{}))(t).Organization
			if o.FeatureSet != types.OrganizationFeatureSetConsolidatedBilling {
				t.Errorf("FeatureSet = %s", o.FeatureSet)
			}
		})
	}
}

func TestEnableAllFeaturesMemberLeavingRemovesPendingApproval(t *testing.T) {
	cases := []struct {
		name  string
		leave func(s *apitest.Server) error
		// bobDeclines makes bob decline first: a declined approval blocks the request until
		// the account is gone.
		bobDeclines bool
	}{
		{"member leaves", func(s *apitest.Server) error {
			_, err := s.Client(hsBob).LeaveOrganization(hsCtx, &organizations.LeaveOrganizationInput{})
			return err
		}, false},
		{"management account removes the member", func(s *apitest.Server) error {
			_, err := s.Client(hsMgmt).RemoveAccountFromOrganization(hsCtx, &organizations.RemoveAccountFromOrganizationInput{AccountId: aws.String(hsBob)})
			return err
		}, false},
		{"member that declined is removed", func(s *apitest.Server) error {
			_, err := s.Client(hsMgmt).RemoveAccountFromOrganization(hsCtx, &organizations.RemoveAccountFromOrganizationInput{AccountId: aws.String(hsBob)})
			return err
		}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := apitest.Start(t)
			hsCreateOrganization(t, s, hsMgmt, types.OrganizationFeatureSetConsolidatedBilling)
			s.Join(hsMgmt, hsAlice)
			s.Join(hsMgmt, hsBob)
			parent := hsMust(s.Client(hsMgmt).EnableAllFeatures(hsCtx, &organizations.EnableAllFeaturesInput{}))(t).Handshake
			children := hsListForOrganization(t, s, hsMgmt, &types.HandshakeFilter{ParentHandshakeId: parent.Id}, 0)
			if len(children) != 2 {
				t.Fatalf("children = %v", hsIDs(children))
			}
			aliceChild, bobChild := children[0], children[1]
			hsMust(hsAccept(s, hsAlice, aliceChild.Id))(t)
			bobState := types.HandshakeStateCanceled
			if tc.bobDeclines {
				hsMust(hsDecline(s, hsBob, bobChild.Id))(t)
				bobState = types.HandshakeStateDeclined
			}
			hsRequireState(t, s, hsMgmt, parent.Id, types.HandshakeStateRequested)
			_, err := hsAccept(s, hsMgmt, parent.Id)
			apitest.RequireCode(t, err, hsBadTransition, "")

			if err := tc.leave(s); err != nil {
				t.Fatal(err)
			}
			hsRequireState(t, s, hsBob, bobChild.Id, bobState)
			hsRequireState(t, s, hsMgmt, parent.Id, types.HandshakeStateOpen)
			hsMust(hsAccept(s, hsMgmt, parent.Id))(t)
			o := hsMust(s.Client(hsMgmt).DescribeOrganization(hsCtx, &organizations.DescribeOrganizationInput{}))(t).Organization
			if o.FeatureSet != types.OrganizationFeatureSetAll {
				t.Errorf("FeatureSet = %s, want ALL", o.FeatureSet)
			}
		})
	}
}

func TestEnableAllFeaturesCancelsOpenInvitations(t *testing.T) {
	s := apitest.Start(t)
	hsCreateOrganization(t, s, hsMgmt, types.OrganizationFeatureSetConsolidatedBilling)
	s.Join(hsMgmt, hsAlice)
	byID := s.Invite(hsMgmt, hsBob)
	byEmail := hsMustSend(t, s, hsMgmt, types.HandshakePartyTypeEmail, hsCarol+"@example.com")
	if got := hsResources(byID.Resources); !strings.Contains(got, "ORGANIZATION_FEATURE_SET=CONSOLIDATED_BILLING") {
		t.Errorf("invitation Resources = %s", got)
	}
	hsMust(s.Client(hsMgmt).EnableAllFeatures(hsCtx, &organizations.EnableAllFeaturesInput{}))(t)

	hsRequireState(t, s, hsBob, byID.Id, types.HandshakeStateCanceled)
	hsRequireState(t, s, hsCarol, byEmail.Id, types.HandshakeStateCanceled)
	_, err := hsAccept(s, hsBob, byID.Id)
	apitest.RequireCode(t, err, hsBadTransition, "")
	// The accepted invitation of the member stays accepted, and only invited members are
	// asked to approve.
	invites := hsListForOrganization(t, s, hsMgmt, &types.HandshakeFilter{ActionType: types.ActionTypeInviteAccountToOrganization}, 0)
	if len(invites) != 3 || invites[0].State != types.HandshakeStateAccepted {
		t.Errorf("invitations = %+v", invites)
	}
	approvals := hsListForOrganization(t, s, hsMgmt, &types.HandshakeFilter{ActionType: types.ActionTypeApproveAllFeatures}, 0)
	if len(approvals) != 1 || !strings.HasSuffix(hsParties(approvals[0].Parties), "ACCOUNT="+hsAlice) {
		t.Errorf("approvals = %+v, want alice's only", approvals)
	}
}

// --- listing ----------------------------------------------------------------------------------

func TestListHandshakesFilters(t *testing.T) {
	s := apitest.Start(t)
	hsCreateOrganization(t, s, hsMgmt, types.OrganizationFeatureSetConsolidatedBilling)
	invAlice := s.Invite(hsMgmt, hsAlice)
	hsMust(hsAccept(s, hsAlice, invAlice.Id))(t)
	invBob := s.Invite(hsMgmt, hsBob)
	hsMust(hsAccept(s, hsBob, invBob.Id))(t)
	invCarol := s.Invite(hsMgmt, hsCarol) // cancelled by EnableAllFeatures, still listed
	parent := hsMust(s.Client(hsMgmt).EnableAllFeatures(hsCtx, &organizations.EnableAllFeaturesInput{}))(t).Handshake
	children := hsListForOrganization(t, s, hsMgmt, &types.HandshakeFilter{ActionType: types.ActionTypeApproveAllFeatures}, 0)
	if len(children) != 2 {
		t.Fatalf("approvals = %v", hsIDs(children))
	}
	// A second organization's handshakes never show up in the first one's lists.
	s.CreateOrganization(hsOther)
	foreign := s.Invite(hsOther, hsAlice)

	sentBy := func(f *types.HandshakeFilter) []types.Handshake { return hsListForOrganization(t, s, hsMgmt, f, 0) }
	acct := func(caller string, f *types.HandshakeFilter) []types.Handshake {
		return hsListForAccount(t, s, caller, f, 0)
	}
	cases := []struct {
		name string
		got  []types.Handshake
		want []*string
	}{
		{"organization, no filter", sentBy(nil), []*string{invAlice.Id, invBob.Id, invCarol.Id, parent.Id, children[0].Id, children[1].Id}},
		{"organization, INVITE", sentBy(&types.HandshakeFilter{ActionType: types.ActionTypeInviteAccountToOrganization}), []*string{invAlice.Id, invBob.Id, invCarol.Id}},
		{"organization, ENABLE_ALL_FEATURES", sentBy(&types.HandshakeFilter{ActionType: types.ActionTypeEnableAllFeatures}), []*string{parent.Id}},
		{"organization, parent", sentBy(&types.HandshakeFilter{ParentHandshakeId: parent.Id}), []*string{children[0].Id, children[1].Id}},
		{"organization, unknown parent", sentBy(&types.HandshakeFilter{ParentHandshakeId: aws.String("h-0123456789abcdef0123456789abcdef")}), nil},
		{"alice, no filter", acct(hsAlice, nil), []*string{invAlice.Id, children[0].Id, foreign.Id}},
		{"alice, INVITE", acct(hsAlice, &types.HandshakeFilter{ActionType: types.ActionTypeInviteAccountToOrganization}), []*string{invAlice.Id, foreign.Id}},
		{"alice, APPROVE_ALL_FEATURES", acct(hsAlice, &types.HandshakeFilter{ActionType: types.ActionTypeApproveAllFeatures}), []*string{children[0].Id}},
		{"alice, parent", acct(hsAlice, &types.HandshakeFilter{ParentHandshakeId: parent.Id}), []*string{children[0].Id}},
		{"carol, APPROVE_ALL_FEATURES", acct(hsCarol, &types.HandshakeFilter{ActionType: types.ActionTypeApproveAllFeatures}), nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { hsRequireIDs(t, tc.name, tc.got, tc.want...) })
	}

	// ActionType and ParentHandshakeId together are refused by both lists.
	both := &types.HandshakeFilter{ActionType: types.ActionTypeApproveAllFeatures, ParentHandshakeId: parent.Id}
	_, err := s.Client(hsMgmt).ListHandshakesForOrganization(hsCtx, &organizations.ListHandshakesForOrganizationInput{Filter: both})
	apitest.RequireCode(t, err, hsInvalidInput, "MAX_LIMIT_EXCEEDED_FILTER")
	_, err = s.Client(hsAlice).ListHandshakesForAccount(hsCtx, &organizations.ListHandshakesForAccountInput{Filter: both})
	apitest.RequireCode(t, err, hsInvalidInput, "MAX_LIMIT_EXCEEDED_FILTER")
}

func TestListHandshakesPaging(t *testing.T) {
	s := apitest.Start(t, hsQuotas(40, 40))
	s.CreateOrganization(hsMgmt)
	var sent []*string
	for i := 1; i <= 25; i++ {
		sent = append(sent, s.Invite(hsMgmt, hsAccount(i)).Id)
	}
	// alice receives one invitation from each of seven organizations, addressed in turn to
	// her account id and to her e-mail address: her list merges both.
	s.Register(map[string]any{"Id": hsAlice, "Email": "alice@example.org"})
	var received []*string
	for i := 1; i <= 7; i++ {
		mgmt := fmt.Sprintf("9%011d", i)
		s.CreateOrganization(mgmt)
		if i%2 == 1 {
			received = append(received, hsMustSend(t, s, mgmt, types.HandshakePartyTypeAccount, hsAlice).Id)
		} else {
			received = append(received, hsMustSend(t, s, mgmt, types.HandshakePartyTypeEmail, "Alice@Example.org").Id)
		}
	}

	t.Run("organization", func(t *testing.T) {
		for _, size := range []int32{1, 4, 5, 20} {
			hsRequireIDs(t, fmt.Sprintf("pages of %d", size), hsListForOrganization(t, s, hsMgmt, nil, size), sent...)
		}
		// Without MaxResults a page holds 20.
		out := hsMust(s.Client(hsMgmt).ListHandshakesForOrganization(hsCtx, &organizations.ListHandshakesForOrganizationInput{}))(t)
		if len(out.Handshakes) != 20 || out.NextToken == nil {
			t.Fatalf("first page: %d handshakes, NextToken %v", len(out.Handshakes), out.NextToken)
		}
		rest := hsMust(s.Client(hsMgmt).ListHandshakesForOrganization(hsCtx, &organizations.ListHandshakesForOrganizationInput{NextToken: out.NextToken}))(t)
		if len(rest.Handshakes) != 5 || rest.NextToken != nil {
			t.Fatalf("second page: %d handshakes, NextToken %v", len(rest.Handshakes), rest.NextToken)
		}
		// A filter pages the same way.
		hsRequireIDs(t, "INVITE in pages of 3", hsListForOrganization(t, s, hsMgmt, &types.HandshakeFilter{ActionType: types.ActionTypeInviteAccountToOrganization}, 3), sent...)
		// An exact multiple of the page size ends without an empty page.
		out = hsMust(s.Client(hsMgmt).ListHandshakesForOrganization(hsCtx, &organizations.ListHandshakesForOrganizationInput{MaxResults: aws.Int32(5)}))(t)
		for page := 1; out.NextToken != nil; page++ {
			out = hsMust(s.Client(hsMgmt).ListHandshakesForOrganization(hsCtx, &organizations.ListHandshakesForOrganizationInput{MaxResults: aws.Int32(5), NextToken: out.NextToken}))(t)
			if len(out.Handshakes) == 0 {
				t.Fatalf("page %d is empty", page+1)
			}
		}
	})
	t.Run("account", func(t *testing.T) {
		for _, size := range []int32{1, 2, 3, 7, 20} {
			hsRequireIDs(t, fmt.Sprintf("pages of %d", size), hsListForAccount(t, s, hsAlice, nil, size), received...)
			hsRequireIDs(t, fmt.Sprintf("INVITE in pages of %d", size),
				hsListForAccount(t, s, hsAlice, &types.HandshakeFilter{ActionType: types.ActionTypeInviteAccountToOrganization}, size), received...)
		}
	})
	t.Run("MaxResults out of range", func(t *testing.T) {
		for _, tc := range []struct {
			max    int32
			reason string
		}{{0, "MIN_VALUE_EXCEEDED"}, {21, "MAX_VALUE_EXCEEDED"}} {
			_, err := s.Client(hsMgmt).ListHandshakesForOrganization(hsCtx, &organizations.ListHandshakesForOrganizationInput{MaxResults: aws.Int32(tc.max)})
			apitest.RequireCode(t, err, hsInvalidInput, tc.reason)
			_, err = s.Client(hsAlice).ListHandshakesForAccount(hsCtx, &organizations.ListHandshakesForAccountInput{MaxResults: aws.Int32(tc.max)})
			apitest.RequireCode(t, err, hsInvalidInput, tc.reason)
		}
	})
	t.Run("forged or foreign NextToken", func(t *testing.T) {
		first := hsMust(s.Client(hsMgmt).ListHandshakesForOrganization(hsCtx, &organizations.ListHandshakesForOrganizationInput{MaxResults: aws.Int32(2)}))(t)
		tok := aws.ToString(first.NextToken)
		acctPage := hsMust(s.Client(hsAlice).ListHandshakesForAccount(hsCtx, &organizations.ListHandshakesForAccountInput{MaxResults: aws.Int32(2)}))(t)
		altered := []byte(tok)
		if altered[0] == 'A' {
			altered[0] = 'B'
		} else {
			altered[0] = 'A'
		}
		forOrg := func(caller, token string, f *types.HandshakeFilter) error {
			_, err := s.Client(caller).ListHandshakesForOrganization(hsCtx, &organizations.ListHandshakesForOrganizationInput{NextToken: aws.String(token), Filter: f})
			return err
		}
		forAcct := func(caller, token string) error {
			_, err := s.Client(caller).ListHandshakesForAccount(hsCtx, &organizations.ListHandshakesForAccountInput{NextToken: aws.String(token)})
			return err
		}
		cases := []struct {
			name string
			err  error
		}{
			{"altered", forOrg(hsMgmt, string(altered), nil)},
			{"garbage", forOrg(hsMgmt, "not-a-token", nil)},
			{"another organization's management account", forOrg(fmt.Sprintf("9%011d", 1), tok, nil)},
			{"with another filter", forOrg(hsMgmt, tok, &types.HandshakeFilter{ActionType: types.ActionTypeInviteAccountToOrganization})},
			{"organization's token in the account list", forAcct(hsMgmt, tok)},
			{"account list token of another account", forAcct(hsBob, aws.ToString(acctPage.NextToken))},
			{"account list token in the organization list", forOrg(hsMgmt, aws.ToString(acctPage.NextToken), nil)},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) { apitest.RequireCode(t, tc.err, hsInvalidInput, "INVALID_NEXT_TOKEN") })
		}
		// The genuine token still works.
		if err := forOrg(hsMgmt, tok, nil); err != nil {
			t.Errorf("genuine token: %v", err)
		}
	})
}

// hsNoticeWant is what an outbox message about a handshake must say.
type hsNoticeWant struct {
	handshake, to, subject string
	body                   []string
}

// hsRequireNotice checks the outbox's last message, and that the outbox holds n messages.
func hsRequireNotice(t *testing.T, s *apitest.Server, n int, want hsNoticeWant) {
	t.Helper()
	msgs := hsOutbox(s)
	if len(msgs) != n {
		t.Fatalf("outbox holds %d messages, want %d: %+v", len(msgs), n, msgs)
	}
	m := msgs[n-1]
	if m.HandshakeId != want.handshake || m.To != want.to || !strings.Contains(m.Subject, want.subject) {
		t.Errorf("message %+v: want handshake %s to %s with a subject containing %q", m, want.handshake, want.to, want.subject)
	}
	link := "https://orgd.example/console/handshakes/" + want.handshake
	for _, w := range append(want.body, want.handshake, link) {
		if !strings.Contains(m.Body, w) {
			t.Errorf("body of the message to %s lacks %q:\n%s", m.To, w, m.Body)
		}
	}
}

// Accepting, declining and canceling an invitation and asking members to approve all
// features each write AWS's notice in the change's transaction: a refused change writes none.
func TestHandshakeNoticesWrittenToOutbox(t *testing.T) {
	s := apitest.Start(t, func(c *server.Config) { c.Org.PublicURL = "https://orgd.example" })
	s.Register(map[string]any{"Id": hsMgmt, "Email": "bill@example.com", "Name": "Bill"})
	s.Register(map[string]any{"Id": hsAlice, "Email": "alice@example.org"})
	s.Register(map[string]any{"Id": hsBob, "Email": "bob@example.org"})
	o := hsCreateOrganization(t, s, hsMgmt, types.OrganizationFeatureSetConsolidatedBilling)
	orgID := aws.ToString(o.Id)

	toAlice := s.Invite(hsMgmt, hsAlice)
	hsMust(hsAccept(s, hsAlice, toAlice.Id))(t)
	accepted := hsNoticeWant{aws.ToString(toAlice.Id), "bill@example.com", "accepted",
		[]string{"Hello Bill", hsAlice, "alice@example.org", "accepted", orgID}}
	hsRequireNotice(t, s, 2, accepted)
	_, err := hsAccept(s, hsAlice, toAlice.Id)
	apitest.RequireCode(t, err, hsAlreadyInState, "")
	hsRequireNotice(t, s, 2, accepted)

	toBob := s.Invite(hsMgmt, hsBob)
	hsMust(hsDecline(s, hsBob, toBob.Id))(t)
	declined := hsNoticeWant{aws.ToString(toBob.Id), "bill@example.com", "declined",
		[]string{hsBob, "bob@example.org", "declined", orgID}}
	hsRequireNotice(t, s, 4, declined)
	_, err = hsDecline(s, hsBob, toBob.Id)
	apitest.RequireCode(t, err, hsAlreadyInState, "")
	hsRequireNotice(t, s, 4, declined)

	// An invitation to an address goes back to the address as it was given.
	toAddress := hsMustSend(t, s, hsMgmt, types.HandshakePartyTypeEmail, "Nobody.Yet@example.net")
	hsMust(hsCancel(s, hsMgmt, toAddress.Id))(t)
	canceled := hsNoticeWant{aws.ToString(toAddress.Id), "Nobody.Yet@example.net", "canceled",
		[]string{"Bill", "bill@example.com", hsMgmt, "canceled", orgID}}
	hsRequireNotice(t, s, 6, canceled)
	_, err = hsCancel(s, hsMgmt, toAddress.Id)
	apitest.RequireCode(t, err, hsAlreadyInState, "")
	hsRequireNotice(t, s, 6, canceled)

	// Alice joined by invitation and is asked; the management account is not.
	hsMust(s.Client(hsMgmt).EnableAllFeatures(hsCtx, &organizations.EnableAllFeaturesInput{}))(t)
	approvals := hsListForAccount(t, s, hsAlice, &types.HandshakeFilter{ActionType: types.ActionTypeApproveAllFeatures}, 0)
	if len(approvals) != 1 {
		t.Fatalf("Alice's APPROVE_ALL_FEATURES handshakes = %v, want one", hsIDs(approvals))
	}
	allFeatures := hsNoticeWant{aws.ToString(approvals[0].Id), "alice@example.org", "enable all features",
		[]string{"Bill", hsMgmt, orgID, hsAlice, "accept-handshake"}}
	hsRequireNotice(t, s, 7, allFeatures)
	_, err = s.Client(hsMgmt).EnableAllFeatures(hsCtx, &organizations.EnableAllFeaturesInput{})
	apitest.RequireCode(t, err, hsConstraint, "ORGANIZATION_IS_ALREADY_PENDING_ALL_FEATURES_MIGRATION")
	hsRequireNotice(t, s, 7, allFeatures)
}

// TestHandshakeExpiryNoticesWrittenToOutbox: an invitation or all-features request that
// expires unanswered is stored EXPIRED with one e-mail to the management account, dated by the
// expiry, whichever write notices it first (a listing of the outbox, a mail claim, or the
// account quota's count of open invitations); an approval expiring with its request adds none.
// An invitation the organization withdraws (EnableAllFeatures) is a cancellation, told too.
func TestHandshakeExpiryNoticesWrittenToOutbox(t *testing.T) {
	s := apitest.Start(t, hsFrozenClock, func(c *server.Config) { c.Org.PublicURL = "https://orgd.example" })
	s.Register(map[string]any{"Id": hsMgmt, "Email": "bill@example.com", "Name": "Bill"})
	s.Register(map[string]any{"Id": hsAlice, "Email": "alice@example.org"})
	orgID := aws.ToString(hsCreateOrganization(t, s, hsMgmt, types.OrganizationFeatureSetConsolidatedBilling).Id)

	toAlice := s.Invite(hsMgmt, hsAlice)
	toAddress := hsMustSend(t, s, hsMgmt, types.HandshakePartyTypeEmail, "Nobody.Yet@example.net")
	s.Advance(hsInvite - time.Millisecond)
	if got := hsOutbox(s); len(got) != 2 {
		t.Fatalf("outbox before the expiry holds %d messages, want the 2 invitations: %+v", len(got), got)
	}
	s.Advance(time.Millisecond)
	for range 2 { // the second listing adds nothing
		msgs := hsOutbox(s)
		if len(msgs) != 4 {
			t.Fatalf("outbox after the expiry holds %d messages, want 2 invitations and 2 notices: %+v", len(msgs), msgs)
		}
		for i, want := range []struct {
			h   *types.Handshake
			to  string
			who string
		}{{toAlice, "bill@example.com", "alice@example.org"}, {toAddress, "bill@example.com", "Nobody.Yet@example.net"}} {
			m := msgs[2+i]
			if m.HandshakeId != aws.ToString(want.h.Id) || m.To != want.to || !strings.Contains(m.Subject, "expired") {
				t.Errorf("notice %d = %+v, want the expiry of %s to %s", i, m, aws.ToString(want.h.Id), want.to)
			}
			if !m.CreatedAt.Equal(want.h.ExpirationTimestamp.Truncate(time.Millisecond)) {
				t.Errorf("notice of %s dated %v, want its expiry %v", m.HandshakeId, m.CreatedAt, want.h.ExpirationTimestamp)
			}
			for _, w := range []string{"Hello Bill", want.who, orgID, "expired", "https://orgd.example/console/handshakes/" + m.HandshakeId} {
				if !strings.Contains(m.Body, w) {
					t.Errorf("notice of %s lacks %q:\n%s", m.HandshakeId, w, m.Body)
				}
			}
		}
	}
	hsRequireState(t, s, hsAlice, toAlice.Id, types.HandshakeStateExpired)

	// The account quota stores the expiry of invitations itself, before the outbox is read:
	// the notice is written then, once, ahead of the invitation that noticed it.
	again := s.Invite(hsMgmt, hsAlice)
	s.Advance(hsInvite)
	toBob := hsMustSend(t, s, hsMgmt, types.HandshakePartyTypeAccount, hsBob)
	msgs := hsOutbox(s)
	if len(msgs) != 7 || msgs[5].HandshakeId != aws.ToString(again.Id) || !strings.Contains(msgs[5].Subject, "expired") {
		t.Fatalf("outbox = %+v, want the expiry notice of %s sixth, then the invitation to %s", msgs, aws.ToString(again.Id), hsBob)
	}

	// An all-features request withdraws the invitation to Bob, and tells him; expiring with
	// its approval, it gets one notice, for the request.
	s.Join(hsMgmt, hsAlice)
	before := len(hsOutbox(s))
	parent := hsMust(s.Client(hsMgmt).EnableAllFeatures(hsCtx, &organizations.EnableAllFeaturesInput{}))(t).Handshake
	withdrawn := 0
	for _, m := range hsOutbox(s)[before:] {
		if m.HandshakeId == aws.ToString(toBob.Id) && strings.Contains(m.Subject, "canceled") && strings.Contains(m.Body, "canceled its invitation") {
			withdrawn++
		}
	}
	if withdrawn != 1 {
		t.Errorf("%d cancellation notices of the invitation %s withdrawn by EnableAllFeatures, want 1", withdrawn, aws.ToString(toBob.Id))
	}
	s.Advance(hsAllFt)
	msgs = hsOutbox(s)
	var notices []hsOutboxMessage
	for _, m := range msgs[before:] {
		if strings.Contains(m.Subject, "expired") {
			notices = append(notices, m)
		}
	}
	if len(notices) != 1 || notices[0].HandshakeId != aws.ToString(parent.Id) || notices[0].To != "bill@example.com" ||
		!strings.Contains(notices[0].Body, "enable all features") {
		t.Errorf("notices after the all-features request expired = %+v, want one about %s to bill@example.com",
			notices, aws.ToString(parent.Id))
	}
}
