package org

import (
	"cmp"
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/orgd/orgd/internal/model"
)

// Handshakes (spec §5). An INVITE asks an account to join; EnableAllFeatures sends an
// ENABLE_ALL_FEATURES request to the management account and one APPROVE_ALL_FEATURES
// request to every invited member: once every member approved, the request opens and the
// management account accepts it to finish (the User Guide's flow; the API Reference swaps the
// two names, see spec §5.2).
//
// Expiry is read before it is written: an OPEN or REQUESTED handshake past ExpiresAt is
// EXPIRED to every reader, so the admin clock expires handshakes without a background job.
// It is stored later, by the first write transaction that needs it (the account quota counts
// open invitations) or a sweep (expireHandshakes), together with the e-mail that says so.

var openStates = []string{model.HandshakeStateOpen, model.HandshakeStateRequested}

func isOpenState(state string) bool {
	return state == model.HandshakeStateOpen || state == model.HandshakeStateRequested
}

func effectiveState(h *Handshake, now time.Time) string {
	if isOpenState(h.State) && !now.Before(h.ExpiresAt) {
		return model.HandshakeStateExpired
	}
	return h.State
}

// openQuery restricts q to handshakes still open now.
func (t *txn) openQuery(q HandshakeQuery) HandshakeQuery {
	q.States, q.ExpiresAfter = openStates, t.now
	return q
}

// newHandshake starts a handshake sent by organization o.
func (t *txn) newHandshake(o *Organization, action string, lifetime time.Duration) *Handshake {
	h := &Handshake{
		ID:                  newHandshakeID(),
		OrgID:               o.ID,
		ManagementAccountID: o.ManagementAccountID,
		Partition:           o.Partition,
		Action:              action,
		State:               model.HandshakeStateOpen,
		RequestedAt:         t.now,
		ExpiresAt:           t.now.Add(lifetime),
	}
	h.VisibleUntil = h.ExpiresAt.Add(t.svc.cfg.Quotas.ClosedHandshakeVisibility)
	return h
}

// closeHandshake moves h to a terminal state; it stays readable for 30 days from now.
func (t *txn) closeHandshake(h *Handshake, state string) error {
	h.State, h.ClosedAt = state, t.now
	h.VisibleUntil = t.now.Add(t.svc.cfg.Quotas.ClosedHandshakeVisibility)
	if err := t.PutHandshake(t.ctx, h); err != nil {
		return fmt.Errorf("org: close handshake %s: %w", h.ID, err)
	}
	return nil
}

// eachHandshake calls fn for every handshake matching q, a page at a time.
func (t *txn) eachHandshake(q HandshakeQuery, fn func(h *Handshake) error) error {
	q.Limit = 100
	for {
		hs, err := t.ListHandshakes(t.ctx, q)
		if err != nil {
			return fmt.Errorf("org: list handshakes: %w", err)
		}
		for i := range hs {
			if err := fn(&hs[i]); err != nil {
				return err
			}
		}
		if len(hs) < q.Limit {
			return nil
		}
		q.AfterSeq = hs[len(hs)-1].Seq
	}
}

// cancelOpenHandshakes cancels every open handshake matching q. The organization withdraws an
// invitation this way when it enables all features or is deleted: the invited address is told
// as when the management account cancels it.
func (t *txn) cancelOpenHandshakes(q HandshakeQuery) error {
	return t.eachHandshake(t.openQuery(q), func(h *Handshake) error {
		if err := t.closeHandshake(h, model.HandshakeStateCanceled); err != nil || h.Action != model.ActionTypeInvite {
			return err
		}
		return t.queueCanceledMail(h)
	})
}

// queueCanceledMail tells the address invitation h went to that it was canceled.
func (t *txn) queueCanceledMail(h *Handshake) error {
	mgmt, err := t.account(h.ManagementAccountID)
	if err != nil {
		return err
	}
	to, err := t.invitedAddress(h)
	if err != nil {
		return err
	}
	return t.queueMail(t.svc.invitationCanceledMail(mgmt, h, to, t.now))
}

func (t *txn) countHandshakes(q HandshakeQuery) (int, error) {
	n, err := t.CountHandshakes(t.ctx, q)
	if err != nil {
		return 0, fmt.Errorf("org: count handshakes: %w", err)
	}
	return n, nil
}

func handshakeOutput(h *Handshake, now time.Time) *model.Handshake {
	out := &model.Handshake{
		Id:                  model.Ptr(h.ID),
		Arn:                 model.Ptr(handshakeARN(h)),
		State:               model.Ptr(effectiveState(h, now)),
		RequestedTimestamp:  model.Ptr(h.RequestedAt),
		ExpirationTimestamp: model.Ptr(h.ExpiresAt),
		Action:              model.Ptr(h.Action),
		Parties:             make([]model.HandshakeParty, len(h.Parties)),
		Resources:           resourcesOutput(h.Resources),
	}
	for i, p := range h.Parties {
		out.Parties[i] = model.HandshakeParty{Id: model.Ptr(p.ID), Type: model.Ptr(p.Type)}
	}
	return out
}

