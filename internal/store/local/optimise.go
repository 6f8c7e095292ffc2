package local

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"

	"golang.org/x/sys/unix"

	"gonix/internal/format/nar"
	"gonix/internal/format/nixbase32"
)

// OptimiseStats counts what an optimisation saved, as Nix's OptimiseStats.
type OptimiseStats struct {
	FilesLinked uint64
	BytesFreed  uint64
	BlocksFreed uint64
}

// Optimise is `nix-store --optimise` (Nix 2.8's LocalStore::optimiseStore,
// spec/store.md §7.9): every regular file and symlink of every valid path
// is hard-linked to `.links/<nixbase32 of its NAR sha256>`, so identical
// files share one inode. Warnings ("skipping suspicious writable file")
// go to log.Error with Nix's "warning: " prefix, notes to log.Info.
func (s *Store) Optimise(ctx context.Context, log Logger) (OptimiseStats, error) {
	var stats OptimiseStats
	if s.readOnly {
		return stats, fmt.Errorf("optimising the store: the store is read-only")
	}
	if err := s.Flush(ctx); err != nil {
		return stats, err
	}
	paths, err := s.QueryAllValidPaths(ctx)
	if err != nil {
		return stats, err
	}
	o := &optimiser{s: s, log: log, stats: &stats, linksDir: s.realStore + "/.links"}
	if err := o.loadInodes(); err != nil {
		return stats, err
	}
	for _, p := range paths {
		if err := ctx.Err(); err != nil {
			return stats, err
		}
		// The temporary root keeps a collector running beside us from
		// deleting the path while its files are being relinked.
		if err := s.AddTempRoot(ctx, p); err != nil {
			return stats, err
		}
		if ok, err := s.IsValidPath(ctx, p); err != nil {
			return stats, err
		} else if !ok {
			continue // collected meanwhile
		}
		if err := o.optimisePath(ctx, s.RealPath(p)); err != nil {
			return stats, err
		}
	}
	return stats, nil
}

// optimiseNew is Nix 2.8's LocalStore::optimisePath, called for every
// object the store adds (addToStore, addToStoreFromDump, addTextToStore,
// registerOutputs) once it is in place and before it is registered: with
// auto-optimise-store set, its files are linked to .links as Optimise
// would. Nix starts each such call with an empty inode set, so every file
// of the new object is hashed.
func (s *Store) optimiseNew(ctx context.Context, realPath string) error {
	if !s.autoOptimise {
		return nil
	}
	o := &optimiser{s: s, log: stderrLogger{}, stats: new(OptimiseStats),
		linksDir: s.realStore + "/.links", inodes: make(map[uint64]bool)}
	return o.optimisePath(ctx, realPath)
}

// stderrLogger prints auto-optimisation's warnings where Nix's go: the
// process's standard error.
type stderrLogger struct{}

func (stderrLogger) Error(msg string) { fmt.Fprintln(os.Stderr, msg) }
func (stderrLogger) Info(msg string)  { fmt.Fprintln(os.Stderr, msg) }

type optimiser struct {
	s        *Store
	log      Logger
	stats    *OptimiseStats
	linksDir string
	// inodes holds the inode numbers already present in .links: a file
	// with one of them is linked already and need not be hashed again.
	inodes map[uint64]bool
}

func (o *optimiser) loadInodes() error {
	f, err := os.Open(o.linksDir)
	if err != nil {
		return fmt.Errorf("opening directory '%s': %w", o.linksDir, err)
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		return fmt.Errorf("reading directory '%s': %w", o.linksDir, err)
	}
	o.inodes = make(map[uint64]bool, len(names))
	for _, n := range names {
		var st unix.Stat_t
		if unix.Lstat(o.linksDir+"/"+n, &st) == nil {
			o.inodes[st.Ino] = true
		}
	}
	return nil
}

