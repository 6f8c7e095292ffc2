package binarycache

import (
	"bufio"
	"bytes"
	"compress/bzip2"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"

	nixhash "gonix/internal/format/hash"
	"gonix/internal/format/narinfo"
	"gonix/internal/format/storepath"
)

// ErrNotFound is wrapped by errors about a path the cache does not hold
// (its <hashPart>.narinfo does not exist).
var ErrNotFound = errors.New("path is not in the binary cache")

// Cache is an open file:// binary cache.
type Cache struct {
	dir           string
	storeDir      string
	wantMassQuery bool
	priority      int
	tmpCounter    atomic.Uint64
}

// Open opens the binary cache in dir for the default store directory
// /nix/store, creating it on first use (see OpenStoreDir).
func Open(dir string) (*Cache, error) {
	return OpenStoreDir(dir, storepath.DefaultStoreDir)
}

// OpenStoreDir opens the binary cache in dir for stores whose logical
// directory is storeDir. Like Nix's BinaryCacheStore::init and
// LocalBinaryCacheStore::init it creates dir, nar/, log/ and realisations/
// and, when nix-cache-info is missing, writes it with only
// "StoreDir: <storeDir>"; an existing nix-cache-info must name storeDir and
// may set WantMassQuery ("1") and Priority.
func OpenStoreDir(dir, storeDir string) (*Cache, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("binary cache %q: %w", dir, err)
	}
	c := &Cache{dir: dir, storeDir: storeDir}
	for _, sub := range []string{"", "nar", "log", "realisations"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return nil, fmt.Errorf("binary cache %s: %w", c.URI(), err)
		}
	}
	data, err := os.ReadFile(filepath.Join(dir, "nix-cache-info"))
	if errors.Is(err, fs.ErrNotExist) {
		if err := c.writeFile(context.Background(), "nix-cache-info", bytes.NewReader([]byte("StoreDir: "+storeDir+"\n"))); err != nil {
			return nil, err
		}
		return c, nil
	}
	if err != nil {
		return nil, fmt.Errorf("binary cache %s: %w", c.URI(), err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		value = strings.TrimSpace(value)
		switch name {
		case "StoreDir":
			if value != storeDir {
				return nil, fmt.Errorf("binary cache '%s' is for Nix stores with prefix '%s', not '%s'", c.URI(), value, storeDir)
			}
		case "WantMassQuery":
			c.wantMassQuery = value == "1"
		case "Priority":
			// Nix's std::stoi: leading digits of an optionally signed number.
			n, err := strconv.Atoi(leadingInt(value))
			if err != nil {
				return nil, fmt.Errorf("binary cache %s: nix-cache-info: bad Priority %q: %w", c.URI(), value, err)
			}
			c.priority = n
		}
	}
	return c, nil
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

// URI is the cache's store URI, file://<dir>.
func (c *Cache) URI() string { return "file://" + c.dir }

// Dir is the cache's directory.
func (c *Cache) Dir() string { return c.dir }

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
	name, err := c.narinfoName(storePath)
	if err != nil {
		return false, err
	}
	_, err = os.Stat(filepath.Join(c.dir, name))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("binary cache %s: %w", c.URI(), err)
	}
	return true, nil
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
	data, err := os.ReadFile(filepath.Join(c.dir, name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("path '%s' is not in binary cache '%s' (no %s): %w", storePath, c.URI(), name, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("binary cache %s: %w", c.URI(), err)
	}
	ni, err := narinfo.Parse(c.storeDir, data)
	if err != nil {
		return nil, fmt.Errorf("NAR info file '%s' in binary cache '%s' is corrupt: %w", name, c.URI(), err)
	}
	if ni.StorePath != storePath {
		return nil, fmt.Errorf("NAR info file '%s' in binary cache '%s' describes '%s', not '%s'", name, c.URI(), ni.StorePath, storePath)
	}
	return ni, nil
}

// narFile returns the file path of a narinfo's URL, refusing URLs that
// would leave the cache directory (a file:// cache only serves its own
// files).
func (c *Cache) narFile(url string) (string, error) {
	clean := path.Clean(url)
	if url == "" || path.IsAbs(url) || clean == "." || clean == ".." || strings.HasPrefix(clean, "../") || strings.Contains(url, "://") {
		return "", fmt.Errorf("binary cache %s: NAR URL %q is not a file inside the cache", c.URI(), url)
	}
	return filepath.Join(c.dir, filepath.FromSlash(clean)), nil
}

// NAR opens the NAR of ni, decompressed according to ni.Compression (none,
// xz, zstd or bzip2; Nix reads an absent Compression as bzip2). The stored
// file's size and SHA-256 are checked against ni.FileSize and ni.FileHash
// as it streams, and the NAR's length against ni.NarSize: a mismatch is a
// read error at the latest when the last byte of the NAR would be
// delivered, so a reader that consumes exactly NarSize bytes still sees it.
// The NarHash itself is the consumer's to check (local.Store.AddNAR does).
func (c *Cache) NAR(ctx context.Context, ni *narinfo.NarInfo) (io.ReadCloser, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	name, err := c.narFile(ni.URL)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("file '%s' does not exist in binary cache '%s' (NAR of '%s'): %w", ni.URL, c.URI(), ni.StorePath, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("binary cache %s: %w", c.URI(), err)
	}
	r := &narReader{ctx: ctx, ni: ni, uri: c.URI(), f: f}
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
	f     *os.File
	file  *fileHashReader
	dec   io.Reader
	close func()
	n     uint64
	err   error // sticky: the stream is over (io.EOF) or bad
}

func (r *narReader) openDecompressor() error {
	switch r.ni.Compression {
	case "none", "":
		r.dec = r.file
	case "xz":
		xr, err := xz.NewReader(bufio.NewReader(r.file))
		if err != nil {
			return r.errorf("xz: %w", err)
		}
		r.dec = xr
	case "zstd":
		zr, err := zstd.NewReader(r.file, zstd.WithDecoderConcurrency(1))
		if err != nil {
			return r.errorf("zstd: %w", err)
		}
		r.dec, r.close = zr, zr.Close
	case "bzip2":
		r.dec = bzip2.NewReader(bufio.NewReader(r.file))
	default:
		return r.errorf("compression method '%s' is not supported", r.ni.Compression)
	}
	return nil
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
	return io.EOF
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