func resourcesOutput(rs []Resource) []model.HandshakeResource {
	if len(rs) == 0 {
		return nil
	}
	out := make([]model.HandshakeResource, len(rs))
	for i, r := range rs {
		out[i] = model.HandshakeResource{Type: model.Ptr(r.Type), Value: model.Ptr(r.Value), Resources: resourcesOutput(r.Resources)}
	}
	return out
}

// callerHandshake finds a handshake the caller may see: one it received (by account id or
// e-mail) or one its organization sent, in the caller's partition. Anything else is
// HandshakeNotFound, so that callers learn nothing about handshakes that are not theirs.
func (t *txn) callerHandshake(id string) (h *Handshake, sender, recipient bool, err error) {
	me, _, err := t.callerAccount()
	if err != nil {
		return nil, false, false, err
	}
	h, err = t.Handshake(t.ctx, id)
	if isNotFound(err) || (err == nil && (!t.now.Before(h.VisibleUntil) || h.Partition != t.caller.partition())) {
		return nil, false, false, handshakeNotFound(id)
	}
	if err != nil {
		return nil, false, false, fmt.Errorf("org: read handshake %s: %w", id, err)
	}
	recipient = h.RecipientAccountID == me.ID || (h.RecipientEmail != "" && strings.EqualFold(h.RecipientEmail, me.Email))
	// Management accounts never change, so the sender is the account that was management
	// account when the handshake was sent.
	sender = h.ManagementAccountID == me.ID
	if !sender && !recipient {
		return nil, false, false, handshakeNotFound(id)
	}
	return h, sender, recipient, nil
}

// checkTransition answers AWS's errors for moving h to state: the same state again is
// HandshakeAlreadyInState, any move out of a closed state InvalidHandshakeTransition.
func checkTransition(h *Handshake, now time.Time, to string) error {
	from := effectiveState(h, now)
	if from == to {
		return model.Fail(model.CodeHandshakeAlreadyInStateException, "", "The handshake %s is already in the requested state %s.", h.ID, to)
	}
	if !isOpenState(from) {
		return model.Fail(model.CodeInvalidHandshakeTransitionException, "", "You can't perform the operation on the handshake %s in its current state %s.", h.ID, from)
	}
	return nil
}

// DescribeHandshake returns a handshake to a party of it.
func (s *Service) DescribeHandshake(ctx context.Context, in *model.DescribeHandshakeRequest) (*model.DescribeHandshakeResponse, error) {
	ctx = guard(ctx, "DescribeHandshake", in)
	return viewOut(s, ctx, model.DescribeHandshakeResponse{}, func(t *txn, out *model.DescribeHandshakeResponse) error {
		h, _, _, err := t.callerHandshake(*in.HandshakeId)
		if err != nil {
			return err
		}
		out.Handshake = handshakeOutput(h, t.now)
		return nil
	})
}

// emailPattern is the model's Email pattern, which invitation targets must also match.
var emailPattern = regexp.MustCompile(`^[^\s@]+@[^\s@]+\.[^\s@]+$`)

