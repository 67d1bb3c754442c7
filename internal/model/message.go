package model

import "regexp"

// The catalogue of the texts orgd answers in an error's "Message": one place per text, so
// that real output found later changes one line. Message looks the text up in order:
//
//  1. opTexts: a text one operation answers for a code and reason (for an operation of the
//     admin API, then the admin API's own);
//  2. texts: AWS's texts known from real output (or a peer's), and the protocol's;
//  3. modelReasonTexts (generated): the model's sentence for the Reason;
//  4. texts for the code alone;
//  5. modelTexts (generated): the model's first sentence for the exception.
//
// No text carries a value of the request: users' tests compare AWS's texts exactly, and
// AWS's own tooling matches substrings of them. The values go to Error.Detail and orgd's log.
// The one exception are the authentication texts AWS itself builds from the request
// (Error.Text, of the forms builtTexts lists).

// The codes of the protocol, which the model does not list as shapes.
const (
	CodeUnknownOperationException           = "UnknownOperationException"
	CodeSerializationException              = "SerializationException"
	CodeRequestEntityTooLargeException      = "RequestEntityTooLargeException"
	CodeMissingAuthenticationTokenException = "MissingAuthenticationTokenException"
	CodeIncompleteSignatureException        = "IncompleteSignatureException"
	CodeInvalidSignatureException           = "InvalidSignatureException"
	CodeUnrecognizedClientException         = "UnrecognizedClientException"
	CodeExpiredTokenException               = "ExpiredTokenException"
	CodeNotImplemented                      = "NotImplementedException"
	// CodeUnsupportedMediaTypeException (HTTP 415) refuses an admin request whose body is
	// not application/json: the content types a web page may send without asking first.
	CodeUnsupportedMediaTypeException = "UnsupportedMediaTypeException"
)

// The operations of orgd's admin API (internal/admin), which have texts of their own.
const (
	AdminAPI             = "orgd"
	AdminRegisterAccount = "orgd:RegisterAccount"
	AdminListOutbox      = "orgd:ListOutbox"
	AdminListAccounts    = "orgd:ListAccounts"
	AdminDescribeAccount = "orgd:DescribeAccount"
	AdminRemoveAccount   = "orgd:RemoveAccount"
	AdminDeclareRole     = "orgd:DeclareRole"
	AdminAdvanceClock    = "orgd:AdvanceClock"
	// ForeignRequest is the answer to a request whose Host or Origin header is not this
	// server's, on any path (internal/server): a web page's, or one through a rebound name.
	ForeignRequest = "orgd:ForeignRequest"
)

type codeReason struct{ code, reason string }

type opCodeReason struct{ op, code, reason string }

// Texts that more than one entry answers.
const (
	// Confirmed: quoted in a Terraform provider issue (DescribePolicy after a deletion).
	policyNotFound = "You specified a policy that doesn't exist."
	invalidPattern = "You provided a value that does not match the required pattern."
)

