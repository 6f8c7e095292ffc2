package serve

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"gonix/internal/format/hash"
	"gonix/internal/format/narinfo"
	"gonix/internal/format/nixbase32"
	"gonix/internal/store"
	"gonix/internal/store/binarycache"
)

// Store is what the server reads of a store. *local.Store has it; the
// server never writes through it.
type Store interface {
	StoreDir() string
	QueryPathInfo(ctx context.Context, path string) (*store.PathInfo, error)
	QueryPathFromHashPart(ctx context.Context, hashPart string) (string, error)
	DumpPath(ctx context.Context, path string, w io.Writer) error
}

// Options configure a Handler. The zero value of every field but Store is
// a sensible default.
type Options struct {
	Store Store
	// LogDir is the real build-log directory (…/nix/var/log/nix); "" serves
	// no logs.
	LogDir string
	// Keys sign every narinfo served, beside the signatures the store holds.
	Keys []narinfo.SecretKey
	// Compression of the NARs served: "none" (default), "xz", "zstd",
	// "bzip2" or "br".
	Compression string
	// Priority is advertised in nix-cache-info (default 30, as nix-serve).
	Priority int
	// MaxStreams bounds the NARs streamed at once (default 16). A request
	// beyond it waits for a slot for at most QueueTimeout (default 60s);
	// at most MaxWaiting requests (default 256) wait, others get 503 at
	// once. Nix 2.8 retries a 503 with back-off.
	MaxStreams   int
	QueueTimeout time.Duration
	MaxWaiting   int
	// ErrorLog receives the cause of every 500 answer (the client only
	// hears "internal server error"); nil discards it.
	ErrorLog io.Writer
	// StallTimeout cuts a NAR download whose client has accepted no data
	// for that long (default 60s). There is no limit on a download's
	// total time.
	StallTimeout time.Duration
}

// Handler serves a binary cache: /nix-cache-info, /<hashPart>.narinfo,
// /nar/<hashPart>-<narHash>.nar[.ext] and /log/<baseName> (spec/store.md
// §5). It is safe for concurrent use.
type Handler struct {
	st           Store
	storeDir     string
	logDir       string
	keys         []narinfo.SecretKey
	compression  string
	ext          string
	priority     int
	streams      *limiter
	encoders     *encoders
	queueTimeout time.Duration
	stallTimeout time.Duration
	errorLog     io.Writer
	logMu        sync.Mutex
	sigMu        sync.Mutex
	sigCache     map[[32]byte][]string // SHA-256 of a fingerprint → signatures by keys
}

// New checks opts and returns a Handler.
func New(opts Options) (*Handler, error) {
	if opts.Store == nil {
		return nil, errors.New("serve: no store")
	}
	h := &Handler{
		st:           opts.Store,
		storeDir:     opts.Store.StoreDir(),
		logDir:       opts.LogDir,
		keys:         opts.Keys,
		compression:  opts.Compression,
		priority:     opts.Priority,
		queueTimeout: opts.QueueTimeout,
		stallTimeout: opts.StallTimeout,
		errorLog:     opts.ErrorLog,
		sigCache:     make(map[[32]byte][]string),
	}
	if h.compression == "" {
		h.compression = "none"
	}
	ext := binarycache.Extension(h.compression)
	if !binarycache.WritableCompression(h.compression) {
		return nil, fmt.Errorf("serve: compression method '%s' is not supported (use none, xz, zstd, bzip2 or br)", h.compression)
	}
	h.ext = ext
	if h.priority == 0 {
		h.priority = 30
	}
	maxStreams, maxWaiting := opts.MaxStreams, opts.MaxWaiting
	if maxStreams <= 0 {
		maxStreams = 16
	}
	if maxWaiting <= 0 {
		maxWaiting = 256
	}
	h.streams = newLimiter(maxStreams, maxWaiting)
	h.encoders = newEncoders(maxStreams)
	if h.queueTimeout <= 0 {
		h.queueTimeout = 60 * time.Second
	}
	if h.stallTimeout <= 0 {
		h.stallTimeout = 60 * time.Second
	}
	return h, nil
}

