package channels

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"gonix/internal/testutil"
)

var binDir, buildErr string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "gonix-tests-channels")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	gonix := filepath.Join(dir, "gonix")
	if out, err := exec.Command("go", "build", "-o", gonix, "gonix/cmd/gonix").CombinedOutput(); err != nil {
		buildErr = fmt.Sprintf("go build gonix/cmd/gonix: %v\n%s", err, out)
	}
	for _, name := range []string{"nix-channel", "nix-env", "nix-shell", "nix-instantiate", "nix-store"} {
		os.Symlink("gonix", filepath.Join(dir, name))
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// requirePrerequisites skips (fails under CI=true) without root, unshare,
// a /nix directory to mount over, or busybox for the sandboxed builds.
func requirePrerequisites(t *testing.T) {
	t.Helper()
	if buildErr != "" {
		t.Fatal(buildErr)
	}
	if os.Geteuid() != 0 {
		testutil.Missing(t, "root (private mount namespaces over /nix)", errors.New("not root"))
	}
	if _, err := exec.LookPath("unshare"); err != nil {
		testutil.Missing(t, "unshare (util-linux)", err)
	}
	if st, err := os.Stat("/nix"); err != nil || !st.IsDir() {
		testutil.Missing(t, "a /nix directory to mount a private one over", err)
	}
	if _, err := os.Stat("/bin/busybox"); err != nil {
		testutil.Missing(t, "/bin/busybox (the sandbox's /bin/sh)", err)
	}
}

// collection is a tiny package collection in the calling conventions of
// nixpkgs (a function of an attribute set) whose packages build with
// busybox in seconds: hello says greeting.
func collection(version, greeting string) string {
	return `{ ... }:
let
  mk = pname: version: script: derivation {
    name = "${pname}-${version}"; inherit pname version;
    system = "x86_64-linux"; builder = "/bin/sh"; args = [ "-c" script ];
  };
in {
  hello = mk "hello" "` + version + `" ''
    mkdir -p $out/bin
    echo '#!/bin/sh' > $out/bin/hello
    echo 'echo "` + greeting + `"' >> $out/bin/hello
    chmod +x $out/bin/hello
  '';
  figlet = mk "figlet" "2.2.5" "mkdir -p $out/share; echo figlet > $out/share/figlet";
}
`
}

type session struct {
	t     *testing.T
	tmp   string
	env   []string
	flags string // substituter flags for nix-env
}

// run runs script in a private mount namespace with tmp/nix bound on
// /nix (so profiles and the store are real ones, the machine's untouched)
// and returns its stdout and stderr; a failure fails the test.
func (s *session) run(script string) (string, string, time.Duration) {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "unshare", "-m", "--propagation", "private", "sh", "-ec",
		`mount --bind "$NIXDIR" /nix; `+script)
	cmd.Env = s.env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	d := time.Since(start)
	if err != nil {
		s.t.Fatalf("%s: %v\nstdout:\n%s\nstderr:\n%s", script, err, stdout.String(), stderr.String())
	}
	return stdout.String(), stderr.String(), d
}

func mustMatch(t *testing.T, what, text, re string) {
	t.Helper()
	if !regexp.MustCompile(re).MatchString(text) {
		t.Errorf("%s: no match for %q in:\n%s", what, re, text)
	}
}

func mustNotMatch(t *testing.T, what, text, re string) {
	t.Helper()
	if regexp.MustCompile(re).MatchString(text) {
		t.Errorf("%s: unexpected match for %q in:\n%s", what, re, text)
	}
}

