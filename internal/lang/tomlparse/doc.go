// Package tomlparse decodes TOML documents as Nix 2.8's builtins.fromTOML does, into jsonparse's value tree.
package tomlparse
