package cli

import (
	"context"
	"io"
)

// Env is everything a command may touch of its process, passed explicitly so
// that commands hold no global state and tests can run them in parallel.
type Env struct {
	// Context is cancelled when the command should stop (an interrupt).
	Context context.Context
	Stdin   io.Reader
	Stdout  io.Writer
	Stderr  io.Writer
	// LookupEnv reads an environment variable, like os.LookupEnv.
	LookupEnv func(name string) (string, bool)
	// Dir is the absolute working directory; empty if it could not be read.
	Dir string
	// Prefault: the first evaluator of the process starts touching the
	// heap's fresh pages from a second thread (startPrefault). Only the
	// process's own command sets it, not commands run in tests.
	Prefault bool
}

// Ctx returns e.Context, or context.Background() when it is nil.
func (e *Env) Ctx() context.Context {
	if e.Context == nil {
		return context.Background()
	}
	return e.Context
}

// Getenv returns an environment variable's value, "" when unset.
func (e *Env) Getenv(name string) string {
	if e.LookupEnv == nil {
		return ""
	}
	v, _ := e.LookupEnv(name)
	return v
}
