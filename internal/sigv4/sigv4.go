// Package sigv4 reads the AWS Signature Version 4 Authorization header and maps the access
// key in it to the account that calls. Signatures are not verified yet; the secret keys are
// kept in Key so that verification can be added without changing the credentials file.
package sigv4

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/orgd/orgd/internal/iam"
	"github.com/orgd/orgd/internal/model"
)

// Algorithm is the only signing algorithm AWS's SigV4 clients use with this service.
const Algorithm = "AWS4-HMAC-SHA256"

// Authorization is a parsed Authorization header:
// AWS4-HMAC-SHA256 Credential=AKID/20250101/us-east-1/organizations/aws4_request,
// SignedHeaders=host;x-amz-date, Signature=hex
type Authorization struct {
	AccessKeyID   string
	Date          string
	Region        string // any region is accepted (clients sign for whatever region they use); it names the partition (see Partition)
	Service       string
	SignedHeaders []string
	Signature     string
}

// ParseAuthorization parses the value of an Authorization header.
func ParseAuthorization(h string) (Authorization, error) {
	var a Authorization
	alg, rest, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || alg != Algorithm {
		return a, fmt.Errorf("authorization header must start with %s", Algorithm)
	}
	for _, part := range strings.Split(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return a, fmt.Errorf("authorization component %q is not key=value", part)
		}
		switch k {
		case "Credential":
			scope := strings.Split(v, "/")
			if len(scope) != 5 || scope[0] == "" || scope[4] != "aws4_request" {
				return a, fmt.Errorf("credential %q is not AKID/date/region/service/aws4_request", v)
			}
			a.AccessKeyID, a.Date, a.Region, a.Service = scope[0], scope[1], scope[2], scope[3]
		case "SignedHeaders":
			a.SignedHeaders = strings.Split(v, ";")
		case "Signature":
			a.Signature = v
		}
	}
	if a.AccessKeyID == "" || a.SignedHeaders == nil || a.Signature == "" {
		return a, fmt.Errorf("authorization header lacks Credential, SignedHeaders or Signature")
	}
	return a, nil
}

// Key is one entry of the credentials file. A key with a UserName is that IAM user's; one
// without is the account's root user's.
type Key struct {
	AccessKeyID     string `json:"AccessKeyId"`
	SecretAccessKey string `json:"SecretAccessKey"`
	AccountID       string `json:"AccountId"`
	UserName        string `json:"UserName,omitempty"`
}

// Role is a role the credentials file declares: orgd creates it at start-up unless it exists.
type Role struct {
	AccountID          string   `json:"AccountId"`
	RoleName           string   `json:"RoleName"`
	TrustedPrincipals  []string `json:"TrustedPrincipals"`
	MaxSessionDuration int      `json:"MaxSessionDuration,omitempty"`
}

// credentialsFile is the layout of --credentials FILE.
type credentialsFile struct {
	Credentials []Key  `json:"Credentials"`
	Roles       []Role `json:"Roles"`
}

// LoadRoles reads the roles a credentials file declares; the domain checks each.
func LoadRoles(path string) ([]Role, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("sigv4: read credentials: %w", err)
	}
	var f credentialsFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("sigv4: parse credentials %s: %w", path, err)
	}
	return f.Roles, nil
}

// LoadKeys reads a credentials file: {"Credentials": [{"AccessKeyId", "SecretAccessKey", "AccountId"}]}.
func LoadKeys(path string) (map[string]Key, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("sigv4: read credentials: %w", err)
	}
	var f credentialsFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("sigv4: parse credentials %s: %w", path, err)
	}
	keys := make(map[string]Key, len(f.Credentials))
	for _, k := range f.Credentials {
		if k.AccessKeyID == "" || !model.IsAccountID(k.AccountID) {
			return nil, fmt.Errorf("sigv4: credentials %s: entry %q needs an AccessKeyId and a 12-digit AccountId", path, k.AccessKeyID)
		}
		// A key listed twice would otherwise act as whichever entry came last.
		if _, dup := keys[k.AccessKeyID]; dup {
			return nil, fmt.Errorf("sigv4: credentials %s: access key %q is listed twice", path, k.AccessKeyID)
		}
		keys[k.AccessKeyID] = k
	}
	return keys, nil
}

// Resolver maps a request to the account that sends it.
type Resolver struct {
	Keys           map[string]Key // from the credentials file; may be nil
	DefaultAccount string         // for access keys that name no account
	// Sessions knows the temporary credentials STS issued; nil: none are accepted.
	Sessions Sessions
}

// Kind is what was wrong with a request's credentials; each protocol answers it with its
// own code (awsJson: ExpiredTokenException, STS's query protocol: ExpiredToken, ...).
type Kind int

const (
	KindMissingToken     Kind = iota + 1 // no Authorization header
	KindIncomplete                       // an Authorization header that is not SigV4's
	KindMismatch                         // the signature does not match the request
	KindExpiredSignature                 // the request's date is too far from now
	KindUnknownKey                       // an access key nobody issued
	KindExpiredToken                     // temporary credentials past their expiry
)

// Failure is why a request could not be attributed to an account: AWS's error code for it.
type Failure struct {
	Kind   Kind
	Code   string // the awsJson protocol's code for Kind
	Status int    // the awsJson protocol's status
	Detail string // what was wrong, for the log; the text on the wire is the catalogue's
}

