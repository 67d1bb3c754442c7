package org_test

import (
	"net/http"
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
)

// Responsibility transfers (spec §8.5) through the SDK. dlMgmt's organization invites the
// management accounts of other organizations to let it pay their bills.

const (
	trThird = "666666666666" // management account of a third organization
	trDay   = 24 * time.Hour
)

var trIDPattern = regexp.MustCompile(`^rt-[0-9a-z]{8,32}$`)

// trServer starts orgd allowing inbound transfers (AWS's default quota is 0) with the
// organizations of dlMgmt, dlOther and trThird.
func trServer(t *testing.T, inbound int) *apitest.Server {
	t.Helper()
	s := apitest.Start(t, apitest.WithQuotas(func(q *org.Quotas) { q.MaxInboundTransfers = inbound }))
	for _, m := range []string{dlMgmt, dlOther, trThird} {
		s.CreateOrganization(m)
	}
	return s
}

// trStart is a valid StartTimestamp: the first day of the month after next, which is always
// more than a day away.
func trStart() time.Time {
	now := time.Now().UTC()
	return time.Date(now.Year(), now.Month()+2, 1, 0, 0, 0, 0, time.UTC)
}

func trInvite(s *apitest.Server, caller string, target types.HandshakeParty, start time.Time) (*types.Handshake, error) {
	out, err := s.Client(caller).InviteOrganizationToTransferResponsibility(dlCtx, &organizations.InviteOrganizationToTransferResponsibilityInput{
		Type: types.ResponsibilityTransferTypeBilling, Target: &target, StartTimestamp: aws.Time(start),
		SourceName: aws.String("bill " + aws.ToString(target.Id)), Notes: aws.String("please"),
	})
	if err != nil {
		return nil, err
	}
	return out.Handshake, nil
}

func trAccount(id string) types.HandshakeParty {
	return types.HandshakeParty{Type: types.HandshakePartyTypeAccount, Id: aws.String(id)}
}

func trMustInvite(t *testing.T, s *apitest.Server, target string) (*types.Handshake, string) {
	t.Helper()
	h, err := trInvite(s, dlMgmt, trAccount(target), trStart())
	if err != nil {
		t.Fatalf("invite %s to transfer: %v", target, err)
	}
	return h, trTransferID(t, h)
}

// trTransferID finds the transfer a TRANSFER_RESPONSIBILITY handshake offers.
func trTransferID(t *testing.T, h *types.Handshake) string {
	t.Helper()
	for _, r := range h.Resources {
		if r.Type == types.HandshakeResourceTypeResponsibilityTransfer {
			return aws.ToString(r.Value)
		}
	}
	t.Fatalf("handshake %s has no RESPONSIBILITY_TRANSFER resource: %+v", aws.ToString(h.Id), h.Resources)
	return ""
}

func trDescribe(s *apitest.Server, caller, id string) (*types.ResponsibilityTransfer, error) {
	out, err := s.Client(caller).DescribeResponsibilityTransfer(dlCtx, &organizations.DescribeResponsibilityTransferInput{Id: aws.String(id)})
	if err != nil {
		return nil, err
	}
	return out.ResponsibilityTransfer, nil
}

func trStatus(t *testing.T, s *apitest.Server, caller, id string) types.ResponsibilityTransferStatus {
	t.Helper()
	tr, err := trDescribe(s, caller, id)
	if err != nil {
		t.Fatalf("describe %s as %s: %v", id, caller, err)
	}
	return tr.Status
}