// InviteAccountToOrganization sends an INVITE handshake to an account, named by id or by the
// e-mail address of its owner, and writes the e-mail AWS would send in the same transaction.
func (s *Service) InviteAccountToOrganization(ctx context.Context, in *model.InviteAccountToOrganizationRequest) (*model.InviteAccountToOrganizationResponse, error) {
	ctx = guard(ctx, "InviteAccountToOrganization", in)
	return updateOut(s, ctx, model.InviteAccountToOrganizationResponse{}, func(t *txn, out *model.InviteAccountToOrganizationResponse) error {
		mgmt, o, err := t.management()
		if err != nil {
			return err
		}
		targetType, targetID := *in.Target.Type, *in.Target.Id
		var target *Account // nil for an e-mail that no account has
		switch targetType {
		case model.HandshakePartyTypeAccount:
			if !model.IsAccountID(targetID) {
				return invalidInput(model.InvalidInputExceptionReasonInvalidPattern, "You provided a value that does not match the required pattern for Target.Id: an account ID has 12 digits.")
			}
			if target, err = t.account(targetID); err != nil {
				return err
			}
		case model.HandshakePartyTypeEmail:
			if l := len(targetID); l < 6 || l > 64 || !emailPattern.MatchString(targetID) {
				return invalidInput(model.InvalidInputExceptionReasonInvalidEmailAddressTarget, "You specified an invalid email address for the invited account owner: %s.", targetID)
			}
			a, ok, err := t.accountByEmail(targetID)
			if err != nil {
				return err
			}
			if ok {
				target = a
			}
		default:
			return invalidInput(model.InvalidInputExceptionReasonInvalidPartyTypeTarget, "You can invite an ACCOUNT or an EMAIL, not an %s.", targetType)
		}
		if err := checkNewTags(in.Tags); err != nil {
			return err
		}
		// The tags land on the account when it accepts and joins under the root; AWS refuses
		// the whole invitation when one of them is not valid (the model's Tags).
		if err := t.enforceTagPolicy(o, tagTarget{resourceType: tagTypeAccount}, in.Tags); err != nil {
			return err
		}
		if !mgmt.EmailVerified {
			return model.Fail(model.CodeAccountOwnerNotVerifiedException, "", "You can't invite accounts until you verify the email address %s of the management account.", mgmt.Email)
		}
		pending, err := t.countHandshakes(t.openQuery(HandshakeQuery{OrgID: o.ID, Action: model.ActionTypeEnableAllFeatures}))
		if err != nil {
			return err
		}
		if pending > 0 {
			return handshakeConstraint(model.HandshakeConstraintViolationExceptionReasonInviteDisabledDuringEnableAllFeatures,
				"You can't invite accounts while the organization is enabling all features.")
		}
		// The recipient is matched by id for ACCOUNT targets and by e-mail for EMAIL targets;
		// an open invitation to the same account by either counts as a duplicate.
		recipient := HandshakeQuery{OrgID: o.ID, Action: model.ActionTypeInvite}
		if targetType == model.HandshakePartyTypeAccount {
			recipient.RecipientAccountID = target.ID
		} else {
			recipient.RecipientEmail = strings.ToLower(targetID)
		}
		if target != nil {
			if target.OrgID == o.ID {
				return handshakeConstraint(model.HandshakeConstraintViolationExceptionReasonAlreadyInAnOrganization,
					"The account %s is already a member of this organization.", target.ID)
			}
			dup := recipient
			dup.RecipientAccountID, dup.RecipientEmail = target.ID, strings.ToLower(target.Email)
			n, err := t.countHandshakes(t.openQuery(dup))
			if err != nil {
				return err
			}
			if n > 0 {
				return model.Fail(model.CodeDuplicateHandshakeException, "", "An open invitation to %s from this organization already exists.", targetID)
			}
			if target.SellerOfRecord != mgmt.SellerOfRecord {
				return handshakeConstraint(model.HandshakeConstraintViolationExceptionReasonOrganizationFromDifferentSellerOfRecord,
					"The account %s is sold by %s; this organization's accounts are sold by %s.", target.ID, target.SellerOfRecord, mgmt.SellerOfRecord)
			}
			if !target.PaymentInstrument {
				return handshakeConstraint(model.HandshakeConstraintViolationExceptionReasonPaymentInstrumentRequired,
					"The account %s has no payment instrument.", target.ID)
			}
		} else if n, err := t.countHandshakes(t.openQuery(recipient)); err != nil {
			return err
		} else if n > 0 {
			return model.Fail(model.CodeDuplicateHandshakeException, "", "An open invitation to %s from this organization already exists.", targetID)
		}
		if err := t.checkInvitationQuotas(o); err != nil {
			return err
		}

		h := t.newHandshake(o, model.ActionTypeInvite, s.cfg.Quotas.InvitationLifetime)
		h.RecipientAccountID, h.RecipientEmail = recipient.RecipientAccountID, recipient.RecipientEmail
		h.Parties = []Party{{ID: o.ID, Type: model.HandshakePartyTypeOrganization}, {ID: targetID, Type: targetType}}
		h.Resources = []Resource{
			{Type: model.HandshakeResourceTypeOrganization, Value: o.ID, Resources: []Resource{
				{Type: model.HandshakeResourceTypeMasterEmail, Value: mgmt.Email},
				{Type: model.HandshakeResourceTypeMasterName, Value: mgmt.Name},
				{Type: model.HandshakeResourceTypeOrganizationFeatureSet, Value: s.featureSetLabel(o)},
			}},
			{Type: targetType, Value: targetID},
		}
		if in.Notes != nil {
			h.Resources = append(h.Resources, Resource{Type: model.HandshakeResourceTypeNotes, Value: *in.Notes})
		}
		h.Tags = tagsFromModel(in.Tags)
		if err := t.PutHandshake(t.ctx, h); err != nil {
			return fmt.Errorf("org: create invitation: %w", err)
		}
		to := targetID
		if target != nil && targetType == model.HandshakePartyTypeAccount {
			to = target.Email
		}
		if err := t.queueMail(t.svc.invitationMail(o, mgmt, h, to, in.Notes)); err != nil {
			return err
		}
		out.Handshake = handshakeOutput(h, t.now)
		return nil
	})
}

