// Package sigv4 reads the AWS Signature Version 4 Authorization header and maps the access
// key in it to the account that calls. Signatures are not verified yet; the secret keys are
// kept in Key so that verification can be added without changing the credentials file.
package sigv4

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"

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
	Region        string // any region is accepted: clients sign for whatever region they use
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

// Key is one entry of the credentials file.
type Key struct {
	AccessKeyID     string `json:"AccessKeyId"`
	SecretAccessKey string `json:"SecretAccessKey"`
	AccountID       string `json:"AccountId"`
}

// credentialsFile is the layout of --credentials FILE.
type credentialsFile struct {
	Credentials []Key `json:"Credentials"`
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
}

// Failure is why a request could not be attributed to an account: AWS's error code for it.
type Failure struct {
	Code   string // MissingAuthenticationTokenException or IncompleteSignatureException
	Status int
	Detail string // what was wrong, for the log; the text on the wire is the catalogue's
}

func (f *Failure) Error() string { return f.Code + ": " + f.Detail }

// Account returns the account id of the request's caller and its access key. In order: the
// x-moto-account-id header (so suites written for moto's server mode run unchanged), a key of
// the credentials file, a key that is itself 12 digits, else the default account.
func (r *Resolver) Account(req *http.Request) (account, accessKey string, err error) {
	h := req.Header.Get("Authorization")
	if h == "" {
		return "", "", &Failure{Code: "MissingAuthenticationTokenException", Status: http.StatusForbidden, Detail: "no Authorization header"}
	}
	auth, perr := ParseAuthorization(h)
	if perr != nil {
		return "", "", &Failure{Code: "IncompleteSignatureException", Status: http.StatusBadRequest, Detail: "malformed Authorization header: " + perr.Error()}
	}
	key := auth.AccessKeyID
	switch moto := req.Header.Get("x-moto-account-id"); {
	case model.IsAccountID(moto):
		return moto, key, nil
	case r.Keys[key].AccountID != "":
		return r.Keys[key].AccountID, key, nil
	case model.IsAccountID(key):
		return key, key, nil
	}
	return r.DefaultAccount, key, nil
}
