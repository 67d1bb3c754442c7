package org

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/orgd/orgd/internal/model"
)

// Organizational units (spec §7.1). An OU sits under the root or another OU, at most
// maxOUDepth levels deep; it never moves, so its path is fixed when it is created. Names are
// unique among siblings, compared exactly: AWS documents no case folding [INF].

// maxOUDepth is AWS's nesting limit: five levels of OUs below the root.
const maxOUDepth = 5

// newOUID derives an OU id from the root's as AWS does: root r-1a2b holds ou-1a2b-xxxxxxxx.
func newOUID(o *Organization) string {
	return "ou-" + strings.TrimPrefix(o.RootID, "r-") + "-" + randomString(lowerAlnum, 8)
}

func ouARN(o *Organization, id string) string {
	return "arn:" + o.Partition + ":organizations::" + o.ManagementAccountID + ":ou/" + o.ID + "/" + id
}

func rootPath(o *Organization) string { return o.ID + "/" + o.RootID + "/" }

func ouOutput(o *Organization, u *OU) *model.OrganizationalUnit {
	return &model.OrganizationalUnit{
		Id:   model.Ptr(u.ID),
		Arn:  model.Ptr(ouARN(o, u.ID)),
		Name: model.Ptr(u.Name),
		Path: model.Ptr(u.Path),
	}
}

// parentRef is a root or an OU that accounts and OUs can sit under.
type parentRef struct {
	ID    string
	Path  string // the path of the parent itself, ending in "/"
	Depth int    // 0 for the root
}

// parent resolves id to the organization's root or one of its OUs; ok is false when id names
// neither, and the caller picks the exception (ParentNotFound, SourceParentNotFound, ...).
func (t *txn) parent(o *Organization, id string) (p parentRef, ok bool, err error) {
	if id == o.RootID {
		return parentRef{ID: id, Path: rootPath(o)}, true, nil
	}
	if !strings.HasPrefix(id, "ou-") {
		return parentRef{}, false, nil
	}
	u, err := t.ou(o, id)
	if isNotFound(err) {
		return parentRef{}, false, nil
	}
	if err != nil {
		return parentRef{}, false, err
	}
	return parentRef{ID: u.ID, Path: u.Path, Depth: u.Depth}, true, nil
}

// mustParent is parent with ParentNotFoundException for an unknown id.
func (t *txn) mustParent(o *Organization, id string) (parentRef, error) {
	p, ok, err := t.parent(o, id)
	if err == nil && !ok {
		err = parentNotFound(id)
	}
	return p, err
}

func parentNotFound(id string) error {
	return model.Fail(model.CodeParentNotFoundException, "", "We can't find a root or OU with the ParentId that you specified: %s.", id)
}

func ouNotFound(id string) error {
	return model.Fail(model.CodeOrganizationalUnitNotFoundException, "", "We can't find an OU with the OrganizationalUnitId that you specified: %s.", id)
}

// ou returns the OU with this id if it belongs to organization o, or ErrNotFound.
func (t *txn) ou(o *Organization, id string) (*OU, error) {
	u, err := t.OU(t.ctx, id)
	if err != nil && !isNotFound(err) {
		return nil, fmt.Errorf("org: read OU %s: %w", id, err)
	}
	if err != nil || u.OrgID != o.ID {
		return nil, fmt.Errorf("org: OU %s: %w", id, ErrNotFound)
	}
	return u, nil
}

// mustOU is ou with OrganizationalUnitNotFoundException.
func (t *txn) mustOU(o *Organization, id string) (*OU, error) {
	u, err := t.ou(o, id)
	if isNotFound(err) {
		return nil, ouNotFound(id)
	}
	return u, err
}

// CreateOrganizationalUnit creates an OU under the root or another OU.
func (s *Service) CreateOrganizationalUnit(ctx context.Context, in *model.CreateOrganizationalUnitRequest) (*model.CreateOrganizationalUnitResponse, error) {
	ctx = guard(ctx, "CreateOrganizationalUnit", in)
	return updateOut(s, ctx, model.CreateOrganizationalUnitResponse{}, func(t *txn, out *model.CreateOrganizationalUnitResponse) error {
		_, o, err := t.management()
		if err != nil {
			return err
		}
		p, err := t.mustParent(o, *in.ParentId)
		if err != nil {
			return err
		}
		if err := checkNewTags(in.Tags); err != nil {
			return err
		}
		if err := t.enforceTagPolicy(o, tagTarget{resourceType: tagTypeOU, accountID: o.ManagementAccountID}, in.Tags); err != nil {
			return err
		}
		if p.Depth >= maxOUDepth {
			return constraintViolation(model.ConstraintViolationExceptionReasonOuDepthLimitExceeded,
				"You can't nest OUs more than %d levels deep under the root.", maxOUDepth)
		}
		if s.quotasApply() {
			n, err := t.CountOUs(t.ctx, OUQuery{OrgID: o.ID})
			if err != nil {
				return fmt.Errorf("org: count OUs of %s: %w", o.ID, err)
			}
			if n >= s.cfg.Quotas.MaxOUs {
				return constraintViolation(model.ConstraintViolationExceptionReasonOuNumberLimitExceeded,
					"the organization already has its quota of %d OUs (--max-ous)", s.cfg.Quotas.MaxOUs)
			}
		}
		u := &OU{ID: newOUID(o), OrgID: o.ID, ParentID: p.ID, Name: *in.Name, Depth: p.Depth + 1, CreatedAt: t.now}
		u.Path = p.Path + u.ID + "/"
		if err := t.PutOU(t.ctx, u); err != nil {
			return ouWriteError(u, err)
		}
		if err := t.PutTags(t.ctx, u.ID, tagsFromModel(in.Tags)); err != nil {
			return fmt.Errorf("org: tag OU %s: %w", u.ID, err)
		}
		if err := t.attachDefaultPolicies(o, u.ID, model.TargetTypeOrganizationalUnit); err != nil {
			return err
		}
		out.OrganizationalUnit = ouOutput(o, u)
		return nil
	})
}

