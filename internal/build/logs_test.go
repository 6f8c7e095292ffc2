package build

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"gonix/internal/store"
)

// bz2Log is `printf 'line one\nline two\n' | bzip2 -9`, as Nix stores logs.
var bz2Log = []byte{
	0x42, 0x5a, 0x68, 0x39, 0x31, 0x41, 0x59, 0x26, 0x53, 0x59, 0x8c, 0x77, 0xbf, 0xde, 0x00, 0x00,
	0x04, 0xd1, 0x80, 0x00, 0x10, 0x40, 0x00, 0x02, 0x25, 0x84, 0x80, 0x20, 0x00, 0x31, 0x06, 0x4c,
	0x40, 0xc8, 0x69, 0xa6, 0x8f, 0x0b, 0x2c, 0x20, 0x98, 0x9c, 0x27, 0x8b, 0xb9, 0x22, 0x9c, 0x28,
	0x48, 0x46, 0x3b, 0xdf, 0xef, 0x00,
}

func TestLogs(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	logDir := LogDir(root)
	if logDir != filepath.Join(root, "nix/var/log/nix") || LogDir("") != "/nix/var/log/nix" {
		t.Errorf("LogDir = %s", logDir)
	}
	drv := "/nix/store/v17r5l1xbgiqdravaj0dra2js09d47h6-plain.drv"
	l, err := OpenLog(logDir, drv)
	if err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(logDir, "drvs/v1/7r5l1xbgiqdravaj0dra2js09d47h6-plain.drv")
	if l.Path != want {
		t.Errorf("log at %s, want %s", l.Path, want)
	}
	fmt.Fprintf(l, "raw \r\x1b[1mbytes\n")
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := ReadLog(ctx, nil, logDir, drv)
	if err != nil || string(got) != "raw \r\x1b[1mbytes\n" {
		t.Errorf("ReadLog = %q, %v", got, err)
	}

	// A log written by Nix: bzip2, with the suffix.
	nixDrv := "/nix/store/s3afhr5wmkw380qgs05zg8abhdh2xm73-failing.drv"
	p := filepath.Join(logDir, "drvs/s3/afhr5wmkw380qgs05zg8abhdh2xm73-failing.drv.bz2")
	os.MkdirAll(filepath.Dir(p), 0o755)
	os.WriteFile(p, bz2Log, 0o644)
	if got, err := ReadLog(ctx, nil, logDir, nixDrv); err != nil || string(got) != "line one\nline two\n" {
		t.Errorf("ReadLog of a .bz2 log = %q, %v", got, err)
	}
	// The plain file wins over the .bz2 one, as in Nix.
	os.WriteFile(strings.TrimSuffix(p, ".bz2"), []byte("plain"), 0o644)
	if got, _ := ReadLog(ctx, nil, logDir, nixDrv); string(got) != "plain" {
		t.Errorf("plain log not preferred: %q", got)
	}
	// The old flat layout.
	old := "/nix/store/0000000000000000000000000000000a-old.drv"
	os.WriteFile(filepath.Join(logDir, "drvs", filepath.Base(old)), []byte("old"), 0o644)
	if got, _ := ReadLog(ctx, nil, logDir, old); string(got) != "old" {
		t.Errorf("old layout: %q", got)
	}
	if _, err := ReadLog(ctx, nil, logDir, "/nix/store/0000000000000000000000000000000b-none.drv"); !errors.Is(err, ErrNoBuildLog) {
		t.Errorf("missing log: %v", err)
	}
}

