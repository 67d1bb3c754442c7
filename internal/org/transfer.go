package org

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/orgd/orgd/internal/model"
)

// Responsibility transfers (spec §8.5). A management account invites another organization's
// management account to let it take over a responsibility (billing); the invitation is a
// TRANSFER_RESPONSIBILITY handshake, and the transfer's status follows it: REQUESTED while it
// is open, then ACCEPTED, DECLINED, CANCELED or EXPIRED; TerminateResponsibilityTransfer ends
// an accepted transfer (WITHDRAWN). The inviter is the transfer's Target and sees it as
// inbound; the invited organization is its Source and sees it as outbound.
//
// Who may call what is undocumented; orgd lets the management account of either side read,
// rename and terminate a transfer and shows it to nobody else [INF].

func newTransferID() string { return "rt-" + randomString(lowerAlnum, 8) }

// transferARN names the transfer from the side of organization o (spec §3.2 [INF]).
func transferARN(o *Organization, tr *Transfer) string {
	direction := "outbound"
	if tr.TargetOrgID == o.ID {
		direction = "inbound"
	}
	return "arn:" + o.Partition + ":organizations::" + o.ManagementAccountID + ":transfer/" + o.ID + "/" +
		strings.ToLower(tr.Type) + "/" + direction + "/" + tr.ID
}

// transferStatus is the status now: a REQUESTED transfer whose invitation expired is EXPIRED.
func transferStatus(tr *Transfer, now time.Time) string {
	if tr.Status == model.ResponsibilityTransferStatusRequested && !now.Before(tr.ExpiresAt) {
		return model.ResponsibilityTransferStatusExpired
	}
	return tr.Status
}

func transferOutput(o *Organization, tr *Transfer, now time.Time) *model.ResponsibilityTransfer {
	out := &model.ResponsibilityTransfer{
		Arn:               model.Ptr(transferARN(o, tr)),
		Name:              model.Ptr(tr.Name),
		Id:                model.Ptr(tr.ID),
		Type:              model.Ptr(tr.Type),
		Status:            model.Ptr(transferStatus(tr, now)),
		Source:            &model.TransferParticipant{ManagementAccountId: model.Ptr(tr.SourceAccountID), ManagementAccountEmail: model.Ptr(tr.SourceEmail)},
		Target:            &model.TransferParticipant{ManagementAccountId: model.Ptr(tr.TargetAccountID), ManagementAccountEmail: model.Ptr(tr.TargetEmail)},
		StartTimestamp:    model.Ptr(tr.StartAt),
		ActiveHandshakeId: model.Ptr(tr.HandshakeID),
	}
	if !tr.EndAt.IsZero() {
		out.EndTimestamp = model.Ptr(tr.EndAt)
	}
	return out
}

func transferNotFound(id string) error {
	return model.Fail(model.CodeResponsibilityTransferNotFoundException, "", "We can't find a transfer that you specified: %s.", id)
}

// callerTransfer returns a transfer the caller, a management account, is a side of;
// anything else is ResponsibilityTransferNotFound.
func (t *txn) callerTransfer(id string) (*Organization, *Transfer, error) {
	me, o, err := t.management()
	if err != nil {
		return nil, nil, err
	}
	tr, err := t.Transfer(t.ctx, id)
	if isNotFound(err) {
		return nil, nil, transferNotFound(id)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("org: read transfer %s: %w", id, err)
	}
	if tr.TargetOrgID != o.ID && tr.SourceAccountID != me.ID {
		return nil, nil, transferNotFound(id)
	}
	return o, tr, nil
}

// firstOfMonth returns 00:00 UTC on the first day of the month m months after t's.
func firstOfMonth(t time.Time, m int) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month()+time.Month(m), 1, 0, 0, 0, 0, time.UTC)
}

