package eval

import (
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"strings"

	"gonix/internal/format/derivation"
	"gonix/internal/format/hash"
	"gonix/internal/format/jsonstr"
	"gonix/internal/format/storepath"
	"gonix/internal/lang/ast"
)

// drvInfo is what the evaluator remembers of a derivation it wrote or read.
type drvInfo struct {
	drv    *derivation.Derivation
	modulo []byte // hashDerivationModulo, unmasked (per output: same for all but FODs)
}

// derivationStrict implements builtins.derivationStrict (spec §3.16,
// store.md §3.5).
func (st *State) derivationStrict(pos ast.Pos, arg *Value) Value {
	attrs := st.forceAttrs(arg, pos)
	nameAttr := attrs.Get(st.sName)
	if nameAttr == nil {
		st.fail(pos, "attribute 'name' missing for call to 'derivationStrict'")
	}
	var drvName string
	func() {
		defer st.traceGuard(len(st.traces), pos, "while evaluating the derivation attribute 'name'")
		drvName = st.forceStringNoCtx(nameAttr.Val, pos)
	}()
	if strings.HasSuffix(drvName, ".drv") {
		st.fail(pos, "derivation names are not allowed to end in '.drv'")
	}

	ignoreNulls := false
	if a := attrs.Get(st.sIgnoreNulls); a != nil {
		ignoreNulls = st.forceBool(a.Val, pos)
	}
	structured := false
	if a := attrs.Get(st.sStructuredAttrs); a != nil {
		structured = st.forceBool(a.Val, pos)
	}

	drv := &derivation.Derivation{Env: map[string]string{}, InputDrvs: map[string][]string{}}
	var ctx contextBuilder
	var outputHash, outputHashAlgo string
	hasOutputHash := false // Nix's std::optional: an empty hash still counts
	outputHashMode := ""
	haveOutputs := false
	outputs := []string{"out"}
	var jsonObj []jsonMember

	for _, a := range sortedByName(st, attrs) {
		key := st.syms.Name(a.Name)
		if key == "__ignoreNulls" || key == "__contentAddressed" || key == "__impure" {
			if key != "__ignoreNulls" {
				st.forceBool(a.Val, pos)
			}
			continue
		}
		if key == "__structuredAttrs" {
			continue
		}
		func() {
			defer st.traceGuard(len(st.traces), pos, "while evaluating the attribute '"+key+"' of the derivation '"+drvName+"'")
			if ignoreNulls {
				st.force(a.Val, pos)
				if a.Val.kind == KNull {
					return
				}
			}
			if key == "args" {
				for _, e := range st.forceList(a.Val, pos) {
					drv.Args = append(drv.Args, st.coerceToString(pos, e, &ctx, true, true))
				}
				return
			}
			if structured {
				st.force(a.Val, pos)
				var b strings.Builder
				st.writeJSON(&b, a.Val, true, &ctx, pos)
				jsonObj = append(jsonObj, jsonMember{key, b.String()})
				switch key {
				case "builder":
					drv.Builder = st.forceString(a.Val, pos).S
				case "system":
					drv.Platform = st.forceString(a.Val, pos).S
				case "outputHash":
					outputHash = st.forceString(a.Val, pos).S
					hasOutputHash = true
				case "outputHashAlgo":
					outputHashAlgo = st.forceString(a.Val, pos).S
				case "outputHashMode":
					outputHashMode = st.forceString(a.Val, pos).S
				case "outputs":
					outputs = nil
					for _, e := range st.forceList(a.Val, pos) {
						outputs = append(outputs, st.forceStringNoCtx(e, pos))
					}
					haveOutputs = true
				}
				return
			}
			s := st.coerceToString(pos, a.Val, &ctx, true, true)
			drv.Env[key] = s
			switch key {
			case "builder":
				drv.Builder = s
			case "system":
				drv.Platform = s
			case "outputHash":
				outputHash = s
				hasOutputHash = true
			case "outputHashAlgo":
				outputHashAlgo = s
			case "outputHashMode":
				outputHashMode = s
			case "outputs":
				outputs = strings.Fields(s)
				haveOutputs = true
			}
		}()
	}
	if structured {
		var b strings.Builder
		b.WriteByte('{')
		for i, m := range jsonObj {
			if i > 0 {
				b.WriteByte(',')
			}
			jsonstr.WriteNix(&b, m.key)
			b.WriteByte(':')
			b.WriteString(m.val)
		}
		b.WriteByte('}')
		drv.Env["__json"] = b.String()
	}
	_ = haveOutputs

	// outputs
	seen := map[string]bool{}
	for _, o := range outputs {
		if o == "drv" {
			st.fail(pos, "invalid derivation output name 'drv'")
		}
		if seen[o] {
			st.fail(pos, "duplicate derivation output '%s'", o)
		}
		seen[o] = true
	}
	if len(outputs) == 0 {
		st.fail(pos, "derivation cannot have an empty set of outputs")
	}
	if drv.Builder == "" {
		st.fail(pos, "required attribute 'builder' missing")
	}
	if drv.Platform == "" {
		st.fail(pos, "required attribute 'system' missing")
	}

	// context → inputs
	for _, c := range ctx.result() {
		switch {
		case strings.HasPrefix(c, "="):
			for _, p := range st.drvClosure(c[1:], pos) {
				drv.InputSrcs = append(drv.InputSrcs, p)
				if strings.HasSuffix(p, ".drv") {
					info := st.loadDrv(p, pos)
					drv.InputDrvs[p] = info.drv.OutputNames()
				}
			}
		case strings.HasPrefix(c, "!"):
			i := strings.IndexByte(c[1:], '!')
			out, dp := c[1:1+i], c[2+i:]
			drv.InputDrvs[dp] = appendUnique(drv.InputDrvs[dp], out)
		default:
			drv.InputSrcs = append(drv.InputSrcs, c)
		}
	}
	for k := range drv.InputDrvs {
		sort.Strings(drv.InputDrvs[k])
	}
	sort.Strings(drv.InputSrcs)
	drv.InputSrcs = dedupSorted(drv.InputSrcs)

	storeDir := st.store.StoreDir()
	drv.Outputs = map[string]derivation.Output{}
	if hasOutputHash {
		if len(outputs) != 1 || outputs[0] != "out" {
			st.fail(pos, "multiple outputs are not supported in fixed-output derivations")
		}
		// Nix's parseHashTypeOpt: an unknown algorithm name is no algorithm.
		algo, _ := hash.ParseAlgo(outputHashAlgo)
		h, err := hash.ParseAllowEmpty(outputHash, algo)
		if err != nil {
			failNoPos("%s", err.Error())
		}
		if outputHash == "" {
			writeWarning(st.stderr, "found empty hash, assuming '%s'", h.SRI())
		}
		recursive := false
		switch outputHashMode {
		case "", "flat":
		case "recursive":
			recursive = true
		default:
			st.fail(pos, "invalid value '%s' for 'outputHashMode' attribute", outputHashMode)
		}
		p, err := storepath.MakeFixedOutputPath(storeDir, drvName, recursive, h, nil)
		if err != nil {
			st.fail(pos, "%s", err)
		}
		prefix := ""
		if recursive {
			prefix = "r:"
		}
		drv.Env["out"] = p
		drv.Outputs["out"] = derivation.Output{Path: p, HashAlgo: prefix + h.Algo.String(), Hash: h.Base16()}
	} else {
		for _, o := range outputs {
			drv.Env[o] = ""
			drv.Outputs[o] = derivation.Output{}
		}
		h := st.hashModulo(drv, true, pos)
		for _, o := range outputs {
			p, err := storepath.MakeOutputPath(storeDir, o, h, drvName)
			if err != nil {
				st.fail(pos, "%s", err)
			}
			drv.Env[o] = p
			drv.Outputs[o] = derivation.Output{Path: p}
		}
	}

	text := string(drv.MarshalATerm())
	refs := append([]string(nil), drv.InputSrcs...)
	for k := range drv.InputDrvs {
		refs = append(refs, k)
	}
	sort.Strings(refs)
	refs = dedupSorted(refs)
	drvPath, err := st.store.AddText(drvName+".drv", text, refs)
	if err != nil {
		st.fail(pos, "%s", err)
	}
	st.drvs[drvPath] = &drvInfo{drv: drv, modulo: st.hashModulo(drv, false, pos)}

	res := []Attr{{Name: st.sDrvPath, Val: cell(StringValue(drvPath, Context{"=" + drvPath}))}}
	for _, o := range outputs {
		res = append(res, Attr{Name: st.syms.Intern(o), Val: cell(StringValue(drv.Outputs[o].Path, Context{"!" + o + "!" + drvPath}))})
	}
	return mkAttrs(res)
}

