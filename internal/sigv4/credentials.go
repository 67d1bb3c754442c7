package sigv4

import (
	"bytes"
	"crypto/sha256"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"

	"github.com/orgd/orgd/internal/iam"
	"github.com/orgd/orgd/internal/model"
)

// Key is one entry of the credentials file: a long-term access key, its secret, its account
// and, optionally, the IAM user it belongs to (without one, the account's root user). A user
// may declare its identity policies, permissions boundary and principal tags (issue 12);
// without Policies it is an administrator of its account.
type Key struct {
	AccessKeyID     string `json:"AccessKeyId"`
	SecretAccessKey string `json:"SecretAccessKey"`
	AccountID       string `json:"AccountId"`
	UserName        string `json:"UserName,omitempty"`
	Declared
}

// Declared is what a user or a role declares about its permissions: identity policies and a
// permissions boundary, each a JSON object or a string holding one, and principal tags.
// The domain parses and validates the documents (org.New), so that a bad one keeps the
// server from starting with a message that names it.
type Declared struct {
	Policies            []json.RawMessage `json:"Policies,omitempty"`
	PermissionsBoundary json.RawMessage   `json:"PermissionsBoundary,omitempty"`
	Tags                map[string]string `json:"Tags,omitempty"`
}

// Documents returns the declared policies and boundary as document texts ("" for no
// boundary): a string is taken as the document it holds, anything else as written.
func (d Declared) Documents() (policies []string, boundary string, err error) {
	for i, raw := range d.Policies {
		doc, err := document(raw)
		if err != nil {
			return nil, "", fmt.Errorf("Policies[%d]: %w", i, err)
		}
		policies = append(policies, doc)
	}
	if len(d.PermissionsBoundary) > 0 {
		if boundary, err = document(d.PermissionsBoundary); err != nil {
			return nil, "", fmt.Errorf("PermissionsBoundary: %w", err)
		}
	}
	return policies, boundary, nil
}

func document(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", err
		}
		return s, nil
	}
	if len(raw) == 0 || raw[0] != '{' {
		return "", errors.New("a policy must be a JSON object or a string holding one")
	}
	return string(raw), nil
}

// Principal is who signs with the key: the IAM user UserName, or the account's root user.
func (k Key) Principal() iam.Principal {
	if k.UserName == "" {
		return iam.Principal{Account: k.AccountID, Kind: iam.Root}
	}
	return iam.Principal{Account: k.AccountID, Kind: iam.User, Name: k.UserName, ID: userID(k.AccessKeyID)}
}

// userID is the unique id of the user a key belongs to: IAM's form (AIDA and 17 characters of
// A-Z and 2-7), derived from the access key so that it is the same on every start and every
// replica.
func userID(accessKeyID string) string {
	sum := sha256.Sum256([]byte("orgd user " + accessKeyID))
	return "AIDA" + base32.StdEncoding.EncodeToString(sum[:])[:17]
}

// userName is IAM's pattern for a user name (the UserName shape of IAM's model).
var userName = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)

// File is the layout of the credentials file (orgd serve --credentials FILE):
//
//	{"Credentials": [{"AccessKeyId", "SecretAccessKey", "AccountId", "UserName",
//	                  "Policies", "PermissionsBoundary", "Tags"}],
//	 "Roles": [{"AccountId", "RoleName", "TrustedPrincipals", "MaxSessionDuration",
//	            "Policies", "PermissionsBoundary", "Tags"}]}
//
// UserName is optional, and so are a user's or a role's Policies, PermissionsBoundary and Tags. Every part the file declares is parsed and checked in Load, so that
// a server never starts on a file it would misread; a part added to the file (roles declared
// per account) is added here, checked in Load and returned in Credentials.
type File struct {
	Credentials []Key  `json:"Credentials"`
	Roles       []Role `json:"Roles,omitempty"`
}

// Role is a role the credentials file declares in an account: orgd creates it at start-up
// unless it exists (the domain checks its fields as the admin API's).
type Role struct {
	AccountID          string   `json:"AccountId"`
	RoleName           string   `json:"RoleName"`
	TrustedPrincipals  []string `json:"TrustedPrincipals"`
	MaxSessionDuration int      `json:"MaxSessionDuration,omitempty"`
	Declared
}

// Credentials is what a credentials file declares, checked: its keys by access key id, and
// its roles.
type Credentials struct {
	Keys  map[string]Key
	Roles []Role
}

// Load reads and checks a credentials file.
func Load(path string) (*Credentials, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("sigv4: read credentials: %w", err)
	}
	var f File
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("sigv4: parse credentials %s: %w", path, err)
	}
	keys := make(map[string]Key, len(f.Credentials))
	for _, k := range f.Credentials {
		switch {
		case k.AccessKeyID == "" || !model.IsAccountID(k.AccountID):
			return nil, fmt.Errorf("sigv4: credentials %s: entry %q needs an AccessKeyId and a 12-digit AccountId", path, k.AccessKeyID)
		case k.SecretAccessKey == "":
			// Every request is verified against the file's secrets: a key without one
			// could never sign a request that verifies.
			return nil, fmt.Errorf("sigv4: credentials %s: access key %q has no SecretAccessKey", path, k.AccessKeyID)
		case k.UserName != "" && !userName.MatchString(k.UserName):
			return nil, fmt.Errorf("sigv4: credentials %s: access key %q: UserName %q is not an IAM user name (1 to 64 of letters, digits and +=,.@_-)", path, k.AccessKeyID, k.UserName)
		case k.UserName == "" && (len(k.Policies) > 0 || len(k.PermissionsBoundary) > 0 || len(k.Tags) > 0):
			// IAM attaches no policies, boundary or tags to the root user.
			return nil, fmt.Errorf("sigv4: credentials %s: access key %q is the root user's, which has no Policies, PermissionsBoundary or Tags: name a UserName", path, k.AccessKeyID)
		}
		if _, _, err := k.Documents(); err != nil {
			return nil, fmt.Errorf("sigv4: credentials %s: access key %q: %w", path, k.AccessKeyID, err)
		}
		// A key listed twice would otherwise act as whichever entry came last.
		if _, dup := keys[k.AccessKeyID]; dup {
			return nil, fmt.Errorf("sigv4: credentials %s: access key %q is listed twice", path, k.AccessKeyID)
		}
		keys[k.AccessKeyID] = k
	}
	for _, r := range f.Roles {
		if _, _, err := r.Documents(); err != nil {
			return nil, fmt.Errorf("sigv4: credentials %s: role %s of %s: %w", path, r.RoleName, r.AccountID, err)
		}
	}
	return &Credentials{Keys: keys, Roles: f.Roles}, nil
}
