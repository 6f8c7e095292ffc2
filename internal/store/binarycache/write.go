package binarycache

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"

	nixhash "gonix/internal/format/hash"
	"gonix/internal/format/narinfo"
	"gonix/internal/store/local"
)

// writeFile stores name (relative to the cache) atomically, as Nix's
// LocalBinaryCacheStore::upsertFile does: a temporary file
// <name>.tmp.<pid>.<n> is written, synced and renamed into place.
func (c *Cache) writeFile(ctx context.Context, name string, r io.Reader) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	dst := filepath.Join(c.dir, filepath.FromSlash(name))
	tmp := fmt.Sprintf("%s.tmp.%d.%d", dst, os.Getpid(), c.tmpCounter.Add(1))
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("binary cache %s: writing %s: %w", c.URI(), name, err)
	}
	_, err = io.Copy(f, r)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, dst)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("binary cache %s: writing %s: %w", c.URI(), name, err)
	}
	return nil
}

// extension is the NAR file suffix Nix 2.8 gives a compression method
// (binary-cache-store.cc, addToStoreCommon); every other method, gzip and
// none included, gets none.
func extension(compression string) string {
	switch compression {
	case "xz":
		return ".xz"
	case "bzip2":
		return ".bz2"
	case "zstd":
		return ".zst"
	case "lzip":
		return ".lzip"
	case "lz4":
		return ".lz4"
	case "br":
		return ".br"
	}
	return ""
}

type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }

// compressor returns a writer compressing into w. Writing supports none,
// xz and zstd; reading (NAR) also supports bzip2.
func compressor(compression string, w io.Writer) (io.WriteCloser, error) {
	switch compression {
	case "none":
		return nopWriteCloser{w}, nil
	case "xz":
		return xz.NewWriter(w)
	case "zstd":
		return zstd.NewWriter(w, zstd.WithEncoderConcurrency(1))
	}
	return nil, fmt.Errorf("compression method '%s' is not supported for writing (use none, xz or zstd)", compression)
}

type countWriter struct{ n uint64 }

func (c *countWriter) Write(p []byte) (int, error) { c.n += uint64(len(p)); return len(p), nil }

// AddPath copies the valid path from st into the cache the way `nix copy
// --to 'file://DIR?compression=C&secret-key=K'` does (Nix 2.8's
// BinaryCacheStore::addToStoreCommon): the NAR is compressed into
// nar/<nixbase32 of the file's SHA-256>.nar<ext> (kept if already there),
// then <hashPart>.narinfo is written with the path's metadata (deriver,
// signatures, content address; no System) and, with key, a signature of
// its fingerprint. Both files are written atomically, the narinfo last, so
// the path appears in the cache only complete. A path already in the cache
// is left alone, as `nix copy` does. Its references must be in the cache
// first. compression "" means xz, Nix's default.
func (c *Cache) AddPath(ctx context.Context, st *local.Store, path string, compression string, key *narinfo.SecretKey) error {
	if st.StoreDir() != c.storeDir {
		return fmt.Errorf("binary cache '%s' is for Nix stores with prefix '%s', not '%s'", c.URI(), c.storeDir, st.StoreDir())
	}
	if compression == "" {
		compression = "xz"
	}
	if has, err := c.Has(ctx, path); err != nil || has {
		return err
	}
	info, err := st.QueryPathInfo(ctx, path)
	if err != nil {
		return fmt.Errorf("copying '%s' to binary cache '%s': %w", path, c.URI(), err)
	}
	for _, ref := range info.References {
		if ref == path {
			continue
		}
		has, err := c.Has(ctx, ref)
		if err != nil {
			return err
		}
		if !has {
			return fmt.Errorf("cannot add '%s' to the binary cache because the reference '%s' is not valid", path, ref)
		}
	}

	tmp, err := os.CreateTemp(filepath.Join(c.dir, "nar"), ".add-*.tmp")
	if err != nil {
		return fmt.Errorf("binary cache %s: %w", c.URI(), err)
	}
	tmpName := tmp.Name()
	defer os.Remove(tmpName) // a no-op once renamed
	fileHash, fileSize := sha256.New(), &countWriter{}
	comp, err := compressor(compression, io.MultiWriter(tmp, fileHash, fileSize))
	if err != nil {
		tmp.Close()
		return fmt.Errorf("binary cache %s: %w", c.URI(), err)
	}
	narHash, narSize := sha256.New(), &countWriter{}
	err = st.DumpPath(ctx, path, io.MultiWriter(comp, narHash, narSize))
	if cerr := comp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("copying '%s' to binary cache '%s': %w", path, c.URI(), err)
	}
	// Nix 2.8 leaves this check as a FIXME; uploading a path whose files no
	// longer match its registration would poison the cache, so refuse.
	gotNar := nixhash.Hash{Algo: nixhash.SHA256, Digest: narHash.Sum(nil)}
	if !bytes.Equal(gotNar.Digest, info.NarHash.Digest) || narSize.n != info.NarSize {
		return fmt.Errorf("copying '%s' to binary cache '%s': the path's contents (%s, %d bytes) do not match its registration (%s, %d bytes); run nix-store --verify --check-contents",
			path, c.URI(), gotNar.Encode(nixhash.Base32, true), narSize.n, info.NarHash.Encode(nixhash.Base32, true), info.NarSize)
	}

	ni := &narinfo.NarInfo{
		StorePath:   path,
		Compression: compression,
		FileHash:    nixhash.Hash{Algo: nixhash.SHA256, Digest: fileHash.Sum(nil)},
		FileSize:    fileSize.n,
		NarHash:     info.NarHash,
		NarSize:     info.NarSize,
		References:  baseNames(info.References),
		Deriver:     baseName(info.Deriver),
		Sigs:        append([]string(nil), info.Sigs...),
		CA:          info.CA,
	}
	ni.URL = "nar/" + ni.FileHash.Base32() + ".nar" + extension(compression)
	narPath := filepath.Join(c.dir, filepath.FromSlash(ni.URL))
	if _, err := os.Lstat(narPath); errors.Is(err, fs.ErrNotExist) {
		if err := os.Rename(tmpName, narPath); err != nil {
			return fmt.Errorf("binary cache %s: writing %s: %w", c.URI(), ni.URL, err)
		}
		if err := syncDir(filepath.Dir(narPath)); err != nil {
			return fmt.Errorf("binary cache %s: %w", c.URI(), err)
		}
	} else if err != nil {
		return fmt.Errorf("binary cache %s: %w", c.URI(), err)
	}
	if key != nil {
		if err := ni.Sign(*key); err != nil {
			return fmt.Errorf("signing '%s' for binary cache '%s': %w", path, c.URI(), err)
		}
	}
	name, err := c.narinfoName(path)
	if err != nil {
		return err
	}
	return c.writeFile(ctx, name, bytes.NewReader(ni.MarshalText()))
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

func baseName(p string) string {
	if p == "" {
		return ""
	}
	return p[strings.LastIndexByte(p, '/')+1:]
}

func baseNames(paths []string) []string {
	out := make([]string, 0, len(paths))
	for _, p := range paths {
		out = append(out, baseName(p))
	}
	return out
}
