package sandbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"gonix/internal/build"
	"gonix/internal/build/sandbox/child"
	"gonix/internal/testutil"
)

// TestMain makes the test binary the sandbox's child when re-executed as
// one, as cli.Main does for gonix.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == ChildArg {
		os.Exit(ChildMain(os.Args[2:]))
	}
	os.Exit(m.Run())
}

const (
	bbHash    = "0123456789abcdfghijklmnpqrsvwxyz"
	outHash   = "zyxwvsrqpnmlkjihgfdcba9876543210"
	otherHash = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	drvHash   = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
)

// fixture is a chroot-style store in a temporary directory holding a
// static busybox as the one input, and a build directory.
type fixture struct {
	dir       string // everything of this test is below it
	realStore string // <dir>/nix/store
	busybox   string // logical path of the busybox binary
	bbPath    string // logical store path of the busybox package
	out       string // logical output path
	buildDir  string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	const hostBusybox = "/bin/busybox"
	bin, err := os.ReadFile(hostBusybox)
	if err != nil {
		testutil.Missing(t, "a static busybox at /bin/busybox (Debian's busybox-static)", err)
	}
	if b, err := os.ReadFile("/proc/sys/user/max_user_namespaces"); err == nil && strings.TrimSpace(string(b)) == "0" {
		testutil.Missing(t, "user namespaces", errors.New("user.max_user_namespaces is 0"))
	}
	dir := t.TempDir()
	fx := &fixture{
		dir:       dir,
		realStore: filepath.Join(dir, "nix", "store"),
		bbPath:    "/nix/store/" + bbHash + "-busybox",
		out:       "/nix/store/" + outHash + "-test",
		buildDir:  filepath.Join(dir, "build"),
	}
	fx.busybox = fx.bbPath + "/bin/busybox"
	if err := os.MkdirAll(filepath.Join(fx.realStore, bbHash+"-busybox", "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(fx.real(fx.busybox), bin, 0o555); err != nil {
		t.Fatal(err)
	}
	// A second store path that is not an input.
	if err := os.WriteFile(filepath.Join(fx.realStore, otherHash+"-other"), []byte("other\n"), 0o444); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(fx.buildDir, 0o700); err != nil {
		t.Fatal(err)
	}
	return fx
}

// real is the host path of logical store path p.
func (fx *fixture) real(p string) string {
	return fx.realStore + strings.TrimPrefix(p, "/nix/store")
}

func (fx *fixture) env() []string {
	env := []string{
		"HOME=/homeless-shelter",
		"NIX_BUILD_CORES=1",
		"NIX_BUILD_TOP=/build",
		"NIX_LOG_FD=2",
		"NIX_STORE=/nix/store",
		"PATH=/path-not-set",
		"PWD=/build",
		"TEMP=/build",
		"TEMPDIR=/build",
		"TERM=xterm-256color",
		"TMP=/build",
		"TMPDIR=/build",
		"name=test",
		"out=" + fx.out,
		"weird=a b\nc=d",
	}
	sort.Strings(env)
	return env
}

// job is a sandboxed job running script with busybox sh.
func (fx *fixture) job(script string, log io.Writer) *build.Job {
	return &build.Job{
		DrvPath:         "/nix/store/" + drvHash + "-test.drv",
		Builder:         fx.busybox,
		Args:            []string{"sh", "-c", script},
		Env:             fx.env(),
		StoreDir:        "/nix/store",
		RealStoreDir:    fx.realStore,
		BuildDir:        fx.buildDir,
		SandboxBuildDir: "/build",
		Inputs:          []string{fx.bbPath},
		Outputs:         map[string]string{"out": fx.out},
		Log:             log,
	}
}

// run runs job in the sandbox and checks that nothing of it is left
// mounted on the host and that its chroot is gone.
func (fx *fixture) run(t *testing.T, r build.Runner, job *build.Job) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := r.Run(ctx, job)
	if w, ok := r.(interface{ Wait() error }); ok {
		if werr := w.Wait(); werr != nil {
			t.Errorf("Wait: %v", werr)
		}
	}
	fx.checkClean(t)
	return err
}

