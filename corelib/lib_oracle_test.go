//go:build libdiff

package corelib_test

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"gonix/internal/testutil"
)

// The local differential of the lib corpus (issue 7: run locally, not in
// CI, because it needs an export of nixpkgs' lib). testdata/libdiff.sh
// builds with -tags libdiff and sets GONIX_LIBDIFF.

var update = flag.Bool("update", false, "rewrite testdata/lib from Nix 2.8 + nixpkgs lib")

// TestLibOracle runs the corpus through Nix 2.8 with nixpkgs' lib as
// <gonix/lib> (GONIX_LIBDIFF names the nixpkgs.lib checkout); it is the
// local differential, not part of CI.
func TestLibOracle(t *testing.T) {
	root := os.Getenv("GONIX_LIBDIFF")
	if root == "" {
		t.Fatal("GONIX_LIBDIFF must name a nixpkgs.lib checkout; run testdata/libdiff.sh")
	}
	nix := testutil.NixTool(t, "nix-instantiate")
	store := t.TempDir()
	dir, err := filepath.Abs("testdata")
	if err != nil {
		t.Fatal(err)
	}
	agree, total := 0, 0
	for file, cf := range loadCases(t) {
		var b strings.Builder
		for _, c := range cf.cases {
			total++
			cmd := exec.Command(nix, "--store", store, "--option", "substituters", "", "-I", "gonix="+root,
				"--eval", "--strict", "--json", "-E", wrap(c.expr))
			cmd.Dir = dir
			cmd.Env = []string{"HOME=" + dir, "PATH=" + os.Getenv("PATH"), "NIX_PATH="}
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			status := 0
			if err := cmd.Run(); err != nil {
				ee, ok := err.(*exec.ExitError)
				if !ok {
					t.Fatalf("running %s: %v", nix, err)
				}
				status = ee.ExitCode()
			}
			got := normalise(stdout.String(), stderr.String(), status, dir)
			if got == c.want {
				agree++
			} else if !*update {
				t.Errorf("%s:%d: %s\n nix: %s\nwant: %s", c.file, c.line, c.expr, got, c.want)
			}
			if *update {
				for _, l := range c.pre {
					b.WriteString(l + "\n")
				}
				b.WriteString(c.expr + "\n")
				for _, l := range strings.Split(got, "\n") {
					b.WriteString("=> " + l + "\n")
				}
			}
		}
		if *update {
			for _, l := range cf.tail {
				b.WriteString(l + "\n")
			}
			if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	t.Logf("Nix 2.8 + nixpkgs lib agrees with the corpus on %d of %d cases", agree, total)
}
