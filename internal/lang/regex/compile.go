package regex

// The compiler builds the same automaton as libstdc++'s _Compiler for
// regex::extended: the same states, linked the same way and inserted in
// the same order (so the 100000-state limit trips on the same patterns),
// because the backtracking executor's preferences — and thus which
// submatches Nix reports — follow the shape of that automaton.

// stateLimit is _GLIBCXX_REGEX_STATE_LIMIT.
const stateLimit = 100000

type opcode uint8

const (
	opDummy opcode = iota
	opAlternative
	opRepeat
	opSubexprBegin
	opSubexprEnd
	opLineBegin
	opLineEnd
	opChar // one byte, in arg
	opSet  // a byte set, index in arg
	opAny  // any byte but NUL (POSIX '.')
	opAccept
)

const noState = -1

type state struct {
	op   opcode
	next int32
	alt  int32 // opAlternative, opRepeat: the preferred branch
	arg  int32 // subexpression index, byte, set index or repeat index
}

func (s *state) hasAlt() bool { return s.op == opAlternative || s.op == opRepeat }

// seq is a fragment of the automaton, libstdc++'s _StateSeq.
type seq struct{ start, end int32 }

type compiler struct {
	sc         scanner
	states     []state
	sets       []byteSet
	subCount   int32
	parenStack []int32
	stack      []seq
	value      string // value of the last matched token
	err        error
}

func (c *compiler) fail(code errCode) {
	if c.err == nil {
		c.err = code
	}
}

func (c *compiler) insert(st state) int32 {
	if c.failed() {
		return 0
	}
	c.states = append(c.states, st)
	if len(c.states) > stateLimit {
		c.fail(errSpace)
		return 0
	}
	return int32(len(c.states) - 1)
}

func (c *compiler) insertOp(op opcode) int32 {
	return c.insert(state{op: op, next: noState, alt: noState})
}

func (c *compiler) insertSubexprBegin() int32 {
	id := c.subCount
	c.subCount++
	c.parenStack = append(c.parenStack, id)
	return c.insert(state{op: opSubexprBegin, next: noState, alt: noState, arg: id})
}

func (c *compiler) insertSubexprEnd() int32 {
	var id int32
	if n := len(c.parenStack); n > 0 {
		id = c.parenStack[n-1]
		c.parenStack = c.parenStack[:n-1]
	}
	return c.insert(state{op: opSubexprEnd, next: noState, alt: noState, arg: id})
}

func (c *compiler) insertRepeat(next, alt int32) int32 {
	return c.insert(state{op: opRepeat, next: next, alt: alt})
}

func (c *compiler) appendID(s *seq, id int32) {
	if c.failed() {
		return
	}
	c.states[s.end].next = id
	s.end = id
}

func (c *compiler) appendSeq(s *seq, t seq) {
	if c.failed() {
		return
	}
	c.states[s.end].next = t.start
	s.end = t.end
}

func (c *compiler) push(s seq) { c.stack = append(c.stack, s) }

func (c *compiler) pop() seq {
	n := len(c.stack)
	if n == 0 { // only reachable after an error
		return seq{}
	}
	s := c.stack[n-1]
	c.stack = c.stack[:n-1]
	return s
}

func (c *compiler) matchToken(t token) bool {
	if c.err != nil || c.sc.err != nil {
		return false
	}
	if c.sc.tok == t {
		c.value = c.sc.value
		c.sc.advance()
		return true
	}
	return false
}

// failed reports the first error of the compiler or the scanner.
func (c *compiler) failed() bool { return c.err != nil || c.sc.err != nil }

func compile(re string) (*compiler, error) {
	c := &compiler{sc: scanner{re: re}}
	c.sc.advance()
	r := seq{0, 0}
	c.appendID(&r, c.insertSubexprBegin())
	c.disjunction()
	if !c.matchToken(tokEOF) {
		c.fail(errParen)
	}
	c.appendSeq(&r, c.pop())
	c.appendID(&r, c.insertSubexprEnd())
	c.appendID(&r, c.insertOp(opAccept))
	// Once either fails nothing more is scanned or inserted, so a
	// scanner error, if any, came first (libstdc++ throws at once).
	if c.sc.err != nil {
		return nil, c.sc.err
	}
	if c.err != nil {
		return nil, c.err
	}
	c.eliminateDummy()
	return c, nil
}

func (c *compiler) disjunction() {
	c.alternative()
	for c.matchToken(tokOr) {
		alt1 := c.pop()
		c.alternative()
		alt2 := c.pop()
		end := c.insertOp(opDummy)
		c.appendID(&alt1, end)
		c.appendID(&alt2, end)
		// The left alternative is the preferred branch (alt).
		id := c.insert(state{op: opAlternative, next: alt2.start, alt: alt1.start})
		c.push(seq{id, end})
		if c.failed() {
			return
		}
	}
}

func (c *compiler) alternative() {
	// Iterative form of libstdc++'s right-recursive _M_alternative: terms
	// are concatenated left to right, an empty alternative is a dummy.
	var terms []seq
	for !c.failed() && c.term() {
		terms = append(terms, c.pop())
	}
	d := c.insertOp(opDummy)
	r := seq{d, d}
	// libstdc++ appends the trailing dummy of the innermost recursion
	// first, then each term in front of what follows it.
	for i := len(terms) - 1; i >= 0; i-- {
		t := terms[i]
		c.appendSeq(&t, r)
		r = t
	}
	c.push(r)
}

func (c *compiler) term() bool {
	if c.assertion() {
		return true
	}
	if c.atom() {
		for c.quantifier() {
		}
		return true
	}
	return false
}

