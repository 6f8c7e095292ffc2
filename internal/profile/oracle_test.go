package profile

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"gonix/internal/testutil"
)

// makeProfiles builds a profiles directory like /nix/var/nix/profiles with
// generations of known ages (days, oldest first) in dir.
func makeProfiles(t *testing.T, dir string) {
	t.Helper()
	type prof struct {
		path string
		ages []int
		cur  int
	}
	for _, p := range []prof{
		{"default", []int{40, 35, 20, 0}, 4},
		{"per-user/root/profile", []int{50, 45, 10}, 2},
		{"per-user/root/channels", []int{60}, 1},
		{"per-user/alice/profile", []int{40, 39, 38}, 1},
		{"system", []int{31, 29, 28}, 3},
	} {
		full := filepath.Join(dir, p.path)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		for i, age := range p.ages {
			link := GenerationPath(full, uint64(i+1))
			if err := os.Symlink("/nix/store/00000000000000000000000000000000-x", link); err != nil {
				t.Fatal(err)
			}
			setAge(t, link, time.Duration(age)*24*time.Hour+time.Hour)
		}
		if err := os.Symlink(filepath.Base(GenerationPath(full, uint64(p.cur))), full); err != nil {
			t.Fatal(err)
		}
	}
	// Links whose target does not mention "link" are no profiles.
	if err := os.Symlink("/nix/store/00000000000000000000000000000000-x", filepath.Join(dir, "plain")); err != nil {
		t.Fatal(err)
	}
}

// linkTree lists every symlink below dir with its target.
func linkTree(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type()&fs.ModeSymlink != 0 {
			target, _ := os.Readlink(p)
			out = append(out, strings.TrimPrefix(p, dir)+" -> "+target)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func sortedLines(s string) []string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	sort.Strings(lines)
	return lines
}

// TestDeleteOldGenerationsAllMatchesNix compares DeleteOldGenerationsAll
// with `nix-collect-garbage -d` and `--delete-older-than 30d` of Nix 2.8,
// run in a private mount namespace whose /nix/var/nix/profiles is a copy
// of the same tree (ORACLE.md). Deletion order is directory order in Nix,
// so messages are compared as sorted sets.
func TestDeleteOldGenerationsAllMatchesNix(t *testing.T) {
	ncg := testutil.NixTool(t, "nix-collect-garbage")
	if os.Geteuid() != 0 {
		testutil.Missing(t, "root (for a private mount namespace)", os.ErrPermission)
	}
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		testutil.Missing(t, "unshare", err)
	}
	for _, c := range []struct {
		flags     []string
		olderThan string
		dryRun    bool
	}{
		{[]string{"-d"}, "", false},
		{[]string{"--delete-older-than", "30d"}, "30d", false},
		{[]string{"-d", "--dry-run"}, "", true},
	} {
		t.Run(strings.Join(c.flags, " "), func(t *testing.T) {
			tmp := t.TempDir()
			if err := os.WriteFile(filepath.Join(tmp, "nix.conf"), []byte("sandbox = false\nsubstituters =\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			nixDir, ourDir := filepath.Join(tmp, "nix"), filepath.Join(tmp, "ours")
			makeProfiles(t, nixDir)
			makeProfiles(t, ourDir)

			script := `mount -t tmpfs none /nix && mkdir -p /nix/store /nix/var/nix/profiles &&
mount --bind "$PROFILES" /nix/var/nix/profiles && exec "$NCG" "$@"`
			cmd := exec.Command(unshare, append([]string{"-m", "--propagation", "private", "sh", "-c", script, "sh"}, c.flags...)...)
			cmd.Env = append(os.Environ(), "NIX_CONF_DIR="+tmp, "PROFILES="+nixDir, "NCG="+ncg)
			var nixOut bytes.Buffer
			cmd.Stdout, cmd.Stderr = &nixOut, &nixOut
			if err := cmd.Run(); err != nil {
				t.Fatalf("nix-collect-garbage: %v\n%s", err, nixOut.String())
			}
			var ours bytes.Buffer
			if err := DeleteOldGenerationsAll(context.Background(), ourDir, c.olderThan, c.dryRun, &ours); err != nil {
				t.Fatal(err)
			}
			// Nix goes on with the GC (its roots, its summary); keep the
			// lines about generations.
			var want []string
			for _, l := range sortedLines(strings.ReplaceAll(nixOut.String(), "/nix/var/nix/profiles", ourDir)) {
				if strings.HasPrefix(l, "removing ") || strings.HasPrefix(l, "would remove ") {
					want = append(want, l)
				}
			}
			if d := cmp.Diff(want, sortedLines(ours.String())); d != "" {
				t.Errorf("messages (-nix +gonix):\n%s", d)
			}
			if d := cmp.Diff(linkTree(t, nixDir), linkTree(t, ourDir)); d != "" {
				t.Errorf("profile links (-nix +gonix):\n%s", d)
			}
		})
	}
}
