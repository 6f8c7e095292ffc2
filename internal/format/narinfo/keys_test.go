package narinfo

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"strings"
	"testing"

	"gonix/internal/format/hash"
	"gonix/internal/format/storepath"
)

// The throw-away key pair of spec/store.md §6.5.
const (
	testSec = "test-key-1:Yan/Dm+oqATrXMDzhZT2vXPuwqTI31n/N5LsTs5ujLghceuAf57vONRl1+PmRKizhiPTYXdQ3lRYS3xXGXnsAg=="
	testPub = "test-key-1:IXHrgH+e7zjUZdfj5kSos4Yj02F3UN5UWEt8Vxl57AI="
)

func TestParseKeyErrors(t *testing.T) {
	b64 := func(n int) string { return base64.StdEncoding.EncodeToString(make([]byte, n)) }
	tests := []struct {
		name, in string
		public   bool
		want     string
	}{
		{"empty", "", false, "secret key is corrupt"},
		{"no colon", "abc", false, "secret key is corrupt"},
		{"empty name", ":" + b64(64), false, "secret key is corrupt"},
		{"empty key", "k:", false, "secret key is corrupt"},
		{"bad base64", "k:abc!", false, "secret key 'k' is corrupt: invalid character in Base64 string: '!'"},
		{"space", "k: " + b64(64), false, "invalid character in Base64 string: ' '"},
		{"short", "k:" + b64(63), false, "secret key 'k' is not valid: 63 bytes, want 64"},
		{"public key given", testPub, false, "secret key 'test-key-1' is not valid: 32 bytes, want 64"},
		{"public empty", "", true, "public key is corrupt"},
		{"public long", "k:" + b64(33), true, "public key 'k' is not valid: 33 bytes, want 32"},
		{"secret key given as public", testSec, true, "public key 'test-key-1' is not valid: 64 bytes, want 32"},
		{"public bad base64", "k:-_", true, "public key 'k' is corrupt: invalid character in Base64 string: '-'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			if tt.public {
				_, err = ParsePublicKey(tt.in)
			} else {
				_, err = ParseSecretKey(tt.in)
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want %q", err, tt.want)
			}
			if err != nil && strings.Contains(err.Error(), "Yan/Dm") {
				t.Errorf("error %q leaks secret key material", err)
			}
		})
	}
}

// TestParseKeyLeniency: Nix's base64Decode skips '\n' and stops at '='.
func TestParseKeyLeniency(t *testing.T) {
	for _, in := range []string{
		testSec + "\n",
		strings.TrimRight(testSec, "="),
		testSec[:40] + "\n" + testSec[40:],
		testSec + "garbage!after=padding",
	} {
		k, err := ParseSecretKey(in)
		if err != nil {
			t.Errorf("%q: %v", in, err)
			continue
		}
		if k.String() != testSec {
			t.Errorf("%q read as %q", in, k.String())
		}
	}
	k, err := ParsePublicKey("name with spaces:" + strings.SplitN(testPub, ":", 2)[1] + "\n")
	if err != nil || k.Name != "name with spaces" || k.String() != "name with spaces:"+strings.SplitN(testPub, ":", 2)[1] {
		t.Errorf("got %q, %v", k.String(), err)
	}
	// The name ends at the first ':'; the rest must be base64.
	if _, err := ParsePublicKey("a:b:" + strings.SplitN(testPub, ":", 2)[1]); err == nil {
		t.Error("key with ':' in the base64 part accepted")
	}
}

func TestDecodeBase64MatchesStd(t *testing.T) {
	for n := 0; n < 70; n++ {
		b := bytes.Repeat([]byte{0xa5, 0x3c, 0xff, 0x00, 0x81}, 14)[:n]
		s := base64.StdEncoding.EncodeToString(b)
		got, err := decodeBase64(s)
		if err != nil || !bytes.Equal(got, b) {
			t.Errorf("n=%d: %x, %v", n, got, err)
		}
	}
}

