package org_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/orgd/orgd/internal/apitest"
)

// oaTag sets one tag on a resource as the caller of c.
func oaTag(t *testing.T, c *organizations.Client, id, key, value string) {
	t.Helper()
	if _, err := c.TagResource(t.Context(), &organizations.TagResourceInput{
		ResourceId: aws.String(id), Tags: []types.Tag{{Key: aws.String(key), Value: aws.String(value)}},
	}); err != nil {
		t.Fatalf("TagResource %s %s=%s: %v", id, key, value, err)
	}
}

// oaTags lists a resource's tags as key=value, in the order listed.
func oaTags(t *testing.T, c *organizations.Client, id string) []string {
	t.Helper()
	out, err := c.ListTagsForResource(t.Context(), &organizations.ListTagsForResourceInput{ResourceId: aws.String(id)})
	if err != nil {
		t.Fatalf("ListTagsForResource %s: %v", id, err)
	}
	if out.NextToken != nil {
		t.Fatalf("ListTagsForResource %s: unexpected NextToken", id)
	}
	tags := make([]string, len(out.Tags))
	for i, tag := range out.Tags {
		tags[i] = aws.ToString(tag.Key) + "=" + aws.ToString(tag.Value)
	}
	return tags
}

// oaMakeTags returns n tags prefix0=v … prefix<n-1>=v.
func oaMakeTags(prefix string, n int) []types.Tag {
	tags := make([]types.Tag, n)
	for i := range tags {
		tags[i] = types.Tag{Key: aws.String(fmt.Sprintf("%s%02d", prefix, i)), Value: aws.String("v")}
	}
	return tags
}

// oaTaggables returns the resources of mgmt's organization that take tags, by name.
func oaTaggables(t *testing.T, s *apitest.Server) map[string]string {
	t.Helper()
	return map[string]string{
		"member account":     oaMember,
		"management account": oaMgmt,
		"root":               aws.ToString(oaRoot(t, s, oaMgmt).Id),
	}
}

func TestTagResourceAddsTagsListedByKey(t *testing.T) {
	s := oaStart(t)
	oaOrg(t, s, oaMgmt, oaMember)
	c := s.Client(oaMgmt)
	for name, id := range oaTaggables(t, s) {
		t.Run(name, func(t *testing.T) {
			if got := oaTags(t, c, id); len(got) != 0 {
				t.Fatalf("tags of a new resource = %v, want none", got)
			}
			_, err := c.TagResource(t.Context(), &organizations.TagResourceInput{ResourceId: aws.String(id), Tags: []types.Tag{
				{Key: aws.String("team"), Value: aws.String("core")},
				{Key: aws.String("cost-center"), Value: aws.String("42")},
				{Key: aws.String("Team"), Value: aws.String("Core")}, // keys are case-sensitive
				{Key: aws.String("empty"), Value: aws.String("")},    // an empty value is allowed
			}})
			if err != nil {
				t.Fatal(err)
			}
			oaTag(t, c, id, "a:b/c=d+e-f@g_h.i", "x y")
			want := []string{"Team=Core", "a:b/c=d+e-f@g_h.i=x y", "cost-center=42", "empty=", "team=core"}
			if got := oaTags(t, c, id); !slices.Equal(got, want) {
				t.Errorf("tags = %v, want %v", got, want)
			}
		})
	}
	// Tags of one resource are not another's.
	oaTag(t, c, oaMember, "only", "member")
	if got := oaTags(t, c, oaMgmt); slices.Contains(got, "only=member") {
		t.Errorf("the management account has the member's tag: %v", got)
	}
}

func TestTagResourceReplacesTheValueOfAnExistingKey(t *testing.T) {
	s := oaStart(t)
	oaOrg(t, s, oaMgmt, oaMember)
	c := s.Client(oaMgmt)
	for name, id := range oaTaggables(t, s) {
		t.Run(name, func(t *testing.T) {
			oaTag(t, c, id, "env", "dev")
			oaTag(t, c, id, "owner", "ana")
			oaTag(t, c, id, "env", "prod")
			if got, want := oaTags(t, c, id), []string{"env=prod", "owner=ana"}; !slices.Equal(got, want) {
				t.Errorf("tags = %v, want %v", got, want)
			}
		})
	}
}

