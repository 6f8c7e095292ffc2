// Package nar reads and writes Nix ARchives (NAR), the canonical serialisation of a file system tree that store paths are hashed over.
package nar