// checkTransferStart applies the rules for StartTimestamp: midnight UTC on the first day of
// next month or of the month after. The invitation must be accepted a day before the start
// (spec §5.4), so a start less than a day away is INVALID_START_DATE [INF].
func checkTransferStart(start, now time.Time) error {
	s := start.UTC()
	switch next := firstOfMonth(now, 1); {
	case s.Hour() != 0 || s.Minute() != 0 || s.Second() != 0 || s.Nanosecond() != 0:
		return invalidInput(model.InvalidInputExceptionReasonStartDateNotBeginningOfDay,
			"The start date %s must be the beginning of a day (00:00:00.000 UTC).", s.Format(time.RFC3339Nano))
	case s.Day() != 1:
		return invalidInput(model.InvalidInputExceptionReasonStartDateNotBeginningOfMonth,
			"The start date %s must be the first day of a month.", s.Format(time.RFC3339))
	case s.Before(next):
		return invalidInput(model.InvalidInputExceptionReasonStartDateTooEarly,
			"The start date %s is too early: the earliest is %s.", s.Format(time.RFC3339), next.Format(time.RFC3339))
	case s.After(firstOfMonth(now, 2)):
		return invalidInput(model.InvalidInputExceptionReasonStartDateTooLate,
			"The start date %s is too late: the latest is %s.", s.Format(time.RFC3339), firstOfMonth(now, 2).Format(time.RFC3339))
	case !now.Before(s.Add(-transferAcceptanceLead)):
		return invalidInput(model.InvalidInputExceptionReasonInvalidStartDate,
			"The start date %s leaves no time to accept the invitation.", s.Format(time.RFC3339))
	}
	return nil
}

// transferAcceptanceLead is how long before the start an invitation expires (spec §5.4).
const transferAcceptanceLead = 24 * time.Hour

// checkTransferEnd applies the rules for EndTimestamp: the last second of the last day of the
// current month or of the next one (the model says 23:59:59.999; any time in that second is
// taken [INF]). Later ends answer INVALID_END_DATE [INF].
func checkTransferEnd(end, now time.Time) error {
	e := end.UTC()
	monthEnd := firstOfMonth(e, 1).Add(-time.Second)
	switch {
	case e.Before(monthEnd):
		return invalidInput(model.InvalidInputExceptionReasonEndDateNotEndOfMonth,
			"The end date %s must be the end of the last day of a month (23:59:59.999 UTC).", e.Format(time.RFC3339Nano))
	case e.Before(firstOfMonth(now, 1).Add(-time.Second)):
		return invalidInput(model.InvalidInputExceptionReasonEndDateTooEarly,
			"The end date %s is too early: the earliest is the end of this month.", e.Format(time.RFC3339Nano))
	case !e.Before(firstOfMonth(now, 2)):
		return invalidInput(model.InvalidInputExceptionReasonInvalidEndDate,
			"The end date %s is too late: the latest is the end of next month.", e.Format(time.RFC3339Nano))
	}
	return nil
}

// Chains. An organization whose responsibility another took over (an accepted outbound
// transfer) has a payer; following payers gives the chain above it, following accepted
// inbound transfers the chains below it.

// payer returns the organization that took over o's responsibility, or "".
func (t *txn) payer(orgID string) (string, error) {
	trs, err := t.ListTransfers(t.ctx, TransferQuery{SourceOrgID: orgID, Statuses: []string{model.ResponsibilityTransferStatusAccepted}, Limit: 1})
	if err != nil {
		return "", fmt.Errorf("org: outbound transfers of %s: %w", orgID, err)
	}
	if len(trs) == 0 {
		return "", nil
	}
	return trs[0].TargetOrgID, nil
}

// above returns the organizations above orgID, nearest first (at most limit of them).
func (t *txn) above(orgID string, limit int) ([]string, error) {
	var out []string
	for len(out) < limit {
		p, err := t.payer(orgID)
		if err != nil || p == "" {
			return out, err
		}
		out, orgID = append(out, p), p
	}
	return out, nil
}