func TestInviteOrganizationToTransferResponsibility(t *testing.T) {
	s := trServer(t, 5)
	start := trStart()
	h, err := trInvite(s, dlMgmt, trAccount(dlOther), start)
	if err != nil {
		t.Fatal(err)
	}
	if h.Action != types.ActionTypeTransferResponsibility || h.State != types.HandshakeStateOpen {
		t.Errorf("handshake %s %s, want TRANSFER_RESPONSIBILITY OPEN", h.Action, h.State)
	}
	if !h.ExpirationTimestamp.Equal(start.Add(-trDay)) {
		t.Errorf("ExpirationTimestamp %v, want a day before the start %v", h.ExpirationTimestamp, start)
	}
	if !regexp.MustCompile(`:handshake/o-[a-z0-9]{10}/transfer_responsibility/h-`).MatchString(aws.ToString(h.Arn)) {
		t.Errorf("handshake Arn %s", aws.ToString(h.Arn))
	}
	if len(h.Parties) != 2 || h.Parties[0].Type != types.HandshakePartyTypeOrganization || aws.ToString(h.Parties[1].Id) != dlOther {
		t.Errorf("Parties %+v", h.Parties)
	}
	var kinds []types.HandshakeResourceType
	for _, r := range h.Resources {
		kinds = append(kinds, r.Type)
	}
	for _, want := range []types.HandshakeResourceType{types.HandshakeResourceTypeResponsibilityTransfer, types.HandshakeResourceTypeTransferType,
		types.HandshakeResourceTypeTransferStartTimestamp, types.HandshakeResourceTypeOrganization, types.HandshakeResourceTypeNotes} {
		if !slices.Contains(kinds, want) {
			t.Errorf("Resources lack %s: %v", want, kinds)
		}
	}
	id := trTransferID(t, h)
	if !trIDPattern.MatchString(id) {
		t.Errorf("transfer id %q", id)
	}

	// The inviter sees it inbound, the invited organization outbound.
	in, err := s.Client(dlMgmt).ListInboundResponsibilityTransfers(dlCtx, &organizations.ListInboundResponsibilityTransfersInput{Type: types.ResponsibilityTransferTypeBilling})
	if err != nil {
		t.Fatal(err)
	}
	if len(in.ResponsibilityTransfers) != 1 {
		t.Fatalf("%d inbound transfers, want 1", len(in.ResponsibilityTransfers))
	}
	tr := in.ResponsibilityTransfers[0]
	if aws.ToString(tr.Id) != id || tr.Status != types.ResponsibilityTransferStatusRequested || tr.Type != types.ResponsibilityTransferTypeBilling ||
		aws.ToString(tr.Name) != "bill "+dlOther || aws.ToString(tr.ActiveHandshakeId) != aws.ToString(h.Id) ||
		aws.ToString(tr.Target.ManagementAccountId) != dlMgmt || aws.ToString(tr.Source.ManagementAccountId) != dlOther ||
		aws.ToString(tr.Source.ManagementAccountEmail) != dlOther+"@example.com" || !tr.StartTimestamp.Equal(start) || tr.EndTimestamp != nil {
		t.Errorf("inbound transfer %+v", tr)
	}
	if !regexp.MustCompile(`^arn:aws:organizations::` + dlMgmt + `:transfer/o-[a-z0-9]{10}/billing/inbound/` + id + `$`).MatchString(aws.ToString(tr.Arn)) {
		t.Errorf("inbound Arn %s", aws.ToString(tr.Arn))
	}
	out, err := s.Client(dlOther).ListOutboundResponsibilityTransfers(dlCtx, &organizations.ListOutboundResponsibilityTransfersInput{Type: types.ResponsibilityTransferTypeBilling})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.ResponsibilityTransfers) != 1 || aws.ToString(out.ResponsibilityTransfers[0].Id) != id ||
		!regexp.MustCompile(`^arn:aws:organizations::`+dlOther+`:transfer/o-[a-z0-9]{10}/billing/outbound/`+id+`$`).MatchString(aws.ToString(out.ResponsibilityTransfers[0].Arn)) {
		t.Errorf("outbound transfers of the invited organization: %+v", out.ResponsibilityTransfers)
	}
	// The invitation reached the invited management account's handshakes.
	hs, err := s.Client(dlOther).ListHandshakesForAccount(dlCtx, &organizations.ListHandshakesForAccountInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(hs.Handshakes) != 1 || aws.ToString(hs.Handshakes[0].Id) != aws.ToString(h.Id) {
		t.Errorf("handshakes of %s: %+v", dlOther, hs.Handshakes)
	}
	// Either side describes it; a third organization does not see it.
	for _, caller := range []string{dlMgmt, dlOther} {
		if st := trStatus(t, s, caller, id); st != types.ResponsibilityTransferStatusRequested {
			t.Errorf("status as %s: %s", caller, st)
		}
	}
	_, err = trDescribe(s, trThird, id)
	apitest.RequireCode(t, err, "ResponsibilityTransferNotFoundException", "")
	_, err = trDescribe(s, dlMgmt, "rt-00000000")
	apitest.RequireCode(t, err, "ResponsibilityTransferNotFoundException", "")
}

