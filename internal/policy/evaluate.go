package policy

import (
	"slices"
	"strings"
)

// The decision across policy types follows
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html,
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html,
// https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html and
// https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html.

// Type is a policy's role in a decision.
type Type int

const (
	Identity Type = iota + 1 // IDENTITY_POLICY
	Boundary                 // PERMISSIONS_BOUNDARY
	Session                  // SESSION_POLICY
	Resource                 // RESOURCE_POLICY
	SCP                      // SERVICE_CONTROL_POLICY
	RCP                      // RESOURCE_CONTROL_POLICY
)

// String returns the simulator's SourcePolicyType name.
func (t Type) String() string {
	switch t {
	case Identity:
		return "IDENTITY_POLICY"
	case Boundary:
		return "PERMISSIONS_BOUNDARY"
	case Session:
		return "SESSION_POLICY"
	case Resource:
		return "RESOURCE_POLICY"
	case SCP:
		return "SERVICE_CONTROL_POLICY"
	case RCP:
		return "RESOURCE_CONTROL_POLICY"
	}
	return ""
}

// Level is one level of an organization's SCPs or RCPs: the policies attached directly to
// one target (root, OU, account). Levels run from the root down to the account.
type Level struct {
	Target   string // r-xxxx, ou-xxxx-xxxxxxxx, 123456789012
	Policies []*Policy
}

// Request is what is asked: may Principal do Action on Resource, in Context.
type Request struct {
	Action   string // "organizations:LeaveOrganization" (matched case-insensitively)
	Resource string // the resource ARN, or "*" when the action takes none
	// The principal, for Principal/NotPrincipal in resource policies and RCPs and for
	// variables: its ARN (user ARN, assumed-role session ARN or account root ARN), its
	// account, and for sessions the role's ARN (Principal may name the role).
	PrincipalARN     string
	PrincipalAccount string
	RoleARN          string // set for an assumed-role session
	ServicePrincipal string // set when the caller is an AWS service (Principal {"Service": ...})
	ResourceAccount  string // owner of the resource; "" = same as PrincipalAccount
	Context          *Context
}

// Input is every policy that bears on one request. A nil slice means "none of that type".
type Input struct {
	Identity []*Policy
	// Boundary is the permissions boundary; nil = the principal has none.
	Boundary *Policy
	// Session holds the session policies (AssumeRole Policy/PolicyArns); nil = none.
	Session []*Policy
	// ResourcePolicy is the resource's resource-based policy; nil = none.
	ResourcePolicy *Policy
	// SCPs are the levels from the root down to the principal's account; nil when SCPs do
	// not apply (standalone account). RCPs likewise for the resource's account.
	SCPs []Level
	RCPs []Level
	// PrincipalIsManagement: the principal's account is its organization's management
	// account (SCPs do not apply); ResourceInManagement likewise for RCPs.
	PrincipalIsManagement bool
	ResourceInManagement  bool
}

// Decision is the outcome.
type Decision int

const (
	ImplicitDeny Decision = iota
	Allowed
	ExplicitDeny
	// Conditional: only in Options.Unknown mode, the outcome depends on condition keys
	// absent from the context.
	Conditional
)

func (d Decision) String() string {
	switch d {
	case Allowed:
		return "allowed"
	case ExplicitDeny:
		return "explicitDeny"
	case Conditional:
		return "conditional"
	}
	return "implicitDeny"
}

// Options: zero value = plain enforcement (fast path, no allocation on the common case).
type Options struct {
	Explain bool // fill Result.Matched and Result.Missing (the simulator)
	// Unknown: condition keys absent from the context are unknown rather than absent; the
	// decision is Conditional where the outcome depends on them. Null and ...IfExists
	// operators still treat absence as absence.
	Unknown bool
}

// Result says what was decided and why.
type Result struct {
	Decision Decision
	// DeniedBy is the policy type AWS's AccessDenied message names when Decision is a deny.
	DeniedBy Type
	// AllowedByOrganizations: SCPs (and RCPs) allowed the request (true when none apply).
	AllowedByOrganizations bool
	// AllowedByBoundary: the boundary allowed it (true when there is none).
	AllowedByBoundary bool
	Matched           []Match  // Explain only: every statement that matched (Allow and Deny)
	Missing           []string // Explain only: context keys read by conditions but absent, sorted
}

// Match is one statement that matched the request.
type Match struct {
	Type   Type
	Policy string // Policy.ID
	Target string // Level.Target for SCPs and RCPs
	Sid    string
	Effect string // "Allow" or "Deny"
}

// tri is a three-valued truth for Unknown mode.
type tri uint8

