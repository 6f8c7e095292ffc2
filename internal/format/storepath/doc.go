// Package storepath computes and parses Nix store paths (storeDir/hash-name) exactly as Nix 2.8 does, including its name rules and error texts.
package storepath
