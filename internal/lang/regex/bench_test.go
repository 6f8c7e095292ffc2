package regex

import (
	"regexp"
	"strings"
	"testing"
)

// Patterns shaped like nixpkgs' uses of match and split.
var benchCases = []struct {
	name, re, s string
	split       bool
}{
	{"match/name-version", "([^-]*)-(.*)", "hello-2.12.1", false},
	{"match/tarball", "(.*)\\.tar\\.(gz|xz|bz2)", "source-code-1.2.3.tar.xz", false},
	{"match/ident", "[a-zA-Z_][a-zA-Z0-9_'-]*", "buildPythonPackage", false},
	{"match/storepath", "/nix/store/([a-z0-9]{32})-(.*)", "/nix/store/0123456789abcdfghijklmnpqrsvwxyz0-hello-2.12.1", false},
	{"match/version", "([0-9]+)\\.([0-9]+)(\\.([0-9]+))?.*", "12.34.56-rc1", false},
	{"match/dotstar-miss-1k", ".*foo.*", strings.Repeat("x", 1000), false},
	{"split/dots", "\\.", "1.2.3.4.5", true},
	{"split/spaces", "[[:space:]]+", "  a list of  words\tand\nlines  ", true},
	{"split/lines-10k", "\n", strings.Repeat("some line of text\n", 560), true},
	{"split/version", "(0|[1-9][0-9]*)", "1.2.3pre4-rc_1", true},
}

func BenchmarkRegex(b *testing.B) {
	for _, c := range benchCases {
		r, err := Compile(c.re)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(c.s)))
			for b.Loop() {
				if c.split {
					r.FindAll(c.s)
				} else {
					r.Match(c.s)
				}
			}
		})
	}
}

func BenchmarkCompile(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compile("([0-9]+)\\.([0-9]+)(\\.([0-9]+))?[[:alpha:]_-]*"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStdlibReference runs the same cases through Go's regexp
// (leftmost-longest, UTF-8: not Nix's semantics) as a speed yardstick.
func BenchmarkStdlibReference(b *testing.B) {
	for _, c := range benchCases {
		re := regexp.MustCompilePOSIX(c.re)
		if !c.split {
			re = regexp.MustCompilePOSIX("^(" + c.re + ")$")
		}
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(c.s)))
			for b.Loop() {
				if c.split {
					re.FindAllStringSubmatchIndex(c.s, -1)
				} else {
					re.FindStringSubmatchIndex(c.s)
				}
			}
		})
	}
}
