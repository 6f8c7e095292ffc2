package build

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"sync"

	"gonix/internal/format/derivation"
	"gonix/internal/store/local"
	"gonix/internal/store/subst"
)

// Scheduler realises derivations: it substitutes what the substituters
// have and builds every other derivation of a closure whose outputs are
// not valid yet, in dependency order, up to MaxJobs builds and SubstJobs
// downloads at once, locking each path so that two processes never build
// or copy the same path (the second waits and reuses the result).
type Scheduler struct {
	Store  *local.Store
	Runner Runner
	// Prepare and Finish turn a derivation into a Job and register its
	// outputs after a successful run (PrepareJob and FinishBuild).
	Prepare func(ctx context.Context, drvPath string, drv *derivation.Derivation) (*Job, func(), error)
	Finish  func(ctx context.Context, job *Job) error
	// MaxJobs is how many builders run at once (at least 1).
	MaxJobs int
	// KeepGoing builds everything that does not depend on a failure.
	KeepGoing bool
	// Events receives progress; nil discards it. If it also implements
	// SubstEvents it hears about substitutions.
	Events Events
	// Subst are the substituters; nil or empty: everything is built.
	Subst *subst.Set
	// SubstJobs bounds concurrent substitutions (0: 16). Nix 2.8 runs at
	// most max-jobs of them; copies are I/O-bound, so gonix runs more.
	SubstJobs int
	// Fallback builds a derivation whose substitution failed (--fallback).
	Fallback bool
	// AlwaysAllowSubstitutes ignores allowSubstitutes = false.
	AlwaysAllowSubstitutes bool
	// Check is --check: the requested derivations, whose outputs must be
	// valid already, are built again and their outputs compared with the
	// valid ones (a difference is a *NotDeterministicError). What they
	// depend on is realised as usual, never checked.
	Check bool
}

// Events is what a scheduler reports, in the order things happen.
type Events interface {
	// WillBuild lists the derivations that will be built, dependencies
	// first (Nix's printMissing order).
	WillBuild(drvPaths []string)
	// Started is called when a build starts; its log goes to the writer
	// returned (nil: discarded).
	Started(drvPath string) io.Writer
	// Failed reports a derivation that failed or could not be built.
	Failed(drvPath string, err error)
	// Done reports a derivation whose outputs became valid.
	Done(drvPath string)
}

// SubstEvents is what an Events may also hear about substitutions.
type SubstEvents interface {
	// WillFetch lists the paths that will be substituted, sorted, with
	// the total download and unpacked (NAR) sizes.
	WillFetch(paths []string, downloadSize, narSize uint64)
	// Copying is called when a path starts being copied from a cache.
	Copying(path, from string)
	// Copied reports a path that became valid by substitution, with its
	// NAR size.
	Copied(path string, narSize uint64)
}

// CheckEvents is what an Events may also hear about --check builds.
type CheckEvents interface {
	// CheckStarted is Started for a build that checks valid outputs
	// (Nix's "checking outputs of '…'").
	CheckStarted(drvPath string) io.Writer
}

// UnknownPathsError is returned by RealisePaths when some requested store
// paths are neither valid nor substitutable.
type UnknownPathsError struct{ Paths []string }

func (e *UnknownPathsError) Error() string {
	return fmt.Sprintf("build of '%s' failed", e.Paths[0])
}

type nodeKind uint8

const (
	kindBuild nodeKind = iota // a derivation to build
	kindSubst                 // a derivation whose outputs are substituted
	kindFetch                 // a store path to substitute
)

// node is one derivation, or one path to substitute, of the graph.
type node struct {
	path       string
	kind       nodeKind
	drv        *derivation.Derivation // nil for kindFetch
	invalid    []string               // derivations: outputs not valid yet
	deps       []*node                // what must be done first
	dependents []*node
	waiting    int // deps not finished yet
	needed     bool
	state      nodeState
	err        error
	failedDeps int
	size       uint64 // kindFetch: NAR size
	// kindFetch: position in a references-first order, a channel closed
	// when the node is finished, and one closed (with handed set, under
	// the run's lock) as soon as the copy is handed to the committer or
	// finished: a copy waits on its references' before it is handed over
	// itself, so it is committed in the same group as they are or a later
	// one.
	order  int
	done   chan struct{}
	queued chan struct{}
	handed bool
	// gaveUp: a substitution found no usable substitute (or an incomplete
	// closure) without anything failing; the derivation is then built.
	gaveUp bool
	// retry: a derivation to build in another round (its substitution
	// gave up, or failed with Fallback); dependents wait for that round.
	retry bool
	// check: a requested derivation to build again and compare (--check).
	check bool
}

