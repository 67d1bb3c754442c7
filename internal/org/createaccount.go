package org

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/orgd/orgd/internal/model"
)

// Account creation (spec §6.4) is asynchronous as in AWS: CreateAccount answers a request
// IN_PROGRESS, and the request is settled (SUCCEEDED or FAILED) once Config.CreateAccountDelay
// has passed on the server's clock. Settling is done by the first transaction after that
// moment (see settleCreations), so there is no background job and the admin clock drives it.

// defaultRoleName is the role AWS creates in a new account when RoleName is omitted.
const defaultRoleName = "OrganizationAccountAccessRole"

// reservedRolePrefix begins the names of IAM's service-linked roles, which no RoleName may take.
const reservedRolePrefix = "AWSServiceRoleFor"

func newCreateAccountRequestID() string { return "car-" + randomString(hexDigits, 32) }

// newAccountID picks a 12-digit id no stored account has. Ids of accounts the store has not
// seen are taken as standalone accounts, so this cannot rule out every clash; it avoids
// leading zeros, the ids people write by hand, to make one unlikely.
func (t *txn) newAccountID() (string, error) {
	for {
		id := randomString("123456789", 1) + randomString("0123456789", 11)
		_, err := t.Account(t.ctx, id)
		if isNotFound(err) {
			return id, nil
		}
		if err != nil {
			return "", fmt.Errorf("org: check account id %s: %w", id, err)
		}
	}
}

// createAccountStatus is the request as the caller sees it now: IN_PROGRESS until settled.
func createAccountStatus(r *CreateAccountRequest) *model.CreateAccountStatus {
	out := &model.CreateAccountStatus{
		Id:                 model.Ptr(r.ID),
		AccountName:        model.Ptr(r.AccountName),
		State:              model.Ptr(r.State),
		RequestedTimestamp: model.Ptr(r.RequestedAt),
	}
	if r.State == model.CreateAccountStateInProgress {
		return out
	}
	out.CompletedTimestamp = model.Ptr(r.CompletedAt)
	if r.AccountID != "" {
		out.AccountId = model.Ptr(r.AccountID)
	}
	if r.GovCloudAccountID != "" {
		out.GovCloudAccountId = model.Ptr(r.GovCloudAccountID)
	}
	if r.FailureReason != "" {
		out.FailureReason = model.Ptr(r.FailureReason)
	}
	return out
}

// CreateAccount creates a member account of the caller's organization.
func (s *Service) CreateAccount(ctx context.Context, in *model.CreateAccountRequest) (*model.CreateAccountResponse, error) {
	ctx = guard(ctx, "CreateAccount", in)
	st, err := s.createAccount(ctx, newCreation(in.Email, in.AccountName, in.RoleName, in.IamUserAccessToBilling, in.Tags, false), in.Tags, "")
	return &model.CreateAccountResponse{CreateAccountStatus: st}, err
}

// CreateGovCloudAccount creates a member account and the standalone GovCloud account linked
// to it; the tags go to the commercial account, as in AWS.
func (s *Service) CreateGovCloudAccount(ctx context.Context, in *model.CreateGovCloudAccountRequest) (*model.CreateGovCloudAccountResponse, error) {
	ctx = guard(ctx, "CreateGovCloudAccount", in)
	st, err := s.createAccount(ctx, newCreation(in.Email, in.AccountName, in.RoleName, in.IamUserAccessToBilling, in.Tags, true), in.Tags, "")
	return &model.CreateGovCloudAccountResponse{CreateAccountStatus: st}, err
}

func newCreation(email, name, role, billing *string, tags []model.Tag, govCloud bool) *CreateAccountRequest {
	r := &CreateAccountRequest{
		Email: *email, AccountName: *name, RoleName: defaultRoleName,
		IAMUserAccessToBilling: model.IAMUserAccessToBillingAllow, Tags: tagsFromModel(tags), GovCloud: govCloud,
	}
	if role != nil {
		r.RoleName = *role
	}
	if billing != nil {
		r.IAMUserAccessToBilling = *billing
	}
	return r
}

