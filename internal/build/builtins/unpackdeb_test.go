package builtins

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

type tarEntry struct {
	name, link string
	typ        byte
	mode       int64
	body       string
}

func makeTar(t *testing.T, entries []tarEntry) []byte {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Linkname: e.link, Typeflag: e.typ, Mode: e.mode, Size: int64(len(e.body))}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(tw, e.body); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func compress(t *testing.T, ext string, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	var w io.WriteCloser
	var err error
	switch ext {
	case "":
		return data
	case ".xz":
		w, err = xz.NewWriter(&b)
	case ".zst":
		w, err = zstd.NewWriter(&b)
	case ".gz":
		w = gzip.NewWriter(&b)
	}
	if err != nil {
		t.Fatal(err)
	}
	w.Write(data)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// makeDeb is an ar archive as dpkg-deb writes it: debian-binary, a
// control member, then the data member (odd sizes padded with "\n").
func makeDeb(members ...[2]string) []byte {
	var b bytes.Buffer
	b.WriteString("!<arch>\n")
	for _, m := range members {
		fmt.Fprintf(&b, "%-16s%-12d%-6d%-6d%-8s%-10d`\n", m[0], 0, 0, 0, "100644", len(m[1]))
		b.WriteString(m[1])
		if len(m[1])%2 == 1 {
			b.WriteByte('\n')
		}
	}
	return b.Bytes()
}

// listTree describes every entry under dir: type, mode and content or
// link target.
func listTree(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		switch {
		case fi.Mode()&os.ModeSymlink != 0:
			l, _ := os.Readlink(p)
			out = append(out, rel+" -> "+l)
		case fi.IsDir():
			out = append(out, fmt.Sprintf("%s/ %o", rel, fi.Mode().Perm()))
		default:
			b, _ := os.ReadFile(p)
			out = append(out, fmt.Sprintf("%s %o %q", rel, fi.Mode().Perm(), b))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

// storeWith writes deb into a fake real store directory and returns the
// environment naming it.
func storeWith(t *testing.T, deb []byte) (env map[string]string, out, realStore string) {
	t.Helper()
	realStore = t.TempDir()
	src := "/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-x.deb"
	if err := os.WriteFile(filepath.Join(realStore, filepath.Base(src)), deb, 0o444); err != nil {
		t.Fatal(err)
	}
	out = filepath.Join(realStore, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-x")
	return map[string]string{"src": src, "out": "/nix/store/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-x"}, out, realStore
}

func TestUnpackDeb(t *testing.T) {
	entries := []tarEntry{
		{name: "./", typ: tar.TypeDir, mode: 0o755},
		{name: "./usr/", typ: tar.TypeDir, mode: 0o755},
		{name: "./usr/bin/", typ: tar.TypeDir, mode: 0o755},
		{name: "./usr/bin/hello", typ: tar.TypeReg, mode: 0o4755, body: "ELF?"},
		{name: "./usr/bin/hi", typ: tar.TypeLink, link: "./usr/bin/hello"},
		{name: "./usr/bin/greet", typ: tar.TypeSymlink, link: "hello"},
		{name: "./lib64/", typ: tar.TypeDir, mode: 0o755},
		{name: "./lib64/ld.so", typ: tar.TypeSymlink, link: "/lib/x86_64-linux-gnu/ld.so"},
		{name: "./usr/share/doc/x/copyright", typ: tar.TypeReg, mode: 0o644, body: "odd"},
	}
	want := []string{
		"./ 755",
		`lib64/ 755`,
		`lib64/ld.so -> /lib/x86_64-linux-gnu/ld.so`,
		`usr/ 755`,
		`usr/bin/ 755`,
		`usr/bin/greet -> hello`,
		`usr/bin/hello 755 "ELF?"`,
		`usr/bin/hi 755 "ELF?"`,
		`usr/share/ 755`,
		`usr/share/doc/ 755`,
		`usr/share/doc/x/ 755`,
		`usr/share/doc/x/copyright 644 "odd"`,
	}
	data := makeTar(t, entries)
	for _, ext := range []string{".xz", ".zst", ".gz", ""} {
		t.Run("data.tar"+ext, func(t *testing.T) {
			deb := makeDeb([2]string{"debian-binary", "2.0\n"}, [2]string{"control.tar.xz", "abc"}, [2]string{"data.tar" + ext, string(compress(t, ext, data))})
			env, out, realStore := storeWith(t, deb)
			if err := UnpackDeb(env, out, "/nix/store", realStore); err != nil {
				t.Fatal(err)
			}
			got := listTree(t, out)
			got[0] = strings.Replace(got[0], ". ", "./ ", 1)
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("tree (-want +got):\n%s", d)
			}
			a, _ := os.Stat(filepath.Join(out, "usr/bin/hello"))
			b, _ := os.Stat(filepath.Join(out, "usr/bin/hi"))
			if !os.SameFile(a, b) {
				t.Error("hard link usr/bin/hi is not the same file as usr/bin/hello")
			}
		})
	}
}

func TestUnpackDebRefuses(t *testing.T) {
	escape := []tarEntry{
		{name: "./d", typ: tar.TypeSymlink, link: "/"},
		{name: "./d/etc/evil", typ: tar.TypeReg, mode: 0o644, body: "x"},
	}
	dotdot := []tarEntry{{name: "./../evil", typ: tar.TypeReg, mode: 0o644, body: "x"}}
	dev := []tarEntry{{name: "./null", typ: tar.TypeChar}}
	tests := []struct {
		name, wantErr string
		deb           []byte
	}{
		{"not ar", "no ar header", []byte("PK\x03\x04 not a deb at all")},
		{"no data", "no data.tar member", makeDeb([2]string{"debian-binary", "2.0\n"})},
		{"bad compression", "unsupported compression", makeDeb([2]string{"data.tar.lz4", "x"})},
		{"symlink escape", "", makeDeb([2]string{"data.tar", string(makeTar(t, escape))})},
		{"dotdot", "leaves the output", makeDeb([2]string{"data.tar", string(makeTar(t, dotdot))})},
		{"device", "unsupported type", makeDeb([2]string{"data.tar", string(makeTar(t, dev))})},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env, out, realStore := storeWith(t, tc.deb)
			err := UnpackDeb(env, out, "/nix/store", realStore)
			if err == nil {
				t.Fatal("UnpackDeb succeeded")
			}
			if !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error %q does not contain %q", err, tc.wantErr)
			}
			if _, err := os.Lstat(out); !os.IsNotExist(err) {
				t.Errorf("partial output left behind: %v", err)
			}
			if _, err := os.Lstat(filepath.Join(realStore, "..", "evil")); err == nil {
				t.Error("an entry was written outside the output")
			}
		})
	}
	env, out, realStore := storeWith(t, nil)
	env["src"] = "/etc/passwd"
	if err := UnpackDeb(env, out, "/nix/store", realStore); err == nil || !strings.Contains(err.Error(), "not in the store") {
		t.Errorf("src outside the store: got %v", err)
	}
}