// depthBelow returns the length of the longest chain of accepted transfers below orgID,
// counting no further than limit.
func (t *txn) depthBelow(orgID string, limit int) (int, error) {
	if limit <= 0 || orgID == "" {
		return 0, nil
	}
	depth := 0
	q := TransferQuery{TargetOrgID: orgID, Statuses: []string{model.ResponsibilityTransferStatusAccepted}, Limit: 100}
	for {
		trs, err := t.ListTransfers(t.ctx, q)
		if err != nil {
			return 0, fmt.Errorf("org: inbound transfers of %s: %w", orgID, err)
		}
		for _, tr := range trs {
			d, err := t.depthBelow(tr.SourceOrgID, limit-1)
			if err != nil {
				return 0, err
			}
			if depth = max(depth, d+1); depth >= limit {
				return depth, nil
			}
		}
		if len(trs) < q.Limit {
			return depth, nil
		}
		q.AfterSeq = trs[len(trs)-1].Seq
	}
}

// activeInbound counts the open invitations an organization sent and its accepted inbound
// transfers.
func (t *txn) activeInbound(orgID string) (int, error) {
	open, err := t.CountTransfers(t.ctx, TransferQuery{TargetOrgID: orgID,
		Statuses: []string{model.ResponsibilityTransferStatusRequested}, ExpiresAfter: t.now})
	if err != nil {
		return 0, fmt.Errorf("org: count inbound transfers of %s: %w", orgID, err)
	}
	accepted, err := t.CountTransfers(t.ctx, TransferQuery{TargetOrgID: orgID,
		Statuses: []string{model.ResponsibilityTransferStatusAccepted}})
	if err != nil {
		return 0, fmt.Errorf("org: count inbound transfers of %s: %w", orgID, err)
	}
	return open + accepted, nil
}

// checkChain applies the chain quotas to a new transfer from source (its organization, ""
// when it has none) to target: the chain through it may not grow beyond
// MaxTransferChainLength transfers, and the organizations along it above the source may not
// take over more than MaxTransfersInChain transfers in all, counting adding more for this
// one (1 for an invitation, 0 on acceptance, when the invitation already counts) [INF: AWS
// publishes the quotas, not how it counts].
func (t *txn) checkChain(targetOrgID, sourceOrgID string, adding int) error {
	q := t.svc.cfg.Quotas
	up, err := t.above(targetOrgID, q.MaxTransferChainLength+1)
	if err != nil {
		return err
	}
	down, err := t.depthBelow(sourceOrgID, q.MaxTransferChainLength+1)
	if err != nil {
		return err
	}
	if len(up)+1+down > q.MaxTransferChainLength {
		return constraintViolation(model.ConstraintViolationExceptionReasonResponsibilityTransferMaxLevelViolation,
			"The transfer would make a chain of %d transfers; the quota is %d.", len(up)+1+down, q.MaxTransferChainLength)
	}
	total := 0
	for _, id := range append([]string{targetOrgID}, up...) {
		n, err := t.activeInbound(id)
		if err != nil {
			return err
		}
		total += n
	}
	if total+adding > q.MaxTransfersInChain {
		return constraintViolation(model.ConstraintViolationExceptionReasonResponsibilityTransferMaxTransfersQuotaViolation,
			"The transfer chain already holds %d transfers; the quota is %d.", total, q.MaxTransfersInChain)
	}
	return nil
}

