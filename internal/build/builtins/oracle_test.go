package builtins

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"gonix/internal/format/hash"
	"gonix/internal/format/nar"
	"gonix/internal/testutil"
)

// TestFetchURLOracle builds <nix/fetchurl.nix> derivations with real Nix
// 2.8 (chroot store, sandboxed, loopback server) and with FetchURL. Each
// Nix build is pinned to the hash of what FetchURL produced, so it
// succeeds only if both downloads are the same; failures compare the
// first line of the error.
func TestFetchURLOracle(t *testing.T) {
	nixBuild := testutil.NixTool(t, "nix-build")
	narData := narOf(t)
	mux := http.NewServeMux()
	mux.HandleFunc("/hello.txt", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("hello\n")) })
	mux.HandleFunc("/x.nar", func(w http.ResponseWriter, r *http.Request) { w.Write(narData) })
	mux.HandleFunc("/old", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/hello.txt", http.StatusFound) })
	mux.HandleFunc("/mirror/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/mirror/sha256/"+hash.Sum(hash.SHA256, []byte("hello\n")).Base16() {
			w.Write([]byte("hello\n"))
			return
		}
		http.NotFound(w, r)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	cases := []struct {
		name, url   string
		executable  bool
		unpack      bool
		mirror      bool
		wantFailure bool
	}{
		{name: "plain", url: "/hello.txt"},
		{name: "executable", url: "/hello.txt", executable: true},
		{name: "unpack", url: "/x.nar", unpack: true},
		{name: "redirect", url: "/old"},
		{name: "mirror", url: "/missing", mirror: true},
		{name: "404", url: "/missing", wantFailure: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			u := srv.URL + c.url
			mode := "flat"
			if c.executable || c.unpack {
				mode = "recursive"
			}
			env := map[string]string{"out": "/nix/store/x", "url": u, "outputHashMode": mode, "outputHashAlgo": "sha256",
				"outputHash": strings.Repeat("0", 52)}
			if c.executable {
				env["executable"] = "1"
			}
			if c.unpack {
				env["unpack"] = "1"
			}
			opts := fastOpts()
			mirrorOpt := ""
			if c.mirror {
				opts.HashedMirrors = []string{srv.URL + "/mirror"}
				mirrorOpt = srv.URL + "/mirror"
				env["outputHash"] = hash.Sum(hash.SHA256, []byte("hello\n")).Base32()
			}
			out := filepath.Join(t.TempDir(), "out")
			ourErr := FetchURL(context.Background(), env, out, opts)

			sum := strings.Repeat("0", 52)
			if ourErr == nil {
				if mode == "flat" {
					data, err := os.ReadFile(out)
					if err != nil {
						t.Fatal(err)
					}
					s := sha256.Sum256(data)
					sum = hash.Hash{Algo: hash.SHA256, Digest: s[:]}.Base32()
				} else {
					s, _, err := nar.HashPath(out, nil)
					if err != nil {
						t.Fatal(err)
					}
					sum = hash.Hash{Algo: hash.SHA256, Digest: s}.Base32()
				}
			}
			expr := fmt.Sprintf(`import <nix/fetchurl.nix> { url = %q; sha256 = %q; executable = %v; unpack = %v; }`,
				u, sum, c.executable, c.unpack)
			home := t.TempDir()
			// Nix 2.8 runs builtin:fetchurl outside the chroot store's
			// sandbox, and a failed download leaves an empty file at the
			// logical path /nix/store/…: run it in a private mount
			// namespace whose /nix/store is a scratch tmpfs, so the
			// machine's /nix is never touched.
			nixArgs := []string{nixBuild, "--store", t.TempDir(), "--no-out-link",
				"--option", "substituters", "", "--option", "hashed-mirrors", mirrorOpt,
				"--option", "sandbox", "true", "--option", "sandbox-paths", "/bin /lib /lib64 /usr", "--option", "build-users-group", "", "-E", expr}
			cmd := exec.Command("unshare", append([]string{"-m", "--propagation", "private", "sh", "-c",
				`mkdir -p /nix/store && mount -t tmpfs none /nix/store && exec "$@"`, "sh"}, nixArgs...)...)
			cmd.Env = append(os.Environ(), "HOME="+home, "XDG_CACHE_HOME="+home+"/.cache")
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			nixErr := cmd.Run()
			switch {
			case c.wantFailure:
				if ourErr == nil || nixErr == nil {
					t.Fatalf("want failures: gonix %v, nix %v", ourErr, nixErr)
				}
				var nixLine string
				for _, l := range strings.Split(stderr.String(), "\n") {
					if strings.HasPrefix(l, "error: ") {
						nixLine = l
						break
					}
				}
				ourLine, _, _ := strings.Cut("error: "+ourErr.Error(), "\n")
				if ourLine != nixLine {
					t.Errorf("gonix: %s\n  nix: %s", ourLine, nixLine)
				}
			case ourErr != nil:
				t.Fatal(ourErr)
			case nixErr != nil:
				t.Errorf("nix-build of the same download failed (%v):\n%s", nixErr, stderr.String())
			}
		})
	}
}
