package cli

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// runNixStoreIn runs gonix nix-store in-process in dir with stdin.
func runNixStoreIn(dir string, stdin io.Reader, argv ...string) result {
	var stdout, stderr bytes.Buffer
	env := map[string]string{"HOME": dir}
	e := &Env{
		Context:   context.Background(),
		Stdin:     stdin,
		Stdout:    &stdout,
		Stderr:    &stderr,
		LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		Dir:       dir,
	}
	status := Run(e, append([]string{"nix-store"}, argv...))
	return result{stdout.String(), stderr.String(), status}
}

// narBuf assembles NAR bytes token by token, hostile ones included.
type narBuf struct{ bytes.Buffer }

func (b *narBuf) str(s string) *narBuf {
	b.num(uint64(len(s)))
	b.WriteString(s)
	if pad := (8 - len(s)%8) % 8; pad > 0 {
		b.Write(make([]byte, pad))
	}
	return b
}

func (b *narBuf) num(n uint64) *narBuf {
	var x [8]byte
	binary.LittleEndian.PutUint64(x[:], n)
	b.Write(x[:])
	return b
}

func (b *narBuf) toks(ts ...string) *narBuf {
	for _, t := range ts {
		b.str(t)
	}
	return b
}

// file, symlink and dir nodes (without the leading "(").
func (b *narBuf) file(contents string) *narBuf {
	return b.toks("(", "type", "regular", "contents", contents, ")")
}

func (b *narBuf) symlink(target string) *narBuf {
	return b.toks("(", "type", "symlink", "target", target, ")")
}

func (b *narBuf) entry(name string, node func(*narBuf)) *narBuf {
	b.toks("entry", "(", "name", name, "node")
	node(b)
	return b.toks(")")
}

// hostileNARs are archives no canonical NAR contains; each tries to escape
// the target or to confuse the restorer.
func hostileNARs() map[string][]byte {
	dir := func(entries func(*narBuf)) []byte {
		b := &narBuf{}
		b.toks("nix-archive-1", "(", "type", "directory")
		entries(b)
		b.toks(")")
		return b.Bytes()
	}
	f := func(s string) func(*narBuf) { return func(b *narBuf) { b.file(s) } }
	out := map[string][]byte{
		"dotdot": dir(func(b *narBuf) { b.entry("..", f("pwned")) }),
		"dot":    dir(func(b *narBuf) { b.entry(".", f("pwned")) }),
		"slash":  dir(func(b *narBuf) { b.entry("x/../../escaped", f("pwned")) }),
		"empty":  dir(func(b *narBuf) { b.entry("", f("pwned")) }),
		"nul":    dir(func(b *narBuf) { b.entry("a\x00b", f("pwned")) }),
		// A symlink to the parent, then an entry of the same name that
		// would write through it.
		"through-symlink": dir(func(b *narBuf) {
			b.entry("l", func(b *narBuf) { b.symlink("..") })
			b.entry("l", func(b *narBuf) {
				b.toks("(", "type", "directory")
				b.entry("escaped", f("pwned"))
				b.toks(")")
			})
		}),
		"unsorted": dir(func(b *narBuf) {
			b.entry("b", f("1"))
			b.entry("a", f("2"))
		}),
		"duplicate": dir(func(b *narBuf) {
			b.entry("a", f("1"))
			b.entry("a", f("2"))
		}),
	}
	// Absurd lengths: a name and file contents claiming exabytes.
	b := &narBuf{}
	b.toks("nix-archive-1", "(", "type", "directory", "entry", "(", "name")
	b.num(1 << 62)
	out["huge-name"] = b.Bytes()
	b = &narBuf{}
	b.toks("nix-archive-1", "(", "type", "regular", "contents")
	b.num(1<<63 + 5)
	b.WriteString("xx")
	out["huge-contents"] = b.Bytes()
	b = &narBuf{}
	b.toks("nix-archive-1", "(", "type", "symlink", "target")
	b.num(1 << 40)
	out["huge-target"] = b.Bytes()
	return out
}

// listTree returns every path below dir, for before/after comparisons.
func listTree(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		out = append(out, strings.TrimPrefix(p, dir))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

func TestNixStoreRestoreRefusesHostileNARs(t *testing.T) {
	t.Parallel()
	for name, data := range hostileNARs() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			parent := t.TempDir()
			work := filepath.Join(parent, "work")
			if err := os.Mkdir(work, 0o755); err != nil {
				t.Fatal(err)
			}
			before := listTree(t, parent)
			r := runNixStoreIn(work, bytes.NewReader(data), "--restore", "out")
			if r.status == 0 {
				t.Fatalf("--restore accepted a hostile NAR")
			}
			if !strings.HasPrefix(r.stderr, "error: ") || strings.Contains(r.stderr, "internal error") ||
				!strings.Contains(r.stderr, "NAR") && !strings.Contains(r.stderr, "archive") {
				t.Errorf("stderr %q, want a plain error about the archive", r.stderr)
			}
			// Whatever was restored stays below work/out; nothing else
			// appears in the parent directory.
			var after []string
			for _, p := range listTree(t, parent) {
				if !strings.HasPrefix(p, "/work/out") {
					after = append(after, p)
				}
			}
			if !slices.Equal(before, after) {
				t.Errorf("files outside the target changed:\nbefore %q\nafter  %q", before, after)
			}
		})
	}
}

func TestNixStoreRestoreErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	b := &narBuf{}
	b.toks("nix-archive-1").file("hi\n")
	good := b.Bytes()
	tests := []struct {
		name   string
		stdin  []byte
		argv   []string
		stderr string
	}{
		{"exists", good, []string{"--restore", "."}, "error: creating file '.': File exists\n"},
		{"missing parent", good, []string{"--restore", "a/b/c"}, "error: creating file 'a/b/c': No such file or directory\n"},
		{"no args", good, []string{"--restore"}, "error: only one argument allowed\nTry 'nix-store --help' for more information.\n"},
		{"two args", good, []string{"--restore", "a", "b"}, "error: only one argument allowed\nTry 'nix-store --help' for more information.\n"},
		{"flag", good, []string{"--restore", "--x", "a"}, "error: unknown flag\nTry 'nix-store --help' for more information.\n"},
	}
	for _, tt := range tests {
		r := runNixStoreIn(dir, bytes.NewReader(tt.stdin), tt.argv...)
		if r.status != 1 || r.stderr != tt.stderr {
			t.Errorf("%s: status %d, stderr %q; want 1, %q", tt.name, r.status, r.stderr, tt.stderr)
		}
	}
	// Truncated input fails.
	r := runNixStoreIn(dir, bytes.NewReader(good[:len(good)-9]), "--restore", "trunc")
	if r.status != 1 {
		t.Errorf("truncated NAR: status %d, stderr %q", r.status, r.stderr)
	}
	// A good NAR restores.
	r = runNixStoreIn(dir, bytes.NewReader(good), "--restore", "ok")
	if r.status != 0 {
		t.Fatalf("good NAR: status %d, stderr %q", r.status, r.stderr)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "ok")); string(got) != "hi\n" {
		t.Errorf("restored %q", got)
	}
}

// exportStream wraps NARs as an export stream of the given paths.
func exportStream(paths []string, nars [][]byte) []byte {
	b := &narBuf{}
	for i, p := range paths {
		b.num(1)
		b.Write(nars[i])
		b.num(0x4558494e)
		b.str(p)
		b.num(0)  // references
		b.str("") // deriver
		b.num(0)  // no signature
	}
	b.num(0)
	return b.Bytes()
}

func TestNixStoreImportRefusesHostileNARs(t *testing.T) {
	t.Parallel()
	good := &narBuf{}
	good.toks("nix-archive-1").file("fine\n")
	const goodPath = "/nix/store/00000000000000000000000000000000-good"
	const badPath = "/nix/store/11111111111111111111111111111111-bad"
	for name, data := range hostileNARs() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			parent := t.TempDir()
			work := filepath.Join(parent, "work")
			if err := os.Mkdir(work, 0o755); err != nil {
				t.Fatal(err)
			}
			storeDir := filepath.Join(parent, "store")
			if r := runNixStoreIn(work, nil, "--store", storeDir, "--init"); r.status != 0 {
				t.Fatalf("--init: %+v", r)
			}
			before := listTree(t, parent)
			stream := exportStream([]string{badPath}, [][]byte{data})
			r := runNixStoreIn(work, bytes.NewReader(stream), "--store", storeDir, "--import")
			if r.status == 0 {
				t.Fatalf("--import accepted a hostile NAR; stdout %q", r.stdout)
			}
			if !strings.HasPrefix(r.stderr, "error: ") || strings.Contains(r.stderr, "internal error") ||
				!strings.Contains(r.stderr, "NAR") && !strings.Contains(r.stderr, "archive") {
				t.Errorf("stderr %q, want a plain error about the archive", r.stderr)
			}
			if r.stdout != "" {
				t.Errorf("stdout %q, want nothing", r.stdout)
			}
			r = runNixStoreIn(work, nil, "--store", storeDir, "--check-validity", "--print-invalid", badPath)
			if r.stdout != badPath+"\n" {
				t.Errorf("after a refused import, --check-validity says %+v", r)
			}
			if _, err := os.Lstat(filepath.Join(storeDir, badPath)); err == nil {
				t.Errorf("%s exists in the store", badPath)
			}
			after := listTree(t, parent)
			var extra []string
			for _, p := range after {
				if !slices.Contains(before, p) && !strings.HasPrefix(p, "/store/nix/var/") {
					extra = append(extra, p)
				}
			}
			if len(extra) > 0 {
				t.Errorf("the import left files behind: %q", extra)
			}
		})
	}
	// A good path before a hostile one is imported (as in Nix, paths are
	// registered one by one); the hostile one is not.
	t.Run("good-then-bad", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		storeDir := filepath.Join(dir, "store")
		stream := exportStream([]string{goodPath, badPath}, [][]byte{good.Bytes(), hostileNARs()["dotdot"]})
		r := runNixStoreIn(dir, bytes.NewReader(stream), "--store", storeDir, "--import")
		if r.status != 1 || r.stdout != "" {
			t.Fatalf("import: %+v", r)
		}
		r = runNixStoreIn(dir, nil, "--store", storeDir, "--check-validity", "--print-invalid", goodPath, badPath)
		if r.status != 0 || r.stdout != badPath+"\n" {
			t.Errorf("--check-validity: %+v", r)
		}
	})
}
