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

// nixOutputs are the results Nix 2.8 prints for the workloads. They pin the
// workloads: editing one changes its result, and this table with it.
var nixOutputs = map[string]string{
	"attrs-build":  `1800018`,
	"attrs-lookup": `44999650000`,
	"attrs-merge":  `"193950 214"`,
	"fib27":        `196418`,
	"foldl":        `"1499999500000 351227751"`,
	"json":         `"1042391:6a438325 1042391:a9221b8a 1042391:582c7edb 1042391:da597b72 1042391:fac90049 1042391:f87a3729 1042391:88575735 1042391:6aa16575"`,
	"modules":      `"modules=602 0:158/159/354910/23d3b16a 1:299/300/684826/9a2fa6d5 2:299/300/684827/cfc570a1 3:299/300/684828/da1c50a8 4:299/300/684829/6362667a 5:299/300/684830/8864058a"`,
	"sort":         `"10235 1078336815 2147476700"`,
	"string-build": `"512 48888299237b020c"`,
}

// TestWorkloadsUnderNix evaluates every workload once with real Nix, the way
// the runner invokes it, and compares the printed result.
func TestWorkloadsUnderNix(t *testing.T) {
	if testing.Short() {
		t.Skip("evaluates every workload (seconds each); skipped in -short")
	}
	nix, err := exec.LookPath("nix-instantiate")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("nix-instantiate is required when CI=true:", err)
		}
		t.Skip("nix-instantiate not installed:", err)
	}
	files, err := filepath.Glob("../lang/*.nix")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	c := &Config{
		Args:    []string{"--store", "dummy://", "--readonly-mode", "--option", "substituters", ""},
		Timeout: 5 * time.Minute,
		Env:     benchEnv(os.Environ(), t.TempDir()),
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".nix")
		seen[name] = true
		want, ok := nixOutputs[name]
		if !ok {
			t.Errorf("%s: no expected output in nixOutputs", name)
			continue
		}
		abs, err := filepath.Abs(f)
		if err != nil {
			t.Fatal(err)
		}
		s, err := runOnce(context.Background(), c.argv([]string{nix}, abs), c.Env, c.Timeout)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if got := strings.TrimSuffix(string(s.stdout), "\n"); got != want {
			t.Errorf("%s printed %s, want %s", name, got, want)
		}
	}
	for name := range nixOutputs {
		if !seen[name] {
			t.Errorf("workload %s.nix is missing from bench/lang", name)
		}
	}
}
