package bootstrap

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"gonix/internal/build/builtins"
	"gonix/internal/testutil"
)

var gonix, buildErr string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "gonix-tests-bootstrap")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	gonix = filepath.Join(dir, "gonix")
	if out, err := exec.Command("go", "build", "-o", gonix, "gonix/cmd/gonix").CombinedOutput(); err != nil {
		buildErr = fmt.Sprintf("go build gonix/cmd/gonix: %v\n%s", err, out)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// requirePrerequisites skips (fails under CI=true) without root, a
// build sandbox, unshare or a reachable Debian mirror.
func requirePrerequisites(t *testing.T) {
	t.Helper()
	if buildErr != "" {
		t.Fatal(buildErr)
	}
	if os.Geteuid() != 0 {
		testutil.Missing(t, "root (builds through the stage-0 seeds run in the sandbox as root)", errors.New("not root"))
	}
	if _, err := exec.LookPath("unshare"); err != nil {
		testutil.Missing(t, "unshare (util-linux)", err)
	}
	mirror := builtins.MirrorConfig{Getenv: os.Getenv}.Lookup("debian")[0]
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodHead, strings.TrimSuffix(mirror, "/")+"/dists/bookworm/Release", nil)
	resp, err := http.DefaultClient.Do(req)
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			err = fmt.Errorf("HTTP %s", resp.Status)
		}
	}
	if err != nil {
		testutil.Missing(t, "the Debian mirror "+mirror, err)
	}
}

// gonixBuild runs gonix nix-build in the chroot store root.
func gonixBuild(t *testing.T, root string, args ...string) (string, time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Minute)
	defer cancel()
	// <gonixpkgs> is the collection built into the binary under test.
	argv := append([]string{"nix-build", "--store", root, "--option", "substituters", ""}, args...)
	cmd := exec.CommandContext(ctx, gonix, argv...)
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), "NIX_PATH=", "HOME="+cmd.Dir)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		tail := stderr.String()
		if len(tail) > 8000 {
			tail = "…" + tail[len(tail)-8000:]
		}
		t.Fatalf("gonix %s: %v\n%s", strings.Join(argv, " "), err, tail)
	}
	return strings.TrimSpace(stdout.String()), time.Since(start)
}

// inStore runs script with root's store mounted at /nix/store, in a
// private mount namespace (the machine's /nix is never touched).
func inStore(t *testing.T, root, script string) string {
	t.Helper()
	setup := fmt.Sprintf("set -e; mkdir -p /nix 2>/dev/null || true; mount -t tmpfs none /nix; mkdir /nix/store; mount --bind %s/nix/store /nix/store; %s", root, script)
	out, err := exec.Command("unshare", "-m", "--propagation", "private", "/bin/sh", "-c", setup).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", script, err, out)
	}
	return string(out)
}

func duBytes(dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}

// TestHelloFromNothing: `nix-build '<gonixpkgs>' -A hello` in an empty
// store downloads the pinned seeds and hello's source, builds the stage-0
// toolchain and hello (with make check), and the result says
// "Hello, world!"; its runtime closure is hello and seed-libc only, and
// the store's loader resolves every library inside the store.
func TestHelloFromNothing(t *testing.T) {
	requirePrerequisites(t)
	dir := t.TempDir()
	t.Cleanup(func() {
		filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				os.Chmod(p, 0o755)
			}
			return nil
		})
	})
	root := filepath.Join(dir, "store")
	out, took := gonixBuild(t, root, "-o", filepath.Join(dir, "result"), "<gonixpkgs>", "-A", "hello")
	t.Logf("hello from nothing: %v wall, store %d MiB afterwards", took.Round(time.Second), duBytes(root)>>20)
	if !strings.HasPrefix(out, "/nix/store/") || !strings.HasSuffix(out, "-hello-2.10") {
		t.Fatalf("nix-build printed %q, want a /nix/store/…-hello-2.10 path", out)
	}

	test, _ := gonixBuild(t, root, "--no-out-link", "<gonixpkgs>", "-A", "hello.tests.run")
	if b, err := os.ReadFile(filepath.Join(root, test)); err != nil || string(b) != "Hello, world!\n" {
		t.Errorf("hello.tests.run output: %q, %v", b, err)
	}

	closure, err := exec.Command(gonix, "nix-store", "--store", root, "-qR", out).Output()
	if err != nil {
		t.Fatalf("nix-store -qR: %v", err)
	}
	var names []string
	libc := ""
	for _, p := range strings.Fields(string(closure)) {
		name := p[len("/nix/store/")+33:]
		names = append(names, name)
		if name == "seed-libc" {
			libc = p
		}
	}
	sort.Strings(names)
	if strings.Join(names, " ") != "hello-2.10 seed-libc" {
		t.Errorf("runtime closure of hello: %q, want hello-2.10 and seed-libc only", names)
	}

	ldso := libc + "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"
	got := inStore(t, root, out+"/bin/hello; "+ldso+" --list "+out+"/bin/hello")
	lines := strings.Split(strings.TrimSpace(got), "\n")
	if lines[0] != "Hello, world!" {
		t.Errorf("hello printed %q, want \"Hello, world!\"", lines[0])
	}
	for _, l := range lines[1:] {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "linux-vdso.so") {
			continue
		}
		if strings.Contains(l, "not found") || !strings.Contains(l, "/nix/store/") || strings.Contains(l, "=> /lib") || strings.Contains(l, "=> /usr") {
			t.Errorf("ld.so --list: %q resolves outside the store", l)
		}
	}
	if len(lines) < 3 {
		t.Errorf("ld.so --list printed too little:\n%s", got)
	}
}