func TestUntagResourceRemovesTheListedKeys(t *testing.T) {
	s := oaStart(t)
	oaOrg(t, s, oaMgmt, oaMember)
	c := s.Client(oaMgmt)
	for name, id := range oaTaggables(t, s) {
		t.Run(name, func(t *testing.T) {
			for _, k := range []string{"a", "b", "c", "d"} {
				oaTag(t, c, id, k, k+k)
			}
			// Keys the resource does not have are ignored; keys are case-sensitive.
			if _, err := c.UntagResource(t.Context(), &organizations.UntagResourceInput{
				ResourceId: aws.String(id), TagKeys: []string{"b", "D", "missing", "d"},
			}); err != nil {
				t.Fatal(err)
			}
			if got, want := oaTags(t, c, id), []string{"a=aa", "c=cc"}; !slices.Equal(got, want) {
				t.Errorf("tags = %v, want %v", got, want)
			}
		})
	}
}

func TestTagResourceMaxTagLimit(t *testing.T) {
	s := oaStart(t)
	oaOrg(t, s, oaMgmt, oaMember)
	c := s.Client(oaMgmt)
	for name, id := range oaTaggables(t, s) {
		t.Run(name, func(t *testing.T) {
			// 51 in one request: refused, nothing written.
			_, err := c.TagResource(t.Context(), &organizations.TagResourceInput{ResourceId: aws.String(id), Tags: oaMakeTags("k", 51)})
			apitest.RequireCode(t, err, "ConstraintViolationException", "MAX_TAG_LIMIT_EXCEEDED")
			if got := oaTags(t, c, id); len(got) != 0 {
				t.Fatalf("%d tags written by a refused request", len(got))
			}
			// 49, then two more of which one is new and one replaces a value: 50, allowed.
			if _, err := c.TagResource(t.Context(), &organizations.TagResourceInput{ResourceId: aws.String(id), Tags: oaMakeTags("k", 49)}); err != nil {
				t.Fatal(err)
			}
			if _, err := c.TagResource(t.Context(), &organizations.TagResourceInput{ResourceId: aws.String(id), Tags: []types.Tag{
				{Key: aws.String("k00"), Value: aws.String("replaced")},
				{Key: aws.String("new"), Value: aws.String("v")},
			}}); err != nil {
				t.Fatalf("reaching exactly 50 tags: %v", err)
			}
			// The 51st is refused, and so is the whole request it came in: the replaced value
			// stays as it was.
			_, err = c.TagResource(t.Context(), &organizations.TagResourceInput{ResourceId: aws.String(id), Tags: []types.Tag{
				{Key: aws.String("k01"), Value: aws.String("replaced")},
				{Key: aws.String("one-too-many"), Value: aws.String("v")},
			}})
			apitest.RequireCode(t, err, "ConstraintViolationException", "MAX_TAG_LIMIT_EXCEEDED")
			got := oaTags(t, c, id)
			if len(got) != 50 || !slices.Contains(got, "k00=replaced") || !slices.Contains(got, "k01=v") || slices.Contains(got, "one-too-many=v") {
				t.Errorf("after the refused request: %d tags %v", len(got), got)
			}
			// Replacing values at the limit is still allowed.
			oaTag(t, c, id, "k02", "replaced")
			// Untagging makes room again.
			if _, err := c.UntagResource(t.Context(), &organizations.UntagResourceInput{ResourceId: aws.String(id), TagKeys: []string{"k03"}}); err != nil {
				t.Fatal(err)
			}
			oaTag(t, c, id, "one-more", "v")
			if got := oaTags(t, c, id); len(got) != 50 {
				t.Errorf("%d tags, want 50", len(got))
			}
		})
	}
}