// featureSetLabel is the ORGANIZATION_FEATURE_SET value of an invitation.
func (s *Service) featureSetLabel(o *Organization) string {
	if o.FeatureSet == model.OrganizationFeatureSetAll {
		return s.cfg.AllFeaturesLabel
	}
	return o.FeatureSet
}

// checkInvitationQuotas applies the account quota, which open invitations and account
// creations in progress count against, and
// the daily invitation limit, which every invitation of the last 24 hours but an accepted one
// counts against (cancelling does not give an attempt back).
func (t *txn) checkInvitationQuotas(o *Organization) error {
	if !t.svc.quotasApply() {
		return nil
	}
	q := t.svc.cfg.Quotas
	sent, err := t.CountRecentInvitations(t.ctx, o.ID, t.now.Add(-24*time.Hour))
	if err != nil {
		return fmt.Errorf("org: count invitations of %s: %w", o.ID, err)
	}
	if sent >= max(q.InvitationsPerDay, q.MaxAccounts) {
		return handshakeConstraint(model.HandshakeConstraintViolationExceptionReasonHandshakeRateLimitExceeded,
			"the organization sent its quota of %d invitations in 24 hours (the larger of --invitations-per-day and --max-accounts)", max(q.InvitationsPerDay, q.MaxAccounts))
	}
	members, invited, creating, err := t.accountQuotaUse(o)
	if err != nil {
		return err
	}
	if members+invited+creating+1 > q.MaxAccounts {
		return handshakeConstraint(model.HandshakeConstraintViolationExceptionReasonAccountNumberLimitExceeded,
			"The organization has %d accounts, %d open invitations and %d accounts being created; its quota is %d accounts (--max-accounts)",
			members, invited, creating, q.MaxAccounts)
	}
	return nil
}

// AcceptHandshake is the recipient's yes.
func (s *Service) AcceptHandshake(ctx context.Context, in *model.AcceptHandshakeRequest) (*model.AcceptHandshakeResponse, error) {
	ctx = guard(ctx, "AcceptHandshake", in)
	return updateOut(s, ctx, model.AcceptHandshakeResponse{}, func(t *txn, out *model.AcceptHandshakeResponse) error {
		h, _, recipient, err := t.callerHandshake(*in.HandshakeId)
		if err != nil {
			return err
		}
		if !recipient {
			return accessDenied()
		}
		if err := checkTransition(h, t.now, model.HandshakeStateAccepted); err != nil {
			return err
		}
		switch h.Action {
		case model.ActionTypeInvite:
			err = t.acceptInvitation(h)
		case model.ActionTypeApproveAllFeatures:
			err = t.approveAllFeatures(h)
		case model.ActionTypeEnableAllFeatures:
			err = t.finishAllFeatures(h)
		case model.ActionTypeTransferResponsibility:
			err = t.acceptTransfer(h)
		default:
			err = fmt.Errorf("org: handshake %s has unknown action %s", h.ID, h.Action)
		}
		if err != nil {
			return err
		}
		out.Handshake = handshakeOutput(h, t.now)
		return nil
	})
}