func TestInviteOrganizationToTransferResponsibilityErrors(t *testing.T) {
	s := trServer(t, 5)
	s.Join(dlMgmt, dlAlice)
	start := trStart()
	_, err := trInvite(s, dlAlice, trAccount(dlOther), start)
	apitest.RequireCode(t, err, "AccessDeniedException", "")
	_, err = trInvite(s, "777777777777", trAccount(dlOther), start)
	apitest.RequireCode(t, err, "AWSOrganizationsNotInUseException", "")
	_, err = trInvite(s, dlMgmt, types.HandshakeParty{Type: types.HandshakePartyTypeOrganization, Id: aws.String("o-abcdefghij")}, start)
	apitest.RequireCode(t, err, "InvalidInputException", "INVALID_PARTY_TYPE_TARGET")
	_, err = trInvite(s, dlMgmt, types.HandshakeParty{Type: types.HandshakePartyTypeEmail, Id: aws.String("nobody@nowhere.example")}, start)
	apitest.RequireCode(t, err, "InvalidInputException", "INVALID_EMAIL_ADDRESS_TARGET")
	for _, target := range []string{dlMgmt, dlAlice} {
		_, err = trInvite(s, dlMgmt, trAccount(target), start)
		apitest.RequireCode(t, err, "HandshakeConstraintViolationException", "SOURCE_AND_TARGET_CANNOT_MATCH")
	}
	// An e-mail target is resolved to its account.
	h, err := trInvite(s, dlMgmt, types.HandshakeParty{Type: types.HandshakePartyTypeEmail, Id: aws.String(dlOther + "@example.com")}, start)
	if err != nil {
		t.Fatal(err)
	}
	if st := trStatus(t, s, dlOther, trTransferID(t, h)); st != types.ResponsibilityTransferStatusRequested {
		t.Errorf("invited by e-mail, the account sees status %s", st)
	}
	_, err = trInvite(s, dlMgmt, trAccount(dlOther), start)
	apitest.RequireCode(t, err, "DuplicateHandshakeException", "")
}

func TestTransferStartTimestampRules(t *testing.T) {
	s := trServer(t, 5)
	now := time.Now().UTC()
	next := time.Date(now.Year(), now.Month()+1, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name   string
		start  time.Time
		reason string
	}{
		{"not midnight", trStart().Add(time.Hour), "START_DATE_NOT_BEGINNING_OF_DAY"},
		{"not the first", trStart().Add(trDay), "START_DATE_NOT_BEGINNING_OF_MONTH"},
		{"this month", time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC), "START_DATE_TOO_EARLY"},
		{"three months on", next.AddDate(0, 2, 0), "START_DATE_TOO_LATE"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := trInvite(s, dlMgmt, trAccount(dlOther), c.start)
			apitest.RequireCode(t, err, "InvalidInputException", c.reason)
		})
	}
	// Less than a day before the start there is no time left to accept. The start is the
	// first of the month after next: the next month's first may be less than 12 hours away.
	start := trStart()
	s.Advance((start.Sub(now) - 12*time.Hour).Truncate(time.Millisecond))
	_, err := trInvite(s, dlMgmt, trAccount(dlOther), start)
	apitest.RequireCode(t, err, "InvalidInputException", "INVALID_START_DATE")
}

