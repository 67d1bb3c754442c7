package policy

// Context holds a request's condition keys. AWS compares condition key names
// case-insensitively (including the tag key inside aws:PrincipalTag/K, aws:RequestTag/K and
// aws:ResourceTag/K), so names are folded once, at Set; values keep their case. A request
// carries a few dozen keys at most, for which a scan of a slice beats a map and allocates
// nothing. A Context belongs to one request: it is not safe for concurrent Set.
type Context struct {
	entries []entry
}

type entry struct {
	key    string // folded to lower case
	values []string
}

// NewContext returns an empty context.
func NewContext() *Context { return &Context{} }

// Set gives key the values, replacing any it had. A key set with no values is present with an
// empty set of values (e.g. aws:TagKeys of a request without tags).
func (c *Context) Set(key string, values ...string) {
	k := lowerASCII(key)
	for i := range c.entries {
		if c.entries[i].key == k {
			c.entries[i].values = values
			return
		}
	}
	c.entries = append(c.entries, entry{key: k, values: values})
}

// Get returns key's values; ok is false when the key is absent.
func (c *Context) Get(key string) ([]string, bool) {
	if c == nil {
		return nil, false
	}
	for i := range c.entries {
		if equalFold(c.entries[i].key, key) {
			return c.entries[i].values, true
		}
	}
	return nil, false
}

// lookup is Get for a key already folded at Parse.
func (c *Context) lookup(k string) ([]string, bool) {
	if c == nil {
		return nil, false
	}
	for i := range c.entries {
		if c.entries[i].key == k {
			return c.entries[i].values, true
		}
	}
	return nil, false
}