// ouWriteError turns the store's name conflict into DuplicateOrganizationalUnitException.
func ouWriteError(u *OU, err error) error {
	if errors.Is(err, ErrConflict) {
		return model.Fail(model.CodeDuplicateOrganizationalUnitException, "", "An OU with the same name already exists.")
	}
	return fmt.Errorf("org: write OU %s: %w", u.ID, err)
}

// DescribeOrganizationalUnit returns an OU of the caller's organization.
func (s *Service) DescribeOrganizationalUnit(ctx context.Context, in *model.DescribeOrganizationalUnitRequest) (*model.DescribeOrganizationalUnitResponse, error) {
	ctx = guard(ctx, "DescribeOrganizationalUnit", in)
	return viewOut(s, ctx, model.DescribeOrganizationalUnitResponse{}, func(t *txn, out *model.DescribeOrganizationalUnitResponse) error {
		_, o, err := t.authorize("DescribeOrganizationalUnit", *in.OrganizationalUnitId, "")
		if err != nil {
			return err
		}
		u, err := t.mustOU(o, *in.OrganizationalUnitId)
		if err != nil {
			return err
		}
		out.OrganizationalUnit = ouOutput(o, u)
		return nil
	})
}

// UpdateOrganizationalUnit renames an OU; without a Name it changes nothing and answers the OU.
func (s *Service) UpdateOrganizationalUnit(ctx context.Context, in *model.UpdateOrganizationalUnitRequest) (*model.UpdateOrganizationalUnitResponse, error) {
	ctx = guard(ctx, "UpdateOrganizationalUnit", in)
	return updateOut(s, ctx, model.UpdateOrganizationalUnitResponse{}, func(t *txn, out *model.UpdateOrganizationalUnitResponse) error {
		_, o, err := t.management()
		if err != nil {
			return err
		}
		u, err := t.mustOU(o, *in.OrganizationalUnitId)
		if err != nil {
			return err
		}
		if in.Name != nil && *in.Name != u.Name {
			u.Name = *in.Name
			if err := t.PutOU(t.ctx, u); err != nil {
				return ouWriteError(u, err)
			}
		}
		out.OrganizationalUnit = ouOutput(o, u)
		return nil
	})
}

// DeleteOrganizationalUnit deletes an OU that holds no account and no OU.
func (s *Service) DeleteOrganizationalUnit(ctx context.Context, in *model.DeleteOrganizationalUnitRequest) error {
	ctx = guard(ctx, "DeleteOrganizationalUnit", in)
	return s.update(ctx, func(t *txn) error {
		_, o, err := t.management()
		if err != nil {
			return err
		}
		u, err := t.mustOU(o, *in.OrganizationalUnitId)
		if err != nil {
			return err
		}
		accts, err := t.ListAccounts(t.ctx, AccountQuery{OrgID: o.ID, ParentID: u.ID, Limit: 1})
		if err != nil {
			return fmt.Errorf("org: accounts of OU %s: %w", u.ID, err)
		}
		children, err := t.CountOUs(t.ctx, OUQuery{OrgID: o.ID, ParentID: u.ID})
		if err != nil {
			return fmt.Errorf("org: OUs of OU %s: %w", u.ID, err)
		}
		if len(accts) > 0 || children > 0 {
			return model.Fail(model.CodeOrganizationalUnitNotEmptyException, "",
				"You must first remove all accounts and child OUs from the OU %s before you can delete it.", u.ID)
		}
		if err := t.DeleteAllTags(t.ctx, u.ID); err != nil {
			return fmt.Errorf("org: delete tags of %s: %w", u.ID, err)
		}
		if err := t.detachAllPolicies(o, u.ID); err != nil {
			return err
		}
		if err := t.DeleteOU(t.ctx, u.ID); err != nil {
			return fmt.Errorf("org: delete OU %s: %w", u.ID, err)
		}
		return nil
	})
}

