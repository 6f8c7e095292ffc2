package cli

import (
	"os"
	"runtime/debug"
	"runtime/pprof"
)

// tuneRuntime applies process-wide settings for a command-line run. Nix
// evaluation allocates many small, mostly long-lived values; collecting
// less often trades memory (we stay far below Nix 2.8's peak RSS) for a
// large cut in GC time. GOGC in the environment still wins.
func tuneRuntime() (stop func()) {
	if _, ok := os.LookupEnv("GOGC"); !ok {
		debug.SetGCPercent(400)
	}
	// Deep Nix recursion needs deep Go stacks; the evaluator's depth limit
	// turns runaway recursion into an error long before this.
	debug.SetMaxStack(2 << 30)
	stop = func() {}
	if p := os.Getenv("GONIX_CPUPROFILE"); p != "" {
		if f, err := os.Create(p); err == nil {
			if pprof.StartCPUProfile(f) == nil {
				stop = func() { pprof.StopCPUProfile(); f.Close() }
			}
		}
	}
	return stop
}