func TestGenerateKey(t *testing.T) {
	seed := bytes.Repeat([]byte{7}, ed25519.SeedSize)
	sk, pk, err := GenerateKey("cache.example.org-1", bytes.NewReader(seed))
	if err != nil {
		t.Fatal(err)
	}
	if sk.Public().String() != pk.String() || !strings.HasPrefix(pk.String(), "cache.example.org-1:") {
		t.Errorf("keys %q %q", sk.Public(), pk)
	}
	want := ed25519.NewKeyFromSeed(seed)
	if !bytes.Equal(sk.key, want) || !bytes.Equal(pk.Ed25519(), want.Public().(ed25519.PublicKey)) {
		t.Error("key is not the Ed25519 key of the seed")
	}
	// Round trip through the text form, and sign/verify.
	sk2, err := ParseSecretKey(sk.String())
	if err != nil || sk2.String() != sk.String() {
		t.Fatalf("re-read %q: %v", sk2.String(), err)
	}
	pk2, err := ParsePublicKey(pk.String())
	if err != nil {
		t.Fatal(err)
	}
	sig := sk2.Sign("hello")
	if !Verify("hello", sig, []PublicKey{pk2}) || Verify("hellO", sig, []PublicKey{pk2}) {
		t.Error("sign/verify round trip failed")
	}
	for _, bad := range []string{"", "a:b"} {
		if _, _, err := GenerateKey(bad, nil); err == nil {
			t.Errorf("GenerateKey(%q) succeeded", bad)
		}
	}
	if _, _, err := GenerateKey("x", bytes.NewReader(nil)); err == nil {
		t.Error("GenerateKey with an empty random source succeeded")
	}
}

func TestVerifySignature(t *testing.T) {
	sk, err := ParseSecretKey(testSec)
	if err != nil {
		t.Fatal(err)
	}
	pk, _ := ParsePublicKey(testPub)
	other, _, _ := GenerateKey("other", nil)
	keys := []PublicKey{other.Public(), pk}
	const fp = "1;/nix/store/91dkhdfrdzngb4m62zak427y2vpamanj-plain;sha256:04zwf782yjwnh3q6hz5izfd6jyip8kgw6g6yj43fiqhbyhdd0dqw;120;"
	good := sk.Sign(fp)
	if good != "test-key-1:WhHW8UPhS0ji5yafqXmZ720rOnc1IuDn0EWscDSL7xnQiDZP7yaYkzhkAXMwLOVOamAYQoqpMhywdqQVhyFcDg==" {
		t.Fatalf("Sign = %q", good)
	}
	sigPart := strings.SplitN(good, ":", 2)[1]
	tests := []struct {
		sig     string
		ok      bool
		wantErr string
	}{
		{good, true, ""},
		{good + "\n", true, ""}, // base64Decode skips '\n'
		{"unknown:" + sigPart, false, ""},
		{":" + sigPart, false, ""},
		{"nocolon", false, ""},
		{"", false, ""},
		{"test-key-1:" + sigPart[:20], false, "signature by 'test-key-1' is not valid: 15 bytes, want 64"},
		{"test-key-1:***", false, "signature by 'test-key-1' is not valid: invalid character in Base64 string: '*'"},
		{"unknown:***", false, ""}, // unknown keys are not looked at
		{"other:" + sigPart, false, ""},
	}
	for _, tt := range tests {
		ok, err := VerifySignature(fp, tt.sig, keys)
		if ok != tt.ok || (err == nil) != (tt.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("VerifySignature(%q) = %v, %v; want %v, %q", tt.sig, ok, err, tt.ok, tt.wantErr)
		}
		if Verify(fp, tt.sig, keys) != tt.ok {
			t.Errorf("Verify(%q) != %v", tt.sig, tt.ok)
		}
	}
	// As in Nix's key map, the first key of a name is the one used.
	imposter, _, _ := GenerateKey("test-key-1", nil)
	if Verify(fp, good, []PublicKey{imposter.Public(), pk}) || !Verify(fp, good, []PublicKey{pk, imposter.Public()}) {
		t.Error("duplicate key names: the first key must decide")
	}
	n, err := CountValidSignatures(fp, []string{good, "unknown:x", good}, keys)
	if n != 2 || err != nil {
		t.Errorf("CountValidSignatures = %d, %v", n, err)
	}
	if _, err := CountValidSignatures(fp, []string{good, "test-key-1:AAAA"}, keys); err == nil {
		t.Error("CountValidSignatures ignored a malformed signature by a trusted key")
	}
	// The zero values never panic.
	var zs SecretKey
	if zs.Sign(fp) != "" || zs.Public().Ed25519() != nil || Verify(fp, good, []PublicKey{{Name: "test-key-1"}}) {
		t.Error("zero keys")
	}
}

