package eval

import (
	"strings"
	"time"

	"gonix/internal/format/hash"
	"gonix/internal/format/storepath"
	"gonix/internal/lang/ast"
)

// fetchTree, fetchGit and fetchMercurial: Nix 2.8's fetchers::Input
// machinery. The argument conversion, the input scheme's attribute checks
// and the "already in the store" shortcut of Input::fetch are reproduced;
// a Git checkout then runs git (fetch_git.go), a Mercurial one is not
// implemented yet and fails with an error naming the input.

func primFetchTree(st *State, pos ast.Pos, args []*Value) Value {
	// Nix checks the feature before looking at the argument; this build
	// has no way to enable experimental features.
	failNoPos("experimental Nix feature 'flakes' is disabled; use '--extra-experimental-features flakes' to override")
	return Value{}
}

func primFetchGit(st *State, pos ast.Pos, args []*Value) Value {
	arg := args[0]
	attrs := inputAttrs{}
	st.force(arg, pos)
	if arg.kind == KAttrs {
		b := arg.Attrs()
		if b.Get(st.sType) != nil {
			st.fail(pos, "unexpected attribute 'type'")
		}
		attrs.emplace("type", strAttr("git"))
		for i := range b.Attrs {
			a := &b.Attrs[i]
			apos := st.attrPosOr(a, pos)
			n := st.syms.Name(a.Name)
			st.force(a.Val, apos)
			switch a.Val.kind {
			case KString, KPath:
				s := st.coerceToString(apos, a.Val, nil, false, false)
				if n == "url" {
					s = fixURIForGit(s)
				}
				attrs.emplace(n, strAttr(s))
			case KBool:
				attrs.emplace(n, inputAttr{kind: attrBool, b: a.Val.n != 0})
			case KInt:
				attrs.emplace(n, inputAttr{kind: attrInt, n: uint64(a.Val.n)})
			default:
				failNoPos("fetchTree argument '%s' is %s while a string, Boolean or integer is expected", n, showType(a.Val))
			}
		}
	} else {
		url := st.coerceToString(pos, arg, nil, false, false)
		attrs.emplace("type", strAttr("git"))
		attrs.emplace("url", strAttr(fixURIForGit(url)))
	}
	in := gitInputFromAttrs(attrs)
	in.fixup()
	if r, ok := st.cachedTree(in, true); ok {
		return r
	}
	func() {
		defer st.traceGuard(len(st.traces), ast.Pos{}, "while fetching the input '"+in.toURL()+"'")
		in.attrs.name()
		if rev, ok := in.rev(); ok && rev.Algo != hash.SHA1 && rev.Algo != hash.SHA256 {
			failNoPos("Hash '%s' is not supported by Git. Supported types are sha1 and sha256.", rev.Encode(hash.Base16, true))
		}
	}()
	r := st.fetchGitInput(in)
	return st.treeAttrs(r.in, r.path, r.narHash, true)
}

func primFetchMercurial(st *State, pos ast.Pos, args []*Value) Value {
	arg := args[0]
	var url, ref, rev string
	name := "source"
	st.force(arg, pos)
	if arg.kind == KAttrs {
		b := arg.Attrs()
		for i := range b.Attrs {
			a := &b.Attrs[i]
			apos := st.attrPosOr(a, pos)
			switch n := st.syms.Name(a.Name); n {
			case "url":
				url = st.coerceToString(apos, a.Val, nil, false, false)
			case "rev":
				// Unlike fetchGit's, this rev may also be a branch or tag.
				v := st.forceStringNoCtx(a.Val, apos)
				if isGitRev(v) {
					h, err := hash.Parse(v, hash.SHA1)
					if err != nil {
						failNoPos("%s", err.Error())
					}
					rev = h.Base16()
				} else {
					ref = v
				}
			case "name":
				name = st.forceStringNoCtx(a.Val, apos)
			default:
				st.fail(apos, "unsupported argument '%s' to 'fetchMercurial'", n)
			}
		}
		if url == "" {
			st.fail(pos, "'url' argument required")
		}
	} else {
		url = st.coerceToString(pos, arg, nil, false, false)
	}
	attrs := inputAttrs{}
	attrs.set("type", strAttr("hg"))
	if !strings.Contains(url, "://") {
		url = "file://" + url
	}
	attrs.set("url", strAttr(url))
	attrs.set("name", strAttr(name))
	if ref != "" {
		attrs.set("ref", strAttr(ref))
	}
	if rev != "" {
		attrs.set("rev", strAttr(rev))
	}
	in := hgInputFromAttrs(attrs)
	in.fixup()
	if r, ok := st.cachedTree(in, false); ok {
		return r
	}
	defer st.traceGuard(len(st.traces), ast.Pos{}, "while fetching the input '"+in.toURL()+"'")
	in.attrs.name()
	failNoPos("fetching the Mercurial repository '%s' is not supported by this build yet", url)
	return Value{}
}

