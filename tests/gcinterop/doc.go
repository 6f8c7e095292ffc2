// Package gcinterop checks that gonix and Nix 2.8 agree on garbage
// collection roots when they share one store: gonix's `nix-store --gc`
// keeps every path that Nix 2.8's profiles, indirect roots, gcroots links
// and `result` links hold, and Nix 2.8's collector keeps gonix's. Each
// scenario runs in a private mount namespace with an empty tmpfs /nix, so
// both tools use an ordinary-looking /nix and the machine's is untouched.
//
// It needs root, unshare and Nix 2.8 on PATH: without them it skips, except
// under CI=true, where it fails.
package gcinterop
