package sandbox

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// buildUser is a host uid/gid a sandboxed builder runs as when gonix runs
// as root (Nix's build users): an unprivileged identity, so that inside
// the sandbox the store's files (owned by root) are not the builder's and
// file inputs can be hard-linked into the sandbox like Nix does.
type buildUser struct {
	uid, gid int
	lock     *os.File
}

// fallbackUsers is the uid range used when the system has no nixbld group.
const (
	fallbackFirstUID = 30001
	fallbackCount    = 32
	fallbackGID      = 30000
)

// nixbldUsers lists the members of the build-users group (nixbld) as
// uid/gid pairs, as /etc/group and /etc/passwd give them.
func nixbldUsers() ([][2]int, error) {
	gid, members := -1, map[string]bool{}
	if err := scanColon("/etc/group", func(f []string) {
		if len(f) >= 4 && f[0] == "nixbld" {
			gid, _ = strconv.Atoi(f[2])
			for _, m := range strings.Split(f[3], ",") {
				if m != "" {
					members[m] = true
				}
			}
		}
	}); err != nil || gid < 0 || len(members) == 0 {
		return nil, err
	}
	var out [][2]int
	err := scanColon("/etc/passwd", func(f []string) {
		if len(f) >= 3 && members[f[0]] {
			if uid, err := strconv.Atoi(f[2]); err == nil && uid > 0 {
				out = append(out, [2]int{uid, gid})
			}
		}
	})
	return out, err
}

func scanColon(path string, f func([]string)) error {
	fh, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer fh.Close()
	sc := bufio.NewScanner(fh)
	for sc.Scan() {
		f(strings.Split(sc.Text(), ":"))
	}
	return sc.Err()
}

// chrootPool is where builds of chroot stores lock their build users: one
// place for the whole machine (a chroot store's own state directory would
// let two stores hand out one uid at once), outside /nix.
const chrootPool = "/run/gonix/userpool"

// allocBuildUser takes a free build user. For the store at its logical
// place that is a nixbld member locked through <stateDir>/userpool/<uid>,
// the files Nix locks, so gonix and Nix never share one. Chroot stores use
// uids of their own (30001+), locked in chrootPool, so they cannot meet a
// build of Nix's either.
func allocBuildUser(ctx context.Context, stateDir string, chroot bool) (*buildUser, error) {
	var users [][2]int
	pool := filepath.Join(stateDir, "userpool")
	if chroot {
		pool = chrootPool
	} else {
		var err error
		if users, err = nixbldUsers(); err != nil {
			return nil, fmt.Errorf("reading the build users: %w", err)
		}
	}
	if len(users) == 0 {
		for i := 0; i < fallbackCount; i++ {
			users = append(users, [2]int{fallbackFirstUID + i, fallbackGID})
		}
	}
	if err := os.MkdirAll(pool, 0o755); err != nil {
		return nil, fmt.Errorf("creating '%s': %w", pool, err)
	}
	for delay := time.Millisecond; ; {
		for _, u := range users {
			f, err := os.OpenFile(filepath.Join(pool, strconv.Itoa(u[0])), os.O_RDWR|os.O_CREATE|unix.O_CLOEXEC, 0o600)
			if err != nil {
				return nil, fmt.Errorf("opening the build user lock: %w", err)
			}
			if unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB) == nil {
				return &buildUser{uid: u[0], gid: u[1], lock: f}, nil
			}
			f.Close()
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("waiting for a free build user: %w", ctx.Err())
		case <-time.After(delay):
		}
		if delay < 100*time.Millisecond {
			delay *= 2
		}
	}
}

func (u *buildUser) release() {
	if u != nil && u.lock != nil {
		u.lock.Close()
	}
}

// chownTree gives the build user a directory tree (the build directory).
func chownTree(root string, uid, gid int) error {
	return filepath.Walk(root, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if err := os.Lchown(p, uid, gid); err != nil {
			return fmt.Errorf("giving '%s' to the build user: %w", p, err)
		}
		return nil
	})
}

// killUser kills every process running as uid (Nix's killUser before it
// hands a build user to a build): leftovers of a build whose gonix died
// must not share the build user with the next one.
func killUser(uid int) error {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return fmt.Errorf("listing processes: %w", err)
	}
	want := strconv.Itoa(uid)
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		data, err := os.ReadFile("/proc/" + e.Name() + "/status")
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(data), "\n") {
			if strings.HasPrefix(line, "Uid:") {
				f := strings.Fields(line)
				if len(f) > 1 && f[1] == want {
					unix.Kill(pid, unix.SIGKILL)
				}
				break
			}
		}
	}
	return nil
}
