package serve

import (
	"context"
	"testing"

	"gonix/internal/format/narinfo"
	"gonix/internal/store/binarycache"
	"gonix/internal/store/local"
)

// TestGonixSubstitutes: gonix's own HTTP substituter (binarycache over
// http://) takes the 55-path closure from the server for each
// compression — narinfos without FileHash/FileSize included — and the
// destination's registrations equal the source's; under a foreign key
// the input-addressed paths are refused.
func TestGonixSubstitutes(t *testing.T) {
	ctx := context.Background()
	srcRoot := t.TempDir()
	top, paths := buildClosure(t, srcRoot)
	key, pub, err := narinfo.GenerateKey("gonix-serve-2", nil)
	if err != nil {
		t.Fatal(err)
	}
	foreign, _, err := narinfo.GenerateKey("gonix-serve-2", nil)
	if err != nil {
		t.Fatal(err)
	}
	src, err := local.Open(ctx, local.Options{Root: srcRoot, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()

	for _, tc := range []struct {
		compression string
		key         narinfo.SecretKey
		ok          bool
	}{
		{"none", key, true},
		{"zstd", key, true},
		{"xz", key, true},
		{"none", foreign, false},
	} {
		url := startServer(t, srcRoot, Options{Compression: tc.compression, Keys: []narinfo.SecretKey{tc.key}})
		c, err := binarycache.OpenURL(ctx, url)
		if err != nil {
			t.Fatalf("open %s: %v", url, err)
		}
		dst, err := local.Open(ctx, local.Options{Root: t.TempDir(), NoSync: true})
		if err != nil {
			t.Fatal(err)
		}
		err = binarycache.SubstituteClosure(ctx, c, dst, []string{top}, []narinfo.PublicKey{pub}, true)
		if tc.ok && err != nil {
			t.Fatalf("%s: substituting %s: %v", tc.compression, top, err)
		}
		if !tc.ok {
			if err == nil {
				t.Errorf("%s signed by a foreign key was substituted", top)
			}
			if ok, _ := dst.IsValidPath(ctx, top); ok {
				t.Errorf("%s became valid without a trusted signature", top)
			}
			dst.Close()
			continue
		}
		for _, p := range paths {
			want, err := src.QueryPathInfo(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			got, err := dst.QueryPathInfo(ctx, p)
			if err != nil {
				t.Fatalf("%s: %s: %v", tc.compression, p, err)
			}
			if !got.NarHash.Equal(want.NarHash) || got.NarSize != want.NarSize || len(got.References) != len(want.References) {
				t.Errorf("%s: %s registered as %v/%d/%v, source has %v/%d/%v", tc.compression, p,
					got.NarHash, got.NarSize, got.References, want.NarHash, want.NarSize, want.References)
			}
		}
		dst.Close()
	}
}
