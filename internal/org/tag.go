package org

import (
	"context"
	"fmt"
	"strings"

	"github.com/orgd/orgd/internal/model"
)

// maxTags is AWS's quota of tags per resource; system tags (aws:) would not count, but
// callers cannot set them.
const maxTags = 50

func tagsFromModel(in []model.Tag) []Tag {
	if len(in) == 0 {
		return nil
	}
	out := make([]Tag, len(in))
	for i, t := range in {
		out[i] = Tag{Key: *t.Key, Value: *t.Value}
	}
	return out
}

// checkNewTags applies AWS's rules to tags about to be added to a resource: no aws: keys, no
// key twice in one request, at most 50 tags in one request (TagResource also counts the
// resource's tags after the write). One bad tag fails the whole request.
func checkNewTags(tags []model.Tag) error {
	seen := make(map[string]bool, len(tags))
	for _, t := range tags {
		if isSystemTagKey(*t.Key) {
			return invalidInput(model.InvalidInputExceptionReasonInvalidSystemTagsParameter,
				"You can't add, edit or delete the system tag key %s.", *t.Key)
		}
		if seen[*t.Key] {
			return invalidInput(model.InvalidInputExceptionReasonDuplicateTagKey, "The tag key %s appears more than once.", *t.Key)
		}
		seen[*t.Key] = true
	}
	if len(seen) > maxTags {
		return tooManyTags()
	}
	return nil
}

func tooManyTags() error {
	return constraintViolation(model.ConstraintViolationExceptionReasonMaxTagLimitExceeded,
		"A resource can have at most %d tags.", maxTags)
}

func isSystemTagKey(k string) bool { return strings.HasPrefix(strings.ToLower(k), "aws:") }

// taggable checks that id names a taggable resource of organization o: one of its accounts,
// its root, one of its OUs or policies, its resource policy, or a responsibility transfer it
// takes part in. Anything else is TargetNotFound.
func (t *txn) taggable(o *Organization, id string) error {
	switch {
	case model.IsAccountID(id):
		a, err := t.account(id)
		if err != nil {
			return err
		}
		if a.OrgID == o.ID {
			return nil
		}
	case id == o.RootID:
		return nil
	case strings.HasPrefix(id, "ou-"):
		_, err := t.ou(o, id)
		if !isNotFound(err) {
			return err
		}
	case strings.HasPrefix(id, "rp-"):
		p, err := t.resourcePolicy(o)
		if err != nil || (p != nil && p.ID == id) {
			return err
		}
	case strings.HasPrefix(id, "rt-"):
		// A transfer is tagged by either side's management account.
		tr, err := t.Transfer(t.ctx, id)
		if err == nil && (tr.TargetOrgID == o.ID || tr.SourceOrgID == o.ID || tr.SourceAccountID == o.ManagementAccountID) {
			return nil
		}
		if err != nil && !isNotFound(err) {
			return fmt.Errorf("org: read transfer %s: %w", id, err)
		}
	case strings.HasPrefix(id, "p-"):
		// Customer policies only: the AWS-managed ones belong to AWS, not to the
		// organization [INF].
		if _, managed := awsManagedPolicies[id]; !managed {
			p, err := t.Policy(t.ctx, id)
			if err == nil && p.OrgID == o.ID {
				return nil
			}
			if err != nil && !isNotFound(err) {
				return fmt.Errorf("org: read policy %s: %w", id, err)
			}
		}
	}
	return model.Fail(model.CodeTargetNotFoundException, "", "We can't find a resource with the ResourceId that you specified: %s.", id)
}

// TagResource adds tags to a resource or replaces the values of keys it has.
func (s *Service) TagResource(ctx context.Context, in *model.TagResourceRequest) error {
	ctx = guard(ctx, "TagResource", in)
	return s.update(ctx, func(t *txn) error {
		_, o, err := t.authorize("TagResource", *in.ResourceId, "")
		if err != nil {
			return err
		}
		if err := t.taggable(o, *in.ResourceId); err != nil {
			return err
		}
		if err := checkNewTags(in.Tags); err != nil {
			return err
		}
		if target, ok := tagTargetOf(o, *in.ResourceId); ok {
			if err := t.enforceTagPolicy(o, target, in.Tags); err != nil {
				return err
			}
		}
		if err := t.PutTags(t.ctx, *in.ResourceId, tagsFromModel(in.Tags)); err != nil {
			return fmt.Errorf("org: tag %s: %w", *in.ResourceId, err)
		}
		// Counting after the write costs one statement, where reading the tags the
		// resource had would cost one row each; the error undoes the write.
		n, err := t.CountTags(t.ctx, *in.ResourceId)
		if err != nil {
			return fmt.Errorf("org: count tags of %s: %w", *in.ResourceId, err)
		}
		if n > maxTags {
			return tooManyTags()
		}
		return nil
	})
}

// UntagResource removes tag keys from a resource; keys it does not have are ignored.
func (s *Service) UntagResource(ctx context.Context, in *model.UntagResourceRequest) error {
	ctx = guard(ctx, "UntagResource", in)
	return s.update(ctx, func(t *txn) error {
		_, o, err := t.authorize("UntagResource", *in.ResourceId, "")
		if err != nil {
			return err
		}
		if err := t.taggable(o, *in.ResourceId); err != nil {
			return err
		}
		for _, k := range in.TagKeys {
			if isSystemTagKey(k) {
				return invalidInput(model.InvalidInputExceptionReasonInvalidSystemTagsParameter,
					"You can't add, edit or delete the system tag key %s.", k)
			}
		}
		if err := t.DeleteTags(t.ctx, *in.ResourceId, in.TagKeys); err != nil {
			return fmt.Errorf("org: untag %s: %w", *in.ResourceId, err)
		}
		return nil
	})
}

// ListTagsForResource lists a resource's tags by key; 50 at most, so one page.
func (s *Service) ListTagsForResource(ctx context.Context, in *model.ListTagsForResourceRequest) (*model.ListTagsForResourceResponse, error) {
	ctx = guard(ctx, "ListTagsForResource", in)
	return viewOut(s, ctx, model.ListTagsForResourceResponse{Tags: []model.Tag{}}, func(t *txn, out *model.ListTagsForResourceResponse) error {
		_, o, err := t.authorize("ListTagsForResource", *in.ResourceId, "")
		if err != nil {
			return err
		}
		if _, err := t.pageStart(in.NextToken); err != nil {
			return err
		}
		if err := t.taggable(o, *in.ResourceId); err != nil {
			return err
		}
		order := ByID
		if s.creationOrder() {
			order = ByCreation // moto keeps a dict: insertion order
		}
		tags, err := t.Tags(t.ctx, *in.ResourceId, order)
		if err != nil {
			return fmt.Errorf("org: read tags of %s: %w", *in.ResourceId, err)
		}
		for _, tag := range tags {
			out.Tags = append(out.Tags, model.Tag{Key: model.Ptr(tag.Key), Value: model.Ptr(tag.Value)})
		}
		return nil
	})
}
