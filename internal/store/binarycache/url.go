package binarycache

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"gonix/internal/filetransfer"
	"gonix/internal/format/narinfo"
	"gonix/internal/format/storepath"
)

// Option adjusts OpenURL.
type Option func(*options)

type options struct {
	storeDir       string
	client         filetransfer.Doer
	tries          int
	retryBase      time.Duration
	stalled        time.Duration
	connectTimeout time.Duration
	warn           func(string)
}

// WithStoreDir sets the logical store directory the cache must serve
// (default /nix/store; a store= URL parameter overrides it).
func WithStoreDir(dir string) Option { return func(o *options) { o.storeDir = dir } }

// WithHTTPClient makes http(s) caches use client instead of their own
// pooled one (sharing one client between caches shares its connections).
func WithHTTPClient(client filetransfer.Doer) Option {
	return func(o *options) { o.client = client }
}

// WithTries sets the attempts per request (Nix's download-attempts,
// default 5) and the first retry delay (default 250 ms; 0 keeps it).
func WithTries(tries int, retryBase time.Duration) Option {
	return func(o *options) { o.tries, o.retryBase = tries, retryBase }
}

// WithTimeouts sets the connect timeout and the stalled-transfer timeout
// (Nix's connect-timeout and stalled-download-timeout); 0 keeps a default.
func WithTimeouts(connect, stalled time.Duration) Option {
	return func(o *options) { o.connectTimeout, o.stalled = connect, stalled }
}

// WithWarn receives warnings (retries, unknown URL parameters), without
// the "warning: " prefix.
func WithWarn(warn func(msg string)) Option { return func(o *options) { o.warn = warn } }

// OpenURL opens the binary cache at rawURL: file:///dir or
// http(s)://host/path, with Nix's store URL parameters:
//
//	compression=xz|zstd|bzip2|br|none  for writing (default xz)
//	compression-level=N                 for writing (-1: the method's default)
//	secret-key=PATH                     sign what is written
//	priority=N, want-mass-query=BOOL    override nix-cache-info
//	store=DIR                           the logical store directory
//	parallel-compression, write-nar-listing, index-debug-info,
//	local-nar-cache                     accepted and ignored
//
// nix-cache-info is read as BinaryCacheStore::init does; when it is
// missing it is created with "StoreDir: <dir>" (file:// caches also get
// nar/, log/ and realisations/), and an HTTP server that refuses that
// upload is "not a binary cache".
func OpenURL(ctx context.Context, rawURL string, opts ...Option) (*Cache, error) {
	o := options{storeDir: storepath.DefaultStoreDir}
	for _, f := range opts {
		f(&o)
	}
	base, query, _ := strings.Cut(rawURL, "?")
	params, err := url.ParseQuery(query)
	if err != nil {
		return nil, fmt.Errorf("binary cache URL '%s': bad parameters: %w", rawURL, err)
	}
	c := &Cache{compression: "xz", compressionLevel: -1}
	if err := c.setParams(params, &o); err != nil {
		return nil, fmt.Errorf("binary cache URL '%s': %w", rawURL, err)
	}
	c.storeDir = o.storeDir
	scheme, rest, ok := strings.Cut(base, "://")
	switch {
	case ok && scheme == "file":
		dir := rest
		if d, err := url.PathUnescape(dir); err == nil {
			dir = d
		}
		if dir == "" || !filepath.IsAbs(dir) {
			return nil, fmt.Errorf("binary cache URL '%s': a file:// cache needs an absolute path", rawURL)
		}
		c.backend = &fileBackend{dir: filepath.Clean(dir)}
		c.dir = filepath.Clean(dir)
	case ok && (scheme == "http" || scheme == "https"):
		base = strings.TrimSuffix(base, "/")
		b := &httpBackend{base: base}
		client := o.client
		if client == nil {
			var hc *http.Client
			hc, b.release = filetransfer.NewClientWith(filetransfer.ClientOptions{ConnectTimeout: o.connectTimeout})
			client = hc
		}
		b.t = &filetransfer.Transfer{Client: client, Tries: o.tries, RetryBase: o.retryBase, StalledTimeout: o.stalled, Warn: o.warn}
		c.backend = b
	default:
		return nil, fmt.Errorf("don't know how to open Nix store '%s' as a binary cache (use file:// or http(s)://)", rawURL)
	}
	if err := c.init(ctx); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

func (c *Cache) setParams(params url.Values, o *options) error {
	for name, vals := range params {
		v := vals[len(vals)-1]
		switch name {
		case "compression":
			if !WritableCompression(v) {
				return fmt.Errorf("compression method '%s' is not supported (use xz, zstd, bzip2, br or none)", v)
			}
			c.compression = v
		case "compression-level":
			n, err := strconv.Atoi(v)
			if err != nil {
				return fmt.Errorf("setting 'compression-level': '%s' is not an integer", v)
			}
			c.compressionLevel = n
		case "secret-key":
			data, err := os.ReadFile(v)
			if err != nil {
				return fmt.Errorf("reading secret key: %w", err)
			}
			k, err := narinfo.ParseSecretKey(strings.TrimSpace(string(data)))
			if err != nil {
				return fmt.Errorf("secret key '%s': %w", v, err)
			}
			c.secretKey = &k
		case "priority":
			n, err := strconv.Atoi(v)
			if err != nil {
				return fmt.Errorf("setting 'priority': '%s' is not an integer", v)
			}
			c.priority, c.priorityOverridden = n, true
		case "want-mass-query":
			b, err := parseBool(v)
			if err != nil {
				return fmt.Errorf("setting 'want-mass-query': %w", err)
			}
			c.wantMassQuery, c.wantMassQueryOverridden = b, true
		case "store":
			o.storeDir = v
		case "parallel-compression", "write-nar-listing", "index-debug-info", "local-nar-cache", "trusted":
		default:
			if o.warn != nil {
				o.warn(fmt.Sprintf("unknown setting '%s'", name))
			}
		}
	}
	return nil
}

// parseBool is Nix's Setting<bool>.
func parseBool(s string) (bool, error) {
	switch s {
	case "true", "1", "yes":
		return true, nil
	case "false", "0", "no":
		return false, nil
	}
	return false, fmt.Errorf("'%s' is not a Boolean", s)
}
