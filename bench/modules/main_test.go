package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestGenerate checks the shape the issue asks for: 300 modules declaring
// 3,000 options, with the listed kinds of types and properties.
func TestGenerate(t *testing.T) {
	dir := t.TempDir()
	if err := Generate(dir); err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join(dir, "modules", "*.nix"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != Modules {
		t.Fatalf("%d module files, want %d", len(files), Modules)
	}
	// A top-level option of services.sNNN is a line "    NAME = mkOption {"
	// or "    enable = lib.mkEnableOption" (four spaces: sub-options of the
	// submodules are indented further).
	decl := regexp.MustCompile(`(?m)^    [a-z]+ = (mkOption|lib\.mkEnableOption) `)
	total := 0
	all := ""
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		n := len(decl.FindAll(b, -1))
		if n != OptionsPerModule {
			t.Errorf("%s declares %d options, want %d", f, n, OptionsPerModule)
		}
		total += n
		all += string(b)
	}
	if total != 3000 {
		t.Errorf("%d options declared, want 3000", total)
	}
	for _, want := range []string{"types.str", "types.int", "types.bool", "types.listOf", "types.attrsOf", "types.submodule", "types.enum", "types.nullOr",
		"mkDefault", "mkForce", "mkOverride 900", "mkOptionDefault", "mkIf cfg.enable", "mkMerge", "mkBefore", "mkAfter", "imports = [ ./"} {
		if !strings.Contains(all, want) {
			t.Errorf("no module uses %q", want)
		}
	}
}

// TestGeneratedConfigEvaluates evaluates the configuration with gonix and
// its embedded lib and checks the JSON's shape: 300 services with their ten
// options each, and a few merged values.
func TestGeneratedConfigEvaluates(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs gonix")
	}
	dir := t.TempDir()
	if err := Generate(dir); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "gonix")
	if out, err := exec.Command("go", "build", "-o", bin, "gonix/cmd/gonix").CombinedOutput(); err != nil {
		t.Fatalf("go build gonix/cmd/gonix: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "nix-instantiate", "--readonly-mode", "--eval", "--strict", "--json", "default.nix")
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("gonix nix-instantiate on the generated configuration: %v\n%s", err, stderr.String())
	}
	var services map[string]map[string]any
	if err := json.Unmarshal(out, &services); err != nil {
		t.Fatalf("output is not the expected JSON: %v\n%.500s", err, out)
	}
	if len(services) != Modules {
		t.Fatalf("%d services, want %d", len(services), Modules)
	}
	for name, opts := range services {
		if len(opts) != OptionsPerModule {
			t.Errorf("services.%s has %d options, want %d", name, len(opts), OptionsPerModule)
		}
	}
	// s002: enabled by mkDefault true, so its port is forced to 2002; level
	// "high" (even index) adds env.HIGH through a mkIf on its own config.
	s2 := services["s002"]
	if s2["enable"] != true || s2["port"] != float64(2002) || s2["level"] != "high" {
		t.Errorf("services.s002 = %v", s2)
	}
	if env, _ := s2["env"].(map[string]any); env["HIGH"] != "1" || env["PATH"] != "/bin" {
		t.Errorf("services.s002.env = %v", s2["env"])
	}
	// s001: mkForce false from module 0 beats mkDefault true.
	if services["s001"]["enable"] != false || services["s001"]["port"] != float64(1001) {
		t.Errorf("services.s001 = %v", services["s001"])
	}
}

// stub writes a shell script standing in for nix-instantiate that prints out.
func stub(t *testing.T, dir, name, out string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte("#!/bin/sh\n[ -e default.nix ] || exit 3\necho '"+out+"'\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestBench(t *testing.T) {
	bin, lib := t.TempDir(), t.TempDir()
	same := stub(t, bin, "a", `{"s":1}`)
	ref := stub(t, bin, "b", `{"s":1}`)
	other := stub(t, bin, "c", `{"s":2}`)
	for _, c := range []struct {
		name, a string
		code    int
		want    string
	}{
		{"agree", same, 0, "same JSON; verdict: ok"},
		{"disagree", other, 1, "verdict: FAIL: gonix: printed something else than nix"},
		{"fails", "false", 1, "verdict: FAIL: gonix:"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			// Stubs are equally fast: generous limits keep "agree" ok.
			code := run(context.Background(), []string{"-a", c.a, "-b", ref, "-nixpkgs-lib", lib, "-n", "3", "-max-wall", "100", "-max-rss", "100"}, &out, &errb)
			if code != c.code || !strings.Contains(out.String(), c.want) {
				t.Errorf("exit %d, want %d; output:\n%s\nstderr:\n%s", code, c.code, out.String(), errb.String())
			}
		})
	}
	var errb bytes.Buffer
	if code := run(context.Background(), []string{"-a", same, "-b", ref, "-nixpkgs-lib", ""}, &bytes.Buffer{}, &errb); code != 2 {
		t.Errorf("without a nixpkgs lib: exit %d, want 2 (%s)", code, errb.String())
	}
}
