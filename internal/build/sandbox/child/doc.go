// Package child is the build sandbox's namespaced child: it reads a spec
// from its parent, mounts the sandbox in its own namespaces, pivots into
// it and executes the builder. It imports nothing of gonix, so that the
// small gonix-sandbox program, which only runs it, starts fast.
package child
