package binarycache

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync/atomic"

	"gonix/internal/filetransfer"
)

// Content types Nix's BinaryCacheStore gives its uploads.
const (
	typeCacheInfo = "text/x-nix-cache-info"
	typeNarInfo   = "text/x-nix-narinfo"
	typeNAR       = "application/x-nix-nar"
)

// backend moves the cache's files: a directory for file:// caches, an
// HTTP server for http(s):// ones. Names are relative to the cache root
// ("nix-cache-info", "<hash>.narinfo", "nar/<h>.nar.xz"). Missing files
// are errors wrapping ErrNotFound (HTTP 404 and 403, as Nix's
// HttpBinaryCacheStore treats them).
type backend interface {
	uri() string
	// get reads a small file whole.
	get(ctx context.Context, name string) ([]byte, error)
	// open streams a file.
	open(ctx context.Context, name string) (io.ReadCloser, error)
	exists(ctx context.Context, name string) (bool, error)
	// put stores data as name, atomically.
	put(ctx context.Context, name string, data []byte, contentType string) error
	// tempDir is where compressed NARs are staged before commit.
	tempDir() string
	// commit stores the finished staged file tmp as name (a NAR), unless
	// name already exists; tmp is consumed either way.
	commit(ctx context.Context, name, tmp string, contentType string) error
}

// fileBackend is a file:// cache: plain file system calls, no HTTP.
type fileBackend struct {
	dir        string
	tmpCounter atomic.Uint64
}

func (b *fileBackend) uri() string { return "file://" + b.dir }

// path returns the file of name, refusing names that would leave the
// cache directory (a file:// cache only serves its own files).
func (b *fileBackend) path(name string) (string, error) {
	clean := path.Clean(name)
	if name == "" || path.IsAbs(name) || clean == "." || clean == ".." || strings.HasPrefix(clean, "../") || strings.Contains(name, "://") {
		return "", fmt.Errorf("binary cache %s: %q is not a file inside the cache", b.uri(), name)
	}
	return filepath.Join(b.dir, filepath.FromSlash(clean)), nil
}

func (b *fileBackend) notFound(name string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("file '%s' does not exist in binary cache '%s': %w", name, b.uri(), ErrNotFound)
	}
	return fmt.Errorf("binary cache %s: %w", b.uri(), err)
}

func (b *fileBackend) get(ctx context.Context, name string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p, err := b.path(name)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(p)
	if err != nil {
		return nil, b.notFound(name, err)
	}
	return data, nil
}

func (b *fileBackend) open(ctx context.Context, name string) (io.ReadCloser, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p, err := b.path(name)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, b.notFound(name, err)
	}
	return f, nil
}

func (b *fileBackend) exists(ctx context.Context, name string) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	p, err := b.path(name)
	if err != nil {
		return false, err
	}
	_, err = os.Lstat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("binary cache %s: %w", b.uri(), err)
	}
	return true, nil
}

// put writes name atomically, as Nix's LocalBinaryCacheStore::upsertFile
// does: a temporary file <name>.tmp.<pid>.<n> is written, synced and
// renamed into place.
func (b *fileBackend) put(ctx context.Context, name string, data []byte, _ string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	dst, err := b.path(name)
	if err != nil {
		return err
	}
	tmp := fmt.Sprintf("%s.tmp.%d.%d", dst, os.Getpid(), b.tmpCounter.Add(1))
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("binary cache %s: writing %s: %w", b.uri(), name, err)
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, dst)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("binary cache %s: writing %s: %w", b.uri(), name, err)
	}
	return nil
}

func (b *fileBackend) tempDir() string { return filepath.Join(b.dir, "nar") }

func (b *fileBackend) commit(ctx context.Context, name, tmp, _ string) error {
	defer os.Remove(tmp) // a no-op once renamed
	dst, err := b.path(name)
	if err != nil {
		return err
	}
	if _, err := os.Lstat(dst); err == nil {
		return nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("binary cache %s: %w", b.uri(), err)
	}
	if err := os.Rename(tmp, dst); err != nil {
		return fmt.Errorf("binary cache %s: writing %s: %w", b.uri(), name, err)
	}
	if err := syncDir(filepath.Dir(dst)); err != nil {
		return fmt.Errorf("binary cache %s: %w", b.uri(), err)
	}
	return nil
}

// httpBackend is an http(s):// cache read with GET and HEAD and written
// with PUT, as Nix's HttpBinaryCacheStore.
type httpBackend struct {
	base    string // without the trailing slash
	t       *filetransfer.Transfer
	release func()
}

func (b *httpBackend) uri() string { return b.base }

// url is makeRequest: a name that is itself a URL (a narinfo's URL may
// point elsewhere) is used as it is.
func (b *httpBackend) url(name string) string {
	if strings.HasPrefix(name, "http://") || strings.HasPrefix(name, "https://") {
		return name
	}
	return b.base + "/" + name
}

// missing reports whether err means the file is absent: 404/410, and 403
// because S3 buckets that cannot be listed answer it for missing files.
func missing(err error) bool {
	var fe *filetransfer.Error
	return errors.As(err, &fe) && (fe.Kind == filetransfer.NotFound || fe.Kind == filetransfer.Forbidden)
}

func (b *httpBackend) wrap(name string, err error) error {
	if missing(err) {
		return fmt.Errorf("file '%s' does not exist in binary cache '%s': %w", name, b.uri(), ErrNotFound)
	}
	return fmt.Errorf("binary cache %s: %w", b.uri(), err)
}

func (b *httpBackend) get(ctx context.Context, name string) ([]byte, error) {
	data, err := b.t.GetBytes(ctx, b.url(name))
	if err != nil {
		return nil, b.wrap(name, err)
	}
	return data, nil
}

func (b *httpBackend) open(ctx context.Context, name string) (io.ReadCloser, error) {
	r, err := b.t.Open(ctx, b.url(name))
	if err != nil {
		return nil, b.wrap(name, err)
	}
	return r, nil
}

func (b *httpBackend) exists(ctx context.Context, name string) (bool, error) {
	err := b.t.Head(ctx, b.url(name))
	if err == nil {
		return true, nil
	}
	if missing(err) {
		return false, nil
	}
	return false, fmt.Errorf("binary cache %s: %w", b.uri(), err)
}

func (b *httpBackend) put(ctx context.Context, name string, data []byte, contentType string) error {
	if err := b.t.Put(ctx, b.url(name), bytes.NewReader(data), int64(len(data)), contentType); err != nil {
		return fmt.Errorf("while uploading to HTTP binary cache at '%s': %w", b.uri(), err)
	}
	return nil
}

func (b *httpBackend) tempDir() string { return "" }

func (b *httpBackend) commit(ctx context.Context, name, tmp, contentType string) error {
	defer os.Remove(tmp)
	// Nix skips the upload when the NAR is already there (stats.narWriteAverted).
	if ok, err := b.exists(ctx, name); err != nil || ok {
		return err
	}
	f, err := os.Open(tmp)
	if err != nil {
		return fmt.Errorf("binary cache %s: %w", b.uri(), err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("binary cache %s: %w", b.uri(), err)
	}
	if err := b.t.Put(ctx, b.url(name), f, fi.Size(), contentType); err != nil {
		return fmt.Errorf("while uploading to HTTP binary cache at '%s': %w", b.uri(), err)
	}
	return nil
}
