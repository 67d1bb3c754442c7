package policy

import "testing"

// condCase decides one Allow statement with a Condition block against a context: true when
// the statement matched (the request is allowed).
type condCase struct {
	name string
	cond string     // the Condition element's JSON
	ctx  [][]string // key, values...; nil = empty context
	want bool
}

func runConditions(t *testing.T, cases []condCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := NewContext()
			for _, kv := range tc.ctx {
				ctx.Set(kv[0], kv[1:]...)
			}
			doc := stmt(`"Effect":"Allow","Action":"*","Resource":"*","Condition":` + tc.cond)
			got := identityDecision(t, doc, aliceReq("s3:GetObject", bucket, ctx)) == Allowed
			if got != tc.want {
				t.Errorf("condition %s with %v: matched = %v, want %v", tc.cond, tc.ctx, got, tc.want)
			}
		})
	}
}

// String operators:
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_String
func TestStringOperators(t *testing.T) {
	runConditions(t, []condCase{
		{"StringEquals matches", `{"StringEquals":{"aws:PrincipalTag/team":"blue"}}`, [][]string{{"aws:PrincipalTag/team", "blue"}}, true},
		{"StringEquals is case-sensitive in the value", `{"StringEquals":{"aws:PrincipalTag/team":"blue"}}`, [][]string{{"aws:PrincipalTag/team", "Blue"}}, false},
		{"condition keys are case-insensitive", `{"StringEquals":{"AWS:PRINCIPALTAG/TEAM":"blue"}}`, [][]string{{"aws:principaltag/team", "blue"}}, true},
		{"StringEquals takes no wildcards", `{"StringEquals":{"k":"b*"}}`, [][]string{{"k", "blue"}}, false},
		{"StringEquals: any of the values (OR)", `{"StringEquals":{"k":["red","blue"]}}`, [][]string{{"k", "blue"}}, true},
		{"StringEquals on a missing key is false", `{"StringEquals":{"k":"blue"}}`, nil, false},
		{"StringNotEquals matches another value", `{"StringNotEquals":{"k":"blue"}}`, [][]string{{"k", "red"}}, true},
		{"StringNotEquals: must match none of the values", `{"StringNotEquals":{"k":["red","blue"]}}`, [][]string{{"k", "blue"}}, false},
		{"StringNotEquals on a missing key is true", `{"StringNotEquals":{"k":"blue"}}`, nil, true},
		{"StringEqualsIgnoreCase", `{"StringEqualsIgnoreCase":{"k":"BLUE"}}`, [][]string{{"k", "blue"}}, true},
		{"StringNotEqualsIgnoreCase", `{"StringNotEqualsIgnoreCase":{"k":"BLUE"}}`, [][]string{{"k", "blue"}}, false},
		{"StringLike with *", `{"StringLike":{"k":"b*e"}}`, [][]string{{"k", "blue"}}, true},
		{"StringLike with ?", `{"StringLike":{"k":"bl?e"}}`, [][]string{{"k", "blue"}}, true},
		{"StringLike is case-sensitive", `{"StringLike":{"k":"B*"}}`, [][]string{{"k", "blue"}}, false},
		{"StringNotLike", `{"StringNotLike":{"k":"b*"}}`, [][]string{{"k", "red"}}, true},
		{"StringNotLike refuses a match", `{"StringNotLike":{"k":["r*","b*"]}}`, [][]string{{"k", "blue"}}, false},
		{"StringNotLike on a missing key is true", `{"StringNotLike":{"k":"b*"}}`, nil, true},
		{"StringLike on a missing key is false", `{"StringLike":{"k":"*"}}`, nil, false},
	})
}

