package binarycache

import (
	"context"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"testing"

	"gonix/internal/format/hash"
	"gonix/internal/store"
)

// BenchmarkNARRead measures reading (decompressing and checking) one
// 4 MiB NAR, half random and half text, per compression method.
func BenchmarkNARRead(b *testing.B) {
	ctx := context.Background()
	dir := b.TempDir()
	data := make([]byte, 4<<20)
	rand.New(rand.NewSource(1)).Read(data[:2<<20])
	for i := 2 << 20; i < len(data); i++ {
		data[i] = "some text, repeated\n"[i%20]
	}
	f := filepath.Join(dir, "blob")
	if err := os.WriteFile(f, data, 0o644); err != nil {
		b.Fatal(err)
	}
	st := openStore(b)
	p, err := st.AddFixed(ctx, "blob", f, store.Flat, hash.SHA256)
	if err != nil {
		b.Fatal(err)
	}
	for _, comp := range []string{"none", "xz", "zstd", "bzip2", "br"} {
		b.Run(comp, func(b *testing.B) {
			c, err := OpenURL(ctx, "file://"+filepath.Join(dir, comp)+"?compression="+comp)
			if err != nil {
				b.Fatal(err)
			}
			if err := c.AddPath(ctx, st, p, "", nil); err != nil {
				b.Fatal(err)
			}
			ni, err := c.QueryPathInfo(ctx, p)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(ni.NarSize))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				r, err := c.NAR(ctx, ni)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := io.Copy(io.Discard, r); err != nil {
					b.Fatal(err)
				}
				r.Close()
			}
		})
	}
}