func (fx *fixture) checkClean(t *testing.T) {
	t.Helper()
	mi, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(mi, []byte(fx.dir)) {
		t.Errorf("the sandbox left mounts on the host:\n%s", mi)
	}
	chroots, _ := filepath.Glob(filepath.Join(fx.realStore, "*.chroot*"))
	if len(chroots) > 0 {
		t.Errorf("the sandbox root was not removed: %v", chroots)
	}
}

// buildLog runs script in the sandbox and returns its log, failing the
// test if the build fails.
func (fx *fixture) buildLog(t *testing.T, script string) string {
	t.Helper()
	var log bytes.Buffer
	if err := fx.run(t, &Runner{}, fx.job(script, &log)); err != nil {
		t.Fatalf("build failed: %v\nlog:\n%s", err, log.String())
	}
	return log.String()
}

func TestSandboxView(t *testing.T) {
	t.Parallel()
	fx := newFixture(t)
	tests := []struct {
		name, script, want string
	}{
		// Nix drops the supplementary groups (coreutils' id then prints
		// groups=100(nixbld); busybox's prints none).
		{"id", "id", "uid=1000(nixbld) gid=100(nixbld)\n"},
		{"ids", "grep -E '^(Uid|Gid|Groups)' /proc/1/status | tr -s '\\t ' ' '", "Uid: 1000 1000 1000 1000\nGid: 100 100 100 100\nGroups: \n"},
		{"hostname", "hostname", "localhost\n"},
		{"domainname", "cat /proc/sys/kernel/domainname", "(none)\n"},
		{"cwd", "pwd", "/build\n"},
		{"pid", "echo $$", "1\n"},
		// The environment of the builder exactly: PID 1's, not a child's.
		// (A second command keeps sh from exec'ing the last one as PID 1.)
		{"env", `cat /proc/1/environ; :`, strings.Join(fx.env(), "\x00") + "\x00"},
		{"argv", `cat /proc/1/cmdline; :`, "busybox\x00sh\x00-c\x00cat /proc/1/cmdline; :\x00"},
		{"passwd", "cat /etc/passwd", "root:x:0:0:Nix build user:/build:/noshell\n" +
			"nixbld:x:1000:100:Nix build user:/build:/noshell\n" +
			"nobody:x:65534:65534:Nobody:/:/noshell\n"},
		{"group", "cat /etc/group", "root:x:0:\nnixbld:!:100:\nnogroup:x:65534:\n"},
		{"hosts", "cat /etc/hosts", "127.0.0.1 localhost\n::1 localhost\n"},
		{"fds", "ls -1 /proc/1/fd; readlink /proc/1/fd/0", "0\n1\n2\n/dev/null\n"},
		{"core", "ulimit -c", "0\n"},
		{"personality", "cat /proc/1/personality", "00040000\n"},
		{"capabilities", "grep -E '^(CapInh|CapPrm|CapEff|CapAmb|NoNewPrivs)' /proc/1/status | tr -s '\\t' ' '",
			"CapInh: 0000000000000000\nCapPrm: 0000000000000000\nCapEff: 0000000000000000\nCapAmb: 0000000000000000\nNoNewPrivs: 1\n"},
		{"store", "ls -1a /nix/store", ".\n..\n" + bbHash + "-busybox\n"},
		{"root", "ls -1a /", ".\n..\nbuild\ndev\netc\nnix\nproc\ntmp\n"},
		{"dev", "ls -1a /dev", ".\n..\nfd\nfull\nnull\nptmx\npts\nrandom\nshm\nstderr\nstdin\nstdout\ntty\nurandom\nzero\n"},
		{"modes", "stat -c '%a %n' / /tmp /nix/store /build /dev/shm", "750 /\n1777 /tmp\n1775 /nix/store\n700 /build\n1777 /dev/shm\n"},
		{"ptmx", "readlink /dev/ptmx; stat -c %a /dev/pts/ptmx", "/dev/pts/ptmx\n666\n"},
		{"session", "cut -d' ' -f6 /proc/1/stat", "1\n"},
		{"loopback", "ifconfig lo | grep -o 'UP LOOPBACK RUNNING'; ls /sys/class/net 2>/dev/null; cat /proc/net/dev | cut -d: -f1 | tail -n +3 | tr -d ' '", "UP LOOPBACK RUNNING\nlo\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fx := newFixture(t)
			got := fx.buildLog(t, tt.script)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("%s: log mismatch (-want +got):\n%s", tt.script, diff)
			}
		})
	}
}

