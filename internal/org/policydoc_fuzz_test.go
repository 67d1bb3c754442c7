package org

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/orgd/orgd/internal/model"
)

// fuzzPolicyTypes are the policy types a document is checked against.
var fuzzPolicyTypes = []string{
	model.PolicyTypeServiceControlPolicy, model.PolicyTypeResourceControlPolicy, model.PolicyTypeTagPolicy,
	model.PolicyTypeBackupPolicy, model.PolicyTypeAiservicesOptOutPolicy, model.PolicyTypeChatbotPolicy,
	model.PolicyTypeDeclarativePolicyEc2, model.PolicyTypeSecurityhubPolicy, model.PolicyTypeInspectorPolicy,
	model.PolicyTypeUpgradeRolloutPolicy, model.PolicyTypeBedrockPolicy, model.PolicyTypeS3Policy,
	model.PolicyTypeNetworkSecurityDirectorPolicy,
}

// FuzzPolicyDocument: any document either passes its type's grammar or is refused with
// MalformedPolicyDocumentException, never a panic; a document that passes merges into an
// effective policy (twice, parent and child level) that encodes as JSON.
func FuzzPolicyDocument(f *testing.F) {
	for _, tt := range policyContentCases() {
		for i, typ := range fuzzPolicyTypes {
			if typ == tt.typ {
				f.Add(uint8(i), tt.content)
			}
		}
	}
	for _, p := range awsManagedPolicies {
		f.Add(uint8(0), p.Content)
	}
	f.Fuzz(func(t *testing.T, typeIndex uint8, content string) {
		typ := fuzzPolicyTypes[int(typeIndex)%len(fuzzPolicyTypes)]
		err := validatePolicyContent(typ, content)
		if err != nil {
			var e *model.Error
			if !errors.As(err, &e) || e.Code != model.CodeMalformedPolicyDocumentException {
				t.Fatalf("%s %q: %v, want MalformedPolicyDocumentException", typ, content, err)
			}
			return
		}
		if typ == model.PolicyTypeServiceControlPolicy || typ == model.PolicyTypeResourceControlPolicy {
			return // not merged: IAM evaluates them
		}
		doc, err := decodePolicyJSON(content)
		if err != nil {
			t.Fatalf("%s %q passed validation but does not decode: %v", typ, content, err)
		}
		m := newMerger()
		for range 2 {
			m.apply(typ, "p-fuzz", doc.(map[string]any))
			m.endLevel()
		}
		merged, _ := m.root.plain()
		if _, err := json.Marshal(merged); err != nil {
			t.Fatalf("%s %q: effective policy does not encode: %v", typ, content, err)
		}
		effectivePolicyErrors(typ, m.root)
	})
}
