package derivation

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"gonix/internal/format/storepath"
)

// Lookup returns the unmasked hashDerivationModulo (HashModulo) of the
// input derivation at drvPath. Callers memoise it per path, as Nix does;
// every output of a non-fixed derivation shares that one hash, and a
// fixed-output derivation has only "out".
type Lookup func(drvPath string) ([]byte, error)

// HashModulo is Nix 2.8's hashDerivationModulo(d, mask = false): the hash
// that stands for d when d is an input of another derivation
// (spec/store.md §3.6).
func HashModulo(d *Derivation, lookup Lookup) ([]byte, error) {
	return hashModulo(d, false, lookup)
}

// MaskedHashModulo is hashDerivationModulo(d, mask = true), the hash the
// output paths of an input-addressed derivation are made from.
func MaskedHashModulo(d *Derivation, lookup Lookup) ([]byte, error) {
	return hashModulo(d, true, lookup)
}

func hashModulo(d *Derivation, mask bool, lookup Lookup) ([]byte, error) {
	t, err := d.Type()
	if err != nil {
		return nil, err
	}
	switch t {
	case Fixed:
		// Only the output matters: two fixed-output derivations producing
		// the same path are interchangeable.
		o := d.Outputs["out"]
		s := "fixed:out:" + o.HashAlgo + ":" + o.Hash + ":" + o.Path
		sum := sha256.Sum256([]byte(s))
		return sum[:], nil
	case Impure:
		// Nix's impureOutputHash.
		sum := sha256.Sum256([]byte("impure"))
		return sum[:], nil
	}
	inputs := make(map[string][]string, len(d.InputDrvs))
	for p, outs := range d.InputDrvs {
		if lookup == nil {
			return nil, fmt.Errorf("hash derivation modulo: no way to look up input derivation '%s'", p)
		}
		h, err := lookup(p)
		if err != nil {
			return nil, fmt.Errorf("hash derivation modulo: input '%s': %w", p, err)
		}
		key := hex.EncodeToString(h)
		// Two inputs with the same hash share one entry; their output sets merge.
		if prev, ok := inputs[key]; ok {
			merged := append(slices.Clone(prev), outs...)
			slices.Sort(merged)
			outs = slices.Compact(merged)
		}
		inputs[key] = outs
	}
	sum := sha256.Sum256(d.appendATerm(nil, inputs, mask))
	return sum[:], nil
}

// FillOutputPaths does what derivationStrict does once the attributes are
// collected (spec/store.md §3.5 steps 8–9). d.Outputs must name the
// outputs. For a fixed-output derivation (the single output "out" with
// HashAlgo and Hash set) it computes the fixed path; otherwise it masks
// every output (empty path, env[o] = ""), hashes d modulo its inputs and
// sets each output's path, both in Outputs and in Env. drvName defaults
// to d.Name. Floating and impure outputs are left untouched.
func FillOutputPaths(storeDir, drvName string, d *Derivation, lookup Lookup) error {
	if drvName == "" {
		drvName = d.Name
	}
	if d.Env == nil {
		d.Env = map[string]string{}
	}
	if o, ok := d.Outputs["out"]; ok && len(d.Outputs) == 1 && o.IsFixed() {
		recursive, h, err := o.FixedHash()
		if err != nil {
			return fmt.Errorf("derivation '%s': %w", drvName, err)
		}
		p, err := storepath.MakeFixedOutputPath(storeDir, drvName, recursive, h, nil)
		if err != nil {
			return err
		}
		o.Path = p
		d.Outputs["out"] = o
		d.Env["out"] = p
		return nil
	}
	for name, o := range d.Outputs {
		if o.HashAlgo != "" {
			return nil // floating or impure: paths are not known in advance
		}
		d.Outputs[name] = Output{}
		d.Env[name] = ""
	}
	h, err := hashModulo(d, true, lookup)
	if err != nil {
		return fmt.Errorf("derivation '%s': %w", drvName, err)
	}
	for name := range d.Outputs {
		p, err := storepath.MakeOutputPath(storeDir, name, h, drvName)
		if err != nil {
			return err
		}
		d.Outputs[name] = Output{Path: p}
		d.Env[name] = p
	}
	return nil
}

// DrvPath is the store path of the .drv file of d: a text path named
// drvName + ".drv" whose references are d.References() (spec/store.md
// §3.7). aterm is d's ATerm (nil: it is computed). drvName defaults to
// d.Name.
func DrvPath(storeDir, drvName string, d *Derivation, aterm []byte) (string, error) {
	if drvName == "" {
		drvName = d.Name
	}
	if aterm == nil {
		aterm = d.MarshalATerm()
	}
	sum := sha256.Sum256(aterm)
	return storepath.MakeTextPath(storeDir, drvName+".drv", sum[:], d.References())
}

// NameFromDrvPath returns the derivation name of a .drv store path: the
// base name without its hash part and ".drv".
func NameFromDrvPath(drvPath string) (string, error) {
	base := drvPath[strings.LastIndexByte(drvPath, '/')+1:]
	_, name, err := storepath.ParseBaseName(base)
	if err != nil {
		return "", err
	}
	n, ok := strings.CutSuffix(name, ".drv")
	if !ok {
		return "", fmt.Errorf("'%s' is not a derivation", drvPath)
	}
	return n, nil
}
