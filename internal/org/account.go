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
	if !model.IsAccountID(id) {
		return nil, false, nil
	}
	a, err = t.account(id)
	if err != nil || !strings.EqualFold(a.Email, email) {
		return nil, false, err
	}
	return a, true, nil
}

// membership returns the caller's account and organization, or AWSOrganizationsNotInUse. An
// organization lives in one partition: to a caller signing for a region of another, it does
// not exist, as an organization of aws-cn does not in aws.
func (t *txn) membership() (*Account, *Organization, error) {
	a, o, err := t.callerAccount()
	if err != nil {
		return nil, nil, err
	}
	if o == nil {
		return nil, nil, notInUse()
	}
	return a, o, nil
}

// callerAccount returns the caller's account and its organization (nil for an account in
// none, or in one of another partition), once IAM has allowed the call (see guardrail):
// every operation asks it, through membership or directly, before any rule of its own.
func (t *txn) callerAccount() (*Account, *Organization, error) {
	a, err := t.account(t.caller.AccountID)
	if err != nil {
		return nil, nil, err
	}
	var o *Organization
	if a.OrgID != "" {
		if o, err = t.Organization(t.ctx, a.OrgID); err != nil {
			return nil, nil, fmt.Errorf("org: read organization %s of account %s: %w", a.OrgID, a.ID, err)
		}
		if o.Partition != t.caller.partition() {
			o = nil
		}
	}
	if err := t.guardrail(a, o); err != nil {
		return nil, nil, err
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

// accountOutput shows account a of organization o, which sits under the parent whose path
// is parentPath. The output points into a, which must not change while it is in use, and
// its own values share one allocation: ListAccounts shows twenty accounts a call.
func accountOutput(o *Organization, a *Account, parentPath, state string) model.Account {
	v := &struct {
		arn, state string
		paths      [1]string
	}{arn: accountARN(o, a.ID), state: state, paths: [1]string{parentPath + a.ID + "/"}}
	out := model.Account{
		Id:              &a.ID,
		Arn:             &v.arn,
		Email:           &a.Email,
		Name:            &a.Name,
		State:           &v.state,
		Paths:           v.paths[:],
		JoinedMethod:    &a.JoinedMethod,
		JoinedTimestamp: &a.JoinedAt,
	}
	// Status is the deprecated twin of State and has no value for PENDING_ACTIVATION or CLOSED.
	switch state {
	case model.AccountStatusActive, model.AccountStatusSuspended, model.AccountStatusPendingClosure:
		out.Status = &v.state
	}
	return out
}

// accountsOutput shows a page of accounts, reading each parent's path once.
func (t *txn) accountsOutput(o *Organization, accts []Account) ([]model.Account, error) {
	paths := map[string]string{}
	out := make([]model.Account, 0, len(accts))
	for i := range accts {
		a := &accts[i]
		path, ok := paths[a.ParentID]
		if !ok {
			p, err := t.mustParent(o, a.ParentID)
			if err != nil {
				return nil, fmt.Errorf("org: parent %s of account %s: %w", a.ParentID, a.ID, err)
			}
			path, paths[a.ParentID] = p.Path, p.Path
		}
		out = append(out, accountOutput(o, a, path, t.accountState(a)))
	}
	return out, nil
}

// closedRetention is how long a closed account stays SUSPENDED, and can be reopened through
// AWS Support, before it is CLOSED for good.
const closedRetention = 90 * 24 * time.Hour

// accountState is an account's AccountState now. A closure moves through PENDING_CLOSURE and
// SUSPENDED to CLOSED on the server's clock alone, so reading it needs no write (spec §6.5).
// Closed accounts stay listed as CLOSED: AWS's newer CLOSED state implies they do [INF].
func (t *txn) accountState(a *Account) string {
	switch {
	case a.ClosedAt.IsZero():
		return a.State
	case t.now.Before(a.ClosedAt.Add(t.svc.cfg.CloseAccountDelay)):
		return model.AccountStatePendingClosure
	case t.now.Before(a.ClosedAt.Add(t.svc.cfg.CloseAccountDelay + closedRetention)):
		return model.AccountStateSuspended
	}
	return model.AccountStateClosed
}

// CloseAccount closes a member account: PENDING_CLOSURE, then SUSPENDED for 90 days, then
// CLOSED. The account stays in the organization, and in its account quota, throughout.
func (s *Service) CloseAccount(ctx context.Context, in *model.CloseAccountRequest) error {
	ctx = guard(ctx, "CloseAccount", in)
	return s.update(ctx, func(t *txn) error {
		_, o, err := t.management()
		if err != nil {
			return err
		}
		a, err := t.member(o, *in.AccountId)
		if err != nil {
			return err
		}
		if a.ID == o.ManagementAccountID {
			return constraintViolation(model.ConstraintViolationExceptionReasonCannotCloseManagementAccount,
				"You can't close the management account with CloseAccount.")
		}
		if !a.ClosedAt.IsZero() {
			return model.Fail(model.CodeAccountAlreadyClosedException, "", "The account %s is already closed.", a.ID)
		}
		closing, err := t.CountClosures(t.ctx, o.ID, t.now.Add(-s.cfg.CloseAccountDelay))
		if err != nil {
			return fmt.Errorf("org: count closures of %s: %w", o.ID, err)
		}
		if closing >= maxConcurrentClosures {
			return constraintViolation(model.ConstraintViolationExceptionReasonCloseAccountRequestsLimitExceeded,
				"%d accounts are being closed; wait for one to finish.", closing)
		}
		recent, err := t.CountClosures(t.ctx, o.ID, t.now.Add(-closureWindow))
		if err != nil {
			return fmt.Errorf("org: count closures of %s: %w", o.ID, err)
		}
		members, err := t.CountAccounts(t.ctx, o.ID)
		if err != nil {
			return fmt.Errorf("org: count accounts of %s: %w", o.ID, err)
		}
		if limit := s.closureQuota(members); recent >= limit {
			return constraintViolation(model.ConstraintViolationExceptionReasonCloseAccountQuotaExceeded,
				"You can close at most %d accounts in 30 days.", limit)
		}
		a.ClosedAt = t.now
		if err := t.PutAccount(t.ctx, a); err != nil {
			return fmt.Errorf("org: close account %s: %w", a.ID, err)
		}
		return nil
	})
}

// AWS's closure quotas (spec §6.6): three closures in progress at once, and in any 30 days
// a fifth of the members, within Quotas.MinClosuresPer30Days and MaxClosuresPer30Days.
const (
	maxConcurrentClosures = 3
	closureWindow         = 30 * 24 * time.Hour
)

func (s *Service) closureQuota(members int) int {
	q := s.cfg.Quotas
	return min(q.MaxClosuresPer30Days, max(q.MinClosuresPer30Days, members/5))
}

// DescribeAccount returns an account of the caller's organization.
func (s *Service) DescribeAccount(ctx context.Context, in *model.DescribeAccountRequest) (*model.DescribeAccountResponse, error) {
	ctx = guard(ctx, "DescribeAccount", in)
	return viewOut(s, ctx, model.DescribeAccountResponse{}, func(t *txn, out *model.DescribeAccountResponse) error {
		_, o, err := t.authorize("DescribeAccount", *in.AccountId, "")
		if err != nil {
			return err
		}
		a, err := t.member(o, *in.AccountId)
		if err != nil {
			return err
		}
		accts, err := t.accountsOutput(o, []Account{*a})
		if err != nil {
			return err
		}
		out.Account = &accts[0]
		return nil
	})
}

// ListAccounts lists the organization's accounts, the management account included, by id.
func (s *Service) ListAccounts(ctx context.Context, in *model.ListAccountsRequest) (*model.ListAccountsResponse, error) {
	ctx = guard(ctx, "ListAccounts", in)
	return viewOut(s, ctx, model.ListAccountsResponse{Accounts: []model.Account{}}, func(t *txn, out *model.ListAccountsResponse) error {
		_, o, err := t.authorize("ListAccounts", "", "")
		if err != nil {
			return err
		}
		accts, next, err := t.accountPage("ListAccounts", o, "", in.NextToken, in.MaxResults)
		if err != nil {
			return err
		}
		out.NextToken = next
		out.Accounts, err = t.accountsOutput(o, accts)
		return err
	})
}

// ListAccountsForParent lists the accounts directly under a root or OU.
func (s *Service) ListAccountsForParent(ctx context.Context, in *model.ListAccountsForParentRequest) (*model.ListAccountsForParentResponse, error) {
	ctx = guard(ctx, "ListAccountsForParent", in)
	return viewOut(s, ctx, model.ListAccountsForParentResponse{Accounts: []model.Account{}}, func(t *txn, out *model.ListAccountsForParentResponse) error {
		_, o, err := t.authorize("ListAccountsForParent", *in.ParentId, "")
		if err != nil {
			return err
		}
		p, err := t.mustParent(o, *in.ParentId)
		if err != nil {
			return err
		}
		accts, next, err := t.accountPage("ListAccountsForParent", o, p.ID, in.NextToken, in.MaxResults)
		if err != nil {
			return err
		}
		out.NextToken = next
		// Every account of the page has this parent.
		for i := range accts {
			out.Accounts = append(out.Accounts, accountOutput(o, &accts[i], p.Path, t.accountState(&accts[i])))
		}
		return nil
	})
}

// accountPage reads one page of the organization's accounts (under parentID when set): by id,
// or in the order they joined under the moto profile (moto appends, the management account
// first).
func (t *txn) accountPage(op string, o *Organization, parentID string, token *string, maxResults *int32) ([]Account, *string, error) {
	scope := op + "|" + t.caller.AccountID + "|" + o.ID + "|" + parentID + t.svc.orderScope()
	if t.svc.creationOrder() {
		return seqPageOf(t.svc, scope, token, maxResults, func(afterSeq int64, limit int) ([]Account, error) {
			accts, err := t.ListAccounts(t.ctx, AccountQuery{OrgID: o.ID, ParentID: parentID, Order: ByCreation, AfterSeq: afterSeq, Limit: limit})
			if err != nil {
				return nil, fmt.Errorf("org: list accounts of %s: %w", o.ID, err)
			}
			return accts, nil
		}, func(a Account) int64 { return a.Seq })
	}
	return pageOf(t.svc, scope, token, maxResults, func(after string, limit int) ([]Account, error) {
		accts, err := t.ListAccounts(t.ctx, AccountQuery{OrgID: o.ID, ParentID: parentID, AfterID: after, Limit: limit})
		if err != nil {
			return nil, fmt.Errorf("org: list accounts of %s: %w", o.ID, err)
		}
		return accts, nil
	}, func(a Account) string { return a.ID })
}

// ListParents returns the one parent of an account or OU: a root or an OU.
func (s *Service) ListParents(ctx context.Context, in *model.ListParentsRequest) (*model.ListParentsResponse, error) {
	ctx = guard(ctx, "ListParents", in)
	return viewOut(s, ctx, model.ListParentsResponse{}, func(t *txn, out *model.ListParentsResponse) error {
		_, o, err := t.authorize("ListParents", *in.ChildId, "")
		if err != nil {
			return err
		}
		if _, err := t.pageStart(in.NextToken); err != nil {
			return err
		}
		parent, err := t.parentOf(o, *in.ChildId)
		if err != nil {
			return err
		}
		typ := model.ParentTypeOrganizationalUnit
		if parent == o.RootID {
			typ = model.ParentTypeRoot
		}
		out.Parents = []model.Parent{{Id: model.Ptr(parent), Type: model.Ptr(typ)}}
		return nil
	})
}

// parentOf returns the parent id of an account or OU of organization o, or
// ChildNotFoundException.
func (t *txn) parentOf(o *Organization, child string) (string, error) {
	notFound := model.Fail(model.CodeChildNotFoundException, "", "We can't find an organizational unit (OU) or account with the ChildId that you specified: %s.", child)
	if model.IsAccountID(child) {
		a, err := t.account(child)
		if err != nil {
			return "", err
		}
		if a.OrgID != o.ID {
			return "", notFound
		}
		return a.ParentID, nil
	}
	u, err := t.ou(o, child)
	if isNotFound(err) {
		return "", notFound
	}
	if err != nil {
		return "", err
	}
	return u.ParentID, nil
}

// pageStart validates the NextToken of a list that always fits one page: it never hands out
// a token, so any token is foreign.
func (t *txn) pageStart(token *string) (string, error) {
	return t.svc.pageStart("single-page", token)
}

// ListChildren lists the accounts or OUs directly under a parent.
func (s *Service) ListChildren(ctx context.Context, in *model.ListChildrenRequest) (*model.ListChildrenResponse, error) {
	ctx = guard(ctx, "ListChildren", in)
	return viewOut(s, ctx, model.ListChildrenResponse{Children: []model.Child{}}, func(t *txn, out *model.ListChildrenResponse) error {
		_, o, err := t.authorize("ListChildren", *in.ParentId, "")
		if err != nil {
			return err
		}
		p, err := t.mustParent(o, *in.ParentId)
		if err != nil {
			return err
		}
		if *in.ChildType == model.ChildTypeOrganizationalUnit {
			us, next, err := t.ouPage("ListChildren|OU", o, p.ID, in.NextToken, in.MaxResults)
			for _, u := range us {
				out.Children = append(out.Children, model.Child{Id: model.Ptr(u.ID), Type: model.Ptr(model.ChildTypeOrganizationalUnit)})
			}
			out.NextToken = next
			return err
		}
		accts, next, err := t.accountPage("ListChildren", o, p.ID, in.NextToken, in.MaxResults)
		for _, a := range accts {
			out.Children = append(out.Children, model.Child{Id: model.Ptr(a.ID), Type: model.Ptr(model.ChildTypeAccount)})
		}
		out.NextToken = next
		return err
	})
}

// RemoveAccountFromOrganization makes a member account standalone again.
func (s *Service) RemoveAccountFromOrganization(ctx context.Context, in *model.RemoveAccountFromOrganizationRequest) error {
	ctx = guard(ctx, "RemoveAccountFromOrganization", in)
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
	ctx = guard(ctx, "LeaveOrganization", nil)
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
		return model.Fail(model.CodeMasterCannotLeaveOrganizationException, "",
			"You can't remove a management account from an organization. If you want the management account to become a member account in another organization, you must first delete the current organization of the management account.")
	}
	delegate, err := t.isDelegatedAdministrator(o, a.ID)
	if err != nil {
		return err
	}
	if delegate {
		return constraintViolation(model.ConstraintViolationExceptionReasonCannotRemoveDelegatedAdministratorFromOrg,
			"The account %s is a delegated administrator; deregister it before it leaves the organization.", a.ID)
	}
	// A created account must stay a few days before it may go (AWS: 4 days).
	if t.svc.quotasApply() && a.JoinedMethod == model.AccountJoinedMethodCreated && t.now.Before(a.JoinedAt.Add(t.svc.cfg.Quotas.CreatedAccountWait)) {
		return constraintViolation(model.ConstraintViolationExceptionReasonWaitPeriodActive,
			"account %s was created at %s and may leave from %s", a.ID, a.JoinedAt.Format(time.RFC3339),
			a.JoinedAt.Add(t.svc.cfg.Quotas.CreatedAccountWait).Format(time.RFC3339))
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
	// An account's tags and policy attachments belong to the organization and go when it
	// leaves.
	if err := t.DeleteAllTags(t.ctx, a.ID); err != nil {
		return fmt.Errorf("org: delete tags of %s: %w", a.ID, err)
	}
	if err := t.detachAllPolicies(o, a.ID); err != nil {
		return err
	}
	return t.withdrawApproval(o, a.ID)
}
