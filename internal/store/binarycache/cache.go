package binarycache

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/andybalholm/brotli"
	dbzip2 "github.com/dsnet/compress/bzip2"
	"github.com/klauspost/compress/zstd"
	xz2 "github.com/xi2/xz"

	nixhash "gonix/internal/format/hash"
	"gonix/internal/format/narinfo"
	"gonix/internal/format/storepath"
)

// ErrNotFound is wrapped by errors about a path the cache does not hold
// (its <hashPart>.narinfo does not exist).
var ErrNotFound = errors.New("path is not in the binary cache")

// Cache is an open binary cache: a file:// directory or an http(s)://
// server. Its methods may be called from many goroutines at once.
type Cache struct {
	backend backend
	dir     string // file:// caches only

	storeDir                string
	wantMassQuery           bool
	wantMassQueryOverridden bool
	priority                int
	priorityOverridden      bool

	// Writing: compression= (default xz), compression-level= (-1 is the
	// method's default) and secret-key= of the cache URL.
	compression      string
	compressionLevel int
	secretKey        *narinfo.SecretKey

	// present remembers narinfos known to exist (found or written), so
	// that the reference checks of AddPath do not ask the server again;
	// Nix keeps a path-info cache for the same reason.
	present sync.Map
	enc     encoders
}

// Open opens the binary cache in dir for the default store directory
// /nix/store, creating it on first use (see OpenStoreDir).
func Open(dir string) (*Cache, error) {
	return OpenStoreDir(dir, storepath.DefaultStoreDir)
}

// OpenStoreDir opens the file:// binary cache in dir for stores whose
// logical directory is storeDir. Like Nix's BinaryCacheStore::init and
// LocalBinaryCacheStore::init it creates dir, nar/, log/ and realisations/
// and, when nix-cache-info is missing, writes it with only
// "StoreDir: <storeDir>"; an existing nix-cache-info must name storeDir and
// may set WantMassQuery ("1") and Priority.
func OpenStoreDir(dir, storeDir string) (*Cache, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("binary cache %q: %w", dir, err)
	}
	c := &Cache{backend: &fileBackend{dir: dir}, dir: dir, storeDir: storeDir, compression: "xz", compressionLevel: -1}
	if err := c.init(context.Background()); err != nil {
		return nil, err
	}
	return c, nil
}

// init is BinaryCacheStore::init: read nix-cache-info, or create it.
func (c *Cache) init(ctx context.Context) error {
	if c.dir != "" {
		for _, sub := range []string{"", "nar", "log", "realisations"} {
			if err := os.MkdirAll(filepath.Join(c.dir, sub), 0o755); err != nil {
				return fmt.Errorf("binary cache %s: %w", c.URI(), err)
			}
		}
	}
	data, err := c.backend.get(ctx, "nix-cache-info")
	if errors.Is(err, ErrNotFound) {
		if err := c.backend.put(ctx, "nix-cache-info", []byte("StoreDir: "+c.storeDir+"\n"), typeCacheInfo); err != nil {
			if c.dir == "" {
				return fmt.Errorf("'%s' does not appear to be a binary cache: %w", c.URI(), err)
			}
			return err
		}
		return nil
	}
	if err != nil {
		return err
	}
	for _, line := range strings.Split(string(data), "\n") {
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		value = strings.TrimSpace(value)
		switch name {
		case "StoreDir":
			if value != c.storeDir {
				return fmt.Errorf("binary cache '%s' is for Nix stores with prefix '%s', not '%s'", c.URI(), value, c.storeDir)
			}
		case "WantMassQuery":
			if !c.wantMassQueryOverridden {
				c.wantMassQuery = value == "1"
			}
		case "Priority":
			// Nix's std::stoi: leading digits of an optionally signed number.
			n, err := strconv.Atoi(leadingInt(value))
			if err != nil {
				return fmt.Errorf("binary cache %s: nix-cache-info: bad Priority %q: %w", c.URI(), value, err)
			}
			if !c.priorityOverridden {
				c.priority = n
			}
		}
	}
	return nil
}

