package org

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/orgd/orgd/internal/model"
)

// Trusted access (spec §8.3) lets an AWS service act on the organization; a delegated
// administrator (spec §8.2) is a member account that administers one such service and, for
// it, may read the organization (the "MGMT, DA" operations of spec §2). Both need all
// features: in a consolidated-billing organization they answer ConstraintViolationException
// ORGANIZATION_NOT_IN_ALL_FEATURES_MODE, the one exception of the model's error lists of
// these operations that names the cause.

// servicePrincipal describes a service that can be given trusted access.
type servicePrincipal struct {
	// maxAdmins is how many delegated administrators the service accepts. AWS publishes it
	// per service only for a few (CloudFormation StackSets 5, AWS Config 3); every other
	// service is taken to accept one [INF].
	maxAdmins int
}

// servicePrincipals are the services orgd recognises: the User Guide's 2023 integration list
// (spec §8.3) and the well-known principals added since. Any other principal answers
// InvalidInputException UNRECOGNIZED_SERVICE_PRINCIPAL.
var servicePrincipals = map[string]servicePrincipal{
	"access-analyzer.amazonaws.com":                     {1},
	"account.amazonaws.com":                             {1},
	"auditmanager.amazonaws.com":                        {1},
	"aws-artifact-account-sync.amazonaws.com":           {1},
	"backup.amazonaws.com":                              {1},
	"cloudtrail.amazonaws.com":                          {1},
	"cloudwatch-crossaccount.amazonaws.com":             {1},
	"compute-optimizer.amazonaws.com":                   {1},
	"config.amazonaws.com":                              {3},
	"config-multiaccountsetup.amazonaws.com":            {3},
	"controltower.amazonaws.com":                        {1},
	"cost-optimization-hub.bcm.amazonaws.com":           {1},
	"detective.amazonaws.com":                           {1},
	"devops-guru.amazonaws.com":                         {1},
	"ds.amazonaws.com":                                  {1},
	"fms.amazonaws.com":                                 {1},
	"guardduty.amazonaws.com":                           {1},
	"health.amazonaws.com":                              {1},
	"iam.amazonaws.com":                                 {1},
	"inspector2.amazonaws.com":                          {1},
	"ipam.amazonaws.com":                                {1},
	"license-management.marketplace.amazonaws.com":      {1},
	"license-manager.amazonaws.com":                     {1},
	"license-manager.member-account.amazonaws.com":      {1},
	"macie.amazonaws.com":                               {1},
	"malware-protection.guardduty.amazonaws.com":        {1},
	"member.org.stacksets.cloudformation.amazonaws.com": {5},
	"mgn.amazonaws.com":                                 {1},
	"ram.amazonaws.com":                                 {1},
	"reporting.trustedadvisor.amazonaws.com":            {1},
	"resource-explorer-2.amazonaws.com":                 {1},
	"securityhub.amazonaws.com":                         {1},
	"securitylake.amazonaws.com":                        {1},
	"servicecatalog.amazonaws.com":                      {1},
	"servicequotas.amazonaws.com":                       {1},
	"ssm.amazonaws.com":                                 {1},
	"sso.amazonaws.com":                                 {1},
	"stacksets.cloudformation.amazonaws.com":            {1},
	"storage-lens.s3.amazonaws.com":                     {1},
	"tagpolicies.tag.amazonaws.com":                     {1},
	"wellarchitected.amazonaws.com":                     {1},
}

// policyTypeServices couples the policy types that need a service's trusted access to that
// service: EnablePolicyType answers SERVICE_ACCESS_NOT_ENABLED without it, and
// DisableAWSServiceAccess POLICY_TYPE_ENABLED_FOR_THIS_SERVICE while the type is enabled.
// Only SECURITYHUB_POLICY is documented (spec §12); INSPECTOR_POLICY follows the same
// pattern [INF].
var policyTypeServices = map[string]string{
	model.PolicyTypeSecurityhubPolicy: "securityhub.amazonaws.com",
	model.PolicyTypeInspectorPolicy:   "inspector2.amazonaws.com",
}

