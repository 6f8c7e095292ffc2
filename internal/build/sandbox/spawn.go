package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"syscall"
	"time"

	"gonix/internal/build/sandbox/child"
)

// childEnv is the sandbox child's environment (never the builder's): it
// runs one goroutine for a moment, so one P and no collector (13% less
// CPU to start it).
func childEnv() []string {
	return []string{child.EnvVar + "=1", "GOMAXPROCS=1", "GOGC=off"}
}

// childProc is a started sandbox child (exe ChildArg) that waits for its spec
// on a pipe. Starting one is most of a trivial build's cost (a fresh Go
// runtime and the namespaces), so the Runner starts the next one while a
// build runs (warm) and hands it the spec when a build needs it.
type childProc struct {
	exe    string
	cmd    *exec.Cmd        // started directly
	proc   *os.Process      // or by a spawner
	state  *os.ProcessState // once reaped
	pid    int
	master *os.File // the terminal the child writes to
	specW  *os.File // the spec goes here, then it is closed
	errR   *os.File // hello, then a child.Failure or EOF
	reap   chan struct{}
	reaped chan error
}

// startChild starts exe as a sandbox child with attr and args (childArgs;
// none outside the sandbox), through sp unless it is nil. The child reads
// its spec from a pipe, so it can be started before the spec exists.
func startChild(exe string, attr *syscall.SysProcAttr, args []string, sp *spawner) (c *childProc, err error) {
	c = &childProc{exe: exe, reap: make(chan struct{}), reaped: make(chan error, 1)}
	var closers []*os.File
	defer func() {
		for _, f := range closers {
			f.Close()
		}
		if err != nil {
			c.closeParentEnds()
		}
	}()
	var slave *os.File
	if c.master, slave, err = openPty(); err != nil {
		return nil, err
	}
	closers = append(closers, slave)
	specR, specW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("creating the spec pipe: %w", err)
	}
	c.specW = specW
	closers = append(closers, specR)
	devNull, err := os.Open(os.DevNull)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", os.DevNull, err)
	}
	closers = append(closers, devNull)
	errR, errW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("creating the error pipe: %w", err)
	}
	c.errR = errR
	closers = append(closers, errW)

	// argv[0] stays ours: a multi-call main (or testscript's) dispatches
	// on it before it sees ChildArg.
	argv0 := exe
	if len(os.Args) > 0 && os.Args[0] != "" {
		argv0 = os.Args[0]
	}
	if sp != nil {
		argv := append([]string{argv0, ChildArg}, args...)
		pid, err := sp.start(exe, argv, attr, []*os.File{devNull, slave, slave, specR, errW})
		if err != nil {
			return nil, err
		}
		c.pid = pid
		if c.proc, err = os.FindProcess(pid); err != nil {
			syscall.Kill(pid, syscall.SIGKILL)
			return nil, &startError{err}
		}
		go func() {
			<-c.reap
			st, err := c.proc.Wait()
			c.state = st
			c.reaped <- err
		}()
		return c, nil
	}
	c.cmd = &exec.Cmd{
		Path:        exe,
		Args:        append([]string{argv0, ChildArg}, args...),
		Env:         childEnv(),
		Stdin:       devNull,
		Stdout:      slave,
		Stderr:      slave,
		ExtraFiles:  []*os.File{specR, errW}, // child.SpecFD, child.ErrorFD
		SysProcAttr: attr,
	}
	// The child dies with the thread that started it (Pdeathsig), and Go
	// ends a thread when a goroutine exits locked to it: start the child
	// from a thread of our own, kept until the child is reaped.
	started := make(chan error)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		err := c.cmd.Start()
		started <- err
		if err != nil {
			return
		}
		<-c.reap
		err = c.cmd.Wait()
		c.state = c.cmd.ProcessState
		c.reaped <- err
	}()
	// Our copies of the child's ends are closed by the deferred function:
	// the terminal's EOF and the pipes' EOF mean that no one else holds
	// them.
	if err := <-started; err != nil {
		return nil, &startError{err}
	}
	c.pid = c.cmd.Process.Pid
	return c, nil
}

