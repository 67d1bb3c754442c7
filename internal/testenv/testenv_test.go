package testenv

import (
	"testing"
)

// fakeTB records what Require does with a test; Skip and Fatal end the goroutine as the
// real ones do.
type fakeTB struct {
	testing.TB
	skipped, failed bool
}

func (f *fakeTB) Helper() {}
func (f *fakeTB) Skipf(string, ...any) {
	f.skipped = true
	panic(f)
}
func (f *fakeTB) Fatalf(string, ...any) {
	f.failed = true
	panic(f)
}

func require(ok bool) *fakeTB {
	f := &fakeTB{}
	func() {
		defer func() {
			if p := recover(); p != nil && p != f {
				panic(p)
			}
		}()
		Require(f, "something", ok)
	}()
	return f
}

func TestRequire(t *testing.T) {
	for _, c := range []struct {
		ci                  string
		ok, skipped, failed bool
	}{
		{"", true, false, false},
		{"true", true, false, false},
		{"", false, true, false},
		{"false", false, true, false},
		{"yes-ish", false, true, false},
		{"true", false, false, true},
		{"1", false, false, true},
	} {
		t.Setenv(EnvCI, c.ci)
		f := require(c.ok)
		if f.skipped != c.skipped || f.failed != c.failed {
			t.Errorf("CI=%q, ok %v: skipped %v, failed %v; want skipped %v, failed %v",
				c.ci, c.ok, f.skipped, f.failed, c.skipped, c.failed)
		}
	}
}