// ServeHTTP answers GET and HEAD; anything else is 405.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		httpError(w, http.StatusMethodNotAllowed, "method not allowed")
		return
	}
	p := r.URL.Path
	switch {
	case p == "/nix-cache-info":
		h.serveCacheInfo(w, r)
	case strings.HasPrefix(p, "/nar/"):
		h.serveNAR(w, r, p[len("/nar/"):])
	case strings.HasPrefix(p, "/log/"):
		h.serveLog(w, r, p[len("/log/"):])
	case strings.HasSuffix(p, ".narinfo") && strings.Count(p, "/") == 1:
		h.serveNarInfo(w, r, p[1:len(p)-len(".narinfo")])
	case p == "/":
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintf(w, "gonix binary cache for %s; add http://%s to substituters\n", h.storeDir, r.Host)
	default:
		httpError(w, http.StatusNotFound, "not found")
	}
}

func httpError(w http.ResponseWriter, code int, msg string) {
	http.Error(w, msg, code)
}

// internalError answers 500 and logs why: store errors name files on the
// server, which are no client's business.
func (h *Handler) internalError(w http.ResponseWriter, r *http.Request, err error) {
	h.logError(r, err)
	httpError(w, http.StatusInternalServerError, "internal server error")
}

func (h *Handler) logError(r *http.Request, err error) {
	if h.errorLog != nil {
		h.logMu.Lock()
		fmt.Fprintf(h.errorLog, "error: %s %s: %v\n", r.Method, r.URL.EscapedPath(), err)
		h.logMu.Unlock()
	}
}

