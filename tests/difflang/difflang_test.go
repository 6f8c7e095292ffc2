package difflang

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var (
	onlyFlag = flag.String("difflang.only", "", "run only cases whose ARCHIVE/CASE/MODE matches this regular expression")
	nixFlag  = flag.String("difflang.nix", "", "reference nix-instantiate (default: $GONIX_DIFF_NIX, else nix-instantiate on PATH)")
	keepFlag = flag.Bool("difflang.keep", false, "keep every case directory (under $TMPDIR/difflang-case*) and print it with each disagreement")
)

// A mode is one way of calling nix-instantiate on every case.
type mode struct {
	name  string
	flags []string
}

var modes = []mode{
	{"eval", []string{"--eval"}},
	{"strict", []string{"--eval", "--strict"}},
	{"json", []string{"--eval", "--json"}},
	{"strict-json", []string{"--eval", "--strict", "--json"}},
	{"xml", []string{"--eval", "--xml"}},
	{"strict-xml", []string{"--eval", "--strict", "--xml"}},
}

func modeByName(name string) *mode {
	for i := range modes {
		if modes[i].name == name {
			return &modes[i]
		}
	}
	return nil
}

// commonFlags keep real Nix away from the machine's store and the network;
// gonix gets them too (it accepts Nix's flags).
var commonFlags = []string{"--readonly-mode", "--option", "substituters", ""}

const caseTimeout = 30 * time.Second

// harness is what TestMain found out about the two implementations; it is
// written once before any test runs.
type harness struct {
	nix      string   // reference nix-instantiate
	gonix    []string // argv prefix running gonix's nix-instantiate
	skip     string   // reason to skip differential tests
	fatal    string   // reason to fail them (CI without Nix, build failure)
	buildDir string
}

var h harness

func TestMain(m *testing.M) {
	flag.Parse()
	h = setup()
	code := m.Run()
	if h.buildDir != "" {
		os.RemoveAll(h.buildDir)
	}
	os.Exit(code)
}

func setup() harness {
	var hs harness
	nix := *nixFlag
	if nix == "" {
		nix = os.Getenv("GONIX_DIFF_NIX")
	}
	if nix == "" {
		p, err := exec.LookPath("nix-instantiate")
		if err != nil {
			return missingNix("nix-instantiate not found on PATH (install Debian's nix-bin, or set GONIX_DIFF_NIX)")
		}
		nix = p
	}
	out, err := exec.Command(nix, "--version").Output()
	if err != nil {
		return missingNix(fmt.Sprintf("%s --version: %v", nix, err))
	}
	if !strings.Contains(string(out), " 2.8") {
		return missingNix(fmt.Sprintf("%s is not Nix 2.8: %s", nix, strings.TrimSpace(string(out))))
	}
	hs.nix = nix

	if g := os.Getenv("GONIX_DIFF_GONIX"); g != "" {
		// A binary called nix-instantiate (a link to gonix, or real Nix
		// for validating the corpus) dispatches on argv[0].
		if filepath.Base(g) == "nix-instantiate" {
			hs.gonix = []string{g}
		} else {
			hs.gonix = []string{g, "nix-instantiate"}
		}
		return hs
	}
	dir, err := os.MkdirTemp("", "difflang-build")
	if err != nil {
		hs.fatal = fmt.Sprintf("build gonix: %v", err)
		return hs
	}
	hs.buildDir = dir
	bin := filepath.Join(dir, "gonix")
	cmd := exec.Command("go", "build", "-o", bin, "gonix/cmd/gonix")
	if out, err := cmd.CombinedOutput(); err != nil {
		hs.fatal = fmt.Sprintf("go build gonix/cmd/gonix: %v\n%s", err, out)
		return hs
	}
	hs.gonix = []string{bin, "nix-instantiate"}
	return hs
}

func missingNix(reason string) harness {
	if os.Getenv("CI") == "true" {
		return harness{fatal: "CI=true but " + reason}
	}
	return harness{skip: reason}
}

// result is what one run of one implementation produced.
type result struct {
	stdout, stderr []byte
	exit           int
	err            error // could not run, or timed out
}

func (h *harness) argv(tool []string, m mode, c *testCase) []string {
	args := append(append([]string{}, tool...), m.flags...)
	if tool[0] == h.nix {
		// Nix opens its default store (/nix) even with --readonly-mode.
		args = append(args, "--store", "dummy://")
	}
	args = append(args, commonFlags...)
	args = append(args, c.flags...)
	switch {
	case c.file != "":
		args = append(args, c.file)
	case c.stdin:
		args = append(args, "-")
	default:
		args = append(args, "-E", c.expr)
	}
	return args
}