func TestTagResourceOneBadTagFailsTheWholeRequest(t *testing.T) {
	good := types.Tag{Key: aws.String("good"), Value: aws.String("v")}
	for _, tc := range []struct {
		name, code, reason string
		bad                []types.Tag
	}{
		{"system key aws:", "InvalidInputException", "INVALID_SYSTEM_TAGS_PARAMETER",
			[]types.Tag{{Key: aws.String("aws:createdBy"), Value: aws.String("me")}}},
		{"system key AWS:", "InvalidInputException", "INVALID_SYSTEM_TAGS_PARAMETER",
			[]types.Tag{{Key: aws.String("AWS:createdBy"), Value: aws.String("me")}}},
		{"duplicate key", "InvalidInputException", "DUPLICATE_TAG_KEY",
			[]types.Tag{{Key: aws.String("dup"), Value: aws.String("1")}, {Key: aws.String("dup"), Value: aws.String("2")}}},
		{"duplicate of the good key", "InvalidInputException", "DUPLICATE_TAG_KEY",
			[]types.Tag{{Key: aws.String("good"), Value: aws.String("other")}}},
		{"forbidden character in key", "InvalidInputException", "INVALID_PATTERN",
			[]types.Tag{{Key: aws.String("key!"), Value: aws.String("v")}}},
		{"forbidden character in value", "InvalidInputException", "INVALID_PATTERN",
			[]types.Tag{{Key: aws.String("k"), Value: aws.String("v*")}}},
		{"empty key", "InvalidInputException", "MIN_LENGTH_EXCEEDED",
			[]types.Tag{{Key: aws.String(""), Value: aws.String("v")}}},
		{"key too long", "InvalidInputException", "MAX_LENGTH_EXCEEDED",
			[]types.Tag{{Key: aws.String(strings.Repeat("k", 129)), Value: aws.String("v")}}},
		{"value too long", "InvalidInputException", "MAX_LENGTH_EXCEEDED",
			[]types.Tag{{Key: aws.String("k"), Value: aws.String(strings.Repeat("v", 257))}}},
		{"too many", "ConstraintViolationException", "MAX_TAG_LIMIT_EXCEEDED", oaMakeTags("k", 50)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := oaStart(t)
			oaOrg(t, s, oaMgmt, oaMember)
			c := s.Client(oaMgmt)
			tags := append([]types.Tag{good}, tc.bad...)
			_, err := c.TagResource(t.Context(), &organizations.TagResourceInput{ResourceId: aws.String(oaMember), Tags: tags})
			apitest.RequireCode(t, err, tc.code, tc.reason)
			if got := oaTags(t, c, oaMember); len(got) != 0 {
				t.Errorf("tags written by a refused request: %v", got)
			}
		})
	}
}

func TestTagKeysAtTheirLengthLimitsAreAllowed(t *testing.T) {
	s := oaStart(t)
	oaOrg(t, s, oaMgmt, oaMember)
	c := s.Client(oaMgmt)
	key, value := strings.Repeat("k", 128), strings.Repeat("v", 256)
	oaTag(t, c, oaMember, key, value)
	if got := oaTags(t, c, oaMember); !slices.Equal(got, []string{key + "=" + value}) {
		t.Errorf("tags = %v", got)
	}
}

func TestUntagResourceSystemTagKey(t *testing.T) {
	s := oaStart(t)
	oaOrg(t, s, oaMgmt, oaMember)
	c := s.Client(oaMgmt)
	oaTag(t, c, oaMember, "keep", "v")
	_, err := c.UntagResource(t.Context(), &organizations.UntagResourceInput{ResourceId: aws.String(oaMember), TagKeys: []string{"keep", "aws:createdBy"}})
	apitest.RequireCode(t, err, "InvalidInputException", "INVALID_SYSTEM_TAGS_PARAMETER")
	if got := oaTags(t, c, oaMember); !slices.Equal(got, []string{"keep=v"}) {
		t.Errorf("tags after a refused untag = %v, want [keep=v]", got)
	}
}

