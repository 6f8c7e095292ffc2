package local

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"gonix/internal/format/derivation"
	"gonix/internal/format/hash"
	"gonix/internal/format/nar"
	"gonix/internal/format/storepath"
	"gonix/internal/store"
)

// maxPending bounds how many text paths wait for one batched registration.
const maxPending = 4096

var tempCounter atomic.Uint64 // only makes temporary names unique

// restoreOptions is how NARs are restored into the store: the files are
// synced before they are registered, so their writing starts at once.
func (s *Store) restoreOptions() nar.RestoreOptions {
	return nar.RestoreOptions{StartWriteback: !s.noSync}
}

// tempName returns a fresh name in the real store for an object being
// added; it is not a store path, so nothing mistakes it for one, and it is
// short, since a store path's own name may already be 255 bytes long.
func (s *Store) tempName(kind string) string {
	return s.realStore + "/.tmp-" + kind + "-" + strconv.Itoa(os.Getpid()) + "-" + strconv.FormatUint(tempCounter.Add(1), 10)
}

// AddToStore copies the file or tree at src into the store as name: the
// object is restored under a temporary name, canonicalised, renamed into
// place under the path's lock, the file system synced, and then registered
// in one transaction. A crash at any point leaves either nothing valid or a
// complete, registered path.
func (s *Store) AddToStore(ctx context.Context, name, src string, method store.Method, algo hash.Algo, filter nar.Filter, refs []string) (string, error) {
	if err := storepath.ValidateName(name); err != nil {
		return "", err
	}
	if s.readOnly {
		return "", fmt.Errorf("cannot add '%s': the store at '%s' is open read-only", src, s.realStore)
	}
	if _, err := os.Lstat(src); err != nil {
		return "", fmt.Errorf("getting status of '%s': %w", src, err)
	}
	if method == store.Recursive && algo == hash.SHA256 && filter == nil {
		// Hash first, reading only: when the path is already valid (the
		// usual case for sources on a second instantiation) nothing is
		// written at all.
		sum, _, err := nar.HashPath(src, nil)
		if err != nil {
			return "", err
		}
		dst, err := storepath.MakeFixedOutputPath(s.storeDir, name, true, hash.Hash{Algo: hash.SHA256, Digest: sum}, refs)
		if err != nil {
			return "", err
		}
		if ok, err := s.isValidOrPending(ctx, dst); err != nil {
			return "", err
		} else if ok {
			return dst, s.AddTempRoot(ctx, dst)
		}
	}
	obj := s.tempName("add")
	defer deletePath(obj)

	caHasher := algo.New()
	narHasher := sha256.New()
	var narSize int64
	if method == store.Recursive {
		// The dump runs on this goroutine, because filter may be a callback
		// into an evaluator that reports errors by panicking; the restore
		// runs beside it, reading the pipe.
		pr, pw := io.Pipe()
		done := make(chan error, 1)
		go func() {
			counter := &countWriter{n: &narSize}
			r := io.TeeReader(pr, io.MultiWriter(caHasher, narHasher, counter))
			err := s.restoreOptions().Restore(r, obj)
			if err == nil {
				_, err = io.Copy(io.Discard, r)
			}
			pr.CloseWithError(err)
			done <- err
		}()
		var dumpErr error
		func() {
			defer func() {
				if r := recover(); r != nil {
					pw.CloseWithError(fmt.Errorf("adding '%s' to the store: interrupted", src))
					<-done
					panic(r)
				}
			}()
			dumpErr = nar.Dump(pw, src, filter)
			pw.CloseWithError(dumpErr)
		}()
		restoreErr := <-done
		if dumpErr != nil {
			return "", dumpErr
		}
		if restoreErr != nil {
			return "", fmt.Errorf("adding '%s' to the store: %w", src, restoreErr)
		}
	} else {
		if err := copyFlat(src, obj, caHasher); err != nil {
			return "", err
		}
		sum, size, err := nar.HashPath(obj, nil)
		if err != nil {
			return "", err
		}
		narHasher = nil
		narSize = size
		return s.finishAdd(ctx, name, obj, method, hash.Hash{Algo: algo, Digest: caHasher.Sum(nil)},
			hash.Hash{Algo: hash.SHA256, Digest: sum}, narSize, refs)
	}
	return s.finishAdd(ctx, name, obj, method, hash.Hash{Algo: algo, Digest: caHasher.Sum(nil)},
		hash.Hash{Algo: hash.SHA256, Digest: narHasher.Sum(nil)}, narSize, refs)
}

