package binarycache

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"strings"

	nixhash "gonix/internal/format/hash"
	"gonix/internal/format/narinfo"
	"gonix/internal/store"
)

// Source is where AddPath reads a path from: a local store, or another
// cache through (*Cache).AsSource.
type Source interface {
	StoreDir() string
	QueryPathInfo(ctx context.Context, path string) (*store.PathInfo, error)
	DumpPath(ctx context.Context, path string, w io.Writer) error
}

// AddPath copies the valid path from src into the cache the way `nix copy
// --to 'file://DIR?compression=C&secret-key=K'` does (Nix 2.8's
// BinaryCacheStore::addToStoreCommon): the NAR is compressed into
// nar/<nixbase32 of the file's SHA-256>.nar<ext> (kept if already there),
// then <hashPart>.narinfo is written with the path's metadata (deriver,
// signatures, content address; no System) and, with a key, a signature of
// its fingerprint. The NAR is stored first and the narinfo last, each
// atomically (an HTTP cache gets PUTs), so the path appears in the cache
// only complete. A path already in the cache is left alone, as `nix copy`
// does. Its references must be in the cache first. compression "" means
// the cache's compression= (default xz); a nil key means the cache's
// secret-key= (none by default). AddPath may run concurrently for
// different paths.
func (c *Cache) AddPath(ctx context.Context, src Source, path string, compression string, key *narinfo.SecretKey) error {
	if src.StoreDir() != c.storeDir {
		return fmt.Errorf("binary cache '%s' is for Nix stores with prefix '%s', not '%s'", c.URI(), c.storeDir, src.StoreDir())
	}
	if compression == "" {
		compression = c.compression
	}
	if key == nil {
		key = c.secretKey
	}
	if has, err := c.Has(ctx, path); err != nil || has {
		return err
	}
	info, err := src.QueryPathInfo(ctx, path)
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

	tmp, err := os.CreateTemp(c.backend.tempDir(), ".add-*.tmp")
	if err != nil {
		return fmt.Errorf("binary cache %s: %w", c.URI(), err)
	}
	tmpName := tmp.Name()
	defer os.Remove(tmpName) // a no-op once committed
	fileHash, fileSize := sha256.New(), &countWriter{}
	comp, err := c.compressor(compression, c.compressionLevel, info.NarSize, io.MultiWriter(tmp, fileHash, fileSize))
	if err != nil {
		tmp.Close()
		return fmt.Errorf("binary cache %s: %w", c.URI(), err)
	}
	narHash, narSize := sha256.New(), &countWriter{}
	err = src.DumpPath(ctx, path, io.MultiWriter(comp, narHash, narSize))
	if cerr := comp.Close(); err == nil {
		err = cerr
	}
	if err == nil && c.dir != "" {
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
	ni.URL = "nar/" + ni.FileHash.Base32() + ".nar" + Extension(compression)
	if err := c.backend.commit(ctx, ni.URL, tmpName, typeNAR); err != nil {
		return err
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
	if err := c.backend.put(ctx, name, ni.MarshalText(), typeNarInfo); err != nil {
		return err
	}
	c.present.Store(path, true)
	return nil
}

type countWriter struct{ n uint64 }

func (c *countWriter) Write(p []byte) (int, error) { c.n += uint64(len(p)); return len(p), nil }

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
