// Package subst queries an ordered set of substituters (binary caches) for store paths and copies paths from them into a local store, as Nix 2.8's substitution goals do.
package subst
