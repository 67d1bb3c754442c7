package sts

import (
	"context"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/orgd/orgd/internal/org"
)

// The operations orgd serves and their parameters, as botocore's sts model (2011-06-15)
// declares them: lengths, patterns, integer ranges, required members. The model's patterns
// are Java's; each is written here in Go's syntax beside the model's text, which the
// ValidationError message quotes.

// param is one input member: its name on the wire and its shape's constraints.
type param struct {
	name     string
	required bool
	minLen   int
	maxLen   int // 0: none
	pattern  *regexp.Regexp
	patText  string // the model's pattern, quoted by the error message
	integer  bool
	minValue int
	maxValue int
}

var (
	// arnType's pattern: the printable characters of XML.
	arnParam = param{minLen: 20, maxLen: 2048,
		pattern: regexp.MustCompile(`^[\t\n\r\x{20}-\x{7E}\x{85}\x{A0}-\x{D7FF}\x{E000}-\x{FFFD}\x{10000}-\x{10FFFF}]+$`),
		patText: `[\u0009\u000A\u000D\u0020-\u007E\u0085\u00A0-\uD7FF\uE000-\uFFFD\u10000-\u10FFFF]+`}
	// roleSessionNameType and sourceIdentityType.
	nameParam = param{minLen: 2, maxLen: 64, pattern: regexp.MustCompile(`^[\w+=,.@-]*$`), patText: `[\w+=,.@-]*`}
	// serialNumberType and tokenCodeType (MFA, which orgd accepts and does not check).
	serialParam = param{name: "SerialNumber", minLen: 9, maxLen: 256, pattern: regexp.MustCompile(`^[\w+=/:,.@-]*$`), patText: `[\w+=/:,.@-]*`}
	tokenParam  = param{name: "TokenCode", minLen: 6, maxLen: 6, pattern: regexp.MustCompile(`^\d*$`), patText: `[\d]*`}
	// tagKeyType and tagValueType (session tags).
	tagKeyParam   = param{minLen: 1, maxLen: 128, pattern: regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$`), patText: `[\p{L}\p{Z}\p{N}_.:/=+\-@]+`}
	tagValueParam = param{maxLen: 256, pattern: regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`), patText: `[\p{L}\p{Z}\p{N}_.:/=+\-@]*`}
)

func named(p param, name string, required bool) param {
	p.name, p.required = name, required
	return p
}

// listParam is one list member of an operation: its name on the wire, with %d for the
// element's number, and the element's constraints.
type listParam struct {
	format string
	param
}

// operation is one STS action.
type operation struct {
	params []param
	// lists are the list members (name.member.N[.field]) and their element's constraints,
	// checked in this order.
	lists []listParam
	call  func(ctx context.Context, h *Handler, v url.Values) (any, error)
}

var operations = map[string]*operation{
	"AssumeRole": {
		params: []param{
			named(arnParam, "RoleArn", true),
			named(nameParam, "RoleSessionName", true),
			{name: "DurationSeconds", integer: true, minValue: 900, maxValue: 43200},
			{name: "Policy", minLen: 1, pattern: regexp.MustCompile(`^[\t\n\r\x{20}-\x{FF}]+$`), patText: `[\u0009\u000A\u000D\u0020-\u00FF]+`},
			named(nameParam, "SourceIdentity", false),
			{name: "ExternalId", minLen: 2, maxLen: 1224, pattern: regexp.MustCompile(`^[\w+=,.@:/-]*$`), patText: `[\w+=,.@:\/-]*`},
			serialParam, tokenParam,
		},
		lists: []listParam{{"PolicyArns.member.%d.arn", arnParam}, {"Tags.member.%d.Key", tagKeyParam}, {"Tags.member.%d.Value", tagValueParam}},
		call:  assumeRole,
	},
	"GetSessionToken": {
		params: []param{{name: "DurationSeconds", integer: true, minValue: 900, maxValue: 129600}, serialParam, tokenParam},
		call:   getSessionToken,
	},
	"GetCallerIdentity": {call: getCallerIdentity},
	"GetAccessKeyInfo": {
		params: []param{{name: "AccessKeyId", required: true, minLen: 16, maxLen: 128, pattern: regexp.MustCompile(`^\w*$`), patText: `[\w]*`}},
		call:   getAccessKeyInfo,
	},
}

// lookup finds the action for the request's version. AWS names a missing version
// NO_VERSION_SPECIFIED in its answer.
func lookup(action string, v url.Values) (*operation, error) {
	if action == "" {
		return nil, &Error{Code: "MissingAction", Message: "Missing Action", Status: http.StatusBadRequest}
	}
	version := v.Get("Version")
	if version == "" {
		version = "NO_VERSION_SPECIFIED"
	}
	op, ok := operations[action]
	if !ok || version != Version {
		return nil, &Error{Code: "InvalidAction", Message: fmt.Sprintf("Could not find operation %s for version %s", action, version),
			Status: http.StatusBadRequest}
	}
	return op, nil
}

// check validates the parameters as STS does, answering every violation in one
// ValidationError.
func check(op *operation, v url.Values) error {
	var problems []string
	for _, p := range op.params {
		value, present := v[p.name]
		problems = p.check(problems, lowerFirst(p.name), value, present)
	}
	for _, l := range op.lists {
		format, p := l.format, l.param
		for i := 1; ; i++ {
			key := fmt.Sprintf(format, i)
			value, present := v[key]
			if !present {
				break
			}
			problems = p.check(problems, lowerFirst(key), value, true)
		}
	}
	switch len(problems) {
	case 0:
		return nil
	case 1:
		return validation("1 validation error detected: " + problems[0])
	}
	return validation(fmt.Sprintf("%d validation errors detected: %s", len(problems), strings.Join(problems, "; ")))
}

