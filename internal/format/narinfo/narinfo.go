package narinfo

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"gonix/internal/format/hash"
	"gonix/internal/format/storepath"
)

// NarInfo is the content of a <hashPart>.narinfo file in a binary cache
// (spec/store.md §5.3). A NarInfo returned by Parse is normalised the way
// Nix 2.8 holds it in memory, so MarshalText writes what Nix would write
// after reading the same file.
type NarInfo struct {
	StorePath   string    // full store path, canonical
	URL         string    // NAR file relative to the cache root, e.g. nar/<filehash>.nar.xz
	Compression string    // "xz", "none", …; Parse turns an absent or empty value into "bzip2"
	FileHash    hash.Hash // hash of the stored (compressed) file; zero if absent
	FileSize    uint64    // size of the stored file; 0 if absent
	NarHash     hash.Hash // hash of the uncompressed NAR
	NarSize     uint64    // size of the uncompressed NAR, never 0 after Parse
	References  []string  // base names (hash-name), sorted, without duplicates
	Deriver     string    // base name of the .drv, "" if unknown
	System      string    // platform, "" if unknown
	Sigs        []string  // "keyname:base64", sorted, without duplicates
	CA          string    // content address as Nix renders it (§2.7), "" if none
}

// ParseError is an error in a .narinfo file. Line is the 1-based line on
// which the offending field starts, or 0 for a missing field.
type ParseError struct {
	Line int
	Err  error
}

func (e *ParseError) Error() string {
	if e.Line == 0 {
		return "narinfo: " + e.Err.Error()
	}
	return fmt.Sprintf("narinfo line %d: %v", e.Line, e.Err)
}

func (e *ParseError) Unwrap() error { return e.Err }

// Parse reads a .narinfo file with Nix 2.8's acceptance rules
// (NarInfo::NarInfo in nar-info.cc). They are lenient in ways worth
// knowing: a field's value starts two bytes after the first ':' whatever
// the byte after the colon is, and runs to the next '\n' after that; a
// "line" without ':' merges into the next field's name, which is then
// unknown and ignored; unknown fields are ignored; fields may repeat
// (last wins), except that References may not follow a non-empty
// References and CA may not follow a non-empty CA. Sig may repeat.
// Missing StorePath, NarHash or URL, or a zero NarSize, is an error.
func Parse(storeDir string, data []byte) (*NarInfo, error) {
	var (
		ni          NarInfo
		havePath    bool
		haveNarHash bool
		refs        []string
		sigs        []string
	)
	s := data
	line := 1
	pos := 0
	for pos < len(s) {
		colon := bytes.IndexByte(s[pos:], ':')
		if colon < 0 {
			return nil, &ParseError{line, fmt.Errorf("no ':' in %q", clip(s[pos:]))}
		}
		colon += pos
		name := string(s[pos:colon])
		if colon+2 > len(s) {
			return nil, &ParseError{line, fmt.Errorf("field %q does not end in a newline", clip([]byte(name)))}
		}
		eol := bytes.IndexByte(s[colon+2:], '\n')
		if eol < 0 {
			return nil, &ParseError{line, fmt.Errorf("field %q does not end in a newline", clip([]byte(name)))}
		}
		eol += colon + 2
		value := string(s[colon+2 : eol])
		if err := ni.setField(storeDir, name, value, &havePath, &haveNarHash, &refs, &sigs); err != nil {
			return nil, &ParseError{line, err}
		}
		line += bytes.Count(s[pos:eol+1], []byte{'\n'})
		pos = eol + 1
	}
	if ni.Compression == "" {
		ni.Compression = "bzip2"
	}
	switch {
	case !havePath:
		return nil, &ParseError{0, fmt.Errorf("missing StorePath")}
	case !haveNarHash:
		return nil, &ParseError{0, fmt.Errorf("missing NarHash")}
	case ni.URL == "":
		return nil, &ParseError{0, fmt.Errorf("missing or empty URL")}
	case ni.NarSize == 0:
		return nil, &ParseError{0, fmt.Errorf("missing or zero NarSize")}
	}
	ni.References = sortedSet(refs)
	ni.Sigs = sortedSet(sigs)
	return &ni, nil
}

