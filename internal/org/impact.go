package org

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/orgd/orgd/internal/catalog"
	"github.com/orgd/orgd/internal/model"
	"github.com/orgd/orgd/internal/policy"
)

// Impact analysis (issue 12 §4): what a proposed SCP change (attach, detach, update, move)
// would deny or allow, to which accounts, over every IAM action of the catalogue, before it
// is made. SCPs do not apply to the management account, so it is never affected.
//
// The cost follows distinct policy paths, not accounts: accounts whose levels hold the same
// policies share one evaluation. Within a path the cost follows classes of actions, not
// actions: two actions that the same statements' Action/NotAction patterns match get the
// same decision (the resource is "*" and the context the same for both), so one
// representative of each class is evaluated.

// ImpactRequest is a proposed change to an organization's SCPs, applied in order.
type ImpactRequest struct {
	// Organization is the management account's id; "" when the store holds one organization.
	Organization string
	Changes      []ImpactChange
	// ContextEntries fix condition keys; a condition reading any other key that varies by
	// request makes the decision conditional.
	ContextEntries []ContextEntry
	// Actions restricts the analysis to the catalogue's actions matching these patterns.
	Actions []string
	// Detail is "actions" (the default: full lists) or "summary" (counts only).
	Detail string
}

// ImpactChange is one proposed change: exactly one member is set.
type ImpactChange struct {
	Attach *ImpactAttach `json:",omitempty"`
	Detach *ImpactDetach `json:",omitempty"`
	Update *ImpactUpdate `json:",omitempty"`
	Move   *ImpactMove   `json:",omitempty"`
}

// ImpactAttach attaches an existing SCP (PolicyId) or a new one (Content and Name).
type ImpactAttach struct {
	PolicyId string          `json:",omitempty"`
	Content  json.RawMessage `json:",omitempty"`
	Name     string          `json:",omitempty"`
	TargetId string
}

// ImpactDetach detaches an SCP from a target.
type ImpactDetach struct{ PolicyId, TargetId string }

// ImpactUpdate replaces an SCP's content.
type ImpactUpdate struct {
	PolicyId string
	Content  json.RawMessage
}

// ImpactMove moves an account under another parent.
type ImpactMove struct{ AccountId, DestinationParentId string }

// ImpactResult is the answer: the accounts whose decisions change, grouped by OU, and one
// effect per distinct change of policy path, which the accounts that share it name.
type ImpactResult struct {
	OrganizationId   string
	CatalogueVersion string
	// ActionsEvaluated is how many of the catalogue's actions the analysis covers;
	// ActionClasses how many groups of them the policies tell apart.
	ActionsEvaluated int
	ActionClasses    int
	// AccountsAnalysed is the members the SCPs apply to (all but the management account);
	// PolicyPaths the distinct chains of policies among them, before and after the change.
	AccountsAnalysed    int
	PolicyPaths         PathCounts
	OrganizationalUnits []ImpactParent
	Effects             []ImpactEffect
}

// PathCounts counts distinct policy paths.
type PathCounts struct{ Before, After int }

// ImpactParent is a root or OU with its affected accounts (after the change).
type ImpactParent struct {
	Id       string
	Name     string
	Path     string
	Accounts []ImpactAccount
}

// ImpactAccount is an affected account; its Effect names the entry of Effects it shares.
type ImpactAccount struct {
	AccountId        string
	Name             string
	Effect           string
	NewlyDenied      int
	NewlyAllowed     int
	NewlyConditional int
}

// ImpactEffect is what the change does to the accounts that share one policy path before
// and one after it.
type ImpactEffect struct {
	Id               string
	Accounts         []string
	NewlyDenied      ActionChange
	NewlyAllowed     ActionChange
	NewlyConditional ActionChange
}

// ActionChange is a set of actions whose decision changed one way.
type ActionChange struct {
	Count     int
	ByService map[string]int
	Actions   []string `json:",omitempty"` // Detail "actions" only
	// ConditionKeys are the keys the decision depends on (NewlyConditional only).
	ConditionKeys []string `json:",omitempty"`
}