// activeTransferProcess reports whether organization o has an open transfer invitation, sent
// or received, or an accepted transfer on either side; DeleteOrganization refuses to delete
// it (ConstraintViolationException ACTIVE_RESPONSIBILITY_TRANSFER_PROCESS).
func (t *txn) activeTransferProcess(o *Organization) (bool, error) {
	requested := []string{model.ResponsibilityTransferStatusRequested}
	accepted := []string{model.ResponsibilityTransferStatusAccepted}
	for _, q := range []TransferQuery{
		{TargetOrgID: o.ID, Statuses: requested, ExpiresAfter: t.now},
		{TargetOrgID: o.ID, Statuses: accepted},
		{SourceOrgID: o.ID, Statuses: accepted},
		{SourceAccountID: o.ManagementAccountID, Statuses: requested, ExpiresAfter: t.now},
	} {
		n, err := t.CountTransfers(t.ctx, q)
		if err != nil {
			return false, fmt.Errorf("org: count transfers of %s: %w", o.ID, err)
		}
		if n > 0 {
			return true, nil
		}
	}
	return false, nil
}

// samePartitionOrg returns orgID when it names an organization of o's partition, else "": an
// account in an organization of another partition is, in o's, an account in none.
func (t *txn) samePartitionOrg(o *Organization, orgID string) (string, error) {
	if orgID == "" {
		return "", nil
	}
	other, err := t.Organization(t.ctx, orgID)
	if err != nil {
		return "", fmt.Errorf("org: read organization %s: %w", orgID, err)
	}
	if other.Partition != o.Partition {
		return "", nil
	}
	return orgID, nil
}

