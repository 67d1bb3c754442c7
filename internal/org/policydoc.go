package org

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"

	"github.com/orgd/orgd/internal/model"
	"github.com/orgd/orgd/internal/policy"
)

// Policy content validation (spec §7.5): a policy whose document breaks its type's grammar is
// refused with MalformedPolicyDocumentException. SCPs and RCPs follow the IAM policy grammar;
// the management policy types are trees of objects whose leaves are inheritance operators
// (spec §7.6).

func malformed(format string, args ...any) error {
	return model.Fail(model.CodeMalformedPolicyDocumentException, "", "The provided policy document does not meet the requirements of the specified policy type: "+format, args...)
}

// decodePolicyJSON decodes exactly one JSON value, numbers kept as json.Number so that a
// merge writes them back as they were sent.
func decodePolicyJSON(content string) (any, error) {
	dec := json.NewDecoder(strings.NewReader(content))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("data after the JSON value")
	}
	return v, nil
}

// validatePolicyContent checks a customer policy's document against its type's grammar.
func validatePolicyContent(policyType, content string) error {
	doc, err := decodePolicyJSON(content)
	if err != nil {
		return malformed("the document is not valid JSON (%v).", err)
	}
	top, ok := doc.(map[string]any)
	if !ok {
		return malformed("the document must be a JSON object.")
	}
	switch policyType {
	case model.PolicyTypeServiceControlPolicy, model.PolicyTypeResourceControlPolicy:
		rcp := policyType == model.PolicyTypeResourceControlPolicy
		if err := validateIAMPolicy(rcp, top); err != nil {
			return err
		}
		// Then the evaluator's per-type rules (unknown condition operators, malformed ARNs,
		// values an operator cannot read): a document it could not decide is refused here
		// rather than ignored when enforced.
		t := policy.SCP
		if rcp {
			t = policy.RCP
		}
		p, err := policy.Parse(content)
		if err == nil {
			err = policy.Validate(t, p)
		}
		if err != nil {
			var pe *policy.Error
			if errors.As(err, &pe) {
				return malformed("%s", pe.Msg)
			}
			return malformed("%v", err)
		}
		return nil
	}
	return validateManagementPolicy(policyType, top)
}

// The IAM grammar. Version is optional as in IAM (a policy without one is read as
// 2008-10-17) [INF]; Id is part of the IAM grammar and harmless.

var (
	policyVersions = []string{"2012-10-17", "2008-10-17"}
	// An action is * or service:action, the service in lower case; wildcards may appear in
	// the action part (the newer SCP syntax accepts them anywhere) [INF].
	actionPattern = regexp.MustCompile(`^(\*|[a-zA-Z0-9-]+:[a-zA-Z0-9*?_-]+)$`)
	sidPattern    = regexp.MustCompile(`^[a-zA-Z0-9]*$`)
)

func validateIAMPolicy(rcp bool, top map[string]any) error {
	for _, k := range sortedKeys(top) {
		switch k {
		case "Version":
			v, ok := top[k].(string)
			if !ok || !slices.Contains(policyVersions, v) {
				return malformed("Version must be 2012-10-17 or 2008-10-17.")
			}
		case "Id":
			if _, ok := top[k].(string); !ok {
				return malformed("Id must be a string.")
			}
		case "Statement":
		default:
			return malformed("unknown element %s.", k)
		}
	}
	var stmts []any
	switch s := top["Statement"].(type) {
	case nil:
		return malformed("the Statement element is required.")
	case map[string]any:
		stmts = []any{s}
	case []any:
		if len(s) == 0 {
			return malformed("the Statement element must not be empty.")
		}
		stmts = s
	default:
		return malformed("Statement must be an object or an array of objects.")
	}
	for i, s := range stmts {
		st, ok := s.(map[string]any)
		if !ok {
			return malformed("statement %d is not an object.", i+1)
		}
		if err := validateStatement(rcp, st); err != nil {
			return err
		}
	}
	return nil
}

