// Package policy is orgd's IAM policy evaluator: it parses policy documents once into a
// compiled form and decides requests against them as AWS documents, with no dependency on
// the rest of orgd.
//
// Supported: the IAM policy grammar (Version, Id, Statement as one object or an array, Sid,
// Effect, Action/NotAction, Resource/NotResource, Principal/NotPrincipal, Condition; single
// values or arrays wherever IAM takes them); wildcards * and ? (actions compared
// case-insensitively, ARNs case-sensitively and segment by segment); every condition
// operator (String*, Numeric*, Date*, Bool, BinaryEquals, IpAddress/NotIpAddress for IPv4
// and IPv6, Arn*, Null), each ...IfExists form and the ForAllValues:/ForAnyValue: set
// operators; policy variables in Resource and condition values (${aws:username},
// ${aws:PrincipalTag/K}, any context key, ${*}, ${?}, ${$}, defaults); the decision across
// identity policies, permissions boundaries, session policies, resource-based policies,
// SCPs and RCPs, in the same account and across accounts; per-type validation for SCPs,
// RCPs and the other types; a three-valued Unknown mode (impact analysis) and an Explain
// mode (the simulator).
//
// The AWS documentation followed, cited again where each rule is implemented:
//   - https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html
//   - https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements.html
//   - https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
//   - https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
//   - https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html
//   - https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
//   - https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html
//   - https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html
//   - https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html
//   - https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html
//   - https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html
//
// Condition keys are read from Request.Context only (the caller sets aws:PrincipalArn,
// aws:PrincipalAccount and the rest); policy variables fall back to the Request for
// aws:username, aws:PrincipalArn and aws:PrincipalAccount. A variable inside a condition
// key's name is not substituted.
//
// Evaluate allocates nothing for a request whose policies need no variable substitution
// and with Options{}: patterns are folded and split at Parse, condition values pre-parsed by
// operator family, and condition keys compared without case-folding copies.
package policy
