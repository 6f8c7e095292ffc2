package narinfo

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// plain is spec/vectors/cache/91dkhdfrdzngb4m62zak427y2vpamanj.narinfo.
const plain = "StorePath: /nix/store/91dkhdfrdzngb4m62zak427y2vpamanj-plain\n" +
	"URL: nar/17gd6zzlkx90irc6qawagdkgh1d7qvlnq46yjf7xiqw9ycz7zq4a.nar.xz\n" +
	"Compression: xz\n" +
	"FileHash: sha256:17gd6zzlkx90irc6qawagdkgh1d7qvlnq46yjf7xiqw9ycz7zq4a\n" +
	"FileSize: 128\n" +
	"NarHash: sha256:04zwf782yjwnh3q6hz5izfd6jyip8kgw6g6yj43fiqhbyhdd0dqw\n" +
	"NarSize: 120\n" +
	"References: \n" +
	"Deriver: v17r5l1xbgiqdravaj0dra2js09d47h6-plain.drv\n" +
	"Sig: test-key-1:WhHW8UPhS0ji5yafqXmZ720rOnc1IuDn0EWscDSL7xnQiDZP7yaYkzhkAXMwLOVOamAYQoqpMhywdqQVhyFcDg==\n"

// edit replaces the line starting with field+": " in plain (or deletes
// it when repl is ""), or appends repl when field is "".
func edit(field, repl string) string {
	if field == "" {
		return plain + repl
	}
	var out []string
	for _, l := range strings.SplitAfter(plain, "\n") {
		if strings.HasPrefix(l, field+": ") {
			l = repl
		}
		out = append(out, l)
	}
	return strings.Join(out, "")
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, in string
		line     int
		want     string
	}{
		{"empty file", "", 0, "narinfo: missing StorePath"},
		{"no colon", "StorePath /nix/store/x\n", 1, "narinfo line 1: no ':'"},
		{"no final newline", strings.TrimSuffix(plain, "\n"), 10, "narinfo line 10: field \"Sig\" does not end in a newline"},
		{"colon at end", "StorePath:", 1, "does not end in a newline"},
		{"bad store path", edit("StorePath", "StorePath: /nix/store/tooshort\n"), 1, "narinfo line 1: StorePath: 'tooshort' is too short to be a valid store path"},
		{"path outside store", edit("StorePath", "StorePath: /tmp/91dkhdfrdzngb4m62zak427y2vpamanj-plain\n"), 1, "StorePath: path '/tmp/91dkhdfrdzngb4m62zak427y2vpamanj-plain' is not in the Nix store"},
		{"unprefixed NarHash", edit("NarHash", "NarHash: 04zwf782yjwnh3q6hz5izfd6jyip8kgw6g6yj43fiqhbyhdd0dqw\n"), 6, "narinfo line 6: NarHash: hash '04zwf782yjwnh3q6hz5izfd6jyip8kgw6g6yj43fiqhbyhdd0dqw' does not include a type"},
		{"bad FileHash", edit("FileHash", "FileHash: sha256:xyz\n"), 4, "narinfo line 4: FileHash:"},
		{"NarSize letters", edit("NarSize", "NarSize: abc\n"), 7, "narinfo line 7: NarSize: \"abc\" is not a decimal number"},
		{"NarSize leading space", edit("NarSize", "NarSize:  120\n"), 7, "NarSize: \" 120\" is not a decimal number"},
		{"NarSize trailing space", edit("NarSize", "NarSize: 120 \n"), 7, "is not a decimal number"},
		{"NarSize negative", edit("NarSize", "NarSize: -120\n"), 7, "is not a decimal number"},
		{"NarSize overflow", edit("NarSize", "NarSize: 18446744073709551616\n"), 7, "NarSize: \"18446744073709551616\" is out of range"},
		{"NarSize zero", edit("NarSize", "NarSize: 0\n"), 0, "narinfo: missing or zero NarSize"},
		{"NarSize plus zero", edit("NarSize", "NarSize: +0\n"), 0, "missing or zero NarSize"},
		{"NarSize missing", edit("NarSize", ""), 0, "missing or zero NarSize"},
		{"FileSize bad", edit("FileSize", "FileSize: 0x80\n"), 5, "narinfo line 5: FileSize: \"0x80\" is not a decimal number"},
		{"URL missing", edit("URL", ""), 0, "narinfo: missing or empty URL"},
		{"URL empty", edit("URL", "URL: \n"), 0, "missing or empty URL"},
		{"NarHash missing", edit("NarHash", ""), 0, "narinfo: missing NarHash"},
		{"StorePath missing", edit("StorePath", ""), 0, "narinfo: missing StorePath"},
		{"bad reference", edit("References", "References: foo\n"), 8, "narinfo line 8: References: 'foo' is too short to be a valid store path"},
		{"reference bad hash", edit("References", "References: 91dkhdfrdzngb4m62zak427y2vpamane-plain\n"), 8, "illegal base-32 character 'e'"},
		{"reference bad name", edit("References", "References: 91dkhdfrdzngb4m62zak427y2vpamanj-pl@in\n"), 8, "illegal character '@'"},
		{"repeated References", edit("References", "References: 91dkhdfrdzngb4m62zak427y2vpamanj-plain\nReferences: \n"), 9, "narinfo line 9: References: repeated field"},
		{"bad Deriver", edit("Deriver", "Deriver: x.drv\n"), 9, "narinfo line 9: Deriver: 'x.drv' is too short"},
		{"empty Deriver", edit("Deriver", "Deriver: \n"), 9, "Deriver: '' is too short"},
		{"CA bad prefix", plain + "CA: source:sha256:1912diqjqmy7ys272mpzk9aygxm95qssxf2ldsy6f8mhph0smxh5\n", 11, "narinfo line 11: CA: content address prefix 'source' is unrecognized"},
		{"CA no colon", plain + "CA: fixed\n", 11, "CA: not a content address because it is not in the form '<prefix>:<rest>': fixed"},
		{"CA no algo", plain + "CA: fixed:r:1912diqj\n", 11, "CA: content address hash must be in form '<algo>:<hash>', but found: fixed:r:1912diqj"},
		{"CA text sha1", plain + "CA: text:sha1:0000000000000000000000000000000000000000\n", 11, "CA: text content address hash should use sha256, but instead uses sha1"},
		{"CA bad hash", plain + "CA: fixed:sha256:abc\n", 11, "narinfo line 11: CA:"},
		{"CA repeated", plain + "CA: fixed:r:sha256:1912diqjqmy7ys272mpzk9aygxm95qssxf2ldsy6f8mhph0smxh5\nCA: fixed:r:sha256:1912diqjqmy7ys272mpzk9aygxm95qssxf2ldsy6f8mhph0smxh5\n", 12, "narinfo line 12: CA: repeated field"},
		{"line without colon hides the next field", "junk\nStorePath: /nix/store/x\n", 0, "narinfo: missing StorePath"},
		{"line number after merged line", "junk\nStorePath: /nix/store/x\nNarSize: x\n", 3, "narinfo line 3: NarSize:"},
		{"line number after swallowed line", "Foo:\nBar: baz\nNarSize: x\n", 3, "narinfo line 3: NarSize:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ni, err := Parse("/nix/store", []byte(tt.in))
			if err == nil {
				t.Fatalf("Parse succeeded: %+v", ni)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Line != tt.line {
				t.Errorf("error %q: want *ParseError on line %d, got %#v", err, tt.line, pe)
			}
		})
	}
}

