package diffstore

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"gonix/internal/testutil"
)

// commonFlags go to both implementations: no network, no machine config
// surprises. The store (or --readonly-mode) is added per call.
var commonFlags = []string{"--option", "substituters", ""}

const runTimeout = 5 * time.Minute

// tools are the two implementations under comparison.
type tools struct {
	nixInstantiate, nixStore string   // real Nix 2.8
	gonix                    []string // argv prefix running gonix (without the command name)
	env                      []string
}

func setupTools(t *testing.T) *tools {
	t.Helper()
	tl := &tools{
		nixInstantiate: testutil.NixTool(t, "nix-instantiate"),
		nixStore:       testutil.NixTool(t, "nix-store"),
	}
	out, err := exec.Command(tl.nixInstantiate, "--version").Output()
	if err != nil || !strings.Contains(string(out), " 2.8") {
		testutil.Missing(t, "Nix 2.8", fmt.Errorf("%s --version: %q, %v", tl.nixInstantiate, out, err))
	}
	if g := os.Getenv("GONIX_DIFF_GONIX"); g != "" {
		tl.gonix = []string{g}
	} else {
		bin := filepath.Join(t.TempDir(), "gonix")
		cmd := exec.Command("go", "build", "-o", bin, "gonix/cmd/gonix")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build gonix/cmd/gonix: %v\n%s", err, out)
		}
		tl.gonix = []string{bin}
	}
	home := t.TempDir()
	// Nothing inherited but PATH: no NIX_PATH, NIX_STORE_DIR, NIX_REMOTE.
	tl.env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "TMPDIR=" + t.TempDir(), "TZ=UTC"}
	return tl
}

type result struct {
	argv           []string
	stdout, stderr []byte
	err            error
	elapsed        time.Duration
}

func (r result) String() string {
	return fmt.Sprintf("%q: %v\nstderr:\n%s", r.argv, r.err, head(string(r.stderr), 20))
}

func (tl *tools) run(dir string, argv ...string) result {
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = tl.env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	if ctx.Err() != nil {
		err = fmt.Errorf("timed out after %v", runTimeout)
	}
	return result{argv: argv, stdout: out.Bytes(), stderr: errb.Bytes(), err: err, elapsed: time.Since(start)}
}

// both runs Nix's and gonix's nix-instantiate with the same arguments, side
// by side.
func (tl *tools) both(dir string, nixArgs, gonixArgs []string) (nix, gonix result) {
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		nix = tl.run(dir, append([]string{tl.nixInstantiate}, nixArgs...)...)
	}()
	go func() {
		defer wg.Done()
		gonix = tl.run(dir, append(append(append([]string{}, tl.gonix...), "nix-instantiate"), gonixArgs...)...)
	}()
	wg.Wait()
	return nix, gonix
}

func TestDiffStore(t *testing.T) {
	tl := setupTools(t)
	dir := t.TempDir()
	start := time.Now()
	st, err := Generate(dir, DefaultSeed)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("generated in %v: %v", time.Since(start).Round(time.Millisecond), st)
	if st.Derivations < 2000 {
		t.Fatalf("generator wrote %d derivations, want at least 2000", st.Derivations)
	}

	// Needs no store writes: every drvPath and outPath as --eval computes them.
	t.Run("eval", func(t *testing.T) {
		args := append(append([]string{"--readonly-mode"}, commonFlags...), "--eval", "--strict", "--json", "eval.nix")
		// Nix opens its default store (/nix) even read-only; dummy:// keeps
		// it off the machine's.
		nix, gonix := tl.both(dir, append([]string{"--store", "dummy://"}, args...), args)
		if nix.err != nil {
			t.Fatalf("Nix failed: %v", nix)
		}
		if gonix.err != nil {
			t.Fatalf("gonix failed: %v", gonix)
		}
		t.Logf("nix %v, gonix %v", nix.elapsed.Round(time.Millisecond), gonix.elapsed.Round(time.Millisecond))
		compareEval(t, st, nix.stdout, gonix.stdout)
		if !bytes.Equal(nix.stderr, gonix.stderr) {
			t.Errorf("stderr differs:\nnix:\n%s\ngonix:\n%s", head(string(nix.stderr), 20), head(string(gonix.stderr), 20))
		}
	})

	t.Run("store", func(t *testing.T) {
		base := t.TempDir()
		writableOnCleanup(t, base)
		store1, store2 := filepath.Join(base, "nix"), filepath.Join(base, "gonix")
		nix, gonix := tl.both(dir,
			append(append([]string{"--store", store1}, commonFlags...), "default.nix"),
			append(append([]string{"--store", store2}, commonFlags...), "default.nix"))
		if nix.err != nil {
			t.Fatalf("Nix failed: %v", nix)
		}
		t.Logf("nix %v, gonix %v", nix.elapsed.Round(time.Millisecond), gonix.elapsed.Round(time.Millisecond))
		if gonix.err != nil {
			t.Fatalf("gonix failed: %v", gonix)
		}
		if got := strings.Count(string(nix.stdout), "\n"); got != st.Derivations {
			t.Errorf("Nix printed %d .drv paths, the generator wrote %d derivations", got, st.Derivations)
		}
		if d := lineDiff(string(nix.stdout), string(gonix.stdout)); d != "" {
			t.Errorf("stdout (the .drv paths) differs:\n%s", d)
		}
		if !bytes.Equal(nix.stderr, gonix.stderr) {
			t.Errorf("stderr differs:\nnix:\n%s\ngonix:\n%s", head(string(nix.stderr), 20), head(string(gonix.stderr), 20))
		}
		drvs := compareStores(t, filepath.Join(store1, "nix", "store"), filepath.Join(store2, "nix", "store"))
		if want := st.Derivations; len(drvs) != want {
			t.Errorf("Nix's store holds %d .drv files, want %d (one per generated derivation)", len(drvs), want)
		}
		compareOutputs(t, tl, dir, store1, store2, drvs)
		compareDB(t, tl, dir, store1, store2)
	})
}

