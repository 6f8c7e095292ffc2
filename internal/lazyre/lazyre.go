package lazyre

import (
	"regexp"
	"sync"
)

// New returns a function that compiles expr the first time it is called
// (panicking, as regexp.MustCompile does, if expr is invalid) and returns
// the same *regexp.Regexp from then on. One binary links every command;
// compiling every pattern at program start made each run pay for all of
// them (0.1 ms of a 3 ms start).
func New(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}