var opTexts = map[opCodeReason]string{
	// AWS answers the confirmed text for a policy it cannot find in these operations; for
	// UpdatePolicy and DeletePolicy the model's sentence ("We can't find a policy with the
	// PolicyId that you specified.") stands, as moto has it. Which operation answers which is
	// not confirmed.
	{"DescribePolicy", CodePolicyNotFoundException, ""}:       policyNotFound,
	{"ListTargetsForPolicy", CodePolicyNotFoundException, ""}: policyNotFound,
	{"AttachPolicy", CodePolicyNotFoundException, ""}:         policyNotFound,
	{"DetachPolicy", CodePolicyNotFoundException, ""}:         policyNotFound,

	// orgd's admin API: its own texts, fixed like AWS's; the values are in orgd's log.
	{AdminAPI, CodeUnknownOperationException, ""}:                                                "The admin API has no such path, or the path does not take this method.",
	{AdminAPI, CodeSerializationException, ""}:                                                   "The request body is not a JSON object of the fields this request takes.",
	{AdminRegisterAccount, CodeInvalidInputException, InvalidInputExceptionReasonInvalidPattern}: "Id must be 12 digits and Email an e-mail address of 6 to 64 characters.",
	{AdminRegisterAccount, CodeInvalidInputException, InvalidInputExceptionReasonInvalidEnum}:    "SellerOfRecord must be AWS or AISPL.",
	{AdminRegisterAccount, CodeConflictException, ""}:                                            "Another account already has this e-mail address.",
	{AdminDeclareRole, CodeInvalidInputException, InvalidInputExceptionReasonInvalidPattern}:     "AccountId must be 12 digits and each trusted principal an account id or an IAM root, user or role ARN.",
	{AdminDeclareRole, CodeInvalidInputException, InvalidInputExceptionReasonInvalidRoleName}:    "RoleName must be 1 to 64 letters, digits or characters of +=,.@_-.",
	{AdminDeclareRole, CodeInvalidInputException, InvalidInputExceptionReasonMaxValueExceeded}:   "MaxSessionDuration must be from 3600 to 43200 seconds.",
	{AdminDeclareRole, CodeInvalidInputException, InvalidInputExceptionReasonInputRequired}:      "A role must trust at least one principal.",
	{AdminDeclareRole, CodeInvalidInputException, InvalidInputExceptionReasonMaxLengthExceeded}:  "A role has at most 50 tags, with keys of 1 to 128 characters and values of at most 256.",
	{AdminDeclareRole, CodeMalformedPolicyDocumentException, ""}:                                 "Each of a role's Policies and its PermissionsBoundary must be a JSON object or a string holding one.",
	{AdminListOutbox, CodeInvalidInputException, InvalidInputExceptionReasonInvalidPattern}:      "after must be a message's sequence number (Seq, as Next gives it): digits only.",
	{AdminListAccounts, CodeInvalidInputException, InvalidInputExceptionReasonInvalidPattern}:    "after must be a 12-digit account id (as Next gives it).",
	{AdminDescribeAccount, CodeInvalidInputException, InvalidInputExceptionReasonInvalidPattern}: "The account id must be 12 digits.",
	{AdminRemoveAccount, CodeInvalidInputException, InvalidInputExceptionReasonInvalidPattern}:   "The account id must be 12 digits.",
	{AdminAPI, CodeAccountNotFoundException, ""}:                                                 "orgd stores no account with this id.",
	{AdminRemoveAccount, CodeAlreadyInOrganizationException, ""}:                                 "The account is a member of an organization: orgd removes standalone accounts only. Remove it from its organization first (RemoveAccountFromOrganization or LeaveOrganization).",
	{AdminRemoveAccount, CodeMasterCannotLeaveOrganizationException, ""}:                         "The account is the management account of an organization: orgd removes standalone accounts only. Delete the organization first (DeleteOrganization).",
	{AdminRemoveAccount, CodeConflictException, ""}:                                              "An open invitation is addressed to the account: cancel or decline it first (CancelHandshake or DeclineHandshake).",
	{AdminAdvanceClock, CodeInvalidInputException, InvalidInputExceptionReasonInvalidPattern}:    "Advance must be a duration in whole milliseconds, such as 384h.",
	{AdminAdvanceClock, CodeInvalidInputException, InvalidInputExceptionReasonMinValueExceeded}:  "The clock only moves forward.",
	{AdminAdvanceClock, CodeInvalidInputException, InvalidInputExceptionReasonMaxValueExceeded}:  "The clock moves at most a century in all.",
	{AdminAPI, CodeUnsupportedMediaTypeException, ""}:                                            "The admin API takes request bodies of Content-Type application/json only.",
	{AdminAPI, CodeMissingAuthenticationTokenException, ""}:                                      "The admin API needs the header Authorization: Bearer with orgd's admin token.",
	{AdminAPI, CodeAccessDeniedException, ""}:                                                    "The bearer token is not orgd's admin token.",
	{ForeignRequest, CodeAccessDeniedException, ""}:                                              "orgd answers only requests whose Host header names it and whose Origin, if any, is its own.",
}