// CreateAccountWithID is CreateAccount giving the new account the id chosen, for orgd's own
// callers (the declarative bootstrap), never the AWS API, which has no way to choose one: a
// landing zone's accounts keep the ids its scripts name, and join CREATED as AWS's own
// landing zones' do. The caller in ctx must be the management account, and every rule and
// quota of CreateAccount applies; the request is settled before it returns, whatever
// Config.CreateAccountDelay, so the status is SUCCEEDED, or FAILED with AWS's reason. An id
// that any stored account already has (a member, the management account, a registered
// standalone account) is a DuplicateAccountException: the new account would be another.
func (s *Service) CreateAccountWithID(ctx context.Context, id string, in *model.CreateAccountRequest) (*model.CreateAccountStatus, error) {
	if !model.IsAccountID(id) {
		return nil, invalidInput(model.InvalidInputExceptionReasonInvalidPattern, "An account id is 12 digits, not %q.", id)
	}
	if err := model.Validate(in); err != nil {
		return nil, err
	}
	ctx = guard(ctx, "CreateAccount", in)
	return s.createAccount(ctx, newCreation(in.Email, in.AccountName, in.RoleName, in.IamUserAccessToBilling, in.Tags, false), in.Tags, id)
}

// createAccount records request r; tags are its tags as sent, checked before anything is
// written. chosen is the new account's id (CreateAccountWithID), "" for a new one.
func (s *Service) createAccount(ctx context.Context, r *CreateAccountRequest, tags []model.Tag, chosen string) (*model.CreateAccountStatus, error) {
	// The model's INVALID_ROLE_NAME: "A role name can't begin with the reserved prefix
	// AWSServiceRoleFor" (IAM keeps it for service-linked roles). An input check, so it comes
	// before the caller's rights, as the model's pattern checks do.
	if strings.HasPrefix(r.RoleName, reservedRolePrefix) {
		return nil, invalidInput(model.InvalidInputExceptionReasonInvalidRoleName,
			"RoleName %s begins with the reserved prefix %s", r.RoleName, reservedRolePrefix)
	}
	var out *model.CreateAccountStatus
	err := s.update(ctx, func(t *txn) error {
		mgmt, o, err := t.management()
		if err != nil {
			return err
		}
		if err := checkNewTags(tags); err != nil {
			return err
		}
		// The account joins under the root; for CreateGovCloudAccount the tags are the
		// commercial account's.
		if err := t.enforceTagPolicy(o, tagTarget{resourceType: tagTypeAccount}, tags); err != nil {
			return err
		}
		if !mgmt.PaymentInstrument {
			return constraintViolation(model.ConstraintViolationExceptionReasonMasterAccountPaymentInstrumentRequired,
				"You must provide a valid payment instrument for account %s before you can create accounts.", mgmt.ID)
		}
		if s.quotasApply() {
			if err := t.checkCreationQuotas(o); err != nil {
				return err
			}
		}
		r.ID, r.OrgID, r.State = newCreateAccountRequestID(), o.ID, model.CreateAccountStateInProgress
		r.RequestedAt, r.CompletesAt = t.now, t.now.Add(s.cfg.CreateAccountDelay)
		// The answer is IN_PROGRESS even when the request settles at once: AWS's CreateAccount
		// always answers before the account exists. moto's answers the settled request, and
		// its users read AccountId from it without polling, so the moto profile does too.
		out = createAccountStatus(r)
		if chosen != "" {
			if _, err := t.Account(t.ctx, chosen); err == nil {
				return model.Fail(model.CodeDuplicateAccountException, "", "Account %s already exists; an account created with a chosen id needs one no account has.", chosen)
			} else if !isNotFound(err) {
				return fmt.Errorf("org: check account id %s: %w", chosen, err)
			}
			r.CompletesAt = t.now
			if err := t.settleCreationAs(r, chosen); err != nil {
				return err
			}
			out = createAccountStatus(r)
			return nil
		}
		if s.cfg.CreateAccountDelay <= 0 {
			if err := t.settleCreation(r); err != nil { // which records the request, settled
				return err
			}
			if s.cfg.Compat == CompatMoto {
				out = createAccountStatus(r)
			}
			return nil
		}
		if err := t.PutCreateAccountRequest(t.ctx, r); err != nil {
			return fmt.Errorf("org: record account creation: %w", err)
		}
		return nil
	})
	return out, err
}

// checkCreationQuotas applies the quota of account creations in flight and the account
// quota, which members, open invitations and creations in flight count against.
func (t *txn) checkCreationQuotas(o *Organization) error {
	q := t.svc.cfg.Quotas
	members, invited, creating, err := t.accountQuotaUse(o)
	if err != nil {
		return err
	}
	// AWS allows five creations in flight and documents no error for the sixth; a
	// throttling error is what a client can retry [INF].
	if creating >= q.MaxConcurrentCreations {
		return model.Fail(model.CodeTooManyRequestsException, "",
			"The organization already has %d account creations in progress; wait for one to finish.", creating)
	}
	if members+invited+creating+1 > q.MaxAccounts {
		return constraintViolation(model.ConstraintViolationExceptionReasonAccountNumberLimitExceeded,
			"The organization has reached its quota of %d accounts.", q.MaxAccounts)
	}
	return nil
}

