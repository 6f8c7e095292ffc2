package build

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"gonix/internal/store"
	"gonix/internal/testutil/storecheck"
)

// crashNix is n independent derivations whose builders write half their
// output, sleep a little and finish it: a kill in the middle leaves
// half-written outputs behind. Their environment holds crashSalt=salt, by
// which a builder process is recognised.
func crashNix(n int, salt string) string {
	return fmt.Sprintf(`builtins.genList (i: derivation {
  name = "crash-${toString i}";
  system = builtins.currentSystem;
  builder = "/bin/sh";
  args = [ "-c" "echo half > $out; /bin/sleep 0.${toString (2 + i - i / 5 * 5)}; echo ${toString i} >> $out" ];
  crashSalt = %q;
}) %d
`, salt, n)
}

// TestKillMidBuild: kill -9 of gonix nix-build in the middle of 50
// parallel builds (-j 8), then the same command again: it completes in
// reasonable time (no stale lock blocks it), and at every point every
// valid path's files are what its registration says, every valid output
// is complete, and no builder outlives the killed gonix.
func TestKillMidBuild(t *testing.T) {
	requireSandbox(t)
	const n = 50
	delays := []time.Duration{700 * time.Millisecond, 1400 * time.Millisecond, 2100 * time.Millisecond}
	if testing.Short() {
		delays = delays[1:2]
	}
	killed := 0
	for _, delay := range delays {
		t.Run(delay.String(), func(t *testing.T) {
			dir := tempDir(t)
			salt := filepath.Base(dir) + strconv.Itoa(os.Getpid())
			writeFile(t, dir, "crash.nix", crashNix(n, salt))
			root := filepath.Join(dir, "store")
			args := []string{"-j", "8", "--no-out-link", "crash.nix"}

			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			cmd := gonixCmd(ctx, t, dir, root, args...)
			var out strings.Builder
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case err := <-done:
				t.Logf("gonix ended before the kill after %v (%v); nothing to recover from:\n%s", delay, err, out.String())
			case <-time.After(delay):
				cmd.Process.Signal(syscall.SIGKILL)
				err := <-done
				var ee *exec.ExitError
				if errors.As(err, &ee) && ee.Sys().(syscall.WaitStatus).Signaled() {
					killed++
				}
			}
			if stray := waitNoBuilders("crashSalt="+salt, 3*time.Second); len(stray) > 0 {
				t.Errorf("processes still running in the killed gonix's sandboxes 3s after the kill: %s", strings.Join(stray, "; "))
			}
			after, err := checkBuildStore(root, n)
			if err != nil {
				t.Fatalf("after the kill: %v", err)
			}
			t.Logf("kill after %v: %d of %d outputs valid", delay, after, n)

			r := gonixBuild(t, dir, root, args...)
			if r.code != 0 {
				t.Fatalf("the second run fails:\n%s", r)
			}
			if r.took > time.Minute {
				t.Errorf("the second run took %v", r.took)
			}
			if got := len(lines(r.stdout)); got != n {
				t.Errorf("the second run printed %d paths, want %d:\n%s", got, n, r)
			}
			final, err := checkBuildStore(root, n)
			if err != nil {
				t.Fatalf("after the second run: %v", err)
			}
			if final != n {
				t.Errorf("%d of %d outputs valid after the second run", final, n)
			}
			t.Logf("second run: %v", r.took.Round(time.Millisecond))
		})
	}
	if killed == 0 && !t.Failed() {
		t.Errorf("every run ended before its kill: the test checked no recovery")
	}
}

// waitNoBuilders waits until no process has the variable env (NAME=VALUE)
// in its environment, and returns those still there when the time is up.
func waitNoBuilders(env string, limit time.Duration) []string {
	deadline := time.Now().Add(limit)
	for {
		var stray []string
		ents, _ := os.ReadDir("/proc")
		for _, e := range ents {
			pid, err := strconv.Atoi(e.Name())
			if err != nil {
				continue
			}
			environ, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
			if err != nil {
				continue
			}
			for _, kv := range strings.Split(string(environ), "\x00") {
				if kv == env {
					cmdline, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
					stray = append(stray, fmt.Sprintf("pid %d (%s)", pid, strings.ReplaceAll(strings.TrimSpace(string(cmdline)), "\x00", " ")))
					break
				}
			}
		}
		if len(stray) == 0 || time.Now().After(deadline) {
			return stray
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// checkBuildStore checks the chroot store root of crashNix(n): the
// database is intact, every valid path's files hash to its registered NAR
// hash and size, and every valid output is complete. It returns how many
// outputs are valid.
func checkBuildStore(root string, n int) (int, error) {
	if _, err := os.Stat(storecheck.DBPath(root)); err != nil {
		return 0, nil // killed before the store existed
	}
	outputs := 0
	_, err := storecheck.ValidPaths(context.Background(), root, func(p string, _ *store.PathInfo, real string) error {
		if strings.HasSuffix(p, ".drv") {
			return nil
		}
		_, name, _ := strings.Cut(filepath.Base(p), "-")
		i, err := strconv.Atoi(strings.TrimPrefix(name, "crash-"))
		if !strings.HasPrefix(name, "crash-") || err != nil || i < 0 || i >= n {
			return fmt.Errorf("valid path %s is no output of the test", p)
		}
		b, err := os.ReadFile(real)
		if want := fmt.Sprintf("half\n%d\n", i); err != nil || string(b) != want {
			return fmt.Errorf("valid output %s holds %q (%v), want %q", p, b, err, want)
		}
		outputs++
		return nil
	})
	if err != nil {
		return 0, err
	}
	return outputs, nil
}

// TestKillLongBuilder: a builder that would run for a minute dies with a
// killed gonix (it runs as a build user, and changing to that user clears
// the parent-death signal the sandbox must set again).
func TestKillLongBuilder(t *testing.T) {
	requireSandbox(t)
	dir := tempDir(t)
	salt := "long" + filepath.Base(dir) + strconv.Itoa(os.Getpid())
	writeFile(t, dir, "long.nix", fmt.Sprintf(`derivation {
  name = "long";
  system = builtins.currentSystem;
  builder = "/bin/sh";
  args = [ "-c" "/bin/sleep 60; echo done > $out" ];
  crashSalt = %q;
}
`, salt))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := gonixCmd(ctx, t, dir, filepath.Join(dir, "store"), "--no-out-link", "long.nix")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	// Wait until the builder runs, then kill gonix.
	deadline := time.Now().Add(30 * time.Second)
	for len(waitNoBuilders("crashSalt="+salt, 0)) == 0 {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			<-done
			t.Fatal("the builder did not start within 30s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	<-done
	if stray := waitNoBuilders("crashSalt="+salt, 3*time.Second); len(stray) > 0 {
		t.Errorf("the builder outlived the killed gonix by 3s: %s", strings.Join(stray, "; "))
	}
}