// Numeric operators:
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_Numeric
func TestNumericOperators(t *testing.T) {
	runConditions(t, []condCase{
		{"NumericEquals", `{"NumericEquals":{"n":"10"}}`, [][]string{{"n", "10"}}, true},
		{"NumericEquals compares numbers, not text", `{"NumericEquals":{"n":10}}`, [][]string{{"n", "10.0"}}, true},
		{"NumericNotEquals", `{"NumericNotEquals":{"n":"10"}}`, [][]string{{"n", "11"}}, true},
		{"NumericLessThan", `{"NumericLessThan":{"n":"10"}}`, [][]string{{"n", "9"}}, true},
		{"NumericLessThan is strict", `{"NumericLessThan":{"n":"10"}}`, [][]string{{"n", "10"}}, false},
		{"NumericLessThanEquals", `{"NumericLessThanEquals":{"n":"10"}}`, [][]string{{"n", "10"}}, true},
		{"NumericGreaterThan", `{"NumericGreaterThan":{"n":"10"}}`, [][]string{{"n", "10.5"}}, true},
		{"NumericGreaterThanEquals", `{"NumericGreaterThanEquals":{"n":"10"}}`, [][]string{{"n", "9"}}, false},
		{"a non-number never matches", `{"NumericGreaterThan":{"n":"1"}}`, [][]string{{"n", "many"}}, false},
		{"missing key", `{"NumericLessThan":{"n":"10"}}`, nil, false},
		{"NumericNotEquals on a missing key", `{"NumericNotEquals":{"n":"10"}}`, nil, true},
	})
}

// Date operators (ISO 8601 or epoch seconds):
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_Date
func TestDateOperators(t *testing.T) {
	now := [][]string{{"aws:CurrentTime", "2026-06-01T12:00:00Z"}}
	runConditions(t, []condCase{
		{"DateGreaterThan", `{"DateGreaterThan":{"aws:CurrentTime":"2026-01-01T00:00:00Z"}}`, now, true},
		{"DateLessThan", `{"DateLessThan":{"aws:CurrentTime":"2026-01-01T00:00:00Z"}}`, now, false},
		{"DateEquals", `{"DateEquals":{"aws:CurrentTime":"2026-06-01T12:00:00Z"}}`, now, true},
		{"DateEquals across zones", `{"DateEquals":{"aws:CurrentTime":"2026-06-01T14:00:00+02:00"}}`, now, true},
		{"DateNotEquals", `{"DateNotEquals":{"aws:CurrentTime":"2026-06-01T12:00:01Z"}}`, now, true},
		{"DateLessThanEquals", `{"DateLessThanEquals":{"aws:CurrentTime":"2026-06-01T12:00:00Z"}}`, now, true},
		{"DateGreaterThanEquals", `{"DateGreaterThanEquals":{"aws:CurrentTime":"2026-06-01T12:00:01Z"}}`, now, false},
		{"a date without a time", `{"DateGreaterThan":{"aws:CurrentTime":"2026-06-01"}}`, now, true},
		{"epoch seconds in the policy", `{"DateLessThan":{"aws:CurrentTime":"1780315201"}}`, now, true},
		{"epoch seconds in the context", `{"DateGreaterThan":{"aws:EpochTime":"2026-01-01T00:00:00Z"}}`, [][]string{{"aws:EpochTime", "1780315200"}}, true},
		{"fractional seconds", `{"DateGreaterThan":{"aws:CurrentTime":"2026-06-01T11:59:59.999Z"}}`, now, true},
		{"not a date", `{"DateGreaterThan":{"aws:CurrentTime":"2026-01-01T00:00:00Z"}}`, [][]string{{"aws:CurrentTime", "yesterday"}}, false},
		{"missing key", `{"DateGreaterThan":{"aws:CurrentTime":"2026-01-01T00:00:00Z"}}`, nil, false},
	})
}