// InviteOrganizationToTransferResponsibility invites another organization's management
// account, by account id or e-mail, to let the caller's organization take over a
// responsibility from StartTimestamp.
func (s *Service) InviteOrganizationToTransferResponsibility(ctx context.Context, in *model.InviteOrganizationToTransferResponsibilityRequest) (*model.InviteOrganizationToTransferResponsibilityResponse, error) {
	ctx = guard(ctx, "InviteOrganizationToTransferResponsibility", in)
	return updateOut(s, ctx, model.InviteOrganizationToTransferResponsibilityResponse{}, func(t *txn, out *model.InviteOrganizationToTransferResponsibilityResponse) error {
		mgmt, o, err := t.management()
		if err != nil {
			return err
		}
		if *in.Type != model.ResponsibilityTransferTypeBilling {
			return invalidInput(model.InvalidInputExceptionReasonUnsupportedActionInResponsibilityTransfer,
				"Only BILLING responsibility can be transferred, not %s.", *in.Type)
		}
		targetType, targetID := *in.Target.Type, *in.Target.Id
		var target *Account
		switch targetType {
		case model.HandshakePartyTypeAccount:
			if !model.IsAccountID(targetID) {
				return invalidInput(model.InvalidInputExceptionReasonInvalidPattern, "You provided a value that does not match the required pattern for Target.Id: an account ID has 12 digits.")
			}
			if target, err = t.account(targetID); err != nil {
				return err
			}
		case model.HandshakePartyTypeEmail:
			a, ok, err := t.accountByEmail(targetID)
			if err != nil {
				return err
			}
			// The invitation goes to the management account of an existing organization, so
			// an address that no account has cannot be invited [INF].
			if l := len(targetID); !ok || l < 6 || l > 64 || !emailPattern.MatchString(targetID) {
				return invalidInput(model.InvalidInputExceptionReasonInvalidEmailAddressTarget,
					"You specified an invalid email address for the invited management account: %s.", targetID)
			}
			target = a
		default:
			return invalidInput(model.InvalidInputExceptionReasonInvalidPartyTypeTarget,
				"You can invite an ACCOUNT or an EMAIL, not an %s.", targetType)
		}
		if err := checkNewTags(in.Tags); err != nil {
			return err
		}
		if err := checkTransferStart(*in.StartTimestamp, t.now); err != nil {
			return err
		}
		// Inviting your own organization is the conflict the model names for accepting one's
		// own invitation [INF].
		if target.ID == mgmt.ID || target.OrgID == o.ID {
			return handshakeConstraint(model.HandshakeConstraintViolationExceptionReasonSourceAndTargetCannotMatch,
				"The account %s belongs to your own organization; a transfer needs another organization.", target.ID)
		}
		dup, err := t.countHandshakes(t.openQuery(HandshakeQuery{OrgID: o.ID, Action: model.ActionTypeTransferResponsibility, RecipientAccountID: target.ID}))
		if err != nil {
			return err
		}
		if dup > 0 {
			return model.Fail(model.CodeDuplicateHandshakeException, "", "An open transfer invitation to %s from this organization already exists.", targetID)
		}
		existing, err := t.CountTransfers(t.ctx, TransferQuery{TargetOrgID: o.ID, SourceAccountID: target.ID,
			Statuses: []string{model.ResponsibilityTransferStatusAccepted}})
		if err != nil {
			return fmt.Errorf("org: count transfers from %s: %w", target.ID, err)
		}
		if existing > 0 {
			return handshakeConstraint(model.HandshakeConstraintViolationExceptionReasonResponsibilityTransferAlreadyExists,
				"Your organization already manages the billing of %s's organization.", target.ID)
		}
		inbound, err := t.activeInbound(o.ID)
		if err != nil {
			return err
		}
		if inbound+1 > s.cfg.Quotas.MaxInboundTransfers {
			return constraintViolation(model.ConstraintViolationExceptionReasonResponsibilityTransferMaxInboundQuotaViolation,
				"the organization has %d inbound transfers and invitations; its quota is %d (--max-inbound-transfers)", inbound, s.cfg.Quotas.MaxInboundTransfers)
		}
		source, err := t.samePartitionOrg(o, target.OrgID)
		if err != nil {
			return err
		}
		if err := t.checkChain(o.ID, source, 1); err != nil {
			return err
		}

		start := in.StartTimestamp.UTC()
		h := t.newHandshake(o, model.ActionTypeTransferResponsibility, start.Add(-transferAcceptanceLead).Sub(t.now))
		tr := &Transfer{
			ID: newTransferID(), Type: *in.Type, Name: *in.SourceName, Status: model.ResponsibilityTransferStatusRequested,
			HandshakeID: h.ID, TargetOrgID: o.ID, TargetAccountID: mgmt.ID, TargetEmail: mgmt.Email,
			SourceAccountID: target.ID, SourceEmail: target.Email,
			StartAt: start, ExpiresAt: h.ExpiresAt, CreatedAt: t.now,
		}
		h.RecipientAccountID = target.ID
		if targetType == model.HandshakePartyTypeEmail {
			h.RecipientEmail = strings.ToLower(targetID)
		}
		// No sample of this handshake exists; the layout follows the invitation's (spec §5.5
		// [INF]): the sender organization with its management account, then the transfer.
		h.Parties = []Party{{ID: o.ID, Type: model.HandshakePartyTypeOrganization}, {ID: targetID, Type: targetType}}
		h.Resources = []Resource{
			{Type: model.HandshakeResourceTypeOrganization, Value: o.ID, Resources: []Resource{
				{Type: model.HandshakeResourceTypeManagementAccount, Value: mgmt.ID},
				{Type: model.HandshakeResourceTypeManagementEmail, Value: mgmt.Email},
				{Type: model.HandshakeResourceTypeManagementName, Value: mgmt.Name},
			}},
			{Type: model.HandshakeResourceTypeResponsibilityTransfer, Value: tr.ID},
			{Type: model.HandshakeResourceTypeTransferType, Value: tr.Type},
			{Type: model.HandshakeResourceTypeTransferStartTimestamp, Value: start.Format(time.RFC3339)},
			{Type: targetType, Value: targetID},
		}
		if in.Notes != nil {
			h.Resources = append(h.Resources, Resource{Type: model.HandshakeResourceTypeNotes, Value: *in.Notes})
		}
		// The tags go to the transfer when the invitation is accepted, as an invitation's go
		// to the account.
		h.Tags = tagsFromModel(in.Tags)
		if err := t.PutHandshake(t.ctx, h); err != nil {
			return fmt.Errorf("org: create transfer invitation: %w", err)
		}
		if err := t.PutTransfer(t.ctx, tr); err != nil {
			return fmt.Errorf("org: create transfer %s: %w", tr.ID, err)
		}
		if err := t.AddOutbox(t.ctx, t.svc.transferMail(o, mgmt, h, tr, target.Email, in.Notes)); err != nil {
			return fmt.Errorf("org: queue transfer invitation e-mail: %w", err)
		}
		out.Handshake = handshakeOutput(h, t.now)
		return nil
	})
}

