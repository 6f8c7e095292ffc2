package binarycache

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"gonix/internal/format/narinfo"
	"gonix/internal/store"
	"gonix/internal/store/local"
	"gonix/internal/testutil"
)

// nixRun runs a Nix 2.8 command with HOME and the narinfo disk cache in
// the test's temporary directory, failing the test on a non-zero exit.
func nixRun(t *testing.T, home string, tool string, args ...string) string {
	t.Helper()
	out, err := nixTry(home, tool, args...)
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", tool, strings.Join(args, " "), err, out)
	}
	return out
}

func nixTry(home string, tool string, args ...string) (string, error) {
	cmd := exec.Command(tool, args...)
	cmd.Env = append(os.Environ(), "HOME="+home, "XDG_CACHE_HOME="+filepath.Join(home, "cache"))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return string(out) + stderr.String(), err
	}
	return string(out), nil
}

type oracle struct {
	nixStore, nixInst, nix string
	home                   string
}

func newOracle(t *testing.T) oracle {
	return oracle{
		nixStore: testutil.NixTool(t, "nix-store"),
		nixInst:  testutil.NixTool(t, "nix-instantiate"),
		nix:      testutil.NixTool(t, "nix"),
		home:     t.TempDir(),
	}
}

// keys makes a key pair with nix-store --generate-binary-cache-key and
// returns the secret key file, the public key file and the parsed keys.
func (o oracle) keys(t *testing.T, name string) (string, string, narinfo.SecretKey, narinfo.PublicKey) {
	t.Helper()
	dir := t.TempDir()
	sec, pub := filepath.Join(dir, "sec.key"), filepath.Join(dir, "pub.key")
	nixRun(t, o.home, o.nixStore, "--store", "dummy://", "--generate-binary-cache-key", name, sec, pub)
	st, _ := os.ReadFile(sec)
	pt, _ := os.ReadFile(pub)
	sk, err := narinfo.ParseSecretKey(string(st))
	if err != nil {
		t.Fatal(err)
	}
	pk, err := narinfo.ParsePublicKey(strings.TrimSpace(string(pt)))
	if err != nil {
		t.Fatal(err)
	}
	return sec, pub, sk, pk
}

const closureExpr = `let
  a = builtins.toFile "a" "x";
  b = builtins.toFile "b" "ref ${a}";
in derivation {
  name = "d"; system = builtins.currentSystem; builder = "/bin/sh";
  args = [ "-c" "echo ${b} > $out" ];
}`

// TestOracleNixWrites: Nix 2.8 copies a signed closure (two toFile paths,
// one referring to the other, and a built, input-addressed output
// referring to them) into file:// caches with xz, zstd and bzip2; gonix
// substitutes it into a fresh store with the trusted key, the contents
// verify and the NAR hashes are Nix's. Under a foreign key the built
// output is refused.
func TestOracleNixWrites(t *testing.T) {
	ctx := context.Background()
	o := newOracle(t)
	tmp := t.TempDir()
	src := filepath.Join(tmp, "src")
	sec, _, sk, pk := o.keys(t, "nix-test-1")
	_, _, _, foreign := o.keys(t, "nix-test-2")
	drv := strings.TrimSpace(nixRun(t, o.home, o.nixInst, "--store", src, "--option", "substituters", "", "--read-write-mode", "-E", closureExpr))
	built := strings.TrimSpace(nixRun(t, o.home, o.nixStore, "--store", src, "--option", "substituters", "",
		"--option", "sandbox", "true", "--option", "sandbox-paths", "/bin /lib /lib64 /usr", "--option", "build-users-group", "", "--realise", drv))
	closure := strings.Fields(nixRun(t, o.home, o.nixStore, "--store", src, "-qR", built))
	if len(closure) != 3 {
		t.Fatalf("closure of %s: %q, want a, b and d", built, closure)
	}
	for _, comp := range []string{"none", "xz", "zstd", "bzip2", "br"} {
		t.Run(comp, func(t *testing.T) {
			cdir := filepath.Join(t.TempDir(), "cache")
			nixRun(t, o.home, o.nix, "--extra-experimental-features", "nix-command", "copy", "--from", src,
				"--to", "file://"+cdir+"?secret-key="+sec+"&compression="+comp, built)
			c := openCache(t, cdir)
			ni, err := c.QueryPathInfo(ctx, built)
			if err != nil {
				t.Fatal(err)
			}
			if ni.Compression != comp || ni.CA != "" {
				t.Fatalf("Nix's narinfo:\n%s", ni.MarshalText())
			}

			// A foreign key: the input-addressed output lacks a valid
			// signature; its content-addressed references need none.
			dst := openStore(t)
			err = SubstituteClosure(ctx, c, dst, []string{built}, []narinfo.PublicKey{foreign}, true)
			if err == nil || !strings.Contains(err.Error(), "cannot add path '"+built+"' because it lacks a valid signature") {
				t.Errorf("foreign key: %v", err)
			}
			if ok, _ := dst.IsValidPath(ctx, built); ok {
				t.Errorf("%s valid after a refused substitution", built)
			}

			dst = openStore(t)
			if err := SubstituteClosure(ctx, c, dst, []string{built}, []narinfo.PublicKey{pk}, true); err != nil {
				t.Fatal(err)
			}
			verify(t, dst)
			for _, p := range closure {
				info, err := dst.QueryPathInfo(ctx, p)
				if err != nil {
					t.Fatal(err)
				}
				want := strings.TrimSpace(nixRun(t, o.home, o.nixStore, "--store", src, "-q", "--hash", p))
				if got := info.NarHash.Encode(0, true); !strings.HasSuffix(want, info.NarHash.Base32()) {
					t.Errorf("%s: NAR hash %s, Nix says %s", p, got, want)
				}
			}
			info, _ := dst.QueryPathInfo(ctx, built)
			if info.Deriver != drv || len(info.Sigs) != 1 || !strings.HasPrefix(info.Sigs[0], "nix-test-1:") {
				t.Errorf("substituted %s: deriver %q sigs %q", built, info.Deriver, info.Sigs)
			}
			if comp != "none" {
				return
			}
			// Uncompressed files are deterministic: gonix, copying the same
			// paths with the same key, writes Nix's narinfos and NARs byte
			// for byte (the signature is deterministic too, and the one
			// already on the path is the same).
			gdir := filepath.Join(t.TempDir(), "gonix")
			g := openCache(t, gdir)
			if err := addClosure(ctx, g, dst, closure, &sk); err != nil {
				t.Fatal(err)
			}
			for _, p := range closure {
				name, _ := c.narinfoName(p)
				want, _ := os.ReadFile(filepath.Join(cdir, name))
				got, err := os.ReadFile(filepath.Join(gdir, name))
				if err != nil || !bytes.Equal(got, want) {
					t.Errorf("%s: gonix wrote\n%s\nNix wrote\n%s", name, got, want)
				}
				ni, _ := c.QueryPathInfo(ctx, p)
				wantNar, _ := os.ReadFile(filepath.Join(cdir, ni.URL))
				gotNar, err := os.ReadFile(filepath.Join(gdir, ni.URL))
				if err != nil || !bytes.Equal(gotNar, wantNar) {
					t.Errorf("%s: NAR differs from Nix's (%v)", ni.URL, err)
				}
			}
			for _, f := range []string{"nix-cache-info"} {
				want, _ := os.ReadFile(filepath.Join(cdir, f))
				got, _ := os.ReadFile(filepath.Join(gdir, f))
				if !bytes.Equal(got, want) {
					t.Errorf("%s: gonix %q, Nix %q", f, got, want)
				}
			}
		})
	}
}

