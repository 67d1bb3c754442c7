package org

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"github.com/orgd/orgd/internal/model"
	"github.com/orgd/orgd/internal/policy"
)

// policyContentCase is a document, its type and whether the type's grammar takes it.
type policyContentCase struct {
	name    string
	typ     string
	content string
	ok      bool
}

// policyContentCases are TestValidatePolicyContent's table, and FuzzPolicyDocument's seeds.
func policyContentCases() []policyContentCase {
	const scp, rcp, tag, ai, backup, s3 = model.PolicyTypeServiceControlPolicy, model.PolicyTypeResourceControlPolicy,
		model.PolicyTypeTagPolicy, model.PolicyTypeAiservicesOptOutPolicy, model.PolicyTypeBackupPolicy, model.PolicyTypeS3Policy
	return []policyContentCase{
		// SCPs: the IAM grammar without principals.
		{"scp FullAWSAccess", scp, awsManagedPolicies[fullAWSAccessID].Content, true},
		{"scp statement object", scp, `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"s3:*","Resource":"*"}}`, true},
		{"scp 2008 version", scp, `{"Version":"2008-10-17","Statement":[{"Effect":"Deny","Action":["ec2:Run*","s3:Get*"]}]}`, true},
		{"scp without version", scp, `{"Statement":[{"Effect":"Allow","Action":"*"}]}`, true},
		{"scp NotAction and NotResource", scp, `{"Statement":[{"Sid":"Deny1","Effect":"Deny","NotAction":"iam:*","NotResource":"arn:aws:iam::*:role/x"}]}`, true},
		{"scp condition", scp, `{"Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringNotEquals":{"aws:RequestedRegion":["eu-west-1","eu-central-1"]},"Bool":{"aws:SecureTransport":false}}}]}`, true},
		{"not JSON", scp, `{"Statement":`, false},
		{"trailing data", scp, `{"Statement":[{"Effect":"Allow","Action":"*"}]} {}`, false},
		{"not an object", scp, `["Statement"]`, false},
		{"bad version", scp, `{"Version":"2020-01-01","Statement":[{"Effect":"Allow","Action":"*"}]}`, false},
		{"unknown top-level key", scp, `{"Statement":[{"Effect":"Allow","Action":"*"}],"Extra":1}`, false},
		{"no statement", scp, `{"Version":"2012-10-17"}`, false},
		{"empty statement list", scp, `{"Statement":[]}`, false},
		{"statement not an object", scp, `{"Statement":["x"]}`, false},
		{"no effect", scp, `{"Statement":[{"Action":"*"}]}`, false},
		{"bad effect", scp, `{"Statement":[{"Effect":"allow","Action":"*"}]}`, false},
		{"no action", scp, `{"Statement":[{"Effect":"Allow","Resource":"*"}]}`, false},
		{"action and NotAction", scp, `{"Statement":[{"Effect":"Deny","Action":"*","NotAction":"s3:*"}]}`, false},
		{"bad action", scp, `{"Statement":[{"Effect":"Deny","Action":"s3"}]}`, false},
		{"empty action list", scp, `{"Statement":[{"Effect":"Deny","Action":[]}]}`, false},
		{"resource and NotResource", scp, `{"Statement":[{"Effect":"Deny","Action":"*","Resource":"*","NotResource":"*"}]}`, false},
		{"bad resource", scp, `{"Statement":[{"Effect":"Deny","Action":"*","Resource":"bucket"}]}`, false},
		{"principal in an SCP", scp, `{"Statement":[{"Effect":"Deny","Principal":"*","Action":"*"}]}`, false},
		{"NotPrincipal in an SCP", scp, `{"Statement":[{"Effect":"Deny","NotPrincipal":{"AWS":"x"},"Action":"*"}]}`, false},
		{"unknown statement key", scp, `{"Statement":[{"Effect":"Deny","Action":"*","Foo":1}]}`, false},
		{"bad sid", scp, `{"Statement":[{"Sid":"has space","Effect":"Deny","Action":"*"}]}`, false},
		{"condition not an object", scp, `{"Statement":[{"Effect":"Deny","Action":"*","Condition":"x"}]}`, false},
		{"condition operator not an object", scp, `{"Statement":[{"Effect":"Deny","Action":"*","Condition":{"StringEquals":"x"}}]}`, false},
		{"condition value an object", scp, `{"Statement":[{"Effect":"Deny","Action":"*","Condition":{"StringEquals":{"k":{"a":1}}}}]}`, false},
		// RCPs: principal "*", Deny only, resources required.
		{"rcp deny", rcp, `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`, true},
		{"rcp allow", rcp, `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}]}`, false},
		{"rcp without principal", rcp, `{"Statement":[{"Effect":"Deny","Action":"s3:*","Resource":"*"}]}`, false},
		{"rcp other principal", rcp, `{"Statement":[{"Effect":"Deny","Principal":{"AWS":"123456789012"},"Action":"s3:*","Resource":"*"}]}`, false},
		{"rcp without resource", rcp, `{"Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*"}]}`, false},
		// Management policies: operators and the type's top-level key.
		{"tag policy", tag, `{"tags":{"costcenter":{"tag_key":{"@@assign":"CostCenter"},"tag_value":{"@@assign":["100","200"]},"enforced_for":{"@@assign":["ec2:instance"]}}}}`, true},
		{"tag policy append remove child ops", tag, `{"tags":{"@@operators_allowed_for_child_policies":["@@none"],"project":{"tag_key":{"@@assign":"Project","@@operators_allowed_for_child_policies":["@@assign","@@append"]},"tag_value":{"@@append":["a"],"@@remove":["b"]}}}}`, true},
		{"tag policy @@enforced_for", tag, `{"tags":{"project":{"tag_key":{"@@assign":"Project"},"@@enforced_for":["s3:bucket"]}}}`, true},
		{"tag policy other top key", tag, `{"plans":{}}`, false},
		{"tag policy unknown tag element", tag, `{"tags":{"project":{"tag_name":{"@@assign":"x"}}}}`, false},
		{"tag policy tag_key list", tag, `{"tags":{"project":{"tag_key":{"@@assign":["Project"]}}}}`, false},
		{"tag policy tag_key append", tag, `{"tags":{"project":{"tag_key":{"@@append":["Project"]}}}}`, false},
		{"unknown operator", tag, `{"tags":{"project":{"tag_key":{"@@set":"Project"}}}}`, false},
		{"plain value", tag, `{"tags":{"project":{"tag_key":"Project"}}}`, false},
		{"append not a list", tag, `{"tags":{"project":{"tag_value":{"@@append":"x"}}}}`, false},
		{"assign an object", tag, `{"tags":{"project":{"tag_value":{"@@assign":{"a":1}}}}}`, false},
		{"child ops all with others", tag, `{"tags":{"@@operators_allowed_for_child_policies":["@@all","@@assign"]}}`, false},
		{"child ops unknown", tag, `{"tags":{"@@operators_allowed_for_child_policies":["@@merge"]}}`, false},
		{"child ops twice", tag, `{"tags":{"@@operators_allowed_for_child_policies":["@@assign","@@assign"]}}`, false},
		{"child ops empty", tag, `{"tags":{"@@operators_allowed_for_child_policies":[]}}`, false},
		{"value and children", tag, `{"tags":{"@@assign":"x","project":{}}}`, false},
		{"@@enforced_for elsewhere", tag, `{"tags":{"project":{"tag_value":{"@@enforced_for":["s3:bucket"]}}}}`, false},
		{"ai opt-out", ai, `{"services":{"default":{"opt_out_policy":{"@@assign":"optOut","@@operators_allowed_for_child_policies":["@@none"]}},"rekognition":{"opt_out_policy":{"@@assign":"optIn"}}}}`, true},
		{"ai opt-out any string", ai, `{"services":{"default":{"opt_out_policy":{"@@assign":"maybe"}}}}`, true},
		{"ai opt-out append", ai, `{"services":{"default":{"opt_out_policy":{"@@append":["optOut"]}}}}`, false},
		{"ai opt-out unknown element", ai, `{"services":{"default":{"opt_in_policy":{"@@assign":"optOut"}}}}`, false},
		{"ai opt-out number", ai, `{"services":{"default":{"opt_out_policy":{"@@assign":1}}}}`, false},
		{"backup plans", backup, `{"plans":{"daily":{"regions":{"@@assign":["us-east-1"]},"rules":{"hourly":{"schedule_expression":{"@@assign":"cron(0 5/1 ? * * *)"},"lifecycle":{"delete_after_days":{"@@assign":7}}}}}}}`, true},
		{"backup other top key", backup, `{"tags":{}}`, false},
		{"type without a documented top key", s3, `{"anything":{"setting":{"@@assign":true}}}`, true},
		{"management not an object", backup, `"plans"`, false},
	}
}

