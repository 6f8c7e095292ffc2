package cli

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"gonix/internal/testutil"
)

// TestManifestTextVector renders the two elements of the profile vector
// and compares with env-manifest.nix as Nix 2.8 wrote it.
func TestManifestTextVector(t *testing.T) {
	want, err := os.ReadFile(filepath.Join(testutil.SpecVectors(t), "profiles", "env-manifest.nix"))
	if err != nil {
		t.Fatal(err)
	}
	el := func(name, desc, out string) envElem {
		return envElem{
			name: name, system: "x86_64-linux", outPath: out,
			outputs: []envOutput{{"out", out}},
			meta:    `{ description = "` + desc + `"; license = "free"; }`,
		}
	}
	got := manifestText([]envElem{
		el("bar-2.0", "The bar package", "/nix/store/z86wvyn8cxq9ljc58phd45rashchrq9l-bar-2.0"),
		el("foo-1.0", "The foo package", "/nix/store/ri6qsw5ff11j8vs8m6aaq067k80vlzb9-foo-1.0"),
	})
	if d := cmp.Diff(strings.TrimSuffix(string(want), "\n"), got); d != "" {
		t.Errorf("(-vector +got):\n%s", d)
	}
	// A store path installed as is: empty meta, no system.
	got = manifestText([]envElem{{name: "x", outPath: "/p", outputs: []envOutput{{"out", "/p"}}, meta: "{ }"}})
	if w := `[ { meta = { }; name = "x"; out = { outPath = "/p"; }; outPath = "/p"; outputs = [ "out" ]; type = "derivation"; } ]`; got != w {
		t.Errorf("got %s\nwant %s", got, w)
	}
}

func TestPrintNixString(t *testing.T) {
	var sb strings.Builder
	printNixString(&sb, "a\"b\\c\nd\re\tf$g${h}")
	if w := `"a\"b\\c\nd\re\tf$g\${h}"`; sb.String() != w {
		t.Errorf("got %s, want %s", sb.String(), w)
	}
}

func TestDrvNameMatches(t *testing.T) {
	for _, tc := range []struct {
		sel, name string
		want      bool
	}{
		{"foo", "foo-1.0", true},
		{"foo-1.0", "foo-1.0", true},
		{"foo-2.0", "foo-1.0", false},
		{"*", "bar-2.0", true},
		{"fo", "foo-1.0", false},
		{"foo-bar", "foo-bar-1", true},
	} {
		if got := drvNameMatches(tc.sel, tc.name); got != tc.want {
			t.Errorf("drvNameMatches(%q, %q) = %v", tc.sel, tc.name, got)
		}
	}
}

// TestPartitionLikeLibstdcxx: std::partition is not stable; uninstalling
// reorders the remaining elements as libstdc++ does.
func TestPartitionLikeLibstdcxx(t *testing.T) {
	els := []envElem{{name: "a"}, {name: "x"}, {name: "b"}, {name: "c"}, {name: "x"}, {name: "d"}}
	split := partition(els, func(e envElem) bool { return e.name != "x" })
	var got []string
	for _, e := range els {
		got = append(got, e.name)
	}
	// libstdc++: first x (1) swapped with last kept (d, 5); then x (4)
	// meets the scan from the back.
	if want := []string{"a", "d", "b", "c", "x", "x"}; split != 4 || !cmp.Equal(got, want) {
		t.Errorf("split %d, order %v, want 4 %v", split, got, want)
	}
}

// TestNixEnvUserEnvMatchesNix installs, queries, replaces, collides and
// uninstalls with Nix 2.8 and with gonix, each in a private mount
// namespace with an empty /nix, and compares the transcripts: output,
// exit codes, manifest.nix, the user environment's tree and the links.
func TestNixEnvUserEnvMatchesNix(t *testing.T) {
	ns := newNixEnvNS(t, map[string]string{"pkgs.nix": userEnvPkgs})
	gonix := ns.gonix
	transcript := func(tool, home string) string {
		return sortBuildingRuns(ns.run(tool, userEnvSequence, home, "NIXENV="+tool))
	}
	want := transcript("nix-env", "home-nix")
	got := transcript(gonix+" nix-env --option sandbox false", "home-gonix")
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("transcripts differ (-nix +gonix):\n%s", d)
	}
	if !strings.Contains(got, "uninstalling 'foo-2.0'") || !strings.Contains(got, "have the same priority 5") {
		t.Errorf("sequence did not run as planned:\n%s", got)
	}
}

// sortBuildingRuns sorts each run of consecutive "building '…'..." lines:
// independent derivations are built in an order the scheduler chooses,
// which is not what this test is about.
func sortBuildingRuns(s string) string {
	lines := strings.Split(s, "\n")
	for i := 0; i < len(lines); {
		j := i
		for j < len(lines) && strings.HasPrefix(lines[j], "building '") {
			j++
		}
		if j > i {
			sort.Strings(lines[i:j])
			i = j
		} else {
			i++
		}
	}
	return strings.Join(lines, "\n")
}

const userEnvPkgs = `let
  mk = name: version: extra: derivation {
    name = "${name}-${version}";
    system = "x86_64-linux";
    builder = "/bin/sh";
    PATH = "/usr/bin:/bin";
    args = [ "-c" "mkdir -p $out/bin $out/share/${name}; printf '#!/bin/sh\\necho ${name}\\n' > $out/bin/${name}; chmod +x $out/bin/${name}; echo ${version} > $out/share/${name}/version; ${extra}" ];
  } // { meta = { description = "The ${name} package"; license = "free"; }; };
in {
  foo = mk "foo" "1.0" "";
  bar = mk "bar" "2.0" "";
  foo2 = mk "foo" "2.0" "";
  baz = mk "baz" "1.0" "echo x > $out/bin/foo";
}
`

// userEnvSequence is the script both tools run; $NIXENV is the nix-env
// to test.
const userEnvSequence = `
set -u
mount -t tmpfs none /nix && mkdir -p /nix/store || exit 1
mkdir -p $HOME
P=/nix/var/nix/profiles/test
run() {
	echo "\$ nix-env $*"
	$NIXENV "$@" >$T/o 2>$T/e
	echo "rc=$?"
	echo "stdout:"; cat $T/o
	echo "stderr:"; cat $T/e
}
show() {
	echo "# manifest"; cat $P/manifest.nix; echo
	echo "# drv"; cat $(grep -l "\"out\",\"$(readlink -f $P)\"" /nix/store/*-user-environment.drv); echo
	echo "# tree"; (cd $P/ && find . -printf '%M %p %l\n' | sort)
	echo "# links"; ls /nix/var/nix/profiles | sort
}
run -p $P -f $T/pkgs.nix -iA foo bar
show
run -p $P -q
run -p $P -q --out-path
run -p $P -qP
run -f $T/pkgs.nix -qaP --out-path
run -p $P -f $T/pkgs.nix -iA foo2
show
run -p $P -f $T/pkgs.nix -iA baz
run -p $P -e foo
show
run -p $P -e nosuch
run -p $P -i
show
run -p $P -i /nix/store/$(ls /nix/store | grep 'baz-1.0.drv$')
show
BAR=$(readlink $P/bin/bar | cut -d/ -f1-4)
run -p $P -e $BAR
show
run -p $P -q
`