func validateStatement(rcp bool, st map[string]any) error {
	for _, k := range sortedKeys(st) {
		switch k {
		case "Sid":
			sid, ok := st[k].(string)
			if !ok || !sidPattern.MatchString(sid) {
				return malformed("Sid must be a string of letters and digits.")
			}
		case "Effect", "Action", "NotAction", "Resource", "NotResource", "Condition":
		case "Principal":
			if !rcp {
				return malformed("a service control policy can't specify a Principal.")
			}
			// RCPs apply to every principal that reaches the resource: AWS accepts only "*".
			if p, ok := st[k].(string); !ok || p != "*" {
				return malformed(`the Principal of a resource control policy must be "*".`)
			}
		case "NotPrincipal":
			return malformed("a policy of this type can't specify NotPrincipal.")
		default:
			return malformed("unknown statement element %s.", k)
		}
	}
	switch effect := st["Effect"]; {
	case effect == nil:
		return malformed("every statement needs an Effect.")
	case effect != "Allow" && effect != "Deny":
		return malformed("Effect must be Allow or Deny.")
	case rcp && effect != "Deny":
		// Only the AWS-managed RCPFullAWSAccess allows; customer RCPs can only deny.
		return malformed("the Effect of a resource control policy must be Deny.")
	}
	if rcp && st["Principal"] == nil {
		return malformed(`a resource control policy statement needs "Principal": "*".`)
	}
	if err := exactlyOne(st, "Action", "NotAction", true); err != nil {
		return err
	}
	for _, k := range []string{"Action", "NotAction"} {
		if v, ok := st[k]; ok {
			if err := stringList(k, v, actionPattern.MatchString); err != nil {
				return err
			}
		}
	}
	// RCPs, like resource policies, name the resources they guard [INF]; SCPs may omit them.
	if err := exactlyOne(st, "Resource", "NotResource", rcp); err != nil {
		return err
	}
	for _, k := range []string{"Resource", "NotResource"} {
		if v, ok := st[k]; ok {
			if err := stringList(k, v, func(r string) bool { return r == "*" || strings.HasPrefix(r, "arn:") }); err != nil {
				return err
			}
		}
	}
	if c, ok := st["Condition"]; ok {
		return validateCondition(c)
	}
	return nil
}

func exactlyOne(st map[string]any, a, b string, required bool) error {
	_, hasA := st[a]
	_, hasB := st[b]
	switch {
	case hasA && hasB:
		return malformed("a statement can't have both %s and %s.", a, b)
	case required && !hasA && !hasB:
		return malformed("every statement needs %s or %s.", a, b)
	}
	return nil
}

// stringList checks a string or a non-empty array of strings, each accepted by ok.
func stringList(name string, v any, ok func(string) bool) error {
	var items []any
	switch x := v.(type) {
	case string:
		items = []any{x}
	case []any:
		items = x
	}
	if len(items) == 0 {
		return malformed("%s must be a string or a non-empty array of strings.", name)
	}
	for _, it := range items {
		s, isStr := it.(string)
		if !isStr || !ok(s) {
			return malformed("%s contains the invalid value %v.", name, it)
		}
	}
	return nil
}

// validateCondition checks {"operator": {"key": value or [values]}}.
func validateCondition(c any) error {
	ops, ok := c.(map[string]any)
	if !ok || len(ops) == 0 {
		return malformed("Condition must be a non-empty object of condition operators.")
	}
	for _, op := range sortedKeys(ops) {
		keys, ok := ops[op].(map[string]any)
		if !ok || len(keys) == 0 || op == "" {
			return malformed("the condition operator %s must map condition keys to values.", op)
		}
		for _, k := range sortedKeys(keys) {
			switch v := keys[k].(type) {
			case []any:
				if len(v) == 0 {
					return malformed("the condition key %s has no value.", k)
				}
				for _, x := range v {
					if !isScalar(x) {
						return malformed("the condition key %s has a value that is not a string, number or boolean.", k)
					}
				}
			default:
				if !isScalar(v) {
					return malformed("the condition key %s has a value that is not a string, number or boolean.", k)
				}
			}
		}
	}
	return nil
}

func isScalar(v any) bool {
	switch v.(type) {
	case string, json.Number, bool:
		return true
	}
	return false
}

// Management policies.

// Inheritance operators (spec §7.6).
const (
	opAssign            = "@@assign"
	opAppend            = "@@append"
	opRemove            = "@@remove"
	opChildOperators    = "@@operators_allowed_for_child_policies"
	opEnforcedFor       = "@@enforced_for"
	childOpsAll         = "@@all"
	childOpsNone        = "@@none"
	tagPolicyTagsKey    = "tags"
	aiOptOutServicesKey = "services"
)

func validateManagementPolicy(policyType string, top map[string]any) error {
	if key := policyKinds[policyType].topKey; key != "" {
		for _, k := range sortedKeys(top) {
			if k != key {
				return malformed("a %s has the single top-level key %q, not %q.", policyType, key, k)
			}
		}
	}
	return validateNode(policyType, nil, top)
}

