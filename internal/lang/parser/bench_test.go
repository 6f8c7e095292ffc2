package parser

import (
	"fmt"
	"strings"
	"testing"

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
		for t := s.next(); t.kind != tEOF && t.kind != tError; t = s.next() {
		}
	}
}