func (ni *NarInfo) setField(storeDir, name, value string, havePath, haveNarHash *bool, refs, sigs *[]string) error {
	switch name {
	case "StorePath":
		p, err := storepath.Parse(storeDir, value)
		if err != nil {
			return fmt.Errorf("StorePath: %w", err)
		}
		ni.StorePath = p.String()
		*havePath = true
	case "URL":
		ni.URL = value
	case "Compression":
		ni.Compression = value
	case "FileHash":
		h, err := hash.ParsePrefixed(value)
		if err != nil {
			return fmt.Errorf("FileHash: %w", err)
		}
		ni.FileHash = h
	case "FileSize":
		n, err := parseSize(value)
		if err != nil {
			return fmt.Errorf("FileSize: %w", err)
		}
		ni.FileSize = n
	case "NarHash":
		h, err := hash.ParsePrefixed(value)
		if err != nil {
			return fmt.Errorf("NarHash: %w", err)
		}
		ni.NarHash = h
		*haveNarHash = true
	case "NarSize":
		n, err := parseSize(value)
		if err != nil {
			return fmt.Errorf("NarSize: %w", err)
		}
		ni.NarSize = n
	case "References":
		// Nix checks for earlier references before looking at this
		// line, so an empty References may be followed by another.
		if len(*refs) > 0 {
			return fmt.Errorf("References: repeated field")
		}
		for _, r := range strings.Split(value, " ") {
			if r == "" {
				continue
			}
			if _, _, err := storepath.ParseBaseName(r); err != nil {
				return fmt.Errorf("References: %w", err)
			}
			*refs = append(*refs, r)
		}
	case "Deriver":
		// "unknown-deriver" leaves an earlier Deriver in place, as in Nix.
		if value != "unknown-deriver" {
			if _, _, err := storepath.ParseBaseName(value); err != nil {
				return fmt.Errorf("Deriver: %w", err)
			}
			ni.Deriver = value
		}
	case "System":
		ni.System = value
	case "Sig":
		*sigs = append(*sigs, value)
	case "CA":
		if ni.CA != "" {
			return fmt.Errorf("CA: repeated field")
		}
		if value != "" {
			ca, err := parseContentAddress(value)
			if err != nil {
				return fmt.Errorf("CA: %w", err)
			}
			ni.CA = ca.String()
		}
	}
	return nil
}

// parseSize parses a decimal uint64 as Nix's string2Int<uint64_t> (boost
// lexical_cast) does: an optional '+', then digits, nothing else.
func parseSize(s string) (uint64, error) {
	digits := strings.TrimPrefix(s, "+")
	if digits == "" || strings.TrimLeft(digits, "0123456789") != "" {
		return 0, fmt.Errorf("%q is not a decimal number", clip([]byte(s)))
	}
	n, err := strconv.ParseUint(digits, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is out of range", clip([]byte(s)))
	}
	return n, nil
}

// clip shortens b for an error message.
func clip(b []byte) string {
	const limit = 60
	if len(b) > limit {
		return string(b[:limit]) + "…"
	}
	return string(b)
}

func sortedSet(xs []string) []string {
	if len(xs) == 0 {
		return nil
	}
	xs = slices.Clone(xs)
	slices.Sort(xs)
	return slices.Compact(xs)
}

// MarshalText writes ni the way Nix 2.8's NarInfo::to_string does: fields
// in a fixed order, References always present (with a trailing space when
// empty), Deriver, System and CA only when set, one Sig line per
// signature, references and signatures sorted. It writes the values as
// they are; a NarInfo from Parse always reads back to an equal one. Nix
// asserts that FileHash is present; here a zero FileHash (and an empty
// Compression) is left out instead, and a zero NarHash is written empty.
func (ni *NarInfo) MarshalText() []byte {
	var b bytes.Buffer
	field := func(name, value string) {
		b.WriteString(name)
		b.WriteString(": ")
		b.WriteString(value)
		b.WriteByte('\n')
	}
	field("StorePath", ni.StorePath)
	field("URL", ni.URL)
	if ni.Compression != "" {
		field("Compression", ni.Compression)
	}
	if !ni.FileHash.IsZero() {
		field("FileHash", ni.FileHash.Encode(hash.Base32, true))
	}
	field("FileSize", strconv.FormatUint(ni.FileSize, 10))
	narHash := ""
	if !ni.NarHash.IsZero() {
		narHash = ni.NarHash.Encode(hash.Base32, true)
	}
	field("NarHash", narHash)
	field("NarSize", strconv.FormatUint(ni.NarSize, 10))
	field("References", strings.Join(sortedSet(ni.References), " "))
	if ni.Deriver != "" {
		field("Deriver", ni.Deriver)
	}
	if ni.System != "" {
		field("System", ni.System)
	}
	for _, sig := range sortedSet(ni.Sigs) {
		field("Sig", sig)
	}
	if ni.CA != "" {
		field("CA", ni.CA)
	}
	return b.Bytes()
}
