package cli

import (
	"bytes"
	"context"
	"crypto/sha1"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"gonix/internal/format/nixbase32"
	"gonix/internal/testutil"
)

// runNixEnv runs gonix's nix-env in dir with HOME=home.
func runNixEnv(t *testing.T, dir, home string, argv ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	e := &Env{
		Context: context.Background(),
		Stdout:  &stdout,
		Stderr:  &stderr,
		LookupEnv: func(name string) (string, bool) {
			if name == "HOME" {
				return home, true
			}
			return "", false
		},
		Dir: dir,
	}
	status := mainNixEnv(e, "nix-env", argv)
	return result{stdout.String(), stderr.String(), status}
}

// TestNixEnvGenerations drives the generation operations on a profile
// outside any store (--list-generations, --rollback, -G and
// --delete-generations need none).
func TestNixEnvGenerations(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "prof")
	for i, target := range []string{"/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-a", "/nix/store/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-b", "/nix/store/cccccccccccccccccccccccccccccccc-c"} {
		if err := os.Symlink(target, p+"-"+string(rune('1'+i))+"-link"); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("prof-3-link", p); err != nil {
		t.Fatal(err)
	}
	date := regexp.MustCompile(`\d{4}-\d\d-\d\d \d\d:\d\d:\d\d`)
	for _, c := range []struct {
		argv           []string
		stdout, stderr string
		status         int
	}{
		{[]string{"-p", "prof", "--list-generations"},
			"   1   DATE   \n   2   DATE   \n   3   DATE   (current)\n", "", 0},
		{[]string{"-p", "prof", "--rollback"}, "", "switching profile from version 3 to 2\n", 0},
		{[]string{"--profile", p, "-G", "1"}, "", "switching profile from version 2 to 1\n", 0},
		{[]string{"-p", "prof", "--rollback"}, "", "error: no profile version older than the current (1) exists\n", 1},
		{[]string{"-p", "prof", "--switch-generation", "7"}, "", "error: profile version 7 does not exist\n", 1},
		{[]string{"-p", "prof", "--switch-generation", "x"}, "", "error: expected a generation number\nTry 'nix-env --help' for more information.\n", 1},
		{[]string{"-p", "prof", "--rollback", "x"}, "", "error: no arguments expected\nTry 'nix-env --help' for more information.\n", 1},
		{[]string{"-p", "prof", "--delete-generations", "1"}, "", "error: cannot delete current version of profile " + p + "'\n", 1},
		{[]string{"-p", "prof", "--delete-generations", "3x"}, "", "error: invalid generation number '3x'\nTry 'nix-env --help' for more information.\n", 1},
		{[]string{"-p", "prof", "--delete-generations", "+0"}, "", "error: invalid number of generations to keep '+0'\n", 1},
		{[]string{"-p", "prof", "--delete-generations", "0d"}, "", "error: invalid number of days specifier '0d'\nTry 'nix-env --help' for more information.\n", 1},
		{[]string{"-p", "prof", "--delete-generations", "--dry-run", "old"}, "",
			"(dry run; not doing anything)\nwould remove profile version 2\nwould remove profile version 3\n", 0},
		{[]string{"-p", "prof", "-G", "3"}, "", "switching profile from version 1 to 3\n", 0},
		{[]string{"-p", "prof", "--delete-generations", "+2"}, "", "removing profile version 1\n", 0},
		{[]string{"-p", "prof", "--delete-generations", "old"}, "", "removing profile version 2\n", 0},
		{[]string{"-p", "prof", "--list-generations"}, "   3   DATE   (current)\n", "", 0},
		{[]string{"-p", "prof", "--list-generations", "--foo"}, "", "error: unknown flag '--foo'\nTry 'nix-env --help' for more information.\n", 1},
		{[]string{"-p", "prof"}, "", "error: no operation specified\nTry 'nix-env --help' for more information.\n", 1},
		{[]string{"-p", "prof", "--rollback", "--list-generations"}, "", "error: only one operation may be specified\nTry 'nix-env --help' for more information.\n", 1},
		// a store of its own: without --store, nix-env opens the machine's /nix
		{[]string{"--store", filepath.Join(dir, "store"), "--set-flag", "priority", "1", "x"}, "", "error: selector 'x' matches no derivations\n", 1},
		{[]string{"--version"}, "nix-env (Nix) 2.8.0\n", "", 0},
	} {
		r := runNixEnv(t, dir, filepath.Join(dir, "home"), c.argv...)
		got := result{date.ReplaceAllString(r.stdout, "DATE"), r.stderr, r.status}
		if d := cmp.Diff(result{c.stdout, c.stderr, c.status}, got, cmp.AllowUnexported(result{})); d != "" {
			t.Errorf("nix-env %s (-want +got):\n%s", strings.Join(c.argv, " "), d)
		}
	}
	if target, err := os.Readlink(p); err != nil || target != "prof-3-link" {
		t.Errorf("profile link: %q, %v", target, err)
	}
}

