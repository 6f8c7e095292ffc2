// Package testutil finds what tests need from outside the repository (the Nix 2.8 oracle, the spec vectors), skipping locally and failing under CI=true when it is missing.
package testutil
