package policy

import (
	"fmt"
	"strings"
)

// Validate applies AWS's per-type rules on top of Parse and returns *Error naming the first
// problem. Sources:
// SCPs https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_syntax.html,
// RCPs https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps_syntax.html,
// the IAM grammar https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html.
func Validate(t Type, p *Policy) error {
	for i := range p.stmts {
		s := &p.stmts[i]
		err := validateStatement(t, s)
		if err == nil && s.sid != "" {
			for j := range i {
				if p.stmts[j].sid == s.sid {
					err = errorf("statement IDs (Sid) in a single policy must be unique.")
				}
			}
		}
		if err != nil {
			name := fmt.Sprintf("Statement %d", i+1)
			if s.sid != "" {
				name = fmt.Sprintf("Statement %q", s.sid)
			}
			return errorf("%s: %s", name, err.Msg)
		}
	}
	return nil
}

// rcpServices are the services whose actions an RCP may name: the five of the RCP launch
// (s3, sts, kms, sqs, secretsmanager) and those the RCP page lists as added since.
var rcpServices = []string{"s3", "sts", "sqs", "secretsmanager", "kms", "ecr", "aoss", "cognito-identity", "dynamodb", "logs"}

func validateStatement(t Type, s *statement) *Error {
	if t != Resource && !alphanumeric(s.sid) {
		// IAM's grammar: a Sid in these policy types is ASCII letters and digits; resource
		// policies of some services (S3) allow more.
		return errorf("the Sid %q must contain only letters and digits.", s.sid)
	}
	if len(s.unknownOps) > 0 {
		return errorf("the condition operator %s is not supported.", s.unknownOps[0])
	}
	for _, c := range s.conds {
		for _, v := range c.values {
			if !v.ok {
				return errorf("the value %q of %s in %s is not a valid %s.", v.raw, c.name, c.op, familyNoun(c.fam))
			}
		}
	}
	for _, a := range s.actions {
		if !validAction(a.raw) {
			return errorf("the action %q must be * or service:action (letters, digits, * and ? after the colon).", a.raw)
		}
	}
	for _, r := range s.resources {
		if !validResource(r.raw) {
			return errorf("the resource %q must be * or an ARN of the form arn:partition:service:region:account:resource.", r.raw)
		}
	}
	switch t {
	case Identity, Boundary, Session, SCP:
		if s.hasPrincipal {
			return errorf("a %s must not have a Principal or NotPrincipal element.", typeNoun(t))
		}
		if t != SCP && !s.hasResource {
			return errorf("the statement must have a Resource or NotResource element.")
		}
	case Resource:
		if !s.hasPrincipal {
			return errorf("a resource-based policy statement must have a Principal or NotPrincipal element.")
		}
		if s.notPrincipal && !s.deny {
			return errorf("NotPrincipal may only be used with Effect Deny.")
		}
	case RCP:
		if !s.hasPrincipal || s.notPrincipal || !s.principal.all || len(s.principal.aws)+len(s.principal.services)+len(s.principal.other) > 1 {
			return errorf("a resource control policy statement must have Principal \"*\" (narrow it with conditions).")
		}
		if s.notAction {
			return errorf("a resource control policy does not support NotAction.")
		}
		if !s.deny {
			return errorf("a resource control policy statement must have Effect Deny (Allow is reserved for RCPFullAWSAccess).")
		}
		if !s.hasResource {
			return errorf("the statement must have a Resource or NotResource element.")
		}
		for _, a := range s.actions {
			if a.all {
				return errorf("a resource control policy must name its actions by service; \"*\" is reserved for RCPFullAWSAccess.")
			}
			if !rcpService(a.service) {
				return errorf("the action %q belongs to a service resource control policies do not support (%s).", a.raw, strings.Join(rcpServices, ", "))
			}
		}
	}
	return nil
}

func rcpService(service string) bool {
	for _, s := range rcpServices {
		if s == service {
			return true
		}
	}
	return false
}

func typeNoun(t Type) string {
	switch t {
	case Identity:
		return "identity-based policy"
	case Boundary:
		return "permissions boundary"
	case Session:
		return "session policy"
	case SCP:
		return "service control policy"
	case RCP:
		return "resource control policy"
	}
	return "resource-based policy"
}

func familyNoun(f family) string {
	switch f {
	case famNumeric:
		return "number"
	case famDate:
		return "date (ISO 8601 or epoch seconds)"
	case famBool, famNull:
		return "boolean (true or false)"
	case famIP:
		return "IP address or CIDR block"
	case famBinary:
		return "base64 value"
	}
	return "value"
}

// validAction: "*" or service:pattern, the service made of letters, digits and hyphens.
func validAction(a string) bool {
	if a == "*" {
		return true
	}
	svc, name, ok := strings.Cut(a, ":")
	if !ok || svc == "" || name == "" {
		return false
	}
	for i := 0; i < len(svc); i++ {
		c := svc[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '*' || c == '?') {
			return false
		}
	}
	return true
}

// validResource: "*" or an ARN with its six parts; wildcards and variables may appear in any
// part. The partition and service may not be empty (the region and account may: S3 ARNs).
func validResource(r string) bool {
	if r == "*" {
		return true
	}
	seg, ok := arnSegments(r)
	return ok && seg[1] != "" && seg[2] != "" && seg[5] != ""
}

func alphanumeric(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}