// impactTree is an organization's SCP state: the tree, and the policies attached where.
type impactTree struct {
	org      *Organization
	ous      map[string]*OU
	accounts map[string]*Account
	// attached maps each target to its SCPs' keys; a key is a policy id, or for a proposed
	// document the id and the change that made it (see impactDoc).
	attached map[string][]string
	docs     map[string]*impactDoc
	// updated maps a policy id to the key of the content an Update gave it.
	updated map[string]string
}

// impactDoc is one SCP document the analysis knows.
type impactDoc struct {
	id     string // the policy id matches show
	parsed *policy.Policy
	// patterns are each statement's Action or NotAction patterns, lower case.
	patterns [][]string
}

func (tr *impactTree) clone() *impactTree {
	c := &impactTree{org: tr.org, ous: tr.ous, accounts: maps.Clone(tr.accounts), attached: map[string][]string{},
		docs: maps.Clone(tr.docs), updated: maps.Clone(tr.updated)}
	for id, keys := range tr.attached {
		c.attached[id] = slices.Clone(keys)
	}
	return c
}

// levels are the targets from the root down to the account.
func (tr *impactTree) levels(a *Account) []string {
	path := rootPath(tr.org)
	if u, ok := tr.ous[a.ParentID]; ok {
		path = u.Path
	}
	return append(strings.Split(strings.TrimSuffix(path, "/"), "/")[1:], a.ID)
}

// signature names an account's policy path: the policies of each level (order within a
// level does not matter to a decision), not the targets.
func (tr *impactTree) signature(a *Account) string {
	var b strings.Builder
	for i, id := range tr.levels(a) {
		if i > 0 {
			b.WriteByte('|')
		}
		keys := slices.Clone(tr.attached[id])
		slices.Sort(keys)
		b.WriteString(strings.Join(keys, ","))
	}
	return b.String()
}

// Impact analyses a proposed change.
func (s *Service) Impact(ctx context.Context, in *ImpactRequest) (*ImpactResult, error) {
	detail := in.Detail
	switch detail {
	case "":
		detail = "actions"
	case "actions", "summary":
	default:
		return nil, inputError("Detail", "%q is neither actions nor summary", in.Detail)
	}
	if in.Organization != "" && !model.IsAccountID(in.Organization) {
		return nil, inputError("Organization", "%q is not the 12-digit id of a management account", in.Organization)
	}
	if len(in.Changes) == 0 {
		return nil, inputError("Changes", "propose at least one change: Attach, Detach, Update or Move")
	}
	if err := checkContextEntries("ContextEntries", in.ContextEntries); err != nil {
		return nil, err
	}
	actions, err := impactActions(in.Actions)
	if err != nil {
		return nil, err
	}
	var before *impactTree
	var now time.Time
	err = s.view(ctx, func(t *txn) error {
		now = t.now
		var err error
		before, err = t.impactTree(in.Organization)
		return err
	})
	if err != nil {
		return nil, err
	}
	after := before.clone()
	for i, c := range in.Changes {
		if err := after.apply(s, fmt.Sprintf("Changes[%d]", i), i, c); err != nil {
			return nil, err
		}
	}
	return s.analyse(before, after, actions, in.ContextEntries, now, detail), nil
}

// impactActions are the catalogue's actions the patterns select (all without patterns).
func impactActions(patterns []string) ([]catalog.Action, error) {
	switch {
	case patterns == nil:
		return catalog.Actions(), nil
	case len(patterns) == 0:
		return nil, inputError("Actions", "name at least one pattern, such as s3:*, or leave Actions out for the whole catalogue")
	}
	seen := map[[2]string]bool{}
	for i, p := range patterns {
		m := catalog.Match(p)
		if len(m) == 0 {
			return nil, inputError(fmt.Sprintf("Actions[%d]", i), "%q matches no action of the catalogue", p)
		}
		for _, a := range m {
			seen[[2]string{a.Service, a.Name}] = true
		}
	}
	// In the catalogue's order.
	all := catalog.Actions()
	return slices.DeleteFunc(all, func(a catalog.Action) bool { return !seen[[2]string{a.Service, a.Name}] }), nil
}

