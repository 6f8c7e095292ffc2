package serve

import (
	"bytes"
	"compress/bzip2"
	"context"
	"crypto/sha256"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/andybalholm/brotli"
	"github.com/google/go-cmp/cmp"
	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"

	"gonix/internal/format/hash"
	"gonix/internal/format/nar"
	"gonix/internal/format/narinfo"
	"gonix/internal/format/nixbase32"
	"gonix/internal/store"
	"gonix/internal/store/local"
)

// fixture is a fresh chroot store holding a text path (content-addressed)
// and an input-addressed path that refers to it and to itself, has a
// deriver and carries a signature by another key.
type fixture struct {
	root    string
	st      *local.Store
	dep     string
	mainNAR []byte
	other   narinfo.SecretKey // signed main in the store
	key     narinfo.SecretKey // the server's key
}

const mainPath = "/nix/store/0123456789abcdfghijklmnpqrsvwxyz-main"
const mainDeriver = "/nix/store/zyxwvsrqpnmlkjihgfdcba9876543210-main.drv"

func newFixture(t *testing.T) *fixture { return newFixtureTB(t) }

func newFixtureTB(t testing.TB) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{root: t.TempDir()}
	st, err := local.Open(ctx, local.Options{Root: f.root, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f.st = st
	if f.dep, err = st.AddText(ctx, "dep", "dependency\n", nil); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	content := bytes.Repeat([]byte("main refers to "+f.dep+" and "+mainPath+"\n"), 5000)
	if err := nar.DumpBytes(&b, content, true); err != nil {
		t.Fatal(err)
	}
	f.mainNAR = b.Bytes()
	sum := sha256.Sum256(f.mainNAR)
	info := &store.PathInfo{
		Path:       mainPath,
		NarHash:    hash.Hash{Algo: hash.SHA256, Digest: sum[:]},
		NarSize:    uint64(len(f.mainNAR)),
		References: []string{f.dep, mainPath},
		Deriver:    mainDeriver,
	}
	if f.other, _, err = narinfo.GenerateKey("other-1", nil); err != nil {
		t.Fatal(err)
	}
	fp, err := narinfo.Fingerprint(info.Path, info.NarHash, info.NarSize, info.References)
	if err != nil {
		t.Fatal(err)
	}
	info.Sigs = []string{f.other.Sign(fp)}
	if err := st.AddNAR(ctx, info, bytes.NewReader(f.mainNAR)); err != nil {
		t.Fatal(err)
	}
	if f.key, _, err = narinfo.GenerateKey("serve-1", nil); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) handler(t *testing.T, opts Options) *Handler {
	t.Helper()
	opts.Store = f.st
	h, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func get(t *testing.T, h http.Handler, method, path string) *httptest.ResponseRecorder {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(method, path, nil))
	return w
}

func hashPart(p string) string { return p[len("/nix/store/") : len("/nix/store/")+32] }

func TestCacheInfo(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		prio int
		want string
	}{
		{0, "StoreDir: /nix/store\nWantMassQuery: 1\nPriority: 30\n"},
		{41, "StoreDir: /nix/store\nWantMassQuery: 1\nPriority: 41\n"},
	} {
		h := f.handler(t, Options{Priority: tc.prio})
		w := get(t, h, "GET", "/nix-cache-info")
		if w.Code != 200 || w.Body.String() != tc.want {
			t.Errorf("priority %d: got %d %q, want 200 %q", tc.prio, w.Code, w.Body.String(), tc.want)
		}
	}
}