// TestRawLog: the log gets the builder's bytes, newlines untranslated, from
// stdout and stderr both.
func TestRawLog(t *testing.T) {
	t.Parallel()
	fx := newFixture(t)
	got := fx.buildLog(t, `printf 'a\nb\r\n'; printf 'err\n' >&2; printf 'c'`)
	if want := "a\nb\r\nerr\nc"; got != want {
		t.Errorf("log = %q, want %q", got, want)
	}
}

func TestOutput(t *testing.T) {
	t.Parallel()
	fx := newFixture(t)
	fx.buildLog(t, `mkdir $out && echo hello > $out/greeting && echo junk > /nix/store/`+otherHash+`-junk`)
	b, err := os.ReadFile(filepath.Join(fx.real(fx.out), "greeting"))
	if err != nil {
		t.Fatalf("the output is not at its real store path: %v", err)
	}
	if string(b) != "hello\n" {
		t.Errorf("output contents = %q", b)
	}
	// What the builder left in the sandbox store besides its outputs is
	// gone with the sandbox.
	entries, err := os.ReadDir(fx.realStore)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	want := []string{bbHash + "-busybox", otherHash + "-other", outHash + "-test"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("real store after the build (-want +got):\n%s", diff)
	}
}

// TestFailedOutputKept: a failed build's output is moved out too, for
// inspection (Nix leaves it as an invalid path).
func TestFailedOutputKept(t *testing.T) {
	t.Parallel()
	fx := newFixture(t)
	err := fx.run(t, &Runner{}, fx.job(`echo partial > $out; exit 1`, nil))
	var be *build.BuilderError
	if !errors.As(err, &be) || be.ExitCode != 1 {
		t.Fatalf("err = %v, want exit code 1", err)
	}
	if b, err := os.ReadFile(fx.real(fx.out)); err != nil || string(b) != "partial\n" {
		t.Errorf("failed output at its real path: %q, %v", b, err)
	}
}

func TestExitCode(t *testing.T) {
	t.Parallel()
	fx := newFixture(t)
	err := fx.run(t, &Runner{}, fx.job("exit 3", nil))
	want := &build.BuilderError{DrvPath: "/nix/store/" + drvHash + "-test.drv", ExitCode: 3}
	var be *build.BuilderError
	if !errors.As(err, &be) {
		t.Fatalf("err = %v, want a BuilderError", err)
	}
	if diff := cmp.Diff(want, be); diff != "" {
		t.Errorf("BuilderError (-want +got):\n%s", diff)
	}
	if got, want := err.Error(), "builder for '/nix/store/"+drvHash+"-test.drv' failed with exit code 3"; got != want {
		t.Errorf("message = %q, want %q", got, want)
	}
}

// TestSignal: a builder killed by a signal is reported as Nix does. In the
// sandbox the builder is PID 1 of its namespace, which no process inside
// can kill (as in Nix: "kill -9 $$" does nothing there); the unsandboxed
// runner shows the report, and TestClosedTerminalKilled the sandbox's.
func TestSignal(t *testing.T) {
	t.Parallel()
	fx := newFixture(t)
	if got := fx.buildLog(t, "kill -9 $$; echo survived"); got != "survived\n" {
		t.Errorf("sandboxed kill -9 $$: log %q", got)
	}

	store := fx.realStore
	job := &build.Job{
		DrvPath:      filepath.Join(store, drvHash+"-test.drv"),
		Builder:      fx.real(fx.busybox),
		Args:         []string{"sh", "-c", "kill -9 $$"},
		StoreDir:     store,
		RealStoreDir: store,
		BuildDir:     fx.buildDir,
	}
	err := fx.run(t, &Plain{}, job)
	want := &build.BuilderError{DrvPath: job.DrvPath, ExitCode: -1, Signal: 9, SigName: "Killed"}
	var be *build.BuilderError
	if !errors.As(err, &be) {
		t.Fatalf("err = %v, want a BuilderError", err)
	}
	if diff := cmp.Diff(want, be); diff != "" {
		t.Errorf("BuilderError (-want +got):\n%s", diff)
	}
	if got, want := err.Error(), "builder for '"+job.DrvPath+"' failed due to signal 9 (Killed)"; got != want {
		t.Errorf("message = %q, want %q", got, want)
	}
}

