package build

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"gonix/internal/format/derivation"
	"gonix/internal/format/nixbase32"
	"gonix/internal/format/storepath"
	"gonix/internal/store"
	"gonix/internal/store/local"
)

// rewrites are Nix's inputRewrites: (from, to) pairs applied one after
// the other in the order of from (a std::map), each replacing every
// occurrence.
type rewrites [][2]string

func (r rewrites) sort() {
	slices.SortFunc(r, func(a, b [2]string) int { return strings.Compare(a[0], b[0]) })
}

func (r rewrites) apply(s string) string {
	for _, kv := range r {
		s = strings.ReplaceAll(s, kv[0], kv[1])
	}
	return s
}

// envList renders an environment as the builder gets it: "KEY=VALUE"
// strings in the order of their keys (Nix's std::map), each rewritten.
func (r rewrites) envList(env map[string]string) []string {
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		out = append(out, r.apply(k+"="+env[k]))
	}
	return out
}

// passAsFileName is the file a passAsFile attribute is written to:
// .attr-<nixbase32(sha256(name))>.
func passAsFileName(name string) string {
	sum := sha256.Sum256([]byte(name))
	return ".attr-" + nixbase32.EncodeToString(sum[:])
}

// initEnv builds the environment in Nix 2.8's order (initEnv and
// initTmpDir, spec/store.md §10.2); a later step overrides an earlier
// one. passAsFile attributes are written into the build directory.
func (p *prep) initEnv() (map[string]string, error) {
	env := map[string]string{
		"PATH":            "/path-not-set",
		"HOME":            homeDir,
		"NIX_STORE":       p.s.StoreDir(),
		"NIX_BUILD_CORES": strconv.Itoa(p.set.Cores),
	}
	if p.attrs.structured == nil {
		passAsFile := map[string]bool{}
		for _, n := range tokenize(p.drv.Env["passAsFile"]) {
			passAsFile[n] = true
		}
		for k, v := range p.drv.Env {
			if !passAsFile[k] {
				env[k] = v
				continue
			}
			fn := passAsFileName(k)
			if err := os.WriteFile(filepath.Join(p.buildDir, fn), []byte(p.rewrites.apply(v)), 0o666); err != nil {
				return nil, fmt.Errorf("writing passAsFile attribute '%s': %w", k, err)
			}
			env[k+"Path"] = p.buildDirIn + "/" + fn
		}
	}
	for _, k := range []string{"NIX_BUILD_TOP", "TMPDIR", "TEMPDIR", "TMP", "TEMP", "PWD"} {
		env[k] = p.buildDirIn
	}
	if p.fixed {
		env["NIX_OUTPUT_CHECKED"] = "1"
		// Only a fixed-output derivation sees the caller's values: its
		// result is checked against a known hash anyway.
		vars, _, err := p.attrs.strings("impureEnvVars")
		if err != nil {
			return nil, err
		}
		for _, v := range vars {
			val, _ := p.set.lookupEnv(v)
			env[v] = val
		}
	}
	env["NIX_LOG_FD"] = "2"
	env["TERM"] = "xterm-256color"
	return env, nil
}