type nodeState uint8

const (
	pending nodeState = iota
	running
	succeeded
	failed
)

// Failure is the error Realise returns when some derivation could not be
// built. Failed lists the requested derivations that did not succeed, in
// the order they were requested; Err is nil for one that was stopped or
// never started, and for one whose error was already reported through
// Events.Failed (because another derivation was waiting for it), as Nix
// logs a goal's error at once only when other goals wait for it.
type Failure struct {
	Failed []FailedTarget
	// HashMismatch is set when a fixed-output derivation produced another
	// hash (Nix's exit status 102 instead of 100).
	HashMismatch bool
	// NoBuildFailed: no build failed (only substitutions, or checks).
	NoBuildFailed bool
	// CheckMismatch: a --check build differed from the valid outputs.
	CheckMismatch bool
}

// FailedTarget is a requested derivation (or store path) that was not
// realised.
type FailedTarget struct {
	DrvPath string
	Err     error
}

func (f *Failure) Error() string {
	for _, t := range f.Failed {
		if t.Err != nil {
			return t.Err.Error()
		}
	}
	return fmt.Sprintf("%d derivations failed to build", len(f.Failed))
}

// ExitStatus is Nix's status for a failed build (Worker::exitStatus):
// 0x60 with bits for a failed build (4), a fixed-output hash mismatch
// (2, with 4) and a --check difference (8) — 100, 102, 104, 108 — and 1
// when only substitutions failed.
func (f *Failure) ExitStatus() int {
	mask := 0
	if !f.NoBuildFailed || f.HashMismatch {
		mask |= 0x04
	}
	if f.HashMismatch {
		mask |= 0x02
	}
	if f.CheckMismatch {
		mask |= 0x08
	}
	if mask == 0 {
		return 1
	}
	return mask | 0x60
}

// DependencyError is a derivation not built because inputs failed.
type DependencyError struct {
	DrvPath string
	N       int
}

func (e *DependencyError) Error() string {
	return fmt.Sprintf("%d dependencies of derivation '%s' failed to build", e.N, e.DrvPath)
}

// incompleteError is a path not substituted because a path it refers to
// was not (Nix's "some references ... could not be realised").
type incompleteError struct{ path string }

func (e *incompleteError) Error() string {
	return fmt.Sprintf("some references of path '%s' could not be realised", e.path)
}

// checkInvalidError is a --check of a derivation whose outputs are not
// all valid.
type checkInvalidError struct{ drvPath string }

func (e *checkInvalidError) Error() string {
	return fmt.Sprintf("some outputs of '%s' are not valid, so checking is not possible", e.drvPath)
}

// SubstitutionError is a derivation whose outputs could not be
// substituted, without --fallback.
type SubstitutionError struct{ DrvPath string }

func (e *SubstitutionError) Error() string {
	return fmt.Sprintf("some substitutes for the outputs of derivation '%s' failed (usually happens due to networking issues); try '--fallback' to build derivation from source ", e.DrvPath)
}

// Realise makes every output of the given derivations valid, substituting
// or building what is missing. It returns a *Failure naming what failed.
func (s *Scheduler) Realise(ctx context.Context, drvPaths []string) error {
	return s.RealisePaths(ctx, drvPaths, nil)
}

// RealisePaths is Realise for derivations and for plain store paths,
// which must be valid or substitutable (else *UnknownPathsError).
func (s *Scheduler) RealisePaths(ctx context.Context, drvPaths, paths []string) error {
	noSubst := map[string]bool{}
	check := s.checkSet(drvPaths)
	for round := 0; ; round++ {
		p, err := s.plan(ctx, drvPaths, paths, noSubst, check)
		if err != nil {
			return err
		}
		if round == 0 {
			s.announce(p)
		}
		if len(p.unknown) > 0 {
			return &UnknownPathsError{Paths: p.unknown}
		}
		if len(p.toBuild) == 0 && len(p.toFetch) == 0 && p.checks == 0 {
			return nil
		}
		retry, err := s.run(ctx, p, append(append([]string(nil), drvPaths...), paths...))
		// A derivation is checked once, whatever another round does.
		for _, n := range p.nodes {
			if n.check && n.state == succeeded {
				delete(check, n.path)
			}
		}
		if len(retry) == 0 || ctx.Err() != nil {
			return err
		}
		for _, d := range retry {
			noSubst[d] = true
		}
	}
}