// TestClosedTerminalKilled: a builder that sends stdout and stderr away
// and keeps running is killed, as Nix does (the build ends at the
// terminal's EOF).
func TestClosedTerminalKilled(t *testing.T) {
	t.Parallel()
	fx := newFixture(t)
	start := time.Now()
	err := fx.run(t, &Runner{}, fx.job("exec >/dev/null 2>&1; sleep 60; exit 0", nil))
	want := &build.BuilderError{DrvPath: "/nix/store/" + drvHash + "-test.drv", ExitCode: -1, Signal: 9, SigName: "Killed"}
	var be *build.BuilderError
	if !errors.As(err, &be) {
		t.Fatalf("err = %v, want a BuilderError", err)
	}
	if diff := cmp.Diff(want, be); diff != "" {
		t.Errorf("BuilderError (-want +got):\n%s", diff)
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("the build took %v: the builder was not killed at EOF", d)
	}
}

// TestBackgroundKilled: processes the builder leaves behind die with it
// (it is PID 1 of its namespace), so the build ends.
func TestBackgroundKilled(t *testing.T) {
	t.Parallel()
	fx := newFixture(t)
	start := time.Now()
	if err := fx.run(t, &Runner{}, fx.job("sleep 60 & echo started", nil)); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("the build took %v", d)
	}
}

func TestCancel(t *testing.T) {
	t.Parallel()
	fx := newFixture(t)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	r := &Runner{}
	err := r.Run(ctx, fx.job("sleep 60", nil))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want the context's error", err)
	}
	r.Wait()
	fx.checkClean(t)
}

// TestNoEscape: host paths are absent, and nothing but the outputs, /build
// and the scratch directories can be written.
func TestNoEscape(t *testing.T) {
	t.Parallel()
	fx := newFixture(t)
	secret := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secret, []byte("secret\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	bb := fx.bbPath
	script := `
for p in /root /home /usr /bin ` + secret + ` ` + fx.realStore + ` /nix/store/` + otherHash + `-other /sys; do
  test -e $p && echo "visible: $p"
done
try() { if ( eval "$1" ) 2>/dev/null; then echo "allowed: $1"; else echo "denied: $1"; fi; }
try 'echo x > /etc/x'
try 'echo x > /etc/passwd'
try 'chmod 777 /etc'
try 'mkdir /x'
try 'echo x > ` + bb + `/x'
try 'chmod 777 ` + bb + `/bin/busybox'
try 'rm ` + bb + `/bin/busybox'
try 'touch ` + bb + `'
try 'chmod 666 /dev/null'
try 'echo x > /proc/sys/kernel/domainname'
try 'echo x > /proc/sysrq-trigger'
try 'mount -t tmpfs none /tmp'
try 'echo x > /dev/null'
try 'echo x > /build/x'
try 'echo x > /tmp/x'
try 'echo x > /dev/shm/x'
try 'echo x > $out'
`
	got := fx.buildLog(t, script)
	want := `denied: echo x > /etc/x
denied: echo x > /etc/passwd
denied: chmod 777 /etc
denied: mkdir /x
denied: echo x > ` + bb + `/x
denied: chmod 777 ` + bb + `/bin/busybox
denied: rm ` + bb + `/bin/busybox
denied: touch ` + bb + `
denied: chmod 666 /dev/null
denied: echo x > /proc/sys/kernel/domainname
denied: echo x > /proc/sysrq-trigger
denied: mount -t tmpfs none /tmp
allowed: echo x > /dev/null
allowed: echo x > /build/x
allowed: echo x > /tmp/x
allowed: echo x > /dev/shm/x
allowed: echo x > $out
`
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("log mismatch (-want +got):\n%s", diff)
	}
	// The input is untouched on the host, and /build was the build
	// directory.
	fi, err := os.Stat(fx.real(fx.busybox))
	if err != nil || fi.Mode().Perm() != 0o555 {
		t.Errorf("busybox on the host: %v, %v", fi, err)
	}
	if b, err := os.ReadFile(filepath.Join(fx.buildDir, "x")); err != nil || string(b) != "x\n" {
		t.Errorf("/build/x on the host: %q, %v", b, err)
	}
}

