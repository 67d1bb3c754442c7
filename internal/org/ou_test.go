package org_test

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/orgd/orgd/internal/apitest"
	"github.com/orgd/orgd/internal/org"
)

const ouMgmt = "111111111111"

// ouSetup starts a server with an all-features organization and returns the management
// account's client, the organization and its root id.
func ouSetup(t *testing.T, cfg ...func(*org.Quotas)) (*apitest.Server, *organizations.Client, *types.Organization, string) {
	t.Helper()
	s := apitest.Start(t, apitest.WithQuotas(func(q *org.Quotas) {
		q.MaxAccounts = 50
		for _, f := range cfg {
			f(q)
		}
	}))
	o := s.CreateOrganization(ouMgmt)
	c := s.Client(ouMgmt)
	roots, err := c.ListRoots(context.Background(), &organizations.ListRootsInput{})
	if err != nil {
		t.Fatal(err)
	}
	return s, c, o, aws.ToString(roots.Roots[0].Id)
}

func ouCreate(t *testing.T, c *organizations.Client, parent, name string) *types.OrganizationalUnit {
	t.Helper()
	out, err := c.CreateOrganizationalUnit(context.Background(), &organizations.CreateOrganizationalUnitInput{
		ParentId: aws.String(parent), Name: aws.String(name)})
	if err != nil {
		t.Fatalf("create OU %q under %s: %v", name, parent, err)
	}
	return out.OrganizationalUnit
}

func TestCreateOrganizationalUnitShape(t *testing.T) {
	_, c, o, root := ouSetup(t)
	ou := ouCreate(t, c, root, "Engineering")
	id := aws.ToString(ou.Id)
	if !regexp.MustCompile(`^ou-` + root[2:] + `-[a-z0-9]{8}$`).MatchString(id) {
		t.Errorf("Id = %q, want ou-%s-xxxxxxxx", id, root[2:])
	}
	orgID := aws.ToString(o.Id)
	if want := "arn:aws:organizations::" + ouMgmt + ":ou/" + orgID + "/" + id; aws.ToString(ou.Arn) != want {
		t.Errorf("Arn = %q, want %q", aws.ToString(ou.Arn), want)
	}
	if want := orgID + "/" + root + "/" + id + "/"; aws.ToString(ou.Path) != want {
		t.Errorf("Path = %q, want %q", aws.ToString(ou.Path), want)
	}
	if aws.ToString(ou.Name) != "Engineering" {
		t.Errorf("Name = %q", aws.ToString(ou.Name))
	}
	got, err := c.DescribeOrganizationalUnit(context.Background(), &organizations.DescribeOrganizationalUnitInput{OrganizationalUnitId: ou.Id})
	if err != nil {
		t.Fatal(err)
	}
	if g := got.OrganizationalUnit; aws.ToString(g.Id) != id || aws.ToString(g.Arn) != aws.ToString(ou.Arn) ||
		aws.ToString(g.Name) != "Engineering" || aws.ToString(g.Path) != aws.ToString(ou.Path) {
		t.Errorf("DescribeOrganizationalUnit = %s %s %s %s", aws.ToString(g.Id), aws.ToString(g.Arn), aws.ToString(g.Name), aws.ToString(g.Path))
	}
	child := ouCreate(t, c, id, "Platform")
	if want := orgID + "/" + root + "/" + id + "/" + aws.ToString(child.Id) + "/"; aws.ToString(child.Path) != want {
		t.Errorf("nested Path = %q, want %q", aws.ToString(child.Path), want)
	}
}

func TestOUDepthLimitIsFiveLevels(t *testing.T) {
	_, c, _, root := ouSetup(t)
	parent := root
	for level := 1; level <= 5; level++ {
		parent = aws.ToString(ouCreate(t, c, parent, fmt.Sprintf("level-%d", level)).Id)
	}
	_, err := c.CreateOrganizationalUnit(context.Background(), &organizations.CreateOrganizationalUnitInput{
		ParentId: aws.String(parent), Name: aws.String("level-6")})
	apitest.RequireCode(t, err, "ConstraintViolationException", "OU_DEPTH_LIMIT_EXCEEDED")
}