// Plan reports what Realise would do (Events.WillBuild and WillFetch)
// without doing it.
func (s *Scheduler) Plan(ctx context.Context, drvPaths []string) error {
	return s.PlanPaths(ctx, drvPaths, nil)
}

// PlanPaths is Plan for derivations and plain store paths; unknown paths
// are an *UnknownPathsError.
func (s *Scheduler) PlanPaths(ctx context.Context, drvPaths, paths []string) error {
	p, err := s.plan(ctx, drvPaths, paths, map[string]bool{}, s.checkSet(drvPaths))
	if err != nil {
		return err
	}
	s.announce(p)
	if len(p.unknown) > 0 {
		return &UnknownPathsError{Paths: p.unknown}
	}
	return nil
}

// checkSet is the set of derivations to check: the requested ones with
// Check, none without.
func (s *Scheduler) checkSet(drvPaths []string) map[string]bool {
	check := map[string]bool{}
	if s.Check {
		for _, d := range drvPaths {
			check[d] = true
		}
	}
	return check
}

func (s *Scheduler) announce(p *plan) {
	if s.Events == nil {
		return
	}
	if len(p.toBuild) > 0 {
		s.Events.WillBuild(p.toBuild)
	}
	if se, ok := s.Events.(SubstEvents); ok && len(p.toFetch) > 0 {
		se.WillFetch(p.toFetch, p.download, p.narSize)
	}
}

// plan is the graph of one round.
type plan struct {
	nodes   map[string]*node // derivations by .drv path
	fetch   map[string]*node // substitutions by store path
	toBuild []string         // dependencies first; not checks of valid outputs
	checks  int              // builds that check valid outputs
	toFetch []string         // sorted
	unknown []string
	// download and narSize total the substitutions' sizes.
	download, narSize uint64
}

