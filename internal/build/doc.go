// Package build realises derivations: it prepares each build (environment,
// build directory), runs the builder through a Runner (sandboxed or not),
// checks and registers the outputs, and schedules a closure of builds.
package build
