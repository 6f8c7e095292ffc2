package narinfo

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gonix/internal/format/hash"
	"gonix/internal/testutil"
)

// cacheVectors returns spec/vectors/cache and the narinfo files in it.
func cacheVectors(t *testing.T) (string, []string) {
	t.Helper()
	dir := filepath.Join(testutil.SpecVectors(t), "cache")
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, e := range ents {
		if strings.Contains(e.Name(), ".narinfo") {
			files = append(files, e.Name())
		}
	}
	if len(files) < 4 {
		t.Fatalf("want 4 narinfo vectors in %s, found %v", dir, files)
	}
	return dir, files
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// fingerprintsByPath reads fingerprints.txt into store path → fingerprint.
func fingerprintsByPath(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, l := range strings.Split(readFile(t, filepath.Join(dir, "fingerprints.txt")), "\n") {
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		f := strings.Split(l, ";")
		if len(f) != 5 {
			t.Fatalf("fingerprints.txt: bad line %q", l)
		}
		m[f[1]] = l
	}
	if len(m) != 3 {
		t.Fatalf("fingerprints.txt: want 3 fingerprints, got %d", len(m))
	}
	return m
}

func TestVectorsRoundTrip(t *testing.T) {
	dir, files := cacheVectors(t)
	for _, name := range files {
		t.Run(name, func(t *testing.T) {
			want := readFile(t, filepath.Join(dir, name))
			ni, err := Parse("/nix/store", []byte(want))
			if err != nil {
				t.Fatal(err)
			}
			if got := string(ni.MarshalText()); got != want {
				t.Errorf("MarshalText differs from Nix's file:\n got: %q\nwant: %q", got, want)
			}
		})
	}
}

func TestVectorFields(t *testing.T) {
	dir, _ := cacheVectors(t)
	ni, err := Parse("/nix/store", []byte(readFile(t, filepath.Join(dir, "m0g2m8bgd15a8xl6y88jg3c4rp9np9yr.narinfo"))))
	if err != nil {
		t.Fatal(err)
	}
	if ni.StorePath != "/nix/store/m0g2m8bgd15a8xl6y88jg3c4rp9np9yr-dependent" || ni.NarSize != 176 || ni.FileSize != 180 ||
		ni.Compression != "xz" || ni.Deriver != "a84cx1jhdm1ky1rxzcq85036jfv61lg9-dependent.drv" || ni.CA != "" || ni.System != "" {
		t.Errorf("fields: %+v", ni)
	}
	if len(ni.References) != 1 || ni.References[0] != "91dkhdfrdzngb4m62zak427y2vpamanj-plain" {
		t.Errorf("References = %q", ni.References)
	}
	if ni.NarHash.Algo != hash.SHA256 || ni.NarHash.Base32() != "0sri2akkqhd6kkhb8qkj2vkr1827l0gk8hbaclksbg2qb70njvcf" {
		t.Errorf("NarHash = %v", ni.NarHash)
	}
	tiny, err := Parse("/nix/store", []byte(readFile(t, filepath.Join(dir, "dybb1h978b7js39x24iib8bs70c3zazl.narinfo.compression-none"))))
	if err != nil {
		t.Fatal(err)
	}
	if tiny.CA != "fixed:r:sha256:1912diqjqmy7ys272mpzk9aygxm95qssxf2ldsy6f8mhph0smxh5" || tiny.Deriver != "" || tiny.Sigs != nil || tiny.References != nil {
		t.Errorf("tiny: %+v", tiny)
	}
}

func TestVectorFingerprints(t *testing.T) {
	dir, files := cacheVectors(t)
	fps := fingerprintsByPath(t, dir)
	seen := map[string]bool{}
	for _, name := range files {
		ni, err := Parse("/nix/store", []byte(readFile(t, filepath.Join(dir, name))))
		if err != nil {
			t.Fatal(err)
		}
		got, err := ni.Fingerprint()
		if err != nil {
			t.Fatal(err)
		}
		if want := fps[ni.StorePath]; got != want {
			t.Errorf("%s: fingerprint\n got %q\nwant %q", name, got, want)
		}
		seen[ni.StorePath] = true
	}
	if len(seen) != len(fps) {
		t.Errorf("fingerprints checked for %d paths, fingerprints.txt has %d", len(seen), len(fps))
	}
}

func TestVectorKeysAndSignatures(t *testing.T) {
	dir, files := cacheVectors(t)
	secText := readFile(t, filepath.Join(dir, "sec.key"))
	pubText := readFile(t, filepath.Join(dir, "pub.key"))
	sk, err := ParseSecretKey(secText)
	if err != nil {
		t.Fatal(err)
	}
	pk, err := ParsePublicKey(pubText)
	if err != nil {
		t.Fatal(err)
	}
	if sk.String() != secText || pk.String() != pubText || sk.Public().String() != pubText {
		t.Errorf("key texts: %q %q %q", sk.String(), pk.String(), sk.Public().String())
	}
	if sk.Name != "test-key-1" || pk.Name != "test-key-1" {
		t.Errorf("names %q %q", sk.Name, pk.Name)
	}
	other, _, err := GenerateKey("test-key-1", nil) // same name, different key
	if err != nil {
		t.Fatal(err)
	}
	trusted := []PublicKey{pk}
	signed := 0
	for _, name := range files {
		ni, err := Parse("/nix/store", []byte(readFile(t, filepath.Join(dir, name))))
		if err != nil {
			t.Fatal(err)
		}
		fp, err := ni.Fingerprint()
		if err != nil {
			t.Fatal(err)
		}
		for _, sig := range ni.Sigs {
			signed++
			if !Verify(fp, sig, trusted) {
				t.Errorf("%s: %s does not verify with pub.key", name, sig)
			}
			if Verify(fp+"x", sig, trusted) {
				t.Errorf("%s: signature verifies over a different fingerprint", name)
			}
			if Verify(fp, sig, []PublicKey{other.Public()}) {
				t.Errorf("%s: signature verifies with a different key of the same name", name)
			}
			if got := sk.Sign(fp); got != sig {
				t.Errorf("%s: re-signed\n got %s\nwant %s", name, got, sig)
			}
		}
		n, err := CountValidSignatures(fp, ni.Sigs, trusted)
		if err != nil || n != len(ni.Sigs) {
			t.Errorf("%s: CountValidSignatures = %d, %v; want %d", name, n, err, len(ni.Sigs))
		}
		n, err = ni.CheckSignatures(trusted)
		want := len(ni.Sigs)
		if ni.CA != "" {
			want = MaxSigs // §6.4: the CA vector needs no signature
		}
		if err != nil || n != want {
			t.Errorf("%s: CheckSignatures = %d, %v; want %d", name, n, err, want)
		}
		if ni.CA == "" {
			if n, err := ni.CheckSignatures(nil); n != 0 || err != nil {
				t.Errorf("%s: CheckSignatures(no keys) = %d, %v", name, n, err)
			}
		}
		// Signing the parsed narinfo afresh reproduces the file.
		if len(ni.Sigs) > 0 {
			fresh := *ni
			fresh.Sigs = nil
			if err := fresh.Sign(sk); err != nil {
				t.Fatal(err)
			}
			if got, want := string(fresh.MarshalText()), readFile(t, filepath.Join(dir, name)); got != want {
				t.Errorf("%s: re-signed narinfo\n got %q\nwant %q", name, got, want)
			}
		}
	}
	if signed != 3 {
		t.Errorf("checked %d signatures, want 3", signed)
	}
}
