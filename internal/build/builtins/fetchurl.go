package builtins

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"gonix/internal/filetransfer"
	"gonix/internal/format/hash"
	"gonix/internal/format/nar"
)

// Options are the settings builtin:fetchurl takes from the daemon's
// configuration rather than from the derivation.
type Options struct {
	// HashedMirrors is the hashed-mirrors setting: for a flat
	// fixed-output derivation each is tried first as
	// <mirror>/<algo>/<base16 digest>.
	HashedMirrors []string
	// Client sends the HTTP requests. nil means a client like Nix's for
	// this builder: TLS peers are not verified (the caller checks the
	// output hash anyway), proxies come from the environment, at most 10
	// redirects are followed.
	Client HTTPDoer
	// UserAgentSuffix is the user-agent-suffix setting.
	UserAgentSuffix string
	// Tries is download-attempts (default 5); RetryBase the first retry
	// delay (default 250 ms, doubling with each attempt).
	Tries     int
	RetryBase time.Duration
	// Warn receives Nix's warnings ("error: unable to download …;
	// retrying in 312 ms"); Debug the reasons a hashed mirror was
	// skipped. Either may be nil.
	Warn, Debug func(msg string)
	// Mirrors gives the bases of a mirror:// URL's mirror name (gonix's
	// extension, see mirrors.go; MirrorConfig.Lookup is the default the
	// command layer plugs in). nil knows no mirrors.
	Mirrors func(name string) []string
}

// FetchURL is the builder builtin:fetchurl of Nix 2.8 (spec/store.md
// §10.8; src/libstore/builtins/fetchurl.cc), which <nix/fetchurl.nix>
// derivations name as their builder. env is the derivation's environment
// after the scheduler's rewrites; outPath is the real host path of the
// output to create (it must not exist yet; in a chroot store it differs
// from env["out"], which must be present but is otherwise unused).
//
// It reads these variables:
//
//   - url: what to download: http://, https:// or file:// (2.8 reads only
//     url; the urls list <nix/fetchurl.nix> also sets is ignored), or, as
//     gonix's extension, mirror://NAME/PATH, tried at each base
//     opts.Mirrors gives for NAME (mirrors.go).
//   - unpack = "1": the download is a NAR, restored at outPath (after xz
//     decompression when url ends in ".xz", which this build cannot do:
//     it fails before downloading). Otherwise the bytes are written to
//     the file outPath.
//   - executable = "1": outPath is made mode 0755 afterwards.
//   - outputHashMode, outputHashAlgo, outputHash: for "flat", each of
//     opts.HashedMirrors is tried first; any failure there only moves on
//     to the next mirror and then to url.
//
// The download is not checked against outputHash: that is the caller's
// job, as for every fixed-output derivation. Errors carry Nix's texts
// (for example "unable to download 'http://h/x': HTTP error 404 ('Not
// Found')", network failures as curl words them, "attribute 'url'
// missing"); Nix prints them to the build log prefixed by "error: " and
// fails the build with exit code 1. A *TransferError is a network-side
// failure. Cancelling ctx stops the download and any retry wait; a
// partial output is removed whenever FetchURL fails.
func FetchURL(ctx context.Context, env map[string]string, outPath string, opts Options) error {
	attr := func(name string) (string, error) {
		v, ok := env[name]
		if !ok {
			return "", fmt.Errorf("attribute '%s' missing", name)
		}
		return v, nil
	}
	if _, err := attr("out"); err != nil {
		return err
	}
	mainURL, err := attr("url")
	if err != nil {
		return err
	}
	unpack := env["unpack"] == "1"
	executable := env["executable"] == "1"
	if unpack && strings.HasSuffix(mainURL, ".xz") {
		return fmt.Errorf("builtin:fetchurl: cannot unpack '%s': xz decompression is not available in this build", mainURL)
	}

	client := opts.Client
	if client == nil {
		// The caller checks the output hash, so TLS peers need not be
		// verified (as Nix's builtin:fetchurl sets verifyTLS = false).
		c, release := filetransfer.NewClient(&tls.Config{InsecureSkipVerify: true})
		defer release()
		client = c
	}
	t := &filetransfer.Transfer{Client: client, UserAgent: UserAgent, Tries: opts.Tries, RetryBase: opts.RetryBase, Warn: opts.Warn}
	if opts.UserAgentSuffix != "" {
		t.UserAgent += " " + opts.UserAgentSuffix
	}

	newSink := func() (filetransfer.Sink, error) {
		if unpack {
			return newNARSink(outPath), nil
		}
		return newFileSink(outPath)
	}
	fetch := func(u string) error {
		if err := t.Get(ctx, u, newSink); err != nil {
			return err
		}
		if executable {
			if err := os.Chmod(outPath, 0o755); err != nil {
				os.RemoveAll(outPath)
				return fmt.Errorf("making '%s' executable: %w", outPath, err)
			}
		}
		return nil
	}

	mode, err := attr("outputHashMode")
	if err != nil {
		return err
	}
	if mode == "flat" {
		for _, m := range opts.HashedMirrors {
			u, err := mirrorURL(env, m)
			if err == nil {
				if err = fetch(u); err == nil {
					return nil
				}
			}
			if ctx.Err() != nil {
				return err
			}
			if opts.Debug != nil {
				opts.Debug(err.Error())
			}
		}
	}
	urls, err := ExpandMirror(mainURL, opts.Mirrors)
	if err != nil {
		return err
	}
	for i, u := range urls {
		if err = fetch(u); err == nil || ctx.Err() != nil || i == len(urls)-1 {
			break
		}
		if opts.Warn != nil {
			opts.Warn(fmt.Sprintf("%s; trying the next mirror", err))
		}
	}
	return err
}