// acceptInvitation puts the invited account under the root of the sender's organization.
func (t *txn) acceptInvitation(h *Handshake) error {
	a, err := t.account(t.caller.AccountID)
	if err != nil {
		return err
	}
	if a.OrgID != "" {
		member, err := t.Organization(t.ctx, a.OrgID)
		if err != nil {
			return fmt.Errorf("org: read organization %s: %w", a.OrgID, err)
		}
		if member.ManagementAccountID == a.ID {
			return model.Fail(model.CodeMasterCannotLeaveOrganizationException, "",
				"Account %s is the management account of %s; delete that organization before joining another.", a.ID, member.ID)
		}
		return handshakeConstraint(model.HandshakeConstraintViolationExceptionReasonAlreadyInAnOrganization,
			"Account %s is already a member of an organization.", a.ID)
	}
	o, err := t.Organization(t.ctx, h.OrgID)
	if isNotFound(err) {
		return notInUse()
	}
	if err != nil {
		return fmt.Errorf("org: read organization %s: %w", h.OrgID, err)
	}
	mgmt, err := t.account(o.ManagementAccountID)
	if err != nil {
		return err
	}
	switch {
	case a.SellerOfRecord != mgmt.SellerOfRecord:
		return handshakeConstraint(model.HandshakeConstraintViolationExceptionReasonOrganizationFromDifferentSellerOfRecord,
			"Account %s is sold by %s; the organization's accounts are sold by %s.", a.ID, a.SellerOfRecord, mgmt.SellerOfRecord)
	case !a.PaymentInstrument:
		return handshakeConstraint(model.HandshakeConstraintViolationExceptionReasonPaymentInstrumentRequired,
			"Account %s has no payment instrument.", a.ID)
	case !mgmt.EmailVerified:
		return handshakeConstraint(model.HandshakeConstraintViolationExceptionReasonManagementAccountEmailNotVerified,
			"The management account of %s has not verified its email address.", o.ID)
	}
	if t.svc.quotasApply() {
		members, err := t.CountAccounts(t.ctx, o.ID)
		if err != nil {
			return fmt.Errorf("org: count accounts of %s: %w", o.ID, err)
		}
		if members+1 > t.svc.cfg.Quotas.MaxAccounts {
			return handshakeConstraint(model.HandshakeConstraintViolationExceptionReasonAccountNumberLimitExceeded,
				"the organization %s already has its quota of %d accounts (--max-accounts)", o.ID, t.svc.cfg.Quotas.MaxAccounts)
		}
	}

	a.OrgID, a.ParentID = o.ID, o.RootID
	a.JoinedMethod, a.JoinedAt = model.AccountJoinedMethodInvited, t.now
	if err := t.PutAccount(t.ctx, a); err != nil {
		return fmt.Errorf("org: join account %s: %w", a.ID, err)
	}
	if err := t.attachDefaultPolicies(o, a.ID, model.TargetTypeAccount); err != nil {
		return err
	}
	// The invitation's tags were checked when it was sent; they are attached now.
	if len(h.Tags) > 0 {
		if err := t.PutTags(t.ctx, a.ID, h.Tags); err != nil {
			return fmt.Errorf("org: tag account %s: %w", a.ID, err)
		}
	}
	// An invitation sent to an e-mail address names the account that took it once accepted.
	if h.RecipientAccountID == "" {
		h.RecipientAccountID = a.ID
		h.Resources = append(h.Resources, Resource{Type: model.HandshakeResourceTypeAccount, Value: a.ID})
	}
	if err := t.closeHandshake(h, model.HandshakeStateAccepted); err != nil {
		return err
	}
	return t.queueMail(t.svc.invitationAnsweredMail(mgmt, a, h, h.State, t.now))
}

// expirySweep is how many expired handshakes one sweep stores EXPIRED: a sweep runs in a
// transaction of its own or of a mail claim, which it keeps short.
const expirySweep = 100

// expireHandshakes stores EXPIRED on the handshakes that expired by now, with the notice of
// each: orgID's invitations, or with orgID empty up to expirySweep handshakes of any
// organization. It reports how many it stored.
func (t *txn) expireHandshakes(orgID string) (int, error) {
	ids, err := t.ExpireHandshakes(t.ctx, orgID, t.now, expirySweep)
	if err != nil {
		return 0, fmt.Errorf("org: expire handshakes: %w", err)
	}
	expired := make([]*Handshake, 0, len(ids))
	for _, id := range ids {
		h, err := t.Handshake(t.ctx, id)
		if err != nil {
			return 0, fmt.Errorf("org: read expired handshake %s: %w", id, err)
		}
		expired = append(expired, h)
	}
	// The store returns them in no order; the outbox has them in the order they expired.
	slices.SortFunc(expired, func(a, b *Handshake) int {
		if c := a.ExpiresAt.Compare(b.ExpiresAt); c != 0 {
			return c
		}
		return cmp.Compare(a.Seq, b.Seq)
	})
	for _, h := range expired {
		// An all-features approval expires with the request it belongs to, whose notice
		// tells the management account.
		if h.Action == model.ActionTypeApproveAllFeatures {
			continue
		}
		mgmt, err := t.account(h.ManagementAccountID)
		if err != nil {
			return 0, err
		}
		to := ""
		if h.Action == model.ActionTypeInvite {
			if to, err = t.invitedAddress(h); err != nil {
				return 0, err
			}
		}
		if err := t.queueMail(t.svc.expiredMail(mgmt, h, to)); err != nil {
			return 0, err
		}
	}
	return len(ids), nil
}

// expireAll stores EXPIRED on every handshake that expired by now, with the e-mail
// that says so, in transactions of expirySweep handshakes each. Reads need not wait for it;
// the outbox does (Outbox and ClaimMail call it).
func (s *Service) expireAll(ctx context.Context) error {
	for {
		n := 0
		err := s.update(ctx, func(t *txn) error {
			var err error
			n, err = t.expireHandshakes("")
			return err
		})
		if err != nil {
			return err
		}
		if n < expirySweep {
			return nil
		}
	}
}

// queueMail writes m to the outbox in the transaction of the change it reports, so that the
// e-mail exists if and only if the change does.
func (t *txn) queueMail(m *OutboxMessage) error {
	if err := t.AddOutbox(t.ctx, m); err != nil {
		return fmt.Errorf("org: queue e-mail about handshake %s: %w", m.HandshakeID, err)
	}
	return nil
}

