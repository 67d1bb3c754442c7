package sqlite

import (
	"slices"
	"sort"
)

// idChunk bounds the ids one chunk of an idIndex holds: an insert or a removal moves at most
// this many, and a page finds its first id with two binary searches.
const idChunk = 512

// idIndex is a sorted set of ids in chunks of at most idChunk, each sorted and non-empty,
// the chunks in order. A sorted slice of 100,000 ids would move 1.6 MB on every insert.
type idIndex struct {
	chunks [][]string
}

// newIDIndex indexes ids, which must be sorted and distinct.
func newIDIndex(ids []string) *idIndex {
	x := &idIndex{}
	for len(ids) > 0 {
		n := min(len(ids), idChunk/2) // room to grow before the first split
		x.chunks = append(x.chunks, slices.Clip(ids[:n]))
		ids = ids[n:]
	}
	return x
}

// chunk returns the index of the chunk where id is or belongs: the last one whose first id
// is not after id, or 0.
func (x *idIndex) chunk(id string) int {
	i := sort.Search(len(x.chunks), func(i int) bool { return x.chunks[i][0] > id })
	return max(i-1, 0)
}

// after appends to out up to n ids greater than after, in order; n <= 0 means all.
func (x *idIndex) after(out []string, after string, n int) []string {
	if len(x.chunks) == 0 {
		return out
	}
	for ci := x.chunk(after); ci < len(x.chunks); ci++ {
		c := x.chunks[ci]
		i, found := slices.BinarySearch(c, after)
		if found {
			i++
		}
		for _, id := range c[i:] {
			if n > 0 && len(out) >= n {
				return out
			}
			out = append(out, id)
		}
	}
	return out
}

func (x *idIndex) insert(id string) {
	if len(x.chunks) == 0 {
		x.chunks = [][]string{{id}}
		return
	}
	ci := x.chunk(id)
	c := x.chunks[ci]
	i, found := slices.BinarySearch(c, id)
	if found {
		return
	}
	c = slices.Insert(c, i, id)
	if len(c) <= idChunk {
		x.chunks[ci] = c
		return
	}
	half := len(c) / 2
	x.chunks[ci] = slices.Clip(c[:half])
	x.chunks = slices.Insert(x.chunks, ci+1, slices.Clone(c[half:]))
}

func (x *idIndex) remove(id string) {
	if len(x.chunks) == 0 {
		return
	}
	ci := x.chunk(id)
	c := x.chunks[ci]
	i, found := slices.BinarySearch(c, id)
	if !found {
		return
	}
	if len(c) == 1 {
		x.chunks = slices.Delete(x.chunks, ci, ci+1)
		return
	}
	x.chunks[ci] = slices.Delete(c, i, i+1)
}
