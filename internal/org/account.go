package org

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/orgd/orgd/internal/model"
)

// defaultAccount is the standalone account behind an id the store has never seen: every
// 12-digit id is an AWS account. Its row is written the first time a state change involves it.
func (s *Service) defaultAccount(id string) *Account {
	a := &Account{
		ID:                id,
		Email:             id + "@example.com",
		Name:              "account-" + id,
		SellerOfRecord:    SellerAWS,
		PaymentInstrument: true,
		EmailVerified:     true,
		State:             model.AccountStateActive,
	}
	if id == s.cfg.DefaultAccountID {
		a.Email, a.Name = "master@example.com", "master"
	}
	return a
}

// makeStandalone takes the account out of its organization.
func (a *Account) makeStandalone() {
	a.OrgID, a.ParentID, a.JoinedMethod, a.JoinedAt = "", "", "", time.Time{}
}

// account returns the account with this id, stored or default.
func (t *txn) account(id string) (*Account, error) {
	a, err := t.Account(t.ctx, id)
	if errors.Is(err, ErrNotFound) {
		return t.svc.defaultAccount(id), nil
	}
	if err != nil {
		return nil, fmt.Errorf("org: read account %s: %w", id, err)
	}
	return a, nil
}

// accountByEmail resolves an e-mail address to an account, case-insensitively: a stored
// account, or an account the store has not seen whose default address it is. ok is false
// when no account has the address.
func (t *txn) accountByEmail(email string) (a *Account, ok bool, err error) {
	a, err = t.AccountByEmail(t.ctx, email)
	if err == nil {
		return a, true, nil
	}
	if !errors.Is(err, ErrNotFound) {
		return nil, false, fmt.Errorf("org: find account by e-mail: %w", err)
	}
	id := strings.TrimSuffix(strings.ToLower(email), "@example.com")
	if strings.EqualFold(email, "master@example.com") {
		id = t.svc.cfg.DefaultAccountID
	}
	if !isAccountID(id) {
		return nil, false, nil
	}
	a, err = t.account(id)
	if err != nil || !strings.EqualFold(a.Email, email) {
		return nil, false, err
	}
	return a, true, nil
}

// membership returns the caller's account and organization, or AWSOrganizationsNotInUse.
func (t *txn) membership() (*Account, *Organization, error) {
	a, err := t.account(t.caller.AccountID)
	if err != nil {
		return nil, nil, err
	}
	if a.OrgID == "" {
		return nil, nil, notInUse()
	}
	o, err := t.Organization(t.ctx, a.OrgID)
	if err != nil {
		return nil, nil, fmt.Errorf("org: read organization %s of account %s: %w", a.OrgID, a.ID, err)
	}
	return a, o, nil
}

// management returns the caller's organization when the caller is its management account;
// any other member gets AccessDenied, a standalone account AWSOrganizationsNotInUse.
func (t *txn) management() (*Account, *Organization, error) {
	a, o, err := t.membership()
	if err != nil {
		return nil, nil, err
	}
	if o.ManagementAccountID != a.ID {
		return nil, nil, accessDenied()
	}
	return a, o, nil
}

// member returns the account with this id if it belongs to organization o.
func (t *txn) member(o *Organization, id string) (*Account, error) {
	a, err := t.account(id)
	if err != nil {
		return nil, err
	}
	if a.OrgID != o.ID {
		return nil, accountNotFound(id)
	}
	return a, nil
}

func accountOutput(o *Organization, a *Account) model.Account {
	out := model.Account{
		Id:              model.Ptr(a.ID),
		Arn:             model.Ptr(accountARN(o, a.ID)),
		Email:           model.Ptr(a.Email),
		Name:            model.Ptr(a.Name),
		State:           model.Ptr(a.State),
		Paths:           []string{o.ID + "/" + a.ParentID + "/" + a.ID + "/"},
		JoinedMethod:    model.Ptr(a.JoinedMethod),
		JoinedTimestamp: model.Ptr(a.JoinedAt),
	}
	// Status is the deprecated twin of State and has no value for PENDING_ACTIVATION or CLOSED.
	switch a.State {
	case model.AccountStatusActive, model.AccountStatusSuspended, model.AccountStatusPendingClosure:
		out.Status = model.Ptr(a.State)
	}
	return out
}

