package build

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"gonix/internal/store"
)

// TestReferencesClosure: the closure through remembered references is
// store.ComputeClosure's, for every start set of a small graph, and a
// second pass answers from memory (the store may be gone by then).
func TestReferencesClosure(t *testing.T) {
	ctx := context.Background()
	st := openTestStore(t)
	// a chain t0 <- t1 <- ... <- t5, and t5 also refers to t2.
	var paths []string
	for i := range 6 {
		var refs []string
		if i > 0 {
			refs = append(refs, paths[i-1])
		}
		if i == 5 {
			refs = append(refs, paths[2])
		}
		p, err := st.AddText(ctx, fmt.Sprintf("t%d", i), fmt.Sprint(refs), refs)
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	var refs References
	starts := [][]string{{paths[0]}, {paths[3]}, {paths[5]}, {paths[1], paths[4]}}
	var wants [][]string
	for _, start := range starts {
		want, err := store.ComputeClosure(ctx, st, start, false, false, false)
		if err != nil {
			t.Fatal(err)
		}
		got, err := refs.closure(ctx, st, start)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("closure of %v (-want +got):\n%s", start, diff)
		}
		wants = append(wants, want)
	}
	st.Close()
	for i, start := range starts {
		got, err := refs.closure(ctx, st, start)
		if err != nil {
			t.Fatalf("closure of %v from memory: %v", start, err)
		}
		if diff := cmp.Diff(wants[i], got); diff != "" {
			t.Errorf("closure of %v from memory (-want +got):\n%s", start, diff)
		}
	}
	if _, err := refs.closure(ctx, st, []string{"/nix/store/00000000000000000000000000000000-missing"}); err == nil {
		t.Errorf("the closure of an unknown path did not fail")
	}
}
