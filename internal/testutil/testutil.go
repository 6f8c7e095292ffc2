package testutil

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Missing skips t because what is unavailable (err says why), except when
// CI=true: there a missing prerequisite is a failure, never a silent skip.
func Missing(t testing.TB, what string, err error) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is required when CI=true: %v", what, err)
	}
	t.Skipf("%s not available, skipping: %v", what, err)
}

// NixTool returns the path of a Nix 2.8 command (nix-instantiate,
// nix-store, nix-hash, nix) on PATH, or skips/fails as Missing does.
func NixTool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		Missing(t, name+" (Nix 2.8, Debian's nix-bin)", err)
	}
	return p
}

// SpecVectors returns the directory ../shared/spec/vectors beside the
// repository (found from the module root), or skips/fails as Missing does.
func SpecVectors(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		Missing(t, "the spec vectors", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			Missing(t, "the spec vectors", os.ErrNotExist)
		}
		dir = parent
	}
	v := filepath.Join(dir, "..", "shared", "spec", "vectors")
	if _, err := os.Stat(v); err != nil {
		Missing(t, "the spec vectors (../shared/spec/vectors)", err)
	}
	return v
}