var texts = map[codeReason]string{
	// Confirmed: a Control Tower account-factory Lambda's log.
	{CodeAccountNotFoundException, ""}: "You specified an account that doesn't exist.",
	// Confirmed: Terraform output; AWS's landing-zone tooling matches on it.
	{CodeInvalidInputException, InvalidInputExceptionReasonUnrecognizedServicePrincipal}: "You specified an unrecognized service principal.",
	// Confirmed: a CloudShell transcript ("does not", where the model says "doesn't").
	{CodeInvalidInputException, InvalidInputExceptionReasonInvalidPattern}: invalidPattern,
	// Confirmed: several Terraform logs.
	{CodePolicyTypeNotEnabledException, ""}: "This operation can be performed only for enabled policy types.",
	// Confirmed: a CloudFormation custom resource's log.
	{CodePolicyTypeAlreadyEnabledException, ""}: "The specified policy type is already enabled.",
	// Confirmed: a Terraform provider test log.
	{CodeAlreadyInOrganizationException, ""}: "The AWS account is already a member of an organization.",
	// Confirmed: account-vending code compares on it with ==.
	{CodeConstraintViolationException, ConstraintViolationExceptionReasonAccountNumberLimitExceeded}: "You have exceeded the allowed number of AWS accounts.",
	// Confirmed: a Terraform provider issue.
	{CodeMalformedPolicyDocumentException, ""}: "The provided policy document does not meet the requirements of the specified policy type.",
	// Confirmed.
	{CodeAWSOrganizationsNotInUseException, ""}: "Your account is not a member of an organization.",
	// Known real output of Organizations (the model's sentence speaks of "the requested
	// operation" and goes on about IAM).
	{CodeAccessDeniedException, ""}: "You don't have permissions to access this resource.",

	// Peer: moto's texts, of the same family as the confirmed ones.
	{CodeRootNotFoundException, ""}:             "You specified a root that doesn't exist.",
	{CodeTargetNotFoundException, ""}:           "You specified a target that doesn't exist.",
	{CodeAccountAlreadyClosedException, ""}:     "The provided account is already closed.",
	{CodeAccountAlreadyRegisteredException, ""}: "The provided account is already a delegated administrator for your organization.",
	{CodeAccountNotRegisteredException, ""}:     "The provided account is not a registered delegated administrator for your organization.",
	{CodeConstraintViolationException, ConstraintViolationExceptionReasonCannotRegisterMasterAsDelegatedAdministrator}: "You cannot register master account/yourself as delegated administrator for your organization.",

	// The protocol. AWS's JSON services answer these before Organizations sees the request.
	// Confirmed: AWS's answer to an unsigned request (its SigV4 troubleshooting guide, real
	// answers).
	{CodeMissingAuthenticationTokenException, ""}: "Missing Authentication Token",
	// orgd's own, for the malformed headers whose text from AWS is not known (another
	// algorithm, a credential without an access key); AWS's texts for the others are built
	// (builtTexts).
	{CodeIncompleteSignatureException, ""}: "The Authorization header is not a valid AWS Signature Version 4 header.",
	// Confirmed: the JSON services' answer to a wrong secret or a changed request (real
	// answers of DynamoDB, Kinesis, Secrets Manager quoted in SDK issues).
	{CodeInvalidSignatureException, ""}: "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
	// Confirmed: an unknown access key (Cognito, DynamoDB, Lambda answers quoted in issues).
	{CodeUnrecognizedClientException, ""}: "The security token included in the request is invalid.",
	// Confirmed: temporary credentials past their expiry (DynamoDB's answer; no full stop).
	{CodeExpiredTokenException, ""}:          "The security token included in the request is expired",
	{CodeUnknownOperationException, ""}:      "The operation that the X-Amz-Target header names is not an operation of this service.",
	{CodeSerializationException, ""}:         "The request body is not a valid JSON object of this operation's input.",
	{CodeRequestEntityTooLargeException, ""}: "The request body is too large.",
	{CodeNotImplemented, ""}:                 "orgd does not implement this operation yet.",
}

// modelCases picks, where the model documents a Reason with one sentence per case, the case
// an operation answers (default: the first).
var modelCases = map[opCodeReason]int{
	// "You attempted to enable a policy type before you enabled service access."
	{"EnablePolicyType", CodeConstraintViolationException, ConstraintViolationExceptionReasonServiceAccessNotEnabled}: 1,
}