// plan loads the derivation graph below drvPaths, as Nix's queryMissing
// does: a derivation whose missing outputs the substituters all have (with
// their closures) is substituted, any other is built and its inputs looked
// at in turn. noSubst names derivations that must be built, check those
// to build again and compare (as Nix, a check of outputs that are not all
// valid fails when it would start).
func (s *Scheduler) plan(ctx context.Context, drvPaths, paths []string, noSubst, check map[string]bool) (*plan, error) {
	useSubst := !s.Subst.Empty()
	validMemo := map[string]bool{}
	isValid := func(p string) (bool, error) {
		if v, ok := validMemo[p]; ok {
			return v, nil
		}
		v, err := s.Store.IsValidPath(ctx, p)
		if err != nil {
			return false, err
		}
		validMemo[p] = v
		return v, nil
	}
	found := map[string]*subst.Found{}
	query := func(ps []string) error {
		if !useSubst || len(ps) == 0 {
			return nil
		}
		f, err := s.Subst.Query(ctx, ps)
		if err != nil {
			return err
		}
		for k, v := range f {
			found[k] = v
		}
		return nil
	}
	for {
		p := &plan{nodes: map[string]*node{}, fetch: map[string]*node{}}
		// Derivations, level by level, each level's outputs queried at once.
		level := append([]string(nil), drvPaths...)
		for len(level) > 0 {
			var loaded []*node
			var ask []string
			candidate := map[*node]bool{}
			for _, dp := range level {
				if _, ok := p.nodes[dp]; ok {
					continue
				}
				drv, err := s.readDerivation(dp)
				if err != nil {
					return nil, err
				}
				n := &node{path: dp, drv: drv, check: check[dp]}
				p.nodes[dp] = n
				known := true
				for _, name := range drv.OutputNames() {
					op := drv.Outputs[name].Path
					if op == "" {
						known = false
						continue
					}
					ok, err := isValid(op)
					if err != nil {
						return nil, err
					}
					if !ok {
						n.invalid = append(n.invalid, op)
					}
				}
				if known && len(n.invalid) == 0 && !n.check {
					n.state = succeeded
					continue
				}
				n.needed = true
				loaded = append(loaded, n)
				if known && len(n.invalid) > 0 && useSubst && !noSubst[dp] && (s.AlwaysAllowSubstitutes || substitutesAllowed(dp, drv)) {
					candidate[n] = true
					for _, op := range n.invalid {
						if _, ok := found[op]; !ok {
							ask = append(ask, op)
						}
					}
				}
			}
			if err := query(ask); err != nil {
				return nil, err
			}
			var next []string
			for _, n := range loaded {
				if candidate[n] && allFound(found, n.invalid) {
					n.kind = kindSubst
					continue
				}
				n.kind = kindBuild
				for in := range n.drv.InputDrvs {
					next = append(next, in)
				}
			}
			sort.Strings(next)
			level = next
		}
		// The closures of what is substituted, level by level.
		var roots []string
		for _, n := range p.nodes {
			if n.kind == kindSubst && n.needed {
				roots = append(roots, n.invalid...)
			}
		}
		for _, op := range paths {
			ok, err := isValid(op)
			if err != nil {
				return nil, err
			}
			if !ok {
				roots = append(roots, op)
			}
		}
		sort.Strings(roots)
		seen := map[string]bool{}
		frontier := roots
		for len(frontier) > 0 {
			var ask, keep []string
			for _, q := range frontier {
				if seen[q] {
					continue
				}
				seen[q] = true
				ok, err := isValid(q)
				if err != nil {
					return nil, err
				}
				if ok {
					continue
				}
				keep = append(keep, q)
				if _, ok := found[q]; !ok {
					ask = append(ask, q)
				}
			}
			if err := query(ask); err != nil {
				return nil, err
			}
			var next []string
			for _, q := range keep {
				if f := found[q]; f != nil {
					next = append(next, f.References()...)
				}
			}
			frontier = next
		}
		// complete: valid, or substitutable with a complete closure.
		complete := map[string]bool{}
		var isComplete func(q string) bool
		isComplete = func(q string) bool {
			if c, ok := complete[q]; ok {
				return c
			}
			if validMemo[q] {
				return true
			}
			f := found[q]
			if f == nil || s.Subst.Rejected(q) {
				complete[q] = false
				return false
			}
			complete[q] = true // references cannot cycle; guards anyway
			for _, r := range f.References() {
				if !isComplete(r) {
					complete[q] = false
					return false
				}
			}
			return true
		}
		replan := false
		for dp, n := range p.nodes {
			if n.kind != kindSubst || !n.needed {
				continue
			}
			for _, op := range n.invalid {
				if !isComplete(op) {
					// Nix: ecIncompleteClosure, then the derivation is built.
					noSubst[dp] = true
					replan = true
				}
			}
		}
		if replan {
			continue
		}
		ordered := 0
		var fetchNode func(q string) *node
		fetchNode = func(q string) *node {
			if validMemo[q] {
				return nil
			}
			if n, ok := p.fetch[q]; ok {
				return n
			}
			f := found[q]
			n := &node{path: q, kind: kindFetch, needed: true, size: f.Info.NarSize, done: make(chan struct{}), queued: make(chan struct{})}
			p.fetch[q] = n
			p.toFetch = append(p.toFetch, q)
			p.download += f.DownloadSize()
			p.narSize += f.Info.NarSize
			for _, r := range f.References() {
				if d := fetchNode(r); d != nil {
					n.deps = append(n.deps, d)
					d.dependents = append(d.dependents, n)
				}
			}
			n.waiting = len(n.deps)
			n.order = ordered // after its references: references first
			ordered++
			return n
		}
		for _, op := range paths {
			if validMemo[op] {
				continue
			}
			if !isComplete(op) {
				p.unknown = append(p.unknown, op)
				continue
			}
			fetchNode(op)
		}
		var builds []string
		for dp, n := range p.nodes {
			if !n.needed {
				continue
			}
			switch n.kind {
			case kindSubst:
				for _, op := range n.invalid {
					if d := fetchNode(op); d != nil {
						n.deps = append(n.deps, d)
						d.dependents = append(d.dependents, n)
					}
				}
			case kindBuild:
				if n.check && len(n.invalid) == 0 {
					p.checks++
				} else {
					builds = append(builds, dp)
				}
				for in := range n.drv.InputDrvs {
					if d := p.nodes[in]; d != nil && d.needed {
						n.deps = append(n.deps, d)
						d.dependents = append(d.dependents, n)
					}
				}
			}
			sortNodes(n.deps)
			n.waiting = len(n.deps)
		}
		sort.Strings(p.toFetch)
		p.toBuild = s.buildOrder(p, builds)
		return p, nil
	}
}

// buildOrder sorts the derivations to build as Nix's printMissing does:
// topologically over the .drv files' references, dependencies first.
func (s *Scheduler) buildOrder(p *plan, builds []string) []string {
	sort.Strings(builds)
	in := map[string]bool{}
	for _, b := range builds {
		in[b] = true
	}
	// Nix's topoSortPaths: a depth-first walk in path order that emits a
	// path after its referrers; reversed, dependencies come first.
	var out []string
	state := map[string]int{}
	var visit func(q string)
	visit = func(q string) {
		if state[q] != 0 {
			return
		}
		state[q] = 1
		refs := make([]string, 0, len(p.nodes[q].drv.InputDrvs))
		for r := range p.nodes[q].drv.InputDrvs {
			if in[r] {
				refs = append(refs, r)
			}
		}
		sort.Strings(refs)
		for _, r := range refs {
			visit(r)
		}
		state[q] = 2
		out = append(out, q)
	}
	for _, b := range builds {
		visit(b)
	}
	return out
}

