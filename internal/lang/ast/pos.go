package ast

import "fmt"

// Origin says where source text came from; it decides how positions print.
type Origin uint8

const (
	OriginFile   Origin = iota // a file; Path is absolute
	OriginString               // -E / --expr; prints as «string»
	OriginStdin                // "-"; prints as «stdin»
	OriginNone                 // built-in code without a readable source
)

// Source is one parsed text.
type Source struct {
	Origin Origin
	Path   string // absolute file name (OriginFile) or a virtual name
	Text   string // the whole source text
}

// Pos is a 1-based line/column position in a Source. The zero Pos means
// "no position".
type Pos struct {
	Src  *Source
	Line int32
	Col  int32
}

// IsValid reports whether p carries a position.
func (p Pos) IsValid() bool { return p.Src != nil && p.Line > 0 }

// FileName is the name Nix shows for the origin in `at ORIGIN:L:C:` lines.
func (p Pos) FileName() string {
	if p.Src == nil {
		return ""
	}
	switch p.Src.Origin {
	case OriginString:
		return "«string»"
	case OriginStdin:
		return "«stdin»"
	}
	return p.Src.Path
}

// PosFile is the `file` attribute of __curPos / unsafeGetAttrPos: the
// absolute file name, or for -E and stdin input the whole source text (a
// Nix 2.8 quirk).
func (p Pos) PosFile() string {
	if p.Src == nil {
		return ""
	}
	switch p.Src.Origin {
	case OriginString, OriginStdin:
		return p.Src.Text
	}
	return p.Src.Path
}

// ShortName is the form used inside messages such as "attribute 'x'
// already defined at (string):1:3" and "anonymous function at
// (string):1:2": `(string)` for -E and for stdin input alike (Nix 2.8
// prints "(string)" for both).
func (p Pos) ShortName() string {
	if p.Src == nil {
		return ""
	}
	switch p.Src.Origin {
	case OriginString, OriginStdin:
		return "(string)"
	}
	return p.Src.Path
}

// String renders p as FILE:LINE:COL with the ShortName form.
func (p Pos) String() string {
	if !p.IsValid() {
		return "undefined position"
	}
	return fmt.Sprintf("%s:%d:%d", p.ShortName(), p.Line, p.Col)
}