func (p param) check(problems []string, name string, values []string, present bool) []string {
	if !present {
		if p.required {
			problems = append(problems, fmt.Sprintf("Value null at '%s' failed to satisfy constraint: Member must not be null", name))
		}
		return problems
	}
	s := values[0]
	fail := func(constraint string) []string {
		return append(problems, fmt.Sprintf("Value '%s' at '%s' failed to satisfy constraint: Member must %s", s, name, constraint))
	}
	if p.integer {
		n, err := strconv.Atoi(s)
		switch {
		case err != nil:
			return fail("be an integer")
		case n < p.minValue:
			return fail(fmt.Sprintf("have value greater than or equal to %d", p.minValue))
		case n > p.maxValue:
			return fail(fmt.Sprintf("have value less than or equal to %d", p.maxValue))
		}
		return problems
	}
	switch n := utf8.RuneCountInString(s); {
	case n < p.minLen:
		return fail(fmt.Sprintf("have length greater than or equal to %d", p.minLen))
	case p.maxLen > 0 && n > p.maxLen:
		return fail(fmt.Sprintf("have length less than or equal to %d", p.maxLen))
	case p.pattern != nil && !p.pattern.MatchString(s):
		return fail("satisfy regular expression pattern: " + p.patText)
	}
	return problems
}

// lowerFirst is a member's name as AWS's validation messages spell it (roleSessionName).
func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

// The results, in the model's member order.

type credentialsXML struct {
	AccessKeyID     string `xml:"AccessKeyId"`
	SecretAccessKey string
	SessionToken    string
	Expiration      string
}

func credentials(c org.Credentials) credentialsXML {
	return credentialsXML{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken,
		Expiration: timestamp(c.Expiration)}
}

type assumeRoleResult struct {
	XMLName         xml.Name `xml:"AssumeRoleResult"`
	Credentials     credentialsXML
	AssumedRoleUser struct {
		AssumedRoleID string `xml:"AssumedRoleId"`
		Arn           string
	}
	PackedPolicySize *int   `xml:",omitempty"`
	SourceIdentity   string `xml:",omitempty"`
}

func assumeRole(ctx context.Context, h *Handler, v url.Values) (any, error) {
	in := org.AssumeRoleInput{RoleArn: v.Get("RoleArn"), RoleSessionName: v.Get("RoleSessionName"),
		Policy: v.Get("Policy"), SourceIdentity: v.Get("SourceIdentity")}
	in.DurationSeconds, _ = strconv.Atoi(v.Get("DurationSeconds")) // checked: an integer, or absent (0)
	for i := 1; ; i++ {
		arn, ok := v[fmt.Sprintf("PolicyArns.member.%d.arn", i)]
		if !ok {
			break
		}
		in.PolicyArns = append(in.PolicyArns, arn[0])
	}
	for i := 1; ; i++ {
		key, ok := v[fmt.Sprintf("Tags.member.%d.Key", i)]
		if !ok {
			break
		}
		in.Tags = append(in.Tags, org.SessionTag{Key: key[0], Value: v.Get(fmt.Sprintf("Tags.member.%d.Value", i))})
	}
	out, err := h.API.AssumeRole(ctx, in)
	if err != nil {
		return nil, err
	}
	res := assumeRoleResult{Credentials: credentials(out.Credentials), SourceIdentity: out.SourceIdentity}
	res.AssumedRoleUser.AssumedRoleID, res.AssumedRoleUser.Arn = out.AssumedRoleID, out.AssumedRoleArn
	if out.PackedPolicySize >= 0 {
		res.PackedPolicySize = &out.PackedPolicySize
	}
	return res, nil
}

type getSessionTokenResult struct {
	XMLName     xml.Name `xml:"GetSessionTokenResult"`
	Credentials credentialsXML
}

func getSessionToken(ctx context.Context, h *Handler, v url.Values) (any, error) {
	d, _ := strconv.Atoi(v.Get("DurationSeconds")) // checked: an integer, or absent (0)
	out, err := h.API.GetSessionToken(ctx, d)
	if err != nil {
		return nil, err
	}
	return getSessionTokenResult{Credentials: credentials(*out)}, nil
}

type getCallerIdentityResult struct {
	XMLName xml.Name `xml:"GetCallerIdentityResult"`
	UserID  string   `xml:"UserId"`
	Account string
	Arn     string
}

func getCallerIdentity(ctx context.Context, h *Handler, _ url.Values) (any, error) {
	out, err := h.API.GetCallerIdentity(ctx)
	if err != nil {
		return nil, err
	}
	return getCallerIdentityResult{UserID: out.UserID, Account: out.Account, Arn: out.Arn}, nil
}

type getAccessKeyInfoResult struct {
	XMLName xml.Name `xml:"GetAccessKeyInfoResult"`
	Account string
}

func getAccessKeyInfo(ctx context.Context, h *Handler, v url.Values) (any, error) {
	account, err := h.Resolver.AccountOf(ctx, v.Get("AccessKeyId"))
	if err != nil {
		return nil, err
	}
	return getAccessKeyInfoResult{Account: account}, nil
}
