package org_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/orgd/orgd/internal/apitest"
)

func TestDescribeAccountReturnsAWSShape(t *testing.T) {
	s := oaStart(t)
	s.Register(map[string]any{"Id": oaMgmt, "Email": "bill@amazon.com", "Name": "Org Master Account"})
	s.Register(map[string]any{"Id": oaMember, "Email": "juan@example.com", "Name": "Juan"})
	o := s.CreateOrganization(oaMgmt)
	before := time.Now().Add(-time.Second)
	s.Join(oaMgmt, oaMember)
	after := time.Now().Add(time.Second)
	oid := aws.ToString(o.Id)
	root := aws.ToString(oaRoot(t, s, oaMgmt).Id)

	for _, tc := range []struct{ id, email, name string }{
		{oaMgmt, "bill@amazon.com", "Org Master Account"},
		{oaMember, "juan@example.com", "Juan"},
	} {
		out, err := s.Client(oaMgmt).DescribeAccount(t.Context(), &organizations.DescribeAccountInput{AccountId: aws.String(tc.id)})
		if err != nil {
			t.Fatalf("DescribeAccount %s: %v", tc.id, err)
		}
		a := out.Account
		checks := []struct{ name, got, want string }{
			{"Id", aws.ToString(a.Id), tc.id},
			{"Arn", aws.ToString(a.Arn), "arn:aws:organizations::" + oaMgmt + ":account/" + oid + "/" + tc.id},
			{"Email", aws.ToString(a.Email), tc.email},
			{"Name", aws.ToString(a.Name), tc.name},
			{"State", string(a.State), "ACTIVE"},
			{"Status", string(a.Status), "ACTIVE"},
			{"JoinedMethod", string(a.JoinedMethod), "INVITED"},
		}
		for _, c := range checks {
			if c.got != c.want {
				t.Errorf("%s: %s = %q, want %q", tc.id, c.name, c.got, c.want)
			}
		}
		if a.JoinedTimestamp == nil || a.JoinedTimestamp.After(after) {
			t.Errorf("%s: JoinedTimestamp = %v, want at most %v", tc.id, a.JoinedTimestamp, after)
		}
		if want := []string{oid + "/" + root + "/" + tc.id + "/"}; a.Paths != nil && !slices.Equal(a.Paths, want) {
			t.Errorf("%s: Paths = %v, want %v", tc.id, a.Paths, want)
		}
	}
	// The member joined when it accepted the invitation.
	out, err := s.Client(oaMgmt).DescribeAccount(t.Context(), &organizations.DescribeAccountInput{AccountId: aws.String(oaMember)})
	if err != nil {
		t.Fatal(err)
	}
	if ts := out.Account.JoinedTimestamp; ts == nil || ts.Before(before) {
		t.Errorf("member JoinedTimestamp = %v, want after %v", ts, before)
	}
}

func TestDescribeAccountOutsideOrganizationNotFound(t *testing.T) {
	s := oaStart(t)
	oaOrg(t, s, oaMgmt, oaMember)
	oaOrg(t, s, oaOtherMgmt, oaOtherMbr)
	for _, id := range []string{oaStandalone, oaOtherMgmt, oaOtherMbr} {
		_, err := s.Client(oaMgmt).DescribeAccount(t.Context(), &organizations.DescribeAccountInput{AccountId: aws.String(id)})
		apitest.RequireCode(t, err, "AccountNotFoundException", "")
	}
}

func TestDescribeAccountCallerMustBeManagement(t *testing.T) {
	s := oaStart(t)
	oaOrg(t, s, oaMgmt, oaMember)
	for _, id := range []string{oaMember, oaMgmt} {
		_, err := s.Client(oaMember).DescribeAccount(t.Context(), &organizations.DescribeAccountInput{AccountId: aws.String(id)})
		apitest.RequireCode(t, err, "AccessDeniedException", "")
	}
	_, err := s.Client(oaStandalone).DescribeAccount(t.Context(), &organizations.DescribeAccountInput{AccountId: aws.String(oaMember)})
	apitest.RequireCode(t, err, "AWSOrganizationsNotInUseException", "")
}