// writeBody sends body with its length; for HEAD only the length.
func writeBody(w http.ResponseWriter, r *http.Request, body []byte) {
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

func (h *Handler) serveCacheInfo(w http.ResponseWriter, r *http.Request) {
	body := fmt.Sprintf("StoreDir: %s\nWantMassQuery: 1\nPriority: %d\n", h.storeDir, h.priority)
	w.Header().Set("Content-Type", "text/x-nix-cache-info")
	writeBody(w, r, []byte(body))
}

// validHashPart reports whether s can be the hash part of a store path.
func validHashPart(s string) bool {
	return len(s) == 32 && nixbase32.ValidString(s)
}

// lookup finds the valid path with hashPart and its metadata; a nil info
// with a nil error means there is none.
func (h *Handler) lookup(ctx context.Context, hashPart string) (*store.PathInfo, error) {
	p, err := h.st.QueryPathFromHashPart(ctx, hashPart)
	if err != nil || p == "" {
		return nil, err
	}
	info, err := h.st.QueryPathInfo(ctx, p)
	if errors.Is(err, store.ErrNotValid) {
		// Deleted between the two queries.
		return nil, nil
	}
	return info, err
}

func (h *Handler) serveNarInfo(w http.ResponseWriter, r *http.Request, hashPart string) {
	if !validHashPart(hashPart) {
		httpError(w, http.StatusBadRequest, "bad hash part")
		return
	}
	info, err := h.lookup(r.Context(), hashPart)
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	if info == nil {
		httpError(w, http.StatusNotFound, "no such path")
		return
	}
	body, err := h.NarInfo(info)
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/x-nix-narinfo")
	writeBody(w, r, body)
}

// narURL is where the server serves the NAR of info: the hash part finds
// the path, and the NAR hash makes a URL of a path since deleted and
// re-made with other contents a 404 rather than a wrong NAR.
func (h *Handler) narURL(info *store.PathInfo) string {
	base := info.Path[strings.LastIndexByte(info.Path, '/')+1:]
	return "nar/" + base[:32] + "-" + info.NarHash.Base32() + ".nar" + h.ext
}

// NarInfo renders the narinfo the server gives for a valid path: the
// path's metadata, the store's signatures plus one by each configured key,
// and — only when NARs are served uncompressed, so that they are known —
// FileHash and FileSize (equal to NarHash and NarSize, as Nix writes for
// compression=none). For on-the-fly compression they are left out, as
// nix-serve does; Nix 2.8 reads a narinfo without them.
func (h *Handler) NarInfo(info *store.PathInfo) ([]byte, error) {
	ni := &narinfo.NarInfo{
		StorePath:   info.Path,
		URL:         h.narURL(info),
		Compression: h.compression,
		NarHash:     info.NarHash,
		NarSize:     info.NarSize,
		References:  baseNames(info.References),
		Deriver:     baseName(info.Deriver),
		Sigs:        append([]string(nil), info.Sigs...),
		CA:          info.CA,
	}
	if h.compression == "none" {
		ni.FileHash, ni.FileSize = info.NarHash, info.NarSize
	}
	if len(h.keys) > 0 {
		sigs, err := h.signatures(ni)
		if err != nil {
			return nil, err
		}
		ni.Sigs = append(ni.Sigs, sigs...)
	}
	text := ni.MarshalText()
	if ni.FileHash.IsZero() {
		// MarshalText always writes FileSize; an unknown one is left out.
		text = []byte(strings.Replace(string(text), "\nFileSize: 0\n", "\n", 1))
	}
	return text, nil
}

// maxSigCache bounds the signatures kept (each entry about 150 bytes per
// key, keyed by the fingerprint's SHA-256, so a few MiB at most); past it
// the cache starts over.
const maxSigCache = 1 << 14

// signatures returns the configured keys' signatures of ni's
// fingerprint. Every client of a closure asks for the same narinfos, and
// an Ed25519 signature costs more than the store lookup, so they are
// kept by fingerprint (which names the path, its NAR hash and size and
// its references: a path registered anew with other contents has
// another).
func (h *Handler) signatures(ni *narinfo.NarInfo) ([]string, error) {
	fp, err := ni.Fingerprint()
	if err != nil {
		return nil, fmt.Errorf("serve: signing %s: %w", ni.StorePath, err)
	}
	id := sha256.Sum256([]byte(fp))
	h.sigMu.Lock()
	sigs, ok := h.sigCache[id]
	h.sigMu.Unlock()
	if ok {
		return sigs, nil
	}
	sigs = make([]string, 0, len(h.keys))
	for _, k := range h.keys {
		sigs = append(sigs, k.Sign(fp))
	}
	h.sigMu.Lock()
	if len(h.sigCache) >= maxSigCache {
		clear(h.sigCache)
	}
	h.sigCache[id] = sigs
	h.sigMu.Unlock()
	return sigs, nil
}

func baseName(p string) string {
	if p == "" {
		return ""
	}
	return p[strings.LastIndexByte(p, '/')+1:]
}

func baseNames(paths []string) []string {
	out := make([]string, 0, len(paths))
	for _, p := range paths {
		out = append(out, baseName(p))
	}
	return out
}

// parseNARName splits "<hashPart>-<narHash base32>.nar<ext>".
func (h *Handler) parseNARName(name string) (hashPart string, narHash hash.Hash, ok bool) {
	rest, found := strings.CutSuffix(name, ".nar"+h.ext)
	if !found || len(rest) != 32+1+hash.SHA256.Base32Len() || rest[32] != '-' {
		return "", hash.Hash{}, false
	}
	hashPart = rest[:32]
	if !validHashPart(hashPart) {
		return "", hash.Hash{}, false
	}
	digest, err := nixbase32.DecodeString(rest[33:])
	if err != nil {
		return "", hash.Hash{}, false
	}
	return hashPart, hash.Hash{Algo: hash.SHA256, Digest: digest}, true
}