// oaTagCalls are the three tag operations, on one resource, as the caller of c.
func oaTagCalls(t *testing.T) map[string]func(c *organizations.Client, id string) error {
	return map[string]func(c *organizations.Client, id string) error{
		"TagResource": func(c *organizations.Client, id string) error {
			_, err := c.TagResource(t.Context(), &organizations.TagResourceInput{ResourceId: aws.String(id), Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
			return err
		},
		"UntagResource": func(c *organizations.Client, id string) error {
			_, err := c.UntagResource(t.Context(), &organizations.UntagResourceInput{ResourceId: aws.String(id), TagKeys: []string{"k"}})
			return err
		},
		"ListTagsForResource": func(c *organizations.Client, id string) error {
			_, err := c.ListTagsForResource(t.Context(), &organizations.ListTagsForResourceInput{ResourceId: aws.String(id)})
			return err
		},
	}
}

func TestTagUnknownResourceTargetNotFound(t *testing.T) {
	s := oaStart(t)
	oaOrg(t, s, oaMgmt, oaMember)
	oaOrg(t, s, oaOtherMgmt, oaOtherMbr)
	root := aws.ToString(oaRoot(t, s, oaMgmt).Id)
	otherRoot := aws.ToString(oaRoot(t, s, oaOtherMgmt).Id)
	unknownRoot := "r-0000"
	if root == unknownRoot {
		unknownRoot = "r-0001"
	}
	c := s.Client(oaMgmt)
	// The other organization's resources stay untouched by the refused calls below.
	oaTag(t, s.Client(oaOtherMgmt), oaOtherMbr, "k", "theirs")
	for op, call := range oaTagCalls(t) {
		for _, id := range []string{
			oaStandalone, oaOtherMbr, oaOtherMgmt, otherRoot, unknownRoot,
			"ou-" + root[2:] + "-12345678", "p-12345678", "rp-1234", "rt-12345678",
		} {
			t.Run(op+" "+id, func(t *testing.T) {
				apitest.RequireCode(t, call(c, id), "TargetNotFoundException", "")
			})
		}
	}
	if got := oaTags(t, s.Client(oaOtherMgmt), oaOtherMbr); !slices.Equal(got, []string{"k=theirs"}) {
		t.Errorf("the other organization's member has tags %v, want [k=theirs]", got)
	}
}

func TestTagResourceIDMustNotBeAnARN(t *testing.T) {
	s := oaStart(t)
	o := oaOrg(t, s, oaMgmt, oaMember)
	arn := "arn:aws:organizations::" + oaMgmt + ":account/" + aws.ToString(o.Id) + "/" + oaMember
	for op, call := range oaTagCalls(t) {
		t.Run(op, func(t *testing.T) {
			apitest.RequireCode(t, call(s.Client(oaMgmt), arn), "InvalidInputException", "")
		})
	}
}

func TestTagCallerMustBeManagement(t *testing.T) {
	s := oaStart(t)
	oaOrg(t, s, oaMgmt, oaMember)
	c := s.Client(oaMgmt)
	oaTag(t, c, oaMember, "keep", "v")
	root := aws.ToString(oaRoot(t, s, oaMgmt).Id)
	for op, call := range oaTagCalls(t) {
		t.Run(op, func(t *testing.T) {
			for _, id := range []string{oaMember, oaMgmt, root} {
				apitest.RequireCode(t, call(s.Client(oaMember), id), "AccessDeniedException", "")
			}
			apitest.RequireCode(t, call(s.Client(oaStandalone), oaMember), "AWSOrganizationsNotInUseException", "")
		})
	}
	if got := oaTags(t, c, oaMember); !slices.Equal(got, []string{"keep=v"}) {
		t.Errorf("tags after refused calls = %v, want [keep=v]", got)
	}
}

func TestListTagsForResourceInvalidNextToken(t *testing.T) {
	s := oaStart(t)
	oaOrg(t, s, oaMgmt, oaMember)
	c := s.Client(oaMgmt)
	page, err := c.ListAccounts(t.Context(), &organizations.ListAccountsInput{MaxResults: aws.Int32(1)})
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{"garbage", aws.ToString(page.NextToken)} {
		_, err := c.ListTagsForResource(t.Context(), &organizations.ListTagsForResourceInput{ResourceId: aws.String(oaMember), NextToken: aws.String(tok)})
		apitest.RequireCode(t, err, "InvalidInputException", "INVALID_NEXT_TOKEN")
	}
}
