package child

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Arg is the hidden first argument that makes a program the sandbox's
// child: its main must then return Main(rest).
const Arg = "__gonix-sandbox-child"

// Version is the version of the spec the parent sends. A child that
// finds another refuses it: the helper program beside gonix may be from
// another build. Change it with any change to the types below.
const Version = 3

// The child's descriptors besides stdin/stdout/stderr: the spec it reads
// (JSON, on a pipe) and the close-on-exec pipe it reports on: first Hello
// (so the parent knows the program it ran is a sandbox child), then either
// a JSON Failure or, when the builder was executed, EOF.
const (
	SpecFD  = 3
	ErrorFD = 4
	Hello   = 'G'
)

// EnvVar is set in the child's environment (never the builder's). A
// parent that finds it refuses to run builds: the program it re-executed
// did not call Main (a test binary without the TestMain hook), and running
// builds there would recurse.
const EnvVar = "GONIX_SANDBOX_CHILD"

// The identity of the builder inside the sandbox (§10.5).
const (
	UID = 1000
	GID = 100
)

// The child's arguments after Arg: what it can do before its spec
// arrives, while it waits as a child started ahead. ArgSandbox: it runs
// in the sandbox's namespaces (make its mounts private, name the host);
// ArgLoopback: bring up lo (a private network namespace); ArgDropGroups:
// empty the supplementary groups (only possible when the caller was root,
// so that setgroups is allowed in the namespace).
const (
	ArgSandbox    = "sandbox"
	ArgLoopback   = "loopback"
	ArgDropGroups = "dropgroups"
)

// Spec is what the parent tells the child to do, passed as JSON.
type Spec struct {
	Version int      `json:"version"`
	Builder string   `json:"builder"`
	Argv    []string `json:"argv"`
	Env     []string `json:"env"`
	// Dir is the builder's working directory (after the pivot, if any).
	Dir string `json:"dir"`
	// Sandbox is nil for an unsandboxed (Plain) run.
	Sandbox *Sandbox `json:"sandbox,omitempty"`
}

// Sandbox is the sandbox part of a Spec.
type Sandbox struct {
	// Root is the chroot directory on the host. The child mounts a tmpfs
	// over it (mode RootMode, group GID), makes Files there, then Mounts
	// in order before it becomes the root.
	Root     string  `json:"root"`
	RootMode uint32  `json:"rootMode"`
	Files    []File  `json:"files"`
	Mounts   []Mount `json:"mounts"`
	// SwitchUser: the child starts as root of the namespace and becomes
	// UID / GID (a build user on the host) after the setup.
	SwitchUser bool `json:"switchUser"`
}

// Mount is one mount in the child's namespace. Kind "bind" binds Source
// (a host path) recursively; other kinds mount a fresh file system of
// that type with Data. ReadOnly remounts it read-only afterwards. Name is
// the path as the builder sees it, for messages.
type Mount struct {
	Kind     string `json:"kind"`
	Source   string `json:"source,omitempty"`
	Target   string `json:"target"`
	Data     string `json:"data,omitempty"`
	ReadOnly bool   `json:"readOnly,omitempty"`
	Name     string `json:"name"`
	// Covered: Source is below Root on the host, where the root's tmpfs
	// hides it; the child opens it before mounting the tmpfs.
	Covered bool `json:"covered,omitempty"`
}

// File is an entry the child makes in the root's tmpfs: Kind "dir",
// "file" (holding Data) or "symlink" (to Data), at sandbox path Path with
// Mode; missing parents are made with mode 0755. An existing directory or
// empty file is left as it is (two mounts may share a mount point).
type File struct {
	Kind string `json:"kind"`
	Path string `json:"path"`
	Mode uint32 `json:"mode,omitempty"`
	Data string `json:"data,omitempty"`
}

// Failure is a setup failure reported to the parent: what failed and the
// errno, so that the parent can wrap it with %w.
type Failure struct {
	Op    string `json:"op"`
	Errno int    `json:"errno,omitempty"`
	Msg   string `json:"msg,omitempty"`
}

// Err is the failure as an error (wrapping the errno, if any).
func (f *Failure) Err() error {
	if f.Errno != 0 {
		return fmt.Errorf("%s: %w", f.Op, syscall.Errno(f.Errno))
	}
	return fmt.Errorf("%s: %s", f.Op, f.Msg)
}

// failure builds a Failure from an error of op.
func failure(op string, err error) *Failure {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return &Failure{Op: op, Errno: int(errno)}
	}
	return &Failure{Op: op, Msg: err.Error()}
}

