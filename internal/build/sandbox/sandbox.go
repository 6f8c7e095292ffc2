package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/sys/unix"

	"gonix/internal/build"
)

// selfExe is the program re-executed as the child unless told otherwise.
const selfExe = "/proc/self/exe"

// Runner runs builders in the Linux sandbox of Nix 2.8 (sandbox = true).
// The zero value is ready to use.
type Runner struct {
	// Disable runs builds without the sandbox, as Plain does
	// (--option sandbox false).
	Disable bool
	// Exe is the program re-executed as the sandbox's child; its main must
	// hand ChildArg runs to ChildMain. Empty means /proc/self/exe.
	Exe string
	// DevShmSize is the size= of the sandbox's /dev/shm
	// (sandbox-dev-shm-size); empty means Nix's default, 50%.
	DevShmSize string
	// NoBuildUsers keeps a root caller's builders running as root mapped
	// to uid 1000 instead of as a build user (nixbld).
	NoBuildUsers bool

	mu      sync.Mutex
	cleaned map[int]bool // build users whose leftover processes were killed
}

var _ build.Runner = (*Runner)(nil)

// Run runs job's builder in a fresh sandbox and leaves the outputs it made
// at their real store paths, whether it succeeded or not.
func (r *Runner) Run(ctx context.Context, job *build.Job) (err error) {
	if r.Disable {
		return (&Plain{Exe: r.Exe}).Run(ctx, job)
	}
	if err := checkJob(job); err != nil {
		return err
	}
	if err := userNamespacesEnabled(); err != nil {
		return err
	}
	root, err := chrootDir(job)
	if err != nil {
		return err
	}
	if err := removeChroot(root); err != nil {
		return fmt.Errorf("removing the stale sandbox root: %w", err)
	}
	defer func() {
		if rerr := removeChroot(root); rerr != nil && err == nil {
			err = rerr
		}
	}()
	shm := r.DevShmSize
	if shm == "" {
		shm = "50%"
	}
	uid, gid := os.Geteuid(), os.Getegid()
	// As root, the builder runs as a build user; otherwise as the caller.
	var bu *buildUser
	if uid == 0 && !r.NoBuildUsers {
		stateDir := filepath.Join(filepath.Dir(job.RealStoreDir), "var/nix")
		if bu, err = allocBuildUser(ctx, stateDir, job.RealStoreDir != job.StoreDir); err != nil {
			return err
		}
		defer bu.release()
		if r.cleaned == nil {
			r.cleaned = map[int]bool{}
		}
		r.mu.Lock()
		first := !r.cleaned[bu.uid]
		r.cleaned[bu.uid] = true
		r.mu.Unlock()
		if first {
			if err := killUser(bu.uid); err != nil {
				return err
			}
		}
		if err := chownTree(job.BuildDir, bu.uid, bu.gid); err != nil {
			return err
		}
	}
	c, err := assemble(job, root, shm, bu)
	if err != nil {
		return fmt.Errorf("setting up the build sandbox in '%s': %w", root, err)
	}

	spec := &childSpec{
		Builder: job.Builder,
		Argv:    builderArgv(job),
		Env:     job.Env,
		Dir:     sandboxBuildDir(job),
		Sandbox: &sandboxSpec{
			Root:       root,
			Mounts:     c.mounts,
			LoopbackUp: !job.FixedOutput,
			// Only a caller privileged in its own namespace may allow
			// setgroups in the new one; anyone else keeps their groups,
			// which the builder sees as nogroup (as with Nix).
			DropGroups: uid == 0,
		},
	}
	flags := uintptr(syscall.CLONE_NEWUSER | syscall.CLONE_NEWNS | syscall.CLONE_NEWPID | syscall.CLONE_NEWIPC | syscall.CLONE_NEWUTS)
	if !job.FixedOutput {
		flags |= syscall.CLONE_NEWNET
	}
	uidMap := []syscall.SysProcIDMap{{ContainerID: sandboxUID, HostID: uid, Size: 1}}
	gidMap := []syscall.SysProcIDMap{{ContainerID: sandboxGID, HostID: gid, Size: 1}}
	if bu != nil {
		// Root stays root in the namespace (0 → 0) for the setup, which
		// then switches to 1000/100, the build user on the host.
		uidMap = []syscall.SysProcIDMap{{ContainerID: 0, HostID: 0, Size: 1}, {ContainerID: sandboxUID, HostID: bu.uid, Size: 1}}
		gidMap = []syscall.SysProcIDMap{{ContainerID: 0, HostID: 0, Size: 1}, {ContainerID: sandboxGID, HostID: bu.gid, Size: 1}}
		spec.Sandbox.SwitchUser = true
	}
	attr := &syscall.SysProcAttr{
		Cloneflags:                 flags,
		UidMappings:                uidMap,
		GidMappings:                gidMap,
		GidMappingsEnableSetgroups: uid == 0,
		// uid 1000 is not root in the namespace: without ambient
		// capabilities the re-executed child could not mount anything.
		// It clears them before executing the builder.
		AmbientCaps: []uintptr{unix.CAP_SYS_ADMIN, unix.CAP_NET_ADMIN, unix.CAP_SETGID},
		Setsid:      true,
		Pdeathsig:   syscall.SIGKILL,
	}
	// The child is PID 1 of its namespace: killing it kills every process
	// the builder started.
	kill := func(pid int) { syscall.Kill(pid, syscall.SIGKILL) }
	status, err := supervise(ctx, exeOf(r.Exe), spec, attr, logOf(job), kill)
	if err != nil {
		if isNamespaceError(err) {
			return noUserNamespaces(err)
		}
		return fmt.Errorf("building '%s': %w", job.DrvPath, err)
	}
	moveErr := moveOutputs(job, root)
	if berr := builderError(job, status); berr != nil {
		return berr
	}
	if moveErr != nil {
		return fmt.Errorf("building '%s': %w", job.DrvPath, moveErr)
	}
	return nil
}

