package nar

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRestoreBytes restores every golden archive from memory and dumps it
// again; with data after the archive it reports the archive's length; and
// it refuses what Restore refuses, a file cut short included.
func TestRestoreBytes(t *testing.T) {
	vectors, _ := makeTrees(t)
	for _, v := range narVectors(t, vectors) {
		want, err := os.ReadFile(filepath.Join(vectors, v.name+".nar"))
		if err != nil {
			t.Fatal(err)
		}
		target := filepath.Join(t.TempDir(), "out")
		n, err := RestoreBytes(append(append([]byte(nil), want...), "trailing"...), target)
		if err != nil {
			t.Fatalf("%s: %v", v.name, err)
		}
		if n != len(want) {
			t.Errorf("%s: RestoreBytes = %d, archive is %d bytes", v.name, n, len(want))
		}
		var buf bytes.Buffer
		if err := Dump(&buf, target, nil); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(buf.Bytes(), want) {
			t.Errorf("%s: restored tree dumps differently", v.name)
		}
	}

	big := strings.Repeat("contents ", 100000)
	ok := dirWith(file("a", "1"), file("b", big))
	for _, c := range []struct {
		name string
		nar  []byte
		want string
	}{
		{"truncated in a file", ok.b[:len(ok.b)-len(big)/2], "unexpected end of archive"},
		{"truncated after a file", ok.b[:len(ok.b)-8], "unexpected end of archive"},
		{"unsorted", dirWith(file("b", ""), file("a", "")).b, "NAR directory is not sorted"},
		{"slash", dirWith(file("a/b", "")).b, "NAR contains invalid file name 'a/b'"},
	} {
		dir := t.TempDir()
		if _, err := RestoreBytes(c.nar, filepath.Join(dir, "t")); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: RestoreBytes error %v, want %q", c.name, err, c.want)
		}
	}
	target := filepath.Join(t.TempDir(), "t")
	if _, err := RestoreBytes(ok.b, target); err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(filepath.Join(target, "b")); err != nil || string(got) != big {
		t.Errorf("b holds %d bytes, %v; want %d", len(got), err, len(big))
	}
}
