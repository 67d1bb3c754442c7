package sqlite

import (
	"slices"
	"sync"

	"github.com/orgd/orgd/internal/org"
)

// cache keeps the rows nearly every call reads — accounts, organizations, OUs, handshakes and
// the settings — so that a call reads them from memory instead of through a statement. A View
// that finds all it reads here runs no statement at all (see tx.stmt). It is only sound
// while this Store is the only writer of its database: an in-memory database, or a file
// opened with Options.Exclusive.
//
// Reads must agree with the transaction's snapshot. seq works as a seqlock: a commit that
// changes cached rows makes it odd before COMMIT and even again after it dropped those rows.
// A write transaction is the only writer, so the cache holds its committed state except for
// the rows it changed itself (tx.dirty), which it reads from the database. A read-only
// transaction notes seq around the statement that takes its snapshot; while seq stays at that
// even value, no commit has begun since, and the cache holds the snapshot's rows.
type cache struct {
	mu       sync.Mutex
	seq      uint64
	accounts map[string]org.Account
	orgs     map[string]org.Organization
	ous      map[string]org.OU
	// handshakes hold slices: they go in and out as deep copies (cloneHandshake), since
	// callers own what the store returns.
	handshakes map[string]org.Handshake
	// settings is every setting as one map, nil when not cached. Nothing writes into it once
	// cached: a commit that changes a setting drops it, so read transactions share it.
	settings map[string]string
	// members holds, for each organization loaded whole, the ids of its accounts, and
	// memberOf the organization of each account they hold: ListAccounts pages on them
	// without a statement. Unlike rows, a commit does not drop them but moves the accounts
	// it changed (see endCommit), since loading an organization costs one id per account.
	members  map[string]*idIndex
	memberOf map[string]string
}

func newCache() *cache {
	return &cache{
		accounts:   map[string]org.Account{},
		orgs:       map[string]org.Organization{},
		ous:        map[string]org.OU{},
		handshakes: map[string]org.Handshake{},
		members:    map[string]*idIndex{},
		memberOf:   map[string]string{},
	}
}

// A cached row is named by its kind and id.
type cacheKey struct {
	kind byte
	id   string
}

const (
	kindAccount   byte = 'a'
	kindOrg       byte = 'o'
	kindOU        byte = 'u'
	kindHandshake byte = 'h'
	kindSetting   byte = 's' // every setting: they are cached as one
	// kindAll in a dirty set drops every cached row (Reset, DeleteOUs).
	kindAll byte = '*'
)

func (c *cache) load() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.seq
}

// beginCommit marks a commit of changed rows under way.
func (c *cache) beginCommit() {
	c.mu.Lock()
	c.seq++
	c.mu.Unlock()
}

// endCommit drops the rows the commit changed (whether COMMIT succeeded or not: dropping is
// always safe) and ends the commit. orgOf gives the organization ("" for none) of each
// account the commit changed, as committed; nil means unknown, and drops the members.
func (c *cache) endCommit(dirty map[cacheKey]struct{}, orgOf map[string]string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, all := dirty[cacheKey{kind: kindAll}]; all {
		clear(c.accounts)
		clear(c.orgs)
		clear(c.ous)
		clear(c.handshakes)
		c.settings = nil
		clear(c.members)
		clear(c.memberOf)
	} else if orgOf == nil {
		for k := range dirty {
			if k.kind == kindAccount {
				clear(c.members)
				clear(c.memberOf)
				break
			}
		}
	}
	for id, now := range orgOf {
		was, indexed := c.memberOf[id]
		if indexed && was == now {
			continue
		}
		if indexed {
			c.members[was].remove(id)
			delete(c.memberOf, id)
		}
		if x := c.members[now]; x != nil {
			x.insert(id)
			c.memberOf[id] = now
		}
	}
	for k := range dirty {
		switch k.kind {
		case kindAccount:
			delete(c.accounts, k.id)
		case kindOrg:
			delete(c.orgs, k.id)
		case kindOU:
			delete(c.ous, k.id)
		case kindHandshake:
			delete(c.handshakes, k.id)
		case kindSetting:
			c.settings = nil
		}
	}
	c.seq++
}