// input is a fetchers::Input of type git or hg.
type input struct {
	attrs inputAttrs
	hg    bool
}

func gitInputFromAttrs(attrs inputAttrs) input {
	for _, k := range attrs.keys() {
		switch k {
		case "type", "url", "ref", "rev", "shallow", "submodules", "lastModified", "revCount", "narHash", "allRefs", "name":
		default:
			failNoPos("unsupported Git input attribute '%s'", k)
		}
	}
	mustParseURL(attrs.getStr("url"))
	attrs.boolean("shallow")
	attrs.boolean("submodules")
	attrs.boolean("allRefs")
	if ref, ok := attrs.str("ref"); ok && badGitRef().MatchString(ref) {
		failNoPos("invalid Git branch/tag name '%s'", ref)
	}
	return input{attrs: attrs}
}

func hgInputFromAttrs(attrs inputAttrs) input {
	for _, k := range attrs.keys() {
		switch k {
		case "type", "url", "ref", "rev", "revCount", "narHash", "name":
		default:
			failNoPos("unsupported Mercurial input attribute '%s'", k)
		}
	}
	mustParseURL(attrs.getStr("url"))
	if ref, ok := attrs.str("ref"); ok && !hgRef().MatchString(ref) {
		failNoPos("invalid Mercurial branch/tag name '%s'", ref)
	}
	return input{attrs: attrs, hg: true}
}

// fixup is fetchers.cc's fixupInput: every common attribute is read once
// so that its type and syntax errors surface now.
func (in input) fixup() {
	in.attrs.getStr("type")
	in.attrs.str("ref")
	in.rev()
	in.attrs.integer("revCount")
	in.attrs.integer("lastModified")
	in.narHash()
}

// rev is Input::getRev: a prefixed or SRI hash, else a SHA-1 digest.
func (in input) rev() (hash.Hash, bool) {
	s, ok := in.attrs.str("rev")
	if !ok {
		return hash.Hash{}, false
	}
	h, err := hash.ParsePrefixed(s)
	if err != nil {
		if h, err = hash.Parse(s, hash.SHA1); err != nil {
			failNoPos("%s", err.Error())
		}
	}
	return h, true
}

func (in input) narHash() (hash.Hash, bool) {
	s, ok := in.attrs.str("narHash")
	if !ok {
		return hash.Hash{}, false
	}
	if s == "" {
		return hash.Zero(hash.SHA256), true
	}
	h, err := hash.ParseSRI(s)
	if err != nil {
		failNoPos("%s", err.Error())
	}
	if h.Algo != hash.SHA256 {
		panic(&Error{Kind: ErrUsage, Msg: "narHash must use SHA-256"})
	}
	return h, true
}

