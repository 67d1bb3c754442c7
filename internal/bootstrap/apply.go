package bootstrap

import (
	"context"
	"errors"
	"fmt"

	"github.com/orgd/orgd/internal/model"
	"github.com/orgd/orgd/internal/org"
)

// ErrNotEmpty is Apply's answer for a store that already holds accounts.
var ErrNotEmpty = errors.New("bootstrap: the store already holds accounts; a bootstrap builds an organization in an empty store (reset it first)")

// Empty reports whether the store holds no account, and so no organization: what Apply
// builds on.
func Empty(ctx context.Context, svc *org.Service) (bool, error) {
	accts, err := svc.Accounts(ctx, "", 1)
	if err != nil {
		return false, fmt.Errorf("bootstrap: is the store empty: %w", err)
	}
	return len(accts) == 0, nil
}

// Apply builds the organization of spec in an empty store (ErrNotEmpty otherwise), through
// the domain service: the management account registered, then every call made as it (or,
// to accept an invitation, as the invited account) with the model's input checks first, as
// the API makes them. The first call that fails ends it with an *Error naming the entry's
// line and the rule broken.
//
// The calls are each their own transaction, as the API's are, so a bootstrap is not one: a
// failed one resets the store, which was empty, and so leaves it as it was but for what a
// reset also clears in an empty store (the admin clock's offset and the roles declared
// through the admin API; the configuration's roles are declared again). Nothing should use
// the store while a bootstrap runs: a call in between would see part of the organization.
func Apply(ctx context.Context, svc *org.Service, spec *Spec) error {
	empty, err := Empty(ctx, svc)
	if err != nil {
		return err
	}
	if !empty {
		return ErrNotEmpty
	}
	a := &applier{svc: svc, spec: spec, ous: map[string]string{}}
	if err := a.apply(ctx); err != nil {
		if rerr := svc.Reset(ctx); rerr != nil {
			return errors.Join(err, fmt.Errorf("bootstrap: reset the store after the failure: %w", rerr))
		}
		return err
	}
	return nil
}

type applier struct {
	svc    *org.Service
	spec   *Spec
	mgmt   context.Context // the management account's calls
	rootID string
	ous    map[string]string // OU ids by path
}

// call runs one API call for the entry at pos: valid is the model's check of its input, fn
// the call; either's error becomes an *Error.
func call(pos Pos, what, op string, valid error, fn func() error) error {
	err := valid
	if err == nil {
		err = fn()
	}
	if err != nil {
		return &Error{Pos: pos, What: what, Op: op, Err: err}
	}
	return nil
}

// as is a context whose calls are account id's, in the file's partition.
func (a *applier) as(ctx context.Context, id string) context.Context {
	return org.WithCaller(ctx, org.Caller{AccountID: id, AccessKeyID: id, Partition: a.spec.Partition})
}