// Close releases the cache's idle connections.
func (c *Cache) Close() error {
	if b, ok := c.backend.(*httpBackend); ok && b.release != nil {
		b.release()
	}
	return nil
}

func leadingInt(s string) string {
	i := 0
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		i++
	}
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return s[:i]
}

// URI is the cache's store URI: file://<dir> or the http(s) URL without
// parameters and trailing slash.
func (c *Cache) URI() string { return c.backend.uri() }

// Dir is a file:// cache's directory ("" for an http(s) cache).
func (c *Cache) Dir() string { return c.dir }

// Compression is the method AddPath uses when given none (compression=).
func (c *Cache) Compression() string { return c.compression }

// SecretKey is the key of secret-key=, or nil.
func (c *Cache) SecretKey() *narinfo.SecretKey { return c.secretKey }

// StoreDir is the logical store directory the cache serves.
func (c *Cache) StoreDir() string { return c.storeDir }

// WantMassQuery is nix-cache-info's WantMassQuery.
func (c *Cache) WantMassQuery() bool { return c.wantMassQuery }

// Priority is nix-cache-info's Priority (0 when unset).
func (c *Cache) Priority() int { return c.priority }

// narinfoName is the cache file describing storePath: <hashPart>.narinfo.
func (c *Cache) narinfoName(storePath string) (string, error) {
	hashPart, _, err := storepath.ParsePath(c.storeDir, storePath)
	if err != nil {
		return "", fmt.Errorf("binary cache %s: %w", c.URI(), err)
	}
	return hashPart + ".narinfo", nil
}

// Has reports whether the cache holds storePath (its narinfo exists).
func (c *Cache) Has(ctx context.Context, storePath string) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	if _, ok := c.present.Load(storePath); ok {
		return true, nil
	}
	name, err := c.narinfoName(storePath)
	if err != nil {
		return false, err
	}
	ok, err := c.backend.exists(ctx, name)
	if ok {
		c.present.Store(storePath, true)
	}
	return ok, err
}