type countWriter struct{ n *int64 }

func (c *countWriter) Write(p []byte) (int, error) { *c.n += int64(len(p)); return len(p), nil }

func copyFlat(src, dst string, h io.Writer) error {
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("opening file '%s': %w", src, err)
	}
	defer in.Close()
	st, err := in.Stat()
	if err != nil {
		return fmt.Errorf("getting status of '%s': %w", src, err)
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("adding '%s' to the store: flat ingestion needs a regular file", src)
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o666)
	if err != nil {
		return fmt.Errorf("creating '%s': %w", dst, err)
	}
	if _, err := io.Copy(io.MultiWriter(out, h), in); err != nil {
		out.Close()
		return fmt.Errorf("copying '%s': %w", src, err)
	}
	return out.Close()
}

// finishAdd moves the object at obj (under a temporary name) to the path its
// content address gives and registers it.
func (s *Store) finishAdd(ctx context.Context, name, obj string, method store.Method, ca, narHash hash.Hash, narSize int64, refs []string) (string, error) {
	dst, err := storepath.MakeFixedOutputPath(s.storeDir, name, method == store.Recursive, ca, refs)
	if err != nil {
		return "", err
	}
	info := &store.PathInfo{Path: dst, NarHash: narHash, NarSize: uint64(narSize),
		References: sortedCopy(refs), CA: store.FixedCA(method, ca)}
	return dst, s.install(ctx, info, obj, nil, true)
}

// install puts the object at obj (a temporary name in the real store) at
// info.Path unless that is already valid, and registers it: at once, or
// (deferred) with the next batch, holding the path's lock until then so
// that no other process replaces the object meanwhile.
func (s *Store) install(ctx context.Context, info *store.PathInfo, obj string, drv *derivation.Derivation, deferred bool) error {
	e, err := s.place(ctx, info, obj, drv)
	if err != nil || e == nil {
		return err
	}
	if deferred {
		return s.enqueue(ctx, *e, "")
	}
	s.pendMu.Lock()
	s.pending = append(s.pending, *e)
	s.pendMu.Unlock()
	return s.Flush(ctx)
}

// place moves the object at obj into place at info.Path under the path's
// lock and returns its registration, still to be done, with the lock held;
// nil when the path is valid (or waiting in a batch) already.
func (s *Store) place(ctx context.Context, info *store.PathInfo, obj string, drv *derivation.Derivation) (*pendingEntry, error) {
	if err := s.AddTempRoot(ctx, info.Path); err != nil {
		return nil, err
	}
	if ok, err := s.isValidOrPending(ctx, info.Path); err != nil || ok {
		return nil, err
	}
	lock, err := LockPaths(ctx, []string{s.RealPath(info.Path)})
	if err != nil {
		return nil, err
	}
	if ok, err := s.isValidOrPending(ctx, info.Path); err != nil || ok {
		lock.Unlock(true)
		return nil, err
	}
	return s.move(ctx, info, obj, drv, lock)
}

