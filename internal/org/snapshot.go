package org

import (
	"errors"
	"maps"
	"slices"

	"github.com/orgd/orgd/internal/model"
)

// What a snapshot of the store (internal/snapshot) needs of the domain's rules: it reads and
// writes rows through Tx, and checks a document against the same rules the API applies.

// SettingClockOffset is the setting that keeps the admin clock's offset from the real
// clock, in milliseconds (AdvanceClock).
const SettingClockOffset = settingClockOffset

// PolicyTypes returns every policy type orgd knows, sorted.
func PolicyTypes() []string {
	return slices.Sorted(maps.Keys(policyKinds))
}

// AWSManagedPolicyIDs returns the ids of the AWS-managed policies, which have no row but
// whose attachments are rows like any other, sorted.
func AWSManagedPolicyIDs() []string {
	return slices.Sorted(maps.Keys(awsManagedPolicies))
}

// AWSManagedPolicyType returns the type of an AWS-managed policy, or false when id names none.
func AWSManagedPolicyType(id string) (string, bool) {
	p, ok := awsManagedPolicies[id]
	return p.Type, ok
}

// CheckPolicyContent checks a policy document against its type's grammar, as CreatePolicy
// does (the size quota aside, which is the server's configuration, not the document's). The
// error says what is wrong.
func CheckPolicyContent(policyType, content string) error {
	err := validatePolicyContent(policyType, content)
	var e *model.Error
	if errors.As(err, &e) && e.Detail != "" {
		return errors.New(e.Detail)
	}
	return err
}
