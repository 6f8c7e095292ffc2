package build

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"gonix/internal/format/derivation"
	"gonix/internal/format/hash"
	"gonix/internal/format/nar"
	"gonix/internal/store"
	"gonix/internal/store/local"
)

// openTestStore opens a fresh chroot store in a temporary directory.
func openTestStore(t *testing.T) *local.Store {
	t.Helper()
	st, err := local.Open(context.Background(), local.Options{Root: t.TempDir(), NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// writeDrv completes d (output paths, env entries of the outputs) the way
// derivationStrict does and writes it into the store, returning its path.
func writeDrv(t *testing.T, st *local.Store, d *derivation.Derivation) string {
	t.Helper()
	if d.InputDrvs == nil {
		d.InputDrvs = map[string][]string{}
	}
	if d.Platform == "" {
		d.Platform = "x86_64-linux"
	}
	var lookup derivation.Lookup
	lookup = func(p string) ([]byte, error) {
		data, err := os.ReadFile(st.RealPath(p))
		if err != nil {
			txt, ok := st.PendingText(p)
			if !ok {
				return nil, err
			}
			data = []byte(txt)
		}
		in, err := derivation.ParseATerm(data)
		if err != nil {
			return nil, err
		}
		return derivation.HashModulo(in, lookup)
	}
	if err := derivation.FillOutputPaths(st.StoreDir(), d.Name, d, lookup); err != nil {
		t.Fatal(err)
	}
	p, err := st.AddText(context.Background(), d.Name+".drv", string(d.MarshalATerm()), d.References())
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	return p
}

// simpleDrv is a derivation with the usual attributes; extra env entries
// are added (and override).
func simpleDrv(name string, outputs []string, extra map[string]string) *derivation.Derivation {
	d := &derivation.Derivation{
		Name:     name,
		Outputs:  map[string]derivation.Output{},
		Builder:  "/bin/sh",
		Args:     []string{"-c", "true"},
		Platform: "x86_64-linux",
		Env: map[string]string{
			"name": name, "builder": "/bin/sh", "system": "x86_64-linux",
		},
	}
	for _, o := range outputs {
		d.Outputs[o] = derivation.Output{}
		d.Env[o] = ""
	}
	if len(outputs) > 1 || (len(outputs) == 1 && outputs[0] != "out") {
		d.Env["outputs"] = strings.Join(outputs, " ")
	}
	for k, v := range extra {
		d.Env[k] = v
	}
	return d
}

// runFake plays the Runner: it writes each output with write (given the
// output's real path and the Job), as a builder would.
func runFake(t *testing.T, job *Job, write func(name, real string, job *Job)) {
	t.Helper()
	for _, name := range job.Drv.OutputNames() {
		write(name, filepath.Join(job.RealStoreDir, filepath.Base(job.Outputs[name])), job)
	}
}

// build prepares, runs (write) and finishes a derivation.
func build(t *testing.T, st *local.Store, drvPath string, drv *derivation.Derivation, set Settings, write func(name, real string, job *Job)) ([]*store.PathInfo, error) {
	t.Helper()
	ctx := context.Background()
	job, cleanup, err := PrepareJob(ctx, st, drvPath, drv, set)
	if err != nil {
		t.Fatalf("PrepareJob: %v", err)
	}
	defer cleanup()
	runFake(t, job, write)
	return FinishBuild(ctx, st, job, set)
}

func testSettings(t *testing.T) Settings {
	return Settings{Cores: 2, Sandboxed: true, TmpDir: t.TempDir(), Messages: &bytes.Buffer{}}
}

// TestEndToEnd builds a dependency, then a two-output derivation using it
// (out refers to dev and to the dependency, dev to nothing), with a fake
// builder, and checks what became valid.
func TestEndToEnd(t *testing.T) {
	ctx := context.Background()
	st := openTestStore(t)
	set := testSettings(t)

	depDrv := simpleDrv("dep", []string{"out"}, nil)
	depPath := writeDrv(t, st, depDrv)
	if _, err := build(t, st, depPath, depDrv, set, func(name, real string, job *Job) {
		os.WriteFile(real, []byte("I am the dependency\n"), 0o644)
	}); err != nil {
		t.Fatal(err)
	}
	depOut := depDrv.Outputs["out"].Path

	// An input source that stays unreferenced.
	src, err := st.AddText(ctx, "unused-src", "nothing", nil)
	if err != nil {
		t.Fatal(err)
	}

	d := simpleDrv("multi", []string{"out", "dev"}, map[string]string{"dep": depOut})
	d.InputDrvs = map[string][]string{depPath: {"out"}}
	d.InputSrcs = []string{src}
	drvPath := writeDrv(t, st, d)
	out, dev := d.Outputs["out"].Path, d.Outputs["dev"].Path

	var sawEnv []string
	infos, err := build(t, st, drvPath, d, set, func(name, real string, job *Job) {
		sawEnv = job.Env
		switch name {
		case "out":
			os.MkdirAll(filepath.Join(real, "bin"), 0o755)
			os.WriteFile(filepath.Join(real, "bin", "tool"), []byte("#!/bin/sh\nexec "+depOut+"\n# "+dev+"\n# "+out+"\n"), 0o755)
		case "dev":
			os.WriteFile(real, []byte("headers\n"), 0o644)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(sawEnv, "dep="+depOut) || !slices.Contains(sawEnv, "out="+out) {
		t.Errorf("env lacks dep/out: %q", sawEnv)
	}
	if len(infos) != 2 || infos[0].Path != dev || infos[1].Path != out {
		t.Fatalf("infos not in output-name order: %v", infos)
	}
	for _, info := range infos {
		got, err := st.QueryPathInfo(ctx, info.Path)
		if err != nil {
			t.Fatalf("%s not valid: %v", info.Path, err)
		}
		sum, size, err := nar.HashPath(st.RealPath(info.Path), nil)
		if err != nil {
			t.Fatal(err)
		}
		want := &store.PathInfo{
			Path:             info.Path,
			NarHash:          hash.Hash{Algo: hash.SHA256, Digest: sum},
			NarSize:          uint64(size),
			Deriver:          drvPath,
			Ultimate:         true,
			RegistrationTime: got.RegistrationTime,
		}
		switch info.Path {
		case out:
			want.References = []string{depOut, dev, out}
			slices.Sort(want.References)
		case dev:
			want.References = nil
		}
		if got.RegistrationTime == 0 {
			t.Errorf("%s: no registration time", info.Path)
		}
		if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b []string) bool { return slices.Equal(a, b) })); diff != "" {
			t.Errorf("%s (-want +got):\n%s", info.Path, diff)
		}
		// Canonical: read-only, mtime 1.
		fi, _ := os.Lstat(st.RealPath(info.Path))
		if fi.Mode().Perm()&0o222 != 0 || fi.ModTime().Unix() != 1 {
			t.Errorf("%s not canonical: %v %v", info.Path, fi.Mode(), fi.ModTime())
		}
	}
	// The build directory is gone after a success.
	if ents, _ := os.ReadDir(set.TmpDir); len(ents) != 0 {
		t.Errorf("build directories left: %v", ents)
	}
}

func TestMissingOutputAndFailureCleanup(t *testing.T) {
	ctx := context.Background()
	st := openTestStore(t)
	set := testSettings(t)
	set.KeepFailed = true
	msgs := set.Messages.(*bytes.Buffer)

	d := simpleDrv("lazy", []string{"out", "doc"}, nil)
	drvPath := writeDrv(t, st, d)
	job, cleanup, err := PrepareJob(ctx, st, drvPath, d, set)
	if err != nil {
		t.Fatal(err)
	}
	// The builder makes only out.
	os.WriteFile(st.RealPath(d.Outputs["out"].Path), []byte("x"), 0o644)
	_, err = FinishBuild(ctx, st, job, set)
	want := "builder for '" + drvPath + "' failed to produce output path for output 'doc' at '" + st.RealPath(d.Outputs["doc"].Path) + "'"
	if err == nil || err.Error() != want {
		t.Fatalf("error %v, want %s", err, want)
	}
	if ok, _ := st.IsValidPath(ctx, d.Outputs["out"].Path); ok {
		t.Error("out became valid after a failed build")
	}
	if _, err := os.Stat(st.RealPath(d.Outputs["out"].Path)); err != nil {
		t.Errorf("out should stay on disk as an invalid path: %v", err)
	}
	cleanup()
	if fi, err := os.Stat(job.BuildDir); err != nil || fi.Mode().Perm() != 0o755 {
		t.Errorf("keep-failed: build directory %v, %v", fi, err)
	}
	if got := msgs.String(); got != "note: keeping build directory '"+job.BuildDir+"'\n" {
		t.Errorf("note %q", got)
	}

	// Without keep-failed it goes.
	set.KeepFailed = false
	job, cleanup, err = PrepareJob(ctx, st, drvPath, d, set)
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(job.BuildDir) != "nix-build-lazy.drv-1" {
		t.Errorf("second build directory %s, want nix-build-lazy.drv-1", job.BuildDir)
	}
	cleanup()
	if _, err := os.Stat(job.BuildDir); !os.IsNotExist(err) {
		t.Errorf("build directory not removed: %v", err)
	}
}

func TestInputClosureMissingOutput(t *testing.T) {
	ctx := context.Background()
	st := openTestStore(t)
	dep := simpleDrv("dep", []string{"out"}, nil)
	depPath := writeDrv(t, st, dep)
	d := simpleDrv("user", []string{"out"}, nil)
	d.InputDrvs = map[string][]string{depPath: {"lib"}}
	drvPath := writeDrv(t, st, d)
	_, _, err := PrepareJob(ctx, st, drvPath, d, testSettings(t))
	want := "derivation '" + drvPath + "' requires non-existent output 'lib' from input derivation '" + depPath + "'"
	if err == nil || err.Error() != want {
		t.Errorf("error %v\nwant %s", err, want)
	}
	// An existing output that was never built is not valid: its closure
	// cannot be computed.
	d.InputDrvs = map[string][]string{depPath: {"out"}}
	drvPath = writeDrv(t, st, d)
	if _, _, err := PrepareJob(ctx, st, drvPath, d, testSettings(t)); err == nil {
		t.Error("PrepareJob with an unbuilt input succeeded")
	}
}

func TestPlatformCheck(t *testing.T) {
	ctx := context.Background()
	st := openTestStore(t)
	set := testSettings(t)
	set.System = "x86_64-linux"
	set.SystemFeatures = []string{"kvm", "big-parallel", "benchmark"}

	d := simpleDrv("arm", []string{"out"}, map[string]string{"requiredSystemFeatures": "kvm nixos-test"})
	d.Platform = "aarch64-linux"
	d.Env["system"] = "aarch64-linux"
	drvPath := writeDrv(t, st, d)
	_, _, err := PrepareJob(ctx, st, drvPath, d, set)
	want := "a 'aarch64-linux' with features {kvm, nixos-test} is required to build '" + drvPath + "', but I am a 'x86_64-linux' with features {benchmark, big-parallel, kvm}"
	if err == nil || err.Error() != want {
		t.Errorf("error %v\nwant %s", err, want)
	}
	set.ExtraPlatforms = []string{"aarch64-linux"}
	set.SystemFeatures = append(set.SystemFeatures, "nixos-test")
	_, cleanup, err := PrepareJob(ctx, st, drvPath, d, set)
	if err != nil {
		t.Fatalf("with extra-platforms and the feature: %v", err)
	}
	cleanup()
}
