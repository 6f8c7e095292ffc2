package nar

import (
	"bytes"
	"encoding/hex"
	"gonix/internal/testutil"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func needNix(t *testing.T, tool string) {
	t.Helper()
	testutil.NixTool(t, tool)
}

// TestOracleDump compares Dump and HashPath with nix-store --dump and
// nix-hash on a tree with awkward names, sizes and link targets, and
// checks that nix-store --restore accepts what Restore accepts.
func TestOracleDump(t *testing.T) {
	needNix(t, "nix-store")
	needNix(t, "nix-hash")
	root := filepath.Join(t.TempDir(), "t")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(root, "d/e/f"), 0o777))
	must(os.Mkdir(filepath.Join(root, "empty"), 0o777))
	must(os.WriteFile(filepath.Join(root, "d", "\xff\x01name"), []byte("a"), 0o644))
	must(os.WriteFile(filepath.Join(root, "Z"), bytes.Repeat([]byte("0123456789abcdef"), 70000), 0o644))
	must(os.WriteFile(filepath.Join(root, "exe"), []byte("#!/bin/sh\n"), 0o700))
	must(os.WriteFile(filepath.Join(root, "d/e/f/seven"), []byte("1234567"), 0o600))
	must(os.WriteFile(filepath.Join(root, ".hidden"), nil, 0o644))
	must(os.Symlink("tar\nget with spaces", filepath.Join(root, "lnk")))
	must(os.Symlink("../../..", filepath.Join(root, "d/up")))

	want, err := exec.Command("nix-store", "--dump", root).Output()
	must(err)
	var got bytes.Buffer
	must(Dump(&got, root, nil))
	if !bytes.Equal(got.Bytes(), want) {
		t.Fatalf("Dump differs from nix-store --dump (%d vs %d bytes)", got.Len(), len(want))
	}
	out, err := exec.Command("nix-hash", "--type", "sha256", root).Output()
	must(err)
	sum, size, err := HashPath(root, nil)
	must(err)
	if hex.EncodeToString(sum) != strings.TrimSpace(string(out)) || size != int64(len(want)) {
		t.Errorf("HashPath = %x (%d bytes); nix-hash says %s (%d bytes)", sum, size, out, len(want))
	}

	// Our restore of Nix's dump, re-dumped by Nix, is the same archive.
	target := filepath.Join(t.TempDir(), "r")
	must(Restore(bytes.NewReader(want), target))
	again, err := exec.Command("nix-store", "--dump", target).Output()
	must(err)
	if !bytes.Equal(again, want) {
		t.Error("nix-store --dump of our restore differs")
	}
}
