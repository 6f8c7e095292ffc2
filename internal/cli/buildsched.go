package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"gonix/internal/build"
	"gonix/internal/build/builtins"
	"gonix/internal/build/sandbox"
	"gonix/internal/cli/args"
	"gonix/internal/format/derivation"
	"gonix/internal/store/local"
)

// newScheduler builds a scheduler from the command's settings: max-jobs,
// cores, keep-going, keep-failed, sandbox, sandbox-paths (and their extra-
// forms), -Q; build logs go to the store's log directory.
func newScheduler(e *Env, settings *args.Settings, ls *local.Store) (*build.Scheduler, error) {
	maxJobs := 1
	if v, ok := settings.Lookup("max-jobs"); ok {
		if v == "auto" {
			maxJobs = runtime.NumCPU()
		} else {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return nil, fmt.Errorf("invalid value '%s' for setting 'max-jobs'", v)
			}
			maxJobs = n
		}
	}
	if maxJobs == 0 {
		return nil, fmt.Errorf("unable to start any build; either increase '--max-jobs' or enable remote builds")
	}
	cores := runtime.NumCPU()
	if v, ok := settings.Lookup("cores"); ok {
		if n, err := strconv.Atoi(v); err == nil && n > 0 {
			cores = n
		}
	}
	boolSetting := func(name string) bool {
		v, _ := settings.Lookup(name)
		return v == "true" || v == "1" || v == "yes"
	}
	sandboxed := true
	if v, ok := settings.Lookup("sandbox"); ok && (v == "false" || v == "0" || v == "no") {
		sandboxed = false
	}
	var paths []build.SandboxPath
	v, _ := settings.Lookup("sandbox-paths")
	x, _ := settings.Lookup("extra-sandbox-paths")
	for _, ent := range strings.Fields(v + " " + x) {
		sp := build.SandboxPath{}
		if strings.HasSuffix(ent, "?") {
			sp.Optional = true
			ent = strings.TrimSuffix(ent, "?")
		}
		sp.Target, sp.Source, _ = strings.Cut(ent, "=")
		if sp.Source == "" {
			sp.Source = sp.Target
		}
		paths = append(paths, sp)
	}
	set := build.Settings{
		Cores:        cores,
		Sandboxed:    sandboxed,
		SandboxPaths: paths,
		KeepFailed:   boolSetting("keep-failed"),
		Messages:     e.Stderr,
		ImpureEnv:    e.LookupEnv,
		References:   &build.References{},
	}
	logDir := logDirOf(ls)
	ev := &buildEvents{stderr: e.Stderr, quiet: settings.LogFormat == "raw", logLines: 10, tails: map[string]*tailWriter{},
		tty: isTerminal(e.Stderr) && e.Getenv("TERM") != "dumb"}
	subs, err := openSubstituters(e, settings, ls)
	if err != nil {
		return nil, err
	}
	substJobs := 0
	if v, ok := settings.Lookup("max-substitution-jobs"); ok {
		if n, err := strconv.Atoi(v); err == nil && n > 0 {
			substJobs = n
		}
	}
	runner := &dispatchRunner{sandbox: &sandbox.Runner{Disable: !sandboxed, Warm: true}, stderr: e.Stderr, mirrors: builtins.MirrorConfig{Getenv: e.Getenv}}
	return &build.Scheduler{
		Store:                  ls,
		Runner:                 runner,
		MaxJobs:                maxJobs,
		KeepGoing:              boolSetting("keep-going"),
		Events:                 ev,
		Subst:                  subs,
		SubstJobs:              substJobs,
		Fallback:               boolSetting("fallback"),
		AlwaysAllowSubstitutes: boolSetting("always-allow-substitutes"),
		Prepare: func(ctx context.Context, drvPath string, drv *derivation.Derivation) (*build.Job, func(), error) {
			job, cleanup, err := build.PrepareJob(ctx, ls, drvPath, drv, set)
			if err != nil {
				return nil, nil, err
			}
			lf := build.StartLog(logDir, drvPath)
			job.Log = lf
			return job, func() { lf.Close(); cleanup() }, nil
		},
		Finish: func(ctx context.Context, job *build.Job) error {
			_, err := build.FinishBuild(ctx, ls, job, set)
			return err
		},
	}, nil
}

// dispatchRunner runs builtin builders in-process and everything else in
// the sandbox (or unsandboxed, as the settings say).
type dispatchRunner struct {
	sandbox *sandbox.Runner
	stderr  io.Writer
	mirrors builtins.MirrorConfig // mirror:// bases for builtin:fetchurl
}

// Wait ends the sandbox's background work (sandbox.Runner.Wait).
func (d *dispatchRunner) Wait() error { return d.sandbox.Wait() }

func (d *dispatchRunner) Run(ctx context.Context, job *build.Job) error {
	switch job.Builder {
	case "builtin:fetchurl":
		env := job.EnvMap()
		real := job.RealOutput(job.Outputs["out"])
		if err := builtins.FetchURL(ctx, env, real, builtins.Options{Mirrors: d.mirrors.Lookup}); err != nil {
			fmt.Fprintf(job.Log, "error: %s\n", err)
			return &build.BuilderError{DrvPath: job.DrvPath, ExitCode: 1}
		}
		return nil
	case "builtin:buildenv":
		env := job.EnvMap()
		real := job.RealOutput(job.Outputs["out"])
		warn := func(msg string) { fmt.Fprintf(d.stderr, "warning: %s\n", msg) }
		if err := builtins.BuildEnv(env, real, job.StoreDir, job.RealStoreDir, warn); err != nil {
			fmt.Fprintf(job.Log, "error: %s\n", err)
			return &build.BuilderError{DrvPath: job.DrvPath, ExitCode: 1}
		}
		return nil
	case "builtin:unpack-channel":
		return d.unpackChannel(job)
	case "builtin:unpack-deb":
		env := job.EnvMap()
		real := job.RealOutput(job.Outputs["out"])
		if err := builtins.UnpackDeb(env, real, job.StoreDir, job.RealStoreDir); err != nil {
			fmt.Fprintf(job.Log, "error: %s\n", err)
			return &build.BuilderError{DrvPath: job.DrvPath, ExitCode: 1}
		}
		return nil
	}
	if strings.HasPrefix(job.Builder, "builtin:") {
		fmt.Fprintf(job.Log, "error: unsupported builtin builder '%s'\n", strings.TrimPrefix(job.Builder, "builtin:"))
		return &build.BuilderError{DrvPath: job.DrvPath, ExitCode: 1}
	}
	return d.sandbox.Run(ctx, job)
}

// logDirOf is the real log directory of a local store (…/nix/var/log/nix).
func logDirOf(ls *local.Store) string {
	return filepath.Join(filepath.Dir(ls.RealStateDir()), "log/nix")
}

func sortStrings(s []string) { sort.Strings(s) }

// isTerminal reports whether w is a terminal (the status line is drawn
// only there; CI logs get plain lines).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}