// impactTree reads the organization's tree and SCP attachments.
func (t *txn) impactTree(mgmt string) (*impactTree, error) {
	o, err := t.impactOrganization(mgmt)
	if err != nil {
		return nil, err
	}
	if e, err := t.enabledPolicyType(o, model.PolicyTypeServiceControlPolicy); err != nil {
		return nil, err
	} else if e == nil {
		return nil, inputError("Organization", "service control policies are not enabled in the root of %s", o.ID)
	}
	tr := &impactTree{org: o, ous: map[string]*OU{}, accounts: map[string]*Account{}, attached: map[string][]string{},
		docs: map[string]*impactDoc{}, updated: map[string]string{}}
	const page = 500
	for after := ""; ; {
		us, err := t.ListOUs(t.ctx, OUQuery{OrgID: o.ID, AfterID: after, Limit: page})
		if err != nil {
			return nil, fmt.Errorf("org: OUs of %s: %w", o.ID, err)
		}
		for i := range us {
			tr.ous[us[i].ID] = &us[i]
		}
		if len(us) < page {
			break
		}
		after = us[len(us)-1].ID
	}
	for after := ""; ; {
		as, err := t.ListAccounts(t.ctx, AccountQuery{OrgID: o.ID, AfterID: after, Limit: page})
		if err != nil {
			return nil, fmt.Errorf("org: accounts of %s: %w", o.ID, err)
		}
		for i := range as {
			tr.accounts[as[i].ID] = &as[i]
		}
		if len(as) < page {
			break
		}
		after = as[len(as)-1].ID
	}
	// Every SCP, attached or not (a change may attach one), and its attachments policy by
	// policy: the SCPs are far fewer than the targets.
	full, _ := managedPolicyOf(model.PolicyTypeServiceControlPolicy)
	pols := []Policy{full}
	for after := ""; ; {
		ps, err := t.ListPolicies(t.ctx, PolicyQuery{OrgID: o.ID, Type: model.PolicyTypeServiceControlPolicy, AfterID: after, Limit: page})
		if err != nil {
			return nil, fmt.Errorf("org: SCPs of %s: %w", o.ID, err)
		}
		pols = append(pols, ps...)
		if len(ps) < page {
			break
		}
		after = ps[len(ps)-1].ID
	}
	for _, p := range pols {
		if tr.docs[p.ID], err = newImpactDoc(p.ID, p.Content); err != nil {
			// CreatePolicy checked the document; one the evaluator cannot read is orgd's fault.
			return nil, fmt.Errorf("org: policy %s does not parse: %w", p.ID, err)
		}
		for after := ""; ; {
			as, err := t.ListPolicyAttachments(t.ctx, PolicyAttachmentQuery{OrgID: o.ID, PolicyID: p.ID, AfterTargetID: after, Limit: page})
			if err != nil {
				return nil, fmt.Errorf("org: targets of %s: %w", p.ID, err)
			}
			for _, a := range as {
				tr.attached[a.TargetID] = append(tr.attached[a.TargetID], p.ID)
			}
			if len(as) < page {
				break
			}
			after = as[len(as)-1].TargetID
		}
	}
	return tr, nil
}

