package build

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"gonix/internal/format/derivation"
	"gonix/internal/testutil"
)

// vectorSections splits vectors/build/structured-attrs.txt into its
// "--- name" sections.
func vectorSections(t *testing.T) map[string]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testutil.SpecVectors(t), "build", "structured-attrs.txt"))
	if err != nil {
		testutil.Missing(t, "structured-attrs.txt", err)
	}
	out := map[string]string{}
	var cur string
	for _, l := range strings.SplitAfter(string(b), "\n") {
		if name, ok := strings.CutPrefix(l, "--- "); ok {
			cur = strings.TrimSpace(name)
			continue
		}
		if cur != "" {
			out[cur] += l
		}
	}
	return out
}

// sprobeDrv is vectors/build/sprobe.nix as Nix 2.8 instantiates it.
func sprobeDrv() *derivation.Derivation {
	return &derivation.Derivation{
		Name:     "sprobe",
		Outputs:  map[string]derivation.Output{"out": {}},
		Platform: "x86_64-linux",
		Builder:  "/bin/bash",
		Args:     []string{"-c", "export -p > $NIX_BUILD_TOP/env.txt; source $NIX_ATTRS_SH_FILE; /bin/mkdir ${outputs[out]}; /bin/cp $NIX_BUILD_TOP/env.txt $NIX_ATTRS_SH_FILE $NIX_ATTRS_JSON_FILE ${outputs[out]}/"},
		Env: map[string]string{
			"__json": `{"arr":["a","b c"],"bool":true,"boolf":false,"builder":"/bin/bash","deep":{"x":[1]},"flt":2.5,"name":"sprobe","nul":null,"num":3,"obj":{"k1":"v1","k2":2},"passAsFile":["str"],"str":"it's \"quoted\"","system":"x86_64-linux"}`,
			"out":    "",
		},
	}
}

// TestStructuredAttrsVector builds the files of sprobe.nix and compares
// them byte for byte with what Nix 2.8 wrote.
func TestStructuredAttrsVector(t *testing.T) {
	vec := vectorSections(t)
	st := openTestStore(t)
	d := sprobeDrv()
	drvPath := writeDrv(t, st, d)
	const nixOut = "/nix/store/mzg7wlvlcmrh1zn5dcrq6q2b11f5m1aw-sprobe"
	if d.Outputs["out"].Path != nixOut {
		t.Fatalf("sprobe's output is %s, Nix's %s: the test derivation differs from sprobe.nix", d.Outputs["out"].Path, nixOut)
	}
	set := testSettings(t)
	set.Sandboxed = false
	job, cleanup, err := PrepareJob(context.Background(), st, drvPath, d, set)
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	for file, section := range map[string]string{".attrs.sh": ".attrs.sh", ".attrs.json": ".attrs.json"} {
		got, err := os.ReadFile(filepath.Join(job.BuildDir, file))
		if err != nil {
			t.Fatal(err)
		}
		want := vec[section]
		if file == ".attrs.json" {
			want = strings.TrimSuffix(want, "\n") // the vector file adds one
		}
		if diff := cmp.Diff(want, string(got)); diff != "" {
			t.Errorf("%s (-nix +gonix):\n%s", file, diff)
		}
	}

	// The environment holds none of the attributes (bash adds OLDPWD and
	// SHLVL itself); NIX_ATTRS_*_FILE name the host's build directory.
	tmp, _ := filepath.EvalSymlinks(set.TmpDir)
	want := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(vec["env (export -p from bash)"]), "\n") {
		kv := strings.TrimPrefix(l, "declare -x ")
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "SHLVL" {
			continue
		}
		want[k] = strings.ReplaceAll(strings.Trim(v, `"`), "$TMPDIR", tmp)
	}
	if diff := cmp.Diff(want, envMap(job.Env)); diff != "" {
		t.Errorf("environment (-nix +gonix):\n%s", diff)
	}

	// In the sandbox the variables still name the host path (Nix 2.8).
	set.Sandboxed = true
	job2, cleanup2, err := PrepareJob(context.Background(), st, drvPath, d, set)
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup2()
	env := envMap(job2.Env)
	if env["NIX_ATTRS_SH_FILE"] != job2.BuildDir+"/.attrs.sh" || env["NIX_BUILD_TOP"] != "/build" {
		t.Errorf("sandboxed: NIX_ATTRS_SH_FILE=%s NIX_BUILD_TOP=%s", env["NIX_ATTRS_SH_FILE"], env["NIX_BUILD_TOP"])
	}
}

func TestStructuredAttrsShell(t *testing.T) {
	for _, c := range []struct{ json, sh string }{
		{`{"a":1.0,"b":1e2,"c":-7,"d":2.5,"e":4294967297}`, "declare a=1\ndeclare b=100\ndeclare c=-7\ndeclare e=1\n"},
		{`{"l":[true,false,null,"x",3],"bad":[[1]],"o":{"z":"'","a":null},"deep":{"x":{}}}`,
			"declare -a l=(1  '' 'x' 3 )\ndeclare -A o=(['a']='' ['z']=''\\''' )\n"},
		{`{"1x":"no","x-y":"no","_ok":"yes","é":"no"}`, "declare _ok='yes'\n"},
		{`{"empty":[],"eo":{}}`, "declare -a empty=()\ndeclare -A eo=()\n"},
	} {
		o, err := parseStructuredAttrs("/nix/store/x.drv", c.json)
		if err != nil {
			t.Fatal(err)
		}
		if got := structuredAttrsShell(o); got != c.sh {
			t.Errorf("%s:\n got %q\nwant %q", c.json, got, c.sh)
		}
	}
}

func TestStructuredAttrsJSON(t *testing.T) {
	for in, want := range map[string]string{
		`{"b":1,"a":[1.5,1.0,-0.0,1e100,1e-5,0.0001,123456789012345678,1e14,1e15,18446744073709551615,18446744073709551616]}`: `{"a":[1.5,1.0,-0.0,1e+100,1e-05,0.0001,123456789012345678,100000000000000.0,1e+15,18446744073709551615,1.8446744073709552e+19],"b":1}`,
		`{"s":"\u0001\t\"\\/é<>&\u2028"}`: "{\"s\":\"\\u0001\\t\\\"\\\\/é<>&\u2028\"}",
		`{"k":1,"k":2}`:                   `{"k":2}`,
	} {
		o, err := parseStructuredAttrs("/nix/store/x.drv", in)
		if err != nil {
			t.Fatal(err)
		}
		if got := string(marshalJSON(o)); got != want {
			t.Errorf("%s:\n got %s\nwant %s", in, got, want)
		}
	}
	for _, bad := range []string{`[1]`, `{"a":}`, `{} x`} {
		if _, err := parseStructuredAttrs("/nix/store/x.drv", bad); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
	if !json.Valid(marshalJSON(jsonObject{"x": []any{}})) {
		t.Error("invalid JSON")
	}
}
