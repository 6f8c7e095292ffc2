package build

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"gonix/internal/format/derivation"
	"gonix/internal/format/storepath"
	"gonix/internal/store"
	"gonix/internal/store/local"
)

// Settings are the knobs of one derivation's build (Nix's settings of the
// same names). The zero value is usable; Cores should be set (Nix's
// default is the number of CPUs).
type Settings struct {
	// Cores is NIX_BUILD_CORES (`cores`).
	Cores int
	// Sandboxed says the builder runs in the sandbox, where the build
	// directory appears as SandboxBuildDir (default /build).
	Sandboxed       bool
	SandboxBuildDir string
	// SandboxPaths are copied into Job.SandboxPaths.
	SandboxPaths []SandboxPath
	// TmpDir is where build directories are made; empty means $TMPDIR,
	// or /tmp.
	TmpDir string
	// KeepFailed keeps the build directory of a failed build
	// (`keep-failed`).
	KeepFailed bool
	// ImpureEnv looks up the impureEnvVars of fixed-output derivations in
	// the environment of the process doing the build; nil means
	// os.LookupEnv.
	ImpureEnv func(name string) (string, bool)
	// BuildUID, when not nil, is the uid the builder ran as: each output
	// must be owned by it (Nix's check with build users). nil skips the
	// check (no build users: the builder ran as this process's user, or
	// as a user-namespace mapping of it).
	BuildUID *int
	// Messages receives notes such as "note: keeping build directory";
	// nil means os.Stderr.
	Messages io.Writer
	// System, ExtraPlatforms and SystemFeatures describe this machine
	// (`system`, `extra-platforms`, `system-features`). When System is
	// set, a derivation for another platform (unless builtin) or needing
	// a feature not listed is refused.
	System         string
	ExtraPlatforms []string
	SystemFeatures []string
	// References, when not nil, remembers the references of valid paths
	// across the builds that share it (the input closures of a chain).
	References *References
}

func (set *Settings) sandboxBuildDir() string {
	if set.SandboxBuildDir != "" {
		return set.SandboxBuildDir
	}
	return "/build"
}

func (set *Settings) lookupEnv(name string) (string, bool) {
	if set.ImpureEnv != nil {
		return set.ImpureEnv(name)
	}
	return os.LookupEnv(name)
}

func (set *Settings) messages() io.Writer {
	if set.Messages != nil {
		return set.Messages
	}
	return os.Stderr
}

// homeDir is HOME for every builder; it must not exist outside a sandbox.
const homeDir = "/homeless-shelter"

// prep is the state of one PrepareJob.
type prep struct {
	s          *local.Store
	drvPath    string
	drv        *derivation.Derivation
	set        *Settings
	attrs      *drvAttrs
	fixed      bool
	inputs     map[string]bool // the input closure
	buildDir   string          // on the host
	buildDirIn string          // as the builder sees it
	rewrites   rewrites
	job        *Job // once made
}