// knownServicePrincipal returns the service, or UNRECOGNIZED_SERVICE_PRINCIPAL.
func knownServicePrincipal(p string) (servicePrincipal, error) {
	sp, ok := servicePrincipals[p]
	if !ok {
		return servicePrincipal{}, invalidInput(model.InvalidInputExceptionReasonUnrecognizedServicePrincipal,
			"You specified a service principal that isn't recognized: %s.", p)
	}
	return sp, nil
}

// manageService starts the writes to a service's trusted access and delegated
// administrators: only the management account makes them, only with all features, and only
// for a service orgd knows, checked in that order.
func (t *txn) manageService(principal string) (*Organization, servicePrincipal, error) {
	_, o, err := t.management()
	if err != nil {
		return nil, servicePrincipal{}, err
	}
	if err := requireAllFeatures(o); err != nil {
		return nil, servicePrincipal{}, err
	}
	sp, err := knownServicePrincipal(principal)
	if err != nil {
		return nil, servicePrincipal{}, err
	}
	return o, sp, nil
}

// requireAllFeatures answers ORGANIZATION_NOT_IN_ALL_FEATURES_MODE for a consolidated-billing
// organization.
func requireAllFeatures(o *Organization) error {
	if o.FeatureSet != model.OrganizationFeatureSetAll {
		return constraintViolation(model.ConstraintViolationExceptionReasonOrganizationNotInAllFeaturesMode,
			"The organization %s must have all features enabled for this operation.", o.ID)
	}
	return nil
}

// isDelegatedAdministrator reports whether the account is registered as delegated
// administrator of any service in organization o. RemoveAccountFromOrganization and
// LeaveOrganization refuse such an account (ConstraintViolationException
// CANNOT_REMOVE_DELEGATED_ADMINISTRATOR_FROM_ORG), and it may call the "MGMT, DA" reads.
func (t *txn) isDelegatedAdministrator(o *Organization, accountID string) (bool, error) {
	n, err := t.CountDelegatedAdmins(t.ctx, DelegatedAdminQuery{OrgID: o.ID, AccountID: accountID})
	if err != nil {
		return false, fmt.Errorf("org: count delegations of %s: %w", accountID, err)
	}
	return n > 0, nil
}

// deregisterAll removes every delegated-administrator registration of the account in o.
func (t *txn) deregisterAll(o *Organization, accountID string) error {
	if err := t.DeleteDelegatedAdmins(t.ctx, o.ID, accountID); err != nil {
		return fmt.Errorf("org: deregister %s: %w", accountID, err)
	}
	return nil
}

// serviceAccessEnabled reports whether the service has trusted access to o (EnablePolicyType
// of a type in policyTypeServices needs it).
func (t *txn) serviceAccessEnabled(o *Organization, principal string) (bool, error) {
	_, err := t.ServiceAccess(t.ctx, o.ID, principal)
	if isNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("org: read service access %s of %s: %w", principal, o.ID, err)
	}
	return true, nil
}

// deleteDelegationState removes what an organization holds of this file and of the
// delegation policy, for DeleteOrganization.
func (t *txn) deleteDelegationState(o *Organization) error {
	if err := t.DeleteServiceAccesses(t.ctx, o.ID); err != nil {
		return fmt.Errorf("org: delete service access of %s: %w", o.ID, err)
	}
	if err := t.DeleteDelegatedAdmins(t.ctx, o.ID, ""); err != nil {
		return fmt.Errorf("org: delete delegated admins of %s: %w", o.ID, err)
	}
	p, err := t.ResourcePolicy(t.ctx, o.ID)
	if isNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("org: read resource policy of %s: %w", o.ID, err)
	}
	if err := t.DeleteAllTags(t.ctx, p.ID); err != nil {
		return fmt.Errorf("org: delete tags of %s: %w", p.ID, err)
	}
	if err := t.DeleteResourcePolicy(t.ctx, o.ID); err != nil {
		return fmt.Errorf("org: delete resource policy of %s: %w", o.ID, err)
	}
	return nil
}