// caseEnv is the whole environment of both implementations: nothing is
// inherited except PATH, so NIX_PATH, NIX_STORE_DIR and friends are unset.
func caseEnv(root string, c *testCase) []string {
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + filepath.Join(root, "home"),
		"TMPDIR=" + filepath.Join(root, "tmp"),
		"TZ=UTC",
		"DIFFLANG_VAR=difflang value",
	}
	return append(env, c.env...)
}

func run(ctx context.Context, sem chan struct{}, argv []string, dir string, env []string, stdin string) result {
	sem <- struct{}{}
	defer func() { <-sem }()
	ctx, cancel := context.WithTimeout(ctx, caseTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = env
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := result{stdout: out.Bytes(), stderr: errb.Bytes()}
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		r.err = fmt.Errorf("timed out after %v", caseTimeout)
	case errors.As(err, &ee):
		r.exit = ee.ExitCode()
		if r.exit < 0 {
			r.err = fmt.Errorf("killed: %v", ee)
		}
	case err != nil:
		r.err = err
	}
	return r
}

// stderrKey is the part of stderr we promise: all of it after a success
// (traces, warnings) or with @stderr=full; after a failure the lines up to
// and including the first "error: " line (traces, then the message's first
// line).
func stderrKey(c *testCase, r result) string {
	s := string(r.stderr)
	if r.exit == 0 || c.fullStderr {
		return s
	}
	var b strings.Builder
	for _, l := range strings.SplitAfter(s, "\n") {
		b.WriteString(l)
		if strings.HasPrefix(l, "error: ") || strings.HasPrefix(l, "error:") {
			break
		}
	}
	return b.String()
}

// compare returns a readable report of how got (gonix) differs from want
// (Nix), or "" if they agree.
func compare(c *testCase, want, got result) string {
	var b strings.Builder
	if got.err != nil {
		fmt.Fprintf(&b, "gonix: %v\n", got.err)
	}
	if want.exit != got.exit {
		fmt.Fprintf(&b, "exit status: nix %d, gonix %d\n", want.exit, got.exit)
	}
	if !bytes.Equal(want.stdout, got.stdout) {
		fmt.Fprintf(&b, "stdout:\n%s", indent(textDiff(string(want.stdout), string(got.stdout))))
	}
	if !c.noStderr {
		if w, g := stderrKey(c, want), stderrKey(c, got); w != g {
			fmt.Fprintf(&b, "stderr:\n%s", indent(textDiff(w, g)))
		}
	}
	if b.Len() > 0 && (want.exit != got.exit || got.err != nil) {
		fmt.Fprintf(&b, "nix stderr:\n%s", indent(clip(string(want.stderr))))
		fmt.Fprintf(&b, "gonix stderr:\n%s", indent(clip(string(got.stderr))))
	}
	return b.String()
}

// textDiff shows two outputs: quoted one above the other with the first
// differing byte marked when both are one line, else a line diff.
func textDiff(want, got string) string {
	oneLine := func(s string) bool { return !strings.Contains(strings.TrimSuffix(s, "\n"), "\n") }
	if oneLine(want) && oneLine(got) {
		i := 0
		for i < len(want) && i < len(got) && want[i] == got[i] {
			i++
		}
		out := fmt.Sprintf("nix:   %s\ngonix: %s\nfirst difference at byte %d\n",
			clip(strconv.QuoteToGraphic(want)), clip(strconv.QuoteToGraphic(got)), i)
		if len(want) > 160 || len(got) > 160 {
			out += fmt.Sprintf("near it:\nnix:   …%s…\ngonix: …%s…\n", window(want, i), window(got, i))
		}
		return out
	}
	return "(-nix +gonix)\n" + cmp.Diff(strings.SplitAfter(want, "\n"), strings.SplitAfter(got, "\n"))
}

// window is the quoted text of s around byte i.
func window(s string, i int) string {
	lo, hi := max(i-40, 0), min(i+40, len(s))
	return strconv.QuoteToGraphic(s[lo:hi])
}

func clip(s string) string {
	const max = 2000
	if len(s) > max {
		return s[:max] + "…(clipped)\n"
	}
	return s
}

func indent(s string) string {
	if s == "" {
		return ""
	}
	s = "\t" + strings.ReplaceAll(strings.TrimSuffix(s, "\n"), "\n", "\n\t")
	return s + "\n"
}

