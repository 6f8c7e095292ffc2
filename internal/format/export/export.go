package export

import (
	"errors"
	"fmt"
	"slices"

	"gonix/internal/format/storepath"
)

// The stream (spec/store.md §11.2): for each path the integer 1, its NAR,
// the integer Magic, the path, its references (a sorted string set), its
// deriver or "", and the integer 0 (no legacy signature); after the last
// path the integer 0. Integers and strings are those of package wire.

// Magic follows every NAR in the stream ("NIXE" read as a little-endian
// integer).
const Magic = 0x4558494e

// MaxPathLen is the longest store path (path, reference or deriver) the
// Reader accepts (PATH_MAX); it is checked before anything is allocated.
const MaxPathLen = 4096

// maxLegacySigLen bounds the legacy signature string older Nix versions
// appended; 2.8 reads and ignores it.
const maxLegacySigLen = 64 << 10

// Entry is the metadata the stream carries for one store path. Paths are
// full store paths ("/nix/store/<hash>-<name>").
type Entry struct {
	Path string
	// References are written sorted and without duplicates, as the set
	// Nix writes; the Reader returns them that way too (nil for none).
	References []string
	// Deriver is the path of the .drv that built Path, or "".
	Deriver string
}

// ErrFormat is wrapped by every error about a malformed stream (as opposed
// to an I/O error of the underlying reader or writer).
var ErrFormat = errors.New("malformed export stream")

// formatError is a malformed stream: it reads as its message and matches
// ErrFormat (and, for a truncated stream, io.ErrUnexpectedEOF).
type formatError struct {
	msg   string
	cause error
}

func (e *formatError) Error() string { return e.msg }

func (e *formatError) Is(target error) bool { return target == ErrFormat }

func (e *formatError) Unwrap() error { return e.cause }

// canonical validates an entry against storeDir and returns it in the form
// the stream holds: canonical paths, references sorted and deduplicated.
func canonical(storeDir string, e *Entry) (Entry, error) {
	var out Entry
	p, err := storepath.Parse(storeDir, e.Path)
	if err != nil {
		return out, fmt.Errorf("path: %w", err)
	}
	out.Path = p.String()
	for _, ref := range e.References {
		rp, err := storepath.Parse(storeDir, ref)
		if err != nil {
			return out, fmt.Errorf("reference: %w", err)
		}
		out.References = append(out.References, rp.String())
	}
	slices.Sort(out.References)
	out.References = slices.Compact(out.References)
	if len(out.References) == 0 {
		out.References = nil // one spelling of "none"
	}
	if e.Deriver != "" {
		dp, err := storepath.Parse(storeDir, e.Deriver)
		if err != nil {
			return out, fmt.Errorf("deriver: %w", err)
		}
		out.Deriver = dp.String()
	}
	return out, nil
}
