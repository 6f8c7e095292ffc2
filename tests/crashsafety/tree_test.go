package crashsafety

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
)

// treeSpec describes a generated tree: a few large files, many small ones
// in nested directories, executables, symlinks and empty entries — every
// kind of NAR entry, in a volume that makes an add take long enough to be
// interrupted in each of its phases.
type treeSpec struct {
	seed       uint64
	large      []int // sizes of the large files in bytes
	dirs       int   // directories holding the small files
	smallFiles int   // small files spread over dirs
	smallMax   int   // a small file has 0..smallMax bytes
}

// genTree writes the tree described by spec at dir (which must not exist).
// The same spec always gives the same NAR.
func genTree(dir string, spec treeSpec) (files int, bytes int64, err error) {
	rng := rand.New(rand.NewPCG(spec.seed, spec.seed^0x9e3779b97f4a7c15))
	var key [32]byte
	for i := range key {
		key[i] = byte(rng.Uint32())
	}
	data := rand.NewChaCha8(key)
	write := func(p string, n int, mode os.FileMode) error {
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
		if err != nil {
			return fmt.Errorf("generate tree: %w", err)
		}
		buf := make([]byte, 1<<20)
		for left := n; left > 0; {
			k := min(left, len(buf))
			data.Read(buf[:k])
			if _, err := f.Write(buf[:k]); err != nil {
				f.Close()
				return fmt.Errorf("generate tree: %w", err)
			}
			left -= k
		}
		if err := f.Close(); err != nil {
			return fmt.Errorf("generate tree: %w", err)
		}
		// The umask must not decide the executable bit.
		if err := os.Chmod(p, mode); err != nil {
			return fmt.Errorf("generate tree: %w", err)
		}
		files++
		bytes += int64(n)
		return nil
	}
	mkdir := func(p string) error {
		if err := os.Mkdir(p, 0o755); err != nil {
			return fmt.Errorf("generate tree: %w", err)
		}
		return nil
	}
	if err := mkdir(dir); err != nil {
		return 0, 0, err
	}
	for _, d := range []string{"lib", "bin", "share", "share/empty"} {
		if err := mkdir(filepath.Join(dir, d)); err != nil {
			return 0, 0, err
		}
	}
	for i, n := range spec.large {
		mode := os.FileMode(0o644)
		if i%2 == 1 {
			mode = 0o755
		}
		if err := write(filepath.Join(dir, "lib", fmt.Sprintf("blob%d.so", i)), n, mode); err != nil {
			return 0, 0, err
		}
	}
	// Nested directories: share/d0, share/d0/d3, … so that the tree has depth.
	dirs := []string{filepath.Join(dir, "share")}
	for i := 0; i < spec.dirs; i++ {
		parent := dirs[rng.IntN(len(dirs))]
		d := filepath.Join(parent, fmt.Sprintf("d%d", i))
		if err := mkdir(d); err != nil {
			return 0, 0, err
		}
		dirs = append(dirs, d)
	}
	for i := 0; i < spec.smallFiles; i++ {
		d := dirs[1+rng.IntN(len(dirs)-1)]
		n := rng.IntN(spec.smallMax + 1)
		if i%50 == 0 {
			n = 0
		}
		mode := os.FileMode(0o644)
		if i%7 == 0 {
			mode = 0o755
		}
		p := filepath.Join(d, fmt.Sprintf("f%d", i))
		if err := write(p, n, mode); err != nil {
			return 0, 0, err
		}
		switch i % 23 {
		case 0: // a relative link to a file next to it
			err = os.Symlink(fmt.Sprintf("f%d", i), filepath.Join(d, fmt.Sprintf("l%d", i)))
		case 5: // an absolute link that dangles
			err = os.Symlink(fmt.Sprintf("/nonexistent/%d", i), filepath.Join(d, fmt.Sprintf("l%d", i)))
		case 11: // a link to a directory
			err = os.Symlink("../../bin", filepath.Join(d, fmt.Sprintf("l%d", i)))
		}
		if err != nil {
			return 0, 0, fmt.Errorf("generate tree: %w", err)
		}
	}
	if err := write(filepath.Join(dir, "bin", "run"), 4096, 0o755); err != nil {
		return 0, 0, err
	}
	if err := os.Symlink("run", filepath.Join(dir, "bin", "run-link")); err != nil {
		return 0, 0, fmt.Errorf("generate tree: %w", err)
	}
	return files, bytes, nil
}