// PrepareJob does what Nix 2.8's LocalDerivationGoal does before the
// builder starts (spec/store.md §10.1–10.3): it computes the input closure,
// makes the build directory <TmpDir>/nix-build-<name>.drv-<k> (mode 0700),
// writes passAsFile files, .attrs.json/.attrs.sh and exportReferencesGraph
// files into it, and builds the environment and argument list with output
// placeholders rewritten to the output paths.
//
// The caller holds the locks of the outputs and has deleted invalid paths
// in their place. cleanup removes the build directory; when the build did
// not make every output valid and set.KeepFailed is on, it keeps the
// directory instead (made 0755, with Nix's note on set.Messages). Call it
// once the build is over, whatever its result.
func PrepareJob(ctx context.Context, s *local.Store, drvPath string, drv *derivation.Derivation, set Settings) (job *Job, cleanup func(), err error) {
	dt, err := drv.Type()
	if err != nil {
		return nil, nil, fmt.Errorf("derivation '%s': %w", drvPath, err)
	}
	for _, name := range drv.OutputNames() {
		if drv.Outputs[name].Path == "" {
			return nil, nil, fmt.Errorf("derivation '%s': output '%s' has no known path (content-addressed derivations are not supported)", drvPath, name)
		}
	}
	attrs := &drvAttrs{drvPath: drvPath, env: drv.Env}
	if j, ok := drv.Env["__json"]; ok {
		if attrs.structured, err = parseStructuredAttrs(drvPath, j); err != nil {
			return nil, nil, err
		}
	}
	p := &prep{s: s, drvPath: drvPath, drv: drv, set: &set, attrs: attrs, fixed: dt == derivation.Fixed}
	if err := p.checkPlatform(); err != nil {
		return nil, nil, err
	}

	inputs, err := inputClosure(ctx, s, drvPath, drv, set.References)
	if err != nil {
		return nil, nil, err
	}
	p.inputs = make(map[string]bool, len(inputs))
	for _, i := range inputs {
		p.inputs[i] = true
	}

	if !set.Sandboxed {
		if _, err := os.Lstat(homeDir); err == nil {
			return nil, nil, fmt.Errorf("home directory '%s' exists; please remove it to assure purity of builds without sandboxing", homeDir)
		}
	}

	base := filepath.Base(drvPath)
	_, drvName, err := storepath.ParseBaseName(base) // "plain.drv"
	if err != nil {
		return nil, nil, fmt.Errorf("derivation '%s': %w", drvPath, err)
	}
	if p.buildDir, err = makeBuildDir(set.TmpDir, "nix-build-"+drvName); err != nil {
		return nil, nil, err
	}
	cleanup = func() { p.cleanup(ctx) }
	defer func() {
		if err != nil {
			os.RemoveAll(p.buildDir)
			cleanup = nil
		}
	}()
	p.buildDirIn = p.buildDir
	if set.Sandboxed {
		p.buildDirIn = set.sandboxBuildDir()
	}

	// Output placeholders stand for the paths the outputs are built at.
	for _, name := range drv.OutputNames() {
		p.rewrites = append(p.rewrites, [2]string{storepath.Placeholder(name), drv.Outputs[name].Path})
	}
	p.rewrites.sort()

	env, err := p.initEnv()
	if err != nil {
		return nil, nil, err
	}
	if err := p.writeStructuredAttrs(ctx, env); err != nil {
		return nil, nil, err
	}
	if attrs.structured == nil {
		if err := p.exportReferencesGraph(ctx); err != nil {
			return nil, nil, err
		}
	}

	job = &Job{
		DrvPath:         drvPath,
		Drv:             drv,
		Builder:         drv.Builder,
		Env:             p.rewrites.envList(env),
		StoreDir:        s.StoreDir(),
		RealStoreDir:    s.RealStoreDir(),
		BuildDir:        p.buildDir,
		SandboxBuildDir: set.sandboxBuildDir(),
		Inputs:          inputs,
		Outputs:         make(map[string]string, len(drv.Outputs)),
		FixedOutput:     p.fixed,
		SandboxPaths:    slices.Clone(set.SandboxPaths),
	}
	for _, a := range drv.Args {
		job.Args = append(job.Args, p.rewrites.apply(a))
	}
	for name, o := range drv.Outputs {
		job.Outputs[name] = o.Path
	}
	p.job = job
	return job, cleanup, nil
}

// checkPlatform is Nix's canBuildLocally check at the start of
// startBuilder (spec/store.md §10.1 step 4).
func (p *prep) checkPlatform() error {
	if p.set.System == "" {
		return nil
	}
	required, _, err := p.attrs.strings("requiredSystemFeatures")
	if err != nil {
		return err
	}
	required = slices.Clone(required)
	slices.Sort(required)
	required = slices.Compact(required)
	have := slices.Clone(p.set.SystemFeatures)
	slices.Sort(have)
	have = slices.Compact(have)
	ok := p.drv.Platform == p.set.System || slices.Contains(p.set.ExtraPlatforms, p.drv.Platform) || p.drv.IsBuiltin()
	for _, f := range required {
		if !slices.Contains(have, f) {
			ok = false
		}
	}
	if ok {
		return nil
	}
	return fmt.Errorf("a '%s' with features {%s} is required to build '%s', but I am a '%s' with features {%s}",
		p.drv.Platform, strings.Join(required, ", "), p.drvPath, p.set.System, strings.Join(have, ", "))
}

// cleanup is Nix's deleteTmpDir: a failed build's directory is kept with
// keep-failed (never a builtin's, which may hold private data such as a
// netrc). The build failed when some output is not valid, or, for a
// --check build, when its outputs were not found equal to the valid ones.
func (p *prep) cleanup(ctx context.Context) {
	failed := false
	for _, o := range p.drv.Outputs {
		if ok, err := p.s.IsValidPath(ctx, o.Path); err != nil || !ok {
			failed = true
			break
		}
	}
	if p.job != nil && p.job.Check && !p.job.checked {
		failed = true
	}
	if failed && p.set.KeepFailed && !p.drv.IsBuiltin() {
		fmt.Fprintf(p.set.messages(), "note: keeping build directory '%s'\n", p.buildDir)
		os.Chmod(p.buildDir, 0o755)
		return
	}
	removeAll(p.buildDir)
}