// Message is the text orgd answers for the code and reason in operation op (the admin API's
// operations included), or "" when the catalogue knows neither the code nor the reason.
func Message(op, code, reason string) string {
	if t, ok := opTexts[opCodeReason{op, code, reason}]; ok {
		return t
	}
	// An admin operation without a text of its own answers the admin API's.
	if len(op) > len(AdminAPI) && op[:len(AdminAPI)+1] == AdminAPI+":" {
		if t, ok := opTexts[opCodeReason{AdminAPI, code, reason}]; ok {
			return t
		}
	}
	if t, ok := texts[codeReason{code, reason}]; ok {
		return t
	}
	if ts := modelReasonTexts[codeReason{code, reason}]; len(ts) > 0 {
		if i := modelCases[opCodeReason{op, code, reason}]; i < len(ts) {
			return ts[i]
		}
		return ts[0]
	}
	if t, ok := texts[codeReason{code, ""}]; ok {
		return t
	}
	return modelTexts[code]
}

// builtTexts are the forms of the texts AWS builds from a request's values for its
// authentication failures (Error.Text), by code; internal/sigv4 builds them. Each is
// quoted from real answers of AWS's JSON services, except the terminator's, which is
// AWS's form as known but not confirmed. IAM's denials (internal/org's guardrail) take the
// forms of IAM's "Access denied error messages" page, and the admin API names the declared
// policy document it refuses.
var builtTexts = map[string][]*regexp.Regexp{
	CodeAccessDeniedException: {
		regexp.MustCompile(`^User: arn:[a-z-]+:(iam|sts)::\d{12}:\S+ is not authorized to perform: [a-z0-9-]+:[A-Za-z]+( on resource: \S+)? (because no (service control|resource control|identity-based|resource-based|session) policy allows the [a-z0-9-]+:[A-Za-z]+ action|because no permissions boundary allows the [a-z0-9-]+:[A-Za-z]+ action|with an explicit deny in an? (service control policy|resource control policy|identity-based policy|resource-based policy|session policy|permissions boundary))$`),
	},
	CodeMalformedPolicyDocumentException: {
		regexp.MustCompile(`^(Policies\[\d+\]|PermissionsBoundary) is not a valid policy: .+$`),
	},
	CodeIncompleteSignatureException: {
		// Each missing part named, then the header repeated (API Gateway's and the JSON
		// services' answer to a header without Signature, SignedHeaders, ...).
		regexp.MustCompile(`(?s)^(Authorization header requires ('(Credential|Signature|SignedHeaders)' parameter|existence of either a 'X-Amz-Date' or a 'Date' header)\. )+Authorization=.*$`),
		regexp.MustCompile(`(?s)^'.*' not a valid key=value pair \(missing equal-sign\) in Authorization header: '.*'\.$`),
		regexp.MustCompile(`(?s)^Credential must have exactly 5 slash-delimited elements, e\.g\. keyid/date/region/service/term, got '.*'$`),
		regexp.MustCompile(`^'Host' must be a 'SignedHeader' in the AWS Authorization\.$`),
	},
	CodeInvalidSignatureException: {
		regexp.MustCompile(`^Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z \(\d{8}T\d{6}Z - 5 min\.\)$`),
		regexp.MustCompile(`^Signature not yet current: \d{8}T\d{6}Z is still later than \d{8}T\d{6}Z \(\d{8}T\d{6}Z \+ 5 min\.\)$`),
		regexp.MustCompile(`^Credential should be scoped to correct service: '[a-z]+'\. $`),
		regexp.MustCompile(`(?s)^Credential should be scoped with a valid terminator: 'aws4_request', not '.*'\. $`),
		regexp.MustCompile(`(?s)^Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '.*' != '\d{8}', from '\d{8}T\d{6}Z'\.$`),
	},
}

// IsBuiltText reports whether text is of a form AWS builds for code (see Error.Text).
func IsBuiltText(code, text string) bool {
	for _, re := range builtTexts[code] {
		if re.MatchString(text) {
			return true
		}
	}
	return false
}
