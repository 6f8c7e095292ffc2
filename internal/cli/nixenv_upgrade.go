package cli

import (
	"fmt"
	"strconv"
	"strings"

	"gonix/internal/cli/args"
	"gonix/internal/lang/ast"
	"gonix/internal/lang/eval"
)

// upgradeType is how an available version must compare with the
// installed one for nix-env -u to take it (2.8's UpgradeType).
type upgradeType int

const (
	upgradeLt upgradeType = iota
	upgradeLeq
	upgradeEq
	upgradeAlways
)

// opUpgrade is 2.8's opUpgrade/upgradeDerivations: every installed
// element (whatever the selectors, which pick the available ones) is
// replaced by the available derivation with the same name whose version
// satisfies the upgrade type, preferring higher priority (lower number)
// and then the higher version; an upgrade never lowers the priority.
func (c *nixEnvCmd) opUpgrade() error {
	kind, byAttr := upgradeLt, false
	for _, f := range c.opFlags {
		switch f {
		case "--attr", "-A":
			byAttr = true
		case "--lt":
			kind = upgradeLt
		case "--leq":
			kind = upgradeLeq
		case "--eq":
			kind = upgradeEq
		case "--always":
			kind = upgradeAlways
		default:
			return args.Usagef("unknown flag '%s'", f)
		}
	}
	u, err := c.openUserEnv()
	if err != nil {
		return err
	}
	defer u.Close()
	installed, err := u.queryInstalled()
	if err != nil {
		return err
	}
	var avail []envElem
	if byAttr || (len(c.opArgs) > 0 && strings.Contains(c.opArgs[0], "/")) {
		avail, err = u.queryInstSources(byAttr, c.opArgs)
	} else {
		var all []envElem
		if all, err = u.availableElems(); err == nil {
			avail, err = filterBySelector(all, c.opArgs)
		}
	}
	if err != nil {
		return err
	}
	availPrio := make([]int64, len(avail))
	for j := range avail {
		if availPrio[j], err = u.metaInt(avail[j], "priority", 0); err != nil {
			return err
		}
	}
	var newElems []envElem
	for _, el := range installed {
		keep, err := u.metaBool(el, "keep", false)
		if err != nil {
			return err
		}
		if keep {
			newElems = append(newElems, el)
			continue
		}
		prio, err := u.metaInt(el, "priority", 0)
		if err != nil {
			return err
		}
		name, version := parseDrvName(el.name)
		best, bestVersion := -1, ""
		for j, a := range avail {
			// comparePriorities(i, j) > 0: j has a lower priority.
			if availPrio[j]-prio > 0 {
				continue
			}
			an, av := parseDrvName(a.name)
			if an != name {
				continue
			}
			d := compareVersions(version, av)
			if !(kind == upgradeLt && d < 0 || kind == upgradeLeq && d <= 0 ||
				kind == upgradeEq && d == 0 || kind == upgradeAlways) {
				continue
			}
			d2 := -1
			if best >= 0 {
				d2 = cmpInt64(availPrio[j], availPrio[best])
				if d2 == 0 {
					d2 = compareVersions(bestVersion, av)
				}
			}
			if d2 < 0 {
				best, bestVersion = j, av
			}
		}
		if best >= 0 && el.outPath != avail[best].outPath {
			action := "upgrading"
			if compareVersions(version, bestVersion) > 0 {
				action = "downgrading"
			}
			infof(c.e.Stderr, "%s '%s' to '%s'", action, el.name, avail[best].name)
			newElems = append(newElems, avail[best])
		} else {
			newElems = append(newElems, el)
		}
	}
	if c.dryRun {
		return nil
	}
	return u.createUserEnv(newElems)
}

// cmpInt64 is the sign of a-b; comparePriorities(best, j) is
// prio(j)-prio(best).
func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// filterBySelector is 2.8's filterBySelector without newest-only: the
// elements matching each selector ("*" when there are none), each once,
// in selector order.
func filterBySelector(all []envElem, selectors []string) ([]envElem, error) {
	if len(selectors) == 0 {
		selectors = []string{"*"}
	}
	done := make([]bool, len(all))
	var out []envElem
	for _, s := range selectors {
		hits := 0
		for i, el := range all {
			if !drvNameMatches(s, el.name) {
				continue
			}
			hits++
			if !done[i] {
				done[i] = true
				out = append(out, el)
			}
		}
		if hits == 0 && s != "*" {
			return nil, fmt.Errorf("selector '%s' matches no derivations", s)
		}
	}
	return out, nil
}