// impactOrganization is the organization mgmt manages, or without mgmt the only one.
func (t *txn) impactOrganization(mgmt string) (*Organization, error) {
	orgID := ""
	if mgmt != "" {
		a, err := t.account(mgmt)
		if err != nil {
			return nil, err
		}
		orgID = a.OrgID
		if orgID == "" {
			return nil, inputError("Organization", "the account %s belongs to no organization", mgmt)
		}
	} else {
		// No listing of organizations exists; their accounts name them. Two are enough to
		// know that the request must say which.
		for after := ""; ; {
			as, err := t.ListAccounts(t.ctx, AccountQuery{AfterID: after, Limit: 500})
			if err != nil {
				return nil, fmt.Errorf("org: list accounts: %w", err)
			}
			for _, a := range as {
				switch {
				case a.OrgID == "" || a.OrgID == orgID:
				case orgID == "":
					orgID = a.OrgID
				default:
					return nil, inputError("Organization", "orgd holds several organizations: name the management account of one")
				}
			}
			if len(as) < 500 {
				break
			}
			after = as[len(as)-1].ID
		}
		if orgID == "" {
			return nil, inputError("Organization", "orgd holds no organization")
		}
	}
	o, err := t.Organization(t.ctx, orgID)
	if err != nil {
		return nil, fmt.Errorf("org: read organization %s: %w", orgID, err)
	}
	if mgmt != "" && o.ManagementAccountID != mgmt {
		return nil, inputError("Organization", "%s is a member of %s, not its management account", mgmt, o.ID)
	}
	return o, nil
}

// newImpactDoc parses an SCP and reads its statements' action patterns.
func newImpactDoc(id, content string) (*impactDoc, error) {
	p, err := policy.Parse(content)
	if err == nil {
		err = policy.Validate(policy.SCP, p)
	}
	if err != nil {
		return nil, err
	}
	p.ID = id
	var doc struct{ Statement json.RawMessage }
	if err := json.Unmarshal([]byte(content), &doc); err != nil {
		return nil, err
	}
	var stmts []map[string]json.RawMessage
	if err := json.Unmarshal(doc.Statement, &stmts); err != nil {
		var one map[string]json.RawMessage
		if err := json.Unmarshal(doc.Statement, &one); err != nil {
			return nil, err
		}
		stmts = append(stmts, one)
	}
	d := &impactDoc{id: id, parsed: p}
	for _, st := range stmts {
		raw, ok := st["Action"]
		if !ok {
			raw = st["NotAction"]
		}
		var list []string
		if json.Unmarshal(raw, &list) != nil {
			var one string
			if err := json.Unmarshal(raw, &one); err != nil {
				return nil, fmt.Errorf("a statement's Action is neither a string nor a list of them")
			}
			list = []string{one}
		}
		for i := range list {
			list[i] = strings.ToLower(list[i])
		}
		d.patterns = append(d.patterns, list)
	}
	return d, nil
}

