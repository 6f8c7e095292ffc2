// Package bootstrap holds the end-to-end test of gonixpkgs: GNU hello built
// from source through the Debian-seeded stage-0 toolchain in a fresh chroot
// store, then run (needs root and the network to a Debian mirror).
package bootstrap