// removeAll deletes a tree even where the builder left directories
// without write permission.
func removeAll(dir string) {
	if os.RemoveAll(dir) == nil {
		return
	}
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			os.Chmod(p, 0o755)
		}
		return nil
	})
	os.RemoveAll(dir)
}

// makeBuildDir is Nix's createTempDir(tmpRoot, prefix, no pid, local
// counter, 0700): <root>/<prefix>-<k> for the first k that is free, root
// with its symlinks resolved.
func makeBuildDir(root, prefix string) (string, error) {
	if root == "" {
		root = os.Getenv("TMPDIR")
		if root == "" {
			root = "/tmp"
		}
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return "", fmt.Errorf("creating build directory in '%s': %w", root, err)
	}
	if r, err := filepath.EvalSymlinks(abs); err == nil {
		abs = r
	}
	for k := 0; ; k++ {
		dir := filepath.Join(abs, prefix+"-"+strconv.Itoa(k))
		err := os.Mkdir(dir, 0o700)
		if err == nil {
			// Mkdir is subject to the umask; 0700 is what the builder
			// gets either way, but say so explicitly.
			return dir, os.Chmod(dir, 0o700)
		}
		if !errors.Is(err, os.ErrExist) {
			return "", fmt.Errorf("creating directory '%s': %w", dir, err)
		}
	}
}

// InputClosure is the set of store paths a derivation's builder may use and
// its outputs may refer to (spec/store.md §10.1 step 3): the closures of the
// outputs it takes from each input derivation, and of its input sources.
func InputClosure(ctx context.Context, s *local.Store, drvPath string, drv *derivation.Derivation) ([]string, error) {
	return inputClosure(ctx, s, drvPath, drv, nil)
}

// inputClosure is InputClosure, through refs when it is not nil.
func inputClosure(ctx context.Context, s *local.Store, drvPath string, drv *derivation.Derivation, refs *References) ([]string, error) {
	var start []string
	deps := make([]string, 0, len(drv.InputDrvs))
	for d := range drv.InputDrvs {
		deps = append(deps, d)
	}
	slices.Sort(deps)
	for _, dep := range deps {
		outs, err := derivationOutputs(ctx, s, dep)
		if err != nil {
			return nil, err
		}
		for _, o := range drv.InputDrvs[dep] {
			p, ok := outs[o]
			if !ok || p == "" {
				return nil, fmt.Errorf("derivation '%s' requires non-existent output '%s' from input derivation '%s'", drvPath, o, dep)
			}
			start = append(start, p)
		}
	}
	start = append(start, drv.InputSrcs...)
	if len(start) == 0 {
		return nil, nil
	}
	var closure []string
	var err error
	if refs != nil {
		closure, err = refs.closure(ctx, s, start)
	} else {
		closure, err = store.ComputeClosure(ctx, s, start, false, false, false)
	}
	if err != nil {
		return nil, fmt.Errorf("computing the input closure of '%s': %w", drvPath, err)
	}
	return closure, nil
}

// derivationOutputs maps the outputs of a derivation to their paths: from
// the database when the .drv is valid, otherwise from the file.
func derivationOutputs(ctx context.Context, s *local.Store, drvPath string) (map[string]string, error) {
	if ok, err := s.IsValidPath(ctx, drvPath); err != nil {
		return nil, err
	} else if ok {
		return s.QueryDerivationOutputs(ctx, drvPath)
	}
	d, err := readDerivation(s, drvPath)
	if err != nil {
		return nil, err
	}
	outs := make(map[string]string, len(d.Outputs))
	for n, o := range d.Outputs {
		outs[n] = o.Path
	}
	return outs, nil
}

func readDerivation(s *local.Store, drvPath string) (*derivation.Derivation, error) {
	b, err := os.ReadFile(s.RealPath(drvPath))
	if err != nil {
		return nil, fmt.Errorf("reading derivation '%s': %w", drvPath, err)
	}
	d, err := derivation.ParseATerm(b)
	if err != nil {
		return nil, fmt.Errorf("reading derivation '%s': %w", drvPath, err)
	}
	return d, nil
}