// opSetFlag is 2.8's opSetFlag: set a meta attribute (as a string) on
// the installed elements matching the selectors, then write a new
// generation.
func (c *nixEnvCmd) opSetFlag() error {
	if len(c.opFlags) > 0 {
		return args.Usagef("unknown flag '%s'", c.opFlags[0])
	}
	if len(c.opArgs) < 2 {
		return args.Usagef("not enough arguments to '--set-flag'")
	}
	flag, value, selectors := c.opArgs[0], c.opArgs[1], c.opArgs[2:]
	u, err := c.openUserEnv()
	if err != nil {
		return err
	}
	defer u.Close()
	elems, err := u.queryInstalled()
	if err != nil {
		return err
	}
	hits := make([]int, len(selectors))
	for i := range elems {
		for k, s := range selectors {
			if !drvNameMatches(s, elems[i].name) {
				continue
			}
			infof(c.e.Stderr, "setting flag on '%s'", elems[i].name)
			hits[k]++
			if elems[i].meta, err = u.setMeta(elems[i].meta, flag, value); err != nil {
				return err
			}
			break
		}
	}
	for k, s := range selectors {
		if hits[k] == 0 && s != "*" {
			return fmt.Errorf("selector '%s' matches no derivations", s)
		}
	}
	return u.createUserEnv(elems)
}

// metaValue evaluates an element's printed meta set.
func (u *userEnv) metaValue(meta string) (*eval.Value, error) {
	expr, err := u.st.ParseString(meta, "/", ast.OriginString)
	if err != nil {
		return nil, fmt.Errorf("reading meta %s: %w", meta, err)
	}
	v, err := u.st.Eval(expr)
	if err != nil {
		return nil, fmt.Errorf("reading meta %s: %w", meta, err)
	}
	return v, nil
}

// setMeta is DrvInfo::setMeta with a string value: the attribute
// replaced or added, the set printed again (sorted, as 2.8 prints it).
func (u *userEnv) setMeta(meta, name, value string) (string, error) {
	var sb strings.Builder
	sb.WriteString("(" + meta + ") // { ")
	printNixString(&sb, name)
	sb.WriteString(" = ")
	printNixString(&sb, value)
	sb.WriteString("; }")
	v, err := u.metaValue(sb.String())
	if err != nil {
		return "", err
	}
	if err := u.st.DeepForce(v); err != nil {
		return "", err
	}
	return u.st.PrintString(v), nil
}

// metaInt is DrvInfo::queryMetaInt: an integer, or a string holding one.
func (u *userEnv) metaInt(el envElem, name string, def int64) (int64, error) {
	v, err := u.metaAttr(el, name)
	if err != nil || v == nil {
		return def, err
	}
	switch v.Kind() {
	case eval.KInt:
		return v.Int(), nil
	case eval.KString:
		if n, err := strconv.ParseInt(v.StrS(), 10, 64); err == nil {
			return n, nil
		}
	}
	return def, nil
}

// metaBool is DrvInfo::queryMetaBool: a Boolean, or "true"/"false".
func (u *userEnv) metaBool(el envElem, name string, def bool) (bool, error) {
	v, err := u.metaAttr(el, name)
	if err != nil || v == nil {
		return def, err
	}
	switch v.Kind() {
	case eval.KBool:
		return v.Bool(), nil
	case eval.KString:
		switch v.StrS() {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
	}
	return def, nil
}

func (u *userEnv) metaAttr(el envElem, name string) (*eval.Value, error) {
	if el.metaVal != nil {
		return u.attr(el.metaVal, name)
	}
	if el.meta == "" || el.meta == "{ }" {
		return nil, nil
	}
	m, err := u.metaValue(el.meta)
	if err != nil {
		return nil, err
	}
	return u.attr(m, name)
}

// compareVersions is Nix's compareVersions (names.cc).
func compareVersions(v1, v2 string) int { return eval.CompareVersions(v1, v2) }
