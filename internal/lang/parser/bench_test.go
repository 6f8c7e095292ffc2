package parser

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gonix/corelib"
	"gonix/internal/lang/ast"
)

// benchSource builds about size bytes of package-set-like Nix code.
func benchSource(size int) string {
	var b strings.Builder
	b.WriteString("{ pkgs, lib, fetchurl, ... }:\nlet\n  inherit (lib) licenses;\nin rec {\n")
	for i := 0; b.Len() < size; i++ {
		fmt.Fprintf(&b, `  pkg%d = pkgs.stdenv.mkDerivation rec {
    pname = "pkg-%d";
    version = "1.2.%d";
    src = fetchurl {
      url = "https://example.org/${pname}-${version}.tar.gz";
      sha256 = "0g4b8iyzm1bmidzz4d6n9bfjq5wqcdq3mj6vqyqvlzzkjyz8lc8";
    };
    buildInputs = [ pkgs.zlib pkgs.openssl (pkgs.callPackage ./deps/%d.nix { }) ];
    configureFlags = [ "--enable-foo" "--with-bar=${pkgs.bar}" ] ++ lib.optional (i > 3) "--baz";
    postInstall = ''
      mkdir -p $out/share/doc
      cp -r docs/* $out/share/doc/ # copy ${pname}
      substituteInPlace $out/bin/x --replace '/usr/bin' "$out/bin"
    '';
    passthru.tests = { simple = x: y: if x < 1 && !y.ok then y.a.b or 2 else x * 2 - 1; };
    meta = with lib; { description = "Package number %d"; license = licenses.mit; platforms = platforms.all; };
  };
`, i, i, i, i, i)
	}
	b.WriteString("}\n")
	return b.String()
}

func BenchmarkParse1MB(b *testing.B) {
	src := benchSource(1 << 20)
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		syms := ast.NewSymbols()
		if _, err := Parse(&ast.Source{Origin: ast.OriginFile, Path: "/bench.nix", Text: src}, syms, Options{BaseDir: "/", Home: "/h"}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkScan1MB(b *testing.B) {
	src := benchSource(1 << 20)
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		s := newScanner(src)
		var t token
		for s.scan(&t); t.kind != tEOF && t.kind != tError; s.scan(&t) {
		}
	}
}

// libSources are the embedded lib's files: real code written by hand.
func libSources(b *testing.B) []*ast.Source {
	b.Helper()
	files, err := fs.Glob(corelib.FS, "lib/*.nix")
	if err != nil || len(files) == 0 {
		b.Fatalf("corelib lib files: %v", err)
	}
	var out []*ast.Source
	for _, f := range files {
		data, err := fs.ReadFile(corelib.FS, f)
		if err != nil {
			b.Fatal(err)
		}
		out = append(out, &ast.Source{Origin: ast.OriginFile, Path: "/corelib/" + f, Text: string(data)})
	}
	return out
}

func benchSources(b *testing.B, srcs []*ast.Source) {
	n := 0
	for _, s := range srcs {
		n += len(s.Text)
	}
	b.SetBytes(int64(n))
	b.ReportAllocs()
	for b.Loop() {
		// One symbol table for all files, as in one evaluation.
		syms := ast.NewSymbols()
		for _, s := range srcs {
			if _, err := Parse(s, syms, Options{BaseDir: "/corelib/lib", Home: "/h"}); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkParseLib parses every file of the embedded lib (corelib/lib).
func BenchmarkParseLib(b *testing.B) { benchSources(b, libSources(b)) }

// BenchmarkParseDir parses every .nix file under $GONIX_PARSE_BENCH_DIR,
// e.g. the module tree of `go run ./bench/modules -gen DIR`.
func BenchmarkParseDir(b *testing.B) {
	dir := os.Getenv("GONIX_PARSE_BENCH_DIR")
	if dir == "" {
		b.Skip("set GONIX_PARSE_BENCH_DIR to a directory of .nix files (go run ./bench/modules -gen DIR)")
	}
	var srcs []*ast.Source
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".nix") {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		srcs = append(srcs, &ast.Source{Origin: ast.OriginFile, Path: path, Text: string(data)})
		return nil
	})
	if err != nil || len(srcs) == 0 {
		b.Fatalf("no .nix files under %s: %v", dir, err)
	}
	benchSources(b, srcs)
}
