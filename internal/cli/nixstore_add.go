package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"

	"gonix/internal/cli/args"
	"gonix/internal/format/hash"
	"gonix/internal/format/storepath"
	"gonix/internal/store"
)

// nixBaseNameOf is Nix's baseNameOf: the last component, ignoring one
// trailing slash ("tree/" → "tree", "./tree/./" → ".").
func nixBaseNameOf(p string) string {
	if p == "" {
		return ""
	}
	last := len(p) - 1
	if p[last] == '/' && last > 0 {
		last--
	}
	for i := last; i >= 0; i-- {
		if p[i] == '/' {
			return p[i+1 : last+1]
		}
	}
	return p[:last+1]
}

// addPath copies the file system object at arg into the store the way
// opAdd and opAddFixed do: named after the argument's base name, read from
// its absolute path.
func (c *nixStoreCmd) addPath(arg string, method store.Method, algo hash.Algo) (string, error) {
	st, err := c.store()
	if err != nil {
		return "", err
	}
	src := c.absPath(arg)
	fi, err := os.Lstat(src)
	if err != nil {
		return "", fmt.Errorf("getting status of '%s': %s", src, errnoString(err))
	}
	if method == store.Flat && fi.IsDir() {
		// Nix reads the file through readFile: a directory fails in read().
		return "", fmt.Errorf("reading from file: %s", errnoString(syscall.EISDIR))
	}
	if !fi.Mode().IsRegular() && !fi.IsDir() && fi.Mode()&os.ModeSymlink == 0 {
		return "", fmt.Errorf("file '%s' has an unsupported type", src)
	}
	p, err := st.AddFixed(c.e.Ctx(), nixBaseNameOf(arg), src, method, algo)
	if err == nil {
		// The path is printed only once it is registered, as Nix does.
		err = st.Flush(c.e.Ctx())
	}
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			return "", narError(src, src, pe)
		}
		return "", err
	}
	return p, nil
}

// opAdd is nix-store --add: each path recursively, SHA-256.
func (c *nixStoreCmd) opAdd() error {
	if len(c.opFlags) > 0 {
		return args.Usagef("unknown flag")
	}
	for _, a := range c.opArgs {
		p, err := c.addPath(a, store.Recursive, hash.SHA256)
		if err != nil {
			return err
		}
		c.println(p)
	}
	return nil
}

// opAddFixed is nix-store --add-fixed [--recursive] ALGO PATHS.
func (c *nixStoreCmd) opAddFixed() error {
	method := store.Flat
	for _, f := range c.opFlags {
		if f != "--recursive" {
			return args.Usagef("unknown flag '%s'", f)
		}
		method = store.Recursive
	}
	if len(c.opArgs) == 0 {
		return args.Usagef("first argument must be hash algorithm")
	}
	algo, err := hash.ParseAlgo(c.opArgs[0])
	if err != nil {
		return args.Usagef("%s", err.Error())
	}
	for _, a := range c.opArgs[1:] {
		p, err := c.addPath(a, method, algo)
		if err != nil {
			return err
		}
		c.println(p)
	}
	return nil
}

// opPrintFixedPath is nix-store --print-fixed-path [--recursive] ALGO HASH
// NAME (nix-prefetch-url's cache lookup). It needs no files, only the store
// directory.
func (c *nixStoreCmd) opPrintFixedPath() error {
	recursive := false
	for _, f := range c.opFlags {
		if f != "--recursive" {
			return args.Usagef("unknown flag '%s'", f)
		}
		recursive = true
	}
	if len(c.opArgs) != 3 {
		return args.Usagef("'--print-fixed-path' requires three arguments")
	}
	algo, err := hash.ParseAlgo(c.opArgs[0])
	if err != nil {
		return args.Usagef("%s", err.Error())
	}
	h, err := hash.Parse(c.opArgs[1], algo)
	if err != nil {
		return err
	}
	st, err := c.store()
	if err != nil {
		return err
	}
	p, err := storepath.MakeFixedOutputPath(st.StoreDir(), c.opArgs[2], recursive, h, nil)
	if err != nil {
		return err
	}
	c.println(p)
	return nil
}

// println writes one line of results. Nix's
// --no-output only silences --realise, so every other operation prints.
func (c *nixStoreCmd) println(s string) {
	c.out.WriteString(s)
	c.out.WriteByte('\n')
}
