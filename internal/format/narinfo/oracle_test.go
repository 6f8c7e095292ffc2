package narinfo

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"gonix/internal/testutil"
)

// The oracle tests run Nix 2.8 on file:// binary caches in temporary
// directories only: `nix path-info` parses a narinfo, `nix store sign`
// re-writes it with NarInfo::to_string, `nix store verify` checks
// signatures, `nix-store --generate-binary-cache-key` makes keys.

const plainPath = "/nix/store/91dkhdfrdzngb4m62zak427y2vpamanj-plain"

type oracle struct {
	t   *testing.T
	nix string
}

func newOracle(t *testing.T) *oracle {
	t.Helper()
	return &oracle{t: t, nix: testutil.NixTool(t, "nix")}
}

// run runs a nix command with a private cache directory and no
// substituters, returning its output and whether it succeeded.
func (o *oracle) run(name string, args ...string) (string, bool) {
	o.t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), "XDG_CACHE_HOME="+o.t.TempDir(), "NIX_CONFIG=substituters =")
	out, err := cmd.CombinedOutput()
	if err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			o.t.Fatalf("%s %q: %v", name, args, err)
		}
	}
	return string(out), err == nil
}

func (o *oracle) nixCmd(args ...string) (string, bool) {
	o.t.Helper()
	return o.run(o.nix, append([]string{"--extra-experimental-features", "nix-command", "--option", "substituters", ""}, args...)...)
}

// cache makes a file:// binary cache holding one narinfo for plainPath.
func (o *oracle) cache(narinfo string) string {
	o.t.Helper()
	dir := o.t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "nix-cache-info"), []byte("StoreDir: /nix/store\n"), 0o644); err != nil {
		o.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "91dkhdfrdzngb4m62zak427y2vpamanj.narinfo"), []byte(narinfo), 0o644); err != nil {
		o.t.Fatal(err)
	}
	return dir
}

func (o *oracle) readNarinfo(dir string) string {
	o.t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "91dkhdfrdzngb4m62zak427y2vpamanj.narinfo"))
	if err != nil {
		o.t.Fatal(err)
	}
	return string(b)
}

// nixKeys generates a key pair with nix-store and returns the files.
func (o *oracle) nixKeys(name string) (secFile, pubFile string) {
	o.t.Helper()
	dir := o.t.TempDir()
	secFile, pubFile = filepath.Join(dir, "sec"), filepath.Join(dir, "pub")
	if out, ok := o.run(testutil.NixTool(o.t, "nix-store"), "--store", "dummy://", "--generate-binary-cache-key", name, secFile, pubFile); !ok {
		o.t.Fatalf("nix-store --generate-binary-cache-key: %s", out)
	}
	return secFile, pubFile
}