// QueryPathInfo reads the narinfo of storePath. A path the cache does not
// hold is an error wrapping ErrNotFound.
func (c *Cache) QueryPathInfo(ctx context.Context, storePath string) (*narinfo.NarInfo, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	name, err := c.narinfoName(storePath)
	if err != nil {
		return nil, err
	}
	data, err := c.backend.get(ctx, name)
	if errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("path '%s' is not in binary cache '%s' (no %s): %w", storePath, c.URI(), name, ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	ni, err := narinfo.Parse(c.storeDir, data)
	if err != nil {
		return nil, fmt.Errorf("NAR info file '%s' in binary cache '%s' is corrupt: %w", name, c.URI(), err)
	}
	if ni.StorePath != storePath {
		return nil, fmt.Errorf("NAR info file '%s' in binary cache '%s' describes '%s', not '%s'", name, c.URI(), ni.StorePath, storePath)
	}
	c.present.Store(storePath, true)
	return ni, nil
}

// NAR opens the NAR of ni, decompressed according to ni.Compression (none,
// xz, zstd, bzip2 or br; Nix reads an absent Compression as bzip2). The stored
// file's size and SHA-256 are checked against ni.FileSize and ni.FileHash
// as it streams, and the NAR's length against ni.NarSize: a mismatch is a
// read error at the latest when the last byte of the NAR would be
// delivered, so a reader that consumes exactly NarSize bytes still sees it.
// The NarHash itself is the consumer's to check (local.Store.AddNAR does).
func (c *Cache) NAR(ctx context.Context, ni *narinfo.NarInfo) (io.ReadCloser, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f, err := c.backend.open(ctx, ni.URL)
	if errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("file '%s' does not exist in binary cache '%s' (NAR of '%s'): %w", ni.URL, c.URI(), ni.StorePath, ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	r := &narReader{ctx: ctx, ni: ni, uri: c.URI(), f: f, pool: &c.enc}
	r.file = &fileHashReader{r: f}
	if ni.FileHash.Algo != 0 {
		r.file.h = newHasher(ni.FileHash.Algo)
		if r.file.h == nil {
			f.Close()
			return nil, fmt.Errorf("binary cache %s: NAR of '%s': unsupported FileHash algorithm in %q", c.URI(), ni.StorePath, ni.FileHash.Encode(nixhash.Base32, true))
		}
	}
	if err := r.openDecompressor(); err != nil {
		f.Close()
		return nil, err
	}
	return r, nil
}

func newHasher(a nixhash.Algo) hash.Hash {
	if a == nixhash.SHA256 {
		return sha256.New()
	}
	return nil
}

type fileHashReader struct {
	r io.Reader
	h hash.Hash // nil when the narinfo has no FileHash
	n uint64
}

func (f *fileHashReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	f.n += uint64(n)
	if f.h != nil {
		f.h.Write(p[:n])
	}
	return n, err
}

type narReader struct {
	ctx   context.Context
	ni    *narinfo.NarInfo
	uri   string
	f     io.ReadCloser
	file  *fileHashReader
	dec   io.Reader
	close func()
	pool  *encoders
	n     uint64
	err   error // sticky: the stream is over (io.EOF) or bad
	// mem is the NAR when it was decoded whole (dec reads it).
	mem []byte
}

func (r *narReader) openDecompressor() error {
	switch r.ni.Compression {
	case "none", "":
		r.dec = r.file
	case "xz":
		// xi2/xz (a port of XZ Embedded) decodes with about 28% less
		// CPU than ulikunitz/xz, which still writes; 0 allows Nix's
		// largest preset dictionary (64 MiB).
		xr, err := xz2.NewReader(bufio.NewReader(xzSmallDict(r.file, r.ni.NarSize)), 0)
		if err != nil {
			return r.errorf("xz: %w", err)
		}
		r.dec = xr
	case "zstd":
		if r.ni.NarSize > 0 && r.ni.NarSize <= wholeZstdLimit && r.ni.FileSize <= wholeZstdLimit {
			return r.decodeWholeZstd()
		}
		// Decoders are reused: a new one allocates its window buffers.
		zr, ok := r.pool.zstdDec.Get().(*zstd.Decoder)
		var err error
		if ok {
			err = zr.Reset(r.file)
		} else {
			zr, err = zstd.NewReader(r.file, zstd.WithDecoderConcurrency(1))
		}
		if err != nil {
			return r.errorf("zstd: %w", err)
		}
		r.dec = zr
		r.close = func() {
			if zr.Reset(nil) == nil {
				r.pool.zstdDec.Put(zr)
			} else {
				zr.Close()
			}
		}
	case "bzip2":
		// dsnet's reader: the standard library's decoded 4 MiB of mixed
		// data at 2.7 MB/s in BenchmarkNARRead.
		br, err := dbzip2.NewReader(bufio.NewReader(r.file), nil)
		if err != nil {
			return r.errorf("bzip2: %w", err)
		}
		r.dec, r.close = br, func() { br.Close() }
	case "br":
		r.dec = brotli.NewReader(r.file)
	default:
		return r.errorf("compression method '%s' is not supported", r.ni.Compression)
	}
	return nil
}

// decodeWholeZstd reads the whole (small) compressed file and decodes it
// in one call into a buffer of NarSize bytes; the usual checks (NarSize,
// FileSize, FileHash) still apply as the result is read.
func (r *narReader) decodeWholeZstd() error {
	dec, err := r.pool.zstdAllDecoder()
	if err != nil {
		return r.errorf("zstd: %w", err)
	}
	// The compressed file is read into a pooled buffer of its size (from
	// FileSize when the narinfo says it): io.ReadAll's growing and
	// zeroing of fresh buffers cost a tenth of the decoding.
	sp, _ := r.pool.zstdIn.Get().(*[]byte)
	if sp == nil {
		sp = new([]byte)
	}
	defer r.pool.zstdIn.Put(sp)
	src, err := readAllInto((*sp)[:0], io.LimitReader(r.file, wholeZstdLimit+1), r.ni.FileSize)
	*sp = src[:0]
	if err != nil {
		return r.errorf("%w", err)
	}
	bp, _ := r.pool.zstdOut.Get().(*[]byte)
	if bp == nil {
		bp = new([]byte)
	}
	if uint64(cap(*bp)) < r.ni.NarSize {
		*bp = make([]byte, 0, r.ni.NarSize)
	}
	out, err := dec.DecodeAll(src, (*bp)[:0])
	if err != nil {
		r.pool.zstdOut.Put(bp)
		return r.errorf("zstd: %w", err)
	}
	r.dec = bytes.NewReader(out)
	r.mem = out
	r.close = func() {
		*bp = out[:0]
		r.pool.zstdOut.Put(bp)
	}
	return nil
}

// readAllInto appends everything r holds to buf and returns it; size is
// the expected length (0 if unknown), so that one buffer fits it.
func readAllInto(buf []byte, r io.Reader, size uint64) ([]byte, error) {
	if want := int(size) + 1; size > 0 && size < wholeZstdLimit && cap(buf) < want {
		buf = make([]byte, 0, want)
	}
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

func (r *narReader) errorf(format string, args ...any) error {
	return fmt.Errorf("binary cache %s: NAR %s of '%s': %w", r.uri, r.ni.URL, r.ni.StorePath, fmt.Errorf(format, args...))
}

func (r *narReader) Read(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	if err := r.ctx.Err(); err != nil {
		r.err = err
		return 0, err
	}
	n, err := r.dec.Read(p)
	r.n += uint64(n)
	switch {
	case r.n > r.ni.NarSize:
		r.err = r.errorf("NAR is longer than NarSize %d", r.ni.NarSize)
		return 0, r.err
	case r.n == r.ni.NarSize:
		// The last byte: finish the stream now, so that a consumer reading
		// exactly NarSize bytes never accepts a file that does not match.
		r.err = r.finish()
		if r.err != io.EOF {
			return 0, r.err
		}
		return n, nil
	case errors.Is(err, io.EOF):
		r.err = r.errorf("NAR is %d bytes, NarSize says %d", r.n, r.ni.NarSize)
		return n, r.err
	case err != nil:
		r.err = r.errorf("%w", err)
		return n, r.err
	}
	return n, nil
}

// whole returns the NAR decoded whole (mem) after checking the stored
// file (FileSize, FileHash); it is valid until Close. Its NarHash and
// NarSize are the consumer's to check, hash first, as Nix does.
func (r *narReader) whole() ([]byte, error) {
	if err := r.ctx.Err(); err != nil {
		return nil, err
	}
	if err := r.checkFile(); err != nil {
		return nil, err
	}
	return r.mem, nil
}

// finish checks that the decompressed stream ends here and that the stored
// file matches FileSize and FileHash; it returns io.EOF when all is well.
func (r *narReader) finish() error {
	var extra [1]byte
	for {
		n, err := r.dec.Read(extra[:])
		if n > 0 {
			return r.errorf("NAR is longer than NarSize %d", r.ni.NarSize)
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return r.errorf("%w", err)
		}
	}
	if err := r.checkFile(); err != nil {
		return err
	}
	return io.EOF
}

// checkFile reads the stored file to its end and checks FileSize and
// FileHash.
func (r *narReader) checkFile() error {
	// Trailing bytes after the compressed stream are part of the file too.
	if _, err := io.Copy(io.Discard, r.file); err != nil {
		return r.errorf("%w", err)
	}
	if r.ni.FileSize != 0 && r.file.n != r.ni.FileSize {
		return r.errorf("file is %d bytes, FileSize says %d", r.file.n, r.ni.FileSize)
	}
	if r.file.h != nil {
		got := nixhash.Hash{Algo: r.ni.FileHash.Algo, Digest: r.file.h.Sum(nil)}
		if !bytes.Equal(got.Digest, r.ni.FileHash.Digest) {
			return r.errorf("hash mismatch: FileHash says %s, file has %s",
				r.ni.FileHash.Encode(nixhash.Base32, true), got.Encode(nixhash.Base32, true))
		}
	}
	return nil
}

func (r *narReader) Close() error {
	if r.close != nil {
		r.close()
	}
	if err := r.f.Close(); err != nil {
		return fmt.Errorf("binary cache %s: %w", r.uri, err)
	}
	return nil
}