// TestUnpackDebMatchesDpkg compares the builtin with dpkg-deb -x on a
// .deb built by dpkg-deb itself (skipped where dpkg-deb is missing: it
// is an optional cross-check, the tests above stand alone).
func TestUnpackDebMatchesDpkg(t *testing.T) {
	if _, err := exec.LookPath("dpkg-deb"); err != nil {
		t.Skip("dpkg-deb not installed")
	}
	dir := t.TempDir()
	pkg := filepath.Join(dir, "pkg")
	for _, d := range []string{"DEBIAN", "usr/bin", "usr/lib/x"} {
		os.MkdirAll(filepath.Join(pkg, d), 0o755)
	}
	os.WriteFile(filepath.Join(pkg, "DEBIAN/control"), []byte("Package: t\nVersion: 1\nArchitecture: all\nMaintainer: t <t@t>\nDescription: t\n"), 0o644)
	os.WriteFile(filepath.Join(pkg, "usr/bin/t"), []byte("#!/bin/sh\necho t\n"), 0o755)
	os.WriteFile(filepath.Join(pkg, "usr/lib/x/data"), []byte("data"), 0o644)
	os.Symlink("../lib/x/data", filepath.Join(pkg, "usr/bin/l"))
	for _, z := range []string{"xz", "zstd", "gzip", "none"} {
		t.Run(z, func(t *testing.T) {
			deb := filepath.Join(dir, z+".deb")
			if b, err := exec.Command("dpkg-deb", "--root-owner-group", "-Z"+z, "-b", pkg, deb).CombinedOutput(); err != nil {
				t.Skipf("dpkg-deb -Z%s: %v\n%s", z, err, b)
			}
			ref := filepath.Join(dir, z+"-ref")
			if b, err := exec.Command("dpkg-deb", "-x", deb, ref).CombinedOutput(); err != nil {
				t.Fatalf("dpkg-deb -x: %v\n%s", err, b)
			}
			b, _ := os.ReadFile(deb)
			env, out, realStore := storeWith(t, b)
			if err := UnpackDeb(env, out, "/nix/store", realStore); err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(listTree(t, ref), listTree(t, out)); d != "" {
				t.Errorf("builtin vs dpkg-deb -x (-dpkg +builtin):\n%s", d)
			}
		})
	}
}