// Plain runs builders without a sandbox (sandbox = false): in the host's
// file system and namespaces, in the build directory, with the same
// terminal, environment and process rules as in the sandbox. It needs the
// store at its logical location.
type Plain struct {
	// Exe is as in Runner.
	Exe string
}

var _ build.Runner = (*Plain)(nil)

// Run runs job's builder unsandboxed; the outputs are created in place.
func (p *Plain) Run(ctx context.Context, job *build.Job) error {
	if err := checkJob(job); err != nil {
		return err
	}
	if job.Check {
		// Nix rebuilds at a temporary path and rewrites hashes; gonix
		// checks only in the sandbox, where the chroot has a store of its own.
		return fmt.Errorf("checking the outputs of '%s' needs the build sandbox (sandbox = true)", job.DrvPath)
	}
	if filepath.Clean(job.StoreDir) != filepath.Clean(job.RealStoreDir) {
		return fmt.Errorf("building '%s': building without a sandbox needs the store at its logical location; a chroot store (--store DIR) needs the sandbox", job.DrvPath)
	}
	// Nix's rule (§10.1): HOME=/homeless-shelter must not exist.
	if _, err := os.Lstat("/homeless-shelter"); err == nil {
		return fmt.Errorf("building '%s': home directory '/homeless-shelter' exists; please remove it to assure purity of builds without sandboxing", job.DrvPath)
	}
	spec := &childSpec{
		Builder: job.Builder,
		Argv:    builderArgv(job),
		Env:     job.Env,
		Dir:     job.BuildDir,
	}
	attr := &syscall.SysProcAttr{Setsid: true, Pdeathsig: syscall.SIGKILL}
	// A new session is a new process group: kill all of it, as Nix does
	// without build users.
	kill := func(pid int) { syscall.Kill(-pid, syscall.SIGKILL) }
	status, err := supervise(ctx, exeOf(p.Exe), spec, attr, logOf(job), kill)
	if err != nil {
		return fmt.Errorf("building '%s': %w", job.DrvPath, err)
	}
	if berr := builderError(job, status); berr != nil {
		return berr
	}
	return nil
}