const (
	no tri = iota
	yes
	unknown
)

// grant says how a resource policy's Allow named the principal, which decides whether it
// grants on its own within the account
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html,
// https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies.html#policies_session).
type grant uint8

const (
	grantNone grant = iota
	// grantAccount: the account (its root ARN or ID). Within the account this delegates to
	// the account's identity policies and grants nothing by itself.
	grantAccount
	// grantRole: the role's ARN, "*", or a service: grants, but the boundary and session
	// policies still limit it.
	grantRole
	// grantDirect: the IAM user's ARN or the assumed-role session's ARN: neither an
	// implicit deny in the boundary nor a session policy limits it.
	grantDirect
)

// evaluator holds one decision's state; it lives on the stack of Evaluate.
type evaluator struct {
	req *Request
	// The request's action split once at its colon, for the action patterns.
	service, name string
	opt           Options
	// optimistic: in Unknown mode, an unknown Allow statement counts as matching and an
	// unknown Deny as not; pessimistic is the reverse.
	optimistic bool
	sawUnknown bool
	// hasBoundary: the principal has a permissions boundary, which changes how NotPrincipal
	// reads (see statement).
	hasBoundary bool
	res         *Result
}

// Evaluate decides req against in, following AWS's policy evaluation logic.
func Evaluate(req *Request, in *Input, opt Options) Result {
	var r Result
	e := evaluator{req: req, opt: opt, res: &r, hasBoundary: in.Boundary != nil}
	if i := strings.IndexByte(req.Action, ':'); i >= 0 {
		e.service, e.name = req.Action[:i], req.Action[i+1:]
	}
	e.decide(in)
	if opt.Unknown && e.sawUnknown {
		// Evaluation is monotonic in each statement's match, so the pessimistic and
		// optimistic readings bound every assignment of the unknown keys: when they
		// disagree on allowed, the outcome depends on the keys.
		var best Result
		o := evaluator{req: req, service: e.service, name: e.name, opt: Options{Unknown: true}, optimistic: true, res: &best, hasBoundary: e.hasBoundary}
		o.decide(in)
		switch {
		case r.Decision == Allowed:
		case best.Decision == Allowed:
			r.Decision, r.DeniedBy = Conditional, 0
		default:
			r.Decision, r.DeniedBy = best.Decision, best.DeniedBy
		}
	}
	if opt.Explain {
		slices.Sort(r.Missing)
		r.Missing = slices.Compact(r.Missing)
	}
	return r
}

// serviceLinked reports whether the principal is a service-linked role (path
// /aws-service-role/), to which neither SCPs nor RCPs apply. A session's ARN drops the
// role's path, so without RoleARN the AWSServiceRoleFor name prefix AWS gives every
// service-linked role identifies one.
func serviceLinked(req *Request) bool {
	return strings.Contains(req.RoleARN, ":role/aws-service-role/") ||
		strings.Contains(req.PrincipalARN, ":role/aws-service-role/") ||
		strings.Contains(req.PrincipalARN, ":assumed-role/AWSServiceRoleFor")
}

