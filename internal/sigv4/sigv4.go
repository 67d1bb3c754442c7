// Package sigv4 decides who sends a request: it reads the AWS Signature Version 4
// authentication (the Authorization header, or a presigned URL's query), verifies the
// signature as AWS does when the server has a credentials file, and maps the access key to
// its account and principal. Its failures say what went wrong (Kind), so that each protocol
// answers them with its own codes.
package sigv4

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/orgd/orgd/internal/iam"
	"github.com/orgd/orgd/internal/model"
)

// Algorithm is the only signing algorithm AWS's SigV4 clients use with these services.
const Algorithm = "AWS4-HMAC-SHA256"

// Skew is how far a request's date may be from the server's real time: AWS's five minutes.
const Skew = 5 * time.Minute

// timeFormat is ISO 8601's basic format, as X-Amz-Date and the string to sign carry it.
const timeFormat = "20060102T150405Z"

// Authorization is a parsed Authorization header:
// AWS4-HMAC-SHA256 Credential=AKID/20250101/us-east-1/organizations/aws4_request,
// SignedHeaders=host;x-amz-date, Signature=hex
type Authorization struct {
	AccessKeyID string
	Date        string // the credential scope's YYYYMMDD
	Region      string // any region is accepted (clients sign for whatever region they use); it names the partition (see Partition)
	Service     string
	Terminator  string // aws4_request
	// SignedHeaders are the header names the client signed, as it lists them.
	SignedHeaders []string
	Signature     string
}

// Kind is what went wrong with a request's authentication.
type Kind string

// The kinds of Failure. Each protocol answers them with its own codes (awsJson:
// MissingAuthenticationTokenException, IncompleteSignatureException,
// InvalidSignatureException for both SignatureMismatch and SignatureExpired,
// UnrecognizedClientException, ExpiredTokenException; STS's query protocol:
// MissingAuthenticationToken, IncompleteSignature, SignatureDoesNotMatch, InvalidClientTokenId,
// ExpiredToken).
const (
	MissingToken        Kind = "missing authentication token" // no Authorization header, no presigned query
	IncompleteSignature Kind = "incomplete signature"         // the authentication is malformed or lacks a part
	SignatureMismatch   Kind = "signature mismatch"           // wrong secret, changed request, or a scope AWS refuses
	SignatureExpired    Kind = "signature expired"            // the request's date is over five minutes from now
	UnknownKey          Kind = "unknown access key"           // no such key, or a session token that does not match it
	ExpiredToken        Kind = "expired token"                // temporary credentials past their expiry
)

// Failure is why a request could not be attributed to a principal.
type Failure struct {
	Kind Kind
	// Status is the HTTP status AWS's query protocol (STS) answers for the kind; a protocol
	// whose services answer another (awsJson) maps the kind itself.
	Status int
	Detail string // what was wrong, for the log
	// Message is, for the failures whose text AWS builds from the request's values (the
	// signature's times, the part of the Authorization header that is missing), that text;
	// empty, the protocol's fixed text for the code applies.
	Message string
}

func (f *Failure) Error() string { return string(f.Kind) + ": " + f.Detail }

// fail returns a Failure of kind with the status that goes with it.
func fail(kind Kind, message, detailFormat string, args ...any) *Failure {
	status := http.StatusForbidden
	if kind == IncompleteSignature {
		status = http.StatusBadRequest
	}
	return &Failure{Kind: kind, Status: status, Message: message, Detail: fmt.Sprintf(detailFormat, args...)}
}

// Identity is who sends a request: the account, the access key it signed with, the region
// of its credential scope (as written, checked in verified mode only) and the AWS partition
// that region belongs to, and the principal that signed.
type Identity struct {
	AccountID   string
	AccessKeyID string
	Region      string
	Partition   string
	Principal   iam.Principal
}

// Secret is what the server knows of an access key: its secret, and for temporary
// credentials their session token and expiry, and the principal the key acts as.
type Secret struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string    // temporary credentials only
	Expires         time.Time // temporary credentials only, on the server's clock
	Principal       iam.Principal
}

// ErrUnknownKey is what Sessions.Session answers for an access key it did not issue.
var ErrUnknownKey = errors.New("sigv4: unknown access key")

// Sessions finds the temporary credentials that STS issued (AssumeRole, GetSessionToken);
// they live in the store, so every replica knows them.
type Sessions interface {
	// Session returns the credentials of a temporary access key (ASIA...), or ErrUnknownKey.
	Session(ctx context.Context, accessKeyID string) (Secret, error)
	// Now is the server's clock, against which temporary credentials expire (the admin API
	// moves it; signatures' dates are checked against the real clock instead).
	Now(ctx context.Context) (time.Time, error)
}

