package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// ComputeClosure returns the closure of paths under the reference relation,
// sorted, the start paths included (Nix 2.8's Store::computeFSClosure in
// src/libstore/misc.cc). With flipDirection it follows referrers instead of
// references. includeOutputs adds the valid outputs of every derivation in
// the closure (flipped: the valid derivers of every path); includeDerivers
// adds every path's valid deriver (flipped: a derivation's valid outputs).
// Every path reached must be valid: the error wraps ErrNotValid otherwise.
func ComputeClosure(ctx context.Context, s Store, paths []string, flipDirection, includeOutputs, includeDerivers bool) ([]string, error) {
	return Closure(ctx, paths, func(ctx context.Context, p string) ([]string, error) {
		return closureEdges(ctx, s, p, flipDirection, includeOutputs, includeDerivers)
	})
}

// Closure returns the sorted set of paths reachable from start through
// edges, the start paths included; edges is asked once per path.
func Closure(ctx context.Context, start []string, edges func(ctx context.Context, p string) ([]string, error)) ([]string, error) {
	seen := make(map[string]bool, len(start))
	queue := make([]string, 0, len(start))
	for _, p := range start {
		if !seen[p] {
			seen[p] = true
			queue = append(queue, p)
		}
	}
	for len(queue) > 0 {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		p := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		deps, err := edges(ctx, p)
		if err != nil {
			return nil, err
		}
		for _, d := range deps {
			if !seen[d] {
				seen[d] = true
				queue = append(queue, d)
			}
		}
	}
	out := make([]string, 0, len(seen))
	for p := range seen {
		out = append(out, p)
	}
	slices.Sort(out)
	return out, nil
}

// closureEdges are the paths one step from p (Nix's queryDeps).
func closureEdges(ctx context.Context, s Store, p string, flip, includeOutputs, includeDerivers bool) ([]string, error) {
	// Nix queries the path's info in both directions, so an invalid path
	// fails either way.
	info, err := s.QueryPathInfo(ctx, p)
	if err != nil {
		return nil, err
	}
	var res []string
	isDrv := strings.HasSuffix(p, ".drv")
	validOutputs := func() error {
		outs, err := s.QueryDerivationOutputs(ctx, p)
		if err != nil {
			return err
		}
		for _, o := range outs {
			if o == "" {
				continue
			}
			ok, err := s.IsValidPath(ctx, o)
			if err != nil {
				return err
			}
			if ok {
				res = append(res, o)
			}
		}
		return nil
	}
	if flip {
		refs, err := s.QueryReferrers(ctx, p)
		if err != nil {
			return nil, err
		}
		for _, r := range refs {
			if r != p {
				res = append(res, r)
			}
		}
		if includeOutputs {
			ds, err := s.QueryValidDerivers(ctx, p)
			if err != nil {
				return nil, err
			}
			res = append(res, ds...)
		}
		if includeDerivers && isDrv {
			if err := validOutputs(); err != nil {
				return nil, err
			}
		}
		return res, nil
	}
	for _, r := range info.References {
		if r != p {
			res = append(res, r)
		}
	}
	if includeOutputs && isDrv {
		if err := validOutputs(); err != nil {
			return nil, err
		}
	}
	if includeDerivers && info.Deriver != "" {
		ok, err := s.IsValidPath(ctx, info.Deriver)
		if err != nil {
			return nil, err
		}
		if ok {
			res = append(res, info.Deriver)
		}
	}
	return res, nil
}

// CycleError is TopoSort's error about a reference cycle: Path was reached
// again from Parent while its own references were being visited.
type CycleError struct {
	Path, Parent string
}

func (e *CycleError) Error() string {
	return fmt.Sprintf("cycle detected in the references of '%s' from '%s'", e.Path, e.Parent)
}

// TopoSort orders paths so that a path comes before the paths it refers to
// (Nix 2.8's Store::topoSortPaths with its topoSort): a depth-first search
// over the paths in sorted order, following references (sorted) that are
// themselves in the set, emitting each path after its references, and the
// whole list reversed. Paths that are not valid count as having no
// references, as in Nix. Callers wanting references first (--export)
// reverse the result.
func TopoSort(ctx context.Context, s Store, paths []string) ([]string, error) {
	items := make(map[string]bool, len(paths))
	for _, p := range paths {
		items[p] = true
	}
	order := make([]string, 0, len(items))
	for p := range items {
		order = append(order, p)
	}
	slices.Sort(order)

	sorted := make([]string, 0, len(order))
	visited := make(map[string]bool, len(order))
	parents := make(map[string]bool)
	var visit func(p, parent string) error
	visit = func(p, parent string) error {
		if parents[p] {
			return &CycleError{Path: p, Parent: parent}
		}
		if visited[p] {
			return nil
		}
		visited[p] = true
		parents[p] = true
		info, err := s.QueryPathInfo(ctx, p)
		var refs []string
		switch {
		case err == nil:
			refs = slices.Clone(info.References)
			slices.Sort(refs)
		case errors.Is(err, ErrNotValid):
		default:
			return err
		}
		for _, r := range refs {
			if r != p && items[r] {
				if err := visit(r, p); err != nil {
					return err
				}
			}
		}
		sorted = append(sorted, p)
		delete(parents, p)
		return nil
	}
	for _, p := range order {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := visit(p, ""); err != nil {
			return nil, err
		}
	}
	slices.Reverse(sorted)
	return sorted, nil
}
