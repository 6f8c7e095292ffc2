package cli

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// The available-packages index of nix-env -qa over channels.
//
// Listing a channel evaluates every package (and, as nix-env reads each
// one's outputs, instantiates it), which is slow and gives the same answer
// every time: a channel is an immutable store path. So when nix-env -qa
// reads ~/.nix-defexpr (no -f, no --arg) and every expression there
// resolves into the store, the elements' attribute paths, names and
// systems are kept in $XDG_CACHE_HOME/gonix/qa-index/KEY.json, KEY hashing
// the resolved expressions, gonix's version and the current system; a
// later -qa with only -P/--no-name/--system answers from it without
// evaluating. A new channel generation changes the key. Nix 2.8 keeps no
// such index; the output is the same.

// qaIndexEntry is one available element as the index keeps it.
type qaIndexEntry struct {
	AttrPath string `json:"attrPath"`
	Name     string `json:"name"`
	System   string `json:"system"`
}

// qaIndexPath is the index file for the current ~/.nix-defexpr, or ""
// when the source may change under the same key (not cacheable).
func (u *userEnv) qaIndexPath() string {
	c := u.c
	if c.file != "" || len(c.eval.AutoArgs) > 0 || len(c.eval.SearchPath) > 0 {
		return ""
	}
	var parts []string
	if !u.qaIndexKey(c.sourceExprPath(), &parts, 0) {
		return ""
	}
	sys, err := u.currentSystem()
	if err != nil {
		return ""
	}
	h := sha256.New()
	fmt.Fprintf(h, "gonix %s\x00%s\x00%s\x00", Version, sys, u.ls.RealStoreDir())
	for _, p := range parts {
		fmt.Fprintf(h, "%s\x00", p)
	}
	return filepath.Join(cacheDir(c.e), "qa-index", hex.EncodeToString(h.Sum(nil))+".json")
}

// qaIndexKey appends "name=resolved" for each entry of dir (descending
// into directories outside the store, as ~/.nix-defexpr is read), and
// reports false when an expression resolves outside the store.
func (u *userEnv) qaIndexKey(dir string, parts *[]string, depth int) bool {
	if depth > 8 {
		return false
	}
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return false
	}
	storeDir := u.ls.RealStoreDir()
	if strings.HasPrefix(real, storeDir+"/") {
		*parts = append(*parts, dir+"="+real)
		return true
	}
	st, err := os.Stat(real)
	if err != nil || !st.IsDir() {
		return false
	}
	ents, err := os.ReadDir(real)
	if err != nil {
		return false
	}
	names := make([]string, 0, len(ents))
	for _, e := range ents {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	for _, n := range names {
		if !u.qaIndexKey(filepath.Join(real, n), parts, depth+1) {
			return false
		}
	}
	return true
}

// loadQAIndex returns the indexed elements, if the index exists.
func loadQAIndex(path string) ([]envElem, bool) {
	if path == "" {
		return nil, false
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, false
	}
	var ents []qaIndexEntry
	if json.Unmarshal(data, &ents) != nil {
		return nil, false
	}
	elems := make([]envElem, len(ents))
	for i, e := range ents {
		elems[i] = envElem{attrPath: e.AttrPath, name: e.Name, system: e.System}
	}
	return elems, true
}

// saveQAIndex writes the index (best effort: a cache).
func saveQAIndex(path string, elems []envElem) {
	if path == "" {
		return
	}
	ents := make([]qaIndexEntry, len(elems))
	for i, e := range elems {
		ents[i] = qaIndexEntry{AttrPath: e.attrPath, Name: e.name, System: e.system}
	}
	data, err := json.Marshal(ents)
	if err != nil || os.MkdirAll(filepath.Dir(path), 0o755) != nil {
		return
	}
	tmp := fmt.Sprintf("%s.tmp-%d", path, os.Getpid())
	if os.WriteFile(tmp, data, 0o644) == nil {
		os.Rename(tmp, path)
	}
	os.Remove(tmp)
}
