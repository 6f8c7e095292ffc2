// Package diffstore is the differential store test: a generated package
// set of 2,307 derivations (Generate, seeded) is instantiated by real Nix
// 2.8 and by gonix into two fresh chroot stores, and the results must be
// identical: the .drv paths printed, every .drv file byte for byte, the
// set of store paths (toFile results and copied sources included) with
// their contents, the output paths, and the database as Nix's own
// `nix-store --dump-db` reads it from each store. A second sub-test needs
// no store writes: drvPath and outPath of every derivation through
// `--eval --strict --json` (Nix with --readonly-mode).
//
//	go test ./tests/diffstore            # builds gonix into a temporary directory
//	GONIX_DIFF_GONIX=/path/to/gonix go test ./tests/diffstore
//	go run ./tests/diffstore/cmd/gen DIR # the set alone (also used by bench/instantiate)
//
// Without Nix 2.8 on PATH the test skips, except under CI=true, where it fails.
package diffstore
