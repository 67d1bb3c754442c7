package org_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/orgd/orgd/internal/apitest"
)

// Trusted access and delegated administrators (spec §8.2, §8.3) through the SDK.

const (
	dlMgmt   = "111111111111"
	dlAlice  = "222222222222"
	dlBob    = "333333333333"
	dlCarol  = "444444444444"
	dlOther  = "555555555555" // management account of a second organization
	dlSSO    = "sso.amazonaws.com"
	dlRAM    = "ram.amazonaws.com"
	dlSets   = "member.org.stacksets.cloudformation.amazonaws.com" // accepts five administrators
	dlConfig = "config.amazonaws.com"                              // accepts three
)

var dlCtx = context.Background()

// dlOrg starts a server with an all-features organization whose members are given.
func dlOrg(t *testing.T, members ...string) *apitest.Server {
	t.Helper()
	s := apitest.Start(t)
	s.CreateOrganization(dlMgmt)
	for _, m := range members {
		s.Join(dlMgmt, m)
	}
	return s
}

func dlEnable(t *testing.T, s *apitest.Server, principal string) {
	t.Helper()
	if _, err := s.Client(dlMgmt).EnableAWSServiceAccess(dlCtx, &organizations.EnableAWSServiceAccessInput{ServicePrincipal: aws.String(principal)}); err != nil {
		t.Fatalf("enable %s: %v", principal, err)
	}
}

func dlRegister(s *apitest.Server, caller, account, principal string) error {
	_, err := s.Client(caller).RegisterDelegatedAdministrator(dlCtx, &organizations.RegisterDelegatedAdministratorInput{
		AccountId: aws.String(account), ServicePrincipal: aws.String(principal)})
	return err
}

func dlMustRegister(t *testing.T, s *apitest.Server, account, principal string) {
	t.Helper()
	if err := dlRegister(s, dlMgmt, account, principal); err != nil {
		t.Fatalf("register %s for %s: %v", account, principal, err)
	}
}

func dlServices(t *testing.T, s *apitest.Server, caller string) []string {
	t.Helper()
	out, err := s.Client(caller).ListAWSServiceAccessForOrganization(dlCtx, &organizations.ListAWSServiceAccessForOrganizationInput{})
	if err != nil {
		t.Fatalf("ListAWSServiceAccessForOrganization as %s: %v", caller, err)
	}
	var ps []string
	for _, p := range out.EnabledServicePrincipals {
		ps = append(ps, aws.ToString(p.ServicePrincipal))
	}
	return ps
}

func TestServiceAccessEnableListDisable(t *testing.T) {
	s := dlOrg(t)
	before := time.Now().Add(-time.Second)
	dlEnable(t, s, dlSSO)
	dlEnable(t, s, dlRAM)
	out, err := s.Client(dlMgmt).ListAWSServiceAccessForOrganization(dlCtx, &organizations.ListAWSServiceAccessForOrganizationInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.EnabledServicePrincipals) != 2 || aws.ToString(out.EnabledServicePrincipals[0].ServicePrincipal) != dlRAM ||
		aws.ToString(out.EnabledServicePrincipals[1].ServicePrincipal) != dlSSO {
		t.Fatalf("enabled principals %+v, want ram then sso", out.EnabledServicePrincipals)
	}
	first := *out.EnabledServicePrincipals[1].DateEnabled
	if first.Before(before) {
		t.Errorf("DateEnabled %v is before the call", first)
	}
	// Enabling again is idempotent and keeps the date.
	s.Advance(time.Hour)
	dlEnable(t, s, dlSSO)
	out, err = s.Client(dlMgmt).ListAWSServiceAccessForOrganization(dlCtx, &organizations.ListAWSServiceAccessForOrganizationInput{})
	if err != nil {
		t.Fatal(err)
	}
	if got := *out.EnabledServicePrincipals[1].DateEnabled; !got.Equal(first) {
		t.Errorf("re-enabling moved DateEnabled from %v to %v", first, got)
	}
	if _, err := s.Client(dlMgmt).DisableAWSServiceAccess(dlCtx, &organizations.DisableAWSServiceAccessInput{ServicePrincipal: aws.String(dlSSO)}); err != nil {
		t.Fatal(err)
	}
	if got := dlServices(t, s, dlMgmt); !slices.Equal(got, []string{dlRAM}) {
		t.Errorf("after disabling sso: %v", got)
	}
	// Disabling a service without access is no error.
	if _, err := s.Client(dlMgmt).DisableAWSServiceAccess(dlCtx, &organizations.DisableAWSServiceAccessInput{ServicePrincipal: aws.String(dlSSO)}); err != nil {
		t.Errorf("disable twice: %v", err)
	}
}