// TestSearchPathEntry: <gonixpkgs> resolves to the collection built into
// gonix (unpacked under $XDG_CACHE_HOME/gonix), is not part of
// builtins.nixPath, and -I gonixpkgs=DIR overrides it.
func TestSearchPathEntry(t *testing.T) {
	if buildErr != "" {
		t.Fatal(buildErr)
	}
	dir := t.TempDir()
	eval := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(gonix, append([]string{"nix-instantiate", "--store", filepath.Join(dir, "store"), "--eval"}, args...)...)
		cmd.Env = append(os.Environ(), "NIX_PATH=", "XDG_CACHE_HOME="+filepath.Join(dir, "cache"))
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("nix-instantiate --eval %q: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	got := eval("-E", "<gonixpkgs/hello>")
	if !strings.HasPrefix(got, filepath.Join(dir, "cache", "gonix", "gonixpkgs-")) || !strings.HasSuffix(got, "/hello") {
		t.Errorf("<gonixpkgs/hello> = %s, want a directory under the cache", got)
	}
	if got := eval("-E", `(import <gonixpkgs> { }).hello.name`); got != `"hello-2.10"` {
		t.Errorf("hello's name: %s", got)
	}
	if got := eval("-E", "builtins.nixPath"); got != "[ ]" {
		t.Errorf("builtins.nixPath = %s, want [ ] (the built-in entry is a fallback)", got)
	}
	other := filepath.Join(dir, "other")
	os.MkdirAll(other, 0o755)
	os.WriteFile(filepath.Join(other, "default.nix"), []byte(`{ ... }: { hello = "mine"; }`), 0o644)
	if got := eval("-I", "gonixpkgs="+other, "-E", `(import <gonixpkgs> { }).hello`); got != `"mine"` {
		t.Errorf("-I gonixpkgs=DIR: hello = %s, want \"mine\"", got)
	}
}

// TestOverlaysAndOverrides evaluates (no build) the nixpkgs-style
// customisation points of gonixpkgs: an overlay replacing a dependency
// reaches the packages that use it, overrideAttrs and override change the
// derivation, passthru and meta stay out of it.
func TestOverlaysAndOverrides(t *testing.T) {
	if buildErr != "" {
		t.Fatal(buildErr)
	}
	dir := t.TempDir()
	tests := []struct{ expr, want string }{
		{`(import <gonixpkgs> { }).hello.name`, `"hello-2.10"`},
		{`(import <gonixpkgs> { overlays = [ (self: super: { debian = super.debian // { sourceVersion = n: "9.9"; }; }) ]; }).hello.name`, `"hello-9.9"`},
		{`(import <gonixpkgs> { overlays = [ (self: super: { hello = super.hello.overrideAttrs (o: { pname = "hi"; }); }) ]; }).hello.name`, `"hi-2.10"`},
		{`let p = import <gonixpkgs> { }; in (p.hello.override { debian = p.debian // { sourceVersion = _: "1.0"; }; }).name`, `"hello-1.0"`},
		{`let p = import <gonixpkgs> { }; in p.hello.drvPath == (p.hello.overrideAttrs (o: { doCheck = false; })).drvPath`, `false`},
		{`let p = import <gonixpkgs> { }; in p.hello.drvPath == (p.hello.overrideAttrs (o: { })).drvPath`, `true`},
		{`let h = (import <gonixpkgs> { }).hello; in [ (h.tests.run.name) (h.meta.homepage) (h ? passthru) (builtins.hasAttr "meta" h.drvAttrs) ]`, `[ "hello-test-run" "https://www.gnu.org/software/hello/" true false ]`},
		{`builtins.tryEval ((import <gonixpkgs> { }).debian.fetchDeb "no-such-package").drvPath`, `{ success = false; value = false; }`},
	}
	for _, tc := range tests {
		cmd := exec.Command(gonix, "nix-instantiate", "--store", filepath.Join(dir, "store"), "--eval", "--strict", "-E", tc.expr)
		cmd.Env = append(os.Environ(), "NIX_PATH=", "XDG_CACHE_HOME="+filepath.Join(dir, "cache"))
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Errorf("%s: %v\n%s", tc.expr, err, out)
			continue
		}
		if got := strings.TrimSpace(string(out)); got != tc.want {
			t.Errorf("%s\n got %s\nwant %s", tc.expr, got, tc.want)
		}
	}
	// A missing pin says what to do.
	cmd := exec.Command(gonix, "nix-instantiate", "--store", filepath.Join(dir, "store"), "--eval", "-E", `((import <gonixpkgs> { }).debian.fetchSource "no-such-source" null).drvPath`)
	cmd.Env = append(os.Environ(), "NIX_PATH=", "XDG_CACHE_HOME="+filepath.Join(dir, "cache"))
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "run pkgs/debian/update-pins.sh") {
		t.Errorf("missing source pin: %v\n%s", err, out)
	}
}