// Main is the sandbox's child: it reads its spec, sets up the namespaces
// it was started in, and executes the builder. It returns only when that
// fails, after reporting why to the parent.
func Main(args []string) int {
	// Capabilities, personality and no_new_privs are per thread: the
	// thread that sets them must be the one that calls execve.
	runtime.LockOSThread()
	if len(args) == 1 && args[0] == ArgSpawner {
		return spawnerMain()
	}
	report := os.NewFile(ErrorFD, "sandbox error pipe")
	if _, err := report.Write([]byte{Hello}); err != nil {
		fmt.Fprintf(os.Stderr, "%s: no parent to report to: %v\n", Arg, err)
		return 2
	}
	f := runChild(args)
	b, _ := json.Marshal(f)
	if _, err := report.Write(b); err != nil {
		// No parent to tell: say it on the log instead.
		fmt.Fprintf(os.Stderr, "error: %v\n", f.Err())
	}
	return 1
}

// runChild does the work of ChildMain; it returns only on failure.
func runChild(args []string) *Failure {
	sandboxed := false
	for _, a := range args {
		var f *Failure
		switch a {
		case ArgSandbox:
			sandboxed = true
			f = prepareSandbox()
		case ArgLoopback:
			if err := loopbackUp(); err != nil {
				f = failure("bringing up the loopback interface", err)
			}
		case ArgDropGroups:
			if _, _, errno := unix.RawSyscall(unix.SYS_SETGROUPS, 0, 0, 0); errno != 0 {
				f = failure("dropping supplementary groups", errno)
			}
		default:
			f = &Failure{Op: "starting the sandbox child", Msg: fmt.Sprintf("unexpected argument %q", a)}
		}
		if f != nil {
			return f
		}
	}
	// Decoded from the pipe as it comes: the spec is complete when its
	// JSON value is, so the child need not wait for the parent to close
	// the pipe (one wake-up less on a build's way).
	specFile := os.NewFile(SpecFD, "sandbox spec")
	defer specFile.Close()
	var spec Spec
	dec := json.NewDecoder(specFile)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&spec); err != nil || spec.Version != Version {
		exe, _ := os.Executable()
		why := fmt.Sprintf("it reads version %d, gonix sent version %d", Version, spec.Version)
		if err != nil {
			why = err.Error()
		}
		return &Failure{Op: "reading the sandbox spec", Msg: fmt.Sprintf("'%s' cannot read this gonix's sandbox spec (%s): install gonix and %s from the same version", exe, why, "gonix-sandbox")}
	}
	if (spec.Sandbox != nil) != sandboxed {
		return &Failure{Op: "reading the sandbox spec", Msg: fmt.Sprintf("a spec with sandbox %v for a child started with %q", spec.Sandbox != nil, args)}
	}
	if s := spec.Sandbox; s != nil {
		if f := setupSandbox(s); f != nil {
			return f
		}
	}
	if err := unix.Chdir(spec.Dir); err != nil {
		return failure(fmt.Sprintf("changing to the build directory '%s'", spec.Dir), err)
	}
	if s := spec.Sandbox; s != nil && s.SwitchUser {
		// On this thread only (Go's Setresuid stops every thread to change
		// it there too): it is the thread that executes the builder, and
		// execve ends the others.
		if _, _, errno := unix.RawSyscall(unix.SYS_SETRESGID, GID, GID, GID); errno != 0 {
			return failure("switching to the build group", errno)
		}
		if _, _, errno := unix.RawSyscall(unix.SYS_SETRESUID, UID, UID, UID); errno != 0 {
			return failure("switching to the build user", errno)
		}
		// Changing the user cleared the parent-death signal the child was
		// started with: without it the builder would outlive a killed
		// gonix.
		if err := unix.Prctl(unix.PR_SET_PDEATHSIG, uintptr(unix.SIGKILL), 0, 0, 0); err != nil {
			return failure("setting the parent-death signal", err)
		}
	}
	return execBuilder(&spec)
}

// prepareSandbox does what needs no spec: it makes every mount private
// (nothing done here may reach the parent namespace) and names the host.
func prepareSandbox() *Failure {
	if err := unix.Mount("", "/", "", unix.MS_PRIVATE|unix.MS_REC, ""); err != nil {
		return failure("making '/' private", err)
	}
	if err := unix.Sethostname([]byte("localhost")); err != nil {
		return failure("setting the host name", err)
	}
	if err := unix.Setdomainname([]byte("(none)")); err != nil {
		return failure("setting the domain name", err)
	}
	return nil
}

