// Package bootstrap builds an organization from a file written by hand (issue 14 §3): the
// management account, feature set, policy types and trusted services, an OU tree with its
// accounts, policies and their attachments, standalone accounts and delegated
// administrators. Parse reads the file (YAML, or JSON, which is YAML) into a Spec whose every
// entry knows its file and line; Apply makes the organization through the domain service, as
// the management account calling the API would, so that an invalid file fails with the rule
// it breaks (AWS's exception and message) and the line of the entry.
package bootstrap

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/orgd/orgd/internal/model"
	"github.com/orgd/orgd/internal/org"
)

// Pos is where an entry is written: the file and its 1-based line.
type Pos struct {
	File string
	Line int
}

func (p Pos) String() string { return fmt.Sprintf("%s:%d", p.File, p.Line) }

// Spec is a bootstrap file, parsed.
type Spec struct {
	Name       string // the file's name, as its errors give it
	Management Account
	// Partition is the AWS partition the organization lives in (aws, aws-cn, aws-us-gov, ...).
	Partition   string
	FeatureSet  string // ALL (the default) or CONSOLIDATED_BILLING
	PolicyTypes []Value
	Services    []Value
	// OUs is the tree under the root, in the file's order.
	OUs []*OU
	// Accounts are the member accounts, in the file's order: those written under an OU first
	// as the tree is walked, then those of the top-level list.
	Accounts   []*Account
	Policies   []*Policy
	Standalone []*Account
	Delegated  []*Delegation
}

// Value is a string written at Pos.
type Value struct {
	Pos
	Value string
}

// OU is an organizational unit with its children.
type OU struct {
	Pos
	Name string
	Path string // "Workloads/Prod": the names from the root down, joined by "/"
	Tags []model.Tag
	OUs  []*OU
}

// The ways an account joins: CREATED (CreateAccount, as landing zones' accounts do) or
// INVITED (an invitation the account accepts).
const (
	JoinedCreated = "created"
	JoinedInvited = "invited"
)

// Account is the management account, a member or a standalone account.
type Account struct {
	Pos
	ID, Email, Name string
	Tags            []model.Tag
	Parent          string // the OU path of a member, "" for the root
	Joined          string // JoinedCreated or JoinedInvited, for a member
}

// Policy is a customer-managed policy and the targets it is attached to.
type Policy struct {
	Pos
	Name, Type, Description, Content string
	Tags                             []model.Tag
	Attachments                      []Target
}

// Target is where a policy is attached: the root (Root), an OU (Path) or an account.
type Target struct {
	Pos
	Root      bool
	Path      string
	AccountID string
}

// Delegation makes a member account a delegated administrator of a service.
type Delegation struct {
	Pos
	AccountID, ServicePrincipal string
}

// Error is a bootstrap that failed: the entry at Pos, what was being done, and why; Err is a
// *model.Error when a rule of the API was broken.
type Error struct {
	Pos  Pos
	What string // "CreateOrganizationalUnit Workloads/Prod", "unknown key"
	Op   string // the API operation whose rule Err is, for its message; "" for the file's own
	Err  error
}

// Error reads "file:line: what: Code (Reason): AWS's message (detail)".
func (e *Error) Error() string {
	var me *model.Error
	if !errors.As(e.Err, &me) {
		return fmt.Sprintf("%s: %s: %v", e.Pos, e.What, e.Err)
	}
	s := me.Code
	if me.Reason != "" {
		s += " (" + me.Reason + ")"
	}
	msg := me.Text
	if msg == "" {
		msg = model.Message(e.Op, me.Code, me.Reason)
	}
	s += ": " + msg
	if me.Detail != "" && me.Detail != msg {
		s += " (" + me.Detail + ")"
	}
	return fmt.Sprintf("%s: %s: %s", e.Pos, e.What, s)
}

func (e *Error) Unwrap() error { return e.Err }

// ReadFile reads a file a policy's "file:" names, relative to the bootstrap file's directory.
type ReadFile func(name string) ([]byte, error)

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// partitions are AWS's partitions (see sigv4.Partition).
var partitions = []string{"aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f"}

// Parse reads a bootstrap file named name (for its errors). read gives the files that
// policies name with "file:". Unknown keys, entries of the
// wrong kind and references to OUs or accounts the file does not have are errors naming
// their line; the API's own rules are Apply's.
func Parse(name string, data []byte, read ReadFile) (*Spec, error) {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		// yaml's "yaml: line 3: did not find expected node content", as file:line.
		if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
			return nil, fmt.Errorf("%s:%s: %s", name, m[1], m[2])
		}
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(doc.Content) == 0 {
		return nil, fmt.Errorf("%s: the file is empty", name)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, &Error{Pos: Pos{name, extra.Line}, What: "a second document", Err: errors.New("a bootstrap file holds one document")}
	}
	p := &parser{name: name, read: read, spec: &Spec{Name: name, FeatureSet: model.OrganizationFeatureSetAll, Partition: org.PartitionAWS}}
	if err := p.document(doc.Content[0]); err != nil {
		return nil, err
	}
	return p.spec, nil
}

