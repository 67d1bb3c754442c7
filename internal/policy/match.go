package policy

// Matching without allocation: ASCII case folding, * and ? wildcards, and AWS's ARN matching
// segment by segment.

// lower folds one ASCII byte to lower case. AWS action names and condition keys are ASCII, so
// folding bytes (not runes) is exact for them and allocates nothing.
func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + ('a' - 'A')
	}
	return c
}

// equalFold reports whether a and b are equal under ASCII case folding.
func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if a[i] != b[i] && lower(a[i]) != lower(b[i]) {
			return false
		}
	}
	return true
}

// lowerASCII returns s folded to lower case; done at Parse and Set time, never per decision.
func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				b[j] = lower(b[j])
			}
			return string(b)
		}
	}
	return s
}

// glob is a pattern with the wildcards * (any run of characters, also empty) and ? (any one
// character). lit marks the positions whose * or ? are literal characters (written ${*} and
// ${?} in the policy, or coming from a variable's value); nil means none are.
type glob struct {
	p    string
	lit  []bool
	wild bool // p has an active wildcard
	// The shapes most patterns have, decided without the general loop: "*" matches
	// everything, "prefix*" compares a prefix.
	all    bool
	prefix bool
}

func newGlob(p string, lit []bool) glob {
	g := glob{p: p, lit: lit}
	n := 0 // active wildcards
	for i := 0; i < len(p); i++ {
		if (p[i] == '*' || p[i] == '?') && (lit == nil || !lit[i]) {
			g.wild = true
			n++
		}
	}
	if n == 1 && p[len(p)-1] == '*' && g.active(len(p)-1) {
		g.all = len(p) == 1
		g.prefix = !g.all
	}
	return g
}

func (g *glob) active(i int) bool { return g.lit == nil || !g.lit[i] }

// match reports whether s matches the pattern; fold compares ASCII letters case-insensitively.
// The classic backtracking-on-the-last-star algorithm: linear in practice, no recursion.
func (g *glob) match(s string, fold bool) bool {
	p := g.p
	switch {
	case !g.wild:
		if fold {
			return equalFold(p, s)
		}
		return p == s
	case g.all:
		return true
	case g.prefix:
		n := len(p) - 1
		if len(s) < n {
			return false
		}
		if fold {
			return equalFold(p[:n], s[:n])
		}
		return p[:n] == s[:n]
	}
	pi, si := 0, 0
	star, mark := -1, 0
	for si < len(s) {
		if pi < len(p) {
			c := p[pi]
			switch {
			case c == '*' && g.active(pi):
				star, mark = pi, si
				pi++
				continue
			case c == '?' && g.active(pi):
				pi++
				si++
				continue
			case c == s[si] || (fold && lower(c) == lower(s[si])):
				pi++
				si++
				continue
			}
		}
		if star < 0 {
			return false
		}
		pi = star + 1
		mark++
		si = mark
	}
	for pi < len(p) && p[pi] == '*' && g.active(pi) {
		pi++
	}
	return pi == len(p)
}

// arnSegments splits an ARN into its six colon-separated parts (arn, partition, service,
// region, account, resource); the resource keeps any further colons. ok is false when s is
// not an ARN.
func arnSegments(s string) (seg [6]string, ok bool) {
	if len(s) < 4 || s[:4] != "arn:" {
		return seg, false
	}
	n, start := 0, 0
	for i := 0; i < len(s) && n < 5; i++ {
		if s[i] == ':' {
			seg[n] = s[start:i]
			n++
			start = i + 1
		}
	}
	if n < 5 {
		return seg, false
	}
	seg[5] = s[start:]
	return seg, true
}

// arnPattern matches ARNs as AWS documents for Resource and the Arn* operators: each of the
// six colon-delimited parts is matched on its own, so a * never spans a colon before the
// resource part. A pattern that is not an ARN (e.g. "*") matches the whole string.
type arnPattern struct {
	whole glob
	seg   [6]glob
	isARN bool
}

func newARNPattern(p string, lit []bool) arnPattern {
	a := arnPattern{whole: newGlob(p, lit)}
	if segs, ok := arnSegments(p); ok {
		a.isARN = true
		off := 0
		for i, s := range segs {
			var l []bool
			if lit != nil {
				l = lit[off : off+len(s)]
			}
			a.seg[i] = newGlob(s, l)
			off += len(s) + 1
		}
	}
	return a
}

func (a *arnPattern) match(s string) bool {
	if !a.isARN || !a.whole.wild || a.whole.all {
		return a.whole.match(s, false)
	}
	segs, ok := arnSegments(s)
	if !ok {
		return false
	}
	for i := range segs {
		if !a.seg[i].match(segs[i], false) {
			return false
		}
	}
	return true
}

// MatchAction reports whether action (service:Name) matches an action pattern as an Action
// element reads it: * and ? wildcards, ASCII letters compared case-insensitively. The
// catalogue and the delegation policy's checks match action names the evaluator's way.
func MatchAction(pattern, action string) bool {
	g := newGlob(pattern, nil)
	return g.match(action, true)
}