// invitedAddress is the address an invitation was sent to: the EMAIL target as given, or the
// invited account's e-mail address.
func (t *txn) invitedAddress(h *Handshake) (string, error) {
	for _, p := range h.Parties {
		switch p.Type {
		case model.HandshakePartyTypeEmail:
			return p.ID, nil
		case model.HandshakePartyTypeAccount:
			a, err := t.account(p.ID)
			if err != nil {
				return "", err
			}
			return a.Email, nil
		}
	}
	return "", fmt.Errorf("org: invitation %s names no invited party", h.ID)
}

// DeclineHandshake is the recipient's no.
func (s *Service) DeclineHandshake(ctx context.Context, in *model.DeclineHandshakeRequest) (*model.DeclineHandshakeResponse, error) {
	ctx = guard(ctx, "DeclineHandshake", in)
	return updateOut(s, ctx, model.DeclineHandshakeResponse{}, func(t *txn, out *model.DeclineHandshakeResponse) error {
		h, _, recipient, err := t.callerHandshake(*in.HandshakeId)
		if err != nil {
			return err
		}
		if !recipient {
			return accessDenied()
		}
		if err := t.closeWithChildren(h, model.HandshakeStateDeclined); err != nil {
			return err
		}
		if err := t.closeTransfer(h, model.HandshakeStateDeclined); err != nil {
			return err
		}
		if h.Action == model.ActionTypeInvite {
			me, _, err := t.callerAccount()
			if err != nil {
				return err
			}
			mgmt, err := t.account(h.ManagementAccountID)
			if err != nil {
				return err
			}
			if err := t.queueMail(t.svc.invitationAnsweredMail(mgmt, me, h, h.State, t.now)); err != nil {
				return err
			}
		}
		out.Handshake = handshakeOutput(h, t.now)
		return nil
	})
}

// CancelHandshake is the sender's withdrawal.
func (s *Service) CancelHandshake(ctx context.Context, in *model.CancelHandshakeRequest) (*model.CancelHandshakeResponse, error) {
	ctx = guard(ctx, "CancelHandshake", in)
	return updateOut(s, ctx, model.CancelHandshakeResponse{}, func(t *txn, out *model.CancelHandshakeResponse) error {
		h, sender, _, err := t.callerHandshake(*in.HandshakeId)
		if err != nil {
			return err
		}
		if !sender {
			return accessDenied()
		}
		if err := t.closeWithChildren(h, model.HandshakeStateCanceled); err != nil {
			return err
		}
		if err := t.closeTransfer(h, model.HandshakeStateCanceled); err != nil {
			return err
		}
		if h.Action == model.ActionTypeInvite {
			if err := t.queueCanceledMail(h); err != nil {
				return err
			}
		}
		out.Handshake = handshakeOutput(h, t.now)
		return nil
	})
}

// closeWithChildren declines or cancels h; ending an ENABLE_ALL_FEATURES request cancels the
// approvals it asked for.
func (t *txn) closeWithChildren(h *Handshake, state string) error {
	if err := checkTransition(h, t.now, state); err != nil {
		return err
	}
	if err := t.closeHandshake(h, state); err != nil {
		return err
	}
	if h.Action != model.ActionTypeEnableAllFeatures {
		return nil
	}
	return t.cancelOpenHandshakes(HandshakeQuery{ParentID: h.ID})
}

// ListHandshakesForAccount lists the handshakes the caller received, standalone or not.
func (s *Service) ListHandshakesForAccount(ctx context.Context, in *model.ListHandshakesForAccountRequest) (*model.ListHandshakesForAccountResponse, error) {
	ctx = guard(ctx, "ListHandshakesForAccount", in)
	return viewOut(s, ctx, model.ListHandshakesForAccountResponse{Handshakes: []model.Handshake{}}, func(t *txn, out *model.ListHandshakesForAccountResponse) error {
		me, _, err := t.callerAccount()
		if err != nil {
			return err
		}
		q := HandshakeQuery{RecipientAccountID: me.ID, RecipientEmail: strings.ToLower(me.Email), Partition: t.caller.partition()}
		out.Handshakes, out.NextToken, err = t.handshakePage("ListHandshakesForAccount", q, in.Filter, in.NextToken, in.MaxResults)
		return err
	})
}

// ListHandshakesForOrganization lists the handshakes the caller's organization sent.
func (s *Service) ListHandshakesForOrganization(ctx context.Context, in *model.ListHandshakesForOrganizationRequest) (*model.ListHandshakesForOrganizationResponse, error) {
	ctx = guard(ctx, "ListHandshakesForOrganization", in)
	return viewOut(s, ctx, model.ListHandshakesForOrganizationResponse{Handshakes: []model.Handshake{}}, func(t *txn, out *model.ListHandshakesForOrganizationResponse) error {
		_, o, err := t.authorize("ListHandshakesForOrganization", "", "")
		if err != nil {
			return err
		}
		out.Handshakes, out.NextToken, err = t.handshakePage("ListHandshakesForOrganization", HandshakeQuery{OrgID: o.ID}, in.Filter, in.NextToken, in.MaxResults)
		return err
	})
}

