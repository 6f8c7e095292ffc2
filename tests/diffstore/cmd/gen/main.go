// Command gen writes the diffstore package set into a directory (created
// if missing) and prints what it wrote to stderr.
//
//	go run ./tests/diffstore/cmd/gen [-seed N] DIR
package main

import (
	"flag"
	"fmt"
	"os"

	"gonix/tests/diffstore"
)

func main() {
	seed := flag.Uint64("seed", diffstore.DefaultSeed, "generator seed")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: gen [-seed N] DIR")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	dir := flag.Arg(0)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	st, err := diffstore.Generate(dir, *seed)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	fmt.Fprintln(os.Stderr, "gen:", st)
}