func (c *childProc) closeParentEnds() {
	for _, f := range []*os.File{c.master, c.specW, c.errR} {
		if f != nil {
			f.Close()
		}
	}
}

// discard kills a child that was never given a spec and reaps it.
func (c *childProc) discard() {
	syscall.Kill(c.pid, syscall.SIGKILL)
	close(c.reap)
	<-c.reaped
	c.closeParentEnds()
}

// errSpecRefused: the child was gone before it could read its spec (a
// warm child killed while it waited); another can be started.
var errSpecRefused = errors.New("the sandbox child did not take its spec")

// run gives the child its spec, copies its terminal to log until every
// holder of the terminal has closed it, then kills whatever is left (kill
// gets the child's pid) and returns the child's status. A failure of the
// child before it executed the builder is an error.
func (c *childProc) run(ctx context.Context, spec *child.Spec, log io.Writer, kill func(pid int)) (syscall.WaitStatus, error) {
	defer c.master.Close()
	defer c.errR.Close()
	b, err := json.Marshal(spec)
	if err != nil {
		c.discard()
		return 0, fmt.Errorf("encoding the sandbox spec: %w", err)
	}
	// Written aside: a program that is no sandbox child may never read it.
	wrote := make(chan error, 1)
	go func() {
		_, err := c.specW.Write(b)
		if cerr := c.specW.Close(); err == nil {
			err = cerr
		}
		wrote <- err
	}()
	pid := c.pid

	copied := make(chan error, 1)
	go func() { copied <- copyLog(log, c.master) }()
	done := make(chan struct{})
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		select {
		case <-ctx.Done():
			kill(pid)
			// Something outside the process group (Plain) may still hold
			// the terminal: give up on it soon after.
			c.master.SetReadDeadline(time.Now().Add(time.Second))
		case <-done:
		}
	}()

	report, readErr := io.ReadAll(c.errR)
	hello := len(report) > 0 && report[0] == child.Hello
	if hello {
		report = report[1:]
	}
	logErr := <-copied
	// Every kill happens before Wait reaps the child: until then its pid
	// (and its process group's) cannot name another process.
	close(done)
	<-watched
	kill(pid)
	close(c.reap)
	waitErr := <-c.reaped
	werr := <-wrote
	if werr != nil && hello && len(report) == 0 {
		// A child started ahead that was gone before it read its spec.
		return 0, fmt.Errorf("%w: %v", errSpecRefused, werr)
	}

	if len(report) > 0 {
		var f child.Failure
		if err := json.Unmarshal(report, &f); err != nil {
			return 0, fmt.Errorf("setting up the build environment: %s", report)
		}
		what := "setting up the build environment"
		if spec.Sandbox != nil {
			what = "setting up the build sandbox"
		}
		return 0, fmt.Errorf("%s: %w", what, f.Err())
	}
	if readErr != nil {
		return 0, fmt.Errorf("reading the build process's error pipe: %w", readErr)
	}
	if !hello {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		return 0, fmt.Errorf("'%s' did not run as the build sandbox's child: a program that runs builds must call sandbox.ChildMain when its first argument is %s", c.exe, ChildArg)
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	var ws syscall.WaitStatus
	ok := false
	if c.state != nil {
		ws, ok = c.state.Sys().(syscall.WaitStatus)
	}
	if !ok {
		return 0, fmt.Errorf("waiting for the builder: %w", waitErr)
	}
	if logErr != nil {
		return 0, fmt.Errorf("writing the build log: %w", logErr)
	}
	return ws, nil
}

// supervise starts a child with attr and runs spec in it (child.run).
func supervise(ctx context.Context, exe string, spec *child.Spec, attr *syscall.SysProcAttr, args []string, log io.Writer, kill func(pid int)) (syscall.WaitStatus, error) {
	c, err := startChild(exe, attr, args, nil)
	if err != nil {
		return 0, err
	}
	return c.run(ctx, spec, log, kill)
}