// TestNetwork: an ordinary build has a network of its own (loopback
// only); a fixed-output build shares the host's.
func TestNetwork(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "hello from the host\n")
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	// Not wget -T: busybox 1.35's wget crashes with it.
	script := "wget -q -O- http://" + ln.Addr().String() + "/ 2>/dev/null || echo unreachable"

	t.Run("sandboxed", func(t *testing.T) {
		t.Parallel()
		fx := newFixture(t)
		if got := fx.buildLog(t, script); got != "unreachable\n" {
			t.Errorf("a sandboxed build reached the host: %q", got)
		}
	})
	t.Run("fixed-output", func(t *testing.T) {
		t.Parallel()
		fx := newFixture(t)
		job := fx.job(script+"; test -e /etc/hosts || echo no hosts; cat /etc/nsswitch.conf", nil)
		job.FixedOutput = true
		var log bytes.Buffer
		job.Log = &log
		if err := fx.run(t, &Runner{}, job); err != nil {
			t.Fatalf("%v\n%s", err, log.String())
		}
		want := "hello from the host\n"
		if _, err := os.Stat("/etc/hosts"); err != nil {
			want += "no hosts\n"
		}
		want += "hosts: files dns\nservices: files\n"
		if got := log.String(); got != want {
			t.Errorf("log = %q, want %q", got, want)
		}
	})
}

func TestSandboxPaths(t *testing.T) {
	t.Parallel()
	fx := newFixture(t)
	job := fx.job("/bin/sh -c 'echo via /bin/sh'; test -e /opt/missing || echo no optional", nil)
	job.SandboxPaths = []build.SandboxPath{
		{Target: "/bin/sh", Source: fx.real(fx.busybox)},
		{Target: "/opt/missing", Source: filepath.Join(fx.dir, "missing"), Optional: true},
	}
	var log bytes.Buffer
	job.Log = &log
	if err := fx.run(t, &Runner{}, job); err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	if got, want := log.String(), "via /bin/sh\nno optional\n"; got != want {
		t.Errorf("log = %q, want %q", got, want)
	}

	job.SandboxPaths = []build.SandboxPath{{Target: "/opt/missing", Source: filepath.Join(fx.dir, "missing")}}
	err := fx.run(t, &Runner{}, job)
	if err == nil || !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "getting attributes of path") {
		t.Errorf("a missing sandbox path: err = %v", err)
	}
}

// TestSetupFailure: a failure before the builder runs is reported as what
// failed, not as a builder failure.
func TestSetupFailure(t *testing.T) {
	t.Parallel()
	fx := newFixture(t)
	job := fx.job("true", nil)
	job.Builder = "/nix/store/" + otherHash + "-nothing/bin/sh"
	err := fx.run(t, &Runner{}, job)
	var be *build.BuilderError
	if err == nil || errors.As(err, &be) || !errors.Is(err, syscall.ENOENT) ||
		!strings.Contains(err.Error(), "setting up the build sandbox: executing '"+job.Builder+"'") {
		t.Errorf("err = %v", err)
	}
}

