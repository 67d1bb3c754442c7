package sqlite

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// An idIndex agrees with a plain sorted slice through random inserts and removals, across
// chunk splits and emptied chunks, on every page.
func TestIDIndex(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	id := func() string { return fmt.Sprintf("%012d", r.IntN(5000)) }
	var want []string
	for range 1500 {
		want = append(want, id())
	}
	slices.Sort(want)
	want = slices.Compact(want)
	x := newIDIndex(slices.Clone(want))
	check := func(step int) {
		t.Helper()
		if got := x.after(nil, "", 0); !slices.Equal(got, want) {
			t.Fatalf("step %d: index holds %d ids, want %d", step, len(got), len(want))
		}
		for _, c := range x.chunks {
			if len(c) == 0 || len(c) > idChunk {
				t.Fatalf("step %d: chunk of %d ids", step, len(c))
			}
		}
		for range 5 {
			after, n := id(), r.IntN(30)
			i, found := slices.BinarySearch(want, after)
			if found {
				i++
			}
			page := want[i:]
			if n > 0 && len(page) > n {
				page = page[:n]
			}
			if got := x.after(nil, after, n); !slices.Equal(got, page) {
				t.Fatalf("step %d: after(%s, %d) = %v, want %v", step, after, n, got, page)
			}
		}
	}
	check(0)
	for step := 1; step <= 20000; step++ {
		v := id()
		i, found := slices.BinarySearch(want, v)
		// Grow for the first half (splits), shrink for the second (emptied chunks).
		if r.IntN(20000) > step {
			x.insert(v)
			if !found {
				want = slices.Insert(want, i, v)
			}
		} else {
			x.remove(v)
			if found {
				want = slices.Delete(want, i, i+1)
			}
		}
		if step%500 == 0 {
			check(step)
		}
	}
	check(-1)
}
