package sandbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/sys/unix"

	"gonix/internal/build"
	"gonix/internal/build/sandbox/child"
)

// Runner runs builders in the Linux sandbox of Nix 2.8 (sandbox = true).
// The zero value is ready to use.
type Runner struct {
	// Disable runs builds without the sandbox, as Plain does
	// (--option sandbox false).
	Disable bool
	// Exe is the program started as the sandbox's child; its main must
	// hand ChildArg runs to ChildMain. Empty means gonix-sandbox beside
	// the running program, or else the running program itself.
	Exe string
	// DevShmSize is the size= of the sandbox's /dev/shm
	// (sandbox-dev-shm-size); empty means Nix's default, 50%.
	DevShmSize string
	// NoBuildUsers keeps a root caller's builders running as root mapped
	// to uid 1000 instead of as a build user (nixbld).
	NoBuildUsers bool
	// Warm starts each build's sandbox child ahead, while the build before
	// it runs (a child holds a build user while it waits), deletes used
	// sandbox roots in the background and, with build users, keeps one
	// for the next build to reuse (reuse.go). Call Wait when done
	// building.
	Warm bool

	mu      sync.Mutex
	cleaned map[int]bool           // build users whose leftover processes were killed
	warm    map[warmKey]*warmChild // children started ahead, one per kind
	bg      sync.WaitGroup         // children being started, roots being deleted
	bgErr   error                  // what background work could not do
	running int                    // Warm builds under way
	spare   map[string]string      // real store directory → a used root kept for reuse
	spawner *spawner               // starts the children (Warm), once started
	exe     string                 // the default Exe, once looked up
}

// warmKey is what a child must have been started with to serve a build:
// its namespaces (a fixed-output build keeps the host's network) and
// where its build user comes from.
type warmKey struct {
	fixed    bool
	stateDir string
	diverted bool // a chroot store: build users of its own
}