// TestNixEnvSetChroot sets generations in a chroot store: links name
// logical store paths, the GC roots land in the chroot's gcroots/auto.
func TestNixEnvSetChroot(t *testing.T) {
	dir := t.TempDir()
	storeDir := filepath.Join(dir, "store")
	f := filepath.Join(dir, "f.txt")
	if err := os.WriteFile(f, []byte("hello\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	e := &Env{Context: context.Background(), Stdout: &out, Stderr: &errb, LookupEnv: func(string) (string, bool) { return "", false }, Dir: dir}
	if st := mainNixStore(e, "nix-store", []string{"--store", storeDir, "--add", f}); st != 0 {
		t.Fatalf("nix-store --add: %s", errb.String())
	}
	sp := strings.TrimSpace(out.String())
	home := filepath.Join(dir, "home")
	r := runNixEnv(t, dir, home, "--store", storeDir, "-p", "prof", "--set", sp)
	if r.status != 0 || r.stdout != "" || r.stderr != "" {
		t.Fatalf("--set: %+v", r)
	}
	if target, _ := os.Readlink(filepath.Join(dir, "prof-1-link")); target != sp {
		t.Errorf("prof-1-link -> %q, want %q", target, sp)
	}
	sum := sha1.Sum([]byte(filepath.Join(dir, "prof-1-link")))
	root := filepath.Join(storeDir, "nix/var/nix/gcroots/auto", nixbase32.EncodeToString(sum[:]))
	if target, err := os.Readlink(root); err != nil || target != filepath.Join(dir, "prof-1-link") {
		t.Errorf("indirect root: %q, %v", target, err)
	}
	// The same path again makes no new generation.
	if r := runNixEnv(t, dir, home, "--store", storeDir, "-p", "prof", "--set", filepath.Join(dir, "prof")); r.status != 0 {
		t.Fatalf("--set through the profile link: %+v", r)
	}
	if _, err := os.Lstat(filepath.Join(dir, "prof-2-link")); !os.IsNotExist(err) {
		t.Errorf("a second generation was made: %v", err)
	}
	bad := "/nix/store/00000000000000000000000000000000-x"
	r = runNixEnv(t, dir, home, "--store", storeDir, "-p", "prof", "--set", bad)
	want := "don't know how to build these paths:\n  " + bad + "\nerror: build of '" + bad + "' failed\n"
	if r.status != 1 || r.stderr != want {
		t.Errorf("--set of an invalid path: %+v", r)
	}
	r = runNixEnv(t, dir, home, "--store", storeDir, "-p", "prof", "--set", f)
	if r.status != 1 || r.stderr != "error: path '"+f+"' is not in the Nix store\n" {
		t.Errorf("--set of a path outside the store: %+v", r)
	}
	// The default profile of a chroot store lives in its state directory.
	r = runNixEnv(t, dir, home, "--store", storeDir, "--set", sp)
	if r.status != 0 {
		t.Fatalf("--set on the default profile: %+v", r)
	}
	name := "profiles/per-user/" + userName(e) + "/profile"
	if os.Getuid() == 0 {
		name = "profiles/default"
	}
	if target, err := os.Readlink(filepath.Join(storeDir, "nix/var/nix", name)); err != nil || !strings.HasSuffix(target, "-1-link") {
		t.Errorf("default profile: %q, %v", target, err)
	}
}

// TestNixEnvMatchesNix runs one sequence of nix-env commands with Nix 2.8
// and with gonix, each in a private mount namespace with an empty /nix
// (ORACLE.md), and compares the transcripts: output, exit codes, the
// profile directory's links and the indirect GC roots.
func TestNixEnvMatchesNix(t *testing.T) {
	nixEnv := testutil.NixTool(t, "nix-env")
	nixStore := testutil.NixTool(t, "nix-store")
	if os.Geteuid() != 0 {
		testutil.Missing(t, "root (for a private mount namespace)", os.ErrPermission)
	}
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		testutil.Missing(t, "unshare", err)
	}
	gonix, err := exec.LookPath("gonix") // the test binary, put on PATH by testscript.Main
	if err != nil {
		t.Fatalf("gonix not on PATH: %v", err)
	}
	tmp := t.TempDir()
	if err := os.WriteFile(filepath.Join(tmp, "nix.conf"), []byte("sandbox = false\nsubstituters =\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"a", "b"} {
		if err := os.WriteFile(filepath.Join(tmp, n), []byte(n+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Nix prints argv[0] as typed in its "Try '… --help'" hint: run it
	// by name, its directory first on PATH (testscript.Main put gonix
	// copies named nix-env there before it).
	path := filepath.Dir(nixEnv) + string(filepath.ListSeparator) + os.Getenv("PATH")
	transcript := func(tool string) string {
		home := filepath.Join(tmp, "home-"+filepath.Base(strings.Fields(tool)[0]))
		cmd := exec.Command(unshare, "-m", "--propagation", "private", "sh", "-c", nixEnvSequence)
		cmd.Env = append(os.Environ(), "NIX_CONF_DIR="+tmp, "HOME="+home, "T="+tmp, "PATH="+path,
			"NIXENV="+tool, "NIXSTORE="+nixStore, "TZ=UTC", "NIX_PROFILE=")
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			t.Fatalf("%s: %v\n%s", tool, err, out.String())
		}
		return regexp.MustCompile(`\d{4}-\d\d-\d\d \d\d:\d\d:\d\d`).ReplaceAllString(out.String(), "DATE")
	}
	want := transcript("nix-env")
	got := transcript(gonix + " nix-env")
	if os.Getenv("GONIX_SHOW_TRANSCRIPT") != "" {
		t.Log(got)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("transcripts differ (-nix +gonix):\n%s", d)
	}

	// The vector: listing format and the names of the indirect roots.
	v, err := os.ReadFile(filepath.Join(testutil.SpecVectors(t), "profiles", "profile-listing.txt"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(v), "\n") {
		if m := regexp.MustCompile(`^([0-9a-z]{32}) -> (/nix/var/nix/profiles/\S+)$`).FindStringSubmatch(line); m != nil {
			sum := sha1.Sum([]byte(m[2]))
			if nixbase32.EncodeToString(sum[:]) != m[1] {
				t.Errorf("root name of %s: %s, vector %s", m[2], nixbase32.EncodeToString(sum[:]), m[1])
			}
			if !strings.Contains(got, m[1]+" -> "+m[2]) && strings.HasSuffix(m[2], "testprof-1-link") {
				t.Errorf("gonix made no root %s -> %s:\n%s", m[1], m[2], got)
			}
		}
	}
	if !strings.Contains(got, "   1   DATE   \n") || !strings.Contains(got, "(current)\n") {
		t.Errorf("listing format differs from the vector:\n%s", got)
	}
}

// nixEnvSequence is the shell script both tools run; $NIXENV is the
// nix-env to test.
const nixEnvSequence = `
set -u
mount -t tmpfs none /nix && mkdir -p /nix/store || exit 1
A=$($NIXSTORE --add $T/a) && B=$($NIXSTORE --add $T/b) || exit 1
P=/nix/var/nix/profiles/per-user/root/testprof
run() {
	echo "\$ nix-env $*"
	$NIXENV "$@" >$T/o 2>$T/e
	echo "rc=$?"
	echo "stdout:"; cat $T/o
	echo "stderr:"; cat $T/e
}
tree() {
	echo "# tree"
	for l in $(ls -A $(dirname $P) | grep testprof | sort); do echo "$l -> $(readlink $(dirname $P)/$l)"; done
	for l in $(ls -A /nix/var/nix/gcroots/auto | sort); do echo "$l -> $(readlink /nix/var/nix/gcroots/auto/$l)"; done
}
run -p $P --set $A
run -p $P --set $B
run -p $P --set $A
run -p $P --set $A
tree
run -p $P --list-generations
run -p $P --rollback
run -p $P --rollback
run -p $P --rollback
run -p $P --list-generations
run -p $P --switch-generation 3
run -p $P -G 9
run -p $P -G x
run -p $P --dry-run -G 1
run -p $P --delete-generations 3
run -p $P --delete-generations 3x
run -p $P --delete-generations +0
run -p $P --delete-generations +
run -p $P --delete-generations 0d
run -p $P --delete-generations 1d3
run -p $P --dry-run --delete-generations old
run -p $P --delete-generations 1 2 7 --dry-run
touch -h -d '20 days ago' $P-1-link
touch -h -d '15 days ago' $P-2-link
run -p $P --delete-generations 14d
tree
run -p $P --set $B
run -p $P --set $A
run -p $P --set $B
run -p $P -G 5
run -p $P --delete-generations +2
tree
run -p $P --list-generations
run -p $P --delete-generations old
run -p $P --delete-generations 5 6
run -p $P --list-generations
tree
run -p $P --list-generations --foo
run -p $P --rollback extra
run -p $P
run -p $P --rollback --list-generations
run -p $P --set $T/a
run -p $P --set /nix/store/00000000000000000000000000000000-x
run -p $P --set $A $B
run -p $P --set
run -p /nix/var/nix/profiles/none --rollback
run -p /nope/x/p --list-generations
run -p /nope/x/p --dry-run -G 1
run -p /nix/var/nix/profiles/nodir/p --set $A
mkdir -p $T/d && touch $T/d/p
run -p $T/d/p --list-generations
run -p $T/d/p --delete-generations 3
run -p /nix/var/nix/profiles/none --list-generations
run -p /nix/var/nix/profiles/none --delete-generations old
echo "# defexpr"; ls -A $HOME/.nix-defexpr; readlink $HOME/.nix-defexpr/channels
`