func TestOUNumberQuota(t *testing.T) {
	_, c, _, root := ouSetup(t, func(q *org.Quotas) { q.MaxOUs = 2 })
	a := ouCreate(t, c, root, "a")
	ouCreate(t, c, aws.ToString(a.Id), "b")
	_, err := c.CreateOrganizationalUnit(context.Background(), &organizations.CreateOrganizationalUnitInput{
		ParentId: aws.String(root), Name: aws.String("c")})
	apitest.RequireCode(t, err, "ConstraintViolationException", "OU_NUMBER_LIMIT_EXCEEDED")
}

func TestOUNamesAreUniqueAmongSiblings(t *testing.T) {
	_, c, _, root := ouSetup(t)
	prod := ouCreate(t, c, root, "Prod")
	_, err := c.CreateOrganizationalUnit(context.Background(), &organizations.CreateOrganizationalUnitInput{
		ParentId: aws.String(root), Name: aws.String("Prod")})
	apitest.RequireCode(t, err, "DuplicateOrganizationalUnitException", "")
	// The same name under another parent is another OU.
	ouCreate(t, c, aws.ToString(prod.Id), "Prod")
	dev := ouCreate(t, c, root, "Dev")
	_, err = c.UpdateOrganizationalUnit(context.Background(), &organizations.UpdateOrganizationalUnitInput{
		OrganizationalUnitId: dev.Id, Name: aws.String("Prod")})
	apitest.RequireCode(t, err, "DuplicateOrganizationalUnitException", "")
}

func TestUpdateOrganizationalUnitRenames(t *testing.T) {
	_, c, _, root := ouSetup(t)
	ou := ouCreate(t, c, root, "Old")
	out, err := c.UpdateOrganizationalUnit(context.Background(), &organizations.UpdateOrganizationalUnitInput{
		OrganizationalUnitId: ou.Id, Name: aws.String("New")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.OrganizationalUnit.Name) != "New" || aws.ToString(out.OrganizationalUnit.Id) != aws.ToString(ou.Id) {
		t.Errorf("UpdateOrganizationalUnit = %+v", *out.OrganizationalUnit)
	}
	// Without a Name nothing changes.
	out, err = c.UpdateOrganizationalUnit(context.Background(), &organizations.UpdateOrganizationalUnitInput{OrganizationalUnitId: ou.Id})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.OrganizationalUnit.Name) != "New" {
		t.Errorf("UpdateOrganizationalUnit without Name = %q", aws.ToString(out.OrganizationalUnit.Name))
	}
	got, err := c.DescribeOrganizationalUnit(context.Background(), &organizations.DescribeOrganizationalUnitInput{OrganizationalUnitId: ou.Id})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(got.OrganizationalUnit.Name) != "New" {
		t.Errorf("Describe after rename: Name = %q", aws.ToString(got.OrganizationalUnit.Name))
	}
}

func TestOUNotFound(t *testing.T) {
	s, c, _, root := ouSetup(t)
	missing := "ou-" + root[2:] + "-zzzzzzzz"
	_, err := c.DescribeOrganizationalUnit(context.Background(), &organizations.DescribeOrganizationalUnitInput{OrganizationalUnitId: aws.String(missing)})
	apitest.RequireCode(t, err, "OrganizationalUnitNotFoundException", "")
	_, err = c.UpdateOrganizationalUnit(context.Background(), &organizations.UpdateOrganizationalUnitInput{OrganizationalUnitId: aws.String(missing), Name: aws.String("x")})
	apitest.RequireCode(t, err, "OrganizationalUnitNotFoundException", "")
	_, err = c.DeleteOrganizationalUnit(context.Background(), &organizations.DeleteOrganizationalUnitInput{OrganizationalUnitId: aws.String(missing)})
	apitest.RequireCode(t, err, "OrganizationalUnitNotFoundException", "")
	_, err = c.CreateOrganizationalUnit(context.Background(), &organizations.CreateOrganizationalUnitInput{ParentId: aws.String(missing), Name: aws.String("x")})
	apitest.RequireCode(t, err, "ParentNotFoundException", "")
	_, err = c.ListOrganizationalUnitsForParent(context.Background(), &organizations.ListOrganizationalUnitsForParentInput{ParentId: aws.String("r-zzzz")})
	apitest.RequireCode(t, err, "ParentNotFoundException", "")

	// Another organization's OU does not exist for this one.
	s.CreateOrganization("222222222222")
	other := s.Client("222222222222")
	roots, err := other.ListRoots(context.Background(), &organizations.ListRootsInput{})
	if err != nil {
		t.Fatal(err)
	}
	foreign := ouCreate(t, other, aws.ToString(roots.Roots[0].Id), "theirs")
	_, err = c.DescribeOrganizationalUnit(context.Background(), &organizations.DescribeOrganizationalUnitInput{OrganizationalUnitId: foreign.Id})
	apitest.RequireCode(t, err, "OrganizationalUnitNotFoundException", "")
	_, err = c.CreateOrganizationalUnit(context.Background(), &organizations.CreateOrganizationalUnitInput{ParentId: foreign.Id, Name: aws.String("x")})
	apitest.RequireCode(t, err, "ParentNotFoundException", "")
}