// move is the end of place, once the path is locked and known not to be
// valid: obj is canonicalised and renamed to the path. The lock is
// released on error.
func (s *Store) move(ctx context.Context, info *store.PathInfo, obj string, drv *derivation.Derivation, lock *PathLocks) (*pendingEntry, error) {
	real := s.RealPath(info.Path)
	if err := canonicalise(obj); err != nil {
		lock.Unlock(true)
		return nil, err
	}
	if err := deletePath(real); err != nil {
		lock.Unlock(true)
		return nil, err
	}
	if err := os.Rename(obj, real); err != nil {
		lock.Unlock(true)
		return nil, fmt.Errorf("moving '%s' into the store: %w", info.Path, err)
	}
	if err := s.optimiseNew(ctx, real); err != nil {
		lock.Unlock(true)
		return nil, err
	}
	return &pendingEntry{regEntry: regEntry{info: info, drv: drv, checkOutputs: drv != nil}, lock: lock}, nil
}

// pendingEntry is a path in place on disk whose registration waits for the
// next batch, with the lock (if any) that guards it until then.
type pendingEntry struct {
	regEntry
	lock *PathLocks
}

// maxPendingLocks bounds the lock files a batch keeps open.
const maxPendingLocks = 256

// enqueue adds a pending registration, committing the batch when it is full.
func (s *Store) enqueue(ctx context.Context, e pendingEntry, text string) error {
	s.pendMu.Lock()
	s.pending = append(s.pending, e)
	s.pendingSet[e.info.Path] = text
	if e.lock != nil {
		s.pendingLocks++
	}
	full := len(s.pending) >= maxPending || s.pendingLocks >= maxPendingLocks
	s.pendMu.Unlock()
	if full {
		return s.Flush(ctx)
	}
	return nil
}

func sortedCopy(xs []string) []string {
	if len(xs) == 0 {
		return nil
	}
	out := append([]string(nil), xs...)
	sortStrings(out)
	return out
}

// isValidOrPending also counts text paths waiting in the current batch.
func (s *Store) isValidOrPending(ctx context.Context, p string) (bool, error) {
	s.pendMu.Lock()
	_, ok := s.pendingSet[p]
	s.pendMu.Unlock()
	if ok {
		return true, nil
	}
	return s.isValid(p)
}

// AddText stores a text file (builtins.toFile, .drv files). The file is
// written and locked at once; its registration joins a batch that Flush
// (or any query, or Close) commits in one transaction after one file system
// sync — the cost of a sync per .drv would dominate instantiation.
func (s *Store) AddText(ctx context.Context, name, text string, refs []string) (string, error) {
	h := sha256.Sum256([]byte(text))
	p, err := storepath.MakeTextPath(s.storeDir, name, h[:], refs)
	if err != nil {
		return "", err
	}
	if s.readOnly {
		return "", fmt.Errorf("cannot add '%s': the store at '%s' is open read-only", p, s.realStore)
	}
	var drv *derivation.Derivation
	if storepath.IsStorePath(s.storeDir, p) && len(name) > 4 && name[len(name)-4:] == ".drv" {
		if drv, err = derivation.ParseATerm([]byte(text)); err != nil {
			return "", fmt.Errorf("adding derivation '%s': %w", p, err)
		}
	}
	if err := s.AddTempRoot(ctx, p); err != nil {
		return "", err
	}
	if ok, err := s.isValidOrPending(ctx, p); err != nil || ok {
		return p, err
	}
	// No path lock: a text path's contents follow from its name, and the
	// file is renamed over whatever is there in one step, so two writers
	// racing on it write the same bytes and a reader never sees it absent.
	if err := writeText(s.RealPath(p), text); err != nil {
		return "", err
	}
	if err := s.optimiseNew(ctx, s.RealPath(p)); err != nil {
		return "", err
	}
	narHash, narSize := textNarHash(text)
	info := &store.PathInfo{Path: p, NarHash: narHash, NarSize: narSize,
		References: sortedCopy(refs), CA: store.TextCA(hash.Hash{Algo: hash.SHA256, Digest: h[:]})}
	return p, s.enqueue(ctx, pendingEntry{regEntry: regEntry{info: info, drv: drv}}, text)
}

