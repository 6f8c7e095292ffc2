package builtins

import (
	"bufio"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const (
	vecFoo      = "/nix/store/ri6qsw5ff11j8vs8m6aaq067k80vlzb9-foo-1.0"
	vecBar      = "/nix/store/z86wvyn8cxq9ljc58phd45rashchrq9l-bar-2.0"
	vecManifest = "/nix/store/8nf71inr4dv0q22pmy4zpcxfnkvj2fcs-env-manifest.nix"
)

// mkPkg writes a package as pkgs.nix of the profile vectors builds it.
func mkPkg(t *testing.T, real, logical, name, version string) {
	t.Helper()
	dir := filepath.Join(real, filepath.Base(logical))
	for _, d := range []string{"bin", "share/" + name} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write(t, filepath.Join(dir, "bin", name), "#!/bin/sh\necho "+name+"\n")
	write(t, filepath.Join(dir, "share", name, "version"), version+"\n")
}

func write(t *testing.T, p, s string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

// tree lists out as "d ./x" / "l ./x target" lines, sorted.
func tree(t *testing.T, out string) []string {
	t.Helper()
	var lines []string
	err := filepath.Walk(out, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel := "." + strings.TrimPrefix(p, out)
		switch {
		case fi.Mode()&os.ModeSymlink != 0:
			tgt, err := os.Readlink(p)
			if err != nil {
				return err
			}
			lines = append(lines, "l "+rel+" "+tgt)
		case fi.IsDir():
			lines = append(lines, "d "+rel)
		default:
			lines = append(lines, "f "+rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(lines)
	return lines
}

func vectorTree(t *testing.T) []string {
	t.Helper()
	f, err := os.Open("/work/shared/spec/vectors/profiles/user-environment-tree.txt")
	if err != nil {
		t.Skipf("spec vectors not present: %v", err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		l := sc.Text()
		if strings.HasPrefix(l, "#") || l == "" {
			continue
		}
		fields := strings.Fields(l)
		switch fields[0][0] {
		case 'd':
			lines = append(lines, "d "+fields[1])
		case 'l':
			lines = append(lines, "l "+fields[1]+" "+fields[2])
		}
	}
	sort.Strings(lines)
	return lines
}

func TestBuildEnvVector(t *testing.T) {
	root := t.TempDir()
	real := filepath.Join(root, "nix/store")
	mkPkg(t, real, vecFoo, "foo", "1.0")
	mkPkg(t, real, vecBar, "bar", "2.0")
	out := filepath.Join(real, "j4gwrpdpp071nhp1yy18bfx8xksa2hg4-user-environment")
	env := map[string]string{
		"out":         "/nix/store/j4gwrpdpp071nhp1yy18bfx8xksa2hg4-user-environment",
		"manifest":    vecManifest,
		"derivations": "true 5 1 " + vecBar + " true 5 1 " + vecFoo,
	}
	if err := BuildEnv(env, out, "/nix/store", real, nil); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(vectorTree(t), tree(t, out)); d != "" {
		t.Errorf("tree mismatch (-want +got):\n%s", d)
	}
}

func TestBuildEnvCollisions(t *testing.T) {
	const a, b = "/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-a", "/nix/store/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-b"
	setup := func(t *testing.T) (string, string) {
		root := t.TempDir()
		real := filepath.Join(root, "nix/store")
		write(t, filepath.Join(real, filepath.Base(a), "bin/x"), "a")
		write(t, filepath.Join(real, filepath.Base(a), "share/a/f"), "a")
		write(t, filepath.Join(real, filepath.Base(b), "bin/x"), "b")
		write(t, filepath.Join(real, filepath.Base(b), "share/b/f"), "b")
		write(t, filepath.Join(real, filepath.Base(b), "nix-support/propagated-user-env-packages"), "")
		return real, filepath.Join(real, "cccccccccccccccccccccccccccccccc-user-environment")
	}
	run := func(t *testing.T, drvs string) (string, error) {
		real, out := setup(t)
		return out, BuildEnv(map[string]string{"out": "x", "manifest": "/m", "derivations": drvs}, out, "/nix/store", real, nil)
	}
	t.Run("same priority", func(t *testing.T) {
		_, err := run(t, "true 5 1 "+a+" true 5 1 "+b)
		want := "packages '" + b + "/bin/x' and '" + a + "/bin/x' have the same priority 5; use 'nix-env --set-flag priority NUMBER INSTALLED_PKGNAME' to change the priority of one of the conflicting packages (0 being the highest priority)"
		if err == nil || err.Error() != want {
			t.Fatalf("err = %v\nwant %s", err, want)
		}
	})
	for _, tc := range []struct{ name, drvs, link, winner string }{
		{"lower number wins (first)", "true 3 1 " + b + " true 5 1 " + a, "bin/x", b + "/bin/x"},
		{"lower number wins (second)", "true 5 1 " + b + " true 3 1 " + a, "bin/x", a + "/bin/x"},
		{"inactive ignored", "false 1 1 " + b + " true 5 1 " + a, "bin", a + "/bin"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := run(t, tc.drvs)
			if err != nil {
				t.Fatal(err)
			}
			got, err := os.Readlink(filepath.Join(out, tc.link))
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.winner {
				t.Errorf("%s -> %s, want %s", tc.link, got, tc.winner)
			}
			if _, err := os.Lstat(filepath.Join(out, "nix-support")); err == nil {
				t.Errorf("nix-support linked")
			}
		})
	}
}

func TestBuildEnvPropagated(t *testing.T) {
	const a, p = "/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-a", "/nix/store/pppppppppppppppppppppppppppppppp-p"
	root := t.TempDir()
	real := filepath.Join(root, "nix/store")
	write(t, filepath.Join(real, filepath.Base(a), "bin/x"), "a")
	write(t, filepath.Join(real, filepath.Base(a), "nix-support/propagated-user-env-packages"), p+"\n")
	write(t, filepath.Join(real, filepath.Base(p), "bin/x"), "p")
	write(t, filepath.Join(real, filepath.Base(p), "bin/y"), "p")
	out := filepath.Join(real, "cccccccccccccccccccccccccccccccc-user-environment")
	if err := BuildEnv(map[string]string{"out": "x", "manifest": "/m", "derivations": "true 5 1 " + a}, out, "/nix/store", real, nil); err != nil {
		t.Fatal(err)
	}
	want := []string{"d .", "l ./manifest.nix /m", "d ./bin", "l ./bin/x " + a + "/bin/x", "l ./bin/y " + p + "/bin/y"}
	sort.Strings(want)
	if d := cmp.Diff(want, tree(t, out)); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}