func TestOracleKeys(t *testing.T) {
	o := newOracle(t)
	secFile, pubFile := o.nixKeys("oracle-key-1")
	secText, pubText := o.readFile(secFile), o.readFile(pubFile)
	sk, err := ParseSecretKey(secText)
	if err != nil {
		t.Fatal(err)
	}
	pk, err := ParsePublicKey(pubText)
	if err != nil {
		t.Fatal(err)
	}
	if sk.String() != secText || pk.String() != pubText || sk.Public().String() != pubText {
		t.Errorf("key texts differ from Nix's files (no trailing newline expected):\n%q\n%q", secText, pubText)
	}

	// Nix signs; our signature with Nix's key is the same string, it
	// verifies with Nix's public key, and the file Nix re-wrote is what
	// we write for the same narinfo.
	unsigned := edit("Sig", "")
	dir := o.cache(unsigned)
	if out, ok := o.nixCmd("store", "sign", "--store", "file://"+dir, "-k", secFile, plainPath); !ok {
		t.Fatalf("nix store sign: %s", out)
	}
	nixFile := o.readNarinfo(dir)
	ni, err := Parse("/nix/store", []byte(nixFile))
	if err != nil {
		t.Fatal(err)
	}
	fp := mustFingerprint(t, ni)
	if len(ni.Sigs) != 1 || !Verify(fp, ni.Sigs[0], []PublicKey{pk}) || ni.Sigs[0] != sk.Sign(fp) {
		t.Errorf("Nix's signature %q: verify with Nix's key / equal to ours (%q) failed", ni.Sigs, sk.Sign(fp))
	}
	ours, err := Parse("/nix/store", []byte(unsigned))
	if err != nil {
		t.Fatal(err)
	}
	if err := ours.Sign(sk); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(nixFile, string(ours.MarshalText())); d != "" {
		t.Errorf("narinfo Nix signed vs ours (-nix +ours):\n%s", d)
	}

	// We make the key and sign; Nix reads our key file and our narinfo.
	osk, opk, err := GenerateKey("gonix-key-1", nil)
	if err != nil {
		t.Fatal(err)
	}
	keyDir := t.TempDir()
	oursec := filepath.Join(keyDir, "sec")
	if err := os.WriteFile(oursec, []byte(osk.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	dir = o.cache(unsigned)
	if out, ok := o.nixCmd("store", "sign", "--store", "file://"+dir, "-k", oursec, plainPath); !ok {
		t.Fatalf("nix store sign with our key file: %s", out)
	}
	byNix, err := Parse("/nix/store", []byte(o.readNarinfo(dir)))
	if err != nil {
		t.Fatal(err)
	}
	if len(byNix.Sigs) != 1 || byNix.Sigs[0] != osk.Sign(fp) {
		t.Errorf("Nix signing with our key file gave %q, we give %q", byNix.Sigs, osk.Sign(fp))
	}

	signed, _ := Parse("/nix/store", []byte(unsigned))
	if err := signed.Sign(osk); err != nil {
		t.Fatal(err)
	}
	dir = o.cache(string(signed.MarshalText()))
	verify := func(trusted string) (string, bool) {
		return o.nixCmd("store", "verify", "--store", "file://"+dir, "--no-contents", "--trusted-public-keys", trusted, plainPath)
	}
	if out, ok := verify(opk.String()); !ok {
		t.Errorf("nix store verify rejects our signature with our public key: %s", out)
	}
	imposter, _, _ := GenerateKey("gonix-key-1", nil)
	if out, ok := verify(imposter.Public().String()); ok {
		t.Errorf("nix store verify accepts our signature with a different key: %s", out)
	}
	if out, ok := verify(pubText); ok {
		t.Errorf("nix store verify accepts our signature with Nix's unrelated key: %s", out)
	}
}

func (o *oracle) readFile(name string) string {
	o.t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		o.t.Fatal(err)
	}
	return string(b)
}

// pathInfo is the part of `nix path-info --json` a narinfo determines.
type pathInfo struct {
	Path         string   `json:"path"`
	NarHash      string   `json:"narHash"`
	NarSize      uint64   `json:"narSize"`
	References   []string `json:"references"`
	CA           string   `json:"ca"`
	Deriver      string   `json:"deriver"`
	Signatures   []string `json:"signatures"`
	URL          string   `json:"url"`
	DownloadHash string   `json:"downloadHash"`
	DownloadSize uint64   `json:"downloadSize"`
}

func ourPathInfo(ni *NarInfo) pathInfo {
	p := pathInfo{
		Path: ni.StorePath, NarHash: ni.NarHash.SRI(), NarSize: ni.NarSize, CA: ni.CA,
		Signatures: ni.Sigs, URL: ni.URL, DownloadSize: ni.FileSize,
		References: ni.refPaths(),
	}
	if ni.Deriver != "" {
		p.Deriver = "/nix/store/" + ni.Deriver
	}
	if !ni.FileHash.IsZero() {
		p.DownloadHash = ni.FileHash.SRI()
	}
	return p
}

// TestOracleParse feeds variants of a narinfo to Nix and to Parse: both
// must accept or both reject; when accepted, what Nix read must equal
// what we read, and the file Nix re-writes (nix store sign) must equal
// our MarshalText of the same NarInfo plus the same signature.
func TestOracleParse(t *testing.T) {
	o := newOracle(t)
	sk, _, err := GenerateKey("differential-1", nil)
	if err != nil {
		t.Fatal(err)
	}
	secFile := filepath.Join(t.TempDir(), "sec")
	if err := os.WriteFile(secFile, []byte(sk.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	const (
		dep     = "m0g2m8bgd15a8xl6y88jg3c4rp9np9yr-dependent"
		self    = "91dkhdfrdzngb4m62zak427y2vpamanj-plain"
		sigLine = "Sig: test-key-1:WhHW8UPhS0ji5yafqXmZ720rOnc1IuDn0EWscDSL7xnQiDZP7yaYkzhkAXMwLOVOamAYQoqpMhywdqQVhyFcDg==\n"
	)
	cases := map[string]string{
		"plain":                       plain,
		"plus size":                   edit("NarSize", "NarSize: +120\n"),
		"leading zeros":               edit("FileSize", "FileSize: 000128\n"),
		"space before size":           edit("NarSize", "NarSize:  120\n"),
		"space after size":            edit("NarSize", "NarSize: 120 \n"),
		"negative zero size":          edit("FileSize", "FileSize: -0\n"),
		"size overflow":               edit("NarSize", "NarSize: 18446744073709551616\n"),
		"hex size":                    edit("NarSize", "NarSize: 0x78\n"),
		"tab after colon":             edit("NarSize", "NarSize:\t120\n"),
		"zero NarSize":                edit("NarSize", "NarSize: 0\n"),
		"no NarSize":                  edit("NarSize", ""),
		"no FileSize":                 edit("FileSize", ""),
		"no URL":                      edit("URL", ""),
		"no NarHash":                  edit("NarHash", ""),
		"no final newline":            strings.TrimSuffix(plain, "\n"),
		"garbage line merges":         "garbage\nFoo: bar\n" + plain,
		"garbage line hides path":     "garbage\n" + plain,
		"colon-newline swallows line": "Foo:\nBar: baz\n" + plain,
		"unknown fields":              plain + "Foo: bar\nsig: y\nStorePath : x\n",
		"fields reordered":            sigLine + "NarSize: 120\n" + edit("NarSize", ""),
		"refs unsorted, dup, spaces":  edit("References", "References:  "+self+"  "+dep+" "+self+"\n"),
		"refs twice":                  edit("References", "References: "+dep+"\nReferences: "+dep+"\n"),
		"empty refs then refs":        edit("References", "References: \nReferences: "+dep+"\n"),
		"refs without space":          edit("References", "References:\n"),
		"bad ref":                     edit("References", "References: "+dep+"@\n"),
		"unknown-deriver":             edit("Deriver", "Deriver: unknown-deriver\n"),
		"unknown-deriver after real":  plain + "Deriver: unknown-deriver\n",
		"deriver twice":               plain + "Deriver: a84cx1jhdm1ky1rxzcq85036jfv61lg9-dependent.drv\n",
		"no deriver":                  edit("Deriver", ""),
		"bad deriver":                 edit("Deriver", "Deriver: x.drv\n"),
		"no compression":              edit("Compression", ""),
		"empty compression":           edit("Compression", "Compression: \n"),
		"sri NarHash":                 edit("NarHash", "NarHash: sha256-HDfQGvQL4ugGkd48w99EN3ppmvuxfGjwgJZLL9Bx/BM=\n"),
		"base16 NarHash":              edit("NarHash", "NarHash: sha256:1c37d01af40be2e80691de3cc3df44377a699afbb17c68f080964b2fd071fc13\n"),
		"unprefixed NarHash":          edit("NarHash", "NarHash: 04zwf782yjwnh3q6hz5izfd6jyip8kgw6g6yj43fiqhbyhdd0dqw\n"),
		"base16 FileHash":             edit("FileHash", "FileHash: sha256:8ae07f3ef389e3d88f93de106ce9c6a705f8667b8a2b6c588e20f549ff37ed9d\n"),
		"sigs unsorted, dup":          plain + "Sig: zz:x\nSig: aa:y\nSig: zz:x\n",
		"system":                      plain + "System: x86_64-linux\n",
		"path canonicalised":          edit("StorePath", "StorePath: /nix//store/./91dkhdfrdzngb4m62zak427y2vpamanj-plain\n"),
		"CA base16":                   plain + "CA: fixed:r:sha256:1c37d01af40be2e80691de3cc3df44377a699afbb17c68f080964b2fd071fc13\n",
		"CA flat sha1":                plain + "CA: fixed:sha1:0000000000000000000000000000000000000000\n",
		"CA text":                     plain + "CA: text:sha256:04zwf782yjwnh3q6hz5izfd6jyip8kgw6g6yj43fiqhbyhdd0dqw\n",
		"CA text sha1":                plain + "CA: text:sha1:0000000000000000000000000000000000000000\n",
		"CA twice":                    plain + "CA: text:sha256:04zwf782yjwnh3q6hz5izfd6jyip8kgw6g6yj43fiqhbyhdd0dqw\nCA: text:sha256:04zwf782yjwnh3q6hz5izfd6jyip8kgw6g6yj43fiqhbyhdd0dqw\n",
		"empty CA then CA":            plain + "CA: \nCA: text:sha256:04zwf782yjwnh3q6hz5izfd6jyip8kgw6g6yj43fiqhbyhdd0dqw\n",
		"CA bad prefix":               plain + "CA: source:sha256:04zwf782yjwnh3q6hz5izfd6jyip8kgw6g6yj43fiqhbyhdd0dqw\n",
		"CA sri hash":                 plain + "CA: fixed:r:sha256:sha256-HDfQGvQL4ugGkd48w99EN3ppmvuxfGjwgJZLL9Bx/BM=\n",
	}
	accepted := 0
	for name, text := range cases {
		t.Run(name, func(t *testing.T) {
			dir := o.cache(text)
			out, nixOK := o.nixCmd("path-info", "--json", "--store", "file://"+dir, plainPath)
			ni, err := Parse("/nix/store", []byte(text))
			if nixOK != (err == nil) {
				t.Fatalf("Nix accepts: %v, Parse error: %v\nnix: %s", nixOK, err, out)
			}
			if !nixOK {
				return
			}
			accepted++
			var got []pathInfo
			if err := json.Unmarshal([]byte(out[strings.Index(out, "["):]), &got); err != nil || len(got) != 1 {
				t.Fatalf("nix path-info output %q: %v", out, err)
			}
			if got[0].References == nil {
				got[0].References = []string{}
			}
			if d := cmp.Diff(got[0], ourPathInfo(ni)); d != "" {
				t.Errorf("Nix read (-) vs Parse (+):\n%s", d)
			}
			// Nix's writer asserts a sha256 FileHash.
			if ni.FileHash.IsZero() {
				return
			}
			if out, ok := o.nixCmd("store", "sign", "--store", "file://"+dir, "-k", secFile, plainPath); !ok {
				t.Fatalf("nix store sign: %s", out)
			}
			if err := ni.Sign(sk); err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(o.readNarinfo(dir), string(ni.MarshalText())); d != "" {
				t.Errorf("file written by Nix (-) vs MarshalText (+):\n%s", d)
			}
		})
	}
	t.Logf("%d variants, %d accepted by both", len(cases), accepted)
}
