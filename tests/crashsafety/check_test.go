package crashsafety

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gonix/internal/format/hash"
	"gonix/internal/format/nar"
	"gonix/internal/store"
	"gonix/internal/store/local"
)

// TestCheckStoreCatches shows that the checks the kill loops rely on fail
// on the damage they look for.
func TestCheckStoreCatches(t *testing.T) {
	spec := treeSpec{seed: 3, large: []int{1 << 16}, dirs: 3, smallFiles: 30, smallMax: 512}
	for _, tc := range []struct {
		name    string
		damage  func(t *testing.T, real string)
		unknown bool
		want    string
	}{
		{name: "intact"},
		{name: "contents", want: "is not what was registered", damage: func(t *testing.T, real string) {
			p := filepath.Join(real, "lib/blob0.so")
			os.Chmod(p, 0o644)
			if err := os.WriteFile(p, []byte("half-written"), 0o644); err != nil {
				t.Fatal(err)
			}
			os.Chmod(p, 0o444)
			os.Chtimes(p, time.Unix(1, 0), time.Unix(1, 0))
		}},
		{name: "mode", want: "want 444 or 555", damage: func(t *testing.T, real string) {
			if err := os.Chmod(filepath.Join(real, "lib/blob0.so"), 0o644); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "mtime", want: "want 1", damage: func(t *testing.T, real string) {
			if err := os.Chtimes(filepath.Join(real, "bin/run"), time.Unix(2, 0), time.Unix(2, 0)); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "unknown", unknown: true, want: "no add of this test gives that path"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			chmodCleanup(t, dir)
			src := filepath.Join(dir, "src")
			if _, _, err := genTree(src, spec); err != nil {
				t.Fatal(err)
			}
			sum, size, err := nar.HashPath(src, nil)
			if err != nil {
				t.Fatal(err)
			}
			tr := &tree{dir: src, narHash: hash.Hash{Algo: hash.SHA256, Digest: sum}, narSize: uint64(size)}
			root := filepath.Join(dir, "store")
			ctx := context.Background()
			s, err := local.Open(ctx, local.Options{Root: root, NoSync: true})
			if err != nil {
				t.Fatal(err)
			}
			p, err := s.AddToStore(ctx, "src", src, store.Recursive, hash.SHA256, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			real := s.RealPath(p)
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			known := map[string]*tree{p: tr}
			if tc.unknown {
				known = nil
			}
			if tc.damage != nil {
				tc.damage(t, real)
			}
			_, err = checkStore(t, root, known)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("intact store: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("damaged store: got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}