func TestTransferInboundQuota(t *testing.T) {
	// AWS's default inbound quota is 0: no organization may invite until it is raised.
	s := trServer(t, 0)
	_, err := trInvite(s, dlMgmt, trAccount(dlOther), trStart())
	apitest.RequireCode(t, err, "ConstraintViolationException", "RESPONSIBILITY_TRANSFER_MAX_INBOUND_QUOTA_VIOLATION")

	s = trServer(t, 1)
	trMustInvite(t, s, dlOther)
	_, err = trInvite(s, dlMgmt, trAccount(trThird), trStart())
	apitest.RequireCode(t, err, "ConstraintViolationException", "RESPONSIBILITY_TRANSFER_MAX_INBOUND_QUOTA_VIOLATION")
}

func TestTransferInvitationExpires(t *testing.T) {
	s := trServer(t, 1)
	h, id := trMustInvite(t, s, dlOther)
	s.Advance((time.Until(*h.ExpirationTimestamp) + time.Minute).Truncate(time.Millisecond))
	if st := trStatus(t, s, dlMgmt, id); st != types.ResponsibilityTransferStatusExpired {
		t.Errorf("status after the invitation expired: %s, want EXPIRED", st)
	}
	// An expired invitation no longer counts against the inbound quota.
	if _, err := trInvite(s, dlMgmt, trAccount(trThird), trStart().AddDate(0, 1, 0)); err != nil {
		t.Errorf("invite after the first expired: %v", err)
	}
}

func TestUpdateResponsibilityTransferRenames(t *testing.T) {
	s := trServer(t, 1)
	_, id := trMustInvite(t, s, dlOther)
	for _, caller := range []string{dlMgmt, dlOther} {
		out, err := s.Client(caller).UpdateResponsibilityTransfer(dlCtx, &organizations.UpdateResponsibilityTransferInput{Id: aws.String(id), Name: aws.String("renamed by " + caller)})
		if err != nil {
			t.Fatalf("rename as %s: %v", caller, err)
		}
		if aws.ToString(out.ResponsibilityTransfer.Name) != "renamed by "+caller {
			t.Errorf("renamed transfer %+v", out.ResponsibilityTransfer)
		}
	}
	tr, err := trDescribe(s, dlMgmt, id)
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(tr.Name) != "renamed by "+dlOther {
		t.Errorf("name %q after both renames", aws.ToString(tr.Name))
	}
	_, err = s.Client(trThird).UpdateResponsibilityTransfer(dlCtx, &organizations.UpdateResponsibilityTransferInput{Id: aws.String(id), Name: aws.String("x")})
	apitest.RequireCode(t, err, "ResponsibilityTransferNotFoundException", "")
}

func TestTerminateRequestedTransferIsInvalidTransition(t *testing.T) {
	s := trServer(t, 1)
	_, id := trMustInvite(t, s, dlOther)
	_, err := s.Client(dlMgmt).TerminateResponsibilityTransfer(dlCtx, &organizations.TerminateResponsibilityTransferInput{Id: aws.String(id)})
	apitest.RequireCode(t, err, "InvalidResponsibilityTransferTransitionException", "")
	_, err = s.Client(trThird).TerminateResponsibilityTransfer(dlCtx, &organizations.TerminateResponsibilityTransferInput{Id: aws.String(id)})
	apitest.RequireCode(t, err, "ResponsibilityTransferNotFoundException", "")
}