// DescribeAccount returns an account of the caller's organization.
func (s *Service) DescribeAccount(ctx context.Context, in *model.DescribeAccountRequest) (*model.DescribeAccountResponse, error) {
	var out model.DescribeAccountResponse
	err := s.view(ctx, func(t *txn) error {
		_, o, err := t.management()
		if err != nil {
			return err
		}
		a, err := t.member(o, *in.AccountId)
		if err != nil {
			return err
		}
		acct := accountOutput(o, a)
		out.Account = &acct
		return nil
	})
	return &out, err
}

// ListAccounts lists the organization's accounts, the management account included, by id.
func (s *Service) ListAccounts(ctx context.Context, in *model.ListAccountsRequest) (*model.ListAccountsResponse, error) {
	out := model.ListAccountsResponse{Accounts: []model.Account{}}
	err := s.view(ctx, func(t *txn) error {
		_, o, err := t.management()
		if err != nil {
			return err
		}
		accts, next, err := t.accountPage("ListAccounts", o, "", in.NextToken, in.MaxResults)
		for i := range accts {
			out.Accounts = append(out.Accounts, accountOutput(o, &accts[i]))
		}
		out.NextToken = next
		return err
	})
	return &out, err
}

// ListAccountsForParent lists the accounts directly under a root (OUs come with issue 3).
func (s *Service) ListAccountsForParent(ctx context.Context, in *model.ListAccountsForParentRequest) (*model.ListAccountsForParentResponse, error) {
	out := model.ListAccountsForParentResponse{Accounts: []model.Account{}}
	err := s.view(ctx, func(t *txn) error {
		_, o, err := t.management()
		if err != nil {
			return err
		}
		if err := checkParent(o, *in.ParentId); err != nil {
			return err
		}
		accts, next, err := t.accountPage("ListAccountsForParent", o, *in.ParentId, in.NextToken, in.MaxResults)
		for i := range accts {
			out.Accounts = append(out.Accounts, accountOutput(o, &accts[i]))
		}
		out.NextToken = next
		return err
	})
	return &out, err
}

// checkParent answers ParentNotFound for anything but the organization's root.
func checkParent(o *Organization, parentID string) error {
	if parentID != o.RootID {
		return model.Errorf(model.CodeParentNotFoundException, "", "We can't find a root or OU with the ParentId that you specified: %s.", parentID)
	}
	return nil
}

// accountPage reads one page of the organization's accounts (under parentID when set).
func (t *txn) accountPage(op string, o *Organization, parentID string, token *string, maxResults *int32) ([]Account, *string, error) {
	scope := op + "|" + t.caller.AccountID + "|" + o.ID + "|" + parentID
	after, err := t.svc.pageStart(scope, token)
	if err != nil {
		return nil, nil, err
	}
	n := pageSize(maxResults)
	accts, err := t.ListAccounts(t.ctx, AccountQuery{OrgID: o.ID, ParentID: parentID, AfterID: after, Limit: n + 1})
	if err != nil {
		return nil, nil, fmt.Errorf("org: list accounts of %s: %w", o.ID, err)
	}
	if len(accts) <= n {
		return accts, nil, nil
	}
	accts = accts[:n]
	return accts, t.svc.nextToken(scope, accts[n-1].ID), nil
}

