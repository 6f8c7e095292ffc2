// Package gcsafety checks promise 4 of DESIGN.md under concurrency: garbage
// collections (`nix-store --gc`, `nix-collect-garbage`) running while other
// gonix processes add paths and build derivations into the same store never
// delete a path that is being added or built, nor one that is rooted.
package gcsafety
