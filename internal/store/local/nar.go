package local

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"sort"

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
	p, err := s.PrepareNAR(ctx, info, r)
	if err != nil {
		return err
	}
	return p.Commit(ctx)
}

// PreparedNAR is a NAR restored and checked under a temporary name in the
// store, not yet in place nor registered (the first half of AddNAR). It
// lets a caller download and unpack a path before the paths it refers to
// are valid, and commit it once they are.
type PreparedNAR struct {
	s    *Store
	info store.PathInfo
	obj  string
	drv  *derivation.Derivation
	done bool
}

// PrepareNAR restores the NAR read from r under a temporary name and
// checks it against info (NarHash, NarSize, content address, a .drv's
// outputs) as AddNAR does. Commit or Discard the result.
func (s *Store) PrepareNAR(ctx context.Context, info *store.PathInfo, r io.Reader) (*PreparedNAR, error) {
	return s.prepare(info, func(obj string) (hash.Hash, int64, error) {
		h := sha256.New()
		var size int64
		tr := io.TeeReader(r, io.MultiWriter(h, &countWriter{n: &size}))
		if err := s.restoreOptions().Restore(tr, obj); err != nil {
			return hash.Hash{}, 0, fmt.Errorf("importing path '%s': %w", info.Path, err)
		}
		return hash.Hash{Algo: hash.SHA256, Digest: h.Sum(nil)}, size, nil
	})
}

// PrepareNARBytes is PrepareNAR for a NAR held in memory: it is hashed
// before anything is written (a NAR that does not match info is refused
// without touching the disk), and restored without copies.
func (s *Store) PrepareNARBytes(ctx context.Context, info *store.PathInfo, data []byte) (*PreparedNAR, error) {
	return s.prepare(info, func(obj string) (hash.Hash, int64, error) {
		sum := sha256.Sum256(data)
		got := hash.Hash{Algo: hash.SHA256, Digest: sum[:]}
		if err := checkNAR(info, got, int64(len(data))); err != nil {
			return hash.Hash{}, 0, err
		}
		n, err := s.restoreOptions().RestoreBytes(data, obj)
		if err != nil {
			return hash.Hash{}, 0, fmt.Errorf("importing path '%s': %w", info.Path, err)
		}
		if n != len(data) {
			return hash.Hash{}, 0, fmt.Errorf("importing path '%s': %d bytes after the end of the archive", info.Path, len(data)-n)
		}
		return got, int64(n), nil
	})
}

// checkNAR compares a NAR's hash and size with what info says (Nix's
// wording).
func checkNAR(info *store.PathInfo, got hash.Hash, size int64) error {
	if info.NarHash.Algo != 0 && !info.NarHash.Equal(got) {
		return fmt.Errorf("hash mismatch importing path '%s';\n  specified: %s\n  got:       %s",
			info.Path, info.NarHash.Encode(hash.Base32, true), got.Encode(hash.Base32, true))
	}
	if info.NarSize != 0 && info.NarSize != uint64(size) {
		return fmt.Errorf("size mismatch importing path '%s';\n  specified: %d\n  got:       %d", info.Path, info.NarSize, size)
	}
	return nil
}

// prepare restores a NAR under a temporary name with restore, which
// returns the NAR's hash and size, and checks it against info.
func (s *Store) prepare(info *store.PathInfo, restore func(obj string) (hash.Hash, int64, error)) (*PreparedNAR, error) {
	if _, err := storepath.Parse(s.storeDir, info.Path); err != nil {
		return nil, err
	}
	if s.readOnly {
		return nil, fmt.Errorf("cannot add '%s': the store at '%s' is open read-only", info.Path, s.realStore)
	}
	obj := s.tempName("import")
	ok := false
	defer func() {
		if !ok {
			deletePath(obj)
		}
	}()
	got, size, err := restore(obj)
	if err != nil {
		return nil, err
	}
	if err := checkNAR(info, got, size); err != nil {
		return nil, err
	}
	in := *info
	in.NarHash, in.NarSize = got, uint64(size)
	in.References = sortedCopy(info.References)
	if in.CA != "" {
		if err := store.CheckCA(s.storeDir, in.Path, in.CA, in.References); err != nil {
			return nil, err
		}
	}
	var drv *derivation.Derivation
	if storepath.IsStorePath(s.storeDir, in.Path) && bytes.HasSuffix([]byte(in.Path), []byte(".drv")) {
		data, err := readFileLimited(obj)
		if err != nil {
			return nil, fmt.Errorf("importing derivation '%s': %w", in.Path, err)
		}
		if drv, err = derivation.ParseATerm(data); err != nil {
			return nil, fmt.Errorf("importing derivation '%s': %w", in.Path, err)
		}
	}
	ok = true
	return &PreparedNAR{s: s, info: in, obj: obj, drv: drv}, nil
}