// warmChild is a child started ahead, with the build user it maps to.
type warmChild struct {
	c  *childProc
	bu *buildUser
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
	// A root is reused only when its builder was a build user, which can
	// change nothing in it but its store's and /tmp's own entries.
	recycle := r.Warm && os.Geteuid() == 0 && !r.NoBuildUsers
	reuse := recycle && r.takeSpare(job.RealStoreDir, root)
	defer func() {
		var rerr error
		if recycle {
			rerr = r.keepSpare(job.RealStoreDir, root)
		} else {
			rerr = r.removeLater(root)
		}
		if rerr != nil && err == nil {
			err = rerr
		}
	}()
	shm := r.DevShmSize
	if shm == "" {
		shm = "50%"
	}
	uid := os.Geteuid()
	key := warmKey{fixed: job.FixedOutput, stateDir: filepath.Join(filepath.Dir(job.RealStoreDir), "var/nix"), diverted: job.RealStoreDir != job.StoreDir}
	exe := r.exeOf()
	// A child started ahead comes with its build user; the next one is
	// started now, while this build runs.
	var w *warmChild
	if r.Warm {
		w = r.takeWarm(key)
		r.mu.Lock()
		r.running++
		alone := r.running == 1
		r.mu.Unlock()
		defer func() {
			r.mu.Lock()
			r.running--
			r.mu.Unlock()
		}()
		// Only a build that runs alone starts the next child: that is a
		// dependency chain, whose next build waits for this one. Builds
		// running side by side keep the CPUs busy already, and children
		// started for them cost CPU without saving time (12% more CPU
		// on 500 independent builds with -j2).
		if alone {
			r.startWarm(key, exe)
		}
	}
	var bu *buildUser
	switch {
	case w != nil:
		bu = w.bu
	case uid == 0 && !r.NoBuildUsers:
		if bu, err = r.buildUser(ctx, key); err != nil {
			return err
		}
	}
	if bu != nil {
		defer bu.release()
		if err := chownTree(job.BuildDir, bu.uid, bu.gid); err != nil {
			if w != nil {
				w.c.discard()
			}
			return err
		}
	}
	c, err := assemble(job, root, shm, bu, reuse)
	if c != nil {
		for _, p := range c.trash {
			r.deleteLater(p)
		}
	}
	if err != nil {
		if w != nil {
			w.c.discard()
		}
		return fmt.Errorf("setting up the build sandbox in '%s': %w", root, err)
	}

	spec := &child.Spec{
		Version: child.Version,
		Builder: job.Builder,
		Argv:    builderArgv(job),
		Env:     job.Env,
		Dir:     sandboxBuildDir(job),
		Sandbox: &child.Sandbox{
			Root:     root,
			RootMode: 0o750,
			Files:    c.files,
			Mounts:   c.mounts,
		},
	}
	if bu != nil {
		spec.Sandbox.SwitchUser = true
	}
	// The child is PID 1 of its namespace: killing it kills every process
	// the builder started.
	kill := func(pid int) { syscall.Kill(pid, syscall.SIGKILL) }
	var status syscall.WaitStatus
	if w != nil {
		status, err = w.c.run(ctx, spec, logOf(job), kill)
	}
	if w == nil || errors.Is(err, errSpecRefused) {
		status, err = supervise(ctx, exe, spec, childAttr(key.fixed, bu), childArgs(key.fixed), logOf(job), kill)
	}
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

// childAttr is how a sandbox child is started: in new namespaces, as
// root of its user namespace mapped to the build user bu (0 → 0 for the
// setup, 1000/100 → bu), or, without one, as the caller mapped to
// 1000/100; fixed-output builds keep the host's network.
func childAttr(fixed bool, bu *buildUser) *syscall.SysProcAttr {
	uid, gid := os.Geteuid(), os.Getegid()
	flags := uintptr(syscall.CLONE_NEWUSER | syscall.CLONE_NEWNS | syscall.CLONE_NEWPID | syscall.CLONE_NEWIPC | syscall.CLONE_NEWUTS)
	if !fixed {
		flags |= syscall.CLONE_NEWNET
	}
	uidMap := []syscall.SysProcIDMap{{ContainerID: child.UID, HostID: uid, Size: 1}}
	gidMap := []syscall.SysProcIDMap{{ContainerID: child.GID, HostID: gid, Size: 1}}
	if bu != nil {
		uidMap = []syscall.SysProcIDMap{{ContainerID: 0, HostID: 0, Size: 1}, {ContainerID: child.UID, HostID: bu.uid, Size: 1}}
		gidMap = []syscall.SysProcIDMap{{ContainerID: 0, HostID: 0, Size: 1}, {ContainerID: child.GID, HostID: bu.gid, Size: 1}}
	}
	return &syscall.SysProcAttr{
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
}

// exeOf is the program to start as the child: Exe, or the default,
// looked up once.
func (r *Runner) exeOf() string {
	if r.Exe != "" {
		return r.Exe
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.exe == "" {
		r.exe = defaultExe()
	}
	return r.exe
}

// spawnerOf returns the Runner's spawner for exe, starting it the first
// time; nil when there is none (it could not be started).
func (r *Runner) spawnerOf(exe string) *spawner {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.spawner == nil {
		sp, err := startSpawner(exe)
		if err != nil {
			return nil
		}
		r.spawner = sp
	}
	return r.spawner
}

// childArgs are the arguments of a sandbox child (child.ArgSandbox and
// the rest): what it does before its spec arrives.
func childArgs(fixed bool) []string {
	args := []string{child.ArgSandbox}
	if !fixed {
		args = append(args, child.ArgLoopback)
	}
	// Only a caller privileged in its own namespace may allow setgroups in
	// the new one; anyone else keeps their groups, which the builder sees
	// as nogroup (as with Nix).
	if os.Geteuid() == 0 {
		args = append(args, child.ArgDropGroups)
	}
	return args
}

// buildUser takes a free build user for key (waiting for one as long as
// ctx allows) and, the first time this Runner meets it, kills what that
// uid left running.
func (r *Runner) buildUser(ctx context.Context, key warmKey) (*buildUser, error) {
	bu, err := allocBuildUser(ctx, key.stateDir, key.diverted)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	if r.cleaned == nil {
		r.cleaned = map[int]bool{}
	}
	first := !r.cleaned[bu.uid]
	r.cleaned[bu.uid] = true
	r.mu.Unlock()
	if first {
		if err := killUser(bu.uid); err != nil {
			bu.release()
			return nil, err
		}
	}
	return bu, nil
}

// takeWarm returns the child started ahead for key, or nil.
func (r *Runner) takeWarm(key warmKey) *warmChild {
	r.mu.Lock()
	defer r.mu.Unlock()
	w := r.warm[key]
	if w != nil {
		delete(r.warm, key)
	}
	return w
}

// startWarm starts a child for key in the background unless one is
// there; with build users it holds one (only if one is free at once).
// Failures are not reported: the build that finds no warm child starts
// its own and reports them.
func (r *Runner) startWarm(key warmKey, exe string) {
	r.mu.Lock()
	if _, ok := r.warm[key]; ok {
		r.mu.Unlock()
		return
	}
	if r.warm == nil {
		r.warm = map[warmKey]*warmChild{}
	}
	r.warm[key] = nil // being started
	r.mu.Unlock()
	r.bg.Add(1)
	go func() {
		defer r.bg.Done()
		var w *warmChild
		defer func() {
			r.mu.Lock()
			old, marked := r.warm[key]
			switch {
			case w == nil && marked && old == nil:
				delete(r.warm, key)
			case w != nil && marked && old == nil:
				r.warm[key] = w
				w = nil
			}
			r.mu.Unlock()
			if w != nil {
				// Another took its place (Wait ran meanwhile, say).
				w.discard()
			}
		}()
		var bu *buildUser
		if os.Geteuid() == 0 && !r.NoBuildUsers {
			now, cancel := context.WithCancel(context.Background())
			cancel() // one pass over the pool, no waiting
			var err error
			if bu, err = r.buildUser(now, key); err != nil {
				return
			}
		}
		c, err := startChild(exe, childAttr(key.fixed, bu), childArgs(key.fixed), r.spawnerOf(exe))
		if errors.Is(err, errSpawnerBroken) {
			c, err = startChild(exe, childAttr(key.fixed, bu), childArgs(key.fixed), nil)
		}
		if err != nil {
			if bu != nil {
				bu.release()
			}
			return
		}
		w = &warmChild{c: c, bu: bu}
	}()
}

// removeLater moves a used sandbox root out of the way and deletes it in
// the background, off the build's critical path.
func (r *Runner) removeLater(root string) error {
	if ok, err := deletableChroot(root); !ok {
		return err
	}
	dead := fmt.Sprintf("%s.del-%d", root, time.Now().UnixNano())
	if err := os.Rename(root, dead); err != nil {
		return fmt.Errorf("moving the sandbox root '%s' out of the way: %w", root, err)
	}
	r.deleteLater(dead)
	return nil
}

// deleteLater deletes dead, a used sandbox root or part of one already
// moved out of the way, in the background.
func (r *Runner) deleteLater(dead string) {
	r.bg.Add(1)
	go func() {
		defer r.bg.Done()
		if err := removeTree(dead); err != nil {
			r.mu.Lock()
			r.bgErr = errors.Join(r.bgErr, err)
			r.mu.Unlock()
		}
	}()
}

// Wait ends the Runner's background work: it waits until every used
// sandbox root is deleted, stops the children started ahead (releasing
// their build users) and reports what could not be deleted. The Runner
// can be used again afterwards.
func (r *Runner) Wait() error {
	r.mu.Lock()
	spares := r.spare
	r.spare = nil
	r.mu.Unlock()
	for _, s := range spares {
		r.deleteLater(s)
	}
	r.bg.Wait()
	r.mu.Lock()
	warm := r.warm
	r.warm = nil
	err := r.bgErr
	r.bgErr = nil
	r.mu.Unlock()
	for _, w := range warm {
		if w != nil {
			w.discard()
		}
	}
	r.mu.Lock()
	sp := r.spawner
	r.spawner = nil
	r.mu.Unlock()
	if sp != nil {
		sp.stop()
	}
	return err
}

// discard stops a child started ahead and releases its build user.
func (w *warmChild) discard() {
	w.c.discard()
	if w.bu != nil {
		w.bu.release()
	}
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
	spec := &child.Spec{
		Version: child.Version,
		Builder: job.Builder,
		Argv:    builderArgv(job),
		Env:     job.Env,
		Dir:     job.BuildDir,
	}
	attr := &syscall.SysProcAttr{Setsid: true, Pdeathsig: syscall.SIGKILL}
	// A new session is a new process group: kill all of it, as Nix does
	// without build users.
	kill := func(pid int) { syscall.Kill(-pid, syscall.SIGKILL) }
	status, err := supervise(ctx, exeOf(p.Exe), spec, attr, nil, logOf(job), kill)
	if err != nil {
		return fmt.Errorf("building '%s': %w", job.DrvPath, err)
	}
	if berr := builderError(job, status); berr != nil {
		return berr
	}
	return nil
}

func checkJob(job *build.Job) error {
	if os.Getenv(child.EnvVar) != "" {
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