// acceptTransfer is AcceptHandshake of a TRANSFER_RESPONSIBILITY handshake, called after the
// transition was checked: the caller, the invited management account, hands its
// organization's responsibility to the inviter. It closes the handshake ACCEPTED.
func (t *txn) acceptTransfer(h *Handshake) error {
	tr, err := t.TransferByHandshake(t.ctx, h.ID)
	if err != nil {
		return fmt.Errorf("org: transfer of handshake %s: %w", h.ID, err)
	}
	me, o, err := t.membership()
	if err != nil {
		return err
	}
	// Only a management account speaks for its organization [INF].
	if o.ManagementAccountID != me.ID {
		return accessDenied()
	}
	if o.ID == tr.TargetOrgID {
		return handshakeConstraint(model.HandshakeConstraintViolationExceptionReasonSourceAndTargetCannotMatch,
			"Your organization sent this transfer invitation; another organization must accept it.")
	}
	if _, err := t.Organization(t.ctx, tr.TargetOrgID); isNotFound(err) {
		return notInUse()
	} else if err != nil {
		return fmt.Errorf("org: read organization %s: %w", tr.TargetOrgID, err)
	}
	outbound, err := t.CountTransfers(t.ctx, TransferQuery{SourceOrgID: o.ID, Statuses: []string{model.ResponsibilityTransferStatusAccepted}})
	if err != nil {
		return fmt.Errorf("org: count outbound transfers of %s: %w", o.ID, err)
	}
	if outbound+1 > t.svc.cfg.Quotas.MaxOutboundTransfers {
		return constraintViolation(model.ConstraintViolationExceptionReasonResponsibilityTransferMaxOutboundQuotaViolation,
			"The organization %s already has %d outbound transfers; its quota is %d.", o.ID, outbound, t.svc.cfg.Quotas.MaxOutboundTransfers)
	}
	// The invitation already counts against the inviter's chain quota; the chain is
	// checked again because the accepting organization may have changed since [INF].
	if err := t.checkChain(tr.TargetOrgID, o.ID, 0); err != nil {
		return err
	}
	tr.Status, tr.SourceOrgID = model.ResponsibilityTransferStatusAccepted, o.ID
	tr.SourceAccountID, tr.SourceEmail = me.ID, me.Email
	if err := t.PutTransfer(t.ctx, tr); err != nil {
		return fmt.Errorf("org: accept transfer %s: %w", tr.ID, err)
	}
	if len(h.Tags) > 0 {
		if err := t.PutTags(t.ctx, tr.ID, h.Tags); err != nil {
			return fmt.Errorf("org: tag transfer %s: %w", tr.ID, err)
		}
	}
	return t.closeHandshake(h, model.HandshakeStateAccepted)
}

// closeTransfer records that a TRANSFER_RESPONSIBILITY handshake was closed in state
// (DECLINED, CANCELED or EXPIRED): the transfer it offered takes the same status. It does
// nothing for a handshake of another action, or for a transfer no longer REQUESTED.
func (t *txn) closeTransfer(h *Handshake, state string) error {
	if h.Action != model.ActionTypeTransferResponsibility {
		return nil
	}
	tr, err := t.TransferByHandshake(t.ctx, h.ID)
	if isNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("org: transfer of handshake %s: %w", h.ID, err)
	}
	if tr.Status != model.ResponsibilityTransferStatusRequested {
		return nil
	}
	switch state {
	case model.HandshakeStateDeclined:
		tr.Status = model.ResponsibilityTransferStatusDeclined
	case model.HandshakeStateCanceled:
		tr.Status = model.ResponsibilityTransferStatusCanceled
	case model.HandshakeStateExpired:
		tr.Status = model.ResponsibilityTransferStatusExpired
	default:
		return fmt.Errorf("org: close transfer %s: unexpected handshake state %s", tr.ID, state)
	}
	if err := t.PutTransfer(t.ctx, tr); err != nil {
		return fmt.Errorf("org: close transfer %s: %w", tr.ID, err)
	}
	return nil
}