// EnableAWSServiceAccess gives a service trusted access. Enabling it again changes nothing
// and keeps its DateEnabled [INF].
func (s *Service) EnableAWSServiceAccess(ctx context.Context, in *model.EnableAWSServiceAccessRequest) error {
	ctx = guard(ctx, "EnableAWSServiceAccess", in)
	return s.update(ctx, func(t *txn) error {
		o, _, err := t.manageService(*in.ServicePrincipal)
		if err != nil {
			return err
		}
		on, err := t.serviceAccessEnabled(o, *in.ServicePrincipal)
		if err != nil || on {
			return err
		}
		if err := t.PutServiceAccess(t.ctx, &ServiceAccess{OrgID: o.ID, ServicePrincipal: *in.ServicePrincipal, EnabledAt: t.now}); err != nil {
			return fmt.Errorf("org: enable service access %s: %w", *in.ServicePrincipal, err)
		}
		return nil
	})
}

// DisableAWSServiceAccess withdraws a service's trusted access; a service without it is no
// error [INF]. The delegated administrators of the service stay registered, as in AWS, where
// the service itself cleans up [INF].
func (s *Service) DisableAWSServiceAccess(ctx context.Context, in *model.DisableAWSServiceAccessRequest) error {
	ctx = guard(ctx, "DisableAWSServiceAccess", in)
	return s.update(ctx, func(t *txn) error {
		o, _, err := t.manageService(*in.ServicePrincipal)
		if err != nil {
			return err
		}
		for typ, service := range policyTypeServices {
			if service != *in.ServicePrincipal {
				continue
			}
			if e, err := t.enabledPolicyType(o, typ); err != nil {
				return err
			} else if e != nil {
				return constraintViolation(model.ConstraintViolationExceptionReasonPolicyTypeEnabledForThisService,
					"You must disable %s before you can disable trusted access for %s.", typ, service)
			}
		}
		if err := t.DeleteServiceAccess(t.ctx, o.ID, *in.ServicePrincipal); err != nil && !isNotFound(err) {
			return fmt.Errorf("org: disable service access %s: %w", *in.ServicePrincipal, err)
		}
		return nil
	})
}

// ListAWSServiceAccessForOrganization lists the services with trusted access by principal,
// or in the order they were enabled under the moto profile (moto appends).
func (s *Service) ListAWSServiceAccessForOrganization(ctx context.Context, in *model.ListAWSServiceAccessForOrganizationRequest) (*model.ListAWSServiceAccessForOrganizationResponse, error) {
	ctx = guard(ctx, "ListAWSServiceAccessForOrganization", in)
	return viewOut(s, ctx, model.ListAWSServiceAccessForOrganizationResponse{EnabledServicePrincipals: []model.EnabledServicePrincipal{}}, func(t *txn, out *model.ListAWSServiceAccessForOrganizationResponse) error {
		_, o, err := t.authorize("ListAWSServiceAccessForOrganization", "", "")
		if err != nil {
			return err
		}
		if err := requireAllFeatures(o); err != nil {
			return err
		}
		scope := "ListAWSServiceAccessForOrganization|" + t.caller.AccountID + "|" + o.ID + s.orderScope()
		list := func(q ServiceAccessQuery) ([]ServiceAccess, error) {
			as, err := t.ListServiceAccess(t.ctx, q)
			if err != nil {
				return nil, fmt.Errorf("org: list service access of %s: %w", o.ID, err)
			}
			return as, nil
		}
		var as []ServiceAccess
		var next *string
		if s.creationOrder() {
			as, next, err = seqPageOf(s, scope, in.NextToken, in.MaxResults, func(afterSeq int64, limit int) ([]ServiceAccess, error) {
				return list(ServiceAccessQuery{OrgID: o.ID, Order: ByCreation, AfterSeq: afterSeq, Limit: limit})
			}, func(a ServiceAccess) int64 { return a.Seq })
		} else {
			as, next, err = pageOf(s, scope, in.NextToken, in.MaxResults, func(after string, limit int) ([]ServiceAccess, error) {
				return list(ServiceAccessQuery{OrgID: o.ID, After: after, Limit: limit})
			}, func(a ServiceAccess) string { return a.ServicePrincipal })
		}
		if err != nil {
			return err
		}
		out.NextToken = next
		for _, a := range as {
			out.EnabledServicePrincipals = append(out.EnabledServicePrincipals, model.EnabledServicePrincipal{
				ServicePrincipal: model.Ptr(a.ServicePrincipal), DateEnabled: model.Ptr(a.EnabledAt),
			})
		}
		return nil
	})
}

