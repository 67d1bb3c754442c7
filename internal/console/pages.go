package console

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/orgd/orgd/internal/model"
	"github.com/orgd/orgd/internal/org"
)

// The ids a page's path may name: the model's patterns for them, checked before the domain
// is asked (its API checks them in decoding, which reads bypass).
var (
	handshakeID = regexp.MustCompile(`^h-[0-9a-z]{8,32}$`)
	policyID    = regexp.MustCompile(`^p-[0-9a-zA-Z_]{8,128}$`)
)

// node is one parent of the tree: the root or an OU, with its accounts and child OUs.
type node struct {
	ID, Name string
	Accounts []treeAccount
	OUs      []*node
}

type treeAccount struct {
	model.Account
	ParentID string
	Tags     []model.Tag
}

type treeData struct {
	Org      *model.Organization
	Root     *node
	Parents  []*node // every parent, depth first: the forms' choices
	Accounts []treeAccount
}

// tree is the organization as the caller may list it; a member sees the organization and
// the domain's refusal of the rest.
func (h *Handler) tree(w http.ResponseWriter, r *http.Request, s *session) {
	ctx := r.Context()
	var d treeData
	var f flash
	o, err := h.svc.DescribeOrganization(ctx)
	if err == nil {
		d.Org = o.Organization
		err = h.loadTree(ctx, &d)
	}
	if err != nil {
		f = h.failure(r, err)
	}
	h.render(w, r, http.StatusOK, "tree", s, view{Title: "Organization", Flash: f, Data: d})
}

func (h *Handler) loadTree(ctx context.Context, d *treeData) error {
	roots, err := h.svc.ListRoots(ctx, &model.ListRootsRequest{})
	if err != nil {
		return err
	}
	if len(roots.Roots) == 0 {
		return nil
	}
	root := roots.Roots[0]
	d.Root = &node{ID: deref(root.Id), Name: deref(root.Name)}
	return h.loadNode(ctx, d, d.Root)
}

func (h *Handler) loadNode(ctx context.Context, d *treeData, n *node) error {
	d.Parents = append(d.Parents, n)
	var next *string
	for {
		out, err := h.svc.ListAccountsForParent(ctx, &model.ListAccountsForParentRequest{ParentId: &n.ID, NextToken: next})
		if err != nil {
			return err
		}
		for _, a := range out.Accounts {
			tags, err := h.tags(ctx, deref(a.Id))
			if err != nil {
				return err
			}
			ta := treeAccount{Account: a, ParentID: n.ID, Tags: tags}
			n.Accounts = append(n.Accounts, ta)
			d.Accounts = append(d.Accounts, ta)
		}
		if next = out.NextToken; next == nil {
			break
		}
	}
	for {
		out, err := h.svc.ListOrganizationalUnitsForParent(ctx, &model.ListOrganizationalUnitsForParentRequest{ParentId: &n.ID, NextToken: next})
		if err != nil {
			return err
		}
		for _, ou := range out.OrganizationalUnits {
			child := &node{ID: deref(ou.Id), Name: deref(ou.Name)}
			n.OUs = append(n.OUs, child)
		}
		if next = out.NextToken; next == nil {
			break
		}
	}
	for _, child := range n.OUs {
		if err := h.loadNode(ctx, d, child); err != nil {
			return err
		}
	}
	return nil
}

func (h *Handler) tags(ctx context.Context, id string) ([]model.Tag, error) {
	var tags []model.Tag
	var next *string
	for {
		out, err := h.svc.ListTagsForResource(ctx, &model.ListTagsForResourceRequest{ResourceId: &id, NextToken: next})
		if err != nil {
			return nil, err
		}
		tags = append(tags, out.Tags...)
		if next = out.NextToken; next == nil {
			return tags, nil
		}
	}
}

