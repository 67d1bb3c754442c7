package org

import (
	"fmt"
	"strings"
)

// Compat is a compatibility profile: where orgd departs from AWS's behaviour to behave as
// another emulator that a team's suite was written against. The zero value is AWS's
// behaviour.
type Compat string

// CompatMoto is the profile of suites written for moto (issue 10): CreateAccount answers its
// finished status (moto creates the account inside the call), the quotas and waiting periods
// moto lacks are not enforced, and every list answers in creation order (moto keeps Python
// lists, and its users rely on insertion order). Codes, Reasons, messages, validation and
// the policy types that must be enabled stay AWS's.
const CompatMoto Compat = "moto"

// ParseCompat returns the profile a flag or environment variable names: "" or "aws" is AWS's
// behaviour.
func ParseCompat(name string) (Compat, error) {
	switch strings.ToLower(name) {
	case "", "aws":
		return "", nil
	case string(CompatMoto):
		return CompatMoto, nil
	}
	return "", fmt.Errorf("unknown compatibility profile %q (known: moto)", name)
}

// Changes says in one line what the profile changes, for the start-up log.
func (c Compat) Changes() string {
	if c == CompatMoto {
		return "CreateAccount answers SUCCEEDED (or FAILED) at once; no account, OU, open-invitation or daily-invitation quotas and no waiting period before a created account may leave; every list in creation order"
	}
	return "none (AWS's behaviour)"
}

// quotasApply reports whether the quotas and waiting periods moto lacks are enforced:
// accounts per organization, OUs, open invitations, invitations per day, account creations
// in flight and the wait before a created account may leave. Skipping the checks, not
// raising the limits, means no count can trip them.
func (s *Service) quotasApply() bool { return s.cfg.Compat != CompatMoto }

// creationOrder reports whether lists answer in the order their items were created (joined,
// for accounts) rather than by id.
func (s *Service) creationOrder() bool { return s.cfg.Compat == CompatMoto }

// orderScope is appended to a list's token scope, so that a token of one order is refused
// (INVALID_NEXT_TOKEN) by a server restarted with the other.
func (s *Service) orderScope() string {
	if s.creationOrder() {
		return "|created"
	}
	return ""
}
