package builtins

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
)

// EnvPackage is one package of a user environment: a store path, whether it
// is active, and its priority (a lower number wins a collision).
type EnvPackage struct {
	Path     string
	Active   bool
	Priority int
}

// ParseEnvDerivations reads the derivations variable of a builtin:buildenv
// derivation: per element "active priority nOutputs out1 …", all separated
// by white space. Every output becomes one package.
func ParseEnvDerivations(s string) ([]EnvPackage, error) {
	f := strings.Fields(s)
	var pkgs []EnvPackage
	for len(f) > 0 {
		if len(f) < 3 {
			return nil, fmt.Errorf("buildenv: truncated derivations attribute")
		}
		active := f[0] != "false"
		prio, err := strconv.Atoi(f[1])
		if err != nil {
			return nil, fmt.Errorf("buildenv: priority %q: %w", f[1], err)
		}
		n, err := strconv.Atoi(f[2])
		if err != nil {
			return nil, fmt.Errorf("buildenv: output count %q: %w", f[2], err)
		}
		f = f[3:]
		if n < 0 || n > len(f) {
			return nil, fmt.Errorf("buildenv: truncated derivations attribute")
		}
		for _, p := range f[:n] {
			pkgs = append(pkgs, EnvPackage{Path: p, Active: active, Priority: prio})
		}
		f = f[n:]
	}
	return pkgs, nil
}

// BuildEnv is the builder builtin:buildenv of Nix 2.8 (spec/store.md §9.5;
// src/libstore/builtins/buildenv.cc). env is the derivation's environment;
// outPath is the real host path of the output. Store paths named in env
// are logical (under storeDir); their files are read under realStoreDir,
// and the symlinks written into outPath point at the logical paths. warn
// receives Nix's warnings (may be nil).
func BuildEnv(env map[string]string, outPath, storeDir, realStoreDir string, warn func(string)) error {
	get := func(name string) (string, error) {
		v, ok := env[name]
		if !ok {
			return "", fmt.Errorf("attribute '%s' missing", name)
		}
		return v, nil
	}
	if _, err := get("out"); err != nil {
		return err
	}
	drvs, err := get("derivations")
	if err != nil {
		return err
	}
	manifest, err := get("manifest")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(outPath, 0o755); err != nil {
		return fmt.Errorf("creating directory '%s': %w", outPath, err)
	}
	pkgs, err := ParseEnvDerivations(drvs)
	if err != nil {
		return err
	}
	b := &envBuilder{
		storeDir: storeDir, realStoreDir: realStoreDir, out: outPath,
		warn: warn, priorities: map[string]int{},
	}
	if err := b.buildProfile(pkgs); err != nil {
		return err
	}
	if err := os.Symlink(manifest, filepath.Join(outPath, "manifest.nix")); err != nil {
		return fmt.Errorf("creating symlink to '%s': %w", manifest, err)
	}
	return nil
}

type envBuilder struct {
	storeDir, realStoreDir string
	out                    string // real path of $out
	warn                   func(string)
	priorities             map[string]int // keyed by logical-relative dst path
}

// real maps a logical path to where its file is on the host.
func (b *envBuilder) real(p string) string {
	if b.realStoreDir != "" && b.realStoreDir != b.storeDir &&
		(p == b.storeDir || strings.HasPrefix(p, b.storeDir+"/")) {
		return b.realStoreDir + strings.TrimPrefix(p, b.storeDir)
	}
	return p
}

// stat follows symlinks like stat(2), but resolves absolute targets in
// the logical store through real.
func (b *envBuilder) stat(p string) (fs.FileInfo, string, error) {
	for i := 0; i < 40; i++ {
		fi, err := os.Lstat(b.real(p))
		if err != nil {
			return nil, p, err
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			return fi, p, nil
		}
		t, err := os.Readlink(b.real(p))
		if err != nil {
			return nil, p, err
		}
		if !filepath.IsAbs(t) {
			t = filepath.Join(filepath.Dir(p), t)
		}
		p = filepath.Clean(t)
	}
	return nil, p, fmt.Errorf("getting status of '%s': too many levels of symbolic links", p)
}

func (b *envBuilder) warnf(format string, args ...any) {
	if b.warn != nil {
		b.warn(fmt.Sprintf(format, args...))
	}
}

var skippedSuffixes = []string{
	"/propagated-build-inputs", "/nix-support", "/perllocal.pod",
	"/info/dir", "/log", "/manifest.nix", "/manifest.json",
}

