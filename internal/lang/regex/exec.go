package regex

import "strings"

// The executor reproduces libstdc++'s depth-first _Executor in POSIX mode:
//
//   - an alternative explores both branches, left first;
//   - a (greedy) repeat explores "once more" first and its exit only if
//     that found no solution at all;
//   - a repeat re-entered at the position where its current iteration
//     started (an empty iteration) is taken at most once more;
//   - an accepted solution replaces the recorded one only if it ends
//     strictly further, so the first-found longest solution supplies the
//     submatches.
//
// The recursion is an explicit stack. Because an ERE has no
// backreferences, captures never steer the search, and what a subtree
// finds depends only on its state and position — provided no repeat is in
// the middle of an iteration that started at this very position (its
// empty-iteration counter would then matter). The subtree's solutions
// also never beat those already recorded when it is explored again. So at
// branch points and after each consumed byte, when no repeat is "active"
// at the current position, the executor remembers per (state, position)
// whether the subtree had a solution and does not explore it twice: the
// answers are libstdc++'s, without most of its exponential blow-ups.
// Entries survive from one start position of a search to the next (those
// attempts found nothing), except at the new start itself, where "^" and
// match_not_null read differently.

type flags uint8

const (
	flagNotNull    flags = 1 << iota // match_not_null
	flagContinuous                   // match_continuous
	flagPrevAvail                    // match_prev_avail
)

type frameKind uint8

const (
	frRepRestore frameKind = iota // restore repeat a's counter to (b, c), then maybe take its exit
	frCapRestore                  // caps[a] = b
	frMatchDone                   // step back one byte; active = b
	frMemoDone                    // record memo[b]
	frAltSecond                   // first branch of alternative a done
	frAltJoin                     // second branch done; b != 0 if the first had a solution
)

type frame struct {
	kind frameKind
	a    int32
	b, c int
}

type repCount struct{ pos, count int }

type machine struct {
	re    *Regexp
	s     string
	begin int
	cur   int
	exact bool
	flags flags

	hasSol  bool
	done    bool // a solution ending at len(s) was recorded: nothing can beat it
	solPos  int
	caps    []int // 2 per subexpression: start, end (-1: unset)
	results []int
	rep     []repCount
	stack   []frame

	// active counts the repeats whose current iteration started at cur.
	active int

	// memo[pos*re.nSlot+k] for the state with memo slot k at pos:
	// 0 unexplored, 1 no solution, 2 solution. Positions lo..hi are dirty.
	memo       []uint8
	memoLo     int
	memoHi     int
	memoActive bool
}

// memoLimit bounds the memo (bytes); longer subjects run without it.
const memoLimit = 1 << 26

func (m *machine) reset(s string) {
	m.s = s
	n := len(m.re.prog.caps)
	if cap(m.caps) < n {
		m.caps = make([]int, n)
		m.results = make([]int, n)
	}
	m.caps = m.caps[:n]
	m.results = m.results[:n]
	if cap(m.rep) < m.re.nRepeat {
		m.rep = make([]repCount, m.re.nRepeat)
	}
	m.rep = m.rep[:m.re.nRepeat]
	size := (len(s) + 1) * m.re.nSlot
	m.memoActive = size <= memoLimit && !m.re.noMemo
	if m.memoActive && len(m.memo) < size {
		m.memo = make([]uint8, size)
	}
	m.memoLo, m.memoHi = len(s)+1, -1
	m.stack = m.stack[:0]
}

// clearMemo forgets what the last search learnt; only the positions it
// touched are dirty.
func (m *machine) clearMemo() {
	if m.memoHi >= m.memoLo {
		k := m.re.nSlot
		clear(m.memo[m.memoLo*k : (m.memoHi+1)*k])
	}
	m.memoLo, m.memoHi = len(m.s)+1, -1
}

// match is regex_match: the whole subject.
func (m *machine) match() bool {
	m.begin, m.flags, m.exact = 0, 0, true
	if !m.canStart(0) {
		return false
	}
	ok := m.run()
	m.clearMemo()
	return ok
}

// canStart reports whether a match may start at pos; a run from a start
// where none can would explore and find nothing.
func (m *machine) canStart(pos int) bool {
	p := &m.re.prog
	return p.nullable || pos < len(m.s) && p.first.has(m.s[pos])
}

// nextStart returns the first position from pos on where a match may
// start, or len(s).
func (m *machine) nextStart(pos int) int {
	p := &m.re.prog
	if p.nullable {
		return pos
	}
	if p.firstByte >= 0 {
		if i := strings.IndexByte(m.s[pos:], byte(p.firstByte)); i >= 0 {
			return pos + i
		}
		return len(m.s)
	}
	for pos < len(m.s) && !p.first.has(m.s[pos]) {
		pos++
	}
	return pos
}

// search is regex_search on s[start:] (positions stay absolute).
func (m *machine) search(start int, fl flags) bool {
	m.exact = false
	m.flags = fl
	m.begin = start
	defer m.clearMemo()
	if m.canStart(start) && m.run() {
		return true
	}
	if fl&flagContinuous != 0 {
		return false
	}
	m.flags |= flagPrevAvail
	for m.begin < len(m.s) {
		m.begin = m.nextStart(m.begin + 1)
		if m.canStart(m.begin) && m.run() {
			return true
		}
	}
	return false
}

