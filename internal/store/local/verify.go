package local

import (
	"context"
	"fmt"
	"os"
	"sort"

	"golang.org/x/sys/unix"

	"gonix/internal/format/hash"
	"gonix/internal/format/nar"
	"gonix/internal/format/nixbase32"
)

// Logger receives a verification's messages: errors (Nix's printError) and
// informational lines (printInfo).
type Logger interface {
	Error(msg string)
	Info(msg string)
}

// Verify is `nix-store --verify [--check-contents]` (Nix's verifyStore):
// registrations of vanished paths are dropped when nothing valid refers to
// them, and with checkContents every path's NAR hash is recomputed. It
// reports whether errors remain.
func (s *Store) Verify(ctx context.Context, checkContents bool, log Logger) (bool, error) {
	if err := s.Flush(ctx); err != nil {
		return false, err
	}
	log.Info("reading the Nix store...")
	gc, err := openLockFile(s.realState + "/gc.lock")
	if err != nil {
		return false, err
	}
	defer gc.Close()
	if err := flock(ctx, gc, unix.LOCK_SH); err != nil {
		return false, err
	}
	entries, err := os.ReadDir(s.realStore)
	if err != nil {
		return false, fmt.Errorf("reading the store directory '%s': %w", s.realStore, err)
	}
	onDisk := make(map[string]bool, len(entries))
	for _, e := range entries {
		onDisk[e.Name()] = true
	}
	log.Info("checking path existence...")
	all, err := s.QueryAllValidPaths(ctx)
	if err != nil {
		return false, err
	}
	v := &verifier{s: s, ctx: ctx, log: log, onDisk: onDisk, done: map[string]bool{}, valid: map[string]bool{}}
	for _, p := range all {
		if err := v.verifyPath(p); err != nil {
			return false, err
		}
	}
	if !checkContents {
		return v.errors, nil
	}
	log.Info("checking link hashes...")
	links, _ := os.ReadDir(s.realStore + "/.links")
	for _, l := range links {
		p := s.realStore + "/.links/" + l.Name()
		sum, _, err := nar.HashPath(p, nil)
		if err != nil {
			return false, err
		}
		if got := nixbase32.EncodeToString(sum); got != l.Name() {
			log.Error(fmt.Sprintf("link '%s' was modified! expected hash '%s', got '%s'", p, l.Name(), got))
			v.errors = true
		}
	}
	log.Info("checking store hashes...")
	paths := make([]string, 0, len(v.valid))
	for p := range v.valid {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		info, err := s.QueryPathInfo(ctx, p)
		if err != nil {
			log.Error(err.Error())
			v.errors = true
			continue
		}
		sum, size, err := nar.HashPath(s.RealPath(p), nil)
		if err != nil {
			log.Error(err.Error())
			v.errors = true
			continue
		}
		got := hash.Hash{Algo: hash.SHA256, Digest: sum}
		if !info.NarHash.Equal(got) {
			log.Error(fmt.Sprintf("path '%s' was modified! expected hash '%s', got '%s'", p,
				info.NarHash.Encode(hash.Base32, true), got.Encode(hash.Base32, true)))
			v.errors = true
			continue
		}
		if info.NarSize == 0 {
			log.Info(fmt.Sprintf("updating size field on '%s' to %d", p, size))
			info.NarSize = uint64(size)
			if err := s.register(ctx, []regEntry{{info: info}}); err != nil {
				return false, err
			}
		}
	}
	return v.errors, nil
}

type verifier struct {
	s      *Store
	ctx    context.Context
	log    Logger
	onDisk map[string]bool
	done   map[string]bool
	valid  map[string]bool
	errors bool
}

func (v *verifier) verifyPath(p string) error {
	if v.done[p] {
		return nil
	}
	v.done[p] = true
	s := v.s
	if len(p) <= len(s.storeDir)+1 || p[:len(s.storeDir)+1] != s.storeDir+"/" {
		v.log.Error(fmt.Sprintf("path '%s' is not in the Nix store", p))
		return nil
	}
	if v.onDisk[p[len(s.storeDir)+1:]] {
		v.valid[p] = true
		return nil
	}
	referrers, err := s.QueryReferrers(v.ctx, p)
	if err != nil {
		return err
	}
	canInvalidate := true
	for _, r := range referrers {
		if r == p {
			continue
		}
		if err := v.verifyPath(r); err != nil {
			return err
		}
		if v.valid[r] {
			canInvalidate = false
		}
	}
	if canInvalidate {
		v.log.Info(fmt.Sprintf("path '%s' disappeared, removing from database...", p))
		return s.invalidate(p)
	}
	v.log.Error(fmt.Sprintf("path '%s' disappeared, but it still has valid referrers!", p))
	v.errors = true
	return nil
}
