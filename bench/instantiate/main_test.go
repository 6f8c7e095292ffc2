package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// stub writes a shell script standing in for nix-instantiate: it checks
// that it got a fresh --store, creates it, and prints out.
func stub(t *testing.T, dir, name, out string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	script := "#!/bin/sh\n[ \"$1\" = --store ] || exit 3\n[ -e \"$2\" ] && exit 4\nmkdir -p \"$2/nix/store\" && chmod 555 \"$2/nix/store\"\necho " + out + "\n"
	if err := os.WriteFile(p, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestBench(t *testing.T) {
	bin, set := t.TempDir(), t.TempDir()
	same := stub(t, bin, "a", "/nix/store/x.drv")
	ref := stub(t, bin, "b", "/nix/store/x.drv")
	other := stub(t, bin, "c", "/nix/store/y.drv")
	for _, c := range []struct {
		name, a string
		code    int
		want    string
	}{
		{"agree", same, 0, "verdict: ok"},
		{"disagree", other, 1, "verdict: FAIL: gonix: printed something else than nix"},
		{"fails", "false", 1, "verdict: FAIL: gonix:"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			// A stub is as fast as another: a generous limit keeps "agree" ok.
			code := run(context.Background(), []string{"-a", c.a, "-b", ref, "-n", "3", "-max-wall", "100", set}, &out, &errb)
			if code != c.code || !strings.Contains(out.String(), c.want) {
				t.Errorf("exit %d, want %d; output:\n%s\nstderr:\n%s", code, c.code, out.String(), errb.String())
			}
			if c.code == 0 && !strings.Contains(out.String(), "| nix | ") {
				t.Errorf("no row for nix:\n%s", out.String())
			}
		})
	}
}