// TestBuilderBusy: a builder that some process still holds open for
// writing when the build starts (ETXTBSY: a program forked while the file
// was being written keeps the descriptor until it execs) runs once the
// descriptor is closed; it was reported as a setup failure.
func TestBuilderBusy(t *testing.T) {
	t.Parallel()
	fx := newFixture(t)
	w, err := os.OpenFile(fx.real(fx.busybox), os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	closed := make(chan struct{})
	go func() {
		time.Sleep(50 * time.Millisecond)
		w.Close()
		close(closed)
	}()
	if got := fx.buildLog(t, "echo ran"); got != "ran\n" {
		t.Errorf("log %q", got)
	}
	<-closed
}

// TestStaleChroot: a sandbox root left by an earlier run is replaced.
func TestStaleChroot(t *testing.T) {
	t.Parallel()
	fx := newFixture(t)
	stale := filepath.Join(fx.realStore, drvHash+"-test.drv.chroot", "tmp", "junk")
	if err := os.MkdirAll(stale, 0o755); err != nil {
		t.Fatal(err)
	}
	// A directory the builder made unwritable does not stop the cleanup.
	if err := os.Chmod(filepath.Dir(stale), 0o500); err != nil {
		t.Fatal(err)
	}
	if got := fx.buildLog(t, "ls /tmp"); got != "" {
		t.Errorf("the stale sandbox's /tmp showed through: %q", got)
	}
}

func TestPlain(t *testing.T) {
	t.Parallel()
	fx := newFixture(t)
	if _, err := os.Lstat("/homeless-shelter"); err == nil {
		t.Skip("/homeless-shelter exists on this machine")
	}
	// An unsandboxed build needs the store where its paths say it is.
	store := fx.realStore
	busybox := fx.real(fx.busybox)
	out := filepath.Join(store, outHash+"-test")
	var log bytes.Buffer
	job := &build.Job{
		DrvPath:      filepath.Join(store, drvHash+"-test.drv"),
		Builder:      busybox,
		Args:         []string{"sh", "-c", `pwd; cat /proc/$$/environ; echo; echo $0; echo made > $out; ls -1 /proc/$$/fd; exit 4`},
		Env:          []string{"PATH=/path-not-set", "out=" + out},
		StoreDir:     store,
		RealStoreDir: store,
		BuildDir:     fx.buildDir,
		Inputs:       []string{filepath.Join(store, bbHash+"-busybox")},
		Outputs:      map[string]string{"out": out},
		Log:          &log,
	}
	err := fx.run(t, &Plain{}, job)
	var be *build.BuilderError
	if !errors.As(err, &be) || be.ExitCode != 4 {
		t.Fatalf("err = %v, want exit code 4\n%s", err, log.String())
	}
	want := fx.buildDir + "\nPATH=/path-not-set\x00out=" + out + "\x00\nsh\n0\n1\n2\n"
	if diff := cmp.Diff(want, log.String()); diff != "" {
		t.Errorf("log (-want +got):\n%s", diff)
	}
	if b, err := os.ReadFile(out); err != nil || string(b) != "made\n" {
		t.Errorf("output: %q, %v", b, err)
	}

	// Runner{Disable: true} is Plain.
	log.Reset()
	job.Args = []string{"sh", "-c", "echo plain"}
	if err := fx.run(t, &Runner{Disable: true}, job); err != nil || log.String() != "plain\n" {
		t.Errorf("Runner{Disable: true}: %v, log %q", err, log.String())
	}

	// A chroot store cannot be built in without the sandbox.
	err = fx.run(t, &Plain{}, fx.job("true", nil))
	if err == nil || !strings.Contains(err.Error(), "a chroot store (--store DIR) needs the sandbox") {
		t.Errorf("Plain with a chroot store: err = %v", err)
	}
}

// TestNotAChild: a program that does not act as the sandbox's child (a
// test binary without the TestMain hook) is an error, not a build result.
func TestNotAChild(t *testing.T) {
	t.Parallel()
	fx := newFixture(t)
	for _, r := range []build.Runner{&Runner{Exe: "/bin/true"}, &Runner{Exe: "/bin/true", Disable: true}} {
		job := fx.job("true", nil)
		if _, ok := r.(*Runner); ok && r.(*Runner).Disable {
			job.StoreDir = fx.realStore
			job.Outputs = nil
		}
		err := fx.run(t, r, job)
		if err == nil || !strings.Contains(err.Error(), "did not run as the build sandbox's child") {
			t.Errorf("%+v: err = %v", r, err)
		}
	}
}

func TestNoUserNamespacesMessage(t *testing.T) {
	err := noUserNamespaces(syscall.EPERM)
	if !errors.Is(err, syscall.EPERM) || !strings.Contains(err.Error(), "--option sandbox false") {
		t.Errorf("err = %v", err)
	}
	if !isNamespaceError(&startError{&os.SyscallError{Syscall: "clone", Err: syscall.EPERM}}) {
		t.Errorf("a clone EPERM is not taken for missing user namespaces")
	}
}

// TestInputKinds: a file input is bound read-only like a directory, a
// symlink input is copied as the symlink it is.
func TestInputKinds(t *testing.T) {
	t.Parallel()
	fx := newFixture(t)
	link := "/nix/store/" + drvHash + "-link"
	if err := os.Symlink(fx.busybox, fx.real(link)); err != nil {
		t.Fatal(err)
	}
	file := "/nix/store/" + otherHash + "-other"
	var log bytes.Buffer
	job := fx.job(`cat `+file+`; echo x 2>/dev/null >`+file+` || echo read-only; readlink `+link+`; ls -1 /nix/store`, &log)
	job.Inputs = append(job.Inputs, file, link)
	if err := fx.run(t, &Runner{}, job); err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	want := "other\nread-only\n" + fx.busybox + "\n" + bbHash + "-busybox\n" + otherHash + "-other\n" + drvHash + "-link\n"
	if diff := cmp.Diff(want, log.String()); diff != "" {
		t.Errorf("log (-want +got):\n%s", diff)
	}
}

// TestWarm: with Warm, each build's child is started ahead while the
// build before it runs; builds still do what they should, one after
// another, and Wait leaves no child behind. Not parallel: it counts this
// process's sandbox children.
func TestWarm(t *testing.T) {
	fx := newFixture(t)
	r := &Runner{Warm: true}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for i := range 3 {
		var log bytes.Buffer
		job := fx.job(fmt.Sprintf("echo build %d; echo %d > $out", i, i), &log)
		if err := r.Run(ctx, job); err != nil {
			t.Fatalf("build %d: %v\n%s", i, err, log.String())
		}
		b, err := os.ReadFile(fx.real(fx.out))
		if err != nil || string(b) != fmt.Sprintf("%d\n", i) || log.String() != fmt.Sprintf("build %d\n", i) {
			t.Errorf("build %d: output %q, %v; log %q", i, b, err, log.String())
		}
		if err := os.Remove(fx.real(fx.out)); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			// The next child is started in the background: give it time.
			deadline := time.Now().Add(10 * time.Second)
			for len(sandboxChildren(t)) == 0 && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			if len(sandboxChildren(t)) == 0 {
				t.Errorf("no child was started ahead after the first build")
			}
			// Started by the spawner, but gonix's own children.
			if n := len(spawners(t)); n != 1 {
				t.Errorf("%d spawners, want 1", n)
			}
		}
	}
	if err := r.Wait(); err != nil {
		t.Errorf("Wait: %v", err)
	}
	if kids := append(sandboxChildren(t), spawners(t)...); len(kids) > 0 {
		t.Errorf("sandbox children or spawners left after Wait: %v", kids)
	}
	fx.checkClean(t)
}