// ListOrganizationalUnitsForParent lists the OUs directly under a root or OU, by id (see ouPage).
func (s *Service) ListOrganizationalUnitsForParent(ctx context.Context, in *model.ListOrganizationalUnitsForParentRequest) (*model.ListOrganizationalUnitsForParentResponse, error) {
	ctx = guard(ctx, "ListOrganizationalUnitsForParent", in)
	return viewOut(s, ctx, model.ListOrganizationalUnitsForParentResponse{OrganizationalUnits: []model.OrganizationalUnit{}}, func(t *txn, out *model.ListOrganizationalUnitsForParentResponse) error {
		_, o, err := t.authorize("ListOrganizationalUnitsForParent", *in.ParentId, "")
		if err != nil {
			return err
		}
		p, err := t.mustParent(o, *in.ParentId)
		if err != nil {
			return err
		}
		us, next, err := t.ouPage("ListOrganizationalUnitsForParent", o, p.ID, in.NextToken, in.MaxResults)
		for i := range us {
			out.OrganizationalUnits = append(out.OrganizationalUnits, *ouOutput(o, &us[i]))
		}
		out.NextToken = next
		return err
	})
}

// ouPage reads one page of the OUs directly under parentID: by id, or in creation order
// under the moto profile.
func (t *txn) ouPage(op string, o *Organization, parentID string, token *string, maxResults *int32) ([]OU, *string, error) {
	scope := op + "|" + t.caller.AccountID + "|" + o.ID + "|" + parentID + t.svc.orderScope()
	if t.svc.creationOrder() {
		return seqPageOf(t.svc, scope, token, maxResults, func(afterSeq int64, limit int) ([]OU, error) {
			us, err := t.ListOUs(t.ctx, OUQuery{OrgID: o.ID, ParentID: parentID, Order: ByCreation, AfterSeq: afterSeq, Limit: limit})
			if err != nil {
				return nil, fmt.Errorf("org: list OUs under %s: %w", parentID, err)
			}
			return us, nil
		}, func(u OU) int64 { return u.Seq })
	}
	return pageOf(t.svc, scope, token, maxResults, func(after string, limit int) ([]OU, error) {
		us, err := t.ListOUs(t.ctx, OUQuery{OrgID: o.ID, ParentID: parentID, AfterID: after, Limit: limit})
		if err != nil {
			return nil, fmt.Errorf("org: list OUs under %s: %w", parentID, err)
		}
		return us, nil
	}, func(u OU) string { return u.ID })
}

// deleteOUs deletes every OU of organization o with its tags, when o is deleted.
func (t *txn) deleteOUs(o *Organization) error {
	q := OUQuery{OrgID: o.ID, Limit: 100}
	for {
		us, err := t.ListOUs(t.ctx, q)
		if err != nil {
			return fmt.Errorf("org: list OUs of %s: %w", o.ID, err)
		}
		for _, u := range us {
			if err := t.DeleteAllTags(t.ctx, u.ID); err != nil {
				return fmt.Errorf("org: delete tags of %s: %w", u.ID, err)
			}
		}
		if len(us) < q.Limit {
			break
		}
		q.AfterID = us[len(us)-1].ID
	}
	if err := t.DeleteOUs(t.ctx, o.ID); err != nil {
		return fmt.Errorf("org: delete OUs of %s: %w", o.ID, err)
	}
	return nil
}

// MoveAccount moves an account from one parent (root or OU) to another.
func (s *Service) MoveAccount(ctx context.Context, in *model.MoveAccountRequest) error {
	ctx = guard(ctx, "MoveAccount", in)
	return s.update(ctx, func(t *txn) error {
		_, o, err := t.management()
		if err != nil {
			return err
		}
		a, err := t.member(o, *in.AccountId)
		if err != nil {
			return err
		}
		src, ok, err := t.parent(o, *in.SourceParentId)
		if err != nil {
			return err
		}
		if !ok {
			return model.Fail(model.CodeSourceParentNotFoundException, "", "We can't find a source root or OU with the ParentId that you specified: %s.", *in.SourceParentId)
		}
		dst, ok, err := t.parent(o, *in.DestinationParentId)
		if err != nil {
			return err
		}
		if !ok {
			return model.Fail(model.CodeDestinationParentNotFoundException, "", "We can't find a destination root or OU with the ParentId that you specified: %s.", *in.DestinationParentId)
		}
		if a.ParentID == dst.ID {
			return model.Fail(model.CodeDuplicateAccountException, "", "The account %s is already in the destination %s.", a.ID, dst.ID)
		}
		// An account that is not under the source parent is, from the source's point of view,
		// an account that does not exist: AWS documents no better error [INF].
		if a.ParentID != src.ID {
			return accountNotFound(a.ID)
		}
		a.ParentID = dst.ID
		if err := t.PutAccount(t.ctx, a); err != nil {
			return fmt.Errorf("org: move account %s: %w", a.ID, err)
		}
		return t.changedSCPs(o.ID)
	})
}