func TestFingerprint(t *testing.T) {
	h, err := hash.ParsePrefixed("sha256:0sri2akkqhd6kkhb8qkj2vkr1827l0gk8hbaclksbg2qb70njvcf")
	if err != nil {
		t.Fatal(err)
	}
	const p = "/nix/store/m0g2m8bgd15a8xl6y88jg3c4rp9np9yr-dependent"
	refs := []string{p, "/nix/store/91dkhdfrdzngb4m62zak427y2vpamanj-plain", p}
	got, err := Fingerprint(p, h, 176, refs)
	want := "1;" + p + ";sha256:0sri2akkqhd6kkhb8qkj2vkr1827l0gk8hbaclksbg2qb70njvcf;176;/nix/store/91dkhdfrdzngb4m62zak427y2vpamanj-plain," + p
	if err != nil || got != want {
		t.Errorf("Fingerprint = %q, %v\nwant %q", got, err, want)
	}
	if refs[0] != p {
		t.Error("Fingerprint reordered the caller's refs")
	}
	if _, err := Fingerprint(p, h, 0, nil); err == nil || err.Error() != "cannot calculate fingerprint of path '"+p+"' because its size is not known" {
		t.Errorf("zero size: %v", err)
	}
	if _, err := Fingerprint(p, hash.Hash{}, 1, nil); err == nil {
		t.Error("zero hash accepted")
	}
}

func TestIsContentAddressed(t *testing.T) {
	const tiny = "StorePath: /nix/store/dybb1h978b7js39x24iib8bs70c3zazl-tiny\nURL: nar/x.nar\nNarHash: sha256:1912diqjqmy7ys272mpzk9aygxm95qssxf2ldsy6f8mhph0smxh5\nNarSize: 512\n"
	const ca = "CA: fixed:r:sha256:1912diqjqmy7ys272mpzk9aygxm95qssxf2ldsy6f8mhph0smxh5\n"
	tests := []struct {
		name, in string
		want     bool
	}{
		{"no CA", tiny, false},
		{"matching CA", tiny + ca, true},
		{"CA with a reference the path was not made with", tiny + ca + "References: 91dkhdfrdzngb4m62zak427y2vpamanj-plain\n", false},
		{"flat CA does not match", tiny + "CA: fixed:sha256:1912diqjqmy7ys272mpzk9aygxm95qssxf2ldsy6f8mhph0smxh5\n", false},
		{"text CA does not match", tiny + "CA: text:sha256:1912diqjqmy7ys272mpzk9aygxm95qssxf2ldsy6f8mhph0smxh5\n", false},
		{"flat CA with refs", tiny + "CA: fixed:sha1:0000000000000000000000000000000000000000\nReferences: dybb1h978b7js39x24iib8bs70c3zazl-tiny\n", false},
	}
	// Paths made here with storepath check that the references reach the
	// path computation (text: all of them; source: self apart).
	digest := hash.Sum(hash.SHA256, []byte("x"))
	plainRef := "/nix/store/91dkhdfrdzngb4m62zak427y2vpamanj-plain"
	textPath, err := storepath.MakeTextPath("/nix/store", "t", digest.Digest, []string{plainRef})
	if err != nil {
		t.Fatal(err)
	}
	srcPath, err := storepath.MakeSourcePath("/nix/store", "s", digest.Digest, []string{plainRef}, true)
	if err != nil {
		t.Fatal(err)
	}
	mk := func(p, ca string, refs ...string) string {
		return "StorePath: " + p + "\nURL: u\nNarHash: " + digest.String() + "\nNarSize: 1\nCA: " + ca + "\nReferences: " + strings.Join(refs, " ") + "\n"
	}
	base := func(p string) string { return strings.TrimPrefix(p, "/nix/store/") }
	tests = append(tests, []struct {
		name, in string
		want     bool
	}{
		{"text CA with reference", mk(textPath, "text:"+digest.String(), base(plainRef)), true},
		{"text CA without its reference", mk(textPath, "text:"+digest.String()), false},
		{"source CA with self-reference", mk(srcPath, "fixed:r:"+digest.String(), base(plainRef), base(srcPath)), true},
		{"source CA missing self-reference", mk(srcPath, "fixed:r:"+digest.String(), base(plainRef)), false},
	}...)
	for _, tt := range tests {
		ni, err := Parse("/nix/store", []byte(tt.in))
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if got := ni.IsContentAddressed(); got != tt.want {
			t.Errorf("%s: IsContentAddressed = %v", tt.name, got)
		}
		n, err := ni.CheckSignatures(nil)
		if err != nil || (n == MaxSigs) != tt.want {
			t.Errorf("%s: CheckSignatures = %d, %v", tt.name, n, err)
		}
	}
}