// createLinks links the entries of the logical directory srcDir into the
// real directory dstDir.
func (b *envBuilder) createLinks(srcDir, dstDir string, priority int) error {
	ents, err := os.ReadDir(b.real(srcDir))
	if err != nil {
		if isNotDir(err) {
			b.warnf("not including '%s' in the user environment because it's not a directory", srcDir)
			return nil
		}
		return fmt.Errorf("reading directory '%s': %w", srcDir, err)
	}
	for _, ent := range ents {
		name := ent.Name()
		if name[0] == '.' {
			continue
		}
		srcFile := srcDir + "/" + name
		dstFile := dstDir + "/" + name
		srcSt, _, err := b.stat(srcFile)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) || isNotDir(err) {
				b.warnf("skipping dangling symlink '%s'", dstFile)
				continue
			}
			return fmt.Errorf("getting status of '%s': %w", srcFile, err)
		}
		skip := false
		for _, s := range skippedSuffixes {
			if strings.HasSuffix(srcFile, s) {
				skip = true
				break
			}
		}
		if skip {
			continue
		}
		dstSt, lerr := os.Lstat(dstFile)
		if lerr != nil && !errors.Is(lerr, fs.ErrNotExist) {
			return fmt.Errorf("getting status of '%s': %w", dstFile, lerr)
		}
		if srcSt.IsDir() {
			if lerr == nil {
				if dstSt.IsDir() {
					if err := b.createLinks(srcFile, dstFile, priority); err != nil {
						return err
					}
					continue
				}
				if dstSt.Mode()&fs.ModeSymlink != 0 {
					old, err := os.Readlink(dstFile)
					if err != nil {
						return fmt.Errorf("reading symlink '%s': %w", dstFile, err)
					}
					tSt, target, err := b.stat(old)
					if err != nil {
						return fmt.Errorf("getting status of '%s': %w", target, err)
					}
					if !tSt.IsDir() {
						return fmt.Errorf("collision between '%s' and non-directory '%s'", srcFile, target)
					}
					if err := os.Remove(dstFile); err != nil {
						return fmt.Errorf("unlinking '%s': %w", dstFile, err)
					}
					if err := os.Mkdir(dstFile, 0o755); err != nil {
						return fmt.Errorf("creating directory '%s': %w", dstFile, err)
					}
					if err := b.createLinks(target, dstFile, b.priorities[dstFile]); err != nil {
						return err
					}
					if err := b.createLinks(srcFile, dstFile, priority); err != nil {
						return err
					}
					continue
				}
			}
		} else if lerr == nil {
			if dstSt.Mode()&fs.ModeSymlink != 0 {
				prev := b.priorities[dstFile]
				if prev == priority {
					old, _ := os.Readlink(dstFile)
					return fmt.Errorf("packages '%s' and '%s' have the same priority %d; "+
						"use 'nix-env --set-flag priority NUMBER INSTALLED_PKGNAME' "+
						"to change the priority of one of the conflicting packages"+
						" (0 being the highest priority)", srcFile, old, priority)
				}
				if prev < priority {
					continue
				}
				if err := os.Remove(dstFile); err != nil {
					return fmt.Errorf("unlinking '%s': %w", dstFile, err)
				}
			} else if dstSt.IsDir() {
				return fmt.Errorf("collision between non-directory '%s' and directory '%s'", srcFile, b.logical(dstFile))
			}
		}
		if err := os.Symlink(srcFile, dstFile); err != nil {
			return fmt.Errorf("creating symlink '%s': %w", dstFile, err)
		}
		b.priorities[dstFile] = priority
	}
	return nil
}

// logical turns a real path under $out back into its logical name (for
// error texts).
func (b *envBuilder) logical(p string) string {
	if b.realStoreDir != "" && strings.HasPrefix(p, b.realStoreDir+"/") {
		return b.storeDir + strings.TrimPrefix(p, b.realStoreDir)
	}
	return p
}

func isNotDir(err error) bool { return errors.Is(err, syscall.ENOTDIR) }

func (b *envBuilder) buildProfile(pkgs []EnvPackage) error {
	done := map[string]bool{}
	postponed := map[string]bool{}
	add := func(dir string, prio int) error {
		if done[dir] {
			return nil
		}
		done[dir] = true
		if err := b.createLinks(dir, b.out, prio); err != nil {
			return err
		}
		data, err := os.ReadFile(b.real(dir + "/nix-support/propagated-user-env-packages"))
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) || isNotDir(err) {
				return nil
			}
			return fmt.Errorf("reading '%s/nix-support/propagated-user-env-packages': %w", dir, err)
		}
		for _, p := range strings.FieldsFunc(string(data), func(r rune) bool { return r == ' ' || r == '\n' }) {
			if !done[p] {
				postponed[p] = true
			}
		}
		return nil
	}
	sorted := append([]EnvPackage(nil), pkgs...)
	sort.SliceStable(sorted, func(i, j int) bool {
		a, c := sorted[i], sorted[j]
		return a.Priority < c.Priority || (a.Priority == c.Priority && a.Path < c.Path)
	})
	for _, p := range sorted {
		if p.Active {
			if err := add(p.Path, p.Priority); err != nil {
				return err
			}
		}
	}
	counter := 1000
	for len(postponed) > 0 {
		dirs := make([]string, 0, len(postponed))
		for d := range postponed {
			dirs = append(dirs, d)
		}
		sort.Strings(dirs)
		postponed = map[string]bool{}
		for _, d := range dirs {
			if err := add(d, counter); err != nil {
				return err
			}
			counter++
		}
	}
	return nil
}