type parser struct {
	name string
	read ReadFile
	spec *Spec
}

func (p *parser) pos(n *yaml.Node) Pos { return Pos{p.name, n.Line} }

func (p *parser) fail(n *yaml.Node, what, format string, args ...any) error {
	return &Error{Pos: p.pos(n), What: what, Err: fmt.Errorf(format, args...)}
}

// fields returns a mapping's values by key, refusing keys not in known and keys repeated.
func (p *parser) fields(n *yaml.Node, what string, known ...string) (map[string]*yaml.Node, error) {
	if n.Kind != yaml.MappingNode {
		return nil, p.fail(n, what, "want a mapping of %s, not %s", strings.Join(known, ", "), kind(n))
	}
	out := make(map[string]*yaml.Node, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode || !slices.Contains(known, k.Value) {
			return nil, p.fail(k, what, "unknown key %q (known: %s)", k.Value, strings.Join(known, ", "))
		}
		if _, dup := out[k.Value]; dup {
			return nil, p.fail(k, what, "key %q given twice", k.Value)
		}
		out[k.Value] = v
	}
	return out, nil
}

func kind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	}
	if n.Tag == "!!null" {
		return "nothing"
	}
	return fmt.Sprintf("the value %q", n.Value)
}

// str is a scalar's text as written: an id of 12 digits stays the string it is, leading
// zeros included, whatever type YAML would resolve it to.
func (p *parser) str(n *yaml.Node, what, key string) (string, error) {
	if n == nil {
		return "", nil
	}
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return "", p.fail(n, what, "%s: want a string, not %s", key, kind(n))
	}
	return n.Value, nil
}

// required is str for a key the entry must have.
func (p *parser) required(entry *yaml.Node, f map[string]*yaml.Node, what, key string) (string, error) {
	if f[key] == nil {
		return "", p.fail(entry, what, "%s is required", key)
	}
	s, err := p.str(f[key], what, key)
	if err == nil && s == "" {
		err = p.fail(f[key], what, "%s must not be empty", key)
	}
	return s, err
}

// list is a sequence's entries; an absent key is an empty list.
func (p *parser) list(n *yaml.Node, what, key string) ([]*yaml.Node, error) {
	if n == nil || (n.Kind == yaml.ScalarNode && n.Tag == "!!null") {
		return nil, nil
	}
	if n.Kind != yaml.SequenceNode {
		return nil, p.fail(n, what, "%s: want a list, not %s", key, kind(n))
	}
	return n.Content, nil
}

func (p *parser) values(n *yaml.Node, what, key string) ([]Value, error) {
	items, err := p.list(n, what, key)
	if err != nil {
		return nil, err
	}
	var out []Value
	for _, it := range items {
		s, err := p.str(it, what, key)
		if err != nil {
			return nil, err
		}
		out = append(out, Value{p.pos(it), s})
	}
	return out, nil
}

// tags is a mapping of tag keys to values, in the file's order.
func (p *parser) tags(n *yaml.Node, what string) ([]model.Tag, error) {
	if n == nil {
		return nil, nil
	}
	if n.Kind != yaml.MappingNode {
		return nil, p.fail(n, what, "tags: want a mapping of keys to values, not %s", kind(n))
	}
	var out []model.Tag
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, err := p.str(n.Content[i], what, "tag key")
		if err != nil {
			return nil, err
		}
		v, err := p.str(n.Content[i+1], what, "tag "+k)
		if err != nil {
			return nil, err
		}
		out = append(out, model.Tag{Key: model.Ptr(k), Value: model.Ptr(v)})
	}
	return out, nil
}

