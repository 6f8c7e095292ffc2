package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// shCmd is a command that ignores "--eval --strict FILE" and runs script.
func shCmd(t *testing.T, script string) []string {
	t.Helper()
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh:", err)
	}
	return []string{sh, "-c", script, "sh"}
}

func testConfig(a, b []string) *Config {
	return &Config{A: a, B: b, Runs: 3, Warmup: 1, Timeout: time.Minute, Env: os.Environ()}
}

func TestMeasureAlternatesAndChecksOutput(t *testing.T) {
	dir := t.TempDir()
	logFile := filepath.Join(dir, "log")
	// Each command appends its name and the last argument (the file) to a log.
	a := shCmd(t, `eval "f=\${$#}"; echo "A $f" >> `+logFile+`; echo 42`)
	b := shCmd(t, `eval "f=\${$#}"; echo "B $f" >> `+logFile+`; echo 42`)
	c := testConfig(a, b)
	c.Args = []string{"--readonly-mode"}
	row := measure(context.Background(), c, "/some/dir/work.nix")
	if row.Err != nil {
		t.Fatalf("measure: %v", row.Err)
	}
	if row.Workload != "work" {
		t.Errorf("Workload = %q, want %q", row.Workload, "work")
	}
	for _, n := range []int{len(row.AWall), len(row.BWall), len(row.ACPU), len(row.BCPU), len(row.ARSS), len(row.BRSS)} {
		if n != 3 {
			t.Errorf("got %d samples, want 3 of each kind (warm-up excluded)", n)
		}
	}
	for _, rss := range append(row.ARSS, row.BRSS...) {
		if rss <= 0 {
			t.Errorf("peak RSS %v KiB, want > 0", rss)
		}
	}
	log, err := os.ReadFile(logFile)
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Repeat("A /some/dir/work.nix\nB /some/dir/work.nix\n", 4)
	if string(log) != want {
		t.Errorf("run order:\n%s\nwant A,B alternating 4 times (1 warm-up + 3):\n%s", log, want)
	}
}

func TestMeasureArgv(t *testing.T) {
	c := testConfig([]string{"gonix", "nix-instantiate"}, []string{"nix-instantiate"})
	c.Args = []string{"--option", "substituters", ""}
	got := strings.Join(c.argv(c.A, "/f.nix"), "|")
	want := "gonix|nix-instantiate|--option|substituters||--eval|--strict|/f.nix"
	if got != want {
		t.Errorf("argv = %q, want %q", got, want)
	}
}

func TestMeasureFailures(t *testing.T) {
	tests := []struct {
		name, a, b, want string
	}{
		{"outputs differ", `echo 1`, `echo 2`, `outputs differ: A printed "1", B printed "2"`},
		{"A fails", `echo boom >&2; exit 3`, `echo 2`, "A: run "},
		{"B fails", `echo 2`, `exit 1`, "B: run "},
		{"unstable output", `if [ -e "$TMP_MARK" ]; then echo 2; else : > "$TMP_MARK"; echo 1; fi`, `echo 1`, "A: output changed between runs"},
	}
	t.Setenv("TMP_MARK", filepath.Join(t.TempDir(), "mark"))
	for _, tt := range tests {
		row := measure(context.Background(), testConfig(shCmd(t, tt.a), shCmd(t, tt.b)), "w.nix")
		if row.Err == nil || !strings.Contains(row.Err.Error(), tt.want) {
			t.Errorf("%s: Err = %v, want it to contain %q", tt.name, row.Err, tt.want)
		}
		if row.OK(Limits{Wall: 100, RSS: 100}) {
			t.Errorf("%s: row passes despite the failure", tt.name)
		}
	}
	row := measure(context.Background(), testConfig(shCmd(t, "echo boom >&2; exit 3"), shCmd(t, "echo 2")), "w.nix")
	if row.Err == nil || !strings.Contains(row.Err.Error(), "boom") {
		t.Errorf("stderr of a failed run missing from %v", row.Err)
	}
}

func TestMeasureTimeout(t *testing.T) {
	c := testConfig(shCmd(t, "exec sleep 5"), shCmd(t, "echo 1"))
	c.Timeout = 100 * time.Millisecond
	start := time.Now()
	row := measure(context.Background(), c, "w.nix")
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("measure took %v, want the run killed after 100ms", d)
	}
	if row.Err == nil || !strings.Contains(row.Err.Error(), "timed out") {
		t.Errorf("Err = %v, want a timeout", row.Err)
	}
}

func TestBenchEnv(t *testing.T) {
	got := benchEnv([]string{"PATH=/bin", "HOME=/root", "NIX_PATH=nixpkgs=/x", "XDG_CONFIG_HOME=/c", "NIX_CONF_DIR=/etc/nix"}, "/tmp/h")
	want := "PATH=/bin NIX_CONF_DIR=/etc/nix HOME=/tmp/h"
	if strings.Join(got, " ") != want {
		t.Errorf("benchEnv = %q, want %q", got, want)
	}
}