func allFound(found map[string]*subst.Found, paths []string) bool {
	for _, q := range paths {
		if found[q] == nil {
			return false
		}
	}
	return true
}

// substitutesAllowed is Nix's ParsedDerivation::substitutesAllowed: the
// allowSubstitutes attribute, true when absent.
func substitutesAllowed(drvPath string, drv *derivation.Derivation) bool {
	if j, ok := drv.Env["__json"]; ok {
		o, err := parseStructuredAttrs(drvPath, j)
		if err != nil {
			return true
		}
		v, ok := o["allowSubstitutes"]
		if !ok {
			return true
		}
		b, ok := v.(bool)
		return !ok || b
	}
	v, ok := drv.Env["allowSubstitutes"]
	return !ok || v == "1"
}

func (s *Scheduler) readDerivation(p string) (*derivation.Derivation, error) {
	data, err := os.ReadFile(s.Store.RealPath(p))
	if err != nil {
		return nil, fmt.Errorf("reading derivation '%s': %w", p, err)
	}
	drv, err := derivation.ParseATerm(data)
	if err != nil {
		return nil, fmt.Errorf("reading derivation '%s': %w", p, err)
	}
	return drv, nil
}

func (s *Scheduler) outputsValid(ctx context.Context, drv *derivation.Derivation) (bool, error) {
	for _, name := range drv.OutputNames() {
		p := drv.Outputs[name].Path
		if p == "" {
			return false, nil
		}
		ok, err := s.Store.IsValidPath(ctx, p)
		if err != nil || !ok {
			return false, err
		}
	}
	return true, nil
}