// DescribeResponsibilityTransfer returns a transfer to either side.
func (s *Service) DescribeResponsibilityTransfer(ctx context.Context, in *model.DescribeResponsibilityTransferRequest) (*model.DescribeResponsibilityTransferResponse, error) {
	ctx = guard(ctx, "DescribeResponsibilityTransfer", in)
	return viewOut(s, ctx, model.DescribeResponsibilityTransferResponse{}, func(t *txn, out *model.DescribeResponsibilityTransferResponse) error {
		o, tr, err := t.callerTransfer(*in.Id)
		if err != nil {
			return err
		}
		out.ResponsibilityTransfer = transferOutput(o, tr, t.now)
		return nil
	})
}

// UpdateResponsibilityTransfer renames a transfer; the name is shared by both sides [INF].
func (s *Service) UpdateResponsibilityTransfer(ctx context.Context, in *model.UpdateResponsibilityTransferRequest) (*model.UpdateResponsibilityTransferResponse, error) {
	ctx = guard(ctx, "UpdateResponsibilityTransfer", in)
	return updateOut(s, ctx, model.UpdateResponsibilityTransferResponse{}, func(t *txn, out *model.UpdateResponsibilityTransferResponse) error {
		o, tr, err := t.callerTransfer(*in.Id)
		if err != nil {
			return err
		}
		if tr.Name != *in.Name {
			tr.Name = *in.Name
			if err := t.PutTransfer(t.ctx, tr); err != nil {
				return fmt.Errorf("org: rename transfer %s: %w", tr.ID, err)
			}
		}
		out.ResponsibilityTransfer = transferOutput(o, tr, t.now)
		return nil
	})
}

// TerminateResponsibilityTransfer ends an accepted transfer at EndTimestamp, by default the
// end of the current month [INF]; either side may end it. An invitation still open is
// withdrawn with CancelHandshake, not here [INF].
func (s *Service) TerminateResponsibilityTransfer(ctx context.Context, in *model.TerminateResponsibilityTransferRequest) (*model.TerminateResponsibilityTransferResponse, error) {
	ctx = guard(ctx, "TerminateResponsibilityTransfer", in)
	return updateOut(s, ctx, model.TerminateResponsibilityTransferResponse{}, func(t *txn, out *model.TerminateResponsibilityTransferResponse) error {
		o, tr, err := t.callerTransfer(*in.Id)
		if err != nil {
			return err
		}
		switch st := transferStatus(tr, t.now); st {
		case model.ResponsibilityTransferStatusWithdrawn:
			return model.Fail(model.CodeResponsibilityTransferAlreadyInStatusException, "",
				"The transfer %s is already %s.", tr.ID, st)
		case model.ResponsibilityTransferStatusAccepted:
		default:
			return model.Fail(model.CodeInvalidResponsibilityTransferTransitionException, "",
				"You can't end the transfer %s in its current status %s.", tr.ID, st)
		}
		end := firstOfMonth(t.now, 1).Add(-time.Millisecond)
		if in.EndTimestamp != nil {
			end = in.EndTimestamp.UTC()
			if err := checkTransferEnd(end, t.now); err != nil {
				return err
			}
		}
		tr.Status, tr.EndAt = model.ResponsibilityTransferStatusWithdrawn, end
		if err := t.PutTransfer(t.ctx, tr); err != nil {
			return fmt.Errorf("org: end transfer %s: %w", tr.ID, err)
		}
		out.ResponsibilityTransfer = transferOutput(o, tr, t.now)
		return nil
	})
}

