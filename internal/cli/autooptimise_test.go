package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// TestAutoOptimiseStoreOption: `--option auto-optimise-store true` makes
// `nix-store --add` link identical files of the new paths to one inode;
// without it each path keeps its own.
func TestAutoOptimiseStoreOption(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		opt    []string
		shared bool
	}{
		{[]string{"--option", "auto-optimise-store", "true"}, true},
		{nil, false},
	} {
		root := t.TempDir()
		src := t.TempDir()
		a, b := filepath.Join(src, "a"), filepath.Join(src, "b")
		for _, f := range []string{a, b} {
			if err := os.WriteFile(f, []byte("same contents\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		argv := append([]string{"nix-store", "--store", root}, tc.opt...)
		r := run(t, append(argv, "--add", a, b)...)
		if r.status != 0 {
			t.Fatalf("%q: %+v", argv, r)
		}
		paths := strings.Fields(r.stdout)
		if len(paths) != 2 {
			t.Fatalf("%q: printed %q, want two paths", argv, r.stdout)
		}
		var inodes []uint64
		for _, p := range paths {
			var st unix.Stat_t
			if err := unix.Lstat(filepath.Join(root, p), &st); err != nil {
				t.Fatal(err)
			}
			inodes = append(inodes, st.Ino)
		}
		if got := inodes[0] == inodes[1]; got != tc.shared {
			t.Errorf("%q: %s and %s share an inode: %v, want %v", argv, paths[0], paths[1], got, tc.shared)
		}
	}
}