func TestListResponsibilityTransfersPagesAndFilters(t *testing.T) {
	s := trServer(t, 5)
	others := []string{dlOther, trThird, "888888888888", "999999999999"}
	var ids []string
	for _, m := range others[2:] {
		s.CreateOrganization(m)
	}
	for _, m := range others {
		_, id := trMustInvite(t, s, m)
		ids = append(ids, id)
	}
	var got []string
	var token *string
	for pages := 0; ; pages++ {
		out, err := s.Client(dlMgmt).ListInboundResponsibilityTransfers(dlCtx, &organizations.ListInboundResponsibilityTransfersInput{
			Type: types.ResponsibilityTransferTypeBilling, MaxResults: aws.Int32(3), NextToken: token})
		if err != nil {
			t.Fatal(err)
		}
		for _, tr := range out.ResponsibilityTransfers {
			got = append(got, aws.ToString(tr.Id))
		}
		if token = out.NextToken; token == nil || pages > 5 {
			break
		}
	}
	if !slices.Equal(got, ids) {
		t.Errorf("paged inbound transfers %v, want %v", got, ids)
	}
	one, err := s.Client(dlMgmt).ListInboundResponsibilityTransfers(dlCtx, &organizations.ListInboundResponsibilityTransfersInput{
		Type: types.ResponsibilityTransferTypeBilling, Id: aws.String(ids[2])})
	if err != nil {
		t.Fatal(err)
	}
	if len(one.ResponsibilityTransfers) != 1 || aws.ToString(one.ResponsibilityTransfers[0].Id) != ids[2] {
		t.Errorf("inbound with Id %s: %+v", ids[2], one.ResponsibilityTransfers)
	}
	// The invited organization's transfer is not inbound to it.
	_, err = s.Client(dlOther).ListInboundResponsibilityTransfers(dlCtx, &organizations.ListInboundResponsibilityTransfersInput{
		Type: types.ResponsibilityTransferTypeBilling, Id: aws.String(ids[0])})
	apitest.RequireCode(t, err, "ResponsibilityTransferNotFoundException", "")
	_, err = s.Client(dlMgmt).ListOutboundResponsibilityTransfers(dlCtx, &organizations.ListOutboundResponsibilityTransfersInput{
		Type: types.ResponsibilityTransferTypeBilling, NextToken: aws.String("forged")})
	apitest.RequireCode(t, err, "InvalidInputException", "INVALID_NEXT_TOKEN")
	s.Join(dlMgmt, dlAlice)
	_, err = s.Client(dlAlice).ListInboundResponsibilityTransfers(dlCtx, &organizations.ListInboundResponsibilityTransfersInput{Type: types.ResponsibilityTransferTypeBilling})
	apitest.RequireCode(t, err, "AccessDeniedException", "")
}

// The tests below need the lead's wiring of acceptTransfer and closeTransfer into
// AcceptHandshake, DeclineHandshake and CancelHandshake.

func trAccept(s *apitest.Server, caller string, h *types.Handshake) error {
	_, err := s.Client(caller).AcceptHandshake(dlCtx, &organizations.AcceptHandshakeInput{HandshakeId: h.Id})
	return err
}