// shellLine renders argv as a command a developer can paste.
func shellLine(argv []string) string {
	q := make([]string, len(argv))
	for i, a := range argv {
		if a != "" && !strings.ContainsAny(a, " \t\n'\"\\$`!*?[]{}()<>|&;#~") {
			q[i] = a
		} else {
			q[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
	}
	return strings.Join(q, " ")
}

// tally counts outcomes over all subtests of one TestDiff run.
type tally struct {
	total, agree, known atomic.Int64
}

func TestDiff(t *testing.T) {
	if h.fatal != "" {
		t.Fatal(h.fatal)
	}
	if h.skip != "" {
		t.Skip(h.skip)
	}
	cases, err := loadCorpus("testdata")
	if err != nil {
		t.Fatal(err)
	}
	known, err := loadKnownFailures("testdata/known-failures.txt", cases)
	if err != nil {
		t.Fatal(err)
	}
	var only *regexp.Regexp
	if *onlyFlag != "" {
		if only, err = regexp.Compile(*onlyFlag); err != nil {
			t.Fatalf("-difflang.only: %v", err)
		}
	}
	storeBefore := listStore()
	sem := make(chan struct{}, 2*runtime.GOMAXPROCS(0))
	var tl tally
	start := time.Now()
	t.Run("case", func(t *testing.T) {
		for _, c := range cases {
			var ms []mode
			for _, m := range modes {
				if c.runsMode(m.name) && (only == nil || only.MatchString(c.id()+"/"+m.name)) {
					ms = append(ms, m)
				}
			}
			if len(ms) == 0 {
				continue
			}
			t.Run(c.id(), func(t *testing.T) {
				root := t.TempDir()
				if *keepFlag {
					kept, err := os.MkdirTemp("", "difflang-case")
					if err != nil {
						t.Fatal(err)
					}
					root = kept
				}
				work := filepath.Join(root, "work")
				for _, d := range []string{work, filepath.Join(root, "home"), filepath.Join(root, "tmp")} {
					if err := os.MkdirAll(d, 0o755); err != nil {
						t.Fatal(err)
					}
				}
				if err := c.materialise(work); err != nil {
					t.Fatal(err)
				}
				env := caseEnv(root, c)
				for _, m := range ms {
					t.Run(m.name, func(t *testing.T) {
						t.Parallel()
						diffOne(t, c, m, work, env, sem, known, &tl)
					})
				}
			})
		}
	})
	fmt.Printf("difflang: %d/%d agree (%d listed known failures) in %v\n",
		tl.agree.Load(), tl.total.Load(), tl.known.Load(), time.Since(start).Round(time.Second))
	if after := listStore(); len(after) > len(storeBefore) {
		t.Errorf("the machine's /nix/store gained entries during the run: %v", newEntries(storeBefore, after))
	}
}

func diffOne(t *testing.T, c *testCase, m mode, work string, env []string, sem chan struct{}, known knownFailures, tl *tally) {
	ctx := context.Background()
	nixArgv := h.argv([]string{h.nix}, m, c)
	gonixArgv := h.argv(h.gonix, m, c)
	stdin := ""
	if c.stdin {
		stdin = c.expr
	}
	done := make(chan result, 1)
	go func() { done <- run(ctx, sem, gonixArgv, work, env, stdin) }()
	want := run(ctx, sem, nixArgv, work, env, stdin)
	got := <-done
	tl.total.Add(1)
	if want.err != nil {
		t.Fatalf("%s: reference Nix failed to run: %v\n%s", c.pos, want.err, want.stderr)
	}
	key := c.id() + "/" + m.name
	report := compare(c, want, got)
	reason, listed := known[key]
	switch {
	case report == "" && listed:
		tl.agree.Add(1)
		t.Errorf("%s: %s is listed in testdata/known-failures.txt (%s) but agrees now: move it out, it passes now", c.pos, key, reason)
	case report == "":
		tl.agree.Add(1)
	case listed:
		tl.known.Add(1)
		t.Logf("known failure (%s): %s\n%s", reason, key, report)
	default:
		where := "in the case directory (keep it with -difflang.keep)"
		if *keepFlag {
			where = "in " + work
		}
		envs := ""
		if len(c.env) > 0 {
			envs = strings.Join(c.env, " ") + " "
		}
		t.Errorf("%s: %s disagrees\nrun %s: %s%s\n%s", c.pos, key, where, envs, shellLine(gonixArgv), report)
	}
}

func listStore() []string {
	ents, err := os.ReadDir("/nix/store")
	if err != nil {
		return nil
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return names
}

func newEntries(before, after []string) []string {
	old := map[string]bool{}
	for _, n := range before {
		old[n] = true
	}
	var added []string
	for _, n := range after {
		if !old[n] {
			added = append(added, n)
		}
	}
	return added
}
