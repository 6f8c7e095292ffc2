package eval

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gonix/internal/testutil"
)

// fetchEntry is one member of a generated archive.
type fetchEntry struct {
	name, body, link string
	typ              byte // tar type flag
	mode             int64
}

// The trees of the archives below. Nix's store paths for them were
// measured with nix-instantiate 2.8.0 in a private mount namespace (real
// Nix writes fetched files to the store even with --readonly-mode).
var (
	simpleTree = []fetchEntry{
		{name: "top/", typ: tar.TypeDir, mode: 0o755},
		{name: "top/a", body: "a\n", typ: tar.TypeReg, mode: 0o644},
		{name: "top/sub/", typ: tar.TypeDir, mode: 0o755},
		{name: "top/sub/b", body: "b\n", typ: tar.TypeReg, mode: 0o644},
	}
	richTree = []fetchEntry{
		{name: "p/", typ: tar.TypeDir, mode: 0o755},
		{name: "p/x", body: "x\n", typ: tar.TypeReg, mode: 0o644},
		{name: "p/run", body: "#!/bin/sh\n", typ: tar.TypeReg, mode: 0o755},
		{name: "p/lnk", link: "x", typ: tar.TypeSymlink, mode: 0o777},
		{name: "p/abs", link: "/etc/passwd", typ: tar.TypeSymlink, mode: 0o777},
		{name: "p/d/", typ: tar.TypeDir, mode: 0o700},
		{name: "p/d/e/", typ: tar.TypeDir, mode: 0o755},
		{name: "p/d/hard", link: "p/x", typ: tar.TypeLink, mode: 0o644},
	}
)