// run executes a plan with MaxJobs builders and SubstJobs copiers. It
// returns the derivations to build in another round (their substitution
// gave up) and the error of this one.
func (s *Scheduler) run(ctx context.Context, p *plan, requested []string) ([]string, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	jobs := max(s.MaxJobs, 1)
	fetchJobs := s.SubstJobs
	if fetchJobs <= 0 {
		fetchJobs = 16
	}
	se, _ := s.Events.(SubstEvents)
	commits := newCommitter(ctx)
	var (
		mu          sync.Mutex
		ready       []*node // builds
		readyFetch  []*node
		active      int
		activeFetch int
		// unpacked: copies past their download and unpacking, waiting
		// for their references or committing; they hold no copy slot.
		unpacked    int
		stopping    bool
		mismatch    bool
		retry       []string
		realFailure bool
		buildFailed bool
		checkFailed bool
		wake        = make(chan struct{}, 1)
		wg          sync.WaitGroup
	)
	signal := func() {
		select {
		case wake <- struct{}{}:
		default:
		}
	}
	remaining := 0
	var finishNode func(n *node, err error)
	enqueue := func(n *node) {
		switch n.kind {
		case kindFetch:
			// All copies are queued at the start (below).
		case kindSubst:
			// Its outputs were copied: nothing to run.
			finishNode(n, nil)
		default:
			ready = append(ready, n)
		}
	}
	// finishNode records a result and releases or fails dependents; mu held.
	finishNode = func(n *node, err error) {
		if n.state == succeeded || n.state == failed {
			return
		}
		remaining--
		if n.done != nil {
			defer close(n.done)
		}
		if n.queued != nil && !n.handed {
			n.handed = true
			close(n.queued)
		}
		if err == nil {
			n.state = succeeded
			if n.kind == kindFetch {
				if se != nil {
					se.Copied(n.path, n.size)
				}
			} else if s.Events != nil && n.kind == kindBuild {
				s.Events.Done(n.path)
			}
			for _, d := range n.dependents {
				d.waiting--
				// Copies are all started at once, references first.
				if d.waiting == 0 && d.state == pending && d.kind != kindFetch {
					if d.failedDeps > 0 {
						finishNode(d, &DependencyError{DrvPath: d.path, N: d.failedDeps})
						continue
					}
					enqueue(d)
				}
			}
			sortNodes(ready)
			return
		}
		n.state = failed
		switch {
		case n.kind == kindFetch:
			// A substitution goal's error is only logged at debug level
			// (Fetch already printed what went wrong with a substitute);
			// anything else, say the store failing to register the copy,
			// is printed here.
			n.gaveUp = errors.Is(err, subst.ErrNoSubstituters) || n.gaveUp
			n.err = err
			var fe *subst.FetchError
			var ie *incompleteError
			if !n.gaveUp && !errors.As(err, &fe) && !errors.As(err, &ie) && !errors.Is(err, context.Canceled) && s.Events != nil {
				s.Events.Failed(n.path, err)
			}
		case n.kind == kindSubst && !n.retry:
			n.retry = n.gaveUp || s.Fallback
			if !n.retry {
				err = &SubstitutionError{DrvPath: n.path}
			}
		}
		if n.retry {
			retry = append(retry, n.path)
		}
		if n.kind == kindFetch || n.retry {
			// Dependents learn below; a retried derivation stops nothing.
			for _, d := range n.dependents {
				d.failedDeps++
				d.waiting--
				switch {
				case d.kind == kindFetch:
					d.gaveUp = d.gaveUp || n.gaveUp
				case d.kind == kindSubst:
					d.gaveUp = d.gaveUp || n.gaveUp
				default:
					d.retry = d.retry || n.retry
				}
				if d.state == pending && (d.waiting == 0 || d.kind != kindBuild) {
					if d.kind == kindFetch {
						finishNode(d, &incompleteError{d.path})
					} else {
						finishNode(d, &DependencyError{DrvPath: d.path, N: d.failedDeps})
					}
				}
			}
			return
		}
		realFailure = true
		var de *DependencyError
		var nd *NotDeterministicError
		switch {
		case errors.As(err, &nd):
			checkFailed = true
		case errors.As(err, new(*checkInvalidError)):
			// Nix throws this out of the goal: exit status 1.
		case n.kind == kindBuild && !errors.As(err, &de) && !errors.Is(err, context.Canceled):
			buildFailed = true
		}
		var hm *HashMismatchError
		if errors.As(err, &hm) {
			mismatch = true
		}
		stopped := stopping && errors.Is(err, context.Canceled)
		waiters := false
		for _, d := range n.dependents {
			if d.state == pending {
				waiters = true
			}
		}
		switch {
		case stopped:
			// Interrupted because another build failed: no error of its own.
		case waiters:
			if s.Events != nil {
				s.Events.Failed(n.path, err)
			}
		default:
			n.err = err
		}
		if !s.KeepGoing {
			stopping = true
			cancel()
		}
		for _, d := range n.dependents {
			d.failedDeps++
			d.waiting--
			// Without --keep-going a dependent gives up at once, as Nix's
			// goals do; with it, it waits for its other inputs first.
			if d.state == pending && (d.waiting == 0 || !s.KeepGoing) {
				finishNode(d, &DependencyError{DrvPath: d.path, N: d.failedDeps})
			}
		}
	}
	mu.Lock()
	var initial []*node
	for _, n := range p.fetch {
		remaining++
		readyFetch = append(readyFetch, n)
	}
	// References first: a copy waits for its references' before it
	// commits, so the queue must never put a path before what it needs.
	sort.Slice(readyFetch, func(i, j int) bool { return readyFetch[i].order < readyFetch[j].order })
	for _, n := range p.nodes {
		if n.needed {
			remaining++
			if n.waiting == 0 {
				initial = append(initial, n)
			}
		}
	}
	// Signatures are checked top-down before anything is copied, as
	// Nix's substitution goals do before they descend into references: an
	// untrusted path gives up at once and its closure is not looked at.
	if !s.Subst.Empty() {
		var roots []string
		for _, n := range p.nodes {
			if n.needed && n.kind == kindSubst {
				roots = append(roots, n.invalid...)
			}
		}
		for _, q := range requested {
			if p.fetch[q] != nil {
				roots = append(roots, q)
			}
		}
		sort.Strings(roots)
		checked := map[*node]bool{}
		var check func(n *node)
		check = func(n *node) {
			if checked[n] {
				return
			}
			checked[n] = true
			f, err := s.Subst.Usable(ctx, n.path)
			if err != nil || f == nil {
				if err == nil {
					err = fmt.Errorf("path '%s' is required, but there is no substituter that can build it: %w", n.path, subst.ErrNoSubstituters)
				}
				finishNode(n, err)
				return
			}
			for _, d := range n.deps {
				check(d)
			}
		}
		for _, q := range roots {
			if n := p.fetch[q]; n != nil {
				check(n)
			}
		}
		// What only a rejected path needed is not copied now; a build that
		// needs it will plan it again.
		var rest []*node
		for _, n := range p.fetch {
			if !checked[n] {
				rest = append(rest, n)
			}
		}
		sortNodes(rest)
		for _, n := range rest {
			finishNode(n, fmt.Errorf("path '%s' is not needed: %w", n.path, subst.ErrNoSubstituters))
		}
	}
	sortNodes(initial)
	for _, n := range initial {
		if n.state == pending {
			enqueue(n)
		}
	}
	sortNodes(ready)
	mu.Unlock()
	start := func(n *node, work func(context.Context, *node) error, counter *int) {
		n.state = running
		*counter++
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := work(ctx, n)
			mu.Lock()
			*counter--
			finishNode(n, err)
			mu.Unlock()
			signal()
		}()
	}
	// A copy holds one of the fetchJobs slots while it downloads and
	// unpacks (the CPU and memory of a copy); it gives the slot up once
	// its temporary object is ready, so copies waiting for their
	// references to be committed do not keep the next ones from starting.
	startFetch := func(n *node) {
		n.state = running
		activeFetch++
		wg.Add(1)
		go func() {
			defer wg.Done()
			released := false
			release := func() {
				mu.Lock()
				activeFetch--
				unpacked++
				mu.Unlock()
				released = true
				signal()
			}
			err := s.fetchOne(ctx, n, &mu, commits, release)
			mu.Lock()
			if released {
				unpacked--
			} else {
				activeFetch--
			}
			finishNode(n, err)
			mu.Unlock()
			signal()
		}()
	}
	for {
		mu.Lock()
		for !stopping && activeFetch < fetchJobs && len(readyFetch) > 0 {
			n := readyFetch[0]
			readyFetch = readyFetch[1:]
			if n.state != pending {
				continue // failed before it could start
			}
			startFetch(n)
		}
		for !stopping && active < jobs && len(ready) > 0 {
			n := ready[0]
			ready = ready[1:]
			start(n, s.buildOne, &active)
		}
		for len(readyFetch) > 0 && readyFetch[0].state != pending {
			readyFetch = readyFetch[1:]
		}
		done := active == 0 && activeFetch == 0 && unpacked == 0 && (stopping || (len(ready) == 0 && len(readyFetch) == 0))
		mu.Unlock()
		if done {
			break
		}
		<-wake
	}
	wg.Wait()
	commits.stop()
	// The Runner's background work (sandbox children started ahead,
	// sandbox roots being deleted) ends with the round.
	var waitErr error
	if w, ok := s.Runner.(interface{ Wait() error }); ok {
		if err := w.Wait(); err != nil {
			waitErr = fmt.Errorf("cleaning up after the builds: %w", err)
		}
	}
	for _, q := range requested {
		if n := p.fetch[q]; n != nil && n.state == failed {
			realFailure = true
		}
	}
	if len(retry) > 0 && !realFailure {
		sort.Strings(retry)
		return retry, nil
	}
	f := &Failure{HashMismatch: mismatch, NoBuildFailed: !buildFailed, CheckMismatch: checkFailed}
	seen := map[string]bool{}
	for _, q := range requested {
		n := p.nodes[q]
		if n == nil {
			n = p.fetch[q]
		}
		if seen[q] || n == nil || n.state == succeeded {
			continue
		}
		seen[q] = true
		err := n.err
		if n.kind == kindFetch && err != nil {
			var fe *subst.FetchError
			if errors.As(err, &fe) || n.gaveUp {
				err = fmt.Errorf("build of '%s' failed", q)
			}
		}
		f.Failed = append(f.Failed, FailedTarget{DrvPath: q, Err: err})
	}
	if len(f.Failed) > 0 {
		return nil, f
	}
	if remaining > 0 {
		return nil, fmt.Errorf("%d derivations were not built", remaining)
	}
	return nil, waitErr
}