// TestNarInfoExact pins the narinfo bytes for both kinds of path and both
// kinds of compression, and checks the signatures.
func TestNarInfoExact(t *testing.T) {
	f := newFixture(t)
	mainInfo, err := f.st.QueryPathInfo(context.Background(), mainPath)
	if err != nil {
		t.Fatal(err)
	}
	narHash := "sha256:" + nixbase32.EncodeToString(mainInfo.NarHash.Digest)
	sum := sha256.Sum256(f.mainNAR)
	if got := "sha256:" + nixbase32.EncodeToString(sum[:]); got != narHash {
		t.Fatalf("store NarHash %s, NAR hashes to %s", narHash, got)
	}
	fp := "1;" + mainPath + ";" + narHash + ";" + itoa(len(f.mainNAR)) + ";" + mainPath + "," + f.dep
	sigs := []string{f.other.Sign(fp), f.key.Sign(fp)}
	if sigs[1] < sigs[0] {
		sigs[0], sigs[1] = sigs[1], sigs[0]
	}
	depInfo, err := f.st.QueryPathInfo(context.Background(), f.dep)
	if err != nil {
		t.Fatal(err)
	}
	depHash := "sha256:" + nixbase32.EncodeToString(depInfo.NarHash.Digest)
	depFP := "1;" + f.dep + ";" + depHash + ";" + itoa(int(depInfo.NarSize)) + ";"

	for _, tc := range []struct {
		compression, path, want string
	}{
		{"none", mainPath, "StorePath: " + mainPath + "\n" +
			"URL: nar/" + hashPart(mainPath) + "-" + narHash[7:] + ".nar\n" +
			"Compression: none\n" +
			"FileHash: " + narHash + "\n" +
			"FileSize: " + itoa(len(f.mainNAR)) + "\n" +
			"NarHash: " + narHash + "\n" +
			"NarSize: " + itoa(len(f.mainNAR)) + "\n" +
			"References: " + mainPath[11:] + " " + f.dep[11:] + "\n" +
			"Deriver: " + mainDeriver[11:] + "\n" +
			"Sig: " + sigs[0] + "\n" +
			"Sig: " + sigs[1] + "\n"},
		{"xz", mainPath, "StorePath: " + mainPath + "\n" +
			"URL: nar/" + hashPart(mainPath) + "-" + narHash[7:] + ".nar.xz\n" +
			"Compression: xz\n" +
			"NarHash: " + narHash + "\n" +
			"NarSize: " + itoa(len(f.mainNAR)) + "\n" +
			"References: " + mainPath[11:] + " " + f.dep[11:] + "\n" +
			"Deriver: " + mainDeriver[11:] + "\n" +
			"Sig: " + sigs[0] + "\n" +
			"Sig: " + sigs[1] + "\n"},
		{"zstd", f.dep, "StorePath: " + f.dep + "\n" +
			"URL: nar/" + hashPart(f.dep) + "-" + depHash[7:] + ".nar.zst\n" +
			"Compression: zstd\n" +
			"NarHash: " + depHash + "\n" +
			"NarSize: " + itoa(int(depInfo.NarSize)) + "\n" +
			"References: \n" +
			"Sig: " + f.key.Sign(depFP) + "\n" +
			"CA: " + depInfo.CA + "\n"},
	} {
		h := f.handler(t, Options{Compression: tc.compression, Keys: []narinfo.SecretKey{f.key}})
		w := get(t, h, "GET", "/"+hashPart(tc.path)+".narinfo")
		if w.Code != 200 {
			t.Fatalf("%s: status %d: %s", tc.compression, w.Code, w.Body)
		}
		if d := cmp.Diff(tc.want, w.Body.String()); d != "" {
			t.Errorf("%s %s narinfo (-want +got):\n%s", tc.compression, tc.path, d)
		}
		if ct := w.Header().Get("Content-Type"); ct != "text/x-nix-narinfo" {
			t.Errorf("Content-Type %q", ct)
		}
		// What a client sees: it parses, and the server's signature
		// verifies with the public key (and not with another).
		ni, err := narinfo.Parse("/nix/store", w.Body.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		if n, err := ni.CheckSignatures([]narinfo.PublicKey{f.key.Public()}); err != nil || n < 1 {
			t.Errorf("%s: signature by the server's key: %d good, %v", tc.path, n, err)
		}
		stranger, _, _ := narinfo.GenerateKey("serve-1", nil)
		fp, _ := ni.Fingerprint()
		if n, _ := narinfo.CountValidSignatures(fp, ni.Sigs, []narinfo.PublicKey{stranger.Public()}); n != 0 {
			t.Errorf("%s: a foreign key of the same name verified %d signatures", tc.path, n)
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestNotFoundAndBadRequests(t *testing.T) {
	f := newFixture(t)
	h := f.handler(t, Options{})
	info, _ := f.st.QueryPathInfo(context.Background(), mainPath)
	good := "/nar/" + hashPart(mainPath) + "-" + info.NarHash.Base32() + ".nar"
	otherHash := sha256.Sum256([]byte("x"))
	for _, tc := range []struct {
		method, path string
		code         int
	}{
		{"GET", good, 200},
		{"GET", "/" + strings.Repeat("0", 32) + ".narinfo", 404},
		{"HEAD", "/" + strings.Repeat("0", 32) + ".narinfo", 404},
		{"GET", "/" + strings.Repeat("e", 32) + ".narinfo", 400}, // 'e' is not nixbase32
		{"GET", "/short.narinfo", 400},
		{"GET", "/nar/" + hashPart(mainPath) + "-" + nixbase32.EncodeToString(otherHash[:]) + ".nar", 404},
		{"GET", good + ".xz", 404}, // not the configured compression
		{"GET", "/nar/" + strings.Repeat("0", 32) + "-" + info.NarHash.Base32() + ".nar", 404},
		{"GET", "/nar/garbage", 404},
		{"GET", "/log/" + mainDeriver[11:], 404},
		{"GET", "/log/not%20a%20path", 400},
		{"GET", "/log/..%2F..%2Fetc%2Fpasswd", 400},
		{"GET", "/etc/passwd", 404},
		{"GET", "/nix-cache-info/x", 404},
		{"POST", "/nix-cache-info", 405},
		{"PUT", "/" + hashPart(mainPath) + ".narinfo", 405},
	} {
		w := get(t, h, tc.method, tc.path)
		if w.Code != tc.code {
			t.Errorf("%s %s: status %d, want %d (%s)", tc.method, tc.path, w.Code, tc.code, w.Body)
		}
	}
}

func TestHead(t *testing.T) {
	f := newFixture(t)
	h := f.handler(t, Options{})
	info, _ := f.st.QueryPathInfo(context.Background(), mainPath)
	for _, p := range []string{
		"/nix-cache-info",
		"/" + hashPart(mainPath) + ".narinfo",
		"/nar/" + hashPart(mainPath) + "-" + info.NarHash.Base32() + ".nar",
	} {
		g, hd := get(t, h, "GET", p), get(t, h, "HEAD", p)
		if g.Code != 200 || hd.Code != 200 {
			t.Fatalf("%s: GET %d, HEAD %d", p, g.Code, hd.Code)
		}
		if hd.Body.Len() != 0 {
			t.Errorf("HEAD %s sent a body of %d bytes", p, hd.Body.Len())
		}
		if cl := hd.Header().Get("Content-Length"); cl != itoa(g.Body.Len()) {
			t.Errorf("HEAD %s: Content-Length %q, GET body %d bytes", p, cl, g.Body.Len())
		}
	}
}

// TestNARStreams fetches the NAR over a real connection for each
// compression and checks it against the narinfo's NarHash and NarSize.
func TestNARStreams(t *testing.T) {
	f := newFixture(t)
	for _, comp := range []string{"none", "xz", "zstd", "bzip2", "br"} {
		h := f.handler(t, Options{Compression: comp})
		srv := httptest.NewServer(h)
		resp, err := http.Get(srv.URL + "/" + hashPart(mainPath) + ".narinfo")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		ni, err := narinfo.Parse("/nix/store", body)
		if err != nil {
			t.Fatalf("%s: %v\n%s", comp, err, body)
		}
		resp, err = http.Get(srv.URL + "/" + ni.URL)
		if err != nil {
			t.Fatal(err)
		}
		compressed, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("%s: GET %s: %d %v", comp, ni.URL, resp.StatusCode, err)
		}
		var r io.Reader = bytes.NewReader(compressed)
		switch comp {
		case "xz":
			if r, err = xz.NewReader(r); err != nil {
				t.Fatal(err)
			}
		case "zstd":
			d, err := zstd.NewReader(r)
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			r = d
		case "bzip2":
			r = bzip2.NewReader(r)
		case "br":
			r = brotli.NewReader(r)
		}
		narBytes, err := io.ReadAll(r)
		if err != nil {
			t.Fatalf("%s: decompressing: %v", comp, err)
		}
		sum := sha256.Sum256(narBytes)
		if !bytes.Equal(sum[:], ni.NarHash.Digest) || uint64(len(narBytes)) != ni.NarSize {
			t.Errorf("%s: NAR of %d bytes does not match narinfo (%d bytes)", comp, len(narBytes), ni.NarSize)
		}
		if comp != "none" && len(compressed) >= len(narBytes) {
			t.Errorf("%s: %d compressed bytes for a %d-byte repetitive NAR", comp, len(compressed), len(narBytes))
		}
		srv.Close()
	}
}

func TestLog(t *testing.T) {
	f := newFixture(t)
	logDir := filepath.Join(f.root, "nix/var/log/nix")
	base := mainDeriver[11:]
	p := filepath.Join(logDir, "drvs", base[:2], base[2:])
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte("building main\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	h := f.handler(t, Options{LogDir: logDir})
	for _, q := range []string{base, mainPath[11:]} { // the .drv, and its output
		w := get(t, h, "GET", "/log/"+q)
		if w.Code != 200 || w.Body.String() != "building main\n" {
			t.Errorf("log/%s: %d %q", q, w.Code, w.Body)
		}
	}
	if w := get(t, h, "GET", "/log/"+f.dep[11:]); w.Code != 404 {
		t.Errorf("log of a path without deriver: %d", w.Code)
	}
	if w := get(t, f.handler(t, Options{}), "GET", "/log/"+base); w.Code != 404 {
		t.Errorf("log without a log directory: %d", w.Code)
	}
}

func TestNewRejectsCompression(t *testing.T) {
	f := newFixture(t)
	for _, c := range []string{"gzip", "bogus"} {
		if _, err := New(Options{Store: f.st, Compression: c}); err == nil {
			t.Errorf("compression %q accepted", c)
		}
	}
}

// TestRange: an uncompressed NAR resumes from an offset ("Range:
// bytes=N-", what Nix 2.8 sends after Accept-Ranges: bytes); other range
// forms get the whole NAR; a compressed one offers no ranges.
func TestRange(t *testing.T) {
	f := newFixture(t)
	info, _ := f.st.QueryPathInfo(context.Background(), mainPath)
	url := "/nar/" + hashPart(mainPath) + "-" + info.NarHash.Base32() + ".nar"
	h := f.handler(t, Options{})
	size := len(f.mainNAR)
	for _, tc := range []struct {
		rng    string
		code   int
		body   []byte
		cr     string
		method string
	}{
		{"", 200, f.mainNAR, "", "GET"},
		{"bytes=1000-", 206, f.mainNAR[1000:], "bytes 1000-" + itoa(size-1) + "/" + itoa(size), "GET"},
		{"bytes=" + itoa(size-1) + "-", 206, f.mainNAR[size-1:], "bytes " + itoa(size-1) + "-" + itoa(size-1) + "/" + itoa(size), "GET"},
		{"bytes=0-10", 200, f.mainNAR, "", "GET"},
		{"bytes=" + itoa(size) + "-", 416, nil, "bytes */" + itoa(size), "GET"},
		{"bytes=1000-", 206, nil, "bytes 1000-" + itoa(size-1) + "/" + itoa(size), "HEAD"},
	} {
		req := httptest.NewRequest(tc.method, url, nil)
		if tc.rng != "" {
			req.Header.Set("Range", tc.rng)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != tc.code || w.Header().Get("Content-Range") != tc.cr {
			t.Errorf("%s Range %q: %d %q, want %d %q", tc.method, tc.rng, w.Code, w.Header().Get("Content-Range"), tc.code, tc.cr)
			continue
		}
		if tc.code == 416 {
			continue
		}
		if tc.body != nil && !bytes.Equal(w.Body.Bytes(), tc.body) {
			t.Errorf("%s Range %q: %d bytes, want %d", tc.method, tc.rng, w.Body.Len(), len(tc.body))
		}
		if want := itoa(len(tc.body)); tc.body != nil && w.Header().Get("Content-Length") != want {
			t.Errorf("Range %q: Content-Length %q, want %s", tc.rng, w.Header().Get("Content-Length"), want)
		}
		if w.Header().Get("Accept-Ranges") != "bytes" {
			t.Errorf("Range %q: no Accept-Ranges: bytes", tc.rng)
		}
	}
	hz := f.handler(t, Options{Compression: "zstd"})
	req := httptest.NewRequest("GET", url+".zst", nil)
	req.Header.Set("Range", "bytes=10-")
	w := httptest.NewRecorder()
	hz.ServeHTTP(w, req)
	if w.Code != 200 || w.Header().Get("Accept-Ranges") != "" {
		t.Errorf("zstd with Range: %d, Accept-Ranges %q; want 200 and none", w.Code, w.Header().Get("Accept-Ranges"))
	}
}
