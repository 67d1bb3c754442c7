package sigv4

import (
	"crypto/sha256"
	"encoding/base32"
	"encoding/json"
	"fmt"
	"os"
	"regexp"

	"github.com/orgd/orgd/internal/iam"
	"github.com/orgd/orgd/internal/model"
)

// Key is one entry of the credentials file: a long-term access key, its secret, its account
// and, optionally, the IAM user it belongs to (without one, the account's root user).
type Key struct {
	AccessKeyID     string `json:"AccessKeyId"`
	SecretAccessKey string `json:"SecretAccessKey"`
	AccountID       string `json:"AccountId"`
	UserName        string `json:"UserName,omitempty"`
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
//	{"Credentials": [{"AccessKeyId", "SecretAccessKey", "AccountId", "UserName"}]}
//
// UserName is optional. Every part the file declares is parsed and checked in Load, so that
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
		}
		// A key listed twice would otherwise act as whichever entry came last.
		if _, dup := keys[k.AccessKeyID]; dup {
			return nil, fmt.Errorf("sigv4: credentials %s: access key %q is listed twice", path, k.AccessKeyID)
		}
		keys[k.AccessKeyID] = k
	}
	return &Credentials{Keys: keys, Roles: f.Roles}, nil
}
