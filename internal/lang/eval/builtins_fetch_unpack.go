package eval

import (
	"archive/tar"
	"archive/zip"
	"bufio"
	"bytes"
	"compress/bzip2"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// downloadLocal downloads a file:// URL: it names a local file, read as
// curl reads it. It returns the path of a file holding the downloaded
// bytes, and whether that file is a temporary one for the caller to
// remove.
func downloadLocal(u string) (file string, temp bool) {
	rest := u[7:]
	slash := strings.IndexByte(rest, '/')
	if slash < 0 {
		failNoPos("unable to download '%s': URL using bad/illegal format or missing URL (3)", u)
	}
	if host := rest[:slash]; host != "" && !strings.EqualFold(host, "localhost") {
		failNoPos("unable to download '%s': URL using bad/illegal format or missing URL (3)", u)
	}
	p := rest[slash:]
	if i := strings.IndexAny(p, "?#"); i >= 0 {
		p = p[:i]
	}
	if d, err := url.PathUnescape(p); err == nil {
		p = d
	}
	fi, err := os.Stat(p)
	if err != nil {
		failNoPos("unable to download '%s': Couldn't read a file:// file (37)", u)
	}
	if fi.IsDir() {
		// curl reads a directory as an empty file.
		return emptyFile(), true
	}
	f, err := os.Open(p)
	if err != nil {
		failNoPos("unable to download '%s': Couldn't read a file:// file (37)", u)
	}
	f.Close()
	return p, false
}

func emptyFile() string {
	f, err := os.CreateTemp("", "gonix-fetch-")
	if err != nil {
		failNoPos("creating temporary file: %s", err)
	}
	f.Close()
	return f.Name()
}

// unpackTarball is fetchers::downloadTarball's unpacking step: the archive
// at file is extracted into a new temporary directory dir, which must then
// hold exactly one entry, top. The caller removes dir.
func unpackTarball(srcURL, file string) (dir, top string) {
	dir, err := os.MkdirTemp("", "gonix-unpack-")
	if err != nil {
		failNoPos("creating temporary directory: %s", err)
	}
	if err := extractArchive(file, dir); err != nil {
		os.RemoveAll(dir)
		failNoPos("%s", err.Error())
	}
	ents, err := os.ReadDir(dir)
	if err != nil || len(ents) != 1 {
		os.RemoveAll(dir)
		failNoPos("tarball '%s' contains an unexpected number of top-level files", srcURL)
	}
	return dir, filepath.Join(dir, ents[0].Name())
}

// extractArchive unpacks a tar (plain, gzip or bzip2) or zip archive as
// libarchive does for Nix, recognising the format by its magic bytes.
func extractArchive(file, dest string) error {
	f, err := os.Open(file)
	if err != nil {
		return fmt.Errorf("failed to open archive: %s", errnoText(err))
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 64<<10)
	magic, _ := br.Peek(6)
	var r io.Reader = br
	switch {
	case len(magic) == 0:
		return nil // an empty file is an empty archive
	case bytes.HasPrefix(magic, []byte{0x1f, 0x8b}):
		gz, err := gzip.NewReader(br)
		if err != nil {
			return fmt.Errorf("failed to open archive: %w", err)
		}
		r = gz
	case bytes.HasPrefix(magic, []byte("BZh")):
		r = bzip2.NewReader(br)
	case bytes.HasPrefix(magic, []byte{0xfd, '7', 'z', 'X', 'Z', 0}):
		return errors.New("failed to open archive: xz compression is not supported by this build yet")
	case bytes.HasPrefix(magic, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		return errors.New("failed to open archive: zstd compression is not supported by this build yet")
	case bytes.HasPrefix(magic, []byte("PK\x03\x04")) || bytes.HasPrefix(magic, []byte("PK\x05\x06")):
		return extractZip(f, dest)
	}
	return extractTar(r, dest)
}

type extractor struct{ dest string }

func extractTar(r io.Reader, dest string) error {
	x := extractor{dest}
	tr := tar.NewReader(r)
	for first := true; ; first = false {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			if first {
				return errors.New("failed to open archive: Unrecognized archive format")
			}
			return fmt.Errorf("failed to extract archive (%s)", err)
		}
		var err2 error
		switch h.Typeflag {
		case tar.TypeDir:
			err2 = x.dir(h.Name)
		case tar.TypeReg, tar.TypeRegA, tar.TypeGNUSparse:
			err2 = x.file(h.Name, tr, h.Mode&0o100 != 0)
		case tar.TypeSymlink:
			err2 = x.symlink(h.Name, h.Linkname)
		case tar.TypeLink:
			err2 = x.hardlink(h.Name, h.Linkname)
		case tar.TypeXGlobalHeader:
			continue
		default:
			err2 = fmt.Errorf("unsupported entry type %q", h.Typeflag)
		}
		if err2 != nil {
			return fmt.Errorf("failed to extract archive (%s)", err2)
		}
	}
}

func extractZip(f *os.File, dest string) error {
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("failed to open archive: %s", errnoText(err))
	}
	zr, err := zip.NewReader(f, fi.Size())
	if err != nil {
		return fmt.Errorf("failed to open archive: %w", err)
	}
	x := extractor{dest}
	for _, zf := range zr.File {
		m := zf.Mode()
		var err error
		switch {
		case m.IsDir():
			err = x.dir(zf.Name)
		case m&os.ModeSymlink != 0:
			var target []byte
			if target, err = readZipEntry(zf); err == nil {
				err = x.symlink(zf.Name, string(target))
			}
		default:
			var rc io.ReadCloser
			if rc, err = zf.Open(); err == nil {
				err = x.file(zf.Name, rc, m&0o100 != 0)
				rc.Close()
			}
		}
		if err != nil {
			return fmt.Errorf("failed to extract archive (%s)", err)
		}
	}
	return nil
}

