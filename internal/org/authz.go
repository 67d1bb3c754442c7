package org

import (
	"errors"
	"strings"

	"github.com/orgd/orgd/internal/model"
)

// Who may call what (spec §2, §8.2, §8.4). The management account may call every operation of
// its organization. A delegated administrator of any AWS service may call the read operations
// AWS opens to delegated administrators. Any member account may call the delegable operations
// that the organization's delegation policy (PutResourcePolicy) grants it on the resource
// concerned. Everyone else gets AccessDenied, a standalone account AWSOrganizationsNotInUse.

// delegatedReads are the operations open to delegated administrators ("MGMT, DA" in spec §2).
var delegatedReads = map[string]bool{
	"DescribeAccount": true, "DescribeCreateAccountStatus": true, "DescribeOrganizationalUnit": true,
	"DescribePolicy": true, "DescribeResourcePolicy": true, "ListAWSServiceAccessForOrganization": true,
	"ListAccounts": true, "ListAccountsForParent": true, "ListAccountsWithInvalidEffectivePolicy": true,
	"ListChildren": true, "ListCreateAccountStatus": true, "ListDelegatedAdministrators": true,
	"ListDelegatedServicesForAccount": true, "ListEffectivePolicyValidationErrors": true,
	"ListHandshakesForOrganization": true, "ListOrganizationalUnitsForParent": true, "ListParents": true,
	"ListPolicies": true, "ListPoliciesForTarget": true, "ListRoots": true, "ListTagsForResource": true,
	"ListTargetsForPolicy": true,
}

// authorize returns the caller and its organization when the caller may call action on the
// resource that id names (a root, OU, account, policy or resource policy; "" when the action
// names none). policyType is the request's policy type for the delegation policy's
// organizations:PolicyType condition ("" when the request has none; a policy id carries its
// own).
func (t *txn) authorize(action, id, policyType string) (*Account, *Organization, error) {
	a, o, err := t.membership()
	if err != nil {
		return nil, nil, err
	}
	if a.ID == o.ManagementAccountID {
		return a, o, nil
	}
	if delegatedReads[action] {
		ok, err := t.isDelegatedAdministrator(o, a.ID)
		if err != nil || ok {
			return a, o, err
		}
	}
	arn, err := t.arnOf(o, id)
	if err != nil {
		return nil, nil, err
	}
	if policyType == "" {
		policyType = policyTypeOfARN(arn)
	}
	ok, err := t.resourcePolicyAllowsType(o, a.ID, action, arn, policyType)
	if err != nil {
		return nil, nil, err
	}
	if !ok {
		return nil, nil, accessDenied()
	}
	return a, o, nil
}

// arnOf is the ARN of the resource an id names in organization o, as delegation policies
// name resources; "*" for no id, and for an id that names nothing (the operation then
// answers its own not-found error to those allowed to call it).
func (t *txn) arnOf(o *Organization, id string) (string, error) {
	switch {
	case id == "":
	case model.IsAccountID(id):
		return accountARN(o, id), nil
	case id == o.RootID:
		return rootARN(o), nil
	case strings.HasPrefix(id, "ou-"):
		return ouARN(o, id), nil
	case strings.HasPrefix(id, "rp-"):
		return resourcePolicyARN(o, id), nil
	case strings.HasPrefix(id, "p-"):
		p, err := t.policy(o, id)
		var me *model.Error
		if err == nil {
			return policyARN(o, p), nil
		}
		if !errors.As(err, &me) {
			return "", err
		}
	}
	return "*", nil
}
