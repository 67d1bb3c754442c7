package org

import (
	"crypto/rand"
	"strings"
)

const (
	lowerAlnum = "abcdefghijklmnopqrstuvwxyz0123456789"
	hexDigits  = "0123456789abcdef"
)

// randomString returns n characters drawn uniformly from alphabet.
func randomString(alphabet string, n int) string {
	b := make([]byte, n)
	rand.Read(b) // never fails (crypto/rand documents it)
	for i := range b {
		// The alphabets here have 16 or 36 letters; the slight bias of a modulo by 36 over
		// 256 values does not matter for identifiers that only need to be unique.
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// IDs follow the shapes real AWS hands out (spec §3.1): o- with 10 characters, r- with 4,
// h- with 32 hexadecimal digits.
func newOrganizationID() string { return "o-" + randomString(lowerAlnum, 10) }
func newRootID() string         { return "r-" + randomString(lowerAlnum, 4) }
func newHandshakeID() string    { return "h-" + randomString(hexDigits, 32) }

// Every ARN of an organization's resources names the organization's partition and its
// management account. Each is one concatenation (one allocation): ListAccounts makes twenty.

func organizationARN(o *Organization) string {
	return "arn:" + o.Partition + ":organizations::" + o.ManagementAccountID + ":organization/" + o.ID
}

func accountARN(o *Organization, accountID string) string {
	return "arn:" + o.Partition + ":organizations::" + o.ManagementAccountID + ":account/" + o.ID + "/" + accountID
}

func rootARN(o *Organization) string {
	return "arn:" + o.Partition + ":organizations::" + o.ManagementAccountID + ":root/" + o.ID + "/" + o.RootID
}

// handshakeARN spells the action in lower case as AWS does (handshake/o-…/invite/h-…).
func handshakeARN(h *Handshake) string {
	return "arn:" + h.Partition + ":organizations::" + h.ManagementAccountID + ":handshake/" + h.OrgID + "/" +
		strings.ToLower(h.Action) + "/" + h.ID
}