func TestServiceAccessErrors(t *testing.T) {
	s := dlOrg(t, dlAlice)
	mgmt := s.Client(dlMgmt)
	_, err := mgmt.EnableAWSServiceAccess(dlCtx, &organizations.EnableAWSServiceAccessInput{ServicePrincipal: aws.String("nosuch.amazonaws.com")})
	apitest.RequireCode(t, err, "InvalidInputException", "UNRECOGNIZED_SERVICE_PRINCIPAL")
	_, err = mgmt.DisableAWSServiceAccess(dlCtx, &organizations.DisableAWSServiceAccessInput{ServicePrincipal: aws.String("nosuch.amazonaws.com")})
	apitest.RequireCode(t, err, "InvalidInputException", "UNRECOGNIZED_SERVICE_PRINCIPAL")
	_, err = s.Client(dlAlice).EnableAWSServiceAccess(dlCtx, &organizations.EnableAWSServiceAccessInput{ServicePrincipal: aws.String(dlSSO)})
	apitest.RequireCode(t, err, "AccessDeniedException", "")
	_, err = s.Client(dlAlice).ListAWSServiceAccessForOrganization(dlCtx, &organizations.ListAWSServiceAccessForOrganizationInput{})
	apitest.RequireCode(t, err, "AccessDeniedException", "")
	_, err = s.Client(dlCarol).EnableAWSServiceAccess(dlCtx, &organizations.EnableAWSServiceAccessInput{ServicePrincipal: aws.String(dlSSO)})
	apitest.RequireCode(t, err, "AWSOrganizationsNotInUseException", "")
	_, err = s.Client(dlCarol).ListAWSServiceAccessForOrganization(dlCtx, &organizations.ListAWSServiceAccessForOrganizationInput{})
	apitest.RequireCode(t, err, "AWSOrganizationsNotInUseException", "")
}

func TestServiceAccessNeedsAllFeatures(t *testing.T) {
	s := apitest.Start(t)
	if _, err := s.Client(dlMgmt).CreateOrganization(dlCtx, &organizations.CreateOrganizationInput{FeatureSet: types.OrganizationFeatureSetConsolidatedBilling}); err != nil {
		t.Fatal(err)
	}
	s.Join(dlMgmt, dlAlice)
	mgmt := s.Client(dlMgmt)
	const reason = "ORGANIZATION_NOT_IN_ALL_FEATURES_MODE"
	_, err := mgmt.EnableAWSServiceAccess(dlCtx, &organizations.EnableAWSServiceAccessInput{ServicePrincipal: aws.String(dlSSO)})
	apitest.RequireCode(t, err, "ConstraintViolationException", reason)
	_, err = mgmt.DisableAWSServiceAccess(dlCtx, &organizations.DisableAWSServiceAccessInput{ServicePrincipal: aws.String(dlSSO)})
	apitest.RequireCode(t, err, "ConstraintViolationException", reason)
	_, err = mgmt.ListAWSServiceAccessForOrganization(dlCtx, &organizations.ListAWSServiceAccessForOrganizationInput{})
	apitest.RequireCode(t, err, "ConstraintViolationException", reason)
	apitest.RequireCode(t, dlRegister(s, dlMgmt, dlAlice, dlSSO), "ConstraintViolationException", reason)
	_, err = mgmt.ListDelegatedAdministrators(dlCtx, &organizations.ListDelegatedAdministratorsInput{})
	apitest.RequireCode(t, err, "ConstraintViolationException", reason)
}