func readZipEntry(zf *zip.File) ([]byte, error) {
	rc, err := zf.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// target maps an archive member name into dest, refusing ".." and
// extraction through a symbolic link (libarchive's SECURE_NODOTDOT and
// SECURE_SYMLINKS), and creates the missing parent directories.
func (x extractor) target(name string) (string, error) {
	for _, c := range strings.Split(name, "/") {
		if c == ".." {
			return "", errors.New("Path contains '..'")
		}
	}
	clean := strings.TrimPrefix(path.Clean("/"+name), "/")
	if clean == "" {
		return x.dest, nil
	}
	full := x.dest
	comps := strings.Split(clean, "/")
	for _, c := range comps[:len(comps)-1] {
		full = filepath.Join(full, c)
		fi, err := os.Lstat(full)
		switch {
		case err == nil && fi.Mode()&os.ModeSymlink != 0:
			return "", errors.New("Cannot extract through symlink " + full)
		case err == nil && !fi.IsDir():
			if err := os.Remove(full); err != nil {
				return "", err
			}
			fallthrough
		case err != nil:
			if err := os.Mkdir(full, 0o755); err != nil {
				return "", err
			}
		}
	}
	return filepath.Join(full, comps[len(comps)-1]), nil
}

// replace removes a non-directory entry at p, as a later archive member
// with the same name overwrites an earlier one.
func replace(p string) {
	if fi, err := os.Lstat(p); err == nil && !fi.IsDir() {
		os.Remove(p)
	}
}

func (x extractor) dir(name string) error {
	p, err := x.target(name)
	if err != nil {
		return err
	}
	if fi, err := os.Lstat(p); err == nil && fi.IsDir() {
		return nil
	}
	replace(p)
	return os.Mkdir(p, 0o755)
}

func (x extractor) file(name string, r io.Reader, exec bool) error {
	p, err := x.target(name)
	if err != nil {
		return err
	}
	replace(p)
	mode := os.FileMode(0o644)
	if exec {
		mode = 0o755
	}
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func (x extractor) symlink(name, target string) error {
	p, err := x.target(name)
	if err != nil {
		return err
	}
	replace(p)
	return os.Symlink(target, p)
}

func (x extractor) hardlink(name, old string) error {
	src, err := x.target(old)
	if err != nil {
		return err
	}
	p, err := x.target(name)
	if err != nil {
		return err
	}
	replace(p)
	return os.Link(src, p)
}