// accountQuotaUse counts what the account quota counts: members, open invitations and
// account creations in progress. It runs in write transactions only: it stores the
// invitations that expired since as EXPIRED.
func (t *txn) accountQuotaUse(o *Organization) (members, invited, creating int, err error) {
	if members, err = t.CountAccounts(t.ctx, o.ID); err != nil {
		return 0, 0, 0, fmt.Errorf("org: count accounts of %s: %w", o.ID, err)
	}
	// Invitations past their expiry are stored EXPIRED first, so that the count of those
	// stored open is the count of those open now.
	if _, err = t.expireHandshakes(o.ID); err != nil {
		return 0, 0, 0, err
	}
	if invited, err = t.CountOpenInvitations(t.ctx, o.ID); err != nil {
		return 0, 0, 0, fmt.Errorf("org: count open invitations of %s: %w", o.ID, err)
	}
	creating, err = t.CountCreateAccountRequests(t.ctx, CreateAccountQuery{OrgID: o.ID, States: []string{model.CreateAccountStateInProgress}})
	if err != nil {
		return 0, 0, 0, fmt.Errorf("org: count account creations of %s: %w", o.ID, err)
	}
	return members, invited, creating, nil
}

// settleCreations settles every request due by now, in any organization; with all, every
// request in progress, as due now.
func (t *txn) settleCreations(all bool) error {
	q := CreateAccountQuery{States: []string{model.CreateAccountStateInProgress}, DueBy: t.now}
	if all {
		q.DueBy = time.Time{}
	}
	due, err := t.ListCreateAccountRequests(t.ctx, q)
	if err != nil {
		return fmt.Errorf("org: list due account creations: %w", err)
	}
	for i := range due {
		if due[i].CompletesAt.After(t.now) {
			due[i].CompletesAt = t.now
		}
		if err := t.settleCreation(&due[i]); err != nil {
			return err
		}
	}
	return nil
}

// creationsDue reports whether a request waits to be settled; the check is one index probe,
// so reads can afford it before every transaction.
func (t *txn) creationsDue() (bool, error) {
	n, err := t.CountCreateAccountRequests(t.ctx, CreateAccountQuery{States: []string{model.CreateAccountStateInProgress}, DueBy: t.now})
	if err != nil {
		return false, fmt.Errorf("org: count due account creations: %w", err)
	}
	return n > 0, nil
}

// settleCreation completes one request: the account joins the root of the organization with
// JoinedMethod CREATED, or the request fails with the reason AWS would give.
func (t *txn) settleCreation(r *CreateAccountRequest) error { return t.settleCreationAs(r, "") }

// settleCreationAs is settleCreation giving the account the id chosen, or a new one when
// chosen is "".
func (t *txn) settleCreationAs(r *CreateAccountRequest, chosen string) error {
	r.CompletedAt = r.CompletesAt
	reason, err := t.creationFailure(r)
	if err != nil {
		return err
	}
	if reason != "" {
		r.State, r.FailureReason = model.CreateAccountStateFailed, reason
		return t.putCreation(r)
	}
	o, err := t.Organization(t.ctx, r.OrgID)
	if err != nil {
		return fmt.Errorf("org: read organization %s: %w", r.OrgID, err)
	}
	mgmt, err := t.account(o.ManagementAccountID)
	if err != nil {
		return err
	}
	id := chosen
	if id == "" {
		if id, err = t.newAccountID(); err != nil {
			return err
		}
	}
	a := t.svc.defaultAccount(id)
	a.Email, a.Name, a.SellerOfRecord = r.Email, r.AccountName, mgmt.SellerOfRecord
	a.OrgID, a.ParentID = o.ID, o.RootID
	a.JoinedMethod, a.JoinedAt = model.AccountJoinedMethodCreated, r.CompletedAt
	if err := t.PutAccount(t.ctx, a); err != nil {
		return fmt.Errorf("org: create account %s: %w", id, err)
	}
	if err := t.PutTags(t.ctx, id, r.Tags); err != nil {
		return fmt.Errorf("org: tag account %s: %w", id, err)
	}
	if err := t.attachDefaultPolicies(o, id, model.TargetTypeAccount); err != nil {
		return err
	}
	if err := t.createAccountRole(id, r.RoleName, o.ManagementAccountID); err != nil {
		return err
	}
	r.State, r.AccountID = model.CreateAccountStateSucceeded, id
	if r.GovCloud {
		// The GovCloud account is standalone, in another partition; orgd only names it.
		gov, err := t.newAccountID()
		if err != nil {
			return err
		}
		g := t.svc.defaultAccount(gov)
		g.Email, g.Name = "govcloud+"+r.Email, r.AccountName
		if err := t.PutAccount(t.ctx, g); err != nil {
			return fmt.Errorf("org: create GovCloud account %s: %w", gov, err)
		}
		r.GovCloudAccountID = gov
	}
	return t.putCreation(r)
}

