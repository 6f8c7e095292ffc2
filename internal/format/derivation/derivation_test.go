package derivation

import (
	"bytes"
	"encoding/hex"
	"gonix/internal/testutil"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gonix/internal/format/storepath"
)

const sd = storepath.DefaultStoreDir

func vectorsDir(t testing.TB) string {
	t.Helper()
	return testutil.SpecVectors(t)
}

// drvFiles maps the store path of every vector .drv to its file.
func drvFiles(t testing.TB) map[string]string {
	dir := vectorsDir(t)
	files := map[string]string{}
	for _, pat := range []string{"drv/*.drv", "drv/ca-experimental/*.drv", "profiles/*.drv"} {
		m, err := filepath.Glob(filepath.Join(dir, pat))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range m {
			files[sd+"/"+filepath.Base(f)] = f
		}
	}
	if len(files) < 20 {
		t.Fatalf("found only %d .drv vectors", len(files))
	}
	return files
}

// memoLookup returns a Lookup over the vector files, memoised like Nix's
// drvHashes cache.
func memoLookup(t testing.TB, files map[string]string) Lookup {
	memo := map[string][]byte{}
	var lookup Lookup
	lookup = func(p string) ([]byte, error) {
		if h, ok := memo[p]; ok {
			return h, nil
		}
		f, ok := files[p]
		if !ok {
			return nil, os.ErrNotExist
		}
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		d, err := ParseATerm(b)
		if err != nil {
			return nil, err
		}
		h, err := HashModulo(d, lookup)
		if err == nil {
			memo[p] = h
		}
		return h, err
	}
	return lookup
}

func TestVectorDrvs(t *testing.T) {
	files := drvFiles(t)
	lookup := memoLookup(t, files)
	for drvPath, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			text, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			d, err := ParseATerm(text)
			if err != nil {
				t.Fatal(err)
			}
			if got := d.MarshalATerm(); !bytes.Equal(got, text) {
				t.Fatalf("re-serialisation differs:\n got %q\nwant %q", got, text)
			}
			name, err := NameFromDrvPath(drvPath)
			if err != nil {
				t.Fatal(err)
			}
			// The .drv's own store path (its file name).
			if got, err := DrvPath(sd, name, d, text); err != nil || got != drvPath {
				t.Errorf("DrvPath = %s, %v; want %s", got, err, drvPath)
			}
			typ, err := d.Type()
			if err != nil {
				t.Fatal(err)
			}
			if typ != InputAddressed && typ != Fixed {
				return // floating CA: no output paths to check
			}
			// Recompute the outputs from scratch, as derivationStrict does.
			fresh := clone(d)
			if typ == InputAddressed {
				for o := range fresh.Outputs {
					fresh.Outputs[o] = Output{}
					delete(fresh.Env, o)
				}
			} else {
				o := fresh.Outputs["out"]
				o.Path = ""
				fresh.Outputs["out"] = o
				delete(fresh.Env, "out")
			}
			if err := FillOutputPaths(sd, name, fresh, lookup); err != nil {
				t.Fatal(err)
			}
			if got := fresh.MarshalATerm(); !bytes.Equal(got, text) {
				t.Errorf("FillOutputPaths gives\n %q\nwant %q", got, text)
			}
		})
	}
}

func clone(d *Derivation) *Derivation {
	c := *d
	c.Outputs = map[string]Output{}
	for k, v := range d.Outputs {
		c.Outputs[k] = v
	}
	c.Env = map[string]string{}
	for k, v := range d.Env {
		c.Env[k] = v
	}
	return &c
}