// apply applies one change, checking it as AWS would check the call it stands for.
func (tr *impactTree) apply(s *Service, field string, index int, c ImpactChange) error {
	n := 0
	for _, set := range []bool{c.Attach != nil, c.Detach != nil, c.Update != nil, c.Move != nil} {
		if set {
			n++
		}
	}
	if n != 1 {
		return inputError(field, "a change is exactly one of Attach, Detach, Update or Move")
	}
	switch {
	case c.Attach != nil:
		field += ".Attach"
		key, id := c.Attach.PolicyId, c.Attach.PolicyId
		switch {
		case id != "" && c.Attach.Content != nil:
			return inputError(field, "name an existing policy (PolicyId) or propose a new one (Content and Name), not both")
		case id != "":
			if _, ok := tr.docs[id]; !ok {
				return inputError(field+".PolicyId", "%q is not a service control policy of %s", id, tr.org.ID)
			}
			// A policy an earlier change updated is attached with its new content.
			if k, ok := tr.updated[id]; ok {
				key = k
			}
		default:
			if c.Attach.Name == "" {
				return inputError(field+".Name", "a proposed policy needs a name")
			}
			doc, ok, err := documentText(field+".Content", c.Attach.Content)
			if err == nil && !ok {
				err = inputError(field+".Content", "name an existing policy (PolicyId) or propose a new one (Content and Name)")
			}
			if err != nil {
				return err
			}
			if err := s.checkSCPSize(field+".Content", doc); err != nil {
				return err
			}
			key = "proposed:" + strconv.Itoa(index) + ":" + c.Attach.Name
			d, err := newImpactDoc(c.Attach.Name, doc)
			if err != nil {
				return inputError(field+".Content", "%v", err)
			}
			tr.docs[key] = d
		}
		target := c.Attach.TargetId
		if !tr.isTarget(target) {
			return inputError(field+".TargetId", "%q is not the root, an OU or a member account of %s", target, tr.org.ID)
		}
		if slices.ContainsFunc(tr.attached[target], func(k string) bool { return tr.docs[k].id == tr.docs[key].id }) {
			return inputError(field, "%s is already attached to %s", tr.docs[key].id, target)
		}
		if limit := s.maxPoliciesPerTarget(model.PolicyTypeServiceControlPolicy); len(tr.attached[target]) >= limit {
			return inputError(field+".TargetId", "%s already has %d SCPs attached, the most it can have", target, limit)
		}
		tr.attached[target] = append(tr.attached[target], key)
	case c.Detach != nil:
		field += ".Detach"
		target := c.Detach.TargetId
		i := slices.IndexFunc(tr.attached[target], func(k string) bool { return tr.docs[k].id == c.Detach.PolicyId })
		if i < 0 {
			return inputError(field, "%q is not attached to %q", c.Detach.PolicyId, target)
		}
		// AWS keeps at least one SCP on every target (MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED).
		if len(tr.attached[target]) <= policyKinds[model.PolicyTypeServiceControlPolicy].minPerTarget {
			return inputError(field, "%s must keep at least one SCP attached: AWS refuses to detach the last", target)
		}
		tr.attached[target] = slices.Delete(tr.attached[target], i, i+1)
	case c.Update != nil:
		field += ".Update"
		id := c.Update.PolicyId
		if isAWSManaged(id) {
			return inputError(field+".PolicyId", "%s is AWS-managed and cannot be changed", id)
		}
		if _, ok := tr.docs[id]; !ok {
			return inputError(field+".PolicyId", "%q is not a service control policy of %s", id, tr.org.ID)
		}
		doc, ok, err := documentText(field+".Content", c.Update.Content)
		if err == nil && !ok {
			err = inputError(field+".Content", "the new content is required")
		}
		if err != nil {
			return err
		}
		if err := s.checkSCPSize(field+".Content", doc); err != nil {
			return err
		}
		d, err := newImpactDoc(id, doc)
		if err != nil {
			return inputError(field+".Content", "%v", err)
		}
		key := id + "@update:" + strconv.Itoa(index)
		tr.docs[key] = d
		tr.updated[id] = key
		for target, keys := range tr.attached {
			for i, k := range keys {
				if tr.docs[k].id == id {
					tr.attached[target][i] = key
				}
			}
		}
	case c.Move != nil:
		field += ".Move"
		a, ok := tr.accounts[c.Move.AccountId]
		if !ok {
			return inputError(field+".AccountId", "%q is not a member account of %s", c.Move.AccountId, tr.org.ID)
		}
		dst := c.Move.DestinationParentId
		if _, ok := tr.ous[dst]; !ok && dst != tr.org.RootID {
			return inputError(field+".DestinationParentId", "%q is neither the root nor an OU of %s", dst, tr.org.ID)
		}
		if a.ParentID == dst {
			return inputError(field+".DestinationParentId", "the account %s is already in %s", a.ID, dst)
		}
		moved := *a
		moved.ParentID = dst
		tr.accounts[a.ID] = &moved
	}
	return nil
}

func (s *Service) checkSCPSize(field, doc string) error {
	if n, limit := len([]rune(doc)), s.maxPolicySize(model.PolicyTypeServiceControlPolicy); n > limit {
		return inputError(field, "the document has %d characters; an SCP has at most %d", n, limit)
	}
	return nil
}

func (tr *impactTree) isTarget(id string) bool {
	if id == tr.org.RootID {
		return true
	}
	if _, ok := tr.ous[id]; ok {
		return true
	}
	_, ok := tr.accounts[id]
	return ok
}

// outcome is an action class's decision on one path, as the analysis compares them.
type outcome uint8

const (
	outDenied outcome = iota
	outAllowed
	outConditional
)

