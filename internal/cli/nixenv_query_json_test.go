package cli

import (
	"bufio"
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestWriteNixJSONString(t *testing.T) {
	var b bytes.Buffer
	w := bufio.NewWriter(&b)
	writeNixJSONString(w, "a\"\\\n\r\t\x01\x7fé/")
	w.Flush()
	if want := `"a\"\\\n\r\t\u0001` + "\x7fé/\""; b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
}

// TestNixEnvQueryJSONDefExprMatchesNix runs -q --json (installed and
// available, with --out-path and --meta) and the operations that read
// ~/.nix-defexpr (-qa, -i NAME, -iA, -u without -f) with Nix 2.8 and
// with gonix, each in a private mount namespace with an empty /nix and a
// temporary HOME, and compares the transcripts.
func TestNixEnvQueryJSONDefExprMatchesNix(t *testing.T) {
	ns := newNixEnvNS(t, map[string]string{"pkgs.nix": userEnvPkgs, "more.nix": queryJSONMore})
	gonix := ns.gonix
	transcript := func(tool, home string) string {
		return strings.ReplaceAll(sortBuildingRuns(ns.run(tool, queryJSONSequence, home, "NIXENV="+tool)), home, "HOME")
	}
	want := transcript("nix-env", "home-nix")
	got := transcript(gonix+" nix-env --option sandbox false", "home-gonix")
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("transcripts differ (-nix +gonix):\n%s", d)
	}
	if !strings.Contains(got, `"outputName": "out"`) || !strings.Contains(got, "installing 'multi-1.5'") ||
		!strings.Contains(got, "name collision") || !strings.Contains(got, "multiple derivations named 'nometa'") {
		t.Errorf("sequence did not run as planned:\n%s", got)
	}
}

// queryJSONMore has a package with two outputs and meta of every kind
// nix-env can install, and, when a file wild is beside it, one whose
// meta also holds what JSON shows as null (a function) or not at all.
const queryJSONMore = `let
  mk = name: outputs: derivation {
    inherit name outputs;
    system = "x86_64-linux";
    builder = "/bin/sh";
    PATH = "/usr/bin:/bin";
    args = [ "-c" "mkdir -p $out/share/$name; test -z \"$dev\" || mkdir -p $dev/include" ];
  };
  multi = mk "multi-1.5" [ "out" "dev" ];
  meta = {
    description = "quote \" tab \t é";
    priority = 7; ratio = 0.25; broken = false;
    platforms = [ "x86_64-linux" "aarch64-linux" ];
    maintainers = [ { name = "a"; email = "b"; } ];
    license = { free = true; };
    empty = { }; none = [ ];
    outputsToInstall = [ "out" "dev" ];
  };
in {
  multi = multi // { inherit meta; };
  # nix-env installs none of this meta (2.8 writes a manifest it cannot
  # read back); -f more.nix -qa --json --meta shows it.
  wild = if builtins.pathExists ./wild then mk "wild-0.1" [ "out" ] // { meta = meta // { f = x: x; drv = multi; big = 1.0e7; }; } else null;
  nometa = mk "nometa" [ "out" ];
}
`

// queryJSONSequence is the script both tools run; $NIXENV is the
// nix-env to test.
const queryJSONSequence = `
set -u
mount -t tmpfs none /nix && mkdir -p /nix/store || exit 1
D=$HOME/.nix-defexpr
mkdir -p $D/sub/deeper $D/more
ln -s $T/pkgs.nix $D/pkgs.nix
ln -s $T/pkgs.nix $D/bare
ln -s $T/pkgs.nix $D/sub/pkgs.nix
ln -s $T/nosuch.nix $D/dangling.nix
cp $T/more.nix $D/more/default.nix
cp $T/more.nix $D/sub/deeper/extra.nix
echo '[ ]' > $D/manifest.nix
echo 'not nix' > $D/sub/readme.txt
P=/nix/var/nix/profiles/test
run() {
	echo "\$ nix-env $*"
	$NIXENV "$@" >$T/o 2>$T/e
	echo "rc=$?"
	echo "stdout:"; cat $T/o
	echo "stderr:"; cat $T/e
}
run -qa
run -qaP
run -qaP --system --drv-path
run -qa --json
run -qa --json --out-path --meta
run -qaP --json --drv-path
run -p $P -q --json
run -p $P -i nometa
run -p $P -iA more.multi pkgs.foo
run -p $P -q
run -p $P -q --json
run -p $P -q --json --out-path --meta
run -p $P -q --drv-path --out-path
run -p $P -u
run -p $P -q
touch $T/wild
run -f $T/more.nix -qa --json --meta
run -f $T/more.nix -qa --json
`
