// Package narinfo reads and writes binary-cache .narinfo files and signs and verifies them with Nix's Ed25519 keys (spec/store.md §5, §6).
package narinfo
