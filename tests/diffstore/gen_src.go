package diffstore

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Source tree sizes.
const (
	nFiles = 30 // src/files/f-N.txt (plain), every 7th with a UTF-8 name part
	nBins  = 10 // src/bin/run-N.sh (executable)
	nDirs  = 20 // src/dirs/d-N: nested trees with executables, symlinks, junk to filter
)

// sources writes src/ and remembers the path literals that name its parts.
func (g *gen) sources() error {
	for i := 0; i < nFiles; i++ {
		rel := fmt.Sprintf("src/files/f-%d.txt", i)
		if err := g.writeFile(rel, g.text(1+g.rng.IntN(40)), 0o644); err != nil {
			return err
		}
		g.files = append(g.files, "./"+rel)
	}
	for i := 0; i < nBins; i++ {
		rel := fmt.Sprintf("src/bin/run-%d.sh", i)
		if err := g.writeFile(rel, "#!/bin/sh\necho run "+g.word()+"\n", 0o755); err != nil {
			return err
		}
		g.bins = append(g.bins, "./"+rel)
	}
	if err := g.writeFile("src/builder.sh", "#!/bin/sh\necho \"$out\" > /dev/null\n", 0o755); err != nil {
		return err
	}
	for i := 0; i < nDirs; i++ {
		rel := fmt.Sprintf("src/dirs/d-%d", i)
		if err := g.tree(rel, i); err != nil {
			return err
		}
		g.dirs = append(g.dirs, "./"+rel)
	}
	return g.count()
}

// count fills the source counts of g.stats from what is under src/.
func (g *gen) count() error {
	root := filepath.Join(g.dir, "src")
	return filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		switch {
		case err != nil:
			return err
		case p == root:
		case d.Type()&os.ModeSymlink != 0:
			g.stats.Symlinks++
		case d.IsDir():
			g.stats.SourceDirs++
		default:
			g.stats.SourceFiles++
		}
		return nil
	})
}

// tree writes one source directory. Every tree has the entries the filters
// in the package set look at: *.tmp files, a "drop" file, a "sub" directory,
// symlinks (relative, to a directory, dangling), an executable, an empty
// directory and a dot file; binary content in some.
func (g *gen) tree(rel string, i int) error {
	if err := g.mkdir(rel); err != nil {
		return err
	}
	files := map[string]string{
		"README":                  g.text(3),
		"a.txt":                   g.text(5),
		"junk.tmp":                g.text(1),
		"drop":                    "dropped by a filter\n",
		".hidden":                 "dot file\n",
		"sub/b.txt":               g.text(2),
		"sub/deeper/c.bin":        g.binary(64 + i),
		"sub/deeper/more.tmp":     g.text(1),
		"sub/deeper/deepest/d.md": "# " + g.word() + "\n",
	}
	for j := 0; j < i%4; j++ {
		files[fmt.Sprintf("extra/x-%d.txt", j)] = g.text(1)
	}
	for name, data := range files {
		if err := g.writeFile(rel+"/"+name, data, 0o644); err != nil {
			return err
		}
	}
	if err := g.writeFile(rel+"/tool.sh", "#!/bin/sh\nexit 0\n", 0o755); err != nil {
		return err
	}
	if err := g.mkdir(rel + "/empty"); err != nil {
		return err
	}
	links := map[string]string{
		"link-a":            "a.txt",
		"link-sub":          "sub",
		"dangling":          "does-not-exist-" + g.word(),
		"sub/deeper/up":     "../../a.txt",
		"sub/absolute-link": "/etc/hostname-not-followed",
	}
	for name, target := range links {
		p := filepath.Join(g.dir, rel, name)
		if err := os.Symlink(target, p); err != nil {
			return fmt.Errorf("symlink %s: %w", p, err)
		}
	}
	return nil
}

func (g *gen) mkdir(rel string) error {
	p := filepath.Join(g.dir, rel)
	if _, err := os.Stat(p); err == nil {
		return nil
	}
	if err := os.MkdirAll(p, 0o755); err != nil {
		return fmt.Errorf("mkdir %s: %w", p, err)
	}
	return nil
}

func (g *gen) writeFile(rel, data string, mode os.FileMode) error {
	p := filepath.Join(g.dir, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("mkdir %s: %w", filepath.Dir(p), err)
	}
	if err := os.WriteFile(p, []byte(data), mode); err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	// WriteFile's mode is filtered by the umask; the executable bit matters.
	if err := os.Chmod(p, mode); err != nil {
		return fmt.Errorf("chmod %s: %w", p, err)
	}
	return nil
}

// text returns n lines of words, with some UTF-8.
func (g *gen) text(n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		for j := 0; j < 1+g.rng.IntN(8); j++ {
			if j > 0 {
				b.WriteByte(' ')
			}
			if g.rng.IntN(10) == 0 {
				b.WriteString("grüße-日本")
			} else {
				b.WriteString(g.word())
			}
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func (g *gen) binary(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(g.rng.IntN(256))
	}
	return string(b)
}
