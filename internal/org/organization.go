package org

import (
	"context"
	"errors"
	"fmt"

	"github.com/orgd/orgd/internal/model"
)

func (t *txn) organizationOutput(o *Organization) (*model.Organization, error) {
	mgmt, err := t.account(o.ManagementAccountID)
	if err != nil {
		return nil, err
	}
	// AvailablePolicyTypes is deprecated; AWS still shows SCPs as available in an
	// all-features organization and nothing otherwise. Root.PolicyTypes holds the real state.
	types := []model.PolicyTypeSummary{}
	if o.FeatureSet == model.OrganizationFeatureSetAll {
		types = append(types, model.PolicyTypeSummary{
			Type:   model.Ptr(model.PolicyTypeServiceControlPolicy),
			Status: model.Ptr(model.PolicyTypeStatusEnabled),
		})
	}
	return &model.Organization{
		Id:                   model.Ptr(o.ID),
		Arn:                  model.Ptr(organizationARN(o)),
		FeatureSet:           model.Ptr(o.FeatureSet),
		MasterAccountArn:     model.Ptr(accountARN(o, o.ManagementAccountID)),
		MasterAccountId:      model.Ptr(o.ManagementAccountID),
		MasterAccountEmail:   model.Ptr(mgmt.Email),
		AvailablePolicyTypes: types,
	}, nil
}

// CreateOrganization makes the caller, a standalone account, the management account of a new
// organization with one root.
func (s *Service) CreateOrganization(ctx context.Context, in *model.CreateOrganizationRequest) (*model.CreateOrganizationResponse, error) {
	ctx = guard(ctx, "CreateOrganization", in)
	return updateOut(s, ctx, model.CreateOrganizationResponse{}, func(t *txn, out *model.CreateOrganizationResponse) error {
		a, _, err := t.callerAccount()
		if err != nil {
			return err
		}
		// orgd knows an account by its 12 digits alone, so an account in an organization of
		// another partition is already in an organization here too (and cannot accept an
		// invitation either, see acceptInvitation), although AWS would hold a separate account
		// of that number in each partition [INF]. It still cannot see that organization (see
		// membership).
		if a.OrgID != "" {
			return model.Fail(model.CodeAlreadyInOrganizationException, "", "The provided account is already a member of an organization.")
		}
		if !a.PaymentInstrument {
			return constraintViolation(model.ConstraintViolationExceptionReasonMasterAccountPaymentInstrumentRequired,
				"You must provide a valid payment instrument for account %s before you can create an organization.", a.ID)
		}
		o := &Organization{
			ID:                  newOrganizationID(),
			FeatureSet:          model.OrganizationFeatureSetAll,
			ManagementAccountID: a.ID,
			RootID:              newRootID(),
			Partition:           t.caller.partition(),
			CreatedAt:           t.now,
		}
		if in.FeatureSet != nil {
			o.FeatureSet = *in.FeatureSet
		}
		// Root ids have four random characters, so with many organizations one may be taken.
		err = t.PutOrganization(t.ctx, o)
		for errors.Is(err, ErrConflict) {
			o.RootID = newRootID()
			err = t.PutOrganization(t.ctx, o)
		}
		if err != nil {
			return fmt.Errorf("org: create organization: %w", err)
		}
		// AWS lists the management account with JoinedMethod INVITED, joined when the
		// organization was created.
		a.OrgID, a.ParentID = o.ID, o.RootID
		a.JoinedMethod, a.JoinedAt = model.AccountJoinedMethodInvited, t.now
		if err := t.PutAccount(t.ctx, a); err != nil {
			return fmt.Errorf("org: join management account %s: %w", a.ID, err)
		}
		out.Organization, err = t.organizationOutput(o)
		return err
	})
}

// DescribeOrganization is open to every account of the organization.
func (s *Service) DescribeOrganization(ctx context.Context) (*model.DescribeOrganizationResponse, error) {
	ctx = guard(ctx, "DescribeOrganization", nil)
	return viewOut(s, ctx, model.DescribeOrganizationResponse{}, func(t *txn, out *model.DescribeOrganizationResponse) error {
		_, o, err := t.membership()
		if err != nil {
			return err
		}
		out.Organization, err = t.organizationOutput(o)
		return err
	})
}

// DeleteOrganization deletes an organization that has no member left but its management
// account, which becomes standalone. Its open handshakes are cancelled; its OUs and account
// creation requests are deleted with it.
func (s *Service) DeleteOrganization(ctx context.Context) error {
	ctx = guard(ctx, "DeleteOrganization", nil)
	return s.update(ctx, func(t *txn) error {
		a, o, err := t.management()
		if err != nil {
			return err
		}
		n, err := t.CountAccounts(t.ctx, o.ID)
		if err != nil {
			return fmt.Errorf("org: count accounts of %s: %w", o.ID, err)
		}
		if n > 1 {
			return model.Fail(model.CodeOrganizationNotEmptyException, "",
				"To delete an organization you must first remove all member accounts (except the management account).")
		}
		active, err := t.activeTransferProcess(o)
		if err != nil {
			return err
		}
		if active {
			return constraintViolation(model.ConstraintViolationExceptionReasonActiveResponsibilityTransferProcess,
				"The organization %s takes part in a responsibility transfer; end it before deleting the organization.", o.ID)
		}
		if err := t.cancelOpenHandshakes(HandshakeQuery{OrgID: o.ID}); err != nil {
			return err
		}
		if err := t.deleteOUs(o); err != nil {
			return err
		}
		if err := t.deleteOrganizationPolicies(o); err != nil {
			return err
		}
		if err := t.deleteDelegationState(o); err != nil {
			return err
		}
		if err := t.DeleteCreateAccountRequests(t.ctx, o.ID); err != nil {
			return fmt.Errorf("org: delete account creations of %s: %w", o.ID, err)
		}
		for _, id := range []string{o.RootID, a.ID} {
			if err := t.DeleteAllTags(t.ctx, id); err != nil {
				return fmt.Errorf("org: delete tags of %s: %w", id, err)
			}
		}
		a.makeStandalone()
		if err := t.PutAccount(t.ctx, a); err != nil {
			return fmt.Errorf("org: release management account %s: %w", a.ID, err)
		}
		if err := t.Tx.DeleteOrganization(t.ctx, o.ID); err != nil {
			return fmt.Errorf("org: delete organization %s: %w", o.ID, err)
		}
		return nil
	})
}

// ListRoots lists the organization's only root.
func (s *Service) ListRoots(ctx context.Context, in *model.ListRootsRequest) (*model.ListRootsResponse, error) {
	ctx = guard(ctx, "ListRoots", in)
	return viewOut(s, ctx, model.ListRootsResponse{}, func(t *txn, out *model.ListRootsResponse) error {
		_, o, err := t.authorize("ListRoots", "", "")
		if err != nil {
			return err
		}
		if _, err := t.pageStart(in.NextToken); err != nil {
			return err
		}
		root, err := t.rootOutput(o)
		if err != nil {
			return err
		}
		out.Roots = []model.Root{*root}
		return nil
	})
}
