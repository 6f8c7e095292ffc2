package timing

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestMedian(t *testing.T) {
	for _, c := range []struct {
		in   []float64
		want float64
	}{
		{nil, 0},
		{[]float64{3}, 3},
		{[]float64{5, 1, 3}, 3},
		{[]float64{4, 1, 3, 2}, 2.5},
	} {
		if got := Median(c.in); got != c.want {
			t.Errorf("Median(%v) = %v, want %v", c.in, got, c.want)
		}
	}
}

// TestRace: runs alternate, warm-ups are not timed, and a side whose
// output changes drops out with the failure in the report.
func TestRace(t *testing.T) {
	var log, errb bytes.Buffer
	a, b := &Side{Label: "a"}, &Side{Label: "b"}
	r := &Race{Runs: 2, Warmup: 1, Printed: "printed", Quiet: true, Stderr: &errb}
	r.Run(context.Background(), []*Side{a, b}, func(ctx context.Context, s *Side, n int) (Sample, []byte, error) {
		log.WriteString(s.Label)
		out := "same"
		if s == b && n == 6 {
			out = "other"
		}
		return Sample{Wall: time.Second, CPU: time.Second}, []byte(out), nil
	})
	if log.String() != "ababab" {
		t.Errorf("runs in order %q, want ababab", log.String())
	}
	if len(a.Samples) != 2 || len(b.Samples) != 1 {
		t.Errorf("timed %d and %d runs, want 2 and 1", len(a.Samples), len(b.Samples))
	}
	var w bytes.Buffer
	if Report(&w, a, b, 1, "") || !strings.Contains(w.String(), "verdict: FAIL: b: printed something else than on its first run") {
		t.Errorf("report:\n%s", w.String())
	}
	if !strings.Contains(errb.String(), "b: FAIL: printed something else") {
		t.Errorf("stderr: %s", errb.String())
	}
}

func TestSpreadStores(t *testing.T) {
	dir := t.TempDir()
	if err := SpreadStores(dir, true); err != nil {
		t.Skipf("no inode flags here: %v", err)
	}
	flags := func() uint32 {
		t.Helper()
		f, err := os.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		fl, err := unix.IoctlGetUint32(int(f.Fd()), unix.FS_IOC_GETFLAGS)
		if err != nil {
			t.Fatal(err)
		}
		return fl
	}
	if fl := flags(); fl&fsTopdirFL == 0 {
		t.Fatalf("flags %#x after SpreadStores(true): FS_TOPDIR_FL not set", fl)
	}
	if err := SpreadStores(dir, true); err != nil {
		t.Fatalf("second call: %v", err)
	}
	if err := SpreadStores(dir, false); err != nil {
		t.Fatal(err)
	}
	if fl := flags(); fl&fsTopdirFL != 0 {
		t.Fatalf("flags %#x after SpreadStores(false): FS_TOPDIR_FL still set", fl)
	}
}