// writeStructuredAttrs writes .attrs.json and .attrs.sh (spec/store.md
// §10.3) and points NIX_ATTRS_*_FILE at them — at their host path even in
// the sandbox, which is Nix 2.8's behaviour (a sandboxed builder cannot
// open them there; it finds them in $NIX_BUILD_TOP).
func (p *prep) writeStructuredAttrs(ctx context.Context, env map[string]string) error {
	if p.attrs.structured == nil {
		return nil
	}
	o := make(jsonObject, len(p.attrs.structured)+1)
	for k, v := range p.attrs.structured {
		o[k] = v
	}
	outputs := jsonObject{}
	for name := range p.drv.Outputs {
		outputs[name] = p.rewrites.apply(storepath.Placeholder(name))
	}
	o["outputs"] = outputs
	if e, ok := o["exportReferencesGraph"].(jsonObject); ok {
		for _, name := range sortedKeys(e) {
			var paths []string
			switch v := e[name].(type) {
			case nil:
			case string:
				paths = []string{v}
			case []any:
				for _, x := range v {
					s, ok := x.(string)
					if !ok {
						return fmt.Errorf("derivation '%s': 'exportReferencesGraph' entry '%s' must be a list of store paths", p.drvPath, name)
					}
					paths = append(paths, s)
				}
			default:
				return fmt.Errorf("derivation '%s': 'exportReferencesGraph' entry '%s' must be a list of store paths", p.drvPath, name)
			}
			for _, x := range paths {
				if !storepath.IsStorePath(p.s.StoreDir(), x) {
					return fmt.Errorf("derivation '%s': 'exportReferencesGraph' entry '%s': path '%s' is not a store path", p.drvPath, name, x)
				}
			}
			v, err := p.pathInfoJSON(ctx, paths)
			if err != nil {
				return err
			}
			o[name] = v
		}
	}
	sh := filepath.Join(p.buildDir, ".attrs.sh")
	if err := os.WriteFile(sh, []byte(p.rewrites.apply(structuredAttrsShell(o))), 0o666); err != nil {
		return fmt.Errorf("writing structured attributes: %w", err)
	}
	js := filepath.Join(p.buildDir, ".attrs.json")
	if err := os.WriteFile(js, []byte(p.rewrites.apply(string(marshalJSON(o)))), 0o666); err != nil {
		return fmt.Errorf("writing structured attributes: %w", err)
	}
	env["NIX_ATTRS_SH_FILE"] = sh
	env["NIX_ATTRS_JSON_FILE"] = js
	return nil
}

// pathInfoJSON is Nix's pathInfoToJSON(exportReferences(paths), no impure
// info, with closure sizes) as a parsed value: a list, sorted by path, of
// {closureSize, narHash (nixbase32), narSize, path, references[, ca]}.
func (p *prep) pathInfoJSON(ctx context.Context, paths []string) ([]any, error) {
	closure, err := p.exportReferences(ctx, paths)
	if err != nil {
		return nil, err
	}
	out := make([]any, 0, len(closure))
	for _, c := range closure {
		info, err := p.s.QueryPathInfo(ctx, c)
		if err != nil {
			return nil, err
		}
		cl, err := store.ComputeClosure(ctx, p.s, []string{c}, false, false, false)
		if err != nil {
			return nil, err
		}
		var size uint64
		for _, x := range cl {
			xi, err := p.s.QueryPathInfo(ctx, x)
			if err != nil {
				return nil, err
			}
			size += xi.NarSize
		}
		refs := make([]any, 0, len(info.References))
		for _, r := range info.References {
			refs = append(refs, r)
		}
		o := jsonObject{
			"path":        info.Path,
			"narHash":     info.NarHash.String(),
			"narSize":     json.Number(strconv.FormatUint(info.NarSize, 10)),
			"references":  refs,
			"closureSize": json.Number(strconv.FormatUint(size, 10)),
		}
		if info.CA != "" {
			o["ca"] = info.CA
		}
		out = append(out, o)
	}
	return out, nil
}

// exportReferences is Nix's Store::exportReferences: the closure of paths
// (each of which must be in the input closure), plus the closures of the
// outputs of every derivation in it.
func (p *prep) exportReferences(ctx context.Context, paths []string) ([]string, error) {
	for _, x := range paths {
		if !p.inputs[x] {
			return nil, fmt.Errorf("cannot export references of path '%s' because it is not in the input closure of the derivation", x)
		}
	}
	if len(paths) == 0 {
		return nil, nil
	}
	closure, err := store.ComputeClosure(ctx, p.s, paths, false, false, false)
	if err != nil {
		return nil, err
	}
	var outs []string
	for _, c := range closure {
		if !strings.HasSuffix(c, ".drv") {
			continue
		}
		d, err := readDerivation(p.s, c)
		if err != nil {
			return nil, err
		}
		for _, name := range d.OutputNames() {
			if d.Outputs[name].Path == "" {
				return nil, fmt.Errorf("exportReferences on CA derivations is not yet implemented")
			}
			outs = append(outs, d.Outputs[name].Path)
		}
	}
	if len(outs) > 0 {
		more, err := store.ComputeClosure(ctx, p.s, outs, false, false, false)
		if err != nil {
			return nil, err
		}
		closure = append(closure, more...)
		slices.Sort(closure)
		closure = slices.Compact(closure)
	}
	return closure, nil
}

