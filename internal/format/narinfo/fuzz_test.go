package narinfo

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func FuzzParse(f *testing.F) {
	f.Add([]byte(plain))
	f.Add([]byte(edit("References", "References: 91dkhdfrdzngb4m62zak427y2vpamanj-plain m0g2m8bgd15a8xl6y88jg3c4rp9np9yr-dependent\n")))
	f.Add([]byte("StorePath: /nix/store/dybb1h978b7js39x24iib8bs70c3zazl-tiny\nURL: nar/1912diqjqmy7ys272mpzk9aygxm95qssxf2ldsy6f8mhph0smxh5.nar\n" +
		"Compression: none\nFileHash: sha256:1912diqjqmy7ys272mpzk9aygxm95qssxf2ldsy6f8mhph0smxh5\nFileSize: 512\n" +
		"NarHash: sha256:1912diqjqmy7ys272mpzk9aygxm95qssxf2ldsy6f8mhph0smxh5\nNarSize: 512\nReferences: \n" +
		"CA: fixed:r:sha256:1912diqjqmy7ys272mpzk9aygxm95qssxf2ldsy6f8mhph0smxh5\n"))
	f.Add([]byte("garbage\nFoo:\nBar: baz\n" + edit("NarHash", "NarHash: sha256-HDfQGvQL4ugGkd48w99EN3ppmvuxfGjwgJZLL9Bx/BM=\n") +
		"CA: text:sha256:1c37d01af40be2e80691de3cc3df44377a699afbb17c68f080964b2fd071fc13\nDeriver: unknown-deriver\nSystem: x\n"))
	sk, err := ParseSecretKey(testSec)
	if err != nil {
		f.Fatal(err)
	}
	keys := []PublicKey{sk.Public()}
	f.Fuzz(func(t *testing.T, data []byte) {
		ni, err := Parse("/nix/store", data)
		if err != nil {
			return
		}
		out := ni.MarshalText()
		ni2, err := Parse("/nix/store", out)
		if err != nil {
			t.Fatalf("re-parse of %q: %v", out, err)
		}
		if d := cmp.Diff(ni, ni2); d != "" {
			t.Fatalf("parse → marshal → parse differs (-first +second):\n%s", d)
		}
		if out2 := ni2.MarshalText(); string(out2) != string(out) {
			t.Fatalf("marshal not stable:\n%q\n%q", out, out2)
		}
		// Signature checks never panic and our own signature is good.
		ni.IsContentAddressed()
		if _, err := ni.CheckSignatures(keys); err != nil {
			return
		}
		if err := ni.Sign(sk); err != nil {
			t.Fatalf("Sign: %v", err)
		}
		if n, err := CountValidSignatures(mustFingerprint(t, ni), ni.Sigs, keys); err != nil || n < 1 {
			t.Fatalf("own signature not counted: %d, %v", n, err)
		}
	})
}

func mustFingerprint(t *testing.T, ni *NarInfo) string {
	t.Helper()
	fp, err := ni.Fingerprint()
	if err != nil {
		t.Fatal(err)
	}
	return fp
}

func FuzzParseKey(f *testing.F) {
	f.Add(testSec)
	f.Add(testPub)
	f.Add(testSec + "\n")
	f.Add("a:b=c")
	f.Fuzz(func(t *testing.T, s string) {
		if k, err := ParseSecretKey(s); err == nil {
			k2, err := ParseSecretKey(k.String())
			if err != nil || k2.String() != k.String() {
				t.Fatalf("secret key %q: re-read %q, %v", s, k2.String(), err)
			}
			if sig := k.Sign("x"); sig == "" {
				t.Fatal("no signature")
			}
		}
		if k, err := ParsePublicKey(s); err == nil {
			k2, err := ParsePublicKey(k.String())
			if err != nil || k2.String() != k.String() {
				t.Fatalf("public key %q: re-read %q, %v", s, k2.String(), err)
			}
			VerifySignature("x", s, []PublicKey{k})
		}
	})
}
