package sigv4

import (
	"context"
	"testing"
	"time"

	"github.com/orgd/orgd/internal/iam"
)

// TestAuthenticate checks a sign-in form's credentials as Identify checks a signature's:
// the credentials file's keys, STS's temporary credentials with their session token and
// expiry on the server's clock.
func TestAuthenticate(t *testing.T) {
	role := iam.Principal{Account: "333333333333", Kind: iam.AssumedRole, Name: "Admin", Session: "s", ID: "AROAEXAMPLE"}
	expires := time.Date(2030, 1, 1, 1, 0, 0, 0, time.UTC)
	sessions := &fakeSessions{now: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), secret: Secret{AccessKeyID: "ASIATEMP", SecretAccessKey: "temp-secret",
		SessionToken: "token-1", Expires: expires, Principal: role}}
	rs := verifiedResolver(mgmtKey)
	rs.Sessions = sessions
	ctx := context.Background()

	id, exp, err := rs.Authenticate(ctx, "AKIAMGMT", testSecret, "")
	if err != nil || id.AccountID != "111111111111" || id.Principal != mgmtKey.Principal() || !exp.IsZero() {
		t.Errorf("long-term key: %+v, %v, %v; want the management account's root without expiry", id, exp, err)
	}
	id, exp, err = rs.Authenticate(ctx, "ASIATEMP", "temp-secret", "token-1")
	if err != nil || id.Principal != role || !exp.Equal(expires) {
		t.Errorf("temporary credentials: %+v, %v, %v; want the role session until %v", id, exp, err, expires)
	}
	for _, tc := range []struct {
		name               string
		key, secret, token string
		kind               Kind
	}{
		{"wrong secret", "AKIAMGMT", testSecret + "x", "", SignatureMismatch},
		{"empty secret", "AKIAMGMT", "", "", SignatureMismatch},
		{"unknown key", "AKIANOBODY", testSecret, "", UnknownKey},
		{"long-term key with a token", "AKIAMGMT", testSecret, "token-1", UnknownKey},
		{"wrong session token", "ASIATEMP", "temp-secret", "token-2", UnknownKey},
		{"temporary key without its token", "ASIATEMP", "temp-secret", "", UnknownKey},
		{"wrong temporary secret", "ASIATEMP", "other", "token-1", SignatureMismatch},
	} {
		_, _, err := rs.Authenticate(ctx, tc.key, tc.secret, tc.token)
		t.Run(tc.name, func(t *testing.T) { requireFailure(t, err, tc.kind) })
	}
	sessions.now = expires
	_, _, err = rs.Authenticate(ctx, "ASIATEMP", "temp-secret", "token-1")
	requireFailure(t, err, ExpiredToken)
}
