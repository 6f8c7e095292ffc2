package binarycache

import (
	"context"
	"fmt"
	"io"
	"sort"

	"gonix/internal/format/narinfo"
	"gonix/internal/store"
)

// PathInfo is the store.PathInfo a narinfo describes (full paths for
// references and deriver).
func (c *Cache) PathInfo(ni *narinfo.NarInfo) *store.PathInfo {
	info := &store.PathInfo{
		Path:    ni.StorePath,
		NarHash: ni.NarHash,
		NarSize: ni.NarSize,
		Sigs:    append([]string(nil), ni.Sigs...),
		CA:      ni.CA,
	}
	if ni.Deriver != "" {
		info.Deriver = c.storeDir + "/" + ni.Deriver
	}
	for _, ref := range ni.References {
		info.References = append(info.References, c.storeDir+"/"+ref)
	}
	sort.Strings(info.References)
	return info
}

// AsSource reads the cache as a Source for AddPath (copying from one
// cache into another): path infos from narinfos, NARs decompressed and
// checked against FileHash/FileSize/NarSize (AddPath checks NarHash).
func (c *Cache) AsSource() Source { return cacheSource{c} }

type cacheSource struct{ c *Cache }

func (s cacheSource) StoreDir() string { return s.c.storeDir }

func (s cacheSource) QueryPathInfo(ctx context.Context, path string) (*store.PathInfo, error) {
	ni, err := s.c.QueryPathInfo(ctx, path)
	if err != nil {
		return nil, err
	}
	return s.c.PathInfo(ni), nil
}

func (s cacheSource) DumpPath(ctx context.Context, path string, w io.Writer) error {
	ni, err := s.c.QueryPathInfo(ctx, path)
	if err != nil {
		return err
	}
	r, err := s.c.NAR(ctx, ni)
	if err != nil {
		return err
	}
	_, err = io.Copy(w, r)
	if cerr := r.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("reading '%s' from binary cache '%s': %w", path, s.c.URI(), err)
	}
	return nil
}

// NarInfoFor is the narinfo a store path's metadata amounts to (without
// URL and file fields), for checking its signatures against trusted keys
// (NarInfo.CheckSignatures) or signing it.
func NarInfoFor(info *store.PathInfo) *narinfo.NarInfo {
	return &narinfo.NarInfo{
		StorePath:  info.Path,
		NarHash:    info.NarHash,
		NarSize:    info.NarSize,
		References: baseNames(info.References),
		Deriver:    baseName(info.Deriver),
		Sigs:       append([]string(nil), info.Sigs...),
		CA:         info.CA,
	}
}
