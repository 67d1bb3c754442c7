package org

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/orgd/orgd/internal/iam"
	"github.com/orgd/orgd/internal/model"
	"github.com/orgd/orgd/internal/policy"
)

// The policy simulator (issue 12 §3): may a principal do these actions on these resources,
// given its policies and the organization's SCPs and RCPs, and why. It speaks the vocabulary
// of IAM's policy simulator (SimulateCustomPolicy, SimulatePrincipalPolicy) so that its
// answers read like IAM's. It runs without a caller (the admin API's) and writes nothing.

// InputError is a simulator or impact request the domain cannot answer, naming the field at
// fault in the request's own vocabulary (PolicyInputList[1], Changes[0].Attach.TargetId). The
// admin API shows it whole: these are orgd's own tools, not AWS operations whose fixed texts
// clients compare, and someone rehearsing a change must see what is wrong with a document.
type InputError struct {
	Field string
	Msg   string
}

func (e *InputError) Error() string { return e.Field + ": " + e.Msg }

func inputError(field, format string, args ...any) *InputError {
	return &InputError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// ContextEntry is a condition key's value(s) as IAM's simulator takes them.
type ContextEntry struct {
	ContextKeyName   string
	ContextKeyValues []string
	// ContextKeyType is IAM's ContextKeyTypeEnum: string, stringList, numeric, numericList,
	// boolean, booleanList, ip, ipList, binary, binaryList, date, dateList. "" is string.
	ContextKeyType string
}

// PolicyLevel is one level of SCPs or RCPs: the documents attached to one target.
type PolicyLevel struct {
	TargetId string
	Policies []json.RawMessage
}

// documentText is a policy document as a request may carry it: a JSON object, or a string
// holding one (as IAM's APIs take it). ok is false for JSON null, which stands for no policy.
func documentText(field string, raw json.RawMessage) (doc string, ok bool, err error) {
	raw = bytes.TrimSpace(raw)
	switch {
	case len(raw) == 0 || string(raw) == "null":
		return "", false, nil
	case raw[0] == '{':
		return string(raw), true, nil
	case raw[0] == '"':
		if err := json.Unmarshal(raw, &doc); err == nil {
			return doc, true, nil
		}
	}
	return "", false, inputError(field, "a policy is a JSON object or a string holding one")
}

// SimulationRequest is the simulator's question. A nil list means "what orgd knows": the
// caller's declared policies, the organization's SCPs and RCPs from the store.
type SimulationRequest struct {
	CallerArn                          string
	ActionNames                        []string
	ResourceArns                       []string // default ["*"]
	ResourceOwner                      string   // default: the resource ARN's account, else the caller's
	ContextEntries                     []ContextEntry
	PolicyInputList                    []json.RawMessage
	PermissionsBoundaryPolicyInputList []json.RawMessage
	SessionPolicy                      json.RawMessage
	ResourcePolicy                     json.RawMessage
	ServiceControlPolicies             []PolicyLevel
	ResourceControlPolicies            []PolicyLevel
}

// SimulationResult is the simulator's answer, one result per action and resource.
type SimulationResult struct {
	EvaluationResults []EvaluationResult
}

// EvaluationResult is IAM's EvaluationResult, with the statements from every policy type.
type EvaluationResult struct {
	EvalActionName                    string
	EvalResourceName                  string
	EvalDecision                      string // allowed, explicitDeny or implicitDeny
	MatchedStatements                 []MatchedStatement
	MissingContextValues              []string
	OrganizationsDecisionDetail       OrganizationsDecisionDetail
	PermissionsBoundaryDecisionDetail PermissionsBoundaryDecisionDetail
}

// MatchedStatement is a statement that matched the request.
type MatchedStatement struct {
	SourcePolicyType string // SERVICE_CONTROL_POLICY, RESOURCE_CONTROL_POLICY, IDENTITY_POLICY, ...
	SourcePolicyId   string
	TargetId         string `json:",omitempty"` // the SCP's or RCP's level
	Sid              string `json:",omitempty"`
	Effect           string
}

// OrganizationsDecisionDetail says whether SCPs and RCPs allowed the request.
type OrganizationsDecisionDetail struct{ AllowedByOrganizations bool }

// PermissionsBoundaryDecisionDetail says whether the boundary allowed the request.
type PermissionsBoundaryDecisionDetail struct{ AllowedByPermissionsBoundary bool }

// administrator is the identity policy of a principal that declares none: the root user, and
// a user or role nobody restricted, may do anything in its account (issue 12 §2).
var administrator = mustParse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`, "administrator")

func mustParse(doc, id string) *policy.Policy {
	p, err := policy.Parse(doc)
	if err != nil {
		panic(fmt.Sprintf("org: built-in policy %s: %v", id, err))
	}
	p.ID = id
	return p
}

// simCaller is the principal a simulation names.
type simCaller struct {
	partition, account string
	kind               iam.Kind
	arn                string // as aws:PrincipalArn shows it: the role's ARN for a session
	principalARN       string // as the evaluator's Request names it: the session's ARN for a session
	roleARN            string
	name               string // user or role name
}

// parseCallerARN reads an account root, IAM user, IAM role or assumed-role session ARN. A
// role ARN stands for a session of the role, as IAM's simulator takes role ARNs.
func parseCallerARN(arn string) (simCaller, bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[1] == "" || parts[3] != "" || !model.IsAccountID(parts[4]) {
		return simCaller{}, false
	}
	c := simCaller{partition: parts[1], account: parts[4], arn: arn, principalARN: arn}
	kind, rest, _ := strings.Cut(parts[5], "/")
	name := rest[strings.LastIndexByte(rest, '/')+1:]
	switch {
	case parts[2] == "iam" && parts[5] == "root":
		c.kind = iam.Root
	case parts[2] == "iam" && kind == "user" && name != "":
		c.kind, c.name = iam.User, name
	case parts[2] == "iam" && kind == "role" && name != "":
		c.kind, c.name, c.roleARN = iam.AssumedRole, name, arn
	case parts[2] == "sts" && kind == "assumed-role":
		role, session, ok := strings.Cut(rest, "/")
		if !ok || role == "" || session == "" || strings.Contains(session, "/") {
			return simCaller{}, false
		}
		c.kind, c.name = iam.AssumedRole, role
		c.roleARN = "arn:" + c.partition + ":iam::" + c.account + ":role/" + role
		// aws:PrincipalArn of a role session is the role's ARN, not the session's [IAM
		// condition keys reference, aws:PrincipalArn].
		c.arn = c.roleARN
	default:
		return simCaller{}, false
	}
	return c, true
}

// arnAccount is the account field of an ARN, "" when it has none (an S3 bucket's).
func arnAccount(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) == 6 && model.IsAccountID(parts[4]) {
		return parts[4]
	}
	return ""
}

// parsePolicy parses and validates one document of a request; nil for JSON null.
func parsePolicy(field string, raw json.RawMessage, id string, typ policy.Type) (*policy.Policy, error) {
	doc, ok, err := documentText(field, raw)
	if err != nil || !ok {
		return nil, err
	}
	p, err := policy.Parse(doc)
	if err == nil {
		err = policy.Validate(typ, p)
	}
	if err != nil {
		return nil, inputError(field, "%v", err)
	}
	p.ID = id
	return p, nil
}

func parsePolicies(field string, docs []json.RawMessage, typ policy.Type) ([]*policy.Policy, error) {
	out := make([]*policy.Policy, 0, len(docs))
	for i, d := range docs {
		f := fmt.Sprintf("%s[%d]", field, i)
		p, err := parsePolicy(f, d, f, typ)
		if err != nil {
			return nil, err
		}
		if p == nil {
			return nil, inputError(f, "a policy is a JSON object or a string holding one, not null")
		}
		out = append(out, p)
	}
	return out, nil
}

func parseLevels(field string, levels []PolicyLevel, typ policy.Type) ([]policy.Level, error) {
	out := make([]policy.Level, 0, len(levels))
	for i, l := range levels {
		f := fmt.Sprintf("%s[%d]", field, i)
		if l.TargetId == "" {
			return nil, inputError(f+".TargetId", "each level names the root, OU or account it stands for")
		}
		ps := make([]*policy.Policy, 0, len(l.Policies))
		for j, d := range l.Policies {
			pf := fmt.Sprintf("%s.Policies[%d]", f, j)
			p, err := parsePolicy(pf, d, pf, typ)
			if err != nil {
				return nil, err
			}
			if p == nil {
				return nil, inputError(pf, "a policy is a JSON object or a string holding one, not null")
			}
			ps = append(ps, p)
		}
		out = append(out, policy.Level{Target: l.TargetId, Policies: ps})
	}
	return out, nil
}

// checkContextEntries checks each entry's values against its type, as IAM's simulator does.
func checkContextEntries(field string, entries []ContextEntry) error {
	for i, e := range entries {
		f := fmt.Sprintf("%s[%d]", field, i)
		if e.ContextKeyName == "" || strings.ContainsAny(e.ContextKeyName, " \t\n") {
			return inputError(f+".ContextKeyName", "a condition key name such as aws:SourceIp is required")
		}
		typ := e.ContextKeyType
		if typ == "" {
			typ = "string"
		}
		base, list := strings.CutSuffix(typ, "List")
		check, ok := contextTypes[base]
		if !ok {
			return inputError(f+".ContextKeyType", "%q is not one of string, numeric, boolean, ip, binary, date (each with or without List)", e.ContextKeyType)
		}
		if !list && len(e.ContextKeyValues) != 1 {
			return inputError(f+".ContextKeyValues", "a %s key takes exactly one value (%sList takes several)", base, base)
		}
		for j, v := range e.ContextKeyValues {
			if !check(v) {
				return inputError(fmt.Sprintf("%s.ContextKeyValues[%d]", f, j), "%q is not a %s value", v, base)
			}
		}
	}
	return nil
}

// contextTypes check a value of each of IAM's context key types.
var contextTypes = map[string]func(string) bool{
	"string": func(string) bool { return true },
	"numeric": func(v string) bool {
		_, err := strconv.ParseFloat(v, 64)
		return err == nil
	},
	"boolean": func(v string) bool { return strings.EqualFold(v, "true") || strings.EqualFold(v, "false") },
	"ip": func(v string) bool {
		if _, err := netip.ParseAddr(v); err == nil {
			return true
		}
		_, err := netip.ParsePrefix(v)
		return err == nil
	},
	"binary": func(v string) bool {
		_, err := base64.StdEncoding.DecodeString(v)
		return err == nil
	},
	// IAM takes ISO 8601 times and epoch seconds [IAM condition operators, Date].
	"date": func(v string) bool {
		if _, err := strconv.ParseInt(v, 10, 64); err == nil {
			return true
		}
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05Z0700", "2006-01-02T15:04Z07:00", "2006-01-02"} {
			if _, err := time.Parse(layout, v); err == nil {
				return true
			}
		}
		return false
	},
}

// orgFacts is what the store says about one account's place in an organization.
type orgFacts struct {
	org        *Organization // nil: a standalone account
	account    *Account
	management bool
	path       string // o-…/r-…/ou-…/ of the account's parent, as aws:PrincipalOrgPaths shows it
}

func (t *txn) orgFacts(id string) (orgFacts, error) {
	a, err := t.account(id)
	if err != nil {
		return orgFacts{}, err
	}
	f := orgFacts{account: a}
	if a.OrgID == "" {
		return f, nil
	}
	o, err := t.Organization(t.ctx, a.OrgID)
	if err != nil {
		return orgFacts{}, fmt.Errorf("org: read organization %s of account %s: %w", a.OrgID, a.ID, err)
	}
	f.org, f.management = o, o.ManagementAccountID == a.ID
	f.path = rootPath(o)
	if a.ParentID != o.RootID {
		u, err := t.ou(o, a.ParentID)
		if err != nil {
			return orgFacts{}, fmt.Errorf("org: parent of account %s: %w", a.ID, err)
		}
		f.path = u.Path
	}
	return f, nil
}

// storedLevels reads the policies of a type attached from the root down to the account (SCPs
// for a principal's account, RCPs for a resource's): nil when the type does not apply, since
// the account is standalone or the type is not enabled in its root. Parsed policies are kept
// in cache by id, so levels that share a policy parse it once.
func (t *txn) storedLevels(f orgFacts, policyType string, cache map[string]*policy.Policy) ([]policy.Level, error) {
	if f.org == nil {
		return nil, nil
	}
	e, err := t.enabledPolicyType(f.org, policyType)
	if err != nil || e == nil {
		return nil, err
	}
	ids := strings.Split(strings.TrimSuffix(f.path, "/"), "/")[1:] // drop the organization
	ids = append(ids, f.account.ID)
	levels := make([]policy.Level, 0, len(ids))
	for _, id := range ids {
		as, err := t.ListPolicyAttachments(t.ctx, PolicyAttachmentQuery{OrgID: f.org.ID, TargetID: id, PolicyType: policyType})
		if err != nil {
			return nil, fmt.Errorf("org: %s policies of %s: %w", policyType, id, err)
		}
		l := policy.Level{Target: id, Policies: make([]*policy.Policy, 0, len(as))}
		for _, a := range as {
			p, err := t.parsedPolicy(f.org, a, cache)
			if err != nil {
				return nil, err
			}
			l.Policies = append(l.Policies, p)
		}
		levels = append(levels, l)
	}
	return levels, nil
}

// parsedPolicy reads and parses an attached policy, once per cache.
func (t *txn) parsedPolicy(o *Organization, a PolicyAttachment, cache map[string]*policy.Policy) (*policy.Policy, error) {
	if p, ok := cache[a.PolicyID]; ok {
		return p, nil
	}
	stored, err := t.attachedPolicy(o, a)
	if err != nil {
		return nil, err
	}
	p, err := policy.Parse(stored.Content)
	if err != nil {
		// CreatePolicy checked the document; one the evaluator cannot read is orgd's fault.
		return nil, fmt.Errorf("org: policy %s attached to %s does not parse: %w", a.PolicyID, a.TargetID, err)
	}
	p.ID = a.PolicyID
	cache[a.PolicyID] = p
	return p, nil
}

// Simulate answers a simulation request.
func (s *Service) Simulate(ctx context.Context, in *SimulationRequest) (*SimulationResult, error) {
	caller, ok := parseCallerARN(in.CallerArn)
	if !ok {
		return nil, inputError("CallerArn", "%q is not the ARN of an account root, IAM user, IAM role or assumed-role session", in.CallerArn)
	}
	if len(in.ActionNames) == 0 {
		return nil, inputError("ActionNames", "name at least one action, such as s3:GetObject")
	}
	for i, a := range in.ActionNames {
		if svc, name, ok := strings.Cut(a, ":"); !ok || svc == "" || name == "" || strings.ContainsAny(a, "*? ") {
			return nil, inputError(fmt.Sprintf("ActionNames[%d]", i), "%q is not an action: service:Action, without wildcards", a)
		}
	}
	resources := in.ResourceArns
	if len(resources) == 0 {
		resources = []string{"*"}
	}
	for i, r := range resources {
		if r != "*" && !strings.HasPrefix(r, "arn:") {
			return nil, inputError(fmt.Sprintf("ResourceArns[%d]", i), "%q is neither an ARN nor *", r)
		}
	}
	if in.ResourceOwner != "" && !model.IsAccountID(in.ResourceOwner) {
		return nil, inputError("ResourceOwner", "%q is not a 12-digit account id", in.ResourceOwner)
	}
	if err := checkContextEntries("ContextEntries", in.ContextEntries); err != nil {
		return nil, err
	}
	var pin policy.Input
	var err error
	if in.PolicyInputList != nil {
		if pin.Identity, err = parsePolicies("PolicyInputList", in.PolicyInputList, policy.Identity); err != nil {
			return nil, err
		}
	}
	if in.PermissionsBoundaryPolicyInputList != nil {
		// A principal has at most one permissions boundary [IAM User Guide, Permissions
		// boundaries for IAM entities].
		if len(in.PermissionsBoundaryPolicyInputList) > 1 {
			return nil, inputError("PermissionsBoundaryPolicyInputList", "a principal has at most one permissions boundary, not %d", len(in.PermissionsBoundaryPolicyInputList))
		}
		bs, err := parsePolicies("PermissionsBoundaryPolicyInputList", in.PermissionsBoundaryPolicyInputList, policy.Boundary)
		if err != nil {
			return nil, err
		}
		if len(bs) == 1 {
			pin.Boundary = bs[0]
		}
	}
	session, err := parsePolicy("SessionPolicy", in.SessionPolicy, "SessionPolicy", policy.Session)
	if err != nil {
		return nil, err
	}
	if session != nil {
		pin.Session = []*policy.Policy{session}
	}
	if pin.ResourcePolicy, err = parsePolicy("ResourcePolicy", in.ResourcePolicy, "ResourcePolicy", policy.Resource); err != nil {
		return nil, err
	}
	if in.ServiceControlPolicies != nil {
		if pin.SCPs, err = parseLevels("ServiceControlPolicies", in.ServiceControlPolicies, policy.SCP); err != nil {
			return nil, err
		}
	}
	if in.ResourceControlPolicies != nil {
		if pin.RCPs, err = parseLevels("ResourceControlPolicies", in.ResourceControlPolicies, policy.RCP); err != nil {
			return nil, err
		}
	}
	var tags map[string]string
	if in.PolicyInputList == nil || in.PermissionsBoundaryPolicyInputList == nil {
		declared, err := s.PrincipalPolicies(ctx, caller.principalARN)
		var me *model.Error
		switch {
		case isNotFound(err):
			return nil, inputError("CallerArn", "orgd knows no role %s in %s: declare it (orgd roles add) or give PolicyInputList", caller.name, caller.account)
		case errors.As(err, &me):
			return nil, inputError("CallerArn", "%q is not the ARN of a root user, user, role or assumed-role session", in.CallerArn)
		case err != nil:
			return nil, err
		}
		if in.PolicyInputList == nil {
			// A principal without declared policies is an administrator of its account.
			pin.Identity = []*policy.Policy{administrator}
			if declared.Declared {
				pin.Identity = declared.Identity
			}
		}
		if in.PermissionsBoundaryPolicyInputList == nil {
			pin.Boundary = declared.Boundary
		}
		tags = declared.Tags
	}

	out := &SimulationResult{EvaluationResults: []EvaluationResult{}}
	err = s.view(ctx, func(t *txn) error {
		out.EvaluationResults = out.EvaluationResults[:0]
		in2 := pin
		return t.simulate(in, caller, tags, &in2, resources, out)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (t *txn) simulate(in *SimulationRequest, caller simCaller, tags map[string]string, pin *policy.Input, resources []string, out *SimulationResult) error {
	principal, err := t.orgFacts(caller.account)
	if err != nil {
		return err
	}
	cache := map[string]*policy.Policy{}
	pin.PrincipalIsManagement = principal.management
	if in.ServiceControlPolicies == nil {
		if pin.SCPs, err = t.storedLevels(principal, model.PolicyTypeServiceControlPolicy, cache); err != nil {
			return err
		}
	}
	ctx := policy.NewContext()
	// The keys AWS puts in every request's context [IAM User Guide, AWS global condition
	// context keys]; the request's ContextEntries come after and win.
	ctx.Set("aws:PrincipalAccount", caller.account)
	ctx.Set("aws:PrincipalArn", caller.arn)
	ctx.Set("aws:PrincipalIsAWSService", "false")
	ctx.Set("aws:CurrentTime", t.now.UTC().Format(time.RFC3339))
	ctx.Set("aws:EpochTime", strconv.FormatInt(t.now.Unix(), 10))
	switch caller.kind {
	case iam.Root:
		ctx.Set("aws:PrincipalType", "Account")
		ctx.Set("aws:userid", caller.account)
	case iam.User:
		ctx.Set("aws:PrincipalType", "User")
		ctx.Set("aws:username", caller.name)
	case iam.AssumedRole:
		ctx.Set("aws:PrincipalType", "AssumedRole")
	}
	if principal.org != nil {
		ctx.Set("aws:PrincipalOrgID", principal.org.ID)
		ctx.Set("aws:PrincipalOrgPaths", principal.path)
	}
	for k, v := range tags {
		ctx.Set("aws:PrincipalTag/"+k, v)
	}
	given := map[string]bool{}
	for _, e := range in.ContextEntries {
		ctx.Set(e.ContextKeyName, e.ContextKeyValues...)
		given[strings.ToLower(e.ContextKeyName)] = true
	}
	setDefault := func(key, value string) {
		if !given[strings.ToLower(key)] {
			ctx.Set(key, value)
		}
	}
	// What the store says of each resource owner, read once per owner.
	owners := map[string]orgFacts{}
	rcps := map[string][]policy.Level{}
	for _, resource := range resources {
		owner := in.ResourceOwner
		if owner == "" {
			owner = arnAccount(resource)
		}
		if owner == "" {
			owner = caller.account
		}
		req := policy.Request{
			Resource: resource, PrincipalARN: caller.principalARN, PrincipalAccount: caller.account,
			RoleARN: caller.roleARN, ResourceAccount: owner, Context: ctx,
		}
		rf, ok := owners[owner]
		if !ok {
			if rf, err = t.orgFacts(owner); err != nil {
				return err
			}
			owners[owner] = rf
			if in.ResourceControlPolicies == nil {
				if rcps[owner], err = t.storedLevels(rf, model.PolicyTypeResourceControlPolicy, cache); err != nil {
					return err
				}
			}
		}
		rin := *pin
		rin.ResourceInManagement = rf.management
		if in.ResourceControlPolicies == nil {
			rin.RCPs = rcps[owner]
		}
		setDefault("aws:ResourceAccount", owner)
		if rf.org != nil {
			setDefault("aws:ResourceOrgID", rf.org.ID)
			setDefault("aws:ResourceOrgPaths", rf.path)
		}
		for _, action := range in.ActionNames {
			req.Action = action
			res := policy.Evaluate(&req, &rin, policy.Options{Explain: true})
			out.EvaluationResults = append(out.EvaluationResults, evaluationResult(action, resource, res))
		}
	}
	return nil
}

func evaluationResult(action, resource string, res policy.Result) EvaluationResult {
	r := EvaluationResult{
		EvalActionName: action, EvalResourceName: resource, EvalDecision: res.Decision.String(),
		MatchedStatements:                 make([]MatchedStatement, 0, len(res.Matched)),
		MissingContextValues:              res.Missing,
		OrganizationsDecisionDetail:       OrganizationsDecisionDetail{AllowedByOrganizations: res.AllowedByOrganizations},
		PermissionsBoundaryDecisionDetail: PermissionsBoundaryDecisionDetail{AllowedByPermissionsBoundary: res.AllowedByBoundary},
	}
	if r.MissingContextValues == nil {
		r.MissingContextValues = []string{}
	}
	for _, m := range res.Matched {
		r.MatchedStatements = append(r.MatchedStatements, MatchedStatement{
			SourcePolicyType: m.Type.String(), SourcePolicyId: m.Policy, TargetId: m.Target, Sid: m.Sid, Effect: m.Effect,
		})
	}
	return r
}