func TestListAccountsListsEveryAccountOfTheOrganization(t *testing.T) {
	s := oaStart(t)
	oaOrg(t, s, oaMgmt, oaMember2, oaMember)
	oaOrg(t, s, oaOtherMgmt, oaOtherMbr)
	s.Invite(oaMgmt, oaStandalone) // invited, not joined: not listed
	root := oaRoot(t, s, oaMgmt).Id
	want := []string{oaMgmt, oaMember, oaMember2}
	c := s.Client(oaMgmt)

	if got := oaListAccountIDs(t, s, oaMgmt); !slices.Equal(got, want) {
		t.Errorf("ListAccounts = %v, want %v", got, want)
	}
	fp, err := c.ListAccountsForParent(t.Context(), &organizations.ListAccountsForParentInput{ParentId: root})
	if err != nil {
		t.Fatal(err)
	}
	if got := oaAccountIDs(fp.Accounts); !slices.Equal(got, want) || fp.NextToken != nil {
		t.Errorf("ListAccountsForParent(root) = %v (NextToken %v), want %v", got, fp.NextToken, want)
	}
	ch, err := c.ListChildren(t.Context(), &organizations.ListChildrenInput{ParentId: root, ChildType: types.ChildTypeAccount})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, child := range ch.Children {
		if child.Type != types.ChildTypeAccount {
			t.Errorf("child %s has Type %q, want ACCOUNT", aws.ToString(child.Id), child.Type)
		}
		ids = append(ids, aws.ToString(child.Id))
	}
	if !slices.Equal(ids, want) || ch.NextToken != nil {
		t.Errorf("ListChildren(root, ACCOUNT) = %v (NextToken %v), want %v", ids, ch.NextToken, want)
	}
}