// mirrorURL is <mirror>/<algo>/<base16 digest> for the derivation's
// outputHash, the algorithm coming from outputHashAlgo or the hash itself.
func mirrorURL(env map[string]string, mirror string) (string, error) {
	algoName, ok := env["outputHashAlgo"]
	if !ok {
		return "", errors.New("attribute 'outputHashAlgo' missing")
	}
	h, ok := env["outputHash"]
	if !ok {
		return "", errors.New("attribute 'outputHash' missing")
	}
	algo, err := hash.ParseAlgo(algoName)
	if err != nil {
		algo = 0 // an SRI or prefixed hash names its own algorithm
	}
	parsed, err := hash.ParseAllowEmpty(h, algo)
	if err != nil {
		return "", err
	}
	if !strings.HasSuffix(mirror, "/") {
		mirror += "/"
	}
	return mirror + parsed.Algo.String() + "/" + parsed.Base16(), nil
}

// fileSink writes a flat download (Nix's writeFile: mode 0666 minus the
// umask; the scheduler canonicalises it later).
type fileSink struct {
	path string
	f    *os.File
}

func newFileSink(path string) (*fileSink, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o666)
	if err != nil {
		return nil, fmt.Errorf("builtin:fetchurl: creating '%s': %w", path, err)
	}
	return &fileSink{path: path, f: f}, nil
}

func (s *fileSink) Write(p []byte) (int, error) {
	n, err := s.f.Write(p)
	if err != nil {
		err = fmt.Errorf("builtin:fetchurl: writing '%s': %w", s.path, err)
	}
	return n, err
}

func (s *fileSink) Finish() error {
	if err := s.f.Close(); err != nil {
		os.Remove(s.path)
		return fmt.Errorf("builtin:fetchurl: writing '%s': %w", s.path, err)
	}
	return nil
}

func (s *fileSink) Discard() {
	s.f.Close()
	os.Remove(s.path)
}

// narSink restores the NAR it is fed at path while it streams in; the
// restoring goroutine is owned by the sink and waited for by Finish or
// Discard.
type narSink struct {
	path string
	pw   *io.PipeWriter
	done chan error
}

var errAttemptFailed = errors.New("download attempt failed")

func newNARSink(path string) *narSink {
	pr, pw := io.Pipe()
	s := &narSink{path: path, pw: pw, done: make(chan error, 1)}
	go func() {
		err := nar.Restore(pr, path)
		if err != nil {
			err = fmt.Errorf("builtin:fetchurl: unpacking the NAR into '%s': %w", path, err)
			pr.CloseWithError(err)
		} else {
			// Bytes after the archive are read and ignored, as
			// restorePath leaves them unread.
			io.Copy(io.Discard, pr)
		}
		s.done <- err
	}()
	return s
}

func (s *narSink) Write(p []byte) (int, error) { return s.pw.Write(p) }

func (s *narSink) Finish() error {
	s.pw.Close()
	if err := <-s.done; err != nil {
		os.RemoveAll(s.path)
		return err
	}
	return nil
}

func (s *narSink) Discard() {
	s.pw.CloseWithError(errAttemptFailed)
	<-s.done
	os.RemoveAll(s.path)
}
