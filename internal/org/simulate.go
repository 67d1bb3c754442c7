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

// placement is what the store says of one account's place: its organization (nil for a
// standalone account) and, in it, the account's chain of a policy type (its levels, its
// path, whether it is the management account), as enforcement reads them.
type placement struct {
	org   *Organization
	chain *chain
}

func (t *txn) placement(accountID, policyType string) (placement, error) {
	a, err := t.account(accountID)
	if err != nil || a.OrgID == "" {
		return placement{}, err
	}
	o, err := t.Organization(t.ctx, a.OrgID)
	if err != nil {
		return placement{}, fmt.Errorf("org: read organization %s of account %s: %w", a.OrgID, a.ID, err)
	}
	ch, err := t.policyChain(o, a, policyType)
	if err != nil {
		return placement{}, err
	}
	return placement{org: o, chain: ch}, nil
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
			pin.Identity = s.admin
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
	principal, err := t.placement(caller.account, model.PolicyTypeServiceControlPolicy)
	if err != nil {
		return err
	}
	var orgID, orgPath string
	if principal.org != nil {
		orgID, orgPath = principal.org.ID, principal.chain.orgPath
		pin.PrincipalIsManagement = principal.chain.management
		if in.ServiceControlPolicies == nil {
			pin.SCPs = principal.chain.levels
		}
	}
	ctx := policy.NewContext()
	// The keys AWS puts in every request's context [IAM User Guide, AWS global condition
	// context keys]; the request's ContextEntries come after and win.
	p := iam.Principal{Account: caller.account, Kind: caller.kind, Name: caller.name}
	principalContext(ctx, p, caller.partition, tags, orgID, orgPath, t.now)
	// The ARN as given keeps the user's or role's path, which iam.Principal does not carry.
	ctx.Set("aws:PrincipalArn", caller.arn)
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
	owners := map[string]placement{}
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
			if rf, err = t.placement(owner, model.PolicyTypeResourceControlPolicy); err != nil {
				return err
			}
			owners[owner] = rf
		}
		rin := *pin
		setDefault("aws:ResourceAccount", owner)
		if rf.org != nil {
			rin.ResourceInManagement = rf.chain.management
			if in.ResourceControlPolicies == nil {
				rin.RCPs = rf.chain.levels
			}
			setDefault("aws:ResourceOrgID", rf.org.ID)
			setDefault("aws:ResourceOrgPaths", rf.chain.orgPath)
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