// isSuspended reports whether an account is suspended or on its way to closure; AWS refuses
// to register such an account (CANNOT_REGISTER_SUSPENDED_ACCOUNT_AS_DELEGATED_ADMINISTRATOR).
// A pending or finished closure counts, since it suspends the account [INF].
func (t *txn) isSuspended(a *Account) bool {
	switch t.accountState(a) {
	case model.AccountStateSuspended, model.AccountStatePendingClosure, model.AccountStateClosed:
		return true
	}
	return false
}

// RegisterDelegatedAdministrator makes a member account delegated administrator of a service
// that has trusted access.
func (s *Service) RegisterDelegatedAdministrator(ctx context.Context, in *model.RegisterDelegatedAdministratorRequest) error {
	ctx = guard(ctx, "RegisterDelegatedAdministrator", in)
	return s.update(ctx, func(t *txn) error {
		principal := *in.ServicePrincipal
		o, sp, err := t.manageService(principal)
		if err != nil {
			return err
		}
		a, err := t.member(o, *in.AccountId)
		if err != nil {
			return err
		}
		if a.ID == o.ManagementAccountID {
			return constraintViolation(model.ConstraintViolationExceptionReasonCannotRegisterMasterAsDelegatedAdministrator,
				"You can't register the management account %s as a delegated administrator.", a.ID)
		}
		if t.isSuspended(a) {
			return constraintViolation(model.ConstraintViolationExceptionReasonCannotRegisterSuspendedAccountAsDelegatedAdministrator,
				"You can't register the suspended account %s as a delegated administrator.", a.ID)
		}
		on, err := t.serviceAccessEnabled(o, principal)
		if err != nil {
			return err
		}
		if !on {
			return constraintViolation(model.ConstraintViolationExceptionReasonServiceAccessNotEnabled,
				"You must enable trusted access for %s with EnableAWSServiceAccess before you register a delegated administrator for it.", principal)
		}
		if _, err := t.DelegatedAdmin(t.ctx, o.ID, a.ID, principal); err == nil {
			return model.Fail(model.CodeAccountAlreadyRegisteredException, "",
				"The account %s is already a delegated administrator for %s.", a.ID, principal)
		} else if !isNotFound(err) {
			return fmt.Errorf("org: read delegation of %s for %s: %w", a.ID, principal, err)
		}
		n, err := t.CountDelegatedAdmins(t.ctx, DelegatedAdminQuery{OrgID: o.ID, ServicePrincipal: principal})
		if err != nil {
			return fmt.Errorf("org: count delegated admins for %s: %w", principal, err)
		}
		// A service with one administrator says that it has one; the others, that the limit
		// is reached (the model documents both reasons without saying which service uses
		// which [INF]).
		if n >= sp.maxAdmins {
			if sp.maxAdmins == 1 {
				return constraintViolation(model.ConstraintViolationExceptionReasonDelegatedAdministratorExistsForThisService,
					"The service %s already has a delegated administrator; deregister it first.", principal)
			}
			return constraintViolation(model.ConstraintViolationExceptionReasonMaxDelegatedAdministratorsForServiceLimitExceeded,
				"The service %s already has its maximum of %d delegated administrators.", principal, sp.maxAdmins)
		}
		if err := t.PutDelegatedAdmin(t.ctx, &DelegatedAdmin{OrgID: o.ID, AccountID: a.ID, ServicePrincipal: principal, EnabledAt: t.now}); err != nil {
			return fmt.Errorf("org: register %s for %s: %w", a.ID, principal, err)
		}
		return nil
	})
}

