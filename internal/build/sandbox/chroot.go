package sandbox

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"gonix/internal/build"
	"gonix/internal/build/sandbox/child"
)

// chroot is the sandbox root being assembled: the few directories that
// must be on the store's file system (the sandbox's store, where outputs
// are made and file inputs hard-linked, and /tmp) are made here on the
// host; everything else (/etc, /dev, mount points) is listed in files and
// made by the child in a tmpfs mounted over the root in its own mount
// namespace, where it costs no disk inodes and disappears with the
// namespace. mounts are the mounts the child makes over all that.
type chroot struct {
	root   string
	mounts []child.Mount
	files  []child.File
	// disk: sandbox directories that are bound from the host root's
	// directory of the same name; what goes below them is made on disk.
	disk []string
	// trash: what a reused root had that must be deleted (its old /tmp),
	// already moved out of it.
	trash []string
}

// bind is a bind mount being planned: the child's Mount, and whether its
// source may be missing (optional) or is a store path (input: a symlink
// there is copied, not followed).
type bind struct {
	child.Mount
	optional, input bool
}

// chrootDir is where Nix 2.8 puts the sandbox root of drvPath:
// <realStoreDir>/<drv base name>.chroot.
func chrootDir(job *build.Job) (string, error) {
	base := path.Base(job.DrvPath)
	if job.DrvPath == "" || base == "/" || base == "." {
		return "", fmt.Errorf("sandbox: job has no derivation path")
	}
	return filepath.Join(job.RealStoreDir, base+".chroot"), nil
}

// realPath is where logical store path p lives on the host.
func realPath(job *build.Job, p string) string {
	return job.RealStoreDir + strings.TrimPrefix(p, job.StoreDir)
}

// inside is the host path of sandbox path p.
func (c *chroot) inside(p string) string {
	return filepath.Join(c.root, p)
}

// addMount records a mount over sandbox path name.
func (c *chroot) addMount(m child.Mount) {
	m.Target = c.inside(m.Name)
	c.mounts = append(c.mounts, m)
}

// onDisk reports whether sandbox path name is below a directory bound
// from the host root (the store, /tmp): things there are made on disk.
func (c *chroot) onDisk(name string) bool {
	for _, d := range c.disk {
		if name == d || strings.HasPrefix(name, d+"/") {
			return true
		}
	}
	return false
}

// addFile records a file the child makes in the root's tmpfs.
func (c *chroot) addFile(f child.File) {
	c.files = append(c.files, f)
}

// diskDir creates sandbox directory name on the host root with mode and
// has the child bind it over the same name in the tmpfs (the tmpfs hides
// the host root's own entries; the child reaches them through descriptors
// opened before it mounts the tmpfs).
func (c *chroot) diskDir(name string, mode uint32, gid int) error {
	if err := mkdirAllMode(c.inside(name), mode); err != nil {
		return err
	}
	if gid >= 0 {
		if err := os.Lchown(c.inside(name), 0, gid); err != nil {
			return fmt.Errorf("giving the sandbox's %s to the build group: %w", name, err)
		}
	}
	c.disk = append(c.disk, name)
	c.addFile(child.File{Kind: "dir", Path: name, Mode: 0o755})
	c.addMount(child.Mount{Kind: "bind", Source: c.inside(name), Name: name, Covered: true})
	return nil
}

