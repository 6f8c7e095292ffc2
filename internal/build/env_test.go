package build

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"gonix/internal/format/derivation"
	"gonix/internal/testutil"
)

// vectorEnv reads the "export K='V'" lines of a probe's output (bash's
// export -p, single-quoted values without quotes inside) after "== env".
func vectorEnv(t *testing.T, file string) map[string]string {
	t.Helper()
	f, err := os.Open(filepath.Join(testutil.SpecVectors(t), "build", file))
	if err != nil {
		testutil.Missing(t, file, err)
	}
	defer f.Close()
	env := map[string]string{}
	sc := bufio.NewScanner(f)
	in := false
	for sc.Scan() {
		l := sc.Text()
		if l == "== env" {
			in = true
			continue
		}
		if !in {
			continue
		}
		rest, ok := strings.CutPrefix(l, "export ")
		if !ok {
			break
		}
		k, v, _ := strings.Cut(rest, "=")
		env[k] = strings.Trim(v, "'")
	}
	if len(env) == 0 {
		t.Fatalf("%s: no environment found", file)
	}
	return env
}

func envMap(list []string) map[string]string {
	m := map[string]string{}
	for _, kv := range list {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = v
	}
	return m
}

// probeDrv is vectors/build/probe.nix with the given tag (its script is
// irrelevant to the environment and left out).
func probeDrv(tag string) *derivation.Derivation {
	d := simpleDrv("probe-"+tag, []string{"out"}, map[string]string{
		"passAsFile":    "blob",
		"blob":          "blob contents",
		"impureEnvVars": "FOO_IMPURE",
		"PATH":          "/usr/bin:/bin",
	})
	d.Args = []string{"-c", "the script", "extra-arg"}
	return d
}

func leaked(name string) (string, bool) {
	if name == "FOO_IMPURE" {
		return "leaked", true
	}
	return "", false
}

// TestEnvSandbox compares the environment with the one Nix 2.8 gave the
// probe in its sandbox (vectors/build/probe-sandbox.txt): FOO_IMPURE set in
// the caller's environment does not reach a derivation that is not
// fixed-output.
func TestEnvSandbox(t *testing.T) {
	want := vectorEnv(t, "probe-sandbox.txt")
	st := openTestStore(t)
	d := probeDrv("sandbox")
	drvPath := writeDrv(t, st, d)
	set := testSettings(t)
	set.ImpureEnv = leaked
	job, cleanup, err := PrepareJob(context.Background(), st, drvPath, d, set)
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	got := envMap(job.Env)
	if got["out"] != d.Outputs["out"].Path {
		t.Errorf("out = %q, want %q", got["out"], d.Outputs["out"].Path)
	}
	// The output path depends on the probe's script, left out here.
	got["out"] = want["out"]
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("environment (-nix +gonix):\n%s", diff)
	}
	blob, err := os.ReadFile(filepath.Join(job.BuildDir, ".attr-1f5qqrmd9d3ljqpw97iyfb9rrirlk9bdydmpskpbnxl1yb28qb7s"))
	if err != nil || string(blob) != "blob contents" {
		t.Errorf("passAsFile file: %q, %v", blob, err)
	}
	if diff := cmp.Diff([]string{"-c", "the script", "extra-arg"}, job.Args); diff != "" {
		t.Errorf("args (-want +got):\n%s", diff)
	}
	if fi, err := os.Stat(job.BuildDir); err != nil || fi.Mode().Perm() != 0o700 || filepath.Base(job.BuildDir) != "nix-build-probe-sandbox.drv-0" {
		t.Errorf("build directory %s: %v %v", job.BuildDir, fi.Mode(), err)
	}
	if job.SandboxBuildDir != "/build" || job.FixedOutput || job.Builder != "/bin/sh" {
		t.Errorf("job: %+v", job)
	}
	// Sorted by key, as Nix's std::map hands them to execve.
	for i := 1; i < len(job.Env); i++ {
		a, _, _ := strings.Cut(job.Env[i-1], "=")
		b, _, _ := strings.Cut(job.Env[i], "=")
		if a >= b {
			t.Errorf("env not sorted by key: %q before %q", a, b)
		}
	}
}

// TestEnvNoSandbox: without a sandbox the builder sees the real build
// directory (vectors/build/probe-nosandbox.txt, where $TMPDIR stands for
// the directory the build directory was made in).
func TestEnvNoSandbox(t *testing.T) {
	want := vectorEnv(t, "probe-nosandbox.txt")
	st := openTestStore(t)
	d := probeDrv("nosandbox4")
	drvPath := writeDrv(t, st, d)
	set := testSettings(t)
	set.Sandboxed = false
	set.ImpureEnv = leaked
	if _, err := os.Lstat(homeDir); err == nil {
		t.Skipf("%s exists on this machine", homeDir)
	}
	job, cleanup, err := PrepareJob(context.Background(), st, drvPath, d, set)
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	tmp, _ := filepath.EvalSymlinks(set.TmpDir)
	for k, v := range want {
		want[k] = strings.ReplaceAll(v, "$TMPDIR", tmp)
	}
	got := envMap(job.Env)
	got["out"] = want["out"]
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("environment (-nix +gonix):\n%s", diff)
	}
}

