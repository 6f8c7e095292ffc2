package build

import (
	"context"
	"sync"

	"gonix/internal/store"
	"gonix/internal/store/local"
)

// References remembers the references of valid store paths for the
// builds of one command. A valid path's references never change, and the
// builds of a dependency chain ask for the same input closures again and
// again (link i of a chain has i inputs): each path is then queried once
// instead of once per build that uses it. The zero value is ready to use.
type References struct {
	mu   sync.Mutex
	refs map[string][]string
}

// of returns p's references, querying the store the first time.
func (r *References) of(ctx context.Context, s *local.Store, p string) ([]string, error) {
	r.mu.Lock()
	refs, ok := r.refs[p]
	r.mu.Unlock()
	if ok {
		return refs, nil
	}
	info, err := s.QueryPathInfo(ctx, p)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	if r.refs == nil {
		r.refs = map[string][]string{}
	}
	r.refs[p] = info.References
	r.mu.Unlock()
	return info.References, nil
}

// closure is store.ComputeClosure(ctx, s, start, false, false, false)
// through the remembered references: the sorted set of paths reachable
// from start.
func (r *References) closure(ctx context.Context, s *local.Store, start []string) ([]string, error) {
	return store.Closure(ctx, start, func(ctx context.Context, p string) ([]string, error) {
		return r.of(ctx, s, p)
	})
}
