package storepath

import (
	"bufio"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"gonix/internal/testutil"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"gonix/internal/format/hash"
)

const sd = DefaultStoreDir

func vectorsDir(t testing.TB) string {
	t.Helper()
	return testutil.SpecVectors(t)
}

func readVector(t *testing.T, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(vectorsDir(t), rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func sum256(b []byte) []byte { s := sha256.Sum256(b); return s[:] }

func TestAddFixedVectors(t *testing.T) {
	// Every "nix-store --add…" line of vectors/nar/nar-hashes.txt, recomputed
	// from the contents "hello\n" and its NAR (vectors/nar/hello.txt.nar).
	nar := readVector(t, "nar/hello.txt.nar")
	contents := []byte("hello\n")
	lines := readVector(t, "nar/nar-hashes.txt")
	n := 0
	sc := bufio.NewScanner(strings.NewReader(string(lines)))
	for sc.Scan() {
		line := sc.Text()
		cmd, rest, ok := strings.Cut(line, "->")
		if !ok || !strings.HasPrefix(cmd, "nix-store --add") {
			continue
		}
		fields := strings.Fields(rest)
		want := fields[0]
		if !strings.HasPrefix(want, "/") {
			continue // an error line, tested in TestNameErrors
		}
		args := strings.Fields(cmd)[1:]
		name := filepath.Base(args[len(args)-1])
		var got string
		var err error
		switch {
		case args[0] == "--add":
			name = args[1]
			if name != "hello.txt" && name != ".hidden" {
				continue // trees are checked by the nar package
			}
			got, err = MakeSourcePath(sd, name, sum256(nar), nil, false)
		case args[0] == "--add-fixed":
			recursive := args[1] == "--recursive"
			algo, err2 := hash.ParseAlgo(args[len(args)-2])
			if err2 != nil {
				t.Fatal(err2)
			}
			data := contents
			if recursive {
				data = nar
			}
			got, err = MakeFixedOutputPath(sd, name, recursive, hash.Sum(algo, data), nil)
		}
		if err != nil || got != want {
			t.Errorf("%s: got %s, %v; want %s", cmd, got, err, want)
		}
		n++
	}
	if n < 7 {
		t.Fatalf("only %d vectors checked", n)
	}
	// The same digests the table of spec/store.md §2.8 records as CA strings.
	if h := md5.Sum(contents); (hash.Hash{Algo: hash.MD5, Digest: h[:]}).Base32() != "4425hx5d1mc9y39llj4k4nm55i" {
		t.Error("md5 CA digest differs")
	}
	if h := sha1.Sum(nar); (hash.Hash{Algo: hash.SHA1, Digest: h[:]}).Base32() != "wz60bbf44cw7nswp1wv8vcsyfg155sqd" {
		t.Error("recursive sha1 CA digest differs")
	}
}

func TestTextAndSourcePaths(t *testing.T) {
	builder := "echo from-script > $out\n"
	bsh, err := MakeTextPath(sd, "builder.sh", sum256([]byte(builder)), nil)
	if want := "/nix/store/bc8z6n0jyvm4kjjn51pnd8mvjwl90pm3-builder.sh"; err != nil || bsh != want {
		t.Fatalf("builder.sh = %s, %v; want %s", bsh, err, want)
	}
	ref, err := MakeTextPath(sd, "ref.sh", sum256([]byte("cat "+bsh+"\n")), []string{bsh, bsh})
	if want := "/nix/store/fb43zqrgnakqcfa9snx9fxy6g7vy05v1-ref.sh"; err != nil || ref != want {
		t.Errorf("ref.sh = %s, %v; want %s", ref, err, want)
	}
	for _, c := range []struct{ name, narHex, want string }{
		{"tiny", "05f6aa01bcb02267bc6e54b8ae352ea9f6e7559aff567184f6c7572c716c22a4", "/nix/store/dybb1h978b7js39x24iib8bs70c3zazl-tiny"},
		{"tree", "82cb1141fd46f0bcb7f6f7599dbc16ce6dc7ac510f6be0dd3988eea4033b9b8e", "/nix/store/7np01kj0p6m5xgn9zyhw9paafwxlxkw2-tree"},
		{"fod-rec", "8bd8c9802fab9e48911be410df58bf2919673b06c09c064cfdcbe3ef772e9305", "/nix/store/ap0457aixqmy49aspd9s3m0gb356rncb-fod-rec"},
	} {
		got, err := MakeFixedOutputPath(sd, c.name, true, hash.Hash{Algo: hash.SHA256, Digest: unhex(t, c.narHex)}, nil)
		if err != nil || got != c.want {
			t.Errorf("%s: got %s, %v; want %s", c.name, got, err, c.want)
		}
	}
	// Flat sha256 fixed output: the inner string of spec/store.md §2.8.
	h := hash.Hash{Algo: hash.SHA256, Digest: unhex(t, "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03")}
	if got := FixedOutputInner(false, h); got != "fixed:out:sha256:5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03:" {
		t.Errorf("FixedOutputInner = %s", got)
	}
	if got, _ := MakeFixedOutputPath(sd, "fod-flat", false, h, nil); got != "/nix/store/2vmnikz9gvdskxvni5na3alrgzm86qqy-fod-flat" {
		t.Errorf("fod-flat = %s", got)
	}
	if _, err := MakeFixedOutputPath(sd, "x", false, h, []string{bsh}); err == nil {
		t.Error("flat fixed output with references accepted")
	}
}

func TestOutputPath(t *testing.T) {
	// Worked example of spec/store.md §1.6 (vectors/hashes.txt).
	got, err := MakeOutputPath(sd, "out", unhex(t, "33a0ea61a3cf94912e4a784e39ef0caf1ed744bdda608d361efeb86886cdf9e9"), "plain")
	if want := "/nix/store/91dkhdfrdzngb4m62zak427y2vpamanj-plain"; err != nil || got != want {
		t.Errorf("plain out = %s, %v; want %s", got, err, want)
	}
	got, err = MakeOutputPath(sd, "dev", unhex(t, "bed31418043d6e7637b34f36d72abebda1dba28ecd5ad94215f8796ff4e9a5e5"), "multi")
	if want := "/nix/store/sipb9yw750v6rf2hkgzbdwl08lhp4nqg-multi-dev"; err != nil || got != want {
		t.Errorf("multi dev = %s, %v; want %s", got, err, want)
	}
}

func TestPlaceholder(t *testing.T) {
	if got := Placeholder("out"); got != "/1rz4g4znpzjwh1xymhjpm42vipw92pr73vdgl6xs1hycac8kf2n9" {
		t.Errorf("Placeholder(out) = %s", got)
	}
}

func TestNameErrors(t *testing.T) {
	nar := readVector(t, "nar/hello.txt.nar")
	for _, c := range []struct {
		name string
		make func(name string) (string, error)
		want string
		kind NameErrorKind
	}{
		{"bad name", func(n string) (string, error) { return MakeSourcePath(sd, n, sum256(nar), nil, false) },
			"store path 'mm9b0a6768ba19y326p8ayzrdgaxaigw-bad name' contains illegal character ' '", IllegalChar},
		{"a/b", func(n string) (string, error) { return MakeTextPath(sd, n, sum256([]byte("x")), nil) },
			"store path '9d0sm13c3pj0msx6gd27izjkbmdnpbf2-a/b' contains illegal character '/'", IllegalChar},
		{"", func(n string) (string, error) { return MakeTextPath(sd, n, sum256([]byte("x")), nil) },
			"store path '9r1mh2rc3s3i33vpdw86kqqyvy9i1y4w-' has an empty name", EmptyName},
	} {
		_, err := c.make(c.name)
		var ne *NameError
		if err == nil || err.Error() != c.want || !errors.As(err, &ne) || ne.Kind != c.kind {
			t.Errorf("%q: error %v, want %q", c.name, err, c.want)
		}
	}
	long := strings.Repeat("a", MaxNameLen)
	if err := ValidateName(long); err != nil {
		t.Errorf("211-byte name rejected: %v", err)
	}
	if err := ValidateName(long + "a"); err == nil || !strings.HasSuffix(err.Error(), "' has a name longer than 211 characters") {
		t.Errorf("212-byte name: %v", err)
	}
	for _, ok := range []string{".hidden", ".", "..", "a+b-c.d_e?f=g", "A9"} {
		if err := ValidateName(ok); err != nil {
			t.Errorf("ValidateName(%q) = %v; 2.8 accepts it", ok, err)
		}
	}
	for _, bad := range []string{"a b", "x\x00", "é", "a:b", "a~"} {
		if ValidateName(bad) == nil {
			t.Errorf("ValidateName(%q) accepted", bad)
		}
	}
}

func TestParse(t *testing.T) {
	const base = "91dkhdfrdzngb4m62zak427y2vpamanj-plain"
	for _, s := range []string{sd + "/" + base, sd + "//" + base, sd + "/./" + base + "/", "/nix/x/../store/" + base} {
		p, err := Parse(sd, s)
		if err != nil || p.String() != sd+"/"+base || p.Base() != base || p.Name != "plain" {
			t.Errorf("Parse(%q) = %+v, %v", s, p, err)
		}
	}
	for _, c := range []struct{ s, want string }{
		{"/nix/store/short", "'short' is too short to be a valid store path"},
		{"/nix/store/91dkhdfrdzngb4m62zak427y2vpamane-x", "store path '91dkhdfrdzngb4m62zak427y2vpamane-x' contains illegal base-32 character 'e'"},
		{"/tmp/91dkhdfrdzngb4m62zak427y2vpamanj-plain", "path '/tmp/91dkhdfrdzngb4m62zak427y2vpamanj-plain' is not in the Nix store"},
		{"/nix/store/" + base + "/bin", "path '/nix/store/" + base + "/bin' is not in the Nix store"},
		{"/nix/store/91dkhdfrdzngb4m62zak427y2vpamanj-", "store path '91dkhdfrdzngb4m62zak427y2vpamanj-' has an empty name"},
		{"/nix/store/91dkhdfrdzngb4m62zak427y2vpamanjXa b", "store path '91dkhdfrdzngb4m62zak427y2vpamanjXa b' contains illegal character ' '"},
	} {
		_, err := Parse(sd, c.s)
		if err == nil || err.Error() != c.want {
			t.Errorf("Parse(%q) error = %v, want %q", c.s, err, c.want)
		}
	}
	// 2.8 does not check that byte 32 is '-'.
	if h, n, err := ParsePath(sd, "/nix/store/91dkhdfrdzngb4m62zak427y2vpamanjXplain"); err != nil || h != "91dkhdfrdzngb4m62zak427y2vpamanj" || n != "plain" {
		t.Errorf("ParsePath without dash = %q %q %v", h, n, err)
	}
	if !IsStorePath(sd, sd+"/"+base) || IsStorePath(sd, sd) || IsStorePath(sd, "relative/"+base) {
		t.Error("IsStorePath wrong")
	}
	sp, rest, err := Split(sd, sd+"/"+base+"/bin/sh")
	if err != nil || sp != sd+"/"+base || rest != "/bin/sh" {
		t.Errorf("Split = %q %q %v", sp, rest, err)
	}
	if _, _, err := Split(sd, "/usr/bin"); err == nil {
		t.Error("Split accepted a path outside the store")
	}
}

// TestOracleToFile compares text paths with real Nix's builtins.toFile.
func TestOracleToFile(t *testing.T) {
	if _, err := exec.LookPath("nix-instantiate"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("nix-instantiate not found")
		}
		t.Skip("nix-instantiate not found")
	}
	cases := []struct{ name, contents string }{
		{"a", ""}, {"foo", "bar"}, {"x.sh", "#!/bin/sh\necho $out\n"}, {".hidden", "\x01\x02"},
		{strings.Repeat("n", 211), "long"}, {"q?=+_-.", "\"quoted\" \\ \t"},
	}
	var expr strings.Builder
	expr.WriteString("[")
	for _, c := range cases {
		expr.WriteString(" (builtins.toFile " + nixString(c.name) + " " + nixString(c.contents) + ")")
	}
	expr.WriteString(" ]")
	out, err := exec.Command("nix-instantiate", "--store", "dummy://", "--readonly-mode", "--option", "substituters", "",
		"--eval", "--strict", "--json", "-E", expr.String()).Output()
	if err != nil {
		t.Fatalf("nix-instantiate: %v", err)
	}
	got := strings.Split(strings.Trim(strings.TrimSpace(string(out)), "[]"), ",")
	if len(got) != len(cases) {
		t.Fatalf("nix printed %s", out)
	}
	for i, c := range cases {
		p, err := MakeTextPath(sd, c.name, sum256([]byte(c.contents)), nil)
		if want := strings.Trim(got[i], "\""); err != nil || p != want {
			t.Errorf("toFile %q: got %s, %v; nix says %s", c.name, p, err, want)
		}
	}
}

func nixString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "$", `\$`, "\n", `\n`, "\t", `\t`)
	return `"` + r.Replace(s) + `"`
}

func BenchmarkMakeOutputPath(b *testing.B) {
	d := sum256([]byte("x"))
	for b.Loop() {
		if _, err := MakeOutputPath(sd, "out", d, "hello-2.12.1"); err != nil {
			b.Fatal(err)
		}
	}
}
