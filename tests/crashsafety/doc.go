// Package crashsafety holds the local store's crash-safety test (DESIGN.md,
// promise 4): it kills `gonix nix-store --add` of a large generated tree,
// and `gonix nix-store --import` of export streams, with SIGKILL at random
// moments, then checks with the store library that the database is intact,
// that every valid path is complete, canonical and matches its registered
// NAR hash, and that the next run succeeds.
//
// GONIX_CRASH_TRIALS (default 50, 5 with -short) and
// GONIX_CRASH_IMPORT_TRIALS (default 20, 3 with -short) set the number of
// trials; GONIX_CRASH_SEED replays a logged run; GONIX_CRASH_GONIX tests a
// prebuilt binary instead of building gonix/cmd/gonix.
package crashsafety