// ListParents returns the parent of an account: its root until OUs arrive.
func (s *Service) ListParents(ctx context.Context, in *model.ListParentsRequest) (*model.ListParentsResponse, error) {
	var out model.ListParentsResponse
	err := s.view(ctx, func(t *txn) error {
		_, o, err := t.management()
		if err != nil {
			return err
		}
		if _, err := t.pageStart(in.NextToken); err != nil {
			return err
		}
		a, err := t.account(*in.ChildId)
		if err != nil {
			return err
		}
		if !isAccountID(*in.ChildId) || a.OrgID != o.ID {
			return model.Errorf(model.CodeChildNotFoundException, "", "We can't find an organizational unit (OU) or account with the ChildId that you specified: %s.", *in.ChildId)
		}
		out.Parents = []model.Parent{{Id: model.Ptr(a.ParentID), Type: model.Ptr(model.ParentTypeRoot)}}
		return nil
	})
	return &out, err
}

// pageStart validates the NextToken of a list that always fits one page: it never hands out
// a token, so any token is foreign.
func (t *txn) pageStart(token *string) (string, error) {
	return t.svc.pageStart("single-page", token)
}

// ListChildren lists the accounts or OUs directly under a parent.
func (s *Service) ListChildren(ctx context.Context, in *model.ListChildrenRequest) (*model.ListChildrenResponse, error) {
	out := model.ListChildrenResponse{Children: []model.Child{}}
	err := s.view(ctx, func(t *txn) error {
		_, o, err := t.management()
		if err != nil {
			return err
		}
		if err := checkParent(o, *in.ParentId); err != nil {
			return err
		}
		if *in.ChildType == model.ChildTypeOrganizationalUnit {
			// The root has no OUs until issue 3 brings them.
			_, err := t.pageStart(in.NextToken)
			return err
		}
		accts, next, err := t.accountPage("ListChildren", o, *in.ParentId, in.NextToken, in.MaxResults)
		for _, a := range accts {
			out.Children = append(out.Children, model.Child{Id: model.Ptr(a.ID), Type: model.Ptr(model.ChildTypeAccount)})
		}
		out.NextToken = next
		return err
	})
	return &out, err
}

// RemoveAccountFromOrganization makes a member account standalone again.
func (s *Service) RemoveAccountFromOrganization(ctx context.Context, in *model.RemoveAccountFromOrganizationRequest) error {
	return s.update(ctx, func(t *txn) error {
		_, o, err := t.management()
		if err != nil {
			return err
		}
		a, err := t.member(o, *in.AccountId)
		if err != nil {
			return err
		}
		return t.leave(o, a)
	})
}

// LeaveOrganization lets a member account leave its organization.
func (s *Service) LeaveOrganization(ctx context.Context) error {
	return s.update(ctx, func(t *txn) error {
		a, o, err := t.membership()
		if err != nil {
			return err
		}
		return t.leave(o, a)
	})
}

// leave applies the rules shared by RemoveAccountFromOrganization and LeaveOrganization.
func (t *txn) leave(o *Organization, a *Account) error {
	if a.ID == o.ManagementAccountID {
		return model.Errorf(model.CodeMasterCannotLeaveOrganizationException, "",
			"You can't remove a management account from an organization. If you want the management account to become a member account in another organization, you must first delete the current organization of the management account.")
	}
	// A standalone account pays its own bills, so it needs a payment method of its own.
	if !a.PaymentInstrument {
		return constraintViolation(model.ConstraintViolationExceptionReasonMemberAccountPaymentInstrumentRequired,
			"Account %s cannot leave the organization without a payment instrument.", a.ID)
	}
	a.makeStandalone()
	if err := t.PutAccount(t.ctx, a); err != nil {
		return fmt.Errorf("org: remove account %s: %w", a.ID, err)
	}
	// An account's tags belong to the organization and are deleted when it leaves.
	if err := t.DeleteAllTags(t.ctx, a.ID); err != nil {
		return fmt.Errorf("org: delete tags of %s: %w", a.ID, err)
	}
	return t.withdrawApproval(o, a.ID)
}