func TestListAWSServiceAccessPages(t *testing.T) {
	s := dlOrg(t)
	all := []string{"backup.amazonaws.com", "config.amazonaws.com", "guardduty.amazonaws.com", "ram.amazonaws.com", "sso.amazonaws.com"}
	for _, p := range all {
		dlEnable(t, s, p)
	}
	var got []string
	var token *string
	for pages := 0; ; pages++ {
		out, err := s.Client(dlMgmt).ListAWSServiceAccessForOrganization(dlCtx, &organizations.ListAWSServiceAccessForOrganizationInput{MaxResults: aws.Int32(2), NextToken: token})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.EnabledServicePrincipals) > 2 {
			t.Fatalf("page of %d > MaxResults", len(out.EnabledServicePrincipals))
		}
		for _, p := range out.EnabledServicePrincipals {
			got = append(got, aws.ToString(p.ServicePrincipal))
		}
		if token = out.NextToken; token == nil || pages > 5 {
			break
		}
	}
	if !slices.Equal(got, all) {
		t.Errorf("pages gave %v, want %v", got, all)
	}
	_, err := s.Client(dlMgmt).ListAWSServiceAccessForOrganization(dlCtx, &organizations.ListAWSServiceAccessForOrganizationInput{NextToken: aws.String("forged")})
	apitest.RequireCode(t, err, "InvalidInputException", "INVALID_NEXT_TOKEN")
}

func TestRegisterDelegatedAdministratorAndList(t *testing.T) {
	s := dlOrg(t, dlAlice, dlBob)
	dlEnable(t, s, dlSSO)
	dlEnable(t, s, dlConfig)
	dlMustRegister(t, s, dlAlice, dlSSO)
	s.Advance(time.Hour)
	dlMustRegister(t, s, dlAlice, dlConfig)
	dlMustRegister(t, s, dlBob, dlConfig)

	mgmt := s.Client(dlMgmt)
	out, err := mgmt.ListDelegatedAdministrators(dlCtx, &organizations.ListDelegatedAdministratorsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.DelegatedAdministrators) != 2 {
		t.Fatalf("%d delegated administrators, want 2 (one per account)", len(out.DelegatedAdministrators))
	}
	alice := out.DelegatedAdministrators[0]
	if aws.ToString(alice.Id) != dlAlice || aws.ToString(alice.Email) != dlAlice+"@example.com" ||
		alice.State != types.AccountStateActive || alice.JoinedMethod != types.AccountJoinedMethodInvited ||
		alice.DelegationEnabledDate == nil || alice.JoinedTimestamp == nil {
		t.Errorf("first delegated administrator %+v", alice)
	}
	bob := out.DelegatedAdministrators[1]
	if aws.ToString(bob.Id) != dlBob || !bob.DelegationEnabledDate.After(*alice.DelegationEnabledDate) {
		t.Errorf("second delegated administrator %+v (Alice's first delegation %v)", bob, alice.DelegationEnabledDate)
	}
	// Filtered by service.
	out, err = mgmt.ListDelegatedAdministrators(dlCtx, &organizations.ListDelegatedAdministratorsInput{ServicePrincipal: aws.String(dlSSO)})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.DelegatedAdministrators) != 1 || aws.ToString(out.DelegatedAdministrators[0].Id) != dlAlice {
		t.Errorf("administrators of sso: %+v", out.DelegatedAdministrators)
	}
	// The services of one account.
	svc, err := mgmt.ListDelegatedServicesForAccount(dlCtx, &organizations.ListDelegatedServicesForAccountInput{AccountId: aws.String(dlAlice)})
	if err != nil {
		t.Fatal(err)
	}
	var ps []string
	for _, d := range svc.DelegatedServices {
		ps = append(ps, aws.ToString(d.ServicePrincipal))
		if d.DelegationEnabledDate == nil {
			t.Errorf("service %s without DelegationEnabledDate", aws.ToString(d.ServicePrincipal))
		}
	}
	if !slices.Equal(ps, []string{dlConfig, dlSSO}) {
		t.Errorf("services of Alice: %v", ps)
	}
}

