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

	"gonix/internal/format/hash"
	"gonix/internal/format/nar"
	"gonix/internal/store/local"

	"zombiezen.com/go/sqlite"
	"zombiezen.com/go/sqlite/sqlitex"
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
	dbPath := filepath.Join(root, "nix/var/nix/db/db.sqlite")
	if _, err := os.Stat(dbPath); err != nil {
		return 0, nil // killed before the store existed
	}
	if err := integrityCheck(dbPath); err != nil {
		return 0, err
	}
	ctx := context.Background()
	s, err := local.Open(ctx, local.Options{Root: root})
	if err != nil {
		return 0, fmt.Errorf("open the store: %w", err)
	}
	defer s.Close()
	all, err := s.QueryAllValidPaths(ctx)
	if err != nil {
		return 0, err
	}
	outputs := 0
	for _, p := range all {
		info, err := s.QueryPathInfo(ctx, p)
		if err != nil {
			return 0, fmt.Errorf("query %s: %w", p, err)
		}
		sum, size, err := nar.HashPath(s.RealPath(p), nil)
		if err != nil {
			return 0, fmt.Errorf("valid path %s: hash its files: %w", p, err)
		}
		if got := (hash.Hash{Algo: hash.SHA256, Digest: sum}); !got.Equal(info.NarHash) || uint64(size) != info.NarSize {
			return 0, fmt.Errorf("valid path %s is not what was registered: files give %s (%d bytes), database says %s (%d bytes)",
				p, got, size, info.NarHash, info.NarSize)
		}
		if strings.HasSuffix(p, ".drv") {
			continue
		}
		_, name, _ := strings.Cut(filepath.Base(p), "-")
		i, err := strconv.Atoi(strings.TrimPrefix(name, "crash-"))
		if !strings.HasPrefix(name, "crash-") || err != nil || i < 0 || i >= n {
			return 0, fmt.Errorf("valid path %s is no output of the test", p)
		}
		b, err := os.ReadFile(s.RealPath(p))
		if want := fmt.Sprintf("half\n%d\n", i); err != nil || string(b) != want {
			return 0, fmt.Errorf("valid output %s holds %q (%v), want %q", p, b, err, want)
		}
		outputs++
	}
	return outputs, nil
}

// integrityCheck opens the database read-only, apart from the store's own
// recovery code, and runs SQLite's integrity and foreign key checks.
func integrityCheck(dbPath string) error {
	c, err := sqlite.OpenConn(dbPath, sqlite.OpenReadOnly)
	if err != nil {
		return fmt.Errorf("open %s read-only: %w", dbPath, err)
	}
	defer c.Close()
	var rows []string
	err = sqlitex.ExecuteTransient(c, "pragma integrity_check", &sqlitex.ExecOptions{
		ResultFunc: func(st *sqlite.Stmt) error { rows = append(rows, st.ColumnText(0)); return nil },
	})
	if err != nil {
		return fmt.Errorf("integrity_check %s: %w", dbPath, err)
	}
	if len(rows) != 1 || rows[0] != "ok" {
		return fmt.Errorf("integrity_check %s: %q", dbPath, rows)
	}
	fk := 0
	err = sqlitex.ExecuteTransient(c, "pragma foreign_key_check", &sqlitex.ExecOptions{
		ResultFunc: func(st *sqlite.Stmt) error { fk++; return nil },
	})
	if err != nil {
		return fmt.Errorf("foreign_key_check %s: %w", dbPath, err)
	}
	if fk != 0 {
		return fmt.Errorf("foreign_key_check %s: %d violations", dbPath, fk)
	}
	return nil
}
