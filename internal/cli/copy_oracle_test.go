package cli

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"gonix/internal/testutil"
)

const copyClosureExpr = `let
  a = builtins.toFile "a" "x";
  b = builtins.toFile "b" "ref ${a}";
in derivation {
  name = "d"; system = builtins.currentSystem; builder = "/bin/sh";
  args = [ "-c" "echo ${b} > $out" ];
}`

// TestCopyOracle: Nix 2.8 copies a signed closure (two toFile paths and
// a built, input-addressed output) into file:// caches with xz and zstd;
// gonix copy reads every path into a fresh chroot store with the trusted
// key and both gonix's and Nix's --verify --check-contents pass. Then
// gonix copy writes that store's closure into caches with every
// compression it writes, and Nix 2.8 substitutes each (require-sigs on)
// and verifies it. Both also go over HTTP: gonix reads Nix's cache from a
// web server, and Nix substitutes what gonix uploaded there with PUT.
func TestCopyOracle(t *testing.T) {
	nixStore := testutil.NixTool(t, "nix-store")
	nixInst := testutil.NixTool(t, "nix-instantiate")
	nix := testutil.NixTool(t, "nix")
	tmp := t.TempDir()
	home := filepath.Join(tmp, "home")
	os.MkdirAll(home, 0o755)
	run := func(prog string, argv ...string) string {
		t.Helper()
		cmd := exec.Command(prog, argv...)
		cmd.Env = append(os.Environ(), "HOME="+home, "XDG_CACHE_HOME="+filepath.Join(home, "cache"))
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s %s: %v\n%s%s", filepath.Base(prog), strings.Join(argv, " "), err, out, stderr.String())
		}
		return string(out)
	}
	noSubst := []string{"--option", "substituters", ""}
	src := filepath.Join(tmp, "nixsrc")
	sec, pub := filepath.Join(tmp, "sec.key"), filepath.Join(tmp, "pub.key")
	run(nixStore, "--store", "dummy://", "--generate-binary-cache-key", "oracle-copy-1", sec, pub)
	pubText, _ := os.ReadFile(pub)
	pubKey := strings.TrimSpace(string(pubText))
	drv := strings.TrimSpace(run(nixInst, append([]string{"--store", src, "--read-write-mode", "-E", copyClosureExpr}, noSubst...)...))
	built := strings.TrimSpace(run(nixStore, append([]string{"--store", src, "--option", "sandbox", "true",
		"--option", "sandbox-paths", "/bin /lib /lib64 /usr", "--option", "build-users-group", "", "--realise", drv}, noSubst...)...))
	if !strings.HasPrefix(built, "/nix/store/") || strings.Contains(built, "\n") {
		t.Fatalf("nix-store --realise printed %q", built)
	}
	closure := strings.Fields(run(nixStore, "--store", src, "-qR", built))

	gonix := func(argv ...string) {
		t.Helper()
		r := runGonixIn(tmp, nil, append([]string{"gonix"}, argv...)...)
		if r.status != 0 {
			t.Fatalf("gonix %s: %d\n%s", strings.Join(argv, " "), r.status, r.stderr)
		}
	}
	var fresh string
	for _, comp := range []string{"xz", "zstd"} {
		cache := filepath.Join(tmp, "nix-"+comp)
		run(nix, append([]string{"--extra-experimental-features", "nix-command", "copy", "--store", src,
			"--to", "file://" + cache + "?compression=" + comp + "&secret-key=" + sec, built}, noSubst...)...)
		fresh = filepath.Join(tmp, "gonix-from-"+comp)
		gonix("copy", "--from", "file://"+cache, "--to", fresh, "--option", "trusted-public-keys", pubKey, built)
		verifyStore(t, fresh)
		run(nixStore, "--store", fresh, "--verify", "--check-contents")
		got := strings.Fields(run(nixStore, "--store", fresh, "-qR", built))
		if strings.Join(got, " ") != strings.Join(closure, " ") {
			t.Errorf("%s: closure in gonix's store %q, Nix's %q", comp, got, closure)
		}
		for _, p := range closure {
			if w, g := run(nixStore, "--store", src, "-q", "--hash", p), run(nixStore, "--store", fresh, "-q", "--hash", p); w != g {
				t.Errorf("%s: %s hash %s, Nix's %s", comp, p, g, w)
			}
		}
	}

	// nix store verify and gonix store verify agree on the copied store:
	// untrusted without the key (the built output), clean with it.
	for _, keys := range []string{"", pubKey} {
		argv := []string{"store", "verify", "--store", fresh, "-r", built, "--option", "trusted-public-keys", keys}
		g := runGonixIn(tmp, nil, append([]string{"gonix"}, argv...)...)
		cmd := exec.Command(nix, append([]string{"--extra-experimental-features", "nix-command"}, append(argv, noSubst...)...)...)
		cmd.Env = append(os.Environ(), "HOME="+home, "XDG_CACHE_HOME="+filepath.Join(home, "cache"))
		out, _ := cmd.CombinedOutput()
		if g.status != cmd.ProcessState.ExitCode() || strings.Count(g.stderr, "is untrusted") != strings.Count(string(out), "is untrusted") {
			t.Errorf("store verify (keys %q): gonix %d\n%s\nnix %d\n%s", keys, g.status, g.stderr, cmd.ProcessState.ExitCode(), out)
		}
	}

	// Over HTTP, both ways: gonix reads Nix's xz cache from a static web
	// server, then uploads with PUT a zstd cache that Nix substitutes.
	srv := httptest.NewServer(putFileServer(tmp))
	defer srv.Close()
	viaHTTP := filepath.Join(tmp, "gonix-via-http")
	gonix("copy", "--from", srv.URL+"/nix-xz", "--to", viaHTTP, "--option", "trusted-public-keys", pubKey, built)
	verifyStore(t, viaHTTP)
	gonix("copy", "--store", viaHTTP, "--to", srv.URL+"/put-zstd?compression=zstd", built)
	dstHTTP := filepath.Join(tmp, "nix-via-http")
	run(nixStore, "--store", dstHTTP, "-r", built, "--option", "substituters", srv.URL+"/put-zstd",
		"--option", "trusted-public-keys", pubKey)
	run(nixStore, "--store", dstHTTP, "--verify", "--check-contents")

	// A closure of 50 paths (a chain of toFile texts) from Nix's signed
	// cache, over HTTP, into a fresh store, checked by Nix.
	chain := strings.Trim(strings.TrimSpace(run(nixInst, append([]string{"--store", src, "--read-write-mode", "--eval", "-E",
		`let f = n: if n == 0 then builtins.toFile "p0" "x" else builtins.toFile "p${toString n}" "ref ${f (n - 1)}"; in f 49`}, noSubst...)...)), `"`)
	run(nix, append([]string{"--extra-experimental-features", "nix-command", "copy", "--store", src,
		"--to", "file://" + tmp + "/chain?secret-key=" + sec, chain}, noSubst...)...)
	chainDst := filepath.Join(tmp, "gonix-chain")
	gonix("copy", "--from", srv.URL+"/chain", "--to", chainDst, "--option", "trusted-public-keys", pubKey, chain)
	if got := strings.Fields(run(nixStore, "--store", chainDst, "-qR", chain)); len(got) != 50 {
		t.Errorf("chain closure: %d paths, want 50", len(got))
	}
	run(nixStore, "--store", chainDst, "--verify", "--check-contents")

	for _, comp := range []string{"xz", "zstd", "bzip2", "br", "none"} {
		cache := filepath.Join(tmp, "gonix-"+comp)
		gonix("copy", "--store", fresh, "--to", "file://"+cache+"?compression="+comp, built)
		dst := filepath.Join(tmp, "nix-from-"+comp)
		run(nixStore, "--store", dst, "-r", built, "--option", "substituters", "file://"+cache,
			"--option", "trusted-public-keys", pubKey)
		run(nixStore, "--store", dst, "--verify", "--check-contents")
		if got := strings.Fields(run(nixStore, "--store", dst, "-qR", built)); len(got) != len(closure) {
			t.Errorf("%s: Nix substituted %q, want %q", comp, got, closure)
		}
	}
}

// putFileServer serves dir as a static web server that also takes PUTs,
// as an HTTP binary cache behind a WebDAV-ish server does.
func putFileServer(dir string) http.Handler {
	files := http.FileServer(http.Dir(dir))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPut {
			files.ServeHTTP(w, r)
			return
		}
		if strings.Contains(r.URL.Path, "..") {
			http.Error(w, "bad path", http.StatusBadRequest)
			return
		}
		p := filepath.Join(dir, filepath.FromSlash(r.URL.Path))
		os.MkdirAll(filepath.Dir(p), 0o755)
		data, err := io.ReadAll(r.Body)
		if err == nil {
			err = os.WriteFile(p, data, 0o644)
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusCreated)
	})
}
