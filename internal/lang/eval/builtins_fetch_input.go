package eval

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"gonix/internal/format/jsonstr"
	"gonix/internal/lazyre"
)

// Fetcher input attributes (libfetchers/attrs.cc) and URLs
// (libutil/url.cc) as Nix 2.8 handles them, with their error texts.

type attrKind uint8

const (
	attrStr attrKind = iota
	attrInt
	attrBool
)

// inputAttr is one value of a fetchers::Attrs map: a string, an unsigned
// integer or a Boolean.
type inputAttr struct {
	kind attrKind
	s    string
	n    uint64
	b    bool
}

func strAttr(s string) inputAttr { return inputAttr{kind: attrStr, s: s} }

// inputAttrs is fetchers::Attrs, a std::map: iteration is by name bytes.
type inputAttrs map[string]inputAttr

// emplace adds name unless it is already present (std::map::emplace).
func (a inputAttrs) emplace(name string, v inputAttr) {
	if _, ok := a[name]; !ok {
		a[name] = v
	}
}

func (a inputAttrs) set(name string, v inputAttr) { a[name] = v }

func (a inputAttrs) keys() []string {
	ks := make([]string, 0, len(a))
	for k := range a {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// json is attrsToJSON(attrs).dump(): compact, keys in byte order.
func (a inputAttrs) json() string {
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range a.keys() {
		if i > 0 {
			b.WriteByte(',')
		}
		jsonstr.Write(&b, k)
		b.WriteByte(':')
		switch v := a[k]; v.kind {
		case attrStr:
			jsonstr.Write(&b, v.s)
		case attrInt:
			b.WriteString(strconv.FormatUint(v.n, 10))
		default:
			b.WriteString(strconv.FormatBool(v.b))
		}
	}
	b.WriteByte('}')
	return b.String()
}

// str is maybeGetStrAttr.
func (a inputAttrs) str(name string) (string, bool) {
	v, ok := a[name]
	if !ok {
		return "", false
	}
	if v.kind != attrStr {
		failNoPos("input attribute '%s' is not a string %s", name, a.json())
	}
	return v.s, true
}

// getStr is getStrAttr.
func (a inputAttrs) getStr(name string) string {
	s, ok := a.str(name)
	if !ok {
		failNoPos("input attribute '%s' is missing", name)
	}
	return s
}

// integer is maybeGetIntAttr.
func (a inputAttrs) integer(name string) (uint64, bool) {
	v, ok := a[name]
	if !ok {
		return 0, false
	}
	if v.kind != attrInt {
		failNoPos("input attribute '%s' is not an integer", name)
	}
	return v.n, true
}

// boolean is maybeGetBoolAttr.
func (a inputAttrs) boolean(name string) (bool, bool) {
	v, ok := a[name]
	if !ok {
		return false, false
	}
	if v.kind != attrBool {
		failNoPos("input attribute '%s' is not a Boolean", name)
	}
	return v.b, true
}

// name is Input::getName.
func (a inputAttrs) name() string {
	if s, ok := a.str("name"); ok {
		return s
	}
	return "source"
}

// The regular expressions of url-parts.hh, anchored for regex_match.
const (
	pctEncodedRE   = `(?:%[0-9a-fA-F][0-9a-fA-F])`
	schemeRE       = `(?:[a-z][a-z0-9+.-]*)`
	ipv6SegmentRE  = `[0-9a-fA-F:]+(?:%\w+)?`
	ipv6AddressRE  = `(?:\[` + ipv6SegmentRE + `\]|` + ipv6SegmentRE + `)`
	unreservedRE   = `(?:[a-zA-Z0-9-._~])`
	subdelimsRE    = `(?:[!$&'"()*+,;=])`
	hostnameRE     = `(?:(?:` + unreservedRE + `|` + pctEncodedRE + `|` + subdelimsRE + `)*)`
	hostRE         = `(?:` + ipv6AddressRE + `|` + hostnameRE + `)`
	userRE         = `(?:(?:` + unreservedRE + `|` + pctEncodedRE + `|` + subdelimsRE + `|:)*)`
	authorityRE    = `(?:` + userRE + `@)?` + hostRE + `(?::[0-9]+)?`
	pcharRE        = `(?:` + unreservedRE + `|` + pctEncodedRE + `|` + subdelimsRE + `|[:@])`
	queryRE        = `(?:` + pcharRE + `|[/? "])*`
	segmentRE      = `(?:` + pcharRE + `*)`
	absPathRE      = `(?:(?:/` + segmentRE + `)*/?)`
	pathRE         = `(?:` + segmentRE + `(?:/` + segmentRE + `)*/?)`
	urlRE          = `^((` + schemeRE + `):(?:(?://(` + authorityRE + `)(` + absPathRE + `))|(/?` + pathRE + `)))(?:\?(` + queryRE + `))?(?:#(` + queryRE + `))?$`
	badGitRefRE    = `//|^[./]|/\.|\.\.|[[:cntrl:][:space:]:?^~\[]|\\|\*|\.lock$|\.lock/|@\{|[/.]$|^@$|^$`
	hgRefRE        = `^[a-zA-Z0-9][a-zA-Z0-9_./-]*$`
	gitRevRE       = `^[0-9a-fA-F]{40}$`
	scpURIRE       = `^([^/]*)@([^\n\r]*):([^\n\r]*)$` // ECMAScript '.' stops at CR and LF too
	scpReplacement = `$1@$2/$3`
)

// Compiled once; regexp.Regexp is safe for concurrent use and these are
// never modified.
var (
	urlRegexp = lazyre.New(urlRE)
	badGitRef = lazyre.New(badGitRefRE)
	hgRef     = lazyre.New(hgRefRE)
	gitRev    = lazyre.New(gitRevRE)
	scpURI    = lazyre.New(scpURIRE)
)

func isGitRev(s string) bool { return gitRev().MatchString(s) }

// fixURIForGit turns scp-like "user@host:path" into ssh://user@host/path
// and a bare path into a file:// URL (fetchTree.cc).
func fixURIForGit(uri string) string {
	if !strings.HasPrefix(uri, "/") && scpURI().MatchString(uri) {
		return fixURI(scpURI().ReplaceAllString(uri, scpReplacement), "ssh")
	}
	return fixURI(uri, "file")
}

func fixURI(uri, defaultScheme string) string {
	if strings.Contains(uri, "://") {
		return uri
	}
	return defaultScheme + "://" + uri
}

// parsedURL is Nix's ParsedURL.
type parsedURL struct {
	base      string // the URL without query and fragment
	scheme    string
	authority *string
	path      string
	query     map[string]string
	fragment  string
}

// mustParseURL is parseURL, failing with Nix's BadURL texts.
func mustParseURL(u string) parsedURL {
	m := urlRegexp().FindStringSubmatchIndex(u)
	if m == nil {
		failNoPos("'%s' is not a valid URL", u)
	}
	group := func(i int) (string, bool) {
		if m[2*i] < 0 {
			return "", false
		}
		return u[m[2*i]:m[2*i+1]], true
	}
	var p parsedURL
	p.base, _ = group(1)
	p.scheme, _ = group(2)
	if a, ok := group(3); ok {
		p.authority = &a
	}
	if s, ok := group(4); ok {
		p.path = s
	} else {
		p.path, _ = group(5)
	}
	isFile := strings.Contains(p.scheme, "file")
	if p.authority != nil && *p.authority != "" && isFile {
		failNoPos("file:// URL '%s' has unexpected authority '%s'", u, *p.authority)
	}
	if isFile && p.path == "" {
		p.path = "/"
	}
	q, _ := group(6)
	p.query = decodeQuery(q)
	f, _ := group(7)
	p.fragment = percentDecode(f)
	return p
}

// String is ParsedURL::to_string.
func (p parsedURL) String() string {
	var b strings.Builder
	b.WriteString(p.scheme)
	b.WriteByte(':')
	if p.authority != nil {
		b.WriteString("//")
		b.WriteString(*p.authority)
	}
	b.WriteString(p.path)
	if len(p.query) > 0 {
		b.WriteByte('?')
		ks := make([]string, 0, len(p.query))
		for k := range p.query {
			ks = append(ks, k)
		}
		sort.Strings(ks)
		for i, k := range ks {
			if i > 0 {
				b.WriteByte('&')
			}
			b.WriteString(percentEncode(k))
			b.WriteByte('=')
			b.WriteString(percentEncode(p.query[k]))
		}
	}
	if p.fragment != "" {
		b.WriteByte('#')
		b.WriteString(percentEncode(p.fragment))
	}
	return b.String()
}

// decodeQuery splits on '&' (empty pieces skipped); a piece without '='
// is dropped, and the first occurrence of a name wins.
func decodeQuery(q string) map[string]string {
	res := make(map[string]string)
	for _, s := range strings.Split(q, "&") {
		k, v, ok := strings.Cut(s, "=")
		if s == "" || !ok {
			continue
		}
		if _, dup := res[k]; !dup {
			res[k] = percentDecode(v)
		}
	}
	return res
}

// percentDecode follows url.cc, including its use of std::stoul on the
// two characters after '%' (which accepts "%1z" as byte 1).
func percentDecode(in string) string {
	var b strings.Builder
	for i := 0; i < len(in); {
		if in[i] != '%' {
			b.WriteByte(in[i])
			i++
			continue
		}
		if i+2 >= len(in) {
			failNoPos("invalid URI parameter '%s'", in)
		}
		n, ok := stoulHex(in[i+1 : i+3])
		if !ok {
			failNoPos("invalid URI parameter '%s'", in)
		}
		b.WriteByte(byte(n))
		i += 3
	}
	return b.String()
}

// stoulHex is std::stoul(s, 0, 16): optional leading white space and
// sign, then as many hex digits as there are (at least one).
func stoulHex(s string) (uint64, bool) {
	s = strings.TrimLeft(s, " \t\n\v\f\r")
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	var n uint64
	digits := 0
	for ; digits < len(s); digits++ {
		c := s[digits]
		var d byte
		switch {
		case c >= '0' && c <= '9':
			d = c - '0'
		case c >= 'a' && c <= 'f':
			d = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			d = c - 'A' + 10
		default:
			goto done
		}
		n = n*16 + uint64(d)
	}
done:
	if digits == 0 {
		return 0, false
	}
	if neg {
		n = -n
	}
	return n, true
}

// percentEncode is url.cc's, which formats a signed char: bytes from
// 0x80 come out as %ffffffXX.
func percentEncode(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9',
			strings.IndexByte("-._~!$&'()*+,;=:@", c) >= 0:
			b.WriteByte(c)
		case c >= 0x80:
			fmt.Fprintf(&b, "%%%02x", uint32(int32(int8(c))))
		default:
			fmt.Fprintf(&b, "%%%02x", c)
		}
	}
	return b.String()
}
