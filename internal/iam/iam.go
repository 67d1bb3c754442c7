// Package iam names who calls orgd the way IAM and STS do: the account's root user, an IAM
// user, or a role session, with the ARN and unique id AWS shows for each. It knows no
// organization rule; the signature check (sigv4), STS (sts) and the domain (org) share it.
package iam

import "fmt"

// Kind is the kind of principal.
type Kind string

const (
	// Root is the account's root user: arn:aws:iam::ID:root.
	Root Kind = "root"
	// User is an IAM user: arn:aws:iam::ID:user/NAME.
	User Kind = "user"
	// AssumedRole is a session of a role: arn:aws:sts::ID:assumed-role/ROLE/SESSION.
	AssumedRole Kind = "assumed-role"
)

// Principal is who signs a request.
type Principal struct {
	Account string // 12-digit account id
	Kind    Kind
	Name    string // the user's or the role's name; empty for Root
	Session string // the role session's name (AssumedRole only)
	// ID is the unique id IAM gives the user (AIDA...) or role (AROA...); empty for Root.
	ID string
}

// ARN is the principal's ARN in partition (aws, aws-cn, ...), as GetCallerIdentity and
// AccessDenied messages show it.
func (p Principal) ARN(partition string) string {
	switch p.Kind {
	case User:
		return fmt.Sprintf("arn:%s:iam::%s:user/%s", partition, p.Account, p.Name)
	case AssumedRole:
		return fmt.Sprintf("arn:%s:sts::%s:assumed-role/%s/%s", partition, p.Account, p.Name, p.Session)
	}
	return fmt.Sprintf("arn:%s:iam::%s:root", partition, p.Account)
}

// UserID is GetCallerIdentity's UserId: the account id for the root user, the user's id,
// or ROLEID:SESSION for a role session.
func (p Principal) UserID() string {
	switch p.Kind {
	case User:
		return p.ID
	case AssumedRole:
		return p.ID + ":" + p.Session
	}
	return p.Account
}