// DeregisterDelegatedAdministrator removes one registration.
func (s *Service) DeregisterDelegatedAdministrator(ctx context.Context, in *model.DeregisterDelegatedAdministratorRequest) error {
	ctx = guard(ctx, "DeregisterDelegatedAdministrator", in)
	return s.update(ctx, func(t *txn) error {
		principal := *in.ServicePrincipal
		o, _, err := t.manageService(principal)
		if err != nil {
			return err
		}
		a, err := t.member(o, *in.AccountId)
		if err != nil {
			return err
		}
		err = t.DeleteDelegatedAdmin(t.ctx, o.ID, a.ID, principal)
		if isNotFound(err) {
			return accountNotRegistered(a.ID, principal)
		}
		if err != nil {
			return fmt.Errorf("org: deregister %s for %s: %w", a.ID, principal, err)
		}
		return nil
	})
}

func accountNotRegistered(accountID, principal string) error {
	if principal == "" {
		return model.Fail(model.CodeAccountNotRegisteredException, "",
			"The account %s is not a delegated administrator.", accountID)
	}
	return model.Fail(model.CodeAccountNotRegisteredException, "",
		"The account %s is not a delegated administrator for %s.", accountID, principal)
}

// ListDelegatedAdministrators lists the delegated administrators by account id, of one
// service or of any (then each account once, with the date of its first registration
// [INF]); under the moto profile in the order of the accounts' first registrations.
func (s *Service) ListDelegatedAdministrators(ctx context.Context, in *model.ListDelegatedAdministratorsRequest) (*model.ListDelegatedAdministratorsResponse, error) {
	ctx = guard(ctx, "ListDelegatedAdministrators", in)
	return viewOut(s, ctx, model.ListDelegatedAdministratorsResponse{DelegatedAdministrators: []model.DelegatedAdministrator{}}, func(t *txn, out *model.ListDelegatedAdministratorsResponse) error {
		_, o, err := t.authorize("ListDelegatedAdministrators", "", "")
		if err != nil {
			return err
		}
		if err := requireAllFeatures(o); err != nil {
			return err
		}
		q := DelegatedAdminQuery{OrgID: o.ID}
		if in.ServicePrincipal != nil {
			if _, err := knownServicePrincipal(*in.ServicePrincipal); err != nil {
				return err
			}
			q.ServicePrincipal = *in.ServicePrincipal
		}
		scope := strings.Join([]string{"ListDelegatedAdministrators", t.caller.AccountID, o.ID, q.ServicePrincipal}, "|") + s.orderScope()
		list := func() ([]DelegatedAdmin, error) {
			ds, err := t.ListDelegatedAdmins(t.ctx, q)
			if err != nil {
				return nil, fmt.Errorf("org: list delegated admins of %s: %w", o.ID, err)
			}
			return ds, nil
		}
		var ds []DelegatedAdmin
		var next *string
		if s.creationOrder() {
			// moto keeps one entry per account, appended at its first registration.
			q.Order = ByCreation
			ds, next, err = seqPageOf(s, scope, in.NextToken, in.MaxResults, func(afterSeq int64, limit int) ([]DelegatedAdmin, error) {
				q.AfterSeq, q.Limit = afterSeq, limit
				return list()
			}, func(d DelegatedAdmin) int64 { return d.AccountSeq })
		} else {
			ds, next, err = pageOf(s, scope, in.NextToken, in.MaxResults, func(after string, limit int) ([]DelegatedAdmin, error) {
				q.After, q.Limit = after, limit
				return list()
			}, func(d DelegatedAdmin) string { return d.AccountID })
		}
		if err != nil {
			return err
		}
		out.NextToken = next
		for _, d := range ds {
			a, err := t.account(d.AccountID)
			if err != nil {
				return err
			}
			out.DelegatedAdministrators = append(out.DelegatedAdministrators, t.delegatedAdminOutput(o, a, d.EnabledAt))
		}
		return nil
	})
}

