package serve

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"gonix/internal/format/narinfo"
)

// BenchmarkNarInfo measures answering narinfo requests from many
// goroutines at once (each a store lookup and a signature).
func BenchmarkNarInfo(b *testing.B) {
	f := newFixtureTB(b)
	h, err := New(Options{Store: f.st, Keys: []narinfo.SecretKey{f.key}})
	if err != nil {
		b.Fatal(err)
	}
	url := "/" + hashPart(mainPath) + ".narinfo"
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, url, nil))
			if w.Code != 200 {
				b.Errorf("status %d", w.Code)
			}
		}
	})
}
