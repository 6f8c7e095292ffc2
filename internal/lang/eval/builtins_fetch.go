package eval

import (
	"crypto/sha256"
	"io"
	"os"
	"strings"

	"gonix/internal/format/hash"
	"gonix/internal/format/nar"
	"gonix/internal/format/storepath"
	"gonix/internal/lang/ast"
)

// The fetcher builtins (spec §4.10), in the order Nix 2.8 registers them
// (src/libexpr/primops/fetchMercurial.cc, then fetchTree.cc).
//
// fetchurl and fetchTarball download file://, http:// and https:// URLs
// (fetch_http.go; the network only through an HTTPClient, without Nix's
// fetcher cache). fetchGit runs the git command (fetch_git.go);
// Mercurial checkouts are not implemented yet (see builtins_fetch_tree.go).
var fetchBuiltins = []builtinDef{
	{name: "fetchMercurial", arity: 1, topLevel: true, fn: primFetchMercurial},
	{name: "fetchTree", arity: 1, topLevel: true, fn: primFetchTree},
	{name: "fetchurl", arity: 1, fn: primFetchurl},
	{name: "fetchTarball", arity: 1, topLevel: true, fn: primFetchTarball},
	{name: "fetchGit", arity: 1, topLevel: true, fn: primFetchGit},
}

func primFetchurl(st *State, pos ast.Pos, args []*Value) Value {
	return st.fetchURL(pos, args[0], "fetchurl", false, "")
}

func primFetchTarball(st *State, pos ast.Pos, args []*Value) Value {
	return st.fetchURL(pos, args[0], "fetchTarball", true, "source")
}

// fetchURL is fetchTree.cc's fetch(): who names the builtin in errors,
// unpack selects fetchTarball's behaviour, name is the default name.
func (st *State) fetchURL(pos ast.Pos, arg *Value, who string, unpack bool, name string) Value {
	var (
		url      string
		haveURL  bool
		expected *hash.Hash
	)
	st.force(arg, pos)
	if arg.kind == KAttrs {
		// Bindings order (symbol order), as Nix iterates them: it decides
		// which bad attribute is reported first.
		b := arg.Attrs()
		for i := range b.Attrs {
			a := &b.Attrs[i]
			apos := st.attrPosOr(a, pos)
			switch n := st.syms.Name(a.Name); n {
			case "url":
				url, haveURL = st.forceStringNoCtx(a.Val, apos), true
			case "sha256":
				s := st.forceStringNoCtx(a.Val, apos)
				h, err := hash.ParseAllowEmpty(s, hash.SHA256)
				if err != nil {
					failNoPos("%s", err.Error())
				}
				if s == "" {
					writeWarning(st.stderr, "found empty hash, assuming '%s'", h.SRI())
				}
				expected = &h
			case "name":
				name = st.forceStringNoCtx(a.Val, apos)
			default:
				st.fail(apos, "unsupported argument '%s' to '%s'", n, who)
			}
		}
		if !haveURL {
			st.fail(pos, "'url' argument required")
		}
	} else {
		url = st.forceStringNoCtx(arg, pos)
	}
	url = resolveURI(url)
	if name == "" {
		name = baseNameOfString(url)
	}

	// A pinned download that is already in the store is not fetched.
	var want string
	if expected != nil && expected.Algo == hash.SHA256 {
		p, err := storepath.MakeFixedOutputPath(st.store.StoreDir(), name, unpack, *expected, nil)
		if err != nil {
			failNoPos("%s", err.Error())
		}
		if st.isValidStorePath(p) {
			return StringValue(p, Context{p})
		}
		want = p
	}

	file, temp := st.download(url)
	if temp {
		defer os.Remove(file)
	}
	// The downloaded file itself is stored under name in both cases
	// (fetchers::downloadFile), the unpacked tree beside it.
	p := st.addFetched(file, name, false)
	if unpack {
		dir, top := unpackTarball(url, file)
		defer os.RemoveAll(dir)
		if expected != nil {
			sum, _, err := nar.HashPath(top, nil)
			if err != nil {
				failNoPos("%s", err.Error())
			}
			checkDownloadHash(url, *expected, sum)
		}
		p = st.addFetched(top, name, true)
	} else if expected != nil {
		checkDownloadHash(url, *expected, fileSHA256(file))
	}
	if want != "" && p != want {
		// Only reachable when the hash above matched: the paths agree.
		failNoPos("store path mismatch in file downloaded from '%s'", url)
	}
	return StringValue(p, Context{p})
}

func (st *State) addFetched(path, name string, recursive bool) string {
	p, err := st.store.AddSourcePath(path, name, recursive, nil)
	if err != nil {
		failNoPos("%s", err.Error())
	}
	return p
}

// checkDownloadHash raises Nix's hash mismatch error (exit status 102 in
// Nix) when got differs from the expected SHA-256.
func checkDownloadHash(url string, expected hash.Hash, got []byte) {
	g := hash.Hash{Algo: hash.SHA256, Digest: got}
	if !g.Equal(expected) {
		failNoPos("hash mismatch in file downloaded from '%s':\n  specified: %s\n  got:       %s",
			url, expected.Encode(hash.Base32, true), g.Encode(hash.Base32, true))
	}
}

func fileSHA256(path string) []byte {
	f, err := os.Open(path)
	if err != nil {
		failNoPos("opening file '%s': %s", path, errnoText(err))
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		failNoPos("reading file '%s': %s", path, errnoText(err))
	}
	return h.Sum(nil)
}

// resolveURI is Nix's resolveUri: channel:NAME names a channel tarball.
func resolveURI(uri string) string {
	if rest, ok := strings.CutPrefix(uri, "channel:"); ok {
		return "https://nixos.org/channels/" + rest + "/nixexprs.tar.xz"
	}
	return uri
}