// assemble builds the sandbox root for job at root, which must not exist
// unless reuse says it is the root of an earlier build (see reuse.go).
func assemble(job *build.Job, root, devShmSize string, bu *buildUser, reuse bool) (*chroot, error) {
	c := &chroot{root: root}
	var kept map[string]bool
	if reuse {
		inputs := make(map[string]bool, len(job.Inputs))
		for _, p := range job.Inputs {
			inputs[p] = true
		}
		var err error
		if kept, err = c.reuseStore(job, inputs); err != nil {
			return c, err
		}
		// Its /tmp (root's, mode 1777) is kept when the builder left it
		// empty, and replaced otherwise.
		if !emptyDir(c.inside("/tmp")) {
			dead := fmt.Sprintf("%s.tmp.del-%d", root, time.Now().UnixNano())
			if err := os.Rename(c.inside("/tmp"), dead); err != nil {
				return c, fmt.Errorf("moving the reused sandbox root's /tmp out of the way: %w", err)
			}
			c.trash = append(c.trash, dead)
		}
	} else if err := os.Mkdir(root, 0o750); err != nil {
		return nil, fmt.Errorf("creating the sandbox root: %w", err)
	}
	// Mkdir is subject to the umask; the modes here are Nix's exactly.
	if err := chmod(root, 0o750); err != nil {
		return c, err
	}
	// A build user reaches the root and the store through their group,
	// as Nix's build group does.
	gid := -1
	if bu != nil {
		gid = bu.gid
		if err := os.Lchown(root, 0, bu.gid); err != nil {
			return nil, fmt.Errorf("giving the sandbox root to the build group: %w", err)
		}
	}
	// The store: writable (the outputs are made there, then renamed to
	// their real paths, so it is on the store's file system), its own
	// mount so that it stays writable when the root becomes read-only.
	if err := c.diskDir(job.StoreDir, 0o1775, gid); err != nil {
		return nil, err
	}
	// /tmp stays on disk as in Nix: a builder may fill it.
	if err := c.diskDir("/tmp", 0o1777, -1); err != nil {
		return nil, err
	}
	c.addFile(child.File{Kind: "dir", Path: "/etc", Mode: 0o755})
	home := job.SandboxBuildDir
	c.addFile(child.File{Kind: "file", Path: "/etc/passwd", Mode: 0o644, Data: fmt.Sprintf("root:x:0:0:Nix build user:%[3]s:/noshell\n"+
		"nixbld:x:%[1]d:%[2]d:Nix build user:%[3]s:/noshell\n"+
		"nobody:x:65534:65534:Nobody:/:/noshell\n", child.UID, child.GID, home)})
	c.addFile(child.File{Kind: "file", Path: "/etc/group", Mode: 0o644, Data: fmt.Sprintf("root:x:0:\nnixbld:!:%d:\nnogroup:x:65534:\n", child.GID)})
	if job.FixedOutput {
		c.addFile(child.File{Kind: "file", Path: "/etc/nsswitch.conf", Mode: 0o644, Data: "hosts: files dns\nservices: files\n"})
	} else {
		c.addFile(child.File{Kind: "file", Path: "/etc/hosts", Mode: 0o644, Data: "127.0.0.1 localhost\n::1 localhost\n"})
	}

	// Everything else bound from the host is read-only: the builder is the
	// calling user in disguise and would otherwise own those files.
	var binds []bind
	outputs := make(map[string]bool, len(job.Outputs))
	for _, o := range job.Outputs {
		outputs[o] = true
	}
	for _, p := range job.Inputs {
		if outputs[p] {
			continue
		}
		// With a build user, a file input is hard-linked in (Nix's
		// linkOrCopy): it belongs to root, so the builder can neither
		// write it nor change its mode, and a link costs far less than a
		// mount point and two mounts.
		if kept[p] || bu != nil && linkFileInput(realPath(job, p), c.inside(p)) {
			continue
		}
		// Read-only only when the builder is the caller in disguise: a
		// build user cannot write root's files anyway (one mount instead
		// of two per input, as in Nix).
		binds = append(binds, bind{Mount: child.Mount{Kind: "bind", Source: realPath(job, p), Name: p, ReadOnly: bu == nil}, input: true})
	}
	binds = append(binds, bind{Mount: child.Mount{Kind: "bind", Source: job.BuildDir, Name: job.SandboxBuildDir}})
	ownDev := true
	for _, sp := range job.SandboxPaths {
		switch sp.Target {
		case "/proc":
			continue // always a fresh procfs, as in Nix
		case "/dev":
			ownDev = false
		}
		src := sp.Source
		if src == "" {
			src = sp.Target
		}
		// Read-only, except a directory anyone may write to (a shared
		// cache or counter directory): the builder is the calling user
		// under another uid, so a writable bind of /usr or /bin would let
		// it change the host; a world-writable directory it could write
		// to as any build user in Nix, too.
		binds = append(binds, bind{Mount: child.Mount{Kind: "bind", Source: src, Name: sp.Target, ReadOnly: bu == nil && !worldWritableDir(src)}, optional: sp.Optional})
	}
	if ownDev {
		for _, d := range []string{"/dev/full", "/dev/null", "/dev/random", "/dev/tty", "/dev/urandom", "/dev/zero"} {
			binds = append(binds, bind{Mount: child.Mount{Kind: "bind", Source: d, Name: d, ReadOnly: bu == nil}})
		}
	}
	if job.FixedOutput {
		for _, f := range []string{"/etc/resolv.conf", "/etc/services", "/etc/hosts"} {
			binds = append(binds, bind{Mount: child.Mount{Kind: "bind", Source: f, Name: f, ReadOnly: bu == nil}, optional: true})
		}
	}
	// Parents before children, as Nix's ordered map does.
	sort.SliceStable(binds, func(i, j int) bool { return binds[i].Name < binds[j].Name })
	for _, b := range binds {
		ok, err := c.placeholder(b.Source, b.Name, b.optional, b.input)
		if err != nil {
			return nil, err
		}
		if ok {
			c.addMount(b.Mount)
		}
	}

	if ownDev {
		c.addFile(child.File{Kind: "dir", Path: "/dev/shm", Mode: 0o755})
		c.addFile(child.File{Kind: "dir", Path: "/dev/pts", Mode: 0o755})
		links := [][2]string{
			{"/proc/self/fd", "/dev/fd"},
			{"/proc/self/fd/0", "/dev/stdin"},
			{"/proc/self/fd/1", "/dev/stdout"},
			{"/proc/self/fd/2", "/dev/stderr"},
			{"/dev/pts/ptmx", "/dev/ptmx"},
		}
		for _, l := range links {
			c.addFile(child.File{Kind: "symlink", Path: l[1], Data: l[0]})
		}
	}
	c.addFile(child.File{Kind: "dir", Path: "/proc", Mode: 0o555})
	c.addMount(child.Mount{Kind: "proc", Name: "/proc"})
	// A fresh procfs still has the kernel's global knobs; the builder runs
	// as the calling user (root, often), who owns them. Nix relies on build
	// users here; we make them read-only, as container runtimes do.
	// A build user owns none of them: nothing to do then (as in Nix).
	for _, p := range []string{"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"} {
		if bu != nil {
			break
		}
		if _, err := os.Stat(p); err == nil {
			c.addMount(child.Mount{Kind: "bind", Source: c.inside(p), Name: p, ReadOnly: true})
		}
	}
	if ownDev {
		if _, err := os.Stat("/dev/shm"); err == nil {
			c.addMount(child.Mount{Kind: "tmpfs", Name: "/dev/shm", Data: "size=" + devShmSize})
		}
		c.addMount(child.Mount{Kind: "devpts", Name: "/dev/pts", Data: "newinstance,mode=0620,ptmxmode=0666"})
	}
	return c, nil
}