// addClosure adds paths (a closure, in any order) to c, references first.
func addClosure(ctx context.Context, c *Cache, st *local.Store, paths []string, key *narinfo.SecretKey) error {
	sorted, err := store.TopoSort(ctx, st, paths)
	if err != nil {
		return err
	}
	for i := len(sorted) - 1; i >= 0; i-- {
		if err := c.AddPath(ctx, st, sorted[i], "none", key); err != nil {
			return err
		}
	}
	return nil
}

// TestOracleNixReads: gonix writes a signed cache (xz, zstd, bzip2, br
// and none) of a
// closure in a gonix store; Nix 2.8 substitutes it into a fresh store with
// the trusted key (require-sigs is on by default), nix-store --verify
// --check-contents passes and the NAR hashes agree. Nix refuses the same
// cache under a foreign key.
func TestOracleNixReads(t *testing.T) {
	ctx := context.Background()
	o := newOracle(t)
	_, pub, sk, _ := o.keys(t, "gonix-test-1")
	_, foreignPub, _, _ := o.keys(t, "gonix-test-2")
	pubText, _ := os.ReadFile(pub)
	foreignText, _ := os.ReadFile(foreignPub)
	src, err := local.Open(ctx, local.Options{Root: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	paths := chain(t, src)
	top := paths[len(paths)-1]
	for _, comp := range []string{"xz", "zstd", "bzip2", "br", "none"} {
		t.Run(comp, func(t *testing.T) {
			cdir := filepath.Join(t.TempDir(), "cache")
			c := openCache(t, cdir)
			addAll(t, c, src, paths, comp, &sk)

			if comp == "xz" {
				bad := filepath.Join(t.TempDir(), "bad")
				out, err := nixTry(o.home, o.nixStore, "--store", bad, "-r", top, "--option", "substituters", "file://"+cdir,
					"--option", "trusted-public-keys", strings.TrimSpace(string(foreignText)))
				if err == nil || !strings.Contains(out, "is not signed by any of the keys in 'trusted-public-keys'") {
					t.Errorf("Nix under a foreign key: %v, want it to refuse the unsigned substitute:\n%s", err, out)
				}
			}

			dst := filepath.Join(t.TempDir(), "dst")
			nixRun(t, o.home, o.nixStore, "--store", dst, "-r", top, "--option", "substituters", "file://"+cdir,
				"--option", "trusted-public-keys", strings.TrimSpace(string(pubText)))
			nixRun(t, o.home, o.nixStore, "--store", dst, "--verify", "--check-contents")
			got := strings.Fields(nixRun(t, o.home, o.nixStore, "--store", dst, "-qR", top))
			if len(got) != len(paths) {
				t.Errorf("Nix's closure of %s: %q, want %q", top, got, paths)
			}
			for _, p := range paths {
				info, _ := src.QueryPathInfo(ctx, p)
				h := strings.TrimSpace(nixRun(t, o.home, o.nixStore, "--store", dst, "-q", "--hash", p))
				if !strings.HasSuffix(h, info.NarHash.Base32()) {
					t.Errorf("%s: Nix has %s, gonix %s", p, h, info.NarHash.Base32())
				}
			}
		})
	}
}