func (e *evaluator) decide(in *Input) {
	r := e.res
	req := e.req
	slr := serviceLinked(req)
	r.AllowedByOrganizations = true
	r.AllowedByBoundary = true
	var denied Type
	deny := func(t Type) {
		if denied == 0 {
			denied = t
		}
	}
	stop := func() bool { return denied != 0 && !e.opt.Explain }

	// SCPs restrict the principals of member accounts: every level from the root down
	// must allow; the management account, service-linked roles and service principals are
	// outside them.
	if in.SCPs != nil && !in.PrincipalIsManagement && !slr && req.ServicePrincipal == "" {
		for _, lv := range in.SCPs {
			allow := false
			for _, p := range lv.Policies {
				a, d, _ := e.policy(p, SCP, lv.Target)
				allow = allow || a
				if d {
					deny(SCP)
					r.AllowedByOrganizations = false
				}
			}
			if !allow {
				r.AllowedByOrganizations = false
				if denied == 0 && r.DeniedBy == 0 {
					r.DeniedBy = SCP
				}
			}
			if stop() {
				break
			}
		}
	}
	if stop() {
		e.finish(ExplicitDeny, denied)
		return
	}
	// RCPs restrict access to the resources of member accounts, level by level likewise.
	if in.RCPs != nil && !in.ResourceInManagement && !slr {
		for _, lv := range in.RCPs {
			allow := false
			for _, p := range lv.Policies {
				a, d, _ := e.policy(p, RCP, lv.Target)
				allow = allow || a
				if d {
					deny(RCP)
					r.AllowedByOrganizations = false
				}
			}
			if !allow {
				r.AllowedByOrganizations = false
				if denied == 0 && r.DeniedBy == 0 {
					r.DeniedBy = RCP
				}
			}
			if stop() {
				break
			}
		}
	}
	if stop() {
		e.finish(ExplicitDeny, denied)
		return
	}

	var resGrant grant
	if in.ResourcePolicy != nil {
		var d bool
		_, d, resGrant = e.policy(in.ResourcePolicy, Resource, "")
		if d {
			deny(Resource)
		}
	}
	if stop() {
		e.finish(ExplicitDeny, denied)
		return
	}
	service := req.ServicePrincipal != ""
	idAllow := false
	if !service {
		for _, p := range in.Identity {
			a, d, _ := e.policy(p, Identity, "")
			idAllow = idAllow || a
			if d {
				deny(Identity)
			}
			if stop() {
				e.finish(ExplicitDeny, denied)
				return
			}
		}
	}
	bAllow := true
	if in.Boundary != nil && !service {
		a, d, _ := e.policy(in.Boundary, Boundary, "")
		bAllow = a
		r.AllowedByBoundary = a && !d
		if d {
			deny(Boundary)
		}
	}
	if stop() {
		e.finish(ExplicitDeny, denied)
		return
	}
	sAllow := true
	if in.Session != nil && !service {
		sAllow = false
		for _, p := range in.Session {
			a, d, _ := e.policy(p, Session, "")
			sAllow = sAllow || a
			if d {
				deny(Session)
			}
		}
	}
	if denied != 0 {
		e.finish(ExplicitDeny, denied)
		return
	}
	if !r.AllowedByOrganizations {
		e.finish(ImplicitDeny, r.DeniedBy)
		return
	}
	r.DeniedBy = 0

	if service {
		if resGrant >= grantRole || resGrant == grantAccount {
			e.finish(Allowed, 0)
			return
		}
		e.finish(ImplicitDeny, Resource)
		return
	}
	cross := req.ResourceAccount != "" && req.ResourceAccount != req.PrincipalAccount
	if cross {
		// Across accounts the principal's side and the resource's side must both allow.
		if !idAllow {
			e.finish(ImplicitDeny, Identity)
			return
		}
		if resGrant == grantNone {
			e.finish(ImplicitDeny, Resource)
			return
		}
	} else {
		switch {
		case resGrant == grantDirect:
			e.finish(Allowed, 0)
			return
		case resGrant == grantRole:
		case !idAllow:
			e.finish(ImplicitDeny, Identity)
			return
		}
	}
	if !bAllow {
		e.finish(ImplicitDeny, Boundary)
		return
	}
	if !sAllow {
		e.finish(ImplicitDeny, Session)
		return
	}
	e.finish(Allowed, 0)
}

func (e *evaluator) finish(d Decision, by Type) {
	e.res.Decision = d
	e.res.DeniedBy = by
}

// policy evaluates one policy: whether an Allow and whether a Deny statement matched, and
// for an Allow how it named the principal (resource policies and RCPs).
func (e *evaluator) policy(p *Policy, t Type, target string) (allow, deny bool, g grant) {
	for i := range p.stmts {
		s := &p.stmts[i]
		m, how := e.statement(p, s)
		if m == unknown {
			e.sawUnknown = true
			// Optimistic: unknown Allows match and unknown Denies do not.
			if e.optimistic != s.deny {
				m = yes
			} else {
				m = no
			}
		}
		if m != yes {
			continue
		}
		if e.opt.Explain {
			e.res.Matched = append(e.res.Matched, Match{Type: t, Policy: p.ID, Target: target, Sid: s.sid, Effect: s.effect()})
		}
		if s.deny {
			deny = true
			if !e.opt.Explain {
				return allow, deny, g
			}
			continue
		}
		allow = true
		if how > g {
			g = how
		}
	}
	return allow, deny, g
}

// statement matches one statement against the request.
func (e *evaluator) statement(p *Policy, s *statement) (tri, grant) {
	req := e.req
	if len(s.unknownOps) > 0 {
		return no, grantNone
	}
	hit := false
	for i := range s.actions {
		if s.actions[i].match(req.Action, e.service, e.name) {
			hit = true
			break
		}
	}
	if hit == s.notAction {
		return no, grantNone
	}
	if s.hasResource {
		hit = false
		for i := range s.resources {
			if e.resource(&s.resources[i]) {
				hit = true
				break
			}
		}
		if hit == s.notResource {
			return no, grantNone
		}
	}
	how := grantRole
	if s.hasPrincipal {
		how = e.principal(&s.principal)
		if s.notPrincipal {
			// AWS: a Deny with NotPrincipal always denies a principal that has a
			// permissions boundary, whatever NotPrincipal names
			// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html).
			if how != grantNone && !(s.deny && e.hasBoundary) {
				return no, grantNone
			}
			how = grantRole
		} else if how == grantNone {
			return no, grantNone
		}
	}
	result := yes
	for i := range s.conds {
		switch s.conds[i].eval(e) {
		case no:
			if !e.opt.Explain {
				return no, grantNone
			}
			// Explain goes on, to list every key the statement reads and lacks.
			result = no
		case unknown:
			if result == yes {
				result = unknown
			}
		}
	}
	return result, how
}