func TestOUOperationsAreForTheManagementAccount(t *testing.T) {
	s, c, _, root := ouSetup(t)
	ou := ouCreate(t, c, root, "a")
	s.Join(ouMgmt, "222222222222")
	member := s.Client("222222222222")
	ctx := context.Background()
	_, err := member.CreateOrganizationalUnit(ctx, &organizations.CreateOrganizationalUnitInput{ParentId: aws.String(root), Name: aws.String("b")})
	apitest.RequireCode(t, err, "AccessDeniedException", "")
	_, err = member.DescribeOrganizationalUnit(ctx, &organizations.DescribeOrganizationalUnitInput{OrganizationalUnitId: ou.Id})
	apitest.RequireCode(t, err, "AccessDeniedException", "")
	_, err = member.DeleteOrganizationalUnit(ctx, &organizations.DeleteOrganizationalUnitInput{OrganizationalUnitId: ou.Id})
	apitest.RequireCode(t, err, "AccessDeniedException", "")
	_, err = member.MoveAccount(ctx, &organizations.MoveAccountInput{AccountId: aws.String("222222222222"),
		SourceParentId: aws.String(root), DestinationParentId: ou.Id})
	apitest.RequireCode(t, err, "AccessDeniedException", "")
	_, err = s.Client("333333333333").ListOrganizationalUnitsForParent(ctx, &organizations.ListOrganizationalUnitsForParentInput{ParentId: aws.String(root)})
	apitest.RequireCode(t, err, "AWSOrganizationsNotInUseException", "")
}

