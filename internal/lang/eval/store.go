package eval

import "strings"

// EvalStore is everything the evaluator needs from a Nix store. The
// command layer plugs in the real local store; NewComputeStore gives one
// that only computes paths (nix-instantiate --eval on a read-only or
// absent store, and the language tests).
type EvalStore interface {
	StoreDir() string
	// IsInStore reports whether p is a store path or lies inside one.
	IsInStore(p string) bool
	// AddSourcePath copies the file tree at path into the store as
	// name (recursive: NAR hashing, "source" paths; otherwise a flat
	// file with a sha256 fixed-output path). filter, when non-nil, is
	// called for every entry below path with its absolute path and type
	// ("regular", "directory", "symlink", "unknown"); an evaluation error
	// inside filter propagates as a panic through the call.
	AddSourcePath(path, name string, recursive bool, filter func(path, typ string) bool) (string, error)
	// AddText stores a text file (builtins.toFile, .drv files).
	AddText(name, text string, refs []string) (string, error)
	// ReadDerivation returns the ATerm text of a .drv already in the store.
	ReadDerivation(drvPath string) ([]byte, error)
}

func isInStoreDir(storeDir, p string) bool {
	return len(p) > len(storeDir)+1 && strings.HasPrefix(p, storeDir) && p[len(storeDir)] == '/'
}
