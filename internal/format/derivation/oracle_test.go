package derivation

import (
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestOracleDerivationStrict builds two derivations the way
// derivationStrict does (the second depends on outputs of the first) and
// compares their output and .drv paths with nix-instantiate.
func TestOracleDerivationStrict(t *testing.T) {
	if _, err := exec.LookPath("nix-instantiate"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("nix-instantiate not found")
		}
		t.Skip("nix-instantiate not found")
	}
	tricky := map[string]string{
		"quote":   `a "quoted" \ backslash`,
		"ctrl":    "tab\there\nnew\rcr\x07bell\x1b\x7f",
		"unicode": "café ☃",
		"dollar":  "${x} $y",
		"PATH":    "/bin",
		"empty":   "",
	}
	nixStr := func(s string) string {
		r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "${", `\${`, "\n", `\n`, "\t", `\t`, "\r", `\r`)
		return `"` + r.Replace(s) + `"`
	}
	var attrs strings.Builder
	for k, v := range tricky {
		attrs.WriteString(k + " = " + nixStr(v) + "; ")
	}
	expr := `let
  a = derivation { name = "oracle-a"; system = "x86_64-linux"; builder = "/bin/sh"; args = [ "-c" "x" "-c" ];
                   outputs = [ "out" "dev" ]; ` + attrs.String() + ` };
  b = derivation { name = "oracle-b"; system = "x86_64-linux"; builder = "/bin/sh";
                   args = [ "${a.dev}" ]; ref = "${a}"; };
in { a = { inherit (a) drvPath out dev; }; b = { inherit (b) drvPath out; }; }`
	out, err := exec.Command("nix-instantiate", "--store", "dummy://", "--readonly-mode", "--option", "substituters", "",
		"--eval", "--strict", "--json", "-E", expr).Output()
	if err != nil {
		t.Fatalf("nix-instantiate: %v", err)
	}
	var want struct {
		A struct{ DrvPath, Out, Dev string }
		B struct{ DrvPath, Out string }
	}
	if err := json.Unmarshal(out, &want); err != nil {
		t.Fatal(err)
	}

	env := map[string]string{"name": "oracle-a", "system": "x86_64-linux", "builder": "/bin/sh", "outputs": "out dev"}
	for k, v := range tricky {
		env[k] = v
	}
	a := &Derivation{
		Name:     "oracle-a",
		Outputs:  map[string]Output{"out": {}, "dev": {}},
		Platform: "x86_64-linux", Builder: "/bin/sh", Args: []string{"-c", "x", "-c"},
		Env: env,
	}
	if err := FillOutputPaths(sd, "", a, nil); err != nil {
		t.Fatal(err)
	}
	aDrv, err := DrvPath(sd, "", a, nil)
	if err != nil {
		t.Fatal(err)
	}
	if aDrv != want.A.DrvPath || a.Outputs["out"].Path != want.A.Out || a.Outputs["dev"].Path != want.A.Dev {
		t.Errorf("a: got %s %s %s\nwant %s %s %s", aDrv, a.Outputs["out"].Path, a.Outputs["dev"].Path, want.A.DrvPath, want.A.Out, want.A.Dev)
	}

	aHash, err := HashModulo(a, nil)
	if err != nil {
		t.Fatal(err)
	}
	b := &Derivation{
		Name:      "oracle-b",
		Outputs:   map[string]Output{"out": {}},
		InputDrvs: map[string][]string{aDrv: {"dev", "out"}},
		Platform:  "x86_64-linux", Builder: "/bin/sh", Args: []string{a.Outputs["dev"].Path},
		Env: map[string]string{"name": "oracle-b", "system": "x86_64-linux", "builder": "/bin/sh", "ref": a.Outputs["out"].Path},
	}
	lookup := func(p string) ([]byte, error) {
		if p != aDrv {
			t.Fatalf("unexpected lookup of %s", p)
		}
		return aHash, nil
	}
	if err := FillOutputPaths(sd, "", b, lookup); err != nil {
		t.Fatal(err)
	}
	bDrv, err := DrvPath(sd, "", b, nil)
	if err != nil {
		t.Fatal(err)
	}
	if bDrv != want.B.DrvPath || b.Outputs["out"].Path != want.B.Out {
		t.Errorf("b: got %s %s\nwant %s %s", bDrv, b.Outputs["out"].Path, want.B.DrvPath, want.B.Out)
	}
}