// PendingText returns the text of a path added in the current batch.
func (s *Store) PendingText(p string) (string, bool) {
	s.pendMu.Lock()
	defer s.pendMu.Unlock()
	t, ok := s.pendingSet[p]
	return t, ok
}

// writeText puts a canonical read-only file holding text (mode 0444,
// mtime 1) at real without the name ever holding a partial file: the
// contents go into an unnamed file (O_TMPFILE) that is then linked in, or,
// where that is not possible or a leftover occupies the name, into a
// temporary file renamed over it.
func writeText(real, text string) error {
	dir := filepath.Dir(real)
	if fd, err := unix.Open(dir, unix.O_WRONLY|unix.O_TMPFILE|unix.O_CLOEXEC, 0o444); err == nil {
		proc := "/proc/self/fd/" + strconv.Itoa(fd)
		err := fillText(fd, proc, text)
		if err == nil {
			err = unix.Linkat(unix.AT_FDCWD, proc, unix.AT_FDCWD, real, unix.AT_SYMLINK_FOLLOW)
		}
		unix.Close(fd)
		if err == nil {
			return nil
		}
	}
	tmp := dir + "/.tmp-text-" + strconv.Itoa(os.Getpid()) + "-" + strconv.FormatUint(tempCounter.Add(1), 10)
	fd, err := unix.Open(tmp, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_CLOEXEC, 0o444)
	if err != nil {
		return fmt.Errorf("writing '%s': %w", real, err)
	}
	err = fillText(fd, tmp, text)
	if cerr := unix.Close(fd); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, real)
		if err != nil {
			// A directory left there by a crashed addition: remove it first.
			if derr := deletePath(real); derr == nil {
				err = os.Rename(tmp, real)
			}
		}
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing '%s': %w", real, err)
	}
	return nil
}

// fillText writes text to fd and gives the file (also reachable as name)
// its canonical mode and mtime.
func fillText(fd int, name, text string) error {
	for b := []byte(text); len(b) > 0; {
		n, err := unix.Write(fd, b)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		b = b[n:]
	}
	if err := unix.Fchmod(fd, 0o444); err != nil {
		return err
	}
	return unix.UtimesNanoAt(unix.AT_FDCWD, name, []unix.Timespec{{Nsec: unix.UTIME_OMIT}, {Sec: 1}}, 0)
}

// textNarHash is the NAR hash and size of a single non-executable file.
func textNarHash(text string) (hash.Hash, uint64) {
	h := sha256.New()
	cw := &countWriter{n: new(int64)}
	nar.DumpBytes(io.MultiWriter(h, cw), []byte(text), false)
	return hash.Hash{Algo: hash.SHA256, Digest: h.Sum(nil)}, uint64(*cw.n)
}

// Flush registers every pending path in one transaction and releases
// their locks.
func (s *Store) Flush(ctx context.Context) error {
	s.pendMu.Lock()
	batch := s.pending
	s.pending = nil
	s.pendingLocks = 0
	s.pendMu.Unlock()
	if len(batch) == 0 {
		return nil
	}
	entries := make([]regEntry, len(batch))
	for i, e := range batch {
		entries[i] = e.regEntry
	}
	err := s.register(ctx, entries)
	s.pendMu.Lock()
	for _, e := range batch {
		delete(s.pendingSet, e.info.Path)
	}
	s.pendMu.Unlock()
	for _, e := range batch {
		e.lock.Unlock(true)
	}
	return err
}