// run is _M_main in DFS mode from m.begin.
func (m *machine) run() bool {
	m.cur = m.begin
	m.active = 0
	if m.memoActive && m.begin >= m.memoLo && m.begin <= m.memoHi {
		k := m.re.nSlot
		clear(m.memo[m.begin*k : (m.begin+1)*k])
	}
	m.hasSol, m.done, m.solPos = false, false, -1
	for i := range m.caps {
		m.caps[i] = -1
	}
	clear(m.rep)
	m.stack = m.stack[:0]
	m.loop(0)
	return m.hasSol
}

func (m *machine) push(f frame) { m.stack = append(m.stack, f) }

// loop explores from state u. Each step either continues with the next
// state to explore (the last thing the recursive version would do) or,
// at a dead end, pops the innermost pending continuation.
func (m *machine) loop(u int32) {
	states := m.re.prog.states
	for !m.done {
		if u >= 0 {
			u = m.visit(&states[u], u)
			continue
		}
		n := len(m.stack)
		if n == 0 {
			return
		}
		f := m.stack[n-1]
		m.stack = m.stack[:n-1]
		switch f.kind {
		case frRepRestore:
			st := &states[f.a]
			if rc := &m.rep[st.arg]; rc.count == 1 {
				m.active-- // the iteration that started here is over
			}
			m.rep[st.arg] = repCount{f.b, f.c}
			if !m.hasSol {
				u = st.next
			}
		case frCapRestore:
			m.caps[f.a] = f.b
		case frMatchDone:
			m.cur--
			m.active = f.b
		case frMemoDone:
			v := uint8(1)
			if m.hasSol {
				v = 2
			}
			m.memo[f.b] = v
		case frAltSecond:
			h := 0
			if m.hasSol {
				h = 1
			}
			m.hasSol = false
			m.push(frame{kind: frAltJoin, b: h})
			u = states[f.a].next
		case frAltJoin:
			m.hasSol = m.hasSol || f.b != 0
		}
	}
}

// visit explores state id at m.cur and returns the state to explore next
// (-1 for none), having pushed what must happen after it.
func (m *machine) visit(st *state, id int32) int32 {
	if m.active == 0 && m.memoActive {
		if slot := m.re.prog.slot[id]; slot >= 0 {
			k := m.cur*m.re.nSlot + int(slot)
			switch m.memo[k] {
			case 1:
				return -1
			case 2:
				m.hasSol = true
				return -1
			}
			m.memoLo = min(m.memoLo, m.cur)
			m.memoHi = max(m.memoHi, m.cur)
			m.push(frame{kind: frMemoDone, b: k})
		}
	}
	switch st.op {
	case opChar, opSet, opAny:
		if m.cur == len(m.s) {
			return -1
		}
		b := m.s[m.cur]
		switch st.op {
		case opChar:
			if b != byte(st.arg) {
				return -1
			}
		case opSet:
			if !m.re.prog.sets[st.arg].has(b) {
				return -1
			}
		default:
			if b == 0 {
				return -1
			}
		}
		m.push(frame{kind: frMatchDone, b: m.active})
		m.cur++
		m.active = 0
		return st.next
	case opRepeat:
		rc := &m.rep[st.arg]
		switch {
		case rc.count == 0 || rc.pos != m.cur:
			m.push(frame{kind: frRepRestore, a: id, b: rc.pos, c: rc.count})
			*rc = repCount{m.cur, 1}
			m.active++
			return st.alt
		case rc.count < 2:
			m.push(frame{kind: frRepRestore, a: id, b: rc.pos, c: rc.count})
			rc.count++
			return st.alt
		case !m.hasSol:
			return st.next
		}
	case opAlternative:
		m.push(frame{kind: frAltSecond, a: id})
		return st.alt
	case opSubexprBegin:
		i := 2 * st.arg
		m.push(frame{kind: frCapRestore, a: i, b: m.caps[i]})
		m.caps[i] = m.cur
		return st.next
	case opSubexprEnd:
		i := 2*st.arg + 1
		m.push(frame{kind: frCapRestore, a: i, b: m.caps[i]})
		m.caps[i] = m.cur
		return st.next
	case opLineBegin:
		if m.cur == m.begin && m.flags&flagPrevAvail == 0 {
			return st.next
		}
	case opLineEnd:
		if m.cur == len(m.s) {
			return st.next
		}
	case opAccept:
		sol := !m.exact || m.cur == len(m.s)
		if m.cur == m.begin && m.flags&flagNotNull != 0 {
			sol = false
		}
		if sol {
			m.hasSol = true
			if m.solPos < 0 || m.solPos < m.cur {
				m.solPos = m.cur
				copy(m.results, m.caps)
				if m.cur == len(m.s) {
					m.done = true
				}
			}
		}
	}
	return -1
}