func (h *Handler) createOU(w http.ResponseWriter, r *http.Request, s *session) {
	name := r.PostFormValue("name")
	err := h.invoke(r.Context(), "CreateOrganizationalUnit", &model.CreateOrganizationalUnitRequest{
		ParentId: model.Ptr(r.PostFormValue("parent")), Name: &name})
	h.done(w, r, s, "/console/", "Created the OU "+name+".", err)
}

func (h *Handler) renameOU(w http.ResponseWriter, r *http.Request, s *session) {
	name := r.PostFormValue("name")
	err := h.invoke(r.Context(), "UpdateOrganizationalUnit", &model.UpdateOrganizationalUnitRequest{
		OrganizationalUnitId: model.Ptr(r.PostFormValue("ou")), Name: &name})
	h.done(w, r, s, "/console/", "Renamed the OU to "+name+".", err)
}

func (h *Handler) moveAccount(w http.ResponseWriter, r *http.Request, s *session) {
	// The form names the account and its current parent together ("account parent"): the
	// tree the person saw, which MoveAccount checks against the account's real parent.
	account, source, _ := strings.Cut(r.PostFormValue("account"), " ")
	err := h.invoke(r.Context(), "MoveAccount", &model.MoveAccountRequest{AccountId: &account, SourceParentId: &source,
		DestinationParentId: model.Ptr(r.PostFormValue("destination"))})
	h.done(w, r, s, "/console/", "Moved account "+account+".", err)
}

type accountData struct {
	Account  *model.Account
	Tags     []model.Tag
	Parents  []model.Parent
	Policies []model.PolicySummary
	// PoliciesRefused is why the attached policies are not shown, if they are not.
	PoliciesRefused string
	Effective       []model.EffectivePolicy
}

// effectiveTypes are the model's EffectivePolicyType enum: the types DescribeEffectivePolicy
// answers for (SCPs and RCPs have no effective policy on AWS).
var effectiveTypes = []string{model.EffectivePolicyTypeTagPolicy, model.EffectivePolicyTypeBackupPolicy,
	model.EffectivePolicyTypeAiservicesOptOutPolicy, model.EffectivePolicyTypeChatbotPolicy,
	model.EffectivePolicyTypeDeclarativePolicyEc2, model.EffectivePolicyTypeSecurityhubPolicy,
	model.EffectivePolicyTypeInspectorPolicy, model.EffectivePolicyTypeUpgradeRolloutPolicy,
	model.EffectivePolicyTypeBedrockPolicy, model.EffectivePolicyTypeS3Policy,
	model.EffectivePolicyTypeNetworkSecurityDirectorPolicy}

// account shows one account: what DescribeAccount gives the caller, its tags, parent,
// attached policies and effective policies.
func (h *Handler) account(w http.ResponseWriter, r *http.Request, s *session) {
	ctx := r.Context()
	id := r.PathValue("id")
	if !model.IsAccountID(id) {
		h.render(w, r, http.StatusNotFound, "error", s, view{Title: "Not found", Flash: flash{Message: "An account id has 12 digits.", Error: true}})
		return
	}
	var d accountData
	out, err := h.svc.DescribeAccount(ctx, &model.DescribeAccountRequest{AccountId: &id})
	if err == nil {
		d.Account = out.Account
		d.Tags, err = h.tags(ctx, id)
	}
	if err == nil {
		var parents *model.ListParentsResponse
		if parents, err = h.svc.ListParents(ctx, &model.ListParentsRequest{ChildId: &id}); err == nil {
			d.Parents = parents.Parents
		}
	}
	if err == nil {
		// A member may describe its own account but not list policies: the domain's
		// refusal hides the section rather than the page.
		policies, perr := h.attached(ctx, id)
		if perr != nil {
			d.PoliciesRefused = h.failure(r, perr).Message
		}
		d.Policies = policies
	}
	if err == nil {
		for _, t := range effectiveTypes {
			eff, err := h.svc.DescribeEffectivePolicy(ctx, &model.DescribeEffectivePolicyRequest{PolicyType: &t, TargetId: &id})
			if err == nil && eff.EffectivePolicy != nil {
				d.Effective = append(d.Effective, *eff.EffectivePolicy)
			}
			// A type without an effective policy (not enabled, none attached) is not shown.
		}
	}
	var f flash
	if err != nil {
		f = h.failure(r, err)
	}
	h.render(w, r, http.StatusOK, "account", s, view{Title: "Account " + id, Flash: f, Data: d})
}