// setupSandbox makes the mounts and pivots into the chroot.
func setupSandbox(s *Sandbox) *Failure {
	if f := coverRoot(s); f != nil {
		return f
	}
	for _, m := range s.Mounts {
		if f := doMount(m); f != nil {
			return f
		}
	}
	// The chroot's own directories (/, /etc, /dev) belong to the calling
	// user: when the builder is that user in disguise, keep it from
	// changing them (a build user cannot anyway).
	if !s.SwitchUser {
		if err := remountReadOnly(s.Root); err != nil {
			return failure("making the sandbox root read-only", err)
		}
	}
	if err := unix.Chdir(s.Root); err != nil {
		return failure(fmt.Sprintf("changing to the sandbox root '%s'", s.Root), err)
	}
	// pivot_root(".", ".") stacks the old root on the new one; detaching
	// it leaves the chroot as the only file system the builder can reach.
	if err := unix.PivotRoot(".", "."); err != nil {
		return failure(fmt.Sprintf("pivoting into '%s'", s.Root), err)
	}
	if err := unix.Unmount(".", unix.MNT_DETACH); err != nil {
		return failure("detaching the old root", err)
	}
	if err := unix.Chdir("/"); err != nil {
		return failure("changing to the new root", err)
	}
	return nil
}

// coverRoot mounts the root's tmpfs (a mount point, as pivot_root wants)
// and makes the files of the skeleton in it. The covered mounts' sources
// are opened first and then named through /proc/self/fd.
func coverRoot(s *Sandbox) *Failure {
	for i := range s.Mounts {
		m := &s.Mounts[i]
		if !m.Covered {
			continue
		}
		fd, err := unix.Open(m.Source, unix.O_PATH|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0)
		if err != nil {
			return failure(fmt.Sprintf("opening '%s'", m.Source), err)
		}
		m.Source = fmt.Sprintf("/proc/self/fd/%d", fd)
	}
	data := fmt.Sprintf("mode=%o,gid=%d", s.RootMode, GID)
	if err := unix.Mount("none", s.Root, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, data); err != nil {
		return failure(fmt.Sprintf("mounting a tmpfs on the sandbox root '%s'", s.Root), err)
	}
	// The modes are the spec's exactly, whatever umask the parent had.
	old := unix.Umask(0)
	defer unix.Umask(old)
	for _, f := range s.Files {
		if err := makeFile(s.Root, f); err != nil {
			return failure(fmt.Sprintf("creating the sandbox's %s", f.Path), err)
		}
	}
	return nil
}

// makeFile makes f below root, and its missing parents.
func makeFile(root string, f File) error {
	p := root + f.Path
	err := mkfile(p, f)
	if errors.Is(err, unix.ENOENT) {
		if err := mkdirAll(filepath.Dir(p)); err != nil {
			return err
		}
		err = mkfile(p, f)
	}
	return err
}

func mkfile(p string, f File) error {
	switch f.Kind {
	case "dir":
		if err := unix.Mkdir(p, f.Mode); err != nil && err != unix.EEXIST {
			return err
		}
		return nil
	case "symlink":
		return unix.Symlink(f.Data, p)
	}
	flags := unix.O_WRONLY | unix.O_CREAT | unix.O_EXCL | unix.O_CLOEXEC | unix.O_NOFOLLOW
	fd, err := unix.Open(p, flags, f.Mode)
	if err == unix.EEXIST && f.Data == "" {
		return nil
	}
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	for b := []byte(f.Data); len(b) > 0; {
		n, err := unix.Write(fd, b)
		if err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}

// mkdirAll makes directory p and its missing parents with mode 0755.
func mkdirAll(p string) error {
	err := unix.Mkdir(p, 0o755)
	if errors.Is(err, unix.ENOENT) {
		if err := mkdirAll(filepath.Dir(p)); err != nil {
			return err
		}
		err = unix.Mkdir(p, 0o755)
	}
	if err != nil && err != unix.EEXIST {
		return err
	}
	return nil
}

func doMount(m Mount) *Failure {
	if m.Kind == "bind" {
		if err := unix.Mount(m.Source, m.Target, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
			return failure(fmt.Sprintf("bind mounting '%s' to '%s'", m.Source, m.Name), err)
		}
	} else {
		if err := unix.Mount("none", m.Target, m.Kind, 0, m.Data); err != nil {
			return failure(fmt.Sprintf("mounting %s", m.Name), err)
		}
	}
	if m.ReadOnly {
		if err := remountReadOnly(m.Target); err != nil {
			return failure(fmt.Sprintf("making '%s' read-only", m.Name), err)
		}
	}
	return nil
}

// remountReadOnly makes the mount at target read-only. A mount inherited
// from a more privileged namespace has its nosuid/nodev/noexec/atime flags
// locked: a remount must repeat them or fail with EPERM.
func remountReadOnly(target string) error {
	var st unix.Statfs_t
	if err := unix.Statfs(target, &st); err != nil {
		return err
	}
	// The ST_* flags of statfs equal the MS_* flags of mount.
	const keep = unix.ST_NOSUID | unix.ST_NODEV | unix.ST_NOEXEC | unix.ST_NOATIME | unix.ST_NODIRATIME | unix.ST_RELATIME
	flags := uintptr(st.Flags)&keep | unix.MS_BIND | unix.MS_REMOUNT | unix.MS_RDONLY
	return unix.Mount("", target, "", flags, "")
}

// loopbackUp sets IFF_UP on lo, the only interface of a new network
// namespace.
func loopbackUp() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return err
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP | unix.IFF_RUNNING)
	return unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr)
}

