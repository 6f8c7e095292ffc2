package cli

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"runtime/pprof"
)

// tuneRuntime applies process-wide settings for a command-line run.
//
// Nix evaluation allocates many small values. Like Nix 2.8, which does
// not collect until its initial heap (384 MiB) is used up, gonix starts
// its first collection only when the heap nears initialHeap: most
// evaluations finish before that, and collecting while the live heap is
// still growing mostly re-marks what stays live. From then on the GC
// percent is set after every collection (see gcTuner): high while the
// live heap is small, lower as it grows. GOGC in the environment
// disables this.
func tuneRuntime() (stop func()) {
	if _, ok := os.LookupEnv("GOGC"); !ok {
		// the runtime's smallest heap goal is 4 MiB × percent/100
		p := initialHeap / (4 << 20) * 100
		debug.SetGCPercent(p)
		armGCTuner(&gcTuner{percent: p})
	}
	// Allocation sampling for the memory profile records a stack trace
	// every 512 KiB allocated; evaluation stacks are hundreds of frames
	// deep, which made it 2 % of all instructions. Off unless asked for.
	if os.Getenv("GONIX_MEMPROFILE") == "" {
		runtime.MemProfileRate = 0
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
	if p := os.Getenv("GONIX_MEMPROFILE"); p != "" {
		prev := stop
		stop = func() {
			prev()
			if f, err := os.Create(p); err == nil {
				runtime.GC()
				pprof.Lookup("allocs").WriteTo(f, 0)
				f.Close()
			}
		}
	}
	return stop
}

// initialHeap is the heap goal of the first collection, below Nix's
// 384 MiB. It was 160 MiB while fromJSON built an intermediate tree and
// bench/lang's json workload needed a collection to stay within 1.5 × Nix's
// peak RSS; it allocates 114 MB in all now. At 320 MiB the module-system
// workload (about 250 MB) runs without a collection, as under Nix.
const initialHeap = 320 << 20

// gcPercentFor gives the GC percent for a live heap of live bytes: 400
// up to 64 MiB live, then falling so that the heap limit stays near
// live + 256 MiB, but never below 50.
func gcPercentFor(live uint64) int {
	const small = 64 << 20
	if live <= small {
		return 400
	}
	p := int(uint64(256<<20) * 100 / live)
	return max(50, min(400, p))
}

// gcTuner re-arms itself through a finalizer, which the runtime runs
// after each garbage collection that found it unreachable.
type gcTuner struct {
	percent int
	sample  [1]metrics.Sample
}

func armGCTuner(t *gcTuner) {
	t.sample[0].Name = "/gc/heap/live:bytes"
	runtime.SetFinalizer(t, func(t *gcTuner) {
		metrics.Read(t.sample[:])
		if t.sample[0].Value.Kind() == metrics.KindUint64 {
			if p := gcPercentFor(t.sample[0].Value.Uint64()); p != t.percent {
				t.percent = p
				debug.SetGCPercent(p)
			}
		}
		armGCTuner(t)
	})
}
