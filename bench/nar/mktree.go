package main

import (
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
)

// makeTree writes a deterministic tree whose file contents add up to about
// size bytes, shaped like a store path with many packages: a few large
// files (40% of the bytes), medium files of 256 KiB–4 MiB (30%), small files
// of 8–128 KiB (20%) and tiny files of 0–8 KiB (10%, the bulk of the file
// count), spread over nested package directories (bin/ holds executables,
// lib/, share/doc/NAME/, include/NAME/sub/), with symlinks beside about one
// file in twenty and a few empty files and directories.
func makeTree(dir string, size int64, log io.Writer) error {
	if err := os.Mkdir(dir, 0o755); err != nil {
		return fmt.Errorf("mktree: %w", err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	content := rand.NewChaCha8([32]byte{'g', 'o', 'n', 'i', 'x'})
	buf := make([]byte, 1<<20)
	var files, links, dirs int
	var written int64

	write := func(p string, n int64, exec bool) error {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		mode := os.FileMode(0o644)
		if exec {
			mode = 0o755
		}
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
		if err != nil {
			return err
		}
		for left := n; left > 0; {
			k := min(left, int64(len(buf)))
			content.Read(buf[:k])
			if _, err := f.Write(buf[:k]); err != nil {
				f.Close()
				return err
			}
			left -= k
		}
		if err := f.Close(); err != nil {
			return err
		}
		// Explicit chmod: the umask must not decide the executable bit.
		if err := os.Chmod(p, mode); err != nil {
			return err
		}
		files++
		written += n
		if rng.IntN(20) == 0 {
			links++
			return os.Symlink(filepath.Base(p), fmt.Sprintf("%s.link%d", p, links))
		}
		return nil
	}

	// place returns a path for the i-th file of a class inside the
	// package directories.
	place := func(class string, i int) (string, bool) {
		pkg := filepath.Join(dir, fmt.Sprintf("pkg%03d", rng.IntN(64)))
		switch rng.IntN(5) {
		case 0:
			return filepath.Join(pkg, "bin", fmt.Sprintf("%s-%d", class, i)), true
		case 1:
			return filepath.Join(pkg, "lib", fmt.Sprintf("lib%s%d.so", class, i)), false
		case 2:
			return filepath.Join(pkg, "share", "doc", fmt.Sprintf("d%d", rng.IntN(8)), fmt.Sprintf("%s%d.txt", class, i)), false
		case 3:
			return filepath.Join(pkg, "include", fmt.Sprintf("i%d", rng.IntN(4)), fmt.Sprintf("s%d", rng.IntN(4)), fmt.Sprintf("%s%d.h", class, i)), false
		}
		return filepath.Join(pkg, fmt.Sprintf("%s%d", class, i)), false
	}

	large := []int64{size * 16 / 100, size * 12 / 100, size * 8 / 100, size * 4 / 100}
	for i, n := range large {
		if err := write(filepath.Join(dir, "big", fmt.Sprintf("blob%d.tar", i)), n, false); err != nil {
			return fmt.Errorf("mktree: %w", err)
		}
	}
	classes := []struct {
		name     string
		share    int64 // percent of size
		min, max int64
	}{
		{"medium", 30, 256 << 10, 4 << 20},
		{"small", 20, 8 << 10, 128 << 10},
		{"tiny", 10, 0, 8 << 10},
	}
	for _, c := range classes {
		budget := size * c.share / 100
		for i := 0; budget > 0; i++ {
			n := min(c.min+rng.Int64N(c.max-c.min+1), budget)
			p, exec := place(c.name, i)
			if err := write(p, n, exec); err != nil {
				return fmt.Errorf("mktree: %w", err)
			}
			budget -= n
			if budget == 0 {
				break
			}
		}
	}
	for i := 0; i < 16; i++ {
		if err := os.MkdirAll(filepath.Join(dir, fmt.Sprintf("pkg%03d", i), "empty", fmt.Sprintf("e%d", i)), 0o755); err != nil {
			return fmt.Errorf("mktree: %w", err)
		}
		dirs++
		if err := write(filepath.Join(dir, fmt.Sprintf("pkg%03d", i), "empty-file"), 0, false); err != nil {
			return fmt.Errorf("mktree: %w", err)
		}
	}
	fmt.Fprintf(log, "mktree: %s: %d files (%d bytes), %d symlinks, %d empty directories\n", dir, files, written, links, dirs)
	return nil
}
