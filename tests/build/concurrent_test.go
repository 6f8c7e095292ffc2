package build

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"gonix/internal/testutil"
)

// graphNix is a graph of layers×width derivations: each derivation of a
// layer depends on two of the layer before. Every builder runs COUNT NAME
// (a shell command that records NAME outside the store) before making its
// output, NAME and a newline, so the record tells how often each
// derivation was built (COUNT is followed by NAME without a blank). With fixed, the derivations are fixed-output
// (flat sha256 of their output), which lets their builders reach the
// host's loopback.
func graphNix(layers, width int, fixed bool) string {
	fod := "{ }"
	if fixed {
		fod = `{ outputHashMode = "flat"; outputHashAlgo = "sha256"; outputHash = builtins.hashString "sha256" "${name}\n"; }`
	}
	return fmt.Sprintf(`{ count }:
let
  node = l: i: let
    name = "n-${toString l}-${toString i}";
    deps = if l == 0 then "" else "${at (l - 1) i} ${at (l - 1) (if i + 1 == %[2]d then 0 else i + 1)}";
  in derivation ({
    inherit name;
    system = builtins.currentSystem;
    builder = "/bin/sh";
    args = [ "-c" "set -e; ${count}${name}; /bin/sleep 0.02; echo ${name} > $out; : ${deps}" ];
  } // %[3]s);
  all = builtins.genList (l: builtins.genList (i: node l i) %[2]d) %[1]d;
  at = l: i: builtins.elemAt (builtins.elemAt all l) i;
in builtins.elemAt all (%[1]d - 1)
`, layers, width, fod)
}

// TestConcurrentBuildsOnce: two gonix nix-build processes started together
// on one 100-derivation graph build every derivation exactly once between
// them, and both succeed with the same outputs.
//
// Two ways to count: "file", the setup, where builders append to
// /counter/log, a host directory bound in with extra-sandbox-paths (Nix
// 2.8 binds sandbox paths writable); and "http", where the derivations are
// fixed-output and their builders tell a loopback HTTP server of the test.
func TestConcurrentBuildsOnce(t *testing.T) {
	requireSandbox(t)
	const layers, width = 10, 10
	for _, how := range []string{"file", "http"} {
		t.Run(how, func(t *testing.T) {
			dir := tempDir(t)
			root := filepath.Join(dir, "store")
			args := []string{"-j", "4", "--no-out-link", "graph.nix"}
			var mu sync.Mutex
			var record []string
			counterDir := filepath.Join(dir, "counterdir")
			switch how {
			case "file":
				writeFile(t, dir, "graph.nix", graphNix(layers, width, false))
				// The builder is an unprivileged user inside the sandbox: the
				// directory must let anyone create the log.
				if err := os.Mkdir(counterDir, 0o777); err != nil {
					t.Fatal(err)
				}
				if err := os.Chmod(counterDir, 0o777); err != nil {
					t.Fatal(err)
				}
				// Builds run as different build users (as with Nix's
				// nixbld1, nixbld2, ...): the log must be writable by all.
				if err := os.WriteFile(filepath.Join(counterDir, "log"), nil, 0o666); err != nil {
					t.Fatal(err)
				}
				if err := os.Chmod(filepath.Join(counterDir, "log"), 0o666); err != nil {
					t.Fatal(err)
				}
				args = append(args, "--option", "extra-sandbox-paths", "/counter="+counterDir,
					"--argstr", "count", "echo >> /counter/log ")
			case "http":
				if _, err := os.Stat("/bin/busybox"); err != nil {
					testutil.Missing(t, "/bin/busybox (wget for the builders)", err)
				}
				writeFile(t, dir, "graph.nix", graphNix(layers, width, true))
				srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					mu.Lock()
					record = append(record, strings.TrimPrefix(r.URL.Path, "/"))
					mu.Unlock()
				}))
				defer srv.Close()
				args = append(args, "--argstr", "count", "/bin/busybox wget -q -O /dev/null "+srv.URL+"/")
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			type ended struct {
				i int
				r result
			}
			done := make(chan ended, 2)
			for i := 0; i < 2; i++ {
				cmd := gonixCmd(ctx, t, dir, root, args...)
				go func() {
					var out, errb bytes.Buffer
					cmd.Stdout, cmd.Stderr = &out, &errb
					start := time.Now()
					err := cmd.Run()
					r := result{stdout: out.String(), stderr: errb.String(), took: time.Since(start)}
					switch {
					case cmd.ProcessState != nil:
						r.code = cmd.ProcessState.ExitCode()
					case err != nil:
						r.code, r.stderr = -2, err.Error()
					}
					done <- ended{i, r}
				}()
			}
			var rs [2]result
			for range 2 {
				e := <-done
				rs[e.i] = e.r
			}
			if ctx.Err() != nil {
				t.Fatalf("the two builds did not end within two minutes:\n%s\n%s", rs[0], rs[1])
			}
			for i, r := range rs {
				if how == "file" && strings.Contains(r.stderr, "/counter/log: Read-only file system") {
					t.Fatalf("build %d: the builder cannot write to /counter, bound from extra-sandbox-paths: gonix binds sandbox paths read-only, Nix 2.8 binds them writable (real nix-build with the same options appends to the log)", i)
				}
				if r.code != 0 {
					t.Errorf("build %d failed:\n%s", i, r)
				}
			}
			if rs[0].stdout != rs[1].stdout || len(lines(rs[0].stdout)) != width {
				t.Errorf("the two builds printed different or too few paths:\n%s\n%s", rs[0], rs[1])
			}
			if how == "file" {
				log, err := os.ReadFile(filepath.Join(counterDir, "log"))
				if err != nil {
					t.Fatalf("the builders left no count: %v", err)
				}
				record = lines(string(log))
			}
			mu.Lock()
			defer mu.Unlock()
			count := map[string]int{}
			for _, l := range record {
				count[l]++
			}
			var twice []string
			for n, c := range count {
				if c != 1 {
					twice = append(twice, fmt.Sprintf("%s ×%d", n, c))
				}
			}
			sort.Strings(twice)
			if len(twice) > 0 || len(count) != layers*width {
				t.Errorf("%d distinct derivations built (want %d); built more than once: %s", len(count), layers*width, strings.Join(twice, ", "))
			}
		})
	}
}