func sortNodes(ns []*node) { sort.Slice(ns, func(i, j int) bool { return ns[i].path < ns[j].path }) }

// fetchOne substitutes one path: it downloads and unpacks it at once and
// calls unpacked (the copy slot is free again), then waits until the paths
// it refers to are handed to commits (or valid) and hands it over too:
// commits commits it with the other copies ready at the same time, in the
// group of its references or a later one (the store takes the path's lock
// when it installs the copy, and leaves it alone if another process was
// faster). mu guards the nodes' states.
func (s *Scheduler) fetchOne(ctx context.Context, n *node, mu *sync.Mutex, commits *committer, unpacked func()) error {
	if err := s.Store.AddTempRoot(ctx, n.path); err != nil {
		return err
	}
	var prog subst.Progress
	if se, ok := s.Events.(SubstEvents); ok {
		prog = se
	}
	pr, err := s.Subst.Prepare(ctx, s.Store, n.path, prog)
	if err != nil || pr == nil {
		return err
	}
	unpacked()
	for _, d := range n.deps {
		select {
		case <-d.queued:
		case <-ctx.Done():
			pr.Discard()
			return ctx.Err()
		}
		mu.Lock()
		ok := d.state != failed
		mu.Unlock()
		if !ok {
			pr.Discard()
			return &incompleteError{n.path}
		}
	}
	// Queued before its referrers learn it is: they join its group or a
	// later one.
	req := commits.enqueue(pr)
	mu.Lock()
	n.handed = true
	close(n.queued)
	mu.Unlock()
	return <-req.done
}

