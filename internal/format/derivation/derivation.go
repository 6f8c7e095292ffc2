package derivation

import (
	"errors"
	"slices"
	"strings"

	"gonix/internal/format/hash"
)

// Derivation is a store derivation (spec/store.md §3).
type Derivation struct {
	// Outputs maps output names to their entry.
	Outputs map[string]Output
	// InputDrvs maps input .drv paths to the outputs used from each.
	InputDrvs map[string][]string
	// InputSrcs are the input sources (store paths). MarshalATerm sorts
	// and deduplicates them.
	InputSrcs []string
	Platform  string
	Builder   string
	Args      []string
	Env       map[string]string
	// Name is the derivation name (the .drv file's name without ".drv"). It
	// is not part of the ATerm; FillOutputPaths and DrvPath use it when
	// given no name.
	Name string
}

// Output is one output entry. Its forms are listed in spec/store.md §3.4:
// input-addressed (Path only), fixed (Path, HashAlgo "[r:]algo", Hash in
// base16), floating CA (HashAlgo only), deferred (all empty) and impure
// (HashAlgo, Hash "impure").
type Output struct {
	Path     string
	HashAlgo string
	Hash     string
}

// IsFixed reports whether o is a fixed (content-addressed with known
// hash) output.
func (o Output) IsFixed() bool { return o.HashAlgo != "" && o.Hash != "" && o.Hash != "impure" }

// FixedHash returns whether o is recursive and its content hash. It fails
// if o is not a fixed output or its fields are malformed.
func (o Output) FixedHash() (recursive bool, h hash.Hash, err error) {
	if !o.IsFixed() {
		return false, hash.Hash{}, errors.New("not a fixed output")
	}
	algoName, recursive := strings.CutPrefix(o.HashAlgo, "r:")
	a, err := hash.ParseAlgo(algoName)
	if err != nil {
		return false, hash.Hash{}, err
	}
	h, err = hash.ParseNonSRIUnprefixed(o.Hash, a)
	return recursive, h, err
}

// Type is the kind of a derivation, determined by its outputs.
type Type uint8

// The derivation types of Nix 2.8 (BasicDerivation::type).
const (
	InputAddressed Type = iota + 1
	Deferred            // input-addressed, output paths not known yet
	Fixed               // a fixed-output derivation
	Floating            // floating content-addressed (experimental)
	Impure              // impure (experimental)
)

// Type classifies d as Nix's BasicDerivation::type does; all outputs must
// be of one kind, and a fixed-output derivation has the single output
// "out".
func (d *Derivation) Type() (Type, error) {
	if len(d.Outputs) == 0 {
		return 0, errors.New("must have at least one output")
	}
	var t Type
	var floatingAlgo string
	for name, o := range d.Outputs {
		var ot Type
		switch {
		case o.HashAlgo == "" && o.Path == "":
			ot = Deferred
		case o.HashAlgo == "":
			ot = InputAddressed
		case o.Hash == "impure":
			ot = Impure
		case o.Hash != "":
			ot = Fixed
		default:
			ot = Floating
			a := strings.TrimPrefix(o.HashAlgo, "r:")
			if floatingAlgo != "" && floatingAlgo != a {
				return 0, errors.New("all floating outputs must use the same hash type")
			}
			floatingAlgo = a
		}
		if t != 0 && t != ot {
			return 0, errors.New("can't mix derivation output types")
		}
		t = ot
		if ot == Fixed && name != "out" {
			if len(d.Outputs) > 1 {
				return 0, errors.New("only one fixed output is allowed for now")
			}
			return 0, errors.New(`single fixed output must be named "out"`)
		}
	}
	if t == Fixed && len(d.Outputs) > 1 {
		return 0, errors.New("only one fixed output is allowed for now")
	}
	return t, nil
}

// IsBuiltin reports whether the builder is a builtin ("builtin:...").
func (d *Derivation) IsBuiltin() bool { return strings.HasPrefix(d.Builder, "builtin:") }

// References returns the references of the .drv file: InputSrcs and the
// keys of InputDrvs, sorted and deduplicated (spec/store.md §3.7).
func (d *Derivation) References() []string {
	refs := make([]string, 0, len(d.InputSrcs)+len(d.InputDrvs))
	refs = append(refs, d.InputSrcs...)
	for p := range d.InputDrvs {
		refs = append(refs, p)
	}
	slices.Sort(refs)
	return slices.Compact(refs)
}

// OutputNames returns the output names in sorted order.
func (d *Derivation) OutputNames() []string {
	names := make([]string, 0, len(d.Outputs))
	for n := range d.Outputs {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// parseMethodAlgo checks "[r:]<algo>".
func parseMethodAlgo(s string) (hash.Algo, error) {
	return hash.ParseAlgo(strings.TrimPrefix(s, "r:"))
}
