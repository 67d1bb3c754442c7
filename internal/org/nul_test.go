package org_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/orgd/orgd/internal/apitest"
)

// TestNULRefusedOnEveryStore: text with a NUL character gets InvalidInputException
// INVALID_PATTERN in every string member, patterned or not, on every store (PostgreSQL's
// text cannot hold one, so storing it there failed with a 500), and nothing is stored.
func TestNULRefusedOnEveryStore(t *testing.T) {
	srv := apitest.Start(t)
	const mgmt = "111111111111"
	srv.CreateOrganization(mgmt)
	c := srv.Client(mgmt)
	ctx := t.Context()
	roots, err := c.ListRoots(ctx, &organizations.ListRootsInput{})
	if err != nil {
		t.Fatal(err)
	}
	root := roots.Roots[0].Id
	const nul = "a\x00b"
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Sid":"` + nul + `"}]}`
	calls := map[string]func() error{
		"OU name": func() error {
			_, err := c.CreateOrganizationalUnit(ctx, &organizations.CreateOrganizationalUnitInput{ParentId: root, Name: aws.String(nul)})
			return err
		},
		"policy name": func() error {
			_, err := c.CreatePolicy(ctx, &organizations.CreatePolicyInput{Name: aws.String(nul), Description: aws.String("d"),
				Type: types.PolicyTypeServiceControlPolicy, Content: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)})
			return err
		},
		"policy description": func() error {
			_, err := c.CreatePolicy(ctx, &organizations.CreatePolicyInput{Name: aws.String("p"), Description: aws.String(nul),
				Type: types.PolicyTypeServiceControlPolicy, Content: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)})
			return err
		},
		"policy content": func() error {
			_, err := c.CreatePolicy(ctx, &organizations.CreatePolicyInput{Name: aws.String("p"), Description: aws.String("d"),
				Type: types.PolicyTypeServiceControlPolicy, Content: aws.String(policy)})
			return err
		},
		"tag value": func() error {
			_, err := c.TagResource(ctx, &organizations.TagResourceInput{ResourceId: root, Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String(nul)}}})
			return err
		},
		"tag key list": func() error {
			_, err := c.UntagResource(ctx, &organizations.UntagResourceInput{ResourceId: root, TagKeys: []string{"k", nul}})
			return err
		},
		"invitation notes": func() error {
			_, err := c.InviteAccountToOrganization(ctx, &organizations.InviteAccountToOrganizationInput{
				Target: &types.HandshakeParty{Type: types.HandshakePartyTypeAccount, Id: aws.String("222222222222")}, Notes: aws.String(nul)})
			return err
		},
		"invitation e-mail": func() error {
			_, err := c.InviteAccountToOrganization(ctx, &organizations.InviteAccountToOrganizationInput{
				Target: &types.HandshakeParty{Type: types.HandshakePartyTypeEmail, Id: aws.String("a\x00b@example.com")}})
			return err
		},
		"account e-mail": func() error {
			_, err := c.CreateAccount(ctx, &organizations.CreateAccountInput{Email: aws.String("a\x00b@example.com"), AccountName: aws.String("n")})
			return err
		},
		"next token": func() error {
			_, err := c.ListAccounts(ctx, &organizations.ListAccountsInput{NextToken: aws.String(nul)})
			return err
		},
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			apitest.RequireCode(t, call(), "InvalidInputException", "INVALID_PATTERN")
		})
	}

	// Nothing was stored.
	ous, err := c.ListOrganizationalUnitsForParent(ctx, &organizations.ListOrganizationalUnitsForParentInput{ParentId: root})
	if err != nil || len(ous.OrganizationalUnits) != 0 {
		t.Errorf("OUs: %v %v", ous, err)
	}
	ps, err := c.ListPolicies(ctx, &organizations.ListPoliciesInput{Filter: types.PolicyTypeServiceControlPolicy})
	if err != nil || len(ps.Policies) != 1 { // FullAWSAccess
		t.Errorf("policies: %v %v", ps, err)
	}
	tags, err := c.ListTagsForResource(ctx, &organizations.ListTagsForResourceInput{ResourceId: root})
	if err != nil || len(tags.Tags) != 0 {
		t.Errorf("tags: %v %v", tags, err)
	}
	hs, err := c.ListHandshakesForOrganization(ctx, &organizations.ListHandshakesForOrganizationInput{})
	if err != nil || len(hs.Handshakes) != 0 {
		t.Errorf("handshakes: %v %v", hs, err)
	}

	// The admin API refuses it as well.
	for _, body := range []string{`{"Id":"333333333333","Name":"a\u0000b"}`, `{"Id":"333333333333","Email":"a\u0000b@example.com"}`} {
		req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, srv.URL+"/_orgd/accounts", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(raw), `"InvalidInputException"`) || !strings.Contains(string(raw), "INVALID_PATTERN") {
			t.Errorf("register %s: %d %s", body, resp.StatusCode, raw)
		}
	}
	var accts struct{ Accounts []struct{ Id string } }
	srv.Admin(http.MethodGet, "/_orgd/accounts", nil, &accts)
	for _, a := range accts.Accounts {
		if a.Id == "333333333333" {
			t.Error(fmt.Sprint("a refused registration stored ", a.Id))
		}
	}
}
