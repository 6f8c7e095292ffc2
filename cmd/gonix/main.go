// Command gonix is Nix and NixOS re-built in Go: one multi-call binary.
package main

import (
	"os"

	"gonix/internal/cli"
)

func main() { os.Exit(cli.Main(os.Args)) }