func TestValidatePolicyContent(t *testing.T) {
	for _, c := range policyContentCases() {
		t.Run(c.name, func(t *testing.T) {
			err := validatePolicyContent(c.typ, c.content)
			if c.ok {
				if err != nil {
					t.Fatalf("validatePolicyContent(%s) = %v, want success", c.content, err)
				}
				return
			}
			var me *model.Error
			if !errors.As(err, &me) || me.Code != model.CodeMalformedPolicyDocumentException {
				t.Fatalf("validatePolicyContent(%s) = %v, want MalformedPolicyDocumentException", c.content, err)
			}
		})
	}
}

// The AWS-managed policies obey their own type's grammar but for the Allow of
// RCPFullAWSAccess, which only AWS may write.
func TestAWSManagedPoliciesAreWellFormed(t *testing.T) {
	for id, p := range awsManagedPolicies {
		parsed, err := policy.Parse(p.Content)
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		if err := policy.Validate(policy.SCP, parsed); err != nil && id == fullAWSAccessID {
			t.Errorf("%s: %v", id, err)
		}
		if id == rcpFullAWSAccessID {
			if err := policy.Validate(policy.RCP, parsed); err == nil {
				t.Errorf("%s validates as a customer RCP, but it allows", id)
			}
		}
		if managed, ok := managedPolicyOf(p.Type); !ok || managed.ID != id {
			t.Errorf("managedPolicyOf(%s) = %s, want %s", p.Type, managed.ID, id)
		}
	}
}

