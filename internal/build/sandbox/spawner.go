package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"

	"gonix/internal/build/sandbox/child"
)

// spawner is a long-lived process (the child program with
// child.ArgSpawner) that starts a Warm Runner's sandbox children. A child
// in a new user namespace is started by a fork that copies the forking
// process's page tables (Go cannot use vfork with CLONE_NEWUSER), and
// after it gonix takes a copy-on-write fault on every page it writes;
// the spawner has a few pages where gonix has tens of megabytes. Its
// children are started with CLONE_PARENT: they are gonix's, which waits
// for them itself.
type spawner struct {
	mu     sync.Mutex
	sock   *os.File
	exited chan struct{}
	broken bool
}

// startSpawner starts exe as a spawner. It is started (without new
// namespaces, so with vfork) from a thread of its own kept until it exits:
// the children it starts have that thread for their parent, and their
// parent-death signal is sent when it ends.
func startSpawner(exe string) (*spawner, error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("creating the spawner's socket: %w", err)
	}
	ours := os.NewFile(uintptr(fds[0]), "spawner socket")
	theirs := os.NewFile(uintptr(fds[1]), "spawner socket")
	defer theirs.Close()
	argv0 := exe
	if len(os.Args) > 0 && os.Args[0] != "" {
		argv0 = os.Args[0]
	}
	cmd := &exec.Cmd{
		Path: exe,
		Args: []string{argv0, ChildArg, child.ArgSpawner},
		// One P; it collects, or it would grow, and so the copies it forks.
		Env:         []string{child.EnvVar + "=1", "GOMAXPROCS=1"},
		ExtraFiles:  []*os.File{theirs}, // child.SpawnerFD
		SysProcAttr: &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL},
	}
	s := &spawner{sock: ours, exited: make(chan struct{})}
	started := make(chan error)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		err := cmd.Start()
		started <- err
		if err != nil {
			return
		}
		cmd.Wait()
		close(s.exited)
	}()
	if err := <-started; err != nil {
		ours.Close()
		return nil, fmt.Errorf("starting the sandbox spawner: %w", err)
	}
	return s, nil
}

// errSpawnerBroken: the spawner could not be asked (it is gone); start
// the child directly.
var errSpawnerBroken = errors.New("the sandbox spawner is gone")

// start has the spawner start exe with argv in the namespaces of attr,
// with files as its descriptors 0…n-1, and returns its pid.
func (s *spawner) start(exe string, argv []string, attr *syscall.SysProcAttr, files []*os.File) (int, error) {
	req := &child.SpawnRequest{
		Exe:         exe,
		Argv:        argv,
		Env:         childEnv(),
		Cloneflags:  attr.Cloneflags,
		UidMappings: attr.UidMappings,
		GidMappings: attr.GidMappings,
		Setgroups:   attr.GidMappingsEnableSetgroups,
		AmbientCaps: attr.AmbientCaps,
		Pdeathsig:   attr.Pdeathsig,
	}
	b, err := json.Marshal(req)
	if err != nil {
		return 0, fmt.Errorf("encoding the spawn request: %w", err)
	}
	fds := make([]int, len(files))
	for i, f := range files {
		fds[i] = int(f.Fd())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.broken {
		return 0, errSpawnerBroken
	}
	sock := int(s.sock.Fd())
	if err := unix.Sendmsg(sock, b, unix.UnixRights(fds...), nil, 0); err != nil {
		s.broken = true
		return 0, fmt.Errorf("%w: %v", errSpawnerBroken, err)
	}
	buf := make([]byte, 64<<10)
	n, err := unix.Read(sock, buf)
	if err != nil || n == 0 {
		s.broken = true
		return 0, fmt.Errorf("%w: %v", errSpawnerBroken, err)
	}
	var reply child.SpawnReply
	if err := json.Unmarshal(buf[:n], &reply); err != nil {
		return 0, fmt.Errorf("decoding the spawner's reply: %w", err)
	}
	switch {
	case reply.Errno != 0:
		return 0, &startError{&os.SyscallError{Syscall: "fork/exec", Err: syscall.Errno(reply.Errno)}}
	case reply.Pid <= 0:
		return 0, &startError{errors.New(reply.Msg)}
	}
	return reply.Pid, nil
}

// stop ends the spawner and waits until it has exited.
func (s *spawner) stop() {
	s.mu.Lock()
	s.sock.Close()
	s.broken = true
	s.mu.Unlock()
	<-s.exited
}
