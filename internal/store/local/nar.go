package local

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"

	"gonix/internal/format/derivation"
	"gonix/internal/format/hash"
	"gonix/internal/format/nar"
	"gonix/internal/format/storepath"
	"gonix/internal/store"
)

// AddNAR restores the NAR read from r as info.Path and registers it with
// info's metadata (import, substitution, nix copy). The NAR is checked
// against info.NarHash and info.NarSize, a content address against the
// path, and a .drv's outputs against its contents, before anything becomes
// valid. The NAR is consumed exactly; a hostile archive is refused by the
// NAR reader before it can write outside the temporary directory.
func (s *Store) AddNAR(ctx context.Context, info *store.PathInfo, r io.Reader) error {
	if _, err := storepath.Parse(s.storeDir, info.Path); err != nil {
		return err
	}
	if s.readOnly {
		return fmt.Errorf("cannot add '%s': the store at '%s' is open read-only", info.Path, s.realStore)
	}
	obj := s.tempName("import")
	defer deletePath(obj)
	h := sha256.New()
	var size int64
	tr := io.TeeReader(r, io.MultiWriter(h, &countWriter{n: &size}))
	if err := nar.Restore(tr, obj); err != nil {
		return fmt.Errorf("importing path '%s': %w", info.Path, err)
	}
	got := hash.Hash{Algo: hash.SHA256, Digest: h.Sum(nil)}
	if info.NarHash.Algo != 0 && !info.NarHash.Equal(got) {
		return fmt.Errorf("hash mismatch importing path '%s';\n  specified: %s\n  got:       %s",
			info.Path, info.NarHash.Encode(hash.Base32, true), got.Encode(hash.Base32, true))
	}
	if info.NarSize != 0 && info.NarSize != uint64(size) {
		return fmt.Errorf("size mismatch importing path '%s';\n  specified: %d\n  got:       %d", info.Path, info.NarSize, size)
	}
	in := *info
	in.NarHash, in.NarSize = got, uint64(size)
	in.References = sortedCopy(info.References)
	if in.CA != "" {
		if err := store.CheckCA(s.storeDir, in.Path, in.CA, in.References); err != nil {
			return err
		}
	}
	var drv *derivation.Derivation
	if storepath.IsStorePath(s.storeDir, in.Path) && bytes.HasSuffix([]byte(in.Path), []byte(".drv")) {
		data, err := readFileLimited(obj)
		if err != nil {
			return fmt.Errorf("importing derivation '%s': %w", in.Path, err)
		}
		if drv, err = derivation.ParseATerm(data); err != nil {
			return fmt.Errorf("importing derivation '%s': %w", in.Path, err)
		}
	}
	return s.install(ctx, &in, obj, drv, false)
}

// DumpPath writes the NAR serialisation of a valid path to w.
func (s *Store) DumpPath(ctx context.Context, path string, w io.Writer) error {
	if ok, err := s.IsValidPath(ctx, path); err != nil {
		return err
	} else if !ok {
		return s.notValid(path)
	}
	return nar.Dump(w, s.RealPath(path), nil)
}