// Bool, BinaryEquals, Null:
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_Boolean
// (and #Conditions_BinaryEquals, #Conditions_Null).
func TestBoolBinaryNullOperators(t *testing.T) {
	secure := [][]string{{"aws:SecureTransport", "true"}}
	runConditions(t, []condCase{
		{"Bool true", `{"Bool":{"aws:SecureTransport":"true"}}`, secure, true},
		{"Bool as a JSON boolean", `{"Bool":{"aws:SecureTransport":true}}`, secure, true},
		{"Bool is case-insensitive", `{"Bool":{"aws:SecureTransport":"TRUE"}}`, secure, true},
		{"Bool false", `{"Bool":{"aws:SecureTransport":"false"}}`, secure, false},
		{"Bool on a missing key is false", `{"Bool":{"aws:SecureTransport":"false"}}`, nil, false},
		{"BinaryEquals", `{"BinaryEquals":{"k":"QmluYXJ5VmFsdWU="}}`, [][]string{{"k", "QmluYXJ5VmFsdWU="}}, true},
		{"BinaryEquals on a missing key is false", `{"BinaryEquals":{"k":"QmluYXJ5VmFsdWU="}}`, nil, false},
		{"BinaryEquals differs", `{"BinaryEquals":{"k":"QmluYXJ5VmFsdWU="}}`, [][]string{{"k", "T3RoZXI="}}, false},
		{"Null true: the key is absent", `{"Null":{"aws:TokenIssueTime":"true"}}`, nil, true},
		{"Null true: the key is present", `{"Null":{"aws:TokenIssueTime":"true"}}`, [][]string{{"aws:TokenIssueTime", "2026-01-01T00:00:00Z"}}, false},
		{"Null false: the key is present", `{"Null":{"aws:TokenIssueTime":"false"}}`, [][]string{{"aws:TokenIssueTime", "x"}}, true},
		{"Null false: the key is absent", `{"Null":{"aws:TokenIssueTime":false}}`, nil, false},
		{"Null: an empty set of values is null", `{"Null":{"aws:TagKeys":"true"}}`, [][]string{{"aws:TagKeys"}}, true},
	})
}

