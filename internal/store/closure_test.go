package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"gonix/internal/format/hash"
	"gonix/internal/format/nar"
)

// memStore is just enough of a Store for closure computations.
type memStore struct {
	infos   map[string]*PathInfo
	outputs map[string]map[string]string // drv -> output name -> path
}

func (m *memStore) StoreDir() string { return "/nix/store" }
func (m *memStore) IsValidPath(_ context.Context, p string) (bool, error) {
	return m.infos[p] != nil, nil
}
func (m *memStore) QueryPathInfo(_ context.Context, p string) (*PathInfo, error) {
	if i := m.infos[p]; i != nil {
		return i, nil
	}
	return nil, fmt.Errorf("path '%s' is not valid: %w", p, ErrNotValid)
}
func (m *memStore) QueryReferrers(_ context.Context, p string) ([]string, error) {
	var out []string
	for q, i := range m.infos {
		if slices.Contains(i.References, p) {
			out = append(out, q)
		}
	}
	slices.Sort(out)
	return out, nil
}
func (m *memStore) QueryValidDerivers(_ context.Context, p string) ([]string, error) {
	var out []string
	for d, outs := range m.outputs {
		for _, o := range outs {
			if o == p && m.infos[d] != nil {
				out = append(out, d)
			}
		}
	}
	slices.Sort(out)
	return out, nil
}
func (m *memStore) QueryDerivationOutputs(_ context.Context, d string) (map[string]string, error) {
	return m.outputs[d], nil
}
func (m *memStore) QueryPathFromHashPart(context.Context, string) (string, error) { return "", nil }
func (m *memStore) QueryAllValidPaths(context.Context) ([]string, error)          { return nil, nil }
func (m *memStore) AddToStore(context.Context, string, string, Method, hash.Algo, nar.Filter, []string) (string, error) {
	return "", errors.New("read-only")
}
func (m *memStore) AddText(context.Context, string, string, []string) (string, error) {
	return "", errors.New("read-only")
}
func (m *memStore) AddNAR(context.Context, *PathInfo, io.Reader) error {
	return errors.New("read-only")
}
func (m *memStore) DumpPath(context.Context, string, io.Writer) error { return errors.New("no") }
func (m *memStore) Close() error                                      { return nil }

func sp(c string) string {
	return "/nix/store/" + c + "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-" + c
}

// newMem builds a store from "path: refs..." edges.
func newMem(edges map[string][]string) *memStore {
	m := &memStore{infos: map[string]*PathInfo{}, outputs: map[string]map[string]string{}}
	for p, refs := range edges {
		var full []string
		for _, r := range refs {
			full = append(full, sp(r))
		}
		slices.Sort(full)
		m.infos[sp(p)] = &PathInfo{Path: sp(p), References: full}
	}
	return m
}

func TestTopoSort(t *testing.T) {
	// d refers to b and c, both refer to a; e stands alone; a refers to itself.
	m := newMem(map[string][]string{
		"a": {"a"}, "b": {"a"}, "c": {"a"}, "d": {"b", "c"}, "e": nil,
	})
	ctx := context.Background()
	got, err := TopoSort(ctx, m, []string{sp("a"), sp("b"), sp("c"), sp("d"), sp("e")})
	if err != nil {
		t.Fatal(err)
	}
	// DFS in sorted order: a; b (a done); c; d; e → emitted a b c d e,
	// reversed.
	want := []string{sp("e"), sp("d"), sp("c"), sp("b"), sp("a")}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("TopoSort (-want +got):\n%s", d)
	}
	// References outside the set are not followed; an invalid path has none.
	got, err = TopoSort(ctx, m, []string{sp("d"), sp("a"), sp("z")})
	if err != nil {
		t.Fatal(err)
	}
	want = []string{sp("z"), sp("d"), sp("a")}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("TopoSort subset (-want +got):\n%s", d)
	}
}

func TestTopoSortCycle(t *testing.T) {
	m := newMem(map[string][]string{"a": {"b"}, "b": {"a"}})
	_, err := TopoSort(context.Background(), m, []string{sp("a"), sp("b")})
	var ce *CycleError
	if !errors.As(err, &ce) {
		t.Fatalf("TopoSort of a cycle: %v, want a CycleError", err)
	}
	want := "cycle detected in the references of '" + sp("a") + "' from '" + sp("b") + "'"
	if err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
}

func TestComputeClosure(t *testing.T) {
	m := newMem(map[string][]string{
		"a": {"a"}, "b": {"a"}, "c": {"a"}, "d": {"b", "c"}, "e": nil,
		"x.drv": {"a"}, "o": {"b"},
	})
	m.outputs[sp("x.drv")] = map[string]string{"out": sp("o"), "dev": sp("gone")}
	m.infos[sp("o")].Deriver = sp("x.drv")
	ctx := context.Background()
	tests := []struct {
		name                  string
		start                 []string
		flip, outputs, derivs bool
		want                  []string
	}{
		{"forward", []string{"d"}, false, false, false, []string{"a", "b", "c", "d"}},
		{"forward two", []string{"b", "e"}, false, false, false, []string{"a", "b", "e"}},
		{"referrers", []string{"a"}, true, false, false, []string{"a", "b", "c", "d", "o", "x.drv"}},
		{"referrers of b", []string{"b"}, true, false, false, []string{"b", "d", "o"}},
		{"drv", []string{"x.drv"}, false, false, false, []string{"a", "x.drv"}},
		{"drv with outputs", []string{"x.drv"}, false, true, false, []string{"a", "b", "o", "x.drv"}},
		{"output with deriver", []string{"o"}, false, false, true, []string{"a", "b", "o", "x.drv"}},
		{"flip with outputs", []string{"o"}, true, true, false, []string{"o", "x.drv"}},
		{"flip with derivers", []string{"x.drv"}, true, false, true, []string{"o", "x.drv"}},
	}
	for _, tt := range tests {
		var start, want []string
		for _, s := range tt.start {
			start = append(start, sp(s))
		}
		for _, s := range tt.want {
			want = append(want, sp(s))
		}
		slices.Sort(want)
		got, err := ComputeClosure(ctx, m, start, tt.flip, tt.outputs, tt.derivs)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, d)
		}
	}
	if _, err := ComputeClosure(ctx, m, []string{sp("nope")}, false, false, false); !errors.Is(err, ErrNotValid) {
		t.Errorf("closure of an invalid path: %v, want ErrNotValid", err)
	}
}