// placeholder creates the mount point for binding host path src at
// sandbox path name: a directory or an empty file, after the type of src.
// A missing optional source gives false. With copySymlink, a symlink (as a
// store path can be) is copied as a symlink, since a mount would follow it
// (Nix hard-links non-directory inputs, which keeps symlinks as they are).
func (c *chroot) placeholder(src, name string, optional, copySymlink bool) (bool, error) {
	target := c.inside(name)
	disk := c.onDisk(name)
	if disk {
		if err := mkdirAllMode(filepath.Dir(target), 0o755); err != nil {
			return false, err
		}
	}
	lst, err := os.Lstat(src)
	if err != nil {
		if optional && errors.Is(err, fs.ErrNotExist) {
			return false, nil
		}
		return false, fmt.Errorf("getting attributes of path '%s': %w", src, err)
	}
	if lst.Mode()&fs.ModeSymlink != 0 && copySymlink {
		dest, err := os.Readlink(src)
		if err != nil {
			return false, fmt.Errorf("reading symlink '%s': %w", src, err)
		}
		if !disk {
			c.addFile(child.File{Kind: "symlink", Path: name, Data: dest})
			return false, nil
		}
		if err := os.Symlink(dest, target); err != nil {
			return false, fmt.Errorf("copying symlink '%s' into the sandbox: %w", src, err)
		}
		return false, nil
	}
	st, err := os.Stat(src)
	if err != nil {
		if optional && errors.Is(err, fs.ErrNotExist) {
			return false, nil
		}
		return false, fmt.Errorf("getting attributes of path '%s': %w", src, err)
	}
	if !disk {
		kind, mode := "file", uint32(0o644)
		if st.IsDir() {
			kind, mode = "dir", 0o755
		}
		c.addFile(child.File{Kind: kind, Path: name, Mode: mode})
		return true, nil
	}
	if st.IsDir() {
		err = os.Mkdir(target, 0o755)
	} else {
		var f *os.File
		f, err = os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err == nil {
			err = f.Close()
		}
	}
	if err != nil && !errors.Is(err, fs.ErrExist) {
		return false, fmt.Errorf("creating mount point '%s' in the sandbox: %w", name, err)
	}
	return true, nil
}

// worldWritableDir reports whether p is a directory (not a symlink) whose
// mode lets everyone write to it.
func worldWritableDir(p string) bool {
	fi, err := os.Lstat(p)
	return err == nil && fi.IsDir() && fi.Mode().Perm()&0o002 != 0
}

// linkFileInput hard-links a regular-file input into the sandbox store; it
// reports false (bind it instead) for anything else or when linking fails.
func linkFileInput(src, dst string) bool {
	fi, err := os.Lstat(src)
	if err != nil || !fi.Mode().IsRegular() {
		return false
	}
	return os.Link(src, dst) == nil
}