func checkJob(job *build.Job) error {
	if os.Getenv(childEnv) != "" {
		return fmt.Errorf("sandbox: not running '%s': this process is a build sandbox's child that did not call sandbox.ChildMain", job.DrvPath)
	}
	if job.Builder == "" {
		return fmt.Errorf("sandbox: job for '%s' has no builder", job.DrvPath)
	}
	if job.StoreDir == "" || job.RealStoreDir == "" || job.BuildDir == "" {
		return fmt.Errorf("sandbox: job for '%s' needs StoreDir, RealStoreDir and BuildDir", job.DrvPath)
	}
	for name, out := range job.Outputs {
		if !strings.HasPrefix(out, job.StoreDir+"/") || strings.Contains(strings.TrimPrefix(out, job.StoreDir+"/"), "/") {
			return fmt.Errorf("sandbox: output '%s' of '%s' is not in the store: '%s'", name, job.DrvPath, out)
		}
	}
	return nil
}

func builderArgv(job *build.Job) []string {
	return append([]string{filepath.Base(job.Builder)}, job.Args...)
}

func sandboxBuildDir(job *build.Job) string {
	if job.SandboxBuildDir == "" {
		return "/build"
	}
	return job.SandboxBuildDir
}

func exeOf(exe string) string {
	if exe == "" {
		return selfExe
	}
	return exe
}

func logOf(job *build.Job) io.Writer {
	if job.Log == nil {
		return io.Discard
	}
	return job.Log
}

// userNamespacesEnabled checks what Nix checks before using a user
// namespace.
func userNamespacesEnabled() error {
	b, err := os.ReadFile("/proc/sys/user/max_user_namespaces")
	if err == nil && strings.TrimSpace(string(b)) == "0" {
		return noUserNamespaces(errors.New("user.max_user_namespaces is 0"))
	}
	return nil
}

func noUserNamespaces(cause error) error {
	return fmt.Errorf("the build sandbox needs user namespaces, which are not available here (%w); "+
		"enable them (sysctl user.max_user_namespaces=10000, or kernel.unprivileged_userns_clone=1 on kernels that have it), "+
		"or build without the sandbox: --option sandbox false", cause)
}

// isNamespaceError tells a failure to create the namespaces (from clone)
// from other failures to start the child.
func isNamespaceError(err error) bool {
	var se *startError
	if !errors.As(err, &se) {
		return false
	}
	return errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EINVAL) ||
		errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EUSERS) || errors.Is(err, syscall.ENOSYS)
}

type startError struct{ err error }

func (e *startError) Error() string { return "starting the build process: " + e.err.Error() }
func (e *startError) Unwrap() error { return e.err }

