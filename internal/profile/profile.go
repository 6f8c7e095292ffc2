package profile

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"gonix/internal/store/local"
)

// A Generation is one `<P>-<N>-link` of a profile P.
type Generation struct {
	// Number is N.
	Number uint64
	// Path is the generation link, dir(P)/<base(P)>-<N>-link.
	Path string
	// CreationTime is the link's own modification time (lstat), which is
	// what Nix 2.8 lists and what --delete-older-than compares.
	CreationTime time.Time
	// Current reports whether P points at this generation.
	Current bool
}

// A UsageError is a mistake in what the caller asked for (a bad "14d"
// specifier); Nix 2.8 reports these as usage errors, with a --help hint.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// Roots registers the permanent GC root of a new generation link.
// *local.Store satisfies it: its AddPermRoot creates the link atomically
// and adds the indirect root gcroots/auto/<hash> -> link, as Nix 2.8's
// createGeneration does through addPermRoot for every profile, wherever it
// lives (spec/vectors/profiles/profile-listing.txt lists those roots).
type Roots interface {
	AddPermRoot(ctx context.Context, storePath, gcRoot string) (string, error)
}

// parseName returns N when name is `<profileName>-<N>-link…`. Like Nix
// 2.8, only the text between the prefix and the first "-link" is parsed,
// so anything may follow "-link".
func parseName(profileName, name string) (uint64, bool) {
	rest, ok := strings.CutPrefix(name, profileName+"-")
	if !ok {
		return 0, false
	}
	i := strings.Index(rest, "-link")
	if i < 0 {
		return 0, false
	}
	// Nix parses an unsigned int (32 bits).
	n, err := strconv.ParseUint(rest[:i], 10, 32)
	if err != nil {
		return 0, false
	}
	return n, true
}

// find lists the generations of profile in increasing order and the
// current one (ok false when the profile link is missing or does not name
// a generation by its relative name, as in Nix 2.8's findGenerations).
func find(profile string) (gens []Generation, cur uint64, hasCur bool, err error) {
	dir, base := filepath.Dir(profile), filepath.Base(profile)
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, 0, false, sysError("opening directory '"+dir+"'", err)
	}
	if target, lerr := os.Readlink(profile); lerr == nil {
		cur, hasCur = parseName(base, target)
	} else if _, serr := os.Stat(profile); serr == nil {
		// A profile that is no symlink: Nix's readLink fails here.
		return nil, 0, false, fmt.Errorf("'%s' is not a symlink", profile)
	}
	for _, e := range ents {
		n, ok := parseName(base, e.Name())
		if !ok {
			continue
		}
		p := filepath.Join(dir, e.Name())
		st, err := os.Lstat(p)
		if err != nil {
			return nil, 0, false, fmt.Errorf("getting status of '%s': %w", p, err)
		}
		gens = append(gens, Generation{Number: n, Path: p, CreationTime: st.ModTime(), Current: hasCur && n == cur})
	}
	sort.SliceStable(gens, func(i, j int) bool { return gens[i].Number < gens[j].Number })
	return gens, cur, hasCur, nil
}

// Generations lists the generations of profile in increasing order.
func Generations(profile string) ([]Generation, error) {
	gens, _, _, err := find(profile)
	return gens, err
}

// Current returns the number of the generation profile points at; ok is
// false when there is none.
func Current(profile string) (n uint64, ok bool, err error) {
	_, n, ok, err = find(profile)
	return n, ok, err
}

// GenerationPath is the link of generation n of profile.
func GenerationPath(profile string, n uint64) string {
	return profile + "-" + strconv.FormatUint(n, 10) + "-link"
}

// Lock takes the profile lock `<profile>.lock` (spec/store.md §7.8); the
// lock file is deleted on unlock, as Nix 2.8's lockProfile asks.
func Lock(ctx context.Context, profile string) (unlock func(), err error) {
	l, err := local.LockPaths(ctx, []string{profile})
	if err != nil {
		return nil, sysError("opening lock file '"+profile+".lock'", err)
	}
	return func() { l.Unlock(true) }, nil
}

