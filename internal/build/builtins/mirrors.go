package builtins

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Mirror URLs (gonix's extension to builtin:fetchurl, docs/design/bootstrap.md):
// a url "mirror://NAME/REST" is tried as BASE/REST for each base of
// mirror NAME in turn. The package collection writes its Debian sources
// and seeds as mirror://debian/pool/..., so no host name is written into
// it; which mirror serves them is the user's configuration, resolved here
// because fixed-output downloads are the one place where impurity is
// allowed (the output hash is checked whatever the mirror).

// DefaultDebianMirror is the mirror used when neither the environment nor
// the host's apt sources name one.
const DefaultDebianMirror = "http://deb.debian.org/debian"

// MirrorConfig says where the mirror bases come from: Getenv for
// GONIX_MIRROR_<NAME> (space-separated bases; NAME upper-cased, '-' as
// '_'), and AptRoot, the directory holding etc/apt ("/" on a host; empty
// means "/"), for the default Debian mirror.
type MirrorConfig struct {
	Getenv  func(string) string
	AptRoot string
}

// Lookup is the list of bases of mirror name: GONIX_MIRROR_<NAME> when
// set; for "debian" otherwise the Debian archive URIs of the host's apt
// sources, else DefaultDebianMirror; nil for an unknown name.
func (c MirrorConfig) Lookup(name string) []string {
	if env := c.env(name); len(env) > 0 {
		return env
	}
	if name != "debian" {
		return nil
	}
	if apt := aptDebianURIs(c.root()); len(apt) > 0 {
		return apt
	}
	return []string{DefaultDebianMirror}
}

func (c MirrorConfig) root() string {
	if c.AptRoot == "" {
		return "/"
	}
	return c.AptRoot
}

func (c MirrorConfig) env(name string) []string {
	if c.Getenv == nil {
		return nil
	}
	key := "GONIX_MIRROR_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
	return strings.Fields(c.Getenv(key))
}

// ExpandMirror turns a mirror:// URL into the URLs to try, in order; any
// other URL is returned as it is. An unknown mirror name is an error that
// says how to configure one.
func ExpandMirror(url string, mirrors func(name string) []string) ([]string, error) {
	rest, ok := strings.CutPrefix(url, "mirror://")
	if !ok {
		return []string{url}, nil
	}
	name, path, ok := strings.Cut(rest, "/")
	if !ok || name == "" {
		return nil, fmt.Errorf("invalid mirror URL '%s' (expected mirror://NAME/PATH)", url)
	}
	var bases []string
	if mirrors != nil {
		bases = mirrors(name)
	}
	if len(bases) == 0 {
		return nil, fmt.Errorf("unknown mirror '%s' in '%s'; set GONIX_MIRROR_%s to its base URLs", name, url, strings.ToUpper(strings.ReplaceAll(name, "-", "_")))
	}
	urls := make([]string, len(bases))
	for i, b := range bases {
		urls[i] = strings.TrimSuffix(b, "/") + "/" + path
	}
	return urls, nil
}

// aptDebianURIs reads the deb archive URIs of root/etc/apt: deb822 files
// in sources.list.d/*.sources (Types including deb) and one-line entries
// of sources.list and sources.list.d/*.list. Security and ports archives
// are left out: their pools are not the main archive's (a URI whose
// suites all end in -security, or whose path ends in -security).
func aptDebianURIs(root string) []string {
	var uris []string
	seen := map[string]bool{}
	add := func(u string, suites []string) {
		u = strings.TrimSuffix(u, "/")
		if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "file:/") {
			return
		}
		if strings.HasSuffix(u, "-security") || strings.Contains(u, "debian-ports") {
			return
		}
		allSecurity := len(suites) > 0
		for _, s := range suites {
			if !strings.HasSuffix(s, "-security") && !strings.HasSuffix(s, "/updates") {
				allSecurity = false
			}
		}
		if allSecurity || seen[u] {
			return
		}
		seen[u] = true
		uris = append(uris, u)
	}
	dir := filepath.Join(root, "etc/apt")
	lists := []string{filepath.Join(dir, "sources.list")}
	more, _ := filepath.Glob(filepath.Join(dir, "sources.list.d/*.list"))
	sort.Strings(more)
	for _, f := range append(lists, more...) {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n") {
			line, _, _ = strings.Cut(line, "#")
			f := strings.Fields(line)
			if len(f) < 3 || f[0] != "deb" {
				continue
			}
			f = f[1:]
			if strings.HasPrefix(f[0], "[") { // [ options ]
				for len(f) > 0 && !strings.HasSuffix(f[0], "]") {
					f = f[1:]
				}
				if len(f) > 0 {
					f = f[1:]
				}
			}
			if len(f) >= 2 {
				add(f[0], f[1:2])
			}
		}
	}
	sources, _ := filepath.Glob(filepath.Join(dir, "sources.list.d/*.sources"))
	sort.Strings(sources)
	for _, f := range sources {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, stanza := range deb822Stanzas(b) {
			if !strings.Contains(" "+stanza["types"]+" ", " deb ") || stanza["enabled"] == "no" {
				continue
			}
			for _, u := range strings.Fields(stanza["uris"]) {
				add(u, strings.Fields(stanza["suites"]))
			}
		}
	}
	return uris
}

// deb822Stanzas parses the paragraphs of a deb822 file into lower-cased
// field names and values (continuation lines joined with spaces).
func deb822Stanzas(b []byte) []map[string]string {
	var out []map[string]string
	cur := map[string]string{}
	last := ""
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		if strings.TrimSpace(line) == "" {
			if len(cur) > 0 {
				out = append(out, cur)
				cur, last = map[string]string{}, ""
			}
			continue
		}
		if (line[0] == ' ' || line[0] == '\t') && last != "" {
			cur[last] += " " + strings.TrimSpace(line)
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		last = strings.ToLower(strings.TrimSpace(k))
		cur[last] = strings.TrimSpace(v)
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}