// TemporaryKeyPrefix starts the access keys of temporary credentials (AWS's ASIA...); only
// those are looked up in Sessions, so that other keys cost the store nothing.
const TemporaryKeyPrefix = "ASIA"

// Resolver maps a request to the principal that sends it. It runs in one of two modes:
//
//   - open (Keys nil, no credentials file): any access key is accepted and no signature is
//     checked; the account is the x-moto-account-id header's, else a key that is itself 12
//     digits, else DefaultAccount. Suites written for moto's server mode run unchanged.
//   - verified (Keys not nil, even empty): every request's signature is checked against the
//     secret of its key, as AWS checks it; a key that is not in Keys is unknown, and
//     x-moto-account-id is ignored.
//
// In both, a temporary key that Sessions knows acts as its session's principal: its session
// token must match, it expires on the server's clock, and in verified mode its signature is
// checked with its secret. A Resolver must not be copied after first use.
type Resolver struct {
	Keys           map[string]Key // from the credentials file; nil means open mode
	DefaultAccount string         // open mode: the account of access keys that name none
	Sessions       Sessions       // may be nil: no temporary credentials
	// Now is the real clock signatures' dates are checked against (never the server's
	// clock, which tests move); nil means time.Now.
	Now func() time.Time

	keys keyCache
}

// Verified reports whether the resolver checks signatures.
func (rs *Resolver) Verified() bool { return rs.Keys != nil }

func (rs *Resolver) now() time.Time {
	if rs.Now != nil {
		return rs.Now()
	}
	return time.Now()
}

// Identify returns who sends r: its account, access key, partition and principal, or a
// *Failure saying why the request is refused. body is r's body, already read (its hash is
// part of the signature); r's context is passed to Sessions.
func (rs *Resolver) Identify(r *http.Request, body []byte) (Identity, error) {
	verified := rs.Verified()
	s, f := readSigned(r, verified)
	if f != nil {
		return Identity{}, f
	}
	id := Identity{AccessKeyID: s.AccessKeyID, Region: s.Region, Partition: Partition(s.Region)}
	if verified {
		if f := s.checkScope(expectedService(r)); f != nil {
			return Identity{}, f
		}
		if f := s.checkTime(rs.now()); f != nil {
			return Identity{}, f
		}
	}
	secret, found, err := rs.session(r.Context(), s)
	if err != nil {
		return Identity{}, err
	}
	switch {
	case found:
	case verified:
		k, ok := rs.Keys[s.AccessKeyID]
		if !ok {
			return Identity{}, fail(UnknownKey, "", "access key %q is not in the credentials file", s.AccessKeyID)
		}
		if s.token != "" {
			// AWS refuses a session token sent with a long-term key.
			return Identity{}, fail(UnknownKey, "", "access key %q is a long-term key, but the request carries a session token", s.AccessKeyID)
		}
		secret = Secret{AccessKeyID: k.AccessKeyID, SecretAccessKey: k.SecretAccessKey, Principal: k.Principal()}
	default:
		id.AccountID = rs.openAccount(r, s.AccessKeyID)
		id.Principal = iam.Principal{Account: id.AccountID, Kind: iam.Root}
		return id, nil
	}
	if verified {
		if f := rs.verify(r, body, s, secret.SecretAccessKey); f != nil {
			return Identity{}, f
		}
	}
	id.AccountID, id.Principal = secret.Principal.Account, secret.Principal
	return id, nil
}

// openAccount is the account of an open-mode request: x-moto-account-id, a key that is
// itself 12 digits, else the default account.
func (rs *Resolver) openAccount(r *http.Request, key string) string {
	switch moto := r.Header.Get("x-moto-account-id"); {
	case model.IsAccountID(moto):
		return moto
	case model.IsAccountID(key):
		return key
	}
	return rs.DefaultAccount
}