type jsonMember struct{ key, val string }

func appendUnique(s []string, x string) []string {
	for _, y := range s {
		if y == x {
			return s
		}
	}
	return append(s, x)
}

func dedupSorted(s []string) []string {
	if len(s) < 2 {
		return s
	}
	out := s[:1]
	for _, x := range s[1:] {
		if x != out[len(out)-1] {
			out = append(out, x)
		}
	}
	return out
}

// hashModulo is hashDerivationModulo (store.md §3.6).
func (st *State) hashModulo(d *derivation.Derivation, mask bool, pos ast.Pos) []byte {
	if o, ok := d.Outputs["out"]; ok && len(d.Outputs) == 1 && o.IsFixed() {
		s := "fixed:out:" + o.HashAlgo + ":" + o.Hash + ":" + o.Path
		h := sha256.Sum256([]byte(s))
		return h[:]
	}
	inputs := make(map[string][]string, len(d.InputDrvs))
	for p, outs := range d.InputDrvs {
		info := st.loadDrv(p, pos)
		k := hex.EncodeToString(info.modulo)
		for _, o := range outs {
			inputs[k] = appendUnique(inputs[k], o)
		}
	}
	for k := range inputs {
		sort.Strings(inputs[k])
	}
	h := sha256.Sum256(d.ModuloATerm(inputs, mask))
	return h[:]
}

// loadDrv returns a derivation written earlier in this evaluation, or
// reads it from the store.
func (st *State) loadDrv(p string, pos ast.Pos) *drvInfo {
	if info, ok := st.drvs[p]; ok {
		return info
	}
	data, err := st.store.ReadDerivation(p)
	if err != nil {
		st.fail(pos, "%s", err)
	}
	d, err := derivation.ParseATerm(data)
	if err != nil {
		st.fail(pos, "reading derivation '%s': %s", p, err)
	}
	info := &drvInfo{drv: d}
	info.modulo = st.hashModulo(d, false, pos)
	st.drvs[p] = info
	return info
}

// drvClosure is the closure of a .drv file's references (inputs are
// .drv files and sources), including itself, sorted.
func (st *State) drvClosure(p string, pos ast.Pos) []string {
	seen := map[string]bool{}
	var walk func(string)
	walk = func(x string) {
		if seen[x] {
			return
		}
		seen[x] = true
		if strings.HasSuffix(x, ".drv") {
			info := st.loadDrv(x, pos)
			for _, s := range info.drv.InputSrcs {
				walk(s)
			}
			for d := range info.drv.InputDrvs {
				walk(d)
			}
		}
	}
	walk(p)
	out := make([]string, 0, len(seen))
	for x := range seen {
		out = append(out, x)
	}
	sort.Strings(out)
	return out
}