// sandboxChildren lists this process's children that are sandbox
// children (by their command line).
func sandboxChildren(t *testing.T) []string {
	t.Helper()
	return childrenWith(t, func(cmd []byte) bool {
		return bytes.Contains(cmd, []byte(ChildArg)) && !bytes.HasSuffix(cmd, []byte("\x00"+child.ArgSpawner+"\x00"))
	})
}

// spawners lists this process's children that are sandbox spawners.
func spawners(t *testing.T) []string {
	t.Helper()
	return childrenWith(t, func(cmd []byte) bool {
		return bytes.HasSuffix(cmd, []byte(ChildArg+"\x00"+child.ArgSpawner+"\x00"))
	})
}

func childrenWith(t *testing.T, match func(cmdline []byte) bool) []string {
	t.Helper()
	tasks, err := filepath.Glob("/proc/self/task/*/children")
	if err != nil {
		t.Fatal(err)
	}
	var kids []string
	for _, f := range tasks {
		b, _ := os.ReadFile(f)
		for _, pid := range strings.Fields(string(b)) {
			cmd, _ := os.ReadFile("/proc/" + pid + "/cmdline")
			if match(cmd) {
				kids = append(kids, pid)
			}
		}
	}
	return kids
}

// TestNoBuildUsers: without build users the builder is the caller mapped
// to uid 1000; the root (a tmpfs the child makes) is read-only to it.
func TestNoBuildUsers(t *testing.T) {
	t.Parallel()
	fx := newFixture(t)
	var log bytes.Buffer
	job := fx.job(`id; ls -1a / /etc; stat -c '%a %n' / /tmp /nix/store; mkdir /x 2>/dev/null || echo denied; echo x > /tmp/x && echo tmp; echo x > $out`, &log)
	if err := fx.run(t, &Runner{NoBuildUsers: true}, job); err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	want := "uid=1000(nixbld) gid=100(nixbld)\n/:\n.\n..\nbuild\ndev\netc\nnix\nproc\ntmp\n\n/etc:\n.\n..\ngroup\nhosts\npasswd\n" +
		"750 /\n1777 /tmp\n1775 /nix/store\ndenied\ntmp\n"
	if diff := cmp.Diff(want, log.String()); diff != "" {
		t.Errorf("log (-want +got):\n%s", diff)
	}
}