func TestListChildrenOrganizationalUnitsOfRootIsEmpty(t *testing.T) {
	s := oaStart(t)
	oaOrg(t, s, oaMgmt, oaMember)
	out, err := s.Client(oaMgmt).ListChildren(t.Context(), &organizations.ListChildrenInput{
		ParentId: oaRoot(t, s, oaMgmt).Id, ChildType: types.ChildTypeOrganizationalUnit,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Children) != 0 || out.NextToken != nil {
		t.Errorf("ListChildren(root, ORGANIZATIONAL_UNIT) = %+v (NextToken %v), want nothing", out.Children, out.NextToken)
	}
}

func TestListParentsOfAnAccountIsTheRoot(t *testing.T) {
	s := oaStart(t)
	oaOrg(t, s, oaMgmt, oaMember)
	root := aws.ToString(oaRoot(t, s, oaMgmt).Id)
	for _, id := range []string{oaMgmt, oaMember} {
		out, err := s.Client(oaMgmt).ListParents(t.Context(), &organizations.ListParentsInput{ChildId: aws.String(id)})
		if err != nil {
			t.Fatalf("ListParents(%s): %v", id, err)
		}
		if len(out.Parents) != 1 || aws.ToString(out.Parents[0].Id) != root || out.Parents[0].Type != types.ParentTypeRoot || out.NextToken != nil {
			t.Errorf("ListParents(%s) = %+v, want [{%s ROOT}]", id, out.Parents, root)
		}
	}
}

func TestListParentsUnknownChildNotFound(t *testing.T) {
	s := oaStart(t)
	oaOrg(t, s, oaMgmt, oaMember)
	oaOrg(t, s, oaOtherMgmt, oaOtherMbr)
	for _, id := range []string{oaStandalone, oaOtherMbr, oaOtherMgmt, "ou-abcd-12345678"} {
		_, err := s.Client(oaMgmt).ListParents(t.Context(), &organizations.ListParentsInput{ChildId: aws.String(id)})
		apitest.RequireCode(t, err, "ChildNotFoundException", "")
	}
}

// oaUnknownParents returns parent ids that are not the root of mgmt's organization: another
// organization's root, a root id that differs from the real one, and an OU id.
func oaUnknownParents(t *testing.T, s *apitest.Server) []string {
	t.Helper()
	root := aws.ToString(oaRoot(t, s, oaMgmt).Id)
	other := aws.ToString(oaRoot(t, s, oaOtherMgmt).Id)
	mutated := "r-0000"
	if root == mutated {
		mutated = "r-0001"
	}
	return []string{other, mutated, "ou-" + root[2:] + "-12345678"}
}

func TestListUnknownParentNotFound(t *testing.T) {
	s := oaStart(t)
	oaOrg(t, s, oaMgmt, oaMember)
	oaOrg(t, s, oaOtherMgmt)
	c := s.Client(oaMgmt)
	for _, parent := range oaUnknownParents(t, s) {
		_, err := c.ListAccountsForParent(t.Context(), &organizations.ListAccountsForParentInput{ParentId: aws.String(parent)})
		apitest.RequireCode(t, err, "ParentNotFoundException", "")
		for _, ct := range []types.ChildType{types.ChildTypeAccount, types.ChildTypeOrganizationalUnit} {
			_, err := c.ListChildren(t.Context(), &organizations.ListChildrenInput{ParentId: aws.String(parent), ChildType: ct})
			apitest.RequireCode(t, err, "ParentNotFoundException", "")
		}
	}
}

// oaLister lists one page of account ids of one list operation as caller.
type oaLister func(ctx context.Context, c *organizations.Client, token *string, max *int32) (ids []string, next *string, err error)

// oaListers returns the three account lists of mgmt's organization, by name.
func oaListers(root *string) []struct {
	name string
	list oaLister
} {
	return []struct {
		name string
		list oaLister
	}{
		{"ListAccounts", func(ctx context.Context, c *organizations.Client, tok *string, max *int32) ([]string, *string, error) {
			out, err := c.ListAccounts(ctx, &organizations.ListAccountsInput{NextToken: tok, MaxResults: max})
			if err != nil {
				return nil, nil, err
			}
			return oaAccountIDs(out.Accounts), out.NextToken, nil
		}},
		{"ListAccountsForParent", func(ctx context.Context, c *organizations.Client, tok *string, max *int32) ([]string, *string, error) {
			out, err := c.ListAccountsForParent(ctx, &organizations.ListAccountsForParentInput{ParentId: root, NextToken: tok, MaxResults: max})
			if err != nil {
				return nil, nil, err
			}
			return oaAccountIDs(out.Accounts), out.NextToken, nil
		}},
		{"ListChildren", func(ctx context.Context, c *organizations.Client, tok *string, max *int32) ([]string, *string, error) {
			out, err := c.ListChildren(ctx, &organizations.ListChildrenInput{ParentId: root, ChildType: types.ChildTypeAccount, NextToken: tok, MaxResults: max})
			if err != nil {
				return nil, nil, err
			}
			ids := make([]string, len(out.Children))
			for i, ch := range out.Children {
				ids[i] = aws.ToString(ch.Id)
			}
			return ids, out.NextToken, nil
		}},
	}
}

// oaManyMembers are the 25 members the paging tests join, in id order.
func oaManyMembers() []string {
	ids := make([]string, 25)
	for i := range ids {
		ids[i] = fmt.Sprintf("3000000000%02d", i)
	}
	return ids
}

func TestListAccountsPagesWithoutGapsOrDuplicates(t *testing.T) {
	s := oaStart(t, apitest.WithQuotas(oaManyAccounts))
	members := oaManyMembers()
	// Join in an order unlike the id order, so the listing order is the server's own.
	rev := slices.Clone(members)
	slices.Reverse(rev)
	oaOrg(t, s, oaMgmt, rev...)
	want := append([]string{oaMgmt}, members...)
	root := oaRoot(t, s, oaMgmt).Id
	c := s.Client(oaMgmt)

	for _, l := range oaListers(root) {
		t.Run(l.name, func(t *testing.T) {
			for _, max := range []int32{1, 7, 13, 20} {
				var got []string
				var tok *string
				pages := 0
				for {
					ids, next, err := l.list(t.Context(), c, tok, aws.Int32(max))
					if err != nil {
						t.Fatalf("MaxResults %d, page %d: %v", max, pages+1, err)
					}
					if len(ids) > int(max) {
						t.Fatalf("MaxResults %d: page of %d", max, len(ids))
					}
					if next != nil && len(ids) != int(max) {
						t.Errorf("MaxResults %d: short page of %d before the end", max, len(ids))
					}
					got = append(got, ids...)
					pages++
					if next == nil {
						break
					}
					if pages > len(want) {
						t.Fatalf("MaxResults %d: more pages than accounts", max)
					}
					tok = next
				}
				if !slices.Equal(got, want) {
					t.Errorf("MaxResults %d: listed %v, want %v", max, got, want)
				}
				if wantPages := (len(want) + int(max) - 1) / int(max); pages != wantPages {
					t.Errorf("MaxResults %d: %d pages, want %d", max, pages, wantPages)
				}
			}
			// Without MaxResults a page holds 20.
			ids, next, err := l.list(t.Context(), c, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(ids) != 20 || next == nil || !slices.Equal(ids, want[:20]) {
				t.Errorf("default page = %d accounts (NextToken %v), want the first 20 and a NextToken", len(ids), next != nil)
			}
			// A token can be used again and gives the same page.
			a, _, err := l.list(t.Context(), c, next, nil)
			if err != nil {
				t.Fatal(err)
			}
			b, _, err := l.list(t.Context(), c, next, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(a, b) || !slices.Equal(a, want[20:]) {
				t.Errorf("second page twice = %v and %v, want %v", a, b, want[20:])
			}
		})
	}
}

func TestListAccountsPagingSurvivesChangesBetweenPages(t *testing.T) {
	s := oaStart(t)
	members := []string{"300000000000", "300000000001", "300000000002", "300000000003", "300000000004"}
	oaOrg(t, s, oaMgmt, members...)
	c := s.Client(oaMgmt)
	l := oaListers(oaRoot(t, s, oaMgmt).Id)[0]

	first, tok, err := l.list(t.Context(), c, nil, aws.Int32(3))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{oaMgmt, members[0], members[1]}; !slices.Equal(first, want) || tok == nil {
		t.Fatalf("first page = %v (NextToken %v), want %v and a token", first, tok != nil, want)
	}
	// The last account of the page leaves, and one not yet listed too: the next page goes on
	// after the position, with no account twice and none that left.
	for _, id := range []string{members[1], members[3]} {
		if _, err := c.RemoveAccountFromOrganization(t.Context(), &organizations.RemoveAccountFromOrganizationInput{AccountId: aws.String(id)}); err != nil {
			t.Fatal(err)
		}
	}
	rest, next, err := l.list(t.Context(), c, tok, aws.Int32(3))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{members[2], members[4]}; !slices.Equal(rest, want) || next != nil {
		t.Errorf("next page = %v (NextToken %v), want %v and the end", rest, next != nil, want)
	}
}

func TestListNextTokenIsBoundToItsListAndCaller(t *testing.T) {
	s := oaStart(t)
	oaOrg(t, s, oaMgmt, oaMember, oaMember2)
	oaOrg(t, s, oaOtherMgmt, oaOtherMbr, oaStandalone)
	root := oaRoot(t, s, oaMgmt).Id
	otherRoot := oaRoot(t, s, oaOtherMgmt).Id
	c, other := s.Client(oaMgmt), s.Client(oaOtherMgmt)
	listers := oaListers(root)
	otherListers := oaListers(otherRoot)

	for i, from := range listers {
		_, tok, err := from.list(t.Context(), c, nil, aws.Int32(1))
		if err != nil {
			t.Fatal(err)
		}
		if tok == nil {
			t.Fatalf("%s with MaxResults 1 over 3 accounts gave no NextToken", from.name)
		}
		// The token works where it came from.
		if _, _, err := from.list(t.Context(), c, tok, aws.Int32(1)); err != nil {
			t.Fatalf("%s with its own token: %v", from.name, err)
		}
		for j, to := range listers {
			if i == j {
				continue
			}
			_, _, err := to.list(t.Context(), c, tok, aws.Int32(1))
			t.Run(from.name+" token on "+to.name, func(t *testing.T) {
				apitest.RequireCode(t, err, "InvalidInputException", "INVALID_NEXT_TOKEN")
			})
		}
		t.Run(from.name+" token by another caller", func(t *testing.T) {
			_, _, err := otherListers[i].list(t.Context(), other, tok, aws.Int32(1))
			apitest.RequireCode(t, err, "InvalidInputException", "INVALID_NEXT_TOKEN")
		})
		t.Run(from.name+" token on ListChildren of OUs", func(t *testing.T) {
			_, err := c.ListChildren(t.Context(), &organizations.ListChildrenInput{ParentId: root, ChildType: types.ChildTypeOrganizationalUnit, NextToken: tok})
			apitest.RequireCode(t, err, "InvalidInputException", "INVALID_NEXT_TOKEN")
		})
		t.Run(from.name+" token on ListParents", func(t *testing.T) {
			_, err := c.ListParents(t.Context(), &organizations.ListParentsInput{ChildId: aws.String(oaMember), NextToken: tok})
			apitest.RequireCode(t, err, "InvalidInputException", "INVALID_NEXT_TOKEN")
		})
		for _, alt := range []struct{ name, tok string }{
			{"first character", oaFlip(*tok, 0)},
			{"last character", oaFlip(*tok, len(*tok)-1)},
			{"appended", *tok + "A"},
			{"truncated", (*tok)[:len(*tok)-1]},
			{"empty", ""},
			{"not a token", "garbage"},
		} {
			t.Run(from.name+" token altered "+alt.name, func(t *testing.T) {
				_, _, err := from.list(t.Context(), c, aws.String(alt.tok), aws.Int32(1))
				apitest.RequireCode(t, err, "InvalidInputException", "INVALID_NEXT_TOKEN")
			})
		}
	}
}

// oaFlip changes the character at i of s to another one of the base64url alphabet.
func oaFlip(s string, i int) string {
	b := []byte(s)
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}

func TestListMaxResultsOutOfRange(t *testing.T) {
	s := oaStart(t)
	oaOrg(t, s, oaMgmt, oaMember)
	c := s.Client(oaMgmt)
	for _, l := range oaListers(oaRoot(t, s, oaMgmt).Id) {
		for _, tc := range []struct {
			max    int32
			reason string
		}{{0, "MIN_VALUE_EXCEEDED"}, {21, "MAX_VALUE_EXCEEDED"}} {
			t.Run(fmt.Sprintf("%s MaxResults %d", l.name, tc.max), func(t *testing.T) {
				_, _, err := l.list(t.Context(), c, nil, aws.Int32(tc.max))
				apitest.RequireCode(t, err, "InvalidInputException", tc.reason)
			})
		}
	}
}

func TestListCallerMustBeManagement(t *testing.T) {
	s := oaStart(t)
	oaOrg(t, s, oaMgmt, oaMember)
	root := oaRoot(t, s, oaMgmt).Id
	calls := map[string]func(c *organizations.Client) error{
		"ListParents": func(c *organizations.Client) error {
			_, err := c.ListParents(t.Context(), &organizations.ListParentsInput{ChildId: aws.String(oaMember)})
			return err
		},
	}
	for _, l := range oaListers(root) {
		calls[l.name] = func(c *organizations.Client) error {
			_, _, err := l.list(t.Context(), c, nil, nil)
			return err
		}
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			apitest.RequireCode(t, call(s.Client(oaMember)), "AccessDeniedException", "")
			apitest.RequireCode(t, call(s.Client(oaStandalone)), "AWSOrganizationsNotInUseException", "")
		})
	}
}

// oaLeavers are the two ways out of an organization: removal by the management account and
// leaving by the member itself.
var oaLeavers = []struct {
	name  string
	leave func(ctx context.Context, s *apitest.Server, mgmt, member string) error
}{
	{"RemoveAccountFromOrganization", func(ctx context.Context, s *apitest.Server, mgmt, member string) error {
		_, err := s.Client(mgmt).RemoveAccountFromOrganization(ctx, &organizations.RemoveAccountFromOrganizationInput{AccountId: aws.String(member)})
		return err
	}},
	{"LeaveOrganization", func(ctx context.Context, s *apitest.Server, mgmt, member string) error {
		_, err := s.Client(member).LeaveOrganization(ctx, &organizations.LeaveOrganizationInput{})
		return err
	}},
}

func TestLeavingMakesTheAccountStandalone(t *testing.T) {
	for _, l := range oaLeavers {
		t.Run(l.name, func(t *testing.T) {
			s := oaStart(t)
			oaOrg(t, s, oaMgmt, oaMember, oaMember2)
			if err := l.leave(t.Context(), s, oaMgmt, oaMember); err != nil {
				t.Fatal(err)
			}
			oaRequireNotInOrganization(t, s, oaMember)
			if got := oaListAccountIDs(t, s, oaMgmt); !slices.Equal(got, []string{oaMgmt, oaMember2}) {
				t.Errorf("accounts after %s = %v, want %v", l.name, got, []string{oaMgmt, oaMember2})
			}
			_, err := s.Client(oaMgmt).DescribeAccount(t.Context(), &organizations.DescribeAccountInput{AccountId: aws.String(oaMember)})
			apitest.RequireCode(t, err, "AccountNotFoundException", "")
			// A standalone account again: it can create its own organization.
			s.CreateOrganization(oaMember)
		})
	}
}

func TestLeavingManagementAccountCannotLeave(t *testing.T) {
	for _, l := range oaLeavers {
		t.Run(l.name, func(t *testing.T) {
			s := oaStart(t)
			oaOrg(t, s, oaMgmt, oaMember)
			err := l.leave(t.Context(), s, oaMgmt, oaMgmt)
			apitest.RequireCode(t, err, "MasterCannotLeaveOrganizationException", "")
			if got := oaListAccountIDs(t, s, oaMgmt); !slices.Equal(got, []string{oaMgmt, oaMember}) {
				t.Errorf("accounts = %v, want both", got)
			}
		})
	}
}

func TestLeavingRequiresMemberPaymentInstrument(t *testing.T) {
	for _, l := range oaLeavers {
		t.Run(l.name, func(t *testing.T) {
			s := oaStart(t)
			oaOrg(t, s, oaMgmt, oaMember)
			s.Register(map[string]any{"Id": oaMember, "PaymentInstrument": false})
			err := l.leave(t.Context(), s, oaMgmt, oaMember)
			apitest.RequireCode(t, err, "ConstraintViolationException", "MEMBER_ACCOUNT_PAYMENT_INSTRUMENT_REQUIRED")
			if got := oaListAccountIDs(t, s, oaMgmt); !slices.Equal(got, []string{oaMgmt, oaMember}) {
				t.Errorf("accounts = %v, want the member still there", got)
			}
			// With a payment method the account can go.
			s.Register(map[string]any{"Id": oaMember, "PaymentInstrument": true})
			if err := l.leave(t.Context(), s, oaMgmt, oaMember); err != nil {
				t.Fatal(err)
			}
			oaRequireNotInOrganization(t, s, oaMember)
		})
	}
}

func TestLeavingDeletesTheAccountTags(t *testing.T) {
	for _, l := range oaLeavers {
		t.Run(l.name, func(t *testing.T) {
			s := oaStart(t)
			oaOrg(t, s, oaMgmt, oaMember, oaMember2)
			c := s.Client(oaMgmt)
			for _, id := range []string{oaMember, oaMember2} {
				oaTag(t, c, id, "team", "core")
			}
			if err := l.leave(t.Context(), s, oaMgmt, oaMember); err != nil {
				t.Fatal(err)
			}
			// Standalone, the account is no resource of the organization.
			_, err := c.ListTagsForResource(t.Context(), &organizations.ListTagsForResourceInput{ResourceId: aws.String(oaMember)})
			apitest.RequireCode(t, err, "TargetNotFoundException", "")
			// Back in the organization it has no tags; the other member keeps its own.
			s.Join(oaMgmt, oaMember)
			if got := oaTags(t, c, oaMember); len(got) != 0 {
				t.Errorf("tags of the rejoined account = %v, want none", got)
			}
			if got := oaTags(t, c, oaMember2); !slices.Equal(got, []string{"team=core"}) {
				t.Errorf("tags of the other member = %v, want [team=core]", got)
			}
		})
	}
}

func TestRemoveAccountFromOrganizationNonMemberNotFound(t *testing.T) {
	s := oaStart(t)
	oaOrg(t, s, oaMgmt, oaMember)
	oaOrg(t, s, oaOtherMgmt, oaOtherMbr)
	for _, id := range []string{oaStandalone, oaOtherMbr, oaOtherMgmt} {
		_, err := s.Client(oaMgmt).RemoveAccountFromOrganization(t.Context(), &organizations.RemoveAccountFromOrganizationInput{AccountId: aws.String(id)})
		apitest.RequireCode(t, err, "AccountNotFoundException", "")
	}
	// The other organization is untouched.
	if got := oaListAccountIDs(t, s, oaOtherMgmt); !slices.Equal(got, []string{oaOtherMgmt, oaOtherMbr}) {
		t.Errorf("other organization's accounts = %v", got)
	}
}

func TestRemoveAccountFromOrganizationCallerMustBeManagement(t *testing.T) {
	s := oaStart(t)
	oaOrg(t, s, oaMgmt, oaMember, oaMember2)
	for _, id := range []string{oaMember2, oaMember} {
		_, err := s.Client(oaMember).RemoveAccountFromOrganization(t.Context(), &organizations.RemoveAccountFromOrganizationInput{AccountId: aws.String(id)})
		apitest.RequireCode(t, err, "AccessDeniedException", "")
	}
	_, err := s.Client(oaStandalone).RemoveAccountFromOrganization(t.Context(), &organizations.RemoveAccountFromOrganizationInput{AccountId: aws.String(oaMember)})
	apitest.RequireCode(t, err, "AWSOrganizationsNotInUseException", "")
	if got := oaListAccountIDs(t, s, oaMgmt); !slices.Equal(got, []string{oaMgmt, oaMember, oaMember2}) {
		t.Errorf("accounts = %v, want all three", got)
	}
}

func TestLeaveOrganizationStandaloneNotInUse(t *testing.T) {
	s := oaStart(t)
	oaOrg(t, s, oaMgmt, oaMember)
	_, err := s.Client(oaStandalone).LeaveOrganization(t.Context(), &organizations.LeaveOrganizationInput{})
	apitest.RequireCode(t, err, "AWSOrganizationsNotInUseException", "")
}

func TestCallerAccountFromMotoHeader(t *testing.T) {
	s := oaStart(t)
	o := oaOrg(t, s, oaMgmt, oaMember)
	as := func(account string) func(*organizations.Options) {
		return organizations.WithAPIOptions(smithyhttp.SetHeaderValue("x-moto-account-id", account))
	}
	describe := func(c *organizations.Client, opts ...func(*organizations.Options)) (*types.Organization, error) {
		out, err := c.DescribeOrganization(t.Context(), &organizations.DescribeOrganizationInput{}, opts...)
		if err != nil {
			return nil, err
		}
		return out.Organization, nil
	}

	// An access key that names no account acts as the default account, which is standalone...
	anon := s.ClientWithKey("AKIAIOSFODNN7EXAMPLE")
	_, err := describe(anon)
	apitest.RequireCode(t, err, "AWSOrganizationsNotInUseException", "")
	// ...unless the header names the account.
	got, err := describe(anon, as(oaMember))
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(got.Id) != aws.ToString(o.Id) {
		t.Errorf("DescribeOrganization as the header's member = %s, want %s", aws.ToString(got.Id), aws.ToString(o.Id))
	}
	// The header wins over a 12-digit access key: the member key acting as the management
	// account may list accounts, and the management key acting as the member may not.
	if _, err := s.Client(oaMember).ListAccounts(t.Context(), &organizations.ListAccountsInput{}, as(oaMgmt)); err != nil {
		t.Errorf("ListAccounts with the header naming the management account: %v", err)
	}
	_, err = s.Client(oaMgmt).ListAccounts(t.Context(), &organizations.ListAccountsInput{}, as(oaMember))
	apitest.RequireCode(t, err, "AccessDeniedException", "")
	_, err = describe(s.Client(oaMgmt), as(oaStandalone))
	apitest.RequireCode(t, err, "AWSOrganizationsNotInUseException", "")
}
