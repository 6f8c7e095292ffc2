package eval

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestReadSource(t *testing.T) {
	dir := t.TempDir()
	big := strings.Repeat("0123456789", 10000)
	writeFiles(t, dir, map[string]string{"a.nix": "1 + 1", "empty.nix": "", "big.nix": big})
	for name, want := range map[string]string{"a.nix": "1 + 1", "empty.nix": "", "big.nix": big} {
		if got, err := readSource(filepath.Join(dir, name)); err != nil || got != want {
			t.Errorf("%s: %d bytes, %v", name, len(got), err)
		}
	}
	// not a regular file: read to its end
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	go func() {
		w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err == nil {
			w.WriteString("from a pipe")
			w.Close()
		}
	}()
	if got, err := readSource(fifo); err != nil || got != "from a pipe" {
		t.Errorf("fifo: %q, %v", got, err)
	}
	_, err := readSource(filepath.Join(dir, "missing.nix"))
	var pe *os.PathError
	if !errors.As(err, &pe) || !errors.Is(err, syscall.ENOENT) || errnoText(err) != "No such file or directory" {
		t.Errorf("missing: %v", err)
	}
}

func TestReadRegular(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"a.nix": "abc"})
	p := filepath.Join(dir, "a.nix")
	data, size, mtime, ok := readRegular(p, 10)
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if !ok || string(data) != "abc" || size != 3 || !mtime.Equal(fi.ModTime()) {
		t.Errorf("a.nix: %q %d %v %v", data, size, mtime, ok)
	}
	if _, _, _, ok := readRegular(p, 2); ok {
		t.Error("a file over the limit was read")
	}
	fifo := filepath.Join(dir, "fifo.nix")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, _, ok := readRegular(fifo, 10); ok {
		t.Error("a fifo was read")
	}
	if _, _, _, ok := readRegular(dir, 10); ok {
		t.Error("a directory was read")
	}
}