// TestEnvFixedOutput compares with the fixed-output probe's environment
// in the sandbox (vectors/build/fodprobe-sandbox-log.txt): the impure
// variable is passed and NIX_OUTPUT_CHECKED set. The output path of a
// fixed-output derivation depends only on its hash, so it must match too.
func TestEnvFixedOutput(t *testing.T) {
	want := vectorEnv(t, "fodprobe-sandbox-log.txt")
	st := openTestStore(t)
	d := simpleDrv("fodprobe", nil, map[string]string{
		"PATH":           "/usr/bin:/bin",
		"impureEnvVars":  "FOO_IMPURE",
		"outputHashAlgo": "sha256",
		"outputHash":     "00xyyr3fi8l6hb839bv3f7yb86yjv7xi1cgh1xnhipym4asvb4aq",
	})
	d.Env["out"] = ""
	// The hash in the .drv is base16 of outputHash.
	d.Outputs["out"] = derivation.Output{HashAlgo: "sha256", Hash: "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"}
	drvPath := writeDrv(t, st, d)
	set := testSettings(t)
	set.ImpureEnv = leaked
	job, cleanup, err := PrepareJob(context.Background(), st, drvPath, d, set)
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	if diff := cmp.Diff(want, envMap(job.Env)); diff != "" {
		t.Errorf("environment (-nix +gonix):\n%s", diff)
	}
	if !job.FixedOutput {
		t.Error("FixedOutput not set")
	}
}

// TestEnvOverridesAndPlaceholders: derivation attributes override the
// first variables but not the later ones, and output placeholders are
// rewritten in the environment, passAsFile files and arguments (not in
// the builder).
func TestEnvOverridesAndPlaceholders(t *testing.T) {
	st := openTestStore(t)
	ph := "/1rz4g4znpzjwh1xymhjpm42vipw92pr73vdgl6xs1hycac8kf2n9" // placeholder "out"
	d := simpleDrv("ph", []string{"out"}, map[string]string{
		"HOME":               "/home/x",
		"NIX_BUILD_CORES":    "77",
		"TMPDIR":             "/mine",
		"TERM":               "dumb",
		"NIX_LOG_FD":         "9",
		"NIX_OUTPUT_CHECKED": "0",
		"where":              ph + "/bin",
		"file":               "at " + ph,
		"passAsFile":         "file",
		ph:                   "key",
	})
	d.Args = []string{ph + "/x"}
	d.Builder = ph + "/builder"
	drvPath := writeDrv(t, st, d)
	job, cleanup, err := PrepareJob(context.Background(), st, drvPath, d, testSettings(t))
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	out := d.Outputs["out"].Path
	got := envMap(job.Env)
	for k, v := range map[string]string{
		"HOME": "/home/x", "NIX_BUILD_CORES": "77", "TMPDIR": "/build", "TERM": "xterm-256color",
		"NIX_LOG_FD": "2", "NIX_OUTPUT_CHECKED": "0", "where": out + "/bin", out: "key",
		"filePath": "/build/" + passAsFileName("file"),
	} {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	if _, ok := got["file"]; ok {
		t.Error("passAsFile attribute is in the environment")
	}
	b, _ := os.ReadFile(filepath.Join(job.BuildDir, passAsFileName("file")))
	if string(b) != "at "+out {
		t.Errorf("passAsFile contents %q", b)
	}
	if job.Args[0] != out+"/x" || job.Builder != ph+"/builder" {
		t.Errorf("args %q builder %q", job.Args, job.Builder)
	}
}

// TestExportReferencesGraph writes the closure of an input in the
// registration format without hashes or derivers.
func TestExportReferencesGraph(t *testing.T) {
	ctx := context.Background()
	st := openTestStore(t)
	a, _ := st.AddText(ctx, "a", "a", nil)
	b, _ := st.AddText(ctx, "b", "b "+a, []string{a})
	d := simpleDrv("erg", []string{"out"}, map[string]string{"exportReferencesGraph": "closure " + b + "/sub"})
	d.InputSrcs = []string{b}
	drvPath := writeDrv(t, st, d)
	job, cleanup, err := PrepareJob(ctx, st, drvPath, d, testSettings(t))
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	got, _ := os.ReadFile(filepath.Join(job.BuildDir, "closure"))
	want := a + "\n\n0\n" + b + "\n\n1\n" + a + "\n"
	if a > b {
		want = b + "\n\n1\n" + a + "\n" + a + "\n\n0\n"
	}
	if string(got) != want {
		t.Errorf("closure file:\n%s\nwant:\n%s", got, want)
	}

	for _, c := range []struct{ val, err string }{
		{"odd", "odd number of tokens in 'exportReferencesGraph': 'odd'"},
		{"1bad " + a, "invalid file name '1bad' in 'exportReferencesGraph'"},
		{"f /tmp/x", "'exportReferencesGraph' contains a non-store path '/tmp/x'"},
		{"f " + a, "cannot export references of path '" + a + "' because it is not in the input closure of the derivation"},
	} {
		d := simpleDrv("erg", []string{"out"}, map[string]string{"exportReferencesGraph": c.val})
		drvPath := writeDrv(t, st, d)
		_, _, err := PrepareJob(ctx, st, drvPath, d, testSettings(t))
		if err == nil || err.Error() != c.err {
			t.Errorf("%q: error %v, want %s", c.val, err, c.err)
		}
	}
}