// exportReferencesGraph handles the attribute of that name without
// structured attributes: pairs "file path" whose closure is written to
// <buildDir>/<file> in the registration format, without hashes and with
// empty deriver lines (spec/store.md §7.11, §10.3).
func (p *prep) exportReferencesGraph(ctx context.Context) error {
	s := p.drv.Env["exportReferencesGraph"]
	ss := tokenize(s)
	if len(ss)%2 != 0 {
		return fmt.Errorf("odd number of tokens in 'exportReferencesGraph': '%s'", s)
	}
	storeDir := p.s.StoreDir()
	for i := 0; i < len(ss); i += 2 {
		fileName, pathS := ss[i], ss[i+1]
		if !validGraphFileName(fileName) {
			return fmt.Errorf("invalid file name '%s' in 'exportReferencesGraph'", fileName)
		}
		if !storepath.IsInStore(storeDir, pathS) {
			return fmt.Errorf("'exportReferencesGraph' contains a non-store path '%s'", pathS)
		}
		sp, _, err := storepath.Split(storeDir, pathS)
		if err != nil {
			return fmt.Errorf("'exportReferencesGraph' contains a non-store path '%s': %w", pathS, err)
		}
		closure, err := p.exportReferences(ctx, []string{sp})
		if err != nil {
			return err
		}
		var b strings.Builder
		for _, c := range closure {
			info, err := p.s.QueryPathInfo(ctx, c)
			if err != nil {
				return err
			}
			fmt.Fprintf(&b, "%s\n\n%d\n", c, len(info.References))
			for _, r := range info.References {
				b.WriteString(r + "\n")
			}
		}
		if err := os.WriteFile(filepath.Join(p.buildDir, fileName), []byte(b.String()), 0o666); err != nil {
			return fmt.Errorf("writing 'exportReferencesGraph' file '%s': %w", fileName, err)
		}
	}
	return nil
}

// validGraphFileName is [A-Za-z_][A-Za-z0-9_.-]*.
func validGraphFileName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '_', 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case i > 0 && ('0' <= c && c <= '9' || c == '.' || c == '-'):
		default:
			return false
		}
	}
	return true
}

// ShellStructuredAttrs prepares a __structuredAttrs derivation for
// nix-shell as Nix 2.8's nix-build.cc does: .attrs.json and .attrs.sh in
// dir (outputs as their hash placeholders; exportReferencesGraph over the
// closure of the input derivations' wanted outputs), NIX_ATTRS_SH_FILE and
// NIX_ATTRS_JSON_FILE in env. It returns the shell text, which nix-shell
// also puts in its rcfile, or "" for a derivation without structured
// attributes.
func ShellStructuredAttrs(ctx context.Context, s *local.Store, drvPath string, drv *derivation.Derivation, dir string, env map[string]string) (string, error) {
	j, ok := drv.Env["__json"]
	if !ok {
		return "", nil
	}
	attrs := &drvAttrs{drvPath: drvPath, env: drv.Env}
	var err error
	if attrs.structured, err = parseStructuredAttrs(drvPath, j); err != nil {
		return "", err
	}
	var outs []string
	for in, names := range drv.InputDrvs {
		d, err := readDerivation(s, in)
		if err != nil {
			return "", err
		}
		for _, n := range names {
			if o, ok := d.Outputs[n]; ok && o.Path != "" {
				outs = append(outs, o.Path)
			}
		}
	}
	inputs := map[string]bool{}
	if len(outs) > 0 {
		closure, err := store.ComputeClosure(ctx, s, outs, false, false, false)
		if err != nil {
			return "", err
		}
		for _, c := range closure {
			inputs[c] = true
		}
	}
	p := &prep{s: s, drvPath: drvPath, drv: drv, attrs: attrs, inputs: inputs, buildDir: dir}
	if err := p.writeStructuredAttrs(ctx, env); err != nil {
		return "", err
	}
	sh, err := os.ReadFile(env["NIX_ATTRS_SH_FILE"])
	if err != nil {
		return "", fmt.Errorf("nix-shell: %w", err)
	}
	return string(sh), nil
}