func (f *Failure) Error() string { return f.Code + ": " + f.Detail }

// Identity is who sends a request: the account, the access key it signed with, the AWS
// partition its credential scope's region belongs to, and the principal that signed.
type Identity struct {
	AccountID   string
	AccessKeyID string
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

// Identify returns the account of the request's caller, its access key and its partition.
// The account is, in order: the x-moto-account-id header (so suites written for moto's server
// mode run unchanged), a key of the credentials file, a key that is itself 12 digits, else
// the default account.
//
// Temporary credentials (an access key STS issued) act as their principal while they last,
// and only with their session token. body is the request body already read; signatures are
// not verified yet, so it is not used.
func (r *Resolver) Identify(req *http.Request, body []byte) (Identity, error) {
	h := req.Header.Get("Authorization")
	if h == "" {
		return Identity{}, &Failure{Kind: KindMissingToken, Code: "MissingAuthenticationTokenException", Status: http.StatusForbidden, Detail: "no Authorization header"}
	}
	auth, perr := ParseAuthorization(h)
	if perr != nil {
		return Identity{}, &Failure{Kind: KindIncomplete, Code: "IncompleteSignatureException", Status: http.StatusBadRequest, Detail: "malformed Authorization header: " + perr.Error()}
	}
	id := Identity{AccessKeyID: auth.AccessKeyID, Partition: Partition(auth.Region)}
	key, inFile := r.Keys[id.AccessKeyID]
	switch moto := req.Header.Get("x-moto-account-id"); {
	case model.IsAccountID(moto):
		id.AccountID = moto
	case inFile:
		id.AccountID = key.AccountID
		if key.UserName != "" {
			id.Principal = iam.Principal{Account: key.AccountID, Kind: iam.User, Name: key.UserName, ID: UserID(key.AccessKeyID)}
		}
	case model.IsAccountID(id.AccessKeyID):
		id.AccountID = id.AccessKeyID
	case r.Sessions != nil && strings.HasPrefix(id.AccessKeyID, TemporaryKeyPrefix):
		return r.session(req, id)
	default:
		id.AccountID = r.DefaultAccount
	}
	if id.Principal.Kind == "" {
		id.Principal = iam.Principal{Account: id.AccountID, Kind: iam.Root}
	}
	return id, nil
}

// AccountOf is the account an access key belongs to, as STS's GetAccessKeyInfo answers it:
// a key of the credentials file, a 12-digit key, temporary credentials, else (AWS decodes
// any key into an account) the default account.
func (r *Resolver) AccountOf(ctx context.Context, accessKeyID string) (string, error) {
	if k, ok := r.Keys[accessKeyID]; ok {
		return k.AccountID, nil
	}
	if model.IsAccountID(accessKeyID) {
		return accessKeyID, nil
	}
	if r.Sessions != nil && strings.HasPrefix(accessKeyID, TemporaryKeyPrefix) {
		s, err := r.Sessions.Session(ctx, accessKeyID)
		if err == nil {
			return s.Principal.Account, nil
		}
		if !errors.Is(err, ErrUnknownKey) {
			return "", fmt.Errorf("sigv4: find session %s: %w", accessKeyID, err)
		}
	}
	return r.DefaultAccount, nil
}

// TemporaryKeyPrefix begins the access keys of temporary credentials, as on AWS.
const TemporaryKeyPrefix = "ASIA"

// session identifies a request signed with a temporary access key: unknown to the store it
// is the default account's, as any unknown key is today.
func (r *Resolver) session(req *http.Request, id Identity) (Identity, error) {
	ctx := req.Context()
	s, err := r.Sessions.Session(ctx, id.AccessKeyID)
	if errors.Is(err, ErrUnknownKey) {
		id.AccountID = r.DefaultAccount
		id.Principal = iam.Principal{Account: id.AccountID, Kind: iam.Root}
		return id, nil
	}
	if err != nil {
		return Identity{}, fmt.Errorf("sigv4: find session %s: %w", id.AccessKeyID, err)
	}
	// AWS takes temporary credentials without their token for a key nobody issued.
	if req.Header.Get("X-Amz-Security-Token") != s.SessionToken {
		return Identity{}, &Failure{Kind: KindUnknownKey, Code: "UnrecognizedClientException", Status: http.StatusBadRequest,
			Detail: "access key " + id.AccessKeyID + " came without its session token"}
	}
	now, err := r.Sessions.Now(ctx)
	if err != nil {
		return Identity{}, fmt.Errorf("sigv4: read the server's clock: %w", err)
	}
	if !now.Before(s.Expires) {
		return Identity{}, &Failure{Kind: KindExpiredToken, Code: "ExpiredTokenException", Status: http.StatusBadRequest,
			Detail: fmt.Sprintf("access key %s expired at %s", id.AccessKeyID, s.Expires.Format(time.RFC3339))}
	}
	id.AccountID, id.Principal = s.Principal.Account, s.Principal
	return id, nil
}

// UserID is the unique id of the IAM user a credentials-file key belongs to: AIDA and 17
// characters of IAM's alphabet, derived from the key so that it stays the same across
// restarts.
func UserID(accessKeyID string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	sum := sha256.Sum256([]byte(accessKeyID))
	b := []byte("AIDA")
	for _, c := range sum[:17] {
		b = append(b, alphabet[c%32])
	}
	return string(b)
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
