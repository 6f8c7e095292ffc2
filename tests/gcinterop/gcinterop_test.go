package gcinterop

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"gonix/internal/testutil"
)

// scenarioScript runs as root in a fresh mount namespace. $MK (a command
// prefix: empty for Nix 2.8 from PATH, or the gonix binary) makes paths and
// roots, the ways a user does, and judges what is live; $GC (the other
// tool) collects. Sections after "@@NAME" lines are parsed by parseMarkers.
// The roots exercised: an indirect root from `nix-store -r --add-root`, a
// plain symlink in gcroots, two profile generations from `nix-env --set`,
// an instantiated derivation rooted with --add-root (its toFile inputs and
// their references live through it), and a `result` link of nix-build. The
// dead ones: an unrooted added file, an unrooted derivation with its own
// toFile input, a derivation whose --add-root link was deleted (the stale
// auto root must not hold it) and a build made with --no-out-link.
const scenarioScript = `set -eu
mount -t tmpfs none /nix
mkdir -p /nix/store /nix/var/nix/gcroots /nix/var/nix/profiles
w=$WORK
cd "$w"
# MK makes the paths and roots and judges liveness; GC collects.
say() { echo "@@name $1 $2"; }
cat > drvs.nix <<'NIX'
{ tag }:
let
  leaf = builtins.toFile "leaf-${tag}" "leaf ${tag}";
  mid = builtins.toFile "mid-${tag}" "mid refers to ${leaf}";
  mk = name: script: derivation {
    inherit name; system = builtins.currentSystem; builder = "/bin/sh"; args = [ "-c" script ];
  };
in {
  kept = mk "kept-${tag}" "echo ${mid} > $out";
  dropped = mk "dropped-${tag}" "echo ${builtins.toFile "only-dropped-${tag}" "x"} > $out";
  gone = mk "gone-${tag}" "echo gone > $out";
  built = mk "built-${tag}" "echo built ${tag} ${leaf} > $out";
  unlinked = mk "unlinked-${tag}" "echo unlinked ${tag} > $out";
}
NIX
for n in indirect plain gen1 gen2 dead; do echo "$n $TAG" > "$n.txt"; done
p=$($MK nix-store --add indirect.txt)
$MK nix-store -r --add-root "$w/indirect-root" --indirect "$p" >&2
say live "$p"
p=$($MK nix-store --add plain.txt)
ln -s "$p" /nix/var/nix/gcroots/plain
say live "$p"
p=$($MK nix-store --add gen1.txt)
$MK nix-env -p /nix/var/nix/profiles/p --set "$p" >&2
say live "$p"
p=$($MK nix-store --add gen2.txt)
$MK nix-env -p /nix/var/nix/profiles/p --set "$p" >&2
say live "$p"
say dead "$($MK nix-store --add dead.txt)"
$MK nix-instantiate drvs.nix --argstr tag "$TAG" -A kept --add-root "$w/kept.drv" --indirect >&2
say live "$(readlink "$w/kept.drv")"
say dead "$($MK nix-instantiate drvs.nix --argstr tag "$TAG" -A dropped 2>/dev/null)"
$MK nix-instantiate drvs.nix --argstr tag "$TAG" -A gone --add-root "$w/gone.drv" --indirect >&2
say dead "$(readlink "$w/gone.drv")"
rm "$w/gone.drv"
say live "$($MK nix-build --option sandbox false drvs.nix --argstr tag "$TAG" -A built)"
say dead "$($MK nix-build --option sandbox false drvs.nix --argstr tag "$TAG" -A unlinked --no-out-link)"
echo @@live-before; $MK nix-store --gc --print-live
live=$($MK nix-store --gc --print-live 2>/dev/null)
echo @@other-live-before; $GC nix-store --gc --print-live
echo @@dead-before; $MK nix-store --gc --print-dead
echo @@gc; $GC nix-store --gc >&2
echo @@store-after; ls -A /nix/store
echo @@dead-after; $MK nix-store --gc --print-dead
echo @@invalid; $MK nix-store --check-validity --print-invalid $live
echo @@verify; rc=0; $MK nix-store --verify --check-contents >&2 || rc=$?; echo "$rc"
echo @@end
`

func TestGCInterop(t *testing.T) {
	nixStore := testutil.NixTool(t, "nix-store")
	for _, tool := range []string{"nix-instantiate", "nix-build", "nix-env"} {
		if filepath.Dir(testutil.NixTool(t, tool)) != filepath.Dir(nixStore) {
			testutil.Missing(t, "Nix 2.8's commands in one directory", os.ErrNotExist)
		}
	}
	if os.Geteuid() != 0 {
		testutil.Missing(t, "root (for a private mount namespace with its own /nix)", os.ErrPermission)
	}
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		testutil.Missing(t, "unshare", err)
	}
	if _, err := os.Stat("/nix"); err != nil {
		testutil.Missing(t, "a /nix directory to mount a tmpfs on", err)
	}
	gonix := filepath.Join(t.TempDir(), "gonix")
	if out, err := exec.Command("go", "build", "-o", gonix, "gonix/cmd/gonix").CombinedOutput(); err != nil {
		t.Fatalf("go build gonix/cmd/gonix: %v\n%s", err, out)
	}
	env := scenarioEnv(filepath.Dir(nixStore))

	t.Run("nix makes, gonix collects", func(t *testing.T) {
		runScenario(t, unshare, env, "nix", "", gonix)
	})
	t.Run("gonix makes, nix collects", func(t *testing.T) {
		runScenario(t, unshare, env, "gonix", gonix, "")
	})
}