func (t *txn) putCreation(r *CreateAccountRequest) error {
	if err := t.PutCreateAccountRequest(t.ctx, r); err != nil {
		return fmt.Errorf("org: settle account creation %s: %w", r.ID, err)
	}
	return nil
}

// creationFailure returns the CreateAccountFailureReason of a request that cannot complete,
// or "" when it can.
func (t *txn) creationFailure(r *CreateAccountRequest) (string, error) {
	if _, err := t.Organization(t.ctx, r.OrgID); isNotFound(err) {
		return model.CreateAccountFailureReasonInternalFailure, nil
	} else if err != nil {
		return "", fmt.Errorf("org: read organization %s: %w", r.OrgID, err)
	}
	// Every AWS account has its own root user e-mail address.
	_, taken, err := t.accountByEmail(r.Email)
	if err != nil {
		return "", err
	}
	if !taken && r.GovCloud {
		_, taken, err = t.accountByEmail("govcloud+" + r.Email)
		if err != nil {
			return "", err
		}
	}
	if taken {
		return model.CreateAccountFailureReasonEmailAlreadyExists, nil
	}
	if !t.svc.quotasApply() {
		return "", nil
	}
	members, err := t.CountAccounts(t.ctx, r.OrgID)
	if err != nil {
		return "", fmt.Errorf("org: count accounts of %s: %w", r.OrgID, err)
	}
	if members >= t.svc.cfg.Quotas.MaxAccounts {
		return model.CreateAccountFailureReasonAccountLimitExceeded, nil
	}
	return "", nil
}

// DescribeCreateAccountStatus returns a request of the caller's organization.
func (s *Service) DescribeCreateAccountStatus(ctx context.Context, in *model.DescribeCreateAccountStatusRequest) (*model.DescribeCreateAccountStatusResponse, error) {
	ctx = guard(ctx, "DescribeCreateAccountStatus", in)
	return viewOut(s, ctx, model.DescribeCreateAccountStatusResponse{}, func(t *txn, out *model.DescribeCreateAccountStatusResponse) error {
		_, o, err := t.authorize("DescribeCreateAccountStatus", "", "")
		if err != nil {
			return err
		}
		r, err := t.CreateAccountRequest(t.ctx, *in.CreateAccountRequestId)
		if isNotFound(err) || (err == nil && r.OrgID != o.ID) {
			return model.Fail(model.CodeCreateAccountStatusNotFoundException, "",
				"We can't find a create account request with the CreateAccountRequestId that you specified: %s.", *in.CreateAccountRequestId)
		}
		if err != nil {
			return fmt.Errorf("org: read account creation %s: %w", *in.CreateAccountRequestId, err)
		}
		out.CreateAccountStatus = createAccountStatus(r)
		return nil
	})
}

// ListCreateAccountStatus lists the organization's requests in the order they were made.
func (s *Service) ListCreateAccountStatus(ctx context.Context, in *model.ListCreateAccountStatusRequest) (*model.ListCreateAccountStatusResponse, error) {
	ctx = guard(ctx, "ListCreateAccountStatus", in)
	return viewOut(s, ctx, model.ListCreateAccountStatusResponse{CreateAccountStatuses: []model.CreateAccountStatus{}}, func(t *txn, out *model.ListCreateAccountStatusResponse) error {
		_, o, err := t.authorize("ListCreateAccountStatus", "", "")
		if err != nil {
			return err
		}
		scope := "ListCreateAccountStatus|" + t.caller.AccountID + "|" + o.ID + "|" + strings.Join(in.States, ",")
		rs, next, err := seqPageOf(s, scope, in.NextToken, in.MaxResults, func(afterSeq int64, limit int) ([]CreateAccountRequest, error) {
			rs, err := t.ListCreateAccountRequests(t.ctx, CreateAccountQuery{OrgID: o.ID, States: in.States, AfterSeq: afterSeq, Limit: limit})
			if err != nil {
				return nil, fmt.Errorf("org: list account creations of %s: %w", o.ID, err)
			}
			return rs, nil
		}, func(r CreateAccountRequest) int64 { return r.Seq })
		if err != nil {
			return err
		}
		out.NextToken = next
		for i := range rs {
			out.CreateAccountStatuses = append(out.CreateAccountStatuses, *createAccountStatus(&rs[i]))
		}
		return nil
	})
}