// CreateGeneration makes storePath (a logical store path) the next
// generation of profile and returns its link, without switching to it. If
// the highest generation already points at storePath, that one is
// returned (Nix 2.8 compares only the last one). roots may be nil (no GC
// root is registered then; tests only).
func CreateGeneration(ctx context.Context, profile, storePath string, roots Roots) (string, error) {
	gens, _, _, err := find(profile)
	if err != nil {
		return "", err
	}
	var num uint64
	if len(gens) > 0 {
		last := gens[len(gens)-1]
		if t, err := os.Readlink(last.Path); err == nil && t == storePath {
			return last.Path, nil
		}
		num = last.Number
	}
	link := GenerationPath(profile, num+1)
	if roots != nil {
		if _, err := roots.AddPermRoot(ctx, storePath, link); err != nil {
			return "", err
		}
		return link, nil
	}
	if err := replaceSymlink(storePath, link); err != nil {
		return "", err
	}
	return link, nil
}

// Set creates a generation for storePath and switches profile to it under
// the profile lock: what `nix-env -p P --set PATH` does once the path is
// valid. It returns the generation link.
func Set(ctx context.Context, profile, storePath string, roots Roots) (string, error) {
	// Nix 2.8's opSet takes no lock and fails reading the directory; look
	// first so a missing directory is reported the same way.
	if _, _, _, err := find(profile); err != nil {
		return "", err
	}
	unlock, err := Lock(ctx, profile)
	if err != nil {
		return "", err
	}
	defer unlock()
	gen, err := CreateGeneration(ctx, profile, storePath, roots)
	if err != nil {
		return "", err
	}
	return gen, SwitchLink(profile, gen)
}

// SwitchLink points link at target atomically. A target in link's own
// directory is written as its base name, so profiles stay relocatable
// (Nix 2.8's switchLink).
func SwitchLink(link, target string) error {
	if filepath.Dir(target) == filepath.Dir(link) {
		target = filepath.Base(target)
	}
	return replaceSymlink(target, link)
}

// replaceSymlink creates dir(link)/.<k>_<base(link)> -> target for the
// first free k and renames it over link: readers see the old or the new
// link, never none (spec/store.md §9.2).
func replaceSymlink(target, link string) error {
	dir, base := filepath.Dir(link), filepath.Base(link)
	for k := 0; ; k++ {
		tmp := filepath.Join(dir, "."+strconv.Itoa(k)+"_"+base)
		if err := os.Symlink(target, tmp); err != nil {
			if errors.Is(err, os.ErrExist) {
				continue
			}
			return fmt.Errorf("creating symlink '%s' -> '%s': %w", tmp, target, err)
		}
		if err := os.Rename(tmp, link); err != nil {
			os.Remove(tmp)
			return fmt.Errorf("renaming '%s' to '%s': %w", tmp, link, err)
		}
		return nil
	}
}

// SwitchGeneration switches profile to generation n, printing Nix's
// "switching profile from version A to B" to log.
func SwitchGeneration(ctx context.Context, profile string, n uint64, dryRun bool, log io.Writer) error {
	return switchTo(ctx, profile, &n, dryRun, log)
}

// Rollback switches profile to the highest generation below the current
// one.
func Rollback(ctx context.Context, profile string, dryRun bool, log io.Writer) error {
	return switchTo(ctx, profile, nil, dryRun, log)
}

func switchTo(ctx context.Context, profile string, dst *uint64, dryRun bool, log io.Writer) error {
	unlock, err := Lock(ctx, profile)
	if err != nil {
		return err
	}
	defer unlock()
	gens, cur, hasCur, err := find(profile)
	if err != nil {
		return err
	}
	var to *Generation
	for i := range gens {
		g := &gens[i]
		if (dst == nil && hasCur && g.Number < cur) || (dst != nil && g.Number == *dst) {
			to = g
		}
	}
	if to == nil {
		if dst != nil {
			return fmt.Errorf("profile version %d does not exist", *dst)
		}
		return fmt.Errorf("no profile version older than the current (%d) exists", cur)
	}
	fmt.Fprintf(log, "switching profile from version %d to %d\n", cur, to.Number)
	if dryRun {
		return nil
	}
	return SwitchLink(profile, to.Path)
}