func (e *evaluator) resource(rp *resourcePattern) bool {
	if rp.tmpl == nil {
		return rp.arn.match(e.req.Resource)
	}
	s, lit, ok := rp.tmpl.render(e)
	if !ok {
		return false
	}
	a := newARNPattern(s, lit)
	return a.match(e.req.Resource)
}

// principal says how the principal set names the request's principal
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html).
func (e *evaluator) principal(ps *principalSet) grant {
	req := e.req
	if req.ServicePrincipal != "" {
		if ps.all {
			return grantRole
		}
		for _, s := range ps.services {
			if s == req.ServicePrincipal {
				return grantRole
			}
		}
		return grantNone
	}
	best := grantNone
	if ps.all {
		best = grantRole
	}
	for _, a := range ps.aws {
		switch {
		case a == req.PrincipalARN && a != "":
			if isRootARN(a) {
				best = max(best, grantAccount)
			} else {
				return grantDirect
			}
		case req.RoleARN != "" && a == req.RoleARN:
			best = max(best, grantRole)
		case a == req.PrincipalAccount && a != "":
			best = max(best, grantAccount)
		case isRootARN(a) && accountOfARN(a) == req.PrincipalAccount && req.PrincipalAccount != "":
			best = max(best, grantAccount)
		}
	}
	for _, o := range ps.other {
		if o == req.PrincipalARN && o != "" {
			best = max(best, grantRole)
		}
	}
	return best
}

func isRootARN(a string) bool {
	seg, ok := arnSegments(a)
	return ok && seg[2] == "iam" && seg[5] == "root"
}

func accountOfARN(a string) string {
	seg, ok := arnSegments(a)
	if !ok {
		return ""
	}
	return seg[4]
}

// lookup returns a condition key's values: the context's, or for a few keys AWS always
// sets, what the request itself says.
func (e *evaluator) lookup(k string) ([]string, bool) {
	if v, ok := e.req.Context.lookup(k); ok {
		return v, true
	}
	return nil, false
}

// variable returns the single value a policy variable stands for. aws:username,
// aws:PrincipalArn and aws:PrincipalAccount fall back to the request's principal.
func (e *evaluator) variable(k string) (string, bool) {
	if v, ok := e.req.Context.lookup(k); ok {
		if len(v) == 1 {
			return v[0], true
		}
		return "", false
	}
	switch k {
	case "aws:principalarn":
		return e.req.PrincipalARN, e.req.PrincipalARN != ""
	case "aws:principalaccount":
		return e.req.PrincipalAccount, e.req.PrincipalAccount != ""
	case "aws:username":
		if seg, ok := arnSegments(e.req.PrincipalARN); ok && seg[2] == "iam" && strings.HasPrefix(seg[5], "user/") {
			return seg[5][strings.LastIndexByte(seg[5], '/')+1:], true
		}
	}
	return "", false
}

// missing records a key a condition read but the context lacks.
func (e *evaluator) missing(name string) {
	if e.opt.Explain {
		e.res.Missing = append(e.res.Missing, name)
	}
}

// Reason returns the tail of AWS's AccessDenied sentence for a denied result, e.g. "with an
// explicit deny in a service control policy" or "because no identity-based policy allows the
// s3:GetObject action"; "" when the result is not a deny.
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html)
func Reason(r Result, action string) string {
	var what string
	switch r.DeniedBy {
	case SCP:
		what = "service control policy"
	case RCP:
		what = "resource control policy"
	case Identity:
		what = "identity-based policy"
	case Boundary:
		what = "permissions boundary"
	case Session:
		what = "session policy"
	case Resource:
		what = "resource-based policy"
	default:
		return ""
	}
	switch r.Decision {
	case ExplicitDeny:
		article := "a"
		if what[0] == 'i' {
			article = "an"
		}
		return "with an explicit deny in " + article + " " + what
	case ImplicitDeny:
		return "because no " + what + " allows the " + action + " action"
	}
	return ""
}