// ListInboundResponsibilityTransfers lists the transfers the caller's organization took over
// or offered to take over, oldest first; with Id, only that one.
func (s *Service) ListInboundResponsibilityTransfers(ctx context.Context, in *model.ListInboundResponsibilityTransfersRequest) (*model.ListInboundResponsibilityTransfersResponse, error) {
	ctx = guard(ctx, "ListInboundResponsibilityTransfers", in)
	return viewOut(s, ctx, model.ListInboundResponsibilityTransfersResponse{ResponsibilityTransfers: []model.ResponsibilityTransfer{}}, func(t *txn, out *model.ListInboundResponsibilityTransfersResponse) error {
		_, o, err := t.management()
		if err != nil {
			return err
		}
		if in.Id != nil {
			if _, err := t.pageStart(in.NextToken); err != nil {
				return err
			}
			tr, err := t.Transfer(t.ctx, *in.Id)
			if isNotFound(err) || (err == nil && (tr.TargetOrgID != o.ID || tr.Type != *in.Type)) {
				return transferNotFound(*in.Id)
			}
			if err != nil {
				return fmt.Errorf("org: read transfer %s: %w", *in.Id, err)
			}
			out.ResponsibilityTransfers = append(out.ResponsibilityTransfers, *transferOutput(o, tr, t.now))
			return nil
		}
		out.ResponsibilityTransfers, out.NextToken, err = t.transferPage("ListInboundResponsibilityTransfers", o,
			TransferQuery{TargetOrgID: o.ID}, *in.Type, in.NextToken, in.MaxResults)
		return err
	})
}

// ListOutboundResponsibilityTransfers lists the transfers of the caller's organization's own
// responsibility, invitations included, oldest first.
func (s *Service) ListOutboundResponsibilityTransfers(ctx context.Context, in *model.ListOutboundResponsibilityTransfersRequest) (*model.ListOutboundResponsibilityTransfersResponse, error) {
	ctx = guard(ctx, "ListOutboundResponsibilityTransfers", in)
	return viewOut(s, ctx, model.ListOutboundResponsibilityTransfersResponse{ResponsibilityTransfers: []model.ResponsibilityTransfer{}}, func(t *txn, out *model.ListOutboundResponsibilityTransfersResponse) error {
		me, o, err := t.management()
		if err != nil {
			return err
		}
		out.ResponsibilityTransfers, out.NextToken, err = t.transferPage("ListOutboundResponsibilityTransfers", o,
			TransferQuery{SourceAccountID: me.ID}, *in.Type, in.NextToken, in.MaxResults)
		return err
	})
}

// transferPage reads one page of the transfers matching q of one type. Every transfer is
// BILLING today, so the type filters in memory without costing a page more than one row.
func (t *txn) transferPage(op string, o *Organization, q TransferQuery, typ string, token *string, maxResults *int32) ([]model.ResponsibilityTransfer, *string, error) {
	scope := strings.Join([]string{op, t.caller.AccountID, q.TargetOrgID, q.SourceAccountID, typ}, "|")
	trs, next, err := seqPageOf(t.svc, scope, token, maxResults, func(afterSeq int64, limit int) ([]Transfer, error) {
		q.AfterSeq, q.Limit = afterSeq, limit
		trs, err := t.ListTransfers(t.ctx, q)
		if err != nil {
			return nil, fmt.Errorf("org: list transfers: %w", err)
		}
		return trs, nil
	}, func(tr Transfer) int64 { return tr.Seq })
	if err != nil {
		return nil, nil, err
	}
	out := make([]model.ResponsibilityTransfer, 0, len(trs))
	for i := range trs {
		if trs[i].Type == typ {
			out = append(out, *transferOutput(o, &trs[i], t.now))
		}
	}
	return out, next, nil
}
