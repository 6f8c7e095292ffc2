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
)

// Scheduler realises derivations: it builds every derivation of a closure
// whose outputs are not valid yet, in dependency order, up to MaxJobs at
// once, locking each derivation's outputs so that two processes never
// build the same path (the second waits and reuses the result).
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
	// Events receives progress; nil discards it.
	Events Events
}

// Events is what a scheduler reports, in the order things happen.
type Events interface {
	// WillBuild lists the derivations that will be built, sorted.
	WillBuild(drvPaths []string)
	// Started is called when a build starts; its log goes to the writer
	// returned (nil: discarded).
	Started(drvPath string) io.Writer
	// Failed reports a derivation that failed or could not be built.
	Failed(drvPath string, err error)
	// Done reports a derivation whose outputs became valid.
	Done(drvPath string)
}

// node is one derivation of the graph.
type node struct {
	path       string
	drv        *derivation.Derivation
	deps       []*node // input derivations that must be built first
	dependents []*node
	waiting    int // deps not finished yet
	needed     bool
	state      nodeState
	err        error
	failedDeps int
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
}

// FailedTarget is a requested derivation that was not built.
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

// ExitStatus is Nix's status for a failed build: 100, plus 2 after a
// fixed-output hash mismatch.
func (f *Failure) ExitStatus() int {
	if f.HashMismatch {
		return 102
	}
	return 100
}

// DependencyError is a derivation not built because inputs failed.
type DependencyError struct {
	DrvPath string
	N       int
}

func (e *DependencyError) Error() string {
	return fmt.Sprintf("%d dependencies of derivation '%s' failed to build", e.N, e.DrvPath)
}

// Realise makes every output of the given derivations valid, building what
// is missing. It returns a *Failure naming what failed.
func (s *Scheduler) Realise(ctx context.Context, drvPaths []string) error {
	nodes, toBuild, err := s.plan(ctx, drvPaths)
	if err != nil || len(toBuild) == 0 {
		return err
	}
	if s.Events != nil {
		s.Events.WillBuild(toBuild)
	}
	return s.run(ctx, nodes, drvPaths)
}

// Plan reports what Realise would build (Events.WillBuild) without building.
func (s *Scheduler) Plan(ctx context.Context, drvPaths []string) error {
	_, toBuild, err := s.plan(ctx, drvPaths)
	if err == nil && len(toBuild) > 0 && s.Events != nil {
		s.Events.WillBuild(toBuild)
	}
	return err
}

// plan loads the derivation graph below drvPaths, marking the derivations
// whose outputs are not all valid; it returns those, sorted.
func (s *Scheduler) plan(ctx context.Context, drvPaths []string) (map[string]*node, []string, error) {
	nodes := map[string]*node{}
	var load func(p string) (*node, error)
	load = func(p string) (*node, error) {
		if n, ok := nodes[p]; ok {
			return n, nil
		}
		data, err := os.ReadFile(s.Store.RealPath(p))
		if err != nil {
			return nil, fmt.Errorf("reading derivation '%s': %w", p, err)
		}
		drv, err := derivation.ParseATerm(data)
		if err != nil {
			return nil, fmt.Errorf("reading derivation '%s': %w", p, err)
		}
		n := &node{path: p, drv: drv}
		nodes[p] = n
		valid, err := s.outputsValid(ctx, drv)
		if err != nil {
			return nil, err
		}
		if valid {
			n.state = succeeded
			return n, nil
		}
		n.needed = true
		inputs := make([]string, 0, len(drv.InputDrvs))
		for in := range drv.InputDrvs {
			inputs = append(inputs, in)
		}
		sort.Strings(inputs)
		for _, in := range inputs {
			d, err := load(in)
			if err != nil {
				return nil, err
			}
			if d.needed {
				n.deps = append(n.deps, d)
				d.dependents = append(d.dependents, n)
			}
		}
		n.waiting = len(n.deps)
		return n, nil
	}
	for _, p := range drvPaths {
		if _, err := load(p); err != nil {
			return nil, nil, err
		}
	}
	var toBuild []string
	for p, n := range nodes {
		if n.needed {
			toBuild = append(toBuild, p)
		}
	}
	sort.Strings(toBuild)
	return nodes, toBuild, nil
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

// run executes the graph with a pool of MaxJobs workers.
func (s *Scheduler) run(ctx context.Context, nodes map[string]*node, requested []string) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	jobs := s.MaxJobs
	if jobs < 1 {
		jobs = 1
	}
	var (
		mu       sync.Mutex
		ready    []*node
		active   int
		stopping bool
		mismatch bool
		wake     = make(chan struct{}, 1)
		wg       sync.WaitGroup
	)
	signal := func() {
		select {
		case wake <- struct{}{}:
		default:
		}
	}
	remaining := 0
	for _, n := range nodes {
		if n.needed {
			remaining++
			if n.waiting == 0 {
				ready = append(ready, n)
			}
		}
	}
	sortNodes(ready)
	// finishNode records a result and releases or fails dependents; mu held.
	var finishNode func(n *node, err error)
	finishNode = func(n *node, err error) {
		if n.state == succeeded || n.state == failed {
			return
		}
		remaining--
		if err == nil {
			n.state = succeeded
			if s.Events != nil {
				s.Events.Done(n.path)
			}
			for _, d := range n.dependents {
				d.waiting--
				if d.waiting == 0 && d.state == pending {
					if d.failedDeps > 0 {
						finishNode(d, &DependencyError{DrvPath: d.path, N: d.failedDeps})
						continue
					}
					ready = append(ready, d)
				}
			}
			sortNodes(ready)
			return
		}
		n.state = failed
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
	for {
		mu.Lock()
		for !stopping && active < jobs && len(ready) > 0 {
			n := ready[0]
			ready = ready[1:]
			n.state = running
			active++
			wg.Add(1)
			go func(n *node) {
				defer wg.Done()
				err := s.buildOne(ctx, n)
				mu.Lock()
				active--
				finishNode(n, err)
				mu.Unlock()
				signal()
			}(n)
		}
		done := active == 0 && (stopping || len(ready) == 0)
		mu.Unlock()
		if done {
			break
		}
		<-wake
	}
	wg.Wait()
	f := &Failure{HashMismatch: mismatch}
	seen := map[string]bool{}
	for _, p := range requested {
		n := nodes[p]
		if seen[p] || n == nil || n.state == succeeded {
			continue
		}
		seen[p] = true
		f.Failed = append(f.Failed, FailedTarget{DrvPath: p, Err: n.err})
	}
	if len(f.Failed) > 0 {
		return f
	}
	if remaining > 0 {
		return fmt.Errorf("%d derivations were not built", remaining)
	}
	return nil
}

func sortNodes(ns []*node) { sort.Slice(ns, func(i, j int) bool { return ns[i].path < ns[j].path }) }

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
	// Another process may have built it while we waited for the locks.
	if ok, err := s.outputsValid(ctx, n.drv); err != nil || ok {
		return err
	}
	for _, name := range n.drv.OutputNames() {
		if p := n.drv.Outputs[name].Path; p != "" {
			if err := s.Store.DeleteInvalid(ctx, p); err != nil {
				return err
			}
		}
	}
	job, cleanup, err := s.Prepare(ctx, n.path, n.drv)
	if err != nil {
		return err
	}
	defer cleanup()
	if s.Events != nil {
		if w := s.Events.Started(n.path); w != nil {
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
		return err
	}
	return s.Finish(ctx, job)
}