// TestParseLeniency pins what Nix 2.8 accepts and how it normalises it:
// the accepted text must marshal to want, which is Nix's re-rendering.
func TestParseLeniency(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"exact", plain, plain},
		{"fields in any order", "NarSize: 120\n" + edit("NarSize", ""), plain},
		{"unknown fields ignored", edit("", "Foo: bar\nSig2: x\nsig: y\n"), plain},
		{"plus sign in sizes", edit("NarSize", "NarSize: +120\n"), plain},
		{"leading zeros", edit("FileSize", "FileSize: 000128\n"), plain},
		{"any byte after the colon", edit("NarSize", "NarSize:\t120\n"), plain},
		{"line without colon merges into next name", "garbage\nFoo: bar\n" + plain, plain},
		{"line without colon hides StorePath", "garbage\n" + plain, ""},
		{"empty name after colon-newline swallows a line", "Foo:\nBar: baz\n" + plain, plain},
		{"value with colons and spaces", edit("URL", "URL: http://x/a b:c\n"), edit("URL", "URL: http://x/a b:c\n")},
		{"repeated field: last wins", "URL: first\n" + plain, plain},
		{"unknown-deriver", edit("Deriver", "Deriver: unknown-deriver\n"), edit("Deriver", "")},
		{"unknown-deriver keeps earlier Deriver", edit("", "Deriver: unknown-deriver\n"), plain},
		{"no Deriver", edit("Deriver", ""), edit("Deriver", "")},
		{"no Compression means bzip2", edit("Compression", ""), edit("Compression", "Compression: bzip2\n")},
		{"empty Compression means bzip2", edit("Compression", "Compression: \n"), edit("Compression", "Compression: bzip2\n")},
		{"no FileSize", edit("FileSize", ""), edit("FileSize", "FileSize: 0\n")},
		{"no References line", edit("References", ""), plain},
		{"References without trailing space", edit("References", "References:\n"), "" /* swallows the Deriver line */},
		{"empty References then References", edit("References", "References: \nReferences: 91dkhdfrdzngb4m62zak427y2vpamanj-plain\n"),
			edit("References", "References: 91dkhdfrdzngb4m62zak427y2vpamanj-plain\n")},
		{"References sorted, extra spaces and duplicates dropped", edit("References", "References:  m0g2m8bgd15a8xl6y88jg3c4rp9np9yr-dependent  91dkhdfrdzngb4m62zak427y2vpamanj-plain m0g2m8bgd15a8xl6y88jg3c4rp9np9yr-dependent\n"),
			edit("References", "References: 91dkhdfrdzngb4m62zak427y2vpamanj-plain m0g2m8bgd15a8xl6y88jg3c4rp9np9yr-dependent\n")},
		{"Sigs sorted and deduplicated", edit("Sig", "Sig: zz:x\nSig: test-key-1:WhHW8UPhS0ji5yafqXmZ720rOnc1IuDn0EWscDSL7xnQiDZP7yaYkzhkAXMwLOVOamAYQoqpMhywdqQVhyFcDg==\nSig: aa:y\nSig: zz:x\n"),
			edit("Sig", "Sig: aa:y\nSig: test-key-1:WhHW8UPhS0ji5yafqXmZ720rOnc1IuDn0EWscDSL7xnQiDZP7yaYkzhkAXMwLOVOamAYQoqpMhywdqQVhyFcDg==\nSig: zz:x\n")},
		{"hashes in base16 and SRI are written in nixbase32",
			edit("NarHash", "NarHash: sha256-HDfQGvQL4ugGkd48w99EN3ppmvuxfGjwgJZLL9Bx/BM=\n"), plain},
		{"System written after Deriver", edit("", "System: x86_64-linux\n"), edit("Sig", "System: x86_64-linux\nSig: test-key-1:WhHW8UPhS0ji5yafqXmZ720rOnc1IuDn0EWscDSL7xnQiDZP7yaYkzhkAXMwLOVOamAYQoqpMhywdqQVhyFcDg==\n")},
		{"CA normalised to nixbase32 and written last",
			"CA: fixed:r:sha256:1c37d01af40be2e80691de3cc3df44377a699afbb17c68f080964b2fd071fc13\n" + plain,
			plain + "CA: fixed:r:sha256:04zwf782yjwnh3q6hz5izfd6jyip8kgw6g6yj43fiqhbyhdd0dqw\n"},
		{"empty CA then CA", plain + "CA: \nCA: text:sha256:04zwf782yjwnh3q6hz5izfd6jyip8kgw6g6yj43fiqhbyhdd0dqw\n",
			plain + "CA: text:sha256:04zwf782yjwnh3q6hz5izfd6jyip8kgw6g6yj43fiqhbyhdd0dqw\n"},
		{"store path canonicalised", edit("StorePath", "StorePath: /nix//store/./91dkhdfrdzngb4m62zak427y2vpamanj-plain\n"), plain},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ni, err := Parse("/nix/store", []byte(tt.in))
			if tt.want == "" {
				if err == nil {
					t.Fatalf("Parse succeeded, want an error: %+v", ni)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tt.want, string(ni.MarshalText())); d != "" {
				t.Errorf("MarshalText (-want +got):\n%s", d)
			}
		})
	}
}