// pathEval is one policy path's outcome for each action class, and the condition keys of
// the conditional ones.
type pathEval struct {
	outcomes []outcome
	keys     [][]string
}

// actionClasses groups actions by the set of statements (of every document the analysis
// knows) whose Action or NotAction patterns match them: members of a class get the same
// decision everywhere. The catalogue finds each pattern's actions by their literal prefix,
// so the cost follows the patterns' matches, not actions times patterns.
func actionClasses(actions []catalog.Action, docs map[string]*impactDoc) (reps []string, members [][]string) {
	pos := make(map[[2]string]int, len(actions))
	for i, a := range actions {
		pos[[2]string{a.Service, a.Name}] = i
	}
	keys := slices.Sorted(maps.Keys(docs))
	var stmts [][]string
	for _, k := range keys {
		stmts = append(stmts, docs[k].patterns...)
	}
	width := (len(stmts) + 7) / 8
	sigs := make([]byte, len(actions)*width)
	for i, patterns := range stmts {
		for _, p := range patterns {
			for _, a := range catalog.Match(p) {
				if j, ok := pos[[2]string{a.Service, a.Name}]; ok {
					sigs[j*width+i/8] |= 1 << (i % 8)
				}
			}
		}
	}
	index := map[string]int{}
	for j, a := range actions {
		sig := sigs[j*width : (j+1)*width]
		c, ok := index[string(sig)]
		if !ok {
			c = len(reps)
			index[string(sig)] = c
			reps = append(reps, a.String())
			members = append(members, nil)
		}
		members[c] = append(members[c], a.String())
	}
	return reps, members
}