// handshakePage reads one page of the handshakes matching q and the filter, oldest first,
// leaving out those past their 30 days of visibility.
func (t *txn) handshakePage(op string, q HandshakeQuery, f *model.HandshakeFilter, token *string, maxResults *int32) ([]model.Handshake, *string, error) {
	if f != nil {
		if f.ActionType != nil && f.ParentHandshakeId != nil {
			return nil, nil, invalidInput(model.InvalidInputExceptionReasonMaxLimitExceededFilter,
				"You can specify only one filter parameter: ActionType or ParentHandshakeId.")
		}
		if f.ActionType != nil {
			q.Action = *f.ActionType
		}
		if f.ParentHandshakeId != nil {
			q.ParentID = *f.ParentHandshakeId
		}
	}
	scope := strings.Join([]string{op, t.caller.AccountID, q.OrgID, q.RecipientAccountID, q.Partition, q.Action, q.ParentID}, "|")
	hs, next, err := seqPageOf(t.svc, scope, token, maxResults, func(afterSeq int64, limit int) ([]Handshake, error) {
		q.AfterSeq, q.VisibleAfter, q.Limit = afterSeq, t.now, limit
		hs, err := t.ListHandshakes(t.ctx, q)
		if err != nil {
			return nil, fmt.Errorf("org: list handshakes: %w", err)
		}
		return hs, nil
	}, func(h Handshake) int64 { return h.Seq })
	if err != nil {
		return nil, nil, err
	}
	out := make([]model.Handshake, len(hs))
	for i := range hs {
		out[i] = *handshakeOutput(&hs[i], t.now)
	}
	return out, next, nil
}

// EnableAllFeatures starts the move of a consolidated-billing organization to all features.
func (s *Service) EnableAllFeatures(ctx context.Context, in *model.EnableAllFeaturesRequest) (*model.EnableAllFeaturesResponse, error) {
	ctx = guard(ctx, "EnableAllFeatures", in)
	return updateOut(s, ctx, model.EnableAllFeaturesResponse{}, func(t *txn, out *model.EnableAllFeaturesResponse) error {
		mgmt, o, err := t.management()
		if err != nil {
			return err
		}
		if o.FeatureSet == model.OrganizationFeatureSetAll {
			return handshakeConstraint(model.HandshakeConstraintViolationExceptionReasonOrganizationAlreadyHasAllFeatures,
				"The organization %s already has all features enabled.", o.ID)
		}
		pending, err := t.countHandshakes(t.openQuery(HandshakeQuery{OrgID: o.ID, Action: model.ActionTypeEnableAllFeatures}))
		if err != nil {
			return err
		}
		if pending > 0 {
			return handshakeConstraint(model.HandshakeConstraintViolationExceptionReasonOrganizationIsAlreadyPendingAllFeaturesMigration,
				"The organization %s is already enabling all features.", o.ID)
		}
		members, err := t.CountAccounts(t.ctx, o.ID)
		if err != nil {
			return fmt.Errorf("org: count accounts of %s: %w", o.ID, err)
		}
		if limit := s.cfg.Quotas.MaxAllFeaturesMigrationSize; members > limit {
			return constraintViolation(model.ConstraintViolationExceptionReasonAllFeaturesMigrationOrganizationSizeLimitExceeded,
				"An organization with more than %d accounts cannot enable all features this way.", limit)
		}
		// Invitations that promised the old feature set are withdrawn.
		if err := t.cancelOpenHandshakes(HandshakeQuery{OrgID: o.ID, Action: model.ActionTypeInvite}); err != nil {
			return err
		}

		parent := t.newHandshake(o, model.ActionTypeEnableAllFeatures, s.cfg.Quotas.AllFeaturesLifetime)
		parent.RecipientAccountID = o.ManagementAccountID
		parent.Parties = []Party{{ID: o.ID, Type: model.HandshakePartyTypeOrganization}}
		parent.Resources = []Resource{{Type: model.HandshakeResourceTypeOrganization, Value: o.ID}}
		if err := t.PutHandshake(t.ctx, parent); err != nil {
			return fmt.Errorf("org: create all-features request: %w", err)
		}
		// Every invited member approves; created accounts agreed when they were created.
		children := 0
		after := ""
		for {
			accts, err := t.ListAccounts(t.ctx, AccountQuery{OrgID: o.ID, AfterID: after, Limit: 100})
			if err != nil {
				return fmt.Errorf("org: list accounts of %s: %w", o.ID, err)
			}
			for _, a := range accts {
				if a.ID == o.ManagementAccountID || a.JoinedMethod != model.AccountJoinedMethodInvited {
					continue
				}
				child := t.newHandshake(o, model.ActionTypeApproveAllFeatures, s.cfg.Quotas.AllFeaturesLifetime)
				child.RecipientAccountID, child.ParentID = a.ID, parent.ID
				child.Parties = []Party{{ID: o.ID, Type: model.HandshakePartyTypeOrganization}, {ID: a.ID, Type: model.HandshakePartyTypeAccount}}
				child.Resources = []Resource{
					{Type: model.HandshakeResourceTypeParentHandshake, Value: parent.ID},
					{Type: model.HandshakeResourceTypeOrganization, Value: o.ID},
					{Type: model.HandshakeResourceTypeAccount, Value: a.ID},
				}
				if err := t.PutHandshake(t.ctx, child); err != nil {
					return fmt.Errorf("org: create all-features approval for %s: %w", a.ID, err)
				}
				if err := t.queueMail(t.svc.allFeaturesMail(mgmt, &a, child)); err != nil {
					return err
				}
				children++
			}
			if len(accts) < 100 {
				break
			}
			after = accts[len(accts)-1].ID
		}
		// The request waits (REQUESTED) for the members' approvals; with no invited member
		// there is nothing to wait for.
		if children > 0 {
			parent.State = model.HandshakeStateRequested
			if err := t.PutHandshake(t.ctx, parent); err != nil {
				return fmt.Errorf("org: update all-features request: %w", err)
			}
		}
		out.Handshake = handshakeOutput(parent, t.now)
		return nil
	})
}