// TestHelper: gonix-sandbox (the helper program) runs builds as the
// re-executed test binary does; a helper that reads another spec version
// is refused with a message that says what to do; defaultExe finds the
// helper beside the running program only.
func TestHelper(t *testing.T) {
	t.Parallel()
	fx := newFixture(t)
	helper := filepath.Join(t.TempDir(), HelperName)
	out, err := exec.Command("go", "build", "-o", helper, "gonix/cmd/gonix-sandbox").CombinedOutput()
	if err != nil {
		testutil.Missing(t, "the go command to build gonix-sandbox", fmt.Errorf("%v\n%s", err, out))
	}
	var log bytes.Buffer
	job := fx.job("echo x > $out; ls -1 /", &log)
	if err := fx.run(t, &Runner{Exe: helper}, job); err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	if got, want := log.String(), "build\ndev\netc\nnix\nproc\ntmp\n"; got != want {
		t.Errorf("log %q, want %q", got, want)
	}
	if err := os.Remove(fx.real(fx.out)); err != nil {
		t.Fatal(err)
	}

	c, err := startChild(helper, childAttr(false, nil), childArgs(false), nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.run(context.Background(), &child.Spec{Version: child.Version + 1, Builder: "/nothing"}, io.Discard, func(pid int) { syscall.Kill(pid, syscall.SIGKILL) })
	if err == nil || !strings.Contains(err.Error(), "install gonix and gonix-sandbox from the same version") {
		t.Errorf("a spec of another version: err = %v", err)
	}

	if got := defaultExe(); got != selfExe {
		t.Errorf("defaultExe() = %q without a helper beside the test binary", got)
	}
}

// TestReuse: with Warm, a used root is kept and reused by the next build;
// what the first builder left in the store and /tmp (even a file named
// like the next build's input) is gone, and the inputs are the real ones.
func TestReuse(t *testing.T) {
	if os.Geteuid() != 0 {
		testutil.Missing(t, "root (build users)", errors.New("not root"))
	}
	fx := newFixture(t)
	r := &Runner{Warm: true}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	other := "/nix/store/" + otherHash + "-other"
	var log bytes.Buffer
	job := fx.job(`echo junk > /tmp/junk; mkdir /nix/store/junk-dir; echo planted > `+other+`; echo 1 > $out`, &log)
	if err := r.Run(ctx, job); err != nil {
		t.Fatalf("build 1: %v\n%s", err, log.String())
	}
	if spares, _ := filepath.Glob(filepath.Join(fx.realStore, "*.spare-*")); len(spares) != 1 {
		t.Errorf("after build 1: spare roots %v, want one", spares)
	}
	if err := os.Remove(fx.real(fx.out)); err != nil {
		t.Fatal(err)
	}
	log.Reset()
	job = fx.job(`ls -1a /tmp; ls -1 /nix/store; cat `+other+`; echo 2 > $out`, &log)
	job.Inputs = append(job.Inputs, other)
	if err := r.Run(ctx, job); err != nil {
		t.Fatalf("build 2: %v\n%s", err, log.String())
	}
	want := ".\n..\n" + bbHash + "-busybox\n" + otherHash + "-other\nother\n"
	if diff := cmp.Diff(want, log.String()); diff != "" {
		t.Errorf("build 2 saw (-want +got):\n%s", diff)
	}
	if b, err := os.ReadFile(fx.real(other)); err != nil || string(b) != "other\n" {
		t.Errorf("the input on the host: %q, %v", b, err)
	}
	if err := r.Wait(); err != nil {
		t.Errorf("Wait: %v", err)
	}
	fx.checkClean(t)
}
