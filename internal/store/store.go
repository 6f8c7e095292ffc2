package store

import (
	"context"
	"errors"
	"io"

	"gonix/internal/format/hash"
	"gonix/internal/format/nar"
)

// ErrNotValid is wrapped by errors about a path that is not valid in a store.
var ErrNotValid = errors.New("path is not valid")

// PathInfo is the metadata of a valid store path: one row of Nix's
// ValidPaths table with its references.
type PathInfo struct {
	Path string
	// NarHash is the SHA-256 of the path's NAR serialisation.
	NarHash hash.Hash
	NarSize uint64
	// References are full store paths, sorted; a self-reference is listed.
	References []string
	// Deriver is the full path of the .drv that produced the path, or "".
	Deriver string
	// RegistrationTime is in Unix seconds; 0 means "now" when registering.
	RegistrationTime int64
	// Ultimate is set on paths built locally.
	Ultimate bool
	Sigs     []string
	// CA is the content address ("fixed:r:sha256:…", "text:sha256:…") or "".
	CA string
}

// Method is how a file system object becomes a store path.
type Method uint8

const (
	// Flat hashes the contents of a single regular file.
	Flat Method = iota
	// Recursive hashes the NAR serialisation of a file system tree.
	Recursive
)

// Store is a Nix store that can be read and added to. Paths are full
// logical paths (StoreDir()/hash-name).
type Store interface {
	StoreDir() string
	IsValidPath(ctx context.Context, path string) (bool, error)
	// QueryPathInfo fails with an error wrapping ErrNotValid when path is
	// not valid.
	QueryPathInfo(ctx context.Context, path string) (*PathInfo, error)
	QueryReferrers(ctx context.Context, path string) ([]string, error)
	// QueryValidDerivers lists the valid .drv files that have path as an output.
	QueryValidDerivers(ctx context.Context, path string) ([]string, error)
	// QueryDerivationOutputs maps output names of a valid .drv to paths.
	QueryDerivationOutputs(ctx context.Context, drvPath string) (map[string]string, error)
	// QueryPathFromHashPart returns the valid path with that hash part, or "".
	QueryPathFromHashPart(ctx context.Context, hashPart string) (string, error)
	QueryAllValidPaths(ctx context.Context) ([]string, error)

	// AddToStore copies the file or tree at src into the store as name.
	AddToStore(ctx context.Context, name, src string, method Method, algo hash.Algo, filter nar.Filter, refs []string) (string, error)
	// AddText stores a text file (builtins.toFile, .drv files).
	AddText(ctx context.Context, name, text string, refs []string) (string, error)
	// AddNAR restores a NAR read from r as info.Path and registers it with
	// info's metadata after checking the NAR against info.NarHash/NarSize.
	AddNAR(ctx context.Context, info *PathInfo, r io.Reader) error
	// DumpPath writes the NAR serialisation of a valid path to w.
	DumpPath(ctx context.Context, path string, w io.Writer) error

	Close() error
}