func (p *parser) document(n *yaml.Node) error {
	f, err := p.fields(n, "bootstrap file", "management", "partition", "featureSet", "enabledPolicyTypes",
		"enabledServices", "organizationalUnits", "accounts", "policies", "standaloneAccounts", "delegatedAdministrators")
	if err != nil {
		return err
	}
	s := p.spec
	if f["management"] == nil {
		return p.fail(n, "bootstrap file", "management is required: the management account's id, email and name")
	}
	mgmt, err := p.account(f["management"], "management account", false)
	if err != nil {
		return err
	}
	s.Management = *mgmt
	if v := f["partition"]; v != nil {
		if s.Partition, err = p.str(v, "partition", "partition"); err != nil {
			return err
		}
		if !slices.Contains(partitions, s.Partition) {
			return p.fail(v, "partition", "%q is not one of %s", s.Partition, strings.Join(partitions, ", "))
		}
	}
	if v := f["featureSet"]; v != nil {
		if s.FeatureSet, err = p.str(v, "featureSet", "featureSet"); err != nil {
			return err
		}
	}
	if s.PolicyTypes, err = p.values(f["enabledPolicyTypes"], "enabledPolicyTypes", "enabledPolicyTypes"); err != nil {
		return err
	}
	if s.Services, err = p.values(f["enabledServices"], "enabledServices", "enabledServices"); err != nil {
		return err
	}
	if s.OUs, err = p.ous(f["organizationalUnits"], ""); err != nil {
		return err
	}
	accounts, err := p.list(f["accounts"], "accounts", "accounts")
	if err != nil {
		return err
	}
	for _, an := range accounts {
		a, err := p.account(an, "account", true)
		if err != nil {
			return err
		}
		s.Accounts = append(s.Accounts, a)
	}
	paths := map[string]bool{}
	var walk func(ous []*OU)
	walk = func(ous []*OU) {
		for _, u := range ous {
			paths[u.Path] = true
			walk(u.OUs)
		}
	}
	walk(s.OUs)
	members := map[string]bool{s.Management.ID: true}
	for _, a := range s.Accounts {
		if a.Parent != "" && !paths[a.Parent] {
			return &Error{Pos: a.Pos, What: "account " + a.ID, Op: "MoveAccount",
				Err: model.Fail(model.CodeParentNotFoundException, "", "parent %q is no OU of organizationalUnits", a.Parent)}
		}
		members[a.ID] = true
	}
	standalone, err := p.list(f["standaloneAccounts"], "standaloneAccounts", "standaloneAccounts")
	if err != nil {
		return err
	}
	for _, an := range standalone {
		a, err := p.account(an, "standalone account", false)
		if err != nil {
			return err
		}
		s.Standalone = append(s.Standalone, a)
	}
	policies, err := p.list(f["policies"], "policies", "policies")
	if err != nil {
		return err
	}
	for _, pn := range policies {
		pol, err := p.policy(pn, paths, members)
		if err != nil {
			return err
		}
		s.Policies = append(s.Policies, pol)
	}
	// Every account is one AWS account, whatever its role in the file: the store is empty, so
	// an id given twice is the only one a bootstrap can find taken.
	seen := map[string]Pos{}
	for _, a := range slices.Concat([]*Account{&s.Management}, s.Accounts, s.Standalone) {
		if first, ok := seen[a.ID]; ok {
			return &Error{Pos: a.Pos, What: "account " + a.ID, Op: "CreateAccount",
				Err: model.Fail(model.CodeDuplicateAccountException, "", "account %s is given already at line %d", a.ID, first.Line)}
		}
		seen[a.ID] = a.Pos
	}
	delegated, err := p.list(f["delegatedAdministrators"], "delegatedAdministrators", "delegatedAdministrators")
	if err != nil {
		return err
	}
	for _, dn := range delegated {
		const what = "delegated administrator"
		df, err := p.fields(dn, what, "account", "servicePrincipal")
		if err != nil {
			return err
		}
		d := &Delegation{Pos: p.pos(dn)}
		if d.AccountID, err = p.required(dn, df, what, "account"); err != nil {
			return err
		}
		if d.ServicePrincipal, err = p.required(dn, df, what, "servicePrincipal"); err != nil {
			return err
		}
		s.Delegated = append(s.Delegated, d)
	}
	return nil
}