// IpAddress/NotIpAddress with IPv4 and IPv6:
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_IPAddress
func TestIPOperators(t *testing.T) {
	v4 := [][]string{{"aws:SourceIp", "203.0.113.7"}}
	v6 := [][]string{{"aws:SourceIp", "2001:db8:1234::1"}}
	runConditions(t, []condCase{
		{"IPv4 in the block", `{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, v4, true},
		{"IPv4 outside the block", `{"IpAddress":{"aws:SourceIp":"198.51.100.0/24"}}`, v4, false},
		{"a bare address is a block of one", `{"IpAddress":{"aws:SourceIp":"203.0.113.7"}}`, v4, true},
		{"a block with host bits set", `{"IpAddress":{"aws:SourceIp":"203.0.113.9/24"}}`, v4, true},
		{"any of the blocks", `{"IpAddress":{"aws:SourceIp":["10.0.0.0/8","203.0.113.0/24"]}}`, v4, true},
		{"IPv6 in the block", `{"IpAddress":{"aws:SourceIp":"2001:db8:1234::/48"}}`, v6, true},
		{"IPv6 outside the block", `{"IpAddress":{"aws:SourceIp":"2001:db8:9999::/48"}}`, v6, false},
		{"IPv4 against an IPv6 block", `{"IpAddress":{"aws:SourceIp":"2001:db8::/32"}}`, v4, false},
		{"an IPv4-mapped IPv6 address", `{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, [][]string{{"aws:SourceIp", "::ffff:203.0.113.7"}}, true},
		{"NotIpAddress outside", `{"NotIpAddress":{"aws:SourceIp":"198.51.100.0/24"}}`, v4, true},
		{"NotIpAddress inside", `{"NotIpAddress":{"aws:SourceIp":["198.51.100.0/24","203.0.113.0/24"]}}`, v4, false},
		{"NotIpAddress on a missing key", `{"NotIpAddress":{"aws:SourceIp":"198.51.100.0/24"}}`, nil, true},
		{"not an address", `{"IpAddress":{"aws:SourceIp":"0.0.0.0/0"}}`, [][]string{{"aws:SourceIp", "vpce-1"}}, false},
	})
}

// ARN operators, matched segment by segment:
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_ARN
func TestARNOperators(t *testing.T) {
	role := [][]string{{"aws:PrincipalArn", "arn:aws:iam::111111111111:role/admin/Ops"}}
	runConditions(t, []condCase{
		{"ArnEquals exact", `{"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::111111111111:role/admin/Ops"}}`, role, true},
		{"ArnLike account wildcard", `{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/admin/*"}}`, role, true},
		{"ArnEquals takes wildcards too", `{"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::*:role/*"}}`, role, true},
		{"ARNs are case-sensitive", `{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/Admin/*"}}`, role, false},
		{"a star stays in its segment", `{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::1*:role/admin/Ops"}}`, [][]string{{"aws:PrincipalArn", "arn:aws:iam::1:x:role/admin/Ops"}}, false},
		{"ArnNotLike", `{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/dev/*"}}`, role, true},
		{"ArnNotEquals refuses a match", `{"ArnNotEquals":{"aws:PrincipalArn":"arn:aws:iam::*:role/admin/*"}}`, role, false},
		{"ArnNotLike on a missing key", `{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/dev/*"}}`, nil, true},
		{"not an ARN never matches", `{"ArnLike":{"aws:SourceArn":"arn:aws:s3:::*"}}`, [][]string{{"aws:SourceArn", "bucket"}}, false},
	})
}

// ...IfExists: "If the policy key is present in the context of the request, process the key
// as specified in the policy. If the key is not present, evaluate the condition element as
// true." https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_IfExists
func TestIfExists(t *testing.T) {
	runConditions(t, []condCase{
		{"StringEqualsIfExists absent", `{"StringEqualsIfExists":{"ec2:InstanceType":"t3.micro"}}`, nil, true},
		{"StringEqualsIfExists present and equal", `{"StringEqualsIfExists":{"ec2:InstanceType":"t3.micro"}}`, [][]string{{"ec2:InstanceType", "t3.micro"}}, true},
		{"StringEqualsIfExists present and different", `{"StringEqualsIfExists":{"ec2:InstanceType":"t3.micro"}}`, [][]string{{"ec2:InstanceType", "m5.large"}}, false},
		{"StringNotEqualsIfExists present and equal", `{"StringNotEqualsIfExists":{"k":"a"}}`, [][]string{{"k", "a"}}, false},
		{"NumericLessThanIfExists absent", `{"NumericLessThanIfExists":{"n":"1"}}`, nil, true},
		{"DateGreaterThanIfExists absent", `{"DateGreaterThanIfExists":{"d":"2026-01-01"}}`, nil, true},
		{"BoolIfExists absent", `{"BoolIfExists":{"aws:MultiFactorAuthPresent":"true"}}`, nil, true},
		{"BoolIfExists present and false", `{"BoolIfExists":{"aws:MultiFactorAuthPresent":"true"}}`, [][]string{{"aws:MultiFactorAuthPresent", "false"}}, false},
		{"IpAddressIfExists absent", `{"IpAddressIfExists":{"aws:SourceIp":"10.0.0.0/8"}}`, nil, true},
		{"ArnLikeIfExists present", `{"ArnLikeIfExists":{"aws:SourceArn":"arn:aws:s3:::b"}}`, [][]string{{"aws:SourceArn", "arn:aws:s3:::c"}}, false},
		{"BinaryEqualsIfExists absent", `{"BinaryEqualsIfExists":{"k":"QQ=="}}`, nil, true},
	})
}

// Set operators on multivalued keys, including empty and missing keys:
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
func TestSetOperators(t *testing.T) {
	tags := [][]string{{"aws:TagKeys", "env", "team"}}
	runConditions(t, []condCase{
		{"ForAllValues: every request value is listed", `{"ForAllValues:StringEquals":{"aws:TagKeys":["env","team","cost"]}}`, tags, true},
		{"ForAllValues: one request value is not", `{"ForAllValues:StringEquals":{"aws:TagKeys":["env"]}}`, tags, false},
		{"ForAllValues on a missing key is true", `{"ForAllValues:StringEquals":{"aws:TagKeys":["env"]}}`, nil, true},
		{"ForAllValues on an empty set is true", `{"ForAllValues:StringEquals":{"aws:TagKeys":["env"]}}`, [][]string{{"aws:TagKeys"}}, true},
		{"ForAnyValue: one request value is listed", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["team"]}}`, tags, true},
		{"ForAnyValue: none is listed", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["cost"]}}`, tags, false},
		{"ForAnyValue on a missing key is false", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["env"]}}`, nil, false},
		{"ForAnyValue on an empty set is false", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["env"]}}`, [][]string{{"aws:TagKeys"}}, false},
		{"ForAllValues:StringNotEquals: no request value is listed", `{"ForAllValues:StringNotEquals":{"aws:TagKeys":["cost","owner"]}}`, tags, true},
		{"ForAllValues:StringNotEquals: one request value is listed", `{"ForAllValues:StringNotEquals":{"aws:TagKeys":["team"]}}`, tags, false},
		{"ForAllValues:StringNotEquals on a missing key", `{"ForAllValues:StringNotEquals":{"aws:TagKeys":["team"]}}`, nil, true},
		{"ForAnyValue:StringNotEquals: one request value is not listed", `{"ForAnyValue:StringNotEquals":{"aws:TagKeys":["env"]}}`, tags, true},
		{"ForAnyValue:StringNotEquals: all are listed", `{"ForAnyValue:StringNotEquals":{"aws:TagKeys":["env","team"]}}`, tags, false},
		{"ForAnyValue:StringNotEquals on a missing key", `{"ForAnyValue:StringNotEquals":{"aws:TagKeys":["env"]}}`, nil, false},
		{"ForAnyValue:StringLike", `{"ForAnyValue:StringLike":{"aws:TagKeys":["te*"]}}`, tags, true},
		{"ForAllValues:StringLike", `{"ForAllValues:StringLike":{"aws:TagKeys":["e*","t*"]}}`, tags, true},
		{"ForAllValues:StringEqualsIfExists on a missing key", `{"ForAllValues:StringEqualsIfExists":{"aws:TagKeys":["x"]}}`, nil, true},
		{"a single-valued operator on a multivalued key: any value", `{"StringEquals":{"aws:TagKeys":"team"}}`, tags, true},
	})
}