// analyse compares every account's decisions before and after, one evaluation per path.
func (s *Service) analyse(before, after *impactTree, actions []catalog.Action, entries []ContextEntry, now time.Time, detail string) *ImpactResult {
	// Only the documents attached somewhere, before or after, bear on a decision.
	used := map[string]*impactDoc{}
	for _, tr := range []*impactTree{before, after} {
		for _, keys := range tr.attached {
			for _, k := range keys {
				used[k] = tr.docs[k]
			}
		}
	}
	reps, members := actionClasses(actions, used)
	ctx := policy.NewContext()
	ctx.Set("aws:PrincipalOrgID", before.org.ID)
	ctx.Set("aws:CurrentTime", now.UTC().Format(time.RFC3339))
	ctx.Set("aws:EpochTime", strconv.FormatInt(now.Unix(), 10))
	for _, e := range entries {
		ctx.Set(e.ContextKeyName, e.ContextKeyValues...)
	}
	// An administrator identity, so that the decision is the SCPs' alone.
	identity := s.admin
	evals := map[string]*pathEval{}
	eval := func(tr *impactTree, a *Account, sig string) *pathEval {
		if e, ok := evals[sig]; ok {
			return e
		}
		in := policy.Input{Identity: identity}
		for _, id := range tr.levels(a) {
			l := policy.Level{Target: id}
			for _, k := range tr.attached[id] {
				l.Policies = append(l.Policies, tr.docs[k].parsed)
			}
			in.SCPs = append(in.SCPs, l)
		}
		req := policy.Request{
			Resource: "*", PrincipalARN: "arn:" + tr.org.Partition + ":iam::" + a.ID + ":root",
			PrincipalAccount: a.ID, Context: ctx,
		}
		e := &pathEval{outcomes: make([]outcome, len(reps)), keys: make([][]string, len(reps))}
		for c, action := range reps {
			req.Action = action
			res := policy.Evaluate(&req, &in, policy.Options{Unknown: true, Explain: true})
			switch res.Decision {
			case policy.Allowed:
				e.outcomes[c] = outAllowed
			case policy.Conditional:
				e.outcomes[c], e.keys[c] = outConditional, res.Missing
			}
		}
		evals[sig] = e
		return e
	}

	out := &ImpactResult{
		OrganizationId: before.org.ID, CatalogueVersion: catalog.Version(),
		ActionsEvaluated: len(actions), ActionClasses: len(reps),
		OrganizationalUnits: []ImpactParent{}, Effects: []ImpactEffect{},
	}
	type pair struct{ before, after string }
	effects := map[pair]*ImpactEffect{}
	var listed []*ImpactEffect // the effects some account has, in order of first account
	pathsBefore, pathsAfter := map[string]bool{}, map[string]bool{}
	parents := map[string]*ImpactParent{}
	ids := make([]string, 0, len(after.accounts))
	for id := range after.accounts {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		if id == before.org.ManagementAccountID {
			continue
		}
		out.AccountsAnalysed++
		a0, a1 := before.accounts[id], after.accounts[id]
		p := pair{before.signature(a0), after.signature(a1)}
		pathsBefore[p.before], pathsAfter[p.after] = true, true
		if p.before == p.after {
			continue
		}
		eff, ok := effects[p]
		if !ok {
			eff = diff(eval(before, a0, "before:"+p.before), eval(after, a1, "after:"+p.after), members, detail)
			effects[p] = eff
		}
		if eff.NewlyDenied.Count+eff.NewlyAllowed.Count+eff.NewlyConditional.Count == 0 {
			continue
		}
		if eff.Accounts == nil {
			listed = append(listed, eff)
			eff.Id = "e" + strconv.Itoa(len(listed))
		}
		eff.Accounts = append(eff.Accounts, id)
		parent, ok := parents[a1.ParentID]
		if !ok {
			parent = &ImpactParent{Id: a1.ParentID, Name: "Root", Path: rootPath(after.org)}
			if u, ok := after.ous[a1.ParentID]; ok {
				parent.Name, parent.Path = u.Name, u.Path
			}
			parents[a1.ParentID] = parent
		}
		parent.Accounts = append(parent.Accounts, ImpactAccount{
			AccountId: id, Name: a1.Name, Effect: eff.Id,
			NewlyDenied: eff.NewlyDenied.Count, NewlyAllowed: eff.NewlyAllowed.Count, NewlyConditional: eff.NewlyConditional.Count,
		})
	}
	for _, eff := range listed {
		out.Effects = append(out.Effects, *eff)
	}
	out.PolicyPaths = PathCounts{Before: len(pathsBefore), After: len(pathsAfter)}
	for _, p := range parents {
		out.OrganizationalUnits = append(out.OrganizationalUnits, *p)
	}
	sort.Slice(out.OrganizationalUnits, func(i, j int) bool { return out.OrganizationalUnits[i].Path < out.OrganizationalUnits[j].Path })
	return out
}

// diff is what changes from one path's outcomes to another's.
func diff(before, after *pathEval, members [][]string, detail string) *ImpactEffect {
	e := &ImpactEffect{
		NewlyDenied: ActionChange{ByService: map[string]int{}}, NewlyAllowed: ActionChange{ByService: map[string]int{}},
		NewlyConditional: ActionChange{ByService: map[string]int{}},
	}
	keys := map[string]bool{}
	for c, o := range after.outcomes {
		if o == before.outcomes[c] {
			continue
		}
		ch := &e.NewlyDenied
		switch o {
		case outAllowed:
			ch = &e.NewlyAllowed
		case outConditional:
			ch = &e.NewlyConditional
			for _, k := range after.keys[c] {
				keys[k] = true
			}
		}
		ch.Count += len(members[c])
		for _, a := range members[c] {
			svc, _, _ := strings.Cut(a, ":")
			ch.ByService[svc]++
		}
		if detail == "actions" {
			ch.Actions = append(ch.Actions, members[c]...)
		}
	}
	for _, ch := range []*ActionChange{&e.NewlyDenied, &e.NewlyAllowed, &e.NewlyConditional} {
		slices.Sort(ch.Actions)
	}
	for k := range keys {
		e.NewlyConditional.ConditionKeys = append(e.NewlyConditional.ConditionKeys, k)
	}
	slices.Sort(e.NewlyConditional.ConditionKeys)
	return e
}