// TestModuloVectors checks the intermediate texts and hashes of
// vectors/drv/modulo-hashes.txt.
func TestModuloVectors(t *testing.T) {
	files := drvFiles(t)
	lookup := memoLookup(t, files)
	b, err := os.ReadFile(filepath.Join(vectorsDir(t), "drv", "modulo-hashes.txt"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	var d *Derivation
	checked := 0
	for i := 0; i < len(lines); i++ {
		line := strings.TrimSpace(lines[i])
		switch {
		case strings.HasPrefix(line, sd+"/") && strings.HasSuffix(line, ".drv"):
			text, err := os.ReadFile(files[line])
			if err != nil {
				t.Fatal(err)
			}
			if d, err = ParseATerm(text); err != nil {
				t.Fatal(err)
			}
		case strings.HasPrefix(line, "modulo hash of input "):
			rest := strings.TrimPrefix(line, "modulo hash of input ")
			p, _, _ := strings.Cut(rest, " ")
			_, want, _ := strings.Cut(rest, " = ")
			h, err := lookup(p)
			if err != nil || hex.EncodeToString(h) != want {
				t.Errorf("modulo hash of %s = %x, %v; want %s", p, h, err, want)
			}
			checked++
		case line == "masked text hashed for output paths:" || line == "unmasked modulo text (used when THIS drv is an input of another):":
			mask := strings.HasPrefix(line, "masked")
			wantText := strings.TrimSpace(lines[i+1])
			wantHash := strings.TrimPrefix(strings.TrimSpace(lines[i+2]), "sha256 = ")
			inputs := map[string][]string{}
			for p, outs := range d.InputDrvs {
				h, err := lookup(p)
				if err != nil {
					t.Fatal(err)
				}
				inputs[hex.EncodeToString(h)] = outs
			}
			if got := string(d.ModuloATerm(inputs, mask)); got != wantText {
				t.Errorf("modulo text (mask=%v):\n got %s\nwant %s", mask, got, wantText)
			}
			var h []byte
			if mask {
				h, err = MaskedHashModulo(d, lookup)
			} else {
				h, err = HashModulo(d, lookup)
			}
			if err != nil || hex.EncodeToString(h) != wantHash {
				t.Errorf("hash (mask=%v) = %x, %v; want %s", mask, h, err, wantHash)
			}
			checked++
			i += 2
		case strings.HasPrefix(line, "modulo hash: "):
			// Fixed-output fod-flat.
			text, _ := os.ReadFile(files[sd+"/0bi6wms6r9v2s82d0bh40fjhvpf4gfsg-fod-flat.drv"])
			fod, err := ParseATerm(text)
			if err != nil {
				t.Fatal(err)
			}
			h, err := HashModulo(fod, nil)
			if want := strings.TrimPrefix(line, "modulo hash: "); err != nil || hex.EncodeToString(h) != want {
				t.Errorf("fod-flat modulo = %x, %v; want %s", h, err, want)
			}
			checked++
		}
	}
	if checked < 12 {
		t.Fatalf("only %d modulo vectors checked", checked)
	}
}

// TestDerivationStrictExample is the verified example of
// spec/language.md Appendix A.4.
func TestDerivationStrictExample(t *testing.T) {
	d := &Derivation{
		Name:     "a",
		Outputs:  map[string]Output{"out": {}},
		Platform: "i686-linux",
		Builder:  "/foo",
		Env:      map[string]string{"builder": "/foo", "name": "a", "system": "i686-linux"},
	}
	if err := FillOutputPaths(sd, "", d, nil); err != nil {
		t.Fatal(err)
	}
	if got := d.Outputs["out"].Path; got != "/nix/store/k881na1jmi2md9gkmiw441xb3vyhlsdm-a" {
		t.Errorf("outPath = %s", got)
	}
	masked := `Derive([("out","","","")],[],[],"i686-linux","/foo",[],[("builder","/foo"),("name","a"),("out",""),("system","i686-linux")])`
	if got := string(d.ModuloATerm(nil, true)); got != masked {
		t.Errorf("masked ATerm = %s", got)
	}
	if got, err := DrvPath(sd, "", d, nil); err != nil || got != "/nix/store/zaz3l3zq54f6vzlqwv52zid34z0p4ba0-a.drv" {
		t.Errorf("drvPath = %s, %v", got, err)
	}
}

func TestMarshalCanonicalises(t *testing.T) {
	d := &Derivation{
		Outputs:   map[string]Output{"out": {Path: "/s/o"}, "dev": {Path: "/s/d"}},
		InputDrvs: map[string][]string{"/s/b.drv": {"out", "dev", "out"}, "/s/a.drv": {"x"}},
		InputSrcs: []string{"/s/z", "/s/a", "/s/z"},
		Platform:  "sys",
		Builder:   "b\"\\\n\r\t\x07é",
		Args:      []string{"z", "a", "z"},
		Env:       map[string]string{"b": "2", "PATH": "1", "a": "x\ty"},
	}
	want := `Derive([("dev","/s/d","",""),("out","/s/o","","")],[("/s/a.drv",["x"]),("/s/b.drv",["dev","out"])],["/s/a","/s/z"],"sys","b\"\\\n\r\t` + "\x07é" + `",["z","a","z"],[("PATH","1"),("a","x\ty"),("b","2")])`
	got := d.MarshalATerm()
	if string(got) != want {
		t.Fatalf("MarshalATerm:\n got %s\nwant %s", got, want)
	}
	back, err := ParseATerm(got)
	if err != nil {
		t.Fatal(err)
	}
	if back.Builder != d.Builder || !bytes.Equal(back.MarshalATerm(), got) {
		t.Errorf("round trip lost data: %+v", back)
	}
	if d.InputSrcs[0] != "/s/z" {
		t.Error("MarshalATerm modified InputSrcs")
	}
}

func TestParseRejects(t *testing.T) {
	ok := `Derive([("out","/nix/store/x-a","","")],[],[],"s","b",[],[("a","1"),("b","2")])`
	if _, err := ParseATerm([]byte(ok)); err != nil {
		t.Fatalf("base case rejected: %v", err)
	}
	for _, bad := range []string{
		``,
		`Derive(`,
		ok + "\n",
		strings.Replace(ok, `"/nix/store/x-a"`, `"relative"`, 1),
		strings.Replace(ok, `("a","1"),("b","2")`, `("b","2"),("a","1")`, 1),
		strings.Replace(ok, `("a","1"),("b","2")`, `("a","1"),("a","2")`, 1),
		strings.Replace(ok, `("a","1")`, `("a","\x")`, 1),
		strings.Replace(ok, `("a","1")`, "(\"a\",\"\n\")", 1),
		strings.Replace(ok, `"s"`, `"s\"x"`, 1),
		strings.Replace(ok, `[],[],"s"`, `[],["/b","/a"],"s"`, 1),
		strings.Replace(ok, `[],[],"s"`, `[],["/a","/a"],"s"`, 1),
		strings.Replace(ok, `[],[],"s"`, `[],[,"/a"],"s"`, 1),
		strings.Replace(ok, `[],[],"s"`, `[("/d.drv",["b","a"])],[],"s"`, 1),
		strings.Replace(ok, `"",""`, `"sha256",""`, 1),                                       // floating with a path
		strings.Replace(ok, `"",""`, `"","abc"`, 1),                                          // hash without algorithm
		strings.Replace(ok, `"",""`, `"sha3","abcd"`, 1),                                     // unknown algorithm
		strings.Replace(ok, `"",""`, `"sha256","abcd"`, 1),                                   // bad length
		strings.Replace(ok, `"",""`, `"sha1","A9993E364706816ABA3E25717850C26C9CD0D89D"`, 1), // upper case
		strings.Replace(ok, `[("a","1"),("b","2")]`, `[("a","1")("b","2")]`, 1),
		strings.Replace(ok, `"b",[]`, `"b",["unterminated]`, 1),
	} {
		if d, err := ParseATerm([]byte(bad)); err == nil {
			t.Errorf("ParseATerm(%q) accepted: %+v", bad, d)
		}
	}
}

func TestTypeErrors(t *testing.T) {
	fixed := Output{Path: "/s/x", HashAlgo: "sha256", Hash: strings.Repeat("0", 64)}
	for _, c := range []struct {
		outs map[string]Output
		want string
	}{
		{map[string]Output{}, "must have at least one output"},
		{map[string]Output{"out": {Path: "/s/o"}, "dev": {}}, "can't mix derivation output types"},
		{map[string]Output{"bin": fixed}, `single fixed output must be named "out"`},
		{map[string]Output{"out": fixed, "dev": fixed}, "only one fixed output is allowed for now"},
	} {
		_, err := (&Derivation{Outputs: c.outs}).Type()
		if err == nil || err.Error() != c.want {
			t.Errorf("Type(%v) error = %v, want %q", c.outs, err, c.want)
		}
	}
}

func FuzzParseATerm(f *testing.F) {
	if dir := filepath.Join("..", "..", "..", "..", "shared", "spec", "vectors", "drv"); true {
		m, _ := filepath.Glob(filepath.Join(dir, "*.drv"))
		for _, p := range m {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
	}
	f.Add([]byte(`Derive([("out","","","")],[],[],"s","b",[],[])`))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := ParseATerm(b)
		if err != nil {
			return
		}
		if got := d.MarshalATerm(); !bytes.Equal(got, b) {
			t.Fatalf("accepted input does not round-trip:\n  in %q\n out %q", b, got)
		}
		// Hashing never panics on anything the parser accepts.
		_, _ = HashModulo(d, func(string) ([]byte, error) { return make([]byte, 32), nil })
	})
}

func BenchmarkMarshalATerm(b *testing.B) {
	text, err := os.ReadFile(filepath.Join(vectorsDir(b), "drv", "a84cx1jhdm1ky1rxzcq85036jfv61lg9-dependent.drv"))
	if err != nil {
		b.Fatal(err)
	}
	d, err := ParseATerm(text)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		d.MarshalATerm()
	}
}

func BenchmarkParseATerm(b *testing.B) {
	text, err := os.ReadFile(filepath.Join(vectorsDir(b), "drv", "dw5dmhwg366wq04ashajqv753h3zhfff-escapes.drv"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseATerm(text); err != nil {
			b.Fatal(err)
		}
	}
}