// scenarioEnv is the environment without settings that would send either
// tool to another store, with Nix 2.8's directory first on PATH.
func scenarioEnv(nixBin string) []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "NIX_") || name == "PATH" || name == "HOME" {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "PATH="+nixBin+string(os.PathListSeparator)+os.Getenv("PATH"))
}

func runScenario(t *testing.T, unshare string, env []string, tag, mk, gc string) {
	tmp := t.TempDir()
	work := filepath.Join(tmp, "work")
	if err := os.Mkdir(work, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tmp, "nix.conf"), []byte("sandbox = false\nsubstituters =\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	scriptPath := filepath.Join(tmp, "scenario.sh")
	if err := os.WriteFile(scriptPath, []byte(scenarioScript), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, unshare, "-m", "--propagation", "private", "sh", scriptPath)
	cmd.Env = append(slices.Clone(env), "NIX_CONF_DIR="+tmp, "HOME="+tmp, "WORK="+work, "TAG="+tag, "MK="+mk, "GC="+gc)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("scenario: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	defer func() {
		if t.Failed() {
			t.Logf("stdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
		}
	}()
	m := parseMarkers(stdout.String())
	if _, ok := m["end"]; !ok {
		t.Fatal("the scenario script stopped before its end")
	}
	maker, collector := "Nix 2.8", "gonix"
	if mk != "" {
		maker, collector = "gonix", "Nix 2.8"
	}
	live, dead := set(m["live-before"]), set(m["dead-before"])
	if len(live) == 0 || len(dead) == 0 {
		t.Fatalf("%s found %d live and %d dead paths before the collection; the scenario needs both", maker, len(live), len(dead))
	}
	for p := range live {
		if dead[p] {
			t.Errorf("%s reports %s both live and dead", maker, p)
		}
	}
	// The scenario's own claims: each root held what it should.
	for _, l := range m["name"] {
		kind, p, _ := strings.Cut(l, " ")
		switch {
		case kind == "live" && !live[p]:
			t.Errorf("%s does not count %s live, though a root holds it", maker, p)
		case kind == "dead" && !dead[p]:
			t.Errorf("%s does not count %s dead, though no root holds it", maker, p)
		}
	}
	if d := diff(live, set(m["other-live-before"])); d != "" {
		t.Errorf("live paths before the collection (-%s +%s):\n%s", maker, collector, d)
	}
	after := map[string]bool{}
	for _, name := range m["store-after"] {
		if !strings.HasPrefix(name, ".") && !strings.HasSuffix(name, ".lock") {
			after["/nix/store/"+name] = true
		}
	}
	if d := diff(live, after); d != "" {
		t.Errorf("after %s's collection, /nix/store versus %s's live set before it (-live +present):\n%s", collector, maker, d)
	}
	if len(m["dead-after"]) > 0 {
		t.Errorf("after %s's collection, %s still finds dead paths:\n%s", collector, maker, strings.Join(m["dead-after"], "\n"))
	}
	if len(m["invalid"]) > 0 {
		t.Errorf("after %s's collection, %s finds live paths invalid:\n%s", collector, maker, strings.Join(m["invalid"], "\n"))
	}
	if rc := m["verify"]; len(rc) != 1 || rc[0] != "0" {
		t.Errorf("after %s's collection, %s nix-store --verify --check-contents exited %v", collector, maker, rc)
	}
}

// parseMarkers splits the script's stdout into sections: a line "@@NAME"
// starts section NAME, a line "@@NAME REST" adds REST to section NAME.
func parseMarkers(out string) map[string][]string {
	m := map[string][]string{}
	section := ""
	for _, line := range strings.Split(out, "\n") {
		if rest, ok := strings.CutPrefix(line, "@@"); ok {
			name, value, hasValue := strings.Cut(rest, " ")
			if hasValue {
				m[name] = append(m[name], value)
				continue
			}
			section = name
			if _, ok := m[section]; !ok {
				m[section] = nil
			}
			continue
		}
		if line = strings.TrimSpace(line); line != "" && section != "" {
			m[section] = append(m[section], line)
		}
	}
	return m
}

func set(lines []string) map[string]bool {
	s := make(map[string]bool, len(lines))
	for _, l := range lines {
		s[l] = true
	}
	return s
}

// diff lists the members of only one of a and b, "-" for a and "+" for b,
// sorted; "" when the sets are equal.
func diff(a, b map[string]bool) string {
	var lines []string
	for p := range a {
		if !b[p] {
			lines = append(lines, "-"+p)
		}
	}
	for p := range b {
		if !a[p] {
			lines = append(lines, "+"+p)
		}
	}
	slices.SortFunc(lines, func(x, y string) int { return strings.Compare(x[1:], y[1:]) })
	return strings.Join(lines, "\n")
}