func tarBytes(t *testing.T, entries []fetchEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Typeflag: e.typ, Mode: e.mode, Linkname: e.link, Size: int64(len(e.body)), ModTime: time.Unix(1e9, 0)}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(e.body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func gzipBytes(t *testing.T, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(data)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func zipBytes(t *testing.T, entries []fetchEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		if e.typ == tar.TypeLink {
			continue // zip has no hard links
		}
		h := &zip.FileHeader{Name: e.name, Method: zip.Deflate}
		mode := os.FileMode(e.mode)
		body := e.body
		switch e.typ {
		case tar.TypeDir:
			mode |= os.ModeDir
		case tar.TypeSymlink:
			mode |= os.ModeSymlink
			body = e.link
		}
		h.SetMode(mode)
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(body))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// fetchFixture writes the files the fetcher tests download.
func fetchFixture(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string][]byte{
		"hello.txt":  []byte("hello\n"),
		"empty":      nil,
		"t.tar":      tarBytes(t, simpleTree),
		"t.tar.gz":   gzipBytes(t, tarBytes(t, simpleTree)),
		"t.zip":      zipBytes(t, simpleTree),
		"rich.tar":   tarBytes(t, richTree),
		"one.tar.gz": gzipBytes(t, tarBytes(t, []fetchEntry{{name: "one.txt", body: "single\n", typ: tar.TypeReg, mode: 0o644}})),
		"two.tar":    tarBytes(t, []fetchEntry{{name: "a", typ: tar.TypeReg, mode: 0o644}, {name: "b", typ: tar.TypeReg, mode: 0o644}}),
		"dotdot.tar": tarBytes(t, []fetchEntry{{name: "top/../../x", body: "x", typ: tar.TypeReg, mode: 0o644}}),
		"x.tar.xz":   {0xfd, '7', 'z', 'X', 'Z', 0, 0, 0},
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "work"), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// fetchCases: $D is the fixture directory. oracle marks the cases that
// real Nix answers without writing to the store or using the network, so
// TestFetchBuiltinsOracle can re-measure them.
var fetchCases = []struct {
	expr, want string
	oracle     bool
}{
	// argument checks (spec §4.10)
	{`builtins.fetchurl { url = "http://example.invalid/x"; foo = 1; }`, `error: unsupported argument 'foo' to 'fetchurl'`, true},
	{`fetchTarball { url = "http://example.invalid/x"; foo = 1; }`, `error: unsupported argument 'foo' to 'fetchTarball'`, true},
	{`builtins.fetchurl 1`, `error: value is an integer while a string was expected`, true},
	{`builtins.fetchurl { sha256 = "x"; }`, `error: hash 'x' has wrong length for hash type 'sha256'`, true},
	{`builtins.fetchurl { url = 1; }`, `error: value is an integer while a string was expected`, true},
	{`fetchTarball { }`, `error: 'url' argument required`, true},
	{`builtins.fetchurl { url = throw "u"; foo = 1; }`, `error: u`, true},
	{`builtins.fetchurl { url = "a"; sha256 = "sha512:00"; }`, `error: hash 'sha512:00' should have type 'sha256'`, true},
	{`builtins.fetchurl ./hello.txt`, `error: value is a path while a string was expected`, true},
	{`builtins.fetchurl "${builtins.toFile "a" "b"}"`, `error: the string '/nix/store/g76zcpqc540lrc8i6g7xy6ip0npn2hnp-a' is not allowed to refer to a store path (such as '/nix/store/g76zcpqc540lrc8i6g7xy6ip0npn2hnp-a')`, true},
	{`fetchTree (throw "x")`, `error: experimental Nix feature 'flakes' is disabled; use '--extra-experimental-features flakes' to override`, true},
	{`map builtins.isFunction [ builtins.fetchurl fetchTarball fetchGit fetchMercurial fetchTree ]`, `[ true true true true true ]`, true},
	{`let f = fetchTarball "http://example.invalid/x.tar.gz"; in 1`, `1`, true},

	// fetchGit: argument conversion and the Git input's checks
	{`fetchGit { }`, `error: input attribute 'url' is missing`, true},
	{`fetchGit 1`, `error: cannot coerce an integer to a string`, true},
	{`fetchGit { type = "git"; }`, `error: unexpected attribute 'type'`, true},
	{`fetchGit { url = 1; }`, `error: input attribute 'url' is not a string {"type":"git","url":1}`, true},
	{`fetchGit { url = "x"; foo = [ ]; }`, `error: fetchTree argument 'foo' is a list while a string, Boolean or integer is expected`, true},
	{`fetchGit { url = "x"; }`, `error: file:// URL 'file://x' has unexpected authority 'x'`, true},
	{`fetchGit { url = "foo bar"; }`, `error: 'file://foo bar' is not a valid URL`, true},
	{`fetchGit { url = "/x"; ref = "a..b"; }`, `error: invalid Git branch/tag name 'a..b'`, true},
	{`fetchGit { url = "/x"; shallow = "yes"; }`, `error: input attribute 'shallow' is not a Boolean`, true},
	{`fetchGit { url = "/x"; rev = "abc"; }`, `error: hash 'abc' has wrong length for hash type 'sha1'`, true},
	{`fetchGit { url = "/x"; revCount = "abc"; }`, `error: input attribute 'revCount' is not an integer`, true},
	{`fetchGit { url = "/x"; narHash = "abc"; }`, `error: hash 'abc' is not SRI`, true},
	{`fetchGit { url = "/x"; narHash = "sha1-AAAAAAAAAAAAAAAAAAAAAAAAAAA="; }`, `error: narHash must use SHA-256`, true},
	{`fetchGit { url = "/x"; lastModified = -1; foo = 1; bar = 2; }`, `error: unsupported Git input attribute 'bar'`, true},
	{`fetchGit { url = "git@github.com:NixOS/nix"; ref = 1; }`, `error: input attribute 'ref' is not a string {"ref":1,"type":"git","url":"ssh://git@github.com/NixOS/nix"}`, true},
	{`fetchGit { url = "/x"; name = 1; }`, `error: input attribute 'name' is not a string {"name":1,"type":"git","url":"file:///x"}`, true},
	{`fetchGit { url = "/x"; rev = "md5:00000000000000000000000000000000"; }`, `error: Hash 'md5:00000000000000000000000000000000' is not supported by Git. Supported types are sha1 and sha256.`, false},

	// fetchMercurial
	{`fetchMercurial { }`, `error: 'url' argument required`, true},
	{`fetchMercurial { url = ""; }`, `error: 'url' argument required`, true},
	{`fetchMercurial { url = "http://example.invalid/x"; foo = 1; }`, `error: unsupported argument 'foo' to 'fetchMercurial'`, true},
	{`fetchMercurial { url = "/x"; rev = "a b"; }`, `error: invalid Mercurial branch/tag name 'a b'`, true},
	{`fetchMercurial [ ]`, `error: cannot coerce a list to a string`, true},
	{`fetchMercurial "/x"`, `error: fetching the Mercurial repository 'file:///x' is not supported by this build yet`, false},

	// downloads of local files
	{`builtins.fetchurl "file://$D/hello.txt"`, `"/nix/store/gy454w1cxaq731grqwylhzf4pp9r5izh-hello.txt"`, false},
	{`builtins.fetchurl "FILE://localhost$D/hello.txt"`, `"/nix/store/gy454w1cxaq731grqwylhzf4pp9r5izh-hello.txt"`, false},
	{`builtins.fetchurl "file://$D/hello.txt?x=1"`, `"/nix/store/ylik948g2rr3lmi86qhn452szrgyys99-hello.txt?x=1"`, false},
	{`builtins.fetchurl { url = "file://$D/hello.txt"; sha256 = "sha256-WJG1tSLV3whtD/CxEPvZ0hu0/HFjrzTQgoai6Eb2vgM="; }`, `"/nix/store/gy454w1cxaq731grqwylhzf4pp9r5izh-hello.txt"`, false},
	{`builtins.fetchurl "file://$D/work/"`, `"/nix/store/xi63gbmbzm894a7ysjrpw2v90ncad3g6-work"`, false},
	{`builtins.fetchurl { url = "file://$D/hello.txt"; sha256 = "0000000000000000000000000000000000000000000000000000"; }`, "error: hash mismatch in file downloaded from 'file://$D/hello.txt':\n  specified: sha256:0000000000000000000000000000000000000000000000000000\n  got:       sha256:00xyyr3fi8l6hb839bv3f7yb86yjv7xi1cgh1xnhipym4asvb4aq", false},
	{`builtins.fetchurl { url = "file://$D/hello.txt"; name = "a b"; }`, `error: store path 'bgi6khjql9hy2gqjv6lb672zwik9j8yl-a b' contains illegal character ' '`, false},
	{`builtins.fetchurl "file://$D/nonexistent"`, `error: unable to download 'file://$D/nonexistent': Couldn't read a file:// file (37)`, true},
	{`builtins.fetchurl "file://otherhost$D/hello.txt"`, `error: unable to download 'file://otherhost$D/hello.txt': URL using bad/illegal format or missing URL (3)`, true},
	{`builtins.fetchurl "$D/hello.txt"`, `error: unable to download '$D/hello.txt': URL using bad/illegal format or missing URL (3)`, true},
	{`builtins.fetchurl "foo2://x/y"`, `error: unable to download 'foo2://x/y': Unsupported protocol (1)`, true},
	{`fetchTarball "file://$D/t.tar.gz"`, `"/nix/store/sdx8722spffjz56j8w2vr9hprfnidqmv-source"`, false},
	{`fetchTarball "file://$D/t.tar"`, `"/nix/store/sdx8722spffjz56j8w2vr9hprfnidqmv-source"`, false},
	{`fetchTarball "file://$D/t.zip"`, `"/nix/store/sdx8722spffjz56j8w2vr9hprfnidqmv-source"`, false},
	{`fetchTarball { url = "file://$D/t.tar"; name = "foo"; }`, `"/nix/store/lfhxdvfgvb6ap2yi1vihkbcqj35qzi55-foo"`, false},
	{`fetchTarball "file://$D/rich.tar"`, `"/nix/store/cc6wjadgw95aqyw5h398z51jd4ld1xzx-source"`, false},
	{`fetchTarball "file://$D/one.tar.gz"`, `"/nix/store/4gsxmmwzrxs8rg5xg2vv81zmgna4x9i6-source"`, false},
	{`fetchTarball { url = "file://$D/t.tar.gz"; sha256 = "1j9j084sn239ab5084vydg0xhighly1xmhxavbp56sw8gdl6i64g"; }`, `"/nix/store/sdx8722spffjz56j8w2vr9hprfnidqmv-source"`, false},
	{`fetchTarball { url = "file://$D/t.tar.gz"; sha256 = ""; }`, "error: hash mismatch in file downloaded from 'file://$D/t.tar.gz':\n  specified: sha256:0000000000000000000000000000000000000000000000000000\n  got:       sha256:1j9j084sn239ab5084vydg0xhighly1xmhxavbp56sw8gdl6i64g", false},
	{`fetchTarball "file://$D/empty"`, `error: tarball 'file://$D/empty' contains an unexpected number of top-level files`, false},
	{`fetchTarball "file://$D/two.tar"`, `error: tarball 'file://$D/two.tar' contains an unexpected number of top-level files`, false},
	{`fetchTarball "file://$D/work"`, `error: tarball 'file://$D/work' contains an unexpected number of top-level files`, false},
	{`fetchTarball "file://$D/dotdot.tar"`, `error: failed to extract archive (Path contains '..')`, false},
	{`fetchTarball "file://$D/x.tar.xz"`, `error: failed to open archive: xz compression is not supported by this build yet`, false},
}

func TestFetchBuiltins(t *testing.T) {
	dir := fetchFixture(t)
	for _, c := range fetchCases {
		expr := strings.ReplaceAll(c.expr, "$D", dir)
		want := strings.ReplaceAll(c.want, "$D", dir)
		if got, _ := evalIn(t, dir, expr); got != want {
			t.Errorf("%s\n got: %s\nwant: %s", expr, got, want)
		}
	}
}

// A member below a symbolic link of the same archive is refused, and
// nothing is written outside the extraction directory.
func TestFetchTarballThroughSymlink(t *testing.T) {
	dir, outside := t.TempDir(), t.TempDir()
	data := tarBytes(t, []fetchEntry{
		{name: "top/l", link: outside, typ: tar.TypeSymlink, mode: 0o777},
		{name: "top/l/x", body: "x", typ: tar.TypeReg, mode: 0o644},
	})
	if err := os.WriteFile(filepath.Join(dir, "through.tar"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	got, _ := evalIn(t, dir, `fetchTarball "file://`+dir+`/through.tar"`)
	if !strings.HasPrefix(got, "error: failed to extract archive (Cannot extract through symlink") {
		t.Errorf("got %s", got)
	}
	if ents, _ := os.ReadDir(outside); len(ents) != 0 {
		t.Errorf("extraction wrote %d entries through the symlink", len(ents))
	}
}

func TestFetchEmptyHashWarning(t *testing.T) {
	dir := fetchFixture(t)
	_, stderr := evalIn(t, dir, `builtins.fetchurl { url = "file://`+dir+`/hello.txt"; sha256 = ""; }`)
	if want := "warning: found empty hash, assuming 'sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA='\n"; stderr != want {
		t.Errorf("stderr %q, want %q", stderr, want)
	}
}

// validStore is a computing store that reports one path as valid, like a
// real store holding it.
type validStore struct {
	*ComputeStore
	valid string
}

func (s validStore) IsValidPath(p string) bool { return p == s.valid }

// HTTPClient keeps the tests off the network.
func (s validStore) HTTPClient() HTTPClient { return offlineClient{} }

// Pinned inputs already in the store are used without any download, and
// fetchGit describes them from their attributes alone. Measured with Nix
// 2.8 after nix-store --add-fixed --recursive sha256 of a directory
// "source" holding f = "hi\n".
func TestFetchPinnedInStore(t *testing.T) {
	const (
		path    = "/nix/store/s1gbqa4hazf27kcgbjz2rc5mbjjl2n9j-source"
		narHash = "sha256-MyEwKR7frLkJXyCTAYmhACAemt2h4EszAo04ltEu78o="
	)
	cases := []struct{ expr, want string }{
		{`fetchTarball { url = "https://example.invalid/x.tar.gz"; sha256 = "` + narHash + `"; }`, `"` + path + `"`},
		{`fetchTarball { url = "https://example.invalid/x.tar.gz"; sha256 = "` + narHash + `"; name = "other"; }`,
			`error: unable to download 'https://example.invalid/x.tar.gz': HTTP error 404 ('Not Found')`},
		{`fetchGit { url = "/x"; narHash = "` + narHash + `"; lastModified = 1000000000; }`,
			`{ lastModified = 1000000000; lastModifiedDate = "20010909014640"; narHash = "` + narHash + `"; outPath = "` + path + `"; rev = "0000000000000000000000000000000000000000"; revCount = 0; shortRev = "0000000"; submodules = false; }`},
		{`fetchGit { url = "/x"; narHash = "` + narHash + `"; lastModified = 1000000000; ref = "main"; revCount = 5; rev = "1234567890123456789012345678901234567890"; submodules = true; }`,
			`{ lastModified = 1000000000; lastModifiedDate = "20010909014640"; narHash = "` + narHash + `"; outPath = "` + path + `"; rev = "1234567890123456789012345678901234567890"; revCount = 5; shortRev = "1234567"; submodules = true; }`},
		// a ref without revCount is not enough to skip the fetch (here
		// git fetch fails: /x is no repository)
		{`fetchGit { url = "/x"; narHash = "` + narHash + `"; lastModified = 1000000000; ref = "main"; }`,
			`error: program 'git' failed with exit code 128`},
	}
	cache := t.TempDir()
	getenv := func(k string) (string, bool) {
		if k == "XDG_CACHE_HOME" {
			return cache, true
		}
		return "", false
	}
	for _, c := range cases {
		if strings.Contains(c.want, "'git'") {
			if _, err := exec.LookPath("git"); err != nil {
				testutil.Missing(t, "git", err)
			}
		}
		st := New(Options{Stderr: new(bytes.Buffer), Getenv: getenv, Store: validStore{NewComputeStore("/nix/store"), path}})
		got := ""
		v, err := evalDeep(t, st, c.expr, "/")
		if err != nil {
			got = "error: " + err.Error()
		} else {
			var out strings.Builder
			if err := st.Print(&out, v); err != nil {
				t.Fatal(err)
			}
			got = out.String()
		}
		if got != c.want {
			t.Errorf("%s\n got: %s\nwant: %s", c.expr, got, c.want)
		}
	}
}

func TestFetchURLHelpers(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"git@github.com:NixOS/nix", "ssh://git@github.com/NixOS/nix"},
		{"/srv/repo", "file:///srv/repo"},
		{"/a@b:c", "file:///a@b:c"},
		{"https://x/y", "https://x/y"},
	} {
		if got := fixURIForGit(c.in); got != c.want {
			t.Errorf("fixURIForGit(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	for _, c := range []struct{ in, want string }{
		{"https://u@h:8080/p?b=2&a=%41#fr%c3%a9", "https://u@h:8080/p?a=A&b=2#fr%ffffffc3%ffffffa9"},
		{"file:///x?noeq&&k=v", "file:///x?k=v"},
		{"mailto:a/b", "mailto:a/b"},
		{"http://[::1]/", "http://[::1]/"},
	} {
		if got := mustParseURL(c.in).String(); got != c.want {
			t.Errorf("parseURL(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	if got := percentDecode("%1z%41"); got != "\x01A" { // stoul reads "1", the "z" is skipped
		t.Errorf("percentDecode = %q", got)
	}
	if got := percentEncode("a b/é"); got != "a%20b%2f%ffffffc3%ffffffa9" {
		t.Errorf("percentEncode = %q", got)
	}
	if got := resolveURI("channel:nixos-22.05"); got != "https://nixos.org/channels/nixos-22.05/nixexprs.tar.xz" {
		t.Errorf("resolveURI = %q", got)
	}
}

// TestFetchBuiltinsOracle re-measures the fetchCases that real Nix
// answers without network or store writes (HOME is private: Nix keeps a
// fetcher cache there).
func TestFetchBuiltinsOracle(t *testing.T) {
	nix := nixOracle(t)
	dir := fetchFixture(t)
	home := t.TempDir()
	for _, c := range fetchCases {
		if !c.oracle {
			continue
		}
		expr := strings.ReplaceAll(c.expr, "$D", dir)
		cmd := exec.Command(nix, "--store", "dummy://", "--eval", "--strict", "--readonly-mode", "--option", "substituters", "", "-E", expr)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "HOME="+home, "XDG_CACHE_HOME="+home+"/.cache")
		out, _ := cmd.CombinedOutput()
		want, _, _ := strings.Cut(string(out), "\n")
		got, _ := evalIn(t, dir, expr)
		got, _, _ = strings.Cut(got, "\n")
		if got != want {
			t.Errorf("%s\n gonix: %s\n   nix: %s", expr, got, want)
		}
	}
}
