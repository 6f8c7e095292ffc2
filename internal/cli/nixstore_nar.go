package cli

import (
	"bufio"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"

	"gonix/internal/cli/args"
	"gonix/internal/format/export"
	"gonix/internal/format/hash"
	"gonix/internal/format/nar"
	"gonix/internal/store"
)

// opDump is nix-store --dump PATH: the NAR of any path, in the store or
// not, on stdout. It opens no store.
func (c *nixStoreCmd) opDump() error {
	if len(c.opFlags) > 0 {
		return args.Usagef("unknown flag")
	}
	if len(c.opArgs) != 1 {
		return args.Usagef("only one argument allowed")
	}
	arg := c.opArgs[0]
	abs := c.absPath(arg)
	if _, err := os.Lstat(abs); err != nil {
		// Nix streams: the archive's magic is out before the path is
		// looked at.
		c.out.WriteString(narMagic)
		return fmt.Errorf("getting status of '%s': %s", arg, errnoString(err))
	}
	if err := nar.Dump(c.out, abs, nil); err != nil {
		return narError(arg, abs, err)
	}
	return nil
}

// narMagic is the first token of every archive, "nix-archive-1" as a
// length-prefixed, padded string.
const narMagic = "\x0d\x00\x00\x00\x00\x00\x00\x00nix-archive-1\x00\x00\x00"

// opRestore is nix-store --restore PATH: unpack the NAR on stdin at PATH.
// The NAR reader refuses anything a canonical archive cannot contain (".."
// or "/" in names, unsorted or duplicate entries, absurd lengths), and
// every entry is created below PATH without following symlinks, so a
// hostile archive can never write outside PATH.
func (c *nixStoreCmd) opRestore() error {
	if len(c.opFlags) > 0 {
		return args.Usagef("unknown flag")
	}
	if len(c.opArgs) != 1 {
		return args.Usagef("only one argument allowed")
	}
	target := c.absPath(c.opArgs[0])
	if err := nar.Restore(bufio.NewReader(c.e.Stdin), target); err != nil {
		return restoreError(c.opArgs[0], target, err)
	}
	return nil
}

// restoreError words a restore failure like Nix: the target spelt as
// typed and the system error as strerror says it ("creating directory
// 'r1': File exists"). Archive errors keep the reader's wording.
func restoreError(arg, abs string, err error) error {
	msg := err.Error()
	var errno syscall.Errno
	if errors.As(err, &errno) {
		msg = strings.Replace(msg, errno.Error(), errnoString(errno), 1)
	}
	msg = strings.ReplaceAll(msg, "'"+abs, "'"+arg)
	return &rewordedError{msg: msg, err: err}
}

// rewordedError is err with Nix's wording.
type rewordedError struct {
	msg string
	err error
}

func (e *rewordedError) Error() string { return e.msg }
func (e *rewordedError) Unwrap() error { return e.err }

// opExport is nix-store --export PATHS: the paths (not their closure),
// references first, as Nix's exportPaths orders them.
func (c *nixStoreCmd) opExport() error {
	for _, f := range c.opFlags {
		return args.Usagef("unknown flag '%s'", f)
	}
	st, err := c.store()
	if err != nil {
		return err
	}
	ctx := c.e.Ctx()
	set := map[string]bool{}
	var paths []string
	for _, a := range c.opArgs {
		p, err := c.followLinksToStorePath(a)
		if err != nil {
			return err
		}
		if !set[p] {
			set[p] = true
			paths = append(paths, p)
		}
	}
	sorted, err := store.TopoSort(ctx, st, paths)
	if err != nil {
		return err
	}
	w := export.NewWriter(c.out, st.StoreDir())
	for i := len(sorted) - 1; i >= 0; i-- {
		p := sorted[i]
		info, err := st.QueryPathInfo(ctx, p)
		if err != nil {
			return err
		}
		if err := c.exportPath(w, st, info); err != nil {
			return err
		}
	}
	return w.Close()
}

// exportPath writes one path, refusing one whose contents no longer match
// its registered NAR hash (Nix: "so corruption does not spread").
func (c *nixStoreCmd) exportPath(w *export.Writer, st store.Store, info *store.PathInfo) error {
	pr, pw := io.Pipe()
	h := sha256.New()
	done := make(chan error, 1)
	go func() {
		err := st.DumpPath(c.e.Ctx(), info.Path, io.MultiWriter(pw, h))
		pw.CloseWithError(err)
		done <- err
	}()
	werr := w.WritePath(export.Entry{Path: info.Path, References: info.References, Deriver: info.Deriver}, pr)
	pr.CloseWithError(errors.New("export stopped"))
	derr := <-done
	if derr != nil {
		return derr
	}
	if werr != nil {
		return werr
	}
	got := hash.Hash{Algo: hash.SHA256, Digest: h.Sum(nil)}
	if info.NarHash.Algo != 0 && !info.NarHash.Equal(got) && !info.NarHash.Equal(hash.Zero(info.NarHash.Algo)) {
		return fmt.Errorf("hash of path '%s' has changed from '%s' to '%s'!",
			info.Path, info.NarHash.Encode(hash.Base32, true), got.Encode(hash.Base32, true))
	}
	return nil
}

// opImport is nix-store --import: register the paths of an export stream
// read from stdin and print them. Each NAR is checked by the export reader
// while it is spooled to a temporary file (its metadata follows it in the
// stream), then restored and registered by the store's AddNAR, which checks
// it again; a path already valid is skipped, as in Nix.
func (c *nixStoreCmd) opImport() error {
	for _, f := range c.opFlags {
		return args.Usagef("unknown flag '%s'", f)
	}
	if len(c.opArgs) > 0 {
		return args.Usagef("no arguments expected")
	}
	st, err := c.store()
	if err != nil {
		return err
	}
	ctx := c.e.Ctx()
	spool, err := os.CreateTemp("", "gonix-import-*.nar")
	if err != nil {
		return fmt.Errorf("creating a temporary file for the import: %w", err)
	}
	// Unlinked at once: a killed import leaves no spool file behind.
	os.Remove(spool.Name())
	defer spool.Close()

	// Like Nix, the imported paths are printed once the whole stream has
	// been imported: after an error, nothing is printed (what was imported
	// before it stays valid, as in Nix).
	var imported []string
	r := export.NewReader(bufio.NewReader(c.e.Stdin), st.StoreDir())
	for {
		narR, err := r.Next()
		if err == io.EOF {
			for _, p := range imported {
				c.println(p)
			}
			return nil
		}
		if err != nil {
			return importError(err)
		}
		if _, err := spool.Seek(0, io.SeekStart); err != nil {
			return err
		}
		if err := spool.Truncate(0); err != nil {
			return err
		}
		if _, err := io.Copy(spool, narR); err != nil {
			return importError(err)
		}
		e, err := r.Entry()
		if err != nil {
			return importError(err)
		}
		ok, err := st.IsValidPath(ctx, e.Path)
		if err != nil {
			return err
		}
		if !ok {
			if _, err := spool.Seek(0, io.SeekStart); err != nil {
				return err
			}
			info := &store.PathInfo{Path: e.Path, References: e.References, Deriver: e.Deriver}
			if err := st.AddNAR(ctx, info, bufio.NewReader(spool)); err != nil {
				return err
			}
		}
		imported = append(imported, e.Path)
	}
}

// importError keeps the export reader's message, which already follows
// Nix's wording, without the package prefix noise of wrapped I/O errors.
func importError(err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("unexpected end-of-file: %w", err)
	}
	return err
}