// toURL is the input's to_string(): the URL with the scheme's prefix and
// the revision attributes as query parameters.
func (in input) toURL() string {
	u := mustParseURL(in.attrs.getStr("url"))
	if in.hg {
		u.scheme = "hg+" + u.scheme
	} else if u.scheme != "git" {
		u.scheme = "git+" + u.scheme
	}
	if rev, ok := in.rev(); ok {
		u.query["rev"] = rev.Base16()
	}
	if ref, ok := in.attrs.str("ref"); ok {
		u.query["ref"] = ref
	}
	if !in.hg {
		if b, ok := in.attrs.boolean("shallow"); ok && b {
			u.query["shallow"] = "1"
		}
	}
	return u.String()
}

// cachedTree is the start of Input::fetch: an input that names its NAR
// hash and everything else the scheme needs is looked up in the store
// first, and used without fetching when it is there. Errors while
// computing the path only skip the shortcut, as in Nix.
func (st *State) cachedTree(in input, emptyRevFallback bool) (r Value, ok bool) {
	narHash, has := in.narHash()
	if !has {
		return Value{}, false
	}
	if in.hg {
		if _, ok := in.attrs.integer("revCount"); !ok {
			return Value{}, false
		}
	} else {
		_, hasLM := in.attrs.integer("lastModified")
		shallow, _ := in.attrs.boolean("shallow")
		_, hasRef := in.attrs.str("ref")
		_, hasRC := in.attrs.integer("revCount")
		if !hasLM || !(shallow || !hasRef || hasRC) {
			return Value{}, false
		}
	}
	p, err := storepath.MakeFixedOutputPath(st.store.StoreDir(), in.attrs.name(), true, narHash, nil)
	if err != nil || !st.isValidStorePath(p) {
		return Value{}, false
	}
	if in.hg {
		return st.mercurialResult(in, p), true
	}
	return st.treeAttrs(in, p, narHash, emptyRevFallback), true
}

// treeAttrs is emitTreeAttrs (fetchTree.cc).
func (st *State) treeAttrs(in input, p string, narHash hash.Hash, emptyRevFallback bool) Value {
	attrs := []Attr{
		st.attr("outPath", StringValue(p, Context{p})),
		st.attr("narHash", StringValue(narHash.SRI(), nil)),
	}
	sub, _ := in.attrs.boolean("submodules")
	attrs = append(attrs, st.attr("submodules", BoolValue(sub)))
	rev, hasRev := in.rev()
	if !hasRev && emptyRevFallback {
		rev, hasRev = hash.Zero(hash.SHA1), true
	}
	if hasRev {
		hex := rev.Base16()
		attrs = append(attrs, st.attr("rev", StringValue(hex, nil)), st.attr("shortRev", StringValue(hex[:7], nil)))
	}
	if n, ok := in.attrs.integer("revCount"); ok {
		attrs = append(attrs, st.attr("revCount", IntValue(int64(n))))
	} else if emptyRevFallback {
		attrs = append(attrs, st.attr("revCount", IntValue(0)))
	}
	if n, ok := in.attrs.integer("lastModified"); ok {
		attrs = append(attrs, st.attr("lastModified", IntValue(int64(n))),
			st.attr("lastModifiedDate", StringValue(time.Unix(int64(n), 0).UTC().Format("20060102150405"), nil)))
	}
	return mkAttrs(attrs)
}

// mercurialResult is the result set of prim_fetchMercurial.
func (st *State) mercurialResult(in input, p string) Value {
	attrs := []Attr{st.attr("outPath", StringValue(p, Context{p}))}
	if ref, ok := in.attrs.str("ref"); ok {
		attrs = append(attrs, st.attr("branch", StringValue(ref, nil)))
	}
	rev, ok := in.rev()
	if !ok {
		rev = hash.Zero(hash.SHA1)
	}
	hex := rev.Base16()
	attrs = append(attrs, st.attr("rev", StringValue(hex, nil)), st.attr("shortRev", StringValue(hex[:12], nil)))
	if n, ok := in.attrs.integer("revCount"); ok {
		attrs = append(attrs, st.attr("revCount", IntValue(int64(n))))
	}
	return mkAttrs(attrs)
}
