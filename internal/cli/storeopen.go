package cli

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"gonix/internal/cli/args"
	"gonix/internal/format/hash"
	"gonix/internal/format/nar"
	"gonix/internal/lang/eval"
	"gonix/internal/store"
	"gonix/internal/store/local"
)

// storeLocation is where a store URL (--store, NIX_REMOTE) puts the store.
type storeLocation struct {
	root     string // chroot directory, "" for the real file system
	storeDir string // logical
	stateDir string // logical
}

// resolveStore interprets the store setting as Nix 2.8 does for local
// stores: "auto"/"local" (the real /nix, or a per-user chroot store when
// /nix cannot be written), an absolute directory or local?root=DIR (a chroot
// store). Daemon and remote stores are not supported yet.
func resolveStore(e *Env, settings *args.Settings) (storeLocation, error) {
	loc := storeLocation{storeDir: "/nix/store", stateDir: "/nix/var/nix"}
	if d := e.Getenv("NIX_STORE_DIR"); d != "" {
		loc.storeDir = strings.TrimRight(d, "/")
	}
	if d := e.Getenv("NIX_STATE_DIR"); d != "" {
		loc.stateDir = strings.TrimRight(d, "/")
	}
	u := settings.StoreURL
	if u == "" {
		u = e.Getenv("NIX_REMOTE")
	}
	switch {
	case u == "" || u == "auto":
		if unix0Writable(loc.stateDir) {
			return loc, nil
		}
		home := e.Getenv("HOME")
		if home == "" {
			return loc, fmt.Errorf("cannot open the store: '%s' is not writable and HOME is not set", loc.stateDir)
		}
		loc.root = filepath.Join(home, ".local/share/gonix/root")
		return loc, nil
	case u == "local":
		return loc, nil
	case strings.HasPrefix(u, "/"):
		loc.root = filepath.Clean(u)
		return loc, nil
	case strings.HasPrefix(u, "local?") || strings.HasPrefix(u, "local://?"):
		q, err := url.ParseQuery(u[strings.IndexByte(u, '?')+1:])
		if err != nil {
			return loc, fmt.Errorf("invalid store URL '%s': %w", u, err)
		}
		loc.root = q.Get("root")
		if s := q.Get("store"); s != "" {
			loc.storeDir = s
		}
		if s := q.Get("state"); s != "" {
			loc.stateDir = s
		}
		return loc, nil
	case strings.HasPrefix(u, "./") || strings.HasPrefix(u, "../"):
		loc.root = filepath.Join(e.Dir, u)
		return loc, nil
	}
	return loc, fmt.Errorf("don't know how to open Nix store '%s'", u)
}

// unix0Writable reports whether the state directory can be used directly.
func unix0Writable(stateDir string) bool {
	if os.Geteuid() == 0 {
		return true
	}
	st, err := os.Stat(stateDir)
	if err != nil {
		return false
	}
	return st.IsDir() && accessW(stateDir)
}

func accessW(p string) bool {
	f, err := os.CreateTemp(p, ".gonix-probe-*")
	if err != nil {
		return false
	}
	f.Close()
	os.Remove(f.Name())
	return true
}

// openLocalStore opens the store the settings select.
func openLocalStore(e *Env, settings *args.Settings, readOnly bool) (*local.Store, error) {
	loc, err := resolveStore(e, settings)
	if err != nil {
		return nil, err
	}
	if loc.root != "" && !readOnly {
		if err := os.MkdirAll(loc.root, 0o755); err != nil {
			return nil, fmt.Errorf("creating the store root '%s': %w", loc.root, err)
		}
	}
	opts := local.Options{Root: loc.root, StoreDir: loc.storeDir, StateDir: loc.stateDir, ReadOnly: readOnly}
	if v, ok := settings.Lookup("auto-optimise-store"); ok {
		opts.AutoOptimise = v == "true" || v == "1" || v == "yes"
	}
	s, err := local.Open(e.Ctx(), opts)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// evalStore lets the evaluator write into a local store.
type evalStore struct {
	ctx context.Context
	s   *local.Store
	// build, when set, realises derivations the evaluation reads from
	// (import from derivation).
	build func(drvPaths []string) error
}

// Realise builds the derivations whose outputs a string context names,
// so that the evaluator can read them (import from derivation).
func (l *evalStore) Realise(ctx []string) error {
	var drvs []string
	for _, c := range ctx {
		if !strings.HasPrefix(c, "!") {
			continue
		}
		if i := strings.IndexByte(c[1:], '!'); i >= 0 {
			drvs = append(drvs, c[i+2:])
		}
	}
	if len(drvs) == 0 {
		return nil
	}
	if l.build == nil {
		return fmt.Errorf("cannot build '%s' during evaluation: import from derivation needs a store that can build", drvs[0])
	}
	if err := l.s.Flush(l.ctx); err != nil {
		return err
	}
	return l.build(drvs)
}

var _ eval.EvalStore = (*evalStore)(nil)

func (l *evalStore) StoreDir() string { return l.s.StoreDir() }

func (l *evalStore) IsInStore(p string) bool {
	d := l.s.StoreDir()
	return len(p) > len(d)+1 && strings.HasPrefix(p, d) && p[len(d)] == '/'
}

func (l *evalStore) AddSourcePath(path, name string, recursive bool, filter func(path, typ string) bool) (string, error) {
	method := store.Flat
	if recursive {
		method = store.Recursive
	}
	var nf nar.Filter
	if filter != nil {
		nf = func(p string, t nar.Type) bool { return filter(p, string(t)) }
	}
	if l.IsInStore(path) {
		path = l.s.RealPath(path)
	}
	return l.s.AddToStore(l.ctx, name, path, method, hash.SHA256, nf, nil)
}

// IsValidPath and RealPath are the optional capabilities the evaluator
// uses to check a string's context and read files of a chroot store.
func (l *evalStore) IsValidPath(p string) bool {
	if _, ok := l.s.PendingText(p); ok {
		return true
	}
	ok, err := l.s.IsValidPath(l.ctx, p)
	return err == nil && ok
}

func (l *evalStore) RealPath(p string) string { return l.s.RealPath(p) }

// QueryReferences lists a valid path's references.
func (l *evalStore) QueryReferences(p string) ([]string, error) {
	info, err := l.s.QueryPathInfo(l.ctx, p)
	if err != nil {
		return nil, err
	}
	return info.References, nil
}

func (l *evalStore) AddText(name, text string, refs []string) (string, error) {
	return l.s.AddText(l.ctx, name, text, refs)
}

func (l *evalStore) ReadDerivation(drvPath string) ([]byte, error) {
	if t, ok := l.s.PendingText(drvPath); ok {
		return []byte(t), nil
	}
	data, err := os.ReadFile(l.s.RealPath(drvPath))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("path '%s' is not valid", drvPath)
	}
	return data, err
}