// approveAllFeatures records a member's approval and opens the request when it was the last.
func (t *txn) approveAllFeatures(child *Handshake) error {
	if err := t.closeHandshake(child, model.HandshakeStateAccepted); err != nil {
		return err
	}
	parent, err := t.Handshake(t.ctx, child.ParentID)
	if err != nil {
		return fmt.Errorf("org: read all-features request %s: %w", child.ParentID, err)
	}
	return t.openIfApproved(parent)
}

// openIfApproved moves a REQUESTED all-features request to OPEN once no member of the
// organization still owes its approval.
func (t *txn) openIfApproved(parent *Handshake) error {
	if effectiveState(parent, t.now) != model.HandshakeStateRequested {
		return nil
	}
	waiting, err := t.approvalsOwed(parent)
	if err != nil || waiting {
		return err
	}
	parent.State = model.HandshakeStateOpen
	if err := t.PutHandshake(t.ctx, parent); err != nil {
		return fmt.Errorf("org: open all-features request %s: %w", parent.ID, err)
	}
	return nil
}

// approvalsOwed reports whether an account still in the organization has not approved. An
// account that declined blocks the request until it leaves or the request is cancelled.
func (t *txn) approvalsOwed(parent *Handshake) (bool, error) {
	owed := false
	err := t.eachHandshake(HandshakeQuery{ParentID: parent.ID, NotStates: []string{model.HandshakeStateAccepted}}, func(h *Handshake) error {
		if owed {
			return nil
		}
		a, err := t.account(h.RecipientAccountID)
		owed = err == nil && a.OrgID == parent.OrgID
		return err
	})
	return owed, err
}

// withdrawApproval cancels the all-features approval asked of an account that left, which
// may be all the request was still waiting for.
func (t *txn) withdrawApproval(o *Organization, accountID string) error {
	return t.eachHandshake(t.openQuery(HandshakeQuery{OrgID: o.ID, Action: model.ActionTypeEnableAllFeatures}), func(parent *Handshake) error {
		if err := t.cancelOpenHandshakes(HandshakeQuery{ParentID: parent.ID, RecipientAccountID: accountID}); err != nil {
			return err
		}
		return t.openIfApproved(parent)
	})
}

// finishAllFeatures is the management account's acceptance of the all-features request.
func (t *txn) finishAllFeatures(parent *Handshake) error {
	if effectiveState(parent, t.now) == model.HandshakeStateRequested {
		if err := t.openIfApproved(parent); err != nil {
			return err
		}
		if parent.State == model.HandshakeStateRequested {
			return model.Fail(model.CodeInvalidHandshakeTransitionException, "",
				"Every invited member account must approve before the handshake %s can be accepted.", parent.ID)
		}
	}
	o, err := t.Organization(t.ctx, parent.OrgID)
	if err != nil {
		return fmt.Errorf("org: read organization %s: %w", parent.OrgID, err)
	}
	o.FeatureSet = model.OrganizationFeatureSetAll
	if err := t.PutOrganization(t.ctx, o); err != nil {
		return fmt.Errorf("org: enable all features in %s: %w", o.ID, err)
	}
	return t.closeHandshake(parent, model.HandshakeStateAccepted)
}