// committer commits prepared copies in groups (group commit) on a
// goroutine of its own: the copies queued while it commits one group are
// committed together next, with one sync and one transaction
// (local.CommitAll), in the order they were queued. A copy is queued only
// after its references (fetchOne), so each is in its references' group or
// a later one: no path becomes valid before what it refers to, and the
// top of a closure does not wait for one group per level.
type committer struct {
	mu    sync.Mutex
	queue []*commitReq
	wake  chan struct{}
	done  chan struct{}
}

type commitReq struct {
	pr   *local.PreparedNAR
	done chan error
}

// newCommitter starts the committer; stop it once nothing more can be
// committed.
func newCommitter(ctx context.Context) *committer {
	c := &committer{wake: make(chan struct{}, 1), done: make(chan struct{})}
	go c.loop(ctx)
	return c
}

func (c *committer) loop(ctx context.Context) {
	defer close(c.done)
	for range c.wake {
		for {
			c.mu.Lock()
			batch := c.queue
			c.queue = nil
			c.mu.Unlock()
			if len(batch) == 0 {
				break
			}
			prs := make([]*local.PreparedNAR, len(batch))
			for i, r := range batch {
				prs[i] = r.pr
			}
			for i, err := range local.CommitAll(ctx, prs) {
				batch[i].done <- err
			}
		}
	}
}

// enqueue queues pr for the next group; its result arrives on the
// request's done channel.
func (c *committer) enqueue(pr *local.PreparedNAR) *commitReq {
	req := &commitReq{pr: pr, done: make(chan error, 1)}
	c.mu.Lock()
	c.queue = append(c.queue, req)
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
	return req
}

// stop ends the committer's goroutine; no commit may be running or come.
func (c *committer) stop() {
	close(c.wake)
	<-c.done
}

// buildOne builds one derivation under its output locks.
func (s *Scheduler) buildOne(ctx context.Context, n *node) error {
	var reals []string
	for _, name := range n.drv.OutputNames() {
		if p := n.drv.Outputs[name].Path; p != "" {
			reals = append(reals, s.Store.RealPath(p))
		}
	}
	for _, name := range n.drv.OutputNames() {
		if p := n.drv.Outputs[name].Path; p != "" {
			if err := s.Store.AddTempRoot(ctx, p); err != nil {
				return err
			}
		}
	}
	locks, err := local.LockPaths(ctx, reals)
	if err != nil {
		return err
	}
	defer locks.Unlock(true)
	ok, err := s.outputsValid(ctx, n.drv)
	switch {
	case err != nil:
		return err
	case n.check && !ok:
		return &checkInvalidError{n.path}
	case ok && !n.check:
		// Another process built it while we waited for the locks.
		return nil
	}
	for _, name := range n.drv.OutputNames() {
		p := n.drv.Outputs[name].Path
		if n.check {
			removeAll(s.Store.RealPath(p) + CheckSuffix)
		} else if err := s.Store.DeleteInvalid(ctx, p); err != nil {
			return err
		}
	}
	job, cleanup, err := s.Prepare(ctx, n.path, n.drv)
	if err != nil {
		return err
	}
	defer cleanup()
	job.Check = n.check
	if s.Events != nil {
		started := s.Events.Started
		if ce, ok := s.Events.(CheckEvents); ok && n.check {
			started = ce.CheckStarted
		}
		if w := started(n.path); w != nil {
			if job.Log != nil {
				w = io.MultiWriter(job.Log, w)
			}
			job.Log = w
		}
	}
	if job.Log == nil {
		job.Log = io.Discard
	}
	if err := s.Runner.Run(ctx, job); err != nil {
		if n.check {
			// What a failed check left is no use to anyone (Nix's stays
			// in the sandbox root, which is deleted).
			for _, p := range job.Outputs {
				removeAll(job.RealOutput(p))
			}
		}
		return err
	}
	return s.Finish(ctx, job)
}
