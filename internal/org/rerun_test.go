package org_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/orgd/orgd/internal/apitest"
	"github.com/orgd/orgd/internal/org"
	"github.com/orgd/orgd/internal/server"
)

// viewTwice is a store that runs every View's fn twice in the same transaction, as a store
// may when a snapshot moves or a transaction is retried.
type viewTwice struct{ org.Store }

func (s viewTwice) View(ctx context.Context, fn func(org.Tx) error) error {
	return s.Store.View(ctx, func(tx org.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		return fn(tx)
	})
}

// A read call answers the same when the store runs its transaction more than once: nothing
// of an earlier run (a page already appended, say) stays in the answer.
func TestReadsSurviveARerun(t *testing.T) {
	once := listCounts(t, apitest.Start(t))
	twice := listCounts(t, apitest.Start(t, func(c *server.Config) {
		c.WrapStore = func(st org.Store) org.Store { return viewTwice{st} }
	}))
	for name, n := range once {
		if n == 0 {
			t.Errorf("%s: no items even with one run", name)
		}
		if twice[name] != n {
			t.Errorf("%s: %d items when the store runs it twice, %d when once", name, twice[name], n)
		}
	}
}

// listCounts builds an organization with members, an OU, tags, invitations and an SCP,
// and counts what each list call returns.
func listCounts(t *testing.T, s *apitest.Server) map[string]int {
	ctx := context.Background()
	const mgmt, member = "111111111111", "222222222222"
	s.Register(map[string]any{"Id": member, "Email": "member@example.com"})
	s.CreateOrganization(mgmt)
	c := s.Client(mgmt)
	roots, err := c.ListRoots(ctx, &organizations.ListRootsInput{})
	if err != nil {
		t.Fatal(err)
	}
	root := aws.ToString(roots.Roots[0].Id)
	s.Join(mgmt, member)
	s.Invite(mgmt, "333333333333")
	if _, err := c.CreateOrganizationalUnit(ctx, &organizations.CreateOrganizationalUnitInput{ParentId: &root, Name: aws.String("ou")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.EnablePolicyType(ctx, &organizations.EnablePolicyTypeInput{RootId: &root, PolicyType: types.PolicyTypeServiceControlPolicy}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.TagResource(ctx, &organizations.TagResourceInput{ResourceId: aws.String(member),
		Tags: []types.Tag{{Key: aws.String("a"), Value: aws.String("1")}, {Key: aws.String("b"), Value: aws.String("2")}}}); err != nil {
		t.Fatal(err)
	}
	n := map[string]int{}
	count := func(name string, items int, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		n[name] = items
	}
	accts, err := c.ListAccounts(ctx, &organizations.ListAccountsInput{})
	count("ListAccounts", len(accts.Accounts), err)
	forParent, err := c.ListAccountsForParent(ctx, &organizations.ListAccountsForParentInput{ParentId: &root})
	count("ListAccountsForParent", len(forParent.Accounts), err)
	children, err := c.ListChildren(ctx, &organizations.ListChildrenInput{ParentId: &root, ChildType: types.ChildTypeAccount})
	count("ListChildren", len(children.Children), err)
	ous, err := c.ListOrganizationalUnitsForParent(ctx, &organizations.ListOrganizationalUnitsForParentInput{ParentId: &root})
	count("ListOrganizationalUnitsForParent", len(ous.OrganizationalUnits), err)
	tags, err := c.ListTagsForResource(ctx, &organizations.ListTagsForResourceInput{ResourceId: aws.String(member)})
	count("ListTagsForResource", len(tags.Tags), err)
	sent, err := c.ListHandshakesForOrganization(ctx, &organizations.ListHandshakesForOrganizationInput{})
	count("ListHandshakesForOrganization", len(sent.Handshakes), err)
	received, err := s.Client(member).ListHandshakesForAccount(ctx, &organizations.ListHandshakesForAccountInput{})
	count("ListHandshakesForAccount", len(received.Handshakes), err)
	policies, err := c.ListPolicies(ctx, &organizations.ListPoliciesInput{Filter: types.PolicyTypeServiceControlPolicy})
	count("ListPolicies", len(policies.Policies), err)
	targets, err := c.ListTargetsForPolicy(ctx, &organizations.ListTargetsForPolicyInput{PolicyId: policies.Policies[0].Id})
	count("ListTargetsForPolicy", len(targets.Targets), err)
	forTarget, err := c.ListPoliciesForTarget(ctx, &organizations.ListPoliciesForTargetInput{TargetId: &root, Filter: types.PolicyTypeServiceControlPolicy})
	count("ListPoliciesForTarget", len(forTarget.Policies), err)
	parents, err := c.ListParents(ctx, &organizations.ListParentsInput{ChildId: aws.String(member)})
	count("ListParents", len(parents.Parents), err)
	o, err := c.DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
	if err != nil {
		t.Fatal(err)
	}
	n["DescribeOrganization's policy types"] = len(o.Organization.AvailablePolicyTypes)
	return n
}

// busyWrites is a store whose writes all give up on contention, as a shared store does when
// a transaction keeps conflicting with others.
type busyWrites struct{ org.Store }

func (busyWrites) Update(context.Context, func(org.Tx) error) error {
	return fmt.Errorf("store: still conflicting after 10 attempts: %w", org.ErrBusy)
}

// A write the store gave up on is AWS's ConcurrentModificationException, which clients
// retry, not an internal error.
func TestBusyStoreAnswersConcurrentModification(t *testing.T) {
	var busy atomic.Bool
	s := apitest.Start(t, func(c *server.Config) {
		c.WrapStore = func(st org.Store) org.Store {
			return storeSwitch{normal: st, busy: busyWrites{st}, on: &busy}
		}
	})
	s.CreateOrganization("111111111111")
	busy.Store(true)
	_, err := s.Client("111111111111").TagResource(context.Background(), &organizations.TagResourceInput{
		ResourceId: aws.String("111111111111"), Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
	apitest.RequireCode(t, err, "ConcurrentModificationException", "")
}

// storeSwitch sends calls to busy while on, to normal otherwise.
type storeSwitch struct {
	normal, busy org.Store
	on           *atomic.Bool
}

func (s storeSwitch) pick() org.Store {
	if s.on.Load() {
		return s.busy
	}
	return s.normal
}

func (s storeSwitch) Update(ctx context.Context, fn func(org.Tx) error) error {
	return s.pick().Update(ctx, fn)
}

func (s storeSwitch) View(ctx context.Context, fn func(org.Tx) error) error {
	return s.pick().View(ctx, fn)
}

func (s storeSwitch) Close() error { return s.normal.Close() }
