package eval

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// prefetchState is an evaluator whose prefetcher has parsed the files
// at paths (resolved) before anything imports them.
func prefetchState(t *testing.T, paths ...string) *State {
	t.Helper()
	st := New(Options{Stderr: new(bytes.Buffer), Getenv: func(string) (string, bool) { return "", false }, Home: "/home/test"})
	st.prefetch.enqueue(paths)
	deadline := time.Now().Add(10 * time.Second)
	for _, p := range paths {
		for {
			st.prefetch.mu.Lock()
			f := st.prefetch.files[p]
			parsed := f != nil && f.state == pfParsed
			st.prefetch.mu.Unlock()
			if parsed {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s was not prefetched", p)
			}
			time.Sleep(time.Millisecond)
		}
	}
	return st
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestPrefetchedImportsEvaluateAsParsedOnes(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		// zz is interned before aa in every mode, so it comes first in
		// the set and its error is the one raised
		"order.nix":  `{ zz = throw "zz"; aa = throw "aa"; }`,
		"lib.nix":    `rec { inherit (builtins) length head; twice = f: x: f (f x); n = length [ 1 2 ]; s = { b = 2; a = 1; c = { inherit n; }; }; }`,
		"main.nix":   `let l = import ./lib.nix; in { x = l.twice (y: y * 3) l.n; inherit (l) s; f = { p ? 1, q }: p + q; }`,
		"syntax.nix": "{ a = 1;\n  b = ; }",
		"undef.nix":  "{ a = undefinedName; }",
	})
	cases := []struct {
		files      []string
		expr, want string
	}{
		{[]string{"order.nix"}, `import ./order.nix`, `error: zz`},
		{[]string{"lib.nix", "main.nix"}, `let m = import ./main.nix; in [ m.x m.s (m.f { q = 2; }) ]`, `[ 18 { a = 1; b = 2; c = { n = 2; }; } 3 ]`},
		{[]string{"syntax.nix"}, `import ./syntax.nix`, "error: syntax error, unexpected ';'"},
		{[]string{"undef.nix"}, `import ./undef.nix`, "error: undefined variable 'undefinedName'"},
	}
	for _, c := range cases {
		var paths []string
		for _, f := range c.files {
			paths = append(paths, filepath.Join(dir, f))
		}
		plain := New(Options{Stderr: new(bytes.Buffer), Getenv: func(string) (string, bool) { return "", false }, Home: "/home/test", NoPrefetch: true})
		want := evalPrint(t, plain, c.expr, dir, true)
		if !strings.HasPrefix(want, c.want) {
			t.Fatalf("%s without the prefetcher: %s, want %s", c.expr, want, c.want)
		}
		st := prefetchState(t, paths...)
		if got := evalPrint(t, st, c.expr, dir, true); got != want {
			t.Errorf("%s: prefetched %s, parsed at import %s", c.expr, got, want)
		}
		for _, p := range paths {
			if f := st.prefetch.files[p]; f.state != pfTaken {
				t.Errorf("%s: %s was not taken from the prefetcher", c.expr, p)
			}
		}
	}
}

// A file changed after the worker read it is read again at import.
func TestPrefetchedFileChangedIsReadAgain(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.nix")
	writeFiles(t, dir, map[string]string{"a.nix": `1`})
	st := prefetchState(t, p)
	writeFiles(t, dir, map[string]string{"a.nix": `2 + 40`})
	if got := evalPrint(t, st, `import ./a.nix`, dir, true); got != "42" {
		t.Fatalf("got %s, want 42", got)
	}
}

// The worker follows path literals, also in the embedded lib, and stops
// at files it must not read.
func TestPrefetcherFollowsPathLiterals(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"a.nix":    `[ ./b.nix ./data.txt ./missing.nix ./sub ]`,
		"b.nix":    `import ./a.nix`,
		"data.txt": `not nix`,
	})
	os.Mkdir(filepath.Join(dir, "sub"), 0o755)
	writeFiles(t, filepath.Join(dir, "sub"), map[string]string{"default.nix": `"sub"`})
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo.nix"), 0o644); err != nil {
		t.Fatal(err)
	}
	writeFiles(t, dir, map[string]string{"c.nix": `[ ./fifo.nix ./a.nix ]`})
	st := prefetchState(t, filepath.Join(dir, "c.nix"), filepath.Join(dir, "b.nix"), filepath.Join(dir, "sub", "default.nix"), gonixRoot+"/lib/default.nix", gonixRoot+"/lib/trivial.nix")
	// the files those name may still be in the worker's hands
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		st.prefetch.mu.Lock()
		if !st.prefetch.running {
			break
		}
		st.prefetch.mu.Unlock()
		if time.Now().After(deadline) {
			t.Fatal("the worker did not stop")
		}
	}
	defer st.prefetch.mu.Unlock()
	if _, ok := st.prefetch.files[filepath.Join(dir, "data.txt")]; ok {
		t.Errorf("data.txt was prefetched")
	}
	for _, name := range []string{"fifo.nix", "missing.nix"} {
		if f := st.prefetch.files[filepath.Join(dir, name)]; f == nil || f.state != pfParsed || f.e != nil {
			t.Errorf("%s: %+v, want a failed read", name, f)
		}
	}
	if st.prefetch.ahead <= 0 {
		t.Errorf("ahead = %d", st.prefetch.ahead)
	}
}

// The worker takes the evaluation's files first, the last named first,
// and the embedded lib's files after them, in the order they were named.
func TestPrefetcherTakesLibFilesLast(t *testing.T) {
	pf := newPrefetcher("/home/test")
	pf.running = true // no worker: the queues are looked at directly
	lib := func(n string) string { return gonixRoot + "/lib/" + n }
	pf.enqueue([]string{"/c/a.nix", lib("trivial.nix"), "/c/b.nix", lib("lists.nix")})
	pf.enqueue([]string{lib("strings.nix"), "/c/d.nix", "/c/a.nix"})
	var got []string
	pf.mu.Lock()
	for {
		p, ok := pf.nextLocked()
		if !ok {
			break
		}
		got = append(got, p)
	}
	pf.mu.Unlock()
	want := []string{"/c/d.nix", "/c/b.nix", "/c/a.nix", lib("trivial.nix"), lib("lists.nix"), lib("strings.nix")}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("order %q, want %q", got, want)
	}
}