// ous parses a list of OUs under the OU at path parent ("" for the root), with their
// accounts and children.
func (p *parser) ous(n *yaml.Node, parent string) ([]*OU, error) {
	items, err := p.list(n, "organizationalUnits", "organizationalUnits")
	if err != nil {
		return nil, err
	}
	var out []*OU
	for _, un := range items {
		const what = "organizational unit"
		f, err := p.fields(un, what, "name", "tags", "accounts", "organizationalUnits")
		if err != nil {
			return nil, err
		}
		u := &OU{Pos: p.pos(un)}
		if u.Name, err = p.required(un, f, what, "name"); err != nil {
			return nil, err
		}
		// Paths name OUs by their names joined with "/", so a name may not hold one (AWS's
		// names may).
		if strings.Contains(u.Name, "/") {
			return nil, p.fail(f["name"], what, "name %q holds a /, which separates the names of a path here", u.Name)
		}
		u.Path = path.Join(parent, u.Name)
		if u.Tags, err = p.tags(f["tags"], what+" "+u.Path); err != nil {
			return nil, err
		}
		accounts, err := p.list(f["accounts"], what+" "+u.Path, "accounts")
		if err != nil {
			return nil, err
		}
		for _, an := range accounts {
			a, err := p.account(an, "account", true)
			if err != nil {
				return nil, err
			}
			if a.Parent != "" {
				return nil, p.fail(an, "account "+a.ID, "an account under an OU takes no parent: it is %s", u.Path)
			}
			a.Parent = u.Path
			p.spec.Accounts = append(p.spec.Accounts, a)
		}
		if u.OUs, err = p.ous(f["organizationalUnits"], u.Path); err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, nil
}

// account parses an account; a member takes tags, parent and joined too.
func (p *parser) account(n *yaml.Node, what string, member bool) (*Account, error) {
	known := []string{"id", "email", "name"}
	if member {
		known = append(known, "tags", "parent", "joined")
	}
	f, err := p.fields(n, what, known...)
	if err != nil {
		return nil, err
	}
	a := &Account{Pos: p.pos(n), Joined: JoinedCreated}
	if a.ID, err = p.required(n, f, what, "id"); err != nil {
		return nil, err
	}
	if !model.IsAccountID(a.ID) {
		return nil, p.fail(f["id"], what, "id %q is not 12 digits (quote it in YAML to keep leading zeros)", a.ID)
	}
	what += " " + a.ID
	if a.Email, err = p.required(n, f, what, "email"); err != nil {
		return nil, err
	}
	if a.Name, err = p.required(n, f, what, "name"); err != nil {
		return nil, err
	}
	if !member {
		return a, nil
	}
	if a.Tags, err = p.tags(f["tags"], what); err != nil {
		return nil, err
	}
	if a.Parent, err = p.str(f["parent"], what, "parent"); err != nil {
		return nil, err
	}
	a.Parent = strings.Trim(a.Parent, "/")
	if v := f["joined"]; v != nil {
		if a.Joined, err = p.str(v, what, "joined"); err != nil {
			return nil, err
		}
		if a.Joined != JoinedCreated && a.Joined != JoinedInvited {
			return nil, p.fail(v, what, "joined must be %s or %s, not %q", JoinedCreated, JoinedInvited, a.Joined)
		}
	}
	return a, nil
}

// policy parses a policy: its content inline (a string, or YAML that is encoded as JSON) or
// from a file, and its attachments, which must name the root ("/"), an OU of the file by
// path, or an account of the file.
func (p *parser) policy(n *yaml.Node, paths, members map[string]bool) (*Policy, error) {
	what := "policy"
	f, err := p.fields(n, what, "name", "type", "description", "content", "file", "tags", "attachments")
	if err != nil {
		return nil, err
	}
	pol := &Policy{Pos: p.pos(n)}
	if pol.Name, err = p.required(n, f, what, "name"); err != nil {
		return nil, err
	}
	what += " " + pol.Name
	if pol.Type, err = p.required(n, f, what, "type"); err != nil {
		return nil, err
	}
	if pol.Description, err = p.str(f["description"], what, "description"); err != nil {
		return nil, err
	}
	switch c, file := f["content"], f["file"]; {
	case (c == nil) == (file == nil):
		return nil, p.fail(n, what, "give the policy's content or the file that holds it, one of them")
	case file != nil:
		name, err := p.str(file, what, "file")
		if err != nil {
			return nil, err
		}
		b, err := p.read(name)
		if err != nil {
			return nil, p.fail(file, what, "file: %v", err)
		}
		pol.Content = string(b)
	case c.Kind == yaml.ScalarNode:
		if pol.Content, err = p.str(c, what, "content"); err != nil {
			return nil, err
		}
	default:
		var v any
		if err := c.Decode(&v); err != nil {
			return nil, p.fail(c, what, "content: %v", err)
		}
		b, err := json.Marshal(v)
		if err != nil {
			return nil, p.fail(c, what, "content cannot be written as JSON: %v", err)
		}
		pol.Content = string(b)
	}
	if pol.Tags, err = p.tags(f["tags"], what); err != nil {
		return nil, err
	}
	targets, err := p.values(f["attachments"], what, "attachments")
	if err != nil {
		return nil, err
	}
	for _, v := range targets {
		t := Target{Pos: v.Pos}
		switch ref := strings.Trim(v.Value, "/"); {
		case ref == "":
			t.Root = true
		case model.IsAccountID(ref):
			if !members[ref] {
				return nil, &Error{Pos: v.Pos, What: what + " attached to " + v.Value, Op: "AttachPolicy",
					Err: model.Fail(model.CodeTargetNotFoundException, "", "account %s is no member of the file's organization", ref)}
			}
			t.AccountID = ref
		default:
			if !paths[ref] {
				return nil, &Error{Pos: v.Pos, What: what + " attached to " + v.Value, Op: "AttachPolicy",
					Err: model.Fail(model.CodeTargetNotFoundException, "", "%q is no OU of organizationalUnits (write OUs as paths from the root: Workloads/Prod; the root is /)", v.Value)}
			}
			t.Path = ref
		}
		pol.Attachments = append(pol.Attachments, t)
	}
	return pol, nil
}
