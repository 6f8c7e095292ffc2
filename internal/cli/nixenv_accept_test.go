package cli

import (
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"gonix/internal/testutil"
)

// TestNixEnvAcceptance runs a user's whole life with a profile — install,
// upgrade, set-flag, uninstall, list, roll back, switch, delete
// generations by count, age and "old", collect garbage — with Nix 2.8 and
// with gonix, each in a private mount namespace with an empty /nix, and
// compares after every step: exit code, stdout, stderr, manifest.nix, the
// profile's tree with every file resolved, the generation links and the
// generation list.
func TestNixEnvAcceptance(t *testing.T) {
	nixGC := testutil.NixTool(t, "nix-collect-garbage")
	ns := newNixEnvNS(t, map[string]string{"pkgs.nix": acceptPkgs})
	gonix := ns.gonix
	transcript := func(env, gc, home string) string {
		return normaliseAcceptTranscript(ns.run(env, acceptSequence, home, "NIXENV="+env, "NIXGC="+gc))
	}
	want := transcript("nix-env", filepath.Base(nixGC), "home-nix")
	got := transcript(gonix+" nix-env --option sandbox false", gonix+" nix-collect-garbage", "home-gonix")
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("transcripts differ (-nix +gonix):\n%s", d)
	}
	// The sequence must have done what it is about, in both tools.
	for _, s := range []string{
		"upgrading 'foo-1.0' to 'foo-2.0'",
		"setting flag on 'bar-1.0'",
		"uninstalling 'qux-1.0'",
		"switching profile from version 4 to 3",
		"removing profile version 1",
		"removing profile version 4",
	} {
		if !strings.Contains(want, s) || !strings.Contains(got, s) {
			t.Errorf("sequence did not run as planned: no %q in\n%s", s, got)
		}
	}
}

var (
	acceptDate  = regexp.MustCompile(`\d{4}-\d\d-\d\d \d\d:\d\d:\d\d`)
	acceptFreed = regexp.MustCompile(`(\d+ store paths deleted), [0-9.]+ MiB freed`)
)

// normaliseAcceptTranscript replaces dates, sorts runs of building lines
// and sorts the stdout and the stderr of each garbage collection
// ("deleting" lines come in no meaningful order); the freed size is kept
// out (it depends on the file system's block accounting, not on what was
// deleted).
func normaliseAcceptTranscript(s string) string {
	s = acceptDate.ReplaceAllString(s, "DATE")
	s = acceptFreed.ReplaceAllString(s, "$1")
	s = sortBuildingRuns(s)
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if !strings.HasPrefix(l, "$ nix-collect-garbage") {
			continue
		}
		start := -1
		for j := i + 1; j < len(lines); j++ {
			if lines[j] == "stdout:" || lines[j] == "stderr:" || strings.HasPrefix(lines[j], "# ") {
				if start >= 0 {
					sort.Strings(lines[start:j])
				}
				start = j + 1
				if strings.HasPrefix(lines[j], "# ") {
					break
				}
			}
		}
	}
	return strings.Join(lines, "\n")
}

const acceptPkgs = `let
  mk = name: version: derivation {
    name = "${name}-${version}";
    system = "x86_64-linux";
    builder = "/bin/sh";
    PATH = "/usr/bin:/bin";
    args = [ "-c" "mkdir -p $out/bin $out/share/${name}; printf '#!/bin/sh\\necho ${name} ${version}\\n' > $out/bin/${name}; chmod +x $out/bin/${name}; echo ${version} > $out/share/${name}/version" ];
  } // { meta = { description = "The ${name} package"; }; };
in {
  foo = mk "foo" "1.0";
  foo2 = mk "foo" "2.0";
  bar = mk "bar" "1.0";
  qux = mk "qux" "1.0";
}
`

// acceptSequence is the script both tools run; $NIXENV and $NIXGC are
// the nix-env and nix-collect-garbage to test. Every step is followed by
// a look at the profile.
const acceptSequence = `
set -u
mount -t tmpfs none /nix && mkdir -p /nix/store /nix/var/nix/profiles || exit 1
mkdir -p $HOME
P=/nix/var/nix/profiles/test
step() {
	tool=$1; shift
	echo "\$ $tool $*"
	if [ $tool = nix-env ]; then $NIXENV "$@" >$T/o 2>$T/e; else $NIXGC "$@" >$T/o 2>$T/e; fi
	echo "rc=$?"
	echo "stdout:"; cat $T/o
	echo "stderr:"; cat $T/e
	echo "# manifest"; cat $P/manifest.nix 2>&1; echo
	echo "# tree"; (cd $P/ 2>/dev/null && find . | sort | while read f; do echo "$f -> $(readlink -f "$f")"; done)
	echo "# links"; ls /nix/var/nix/profiles | sort
	echo "# generations"; $NIXENV -p $P --list-generations 2>&1
	echo "# store"; ls /nix/store | grep -v '\.lock$' | sort
}
step nix-env -p $P -f $T/pkgs.nix -iA foo bar qux
step nix-env -p $P -f $T/pkgs.nix -u foo
step nix-env -p $P -f $T/pkgs.nix -u
step nix-env -p $P --set-flag priority 3 bar
step nix-env -p $P -e qux
step nix-env -p $P --list-generations
step nix-env -p $P --rollback
step nix-env -p $P --switch-generation 2
step nix-env -p $P --switch-generation 4
step nix-env -p $P --delete-generations +2
step nix-env -p $P -f $T/pkgs.nix -iA qux
for l in $P-*-link; do touch -h -d '40 days ago' $l; done
step nix-env -p $P -f $T/pkgs.nix -iA foo
step nix-env -p $P --delete-generations 30d
step nix-env -p $P --delete-generations old
step nix-env -p $P --rollback
step nix-env -p $P -f $T/pkgs.nix -iA bar
step nix-env -p $P --set-flag keep true bar
step nix-env -p $P -f $T/pkgs.nix -u --always
` + acceptGCStep

// acceptGCStep ends the sequence: nix-collect-garbage -d.
const acceptGCStep = `step nix-collect-garbage -d
`
