package testutil

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"unicode/utf8"
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
// nix-store, nix-hash, nix) on PATH, or skips/fails as Missing does. It
// passes over copies of the running test binary: testscript.Main puts
// programs named like Nix's commands (gonix in disguise) first on PATH, and
// an oracle test that found one would compare gonix with itself.
func NixTool(t testing.TB, name string) string {
	t.Helper()
	var self os.FileInfo
	if exe, err := os.Executable(); err == nil {
		self, _ = os.Stat(exe)
	}
	for _, dir := range filepath.SplitList(os.Getenv("PATH")) {
		if dir == "" {
			continue
		}
		p := filepath.Join(dir, name)
		fi, err := os.Stat(p)
		if err != nil || !fi.Mode().IsRegular() || fi.Mode()&0o111 == 0 {
			continue
		}
		if self != nil && (os.SameFile(fi, self) || fi.Size() == self.Size()) {
			continue
		}
		return p
	}
	Missing(t, name+" (Nix 2.8, Debian's nix-bin)", exec.ErrNotFound)
	return ""
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

// Bytes is a byte string for golden files: stored in JSON as a string when
// it is valid UTF-8, and as {"hex": "..."} otherwise, so every byte survives.
type Bytes string

// MarshalJSON implements json.Marshaler.
func (t Bytes) MarshalJSON() ([]byte, error) {
	if !utf8.ValidString(string(t)) {
		return json.Marshal(map[string]string{"hex": hex.EncodeToString([]byte(t))})
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(string(t)); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// UnmarshalJSON implements json.Unmarshaler.
func (t *Bytes) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*t = Bytes(s)
		return nil
	}
	var h struct{ Hex string }
	if err := json.Unmarshal(b, &h); err != nil {
		return err
	}
	raw, err := hex.DecodeString(h.Hex)
	*t = Bytes(raw)
	return err
}
