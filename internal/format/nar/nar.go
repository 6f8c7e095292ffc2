package nar

import (
	"encoding/binary"
	"strings"
)

// Type is the type of a NAR node. The strings are the ones Nix passes to
// path filters.
type Type string

// The node types. TypeUnknown only appears in filter callbacks (devices,
// fifos, sockets), never in an archive.
const (
	TypeRegular   Type = "regular"
	TypeDirectory Type = "directory"
	TypeSymlink   Type = "symlink"
	TypeUnknown   Type = "unknown"
)

// Header describes one node of an archive.
type Header struct {
	// Path is the node's path inside the archive: "" for the root, then
	// "name", "dir/name", ... (no leading or trailing slash).
	Path       string
	Type       Type
	Executable bool   // regular files only
	Size       int64  // regular files only: the length of the contents
	LinkTarget string // symlinks only
}

// Limits the reader enforces before allocating anything.
const (
	// MaxNameLen is the longest entry name accepted (NAME_MAX).
	MaxNameLen = 255
	// MaxTargetLen is the longest symlink target accepted (PATH_MAX - 1).
	MaxTargetLen = 4095
	// MaxPathLen is the longest Header.Path accepted; longer paths could
	// not be restored by Nix either.
	MaxPathLen = 4096
)

// magic is the archive's first string.
const magic = "nix-archive-1"

// FormatError is a malformed archive. Msg is Nix's wording where Nix has
// one; Path is the node being read.
type FormatError struct {
	Path string
	Msg  string
}

func (e *FormatError) Error() string { return e.Msg }

// padLen is the number of zero bytes after a string of n bytes.
func padLen(n uint64) int { return int((8 - n%8) % 8) }

// appendStr appends a NAR string: u64le length, bytes, zero padding.
func appendStr(b []byte, s string) []byte {
	b = binary.LittleEndian.AppendUint64(b, uint64(len(s)))
	b = append(b, s...)
	var zero [8]byte
	return append(b, zero[:padLen(uint64(len(s)))]...)
}

// validName reports whether name may appear as a directory entry.
func validName(name string) bool {
	return name != "" && name != "." && name != ".." && len(name) <= MaxNameLen &&
		!strings.ContainsAny(name, "/\x00")
}

// joinPath builds a Header.Path.
func joinPath(dir, name string) string {
	if dir == "" {
		return name
	}
	return dir + "/" + name
}