func TestMergeOperators(t *testing.T) {
	const tag = model.PolicyTypeTagPolicy
	cases := []struct {
		name   string
		levels [][]string // documents per level, in attachment order
		want   string
	}{
		{"worked example", [][]string{
			{`{"tags":{"costcenter":{"tag_key":{"@@assign":"CostCenter"},"tag_value":{"@@assign":["Development","Support"]}}}}`},
			{`{"tags":{"costcenter":{"tag_value":{"@@append":["Marketing"]}}}}`},
			{`{"tags":{"costcenter":{"tag_value":{"@@remove":["Development","Marketing"]}}}}`},
		}, `{"tags":{"costcenter":{"tag_key":"CostCenter","tag_value":["Support"]}}}`},
		{"child assign replaces", [][]string{
			{`{"tags":{"a":{"tag_value":{"@@assign":["x"]}}}}`},
			{`{"tags":{"a":{"tag_value":{"@@assign":["y"]}}}}`},
		}, `{"tags":{"a":{"tag_value":["y"]}}}`},
		{"first attached wins at a level", [][]string{
			{`{"tags":{"p":{"tag_key":{"@@assign":"PROJECT"}}}}`, `{"tags":{"p":{"tag_key":{"@@assign":"project"}}}}`},
		}, `{"tags":{"p":{"tag_key":"PROJECT"}}}`},
		{"none blocks the levels below", [][]string{
			{`{"tags":{"p":{"tag_key":{"@@assign":"Project","@@operators_allowed_for_child_policies":["@@none"]}}}}`},
			{`{"tags":{"p":{"tag_key":{"@@assign":"PROJECT"}}}}`},
		}, `{"tags":{"p":{"tag_key":"Project"}}}`},
		{"restriction binds every level below", [][]string{
			{`{"tags":{"@@operators_allowed_for_child_policies":["@@append"],"p":{"tag_value":{"@@assign":["a"]}}}}`},
			{`{"tags":{"p":{"tag_value":{"@@append":["b"]}}}}`},
			{`{"tags":{"p":{"tag_value":{"@@assign":["c"],"@@remove":["a"]}}}}`},
		}, `{"tags":{"p":{"tag_value":["a","b"]}}}`},
		{"intersection at one level", [][]string{
			{`{"tags":{"p":{"tag_value":{"@@assign":["a"],"@@operators_allowed_for_child_policies":["@@append","@@remove"]}}}}`,
				`{"tags":{"p":{"tag_value":{"@@operators_allowed_for_child_policies":["@@remove","@@assign"]}}}}`},
			{`{"tags":{"p":{"tag_value":{"@@append":["b"]}}}}`, `{"tags":{"p":{"tag_value":{"@@remove":["a"]}}}}`},
		}, `{"tags":{"p":{"tag_value":[]}}}`},
		{"a level's restriction spares its own policies", [][]string{
			{`{"tags":{"p":{"tag_value":{"@@assign":["a"],"@@operators_allowed_for_child_policies":["@@none"]}}}}`,
				`{"tags":{"p":{"tag_value":{"@@append":["b"]}}}}`},
		}, `{"tags":{"p":{"tag_value":["a","b"]}}}`},
		{"append creates and skips duplicates", [][]string{
			{`{"tags":{"p":{"tag_value":{"@@append":["a","b"]}}}}`},
			{`{"tags":{"p":{"tag_value":{"@@append":["b","c"]}}}}`},
		}, `{"tags":{"p":{"tag_value":["a","b","c"]}}}`},
		{"@@enforced_for", [][]string{
			{`{"tags":{"p":{"tag_key":{"@@assign":"P"},"@@enforced_for":["s3:bucket"]}}}`},
		}, `{"tags":{"p":{"enforced_for":["s3:bucket"],"tag_key":"P"}}}`},
		{"settings without a value are left out", [][]string{
			{`{"tags":{"p":{"@@operators_allowed_for_child_policies":["@@none"]}}}`},
		}, `{}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := newMerger()
			for i, level := range c.levels {
				for j, content := range level {
					if err := validatePolicyContent(tag, content); err != nil {
						t.Fatalf("level %d policy %d: %v", i, j, err)
					}
					doc, _ := decodePolicyJSON(content)
					m.apply(tag, "p-level"+string(rune('0'+i)), doc.(map[string]any))
				}
				m.endLevel()
			}
			doc, _ := m.root.plain()
			got, _ := json.Marshal(doc)
			if string(got) != c.want {
				t.Errorf("merged = %s, want %s", got, c.want)
			}
		})
	}
}

func TestEffectivePolicyErrors(t *testing.T) {
	cases := []struct {
		typ, content string
		wantPaths    []string
	}{
		{model.PolicyTypeAiservicesOptOutPolicy, `{"services":{"default":{"opt_out_policy":{"@@assign":"optOut"}},"lex":{"opt_out_policy":{"@@assign":"optin"}}}}`, []string{"services.lex.opt_out_policy"}},
		{model.PolicyTypeAiservicesOptOutPolicy, `{"services":{"default":{"opt_out_policy":{"@@assign":"optIn"}}}}`, nil},
		{model.PolicyTypeTagPolicy, `{"tags":{"costcenter":{"tag_key":{"@@assign":"CostCenter"}},"team":{"tag_key":{"@@assign":"Owner"}}}}`, []string{"tags.team.tag_key"}},
		{model.PolicyTypeBackupPolicy, `{"plans":{"x":{"regions":{"@@assign":["nowhere"]}}}}`, nil},
	}
	for _, c := range cases {
		m := newMerger()
		doc, _ := decodePolicyJSON(c.content)
		m.apply(c.typ, "p-11111111", doc.(map[string]any))
		m.endLevel()
		errs := effectivePolicyErrors(c.typ, m.root)
		var paths []string
		for _, e := range errs {
			paths = append(paths, *e.PathToError)
			if *e.ErrorCode != "INVALID_VALUE" || len(e.ContributingPolicies) != 1 || e.ContributingPolicies[0] != "p-11111111" {
				t.Errorf("%s: error %+v", c.content, e)
			}
		}
		if !slices.Equal(paths, c.wantPaths) {
			t.Errorf("%s: errors at %v, want %v", c.content, paths, c.wantPaths)
		}
	}
}
