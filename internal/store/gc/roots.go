package gc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"gonix/internal/format/storepath"
	"gonix/internal/store/local"
)

// Censored stands for the link of a root that another user's process
// holds, as Nix prints it to clients that are not root.
const Censored = "{censored}"

// Roots maps a valid store path to the places that root it: symlinks or
// files under gcroots and profiles, /proc files of running processes, or
// "{temp:<pid>}".
type Roots map[string][]string

func (r Roots) add(path, link string) {
	for _, l := range r[path] {
		if l == link {
			return
		}
	}
	r[path] = append(r[path], link)
}

// Root is one (link, store path) pair of a Roots map.
type Root struct {
	Link, Path string
}

// Sorted lists the pairs of r sorted by link, then path: the order of
// `nix-store --gc --print-roots`.
func (r Roots) Sorted() []Root {
	var out []Root
	for p, links := range r {
		for _, l := range links {
			out = append(out, Root{Link: l, Path: p})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Link != out[j].Link {
			return out[i].Link < out[j].Link
		}
		return out[i].Path < out[j].Path
	})
	return out
}

// RootOptions select how roots are searched.
type RootOptions struct {
	// Censor hides the links of runtime and temporary roots.
	Censor bool
	// NoRuntimeRoots skips the scan of /proc. Nix 2.8 always scans, for a
	// chroot store too (matching the logical store directory).
	NoRuntimeRoots bool
	// Info receives Nix's informational lines (printInfo); nil drops them.
	Info func(msg string)
}

func (o *RootOptions) info(format string, a ...any) {
	if o.Info != nil {
		o.Info(fmt.Sprintf(format, a...))
	}
}

// finder carries one root search.
type finder struct {
	ctx  context.Context
	st   *local.Store
	opts *RootOptions
}

// FindRoots returns every root: permanent, runtime and temporary (Nix's
// LocalStore::findRoots).
func FindRoots(ctx context.Context, st *local.Store, opts RootOptions) (Roots, error) {
	roots := Roots{}
	if err := findRootsNoTemp(ctx, st, &opts, roots); err != nil {
		return nil, err
	}
	if err := findTempRoots(ctx, st, &opts, roots); err != nil {
		return nil, err
	}
	return roots, nil
}

// findRootsNoTemp adds the roots under gcroots and profiles and the
// runtime roots.
func findRootsNoTemp(ctx context.Context, st *local.Store, opts *RootOptions, roots Roots) error {
	f := &finder{ctx: ctx, st: st, opts: opts}
	for _, d := range []string{"gcroots", "profiles"} {
		if err := f.scan(st.RealStateDir()+"/"+d, fs.ModeType|1, roots); err != nil {
			return err
		}
	}
	if opts.NoRuntimeRoots {
		return nil
	}
	return findRuntimeRoots(ctx, st, opts, roots)
}

// foundRoot records the store path that target (inside the store) lies
// in, if it is valid.
func (f *finder) foundRoot(link, target string, roots Roots) error {
	p, _, err := storepath.Split(f.st.StoreDir(), target)
	if err != nil {
		return nil // Nix ignores a BadStorePath here
	}
	ok, err := f.st.IsValidPath(f.ctx, p)
	if err != nil {
		return err
	}
	if ok {
		roots.add(p, link)
	} else {
		f.opts.info("skipping invalid root from '%s' to '%s'", link, target)
	}
	return nil
}

// scan is Nix's findRoots(path, type): typ is the directory entry's type,
// or fs.ModeType|1 for unknown (then lstat decides).
func (f *finder) scan(p string, typ fs.FileMode, roots Roots) error {
	if err := f.ctx.Err(); err != nil {
		return err
	}
	err := f.scan1(p, typ, roots)
	if err != nil && (errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) || errors.Is(err, unix.ENOTDIR)) {
		f.opts.info("cannot read potential root '%s'", p)
		return nil
	}
	return err
}

func (f *finder) scan1(p string, typ fs.FileMode, roots Roots) error {
	if typ == fs.ModeType|1 {
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		typ = fi.Mode().Type()
	}
	storeDir := f.st.StoreDir()
	switch {
	case typ == fs.ModeDir:
		entries, err := readDirUnsorted(p)
		if err != nil {
			return err
		}
		for _, e := range entries {
			if err := f.scan(p+"/"+e.Name(), e.Type(), roots); err != nil {
				return err
			}
		}
	case typ == fs.ModeSymlink:
		target, err := os.Readlink(p)
		if err != nil {
			return err
		}
		if isInStore(storeDir, target) {
			return f.foundRoot(p, target, roots)
		}
		// An indirect root: one more level, never further.
		if !filepath.IsAbs(target) {
			target = filepath.Join(filepath.Dir(p), target)
		}
		target = filepath.Clean(target)
		fi, err := os.Lstat(target) // Nix's pathExists does not follow
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) || errors.Is(err, unix.ENOTDIR) {
				if isInDir(p, f.st.RealStateDir()+"/gcroots/auto") {
					f.opts.info("removing stale link from '%s' to '%s'", p, target)
					os.Remove(p)
				}
				return nil
			}
			return err
		}
		if fi.Mode().Type() != fs.ModeSymlink {
			return nil
		}
		target2, err := os.Readlink(target)
		if err != nil {
			return err
		}
		if isInStore(storeDir, target2) {
			return f.foundRoot(target, target2, roots)
		}
	case typ.IsRegular():
		if _, _, err := storepath.ParseBaseName(filepath.Base(p)); err != nil {
			return nil
		}
		sp := storeDir + "/" + filepath.Base(p)
		ok, err := f.st.IsValidPath(f.ctx, sp)
		if err != nil {
			return err
		}
		if ok {
			roots.add(sp, p)
		}
	}
	return nil
}

