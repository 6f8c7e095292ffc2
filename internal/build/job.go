package build

import (
	"context"
	"fmt"
	"io"
	"strings"

	"gonix/internal/format/derivation"
)

// Job is one builder run, fully prepared: everything a Runner needs and
// nothing it has to compute from the derivation.
type Job struct {
	// DrvPath is the logical path of the .drv being built; Drv its contents.
	DrvPath string
	Drv     *derivation.Derivation

	// Builder, Args and Env are what the builder process gets (argv[0] is
	// the base name of Builder), rewrites already applied. Env holds
	// "KEY=VALUE" strings, sorted.
	Builder string
	Args    []string
	Env     []string

	// StoreDir is the logical store directory (/nix/store); RealStoreDir
	// is where its files are on the host (they differ in a chroot store).
	StoreDir     string
	RealStoreDir string
	// BuildDir is the host directory the builder works in (mode 0700);
	// the sandbox shows it as SandboxBuildDir (/build).
	BuildDir        string
	SandboxBuildDir string

	// Inputs is the input closure (logical store paths) the builder may
	// see; Outputs maps output names to logical output paths.
	Inputs  []string
	Outputs map[string]string

	// FixedOutput derivations may use the network (they share the host's
	// network namespace and get its resolv.conf and hosts).
	FixedOutput bool

	// SandboxPaths maps paths inside the sandbox to host paths
	// (sandbox-paths: "/bin/sh" → a static shell); Optional ones may be
	// missing on the host.
	SandboxPaths []SandboxPath

	// Log receives the builder's output (stdout and stderr, through a
	// pseudo-terminal in raw mode, as Nix reads it).
	Log io.Writer

	// Check is --check: the outputs are valid already and the build is
	// run again to compare. A Runner then leaves each output at
	// RealOutput (the real path plus ".check"), never at its real path.
	Check bool
	// checked: FinishBuild found every output of a Check build equal to
	// the valid one (the build directory is then not kept).
	checked bool
}

// EnvMap is Env as a map, for builders run inside gonix.
func (j *Job) EnvMap() map[string]string {
	env := make(map[string]string, len(j.Env))
	for _, kv := range j.Env {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	return env
}

// CheckSuffix is appended to an output's real path when a --check build
// leaves its result beside the valid output (Nix's checkSuffix).
const CheckSuffix = ".check"

// RealOutput is the host path where the Runner must leave the output
// with logical path out: its real store path, plus CheckSuffix for a
// Check build.
func (j *Job) RealOutput(out string) string {
	p := j.RealStoreDir + strings.TrimPrefix(out, j.StoreDir)
	if j.Check {
		p += CheckSuffix
	}
	return p
}

// SandboxPath is one sandbox-paths entry: Target inside, Source on the host.
type SandboxPath struct {
	Target, Source string
	Optional       bool
}

// Runner runs a Job's builder to completion. After a successful Run, every
// output the builder created exists at its real store path (outside any
// sandbox root), not yet registered. A builder that exits non-zero gives a
// *BuilderError.
type Runner interface {
	Run(ctx context.Context, job *Job) error
}

// BuilderError is a builder that failed: Nix's "builder for '…' failed with
// exit code N" or "failed due to signal N (NAME)".
type BuilderError struct {
	DrvPath  string
	ExitCode int    // when it exited
	Signal   int    // when a signal killed it (ExitCode is then -1)
	SigName  string // e.g. "Killed"
}

func (e *BuilderError) Error() string {
	if e.Signal != 0 {
		return fmt.Sprintf("builder for '%s' failed due to signal %d (%s)", e.DrvPath, e.Signal, e.SigName)
	}
	return fmt.Sprintf("builder for '%s' failed with exit code %d", e.DrvPath, e.ExitCode)
}
