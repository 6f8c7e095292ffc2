// Package args parses command lines with Nix 2.8's grammar for the classic commands.
package args