// addrNoRandomize is ADDR_NO_RANDOMIZE of <linux/personality.h>, which
// x/sys/unix does not define.
const addrNoRandomize = 0x0040000

// execBuilder applies the per-process settings of §10.4 and executes the
// builder in place of this process.
func execBuilder(spec *Spec) *Failure {
	// Core dumps off (soft limit only, as Nix).
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_CORE, &lim); err != nil {
		return failure("getting the core dump limit", err)
	}
	lim.Cur = 0
	if err := unix.Setrlimit(unix.RLIMIT_CORE, &lim); err != nil {
		return failure("disabling core dumps", err)
	}
	// personality(0xffffffff) reads the current persona.
	cur, _, errno := unix.RawSyscall(unix.SYS_PERSONALITY, 0xffffffff, 0, 0)
	if errno == 0 {
		_, _, errno = unix.RawSyscall(unix.SYS_PERSONALITY, cur|addrNoRandomize, 0, 0)
	}
	if errno != 0 {
		return failure("disabling address space randomisation", errno)
	}
	// The capabilities the setup needed must not reach the builder: clear
	// the ambient set (the only way they would survive execve for uid
	// 1000), and forbid gaining any through set-user-ID or file caps.
	if err := unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0); err != nil && !errors.Is(err, unix.EINVAL) {
		return failure("dropping capabilities", err)
	}
	if err := clearInheritable(); err != nil {
		return failure("dropping capabilities", err)
	}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return failure("setting no_new_privs", err)
	}
	// All descriptors but stdin, stdout and stderr close on exec, the
	// error pipe among them: its EOF tells the parent the exec happened.
	if err := unix.CloseRange(3, ^uint(0), unix.CLOSE_RANGE_CLOEXEC); err != nil {
		if err := cloexecAll(); err != nil {
			return failure("closing descriptors", err)
		}
	}
	err := unix.Exec(spec.Builder, spec.Argv, spec.Env)
	// ETXTBSY: a process forked (and not yet exec'd) while the builder's
	// file was open for writing still holds that descriptor, as any fork
	// of a program writing store files concurrently can (Go's issue
	// 22315). It lets go at its own exec: try again, for up to a second.
	for wait := time.Millisecond; errors.Is(err, unix.ETXTBSY) && wait < time.Second; wait *= 2 {
		time.Sleep(wait)
		err = unix.Exec(spec.Builder, spec.Argv, spec.Env)
	}
	return failure(fmt.Sprintf("executing '%s'", spec.Builder), err)
}

// clearInheritable empties the inheritable capability set, which raising
// the ambient capabilities filled: the builder should show none at all.
func clearInheritable() error {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return err
	}
	if data[0].Inheritable == 0 && data[1].Inheritable == 0 {
		return nil
	}
	data[0].Inheritable, data[1].Inheritable = 0, 0
	return unix.Capset(&hdr, &data[0])
}

// cloexecAll is the fallback for kernels without close_range's
// CLOSE_RANGE_CLOEXEC (before 5.11).
func cloexecAll() error {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return err
	}
	for _, e := range entries {
		var fd int
		if _, err := fmt.Sscan(e.Name(), &fd); err != nil || fd < 3 {
			continue
		}
		unix.CloseOnExec(fd)
	}
	return nil
}
