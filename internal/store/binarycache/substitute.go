package binarycache

import (
	"bufio"
	"context"
	"fmt"

	"gonix/internal/format/hash"
	"gonix/internal/format/narinfo"
	"gonix/internal/store"
	"gonix/internal/store/local"
)

// Substitute fetches path from c into st, unless st already has it. With
// requireSigs the narinfo must carry a good signature by one of trusted
// (or be verifiably content-addressed), as Nix 2.8's LocalStore::addToStore
// demands of a substituter that is not trusted. The path's references must
// already be valid in st (SubstituteClosure sees to that). The NAR is
// streamed into the store (PrepareNAR), which checks NarHash and NarSize
// before anything is registered. Nothing is
// registered unless every check passes.
func Substitute(ctx context.Context, c *Cache, st *local.Store, path string, trusted []narinfo.PublicKey, requireSigs bool) error {
	if st.StoreDir() != c.storeDir {
		return fmt.Errorf("binary cache '%s' is for Nix stores with prefix '%s', not '%s'", c.URI(), c.storeDir, st.StoreDir())
	}
	valid, err := st.IsValidPath(ctx, path)
	if err != nil || valid {
		return err
	}
	ni, err := c.QueryPathInfo(ctx, path)
	if err != nil {
		return err
	}
	return substitute(ctx, c, st, ni, trusted, requireSigs)
}

// SubstituteInfo is Substitute for a narinfo already fetched (from
// QueryPathInfo or ClosureInfos); it does not look whether st has the path.
func SubstituteInfo(ctx context.Context, c *Cache, st *local.Store, ni *narinfo.NarInfo, trusted []narinfo.PublicKey, requireSigs bool) error {
	if st.StoreDir() != c.storeDir {
		return fmt.Errorf("binary cache '%s' is for Nix stores with prefix '%s', not '%s'", c.URI(), c.storeDir, st.StoreDir())
	}
	return substitute(ctx, c, st, ni, trusted, requireSigs)
}

func substitute(ctx context.Context, c *Cache, st *local.Store, ni *narinfo.NarInfo, trusted []narinfo.PublicKey, requireSigs bool) error {
	path := ni.StorePath
	if requireSigs {
		n, err := ni.CheckSignatures(trusted)
		if err != nil {
			return fmt.Errorf("substituting '%s' from '%s': %w", path, c.URI(), err)
		}
		if n < 1 {
			return fmt.Errorf("cannot add path '%s' because it lacks a valid signature (substituter '%s'; check trusted-public-keys)", path, c.URI())
		}
	}
	for _, ref := range ni.References {
		full := c.storeDir + "/" + ref
		if full == path {
			continue
		}
		ok, err := st.IsValidPath(ctx, full)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("cannot substitute '%s' from '%s': its reference '%s' is not valid; substitute its closure first: %w", path, c.URI(), full, store.ErrNotValid)
		}
	}
	pr, err := c.PrepareNAR(ctx, st, ni)
	if err == nil {
		err = pr.Commit(ctx)
	}
	if err != nil {
		return fmt.Errorf("substituting '%s' from '%s': %w", path, c.URI(), err)
	}
	return nil
}

// PrepareNAR streams the NAR of ni into a temporary object of st
// (local.Store.PrepareNAR, which checks NarHash, NarSize and the content
// address); Commit it once the paths ni refers to are valid. Like Nix, the
// NarHash decides: the compressed file's FileHash is not checked, so a
// corrupt NAR reads "hash mismatch importing path '…'".
func (c *Cache) PrepareNAR(ctx context.Context, st *local.Store, ni *narinfo.NarInfo) (*local.PreparedNAR, error) {
	plain := *ni
	plain.FileHash = hash.Hash{}
	r, err := c.NAR(ctx, &plain)
	if err != nil {
		return nil, err
	}
	var pr *local.PreparedNAR
	if nr, ok := r.(*narReader); ok && nr.mem != nil {
		// Decoded whole: hashed and checked before anything is written,
		// then restored from memory.
		data, err := nr.whole()
		if err == nil {
			pr, err = st.PrepareNARBytes(ctx, c.PathInfo(ni), data)
		}
		if err != nil {
			r.Close()
			return nil, err
		}
	} else {
		// The NAR reader reads its framing a few bytes at a time; serve
		// those from a buffer, not from the decompressor.
		pr, err = st.PrepareNAR(ctx, c.PathInfo(ni), bufio.NewReaderSize(r, 64<<10))
	}
	if cerr := r.Close(); err == nil && cerr != nil {
		pr.Discard()
		return nil, cerr
	}
	return pr, err
}

// SubstituteClosure substitutes paths and everything they refer to, as
// the cache's narinfos describe it (ClosureInfos), references before
// referrers; paths already valid in st are left alone.
func SubstituteClosure(ctx context.Context, c *Cache, st *local.Store, paths []string, trusted []narinfo.PublicKey, requireSigs bool) error {
	infos, err := c.ClosureInfos(ctx, paths)
	if err != nil {
		return err
	}
	for _, ni := range infos {
		valid, err := st.IsValidPath(ctx, ni.StorePath)
		if err != nil {
			return err
		}
		if valid {
			continue
		}
		if err := substitute(ctx, c, st, ni, trusted, requireSigs); err != nil {
			return err
		}
	}
	return nil
}