// validateNode checks one object of a management policy: operator keys with valid values,
// other keys naming objects. A node either sets a value or holds child settings, not both
// (AWS's samples never mix them, and a merge could not honour both) [INF].
func validateNode(policyType string, path []string, node map[string]any) error {
	at := strings.Join(path, ".")
	if at == "" {
		at = "the top level"
	}
	setsValue, hasChildren := false, false
	for _, k := range sortedKeys(node) {
		v := node[k]
		if !strings.HasPrefix(k, "@@") {
			child, ok := v.(map[string]any)
			if !ok {
				return malformed("%s.%s must be an object that uses the inheritance operators.", strings.Join(path, "."), k)
			}
			hasChildren = true
			if err := validateNode(policyType, append(slices.Clip(path), k), child); err != nil {
				return err
			}
			continue
		}
		switch k {
		case opAssign:
			setsValue = true
			if !isScalar(v) && !isScalarArray(v) {
				return malformed("@@assign at %s must be a string, number, boolean or an array of them.", at)
			}
		case opAppend, opRemove:
			setsValue = true
			if policyType == model.PolicyTypeAiservicesOptOutPolicy {
				return malformed("AI services opt-out policies allow only @@assign, not %s.", k)
			}
			if !isScalarArray(v) {
				return malformed("%s at %s must be an array.", k, at)
			}
		case opChildOperators:
			if err := validateChildOperators(at, v); err != nil {
				return err
			}
		case opEnforcedFor:
			// Tag policies only, on a tag: the resource types whose tags must comply, the
			// same as an "enforced_for": {"@@assign": [...]} child [INF].
			if policyType != model.PolicyTypeTagPolicy || len(path) != 2 || path[0] != tagPolicyTagsKey {
				return malformed("@@enforced_for is only valid on a tag of a tag policy, not at %s.", at)
			}
			setsValue = true
			if !isStringArray(v) {
				return malformed("@@enforced_for at %s must be an array of resource types.", at)
			}
		default:
			return malformed("unknown inheritance operator %s at %s.", k, at)
		}
	}
	if setsValue && hasChildren && !(policyType == model.PolicyTypeTagPolicy && len(path) == 2) {
		return malformed("%s both sets a value and holds child settings.", at)
	}
	return validateTypeSpecific(policyType, path, node)
}

// validateTypeSpecific applies the documented shape of tag and AI opt-out policies.
func validateTypeSpecific(policyType string, path []string, node map[string]any) error {
	switch policyType {
	case model.PolicyTypeTagPolicy:
		// tags.<id>.{tag_key, tag_value, enforced_for}: tag_key is one string, the others
		// lists of strings.
		if len(path) == 2 && path[0] == tagPolicyTagsKey {
			for _, k := range sortedKeys(node) {
				switch k {
				case "tag_key", "tag_value", "enforced_for":
				default:
					if !strings.HasPrefix(k, "@@") {
						return malformed("unknown element %s of tag %s.", k, path[1])
					}
				}
			}
		}
		if len(path) == 3 && path[0] == tagPolicyTagsKey {
			if a, ok := node[opAssign]; ok {
				if path[2] == "tag_key" && !isString(a) {
					return malformed("tags.%s.tag_key must assign a string.", path[1])
				}
				if path[2] != "tag_key" && !isString(a) && !isStringArray(a) {
					return malformed("tags.%s.%s must assign strings.", path[1], path[2])
				}
			}
			if path[2] == "tag_key" && (node[opAppend] != nil || node[opRemove] != nil) {
				return malformed("tags.%s.tag_key takes only @@assign.", path[1])
			}
		}
	case model.PolicyTypeAiservicesOptOutPolicy:
		// services.<service or default>.opt_out_policy: {"@@assign": "optOut"}. Whether the
		// value is optIn or optOut is checked on the effective policy, as AWS reports it
		// there (see effectivePolicyErrors) [INF].
		if len(path) == 2 && path[0] == aiOptOutServicesKey {
			for _, k := range sortedKeys(node) {
				if k != "opt_out_policy" && !strings.HasPrefix(k, "@@") {
					return malformed("unknown element %s of service %s.", k, path[1])
				}
			}
		}
		if len(path) == 3 && path[0] == aiOptOutServicesKey {
			if a, ok := node[opAssign]; ok && !isString(a) {
				return malformed("services.%s.opt_out_policy must assign a string.", path[1])
			}
		}
	}
	return nil
}

// validateChildOperators checks @@operators_allowed_for_child_policies: ["@@all"],
// ["@@none"] or a subset of the three value-setting operators.
func validateChildOperators(at string, v any) error {
	list, ok := v.([]any)
	if !ok || len(list) == 0 {
		return malformed("%s at %s must be a non-empty array.", opChildOperators, at)
	}
	seen := map[string]bool{}
	for _, x := range list {
		s, _ := x.(string)
		switch s {
		case childOpsAll, childOpsNone:
			if len(list) != 1 {
				return malformed("%s at %s: %s must stand alone.", opChildOperators, at, s)
			}
		case opAssign, opAppend, opRemove:
			if seen[s] {
				return malformed("%s at %s names %s twice.", opChildOperators, at, s)
			}
			seen[s] = true
		default:
			return malformed("%s at %s: %v is not an operator.", opChildOperators, at, x)
		}
	}
	return nil
}

func isString(v any) bool { _, ok := v.(string); return ok }

func isScalarArray(v any) bool {
	list, ok := v.([]any)
	if !ok {
		return false
	}
	for _, x := range list {
		if !isScalar(x) {
			return false
		}
	}
	return true
}

func isStringArray(v any) bool {
	list, ok := v.([]any)
	if !ok {
		return false
	}
	for _, x := range list {
		if !isString(x) {
			return false
		}
	}
	return true
}

// sortedKeys makes validation report the same first error for the same document.
func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