func TestParseOtherStoreDir(t *testing.T) {
	in := strings.ReplaceAll(plain, "/nix/store/", "/gnu/store/")
	ni, err := Parse("/gnu/store", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if got := string(ni.MarshalText()); got != in {
		t.Errorf("got %q", got)
	}
	if _, err := Parse("/nix/store", []byte(in)); err == nil {
		t.Error("a /gnu/store narinfo parsed for /nix/store")
	}
	fp, err := ni.Fingerprint()
	if err != nil || !strings.HasPrefix(fp, "1;/gnu/store/91dk") {
		t.Errorf("fingerprint %q, %v", fp, err)
	}
}

func TestMarshalHandMade(t *testing.T) {
	ni := &NarInfo{
		StorePath:  "/nix/store/m0g2m8bgd15a8xl6y88jg3c4rp9np9yr-dependent",
		URL:        "nar/x.nar",
		NarSize:    1,
		References: []string{"b", "a", "b"},
		Sigs:       []string{"k2:s", "k1:s"},
	}
	want := "StorePath: /nix/store/m0g2m8bgd15a8xl6y88jg3c4rp9np9yr-dependent\nURL: nar/x.nar\nFileSize: 0\nNarHash: \nNarSize: 1\nReferences: a b\nSig: k1:s\nSig: k2:s\n"
	if got := string(ni.MarshalText()); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	if ni.References[0] != "b" || ni.Sigs[0] != "k2:s" {
		t.Error("MarshalText reordered the caller's slices")
	}
}