// evalInfo is one entry of eval.nix's result.
type evalInfo struct {
	DrvPath  string            `json:"drvPath"`
	OutPaths map[string]string `json:"outPaths"`
}

func compareEval(t *testing.T, st Stats, nixOut, gonixOut []byte) {
	t.Helper()
	var want, got map[string]evalInfo
	if err := json.Unmarshal(nixOut, &want); err != nil {
		t.Fatalf("Nix's JSON: %v", err)
	}
	if len(want) < st.EvalOnly {
		t.Errorf("Nix's eval.nix result has %d entries, want at least %d", len(want), st.EvalOnly)
	}
	if bytes.Equal(nixOut, gonixOut) {
		return
	}
	if err := json.Unmarshal(gonixOut, &got); err != nil {
		t.Fatalf("output differs, and gonix's is not JSON (%v):\n%s", err, head(string(gonixOut), 10))
	}
	var diffs []string
	for _, name := range sortedKeys(want) {
		g, ok := got[name]
		switch w := want[name]; {
		case !ok:
			diffs = append(diffs, fmt.Sprintf("%s: missing in gonix's output", name))
		case w.DrvPath != g.DrvPath || fmt.Sprint(w.OutPaths) != fmt.Sprint(g.OutPaths):
			diffs = append(diffs, fmt.Sprintf("%s:\n\tnix   %s %v\n\tgonix %s %v", name, w.DrvPath, w.OutPaths, g.DrvPath, g.OutPaths))
		}
	}
	for _, name := range sortedKeys(got) {
		if _, ok := want[name]; !ok {
			diffs = append(diffs, fmt.Sprintf("%s: only in gonix's output", name))
		}
	}
	if len(diffs) == 0 {
		t.Errorf("the JSON differs byte-wise but not in content:\n%s", lineDiff(string(nixOut), string(gonixOut)))
		return
	}
	t.Errorf("%d of %d derivations differ:\n%s", len(diffs), len(want), strings.Join(limit(diffs, 40), "\n"))
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func limit(xs []string, n int) []string {
	if len(xs) <= n {
		return xs
	}
	return append(xs[:n:n], fmt.Sprintf("... and %d more", len(xs)-n))
}

func head(s string, n int) string {
	lines := strings.SplitAfter(s, "\n")
	if len(lines) <= n {
		return s
	}
	return strings.Join(lines[:n], "") + fmt.Sprintf("... (%d more lines)\n", len(lines)-n)
}

// lineDiff describes how two line lists differ ("" when equal): the first
// differing line, and the lines only one side has.
func lineDiff(want, got string) string {
	if want == got {
		return ""
	}
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			fmt.Fprintf(&b, "first difference at line %d:\n\tnix   %q\n\tgonix %q\n", i+1, w, g)
			break
		}
	}
	fmt.Fprintf(&b, "nix %d lines, gonix %d lines\n", len(wl), len(gl))
	ws, gs := map[string]bool{}, map[string]bool{}
	for _, l := range wl {
		ws[l] = true
	}
	for _, l := range gl {
		gs[l] = true
	}
	var onlyW, onlyG []string
	for _, l := range wl {
		if !gs[l] {
			onlyW = append(onlyW, "\t"+l)
		}
	}
	for _, l := range gl {
		if !ws[l] {
			onlyG = append(onlyG, "\t"+l)
		}
	}
	if len(onlyW)+len(onlyG) == 0 {
		b.WriteString("same lines, different order\n")
	}
	if len(onlyW) > 0 {
		fmt.Fprintf(&b, "only in nix (%d):\n%s\n", len(onlyW), strings.Join(limit(onlyW, 15), "\n"))
	}
	if len(onlyG) > 0 {
		fmt.Fprintf(&b, "only in gonix (%d):\n%s\n", len(onlyG), strings.Join(limit(onlyG, 15), "\n"))
	}
	return b.String()
}