// Commit moves the prepared path into place and registers it (unless it
// became valid meanwhile); its references must be valid by now.
func (p *PreparedNAR) Commit(ctx context.Context) error {
	if p.done {
		return fmt.Errorf("path '%s': prepared NAR committed or discarded twice", p.info.Path)
	}
	p.done = true
	defer deletePath(p.obj)
	return p.s.install(ctx, &p.info, p.obj, p.drv, false)
}

// CommitAll commits prepared paths of one store together: each is moved
// into place under its lock as Commit does, then one sync and one
// transaction register them all (a path already valid is left alone), so
// that a batch costs one flush, not one per path. Every path's references
// must be valid or among ps: the transaction makes them valid together. It
// returns one error per path, nil for those now valid.
//
// The per-path steps of Commit are done for the whole batch at once: the
// temporary roots are written together, and whether the paths are valid
// is asked in one read transaction before the locks are taken and in one
// after.
func CommitAll(ctx context.Context, ps []*PreparedNAR) []error {
	errs := make([]error, len(ps))
	if len(ps) == 0 {
		return errs
	}
	s := ps[0].s
	// The locks are taken in order of path and all held until the
	// registration, so two processes committing overlapping batches
	// cannot each hold a lock the other waits for.
	order := make([]int, len(ps))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool { return ps[order[a]].info.Path < ps[order[b]].info.Path })
	var todo []int
	for _, i := range order {
		p := ps[i]
		switch {
		case p.s != s:
			errs[i] = fmt.Errorf("path '%s': prepared for another store", p.info.Path)
			continue
		case p.done:
			errs[i] = fmt.Errorf("path '%s': prepared NAR committed or discarded twice", p.info.Path)
			continue
		}
		p.done = true
		todo = append(todo, i)
	}
	// drop ends the paths left out: their objects are deleted, err (nil
	// when the path is valid already) is their result.
	drop := func(is []int, err error) {
		for _, i := range is {
			deletePath(ps[i].obj)
			errs[i] = err
		}
	}
	paths := func(is []int) []string {
		out := make([]string, len(is))
		for k, i := range is {
			out[k] = ps[i].info.Path
		}
		return out
	}
	// without returns the indexes whose path is not in valid.
	without := func(is []int, valid map[string]bool) (rest, gone []int) {
		for _, i := range is {
			if valid[ps[i].info.Path] {
				gone = append(gone, i)
			} else {
				rest = append(rest, i)
			}
		}
		return rest, gone
	}
	if err := s.addTempRoots(ctx, paths(todo)); err != nil {
		drop(todo, err)
		return errs
	}
	valid, err := s.validOrPending(paths(todo))
	if err != nil {
		drop(todo, err)
		return errs
	}
	todo, gone := without(todo, valid)
	drop(gone, nil)
	type lockedPath struct {
		i    int
		lock *PathLocks
	}
	var locked []lockedPath
	for _, i := range todo {
		lock, err := LockPaths(ctx, []string{s.RealPath(ps[i].info.Path)})
		if err != nil {
			drop([]int{i}, err)
			continue
		}
		locked = append(locked, lockedPath{i, lock})
	}
	todo = todo[:0]
	for _, l := range locked {
		todo = append(todo, l.i)
	}
	// Again under the locks: another process may have been faster.
	valid, err = s.validOrPending(paths(todo))
	if err != nil {
		for _, l := range locked {
			l.lock.Unlock(true)
		}
		drop(todo, err)
		return errs
	}
	var (
		entries []regEntry
		locks   []*PathLocks
		placed  []int
	)
	for _, l := range locked {
		p := ps[l.i]
		if valid[p.info.Path] {
			l.lock.Unlock(true)
			drop([]int{l.i}, nil)
			continue
		}
		e, err := s.move(ctx, &p.info, p.obj, p.drv, l.lock)
		deletePath(p.obj)
		if err != nil {
			errs[l.i] = err
			continue
		}
		entries = append(entries, e.regEntry)
		locks = append(locks, e.lock)
		placed = append(placed, l.i)
	}
	if len(entries) > 0 {
		err := s.register(ctx, entries)
		for _, l := range locks {
			l.Unlock(true)
		}
		if err != nil {
			for _, i := range placed {
				errs[i] = err
			}
		}
	}
	return errs
}

// Discard deletes a prepared path that will not be committed.
func (p *PreparedNAR) Discard() {
	if !p.done {
		p.done = true
		deletePath(p.obj)
	}
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