func TestAcceptTransferThenTerminateWired(t *testing.T) {
	s := trServer(t, 2)
	h, id := trMustInvite(t, s, dlOther)
	// Only the invited management account accepts.
	apitest.RequireCode(t, trAccept(s, dlMgmt, h), "AccessDeniedException", "")
	if err := trAccept(s, dlOther, h); err != nil {
		t.Fatalf("accept: %v", err)
	}
	if st := trStatus(t, s, dlMgmt, id); st != types.ResponsibilityTransferStatusAccepted {
		t.Fatalf("status after acceptance: %s", st)
	}
	terminate := func(caller string, end *time.Time) (*types.ResponsibilityTransfer, error) {
		out, err := s.Client(caller).TerminateResponsibilityTransfer(dlCtx, &organizations.TerminateResponsibilityTransferInput{Id: aws.String(id), EndTimestamp: end})
		if err != nil {
			return nil, err
		}
		return out.ResponsibilityTransfer, nil
	}
	now := time.Now().UTC()
	endOfThisMonth := time.Date(now.Year(), now.Month()+1, 1, 0, 0, 0, 0, time.UTC).Add(-time.Millisecond)
	midMonth := time.Date(now.Year(), now.Month()+1, 15, 0, 0, 0, 0, time.UTC)
	_, err := terminate(dlOther, &midMonth)
	apitest.RequireCode(t, err, "InvalidInputException", "END_DATE_NOT_END_OF_MONTH")
	lastMonth := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC).Add(-time.Millisecond)
	_, err = terminate(dlOther, &lastMonth)
	apitest.RequireCode(t, err, "InvalidInputException", "END_DATE_TOO_EARLY")
	tooLate := endOfThisMonth.AddDate(0, 3, 0)
	tooLate = time.Date(tooLate.Year(), tooLate.Month()+1, 1, 0, 0, 0, 0, time.UTC).Add(-time.Millisecond)
	_, err = terminate(dlOther, &tooLate)
	apitest.RequireCode(t, err, "InvalidInputException", "INVALID_END_DATE")
	tr, err := terminate(dlOther, &endOfThisMonth)
	if err != nil {
		t.Fatal(err)
	}
	if tr.Status != types.ResponsibilityTransferStatusWithdrawn || tr.EndTimestamp == nil || !tr.EndTimestamp.Equal(endOfThisMonth) {
		t.Errorf("terminated transfer %+v", tr)
	}
	_, err = terminate(dlMgmt, nil)
	apitest.RequireCode(t, err, "ResponsibilityTransferAlreadyInStatusException", "")
}