// readDirUnsorted lists a directory in readdir order, as Nix does.
func readDirUnsorted(p string) ([]fs.DirEntry, error) {
	d, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	return d.ReadDir(-1)
}

// isInStore is Nix's isInStore: strictly below the store directory.
func isInStore(storeDir, p string) bool { return isInDir(p, storeDir) }

func isInDir(p, dir string) bool {
	return strings.HasPrefix(p, "/") && len(p) >= len(dir)+2 && strings.HasPrefix(p, dir) && p[len(dir)] == '/'
}

// findTempRoots reads temproots/<pid>: a file its owner still holds
// locked lists that process's temporary roots; a file we can lock
// belongs to a dead process and is removed (spec/store.md §7.10).
func findTempRoots(ctx context.Context, st *local.Store, opts *RootOptions, roots Roots) error {
	dir := st.RealStateDir() + "/temproots"
	entries, err := readDirUnsorted(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("reading '%s': %w", dir, err)
	}
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return err
		}
		name := e.Name()
		if strings.HasPrefix(name, ".") {
			continue
		}
		pid, err := strconv.Atoi(name)
		if err != nil {
			continue
		}
		p := dir + "/" + name
		fh, err := os.OpenFile(p, os.O_RDWR|unix.O_CLOEXEC, 0)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			return fmt.Errorf("opening temporary roots file '%s': %w", p, err)
		}
		// Locking succeeds only when the owner has died (a lock held by
		// this process through another descriptor also blocks us).
		if unix.Flock(int(fh.Fd()), unix.LOCK_EX|unix.LOCK_NB) == nil {
			opts.info("removing stale temporary roots file '%s'", p)
			os.Remove(p)
			fh.Write([]byte("d"))
			fh.Close()
			continue
		}
		data, err := io.ReadAll(fh)
		fh.Close()
		if err != nil {
			return fmt.Errorf("reading temporary roots file '%s': %w", p, err)
		}
		link := Censored
		if !opts.Censor {
			link = fmt.Sprintf("{temp:%d}", pid)
		}
		for {
			i := bytes.IndexByte(data, 0)
			if i < 0 {
				break
			}
			root := string(data[:i])
			data = data[i+1:]
			if _, err := storepath.Parse(st.StoreDir(), root); err != nil {
				return fmt.Errorf("temporary roots file '%s': %w", p, err)
			}
			roots.add(root, link)
		}
	}
	return nil
}

// findRuntimeRoots is Nix's Linux heuristic: store paths that running
// processes have open, mapped, as executable or working directory, or
// mention in their environment, and the kernel's helper programs.
func findRuntimeRoots(ctx context.Context, st *local.Store, opts *RootOptions, roots Roots) error {
	storeDir := st.StoreDir()
	unchecked := map[string][]string{}
	add := func(target, link string) { unchecked[target] = append(unchecked[target], link) }
	readLink := func(file string) {
		if t, err := os.Readlink(file); err == nil && strings.HasPrefix(t, "/") {
			add(t, file)
		}
	}
	storePathRe := regexp.MustCompile(regexp.QuoteMeta(storeDir) + `/[0-9a-z]+[0-9a-zA-Z+\-._?=]*`)
	mapRe := regexp.MustCompile(`^\s*\S+\s+\S+\s+\S+\s+\S+\s+\S+\s+(/\S+)\s*$`)
	procs, err := readDirUnsorted("/proc")
	if err == nil {
		for _, e := range procs {
			if err := ctx.Err(); err != nil {
				return err
			}
			pid := e.Name()
			if _, err := strconv.Atoi(pid); err != nil {
				continue
			}
			readLink("/proc/" + pid + "/exe")
			readLink("/proc/" + pid + "/cwd")
			fdDir := "/proc/" + pid + "/fd"
			fds, err := readDirUnsorted(fdDir)
			if err != nil {
				continue
			}
			for _, fd := range fds {
				if !strings.HasPrefix(fd.Name(), ".") {
					readLink(fdDir + "/" + fd.Name())
				}
			}
			mapFile := "/proc/" + pid + "/maps"
			maps, err := os.ReadFile(mapFile)
			if err != nil {
				continue
			}
			for _, line := range strings.Split(string(maps), "\n") {
				if m := mapRe.FindStringSubmatch(line); m != nil {
					add(m[1], mapFile)
				}
			}
			envFile := "/proc/" + pid + "/environ"
			env, err := os.ReadFile(envFile)
			if err != nil {
				continue
			}
			for _, m := range storePathRe.FindAllString(string(env), -1) {
				add(m, envFile)
			}
		}
	}
	for _, f := range []string{"/proc/sys/kernel/modprobe", "/proc/sys/kernel/fbsplash", "/proc/sys/kernel/poweroff_cmd"} {
		if b, err := os.ReadFile(f); err == nil {
			add(string(b), f)
		}
	}
	targets := make([]string, 0, len(unchecked))
	for t := range unchecked {
		targets = append(targets, t)
	}
	sort.Strings(targets)
	for _, t := range targets {
		if !isInStore(storeDir, t) {
			continue
		}
		p, _, err := storepath.Split(storeDir, t)
		if err != nil {
			continue
		}
		ok, err := st.IsValidPath(ctx, p)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		if opts.Censor {
			roots.add(p, Censored)
			continue
		}
		for _, l := range unchecked[t] {
			roots.add(p, l)
		}
	}
	return nil
}