// ListDelegatedServicesForAccount lists the services an account administers, by principal,
// or in the order they were registered under the moto profile.
func (s *Service) ListDelegatedServicesForAccount(ctx context.Context, in *model.ListDelegatedServicesForAccountRequest) (*model.ListDelegatedServicesForAccountResponse, error) {
	ctx = guard(ctx, "ListDelegatedServicesForAccount", in)
	return viewOut(s, ctx, model.ListDelegatedServicesForAccountResponse{DelegatedServices: []model.DelegatedService{}}, func(t *txn, out *model.ListDelegatedServicesForAccountResponse) error {
		_, o, err := t.authorize("ListDelegatedServicesForAccount", *in.AccountId, "")
		if err != nil {
			return err
		}
		if err := requireAllFeatures(o); err != nil {
			return err
		}
		a, err := t.member(o, *in.AccountId)
		if err != nil {
			return err
		}
		scope := "ListDelegatedServicesForAccount|" + t.caller.AccountID + "|" + o.ID + "|" + a.ID + s.orderScope()
		list := func(q DelegatedAdminQuery, first bool) ([]DelegatedAdmin, error) {
			ds, err := t.ListDelegatedAdmins(t.ctx, q)
			if err != nil {
				return nil, fmt.Errorf("org: list delegations of %s: %w", a.ID, err)
			}
			// An account that is no delegated administrator is an error, not an empty list; on a
			// later page the first page already answered that.
			if len(ds) == 0 && first {
				return nil, accountNotRegistered(a.ID, "")
			}
			return ds, nil
		}
		var ds []DelegatedAdmin
		var next *string
		if s.creationOrder() {
			// moto keeps the account's services in a dict: in the order they were registered.
			ds, next, err = seqPageOf(s, scope, in.NextToken, in.MaxResults, func(afterSeq int64, limit int) ([]DelegatedAdmin, error) {
				return list(DelegatedAdminQuery{OrgID: o.ID, AccountID: a.ID, Order: ByCreation, AfterSeq: afterSeq, Limit: limit}, afterSeq == 0)
			}, func(d DelegatedAdmin) int64 { return d.Seq })
		} else {
			ds, next, err = pageOf(s, scope, in.NextToken, in.MaxResults, func(after string, limit int) ([]DelegatedAdmin, error) {
				return list(DelegatedAdminQuery{OrgID: o.ID, AccountID: a.ID, After: after, Limit: limit}, after == "")
			}, func(d DelegatedAdmin) string { return d.ServicePrincipal })
		}
		if err != nil {
			return err
		}
		out.NextToken = next
		for _, d := range ds {
			out.DelegatedServices = append(out.DelegatedServices, model.DelegatedService{
				ServicePrincipal: model.Ptr(d.ServicePrincipal), DelegationEnabledDate: model.Ptr(d.EnabledAt),
			})
		}
		return nil
	})
}

// delegatedAdminOutput shows a delegated administrator: its account's fields, as
// DescribeAccount shows them, and the date of the delegation.
func (t *txn) delegatedAdminOutput(o *Organization, a *Account, enabled time.Time) model.DelegatedAdministrator {
	state := t.accountState(a)
	out := model.DelegatedAdministrator{
		Id:                    model.Ptr(a.ID),
		Arn:                   model.Ptr(accountARN(o, a.ID)),
		Email:                 model.Ptr(a.Email),
		Name:                  model.Ptr(a.Name),
		State:                 model.Ptr(state),
		JoinedMethod:          model.Ptr(a.JoinedMethod),
		JoinedTimestamp:       model.Ptr(a.JoinedAt),
		DelegationEnabledDate: model.Ptr(enabled),
	}
	// Status, the deprecated twin of State, has no value for PENDING_ACTIVATION or CLOSED.
	switch state {
	case model.AccountStatusActive, model.AccountStatusSuspended, model.AccountStatusPendingClosure:
		out.Status = model.Ptr(state)
	}
	return out
}
