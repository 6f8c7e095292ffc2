// Package derivation reads and writes Nix 2.8 derivations in their ATerm (.drv) form and computes hashDerivationModulo, output paths and .drv paths.
package derivation