func (o *optimiser) optimisePath(ctx context.Context, path string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	var st unix.Stat_t
	if err := unix.Lstat(path, &st); err != nil {
		return fmt.Errorf("getting status of '%s': %w", path, err)
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
		f, err := os.Open(path)
		if err != nil {
			return fmt.Errorf("opening directory '%s': %w", path, err)
		}
		names, err := f.Readdirnames(-1)
		f.Close()
		if err != nil {
			return fmt.Errorf("reading directory '%s': %w", path, err)
		}
		for _, n := range names {
			if err := o.optimisePath(ctx, path+"/"+n); err != nil {
				return err
			}
		}
		return nil
	case unix.S_IFREG:
		// Files made writable in the store were probably modified behind
		// Nix's back; leave them alone, as Nix does.
		if st.Mode&unix.S_IWUSR != 0 {
			o.log.Error(fmt.Sprintf("warning: skipping suspicious writable file '%s'", path))
			return nil
		}
	case unix.S_IFLNK:
		// Linux can hard-link symlinks; Nix 2.8 does (CAN_LINK_SYMLINK).
	default:
		return nil
	}
	if st.Nlink > 1 && o.inodes[st.Ino] {
		return nil // already linked
	}
	// The NAR hash covers the executable bit (and a symlink's target), so
	// only files that are identical as store objects share an inode.
	sum, _, err := nar.HashPath(path, nil)
	if err != nil {
		return fmt.Errorf("hashing '%s': %w", path, err)
	}
	linkPath := o.linksDir + "/" + nixbase32.EncodeToString(sum)

	var stLink unix.Stat_t
	if unix.Lstat(linkPath, &stLink) == nil && stLink.Size != st.Size {
		o.log.Error(fmt.Sprintf("warning: removing corrupted link '%s'", linkPath))
		o.log.Error("warning: There may be more corrupted paths.\nYou should run `nix-store --verify --check-contents --repair` to fix them all")
		os.Remove(linkPath)
	}
	if err := unix.Lstat(linkPath, &stLink); errors.Is(err, unix.ENOENT) {
		err := unix.Linkat(unix.AT_FDCWD, path, unix.AT_FDCWD, linkPath, 0)
		switch {
		case err == nil:
			o.inodes[st.Ino] = true
			return nil
		case errors.Is(err, unix.EEXIST):
			// Another process created the link first; use theirs.
		case errors.Is(err, unix.ENOSPC):
			// A full directory index (ext4) only disables deduplication
			// of this file.
			o.log.Info(fmt.Sprintf("cannot link '%s' to '%s': %v", linkPath, path, err))
			return nil
		default:
			return fmt.Errorf("cannot link '%s' to '%s': %w", linkPath, path, err)
		}
		if err := unix.Lstat(linkPath, &stLink); err != nil {
			return fmt.Errorf("getting status of '%s': %w", linkPath, err)
		}
	} else if err != nil {
		return fmt.Errorf("getting status of '%s': %w", linkPath, err)
	}
	if st.Ino == stLink.Ino {
		return nil
	}
	return o.replaceWithLink(path, linkPath, &st)
}

// replaceWithLink atomically replaces path by a hard link to linkPath: a
// temporary link in the store directory renamed over it, with the
// containing directory writable only meanwhile.
func (o *optimiser) replaceWithLink(path, linkPath string, st *unix.Stat_t) error {
	dir := path[:lastSlash(path)]
	if dir != o.s.realStore {
		var dst unix.Stat_t
		if err := unix.Lstat(dir, &dst); err != nil {
			return fmt.Errorf("getting status of '%s': %w", dir, err)
		}
		if err := unix.Chmod(dir, uint32(dst.Mode&0o7777)|unix.S_IWUSR); err != nil {
			return fmt.Errorf("changing writability of '%s': %w", dir, err)
		}
		defer restoreDir(dir)
	}
	tmp := o.s.realStore + "/.tmp-link-" + strconv.Itoa(os.Getpid()) + "-" + strconv.FormatUint(uint64(rand.Uint32()), 10)
	if err := unix.Linkat(unix.AT_FDCWD, linkPath, unix.AT_FDCWD, tmp, 0); err != nil {
		if errors.Is(err, unix.EMLINK) {
			// Too many links to one inode (typically the empty file):
			// shrug, as Nix does.
			if st.Size != 0 {
				o.log.Info(fmt.Sprintf("'%s' has maximum number of links", linkPath))
			}
			return nil
		}
		return fmt.Errorf("cannot link '%s' to '%s': %w", tmp, linkPath, err)
	}
	if err := unix.Rename(tmp, path); err != nil {
		if uerr := unix.Unlink(tmp); uerr != nil {
			o.log.Error(fmt.Sprintf("unable to unlink '%s'", tmp))
		}
		if errors.Is(err, unix.EMLINK) {
			return nil
		}
		return fmt.Errorf("cannot rename '%s' to '%s': %w", tmp, path, err)
	}
	o.stats.FilesLinked++
	o.stats.BytesFreed += uint64(st.Size)
	o.stats.BlocksFreed += uint64(st.Blocks)
	return nil
}

// restoreDir gives a directory back Nix's canonical metadata (read-only,
// mtime 1) after a file in it was replaced. Failure is ignored, as Nix's
// MakeReadOnly does: the link itself is already in place.
func restoreDir(dir string) {
	var st unix.Stat_t
	if unix.Lstat(dir, &st) != nil {
		return
	}
	mode := uint32(0o444)
	if st.Mode&unix.S_IXUSR != 0 {
		mode |= 0o111
	}
	unix.Chmod(dir, mode)
	ts := []unix.Timespec{{Nsec: unix.UTIME_OMIT}, {Sec: 1}}
	unix.UtimesNanoAt(unix.AT_FDCWD, dir, ts, unix.AT_SYMLINK_NOFOLLOW)
}

func lastSlash(p string) int {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] == '/' {
			return i
		}
	}
	return 0
}