// publishTwo publishes the small collection twice with gonix mkchannel
// (tmp/pub1: hello 1.0, tmp/pub2: hello 1.1, both with figlet) and returns
// the public key of the caches.
func publishTwo(t *testing.T, tmp, gonix string) []byte {
	t.Helper()
	for _, d := range []string{"src1", "src2", "pub1", "pub2", "home", "nix/store"} {
		if err := os.MkdirAll(filepath.Join(tmp, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(tmp, "src1/default.nix"), []byte(collection("1.0", "Hello, world!")), 0o644)
	os.WriteFile(filepath.Join(tmp, "src2/default.nix"), []byte(collection("1.1", "Hello, channel 2!")), 0o644)
	runGonix := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(gonix, args...)
		cmd.Dir = tmp
		cmd.Env = append(os.Environ(), "HOME="+filepath.Join(tmp, "pubhome"), "NIX_PATH=")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("gonix %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	runGonix("nix-store", "--generate-binary-cache-key", "test-channel-1", "sk", "pk")
	for _, v := range []string{"1", "2"} {
		out := runGonix("mkchannel", "--store", filepath.Join(tmp, "pubstore"), "--option", "sandbox-paths", "/bin/sh=/bin/busybox",
			"--src", "src"+v, "--out", "pub"+v, "--secret-key-file", "sk", "-A", "hello", "-A", "figlet")
		mustMatch(t, "mkchannel", out, `published 2 package`)
	}

	pub, err := os.ReadFile(filepath.Join(tmp, "pk"))
	if err != nil {
		t.Fatal(err)
	}
	return pub
}

// TestChannelSession pins the whole channel story: publish, --add,
// --update, install by substitution, a newer channel, upgrade, and both
// rollbacks.
func TestChannelSession(t *testing.T) {
	requirePrerequisites(t)
	tmp := t.TempDir()
	gonix := filepath.Join(binDir, "gonix")
	pub := publishTwo(t, tmp, gonix)

	// One URL serves the channel and its binary cache; "publishing" a new
	// channel swaps the directory it serves.
	var served atomic.Value
	served.Store(filepath.Join(tmp, "pub1"))
	srv := httptest.NewServer(http.StripPrefix("/gonixpkgs", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.FileServer(http.Dir(served.Load().(string))).ServeHTTP(w, r)
	})))
	defer srv.Close()
	// Nix 2.8 stores the download of the channel URL itself under the
	// URL's base name, so the URL has a path (a bare host:port is refused).
	url := srv.URL + "/gonixpkgs"

	env := []string{"PATH=" + binDir + ":/usr/sbin:/usr/bin:/sbin:/bin", "HOME=" + filepath.Join(tmp, "home"),
		"NIXDIR=" + filepath.Join(tmp, "nix"), "USER=root", "URL=" + url}
	s := &session{t: t, tmp: tmp, env: env,
		flags: fmt.Sprintf("--option substituters %s --option trusted-public-keys %s", url, strings.TrimSpace(string(pub)))}

	out, _, _ := s.run(`nix-channel --add "$URL" gonixpkgs; nix-channel --list`)
	if want := "gonixpkgs " + url + "\n"; out != want {
		t.Errorf("--list: got %q, want %q", out, want)
	}
	_, errOut, d := s.run(`nix-channel --update`)
	mustMatch(t, "--update", errOut, `(?m)^unpacking channels\.\.\.$`)
	t.Logf("nix-channel --update: %v", d)

	// Installing from the channel substitutes: copying, no building.
	_, errOut, d = s.run(`nix-env -iA gonixpkgs.hello ` + s.flags)
	mustMatch(t, "install", errOut, `(?m)^installing 'hello-1\.0'$`)
	mustMatch(t, "install", errOut, `(?m)^copying path '/nix/store/[0-9a-z]{32}-hello-1\.0' from '`+regexp.QuoteMeta(url)+`'\.\.\.$`)
	mustNotMatch(t, "install", errOut, `building '/nix/store/[0-9a-z]{32}-hello-1\.0\.drv'`)
	t.Logf("nix-env -iA gonixpkgs.hello (substituted): %v", d)
	out, _, _ = s.run(`"$HOME/.nix-profile/bin/hello"`)
	if out != "Hello, world!\n" {
		t.Errorf("hello 1.0 says %q", out)
	}

	// nix-env -qaP over the channel.
	out, _, first := s.run(`nix-env -qaP`)
	mustMatch(t, "-qaP", out, `(?m)^gonixpkgs\.hello +hello-1\.0$`)
	mustMatch(t, "-qaP", out, `(?m)^gonixpkgs\.figlet +figlet-2\.2\.5$`)
	// Later runs answer from the index (nixchannel_index.go): the same text.
	out2, _, second := s.run(`nix-env -qaP`)
	if out2 != out {
		t.Errorf("-qaP from the index:\n%s\nevaluated:\n%s", out2, out)
	}
	t.Logf("nix-env -qaP over the channel: first %v, then %v (each including unshare and mount)", first, second)

	// A newer channel: --update, upgrade by substitution.
	served.Store(filepath.Join(tmp, "pub2"))
	s.run(`nix-channel --update`)
	_, errOut, _ = s.run(`nix-env -u ` + s.flags)
	mustMatch(t, "upgrade", errOut, `(?m)^upgrading 'hello-1\.0' to 'hello-1\.1'$`)
	mustMatch(t, "upgrade", errOut, `(?m)^copying path '/nix/store/[0-9a-z]{32}-hello-1\.1' from '`)
	mustNotMatch(t, "upgrade", errOut, `building '/nix/store/[0-9a-z]{32}-hello-1\.1\.drv'`)
	out, _, _ = s.run(`"$HOME/.nix-profile/bin/hello"; nix-instantiate --eval -E '(import <gonixpkgs> { }).hello.name'`)
	if out != "Hello, channel 2!\n\"hello-1.1\"\n" {
		t.Errorf("after the upgrade: %q", out)
	}
	for range 2 { // evaluated, then indexed: a new channel generation is a new index
		out, _, _ = s.run(`nix-env -qaP`)
		mustMatch(t, "-qaP after --update", out, `(?m)^gonixpkgs\.hello +hello-1\.1$`)
	}

	// Both rollbacks restore the previous state.
	_, errOut, _ = s.run(`nix-channel --rollback`)
	mustMatch(t, "nix-channel --rollback", errOut, `switching profile from version 2 to 1`)
	s.run(`nix-env --rollback`)
	out, _, _ = s.run(`"$HOME/.nix-profile/bin/hello"; nix-instantiate --eval -E '(import <gonixpkgs> { }).hello.name'`)
	if out != "Hello, world!\n\"hello-1.0\"\n" {
		t.Errorf("after both rollbacks: %q", out)
	}
	out, _, _ = s.run(`nix-env -qaP`)
	mustMatch(t, "-qaP after the rollback", out, `(?m)^gonixpkgs\.hello +hello-1\.0$`)

	// --remove takes the channel out of the list and the profile.
	s.run(`nix-channel --remove gonixpkgs`)
	out, _, _ = s.run(`nix-channel --list; ls "$HOME/.nix-defexpr/channels/"`)
	if out != "manifest.nix\n" {
		t.Errorf("after --remove: %q", out)
	}
}

// TestNixUsesGonixChannel is the interoperability check of the published
// layout: Nix 2.8's own nix-channel subscribes to a channel gonix
// mkchannel wrote, and Nix's nix-env installs from it by substitution from
// the signed cache beside it.
func TestNixUsesGonixChannel(t *testing.T) {
	requirePrerequisites(t)
	nixChannel := testutil.NixTool(t, "nix-channel")
	tmp := t.TempDir()
	pub := publishTwo(t, tmp, filepath.Join(binDir, "gonix"))
	srv := httptest.NewServer(http.StripPrefix("/gonixpkgs", http.FileServer(http.Dir(filepath.Join(tmp, "pub1")))))
	defer srv.Close()
	url := srv.URL + "/gonixpkgs"
	conf := fmt.Sprintf("sandbox = false\nsubstituters = %s\ntrusted-public-keys = %s\n", url, strings.TrimSpace(string(pub)))
	if err := os.WriteFile(filepath.Join(tmp, "nix.conf"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	// Nix's commands first on PATH (nix-channel runs nix-env and nix-build
	// from its own bin directory anyway).
	s := &session{t: t, tmp: tmp, env: []string{"PATH=" + filepath.Dir(nixChannel) + ":/usr/sbin:/usr/bin:/sbin:/bin",
		"HOME=" + filepath.Join(tmp, "home"), "NIXDIR=" + filepath.Join(tmp, "nix"), "USER=root", "URL=" + url,
		"NIX_CONF_DIR=" + tmp}}
	s.run(`nix-channel --add "$URL" gonixpkgs && nix-channel --update`)
	_, errOut, _ := s.run(`nix-env -iA gonixpkgs.hello`)
	mustMatch(t, "Nix installs", errOut, `(?m)^copying path '/nix/store/[0-9a-z]{32}-hello-1\.0' from '`+regexp.QuoteMeta(url)+`'`)
	mustNotMatch(t, "Nix installs", errOut, `building '/nix/store/[0-9a-z]{32}-hello-1\.0\.drv'`)
	out, _, _ := s.run(`"$HOME/.nix-profile/bin/hello"; nix-env -qaP`)
	mustMatch(t, "Nix's hello", out, `(?m)^Hello, world!$`)
	mustMatch(t, "Nix's -qaP", out, `(?m)^gonixpkgs\.figlet +figlet-2\.2\.5$`)
}

// TestChannelMessagesMatchNix runs the same nix-channel session with Nix
// 2.8's commands and with gonix's, each in a fresh /nix, and compares what
// they print (Nix names its nix-env by its full path).
func TestChannelMessagesMatchNix(t *testing.T) {
	requirePrerequisites(t)
	nixChannel := testutil.NixTool(t, "nix-channel")
	tmp := t.TempDir()
	publishTwo(t, tmp, filepath.Join(binDir, "gonix"))
	srv := httptest.NewServer(http.StripPrefix("/gonixpkgs", http.FileServer(http.Dir(filepath.Join(tmp, "pub1")))))
	defer srv.Close()
	os.WriteFile(filepath.Join(tmp, "nix.conf"), []byte("sandbox = false\nsubstituters =\n"), 0o644)
	script := `nix-channel --add "$URL" gonixpkgs; nix-channel --list; nix-channel --update; echo "== again"; nix-channel --update
echo "== rollback"; nix-channel --rollback || echo "exit $?"; echo "== remove"; nix-channel --remove gonixpkgs; nix-channel --list
echo "== errors"; nix-channel --update nosuch; nix-channel --rollback 1 2 || echo "exit $?"; echo "== end"`
	outputs := map[string]string{}
	for _, who := range []string{"nix", "gonix"} {
		bin := filepath.Dir(nixChannel)
		if who == "gonix" {
			bin = binDir
		}
		root := filepath.Join(tmp, who)
		os.MkdirAll(filepath.Join(root, "nix/store"), 0o755)
		os.MkdirAll(filepath.Join(root, "home"), 0o755)
		s := &session{t: t, tmp: tmp, env: []string{"PATH=" + bin + ":/usr/sbin:/usr/bin:/sbin:/bin",
			"HOME=" + filepath.Join(root, "home"), "NIXDIR=" + filepath.Join(root, "nix"), "USER=root",
			"URL=" + srv.URL + "/gonixpkgs", "NIX_CONF_DIR=" + tmp}}
		out, errOut, _ := s.run("exec 2>&1; " + script)
		text := strings.ReplaceAll(out+errOut, "'"+filepath.Dir(nixChannel)+"/nix-env'", "'nix-env'")
		outputs[who] = regexp.MustCompile(`/nix/store/[0-9a-z]{32}-`).ReplaceAllString(text, "/nix/store/HASH-")
	}
	t.Logf("Nix 2.8's nix-channel session:\n%s", outputs["nix"])
	if outputs["nix"] != outputs["gonix"] {
		t.Errorf("nix-channel session, Nix 2.8:\n%s\ngonix:\n%s", outputs["nix"], outputs["gonix"])
	}
}

// TestChannelRedirect subscribes to a URL that redirects to the channel,
// as release channels do: the tarball is fetched from where it leads.
func TestChannelRedirect(t *testing.T) {
	requirePrerequisites(t)
	tmp := t.TempDir()
	publishTwo(t, tmp, filepath.Join(binDir, "gonix"))
	mux := http.NewServeMux()
	mux.Handle("/releases/gonixpkgs-1.1/", http.StripPrefix("/releases/gonixpkgs-1.1", http.FileServer(http.Dir(filepath.Join(tmp, "pub2")))))
	mux.Handle("/channels/gonixpkgs", http.RedirectHandler("/releases/gonixpkgs-1.1/", http.StatusFound))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	s := &session{t: t, tmp: tmp, env: []string{"PATH=" + binDir + ":/usr/sbin:/usr/bin:/sbin:/bin", "HOME=" + filepath.Join(tmp, "home"),
		"NIXDIR=" + filepath.Join(tmp, "nix"), "USER=root", "URL=" + srv.URL + "/channels/gonixpkgs"}}
	out, _, _ := s.run(`nix-channel --add "$URL" && nix-channel --update && nix-instantiate --eval -E '(import <gonixpkgs> { }).hello.name'`)
	if out != "\"hello-1.1\"\n" {
		t.Errorf("through the redirect: %q", out)
	}
}