func TestDelegatedAdministratorMayReadDelegationLists(t *testing.T) {
	s := dlOrg(t, dlAlice, dlBob)
	dlEnable(t, s, dlSSO)
	dlMustRegister(t, s, dlAlice, dlSSO)
	alice := s.Client(dlAlice)
	if got := dlServices(t, s, dlAlice); !slices.Equal(got, []string{dlSSO}) {
		t.Errorf("ListAWSServiceAccessForOrganization as delegated administrator: %v", got)
	}
	if _, err := alice.ListDelegatedAdministrators(dlCtx, &organizations.ListDelegatedAdministratorsInput{}); err != nil {
		t.Errorf("ListDelegatedAdministrators as delegated administrator: %v", err)
	}
	if _, err := alice.ListDelegatedServicesForAccount(dlCtx, &organizations.ListDelegatedServicesForAccountInput{AccountId: aws.String(dlAlice)}); err != nil {
		t.Errorf("ListDelegatedServicesForAccount as delegated administrator: %v", err)
	}
	// Writes stay with the management account.
	apitest.RequireCode(t, dlRegister(s, dlAlice, dlBob, dlSSO), "AccessDeniedException", "")
	_, err := alice.EnableAWSServiceAccess(dlCtx, &organizations.EnableAWSServiceAccessInput{ServicePrincipal: aws.String(dlRAM)})
	apitest.RequireCode(t, err, "AccessDeniedException", "")
	// Another member is no delegated administrator.
	_, err = s.Client(dlBob).ListDelegatedAdministrators(dlCtx, &organizations.ListDelegatedAdministratorsInput{})
	apitest.RequireCode(t, err, "AccessDeniedException", "")
}

// Needs the lead's wiring: DescribeAccount/ListAccounts open to delegated administrators.
func TestDelegatedAdministratorMayListAccountsWired(t *testing.T) {
	s := dlOrg(t, dlAlice)
	dlEnable(t, s, dlSSO)
	dlMustRegister(t, s, dlAlice, dlSSO)
	out, err := s.Client(dlAlice).ListAccounts(dlCtx, &organizations.ListAccountsInput{})
	if err != nil {
		t.Fatalf("ListAccounts as delegated administrator: %v", err)
	}
	if len(out.Accounts) != 2 {
		t.Errorf("ListAccounts as delegated administrator: %d accounts, want 2", len(out.Accounts))
	}
	if _, err := s.Client(dlAlice).DescribeAccount(dlCtx, &organizations.DescribeAccountInput{AccountId: aws.String(dlMgmt)}); err != nil {
		t.Errorf("DescribeAccount as delegated administrator: %v", err)
	}
}