func TestDeleteOrganizationalUnitMustBeEmpty(t *testing.T) {
	s, c, _, root := ouSetup(t)
	ctx := context.Background()
	parent := ouCreate(t, c, root, "parent")
	child := ouCreate(t, c, aws.ToString(parent.Id), "child")
	_, err := c.DeleteOrganizationalUnit(ctx, &organizations.DeleteOrganizationalUnitInput{OrganizationalUnitId: parent.Id})
	apitest.RequireCode(t, err, "OrganizationalUnitNotEmptyException", "")

	s.Join(ouMgmt, "222222222222")
	if _, err := c.MoveAccount(ctx, &organizations.MoveAccountInput{AccountId: aws.String("222222222222"),
		SourceParentId: aws.String(root), DestinationParentId: child.Id}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DeleteOrganizationalUnit(ctx, &organizations.DeleteOrganizationalUnitInput{OrganizationalUnitId: child.Id})
	apitest.RequireCode(t, err, "OrganizationalUnitNotEmptyException", "")

	if _, err := c.MoveAccount(ctx, &organizations.MoveAccountInput{AccountId: aws.String("222222222222"),
		SourceParentId: child.Id, DestinationParentId: aws.String(root)}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []*string{child.Id, parent.Id} {
		if _, err := c.DeleteOrganizationalUnit(ctx, &organizations.DeleteOrganizationalUnitInput{OrganizationalUnitId: id}); err != nil {
			t.Fatalf("delete %s: %v", aws.ToString(id), err)
		}
	}
	_, err = c.DescribeOrganizationalUnit(ctx, &organizations.DescribeOrganizationalUnitInput{OrganizationalUnitId: parent.Id})
	apitest.RequireCode(t, err, "OrganizationalUnitNotFoundException", "")
	// The name is free again.
	ouCreate(t, c, root, "parent")
}

func TestListOrganizationalUnitsForParentPages(t *testing.T) {
	_, c, _, root := ouSetup(t)
	var want []string
	for i := range 7 {
		want = append(want, aws.ToString(ouCreate(t, c, root, fmt.Sprintf("ou-%d", i)).Id))
	}
	slices.Sort(want)
	// A nested OU is not a child of the root.
	ouCreate(t, c, want[0], "nested")
	var got []string
	p := organizations.NewListOrganizationalUnitsForParentPaginator(c,
		&organizations.ListOrganizationalUnitsForParentInput{ParentId: aws.String(root), MaxResults: aws.Int32(3)})
	pages := 0
	for p.HasMorePages() {
		out, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, u := range out.OrganizationalUnits {
			got = append(got, aws.ToString(u.Id))
		}
	}
	if !slices.Equal(got, want) || pages != 3 {
		t.Errorf("got %v in %d pages, want %v in 3", got, pages, want)
	}
}

func TestMoveAccountBetweenParents(t *testing.T) {
	s, c, o, root := ouSetup(t)
	ctx := context.Background()
	const acct = "222222222222"
	s.Join(ouMgmt, acct)
	a := ouCreate(t, c, root, "a")
	b := ouCreate(t, c, aws.ToString(a.Id), "b")
	move := func(src, dst string) error {
		_, err := c.MoveAccount(ctx, &organizations.MoveAccountInput{AccountId: aws.String(acct),
			SourceParentId: aws.String(src), DestinationParentId: aws.String(dst)})
		return err
	}
	if err := move(root, aws.ToString(b.Id)); err != nil {
		t.Fatal(err)
	}
	parents, err := c.ListParents(ctx, &organizations.ListParentsInput{ChildId: aws.String(acct)})
	if err != nil {
		t.Fatal(err)
	}
	if len(parents.Parents) != 1 || aws.ToString(parents.Parents[0].Id) != aws.ToString(b.Id) || parents.Parents[0].Type != types.ParentTypeOrganizationalUnit {
		t.Errorf("ListParents = %+v", parents.Parents)
	}
	desc, err := c.DescribeAccount(ctx, &organizations.DescribeAccountInput{AccountId: aws.String(acct)})
	if err != nil {
		t.Fatal(err)
	}
	wantPath := aws.ToString(o.Id) + "/" + root + "/" + aws.ToString(a.Id) + "/" + aws.ToString(b.Id) + "/" + acct + "/"
	if !slices.Equal(desc.Account.Paths, []string{wantPath}) {
		t.Errorf("Paths = %v, want [%s]", desc.Account.Paths, wantPath)
	}
	inB, err := c.ListAccountsForParent(ctx, &organizations.ListAccountsForParentInput{ParentId: b.Id})
	if err != nil {
		t.Fatal(err)
	}
	if len(inB.Accounts) != 1 || aws.ToString(inB.Accounts[0].Id) != acct {
		t.Errorf("ListAccountsForParent(b) = %v", inB.Accounts)
	}
	inRoot, err := c.ListAccountsForParent(ctx, &organizations.ListAccountsForParentInput{ParentId: aws.String(root)})
	if err != nil {
		t.Fatal(err)
	}
	if len(inRoot.Accounts) != 1 || aws.ToString(inRoot.Accounts[0].Id) != ouMgmt {
		t.Errorf("ListAccountsForParent(root) = %v, want only the management account", inRoot.Accounts)
	}

	missing := "ou-" + root[2:] + "-zzzzzzzz"
	apitest.RequireCode(t, move(aws.ToString(b.Id), aws.ToString(b.Id)), "DuplicateAccountException", "")
	apitest.RequireCode(t, move(missing, root), "SourceParentNotFoundException", "")
	apitest.RequireCode(t, move(aws.ToString(b.Id), missing), "DestinationParentNotFoundException", "")
	apitest.RequireCode(t, move(aws.ToString(a.Id), root), "AccountNotFoundException", "")
	_, err = c.MoveAccount(ctx, &organizations.MoveAccountInput{AccountId: aws.String("333333333333"),
		SourceParentId: aws.String(root), DestinationParentId: a.Id})
	apitest.RequireCode(t, err, "AccountNotFoundException", "")
	if err := move(aws.ToString(b.Id), root); err != nil {
		t.Fatal(err)
	}
}

func TestListChildrenAndParentsOfOUs(t *testing.T) {
	s, c, _, root := ouSetup(t)
	ctx := context.Background()
	a := ouCreate(t, c, root, "a")
	b := ouCreate(t, c, aws.ToString(a.Id), "b")
	s.Join(ouMgmt, "222222222222")
	if _, err := c.MoveAccount(ctx, &organizations.MoveAccountInput{AccountId: aws.String("222222222222"),
		SourceParentId: aws.String(root), DestinationParentId: a.Id}); err != nil {
		t.Fatal(err)
	}
	children := func(parent string, typ types.ChildType) []string {
		t.Helper()
		out, err := c.ListChildren(ctx, &organizations.ListChildrenInput{ParentId: aws.String(parent), ChildType: typ})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, ch := range out.Children {
			if ch.Type != typ {
				t.Errorf("child %s has type %s, want %s", aws.ToString(ch.Id), ch.Type, typ)
			}
			ids = append(ids, aws.ToString(ch.Id))
		}
		return ids
	}
	if got := children(root, types.ChildTypeOrganizationalUnit); !slices.Equal(got, []string{aws.ToString(a.Id)}) {
		t.Errorf("OUs under root = %v", got)
	}
	if got := children(aws.ToString(a.Id), types.ChildTypeOrganizationalUnit); !slices.Equal(got, []string{aws.ToString(b.Id)}) {
		t.Errorf("OUs under a = %v", got)
	}
	if got := children(aws.ToString(a.Id), types.ChildTypeAccount); !slices.Equal(got, []string{"222222222222"}) {
		t.Errorf("accounts under a = %v", got)
	}
	if got := children(aws.ToString(b.Id), types.ChildTypeAccount); len(got) != 0 {
		t.Errorf("accounts under b = %v", got)
	}
	for _, tc := range []struct {
		child, parent string
		typ           types.ParentType
	}{
		{aws.ToString(a.Id), root, types.ParentTypeRoot},
		{aws.ToString(b.Id), aws.ToString(a.Id), types.ParentTypeOrganizationalUnit},
	} {
		out, err := c.ListParents(ctx, &organizations.ListParentsInput{ChildId: aws.String(tc.child)})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Parents) != 1 || aws.ToString(out.Parents[0].Id) != tc.parent || out.Parents[0].Type != tc.typ {
			t.Errorf("ListParents(%s) = %+v, want %s %s", tc.child, out.Parents, tc.parent, tc.typ)
		}
	}
	_, err := c.ListParents(ctx, &organizations.ListParentsInput{ChildId: aws.String("ou-" + root[2:] + "-zzzzzzzz")})
	apitest.RequireCode(t, err, "ChildNotFoundException", "")
}

func TestOUTags(t *testing.T) {
	_, c, _, root := ouSetup(t)
	ctx := context.Background()
	out, err := c.CreateOrganizationalUnit(ctx, &organizations.CreateOrganizationalUnitInput{ParentId: aws.String(root),
		Name: aws.String("tagged"), Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("core")}}})
	if err != nil {
		t.Fatal(err)
	}
	id := out.OrganizationalUnit.Id
	if _, err := c.TagResource(ctx, &organizations.TagResourceInput{ResourceId: id,
		Tags: []types.Tag{{Key: aws.String("env"), Value: aws.String("prod")}}}); err != nil {
		t.Fatal(err)
	}
	tags, err := c.ListTagsForResource(ctx, &organizations.ListTagsForResourceInput{ResourceId: id})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tag := range tags.Tags {
		got = append(got, aws.ToString(tag.Key)+"="+aws.ToString(tag.Value))
	}
	if !slices.Equal(got, []string{"env=prod", "team=core"}) {
		t.Errorf("tags = %v", got)
	}
	_, err = c.CreateOrganizationalUnit(ctx, &organizations.CreateOrganizationalUnitInput{ParentId: aws.String(root),
		Name: aws.String("bad"), Tags: []types.Tag{{Key: aws.String("aws:x"), Value: aws.String("y")}}})
	apitest.RequireCode(t, err, "InvalidInputException", "INVALID_SYSTEM_TAGS_PARAMETER")
	if _, err := c.DeleteOrganizationalUnit(ctx, &organizations.DeleteOrganizationalUnitInput{OrganizationalUnitId: id}); err != nil {
		t.Fatal(err)
	}
	_, err = c.ListTagsForResource(ctx, &organizations.ListTagsForResourceInput{ResourceId: id})
	apitest.RequireCode(t, err, "TargetNotFoundException", "")
}
