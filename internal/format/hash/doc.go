// Package hash implements Nix's hash algorithms and the textual hash forms (base16, nixbase32, base64, SRI) with Nix 2.8's parsing rules.
package hash
