package catalog

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"encoding/binary"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"

	"github.com/orgd/orgd/internal/policy"
)

//go:embed catalog.txt.gz
var compressed []byte

// Action is one IAM action of one service, as the Service Authorization Reference lists it.
// Its slices are shared by every caller and must not be modified.
type Action struct {
	Service string // the IAM prefix, "s3"
	Name    string // AWS's casing, "GetObject"
	// Access is the access level: "List", "Read", "Write", "Tagging" or "Permissions management".
	Access string
	// ResourceTypes are the resource types the action can be authorized on, in the order of
	// the reference; none means the action is authorized on "*" only.
	ResourceTypes []ResourceType
	// ConditionKeys are the condition keys the reference lists for the action whatever its
	// resource, e.g. "aws:RequestTag/${TagKey}".
	ConditionKeys []string
}

// ResourceType is a resource type an action can be authorized on.
type ResourceType struct {
	Name string // the reference's name within the service, "object"
	// ARN is the reference's ARN template, e.g.
	// "arn:${Partition}:s3:::${BucketName}/${ObjectName}".
	ARN string
	// Required is the reference's asterisk: a request for the action always names a resource
	// of this type.
	Required bool
	// ConditionKeys are the keys the reference lists for the action on this resource type
	// (its row in the actions table).
	ConditionKeys []string
	// ResourceKeys are the keys the reference lists for the resource type itself (its
	// resource types table), e.g. "aws:ResourceTag/${TagKey}"; shared by every action on it.
	ResourceKeys []string
}

// String returns "service:Name", the form a policy's Action element uses.
func (a Action) String() string { return a.Service + ":" + a.Name }

// catalogue is the parsed data file.
type catalogue struct {
	version  string
	services []string
	actions  []Action // sorted by key
	keys     []string // lower-case "service:name" of actions[i]
	index    map[string]int
}

// load parses the embedded data once; the data is generated and tested, so a failure is a
// broken build and panics.
var load = sync.OnceValue(func() *catalogue {
	c, err := parse(compressed)
	if err != nil {
		panic(fmt.Sprintf("catalog: embedded catalog.txt.gz: %v", err))
	}
	return c
})

// Actions returns every action, sorted by lower-case "service:name". The slice is the
// caller's; the Actions' own slices are shared.
func Actions() []Action { return slices.Clone(load().actions) }

// Services returns the IAM prefixes of every service, sorted.
func Services() []string { return slices.Clone(load().services) }

// Version returns the version of the source the catalogue was generated from.
func Version() string { return load().version }

// Lookup finds an action by "service:name", without regard to case as IAM does. It
// allocates nothing for names up to 128 bytes.
func Lookup(action string) (Action, bool) {
	c := load()
	var buf [128]byte
	key := appendLower(buf[:0], action)
	i, ok := c.index[string(key)]
	if !ok {
		return Action{}, false
	}
	return c.actions[i], true
}

// Match returns the actions, sorted as Actions sorts them, whose "service:name" matches a
// policy's action pattern: "*" matches any run of characters and "?" any one character,
// without regard to case ("s3:Get*", "ec2:*Instance?", "*").
func Match(pattern string) []Action {
	c := load()
	p := string(appendLower(nil, pattern))
	// Actions sharing the pattern's literal prefix are one run of the sorted keys.
	prefix := p
	if i := strings.IndexAny(p, "*?"); i >= 0 {
		prefix = p[:i]
	}
	lo, _ := slices.BinarySearch(c.keys, prefix)
	var out []Action
	for i := lo; i < len(c.keys) && strings.HasPrefix(c.keys[i], prefix); i++ {
		if policy.MatchAction(p, c.keys[i]) {
			out = append(out, c.actions[i])
		}
	}
	return out
}

// appendLower appends s lower-cased in ASCII: IAM compares action names without case, and
// every service prefix and action name is ASCII.
func appendLower(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		b := s[i]
		if 'A' <= b && b <= 'Z' {
			b += 'a' - 'A'
		}
		dst = append(dst, b)
	}
	return dst
}

// parse reads the gzipped line format that ./gen writes (see its doc comment).
func parse(gz []byte) (*catalogue, error) {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, err
	}
	// One string for the whole text, sized by the gzip trailer's ISIZE: every name and key
	// below is a substring of it.
	var sb strings.Builder
	if len(gz) >= 4 {
		sb.Grow(int(binary.LittleEndian.Uint32(gz[len(gz)-4:])))
	}
	if _, err := io.Copy(&sb, zr); err != nil {
		return nil, err
	}
	rest := sb.String()
	header, rest, _ := strings.Cut(rest, "\n")
	version, ok := strings.CutPrefix(header, "orgd-catalog 1\t")
	if !ok {
		return nil, fmt.Errorf("header %q: not format 1", header)
	}
	n := strings.Count(rest, "\na\t") + 1
	c := &catalogue{version: version, index: make(map[string]int, n),
		actions: make([]Action, 0, n), keys: make([]string, 0, n)}
	var service string
	rtypes := map[string]ResourceType{}
	for line := 2; rest != ""; line++ {
		var text string
		text, rest, _ = strings.Cut(rest, "\n")
		f := strings.Split(text, "\t")
		switch {
		case f[0] == "s" && len(f) == 2:
			service = f[1]
			c.services = append(c.services, service)
			clear(rtypes)
		case f[0] == "r" && len(f) == 4 && service != "":
			rtypes[f[1]] = ResourceType{Name: f[1], ARN: f[2], ResourceKeys: splitKeys(f[3])}
		case f[0] == "a" && len(f) >= 4 && service != "":
			a := Action{Service: service, Name: f[1], Access: f[2], ConditionKeys: splitKeys(f[3])}
			for _, field := range f[4:] {
				name, flagKeys, _ := strings.Cut(field, "|")
				req, keys, ok := strings.Cut(flagKeys, "|")
				rt, known := rtypes[name]
				if !ok || !known || (req != "0" && req != "1") {
					return nil, fmt.Errorf("line %d: resource %q", line, field)
				}
				rt.Required = req == "1"
				rt.ConditionKeys = splitKeys(keys)
				a.ResourceTypes = append(a.ResourceTypes, rt)
			}
			key := strings.ToLower(a.String())
			if _, dup := c.index[key]; dup {
				return nil, fmt.Errorf("line %d: %s twice", line, a)
			}
			c.index[key] = len(c.actions)
			c.actions = append(c.actions, a)
			c.keys = append(c.keys, key)
		default:
			return nil, fmt.Errorf("line %d: unexpected %q", line, text)
		}
	}
	if len(c.actions) == 0 {
		return nil, fmt.Errorf("no action")
	}
	// The generator sorts each service's actions, but "s3-outposts:" sorts before "s3:", so
	// the whole list is sorted here once more.
	order := make([]int, len(c.actions))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return strings.Compare(c.keys[a], c.keys[b]) })
	actions, keys := make([]Action, len(order)), make([]string, len(order))
	for i, j := range order {
		actions[i], keys[i] = c.actions[j], c.keys[j]
		c.index[keys[i]] = i
	}
	c.actions, c.keys = actions, keys
	return c, nil
}

// splitKeys splits a comma-separated list of condition keys; an empty field is no key.
func splitKeys(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}
