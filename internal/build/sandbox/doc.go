// Package sandbox runs a builder the way Nix 2.8 does on Linux: in user,
// mount, PID, IPC, UTS and (except for fixed-output derivations) network
// namespaces, inside a chroot assembled from the input closure, with its
// output read through a pseudo-terminal (spec/store.md §10.4, §10.5).
//
// The namespaced child is package child's Main, run by gonix-sandbox
// (cmd/gonix-sandbox) when that program is installed beside the running
// one, or else by this program itself, re-executed through /proc/self/exe
// with ChildArg as its first argument: the command's main must hand such
// a run to ChildMain before doing anything else; so must the TestMain of
// any test binary that runs builds:
//
//	if len(os.Args) > 1 && os.Args[1] == sandbox.ChildArg {
//		os.Exit(sandbox.ChildMain(os.Args[2:]))
//	}
//
// The parent only creates the sandbox's store and /tmp on disk; the rest
// of the root is a tmpfs the child makes, and every mount happens in the
// child's private mount namespace and vanishes with it.
package sandbox
