// Package serve is an HTTP binary cache in front of a local store (gonix serve, as nix-serve).
package serve