// supervise starts the child (exe ChildArg) with spec, copies its terminal
// to log until every holder of the terminal has closed it, then kills
// whatever is left (kill gets the child's pid) and returns the child's
// status. A failure of the child before it executed the builder is an
// error.
func supervise(ctx context.Context, exe string, spec *childSpec, attr *syscall.SysProcAttr, log io.Writer, kill func(pid int)) (syscall.WaitStatus, error) {
	master, slave, err := openPty()
	if err != nil {
		return 0, err
	}
	defer master.Close()
	specFile, err := specMemfd(spec)
	if err != nil {
		slave.Close()
		return 0, err
	}
	defer specFile.Close()
	devNull, err := os.Open(os.DevNull)
	if err != nil {
		slave.Close()
		return 0, fmt.Errorf("opening %s: %w", os.DevNull, err)
	}
	defer devNull.Close()
	errR, errW, err := os.Pipe()
	if err != nil {
		slave.Close()
		return 0, fmt.Errorf("creating the error pipe: %w", err)
	}
	defer errR.Close()

	// argv[0] stays ours: a multi-call main (or testscript's) dispatches
	// on it before it sees ChildArg.
	argv0 := exe
	if len(os.Args) > 0 && os.Args[0] != "" {
		argv0 = os.Args[0]
	}
	cmd := &exec.Cmd{
		Path:        exe,
		Args:        []string{argv0, ChildArg},
		Env:         []string{childEnv + "=1"},
		Stdin:       devNull,
		Stdout:      slave,
		Stderr:      slave,
		ExtraFiles:  []*os.File{specFile, errW}, // specFD, errorFD
		SysProcAttr: attr,
	}
	// The child dies with the thread that started it (Pdeathsig), and Go
	// ends a thread when a goroutine exits locked to it: start the child
	// from a thread of our own, kept until the child is reaped.
	started := make(chan error)
	reap := make(chan struct{})
	reaped := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		err := cmd.Start()
		started <- err
		if err != nil {
			return
		}
		<-reap
		reaped <- cmd.Wait()
	}()
	startErr := <-started
	// Our copies must go: the terminal's EOF and the pipe's EOF mean that
	// no one else holds them.
	slave.Close()
	errW.Close()
	if startErr != nil {
		return 0, &startError{startErr}
	}
	pid := cmd.Process.Pid

	copied := make(chan error, 1)
	go func() { copied <- copyLog(log, master) }()
	done := make(chan struct{})
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		select {
		case <-ctx.Done():
			kill(pid)
			// Something outside the process group (Plain) may still hold
			// the terminal: give up on it soon after.
			master.SetReadDeadline(time.Now().Add(time.Second))
		case <-done:
		}
	}()

	report, readErr := io.ReadAll(errR)
	hello := len(report) > 0 && report[0] == childHello
	if hello {
		report = report[1:]
	}
	logErr := <-copied
	// Every kill happens before Wait reaps the child: until then its pid
	// (and its process group's) cannot name another process.
	close(done)
	<-watched
	kill(pid)
	close(reap)
	waitErr := <-reaped

	if len(report) > 0 {
		var f childFailure
		if err := json.Unmarshal(report, &f); err != nil {
			return 0, fmt.Errorf("setting up the build environment: %s", report)
		}
		what := "setting up the build environment"
		if spec.Sandbox != nil {
			what = "setting up the build sandbox"
		}
		return 0, fmt.Errorf("%s: %w", what, f.err())
	}
	if readErr != nil {
		return 0, fmt.Errorf("reading the build process's error pipe: %w", readErr)
	}
	if !hello {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		return 0, fmt.Errorf("'%s' did not run as the build sandbox's child: a program that runs builds must call sandbox.ChildMain when its first argument is %s", exe, ChildArg)
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus)
	if !ok {
		return 0, fmt.Errorf("waiting for the builder: %w", waitErr)
	}
	if logErr != nil {
		return 0, fmt.Errorf("writing the build log: %w", logErr)
	}
	return ws, nil
}

// copyLog copies the terminal to log until the last slave is closed (the
// master then reads EIO) or a deadline passes.
func copyLog(log io.Writer, master *os.File) error {
	buf := make([]byte, 32*1024)
	var werr error
	for {
		n, err := master.Read(buf)
		if n > 0 && werr == nil {
			// Keep draining after a failed write: the builder must not
			// block on a full terminal.
			_, werr = log.Write(buf[:n])
		}
		if err != nil {
			if errors.Is(err, syscall.EIO) || errors.Is(err, io.EOF) || errors.Is(err, os.ErrDeadlineExceeded) {
				return werr
			}
			return err
		}
	}
}

// specMemfd writes spec as JSON into an anonymous file, rewound.
func specMemfd(spec *childSpec) (*os.File, error) {
	b, err := json.Marshal(spec)
	if err != nil {
		return nil, fmt.Errorf("encoding the sandbox spec: %w", err)
	}
	fd, err := unix.MemfdCreate("gonix-sandbox-spec", unix.MFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("creating the sandbox spec file: %w", err)
	}
	f := os.NewFile(uintptr(fd), "sandbox spec")
	if _, err := f.Write(b); err != nil {
		f.Close()
		return nil, fmt.Errorf("writing the sandbox spec: %w", err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		f.Close()
		return nil, fmt.Errorf("writing the sandbox spec: %w", err)
	}
	return f, nil
}

// builderError turns the builder's status into Nix's failure, or nil.
func builderError(job *build.Job, ws syscall.WaitStatus) error {
	switch {
	case ws.Exited() && ws.ExitStatus() == 0:
		return nil
	case ws.Signaled():
		sig := ws.Signal()
		return &build.BuilderError{DrvPath: job.DrvPath, ExitCode: -1, Signal: int(sig), SigName: signalName(sig)}
	default:
		return &build.BuilderError{DrvPath: job.DrvPath, ExitCode: ws.ExitStatus()}
	}
}

// signalName is strsignal(3)'s text ("Killed"): Go's table has glibc's
// descriptions with the first letter lower-cased.
func signalName(sig syscall.Signal) string {
	s := sig.String()
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}
