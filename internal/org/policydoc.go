package org

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
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
		// The IAM grammar and the evaluator's per-type rules (Principal in an SCP, unknown
		// condition operators, malformed ARNs, values an operator cannot read): a document
		// the evaluator could not decide is refused here rather than ignored when enforced.
		t := policy.SCP
		if policyType == model.PolicyTypeResourceControlPolicy {
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
