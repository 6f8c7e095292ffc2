// Package build holds end-to-end tests of `gonix nix-build` with real
// sandboxed builds into chroot stores: a kill -9 in the middle of parallel
// builds, two concurrent builds of one graph, --keep-going, interoperation
// with Nix 2.8 on the same derivations, and the sandbox's network rules as
// a builder sees them. Run with -short for smaller graphs.
package build