// remove deletes generation n (or says it would).
func remove(profile string, n uint64, dryRun bool, log io.Writer) error {
	if dryRun {
		fmt.Fprintf(log, "would remove profile version %d\n", n)
		return nil
	}
	fmt.Fprintf(log, "removing profile version %d\n", n)
	p := GenerationPath(profile, n)
	if err := os.Remove(p); err != nil {
		return sysError("cannot unlink '"+p+"'", err)
	}
	return nil
}

// locked runs f on the generations of profile under its lock.
func locked(ctx context.Context, profile string, f func(gens []Generation, cur uint64, hasCur bool) error) error {
	unlock, err := Lock(ctx, profile)
	if err != nil {
		return err
	}
	defer unlock()
	gens, cur, hasCur, err := find(profile)
	if err != nil {
		return err
	}
	return f(gens, cur, hasCur)
}

// DeleteGenerations deletes the listed generations; numbers that do not
// exist are ignored, and naming the current one is an error before
// anything is deleted.
func DeleteGenerations(ctx context.Context, profile string, numbers []uint64, dryRun bool, log io.Writer) error {
	del := make(map[uint64]bool, len(numbers))
	for _, n := range numbers {
		del[n] = true
	}
	return locked(ctx, profile, func(gens []Generation, cur uint64, hasCur bool) error {
		if hasCur && del[cur] {
			// Nix 2.8's message, stray quote included.
			return fmt.Errorf("cannot delete current version of profile %s'", profile)
		}
		for _, g := range gens {
			if del[g.Number] {
				if err := remove(profile, g.Number, dryRun, log); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// DeleteOldGenerations deletes every generation but the current one.
func DeleteOldGenerations(ctx context.Context, profile string, dryRun bool, log io.Writer) error {
	return locked(ctx, profile, func(gens []Generation, cur uint64, hasCur bool) error {
		for _, g := range gens {
			if !hasCur || g.Number != cur {
				if err := remove(profile, g.Number, dryRun, log); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// DeleteGenerationsGreaterThan keeps the generations newer than the
// current one, the current one and keep-1 older ones (`+keep`), and
// deletes the rest. keep must be at least 1.
func DeleteGenerationsGreaterThan(ctx context.Context, profile string, keep uint64, dryRun bool, log io.Writer) error {
	if keep == 0 {
		return fmt.Errorf("invalid number of generations to keep '+0'")
	}
	return locked(ctx, profile, func(gens []Generation, cur uint64, hasCur bool) error {
		fromCur := false
		for i := len(gens) - 1; i >= 0; i-- {
			g := gens[i]
			if hasCur && g.Number == cur {
				fromCur = true
				keep--
				continue
			}
			if !fromCur {
				continue
			}
			if keep > 0 {
				keep--
				continue
			}
			if err := remove(profile, g.Number, dryRun, log); err != nil {
				return err
			}
		}
		return nil
	})
}

// ParseOlderThan turns Nix's "<N>d" specifier into the cutoff now - N days.
func ParseOlderThan(spec string, now time.Time) (time.Time, error) {
	if !strings.HasSuffix(spec, "d") {
		return time.Time{}, &UsageError{Msg: fmt.Sprintf("invalid number of days specifier '%s', expected something like '14d'", spec)}
	}
	days, err := strconv.ParseInt(strings.TrimSuffix(spec, "d"), 10, 32)
	if err != nil || days < 1 {
		return time.Time{}, &UsageError{Msg: fmt.Sprintf("invalid number of days specifier '%s'", spec)}
	}
	// Nix works in whole seconds.
	return time.Unix(now.Unix()-days*24*3600, 0), nil
}

// DeleteGenerationsOlderThan deletes the generations created before now
// minus spec ("14d"), except the newest of them (it was the active one at
// the cutoff) and the current one.
func DeleteGenerationsOlderThan(ctx context.Context, profile, spec string, dryRun bool, log io.Writer) error {
	cutoff, err := ParseOlderThan(spec, time.Now())
	if err != nil {
		return err
	}
	return DeleteGenerationsBefore(ctx, profile, cutoff, dryRun, log)
}

// DeleteGenerationsBefore is DeleteGenerationsOlderThan with the cutoff
// given as a time (compared in whole seconds, as Nix does).
func DeleteGenerationsBefore(ctx context.Context, profile string, cutoff time.Time, dryRun bool, log io.Writer) error {
	t := cutoff.Unix()
	return locked(ctx, profile, func(gens []Generation, cur uint64, hasCur bool) error {
		canDelete := false
		for i := len(gens) - 1; i >= 0; i-- {
			g := gens[i]
			if !canDelete {
				canDelete = g.CreationTime.Unix() < t
				continue
			}
			if hasCur && g.Number == cur {
				continue
			}
			if err := remove(profile, g.Number, dryRun, log); err != nil {
				return err
			}
		}
		return nil
	})
}

// DeleteOldGenerationsAll removes old generations of every profile below
// profilesDir, as `nix-collect-garbage -d` (olderThan "") or
// `--delete-older-than olderThan` does: every symlink whose target
// contains "link" is taken for a profile; directories are walked
// recursively; a directory that cannot be read is skipped and one that
// cannot be written is only descended into (Nix 2.8's
// removeOldGenerations).
func DeleteOldGenerationsAll(ctx context.Context, profilesDir, olderThan string, dryRun bool, out io.Writer) error {
	var cutoff time.Time
	if olderThan != "" {
		c, err := ParseOlderThan(olderThan, time.Now())
		if err != nil {
			return err
		}
		cutoff = c
	}
	return removeOld(ctx, profilesDir, olderThan != "", cutoff, dryRun, out)
}

func removeOld(ctx context.Context, dir string, useCutoff bool, cutoff time.Time, dryRun bool, out io.Writer) error {
	ents, err := os.ReadDir(dir)
	if err != nil {
		// Nix skips a directory it may not read (access(R_OK)).
		if errors.Is(err, os.ErrNotExist) || errors.Is(err, os.ErrPermission) {
			return nil
		}
		return fmt.Errorf("reading directory '%s': %w", dir, err)
	}
	canWrite := writable(dir)
	for _, e := range ents {
		if err := ctx.Err(); err != nil {
			return err
		}
		p := filepath.Join(dir, e.Name())
		switch {
		case e.Type()&os.ModeSymlink != 0:
			if !canWrite {
				continue
			}
			target, err := os.Readlink(p)
			if err != nil {
				if errors.Is(err, os.ErrNotExist) {
					continue
				}
				return fmt.Errorf("reading symlink '%s': %w", p, err)
			}
			if !strings.Contains(target, "link") {
				continue
			}
			fmt.Fprintf(out, "removing old generations of profile %s\n", p)
			if useCutoff {
				err = DeleteGenerationsBefore(ctx, p, cutoff, dryRun, out)
			} else {
				err = DeleteOldGenerations(ctx, p, dryRun, out)
			}
			if err != nil {
				return err
			}
		case e.IsDir():
			if err := removeOld(ctx, p, useCutoff, cutoff, dryRun, out); err != nil {
				return err
			}
		}
	}
	return nil
}

// A SysError reads like Nix's SysError: what failed, then strerror's text
// (capitalised as glibc prints it). A wrapped error without an errno keeps
// its own text.
type SysError struct {
	Op  string
	Err error
}

func (e *SysError) Error() string {
	var errno syscall.Errno
	if errors.As(e.Err, &errno) {
		t := errno.Error()
		return e.Op + ": " + strings.ToUpper(t[:1]) + t[1:]
	}
	return e.Op + ": " + e.Err.Error()
}

func (e *SysError) Unwrap() error { return e.Err }

func sysError(op string, err error) error {
	if err == nil {
		return nil
	}
	return &SysError{Op: op, Err: err}
}

func writable(dir string) bool { return unix.Access(dir, unix.W_OK) == nil }
