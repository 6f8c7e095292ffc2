package sandbox

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"gonix/internal/build"
)

// chmod sets mode's bits as chmod(2) reads them (0o1777 is sticky, which
// os.Chmod would drop: fs.FileMode keeps that bit elsewhere).
func chmod(name string, mode uint32) error {
	if err := unix.Chmod(name, mode); err != nil {
		return fmt.Errorf("setting the mode of '%s': %w", name, err)
	}
	return nil
}

// mkdirMode creates dir with exactly mode (not masked by the umask).
func mkdirMode(dir string, mode uint32) error {
	if err := os.Mkdir(dir, 0o700); err != nil {
		return fmt.Errorf("creating '%s': %w", dir, err)
	}
	return chmod(dir, mode)
}

// mkdirAllMode creates dir and its missing parents, each with exactly mode.
func mkdirAllMode(dir string, mode uint32) error {
	if fi, err := os.Stat(dir); err == nil {
		if !fi.IsDir() {
			return fmt.Errorf("creating '%s': %w", dir, unix.ENOTDIR)
		}
		return nil
	}
	if parent := filepath.Dir(dir); parent != dir {
		if err := mkdirAllMode(parent, 0o755); err != nil {
			return err
		}
	}
	return mkdirMode(dir, mode)
}

// mountsUnder lists the mount points of this process's namespace at or
// below dir. The sandbox never mounts anything in the parent's namespace;
// this is the check that deleting a chroot cannot reach through a mount.
func mountsUnder(dir string) ([]string, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, fmt.Errorf("reading the mount table: %w", err)
	}
	defer f.Close()
	var found []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 5 {
			continue
		}
		mp := unescapeMountinfo(fields[4])
		if mp == dir || strings.HasPrefix(mp, dir+"/") {
			found = append(found, mp)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading the mount table: %w", err)
	}
	return found, nil
}

// unescapeMountinfo undoes the octal escapes (\040 for a space) of a path
// in /proc/self/mountinfo.
func unescapeMountinfo(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// removeChroot deletes a sandbox root, refusing when anything is mounted
// below it in our namespace (deleting would then reach into the store or
// the host).
func removeChroot(root string) error {
	if ok, err := deletableChroot(root); !ok {
		return err
	}
	return removeTree(root)
}

// deletableChroot reports whether root exists and nothing is mounted
// below it; a mount there is an error.
func deletableChroot(root string) (bool, error) {
	if _, err := os.Lstat(root); errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	mounts, err := mountsUnder(root)
	if err != nil {
		return false, err
	}
	if len(mounts) > 0 {
		return false, fmt.Errorf("not deleting the sandbox root '%s': %s is mounted there", root, mounts[0])
	}
	return true, nil
}

// removeTree deletes path recursively without following symlinks, making
// directories writable first: a builder may leave mode-0500 directories,
// which os.RemoveAll cannot empty when we are not root.
func removeTree(p string) error {
	fi, err := os.Lstat(p)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("deleting '%s': %w", p, err)
	}
	if fi.IsDir() {
		if fi.Mode().Perm()&0o700 != 0o700 {
			if err := os.Chmod(p, fi.Mode().Perm()|0o700); err != nil {
				return fmt.Errorf("deleting '%s': %w", p, err)
			}
		}
		entries, err := os.ReadDir(p)
		if err != nil {
			return fmt.Errorf("deleting '%s': %w", p, err)
		}
		for _, e := range entries {
			if err := removeTree(filepath.Join(p, e.Name())); err != nil {
				return err
			}
		}
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("deleting '%s': %w", p, err)
	}
	return nil
}

// moveOutputs moves every output the builder made in the chroot's store to
// its real store path, or beside it for a --check build (job.RealOutput),
// also after a failure: Nix leaves them there as invalid paths for
// inspection. It never replaces an existing path.
func moveOutputs(job *build.Job, root string) error {
	var errs []error
	for name, out := range job.Outputs {
		src := filepath.Join(root, out)
		if _, err := os.Lstat(src); err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, fmt.Errorf("output '%s': %w", name, err))
			}
			continue
		}
		dst := job.RealOutput(out)
		if err := unix.Renameat2(unix.AT_FDCWD, src, unix.AT_FDCWD, dst, unix.RENAME_NOREPLACE); err != nil {
			errs = append(errs, fmt.Errorf("moving output '%s' out of the sandbox to '%s': %w", name, dst, err))
		}
	}
	return errors.Join(errs...)
}