// get returns the cached row of map m under key id if the cache is still at seq.
func get[T any](c *cache, seq uint64, m map[string]T, id string) (T, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := m[id]
	if !ok || c.seq != seq {
		var zero T
		return zero, false
	}
	return v, true
}

// hit is get for transaction t, noting that t has read from the cache.
func hit[T any](t *tx, m map[string]T, id string) (T, bool) {
	v, ok := get(t.cache.c, t.cache.seq, m, id)
	t.cache.served = t.cache.served || ok
	return v, ok
}

// settingsAt returns the cached settings if the cache is still at seq and seq is even (no
// commit under way). The map is shared: callers must not change it.
func (c *cache) settingsAt(seq uint64) (map[string]string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.seq != seq || seq%2 != 0 || c.settings == nil {
		return nil, false
	}
	return c.settings, true
}

// putSettings caches the settings read from a snapshot at seq, unless a commit has begun
// since. The cache keeps m: the caller must not change it after.
func (c *cache) putSettings(seq uint64, m map[string]string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.seq == seq && seq%2 == 0 {
		c.settings = m
	}
}

// indexed reports whether any organization's members are loaded: a commit that changed
// accounts must then find their organizations (see Store.runBatch).
func (c *cache) indexed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.members) > 0
}

// membersAfter returns up to n ids (all for n <= 0) of organization orgID's accounts after
// the id after, if the cache is still at seq and holds the organization's members.
func (c *cache) membersAfter(seq uint64, orgID, after string, n int) ([]string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	x := c.members[orgID]
	if x == nil || c.seq != seq {
		return nil, false
	}
	return x.after(make([]string, 0, max(n, 0)), after, n), true
}

// putMembers caches ids (sorted) as organization orgID's accounts, read from a snapshot at
// seq, unless a commit has begun since.
func (c *cache) putMembers(seq uint64, orgID string, ids []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.seq != seq || seq%2 != 0 || c.members[orgID] != nil {
		return
	}
	c.members[orgID] = newIDIndex(ids)
	for _, id := range ids {
		c.memberOf[id] = orgID
	}
}

// put caches a row read from a snapshot at seq, unless a commit has begun since.
func put[T any](c *cache, seq uint64, m map[string]T, id string, v T) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.seq == seq {
		m[id] = v
	}
}

// cached is how a transaction uses the cache: seq is the snapshot's (ok false when none
// applies) and dirty the rows a write transaction changed. served records that a read was
// answered from the cache: a View whose snapshot is taken after that must match it (tx.start).
type cached struct {
	c      *cache
	seq    uint64
	ok     bool
	served bool
	dirty  map[cacheKey]struct{}
}

// usable reports whether the row under key may be read from (and cached for) this
// transaction.
func (t *tx) usable(kind byte, id string) bool {
	if t.cache.c == nil || !t.cache.ok {
		return false
	}
	if t.cache.dirty == nil {
		return true
	}
	_, row := t.cache.dirty[cacheKey{kind, id}]
	_, all := t.cache.dirty[cacheKey{kind: kindAll}]
	return !row && !all
}

// changed records that this transaction wrote the row under key.
func (t *tx) changed(kind byte, id string) {
	if t.cache.c == nil {
		return
	}
	if t.cache.dirty == nil {
		t.cache.dirty = map[cacheKey]struct{}{}
	}
	t.cache.dirty[cacheKey{kind, id}] = struct{}{}
}

// cloneHandshake copies h with its slices, so that the copy shares no memory with h.
func cloneHandshake(h org.Handshake) org.Handshake {
	h.Parties = slices.Clone(h.Parties)
	h.Resources = cloneResources(h.Resources)
	h.Tags = slices.Clone(h.Tags)
	return h
}

func cloneResources(rs []org.Resource) []org.Resource {
	if rs == nil {
		return nil
	}
	out := make([]org.Resource, len(rs))
	for i, r := range rs {
		r.Resources = cloneResources(r.Resources)
		out[i] = r
	}
	return out
}
