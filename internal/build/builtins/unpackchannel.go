package builtins

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/bzip2"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// UnpackChannel is Nix 2.8's builder builtin:unpack-channel (the
// derivation of corepkgs' unpack-channel.nix that nix-channel --update
// builds): it unpacks the tarball env["src"] (tar, compressed with xz,
// gzip, bzip2 or zstd, detected by its magic bytes as libarchive does)
// into outPath, which must then hold exactly one entry, renamed to
// env["channelName"].
//
// src is a logical store path (under storeDir), read from realStoreDir.
// Entries are created through an os.Root, so the archive cannot write
// outside outPath. A partial output is removed when UnpackChannel fails.
func UnpackChannel(env map[string]string, outPath, storeDir, realStoreDir string) (err error) {
	get := func(name string) (string, error) {
		v, ok := env[name]
		if !ok {
			return "", fmt.Errorf("attribute '%s' missing", name)
		}
		return v, nil
	}
	if _, err := get("out"); err != nil {
		return err
	}
	channelName, err := get("channelName")
	if err != nil {
		return err
	}
	src, err := get("src")
	if err != nil {
		return err
	}
	if channelName == "" || strings.ContainsAny(channelName, "/\x00") || channelName == "." || channelName == ".." {
		return fmt.Errorf("builtin:unpack-channel: invalid channel name '%s'", channelName)
	}
	real := src
	if strings.HasPrefix(src, storeDir+"/") {
		real = realStoreDir + strings.TrimPrefix(src, storeDir)
	}
	f, err := os.Open(real)
	if err != nil {
		return fmt.Errorf("builtin:unpack-channel: %w", err)
	}
	defer f.Close()
	if err := os.Mkdir(outPath, 0o755); err != nil {
		return fmt.Errorf("builtin:unpack-channel: creating '%s': %w", outPath, err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(outPath)
		}
	}()
	r, closeR, err := sniffDecompressor(bufio.NewReaderSize(f, 1<<16))
	if err != nil {
		return fmt.Errorf("builtin:unpack-channel: '%s': %w", src, err)
	}
	defer closeR()
	root, err := os.OpenRoot(outPath)
	if err != nil {
		return fmt.Errorf("builtin:unpack-channel: %w", err)
	}
	defer root.Close()
	if err := extractTar(tar.NewReader(r), root); err != nil {
		return fmt.Errorf("builtin:unpack-channel: unpacking '%s': %w", src, err)
	}
	ents, err := os.ReadDir(outPath)
	if err != nil {
		return fmt.Errorf("builtin:unpack-channel: %w", err)
	}
	if len(ents) != 1 {
		return fmt.Errorf("channel tarball '%s' contains more than one file", src)
	}
	if ents[0].Name() == channelName {
		return nil
	}
	if err := root.Rename(ents[0].Name(), channelName); err != nil {
		return fmt.Errorf("renaming channel directory: %w", err)
	}
	return nil
}

// sniffDecompressor picks the decompressor of a tarball by its first bytes.
func sniffDecompressor(br *bufio.Reader) (io.Reader, func(), error) {
	head, err := br.Peek(6)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, nil, err
	}
	switch {
	case bytes.HasPrefix(head, []byte{0xfd, '7', 'z', 'X', 'Z', 0}):
		return decompressor("x.xz", br)
	case bytes.HasPrefix(head, []byte{0x1f, 0x8b}):
		return decompressor("x.gz", br)
	case bytes.HasPrefix(head, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		return decompressor("x.zst", br)
	case bytes.HasPrefix(head, []byte("BZh")):
		return bzip2.NewReader(br), func() {}, nil
	}
	return br, func() {}, nil
}
