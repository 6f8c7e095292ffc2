package builtins

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strconv"
	"strings"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

// UnpackDeb is gonix's builder builtin:unpack-deb (not in Nix 2.8; see
// docs/design/bootstrap.md): it extracts the data archive of the Debian
// binary package named by env["src"] into the directory outPath, the way
// `dpkg-deb -x` does. The package collection uses it to turn pinned .deb
// seeds into store paths without running any host program.
//
// env is the derivation's environment after the scheduler's rewrites; src
// is a logical store path (under storeDir), read from realStoreDir. The
// .deb is an ar archive whose data member is data.tar, data.tar.xz,
// data.tar.zst or data.tar.gz. Directories, regular files (permission
// bits kept, set-id bits dropped), symbolic links and hard links are
// created; other entry types are refused. Every entry is created through
// an os.Root, so no name or link in the archive can write outside
// outPath. A partial output is removed when UnpackDeb fails.
func UnpackDeb(env map[string]string, outPath, storeDir, realStoreDir string) (err error) {
	if _, ok := env["out"]; !ok {
		return errors.New("attribute 'out' missing")
	}
	src, ok := env["src"]
	if !ok {
		return errors.New("attribute 'src' missing")
	}
	if !strings.HasPrefix(src, storeDir+"/") {
		return fmt.Errorf("builtin:unpack-deb: src '%s' is not in the store '%s'", src, storeDir)
	}
	real := realStoreDir + strings.TrimPrefix(src, storeDir)
	f, err := os.Open(real)
	if err != nil {
		return fmt.Errorf("builtin:unpack-deb: %w", err)
	}
	defer f.Close()
	if err := os.Mkdir(outPath, 0o755); err != nil {
		return fmt.Errorf("builtin:unpack-deb: creating '%s': %w", outPath, err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(outPath)
		}
	}()
	name, data, err := findDataMember(bufio.NewReaderSize(f, 1<<16))
	if err != nil {
		return fmt.Errorf("builtin:unpack-deb: '%s': %w", src, err)
	}
	tr, closeTar, err := decompressor(name, data)
	if err != nil {
		return fmt.Errorf("builtin:unpack-deb: '%s': member %s: %w", src, name, err)
	}
	defer closeTar()
	root, err := os.OpenRoot(outPath)
	if err != nil {
		return fmt.Errorf("builtin:unpack-deb: %w", err)
	}
	defer root.Close()
	if err := extractTar(tar.NewReader(tr), root); err != nil {
		return fmt.Errorf("builtin:unpack-deb: '%s': %s: %w", src, name, err)
	}
	return nil
}

// findDataMember reads the ar archive r up to its data.tar* member and
// returns that member's name and a reader limited to its bytes.
func findDataMember(r *bufio.Reader) (string, io.Reader, error) {
	magic := make([]byte, 8)
	if _, err := io.ReadFull(r, magic); err != nil || string(magic) != "!<arch>\n" {
		return "", nil, errors.New("not a Debian package (no ar header)")
	}
	hdr := make([]byte, 60)
	for {
		if _, err := io.ReadFull(r, hdr); err != nil {
			if err == io.EOF {
				return "", nil, errors.New("no data.tar member")
			}
			return "", nil, fmt.Errorf("reading ar header: %w", err)
		}
		if string(hdr[58:60]) != "`\n" {
			return "", nil, errors.New("corrupt ar header")
		}
		name := strings.TrimSuffix(strings.TrimRight(string(hdr[0:16]), " "), "/")
		size, err := strconv.ParseInt(strings.TrimSpace(string(hdr[48:58])), 10, 64)
		if err != nil || size < 0 {
			return "", nil, fmt.Errorf("member %q: bad size", name)
		}
		if strings.HasPrefix(name, "data.tar") {
			return name, io.LimitReader(r, size), nil
		}
		// Members are padded to an even length.
		if _, err := r.Discard(int(size + size%2)); err != nil {
			return "", nil, fmt.Errorf("member %q: %w", name, err)
		}
	}
}

func decompressor(name string, r io.Reader) (io.Reader, func(), error) {
	switch path.Ext(name) {
	case ".tar":
		return r, func() {}, nil
	case ".xz":
		xr, err := xz.NewReader(r)
		return xr, func() {}, err
	case ".zst":
		zr, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1))
		if err != nil {
			return nil, nil, err
		}
		return zr, zr.Close, nil
	case ".gz":
		gr, err := gzip.NewReader(r)
		if err != nil {
			return nil, nil, err
		}
		return gr, func() { gr.Close() }, nil
	}
	return nil, nil, errors.New("unsupported compression")
}

func extractTar(tr *tar.Reader, root *os.Root) error {
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		name, err := entryName(h.Name)
		if err != nil {
			return err
		}
		if name == "." {
			continue
		}
		perm := fs.FileMode(h.Mode) & fs.ModePerm
		// dpkg-deb creates missing parent directories too.
		if dir := path.Dir(name); dir != "." {
			if err := root.MkdirAll(dir, 0o755); err != nil {
				return err
			}
		}
		switch h.Typeflag {
		case tar.TypeDir:
			if err := root.Mkdir(name, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
				return err
			}
			if err := root.Chmod(name, perm|0o700); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := writeEntry(root, name, perm, tr); err != nil {
				return err
			}
		case tar.TypeSymlink:
			if err := root.Symlink(h.Linkname, name); err != nil {
				return err
			}
		case tar.TypeLink:
			target, err := entryName(h.Linkname)
			if err != nil {
				return err
			}
			if err := root.Link(target, name); err != nil {
				return err
			}
		default:
			return fmt.Errorf("entry %q: unsupported type %q", h.Name, h.Typeflag)
		}
	}
}

// entryName is a tar entry's name relative to the output, refused when it
// would leave it.
func entryName(n string) (string, error) {
	c := path.Clean("/" + n)
	if c == "/" {
		return ".", nil
	}
	if bytes.IndexByte([]byte(n), 0) >= 0 || strings.Contains("/"+n+"/", "/../") {
		return "", fmt.Errorf("entry %q: name leaves the output", n)
	}
	return c[1:], nil
}

func writeEntry(root *os.Root, name string, perm fs.FileMode, r io.Reader) error {
	f, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return fmt.Errorf("writing %q: %w", name, err)
	}
	if err := f.Close(); err != nil {
		return err
	}
	return root.Chmod(name, perm)
}