// attached are the policies of every enabled type attached to target itself.
func (h *Handler) attached(ctx context.Context, target string) ([]model.PolicySummary, error) {
	types, err := h.enabledTypes(ctx)
	if err != nil {
		return nil, err
	}
	var all []model.PolicySummary
	for _, t := range types {
		var next *string
		for {
			out, err := h.svc.ListPoliciesForTarget(ctx, &model.ListPoliciesForTargetRequest{TargetId: &target, Filter: &t, NextToken: next})
			if err != nil {
				return nil, err
			}
			all = append(all, out.Policies...)
			if next = out.NextToken; next == nil {
				break
			}
		}
	}
	return all, nil
}

// enabledTypes are the policy types enabled on the organization's root.
func (h *Handler) enabledTypes(ctx context.Context) ([]string, error) {
	roots, err := h.svc.ListRoots(ctx, &model.ListRootsRequest{})
	if err != nil || len(roots.Roots) == 0 {
		return nil, err
	}
	var types []string
	for _, t := range roots.Roots[0].PolicyTypes {
		if deref(t.Status) == "ENABLED" {
			types = append(types, deref(t.Type))
		}
	}
	return types, nil
}

type policiesData struct {
	Types map[string][]model.PolicySummary
}

func (h *Handler) policies(w http.ResponseWriter, r *http.Request, s *session) {
	ctx := r.Context()
	d := policiesData{Types: map[string][]model.PolicySummary{}}
	types, err := h.enabledTypes(ctx)
	for _, t := range types {
		var next *string
		for err == nil {
			var out *model.ListPoliciesResponse
			if out, err = h.svc.ListPolicies(ctx, &model.ListPoliciesRequest{Filter: &t, NextToken: next}); err != nil {
				break
			}
			d.Types[t] = append(d.Types[t], out.Policies...)
			if next = out.NextToken; next == nil {
				break
			}
		}
	}
	var f flash
	if err != nil {
		f = h.failure(r, err)
	}
	h.render(w, r, http.StatusOK, "policies", s, view{Title: "Policies", Flash: f, Data: d})
}

type policyData struct {
	Policy  *model.Policy
	Targets []model.PolicyTargetSummary
}

func (h *Handler) policy(w http.ResponseWriter, r *http.Request, s *session) {
	ctx := r.Context()
	id := r.PathValue("id")
	if !policyID.MatchString(id) {
		h.render(w, r, http.StatusNotFound, "error", s, view{Title: "Not found", Flash: flash{Message: "There is no policy " + id + ".", Error: true}})
		return
	}
	var d policyData
	out, err := h.svc.DescribePolicy(ctx, &model.DescribePolicyRequest{PolicyId: &id})
	if err == nil {
		d.Policy = out.Policy
		var next *string
		for {
			var targets *model.ListTargetsForPolicyResponse
			if targets, err = h.svc.ListTargetsForPolicy(ctx, &model.ListTargetsForPolicyRequest{PolicyId: &id, NextToken: next}); err != nil {
				break
			}
			d.Targets = append(d.Targets, targets.Targets...)
			if next = targets.NextToken; next == nil {
				break
			}
		}
	}
	var f flash
	if err != nil {
		f = h.failure(r, err)
	}
	h.render(w, r, http.StatusOK, "policy", s, view{Title: "Policy " + id, Flash: f, Data: d})
}

// shownHandshake is a handshake with what the page shows of it: its notes, and which
// answers the caller, as a party of it, may give.
type shownHandshake struct {
	model.Handshake
	Notes          string
	Answer, Cancel bool
}

