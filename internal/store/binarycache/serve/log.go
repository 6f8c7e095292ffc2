package serve

import (
	"compress/bzip2"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"gonix/internal/format/storepath"
	"gonix/internal/store"
)

// serveLog answers log/<baseName> as a binary cache's build log (what
// `nix log --store URL` reads): the log of a .drv, or of the deriver of a
// valid output path. Logs live as the local store keeps them
// (spec/store.md §10.9): drvs/<2 chars>/<rest>, then the old flat
// drvs/<base>, each plain or .bz2; a .bz2 one is sent decompressed.
func (h *Handler) serveLog(w http.ResponseWriter, r *http.Request, base string) {
	if _, _, err := storepath.ParseBaseName(base); err != nil || strings.Contains(base, "/") {
		httpError(w, http.StatusBadRequest, "bad store path name")
		return
	}
	if h.logDir == "" {
		httpError(w, http.StatusNotFound, "no build logs here")
		return
	}
	drv := base
	if !strings.HasSuffix(base, ".drv") {
		info, err := h.st.QueryPathInfo(r.Context(), h.storeDir+"/"+base)
		if errors.Is(err, store.ErrNotValid) || err == nil && info.Deriver == "" {
			httpError(w, http.StatusNotFound, "no build log")
			return
		} else if err != nil {
			h.internalError(w, r, err)
			return
		}
		drv = baseName(info.Deriver)
	}
	for _, p := range []string{
		filepath.Join(h.logDir, "drvs", drv[:2], drv[2:]),
		filepath.Join(h.logDir, "drvs", drv),
	} {
		for _, bz := range []bool{false, true} {
			name := p
			if bz {
				name += ".bz2"
			}
			f, err := os.Open(name)
			if errors.Is(err, fs.ErrNotExist) {
				continue
			} else if err != nil {
				h.internalError(w, r, err)
				return
			}
			defer f.Close()
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			if r.Method == http.MethodHead {
				w.WriteHeader(http.StatusOK)
				return
			}
			var src io.Reader = f
			if bz {
				src = bzip2.NewReader(f)
			}
			if _, err := io.Copy(w, src); err != nil {
				panic(http.ErrAbortHandler)
			}
			return
		}
	}
	httpError(w, http.StatusNotFound, "no build log")
}