// TestReadLogOfOutput finds the log through the output's deriver.
func TestReadLogOfOutput(t *testing.T) {
	ctx := context.Background()
	st := openTestStore(t)
	d := simpleDrv("logged", []string{"out"}, nil)
	drvPath := writeDrv(t, st, d)
	if _, err := build(t, st, drvPath, d, testSettings(t), writeFile("x", 0o644)); err != nil {
		t.Fatal(err)
	}
	logDir := filepath.Join(t.TempDir(), "log")
	l, err := OpenLog(logDir, drvPath)
	if err != nil {
		t.Fatal(err)
	}
	l.Write([]byte("building\n"))
	l.Close()
	got, err := ReadLog(ctx, st, logDir, d.Outputs["out"].Path)
	if err != nil || string(got) != "building\n" {
		t.Errorf("ReadLog(output) = %q, %v", got, err)
	}
	src, _ := st.AddText(ctx, "src", "x", nil)
	var s store.Store = st
	if _, err := ReadLog(ctx, s, logDir, src); !errors.Is(err, ErrNoBuildLog) {
		t.Errorf("path without deriver: %v", err)
	}
}

// TestFormatFailure matches what Nix 2.8 printed (nix-build -Q) for a
// builder that wrote twelve lines, "a\rb\n" and "noeol", then exited 3.
func TestFormatFailure(t *testing.T) {
	drv := "/nix/store/s3afhr5wmkw380qgs05zg8abhdh2xm73-failing.drv"
	tail := NewLogTail(10)
	for i := 1; i <= 12; i++ {
		fmt.Fprintf(tail, "line %d\n", i)
	}
	tail.Write([]byte("@nix {\"action\":\"msg\",\"level\":0,\"msg\":\"hidden\"}\n"))
	tail.Write([]byte("a\rb\n"))
	tail.Write([]byte("noe"))
	tail.Write([]byte("ol"))
	got := FormatFailure(&BuilderError{DrvPath: drv, ExitCode: 3}, tail.Lines(), 10)
	want := `builder for '/nix/store/s3afhr5wmkw380qgs05zg8abhdh2xm73-failing.drv' failed with exit code 3;
last 10 log lines:
> line 5
> line 6
> line 7
> line 8
> line 9
> line 10
> line 11
> line 12
> b
> noeol
For full logs, run 'nix log /nix/store/s3afhr5wmkw380qgs05zg8abhdh2xm73-failing.drv'.`
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-nix +gonix):\n%s", diff)
	}

	// A carriage return overwrites from the start of the line and keeps
	// what it did not overwrite.
	tail = NewLogTail(3)
	tail.Write([]byte("abcdef\rXY\n"))
	if diff := cmp.Diff([]string{"XYcdef"}, tail.Lines()); diff != "" {
		t.Errorf("carriage return (-want +got):\n%s", diff)
	}
	// No tail: the bare message; other errors never get one.
	if got := FormatFailure(&BuilderError{DrvPath: drv, ExitCode: 1}, nil, 10); got != "builder for '"+drv+"' failed with exit code 1" {
		t.Errorf("no tail: %q", got)
	}
	if got := FormatFailure(errors.New("other"), []string{"x"}, 10); got != "other" {
		t.Errorf("other error: %q", got)
	}
}

// TestStartLog: a log started in the background gets every write and is
// where OpenLog puts it; one that cannot be created drops the writes and
// says why on Close.
func TestStartLog(t *testing.T) {
	dir := t.TempDir()
	const drv = "/nix/store/00000000000000000000000000000000-x.drv"
	l := StartLog(dir, drv)
	for _, s := range []string{"a\n", "b"} {
		if n, err := l.Write([]byte(s)); n != len(s) || err != nil {
			t.Fatalf("Write(%q) = %d, %v", s, n, err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	want, _ := logPath(dir, drv)
	if b, err := os.ReadFile(want); err != nil || string(b) != "a\nb" || l.Path != want {
		t.Errorf("log at %q: %q, %v (want it at %q)", l.Path, b, err, want)
	}

	blocked := filepath.Join(dir, "file")
	if err := os.WriteFile(blocked, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	l = StartLog(blocked, drv)
	if n, err := l.Write([]byte("x")); n != 1 || err != nil {
		t.Errorf("Write to a log that could not be created = %d, %v", n, err)
	}
	if err := l.Close(); err == nil {
		t.Errorf("Close of a log that could not be created: no error")
	}
}