func (a *applier) apply(ctx context.Context) error {
	s := a.spec
	m := s.Management
	if err := a.register(ctx, &m, "management account"); err != nil {
		return err
	}
	for _, sa := range s.Standalone {
		if err := a.register(ctx, sa, "standalone account"); err != nil {
			return err
		}
	}
	a.mgmt = a.as(ctx, m.ID)
	in := &model.CreateOrganizationRequest{FeatureSet: model.Ptr(s.FeatureSet)}
	err := call(m.Pos, "CreateOrganization", "CreateOrganization", model.Validate(in), func() error {
		if _, err := a.svc.CreateOrganization(a.mgmt, in); err != nil {
			return err
		}
		roots, err := a.svc.ListRoots(a.mgmt, &model.ListRootsRequest{})
		if err != nil {
			return err
		}
		a.rootID = *roots.Roots[0].Id
		return nil
	})
	if err != nil {
		return err
	}
	for _, v := range s.PolicyTypes {
		in := &model.EnablePolicyTypeRequest{RootId: &a.rootID, PolicyType: model.Ptr(v.Value)}
		err := call(v.Pos, "EnablePolicyType "+v.Value, "EnablePolicyType", model.Validate(in), func() error {
			_, err := a.svc.EnablePolicyType(a.mgmt, in)
			return err
		})
		if err != nil {
			return err
		}
	}
	for _, v := range s.Services {
		in := &model.EnableAWSServiceAccessRequest{ServicePrincipal: model.Ptr(v.Value)}
		err := call(v.Pos, "EnableAWSServiceAccess "+v.Value, "EnableAWSServiceAccess", model.Validate(in), func() error {
			return a.svc.EnableAWSServiceAccess(a.mgmt, in)
		})
		if err != nil {
			return err
		}
	}
	if err := a.createOUs(s.OUs, a.rootID); err != nil {
		return err
	}
	// Policies before the accounts, so that tag policies check the accounts' tags as they
	// join; attachments to accounts wait for the accounts.
	policyIDs := make([]string, len(s.Policies))
	for i, p := range s.Policies {
		if policyIDs[i], err = a.createPolicy(p); err != nil {
			return err
		}
		if err := a.attach(p, policyIDs[i], false); err != nil {
			return err
		}
	}
	for _, acct := range s.Accounts {
		if err := a.join(ctx, acct); err != nil {
			return err
		}
	}
	for i, p := range s.Policies {
		if err := a.attach(p, policyIDs[i], true); err != nil {
			return err
		}
	}
	for _, d := range s.Delegated {
		in := &model.RegisterDelegatedAdministratorRequest{AccountId: model.Ptr(d.AccountID), ServicePrincipal: model.Ptr(d.ServicePrincipal)}
		err := call(d.Pos, "RegisterDelegatedAdministrator "+d.AccountID+" for "+d.ServicePrincipal, "RegisterDelegatedAdministrator", model.Validate(in), func() error {
			return a.svc.RegisterDelegatedAdministrator(a.mgmt, in)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// register makes an account known with its e-mail and name, as the admin API's
// POST /_orgd/accounts does.
func (a *applier) register(ctx context.Context, acct *Account, what string) error {
	return call(acct.Pos, what+" "+acct.ID, model.AdminRegisterAccount, nil, func() error {
		_, err := a.svc.RegisterAccount(ctx, org.AccountRegistration{ID: acct.ID, Email: acct.Email, Name: acct.Name})
		return err
	})
}

func (a *applier) createOUs(ous []*OU, parentID string) error {
	for _, u := range ous {
		in := &model.CreateOrganizationalUnitRequest{ParentId: model.Ptr(parentID), Name: model.Ptr(u.Name), Tags: u.Tags}
		err := call(u.Pos, "CreateOrganizationalUnit "+u.Path, "CreateOrganizationalUnit", model.Validate(in), func() error {
			out, err := a.svc.CreateOrganizationalUnit(a.mgmt, in)
			if err != nil {
				return err
			}
			a.ous[u.Path] = *out.OrganizationalUnit.Id
			return nil
		})
		if err != nil {
			return err
		}
		if err := a.createOUs(u.OUs, a.ous[u.Path]); err != nil {
			return err
		}
	}
	return nil
}

func (a *applier) createPolicy(p *Policy) (string, error) {
	in := &model.CreatePolicyRequest{Name: model.Ptr(p.Name), Type: model.Ptr(p.Type), Description: model.Ptr(p.Description),
		Content: model.Ptr(p.Content), Tags: p.Tags}
	var id string
	err := call(p.Pos, "CreatePolicy "+p.Name, "CreatePolicy", model.Validate(in), func() error {
		out, err := a.svc.CreatePolicy(a.mgmt, in)
		if err != nil {
			return err
		}
		id = *out.Policy.PolicySummary.Id
		return nil
	})
	return id, err
}

// attach attaches policy p (id) to its targets that are accounts, or to the others.
func (a *applier) attach(p *Policy, id string, accounts bool) error {
	for _, t := range p.Attachments {
		if (t.AccountID != "") != accounts {
			continue
		}
		target, name := t.AccountID, t.AccountID
		switch {
		case t.Root:
			target, name = a.rootID, "/"
		case t.Path != "":
			target, name = a.ous[t.Path], t.Path
		}
		in := &model.AttachPolicyRequest{PolicyId: model.Ptr(id), TargetId: model.Ptr(target)}
		err := call(t.Pos, "AttachPolicy "+p.Name+" to "+name, "AttachPolicy", model.Validate(in), func() error {
			return a.svc.AttachPolicy(a.mgmt, in)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// join makes acct a member, created or invited as the file says, and moves it under its OU.
func (a *applier) join(ctx context.Context, acct *Account) error {
	what := "account " + acct.ID
	if acct.Joined == JoinedCreated {
		in := &model.CreateAccountRequest{Email: model.Ptr(acct.Email), AccountName: model.Ptr(acct.Name), Tags: acct.Tags}
		err := call(acct.Pos, "CreateAccount "+acct.ID, "CreateAccount", nil, func() error {
			st, err := a.svc.CreateAccountWithID(a.mgmt, acct.ID, in)
			if err != nil {
				return err
			}
			if *st.State != model.CreateAccountStateSucceeded {
				return fmt.Errorf("the account creation %s with the reason %s", *st.State, *st.FailureReason)
			}
			return nil
		})
		if err != nil {
			return err
		}
	} else {
		if err := a.register(ctx, acct, what); err != nil {
			return err
		}
		in := &model.InviteAccountToOrganizationRequest{Target: &model.HandshakeParty{Id: model.Ptr(acct.ID), Type: model.Ptr(model.HandshakePartyTypeAccount)},
			Tags: acct.Tags}
		err := call(acct.Pos, "InviteAccountToOrganization "+acct.ID, "InviteAccountToOrganization", model.Validate(in), func() error {
			out, err := a.svc.InviteAccountToOrganization(a.mgmt, in)
			if err != nil {
				return err
			}
			accept := &model.AcceptHandshakeRequest{HandshakeId: out.Handshake.Id}
			_, err = a.svc.AcceptHandshake(a.as(ctx, acct.ID), accept)
			return err
		})
		if err != nil {
			return err
		}
	}
	if acct.Parent == "" {
		return nil
	}
	in := &model.MoveAccountRequest{AccountId: model.Ptr(acct.ID), SourceParentId: model.Ptr(a.rootID), DestinationParentId: model.Ptr(a.ous[acct.Parent])}
	return call(acct.Pos, "MoveAccount "+acct.ID+" to "+acct.Parent, "MoveAccount", model.Validate(in), func() error {
		return a.svc.MoveAccount(a.mgmt, in)
	})
}