func (c *compiler) assertion() bool {
	switch {
	case c.matchToken(tokLineBegin):
		c.push(single(c.insertOp(opLineBegin)))
	case c.matchToken(tokLineEnd):
		c.push(single(c.insertOp(opLineEnd)))
	default:
		return false
	}
	return true
}

func single(id int32) seq { return seq{id, id} }

func (c *compiler) quantifier() bool {
	switch {
	case c.matchToken(tokClosure0):
		if len(c.stack) == 0 {
			c.fail(errBadRepeat)
			return false
		}
		e := c.pop()
		r := single(c.insertRepeat(noState, e.start))
		c.appendSeq(&e, r)
		c.push(r)
	case c.matchToken(tokClosure1):
		if len(c.stack) == 0 {
			c.fail(errBadRepeat)
			return false
		}
		e := c.pop()
		c.appendID(&e, c.insertRepeat(noState, e.start))
		c.push(e)
	case c.matchToken(tokOpt):
		if len(c.stack) == 0 {
			c.fail(errBadRepeat)
			return false
		}
		e := c.pop()
		end := c.insertOp(opDummy)
		r := single(c.insertRepeat(noState, e.start))
		c.appendID(&e, end)
		c.appendID(&r, end)
		c.push(r)
	case c.matchToken(tokIntervalBegin):
		c.interval()
	default:
		return false
	}
	return !c.failed()
}

// intValue is _M_cur_int_value: a long accumulator (wrapping) returned as
// an int, so "a{4294967297}" means "a{1}".
func intValue(digits string) int64 {
	var v int64
	for i := 0; i < len(digits); i++ {
		v = v*10 + int64(digits[i]-'0')
	}
	return int64(int32(v))
}

func (c *compiler) interval() {
	if len(c.stack) == 0 {
		c.fail(errBadRepeat)
		return
	}
	if !c.matchToken(tokDupCount) {
		c.fail(errBadBrace)
		return
	}
	r := c.pop()
	e := single(c.insertOp(opDummy))
	minRep := intValue(c.value)
	infinite := false
	var n int64
	if c.matchToken(tokComma) {
		if c.matchToken(tokDupCount) {
			n = intValue(c.value) - minRep
		} else {
			infinite = true
		}
	}
	if !c.matchToken(tokIntervalEnd) {
		c.fail(errBrace)
		return
	}
	for i := int64(0); i < minRep && !c.failed(); i++ {
		c.appendSeq(&e, c.clone(r))
	}
	if infinite {
		tmp := c.clone(r)
		s := single(c.insertRepeat(noState, tmp.start))
		c.appendSeq(&tmp, s)
		c.appendSeq(&e, s)
	} else {
		if n < 0 {
			c.fail(errBadBrace)
			return
		}
		end := c.insertOp(opDummy)
		var alts []int32
		for i := int64(0); i < n && !c.failed(); i++ {
			tmp := c.clone(r)
			// Built as (next: body, alt: skip) and swapped below, so the
			// body is the preferred branch.
			alt := c.insertRepeat(tmp.start, end)
			alts = append(alts, alt)
			c.appendSeq(&e, seq{alt, tmp.end})
		}
		c.appendID(&e, end)
		if c.failed() {
			return
		}
		for _, a := range alts {
			st := &c.states[a]
			st.next, st.alt = st.alt, st.next
		}
	}
	c.push(e)
}

// clone copies the states of s reachable from its start (following alt
// links everywhere and next links except from its end), as _M_clone does.
func (c *compiler) clone(s seq) seq {
	if c.failed() {
		return seq{}
	}
	m := make(map[int32]int32)
	stack := []int32{s.start}
	for len(stack) > 0 {
		u := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		// A state pushed twice before being popped is copied twice, the
		// later copy winning (the earlier one stays unused), as in
		// libstdc++; it matters only for the state count.
		dup := c.states[u]
		id := c.insert(dup)
		if c.failed() {
			return seq{}
		}
		m[u] = id
		if dup.hasAlt() && dup.alt != noState {
			if _, ok := m[dup.alt]; !ok {
				stack = append(stack, dup.alt)
			}
		}
		if u == s.end {
			continue
		}
		if dup.next != noState {
			if _, ok := m[dup.next]; !ok {
				stack = append(stack, dup.next)
			}
		}
	}
	for _, v := range m {
		st := &c.states[v]
		if st.next != noState {
			st.next = m[st.next]
		}
		if st.hasAlt() && st.alt != noState {
			st.alt = m[st.alt]
		}
	}
	return seq{m[s.start], m[s.end]}
}

func (c *compiler) eliminateDummy() {
	for i := range c.states {
		st := &c.states[i]
		for st.next >= 0 && c.states[st.next].op == opDummy {
			st.next = c.states[st.next].next
		}
		if st.hasAlt() {
			for st.alt >= 0 && c.states[st.alt].op == opDummy {
				st.alt = c.states[st.alt].next
			}
		}
	}
}

func (c *compiler) atom() bool {
	switch {
	case c.matchToken(tokAnyChar):
		c.push(single(c.insertOp(opAny)))
	case c.matchToken(tokOrdChar):
		c.push(single(c.insert(state{op: opChar, next: noState, alt: noState, arg: int32(c.value[0])})))
	case c.matchToken(tokSubexprBegin):
		r := single(c.insertSubexprBegin())
		c.disjunction()
		if !c.matchToken(tokSubexprEnd) {
			c.fail(errParen)
			return false
		}
		c.appendSeq(&r, c.pop())
		c.appendID(&r, c.insertSubexprEnd())
		c.push(r)
	default:
		return c.bracketExpression()
	}
	return true
}