// Combination in one Condition block: AND across operators and across keys, OR across a
// key's values. https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-logic-multiple-context-keys-or-values.html
func TestConditionCombination(t *testing.T) {
	ctx := [][]string{{"aws:PrincipalTag/team", "blue"}, {"aws:RequestedRegion", "eu-west-1"}, {"aws:SourceIp", "10.1.2.3"}}
	runConditions(t, []condCase{
		{"two keys, both true", `{"StringEquals":{"aws:PrincipalTag/team":"blue","aws:RequestedRegion":"eu-west-1"}}`, ctx, true},
		{"two keys, one false", `{"StringEquals":{"aws:PrincipalTag/team":"blue","aws:RequestedRegion":"us-east-1"}}`, ctx, false},
		{"two operators, both true", `{"StringEquals":{"aws:PrincipalTag/team":"blue"},"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`, ctx, true},
		{"two operators, one false", `{"StringEquals":{"aws:PrincipalTag/team":"blue"},"IpAddress":{"aws:SourceIp":"192.168.0.0/16"}}`, ctx, false},
		{"values OR", `{"StringEquals":{"aws:RequestedRegion":["us-east-1","eu-west-1"]}}`, ctx, true},
		{"negated values: must match none", `{"StringNotEquals":{"aws:RequestedRegion":["us-east-1","eu-west-1"]}}`, ctx, false},
		{"empty block", `{}`, nil, true},
		{"empty value list matches nothing", `{"StringEquals":{"k":[]}}`, [][]string{{"k", "a"}}, false},
	})
}