// session finds the temporary credentials of s's key and checks its session token and
// expiry; found is false for a key Sessions did not issue. An error that is not a *Failure is
// the store's.
func (rs *Resolver) session(ctx context.Context, s *signed) (Secret, bool, error) {
	if rs.Sessions == nil || !strings.HasPrefix(s.AccessKeyID, TemporaryKeyPrefix) {
		return Secret{}, false, nil
	}
	secret, err := rs.Sessions.Session(ctx, s.AccessKeyID)
	if errors.Is(err, ErrUnknownKey) {
		return Secret{}, false, nil
	}
	if err != nil {
		return Secret{}, false, fmt.Errorf("sigv4: find session of %s: %w", s.AccessKeyID, err)
	}
	if subtle.ConstantTimeCompare([]byte(s.token), []byte(secret.SessionToken)) != 1 {
		return Secret{}, false, fail(UnknownKey, "", "the session token does not match temporary access key %q", s.AccessKeyID)
	}
	now, err := rs.Sessions.Now(ctx)
	if err != nil {
		return Secret{}, false, fmt.Errorf("sigv4: read the server's clock: %w", err)
	}
	if !now.Before(secret.Expires) {
		return Secret{}, false, fail(ExpiredToken, "", "temporary access key %q expired at %s (server clock %s)",
			s.AccessKeyID, secret.Expires.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	return secret, true, nil
}

// expectedService is the service a request's credential scope should name, as AWS's text
// for a wrong one names it: Organizations for its awsJson requests (X-Amz-Target), STS for
// the others.
func expectedService(r *http.Request) string {
	if r.Header.Get("X-Amz-Target") != "" {
		return "organizations"
	}
	return "sts"
}

// Partition returns the AWS partition of a region, as AWS's endpoint rules name them:
// cn-* is aws-cn, us-gov-* aws-us-gov, the isolated regions aws-iso, aws-iso-b, aws-iso-e
// and aws-iso-f, and every other region (any string: orgd accepts any region) aws. Each
// prefix ends with its dash, so us-isob-east-1 is not taken for an us-iso- region.
func Partition(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	case strings.HasPrefix(region, "us-isob-"):
		return "aws-iso-b"
	case strings.HasPrefix(region, "us-isof-"):
		return "aws-iso-f"
	case strings.HasPrefix(region, "us-iso-"):
		return "aws-iso"
	case strings.HasPrefix(region, "eu-isoe-"):
		return "aws-iso-e"
	}
	return "aws"
}

// AccountOf is the account an access key belongs to, as STS's GetAccessKeyInfo answers it:
// a key of the credentials file, a 12-digit key, temporary credentials, else (AWS decodes
// any key into an account) the default account.
func (rs *Resolver) AccountOf(ctx context.Context, accessKeyID string) (string, error) {
	if k, ok := rs.Keys[accessKeyID]; ok {
		return k.AccountID, nil
	}
	if model.IsAccountID(accessKeyID) {
		return accessKeyID, nil
	}
	if rs.Sessions != nil && strings.HasPrefix(accessKeyID, TemporaryKeyPrefix) {
		s, err := rs.Sessions.Session(ctx, accessKeyID)
		if err == nil {
			return s.Principal.Account, nil
		}
		if !errors.Is(err, ErrUnknownKey) {
			return "", fmt.Errorf("sigv4: find session %s: %w", accessKeyID, err)
		}
	}
	return rs.DefaultAccount, nil
}

// Authenticate checks an access key against the secret a person typed into a sign-in form
// (orgd's console), where no request is signed: the same keys and temporary credentials
// Identify accepts, the secret compared in constant time. It returns the key's identity and,
// for temporary credentials, when they expire on the server's clock (zero for a long-term
// key). A key it does not know, a wrong secret or session token, or expired credentials are
// a *Failure; any other error is the store's. In open mode every key is unknown: there is no
// secret to check.
func (rs *Resolver) Authenticate(ctx context.Context, accessKeyID, secretAccessKey, sessionToken string) (Identity, time.Time, error) {
	s := &signed{Authorization: Authorization{AccessKeyID: accessKeyID}, token: sessionToken}
	secret, found, err := rs.session(ctx, s)
	if err != nil {
		return Identity{}, time.Time{}, err
	}
	if !found {
		k, ok := rs.Keys[accessKeyID]
		if !ok || sessionToken != "" {
			return Identity{}, time.Time{}, fail(UnknownKey, "", "access key %q is not in the credentials file, or is a long-term key given a session token", accessKeyID)
		}
		secret = Secret{AccessKeyID: k.AccessKeyID, SecretAccessKey: k.SecretAccessKey, Principal: k.Principal()}
	}
	if subtle.ConstantTimeCompare([]byte(secretAccessKey), []byte(secret.SecretAccessKey)) != 1 {
		return Identity{}, time.Time{}, fail(SignatureMismatch, "", "the secret access key of %q does not match", accessKeyID)
	}
	return Identity{AccountID: secret.Principal.Account, AccessKeyID: accessKeyID, Partition: Partition(""),
		Principal: secret.Principal}, secret.Expires, nil
}