func TestDeclineAndCancelTransferInvitationWired(t *testing.T) {
	s := trServer(t, 2)
	h1, id1 := trMustInvite(t, s, dlOther)
	h2, id2 := trMustInvite(t, s, trThird)
	if _, err := s.Client(dlOther).DeclineHandshake(dlCtx, &organizations.DeclineHandshakeInput{HandshakeId: h1.Id}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Client(dlMgmt).CancelHandshake(dlCtx, &organizations.CancelHandshakeInput{HandshakeId: h2.Id}); err != nil {
		t.Fatal(err)
	}
	if st := trStatus(t, s, dlMgmt, id1); st != types.ResponsibilityTransferStatusDeclined {
		t.Errorf("declined invitation: transfer %s", st)
	}
	if st := trStatus(t, s, dlMgmt, id2); st != types.ResponsibilityTransferStatusCanceled {
		t.Errorf("cancelled invitation: transfer %s", st)
	}
	// Closed invitations free the inbound quota.
	trMustInvite(t, s, dlOther)
}

func TestTransferOutboundAndChainQuotasWired(t *testing.T) {
	s := trServer(t, 2)
	s.CreateOrganization("888888888888")
	h, _ := trMustInvite(t, s, dlOther)
	if err := trAccept(s, dlOther, h); err != nil {
		t.Fatalf("accept: %v", err)
	}
	// dlOther's bill is paid by dlMgmt; a second payer breaks the outbound quota of 1.
	out, err := s.Client(trThird).InviteOrganizationToTransferResponsibility(dlCtx, &organizations.InviteOrganizationToTransferResponsibilityInput{
		Type: types.ResponsibilityTransferTypeBilling, Target: &types.HandshakeParty{Type: types.HandshakePartyTypeAccount, Id: aws.String(dlOther)},
		StartTimestamp: aws.Time(trStart()), SourceName: aws.String("second payer"),
	})
	if err != nil {
		t.Fatalf("second invitation: %v", err)
	}
	apitest.RequireCode(t, trAccept(s, dlOther, out.Handshake), "ConstraintViolationException", "RESPONSIBILITY_TRANSFER_MAX_OUTBOUND_QUOTA_VIOLATION")
	// dlOther, whose bill is paid, cannot pay for another organization: the chain would be 2.
	_, err = trInvite(s, dlOther, trAccount("888888888888"), trStart())
	apitest.RequireCode(t, err, "ConstraintViolationException", "RESPONSIBILITY_TRANSFER_MAX_LEVEL_VIOLATION")
	// The inviting side cannot accept its own invitation.
	h2, _ := trMustInvite(t, s, "888888888888")
	apitest.RequireCode(t, trAccept(s, dlMgmt, h2), "AccessDeniedException", "")
}

func TestTransferInvitationEmailWrittenToOutbox(t *testing.T) {
	s := trServer(t, 5)
	h, err := trInvite(s, dlMgmt, trAccount(dlOther), trStart())
	if err != nil {
		t.Fatal(err)
	}
	var outbox struct {
		Messages []struct{ HandshakeId, To, Subject, Body string }
	}
	s.Admin(http.MethodGet, "/_orgd/outbox", nil, &outbox)
	if len(outbox.Messages) != 1 {
		t.Fatalf("outbox has %d messages, want 1", len(outbox.Messages))
	}
	m := outbox.Messages[0]
	if m.HandshakeId != aws.ToString(h.Id) || m.To != dlOther+"@example.com" || !strings.Contains(m.Subject, "transfer billing") ||
		!strings.Contains(m.Body, "please") || !strings.Contains(m.Body, dlMgmt) {
		t.Errorf("message %+v", m)
	}
}

// The organizations along a chain may take over at most MaxTransfersInChain transfers in
// all (AWS: 1,000), whatever each one's inbound quota allows: counted at the inviter, and at
// the organizations that pay for the inviter's bill. A refused invitation writes nothing.
func TestTransfersInAChainQuota(t *testing.T) {
	start := func(t *testing.T, inChain int) *apitest.Server {
		s := apitest.Start(t, apitest.WithQuotas(func(q *org.Quotas) {
			q.MaxInboundTransfers, q.MaxTransferChainLength, q.MaxTransfersInChain = 5, 2, inChain
		}))
		for _, m := range []string{dlMgmt, dlOther, trThird} {
			s.CreateOrganization(m)
		}
		return s
	}
	inbound := func(t *testing.T, s *apitest.Server, caller string) int {
		t.Helper()
		out, err := s.Client(caller).ListInboundResponsibilityTransfers(dlCtx, &organizations.ListInboundResponsibilityTransfersInput{Type: types.ResponsibilityTransferTypeBilling})
		if err != nil {
			t.Fatal(err)
		}
		return len(out.ResponsibilityTransfers)
	}
	t.Run("at the inviter", func(t *testing.T) {
		s := start(t, 1)
		trMustInvite(t, s, dlOther)
		_, err := trInvite(s, dlMgmt, trAccount(trThird), trStart())
		apitest.RequireCode(t, err, "ConstraintViolationException", "RESPONSIBILITY_TRANSFER_MAX_TRANSFERS_QUOTA_VIOLATION")
		if n := inbound(t, s, dlMgmt); n != 1 {
			t.Errorf("%d inbound transfers after the refusal, want 1", n)
		}
	})
	t.Run("above the inviter", func(t *testing.T) {
		for _, inChain := range []int{1, 2} {
			s := start(t, inChain)
			h, _ := trMustInvite(t, s, dlOther)
			if err := trAccept(s, dlOther, h); err != nil {
				t.Fatalf("accept: %v", err)
			}
			// dlMgmt pays dlOther's bill; dlOther inviting trThird makes the chain
			// trThird → dlOther → dlMgmt, which holds two transfers.
			_, err := trInvite(s, dlOther, trAccount(trThird), trStart())
			if inChain == 2 {
				if err != nil {
					t.Fatalf("with a quota of 2: %v", err)
				}
				continue
			}
			apitest.RequireCode(t, err, "ConstraintViolationException", "RESPONSIBILITY_TRANSFER_MAX_TRANSFERS_QUOTA_VIOLATION")
			if n := inbound(t, s, dlOther); n != 0 {
				t.Errorf("%d inbound transfers of %s after the refusal, want 0", n, dlOther)
			}
		}
	})
}
