package narinfo

import "testing"

func BenchmarkParse(b *testing.B) {
	data := []byte(edit("References", "References: 91dkhdfrdzngb4m62zak427y2vpamanj-plain m0g2m8bgd15a8xl6y88jg3c4rp9np9yr-dependent\n"))
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Parse("/nix/store", data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMarshalText(b *testing.B) {
	ni, err := Parse("/nix/store", []byte(plain))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		ni.MarshalText()
	}
}

func BenchmarkCheckSignatures(b *testing.B) {
	ni, err := Parse("/nix/store", []byte(plain))
	if err != nil {
		b.Fatal(err)
	}
	pk, err := ParsePublicKey(testPub)
	if err != nil {
		b.Fatal(err)
	}
	keys := []PublicKey{pk}
	for b.Loop() {
		if n, err := ni.CheckSignatures(keys); n != 1 || err != nil {
			b.Fatal(n, err)
		}
	}
}

func BenchmarkSign(b *testing.B) {
	sk, err := ParseSecretKey(testSec)
	if err != nil {
		b.Fatal(err)
	}
	fp := "1;/nix/store/91dkhdfrdzngb4m62zak427y2vpamanj-plain;sha256:04zwf782yjwnh3q6hz5izfd6jyip8kgw6g6yj43fiqhbyhdd0dqw;120;"
	for b.Loop() {
		sk.Sign(fp)
	}
}
