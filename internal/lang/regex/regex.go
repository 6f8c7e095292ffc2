package regex

import (
	"fmt"
	"sync"
)

// Regexp is a compiled regular expression. It is safe for concurrent use.
type Regexp struct {
	expr    string
	prog    program
	nGroups int // capture groups, not counting the whole match
	nSlot   int // states with a memo slot
	nRepeat int
	noMemo  bool      // tests: run libstdc++'s plain backtracking
	pool    sync.Pool // *machine
}

// program is the reachable part of the automaton, renumbered so that the
// start state is 0.
type program struct {
	states []state
	sets   []byteSet
	slot   []int32 // per state: its memo slot, or -1
	caps   []int   // prototype of the capture vector: 2 per subexpression

	// A match can start only with a byte of first, unless the pattern
	// is nullable (may match without consuming anything).
	first    byteSet
	nullable bool
	// firstByte is the only byte of first, or -1.
	firstByte int
}

// Group is one capture group of a match. OK is false for a group that did
// not take part in the match (Nix's null).
type Group struct {
	S  string
	OK bool
}

// Match is one match found by FindAll: the bytes [Start, End) of the
// subject, and the capture groups (group 1 first).
type Match struct {
	Start, End int
	Groups     []Group
}

// Compile parses a POSIX extended regular expression as libstdc++ does
// for std::regex::extended. A syntax error wraps ErrInvalid; an
// automaton over libstdc++'s size limit wraps ErrMemoryLimit.
func Compile(re string) (*Regexp, error) {
	c, err := compile(re)
	if err != nil {
		return nil, fmt.Errorf("regex %q: %w", re, err)
	}
	r := &Regexp{expr: re, nGroups: int(c.subCount) - 1}
	r.prog = link(c)
	for i := range r.prog.states {
		if r.prog.states[i].op == opRepeat {
			r.nRepeat++
		}
		if r.prog.slot[i] >= 0 {
			r.nSlot++
		}
	}
	return r, nil
}

// link keeps the states reachable from the start, renumbers them in
// depth-first order (alt before next, which is roughly the order the
// executor visits them) and numbers the repeats and the matchers.
func link(c *compiler) program {
	old := c.states
	newID := make([]int32, len(old))
	for i := range newID {
		newID[i] = noState
	}
	var order []int32
	stack := []int32{0}
	for len(stack) > 0 {
		u := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if u < 0 || newID[u] != noState {
			continue
		}
		newID[u] = int32(len(order))
		order = append(order, u)
		st := &old[u]
		if st.next >= 0 {
			stack = append(stack, st.next)
		}
		if st.hasAlt() && st.alt >= 0 {
			stack = append(stack, st.alt)
		}
	}
	p := program{
		states: make([]state, len(order)),
		sets:   c.sets,
		slot:   make([]int32, len(order)),
		caps:   make([]int, 2*c.subCount),
	}
	var nRep int32
	memoized := make([]bool, len(order))
	for i, u := range order {
		st := old[u]
		if st.next >= 0 {
			st.next = newID[st.next]
		}
		if st.hasAlt() && st.alt >= 0 {
			st.alt = newID[st.alt]
		}
		switch st.op {
		case opRepeat:
			st.arg = nRep
			nRep++
			memoized[i] = true
		case opAlternative:
			memoized[i] = true
		}
		p.states[i] = st
	}
	// The states entered right after a byte is consumed.
	for _, st := range p.states {
		switch st.op {
		case opChar, opSet, opAny:
			if st.next >= 0 {
				memoized[st.next] = true
			}
		}
	}
	var nSlot int32
	for i := range p.slot {
		p.slot[i] = -1
		if memoized[i] {
			p.slot[i] = nSlot
			nSlot++
		}
	}
	p.startSets()
	return p
}

// startSets computes first and nullable, following every epsilon edge
// from the start (taking the anchors as passable).
func (p *program) startSets() {
	seen := make([]bool, len(p.states))
	stack := []int32{0}
	for len(stack) > 0 {
		u := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if u < 0 || seen[u] {
			continue
		}
		seen[u] = true
		switch st := p.states[u]; st.op {
		case opChar:
			p.first.add(byte(st.arg))
		case opSet:
			p.first.union(&p.sets[st.arg])
		case opAny:
			for b := 1; b < 256; b++ {
				p.first.add(byte(b))
			}
		case opAccept:
			p.nullable = true
		case opAlternative, opRepeat:
			stack = append(stack, st.next, st.alt)
		default:
			stack = append(stack, st.next)
		}
	}
	p.firstByte = -1
	n := 0
	for b := 0; b < 256; b++ {
		if p.first.has(byte(b)) {
			n++
			p.firstByte = b
		}
	}
	if n != 1 {
		p.firstByte = -1
	}
}

// String returns the source text of the regular expression.
func (r *Regexp) String() string { return r.expr }

// NumGroups returns the number of capture groups.
func (r *Regexp) NumGroups() int { return r.nGroups }

func (r *Regexp) get(s string) *machine {
	m, _ := r.pool.Get().(*machine)
	if m == nil {
		m = &machine{re: r}
	}
	m.reset(s)
	return m
}

func (r *Regexp) put(m *machine) {
	m.s = ""
	if len(m.memo) > 1<<20 { // do not keep big memos alive
		m.memo = nil
	}
	r.pool.Put(m)
}

func (m *machine) groups() []Group {
	n := len(m.results)/2 - 1
	if n == 0 {
		return nil
	}
	g := make([]Group, n)
	for i := range g {
		a, b := m.results[2*i+2], m.results[2*i+3]
		if b >= 0 {
			g[i] = Group{S: m.s[a:b], OK: true}
		}
	}
	return g
}

// Match reports whether r matches the whole of s (std::regex_match), and
// if so returns the capture groups (group 1 first).
func (r *Regexp) Match(s string) (groups []Group, matched bool) {
	m := r.get(s)
	defer r.put(m)
	if !m.match() {
		return nil, false
	}
	return m.groups(), true
}

// FindAll returns the successive matches of r in s as libstdc++'s
// std::regex_iterator produces them, which is what builtins.split walks:
// after an empty match it first looks for a non-empty match at the same
// place, then searches from the next byte.
func (r *Regexp) FindAll(s string) []Match {
	m := r.get(s)
	defer r.put(m)
	var out []Match
	var fl flags
	ok := m.search(0, fl)
	for ok {
		start, end := m.results[0], m.results[1]
		out = append(out, Match{Start: start, End: end, Groups: m.groups()})
		next := end
		if start == end {
			if next == len(s) {
				break
			}
			if m.search(next, fl|flagNotNull|flagContinuous) {
				continue
			}
			next++
		}
		fl |= flagPrevAvail
		ok = m.search(next, fl)
	}
	return out
}