// Needs the lead's wiring: RemoveAccountFromOrganization and LeaveOrganization refuse a
// delegated administrator until it is deregistered.
func TestDelegatedAdministratorCannotLeaveWired(t *testing.T) {
	s := dlOrg(t, dlAlice)
	dlEnable(t, s, dlSSO)
	dlMustRegister(t, s, dlAlice, dlSSO)
	_, err := s.Client(dlMgmt).RemoveAccountFromOrganization(dlCtx, &organizations.RemoveAccountFromOrganizationInput{AccountId: aws.String(dlAlice)})
	apitest.RequireCode(t, err, "ConstraintViolationException", "CANNOT_REMOVE_DELEGATED_ADMINISTRATOR_FROM_ORG")
	_, err = s.Client(dlAlice).LeaveOrganization(dlCtx, &organizations.LeaveOrganizationInput{})
	apitest.RequireCode(t, err, "ConstraintViolationException", "CANNOT_REMOVE_DELEGATED_ADMINISTRATOR_FROM_ORG")
	if _, err := s.Client(dlMgmt).DeregisterDelegatedAdministrator(dlCtx, &organizations.DeregisterDelegatedAdministratorInput{
		AccountId: aws.String(dlAlice), ServicePrincipal: aws.String(dlSSO)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Client(dlAlice).LeaveOrganization(dlCtx, &organizations.LeaveOrganizationInput{}); err != nil {
		t.Errorf("leave after deregistering: %v", err)
	}
}

func TestRegisterDelegatedAdministratorErrors(t *testing.T) {
	s := dlOrg(t, dlAlice, dlBob, dlCarol)
	s.CreateOrganization(dlOther)
	// Trusted access comes first.
	apitest.RequireCode(t, dlRegister(s, dlMgmt, dlAlice, dlSSO), "ConstraintViolationException", "SERVICE_ACCESS_NOT_ENABLED")
	dlEnable(t, s, dlSSO)
	apitest.RequireCode(t, dlRegister(s, dlMgmt, dlAlice, "nosuch.amazonaws.com"), "InvalidInputException", "UNRECOGNIZED_SERVICE_PRINCIPAL")
	apitest.RequireCode(t, dlRegister(s, dlMgmt, dlMgmt, dlSSO), "ConstraintViolationException", "CANNOT_REGISTER_MASTER_AS_DELEGATED_ADMINISTRATOR")
	apitest.RequireCode(t, dlRegister(s, dlMgmt, dlOther, dlSSO), "AccountNotFoundException", "")
	apitest.RequireCode(t, dlRegister(s, dlMgmt, "666666666666", dlSSO), "AccountNotFoundException", "")
	apitest.RequireCode(t, dlRegister(s, dlAlice, dlBob, dlSSO), "AccessDeniedException", "")
	apitest.RequireCode(t, dlRegister(s, "777777777777", dlBob, dlSSO), "AWSOrganizationsNotInUseException", "")
	dlMustRegister(t, s, dlAlice, dlSSO)
	apitest.RequireCode(t, dlRegister(s, dlMgmt, dlAlice, dlSSO), "AccountAlreadyRegisteredException", "")
	// sso.amazonaws.com takes one administrator.
	apitest.RequireCode(t, dlRegister(s, dlMgmt, dlBob, dlSSO), "ConstraintViolationException", "DELEGATED_ADMINISTRATOR_EXISTS_FOR_THIS_SERVICE")
}

func TestRegisterDelegatedAdministratorServiceLimit(t *testing.T) {
	members := []string{"222222222222", "222222222223", "222222222224", "222222222225", "222222222226", "222222222227"}
	s := apitest.Start(t)
	s.CreateOrganization(dlMgmt)
	for _, m := range members {
		s.Join(dlMgmt, m)
	}
	dlEnable(t, s, dlSets)
	for _, m := range members[:5] {
		dlMustRegister(t, s, m, dlSets)
	}
	apitest.RequireCode(t, dlRegister(s, dlMgmt, members[5], dlSets), "ConstraintViolationException", "MAX_DELEGATED_ADMINISTRATORS_FOR_SERVICE_LIMIT_EXCEEDED")
	// Paging the five, two at a time.
	var got []string
	var token *string
	for pages := 0; ; pages++ {
		out, err := s.Client(dlMgmt).ListDelegatedAdministrators(dlCtx, &organizations.ListDelegatedAdministratorsInput{
			ServicePrincipal: aws.String(dlSets), MaxResults: aws.Int32(2), NextToken: token})
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range out.DelegatedAdministrators {
			got = append(got, aws.ToString(d.Id))
		}
		if token = out.NextToken; token == nil || pages > 5 {
			break
		}
	}
	if !slices.Equal(got, members[:5]) {
		t.Errorf("paged administrators %v, want %v", got, members[:5])
	}
}

func TestDeregisterDelegatedAdministrator(t *testing.T) {
	s := dlOrg(t, dlAlice, dlBob)
	dlEnable(t, s, dlSSO)
	dlMustRegister(t, s, dlAlice, dlSSO)
	mgmt := s.Client(dlMgmt)
	dereg := func(account, principal string) error {
		_, err := mgmt.DeregisterDelegatedAdministrator(dlCtx, &organizations.DeregisterDelegatedAdministratorInput{
			AccountId: aws.String(account), ServicePrincipal: aws.String(principal)})
		return err
	}
	apitest.RequireCode(t, dereg(dlBob, dlSSO), "AccountNotRegisteredException", "")
	apitest.RequireCode(t, dereg(dlAlice, dlRAM), "AccountNotRegisteredException", "")
	apitest.RequireCode(t, dereg("666666666666", dlSSO), "AccountNotFoundException", "")
	apitest.RequireCode(t, dereg(dlAlice, "nosuch.amazonaws.com"), "InvalidInputException", "UNRECOGNIZED_SERVICE_PRINCIPAL")
	_, err := s.Client(dlAlice).DeregisterDelegatedAdministrator(dlCtx, &organizations.DeregisterDelegatedAdministratorInput{
		AccountId: aws.String(dlAlice), ServicePrincipal: aws.String(dlSSO)})
	apitest.RequireCode(t, err, "AccessDeniedException", "")
	if err := dereg(dlAlice, dlSSO); err != nil {
		t.Fatal(err)
	}
	apitest.RequireCode(t, dereg(dlAlice, dlSSO), "AccountNotRegisteredException", "")
	// The service is free for another administrator.
	dlMustRegister(t, s, dlBob, dlSSO)
	// Alice, no longer a delegated administrator, lost her read access.
	_, err = s.Client(dlAlice).ListDelegatedAdministrators(dlCtx, &organizations.ListDelegatedAdministratorsInput{})
	apitest.RequireCode(t, err, "AccessDeniedException", "")
}

func TestListDelegatedServicesForAccountErrors(t *testing.T) {
	s := dlOrg(t, dlAlice, dlBob)
	mgmt := s.Client(dlMgmt)
	list := func(account string) error {
		_, err := mgmt.ListDelegatedServicesForAccount(dlCtx, &organizations.ListDelegatedServicesForAccountInput{AccountId: aws.String(account)})
		return err
	}
	apitest.RequireCode(t, list(dlBob), "AccountNotRegisteredException", "")
	apitest.RequireCode(t, list("666666666666"), "AccountNotFoundException", "")
	_, err := mgmt.ListDelegatedAdministrators(dlCtx, &organizations.ListDelegatedAdministratorsInput{ServicePrincipal: aws.String("nosuch.amazonaws.com")})
	apitest.RequireCode(t, err, "InvalidInputException", "UNRECOGNIZED_SERVICE_PRINCIPAL")
	// Paging an account's services.
	all := []string{"backup.amazonaws.com", "config.amazonaws.com", "ram.amazonaws.com", "sso.amazonaws.com"}
	for _, p := range all {
		dlEnable(t, s, p)
		dlMustRegister(t, s, dlAlice, p)
	}
	var got []string
	var token *string
	for pages := 0; ; pages++ {
		out, err := mgmt.ListDelegatedServicesForAccount(dlCtx, &organizations.ListDelegatedServicesForAccountInput{
			AccountId: aws.String(dlAlice), MaxResults: aws.Int32(3), NextToken: token})
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range out.DelegatedServices {
			got = append(got, aws.ToString(d.ServicePrincipal))
		}
		if token = out.NextToken; token == nil || pages > 5 {
			break
		}
	}
	if !slices.Equal(got, all) {
		t.Errorf("paged services %v, want %v", got, all)
	}
	// A token of one account's list is no token of another's.
	first, err := mgmt.ListDelegatedServicesForAccount(dlCtx, &organizations.ListDelegatedServicesForAccountInput{AccountId: aws.String(dlAlice), MaxResults: aws.Int32(1)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = mgmt.ListDelegatedServicesForAccount(dlCtx, &organizations.ListDelegatedServicesForAccountInput{AccountId: aws.String(dlBob), NextToken: first.NextToken})
	apitest.RequireCode(t, err, "InvalidInputException", "INVALID_NEXT_TOKEN")
	if len(first.DelegatedServices) != 1 {
		t.Errorf("MaxResults 1 gave %d services", len(first.DelegatedServices))
	}
}