// AddFixed is `nix-store --add-fixed` (Nix's addToStoreSlow): like
// AddToStore, except that a flat addition stores the NAR of src — keeping
// an executable file executable — while its content address hashes the
// file's contents. src must then be a regular file.
func (s *Store) AddFixed(ctx context.Context, name, src string, method store.Method, algo hash.Algo) (string, error) {
	if method == store.Recursive {
		return s.AddToStore(ctx, name, src, method, algo, nil, nil)
	}
	if err := storepath.ValidateName(name); err != nil {
		return "", err
	}
	if s.readOnly {
		return "", fmt.Errorf("cannot add '%s': the store at '%s' is open read-only", src, s.realStore)
	}
	st, err := os.Stat(src)
	if err != nil {
		return "", fmt.Errorf("getting status of '%s': %w", src, err)
	}
	if !st.Mode().IsRegular() {
		return "", fmt.Errorf("adding '%s' to the store: regular file expected", src)
	}
	obj := s.tempName("add")
	defer deletePath(obj)
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(nar.Dump(pw, src, nil)) }()
	narHasher := sha256.New()
	var narSize int64
	r := io.TeeReader(pr, io.MultiWriter(narHasher, &countWriter{n: &narSize}))
	err = s.restoreOptions().Restore(r, obj)
	if err == nil {
		_, err = io.Copy(io.Discard, r)
	}
	pr.CloseWithError(err)
	if err != nil {
		return "", fmt.Errorf("adding '%s' to the store: %w", src, err)
	}
	f, err := os.Open(obj)
	if err != nil {
		return "", fmt.Errorf("adding '%s' to the store: %w", src, err)
	}
	ca := algo.New()
	_, err = io.Copy(ca, f)
	f.Close()
	if err != nil {
		return "", fmt.Errorf("adding '%s' to the store: %w", src, err)
	}
	return s.finishAdd(ctx, name, obj, method, hash.Hash{Algo: algo, Digest: ca.Sum(nil)},
		hash.Hash{Algo: hash.SHA256, Digest: narHasher.Sum(nil)}, narSize, nil)
}

// RegisterValidPaths registers paths that are already in place on disk and
// canonical (build outputs), in one transaction after a file system sync:
// Nix's registerValidPaths. A .drv among them gets its DerivationOutputs
// rows and an output check. The caller holds the paths' locks. With
// auto-optimise-store the paths are optimised first, as Nix 2.8's
// registerOutputs does before it registers them.
func (s *Store) RegisterValidPaths(ctx context.Context, infos []*store.PathInfo) error {
	if err := s.Flush(ctx); err != nil {
		return err
	}
	for _, info := range infos {
		if err := s.optimiseNew(ctx, s.RealPath(info.Path)); err != nil {
			return err
		}
	}
	entries := make([]regEntry, 0, len(infos))
	for _, info := range infos {
		in := *info
		in.References = sortedCopy(info.References)
		if in.CA != "" {
			if err := store.CheckCA(s.storeDir, in.Path, in.CA, in.References); err != nil {
				return err
			}
		}
		e := regEntry{info: &in}
		if storepath.IsStorePath(s.storeDir, in.Path) && len(in.Path) > 4 && in.Path[len(in.Path)-4:] == ".drv" {
			data, err := readFileLimited(s.RealPath(in.Path))
			if err != nil {
				return fmt.Errorf("registering derivation '%s': %w", in.Path, err)
			}
			if e.drv, err = derivation.ParseATerm(data); err != nil {
				return fmt.Errorf("registering derivation '%s': %w", in.Path, err)
			}
			e.checkOutputs = true
		}
		entries = append(entries, e)
	}
	return s.register(ctx, entries)
}

// Canonicalise gives a path on disk the metadata of a store object (mode
// 0444/0555, mtime 1, owner), as registration requires.
func Canonicalise(realPath string) error { return canonicalise(realPath) }

// DeleteInvalid removes whatever is on disk at a path that is not valid
// (a leftover of a failed or interrupted build); the caller holds its lock.
func (s *Store) DeleteInvalid(ctx context.Context, path string) error {
	if ok, err := s.isValidOrPending(ctx, path); err != nil {
		return err
	} else if ok {
		return fmt.Errorf("refusing to delete '%s': it is valid", path)
	}
	return deletePath(s.RealPath(path))
}
