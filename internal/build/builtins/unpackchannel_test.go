package builtins

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/ulikunitz/xz"
)

// channelTar is a tar of the given files (name → content; a name ending
// in "/" is a directory).
func channelTar(t *testing.T, files map[string]string, compress string) []byte {
	t.Helper()
	var raw bytes.Buffer
	tw := tar.NewWriter(&raw)
	for _, name := range sortedNames(files) {
		h := &tar.Header{Name: name, Mode: 0o644, Size: int64(len(files[name])), Typeflag: tar.TypeReg}
		if strings.HasSuffix(name, "/") {
			h.Typeflag, h.Mode, h.Size = tar.TypeDir, 0o755, 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(files[name]))
	}
	tw.Close()
	var out bytes.Buffer
	switch compress {
	case "xz":
		w, _ := xz.NewWriter(&out)
		w.Write(raw.Bytes())
		w.Close()
	case "gz":
		w := gzip.NewWriter(&out)
		w.Write(raw.Bytes())
		w.Close()
	default:
		return raw.Bytes()
	}
	return out.Bytes()
}

func sortedNames(m map[string]string) []string {
	var names []string
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func TestUnpackChannel(t *testing.T) {
	for _, compress := range []string{"xz", "gz", "none"} {
		t.Run(compress, func(t *testing.T) {
			real := t.TempDir()
			src := "/nix/store/00000000000000000000000000000000-nixexprs.tar.xz"
			os.WriteFile(filepath.Join(real, filepath.Base(src)), channelTar(t, map[string]string{
				"pkgs-22.05/": "", "pkgs-22.05/default.nix": "{ }: { }", "pkgs-22.05/lib/": "", "pkgs-22.05/lib/a.nix": "1",
			}, compress), 0o644)
			out := filepath.Join(real, "out")
			env := map[string]string{"out": "/nix/store/x-out", "channelName": "gonixpkgs", "src": src}
			if err := UnpackChannel(env, out, "/nix/store", real); err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(filepath.Join(out, "gonixpkgs", "lib", "a.nix"))
			if err != nil || string(got) != "1" {
				t.Fatalf("renamed tree: %q, %v", got, err)
			}
			if _, err := os.Stat(filepath.Join(out, "pkgs-22.05")); err == nil {
				t.Error("the original top directory is still there")
			}
		})
	}
}

func TestUnpackChannelErrors(t *testing.T) {
	real := t.TempDir()
	src := "/nix/store/00000000000000000000000000000000-two.tar"
	os.WriteFile(filepath.Join(real, filepath.Base(src)), channelTar(t, map[string]string{"a/": "", "b": "x"}, "none"), 0o644)
	out := filepath.Join(real, "out")
	err := UnpackChannel(map[string]string{"out": "o", "channelName": "c", "src": src}, out, "/nix/store", real)
	if err == nil || err.Error() != "channel tarball '"+src+"' contains more than one file" {
		t.Errorf("two top entries: %v", err)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a failed unpack left its output")
	}
	err = UnpackChannel(map[string]string{"out": "o", "src": src}, out, "/nix/store", real)
	if err == nil || err.Error() != "attribute 'channelName' missing" {
		t.Errorf("no channelName: %v", err)
	}
	err = UnpackChannel(map[string]string{"out": "o", "src": src, "channelName": "../x"}, out, "/nix/store", real)
	if err == nil || !strings.Contains(err.Error(), "invalid channel name") {
		t.Errorf("channelName ../x: %v", err)
	}
}