// show reads a handshake for the page. The organization party is the sender: its
// management account may cancel; the other party may accept or decline (the domain checks
// both again).
func show(hs model.Handshake, orgID, mgmt, caller string) shownHandshake {
	sh := shownHandshake{Handshake: hs}
	for _, res := range hs.Resources {
		if deref(res.Type) == "NOTES" {
			sh.Notes = deref(res.Value)
		}
	}
	state := deref(hs.State)
	if state != model.HandshakeStateOpen && state != model.HandshakeStateRequested {
		return sh
	}
	sender := false
	for _, p := range hs.Parties {
		if deref(p.Type) == model.HandshakePartyTypeOrganization && deref(p.Id) == orgID && mgmt == caller {
			sender = true
		}
	}
	sh.Cancel, sh.Answer = sender, !sender
	return sh
}

// callerOrg is the caller's organization and its management account, or "" outside one.
func (h *Handler) callerOrg(ctx context.Context) (orgID, mgmt string, err error) {
	o, err := h.svc.DescribeOrganization(ctx)
	var e *model.Error
	if errors.As(err, &e) && e.Code == model.CodeAWSOrganizationsNotInUseException {
		return "", "", nil
	}
	if err != nil {
		return "", "", err
	}
	return deref(o.Organization.Id), deref(o.Organization.MasterAccountId), nil
}

type handshakesData struct {
	Received, Sent []shownHandshake
}

// handshakes lists the invitations the caller's account received and, for a management
// account, those its organization sent.
func (h *Handler) handshakes(w http.ResponseWriter, r *http.Request, s *session) {
	ctx := r.Context()
	var d handshakesData
	orgID, mgmt, err := h.callerOrg(ctx)
	if err == nil {
		var next *string
		for {
			var out *model.ListHandshakesForAccountResponse
			if out, err = h.svc.ListHandshakesForAccount(ctx, &model.ListHandshakesForAccountRequest{NextToken: next}); err != nil {
				break
			}
			for _, hs := range out.Handshakes {
				if sh := show(hs, orgID, mgmt, s.caller.AccountID); !sh.Cancel {
					d.Received = append(d.Received, sh)
				}
			}
			if next = out.NextToken; next == nil {
				break
			}
		}
	}
	if err == nil && mgmt == s.caller.AccountID {
		var next *string
		for {
			var out *model.ListHandshakesForOrganizationResponse
			if out, err = h.svc.ListHandshakesForOrganization(ctx, &model.ListHandshakesForOrganizationRequest{NextToken: next}); err != nil {
				break
			}
			for _, hs := range out.Handshakes {
				d.Sent = append(d.Sent, show(hs, orgID, mgmt, s.caller.AccountID))
			}
			if next = out.NextToken; next == nil {
				break
			}
		}
	}
	var f flash
	if err != nil {
		f = h.failure(r, err)
	}
	h.render(w, r, http.StatusOK, "handshakes", s, view{Title: "Invitations", Flash: f, Data: d})
}

// handshake shows one invitation: the page an invitation e-mail links to.
func (h *Handler) handshake(w http.ResponseWriter, r *http.Request, s *session) {
	ctx := r.Context()
	id := r.PathValue("id")
	if !handshakeID.MatchString(id) {
		h.render(w, r, http.StatusNotFound, "error", s, view{Title: "Not found", Flash: flash{Message: "There is no invitation " + id + ".", Error: true}})
		return
	}
	var d *shownHandshake
	orgID, mgmt, err := h.callerOrg(ctx)
	if err == nil {
		var out *model.DescribeHandshakeResponse
		if out, err = h.svc.DescribeHandshake(ctx, &model.DescribeHandshakeRequest{HandshakeId: &id}); err == nil {
			sh := show(*out.Handshake, orgID, mgmt, s.caller.AccountID)
			d = &sh
		}
	}
	var f flash
	if err != nil {
		f = h.failure(r, err)
	}
	h.render(w, r, http.StatusOK, "handshake", s, view{Title: "Invitation " + id, Flash: f, Data: d})
}

// handshakeAction answers a handshake: accept, decline or cancel.
func (h *Handler) handshakeAction(w http.ResponseWriter, r *http.Request, s *session) {
	id := r.PathValue("id")
	back := "/console/handshakes"
	if handshakeID.MatchString(id) {
		back += "/" + id
	}
	in := &model.AcceptHandshakeRequest{HandshakeId: &id}
	var err error
	var did string
	switch r.PathValue("action") {
	case "accept":
		err, did = h.invoke(r.Context(), "AcceptHandshake", in), "Accepted"
	case "decline":
		err, did = h.invoke(r.Context(), "DeclineHandshake", (*model.DeclineHandshakeRequest)(in)), "Declined"
	case "cancel":
		err, did = h.invoke(r.Context(), "CancelHandshake", (*model.CancelHandshakeRequest)(in)), "Canceled"
	default:
		h.render(w, r, http.StatusNotFound, "error", s, view{Title: "Not found", Flash: flash{Message: "There is no such page.", Error: true}})
		return
	}
	h.done(w, r, s, back, did+" the invitation "+id+".", err)
}

type outboxData struct {
	All      bool
	Messages []org.OutboxMessage
}

// outboxLimit bounds the messages the outbox page reads.
const outboxLimit = 1000

// outbox shows the e-mails orgd queued. In open mode anyone may act as any account, so the
// page shows every message, as the admin API does; with verified credentials, only the
// messages about a handshake the caller may describe (its sender's management account and
// its recipient).
func (h *Handler) outbox(w http.ResponseWriter, r *http.Request, s *session) {
	ctx := r.Context()
	d := outboxData{All: !h.auth.Verified()}
	msgs, err := h.svc.Outbox(ctx, 0, outboxLimit)
	if err == nil {
		if d.All {
			d.Messages = msgs
		} else {
			d.Messages, err = h.visible(ctx, msgs)
		}
	}
	var f flash
	if err != nil {
		f = h.failure(r, err)
	}
	h.render(w, r, http.StatusOK, "outbox", s, view{Title: "Outbox", Flash: f, Data: d})
}

// visible keeps the messages whose handshake the caller may describe; a domain refusal hides
// a message, a store failure fails the page.
func (h *Handler) visible(ctx context.Context, msgs []org.OutboxMessage) ([]org.OutboxMessage, error) {
	var out []org.OutboxMessage
	seen := map[string]bool{}
	for _, m := range msgs {
		ok, known := seen[m.HandshakeID]
		if !known && m.HandshakeID != "" {
			_, err := h.svc.DescribeHandshake(ctx, &model.DescribeHandshakeRequest{HandshakeId: &m.HandshakeID})
			var e *model.Error
			if err != nil && !errors.As(err, &e) {
				return nil, err
			}
			ok = err == nil
			seen[m.HandshakeID] = ok
		}
		if ok {
			out = append(out, m)
		}
	}
	return out, nil
}

func (h *Handler) clock(w http.ResponseWriter, r *http.Request, s *session) {
	now, err := h.svc.Now(r.Context())
	var f flash
	if err != nil {
		f = h.failure(r, err)
	}
	h.render(w, r, http.StatusOK, "clock", s, view{Title: "Clock", Flash: f, Data: now.UTC().Format(time.RFC3339Nano)})
}

func (h *Handler) advanceClock(w http.ResponseWriter, r *http.Request, s *session) {
	d, err := time.ParseDuration(strings.TrimSpace(r.PostFormValue("by")))
	if err != nil {
		h.done(w, r, s, "/console/clock", "", model.Fail(model.CodeInvalidInputException, model.InvalidInputExceptionReasonInvalidPattern, "duration %q: %v", r.PostFormValue("by"), err))
		return
	}
	now, err := h.svc.AdvanceClock(r.Context(), d)
	h.done(w, r, s, "/console/clock", "The clock now reads "+now.UTC().Format(time.RFC3339)+".", err)
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
